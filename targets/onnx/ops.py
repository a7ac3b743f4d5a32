"""ONNX node converters: one function per ONNX op type, each building `top` ops for one node.

A converter receives a `NodeContext` (the node, its opset, its inputs as runtime SSA values or
constant numpy arrays, and ways to emit ops) and returns one value per node output: an SSA value
for a runtime tensor, or a numpy array when the output is known at import time (`Shape` of a
static tensor). It raises `Unsupported` with a reason when the node uses something `top` cannot
express; the importer collects every such reason into one error. ONNX attribute semantics are
resolved here (auto_pad, Slice clamping, Resize sizes vs scales, opset differences), so the top
ops carry explicit, interpreter-ready properties. What a top op cannot express directly is
lowered to several: 1-D convolutions and pools run as 2-D ones of height 1, 3-D convolutions and
N-D or dilated pools as gathered windows (`_gather_windows`) and a matmul or reduction, Clip with
runtime bounds as relus, LayerNormalization's Mean/InvStdDev outputs as reductions.

Nodes whose inputs are all constants never reach these converters: the importer evaluates them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from onnx import NodeProto, TensorProto, helper
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, TensorType, f32, i64
from xdsl.ir import Operation, SSAValue

from nntc.dialects import top

Value = SSAValue | np.ndarray
"""A tensor during import: a runtime SSA value or a constant known at import time."""

FLOAT_TYPES = frozenset(
    {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}
)


class Unsupported(Exception):
    """The node cannot be imported; the message is the reason shown to the user."""


class NodeContext:
    """What a converter sees of one node, and how it emits top ops."""

    def __init__(
        self,
        node: NodeProto,
        opset: int,
        inputs: Sequence[Value | None],
        used_outputs: Sequence[bool],
        location: str,
        materialize: Callable[[str, np.ndarray], SSAValue],
        emit: Callable[[Operation], None],
        source_opset: int | None = None,
    ) -> None:
        self.node = node
        self.opset = opset
        # the opset the model was written in, before any version conversion (old semantics
        # that the converter does not rewrite, such as PRelu-6's per-channel slope, need it)
        self.source_opset = opset if source_opset is None else source_opset
        self.inputs = list(inputs)
        self.used_outputs = list(used_outputs)
        self.location = location
        self._materialize = materialize
        self._emit = emit
        self.attrs: dict[str, Any] = {
            a.name: _decode(helper.get_attribute_value(a)) for a in node.attribute
        }

    def attr(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def has_input(self, index: int) -> bool:
        return index < len(self.inputs) and self.inputs[index] is not None

    def is_const(self, index: int) -> bool:
        return isinstance(self.inputs[index], np.ndarray)

    def value(self, index: int) -> SSAValue:
        """Input `index` as an SSA value; a constant becomes a `top.weight` (made once)."""
        value = self.inputs[index]
        if value is None:
            raise Unsupported(f"input {index} is required")
        if isinstance(value, np.ndarray):
            return self._materialize(self.node.input[index], value)
        return value

    def const(self, index: int, what: str) -> np.ndarray:
        """Input `index`, which must be known at import time (`what` names it in the error)."""
        value = self.inputs[index] if index < len(self.inputs) else None
        if not isinstance(value, np.ndarray):
            raise Unsupported(f"{what} (input {index}) must be a constant")
        return value

    def opt_const(self, index: int, what: str) -> np.ndarray | None:
        """Like `const`, but an absent or empty input gives `None`."""
        if not self.has_input(index):
            return None
        value = self.const(index, what)
        return None if value.size == 0 else value

    def shape(self, index: int) -> tuple[int, ...]:
        value = self.inputs[index]
        if isinstance(value, np.ndarray):
            return tuple(value.shape)
        assert value is not None
        ty = value.type
        assert isinstance(ty, TensorType)
        return tuple(ty.get_shape())

    def emit(self, op: Operation) -> Operation:
        self._emit(op)
        return op

    def constant(self, name: str, array: np.ndarray) -> SSAValue:
        """A `top.weight` for an array the converter derives (a reshaped filter, a count map);
        `name` should extend the ONNX tensor or node name it comes from."""
        return self._materialize(name, array)

    def check_unused_outputs(self, first: int, what: str) -> None:
        """Outputs from `first` on are training-only or secondary; using one is unsupported."""
        for index in range(first, len(self.used_outputs)):
            if self.used_outputs[index]:
                raise Unsupported(f"output {index} ({what}) is used; only output 0 is supported")


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _ints(values: np.ndarray | Sequence[int]) -> list[int]:
    return [int(v) for v in np.asarray(values).reshape(-1)]


def _scalar(array: np.ndarray, what: str) -> float:
    if array.size != 1:
        raise Unsupported(f"{what} must be a scalar, got shape {list(array.shape)}")
    return float(array.reshape(-1)[0])


def _dense_i64(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """An i64 dense attribute straight from the array's bytes (`from_list` converts element by
    element: seconds for the index tables of long pooling windows)."""
    data = np.ascontiguousarray(array, dtype="<i8")
    return DenseIntOrFPElementsAttr(TensorType(i64, list(data.shape)), BytesAttr(data.tobytes()))


def _axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise Unsupported(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


# --- convolution and pooling ---------------------------------------------------------------------


def _explicit_pads(
    ctx: NodeContext,
    sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> list[int]:
    """ONNX `auto_pad` resolved to explicit [begins..., ends...] pads for conv and pooling."""
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    n = len(sizes)
    if auto_pad in ("NOTSET", ""):
        pads = _ints(ctx.attr("pads", [0] * 2 * n))
        if len(pads) != 2 * n:
            raise Unsupported(f"expected {2 * n} pads, got {len(pads)}")
        return pads
    if auto_pad == "VALID":
        return [0] * 2 * n
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise Unsupported(f"unknown auto_pad '{auto_pad}'")
    begins, ends = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations, strict=True):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(small if auto_pad == "SAME_UPPER" else big)
        ends.append(big if auto_pad == "SAME_UPPER" else small)
    return begins + ends


def _window(ctx: NodeContext, kernel: Sequence[int]) -> tuple[list[int], list[int]]:
    n = len(kernel)
    strides = _ints(ctx.attr("strides", [1] * n))
    dilations = _ints(ctx.attr("dilations", [1] * n))
    return strides, dilations


def _spatial_sizes(ctx: NodeContext, kind: str) -> tuple[int, ...]:
    """The spatial dims of input 0 (N, C, spatial...); any count from one on."""
    shape = ctx.shape(0)
    if len(shape) < 3:
        raise Unsupported(f"expected an (N, C, spatial...) input for {kind}, got rank {len(shape)}")
    return shape[2:]


def _reshaped(ctx: NodeContext, index: int, shape: Sequence[int], suffix: str) -> SSAValue:
    """Input `index` with a new shape: a constant becomes a new weight, a runtime tensor goes
    through `top.reshape` (located at the node's name plus `suffix`)."""
    value = ctx.inputs[index]
    if isinstance(value, np.ndarray):
        return ctx.constant(f"{ctx.node.input[index]}{suffix}", value.reshape(shape))
    op = top.ReshapeOp(ctx.value(index), list(shape), location=f"{ctx.location}{suffix}")
    return ctx.emit(op).results[0]


def _window_output_size(
    size: int, window: int, stride: int, pad_begin: int, pad_end: int, ceil_mode: bool
) -> int:
    """Output length of a sliding window, `window` already dilated (the rule `top` verifies)."""
    span = size + pad_begin + pad_end - window
    if span < 0:
        raise Unsupported(
            f"the window ({window}) is larger than the padded input ({size + pad_begin + pad_end})"
        )
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad_begin:
        out -= 1  # a window may not start in the end padding
    return out


def _gather_windows(
    ctx: NodeContext,
    x: SSAValue,
    sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    outs: Sequence[int],
) -> SSAValue:
    """(N, C, padded spatial...) -> (N, C, out_0, k_0, out_1, k_1, ...): every window's taps.

    One `top.gather` per spatial axis with the constant (out, k) index table `o * s + j * d`,
    so that N-D, dilated and ceil-mode windows become data movement plus a plain reduction or
    matrix product, all of which `top` has.
    """
    for i in reversed(range(len(sizes))):
        table = (
            np.arange(outs[i])[:, None] * strides[i] + np.arange(kernel[i])[None, :] * dilations[i]
        )
        op = top.GatherOp(
            x, indices=_dense_i64(table), axis=2 + i, location=f"{ctx.location}/taps{i}"
        )
        x = ctx.emit(op).results[0]
    return x


def _pad_spatial(
    ctx: NodeContext, x: SSAValue, begins: Sequence[int], ends: Sequence[int], value: float
) -> SSAValue:
    if not any(begins) and not any(ends):
        return x
    rank = 2 + len(begins)
    pads = [0, 0, *begins, 0, 0, *ends]
    assert len(pads) == 2 * rank
    op = top.PadOp(x, pads=pads, value=value, location=f"{ctx.location}/pad")
    return ctx.emit(op).results[0]


def _conv_1d(
    ctx: NodeContext,
    build: Callable[[SSAValue, SSAValue, SSAValue | None], Operation],
    out_channels: int,
) -> list[Value]:
    """A 1-D (de)convolution as the 2-D one of height 1: (N, C, L) -> (N, C, 1, L) and back.

    `build(x, w, bias)` makes the 2-D op from the lifted operands; the hardware
    lowering treats Conv1d the same way.
    """
    n, c, length = ctx.shape(0)
    w_shape = ctx.shape(1)
    x = ctx.emit(
        top.ReshapeOp(ctx.value(0), [n, c, 1, length], location=f"{ctx.location}/to_2d")
    ).results[0]
    w = _reshaped(ctx, 1, (*w_shape[:2], 1, w_shape[2]), "/2d")
    bias = ctx.value(2) if ctx.has_input(2) else None
    op = ctx.emit(build(x, w, bias))
    result = op.results[0].type
    assert isinstance(result, TensorType)
    out_len = result.get_shape()[-1]
    back = top.ReshapeOp(op.results[0], [n, out_channels, out_len], location=ctx.location)
    return [ctx.emit(back).results[0]]


def _conv_nd(
    ctx: NodeContext,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
    group: int,
) -> list[Value]:
    """An N-D convolution (3-D and up) as gathered windows times the filter (im2col + matmul).

    Spatial dims are gathered into (out, k) pairs, the window taps moved next to the channels
    and flattened, and each group's taps multiplied by its slice of the filter; the result is
    brought back to (N, OC, out...) and the bias added.
    """
    shape = ctx.shape(0)
    n, c, sizes = shape[0], shape[1], shape[2:]
    dims = len(sizes)
    oc, icg = ctx.shape(1)[:2]
    if icg * group != c or oc % group:
        raise Unsupported(
            f"filter {list(ctx.shape(1))} does not match {c} input channels in {group} group(s)"
        )
    begins, ends = pads[:dims], pads[dims:]
    outs = [
        _window_output_size(size, (k - 1) * d + 1, s, b, e, False)
        for size, k, s, d, b, e in zip(sizes, kernel, strides, dilations, begins, ends, strict=True)
    ]
    x = _pad_spatial(ctx, ctx.value(0), begins, ends, 0.0)
    taps = _gather_windows(ctx, x, sizes, kernel, strides, dilations, outs)
    # (N, C, o0, k0, o1, k1, ...) -> (N, o0, o1, ..., C, k0, k1, ...)
    perm = [0, *(2 + 2 * i for i in range(dims)), 1, *(3 + 2 * i for i in range(dims))]
    moved = ctx.emit(top.TransposeOp(taps, perm=perm, location=f"{ctx.location}/im2col"))
    positions = math.prod(outs)
    taps_per_group = icg * math.prod(kernel)
    ocg = oc // group
    rows = ctx.emit(
        top.ReshapeOp(
            moved.results[0],
            [n * positions, group, taps_per_group],
            location=f"{ctx.location}/rows",
        )
    ).results[0]
    rows = ctx.emit(
        top.TransposeOp(rows, perm=[1, 0, 2], location=f"{ctx.location}/by_group")
    ).results[0]
    # filter (OC, IC/g, k...) -> (g, IC/g * K, OC/g): one matrix per group
    filter_value = ctx.inputs[1]
    if isinstance(filter_value, np.ndarray):
        matrices = filter_value.reshape(group, ocg, taps_per_group).transpose(0, 2, 1)
        w = ctx.constant(f"{ctx.node.input[1]}/by_group", np.ascontiguousarray(matrices))
    else:
        flat = _reshaped(ctx, 1, (group, ocg, taps_per_group), "/by_group")
        w = ctx.emit(
            top.TransposeOp(flat, perm=[0, 2, 1], location=f"{ctx.location}/filter_t")
        ).results[0]
    product = ctx.emit(top.MatMulOp(rows, w, location=f"{ctx.location}/matmul")).results[0]
    # (g, N*P, OC/g) -> (N, P..., g, OC/g) -> (N, g*OC/g, P...)
    by_position = ctx.emit(
        top.TransposeOp(product, perm=[1, 0, 2], location=f"{ctx.location}/by_position")
    ).results[0]
    unflat = ctx.emit(
        top.ReshapeOp(by_position, [n, *outs, oc], location=f"{ctx.location}/unflatten")
    ).results[0]
    channels_first = top.TransposeOp(
        unflat,
        perm=[0, dims + 1, *range(1, dims + 1)],
        location=ctx.location if not ctx.has_input(2) else f"{ctx.location}/nc",
    )
    y = ctx.emit(channels_first).results[0]
    if ctx.has_input(2):
        bias = _reshaped(ctx, 2, (oc, *[1] * dims), "/bias")
        y = ctx.emit(top.AddOp([y, bias], location=ctx.location)).results[0]
    return [y]


def convert_conv(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_sizes(ctx, "a convolution")
    filter_shape = ctx.shape(1)
    kernel = filter_shape[2:]
    if len(filter_shape) != len(sizes) + 2:
        raise Unsupported(f"filter of rank {len(filter_shape)} for a rank-{len(sizes) + 2} input")
    if "kernel_shape" in ctx.attrs and tuple(_ints(ctx.attrs["kernel_shape"])) != kernel:
        raise Unsupported(
            f"kernel_shape {ctx.attrs['kernel_shape']} differs from the filter's {list(kernel)}"
        )
    strides, dilations = _window(ctx, kernel)
    pads = _explicit_pads(ctx, sizes, kernel, strides, dilations)
    group = int(ctx.attr("group", 1))
    if len(sizes) == 1:

        def build(x: SSAValue, w: SSAValue, b: SSAValue | None) -> Operation:
            return top.ConvOp(
                x,
                w,
                b,
                strides=[1, *strides],
                pads=[0, pads[0], 0, pads[1]],
                dilations=None if set(dilations) == {1} else [1, *dilations],
                group=group,
                location=f"{ctx.location}/2d",
            )

        return _conv_1d(ctx, build, filter_shape[0])
    if len(sizes) > 2:
        return _conv_nd(ctx, kernel, strides, dilations, pads, group)
    x, w = ctx.value(0), ctx.value(1)
    bias = ctx.value(2) if ctx.has_input(2) else None
    op = top.ConvOp(
        x,
        w,
        bias,
        strides=strides,
        pads=pads,
        dilations=None if set(dilations) == {1} else dilations,
        group=group,
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_conv_transpose(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_sizes(ctx, "a transposed convolution")
    if len(sizes) > 2:
        raise Unsupported(
            f"only 1-D and 2-D transposed convolutions are supported, got {len(sizes)}-D"
        )
    dims = len(sizes)
    kernel = ctx.shape(1)[2:]
    strides, dilations = _window(ctx, kernel)
    output_padding = _ints(ctx.attr("output_padding", [0] * dims))
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    output_shape = ctx.attr("output_shape")
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        # ONNX: the padding that makes the requested output size, split as the spec says
        if output_shape is not None:
            wanted = _ints(output_shape)[-dims:]
        else:
            wanted = [size * s for size, s in zip(sizes, strides, strict=True)]
        begins, ends = [], []
        for i, (size, k, s, d, out) in enumerate(
            zip(sizes, kernel, strides, dilations, wanted, strict=True)
        ):
            total = s * (size - 1) + output_padding[i] + (k - 1) * d + 1 - out
            small, big = total // 2, total - total // 2
            begin, end = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
            if end < 0 <= begin:
                # a negative end pad grows the output at the end: that is output_padding
                output_padding[i] -= end
                end = 0
            if begin < 0 or end < 0:
                raise Unsupported(f"output_shape {out} needs negative padding ({total})")
            begins.append(begin)
            ends.append(end)
        pads = begins + ends
    elif auto_pad == "VALID":
        pads = [0] * 2 * dims
    else:
        pads = _ints(ctx.attr("pads", [0] * 2 * dims))
    group = int(ctx.attr("group", 1))
    out_channels = ctx.shape(1)[1] * group
    if dims == 1:

        def build(x: SSAValue, w: SSAValue, b: SSAValue | None) -> Operation:
            return top.DeconvOp(
                x,
                w,
                b,
                strides=[1, *strides],
                pads=[0, pads[0], 0, pads[1]],
                dilations=None if set(dilations) == {1} else [1, *dilations],
                output_padding=None if set(output_padding) == {0} else [0, *output_padding],
                group=group,
                location=f"{ctx.location}/2d",
            )

        return _conv_1d(ctx, build, out_channels)
    x, w = ctx.value(0), ctx.value(1)
    bias = ctx.value(2) if ctx.has_input(2) else None
    op = top.DeconvOp(
        x,
        w,
        bias,
        strides=strides,
        pads=pads,
        dilations=None if set(dilations) == {1} else dilations,
        output_padding=None if set(output_padding) == {0} else output_padding,
        group=group,
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


_LOWEST_F32 = float(np.finfo(np.float32).min)
"""Max-pool padding: below every finite input, and finite, so the IR prints and parses it."""


def _pool_nd(
    ctx: NodeContext,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    pads: Sequence[int],
    ceil_mode: bool,
) -> list[Value]:
    """A pool that `top.maxpool`/`top.avgpool` cannot express (1-D, 3-D, dilated) as gathered
    windows and a reduction over the tap axes.

    The input is padded (lowest f32 for max, 0 for average) by the pads plus the overhang of
    ceil-mode windows; an average divides the window sums by the per-position count of taps that
    ONNX counts (inside the padded input with `count_include_pad`, inside the input without),
    a product of per-axis counts because windows are boxes.
    """
    shape = ctx.shape(0)
    sizes = shape[2:]
    dims = len(sizes)
    begins, ends = list(pads[:dims]), list(pads[dims:])
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilations, strict=True)]
    outs = [
        _window_output_size(size, span, s, b, e, ceil_mode)
        for size, span, s, b, e in zip(sizes, spans, strides, begins, ends, strict=True)
    ]
    overhang = [
        max(0, (o - 1) * s + span - (size + b + e))
        for o, s, span, size, b, e in zip(outs, strides, spans, sizes, begins, ends, strict=True)
    ]
    is_max = ctx.node.op_type == "MaxPool"
    padded_ends = [e + extra for e, extra in zip(ends, overhang, strict=True)]
    x = _pad_spatial(ctx, ctx.value(0), begins, padded_ends, _LOWEST_F32 if is_max else 0.0)
    taps = _gather_windows(ctx, x, sizes, kernel, strides, dilations, outs)
    tap_axes = [3 + 2 * i for i in range(dims)]
    if is_max:
        op = top.ReduceMaxOp(taps, axes=tap_axes, keepdims=False, location=ctx.location)
        return [ctx.emit(op).results[0]]
    total = ctx.emit(
        top.ReduceSumOp(taps, axes=tap_axes, keepdims=False, location=f"{ctx.location}/sum")
    ).results[0]
    include_pad = bool(ctx.attr("count_include_pad", 0))
    counts = np.ones([1, 1], dtype=np.float64)
    for size, k, s, d, b, e, o in zip(
        sizes, kernel, strides, dilations, begins, ends, outs, strict=True
    ):
        position = np.arange(o)[:, None] * s + np.arange(k)[None, :] * d  # in padded coordinates
        low, high = (0, size + b + e) if include_pad else (b, b + size)
        per_axis = ((position >= low) & (position < high)).sum(axis=1)
        counts = counts[..., None] * per_axis
    inverse = (1.0 / counts).astype(np.float32)
    scale = ctx.constant(f"{ctx.location}/inverse_count", inverse)
    return [ctx.emit(top.MulOp([total, scale], location=ctx.location)).results[0]]


def convert_pool(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_sizes(ctx, "pooling")
    kernel = _ints(ctx.attr("kernel_shape", []))
    if len(kernel) != len(sizes):
        raise Unsupported(f"expected {len(sizes)} kernel_shape values, got {kernel}")
    strides, dilations = _window(ctx, kernel)
    pads = _explicit_pads(ctx, sizes, kernel, strides, dilations)
    ceil_mode = bool(ctx.attr("ceil_mode", 0))
    if ctx.node.op_type == "MaxPool":
        ctx.check_unused_outputs(1, "Indices")
    if len(sizes) > 2 or set(dilations) != {1}:
        return _pool_nd(ctx, kernel, strides, dilations, pads, ceil_mode)
    x = ctx.value(0)
    location = ctx.location
    if len(sizes) == 1:
        # a 1-D pool is the 2-D one of height 1, as for convolutions
        n, c, length = ctx.shape(0)
        lift = top.ReshapeOp(x, [n, c, 1, length], location=f"{ctx.location}/to_2d")
        x = ctx.emit(lift).results[0]
        kernel, strides, pads = [1, *kernel], [1, *strides], [0, pads[0], 0, pads[1]]
        location = f"{ctx.location}/2d"
    if ctx.node.op_type == "MaxPool":
        op: Operation = top.MaxPoolOp(
            x,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            ceil_mode=ceil_mode,
            location=location,
        )
    else:
        op = top.AvgPoolOp(
            x,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            ceil_mode=ceil_mode,
            count_include_pad=bool(ctx.attr("count_include_pad", 0)),
            location=location,
        )
    y = ctx.emit(op).results[0]
    if len(sizes) == 1:
        out_shape = ctx.shape(0)[:2] + (y.type.get_shape()[-1],)  # type: ignore[attr-defined]
        y = ctx.emit(top.ReshapeOp(y, list(out_shape), location=ctx.location)).results[0]
    return [y]


def convert_global_pool(ctx: NodeContext) -> list[Value]:
    rank = len(ctx.shape(0))
    if rank < 3:
        raise Unsupported(f"expected an input of rank >= 3, got rank {rank}")
    cls = top.GlobalAvgPoolOp if ctx.node.op_type == "GlobalAveragePool" else top.GlobalMaxPoolOp
    return [ctx.emit(cls(ctx.value(0), location=ctx.location)).results[0]]


# --- normalization -------------------------------------------------------------------------------


def convert_batchnorm(ctx: NodeContext) -> list[Value]:
    if ctx.attr("training_mode", 0):
        raise Unsupported("training_mode = 1 is not supported (inference only)")
    if not ctx.attr("spatial", 1):
        raise Unsupported("spatial = 0 (per-element statistics) is not supported")
    ctx.check_unused_outputs(1, "running statistics")
    op = top.BatchNormOp(
        *(ctx.value(i) for i in range(5)),
        epsilon=float(ctx.attr("epsilon", 1e-5)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_layernorm(ctx: NodeContext) -> list[Value]:
    x, scale = ctx.value(0), ctx.value(1)
    shape = ctx.shape(0)
    axis = _axis(int(ctx.attr("axis", -1)), len(shape))
    epsilon = float(ctx.attr("epsilon", 1e-5))
    op = top.LayerNormOp(
        x,
        scale,
        ctx.value(2) if ctx.has_input(2) else None,
        axis=axis,
        epsilon=epsilon,
        location=ctx.location,
    )
    results: list[Value | None] = [ctx.emit(op).results[0]]
    wants = [index < len(ctx.used_outputs) and ctx.used_outputs[index] for index in (1, 2)]
    if any(wants):
        # Mean and InvStdDev (training outputs, shape [dims before axis] + [1...]) are computed
        # beside the fused op, from the same formula, only when the graph reads them
        axes = list(range(axis, len(shape)))
        mean = ctx.emit(top.ReduceMeanOp(x, axes=axes, location=f"{ctx.location}/mean"))
        results.append(mean.results[0] if wants[0] else None)
        if wants[1]:
            centred = ctx.emit(
                top.SubOp(x, mean.results[0], location=f"{ctx.location}/centred")
            ).results[0]
            square = ctx.emit(
                top.MulOp([centred, centred], location=f"{ctx.location}/square")
            ).results[0]
            variance = ctx.emit(
                top.ReduceMeanOp(square, axes=axes, location=f"{ctx.location}/variance")
            ).results[0]
            eps = ctx.constant(f"{ctx.location}/epsilon", np.full([1], epsilon, np.float32))
            shifted = ctx.emit(
                top.AddOp([variance, eps], location=f"{ctx.location}/variance_eps")
            ).results[0]
            std = ctx.emit(top.SqrtOp(shifted, location=f"{ctx.location}/std")).results[0]
            one = ctx.constant(f"{ctx.location}/one", np.ones([1], np.float32))
            inverse = top.DivOp(one, std, location=f"{ctx.location}/inv_std_dev")
            results.append(ctx.emit(inverse).results[0])
    return results  # type: ignore[return-value]


def convert_softmax(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    rank = len(shape)
    cls = top.SoftmaxOp if ctx.node.op_type == "Softmax" else top.LogSoftmaxOp
    if ctx.opset >= 13:
        return [
            ctx.emit(
                cls(ctx.value(0), axis=int(ctx.attr("axis", -1)), location=ctx.location)
            ).results[0]
        ]
    # before opset 13 the input is coerced to 2-D at `axis`, normalized over the trailing block
    axis = _axis(int(ctx.attr("axis", 1)), rank)
    if axis == rank - 1:
        return [ctx.emit(cls(ctx.value(0), axis=-1, location=ctx.location)).results[0]]
    flat = (math.prod(shape[:axis]), math.prod(shape[axis:]))
    reshape_in = ctx.emit(top.ReshapeOp(ctx.value(0), flat, location=f"{ctx.location}/coerce_2d"))
    softmax = ctx.emit(cls(reshape_in.results[0], axis=-1, location=ctx.location))
    reshape_out = top.ReshapeOp(softmax.results[0], shape, location=f"{ctx.location}/restore")
    return [ctx.emit(reshape_out).results[0]]


# --- elementwise ---------------------------------------------------------------------------------


def convert_binary(ctx: NodeContext) -> list[Value]:
    lhs, rhs = ctx.value(0), ctx.value(1)
    kind = ctx.node.op_type
    if kind == "Add":
        op: Operation = top.AddOp([lhs, rhs], location=ctx.location)
    elif kind == "Mul":
        op = top.MulOp([lhs, rhs], location=ctx.location)
    elif kind == "Sub":
        op = top.SubOp(lhs, rhs, location=ctx.location)
    else:
        op = top.DivOp(lhs, rhs, location=ctx.location)
    return [ctx.emit(op).results[0]]


_SIMPLE_UNARY: dict[str, type[top.UnaryOp]] = {
    "Sigmoid": top.SigmoidOp,
    "Tanh": top.TanhOp,
    "Erf": top.ErfOp,
    "Exp": top.ExpOp,
    "Log": top.LogOp,
    "Sqrt": top.SqrtOp,
    "HardSwish": top.HardSwishOp,
}


def convert_unary(ctx: NodeContext) -> list[Value]:
    op = _SIMPLE_UNARY[ctx.node.op_type](ctx.value(0), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_relu(ctx: NodeContext) -> list[Value]:
    return [ctx.emit(top.ReluOp(ctx.value(0), location=ctx.location)).results[0]]


def convert_leaky_relu(ctx: NodeContext) -> list[Value]:
    op = top.LeakyReluOp(ctx.value(0), alpha=float(ctx.attr("alpha", 0.01)), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_prelu(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    slope_shape = ctx.shape(1)
    if ctx.source_opset < 7 and len(slope_shape) == 1 and len(shape) >= 3:
        # PRelu-1/6 (old PyTorch exports) applied a 1-D slope per channel, before ONNX adopted
        # numpy broadcasting; the version converter keeps the shape, so align it with dim 1
        if slope_shape[0] in (1, shape[1]):
            slope = _reshaped(ctx, 1, (slope_shape[0], *[1] * (len(shape) - 2)), "/per_channel")
            op = top.PReluOp(ctx.value(0), slope, location=ctx.location)
            return [ctx.emit(op).results[0]]
    op = top.PReluOp(ctx.value(0), ctx.value(1), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_hard_sigmoid(ctx: NodeContext) -> list[Value]:
    op = top.HardSigmoidOp(
        ctx.value(0),
        alpha=float(ctx.attr("alpha", 0.2)),
        beta=float(ctx.attr("beta", 0.5)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_gelu(ctx: NodeContext) -> list[Value]:
    op = top.GeluOp(
        ctx.value(0), approximate=ctx.attr("approximate", "none"), location=ctx.location
    )
    return [ctx.emit(op).results[0]]


_FLOAT_LIMIT = 3.0e38  # beyond this an attribute bound (default +-FLT_MAX) is no bound


def convert_clip(ctx: NodeContext) -> list[Value]:
    low: float | SSAValue | None
    high: float | SSAValue | None
    if ctx.opset >= 11:
        bounds: list[float | SSAValue | None] = []
        for index, what in ((1, "min"), (2, "max")):
            if not ctx.has_input(index):
                bounds.append(None)
            elif ctx.is_const(index):
                array = ctx.opt_const(index, what)
                bounds.append(None if array is None else _scalar(array, what))
            elif ctx.shape(index) not in ((), (1,)):
                raise Unsupported(f"{what} must be a scalar, got shape {list(ctx.shape(index))}")
            else:
                bounds.append(ctx.value(index))
        low, high = bounds
    else:
        low = float(ctx.attr("min", -math.inf))
        high = float(ctx.attr("max", math.inf))
    if isinstance(low, float) and low <= -_FLOAT_LIMIT:
        low = None
    if isinstance(high, float) and high >= _FLOAT_LIMIT:
        high = None
    if not isinstance(low, SSAValue) and not isinstance(high, SSAValue):
        op = top.ClipOp(ctx.value(0), min=low, max=high, location=ctx.location)
        return [ctx.emit(op).results[0]]
    # Runtime bounds: max(x, lo) = lo + relu(x - lo), then min(y, hi) = hi - relu(hi - y), in
    # ONNX's order (so min > max gives max everywhere). Both are exact up to one rounding.
    y = ctx.value(0)
    if isinstance(low, SSAValue):
        above = ctx.emit(top.SubOp(y, low, do_relu=True, location=f"{ctx.location}/above_min"))
        last = high is None
        lifted = top.AddOp(
            [low, above.results[0]], location=ctx.location if last else f"{ctx.location}/max"
        )
        y = ctx.emit(lifted).results[0]
    elif low is not None:
        y = ctx.emit(top.ClipOp(y, min=low, location=f"{ctx.location}/max")).results[0]
    if isinstance(high, SSAValue):
        below = ctx.emit(top.SubOp(high, y, do_relu=True, location=f"{ctx.location}/below_max"))
        y = ctx.emit(top.SubOp(high, below.results[0], location=ctx.location)).results[0]
    elif high is not None:
        y = ctx.emit(top.ClipOp(y, max=high, location=ctx.location)).results[0]
    return [y]


def convert_pow(ctx: NodeContext) -> list[Value]:
    exponent = ctx.const(1, "the exponent")
    values = np.unique(exponent.astype(np.float64))
    if values.size != 1:
        raise Unsupported(
            f"the exponent must be one value, got a tensor of shape {list(exponent.shape)} "
            f"with {values.size} distinct values"
        )
    base = ctx.value(0)
    result_shape = np.broadcast_shapes(ctx.shape(0), exponent.shape)
    if tuple(result_shape) != ctx.shape(0):
        raise Unsupported(f"the exponent of shape {list(exponent.shape)} enlarges the result")
    op = top.PowOp(base, exponent=float(values[0]), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_identity_like(ctx: NodeContext) -> list[Value]:
    """Identity, inference Dropout, and Cast between float types (top values are all f32)."""
    kind = ctx.node.op_type
    if kind == "Dropout":
        ctx.check_unused_outputs(1, "mask")
        if ctx.has_input(2) and bool(_scalar(ctx.const(2, "training_mode"), "training_mode")):
            raise Unsupported("training_mode = true is not supported (inference only)")
    if kind == "Cast":
        to = int(ctx.attr("to", TensorProto.FLOAT))
        if to not in FLOAT_TYPES:
            raise Unsupported(
                f"cast of a runtime tensor to {TensorProto.DataType.Name(to)}: top carries "
                "float32 tensors only"
            )
    op = top.IdentityOp(ctx.value(0), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_where(ctx: NodeContext) -> list[Value]:
    op = top.WhereOp(ctx.value(0), ctx.value(1), ctx.value(2), location=ctx.location)
    return [ctx.emit(op).results[0]]


# --- matrix products -----------------------------------------------------------------------------


def convert_matmul(ctx: NodeContext) -> list[Value]:
    op = top.MatMulOp(ctx.value(0), ctx.value(1), location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_gemm(ctx: NodeContext) -> list[Value]:
    a, b = ctx.value(0), ctx.value(1)
    op = top.GemmOp(
        a,
        b,
        ctx.value(2) if ctx.has_input(2) else None,
        alpha=float(ctx.attr("alpha", 1.0)),
        beta=float(ctx.attr("beta", 1.0)),
        trans_a=bool(ctx.attr("transA", 0)),
        trans_b=bool(ctx.attr("transB", 0)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


# --- shapes and data movement --------------------------------------------------------------------


def _reshape(ctx: NodeContext, shape: Sequence[int]) -> list[Value]:
    return [ctx.emit(top.ReshapeOp(ctx.value(0), list(shape), location=ctx.location)).results[0]]


def convert_reshape(ctx: NodeContext) -> list[Value]:
    source = ctx.shape(0)
    requested = _ints(ctx.const(1, "the target shape"))
    allow_zero = bool(ctx.attr("allowzero", 0))
    shape = [
        source[i] if d == 0 and not allow_zero and i < len(source) else d
        for i, d in enumerate(requested)
    ]
    if shape.count(-1) > 1:
        raise Unsupported(f"target shape {requested} has more than one -1")
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        total = math.prod(source)
        if known == 0 or total % known:
            raise Unsupported(f"cannot reshape {list(source)} to {requested}")
        shape[shape.index(-1)] = total // known
    if math.prod(shape) != math.prod(source):
        raise Unsupported(f"cannot reshape {list(source)} to {requested}")
    return _reshape(ctx, shape)


def convert_flatten(ctx: NodeContext) -> list[Value]:
    source = ctx.shape(0)
    axis = int(ctx.attr("axis", 1))
    if not -len(source) <= axis <= len(source):
        raise Unsupported(f"axis {axis} is out of range for rank {len(source)}")
    if axis < 0:
        axis += len(source)
    return _reshape(ctx, [math.prod(source[:axis]), math.prod(source[axis:])])


def _axes(ctx: NodeContext, attr_before: int, what: str = "axes") -> list[int] | None:
    """Axes given as an attribute (opsets before `attr_before`) or as input 1 (from then on)."""
    if ctx.opset < attr_before:
        axes = ctx.attr("axes")
        return None if axes is None else _ints(axes)
    array = ctx.opt_const(1, what)
    return None if array is None else _ints(array)


def convert_squeeze(ctx: NodeContext) -> list[Value]:
    source = ctx.shape(0)
    axes = _axes(ctx, 13)
    if axes is None:
        keep = [d for d in source if d != 1]
    else:
        drop = {_axis(a, len(source)) for a in axes}
        for a in drop:
            if source[a] != 1:
                raise Unsupported(f"cannot squeeze dimension {a} of size {source[a]}")
        keep = [d for i, d in enumerate(source) if i not in drop]
    return _reshape(ctx, keep)


def convert_unsqueeze(ctx: NodeContext) -> list[Value]:
    source = ctx.shape(0)
    axes = _axes(ctx, 13)
    if not axes:
        raise Unsupported("axes are required")
    rank = len(source) + len(axes)
    inserted = sorted(_axis(a, rank) for a in axes)
    shape = list(source)
    for a in inserted:
        shape.insert(a, 1)
    return _reshape(ctx, shape)


def convert_transpose(ctx: NodeContext) -> list[Value]:
    rank = len(ctx.shape(0))
    perm = _ints(ctx.attr("perm", list(reversed(range(rank)))))
    return [ctx.emit(top.TransposeOp(ctx.value(0), perm=perm, location=ctx.location)).results[0]]


def convert_concat(ctx: NodeContext) -> list[Value]:
    present = [i for i in range(len(ctx.inputs)) if ctx.has_input(i)]
    # PyTorch exports sometimes concatenate empty constants; they contribute nothing
    kept = [i for i in present if not (ctx.is_const(i) and ctx.const(i, "input").size == 0)]
    values = [ctx.value(i) for i in kept or present]
    axis = int(ctx.attr("axis", 0))
    if len(values) == 1:
        return [ctx.emit(top.IdentityOp(values[0], location=ctx.location)).results[0]]
    return [ctx.emit(top.ConcatOp(values, axis=axis, location=ctx.location)).results[0]]


def convert_split(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    axis = _axis(int(ctx.attr("axis", 0)), len(shape))
    count = len(ctx.node.output)
    if ctx.opset >= 13:
        split_array = ctx.opt_const(1, "split")
        split = None if split_array is None else _ints(split_array)
    else:
        split = ctx.attr("split")
    if split is None:
        parts = int(ctx.attr("num_outputs", count))
        size = shape[axis]
        if ctx.opset >= 18 and "num_outputs" in ctx.attrs:
            chunk = -(-size // parts)
            split = [min(chunk, size - i * chunk) for i in range(parts)]
        elif size % parts:
            raise Unsupported(f"dimension {axis} ({size}) does not split into {parts} equal parts")
        else:
            split = [size // parts] * parts
    sizes = _ints(split)
    if any(size < 0 for size in sizes):
        raise Unsupported(f"negative split sizes {sizes}")
    kept = [size for size in sizes if size > 0]
    if len(kept) == 1:
        pieces: list[Value] = [
            ctx.emit(top.IdentityOp(ctx.value(0), location=ctx.location)).results[0]
        ]
    else:
        op = top.SplitOp(ctx.value(0), axis=axis, split=kept, location=ctx.location)
        pieces = list(ctx.emit(op).results)
    # empty pieces (exporters split off zero-width remainders) are empty constants, which
    # Concat drops
    results: list[Value] = []
    for size in sizes:
        if size:
            results.append(pieces.pop(0))
        else:
            empty = list(shape)
            empty[axis] = 0
            results.append(np.zeros(empty, dtype=np.float32))
    return results


def convert_slice(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    rank = len(shape)
    if ctx.opset >= 10:
        starts = _ints(ctx.const(1, "starts"))
        ends = _ints(ctx.const(2, "ends"))
        axes_array = ctx.opt_const(3, "axes")
        steps_array = ctx.opt_const(4, "steps")
        axes = list(range(len(starts))) if axes_array is None else _ints(axes_array)
        steps = [1] * len(starts) if steps_array is None else _ints(steps_array)
    else:
        starts = _ints(ctx.attr("starts", []))
        ends = _ints(ctx.attr("ends", []))
        axes = _ints(ctx.attr("axes", list(range(len(starts)))))
        steps = [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise Unsupported("starts, ends, axes and steps differ in length")
    begin = [0] * rank
    step = [1] * rank
    sizes = list(shape)
    for start, end, axis, stride in zip(starts, ends, axes, steps, strict=True):
        axis = _axis(axis, rank)
        if stride == 0:
            raise Unsupported(f"step 0 along axis {axis}")
        # range slicing applies exactly ONNX's clamping rules, huge sentinels included
        picked = range(shape[axis])[slice(start, end, stride)]
        if len(picked) == 0:
            raise Unsupported(f"the slice along axis {axis} is empty")
        begin[axis], step[axis], sizes[axis] = picked.start, stride, len(picked)
    op = top.SliceOp(ctx.value(0), starts=begin, steps=step, sizes=sizes, location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_pad(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    rank = len(shape)
    mode = ctx.attr("mode", "constant")
    if mode not in top.PAD_MODES:
        raise Unsupported(f"mode '{mode}' is not supported (constant, reflect, edge)")
    if ctx.opset >= 11:
        pads = _ints(ctx.const(1, "pads"))
        value_array = ctx.opt_const(2, "constant_value")
        value = 0.0 if value_array is None else _scalar(value_array, "constant_value")
        axes_array = ctx.opt_const(3, "axes")
    else:
        pads = _ints(ctx.attr("pads", []))
        value = float(ctx.attr("value", 0.0))
        axes_array = None
    axes = list(range(rank)) if axes_array is None else [_axis(a, rank) for a in _ints(axes_array)]
    if len(pads) != 2 * len(axes):
        raise Unsupported(f"expected {2 * len(axes)} pads, got {len(pads)}")
    full = [0] * (2 * rank)
    for i, axis in enumerate(axes):
        full[axis], full[axis + rank] = pads[i], pads[i + len(axes)]
    if any(p < 0 for p in full):
        raise Unsupported(f"negative pads (cropping) are not supported, got {pads}")
    op = top.PadOp(ctx.value(0), pads=full, mode=mode, value=value, location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_expand(ctx: NodeContext) -> list[Value]:
    shape = _ints(ctx.const(1, "the shape"))
    op = top.ExpandOp(ctx.value(0), shape, location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_gather(ctx: NodeContext) -> list[Value]:
    indices = ctx.const(1, "indices")
    op = top.GatherOp(
        ctx.value(0),
        indices=_dense_i64(indices),
        axis=int(ctx.attr("axis", 0)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_shape(ctx: NodeContext) -> list[Value]:
    shape = np.array(ctx.shape(0), dtype=np.int64)
    if ctx.node.op_type == "Size":
        return [np.array(int(np.prod(shape)), dtype=np.int64)]
    rank = len(shape)
    start = int(ctx.attr("start", 0))
    end = ctx.attr("end")
    return [shape[slice(start, rank if end is None else int(end))]]


def convert_reduce(ctx: NodeContext) -> list[Value]:
    kind = ctx.node.op_type
    shape = ctx.shape(0)
    axes = _axes(ctx, 13 if kind == "ReduceSum" else 18)
    keepdims = bool(ctx.attr("keepdims", 1))
    if not axes:
        if ctx.attr("noop_with_empty_axes", 0):
            return [ctx.emit(top.IdentityOp(ctx.value(0), location=ctx.location)).results[0]]
        axes = list(range(len(shape)))
    cls = {"ReduceMean": top.ReduceMeanOp, "ReduceSum": top.ReduceSumOp}.get(kind, top.ReduceMaxOp)
    axes = sorted(_axis(a, len(shape)) for a in axes)
    op = cls(ctx.value(0), axes=axes, keepdims=keepdims, location=ctx.location)
    return [ctx.emit(op).results[0]]


def convert_resize(ctx: NodeContext) -> list[Value]:
    shape = ctx.shape(0)
    rank = len(shape)
    kind = ctx.node.op_type
    mode = ctx.attr("mode", "nearest")
    if mode == "bilinear":  # Upsample-7 spelling
        mode = "linear"
    if mode not in top.RESIZE_MODES:
        raise Unsupported(f"mode '{mode}' is not supported (nearest, linear, cubic)")
    if kind == "Upsample" or ctx.opset < 11:
        # Upsample and Resize-10 index as floor(out / scale): asymmetric coordinates
        transform, nearest = "asymmetric", "floor"
        if kind == "Upsample" and ctx.opset < 9:
            scales_given: np.ndarray | None = np.array(ctx.attr("scales", []), dtype=np.float64)
        else:
            scales_given = ctx.const(1, "scales")
        sizes_given = None
    else:
        transform = ctx.attr("coordinate_transformation_mode", "half_pixel")
        nearest = ctx.attr("nearest_mode", "round_prefer_floor")
        scales_given = ctx.opt_const(2, "scales")
        sizes_given = ctx.opt_const(3, "sizes")
    if transform == "tf_crop_and_resize":
        raise Unsupported("coordinate_transformation_mode 'tf_crop_and_resize' is not supported")
    if ctx.attr("antialias", 0):
        raise Unsupported("antialias = 1 is not supported")
    axes = [_axis(a, rank) for a in _ints(ctx.attr("axes", list(range(rank))))]
    scales = [1.0] * rank
    out = list(shape)
    if sizes_given is not None:
        sizes = _ints(sizes_given)
        if len(sizes) != len(axes):
            raise Unsupported(f"expected {len(axes)} sizes, got {len(sizes)}")
        policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
        ratios = [s / shape[a] for s, a in zip(sizes, axes, strict=True)]
        if policy != "stretch":
            ratio = min(ratios) if policy == "not_larger" else max(ratios)
            for a in axes:
                scales[a], out[a] = ratio, round(shape[a] * ratio)
        else:
            for a, size, ratio in zip(axes, sizes, ratios, strict=True):
                scales[a], out[a] = ratio, size
    elif scales_given is not None:
        values = [float(v) for v in np.asarray(scales_given).reshape(-1)]
        if len(values) != len(axes):
            raise Unsupported(f"expected {len(axes)} scales, got {len(values)}")
        for a, scale in zip(axes, values, strict=True):
            scales[a], out[a] = scale, top.resize_output_size(shape[a], scale)
    else:
        raise Unsupported("neither scales nor sizes is given")
    if any(d < 1 for d in out):
        raise Unsupported(f"the output shape {out} has an empty dimension")
    op = top.ResizeOp(
        ctx.value(0),
        mode=mode,
        scales=scales,
        coordinate_transformation_mode=transform,
        nearest_mode=nearest,
        cubic_coeff_a=float(ctx.attr("cubic_coeff_a", -0.75)),
        exclude_outside=bool(ctx.attr("exclude_outside", 0)),
        result_type=TensorType(f32, out),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


Converter = Callable[[NodeContext], list[Value]]

CONVERTERS: dict[str, Converter] = {
    "Conv": convert_conv,
    "ConvTranspose": convert_conv_transpose,
    "MaxPool": convert_pool,
    "AveragePool": convert_pool,
    "GlobalAveragePool": convert_global_pool,
    "GlobalMaxPool": convert_global_pool,
    "BatchNormalization": convert_batchnorm,
    "LayerNormalization": convert_layernorm,
    "Softmax": convert_softmax,
    "LogSoftmax": convert_softmax,
    "Add": convert_binary,
    "Sub": convert_binary,
    "Mul": convert_binary,
    "Div": convert_binary,
    "Relu": convert_relu,
    "LeakyRelu": convert_leaky_relu,
    "PRelu": convert_prelu,
    "HardSigmoid": convert_hard_sigmoid,
    "Gelu": convert_gelu,
    "Clip": convert_clip,
    "Pow": convert_pow,
    "Identity": convert_identity_like,
    "Dropout": convert_identity_like,
    "Cast": convert_identity_like,
    "Where": convert_where,
    "MatMul": convert_matmul,
    "Gemm": convert_gemm,
    "Reshape": convert_reshape,
    "Flatten": convert_flatten,
    "Squeeze": convert_squeeze,
    "Unsqueeze": convert_unsqueeze,
    "Transpose": convert_transpose,
    "Concat": convert_concat,
    "Split": convert_split,
    "Slice": convert_slice,
    "Pad": convert_pad,
    "Expand": convert_expand,
    "Gather": convert_gather,
    "Shape": convert_shape,
    "Size": convert_shape,
    "ReduceMean": convert_reduce,
    "ReduceSum": convert_reduce,
    "ReduceMax": convert_reduce,
    "Resize": convert_resize,
    "Upsample": convert_resize,
    **dict.fromkeys(("Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "HardSwish"), convert_unary),
}
"""The ONNX op types (default domain) that have a converter, by op type."""
