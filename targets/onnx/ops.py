"""ONNX node converters: one function per ONNX op type, each building `top` ops for one node.

A converter receives a `NodeContext` (the node, its opset, its inputs as runtime SSA values or
constant numpy arrays, and ways to emit ops) and returns one value per node output: an SSA value
for a runtime tensor, or a numpy array when the output is known at import time (`Shape` of a
static tensor). It raises `Unsupported` with a reason when the node uses something `top` cannot
express; the importer collects every such reason into one error. ONNX attribute semantics are
resolved here (auto_pad, Slice clamping, Resize sizes vs scales, opset differences), so the top
ops carry explicit, interpreter-ready properties.

Nodes whose inputs are all constants never reach these converters: the importer evaluates them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from onnx import NodeProto, TensorProto, helper
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, TensorType, f32, i64
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
    ) -> None:
        self.node = node
        self.opset = opset
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


def _axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise Unsupported(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


# --- convolution and pooling ---------------------------------------------------------------------


def _spatial_rank(ctx: NodeContext, kind: str) -> tuple[int, ...]:
    shape = ctx.shape(0)
    if len(shape) != 4:
        raise Unsupported(
            f"only 2-D {kind} is supported (rank-4 NCHW input), got a rank-{len(shape)} input"
        )
    return shape[2:]


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


def convert_conv(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_rank(ctx, "convolution")
    filter_shape = ctx.shape(1)
    kernel = filter_shape[2:]
    if "kernel_shape" in ctx.attrs and tuple(_ints(ctx.attrs["kernel_shape"])) != kernel:
        raise Unsupported(
            f"kernel_shape {ctx.attrs['kernel_shape']} differs from the filter's {list(kernel)}"
        )
    strides, dilations = _window(ctx, kernel)
    pads = _explicit_pads(ctx, sizes, kernel, strides, dilations)
    x, w = ctx.value(0), ctx.value(1)
    bias = ctx.value(2) if ctx.has_input(2) else None
    op = top.ConvOp(
        x,
        w,
        bias,
        strides=strides,
        pads=pads,
        dilations=None if set(dilations) == {1} else dilations,
        group=int(ctx.attr("group", 1)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_conv_transpose(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_rank(ctx, "transposed convolution")
    kernel = ctx.shape(1)[2:]
    strides, dilations = _window(ctx, kernel)
    output_padding = _ints(ctx.attr("output_padding", [0, 0]))
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    output_shape = ctx.attr("output_shape")
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        # ONNX: the padding that makes the requested output size, split as the spec says
        if output_shape is not None:
            wanted = _ints(output_shape)[-2:]
        else:
            wanted = [size * s for size, s in zip(sizes, strides, strict=True)]
        begins, ends = [], []
        for size, k, s, d, op, out in zip(
            sizes, kernel, strides, dilations, output_padding, wanted, strict=True
        ):
            total = s * (size - 1) + op + (k - 1) * d + 1 - out
            if total < 0:
                raise Unsupported(f"output_shape {out} needs negative padding ({total})")
            small, big = total // 2, total - total // 2
            begins.append(small if auto_pad == "SAME_UPPER" else big)
            ends.append(big if auto_pad == "SAME_UPPER" else small)
        pads = begins + ends
    elif auto_pad == "VALID":
        pads = [0, 0, 0, 0]
    else:
        pads = _ints(ctx.attr("pads", [0, 0, 0, 0]))
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
        group=int(ctx.attr("group", 1)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


def convert_pool(ctx: NodeContext) -> list[Value]:
    sizes = _spatial_rank(ctx, "pooling")
    kernel = _ints(ctx.attr("kernel_shape", []))
    if len(kernel) != 2:
        raise Unsupported(f"expected a 2-D kernel_shape, got {kernel}")
    strides, dilations = _window(ctx, kernel)
    if set(dilations) != {1}:
        raise Unsupported(f"dilated pooling is not supported (dilations {dilations})")
    pads = _explicit_pads(ctx, sizes, kernel, strides, dilations)
    ceil_mode = bool(ctx.attr("ceil_mode", 0))
    if ctx.node.op_type == "MaxPool":
        ctx.check_unused_outputs(1, "Indices")
        op: Operation = top.MaxPoolOp(
            ctx.value(0),
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            ceil_mode=ceil_mode,
            location=ctx.location,
        )
    else:
        op = top.AvgPoolOp(
            ctx.value(0),
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            ceil_mode=ceil_mode,
            count_include_pad=bool(ctx.attr("count_include_pad", 0)),
            location=ctx.location,
        )
    return [ctx.emit(op).results[0]]


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
    ctx.check_unused_outputs(1, "Mean/InvStdDev")
    x, scale = ctx.value(0), ctx.value(1)
    op = top.LayerNormOp(
        x,
        scale,
        ctx.value(2) if ctx.has_input(2) else None,
        axis=int(ctx.attr("axis", -1)),
        epsilon=float(ctx.attr("epsilon", 1e-5)),
        location=ctx.location,
    )
    return [ctx.emit(op).results[0]]


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
    if ctx.opset >= 11:
        low_array = ctx.opt_const(1, "min")
        high_array = ctx.opt_const(2, "max")
        low = None if low_array is None else _scalar(low_array, "min")
        high = None if high_array is None else _scalar(high_array, "max")
    else:
        low = float(ctx.attr("min", -math.inf))
        high = float(ctx.attr("max", math.inf))
    low = None if low is None or low <= -_FLOAT_LIMIT else low
    high = None if high is None or high >= _FLOAT_LIMIT else high
    op = top.ClipOp(ctx.value(0), min=low, max=high, location=ctx.location)
    return [ctx.emit(op).results[0]]


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
    op = ctx.emit(top.SplitOp(ctx.value(0), axis=axis, split=_ints(split), location=ctx.location))
    return list(op.results)


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
    indices = ctx.const(1, "indices").astype(np.int64)
    dense = DenseIntOrFPElementsAttr.from_list(TensorType(i64, list(indices.shape)), _ints(indices))
    op = top.GatherOp(
        ctx.value(0), indices=dense, axis=int(ctx.attr("axis", 0)), location=ctx.location
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
