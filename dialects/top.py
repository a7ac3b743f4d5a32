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
`ReluFusibleOp`; the `canonicalize` pass folds a following `top.relu` into them (patterns in
`nntc.passes.canonicalization_patterns.top`).
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
)
from xdsl.parser import Parser
from xdsl.pattern_rewriter import RewritePattern
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, HasCanonicalizationPatternsTrait, Pure
from xdsl.utils.exceptions import VerifyException

F32Tensor = TensorType.constr(f32)
"""The only value type of the dialect; widen it here if top ever carries other element types."""

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


@irdl_op_definition
class ConvOp(ReluFusibleOp):
    """2-D convolution (ONNX Conv), NCHW input, (OC, IC / group, KH, KW) filter, bias [OC].

    `pads` are in ONNX order, begins then ends: [top, left, bottom, right].
    """

    name = "top.conv"

    input = operand_def(F32Tensor)
    filter = operand_def(F32Tensor)
    bias = opt_operand_def(F32Tensor)
    output = result_def(F32Tensor)

    strides = prop_def(DenseArrayBase.constr(i64))
    pads = prop_def(DenseArrayBase.constr(i64))
    dilations = opt_prop_def(DenseArrayBase.constr(i64))
    group = prop_def(IntegerAttr[I64], default_value=IntegerAttr(1, i64))

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $filter (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

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
        if self.bias is not None:
            bias_shape = _static_shape(self.bias, "bias")
            if bias_shape != (expected[1],):
                raise VerifyException(
                    f"expected bias shape {_fmt((expected[1],))} (output channels), "
                    f"got {_fmt(bias_shape)}"
                )
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


@irdl_op_definition
class AddOp(ElementwiseOp):
    """`sum(coeff[i] * inputs[i])` with numpy broadcasting; `coeff` defaults to all ones."""

    name = "top.add"

    coeff = opt_prop_def(DenseArrayBase.constr(f64))

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


@irdl_op_definition
class MulOp(ElementwiseOp):
    """The product of the inputs with numpy broadcasting."""

    name = "top.mul"

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


@irdl_op_definition
class SoftmaxOp(IRDLOperation):
    """Softmax along `axis` (negative counts from the end, as in ONNX)."""

    name = "top.softmax"

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


@irdl_op_definition
class GlobalAvgPoolOp(IRDLOperation):
    """Mean over all spatial dimensions: (N, C, H, W) -> (N, C, 1, 1)."""

    name = "top.global_avgpool"

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


Top = Dialect(
    "top",
    [
        InputOp,
        WeightOp,
        ConvOp,
        MatMulOp,
        AddOp,
        MulOp,
        ReluOp,
        SoftmaxOp,
        MaxPoolOp,
        AvgPoolOp,
        GlobalAvgPoolOp,
        ReshapeOp,
        ConcatOp,
    ],
    [],
)
