"""`lower-to-tpu{chip=bm1684x mode=f32}`: top ops -> tpu ops the BM1684X runs.

Each top op becomes the tpu op with the same meaning and a concrete element type (f32 in this
mode). Weights stay `top.weight` ops (TPU-MLIR keeps them in tpu IR too); where the command
that reads a weight needs another layout than the logical one, the pass writes a new weight to
the side-car store (`weight_store_of(module)`) and the tpu op uses it.

Weight layouts for f32, as the BM1684X commands read them (docs/simulator.md):
- conv filter `[oc, ic/g, kh, kw]`: conv.normal reads `[1, oc, ic, kh*kw]` on oc lanes in the
  alignIC layout, whose cube for 32-bit elements is one channel, so the bytes are the logical
  row-major filter itself; a depthwise kernel `[c, 1, kh, kw]` is pord's compact `(1, c, kh, kw)`;
  a bias `[oc]` is compact `1 x oc x 1 x 1`. These need no reordering.
- matmul right operand `(K, N)`: dma.matrix loads a plain row-major matrix, so `top.gemm` with
  `transB` (or `alpha != 1`) gets a new, transposed (scaled) weight.

`top.input` and `top.identity` disappear (their operand replaces them); a ReLU that canonicalize
did not fuse stays a `tpu.relu`, `top.clip(0, max)` becomes `tpu.relu` with a limit; a ceil-mode
max pool gets the extra bottom/right padding that makes the floor-mode size equal; an average
pool whose ONNX divisor is not the window size somewhere (count_include_pad = 0 with pads, the
overhang of a ceil-mode window) is the pool times a constant per-position weight. Elementwise
ops above rank 4 run on `tpu.reshape` views whose adjacent dims merge where every operand is
full in both or 1 in both (`merged_dims`).

A batched `top.matmul` (right operand not 2-D, or a 1-D operand) is one `tpu.matmul` when the
right operand's batch dims are all 1, else one 2-D `tpu.matmul` per broadcast batch
(`tpu.slice`s, a `tpu.concat`); a bias that is not one value per column, and an add with
coefficients (Gemm's alpha/beta on runtime operands), are broadcasting `tpu.mul`/`tpu.add`s. A
net output that is a net input or a weight gets its own tensor by a whole-tensor `tpu.slice` (a
DDR copy).

Ops with no single command: a standalone `top.batchnorm` becomes a per-channel `tpu.mul` and
`tpu.add` with new weights; a `top.deconv` whose kernel equals its stride (no overlap) becomes
a 1x1 `tpu.conv2d` to kh*kw*oc channels plus `tpu.depth_to_space`, any other one is
`tpu.deconv2d` (a conv command over the input with zeros inserted); a nearest `top.resize` by
integer factors is `tpu.upsample`, any other resize of H and W a `tpu.matmul` and a 1x1
`tpu.conv2d` by constant interpolation matrices; a global pool whose plane does not fit local memory pools
bands of rows first. A division by a constant was turned into a product by canonicalize.

Transpose, slice (positive steps), split, expand and constant-index gather are tpu data
movements (`tpu.permute` / `slice` / `expand`, strided DMA copies), pad a concatenation with its
borders; layernorm and the reductions pool rows of the reduced dims (a permute first when they
are not last); prelu and where are broadcasting elementwise ops; tanh, erf, gelu, sqrt, log,
pow and leaky ReLU are float-function tpu ops (`passes/lowering/unary.py` has their formulas),
log_softmax is softmax then log.

Everything the chip cannot run yet is reported at once, one line per op with its location,
before anything is rewritten.

`mode=int8` takes quant-level IR (the `quantize` output) instead: the INT8 code generator's
integer layers, one tpu op each with its multipliers and shifts (`passes/lowering/int8_tpu.py`
and docs/int8.md describe the IR); its float layers are the ops this file lowers them to.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, TensorType, f32
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top, tpu
from nntc.passes.lowering.deconv import CONV_MAX_INSERT, CONV_MAX_PAD
from nntc.targets.bm1684x import chip
from nntc.targets.reference.resize import _resize_axis as resize_axis
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

SUPPORTED_CHIPS = ("bm1684x",)
SUPPORTED_MODES = ("f32", "int8")


class Unsupported(Exception):
    """Why one top op cannot be lowered (collected, then reported together)."""


def location_of(op: Operation) -> str:
    """The op's ONNX node name (its `loc("...")`), or `unknown`."""
    return op.location.desc.data if isinstance(op.location, NameLoc) else "unknown"


def _shape(value: SSAValue) -> tuple[int, ...]:
    ty = value.type
    assert isinstance(ty, TensorType)
    return tuple(ty.get_shape())


def _f32(shape: tuple[int, ...] | list[int]) -> TensorType:
    return TensorType(f32, list(shape))


def _relu(op: top.ReluFusibleOp) -> tuple[bool, float | None]:
    return op.do_relu_value, op.relu_limit_value


def _normalize_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


# --- one function per top op: build the tpu op(s), or raise Unsupported ---------------------
# Each returns the op(s) to insert; the last one's result replaces the top op's result.

Lowering = Callable[[Operation, WeightStore], list[Operation]]


def _lower_conv(op: top.ConvOp, store: WeightStore) -> list[Operation]:
    if len(_shape(op.input)) != 4:
        raise Unsupported(f"only 2-D convolutions are supported, got rank {len(_shape(op.input))}")
    do_relu, limit = _relu(op)
    return [
        tpu.Conv2dOp(
            op.input,
            op.filter,
            op.bias,
            op.output.type,
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            group=op.group_value,
            do_relu=do_relu,
            relu_limit=limit,
        )
    ]


def _per_column(bias: SSAValue, n: int) -> bool:
    """Whether `bias` is one value per output column, as the matmul command adds it."""
    shape = _shape(bias)
    return int(np.prod(shape)) == n and (shape[-1] == n if shape else n == 1)


def _lower_matmul(op: top.MatMulOp, store: WeightStore) -> list[Operation]:
    """A bias that is not one value per column (a matrix, a scalar) is a broadcasting
    `tpu.add` after the matmul, which then takes the fused ReLU."""
    out = _shape(op.output)
    bias = op.bias
    if bias is None or _per_column(bias, out[-1] if out else 1):
        return _matmul_ops(op, store, bias, _relu(op))
    new_ops = _matmul_ops(op, store, None, (False, None))
    product = new_ops[-1].results[0]
    if len(_shape(bias)) < len(out):
        lifted = (1,) * (len(out) - len(_shape(bias))) + _shape(bias)
        if isinstance(bias.owner, top.WeightOp):
            array = np.asarray(weight_value(bias.owner, store), np.float32)
            new_ops.append(w := _new_weight(store, op, "bias", array.reshape(lifted)))
        else:
            new_ops.append(w := tpu.ReshapeOp(bias, _f32(lifted)))
        bias = w.results[0]
    do_relu, limit = _relu(op)
    new_ops.append(tpu.AddOp([product, bias], op.output.type, do_relu=do_relu, relu_limit=limit))
    return new_ops


def _matmul_ops(
    op: top.MatMulOp,
    store: WeightStore,
    bias: SSAValue | None,
    relu: tuple[bool, float | None],
) -> list[Operation]:
    """numpy matmul (+ a per-column `bias`, then `relu`) as `tpu.matmul`s of a 2-D right
    operand. A 2-D right operand and a left one of rank >= 2 is one `tpu.matmul`; a 1-D
    operand becomes a (1, K) row / (K, 1) column; a right operand whose batch dims are all 1 is
    one (K, N) matrix for a single `tpu.matmul` over every row of the left one; otherwise one
    2-D `tpu.matmul` per batch of the broadcast batch dims (`tpu.slice` of each operand's batch,
    numpy's broadcasting picks which), concatenated along a leading batch axis. Weights are
    reshaped and sliced at compile time: a `tpu.reshape` aliases a tensor in DDR, and weights
    live apart from them."""
    a, r = _shape(op.input), _shape(op.right)
    a2 = (1, *a) if len(a) == 1 else a
    r2 = (*r, 1) if len(r) == 1 else r
    (m, k), n = a2[-2:], r2[-1]
    do_relu, limit = relu
    a_batch, r_batch = a2[:-2], r2[:-2]
    batch = top.broadcast_shapes(a_batch, r_batch)
    new_ops: list[Operation] = []

    def reshaped(value: SSAValue, shape: tuple[int, ...], index: int | None = None) -> SSAValue:
        """`value` (its batch `index` of the leading dim, if given) as a tensor of `shape`."""
        if index is None and _shape(value) == shape:
            return value
        if isinstance(value.owner, top.WeightOp):
            array = np.asarray(weight_value(value.owner, store), np.float32)
            array = array if index is None else array[index]
            new_ops.append(w := _new_weight(store, op, "matmul", array.reshape(shape)))
            return w.output
        if index is not None:
            sliced = _shape(value)[1:]
            offsets = [index] + [0] * len(sliced)
            new_ops.append(
                sl := tpu.SliceOp(value, _f32((1, *sliced)), offsets, [1] * len(offsets))
            )
            value = sl.output
        if _shape(value) == shape:
            return value
        new_ops.append(reshape := tpu.ReshapeOp(value, _f32(shape)))
        return reshape.output

    if int(np.prod(r_batch, dtype=np.int64)) == 1:
        left = reshaped(op.input, a2)
        mat = reshaped(op.right, (k, n))
        shape = (*a2[:-1], n)
        new_ops.append(
            tpu.MatMulOp(left, mat, bias, _f32(shape), do_relu=do_relu, relu_limit=limit)
        )
        reshaped(new_ops[-1].results[0], _shape(op.output))
        return new_ops
    count = int(np.prod(batch, dtype=np.int64))
    a_flat = reshaped(op.input, (int(np.prod(a_batch, dtype=np.int64)), m, k))
    r_flat = reshaped(op.right, (int(np.prod(r_batch, dtype=np.int64)), k, n))
    # the flat batch index of each operand for every output batch, broadcast as numpy does
    a_index = np.broadcast_to(
        np.arange(_shape(a_flat)[0]).reshape((1,) * (len(batch) - len(a_batch)) + a_batch), batch
    ).reshape(-1)
    r_index = np.broadcast_to(
        np.arange(_shape(r_flat)[0]).reshape((1,) * (len(batch) - len(r_batch)) + r_batch), batch
    ).reshape(-1)
    cache: dict[tuple[SSAValue, int], SSAValue] = {}

    def matrix(flat: SSAValue, index: int, rows: int, cols: int) -> SSAValue:
        if (flat, index) not in cache:
            whole = _shape(flat)[0] == 1
            cache[flat, index] = reshaped(flat, (rows, cols), None if whole else index)
        return cache[flat, index]

    parts: list[SSAValue] = []
    for i in range(count):
        left = matrix(a_flat, int(a_index[i]), m, k)
        mat = matrix(r_flat, int(r_index[i]), k, n)
        mm = tpu.MatMulOp(left, mat, bias, _f32((m, n)), do_relu=do_relu, relu_limit=limit)
        new_ops.append(mm)
        parts.append(reshaped(mm.output, (1, m, n)))
    new_ops.append(cat := tpu.ConcatOp(parts, _f32((count, m, n)), 0))
    reshaped(cat.output, _shape(op.output))
    return new_ops


def _lower_gemm(op: top.GemmOp, store: WeightStore) -> list[Operation]:
    if op.trans_a_value:
        raise Unsupported("transA = 1 is not supported")
    b_owner = op.b.owner
    alpha, beta = op.alpha.value.data, op.beta.value.data
    new_ops: list[Operation] = []
    right: SSAValue = op.b
    if op.trans_b.value.data or alpha != 1.0:
        if not isinstance(b_owner, top.WeightOp):
            raise Unsupported("transB or alpha on a runtime (non-weight) B is not supported")
        array = np.asarray(weight_value(b_owner, store), np.float32)
        if op.trans_b.value.data:
            array = array.T
        array = np.ascontiguousarray(array * np.float32(alpha))
        name = store.unique_name(f"{b_owner.weight_name.data}.tpu")
        store[name] = array
        w = top.WeightOp(name, _f32(array.shape), location=location_of(op))
        new_ops.append(w)
        right = w.output
    n = _shape(right)[1]
    bias: SSAValue | None = op.c
    if bias is not None:
        c_owner = bias.owner
        if not isinstance(c_owner, top.WeightOp):
            raise Unsupported("a runtime (non-weight) C is not supported")
        array = np.asarray(weight_value(c_owner, store), np.float32)
        if array.size not in (1, n) or (array.ndim == 2 and array.shape[0] != 1):
            raise Unsupported(f"C of shape {list(array.shape)} is not supported")
        if array.size != n or beta != 1.0 or array.ndim != 1:
            array = np.ascontiguousarray(np.broadcast_to(array.reshape(-1), (n,)) * beta)
            name = store.unique_name(f"{c_owner.weight_name.data}.tpu")
            store[name] = array.astype(np.float32)
            c = top.WeightOp(name, _f32((n,)), location=location_of(op))
            new_ops.append(c)
            bias = c.output
    new_ops.append(tpu.MatMulOp(op.a, right, bias, op.output.type))
    return new_ops


def _lower_add(op: top.AddOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    coeff = op.coeff_values
    if all(c == 1.0 for c in coeff):
        return [tpu.AddOp(op.inputs, op.output.type, do_relu=do_relu, relu_limit=limit)]
    if len(coeff) == 2 and coeff == (1.0, -1.0):
        return [
            tpu.SubOp(op.inputs[0], op.inputs[1], op.output.type, do_relu=do_relu, relu_limit=limit)
        ]
    return _weighted_add(op, store)


def _weighted_add(op: top.AddOp, store: WeightStore) -> list[Operation]:
    """sum(coeff[i] * x[i]) (Gemm's alpha and beta on runtime operands): each input whose
    coefficient is not 1 is multiplied by a one-element weight, then one `tpu.add`."""
    do_relu, limit = _relu(op)
    new_ops: list[Operation] = []
    terms: list[SSAValue] = []
    for i, (x, c) in enumerate(zip(op.inputs, op.coeff_values, strict=True)):
        if c != 1.0:
            scale = _scalar_weight(store, op, f"coeff{i}", c, len(_shape(x)))
            new_ops += [scale, mul := tpu.MulOp(x, scale.output, x.type)]
            x = mul.output
        terms.append(x)
    new_ops.append(tpu.AddOp(terms, op.output.type, do_relu=do_relu, relu_limit=limit))
    return new_ops


def _lower_sub(op: top.SubOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    return [
        tpu.SubOp(op.inputs[0], op.inputs[1], op.output.type, do_relu=do_relu, relu_limit=limit)
    ]


def _lower_mul(op: top.MulOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    out: list[Operation] = []
    acc: SSAValue = op.inputs[0]
    for i, v in enumerate(op.inputs[1:], start=1):
        last = i == len(op.inputs) - 1
        shape = top.broadcast_shapes(_shape(acc), _shape(v))
        mul = tpu.MulOp(
            acc,
            v,
            op.output.type if last else _f32(shape),
            do_relu=do_relu and last,
            relu_limit=limit if last else None,
        )
        out.append(mul)
        acc = mul.output
    return out


def _lower_relu(op: top.ReluOp, store: WeightStore) -> list[Operation]:
    return [tpu.ReluOp(op.input, op.relu_limit_value)]


def _lower_clip(op: top.ClipOp, store: WeightStore) -> list[Operation]:
    lo, hi = op.min_value, op.max_value
    if lo != 0.0:
        raise Unsupported(f"a lower bound other than 0 is not supported (min = {lo})")
    return [tpu.ReluOp(op.input, hi)]


def _pool_common(op: top.PoolOp) -> tuple[tuple[int, ...], tuple[int, ...], list[int]]:
    if len(_shape(op.input)) != 4:
        raise Unsupported(f"only 2-D pooling is supported, got rank {len(_shape(op.input))}")
    kernel, strides, pads = op.kernel_shape_values, op.strides_values, list(op.pads_values)
    # ceil mode: extra bottom/right padding gives the same output size in floor mode
    _, _, h, w = _shape(op.input)
    oh, ow = _shape(op.output)[2:]
    for axis, size, out in ((0, h, oh), (1, w, ow)):
        need = (out - 1) * strides[axis] + kernel[axis]
        have = size + pads[axis] + pads[axis + 2]
        if need > have:
            pads[axis + 2] += need - have
    return kernel, strides, pads


def _lower_maxpool(op: top.MaxPoolOp, store: WeightStore) -> list[Operation]:
    kernel, strides, pads = _pool_common(op)
    if max(pads[0], pads[2]) >= kernel[0] or max(pads[1], pads[3]) >= kernel[1]:
        raise Unsupported(f"pads {pads} as large as the kernel {list(kernel)} are not supported")
    do_relu, limit = _relu(op)
    return [
        tpu.MaxPoolOp(
            op.input,
            op.output.type,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            do_relu=do_relu,
            relu_limit=limit,
        )
    ]


def _lower_avgpool(op: top.AvgPoolOp, store: WeightStore) -> list[Operation]:
    """The pool command divides every window sum by kh*kw. Where ONNX divides by fewer (taps
    in the pads with count_include_pad = 0, taps beyond the pads in a ceil-mode window), a
    `tpu.mul` by a constant per-position weight kh*kw / count corrects it; the fused ReLU
    moves to that mul."""
    kernel, strides, pads = _pool_common(op)
    do_relu, limit = _relu(op)
    scale = _avgpool_scale(op, kernel, strides)
    if scale is None:
        return [
            tpu.AvgPoolOp(
                op.input,
                op.output.type,
                kernel_shape=kernel,
                strides=strides,
                pads=pads,
                count_include_pad=op.count_include_pad_value,
                do_relu=do_relu,
                relu_limit=limit,
            )
        ]
    pool = tpu.AvgPoolOp(
        op.input,
        op.output.type,
        kernel_shape=kernel,
        strides=strides,
        pads=pads,
        count_include_pad=True,
    )
    weight = _new_weight(store, op, "pool_scale", scale)
    mul = tpu.MulOp(pool.output, weight.output, op.output.type, do_relu=do_relu, relu_limit=limit)
    return [pool, weight, mul]


def _avgpool_scale(
    op: top.AvgPoolOp, kernel: tuple[int, ...], strides: tuple[int, ...]
) -> np.ndarray | None:
    """kh*kw / (ONNX's divisor) per output position as a `[1, 1, oh, ow]` array, or None
    where the divisor is kh*kw everywhere. ONNX counts a window's taps inside the input
    (count_include_pad = 0) or inside the input and its pads (= 1), never those of a ceil-mode
    window beyond the pads; windows are boxes, so the count is an outer product."""
    sizes, outs, pads = _shape(op.input)[2:], _shape(op.output)[2:], list(op.pads_values)
    counts = np.ones((1, 1))
    for axis in range(2):
        begin, end, size = pads[axis], pads[axis + 2], sizes[axis]
        taps = np.arange(outs[axis])[:, None] * strides[axis] + np.arange(kernel[axis])
        low, high = (0, begin + size + end) if op.count_include_pad_value else (begin, begin + size)
        counts = counts[..., None] * ((taps >= low) & (taps < high)).sum(axis=1)
    full = kernel[0] * kernel[1]
    if np.all(counts == full):
        return None
    return (full / counts).reshape(1, 1, outs[0], outs[1])


def _lower_global_pool(op: top.GlobalPoolOp, store: WeightStore) -> list[Operation]:
    shape = _shape(op.input)
    if len(shape) != 4:
        raise Unsupported(f"only 2-D global pooling is supported, got rank {len(shape)}")
    n, c, h, w = shape
    pool = tpu.MaxPoolOp if isinstance(op, top.GlobalMaxPoolOp) else tpu.AvgPoolOp
    if h * w * 4 <= GLOBAL_POOL_WHOLE_BYTES:
        return [pool(op.input, op.output.type, kernel_shape=(h, w))]
    # A window this large cannot be in local memory at once: pool bands of r whole rows first
    # (the band pool slices along H), then the h / r band results. Means of equal-sized bands
    # average to the mean.
    r = max(
        (
            d
            for d in range(1, min(h, POOL_STRIDE_MAX) + 1)
            if h % d == 0 and d * w * 4 <= GLOBAL_POOL_BAND_BYTES
        ),
        default=None,
    )
    if r is None:
        raise Unsupported(f"a global pool over a {h}x{w} plane is not supported")
    bands = pool(op.input, _f32((n, c, h // r, 1)), kernel_shape=(r, w), strides=(r, 1))
    return [bands, pool(bands.output, op.output.type, kernel_shape=(h // r, 1))]


GLOBAL_POOL_WHOLE_BYTES = chip.LMEM_BYTES_PER_LANE // 4
"""A global pool whose channel plane is at most this (per lane, f32) pools in one window; the
layer's half of local memory holds it with its result."""
GLOBAL_POOL_BAND_BYTES = chip.LMEM_BYTES_PER_LANE // 32
"""Bytes of one band of rows of a larger plane, so that double-buffered bands slice well."""
POOL_STRIDE_MAX = 15
"""Pooling strides are 4-bit fields of the pord command (isa.md, sPorD)."""


def _lower_reshape(op: top.ReshapeOp, store: WeightStore) -> list[Operation]:
    return [tpu.ReshapeOp(op.input, op.output.type)]


def _lower_concat(op: top.ConcatOp, store: WeightStore) -> list[Operation]:
    rank = len(_shape(op.output))
    return [tpu.ConcatOp(op.inputs, op.output.type, _normalize_axis(op.axis_value, rank))]


def _lower_softmax(op: top.SoftmaxOp, store: WeightStore) -> list[Operation]:
    return [tpu.SoftmaxOp(op.input, op.normalized_axis)]


def _lower_div(op: top.DivOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    return [
        tpu.DivOp(op.inputs[0], op.inputs[1], op.output.type, do_relu=do_relu, relu_limit=limit)
    ]


def _new_weight(store: WeightStore, origin: Operation, suffix: str, array: np.ndarray):
    name = store.unique_name(f"{location_of(origin)}.{suffix}")
    store[name] = np.ascontiguousarray(array, np.float32)
    return top.WeightOp(name, _f32(array.shape), location=location_of(origin))


def _lower_batchnorm(op: top.BatchNormOp, store: WeightStore) -> list[Operation]:
    # the per-channel affine form y = x * s + b, with s and b computed here in float64
    params = []
    for role, v in (("scale", op.scale), ("bias", op.bias), ("mean", op.mean),
                    ("variance", op.variance)):  # fmt: skip
        if not isinstance(v.owner, top.WeightOp):
            raise Unsupported(f"a runtime (non-weight) {role} is not supported")
        params.append(np.asarray(weight_value(v.owner, store), np.float64).reshape(-1))
    scale, bias, mean, var = params
    s = scale / np.sqrt(var + op.epsilon_value)
    b = bias - mean * s
    shape = _shape(op.input)
    if len(shape) < 2:
        raise Unsupported(f"an input of rank {len(shape)} (less than 2) is not supported")
    pshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    ws = _new_weight(store, op, "bn_scale", s.reshape(pshape))
    wb = _new_weight(store, op, "bn_bias", b.reshape(pshape))
    mul = tpu.MulOp(op.input, ws.output, op.output.type)
    add = tpu.AddOp([mul.output, wb.output], op.output.type)
    return [ws, wb, mul, add]


def _lower_hardsigmoid(op: top.HardSigmoidOp, store: WeightStore) -> list[Operation]:
    return [tpu.HardSigmoidOp(op.input, op.alpha_value, op.beta_value)]


def _lower_hardswish(op: top.HardSwishOp, store: WeightStore) -> list[Operation]:
    """x * hardsigmoid(x) with alpha 1/6, beta 1/2 (ONNX HardSwish)."""
    gate = tpu.HardSigmoidOp(op.input, 1.0 / 6.0, 0.5)
    return [gate, tpu.MulOp(op.input, gate.output, op.output.type)]


def _lower_sigmoid(op: top.SigmoidOp, store: WeightStore) -> list[Operation]:
    return [tpu.SigmoidOp(op.input)]


def _lower_silu(op: top.SiLUOp, store: WeightStore) -> list[Operation]:
    """x * sigmoid(x) (canonicalize fuses ONNX's Mul(x, Sigmoid(x)) into top.silu)."""
    gate = tpu.SigmoidOp(op.input)
    return [gate, tpu.MulOp(op.input, gate.output, op.output.type)]


def _lower_exp(op: top.ExpOp, store: WeightStore) -> list[Operation]:
    return [tpu.ExpOp(op.input)]


def _nearest_upsample(op: top.ResizeOp) -> tpu.UpsampleOp | None:
    """`tpu.upsample` (a copy plan) when the resize repeats pixels by integer factors."""
    shape, scales = _shape(op.input), op.scales_values
    if op.mode.data != "nearest" or len(shape) != 4 or scales[:2] != (1.0, 1.0):
        return None
    factors = [int(s) for s in scales[2:]]
    if any(f != s for f, s in zip(factors, scales[2:], strict=True)):
        return None
    ctm, nearest = op.coordinate_transformation_mode.data, op.nearest_mode.data
    # with an integer factor f, output i must read input floor(i / f): "asymmetric" maps i to
    # i / f, which floor keeps, and round_prefer_floor too when f <= 2 (only halves occur)
    same = (ctm == "asymmetric" and nearest == "floor") or (
        ctm == "asymmetric" and nearest == "round_prefer_floor" and max(factors) <= 2
    )
    if not same and max(factors) > 1:
        return None
    return tpu.UpsampleOp(op.input, op.output.type, factors)


def _interpolation(op: top.ResizeOp, axis: int, in_len: int, out_len: int) -> np.ndarray:
    """(out_len, in_len): the weight of every input index in every output index along `axis`.

    It is the reference kernel applied to the identity, so the ONNX formulas (coordinate
    transformation, nearest rounding, linear and cubic weights, clamping at the borders,
    exclude_outside) have one definition in nntc.
    """
    return resize_axis(
        np.eye(in_len),
        0,
        out_len,
        op.scales_values[axis],
        (0.0, 1.0),
        mode=op.mode.data,
        transform=op.coordinate_transformation_mode.data,
        nearest_mode=op.nearest_mode.data,
        cubic_coeff_a=op.cubic_coeff_a.value.data,
        exclude_outside=int(op.exclude_outside.value.data),
        extrapolation_value=0.0,
    )


def _lower_resize(op: top.ResizeOp, store: WeightStore) -> list[Operation]:
    """Pixel repetition by integer factors is `tpu.upsample`; any other resize of H and W is
    separable, out = A_h . X . A_w^T per plane with constant interpolation matrices: a matmul
    by A_w^T over rows of W values, and a 1x1 conv by A_h over H taken as channels."""
    shape, out, scales = _shape(op.input), _shape(op.output), op.scales_values
    rank = len(shape)
    if rank < 2 or any(s != 1.0 for s in scales[:-2]) or shape[:-2] != out[:-2]:
        raise Unsupported(
            f"only resizes of the last two axes (H and W) are supported, got scales {list(scales)}"
        )
    if (upsample := _nearest_upsample(op)) is not None:
        return [upsample]
    (h, w), (oh, ow) = shape[-2:], out[-2:]
    planes = int(np.prod(shape[:-2]))
    a_h = _interpolation(op, rank - 2, h, oh)
    a_w = _interpolation(op, rank - 1, w, ow)
    do_h = a_h.shape != (h, h) or not np.array_equal(a_h, np.eye(h))
    do_w = a_w.shape != (w, w) or not np.array_equal(a_w, np.eye(w))
    new_ops: list[Operation] = []
    value: SSAValue = op.input

    def along_w(rows: int) -> None:
        nonlocal value
        wt = _new_weight(store, op, "resize_w", a_w.T)
        flat = tpu.ReshapeOp(value, _f32((rows, w)))
        mm = tpu.MatMulOp(flat.output, wt.output, None, _f32((rows, ow)))
        new_ops.extend([wt, flat, mm])
        value = mm.output

    def along_h(cols: int) -> None:
        nonlocal value
        wt = _new_weight(store, op, "resize_h", a_h.reshape(oh, h, 1, 1))
        planes_hc = tpu.ReshapeOp(value, _f32((planes, h, cols, 1)))
        conv = tpu.Conv2dOp(planes_hc.output, wt.output, None, _f32((planes, oh, cols, 1)))
        new_ops.extend([wt, planes_hc, conv])
        value = conv.output

    # the order with fewer multiply-adds: W first costs h*ow*(w + oh) per plane
    if not do_h or (do_w and h * ow * (w + oh) <= oh * w * (h + ow)):
        if do_w:
            along_w(planes * h)
        if do_h:
            along_h(ow)
    else:
        along_h(w)
        if do_w:
            along_w(planes * oh)
    return [*new_ops, tpu.ReshapeOp(value, op.output.type)]


def _weight_array(value: SSAValue, store: WeightStore, role: str) -> np.ndarray:
    if not isinstance(value.owner, top.WeightOp):
        raise Unsupported(f"a runtime (non-weight) {role} is not supported")
    return np.asarray(weight_value(value.owner, store), np.float32)


def _lower_deconv(op: top.DeconvOp, store: WeightStore) -> list[Operation]:
    shape = _shape(op.input)
    if len(shape) != 4:
        raise Unsupported(f"only 2-D transposed convolutions are supported, got rank {len(shape)}")
    strides, pads, dilations = op.strides_values, op.pads_values, op.dilations_values
    out_pad, group = op.output_padding_values, op.group_value
    kernel = _shape(op.filter)[2:]
    w = _weight_array(op.filter, store, "filter")  # (ic, oc / group, kh, kw)
    b = None if op.bias is None else _weight_array(op.bias, store, "bias").reshape(-1)
    do_relu, limit = _relu(op)
    simple = (
        tuple(kernel) == tuple(strides)
        and not any(pads)
        and all(d == 1 for d in dilations)
        and not any(out_pad)
        and group == 1
    )
    if simple:
        return _deconv_as_depth_to_space(op, store, w, b)
    # Otherwise: a stride-1 conv over the input with zeros inserted, which the conv command
    # does itself. Its pads, dilation * (k - 1) - pads, must fit the command's fields.
    for i, axis in enumerate("hw"):
        if strides[i] - 1 > CONV_MAX_INSERT:
            raise Unsupported(
                f"stride {strides[i]} along {axis} is above {CONV_MAX_INSERT + 1} (the most "
                "zeros the conv command inserts between pixels, plus one)"
            )
        reach = dilations[i] * (kernel[i] - 1)
        begin, end = reach - pads[i], reach - pads[i + 2] + out_pad[i]
        if min(begin, end) < 0 or max(begin, end) > CONV_MAX_PAD:
            raise Unsupported(
                f"pads {list(pads)} with kernel {list(kernel)}, dilations {list(dilations)} and "
                f"output_padding {list(out_pad)} need conv padding ({begin}, {end}) along "
                f"{axis}, outside [0, {CONV_MAX_PAD}]"
            )
    ic, ocg, kh, kw = w.shape
    icg = ic // group
    # per group: (icg, ocg, kh, kw) -> (ocg, icg, kh, kw), taps flipped
    conv_w = w.reshape(group, icg, ocg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    new_ops: list[Operation] = [
        wt := _new_weight(store, op, "deconv_filter", conv_w.reshape(group * ocg, icg, kh, kw))
    ]
    bias: SSAValue | None = None
    if b is not None:
        new_ops.append(wb := _new_weight(store, op, "deconv_bias", b))
        bias = wb.output
    deconv = tpu.Deconv2dOp(
        op.input,
        wt.output,
        bias,
        op.output.type,
        strides=strides,
        pads=pads,
        dilations=dilations,
        output_padding=out_pad,
        group=group,
        do_relu=do_relu,
        relu_limit=limit,
    )
    return [*new_ops, deconv]


def _deconv_as_depth_to_space(
    op: top.DeconvOp, store: WeightStore, w: np.ndarray, b: np.ndarray | None
) -> list[Operation]:
    """Kernel == stride, nothing else: cheaper than the zero-inserted conv (s*s fewer MACs).

    Non-overlapping windows: output pixel (s*i + a, s*j + b) is a 1x1 convolution of input
    pixel (i, j) with filter tap (a, b). One 1x1 conv computes every tap as its own group of
    output channels (DCR order) and depth_to_space interleaves them.
    """
    ic, oc, kh, kw = w.shape
    taps = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(kh * kw * oc, ic, 1, 1))
    new_ops: list[Operation] = [wt := _new_weight(store, op, "deconv_taps", taps)]
    bias: SSAValue | None = None
    if b is not None:
        new_ops.append(wb := _new_weight(store, op, "deconv_bias", np.tile(b, kh * kw)))
        bias = wb.output
    do_relu, limit = _relu(op)
    n, _, h, wd = _shape(op.input)
    conv = tpu.Conv2dOp(
        op.input,
        wt.output,
        bias,
        _f32((n, kh * kw * oc, h, wd)),
        strides=(1, 1),
        pads=(0, 0, 0, 0),
        dilations=(1, 1),
        group=1,
        do_relu=do_relu,
        relu_limit=limit,
    )
    return [*new_ops, conv, tpu.DepthToSpaceOp(conv.output, op.output.type, (kh, kw))]


# --- data movement, normalization, reductions and float functions (issue #6) ----------------


def _scalar_weight(store: WeightStore, origin: Operation, suffix: str, value: float, rank: int):
    """A one-element weight of `rank` dims (it broadcasts against any tensor of that rank)."""
    return _new_weight(store, origin, suffix, np.full((1,) * rank, value, np.float32))


def _lower_transpose(op: top.TransposeOp, store: WeightStore) -> list[Operation]:
    return [tpu.PermuteOp(op.input, op.output.type, op.perm_values)]


def _lower_slice(op: top.SliceOp, store: WeightStore) -> list[Operation]:
    if any(s < 0 for s in op.steps_values):
        raise Unsupported(f"negative steps {list(op.steps_values)} are not supported")
    return [tpu.SliceOp(op.input, op.output.type, op.starts_values, op.steps_values)]


def _lower_split(op: top.SplitOp, store: WeightStore) -> list[Operation]:
    """One slice per piece; the pass maps the op's results to the last len(split) ops."""
    shape = _shape(op.input)
    axis = _normalize_axis(op.axis_value, len(shape))
    pieces: list[Operation] = []
    start = 0
    for out in op.outputs:
        offsets = [start if d == axis else 0 for d in range(len(shape))]
        pieces.append(tpu.SliceOp(op.input, out.type, offsets, [1] * len(shape)))
        start += _shape(out)[axis]
    return pieces


def _lower_pad(op: top.PadOp, store: WeightStore) -> list[Operation]:
    """Pad one dim at a time: a concatenation of the border pieces (constant: a weight of the
    pad value; edge: the border element expanded; reflect: single-element slices) and the
    value."""
    shape = _shape(op.input)
    rank, pads = len(shape), op.pads_values
    new_ops: list[Operation] = []
    value: SSAValue = op.input
    for dim in range(rank):
        before, after = pads[dim], pads[dim + rank]
        if before < 0 or after < 0:
            raise Unsupported(f"negative pads {list(pads)} (cropping) are not supported")
        if before == after == 0:
            continue
        made, parts = _pad_parts(op, store, value, dim, before, after)
        out = list(_shape(value))
        out[dim] += before + after
        cat = tpu.ConcatOp(parts, _f32(out), dim)
        new_ops += [*made, cat]
        value = cat.output
    if not new_ops:
        return [tpu.ReshapeOp(op.input, op.output.type)]
    return new_ops


def _pad_parts(
    op: top.PadOp, store: WeightStore, value: SSAValue, dim: int, before: int, after: int
) -> tuple[list[Operation], list[SSAValue]]:
    """The ops that make the borders of `value` along `dim`, and the concatenation's inputs."""
    shape = _shape(value)
    mode, n = op.mode.data, shape[dim]
    new_ops: list[Operation] = []

    def element(index: int) -> SSAValue:
        offsets = [index if d == dim else 0 for d in range(len(shape))]
        one = tpu.SliceOp(value, _f32(shape[:dim] + (1,) + shape[dim + 1 :]), offsets,
                          [1] * len(shape))  # fmt: skip
        new_ops.append(one)
        return one.output

    def border(side: str, width: int) -> list[SSAValue]:
        if width == 0:
            return []
        wshape = shape[:dim] + (width,) + shape[dim + 1 :]
        if mode == "constant":
            w = _new_weight(store, op, f"pad_{side}", np.full(wshape, op.value_value, np.float32))
            new_ops.append(w)
            return [w.output]
        if mode == "edge":
            grown = tpu.ExpandOp(element(0 if side == "begin" else n - 1), _f32(wshape))
            new_ops.append(grown)
            return [grown.output]
        # reflect: the mirror image without the border element
        indices = range(width, 0, -1) if side == "begin" else range(n - 2, n - 2 - width, -1)
        return [element(i) for i in indices]

    return new_ops, [*border("begin", before), value, *border("end", after)]


def _pool_plane(value: SSAValue, k: int, r: int, pool: type[tpu.AvgPoolOp] | type[tpu.MaxPoolOp]):
    """Reduce the rows of `value` (k rows of r elements, row-major) to (1, k, 1, 1) by pooling:
    a (1, k, 1, r) window when a row fits local memory, else bands of rows of a 2-D plane
    first (as `_lower_global_pool`). Returns the ops and the 4-D view used for `value`."""
    if r * 4 <= GLOBAL_POOL_WHOLE_BYTES:
        h, w = 1, r
    else:
        w = max(d for d in range(1, r + 1) if r % d == 0 and d * 4 <= GLOBAL_POOL_BAND_BYTES)
        h = r // w
    new_ops: list[Operation] = []
    if value.type != _f32((1, k, h, w)):  # a layernorm's variance is already in that view
        new_ops.append(view := tpu.ReshapeOp(value, _f32((1, k, h, w))))
        value = view.output
    if h == 1:
        return [*new_ops, pool(value, _f32((1, k, 1, 1)), kernel_shape=(1, w))], value
    band = max(d for d in range(1, min(h, POOL_STRIDE_MAX) + 1) if h % d == 0)
    if (h // band) * 4 > GLOBAL_POOL_WHOLE_BYTES:
        raise Unsupported(f"a reduction over {r} elements is not supported")
    bands = pool(value, _f32((1, k, h // band, 1)), kernel_shape=(band, w), strides=(band, 1))
    last = pool(bands.output, _f32((1, k, 1, 1)), kernel_shape=(h // band, 1))
    return [*new_ops, bands, last], value


def _lower_reduce(op: top.ReduceOp, store: WeightStore) -> list[Operation]:
    """Move the reduced axes last (a permute unless they already are), then pool rows of
    their product; a sum is the mean times the count."""
    shape = _shape(op.input)
    rank = len(shape)
    axes = sorted({_normalize_axis(a, rank) for a in op.axes_values})
    kept = [d for d in range(rank) if d not in axes]
    k = int(np.prod([shape[d] for d in kept]))
    r = int(np.prod([shape[d] for d in axes]))
    new_ops: list[Operation] = []
    value: SSAValue = op.input
    if axes != list(range(rank - len(axes), rank)):
        order = kept + axes
        perm = tpu.PermuteOp(value, _f32([shape[d] for d in order]), order)
        new_ops.append(perm)
        value = perm.output
    pool = tpu.MaxPoolOp if isinstance(op, top.ReduceMaxOp) else tpu.AvgPoolOp
    pooled, _ = _pool_plane(value, k, r, pool)
    new_ops += pooled
    value = pooled[-1].results[0]
    if isinstance(op, top.ReduceSumOp):
        count = _scalar_weight(store, op, "reduce_count", float(r), 4)
        new_ops += [count, mul := tpu.MulOp(value, count.output, _f32((1, k, 1, 1)))]
        value = mul.output
    return [*new_ops, tpu.ReshapeOp(value, op.output.type)]


def _affine_operand(
    op: top.LayerNormOp, store: WeightStore, value: SSAValue, role: str, normalized: tuple
) -> tuple[list[Operation], SSAValue]:
    """Scale or bias as a (1, inner) operand for the (outer, inner) view."""
    inner = int(np.prod(normalized))
    if isinstance(value.owner, top.WeightOp):
        array = np.broadcast_to(_weight_array(value, store, role), normalized)
        w = _new_weight(store, op, f"ln_{role}", array.reshape(1, inner))
        return [w], w.output
    if _shape(value) != normalized:
        raise Unsupported(f"a runtime {role} that needs broadcasting is not supported")
    flat = tpu.ReshapeOp(value, _f32((1, inner)))
    return [flat], flat.output


def _lower_layernorm(op: top.LayerNormOp, store: WeightStore) -> list[Operation]:
    """(x - mean) * rsqrt(mean((x - mean)^2) + eps) over the rows of the normalized dims, by
    average pools and broadcast elementwise ops, then * scale + bias."""
    shape = _shape(op.input)
    axis = _normalize_axis(op.axis_value, len(shape))
    outer, inner = int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))
    new_ops, x4 = _pool_plane(op.input, outer, inner, tpu.AvgPoolOp)
    mean = new_ops[-1].results[0]
    view = x4.type
    row = _f32((1, outer, 1, 1))
    d = tpu.SubOp(x4, mean, view)
    sq = tpu.MulOp(d.output, d.output, view)
    new_ops += [d, sq]
    var_ops, _ = _pool_plane(sq.output, outer, inner, tpu.AvgPoolOp)
    eps = _scalar_weight(store, op, "ln_eps", op.epsilon_value, 4)
    ve = tpu.AddOp([var_ops[-1].results[0], eps.output], row)
    rs = tpu.RsqrtOp(ve.output)
    y = tpu.MulOp(d.output, rs.output, view)
    flat = tpu.ReshapeOp(y.output, _f32((outer, inner)))
    new_ops += [*var_ops, eps, ve, rs, y, flat]
    value: SSAValue = flat.output
    for role, operand, cls in (("scale", op.scale, tpu.MulOp), ("bias", op.bias, None)):
        if operand is None:
            continue
        made, v = _affine_operand(op, store, operand, role, tuple(shape[axis:]))
        step = (
            tpu.MulOp(value, v, _f32((outer, inner)))
            if cls is not None
            else tpu.AddOp([value, v], _f32((outer, inner)))
        )
        new_ops += [*made, step]
        value = step.output
    return [*new_ops, tpu.ReshapeOp(value, op.output.type)]


def _lower_leaky_relu(op: top.LeakyReluOp, store: WeightStore) -> list[Operation]:
    return [tpu.LeakyReluOp(op.input, op.alpha_value)]


def _lower_prelu(op: top.PReluOp, store: WeightStore) -> list[Operation]:
    """relu(x) + slope * (x - relu(x)): x - relu(x) is min(x, 0) exactly."""
    ty = op.output.type
    pos = tpu.ReluOp(op.input, None)
    neg = tpu.SubOp(op.input, pos.output, ty)
    scaled = tpu.MulOp(neg.output, op.slope, ty)
    return [pos, neg, scaled, tpu.AddOp([pos.output, scaled.output], ty)]


def _lower_function(op: Operation, store: WeightStore) -> list[Operation]:
    cls = {
        top.TanhOp: tpu.TanhOp,
        top.ErfOp: tpu.ErfOp,
        top.SqrtOp: tpu.SqrtOp,
        top.LogOp: tpu.LogOp,
    }[type(op)]
    return [cls(op.operands[0])]


GELU_TANH_CUBIC = 0.044715
"""The cubic coefficient of the tanh approximation of GELU (ONNX Gelu, approximate="tanh")."""


def _lower_gelu(op: top.GeluOp, store: WeightStore) -> list[Operation]:
    """Exact GELU is `tpu.gelu` (erf-based); the tanh form is built from its definition,
    x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))."""
    if op.approximate.data == "none":
        return [tpu.GeluOp(op.input)]
    x, ty, rank = op.input, op.output.type, len(_shape(op.input))
    c = _scalar_weight(store, op, "gelu_cubic", GELU_TANH_CUBIC, rank)
    k = _scalar_weight(store, op, "gelu_k", float(np.sqrt(2.0 / np.pi)), rank)
    one = _scalar_weight(store, op, "gelu_one", 1.0, rank)
    half = _scalar_weight(store, op, "gelu_half", 0.5, rank)
    x2 = tpu.MulOp(x, x, ty)
    x3 = tpu.MulOp(x2.output, x, ty)
    cx3 = tpu.MulOp(x3.output, c.output, ty)
    inner = tpu.AddOp([x, cx3.output], ty)
    arg = tpu.MulOp(inner.output, k.output, ty)
    th = tpu.TanhOp(arg.output)
    gate = tpu.AddOp([th.output, one.output], ty)
    hx = tpu.MulOp(x, half.output, ty)
    out = tpu.MulOp(hx.output, gate.output, ty)
    return [c, k, one, half, x2, x3, cx3, inner, arg, th, gate, hx, out]


POW_MAX_PRODUCT = 8
"""Integer exponents up to this are repeated products (exact signs for negative x)."""


def _lower_pow(op: top.PowOp, store: WeightStore) -> list[Operation]:
    """Integer exponents are products (and a reciprocal when negative), 0.5 and -0.5 sqrt and
    rsqrt, any other exponent `tpu.pow` = exp(p log x) (defined for x > 0, as in ONNX)."""
    p, x, ty = op.exponent_value, op.input, op.output.type
    if p == 0.5:
        return [tpu.SqrtOp(x)]
    if p == -0.5:
        return [tpu.RsqrtOp(x)]
    n = int(p)
    if n != p or not 1 <= abs(n) <= POW_MAX_PRODUCT:
        return [tpu.PowOp(x, p)]
    new_ops: list[Operation] = []
    value: SSAValue = x
    for _ in range(abs(n) - 1):
        new_ops.append(mul := tpu.MulOp(value, x, ty))
        value = mul.output
    if n < 0:
        one = _scalar_weight(store, op, "pow_one", 1.0, len(_shape(x)))
        new_ops += [one, tpu.DivOp(one.output, value, ty)]
    if not new_ops:
        new_ops.append(tpu.ReshapeOp(x, ty))
    return new_ops


def _lower_log_softmax(op: top.LogSoftmaxOp, store: WeightStore) -> list[Operation]:
    """log(softmax(x)): exact up to f32 rounding while softmax does not underflow (x - max
    above about -87)."""
    sm = tpu.SoftmaxOp(op.input, op.normalized_axis)
    return [sm, tpu.LogOp(sm.output)]


def _lower_expand(op: top.ExpandOp, store: WeightStore) -> list[Operation]:
    shape, out = _shape(op.input), _shape(op.output)
    new_ops: list[Operation] = []
    value: SSAValue = op.input
    if len(shape) < len(out):
        lifted = tpu.ReshapeOp(value, _f32((1,) * (len(out) - len(shape)) + shape))
        new_ops.append(lifted)
        value = lifted.output
    return [*new_ops, tpu.ExpandOp(value, op.output.type)]


def _lower_gather(op: top.GatherOp, store: WeightStore) -> list[Operation]:
    """Constant indices: one slice per run of indices with a constant positive step, their
    concatenation along the axis, and a reshape to the indices' shape."""
    shape = _shape(op.input)
    rank = len(shape)
    axis = _normalize_axis(op.axis_value, rank)
    size = shape[axis]
    indices = [i + size if i < 0 else i for i in op.indices_values]
    runs: list[tuple[int, int, int]] = []  # (start, step, count)
    for i in indices:
        if runs:
            start, step, count = runs[-1]
            if count == 1 and i > start:
                runs[-1] = (start, i - start, 2)
                continue
            if count > 1 and i == start + step * count:
                runs[-1] = (start, step, count + 1)
                continue
        runs.append((i, 1, 1))
    new_ops: list[Operation] = []
    parts: list[SSAValue] = []
    for start, step, count in runs:
        out = shape[:axis] + (count,) + shape[axis + 1 :]
        offsets = [start if d == axis else 0 for d in range(rank)]
        steps = [step if d == axis else 1 for d in range(rank)]
        new_ops.append(sl := tpu.SliceOp(op.input, _f32(out), offsets, steps))
        parts.append(sl.output)
    value = parts[0]
    if len(parts) > 1:
        cat_shape = shape[:axis] + (len(indices),) + shape[axis + 1 :]
        new_ops.append(cat := tpu.ConcatOp(parts, _f32(cat_shape), axis))
        value = cat.output
    return [*new_ops, tpu.ReshapeOp(value, op.output.type)]


def _lower_where(op: top.WhereOp, store: WeightStore) -> list[Operation]:
    """x * c + y * (1 - c) with the condition c as 1.0 / 0.0: exactly x or y (0 * y = 0 for
    finite y), by broadcasting elementwise ops."""
    c, x, y = op.condition, op.x, op.y
    one = _scalar_weight(store, op, "where_one", 1.0, len(_shape(c)))
    keep_x = tpu.MulOp(x, c, _f32(top.broadcast_shapes(_shape(x), _shape(c))))
    not_c = tpu.SubOp(one.output, c, c.type)
    keep_y = tpu.MulOp(y, not_c.output, _f32(top.broadcast_shapes(_shape(y), _shape(c))))
    out = tpu.AddOp([keep_x.output, keep_y.output], op.output.type)
    return [one, keep_x, not_c, keep_y, out]


# --- elementwise ops above rank 4 -----------------------------------------------------------
# The TIU's tensors are 4-D. An elementwise op of higher rank (a 3-D BatchNorm's per-channel
# mul/add, PReLU on 5-D, a Conv3d's bias add) runs on a view of at most 4 dims: adjacent dims
# merge where every operand is full in both or 1 in both (the broadcast stays a broadcast).

ELEMENTWISE_OPS: tuple[type[Operation], ...] = (
    tpu.AddOp,
    tpu.SubOp,
    tpu.MulOp,
    tpu.DivOp,
    tpu.ReluOp,
    tpu.ExpOp,
    tpu.SigmoidOp,
    tpu.HardSigmoidOp,
    tpu.TanhOp,
    tpu.ErfOp,
    tpu.GeluOp,
    tpu.SqrtOp,
    tpu.RsqrtOp,
    tpu.LogOp,
    tpu.LeakyReluOp,
    tpu.PowOp,
)
"""tpu ops computed per element (with NumPy broadcasting): any reshape of all operands and the
result that keeps the broadcast pattern computes the same."""

MAX_RANK = 4


def merged_dims(out: tuple[int, ...], operands: list[tuple[int, ...]]) -> list[list[int]] | None:
    """Groups of adjacent dims of `out` (size-1 dims left out) that merge into one dim each,
    at most `MAX_RANK` groups, or None when the broadcast pattern does not allow that.

    Operand shapes are right-aligned to `out` (NumPy broadcasting); dims merge innermost first
    and only as far as needed, so a channel dim stays a dim of its own where it can."""
    rank = len(out)
    aligned = [(1,) * (rank - len(s)) + tuple(s) for s in operands]
    groups = [[d] for d in range(rank) if out[d] != 1]
    pattern = {d: tuple(s[d] == out[d] for s in aligned) for d in range(rank)}
    while len(groups) > MAX_RANK:
        for i in range(len(groups) - 1, 0, -1):
            if pattern[groups[i - 1][-1]] == pattern[groups[i][0]]:
                groups[i - 1 : i + 1] = [groups[i - 1] + groups[i]]
                break
        else:
            return None
    return groups


def _fold_rank(module: ModuleOp, store: WeightStore) -> None:
    """Each elementwise tpu op above rank 4 whose dims merge (`merged_dims`) runs on views:
    a `tpu.reshape` of each runtime operand (a weight gets a reshaped copy), the op at the
    merged shape, a `tpu.reshape` back. An op whose dims do not merge is left for
    lower-to-bm1684x to reject."""
    weights: dict[tuple[SSAValue, tuple[int, ...]], top.WeightOp] = {}
    backs: list[tpu.ReshapeOp] = []
    for op in [o for o in module.walk() if isinstance(o, ELEMENTWISE_OPS)]:
        out_ty = op.results[0].type
        assert isinstance(out_ty, TensorType)
        out = tuple(out_ty.get_shape())
        if len(out) <= MAX_RANK:
            continue
        shapes = [_shape(v) for v in op.operands]
        groups = merged_dims(out, shapes)
        if groups is None:
            continue
        new_ops: list[Operation] = []
        operands: list[SSAValue] = []
        for value, shape in zip(op.operands, shapes, strict=True):
            aligned = (1,) * (len(out) - len(shape)) + shape
            view = tuple(int(np.prod([aligned[d] for d in g])) for g in groups) or (1,)
            ty = TensorType(value.type.get_element_type(), list(view))  # type: ignore[attr-defined]
            if isinstance(value.owner, top.WeightOp):
                key = (value, view)
                if key not in weights:
                    array = np.asarray(weight_value(value.owner, store))
                    weights[key] = _new_weight(store, op, "view", array.reshape(view))
                    new_ops.append(weights[key])
                operands.append(weights[key].output)
                continue
            if isinstance(value.owner, tpu.ReshapeOp) and value.owner.input.type == ty:
                # the previous folded op's view: no reshape back and forth
                operands.append(value.owner.input)
                continue
            new_ops.append(reshape := tpu.ReshapeOp(value, ty))
            operands.append(reshape.output)
        view = tuple(int(np.prod([out[d] for d in g])) for g in groups) or (1,)
        folded = type(op).create(
            operands=operands,
            result_types=[TensorType(out_ty.get_element_type(), list(view))],
            properties=dict(op.properties),
            attributes=dict(op.attributes),
        )
        new_ops += [folded, back := tpu.ReshapeOp(folded.results[0], out_ty)]
        backs.append(back)
        for new in new_ops:
            new.location = op.location
        Rewriter.replace_op(op, new_ops)
    for back in reversed(backs):
        if not back.output.uses:
            Rewriter.erase_op(back)


LOWERINGS: dict[type[Operation], Lowering] = {
    top.ConvOp: _lower_conv,  # type: ignore[dict-item]
    top.MatMulOp: _lower_matmul,  # type: ignore[dict-item]
    top.GemmOp: _lower_gemm,  # type: ignore[dict-item]
    top.AddOp: _lower_add,  # type: ignore[dict-item]
    top.SubOp: _lower_sub,  # type: ignore[dict-item]
    top.MulOp: _lower_mul,  # type: ignore[dict-item]
    top.ReluOp: _lower_relu,  # type: ignore[dict-item]
    top.ClipOp: _lower_clip,  # type: ignore[dict-item]
    top.MaxPoolOp: _lower_maxpool,  # type: ignore[dict-item]
    top.AvgPoolOp: _lower_avgpool,  # type: ignore[dict-item]
    top.GlobalAvgPoolOp: _lower_global_pool,  # type: ignore[dict-item]
    top.GlobalMaxPoolOp: _lower_global_pool,  # type: ignore[dict-item]
    top.ReshapeOp: _lower_reshape,  # type: ignore[dict-item]
    top.ConcatOp: _lower_concat,  # type: ignore[dict-item]
    top.SoftmaxOp: _lower_softmax,  # type: ignore[dict-item]
    top.DivOp: _lower_div,  # type: ignore[dict-item]
    top.BatchNormOp: _lower_batchnorm,  # type: ignore[dict-item]
    top.HardSigmoidOp: _lower_hardsigmoid,  # type: ignore[dict-item]
    top.HardSwishOp: _lower_hardswish,  # type: ignore[dict-item]
    top.SigmoidOp: _lower_sigmoid,  # type: ignore[dict-item]
    top.SiLUOp: _lower_silu,  # type: ignore[dict-item]
    top.ExpOp: _lower_exp,  # type: ignore[dict-item]
    top.ResizeOp: _lower_resize,  # type: ignore[dict-item]
    top.DeconvOp: _lower_deconv,  # type: ignore[dict-item]
    top.TransposeOp: _lower_transpose,  # type: ignore[dict-item]
    top.SliceOp: _lower_slice,  # type: ignore[dict-item]
    top.SplitOp: _lower_split,  # type: ignore[dict-item]
    top.PadOp: _lower_pad,  # type: ignore[dict-item]
    top.LayerNormOp: _lower_layernorm,  # type: ignore[dict-item]
    top.LeakyReluOp: _lower_leaky_relu,  # type: ignore[dict-item]
    top.PReluOp: _lower_prelu,  # type: ignore[dict-item]
    top.ReduceMeanOp: _lower_reduce,  # type: ignore[dict-item]
    top.ReduceSumOp: _lower_reduce,  # type: ignore[dict-item]
    top.ReduceMaxOp: _lower_reduce,  # type: ignore[dict-item]
    top.TanhOp: _lower_function,  # type: ignore[dict-item]
    top.ErfOp: _lower_function,  # type: ignore[dict-item]
    top.SqrtOp: _lower_function,  # type: ignore[dict-item]
    top.LogOp: _lower_function,  # type: ignore[dict-item]
    top.GeluOp: _lower_gelu,  # type: ignore[dict-item]
    top.PowOp: _lower_pow,  # type: ignore[dict-item]
    top.LogSoftmaxOp: _lower_log_softmax,  # type: ignore[dict-item]
    top.ExpandOp: _lower_expand,  # type: ignore[dict-item]
    top.GatherOp: _lower_gather,  # type: ignore[dict-item]
    top.WhereOp: _lower_where,  # type: ignore[dict-item]
}
"""The top ops this pass lowers; `top.input`, `top.identity` and `top.weight` are handled apart."""

_PASS_THROUGH = (top.InputOp, top.IdentityOp)


def _plan(module: ModuleOp, store: WeightStore) -> list[tuple[Operation, list[Operation]]]:
    """The replacement of every top op, or one DiagnosticException naming all failures."""
    plan: list[tuple[Operation, list[Operation]]] = []
    problems: list[str] = []
    for op in module.walk():
        if op.dialect_name() != "top" or isinstance(op, (top.WeightOp, *_PASS_THROUGH)):
            continue
        lower = LOWERINGS.get(type(op))
        try:
            if lower is None:
                raise Unsupported("no BM1684X lowering for this op yet")
            plan.append((op, lower(op, store)))
        except Unsupported as why:
            problems.append(f'  {op.name} at loc("{location_of(op)}"): {why}')
    if problems:
        raise DiagnosticException(
            f"{len(problems)} op(s) cannot be lowered to the BM1684X:\n" + "\n".join(problems)
        )
    return plan


@dataclass(frozen=True)
class LowerToTpuPass(ModulePass):
    """Lower every top op to tpu ops for `chip` in `mode`: f32 (float IR) or int8 (quant IR,
    the integer layers of the INT8 code generator; see `passes/lowering/int8_tpu.py`)."""

    name = "lower-to-tpu"

    chip: str = "bm1684x"
    mode: str = "f32"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.chip.lower() not in SUPPORTED_CHIPS:
            raise DiagnosticException(
                f"lower-to-tpu: unsupported chip '{self.chip}' (supported: "
                f"{', '.join(SUPPORTED_CHIPS)})"
            )
        if self.mode.lower() not in SUPPORTED_MODES:
            raise DiagnosticException(
                f"lower-to-tpu: unsupported mode '{self.mode}' (supported: "
                f"{', '.join(SUPPORTED_MODES)})"
            )
        if self.mode.lower() == "int8":
            from nntc.passes.lowering.int8_tpu import lower_quant_to_tpu

            for warning in lower_quant_to_tpu(op):
                print(f"warning: {warning}", file=sys.stderr)
            return
        store = weight_store_of(op)
        plan = _plan(op, store)
        for old in [o for o in op.walk() if isinstance(o, _PASS_THROUGH)]:
            old.results[0].replace_all_uses_with(old.operands[0])
            Rewriter.erase_op(old)
        for old, new_ops in plan:
            for new in new_ops:
                new.location = old.location
            # a multi-result op (split) is replaced by its last len(results) ops' results
            results = [o.results[0] for o in new_ops[-len(old.results) :]]
            Rewriter.replace_op(old, new_ops, results if len(results) > 1 else None)
        _fold_rank(op, store)
        _erase_dead_weights(op)
        _copy_returned_inputs(op)


def _copy_returned_inputs(module: ModuleOp) -> None:
    """A net output that is a net input (Identity, Dropout, a Flatten: `tpu.reshape`s alias
    their input) or a weight (a Constant) gets its own tensor by a whole-tensor `tpu.slice`, a
    DDR -> DDR copy: the bmodel's outputs are distinct buffers of the context region."""
    for ret in [o for o in module.walk() if isinstance(o, func.ReturnOp)]:
        for i, value in enumerate(ret.arguments):
            root = value
            while isinstance(root.owner, tpu.ReshapeOp):
                root = root.owner.input
            if not isinstance(root, BlockArgument) and not isinstance(root.owner, top.WeightOp):
                continue
            rank = len(_shape(value))
            copy = tpu.SliceOp(value, value.type, [0] * rank, [1] * rank)
            copy.location = ret.location
            Rewriter.insert_op(copy, InsertPoint.before(ret))
            ret.operands[i] = copy.output


def _erase_dead_weights(module: ModuleOp) -> None:
    for op in list(module.walk()):
        if isinstance(op, top.WeightOp) and not op.output.uses:
            op.detach()
            op.erase()


__all__ = ["LOWERINGS", "LowerToTpuPass", "location_of"]
