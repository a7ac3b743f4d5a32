"""The `top` dialect: ONNX-level tensor operations, the first IR the ONNX importer produces.

Every value is a ranked, statically shaped `tensor<...xf32>` in NCHW layout, and every op keeps
the `loc("...")` it was parsed or built with, because ONNX node names live there and the
calibration table and layer-by-layer comparisons are keyed by them. Weights are `top.weight` ops
that name an array of the side-car `.npz` store; tests may inline small values.

Verifiers check what the hardware lowering relies on (ranks, channel arithmetic, output sizes of
windowed ops, broadcasting), and the shape functions they use (`conv_output_shape`,
`pool_output_shape`, `matmul_output_shape`, `broadcast_shapes`, `concat_output_shape`) are public,
so that the builders, the importer and the reference interpreter compute shapes the same way.

Ops that can apply a ReLU to their result (`do_relu`, optional clip `relu_limit`) derive from
`ReluFusibleOp`; the `canonicalize` pass folds a following `top.relu` (or `top.clip` at zero)
into them. Each op family names its patterns through a `*Canonicalization` trait (relu, clip,
batchnorm, add/mul/div for SiLU, hard-swish and LayerNorm, gemm, and the no-op removals); the
patterns live in `nntc.passes.canonicalization_patterns.top` and are imported on first use.
"""

from __future__ import annotations

import math
from abc import ABC
from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    BoolAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    LocationAttr,
    NameLoc,
    NoneAttr,
    StringAttr,
    TensorType,
    f32,
    f64,
    i64,
)
from xdsl.interfaces import HasFolderInterface
from xdsl.ir import Attribute, BlockArgument, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import Parser
from xdsl.pattern_rewriter import RewritePattern
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, HasCanonicalizationPatternsTrait, Pure
from xdsl.utils.exceptions import VerifyException

from nntc.dialects.quant import TOP_TENSOR as F32Tensor

# F32Tensor is the value type of the dialect: f32, or at the quant level quantized/f16/bf16 with one
# kind per op (`nntc.dialects.quant.TopTensorConstraint`).

_FALSE = BoolAttr.from_bool(False)

PIXEL_FORMAT_CHANNELS: dict[str, int] = {"gray": 1, "rgb": 3, "bgr": 3, "rgba": 4}
"""Allowed `top.input` pixel formats and the channel count each implies."""
CHANNEL_FORMATS: tuple[str, ...] = ("nchw", "nhwc")

Shape = tuple[int, ...]
Location = LocationAttr | str | None


# --- small helpers -------------------------------------------------------------------------------


def _i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def _f64_array(values: Sequence[float]) -> DenseArrayBase:
    return DenseArrayBase.from_list(f64, [float(v) for v in values])


def _ints(attr: DenseArrayBase) -> Shape:
    return tuple(int(v) for v in attr.iter_values())


def _floats(attr: DenseArrayBase) -> tuple[float, ...]:
    return tuple(float(v) for v in attr.iter_values())


def _opt_f64(value: float | None) -> FloatAttr | None:
    return None if value is None else FloatAttr(float(value), f64)


def _set_location(op: Operation, location: Location) -> None:
    """Attach `location`; a plain string becomes `loc("string")`, as the importer passes names."""
    if isinstance(location, str):
        op.location = NameLoc(StringAttr(location), NoneAttr())
    elif location is not None:
        op.location = location


def _fmt(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _static_shape(value: SSAValue, role: str) -> Shape:
    """The shape of a tensor value; shape checks below are only defined for static shapes."""
    ty = value.type
    if not isinstance(ty, TensorType):
        raise VerifyException(f"expected a tensor for {role}, got {ty}")
    if not ty.has_static_shape():
        raise VerifyException(f"expected a static shape for {role}, got {ty}")
    return ty.get_shape()


def _result_type(shape: Sequence[int]) -> TensorType:
    return TensorType(f32, list(shape))


def _check_result_shape(actual: Shape, expected: Shape, why: str) -> None:
    if actual != expected:
        raise VerifyException(f"expected result shape {_fmt(expected)} ({why}), got {_fmt(actual)}")


def _check_count(name: str, values: Sequence[int | float], count: int, why: str) -> None:
    if len(values) != count:
        raise VerifyException(f"expected {count} {name} values ({why}), got {len(values)}")


def _check_all(name: str, values: Sequence[int], minimum: int) -> None:
    if any(v < minimum for v in values):
        raise VerifyException(f"expected {name} values >= {minimum}, got {_fmt(values)}")


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise VerifyException(f'expected {name} to be one of {", ".join(allowed)}, got "{value}"')


def _broadcasts_to(shape: Shape, target: Shape) -> bool:
    """Whether broadcasting `shape` against `target` leaves `target` unchanged."""
    if len(shape) > len(target):
        return False
    return all(d in (1, t) for d, t in zip(reversed(shape), reversed(target), strict=False))


def _normalize_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise VerifyException(f"expected axis in [{-rank}, {rank}), got {axis}")
    return axis % rank


# --- shape functions -----------------------------------------------------------------------------


def broadcast_shapes(*shapes: Sequence[int]) -> Shape:
    """Numpy broadcasting of `shapes`; raises `VerifyException` naming two clashing shapes."""
    rank = max((len(s) for s in shapes), default=0)
    result = [1] * rank
    source: list[Sequence[int]] = [()] * rank  # the shape that set each dim, for the message
    for shape in shapes:
        for i, dim in enumerate(shape, start=rank - len(shape)):
            if dim == 1:
                continue
            if result[i] not in (1, dim):
                raise VerifyException(
                    f"expected broadcastable shapes, got {_fmt(source[i])} and {_fmt(shape)}"
                )
            result[i], source[i] = dim, shape
    return tuple(result)


def _window_output_size(
    size: int, window: int, stride: int, pad_begin: int, pad_end: int, ceil_mode: bool, dim: int
) -> int:
    """Output length of a sliding window (ONNX/PyTorch rules), `window` already dilated."""
    span = size + pad_begin + pad_end - window
    if span < 0:
        raise VerifyException(
            f"expected the window ({window}) to fit in the padded input "
            f"({size + pad_begin + pad_end}) along spatial dimension {dim}"
        )
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    # A window that would start inside the end padding is dropped, as onnxruntime and PyTorch
    # compute it; ONNX shape inference keeps it, so importers must not trust its pool shapes.
    if (out - 1) * stride >= size + pad_begin:
        out -= 1
    return out


def _check_window_props(
    kind: str,
    spatial: int,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int] = (),
    kernel_shape: Sequence[int] | None = None,
) -> None:
    if kernel_shape is not None:
        _check_count("kernel_shape", kernel_shape, spatial, f"one per spatial dim of a {kind}")
        _check_all("kernel_shape", kernel_shape, 1)
    _check_count("strides", strides, spatial, f"one per spatial dim of a {kind}")
    _check_all("strides", strides, 1)
    _check_count("pads", pads, 2 * spatial, f"begins then ends for a {kind}")
    _check_all("pads", pads, 0)
    if dilations:
        _check_count("dilations", dilations, spatial, f"one per spatial dim of a {kind}")
        _check_all("dilations", dilations, 1)


def _check_image_rank(shape: Shape, kind: str) -> None:
    if len(shape) != 4:
        raise VerifyException(
            f"expected a 4-D input (N, C, H, W) for a {kind}, got rank {len(shape)}; "
            "only 2-D windows are supported"
        )


def conv_output_shape(
    input_shape: Shape,
    filter_shape: Shape,
    *,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> Shape:
    """Result shape (N, OC, OH, OW) of a 2-D convolution; raises `VerifyException` if invalid."""
    _check_image_rank(input_shape, "conv")
    if len(filter_shape) != 4:
        raise VerifyException(
            f"expected a 4-D filter (OC, IC / group, KH, KW), got rank {len(filter_shape)}"
        )
    _check_window_props("conv", 2, strides, pads, dilations)
    if group < 1:
        raise VerifyException(f"expected group >= 1, got {group}")
    n, c, h, w = input_shape
    oc, ic_per_group, kh, kw = filter_shape
    if ic_per_group * group != c:
        raise VerifyException(
            f"expected filter input channels x group ({ic_per_group} x {group} = "
            f"{ic_per_group * group}) to equal input channels ({c})"
        )
    if oc % group:
        raise VerifyException(
            f"expected filter output channels ({oc}) to be divisible by group ({group})"
        )
    spatial = [
        _window_output_size(size, d * (k - 1) + 1, s, pb, pe, False, i)
        for i, (size, k, s, d, pb, pe) in enumerate(
            zip((h, w), (kh, kw), strides, dilations, pads[:2], pads[2:], strict=True)
        )
    ]
    return (n, oc, *spatial)


def pool_output_shape(
    input_shape: Shape,
    *,
    kernel_shape: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    ceil_mode: bool,
) -> Shape:
    """Result shape (N, C, OH, OW) of a 2-D max/average pool; raises `VerifyException`."""
    _check_image_rank(input_shape, "pool")
    _check_window_props("pool", 2, strides, pads, kernel_shape=kernel_shape)
    n, c, h, w = input_shape
    spatial = [
        _window_output_size(size, k, s, pb, pe, ceil_mode, i)
        for i, (size, k, s, pb, pe) in enumerate(
            zip((h, w), kernel_shape, strides, pads[:2], pads[2:], strict=True)
        )
    ]
    return (n, c, *spatial)


def matmul_output_shape(lhs: Shape, rhs: Shape) -> Shape:
    """Result shape of `numpy.matmul(lhs, rhs)`, batch dimensions broadcast."""
    if not lhs or not rhs:
        raise VerifyException("expected matmul operands of rank >= 1, got a rank-0 operand")
    a = (1, *lhs) if len(lhs) == 1 else lhs
    b = (*rhs, 1) if len(rhs) == 1 else rhs
    if a[-1] != b[-2]:
        raise VerifyException(
            f"expected contracting dimensions to match, got K = {a[-1]} for input and "
            f"K = {b[-2]} for right"
        )
    batch = broadcast_shapes(a[:-2], b[:-2])
    # numpy drops the dimension it inserted for a 1-D operand
    m = () if len(lhs) == 1 else (a[-2],)
    n = () if len(rhs) == 1 else (b[-1],)
    return (*batch, *m, *n)


def concat_output_shape(shapes: Sequence[Shape], axis: int) -> Shape:
    """Result shape of concatenating `shapes` along `axis` (negative counts from the end)."""
    if not shapes:
        raise VerifyException("expected at least 1 input, got 0")
    first = shapes[0]
    axis = _normalize_axis(axis, len(first))
    for index, shape in enumerate(shapes[1:], start=1):
        if len(shape) != len(first):
            raise VerifyException(
                f"expected every input to have rank {len(first)} (as input 0), "
                f"input {index} has rank {len(shape)}"
            )
        for dim, (size, ref) in enumerate(zip(shape, first, strict=True)):
            if dim != axis and size != ref:
                raise VerifyException(
                    f"expected input {index} dimension {dim} to be {ref} (as input 0), got {size}"
                )
    return (*first[:axis], sum(s[axis] for s in shapes), *first[axis + 1 :])


# --- ops -----------------------------------------------------------------------------------------


@irdl_op_definition
class InputOp(IRDLOperation):
    """A model input: passes a function argument through and records its preprocessing.

    The properties follow TPU-MLIR's `top.Input`: how an image is turned into this tensor
    (pixel and channel format, resize, padding, then `(x - mean) * scale` per channel).
    """

    name = "top.input"

    T: ClassVar = VarConstraint("T", F32Tensor)
    input = operand_def(T)
    output = result_def(T)

    pixel_format = opt_prop_def(StringAttr)
    channel_format = opt_prop_def(StringAttr)
    resize_dims = opt_prop_def(DenseArrayBase.constr(i64))
    keep_aspect_ratio = prop_def(BoolAttr, default_value=_FALSE)
    pad_value = opt_prop_def(FloatAttr[Float64Type])
    mean = opt_prop_def(DenseArrayBase.constr(f64))
    scale = opt_prop_def(DenseArrayBase.constr(f64))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        pixel_format: str | None = None,
        channel_format: str | None = None,
        resize_dims: Sequence[int] | None = None,
        keep_aspect_ratio: bool = False,
        pad_value: float | None = None,
        mean: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={
                "pixel_format": None if pixel_format is None else StringAttr(pixel_format),
                "channel_format": None if channel_format is None else StringAttr(channel_format),
                "resize_dims": None if resize_dims is None else _i64_array(resize_dims),
                "keep_aspect_ratio": BoolAttr.from_bool(keep_aspect_ratio),
                "pad_value": _opt_f64(pad_value),
                "mean": None if mean is None else _f64_array(mean),
                "scale": None if scale is None else _f64_array(scale),
            },
        )
        _set_location(self, location)

    @property
    def mean_values(self) -> tuple[float, ...] | None:
        return None if self.mean is None else _floats(self.mean)

    @property
    def scale_values(self) -> tuple[float, ...] | None:
        return None if self.scale is None else _floats(self.scale)

    @property
    def resize_dims_values(self) -> Shape | None:
        return None if self.resize_dims is None else _ints(self.resize_dims)

    @property
    def channel_format_value(self) -> str:
        return "nchw" if self.channel_format is None else self.channel_format.data

    def verify_(self) -> None:
        if not isinstance(self.input, BlockArgument):
            raise VerifyException(
                f"expected the operand to be a function argument, got a result of "
                f"'{self.input.owner.name}'"
            )
        shape = _static_shape(self.output, "result")
        if self.channel_format is not None and self.channel_format.data not in CHANNEL_FORMATS:
            raise VerifyException(
                f"expected channel_format to be one of {', '.join(CHANNEL_FORMATS)}, "
                f'got "{self.channel_format.data}"'
            )
        if self.pixel_format is not None and self.pixel_format.data not in PIXEL_FORMAT_CHANNELS:
            raise VerifyException(
                f"expected pixel_format to be one of {', '.join(PIXEL_FORMAT_CHANNELS)}, "
                f'got "{self.pixel_format.data}"'
            )
        if (dims := self.resize_dims_values) is not None:
            _check_count("resize_dims", dims, 2, "height and width")
            _check_all("resize_dims", dims, 1)
        per_channel = {"mean": self.mean_values, "scale": self.scale_values}
        if self.pixel_format is None and all(v is None for v in per_channel.values()):
            return
        if len(shape) != 4:
            raise VerifyException(
                f"expected a 4-D image input for pixel_format, mean or scale, got rank {len(shape)}"
            )
        channels = shape[1] if self.channel_format_value == "nchw" else shape[3]
        if self.pixel_format is not None:
            implied = PIXEL_FORMAT_CHANNELS[self.pixel_format.data]
            if implied != channels:
                raise VerifyException(
                    f'expected {implied} channels for pixel_format "{self.pixel_format.data}", '
                    f"got {channels} ({self.channel_format_value})"
                )
        for name, values in per_channel.items():
            if values is not None:
                _check_count(name, values, channels, "one per channel")


@irdl_op_definition
class WeightOp(IRDLOperation, HasFolderInterface):
    """A named constant array: `weight_name` is its key in the side-car `.npz` weight store.

    An inline `value` is allowed for tests and small constants; then the store is not consulted.
    Syntax: `top.weight "conv1.weight" : tensor<64x3x7x7xf32>` or
    `top.weight "b" dense<[1.0, 2.0]> : tensor<2xf32>` (the dense literal's type is the result's).
    """

    name = "top.weight"

    weight_name = prop_def(StringAttr)
    value = opt_prop_def(DenseIntOrFPElementsAttr)
    output = result_def(F32Tensor)

    traits = traits_def(ConstantLike(), Pure())

    def __init__(
        self,
        weight_name: str,
        result_type: TensorType | None = None,
        *,
        value: DenseIntOrFPElementsAttr | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            if value is None:
                raise ValueError("top.weight needs a result_type or an inline value")
            result_type = value.type
        super().__init__(
            result_types=[result_type],
            properties={"weight_name": StringAttr(weight_name), "value": value},
        )
        _set_location(self, location)

    def fold(self) -> Sequence[SSAValue | Attribute] | None:
        # lets `ConstantLike.get_constant_value` see inline values; stored ones are not loaded
        return None if self.value is None else (self.value,)

    @classmethod
    def parse(cls, parser: Parser) -> WeightOp:
        weight_name = parser.parse_str_literal("weight name")
        attributes = parser.parse_optional_attr_dict()
        value_start = parser.pos
        value = parser.parse_optional_attribute()
        if value is None:
            parser.parse_punctuation(":")
            result_type = parser.parse_type()
        elif isinstance(value, DenseIntOrFPElementsAttr):
            result_type = value.type
        else:
            parser.raise_error(
                f"expected a dense<...> inline value or ':', got {value}", value_start, parser.pos
            )
        properties: dict[str, Attribute] = {"weight_name": StringAttr(weight_name)}
        if value is not None:
            properties["value"] = value
        return cls.create(result_types=[result_type], properties=properties, attributes=attributes)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_string_literal(self.weight_name.data)
        printer.print_op_attributes(self.attributes)
        if self.value is not None:
            printer.print_string(" ")
            printer.print_attribute(self.value)
        else:
            printer.print_string(" : ")
            printer.print_attribute(self.output.type)

    def verify_(self) -> None:
        if not self.weight_name.data:
            raise VerifyException("expected a non-empty weight_name")
        _static_shape(self.output, "result")
        if self.value is None:
            return
        result = self.output.type
        assert isinstance(result, TensorType)
        value_type = self.value.get_element_type()
        if value_type != result.element_type:
            raise VerifyException(
                f"expected inline value element type {result.element_type}, got {value_type}"
            )
        if self.value.get_shape() != result.get_shape():
            raise VerifyException(
                f"expected inline value shape {_fmt(result.get_shape())}, "
                f"got {_fmt(self.value.get_shape())}"
            )


class ReluFusibleOp(IRDLOperation, ABC):
    """An op that may apply `max(x, 0)` (clipped at `relu_limit` when given) to its result.

    Canonicalization folds a following single-use `top.relu` into any subclass.
    """

    do_relu = prop_def(BoolAttr, default_value=_FALSE)
    relu_limit = opt_prop_def(FloatAttr[Float64Type])

    @property
    def do_relu_value(self) -> bool:
        return bool(self.do_relu.value.data)

    @property
    def relu_limit_value(self) -> float | None:
        return None if self.relu_limit is None else self.relu_limit.value.data

    @staticmethod
    def relu_properties(do_relu: bool, relu_limit: float | None) -> dict[str, Attribute | None]:
        return {"do_relu": BoolAttr.from_bool(do_relu), "relu_limit": _opt_f64(relu_limit)}

    def set_relu(self, limit: float | None) -> None:
        """Make the op apply a relu, clipped at `limit` when given; for rewrite patterns."""
        self.properties["do_relu"] = BoolAttr.from_bool(True)
        if limit is None:
            self.properties.pop("relu_limit", None)
        else:
            self.properties["relu_limit"] = FloatAttr(limit, f64)

    def verify_relu_options(self) -> None:
        limit = self.relu_limit_value
        if limit is None:
            return
        if not self.do_relu_value:
            raise VerifyException(f"expected do_relu = true when relu_limit ({limit}) is given")
        if not limit > 0:
            raise VerifyException(f"expected relu_limit > 0, got {limit}")


class ConvLikeOp(ReluFusibleOp, ABC):
    """What conv and deconv share: input, filter, optional bias, and the window properties."""

    input = operand_def(F32Tensor)
    filter = operand_def(F32Tensor)
    bias = opt_operand_def(F32Tensor)
    output = result_def(F32Tensor)

    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))
    dilations = opt_prop_def(DenseArrayBase.constr(i64))
    group = prop_def(IntegerAttr[I64], default_value=IntegerAttr(1, i64))

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $filter (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    @property
    def strides_values(self) -> Shape:
        return _ints(self.strides)

    @property
    def pads_values(self) -> Shape:
        return _ints(self.pads)

    @property
    def dilations_values(self) -> Shape:
        """The dilations, all ones when the property is absent."""
        if self.dilations is None:
            return (1,) * len(self.strides_values)
        return _ints(self.dilations)

    @property
    def group_value(self) -> int:
        return self.group.value.data

    def verify_bias(self, output_channels: int) -> None:
        if self.bias is not None:
            bias_shape = _static_shape(self.bias, "bias")
            if bias_shape != (output_channels,):
                raise VerifyException(
                    f"expected bias shape {_fmt((output_channels,))} (output channels), "
                    f"got {_fmt(bias_shape)}"
                )


@irdl_op_definition
class ConvOp(ConvLikeOp):
    """2-D convolution (ONNX Conv), NCHW input, (OC, IC / group, KH, KW) filter, bias [OC].

    `pads` are in ONNX order, begins then ends: [top, left, bottom, right].
    """

    name = "top.conv"

    traits = traits_def(Pure())

    def __init__(
        self,
        input: SSAValue | Operation,
        filter: SSAValue | Operation,
        bias: SSAValue | Operation | None = None,
        *,
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        dilations: Sequence[int] | None = None,
        group: int = 1,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            result_type = _result_type(
                conv_output_shape(
                    _static_shape(SSAValue.get(input), "input"),
                    _static_shape(SSAValue.get(filter), "filter"),
                    strides=strides,
                    pads=pads,
                    dilations=dilations or (1,) * len(strides),
                    group=group,
                )
            )
        super().__init__(
            operands=[input, filter, bias],
            result_types=[result_type],
            properties={
                "strides": _i64_array(strides),
                "pads": _i64_array(pads),
                "dilations": None if dilations is None else _i64_array(dilations),
                "group": IntegerAttr(group, i64),
            }
            | self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    @property
    def kernel_shape_values(self) -> Shape:
        """(KH, KW), read from the filter."""
        return _static_shape(self.filter, "filter")[2:]

    def verify_(self) -> None:
        self.verify_relu_options()
        expected = conv_output_shape(
            _static_shape(self.input, "input"),
            _static_shape(self.filter, "filter"),
            strides=self.strides_values,
            pads=self.pads_values,
            dilations=self.dilations_values,
            group=self.group_value,
        )
        self.verify_bias(expected[1])
        _check_result_shape(_static_shape(self.output, "result"), expected, "conv output size")


@irdl_op_definition
class MatMulOp(ReluFusibleOp):
    """`numpy.matmul(input, right) + bias`, batch dimensions broadcast (ONNX MatMul and Gemm).

    The bias must broadcast to the result without changing its shape (typically [N]).
    """

    name = "top.matmul"

    input = operand_def(F32Tensor)
    right = operand_def(F32Tensor)
    bias = opt_operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $right (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        right: SSAValue | Operation,
        bias: SSAValue | Operation | None = None,
        *,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            result_type = _result_type(
                matmul_output_shape(
                    _static_shape(SSAValue.get(input), "input"),
                    _static_shape(SSAValue.get(right), "right"),
                )
            )
        super().__init__(
            operands=[input, right, bias],
            result_types=[result_type],
            properties=self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    def verify_(self) -> None:
        self.verify_relu_options()
        expected = matmul_output_shape(
            _static_shape(self.input, "input"), _static_shape(self.right, "right")
        )
        result = _static_shape(self.output, "result")
        _check_result_shape(result, expected, "numpy matmul of input and right")
        if self.bias is not None:
            bias_shape = _static_shape(self.bias, "bias")
            if not _broadcasts_to(bias_shape, result):
                raise VerifyException(
                    f"expected bias shape {_fmt(bias_shape)} to broadcast to the result shape "
                    f"{_fmt(result)}"
                )


class ElementwiseOp(ReluFusibleOp, ABC):
    """Shared definition of n-ary elementwise ops with numpy broadcasting."""

    inputs = var_operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    def verify_(self) -> None:
        self.verify_relu_options()
        if len(self.inputs) < 2:
            raise VerifyException(f"expected at least 2 inputs, got {len(self.inputs)}")
        expected = broadcast_shapes(
            *(_static_shape(v, f"input {i}") for i, v in enumerate(self.inputs))
        )
        _check_result_shape(
            _static_shape(self.output, "result"), expected, "the broadcast of the inputs"
        )

    @staticmethod
    def infer_result_type(inputs: Sequence[SSAValue | Operation]) -> TensorType:
        shapes = (_static_shape(SSAValue.get(v), f"input {i}") for i, v in enumerate(inputs))
        return _result_type(broadcast_shapes(*shapes))


class AddCanonicalization(HasCanonicalizationPatternsTrait):
    """Add patterns: absorb a bias into a preceding layernorm, or a per-channel constant into the
    bias of a preceding conv / deconv / matmul."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import (
            FoldAffineIntoProducer,
            FoldBiasIntoLayerNorm,
        )

        return (FoldBiasIntoLayerNorm(), FoldAffineIntoProducer())


@irdl_op_definition
class AddOp(ElementwiseOp):
    """`sum(coeff[i] * inputs[i])` with numpy broadcasting; `coeff` defaults to all ones."""

    name = "top.add"

    coeff = opt_prop_def(DenseArrayBase.constr(f64))

    traits = traits_def(AddCanonicalization())

    def __init__(
        self,
        inputs: Sequence[SSAValue | Operation],
        *,
        coeff: Sequence[float] | None = None,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[inputs],
            result_types=[self.infer_result_type(inputs) if result_type is None else result_type],
            properties={"coeff": None if coeff is None else _f64_array(coeff)}
            | self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    @property
    def coeff_values(self) -> tuple[float, ...]:
        """One coefficient per input, all ones when the property is absent."""
        if self.coeff is None:
            return (1.0,) * len(self.inputs)
        return _floats(self.coeff)

    def verify_(self) -> None:
        super().verify_()
        if self.coeff is not None:
            _check_count("coeff", _floats(self.coeff), len(self.inputs), "one per input")


class MulCanonicalization(HasCanonicalizationPatternsTrait):
    """Mul patterns: recognise SiLU and hard-swish (`x * hardsigmoid(x)` and
    `x * relu6(x + 3) * 1/6`), absorb a scale into a preceding layernorm, or a per-channel
    constant into the weights of a preceding conv / deconv / matmul."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import (
            FoldAffineIntoProducer,
            FoldScaleIntoLayerNorm,
            RecognizeDecomposedHardSwish,
            RecognizeHardSwish,
            RecognizeSiLU,
        )

        return (
            FoldScaleIntoLayerNorm(),
            RecognizeHardSwish(),
            RecognizeDecomposedHardSwish(),
            RecognizeSiLU(),
            FoldAffineIntoProducer(),
        )


@irdl_op_definition
class MulOp(ElementwiseOp):
    """The product of the inputs with numpy broadcasting."""

    name = "top.mul"

    traits = traits_def(MulCanonicalization())

    def __init__(
        self,
        inputs: Sequence[SSAValue | Operation],
        *,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[inputs],
            result_types=[self.infer_result_type(inputs) if result_type is None else result_type],
            properties=self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)


class ReluCanonicalization(HasCanonicalizationPatternsTrait):
    """Relu patterns, imported on first use so that loading the dialect stays cheap."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import (
            FuseReluIntoProducer,
            MergeReluOfRelu,
        )

        return (FuseReluIntoProducer(), MergeReluOfRelu())


@irdl_op_definition
class ReluOp(IRDLOperation):
    """`max(x, 0)`, or `min(max(x, 0), relu_limit)` when a limit is given (relu6: limit 6)."""

    name = "top.relu"

    T: ClassVar = VarConstraint("T", F32Tensor)
    input = operand_def(T)
    output = result_def(T)
    relu_limit = opt_prop_def(FloatAttr[Float64Type])

    traits = traits_def(Pure(), ReluCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        relu_limit: float | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={"relu_limit": _opt_f64(relu_limit)},
        )
        _set_location(self, location)

    @property
    def relu_limit_value(self) -> float | None:
        return None if self.relu_limit is None else self.relu_limit.value.data

    def verify_(self) -> None:
        limit = self.relu_limit_value
        if limit is not None and not limit > 0:
            raise VerifyException(f"expected relu_limit > 0, got {limit}")


class AxisOp(IRDLOperation, ABC):
    """Shared definition of ops that normalize along one `axis` (negative counts from the end)."""

    T: ClassVar = VarConstraint("T", F32Tensor)
    input = operand_def(T)
    output = result_def(T)
    axis = prop_def(IntegerAttr[I64])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($output)"

    def __init__(
        self, input: SSAValue | Operation, *, axis: int = -1, location: Location = None
    ) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={"axis": IntegerAttr(axis, i64)},
        )
        _set_location(self, location)

    @property
    def axis_value(self) -> int:
        """The axis as written, possibly negative."""
        return self.axis.value.data

    @property
    def normalized_axis(self) -> int:
        return _normalize_axis(self.axis_value, len(_static_shape(self.input, "input")))

    def verify_(self) -> None:
        _normalize_axis(self.axis_value, len(_static_shape(self.input, "input")))


@irdl_op_definition
class SoftmaxOp(AxisOp):
    """Softmax along `axis` (ONNX Softmax, opset 13 semantics: one axis, not a flattened 2-D)."""

    name = "top.softmax"


@irdl_op_definition
class LogSoftmaxOp(AxisOp):
    """`log(softmax(x))` along `axis` (ONNX LogSoftmax, opset 13 semantics)."""

    name = "top.log_softmax"


class PoolOp(ReluFusibleOp, ABC):
    """Shared definition of 2-D max and average pooling."""

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    kernel_shape = prop_def(DenseArrayBase.constr(i64))
    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))
    ceil_mode = prop_def(BoolAttr, default_value=_FALSE)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        kernel_shape: Sequence[int],
        strides: Sequence[int] | None = None,
        pads: Sequence[int] | None = None,
        ceil_mode: bool = False,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        strides = tuple(strides or (1,) * len(kernel_shape))
        pads = tuple(pads or (0,) * (2 * len(kernel_shape)))
        if result_type is None:
            result_type = _result_type(
                pool_output_shape(
                    _static_shape(SSAValue.get(input), "input"),
                    kernel_shape=kernel_shape,
                    strides=strides,
                    pads=pads,
                    ceil_mode=ceil_mode,
                )
            )
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={
                "kernel_shape": _i64_array(kernel_shape),
                "strides": _i64_array(strides),
                "pads": _i64_array(pads),
                "ceil_mode": BoolAttr.from_bool(ceil_mode),
            }
            | self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    @property
    def kernel_shape_values(self) -> Shape:
        return _ints(self.kernel_shape)

    @property
    def strides_values(self) -> Shape:
        return _ints(self.strides)

    @property
    def pads_values(self) -> Shape:
        return _ints(self.pads)

    @property
    def ceil_mode_value(self) -> bool:
        return bool(self.ceil_mode.value.data)

    def verify_(self) -> None:
        self.verify_relu_options()
        expected = pool_output_shape(
            _static_shape(self.input, "input"),
            kernel_shape=self.kernel_shape_values,
            strides=self.strides_values,
            pads=self.pads_values,
            ceil_mode=self.ceil_mode_value,
        )
        why = "pool output size, ceil mode" if self.ceil_mode_value else "pool output size"
        _check_result_shape(_static_shape(self.output, "result"), expected, why)


@irdl_op_definition
class MaxPoolOp(PoolOp):
    """2-D max pooling (ONNX MaxPool without dilations)."""

    name = "top.maxpool"


@irdl_op_definition
class AvgPoolOp(PoolOp):
    """2-D average pooling; `count_include_pad` divides by the full window, pads included."""

    name = "top.avgpool"

    count_include_pad = prop_def(BoolAttr, default_value=_FALSE)

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        kernel_shape: Sequence[int],
        strides: Sequence[int] | None = None,
        pads: Sequence[int] | None = None,
        ceil_mode: bool = False,
        count_include_pad: bool = False,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            input,
            kernel_shape=kernel_shape,
            strides=strides,
            pads=pads,
            ceil_mode=ceil_mode,
            do_relu=do_relu,
            relu_limit=relu_limit,
            result_type=result_type,
            location=location,
        )
        self.properties["count_include_pad"] = BoolAttr.from_bool(count_include_pad)

    @property
    def count_include_pad_value(self) -> bool:
        return bool(self.count_include_pad.value.data)


class GlobalPoolOp(IRDLOperation, ABC):
    """Shared definition of reductions over all spatial dimensions: (N, C, ...) -> (N, C, 1...)."""

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue | Operation, *, location: Location = None) -> None:
        shape = _static_shape(SSAValue.get(input), "input")
        super().__init__(
            operands=[input], result_types=[_result_type((*shape[:2], *[1] * (len(shape) - 2)))]
        )
        _set_location(self, location)

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        if len(shape) < 3:
            raise VerifyException(
                f"expected an input of rank >= 3 (N, C, spatial...), got rank {len(shape)}"
            )
        expected = (*shape[:2], *[1] * (len(shape) - 2))
        _check_result_shape(
            _static_shape(self.output, "result"), expected, "N and C kept, spatial dims 1"
        )


@irdl_op_definition
class GlobalAvgPoolOp(GlobalPoolOp):
    """Mean over all spatial dimensions (ONNX GlobalAveragePool)."""

    name = "top.global_avgpool"


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp):
    """Maximum over all spatial dimensions (ONNX GlobalMaxPool)."""

    name = "top.global_maxpool"


class ReshapeCanonicalization(HasCanonicalizationPatternsTrait):
    """Reshape patterns, imported on first use so that loading the dialect stays cheap."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import (
            MergeReshapeOfReshape,
            RemoveIdentityReshape,
        )

        return (RemoveIdentityReshape(), MergeReshapeOfReshape())


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Reinterpret the elements in row-major order with the result's (static) shape."""

    name = "top.reshape"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure(), ReshapeCanonicalization())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        shape: Sequence[int] | TensorType,
        *,
        location: Location = None,
    ) -> None:
        result_type = shape if isinstance(shape, TensorType) else _result_type(shape)
        super().__init__(operands=[input], result_types=[result_type])
        _set_location(self, location)

    def verify_(self) -> None:
        count_in = math.prod(_static_shape(self.input, "input"))
        count_out = math.prod(_static_shape(self.output, "result"))
        if count_in != count_out:
            raise VerifyException(
                f"expected result element count ({count_out}) to equal input element count "
                f"({count_in})"
            )


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Concatenation along `axis` (negative counts from the end)."""

    name = "top.concat"

    inputs = var_operand_def(F32Tensor)
    output = result_def(F32Tensor)
    axis = prop_def(IntegerAttr[I64])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        inputs: Sequence[SSAValue | Operation],
        *,
        axis: int,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            shapes = [_static_shape(SSAValue.get(v), f"input {i}") for i, v in enumerate(inputs)]
            result_type = _result_type(concat_output_shape(shapes, axis))
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties={"axis": IntegerAttr(axis, i64)},
        )
        _set_location(self, location)

    @property
    def axis_value(self) -> int:
        """The axis as written, possibly negative."""
        return self.axis.value.data

    def verify_(self) -> None:
        shapes = [_static_shape(v, f"input {i}") for i, v in enumerate(self.inputs)]
        expected = concat_output_shape(shapes, self.axis_value)
        _check_result_shape(
            _static_shape(self.output, "result"), expected, "inputs summed along the axis"
        )


# --- more shape functions ------------------------------------------------------------------------


def deconv_output_shape(
    input_shape: Shape,
    filter_shape: Shape,
    *,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    output_padding: Sequence[int],
    group: int,
) -> Shape:
    """Result shape (N, OC, OH, OW) of a 2-D transposed convolution (ONNX ConvTranspose).

    The filter is (IC, OC / group, KH, KW); along each spatial dim the output has
    `(in - 1) * stride + dilation * (k - 1) + 1 - pad_begin - pad_end + output_padding` elements.
    """
    _check_image_rank(input_shape, "deconv")
    if len(filter_shape) != 4:
        raise VerifyException(
            f"expected a 4-D filter (IC, OC / group, KH, KW), got rank {len(filter_shape)}"
        )
    _check_window_props("deconv", 2, strides, pads, dilations)
    _check_count("output_padding", output_padding, 2, "one per spatial dim of a deconv")
    _check_all("output_padding", output_padding, 0)
    if group < 1:
        raise VerifyException(f"expected group >= 1, got {group}")
    n, c, h, w = input_shape
    ic, oc_per_group, kh, kw = filter_shape
    if ic != c:
        raise VerifyException(
            f"expected filter input channels ({ic}) to equal input channels ({c})"
        )
    if c % group:
        raise VerifyException(f"expected input channels ({c}) to be divisible by group ({group})")
    spatial = []
    for i, (size, k, s, d, pb, pe, op) in enumerate(
        zip((h, w), (kh, kw), strides, dilations, pads[:2], pads[2:], output_padding, strict=True)
    ):
        if op >= max(s, d):
            raise VerifyException(
                f"expected output_padding ({op}) along spatial dimension {i} to be less than "
                f"the stride ({s}) or the dilation ({d})"
            )
        out = (size - 1) * s + d * (k - 1) + 1 - pb - pe + op
        if out < 1:
            raise VerifyException(
                f"expected a positive output size along spatial dimension {i}, got {out}"
            )
        spatial.append(out)
    return (n, oc_per_group * group, *spatial)


def gemm_output_shape(a: Shape, b: Shape, *, trans_a: bool, trans_b: bool) -> Shape:
    """Result shape (M, N) of ONNX Gemm: `op(a)` is (M, K) and `op(b)` is (K, N)."""
    for role, shape in (("a", a), ("b", b)):
        if len(shape) != 2:
            raise VerifyException(f"expected a 2-D operand {role}, got rank {len(shape)}")
    m, ka = (a[1], a[0]) if trans_a else a
    kb, n = (b[1], b[0]) if trans_b else b
    if ka != kb:
        raise VerifyException(
            f"expected contracting dimensions to match, got K = {ka} for a "
            f"(trans_a = {str(trans_a).lower()}) and K = {kb} for b "
            f"(trans_b = {str(trans_b).lower()})"
        )
    return (m, n)


def transpose_output_shape(shape: Shape, perm: Sequence[int]) -> Shape:
    """`shape` permuted by `perm` (result dim i is input dim perm[i])."""
    if sorted(perm) != list(range(len(shape))):
        raise VerifyException(
            f"expected perm to be a permutation of [0, {len(shape)}), got {_fmt(perm)}"
        )
    return tuple(shape[p] for p in perm)


def pad_output_shape(shape: Shape, pads: Sequence[int]) -> Shape:
    """`shape` grown by `pads` (all begins, then all ends, as in ONNX Pad)."""
    rank = len(shape)
    _check_count("pads", pads, 2 * rank, "begins then ends, one pair per dim")
    _check_all("pads", pads, 0)
    return tuple(d + pads[i] + pads[i + rank] for i, d in enumerate(shape))


def reduce_output_shape(shape: Shape, axes: Sequence[int], keepdims: bool) -> Shape:
    """`shape` with `axes` reduced: kept as 1 with `keepdims`, else removed."""
    normalized = [_normalize_axis(a, len(shape)) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise VerifyException(f"expected distinct axes, got {_fmt(axes)}")
    if keepdims:
        return tuple(1 if i in normalized else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in normalized)


def gather_output_shape(shape: Shape, indices_shape: Shape, axis: int) -> Shape:
    """ONNX Gather: the `axis` dimension replaced by the shape of the indices."""
    axis = _normalize_axis(axis, len(shape))
    return (*shape[:axis], *indices_shape, *shape[axis + 1 :])


def split_output_shapes(shape: Shape, axis: int, split: Sequence[int]) -> list[Shape]:
    """The pieces of `shape` cut along `axis` into parts of the sizes in `split`."""
    axis = _normalize_axis(axis, len(shape))
    _check_all("split", split, 1)
    if sum(split) != shape[axis]:
        raise VerifyException(
            f"expected split sizes {_fmt(split)} to sum to dimension {axis} of the input "
            f"({shape[axis]}), got {sum(split)}"
        )
    return [(*shape[:axis], part, *shape[axis + 1 :]) for part in split]


def resize_output_size(size: int, scale: float) -> int:
    """ONNX Resize output length `floor(size * scale)`; a tiny slack absorbs `sizes / in` ratios."""
    return math.floor(size * scale + 1e-6)


# --- unary ops -----------------------------------------------------------------------------------


class UnaryOp(IRDLOperation, ABC):
    """Shared definition of elementwise ops of one tensor; parameters are properties."""

    T: ClassVar = VarConstraint("T", F32Tensor)
    input = operand_def(T)
    output = result_def(T)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        location: Location = None,
        properties: dict[str, Attribute | None] | None = None,
    ) -> None:
        super().__init__(
            operands=[input], result_types=[SSAValue.get(input).type], properties=properties or {}
        )
        _set_location(self, location)


class IdentityCanonicalization(HasCanonicalizationPatternsTrait):
    """Identity patterns: the op is dropped."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import RemoveIdentity

        return (RemoveIdentity(),)


@irdl_op_definition
class IdentityOp(UnaryOp):
    """The input unchanged (ONNX Identity, inference-mode Dropout, Cast between float types)."""

    name = "top.identity"

    traits = traits_def(IdentityCanonicalization())


@irdl_op_definition
class SigmoidOp(UnaryOp):
    """`1 / (1 + exp(-x))`."""

    name = "top.sigmoid"


@irdl_op_definition
class TanhOp(UnaryOp):
    name = "top.tanh"


@irdl_op_definition
class ErfOp(UnaryOp):
    name = "top.erf"


@irdl_op_definition
class ExpOp(UnaryOp):
    name = "top.exp"


@irdl_op_definition
class LogOp(UnaryOp):
    """Natural logarithm."""

    name = "top.log"


@irdl_op_definition
class SqrtOp(UnaryOp):
    name = "top.sqrt"


@irdl_op_definition
class HardSwishOp(UnaryOp):
    """`x * max(0, min(1, x / 6 + 1 / 2))` (ONNX HardSwish)."""

    name = "top.hardswish"


@irdl_op_definition
class SiLUOp(UnaryOp):
    """`x * sigmoid(x)`; not an ONNX op, canonicalization recognises the pattern."""

    name = "top.silu"


@irdl_op_definition
class LeakyReluOp(UnaryOp):
    """`x` where `x >= 0`, else `alpha * x`."""

    name = "top.leaky_relu"

    alpha = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(0.01, f64))

    def __init__(
        self, input: SSAValue | Operation, *, alpha: float = 0.01, location: Location = None
    ) -> None:
        super().__init__(input, location=location, properties={"alpha": FloatAttr(alpha, f64)})

    @property
    def alpha_value(self) -> float:
        return self.alpha.value.data


@irdl_op_definition
class HardSigmoidOp(UnaryOp):
    """`max(0, min(1, alpha * x + beta))`."""

    name = "top.hardsigmoid"

    alpha = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(0.2, f64))
    beta = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(0.5, f64))

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        alpha: float = 0.2,
        beta: float = 0.5,
        location: Location = None,
    ) -> None:
        super().__init__(
            input,
            location=location,
            properties={"alpha": FloatAttr(alpha, f64), "beta": FloatAttr(beta, f64)},
        )

    @property
    def alpha_value(self) -> float:
        return self.alpha.value.data

    @property
    def beta_value(self) -> float:
        return self.beta.value.data


GELU_APPROXIMATIONS: tuple[str, ...] = ("none", "tanh")


@irdl_op_definition
class GeluOp(UnaryOp):
    """`x * Phi(x)`, exact (`approximate = "none"`, with erf) or the tanh approximation."""

    name = "top.gelu"

    approximate = prop_def(StringAttr, default_value=StringAttr("none"))

    def __init__(
        self, input: SSAValue | Operation, *, approximate: str = "none", location: Location = None
    ) -> None:
        super().__init__(
            input, location=location, properties={"approximate": StringAttr(approximate)}
        )

    def verify_(self) -> None:
        _check_choice("approximate", self.approximate.data, GELU_APPROXIMATIONS)


class ClipCanonicalization(HasCanonicalizationPatternsTrait):
    """Clip patterns: a clip at zero becomes a relu (then fused into its producer)."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import ClipToRelu

        return (ClipToRelu(),)


@irdl_op_definition
class ClipOp(UnaryOp):
    """`min(max(x, min), max)`; an absent bound is no bound (ONNX Clip with constant bounds)."""

    name = "top.clip"

    traits = traits_def(ClipCanonicalization())

    min = opt_prop_def(FloatAttr[Float64Type])
    max = opt_prop_def(FloatAttr[Float64Type])

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        min: float | None = None,
        max: float | None = None,
        location: Location = None,
    ) -> None:
        super().__init__(
            input, location=location, properties={"min": _opt_f64(min), "max": _opt_f64(max)}
        )

    @property
    def min_value(self) -> float | None:
        return None if self.min is None else self.min.value.data

    @property
    def max_value(self) -> float | None:
        return None if self.max is None else self.max.value.data

    def verify_(self) -> None:
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and not low <= high:
            raise VerifyException(f"expected min ({low}) <= max ({high})")


@irdl_op_definition
class PowOp(UnaryOp):
    """`x ** exponent` with a constant scalar exponent (ONNX Pow with a constant exponent)."""

    name = "top.pow"

    exponent = prop_def(FloatAttr[Float64Type])

    def __init__(
        self, input: SSAValue | Operation, *, exponent: float, location: Location = None
    ) -> None:
        super().__init__(
            input, location=location, properties={"exponent": FloatAttr(exponent, f64)}
        )

    @property
    def exponent_value(self) -> float:
        return self.exponent.value.data


# --- binary and ternary elementwise ops ----------------------------------------------------------


class BinaryElementwiseOp(ElementwiseOp, ABC):
    """An `ElementwiseOp` of exactly two inputs whose order matters."""

    def __init__(
        self,
        lhs: SSAValue | Operation,
        rhs: SSAValue | Operation,
        *,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        inputs = [lhs, rhs]
        super().__init__(
            operands=[inputs],
            result_types=[self.infer_result_type(inputs) if result_type is None else result_type],
            properties=self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    def verify_(self) -> None:
        if len(self.inputs) != 2:
            raise VerifyException(f"expected 2 inputs, got {len(self.inputs)}")
        super().verify_()


@irdl_op_definition
class SubOp(BinaryElementwiseOp):
    """`inputs[0] - inputs[1]` with numpy broadcasting."""

    name = "top.sub"


class DivCanonicalization(HasCanonicalizationPatternsTrait):
    """Div patterns: recognise the decomposed LayerNorm that ends in this div."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import DivByConstantToMul, RecognizeLayerNorm

        return (RecognizeLayerNorm(), DivByConstantToMul())


@irdl_op_definition
class DivOp(BinaryElementwiseOp):
    """`inputs[0] / inputs[1]` with numpy broadcasting."""

    name = "top.div"

    traits = traits_def(DivCanonicalization())


@irdl_op_definition
class PReluOp(IRDLOperation):
    """`x` where `x >= 0`, else `slope * x`; `slope` broadcasts to the input (ONNX PRelu)."""

    name = "top.prelu"

    input = operand_def(F32Tensor)
    slope = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    assembly_format = "$input `,` $slope attr-dict `:` functional-type(operands, results)"

    def __init__(
        self, input: SSAValue | Operation, slope: SSAValue | Operation, *, location: Location = None
    ) -> None:
        super().__init__(operands=[input, slope], result_types=[SSAValue.get(input).type])
        _set_location(self, location)

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        slope = _static_shape(self.slope, "slope")
        if not _broadcasts_to(slope, shape):
            raise VerifyException(
                f"expected slope shape {_fmt(slope)} to broadcast to the input shape {_fmt(shape)}"
            )
        _check_result_shape(_static_shape(self.output, "result"), shape, "the input shape")


@irdl_op_definition
class WhereOp(IRDLOperation):
    """`condition != 0 ? x : y` elementwise with numpy broadcasting of all three operands.

    The condition is an f32 tensor (1.0 for true, 0.0 for false) because top carries f32 only.
    """

    name = "top.where"

    condition = operand_def(F32Tensor)
    x = operand_def(F32Tensor)
    y = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    assembly_format = "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        condition: SSAValue | Operation,
        x: SSAValue | Operation,
        y: SSAValue | Operation,
        *,
        location: Location = None,
    ) -> None:
        shapes = [
            _static_shape(SSAValue.get(v), role)
            for v, role in ((condition, "condition"), (x, "x"), (y, "y"))
        ]
        super().__init__(
            operands=[condition, x, y], result_types=[_result_type(broadcast_shapes(*shapes))]
        )
        _set_location(self, location)

    def verify_(self) -> None:
        expected = broadcast_shapes(
            _static_shape(self.condition, "condition"),
            _static_shape(self.x, "x"),
            _static_shape(self.y, "y"),
        )
        _check_result_shape(
            _static_shape(self.output, "result"), expected, "the broadcast of the operands"
        )


# --- normalization -------------------------------------------------------------------------------


class BatchNormCanonicalization(HasCanonicalizationPatternsTrait):
    """BatchNorm patterns: fold into the preceding conv / deconv / matmul."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import FoldBatchNormIntoProducer

        return (FoldBatchNormIntoProducer(),)


@irdl_op_definition
class BatchNormOp(IRDLOperation):
    """Inference batch normalization along dim 1 (ONNX BatchNormalization, training_mode 0):
    `(x - mean) / sqrt(variance + epsilon) * scale + bias`, each parameter of shape [C].
    """

    name = "top.batchnorm"

    input = operand_def(F32Tensor)
    scale = operand_def(F32Tensor)
    bias = operand_def(F32Tensor)
    mean = operand_def(F32Tensor)
    variance = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    epsilon = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(1e-5, f64))

    traits = traits_def(Pure(), BatchNormCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` "
        "functional-type(operands, results)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        scale: SSAValue | Operation,
        bias: SSAValue | Operation,
        mean: SSAValue | Operation,
        variance: SSAValue | Operation,
        *,
        epsilon: float = 1e-5,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[input, scale, bias, mean, variance],
            result_types=[SSAValue.get(input).type],
            properties={"epsilon": FloatAttr(epsilon, f64)},
        )
        _set_location(self, location)

    @property
    def epsilon_value(self) -> float:
        return self.epsilon.value.data

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        if len(shape) < 2:
            raise VerifyException(
                f"expected an input of rank >= 2 (N, C, ...), got rank {len(shape)}"
            )
        for role in ("scale", "bias", "mean", "variance"):
            got = _static_shape(getattr(self, role), role)
            if got != (shape[1],):
                raise VerifyException(
                    f"expected {role} shape {_fmt((shape[1],))} (input channels), got {_fmt(got)}"
                )
        if not self.epsilon_value >= 0:
            raise VerifyException(f"expected epsilon >= 0, got {self.epsilon_value}")
        _check_result_shape(_static_shape(self.output, "result"), shape, "the input shape")


@irdl_op_definition
class LayerNormOp(IRDLOperation):
    """Layer normalization over dims `axis..rank-1` (ONNX LayerNormalization), then
    `* scale (+ bias)`; scale and bias broadcast to those normalized dims.
    """

    name = "top.layernorm"

    input = operand_def(F32Tensor)
    scale = operand_def(F32Tensor)
    bias = opt_operand_def(F32Tensor)
    output = result_def(F32Tensor)
    axis = prop_def(IntegerAttr[I64], default_value=IntegerAttr(-1, i64))
    epsilon = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(1e-5, f64))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        scale: SSAValue | Operation,
        bias: SSAValue | Operation | None = None,
        *,
        axis: int = -1,
        epsilon: float = 1e-5,
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[input, scale, bias],
            result_types=[SSAValue.get(input).type],
            properties={"axis": IntegerAttr(axis, i64), "epsilon": FloatAttr(epsilon, f64)},
        )
        _set_location(self, location)

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    @property
    def epsilon_value(self) -> float:
        return self.epsilon.value.data

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        axis = _normalize_axis(self.axis_value, len(shape))
        normalized = shape[axis:]
        operands = [("scale", self.scale)] + ([] if self.bias is None else [("bias", self.bias)])
        for role, value in operands:
            got = _static_shape(value, role)
            if not _broadcasts_to(got, normalized):
                raise VerifyException(
                    f"expected {role} shape {_fmt(got)} to broadcast to the normalized shape "
                    f"{_fmt(normalized)} (input dims {axis}..{len(shape) - 1})"
                )
        if not self.epsilon_value >= 0:
            raise VerifyException(f"expected epsilon >= 0, got {self.epsilon_value}")
        _check_result_shape(_static_shape(self.output, "result"), shape, "the input shape")


# --- convolution and matrix products -------------------------------------------------------------


@irdl_op_definition
class DeconvOp(ConvLikeOp):
    """2-D transposed convolution (ONNX ConvTranspose), filter (IC, OC / group, KH, KW).

    `pads` are explicit (ONNX `auto_pad` and `output_shape` are resolved by the importer), begins
    then ends; `output_padding` adds rows/columns at the end of each spatial dim.
    """

    name = "top.deconv"

    output_padding = opt_prop_def(DenseArrayBase.constr(i64))

    traits = traits_def(Pure())

    def __init__(
        self,
        input: SSAValue | Operation,
        filter: SSAValue | Operation,
        bias: SSAValue | Operation | None = None,
        *,
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        dilations: Sequence[int] | None = None,
        output_padding: Sequence[int] | None = None,
        group: int = 1,
        do_relu: bool = False,
        relu_limit: float | None = None,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            result_type = _result_type(
                deconv_output_shape(
                    _static_shape(SSAValue.get(input), "input"),
                    _static_shape(SSAValue.get(filter), "filter"),
                    strides=strides,
                    pads=pads,
                    dilations=dilations or (1,) * len(strides),
                    output_padding=output_padding or (0,) * len(strides),
                    group=group,
                )
            )
        super().__init__(
            operands=[input, filter, bias],
            result_types=[result_type],
            properties={
                "strides": _i64_array(strides),
                "pads": _i64_array(pads),
                "dilations": None if dilations is None else _i64_array(dilations),
                "output_padding": None if output_padding is None else _i64_array(output_padding),
                "group": IntegerAttr(group, i64),
            }
            | self.relu_properties(do_relu, relu_limit),
        )
        _set_location(self, location)

    @property
    def output_padding_values(self) -> Shape:
        """The output padding, all zeros when the property is absent."""
        if self.output_padding is None:
            return (0,) * len(self.strides_values)
        return _ints(self.output_padding)

    def verify_(self) -> None:
        self.verify_relu_options()
        expected = deconv_output_shape(
            _static_shape(self.input, "input"),
            _static_shape(self.filter, "filter"),
            strides=self.strides_values,
            pads=self.pads_values,
            dilations=self.dilations_values,
            output_padding=self.output_padding_values,
            group=self.group_value,
        )
        self.verify_bias(expected[1])
        _check_result_shape(_static_shape(self.output, "result"), expected, "deconv output size")


class GemmCanonicalization(HasCanonicalizationPatternsTrait):
    """Gemm patterns: lowered to matmul + bias."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import LowerGemmToMatMul

        return (LowerGemmToMatMul(),)


@irdl_op_definition
class GemmOp(IRDLOperation):
    """`alpha * op(a) @ op(b) + beta * c` (ONNX Gemm), `op` transposing when `trans_a/b` is set;
    `c` broadcasts to the (M, N) result. Canonicalization turns it into `top.matmul`.
    """

    name = "top.gemm"

    a = operand_def(F32Tensor)
    b = operand_def(F32Tensor)
    c = opt_operand_def(F32Tensor)
    output = result_def(F32Tensor)

    alpha = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(1.0, f64))
    beta = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(1.0, f64))
    trans_a = prop_def(BoolAttr, default_value=_FALSE)
    trans_b = prop_def(BoolAttr, default_value=_FALSE)

    traits = traits_def(Pure(), GemmCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        a: SSAValue | Operation,
        b: SSAValue | Operation,
        c: SSAValue | Operation | None = None,
        *,
        alpha: float = 1.0,
        beta: float = 1.0,
        trans_a: bool = False,
        trans_b: bool = False,
        location: Location = None,
    ) -> None:
        shape = gemm_output_shape(
            _static_shape(SSAValue.get(a), "a"),
            _static_shape(SSAValue.get(b), "b"),
            trans_a=trans_a,
            trans_b=trans_b,
        )
        super().__init__(
            operands=[a, b, c],
            result_types=[_result_type(shape)],
            properties={
                "alpha": FloatAttr(alpha, f64),
                "beta": FloatAttr(beta, f64),
                "trans_a": BoolAttr.from_bool(trans_a),
                "trans_b": BoolAttr.from_bool(trans_b),
            },
        )
        _set_location(self, location)

    @property
    def alpha_value(self) -> float:
        return self.alpha.value.data

    @property
    def beta_value(self) -> float:
        return self.beta.value.data

    @property
    def trans_a_value(self) -> bool:
        return bool(self.trans_a.value.data)

    @property
    def trans_b_value(self) -> bool:
        return bool(self.trans_b.value.data)

    def verify_(self) -> None:
        expected = gemm_output_shape(
            _static_shape(self.a, "a"),
            _static_shape(self.b, "b"),
            trans_a=self.trans_a_value,
            trans_b=self.trans_b_value,
        )
        if self.c is not None:
            c_shape = _static_shape(self.c, "c")
            if not _broadcasts_to(c_shape, expected):
                raise VerifyException(
                    f"expected c shape {_fmt(c_shape)} to broadcast to the result shape "
                    f"{_fmt(expected)}"
                )
        _check_result_shape(_static_shape(self.output, "result"), expected, "gemm (M, N)")


# --- data movement -------------------------------------------------------------------------------


class TransposeCanonicalization(HasCanonicalizationPatternsTrait):
    """Transpose patterns: identity permutations dropped, chains merged."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import (
            MergeTransposeOfTranspose,
            RemoveIdentityTranspose,
        )

        return (MergeTransposeOfTranspose(), RemoveIdentityTranspose())


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """Permute the dimensions: result dim i is input dim `perm[i]`."""

    name = "top.transpose"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    perm = prop_def(DenseArrayBase.constr(i64))

    traits = traits_def(Pure(), TransposeCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self, input: SSAValue | Operation, *, perm: Sequence[int], location: Location = None
    ) -> None:
        shape = transpose_output_shape(_static_shape(SSAValue.get(input), "input"), perm)
        super().__init__(
            operands=[input],
            result_types=[_result_type(shape)],
            properties={"perm": _i64_array(perm)},
        )
        _set_location(self, location)

    @property
    def perm_values(self) -> Shape:
        return _ints(self.perm)

    def verify_(self) -> None:
        expected = transpose_output_shape(_static_shape(self.input, "input"), self.perm_values)
        _check_result_shape(_static_shape(self.output, "result"), expected, "input permuted")


class SliceCanonicalization(HasCanonicalizationPatternsTrait):
    """Slice patterns: a slice that keeps everything is dropped."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import RemoveFullSlice

        return (RemoveFullSlice(),)


@irdl_op_definition
class SliceOp(IRDLOperation):
    """A strided slice, fully resolved per dimension: result element `i` along dim `d` is input
    element `starts[d] + i * steps[d]` (ONNX Slice after clamping; steps may be negative).
    """

    name = "top.slice"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    starts = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))

    traits = traits_def(Pure(), SliceCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        starts: Sequence[int],
        steps: Sequence[int],
        sizes: Sequence[int],
        location: Location = None,
    ) -> None:
        super().__init__(
            operands=[input],
            result_types=[_result_type(sizes)],
            properties={"starts": _i64_array(starts), "steps": _i64_array(steps)},
        )
        _set_location(self, location)

    @property
    def starts_values(self) -> Shape:
        return _ints(self.starts)

    @property
    def steps_values(self) -> Shape:
        return _ints(self.steps)

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        result = _static_shape(self.output, "result")
        starts, steps = self.starts_values, self.steps_values
        _check_count("starts", starts, len(shape), "one per input dim")
        _check_count("steps", steps, len(shape), "one per input dim")
        if len(result) != len(shape):
            raise VerifyException(
                f"expected result rank {len(shape)} (the input rank), got {len(result)}"
            )
        for dim, (size, start, step, count) in enumerate(
            zip(shape, starts, steps, result, strict=True)
        ):
            if step == 0:
                raise VerifyException(f"expected a non-zero step along dimension {dim}")
            last = start + step * (count - 1)
            if count and not (0 <= start < size and 0 <= last < size):
                raise VerifyException(
                    f"expected slice indices {start}..{last} (step {step}) along dimension {dim} "
                    f"to lie in [0, {size})"
                )


@irdl_op_definition
class SplitOp(IRDLOperation):
    """Cut the input along `axis` into consecutive pieces of the sizes in `split`."""

    name = "top.split"

    input = operand_def(F32Tensor)
    outputs = var_result_def(F32Tensor)
    axis = prop_def(IntegerAttr[I64])
    split = prop_def(DenseArrayBase.constr(i64))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($outputs)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        axis: int,
        split: Sequence[int],
        location: Location = None,
    ) -> None:
        shapes = split_output_shapes(_static_shape(SSAValue.get(input), "input"), axis, split)
        super().__init__(
            operands=[input],
            result_types=[[_result_type(s) for s in shapes]],
            properties={"axis": IntegerAttr(axis, i64), "split": _i64_array(split)},
        )
        _set_location(self, location)

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    @property
    def split_values(self) -> Shape:
        return _ints(self.split)

    def verify_(self) -> None:
        expected = split_output_shapes(
            _static_shape(self.input, "input"), self.axis_value, self.split_values
        )
        if len(self.outputs) != len(expected):
            raise VerifyException(
                f"expected {len(expected)} results (one per split size), got {len(self.outputs)}"
            )
        for index, (value, shape) in enumerate(zip(self.outputs, expected, strict=True)):
            _check_result_shape(
                _static_shape(value, f"result {index}"), shape, f"piece {index} of the split"
            )


PAD_MODES: tuple[str, ...] = ("constant", "reflect", "edge")


class PadCanonicalization(HasCanonicalizationPatternsTrait):
    """Pad patterns: a pad of zero width is dropped."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import RemoveZeroPad

        return (RemoveZeroPad(),)


@irdl_op_definition
class PadOp(IRDLOperation):
    """Pad every dim by `pads` (all begins, then all ends) with `value` ("constant"), a mirror
    image without the border element ("reflect") or copies of the border element ("edge").
    """

    name = "top.pad"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    pads = prop_def(DenseArrayBase.constr(i64))
    mode = prop_def(StringAttr, default_value=StringAttr("constant"))
    value = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(0.0, f64))

    traits = traits_def(Pure(), PadCanonicalization())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        pads: Sequence[int],
        mode: str = "constant",
        value: float = 0.0,
        location: Location = None,
    ) -> None:
        shape = pad_output_shape(_static_shape(SSAValue.get(input), "input"), pads)
        super().__init__(
            operands=[input],
            result_types=[_result_type(shape)],
            properties={
                "pads": _i64_array(pads),
                "mode": StringAttr(mode),
                "value": FloatAttr(value, f64),
            },
        )
        _set_location(self, location)

    @property
    def pads_values(self) -> Shape:
        return _ints(self.pads)

    @property
    def value_value(self) -> float:
        return self.value.value.data

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        pads = self.pads_values
        mode = self.mode.data
        _check_choice("mode", mode, PAD_MODES)
        expected = pad_output_shape(shape, pads)
        rank = len(shape)
        if mode == "reflect":
            for dim, size in enumerate(shape):
                if max(pads[dim], pads[dim + rank]) >= size:
                    raise VerifyException(
                        f"expected reflect pads ({pads[dim]}, {pads[dim + rank]}) along "
                        f"dimension {dim} to be less than its size ({size})"
                    )
        _check_result_shape(_static_shape(self.output, "result"), expected, "input plus pads")


@irdl_op_definition
class ExpandOp(IRDLOperation):
    """Broadcast the input to the result's shape (ONNX Expand with a constant shape)."""

    name = "top.expand"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)

    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self, input: SSAValue | Operation, shape: Sequence[int], *, location: Location = None
    ) -> None:
        result = broadcast_shapes(_static_shape(SSAValue.get(input), "input"), shape)
        super().__init__(operands=[input], result_types=[_result_type(result)])
        _set_location(self, location)

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        result = _static_shape(self.output, "result")
        if not _broadcasts_to(shape, result):
            raise VerifyException(
                f"expected the input shape {_fmt(shape)} to broadcast to the result shape "
                f"{_fmt(result)}"
            )


@irdl_op_definition
class GatherOp(IRDLOperation):
    """ONNX Gather with constant `indices` (an i64 dense tensor, negative counts from the end):
    the `axis` dimension of the input is replaced by the indices' shape.
    """

    name = "top.gather"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    axis = prop_def(IntegerAttr[I64], default_value=IntegerAttr(0, i64))
    indices = prop_def(DenseIntOrFPElementsAttr)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        indices: Sequence[int] | DenseIntOrFPElementsAttr,
        axis: int = 0,
        location: Location = None,
    ) -> None:
        if not isinstance(indices, DenseIntOrFPElementsAttr):
            values = [int(i) for i in indices]
            indices = DenseIntOrFPElementsAttr.from_list(TensorType(i64, [len(values)]), values)
        shape = gather_output_shape(
            _static_shape(SSAValue.get(input), "input"), tuple(indices.get_shape()), axis
        )
        super().__init__(
            operands=[input],
            result_types=[_result_type(shape)],
            properties={"axis": IntegerAttr(axis, i64), "indices": indices},
        )
        _set_location(self, location)

    @property
    def axis_value(self) -> int:
        return self.axis.value.data

    @property
    def indices_values(self) -> tuple[int, ...]:
        """The indices, flattened in row-major order."""
        return tuple(int(v) for v in self.indices.get_values())

    @property
    def indices_shape(self) -> Shape:
        return tuple(self.indices.get_shape())

    def verify_(self) -> None:
        shape = _static_shape(self.input, "input")
        element = self.indices.get_element_type()
        if element != i64:
            raise VerifyException(f"expected indices of element type i64, got {element}")
        axis = _normalize_axis(self.axis_value, len(shape))
        bad = [i for i in self.indices_values if not -shape[axis] <= i < shape[axis]]
        if bad:
            raise VerifyException(
                f"expected indices in [{-shape[axis]}, {shape[axis]}) (dimension {axis}), "
                f"got {bad[0]}"
            )
        expected = gather_output_shape(shape, self.indices_shape, axis)
        _check_result_shape(
            _static_shape(self.output, "result"), expected, "axis replaced by the indices' shape"
        )


RESIZE_MODES: tuple[str, ...] = ("nearest", "linear", "cubic")
COORDINATE_TRANSFORMATION_MODES: tuple[str, ...] = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_half_pixel_for_nn",
)
NEAREST_MODES: tuple[str, ...] = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


@irdl_op_definition
class ResizeOp(IRDLOperation):
    """ONNX Resize with everything resolved: one `scales` value per dim (for ONNX `sizes`, the
    ratio output / input, as ONNX itself uses it), the modes as ONNX names them, and the
    static output shape in the result type (`floor(in * scale)` per dim).
    """

    name = "top.resize"

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    mode = prop_def(StringAttr)
    coordinate_transformation_mode = prop_def(StringAttr, default_value=StringAttr("half_pixel"))
    nearest_mode = prop_def(StringAttr, default_value=StringAttr("round_prefer_floor"))
    cubic_coeff_a = prop_def(FloatAttr[Float64Type], default_value=FloatAttr(-0.75, f64))
    exclude_outside = prop_def(BoolAttr, default_value=_FALSE)
    scales = prop_def(DenseArrayBase.constr(f64))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        mode: str,
        scales: Sequence[float],
        coordinate_transformation_mode: str = "half_pixel",
        nearest_mode: str = "round_prefer_floor",
        cubic_coeff_a: float = -0.75,
        exclude_outside: bool = False,
        result_type: TensorType | None = None,
        location: Location = None,
    ) -> None:
        if result_type is None:
            shape = _static_shape(SSAValue.get(input), "input")
            result_type = _result_type(
                [resize_output_size(d, s) for d, s in zip(shape, scales, strict=True)]
            )
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={
                "mode": StringAttr(mode),
                "coordinate_transformation_mode": StringAttr(coordinate_transformation_mode),
                "nearest_mode": StringAttr(nearest_mode),
                "cubic_coeff_a": FloatAttr(cubic_coeff_a, f64),
                "exclude_outside": BoolAttr.from_bool(exclude_outside),
                "scales": _f64_array(scales),
            },
        )
        _set_location(self, location)

    @property
    def scales_values(self) -> tuple[float, ...]:
        return _floats(self.scales)

    @property
    def cubic_coeff_a_value(self) -> float:
        return self.cubic_coeff_a.value.data

    @property
    def exclude_outside_value(self) -> bool:
        return bool(self.exclude_outside.value.data)

    def verify_(self) -> None:
        _check_choice("mode", self.mode.data, RESIZE_MODES)
        _check_choice(
            "coordinate_transformation_mode",
            self.coordinate_transformation_mode.data,
            COORDINATE_TRANSFORMATION_MODES,
        )
        _check_choice("nearest_mode", self.nearest_mode.data, NEAREST_MODES)
        shape = _static_shape(self.input, "input")
        result = _static_shape(self.output, "result")
        scales = self.scales_values
        _check_count("scales", scales, len(shape), "one per input dim")
        if any(not s > 0 for s in scales):
            raise VerifyException(f"expected scales > 0, got {_fmt(scales)}")
        if len(result) != len(shape):
            raise VerifyException(
                f"expected result rank {len(shape)} (the input rank), got {len(result)}"
            )
        for dim, (size, scale, out) in enumerate(zip(shape, scales, result, strict=True)):
            # sizes-based resizes round, scale-based ones floor; accept either
            if out not in (resize_output_size(size, scale), round(size * scale)):
                raise VerifyException(
                    f"expected result dimension {dim} to be floor({size} x {scale}) = "
                    f"{resize_output_size(size, scale)}, got {out}"
                )


# --- reductions ----------------------------------------------------------------------------------


class ReduceCanonicalization(HasCanonicalizationPatternsTrait):
    """Reduction patterns: a mean or max over H and W of NCHW is a global pool."""

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        from nntc.passes.canonicalization_patterns.top import ReduceSpatialToGlobalPool

        return (ReduceSpatialToGlobalPool(),)


class ReduceOp(IRDLOperation, ABC):
    """Shared definition of reductions over `axes` (negative counts from the end)."""

    input = operand_def(F32Tensor)
    output = result_def(F32Tensor)
    axes = prop_def(DenseArrayBase.constr(i64))
    keepdims = prop_def(BoolAttr, default_value=BoolAttr.from_bool(True))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        axes: Sequence[int],
        keepdims: bool = True,
        location: Location = None,
    ) -> None:
        shape = reduce_output_shape(_static_shape(SSAValue.get(input), "input"), axes, keepdims)
        super().__init__(
            operands=[input],
            result_types=[_result_type(shape)],
            properties={"axes": _i64_array(axes), "keepdims": BoolAttr.from_bool(keepdims)},
        )
        _set_location(self, location)

    @property
    def axes_values(self) -> Shape:
        return _ints(self.axes)

    @property
    def keepdims_value(self) -> bool:
        return bool(self.keepdims.value.data)

    def verify_(self) -> None:
        axes = self.axes_values
        if not axes:
            raise VerifyException("expected at least one axis to reduce")
        expected = reduce_output_shape(
            _static_shape(self.input, "input"), axes, self.keepdims_value
        )
        why = "reduced axes kept as 1" if self.keepdims_value else "reduced axes removed"
        _check_result_shape(_static_shape(self.output, "result"), expected, why)


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    name = "top.reduce_mean"

    traits = traits_def(Pure(), ReduceCanonicalization())


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    name = "top.reduce_sum"


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    name = "top.reduce_max"

    traits = traits_def(Pure(), ReduceCanonicalization())


Top = Dialect(
    "top",
    [
        InputOp,
        WeightOp,
        ConvOp,
        MatMulOp,
        AddOp,
        MulOp,
        SubOp,
        DivOp,
        PReluOp,
        WhereOp,
        ReluOp,
        IdentityOp,
        SigmoidOp,
        TanhOp,
        ErfOp,
        ExpOp,
        LogOp,
        SqrtOp,
        HardSwishOp,
        SiLUOp,
        LeakyReluOp,
        HardSigmoidOp,
        GeluOp,
        ClipOp,
        PowOp,
        SoftmaxOp,
        LogSoftmaxOp,
        BatchNormOp,
        LayerNormOp,
        DeconvOp,
        GemmOp,
        MaxPoolOp,
        AvgPoolOp,
        GlobalAvgPoolOp,
        GlobalMaxPoolOp,
        ReshapeOp,
        ConcatOp,
        TransposeOp,
        SliceOp,
        SplitOp,
        PadOp,
        ExpandOp,
        GatherOp,
        ResizeOp,
        ReduceMeanOp,
        ReduceSumOp,
        ReduceMaxOp,
    ],
    [],
)
