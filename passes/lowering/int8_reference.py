"""Exact integer reference of the INT8 code generator (`nntc.passes.lowering.int8`).

Runs the integer layers of an `Int8Net` in numpy with the arithmetic the emitted commands
perform, independently of the command encoding and of the simulator: int8 x int8 products
accumulated in int32, the int32 bias added with saturation, requantization as
`saturate(round_shift(x * multiplier, shift))` with the net's rounding mode (TPU-MLIR's
`RightShiftRound`, exact on int64), max pooling on the stored integers, average pooling as
`round_shift(window sum * multiplier, shift)`, depthwise conv as the per-channel int32 sum with
its bias, clipped ReLUs as a clamp of the requantized integers, concat as a copy, table lookups
by the input's 8-bit pattern, the input quantizer as float32 `x * (1 / scale)`
rounded then saturated, and the output as float32 `q * scale`. Zero points (asymmetric types,
`zero_point` of a buffer) enter where the commands take them: added after a quantizer's rounding
and a requant's shift, subtracted before a requant, an add's multipliers, the average pool's
requant and the output's dequantization, and as the value of a conv's padding (the bias
already holds `-zp * sum(W)`). The simulator's output must equal this bit for bit on every
tensor (`tests/test_e2e_int8.py`, `tests/test_int8_asymmetric.py`).

Float layers are the FP32 reference interpreter's kernel of their top op; a layer computed in
F16/BF16 gets its (already 16-bit) inputs and weights as f32 values and its result rounded to
its type (nearest even), and float casts round to the target type. 16-bit tensors are held as
their f32 values. That is what the chip does for the 16-bit softmax, layernorm, exp, sigmoid
and SFU functions (the loaded 16-bit slice cast to f32 in local memory, the f32 sequence, one
rounding back); the other 16-bit commands round each result to 16 bits. These are models, not
bit-exact: the chip accumulates in its own order, approximates the functions in f32 (about
1e-7 relative) and rounds some intermediates (tests compare them with a tolerance, and feed
the simulated float results to the integer layers after them through `overrides`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.interpreter import Interpreter

from nntc.passes.lowering.int8 import (
    Add,
    AvgPool,
    Buf,
    Concat,
    Conv,
    DCast,
    DwConv,
    Float,
    FloatCast,
    Int8Net,
    Layer,
    Lut,
    MatMul,
    MaxPool,
    QCast,
    Requant,
    add_offset,
    zero_point,
)
from nntc.targets.reference.interpreter import TopFunctions
from nntc.targets.weight_store import WeightStore

__all__ = ["round_float", "round_shift", "round_to_kind", "run_int8_net"]

INT32 = (-(1 << 31), (1 << 31) - 1)


def round_shift(x: np.ndarray, shift: np.ndarray | int, mode: int) -> np.ndarray:
    """`x` (integers) divided by 2**shift (shift >= 0), rounded with TPU rounding mode `mode`:
    0 half to even, 1 half away from zero, 2 toward zero, 3 down, 4 up, 5 half up, 6 half down."""
    x = np.asarray(x, np.int64)
    s = np.broadcast_to(np.asarray(shift, np.int64), x.shape)
    q = x >> s  # floor
    rem = x - (q << s)
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    if mode == 0:
        up = (rem > half) | ((rem == half) & (q % 2 == 1))
    elif mode == 1:
        up = np.where(x >= 0, rem >= half, rem > half)
    elif mode == 2:
        up = (x < 0) & (rem != 0)
    elif mode == 3:
        up = np.zeros(x.shape, bool)
    elif mode == 4:
        up = rem != 0
    elif mode == 5:
        up = rem >= half
    elif mode == 6:
        up = rem > half
    else:
        raise ValueError(f"round mode {mode} is not one of 0..6")
    return q + (up & (s > 0))


def round_float(x: np.ndarray, mode: int) -> np.ndarray:
    """Float values to integers with TPU rounding mode `mode` (as `round_shift`)."""
    x = np.asarray(x, np.float64)
    fl = np.floor(x)
    frac = x - fl
    if mode == 0:
        return np.rint(x)
    if mode == 1:
        return np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))
    if mode == 2:
        return np.trunc(x)
    if mode == 3:
        return fl
    if mode == 4:
        return np.ceil(x)
    if mode == 5:
        return np.where(frac >= 0.5, fl + 1, fl)
    if mode == 6:
        return np.where(frac > 0.5, fl + 1, fl)
    raise ValueError(f"round mode {mode} is not one of 0..6")


def _sat(x: np.ndarray, buf: Buf) -> np.ndarray:
    lo, hi = (-128, 127) if buf.signed else (0, 255)
    return np.clip(x, lo, hi).astype(np.int8 if buf.signed else np.uint8)


def _windows(x: np.ndarray, layer: Conv) -> Iterator[tuple[int, int, np.ndarray]]:
    """(ky, kx, the padded input rows and columns that tap meets), for every kernel tap; the
    padding is the input's zero point (the stored real 0)."""
    n, c, ih, iw = x.shape
    _, _, kh, kw = layer.weight.shape
    _, _, oh, ow = layer.output.shape
    pt, pl, pb, pr = layer.pads
    sh, sw = layer.stride
    dh, dw = layer.dilation
    xp = np.full((n, c, ih + pt + pb, iw + pl + pr), zero_point(layer.inputs[0]), np.int64)
    xp[:, :, pt : pt + ih, pl : pl + iw] = x
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dh, kx * dw
            yield (
                ky,
                kx,
                xp[:, :, y0 : y0 + (oh - 1) * sh + 1 : sh, x0 : x0 + (ow - 1) * sw + 1 : sw],
            )


def _conv(x: np.ndarray, layer: Conv) -> np.ndarray:
    w = layer.weight.astype(np.int64)
    acc = np.zeros((x.shape[0], *layer.output.shape[1:]), np.int64)
    for ky, kx, view in _windows(x, layer):
        acc += np.einsum("nchw,oc->nohw", view, w[:, :, ky, kx])
    return acc


def _dwconv(x: np.ndarray, layer: DwConv) -> np.ndarray:
    w = layer.weight.astype(np.int64)
    c = x.shape[1]
    acc = np.zeros((x.shape[0], *layer.output.shape[1:]), np.int64)
    for ky, kx, view in _windows(x, layer):
        acc += view * w[:, 0, ky, kx].reshape(1, c, 1, 1)
    return acc


def _activation(y: np.ndarray, relu: bool, limit: int | None, out: Buf) -> np.ndarray:
    zp = zero_point(out)
    y = y + zp
    y = np.maximum(y, zp) if relu else y
    y = _sat(y, out).astype(np.int64)
    return _sat(np.minimum(y, limit) if limit is not None else y, out)


def _requant(acc: np.ndarray, mult: np.ndarray, shift: np.ndarray, mode: int) -> np.ndarray:
    return round_shift(acc * mult, shift, mode)


@cache
def _top_interpreter() -> Interpreter:
    interpreter = Interpreter(ModuleOp([]))
    interpreter.register_implementations(TopFunctions(WeightStore()))
    return interpreter


def _run_float(layer: Float, args: list[np.ndarray]) -> np.ndarray:
    # the FP32 reference interpreter's kernel of the layer's top op, the weights as f32 arrays
    if layer.op is None and layer.evaluate is not None:
        return np.asarray(layer.evaluate(args), np.float32)  # read from tpu IR: its tpu ops
    assert layer.op is not None
    activations = iter(args)
    operands = [
        # buffers are 4-D; the kernel needs the operand's own rank (a softmax axis, ...)
        next(activations).reshape(v.type.get_shape()) if a is None else a  # type: ignore
        for a, v in zip(layer.args, layer.op.operands, strict=True)
    ]
    (y,) = _top_interpreter().run_op(layer.op, tuple(operands))
    return np.asarray(y, np.float32)


def round_to_kind(x: np.ndarray, kind: str) -> np.ndarray:
    """float32 values rounded to f16 / bf16 (nearest even), returned as float32; f32 as is."""
    x = np.asarray(x, np.float32)
    if kind == "f16":
        return x.astype(np.float16).astype(np.float32)
    if kind == "bf16":
        bits = x.view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
        return rounded.astype(np.uint32).view(np.float32)
    return x


def _run(layer: Layer, args: list[np.ndarray], mode: int) -> np.ndarray:
    out = layer.output
    if isinstance(layer, Float):
        return round_to_kind(_run_float(layer, args), layer.computes)
    if isinstance(layer, FloatCast):
        return round_to_kind(args[0], out.kind)
    if isinstance(layer, QCast):
        scaled = args[0].astype(np.float32) * np.float32(layer.inv_scale)
        q = np.clip(round_float(scaled, mode), *INT32).astype(np.int64)
        return _sat(np.clip(q + zero_point(out), *INT32), out)
    if isinstance(layer, DCast):
        q = args[0].astype(np.int64) - zero_point(layer.inputs[0])
        return (q.astype(np.float32) * np.float32(layer.scale)).astype(np.float32)
    if isinstance(layer, Requant):
        q = args[0].astype(np.int64) - zero_point(layer.inputs[0])
        y = round_shift(q * layer.multiplier, layer.shift, mode)
        return _sat(y + zero_point(out), out)
    if isinstance(layer, Conv):
        conv = _dwconv(args[0], layer) if isinstance(layer, DwConv) else _conv(args[0], layer)
        acc = np.clip(conv + layer.bias.reshape(1, -1, 1, 1), *INT32)
        shape = (1, -1, 1, 1)
        y = _requant(acc, layer.multipliers.reshape(shape), layer.shifts.reshape(shape), mode)
        return _activation(y, layer.relu, layer.limit, out)
    if isinstance(layer, Concat):
        return np.concatenate(args, axis=layer.axis)
    if isinstance(layer, Lut):
        return layer.table[args[0].view(np.uint8).astype(np.int64)]
    if isinstance(layer, MaxPool):
        x = args[0].astype(np.int64)
        n, c, ih, iw = x.shape
        pt, pl, pb, pr = layer.pads
        lo = -128 if layer.inputs[0].signed else 0
        xp = np.full((n, c, ih + pt + pb, iw + pl + pr), lo, np.int64)
        xp[:, :, pt : pt + ih, pl : pl + iw] = x
        _, _, oh, ow = out.shape
        (kh, kw), (sh, sw) = layer.kernel, layer.stride
        y = np.full((n, c, oh, ow), lo, np.int64)
        for ky in range(kh):
            for kx in range(kw):
                y = np.maximum(y, xp[:, :, ky : ky + (oh - 1) * sh + 1 : sh,
                                     kx : kx + (ow - 1) * sw + 1 : sw])  # fmt: skip
        return _sat(y, out)
    if isinstance(layer, AvgPool):
        total = args[0].astype(np.int64).sum(axis=(2, 3), keepdims=True)
        zp_in, zp_out = zero_point(layer.inputs[0]), zero_point(out)
        if zp_in or zp_out:
            total = total - args[0].shape[2] * args[0].shape[3] * zp_in
            return _sat(round_shift(total * layer.multiplier, layer.shift, mode) + zp_out, out)
        return _sat(round_shift(total * layer.multiplier, layer.shift, mode), out)
    if isinstance(layer, Add):
        acc = sum(a.astype(np.int64) * m for a, m in zip(args, layer.multipliers, strict=True))
        y = round_shift(np.asarray(acc) - add_offset(layer), layer.shift, mode)
        return _activation(y, layer.relu, layer.limit, out)
    if isinstance(layer, MatMul):
        k, n = layer.weight.shape
        x = args[0].reshape(-1, k).astype(np.int64)
        acc = np.clip(x @ layer.weight.astype(np.int64) + layer.bias.astype(np.int64), *INT32)
        y = _requant(acc, layer.multipliers.reshape(1, -1), layer.shifts.reshape(1, -1), mode)
        return _activation(y, layer.relu, layer.limit, out)
    raise TypeError(f"no reference for {type(layer).__name__}")


def run_int8_net(
    net: Int8Net,
    inputs: Mapping[str, np.ndarray],
    overrides: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Every layer's result by layer name (and the net outputs by their names); a layer named
    in `overrides` takes that value instead of its own result (to feed the layers after a
    float layer the simulator's result)."""
    values: dict[int, np.ndarray] = {}

    def read(b: Buf) -> np.ndarray:
        return values[id(b.root or b)].reshape(b.shape)

    for name, b in net.inputs:
        values[id(b.root or b)] = np.asarray(inputs[name], np.float32).reshape(b.shape)
    results: dict[str, np.ndarray] = {}
    for layer in net.layers:
        if overrides is not None and layer.name in overrides:
            y = np.asarray(overrides[layer.name]).reshape(layer.output.shape)
        else:
            y = _run(layer, [read(b) for b in layer.inputs], net.round_mode)
            y = y.reshape(layer.output.shape)
        values[id(layer.output.root or layer.output)] = y
        results[layer.name] = y
    for name, b in net.outputs:
        results[name] = read(b).reshape(b.io_shape)
    return results
