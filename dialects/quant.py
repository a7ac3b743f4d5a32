"""The `quant` dialect: quantized element types, calibration statistics and float/int casts.

This is the layer between the float `top` dialect and the integer `tpu` dialect. Its syntax
follows MLIR's quant dialect, which engineers already read:

- `!quant.uniform<i8:f32, 0.0157:-3>`: per-tensor uniform quantization (`UniformQuantType`),
  storage `i8`/`u8`/`i16`/`u16`/`i32`/`u32`, optionally narrowed as `i8<-127:127>`, expressed
  type `f32`/`f16`/`bf16`, then `scale[:zero_point]` (zero point 0 when left out).
- `!quant.uniform<i8:f32:0, {0.1, 0.2:1}>`: per-axis quantization along dimension 0
  (`UniformQuantPerAxisType`), one `scale[:zero_point]` per slice of that dimension.
- `#quant.calibration<threshold = 2.5, min = -2.4, max = 2.5>`: statistics the calibrator
  attaches to a float tensor (`CalibrationAttr`).
- `quant.qcast` (float to quantized), `quant.dcast` (quantized to float) and `quant.requant`
  (quantized to differently quantized), on tensors of equal shape.
- `quant.lut`: an 8-bit lookup table, how int8 graphs compute activations such as sigmoid.
- `TOP_TENSOR`: the value constraint of the `top` dialect, which lets top ops carry quantized
  (and f16/bf16) tensors at the quant level while keeping each op's element types consistent.

A real value `r` and its stored integer `q` are related by `r = scale * (q - zero_point)`.
`quantize` and `dequantize` implement that relation on numpy arrays; the quantizer and the
reference interpreter use them, so they are the numeric definition of the two casts.

Both type classes print as `!quant.uniform`, as in MLIR, but a context maps one name to one class.
Only `UniformQuantType` is registered; its parser recognises the per-axis form and its `new`
builds a `UniformQuantPerAxisType` from the per-axis parameters.
"""

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeVar, get_args

import numpy as np
import numpy.typing as npt
from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    Float16Type,
    Float32Type,
    FloatData,
    IntAttr,
    IntegerType,
    Signedness,
    StringAttr,
    TensorType,
)
from xdsl.ir import (
    Attribute,
    Dialect,
    Operation,
    ParametrizedAttribute,
    SSAValue,
    TypeAttribute,
)
from xdsl.irdl import (
    AttrConstraint,
    IntConstraint,
    IRDLOperation,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.irdl.constraints import VerificationContext
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

__all__ = [
    "BIAS_CORRECTION_ATTR",
    "CALIBRATION_ATTR",
    "LUT_BITS",
    "ROUND_MODES",
    "ROUND_MODE_ATTR",
    "TOP_TENSOR",
    "CalibrationAttr",
    "DequantizeCastOp",
    "LutOp",
    "QuantizeCastOp",
    "QuantizedType",
    "Quant",
    "RequantizeCastOp",
    "RoundMode",
    "TopTensorConstraint",
    "UniformQuantPerAxisType",
    "UniformQuantType",
    "dequantize",
    "format_float",
    "lut_index",
    "quantize",
    "quantized_element_type",
    "verify_quantized_shape",
]

STORAGE_WIDTHS = (8, 16, 32)
"""Storage widths a quantized type may use (the TPU's integer data types)."""

_EXPRESSED_TYPES = (Float32Type, Float16Type, BFloat16Type)
_STORAGE_RE = re.compile(r"([iu])([1-9][0-9]*)")


# --- text helpers ----------------------------------------------------------------------------


def format_float(value: float) -> str:
    """The shortest text that parses back to exactly `value`, as an MLIR float literal.

    Python's `repr` is the shortest round-tripping form, but writes `1e-05`, which the MLIR
    lexer reads as the integer 1 followed by `e`; a `.0` goes into such mantissas.
    """
    text = repr(float(value))
    mantissa, sep, exponent = text.partition("e")
    if sep and "." not in mantissa:
        return f"{mantissa}.0e{exponent}"
    return text


def _format_storage(storage: IntegerType) -> str:
    """MLIR's spelling of a storage type: `i8` when signed, `u8` when unsigned."""
    prefix = "u" if storage.signedness.data == Signedness.UNSIGNED else "i"
    return f"{prefix}{storage.width.data}"


def _format_type(attr: Attribute) -> str:
    """How a type reads in a message; storage types in the quant spelling."""
    if isinstance(attr, IntegerType) and attr.signedness.data != Signedness.SIGNLESS:
        return _format_storage(attr)
    return str(attr)


def _format_shape(shape: Sequence[int]) -> str:
    return "x".join("?" if d < 0 else str(d) for d in shape) if shape else "scalar"


def _parse_scale_and_zero_point(parser: AttrParser) -> tuple[float, int]:
    """`scale[:zero_point]`; an integer scale such as `2` is accepted too."""
    scale = float(parser.parse_number(context_msg=" as quantization scale"))
    zero_point = 0
    if parser.parse_optional_punctuation(":") is not None:
        zero_point = parser.parse_integer(allow_boolean=False, context_msg=" as zero point")
    return scale, zero_point


def _format_scale_and_zero_point(scale: float, zero_point: int) -> str:
    # MLIR leaves out a zero point of 0; so do we, so that both print the same text.
    if zero_point == 0:
        return format_float(scale)
    return f"{format_float(scale)}:{zero_point}"


def _check_scale(scale: float, what: str) -> None:
    if not (math.isfinite(scale) and scale > 0):
        raise VerifyException(f"expected {what} to be positive and finite, got {scale}")


# --- types -----------------------------------------------------------------------------------


class QuantizedType(ParametrizedAttribute, TypeAttribute, ABC):
    """What every quantized element type has: a storage type, its range and an expressed type.

    The storage type carries its signedness (`si8` for the `i8` of the text, `ui8` for `u8`), so
    that it names the numpy and TPU data type on its own. The storage range defaults to the
    full range of the storage type and may be narrower (`i8<-127:127>`, symmetric int8).
    """

    storage_type: IntegerType
    expressed_type: TypeAttribute
    storage_min_attr: IntAttr
    storage_max_attr: IntAttr

    @property
    def storage_min(self) -> int:
        return self.storage_min_attr.data

    @property
    def storage_max(self) -> int:
        return self.storage_max_attr.data

    @property
    def is_signed(self) -> bool:
        return self.storage_type.signedness.data == Signedness.SIGNED

    @property
    def storage_width(self) -> int:
        return self.storage_type.width.data

    @property
    def storage_dtype(self) -> np.dtype[np.integer]:
        """The numpy dtype of stored values (`int8` for `i8`, `uint8` for `u8`, ...)."""
        return np.dtype(f"{'int' if self.is_signed else 'uint'}{self.storage_width}")

    @property
    def has_full_storage_range(self) -> bool:
        lo, hi = _integer_range(self.storage_type)
        return (self.storage_min, self.storage_max) == (lo, hi)

    @abstractmethod
    def scales_for(self, ndim: int) -> np.ndarray:
        """Scales as a float64 array that broadcasts against an array of rank `ndim`."""

    @abstractmethod
    def zero_points_for(self, ndim: int) -> np.ndarray:
        """Zero points as an int64 array that broadcasts against an array of rank `ndim`."""

    def verify(self) -> None:
        storage = self.storage_type
        if storage.signedness.data == Signedness.SIGNLESS:
            raise VerifyException(
                f"expected storage type to be signed or unsigned, got signless {storage}"
            )
        if storage.width.data not in STORAGE_WIDTHS:
            raise VerifyException(
                f"expected storage type width to be 8, 16 or 32, got {storage.width.data}"
            )
        if not isinstance(self.expressed_type, _EXPRESSED_TYPES):
            raise VerifyException(
                f"expected expressed type to be f32, f16 or bf16, got {self.expressed_type}"
            )
        lo, hi = _integer_range(storage)
        if not self.storage_min < self.storage_max:
            raise VerifyException(
                f"expected storage min ({self.storage_min}) to be less than storage max "
                f"({self.storage_max})"
            )
        if self.storage_min < lo or self.storage_max > hi:
            raise VerifyException(
                f"expected storage range [{self.storage_min}, {self.storage_max}] to be within "
                f"the range [{lo}, {hi}] of {_format_storage(storage)}"
            )

    def _check_zero_point(self, zero_point: int, what: str) -> None:
        if not self.storage_min <= zero_point <= self.storage_max:
            raise VerifyException(
                f"expected {what} ({zero_point}) to be within the storage range "
                f"[{self.storage_min}, {self.storage_max}]"
            )

    # Text: `storage[<min:max>]:expressed`, shared by both forms.
    def _print_storage_and_expressed(self, printer: Printer) -> None:
        printer.print_string(_format_storage(self.storage_type))
        if not self.has_full_storage_range:
            printer.print_string(f"<{self.storage_min}:{self.storage_max}>")
        printer.print_string(":")
        printer.print_attribute(self.expressed_type)


def _integer_range(storage: IntegerType) -> tuple[int, int]:
    """Smallest and largest value of an integer type (inclusive)."""
    width = storage.width.data
    if width < 1:  # rejected by the verifier; keep construction from failing before it runs
        return 0, 0
    if storage.signedness.data == Signedness.UNSIGNED:
        return 0, (1 << width) - 1
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def _normalize_storage(storage: IntegerType) -> IntegerType:
    # The text `i8` means signed storage, so a signless `i8` from Python means the same.
    if storage.signedness.data == Signedness.SIGNLESS:
        return IntegerType(storage.width.data, Signedness.SIGNED)
    return storage


def _default_range(
    storage: IntegerType, storage_min: int | None, storage_max: int | None
) -> tuple[IntAttr, IntAttr]:
    lo, hi = _integer_range(storage)
    if storage_min is not None:
        lo = storage_min
    if storage_max is not None:
        hi = storage_max
    return IntAttr(lo), IntAttr(hi)


class _PerAxisParameters(tuple[Attribute, ...]):
    """Parameters parsed from the per-axis text form; tells `UniformQuantType.new` which class
    to build."""


def _parse_quant_parameters(parser: AttrParser) -> Sequence[Attribute]:
    """Parse `<storage[<min:max>]:expressed[:axis], scale-spec>` into either class's parameters."""
    start = parser.pos
    parser.parse_punctuation("<")
    storage_pos = parser.pos
    name = parser.parse_identifier(" as quantized storage type (i8, u8, i16, ...)")
    match = _STORAGE_RE.fullmatch(name)
    if match is None:
        parser.raise_error(
            f"expected a storage type such as i8 or u8, got '{name}'", storage_pos, parser.pos
        )
    sign, width = match.group(1), int(match.group(2))
    storage = IntegerType(width, Signedness.SIGNED if sign == "i" else Signedness.UNSIGNED)
    storage_min = storage_max = None
    if parser.parse_optional_punctuation("<") is not None:
        storage_min = parser.parse_integer(allow_boolean=False, context_msg=" as storage min")
        parser.parse_punctuation(":")
        storage_max = parser.parse_integer(allow_boolean=False, context_msg=" as storage max")
        parser.parse_punctuation(">")
    lo, hi = _default_range(storage, storage_min, storage_max)
    parser.parse_punctuation(":")
    expressed = parser.parse_type()
    axis = None
    if parser.parse_optional_punctuation(":") is not None:
        axis = parser.parse_integer(allow_boolean=False, context_msg=" as quantization axis")
    parser.parse_punctuation(",")
    params: Sequence[Attribute]
    if axis is None:
        scale, zero_point = _parse_scale_and_zero_point(parser)
        params = (storage, expressed, lo, hi, FloatData(scale), IntAttr(zero_point))
    else:
        entries = parser.parse_comma_separated_list(
            parser.Delimiter.BRACES, lambda: _parse_scale_and_zero_point(parser)
        )
        params = _PerAxisParameters(
            (
                storage,
                expressed,
                lo,
                hi,
                IntAttr(axis),
                ArrayAttr(FloatData(s) for s, _ in entries),
                ArrayAttr(IntAttr(z) for _, z in entries),
            )
        )
    parser.parse_punctuation(">")
    # Verify here so that a bad type is reported as a parse error at its own text.
    try:
        UniformQuantType.new(params)
    except VerifyException as e:
        parser.raise_error(str(e), start, parser.pos)
    return params


@irdl_attr_definition
class UniformQuantType(QuantizedType):
    """Per-tensor uniform quantization: `!quant.uniform<i8:f32, 0.0157:-3>`."""

    name = "quant.uniform"

    scale_attr: FloatData
    zero_point_attr: IntAttr

    def __init__(
        self,
        storage_type: IntegerType,
        expressed_type: TypeAttribute,
        scale: float,
        zero_point: int = 0,
        storage_min: int | None = None,
        storage_max: int | None = None,
    ) -> None:
        storage = _normalize_storage(storage_type)
        lo, hi = _default_range(storage, storage_min, storage_max)
        super().__init__(
            storage, expressed_type, lo, hi, FloatData(float(scale)), IntAttr(zero_point)
        )

    @classmethod
    def new(cls, params: Sequence[Attribute]) -> QuantizedType:  # type: ignore[override]
        # The parser calls `new` on the registered class; per-axis text becomes the other class.
        if isinstance(params, _PerAxisParameters):
            return UniformQuantPerAxisType.new(params)
        return super().new(params)

    @property
    def scale(self) -> float:
        return self.scale_attr.data

    @property
    def zero_point(self) -> int:
        return self.zero_point_attr.data

    def scales_for(self, ndim: int) -> np.ndarray:
        return np.float64(self.scale)

    def zero_points_for(self, ndim: int) -> np.ndarray:
        return np.int64(self.zero_point)

    def verify(self) -> None:
        super().verify()
        _check_scale(self.scale, "scale")
        self._check_zero_point(self.zero_point, "zero point")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        return _parse_quant_parameters(parser)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<")
        self._print_storage_and_expressed(printer)
        printer.print_string(", " + _format_scale_and_zero_point(self.scale, self.zero_point))
        printer.print_string(">")


@irdl_attr_definition
class UniformQuantPerAxisType(QuantizedType):
    """Per-axis uniform quantization: `!quant.uniform<i8:f32:0, {0.1, 0.2:1, 0.3}>`.

    Entry `i` of `scales` and `zero_points` applies to index `i` of dimension `axis` of the
    tensor this is the element type of (e.g. output channel `i` of a conv filter).
    """

    name = "quant.uniform"

    axis_attr: IntAttr
    scales_attr: ArrayAttr[FloatData]
    zero_points_attr: ArrayAttr[IntAttr]

    def __init__(
        self,
        storage_type: IntegerType,
        expressed_type: TypeAttribute,
        axis: int,
        scales: Sequence[float],
        zero_points: Sequence[int] | None = None,
        storage_min: int | None = None,
        storage_max: int | None = None,
    ) -> None:
        storage = _normalize_storage(storage_type)
        lo, hi = _default_range(storage, storage_min, storage_max)
        if zero_points is None:
            zero_points = [0] * len(scales)
        super().__init__(
            storage,
            expressed_type,
            lo,
            hi,
            IntAttr(axis),
            ArrayAttr(FloatData(float(s)) for s in scales),
            ArrayAttr(IntAttr(int(z)) for z in zero_points),
        )

    @property
    def axis(self) -> int:
        return self.axis_attr.data

    @property
    def scales(self) -> tuple[float, ...]:
        return tuple(s.data for s in self.scales_attr.data)

    @property
    def zero_points(self) -> tuple[int, ...]:
        return tuple(z.data for z in self.zero_points_attr.data)

    def _axis_shape(self, ndim: int) -> tuple[int, ...]:
        if self.axis >= ndim:
            raise ValueError(
                f"quantization axis {self.axis} is out of range for an array of rank {ndim}"
            )
        return tuple(len(self.scales) if d == self.axis else 1 for d in range(ndim))

    def scales_for(self, ndim: int) -> np.ndarray:
        return np.asarray(self.scales, np.float64).reshape(self._axis_shape(ndim))

    def zero_points_for(self, ndim: int) -> np.ndarray:
        return np.asarray(self.zero_points, np.int64).reshape(self._axis_shape(ndim))

    def verify(self) -> None:
        super().verify()
        if self.axis < 0:
            raise VerifyException(f"expected quantization axis to be non-negative, got {self.axis}")
        scales, zero_points = self.scales, self.zero_points
        if not scales:
            raise VerifyException("expected at least one scale in a per-axis quantized type")
        if len(zero_points) != len(scales):
            raise VerifyException(
                f"expected as many zero points ({len(zero_points)}) as scales ({len(scales)})"
            )
        for i, (scale, zero_point) in enumerate(zip(scales, zero_points, strict=True)):
            _check_scale(scale, f"scale #{i}")
            self._check_zero_point(zero_point, f"zero point #{i}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        return _parse_quant_parameters(parser)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<")
        self._print_storage_and_expressed(printer)
        entries = ", ".join(
            _format_scale_and_zero_point(s, z)
            for s, z in zip(self.scales, self.zero_points, strict=True)
        )
        printer.print_string(f":{self.axis}, {{{entries}}}>")


def quantized_element_type(attr: Attribute) -> QuantizedType | None:
    """The quantized element type of a tensor type (or the type itself), else None."""
    if isinstance(attr, TensorType):
        attr = attr.get_element_type()
    return attr if isinstance(attr, QuantizedType) else None


def verify_quantized_shape(qtype: QuantizedType, shape: Sequence[int], what: str) -> None:
    """Check a per-axis type against the shape of the tensor it is the element type of.

    `what` names the value in the message (e.g. "result"). Per-tensor types fit any shape. A
    dynamic dimension on the axis is accepted: its size is only known at run time.
    """
    if not isinstance(qtype, UniformQuantPerAxisType):
        return
    if qtype.axis >= len(shape):
        raise VerifyException(
            f"expected quantization axis {qtype.axis} of {what} to be less than its rank "
            f"{len(shape)}"
        )
    dim = shape[qtype.axis]
    if dim >= 0 and dim != len(qtype.scales):
        raise VerifyException(
            f"expected {len(qtype.scales)} scales in {what} element type to equal the size "
            f"{dim} of its dimension {qtype.axis}"
        )


# --- the value constraint of the top dialect -------------------------------------------------

TOP_FLOAT_TYPES: tuple[type[TypeAttribute], ...] = (Float32Type, Float16Type, BFloat16Type)
"""Float element types a top op may compute in (f16/bf16 for layers a precision table keeps)."""

_KIND_VARIABLE = "quant.top_element_kind"


def _element_kind(element: Attribute) -> str:
    """`quantized`, or the float type's name; raises for element types top does not carry."""
    if isinstance(element, QuantizedType):
        if not isinstance(element.expressed_type, Float32Type):
            raise VerifyException(
                f"expected a quantized element type to express f32, got "
                f"{element.expressed_type} in {element}"
            )
        return "quantized"
    if isinstance(element, TOP_FLOAT_TYPES):
        return str(element)
    raise VerifyException(
        f"expected element type f32, f16, bf16 or a quantized type expressing f32, "
        f"got {_format_type(element)}"
    )


@dataclass(frozen=True)
class TopTensorConstraint(AttrConstraint[TensorType]):
    """A tensor of f32, f16, bf16 or a quantized type expressing f32; one kind per op.

    The `top` dialect starts in f32; `quantize` gives its tensors quantized element types (a conv
    with int8 input and filter and an int32 bias) and keeps some layers in f16/bf16. The casts
    between kinds are explicit `quant` (and `arith.extf`/`truncf`) ops, so all tensors of one top
    op share a kind: all quantized (storage widths may differ), or all of one float type. The
    first tensor the verifier sees sets the kind in the op's constraint context and the others
    must match, which catches a float operand reaching a quantized op.
    """

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        if not isinstance(attr, TensorType):
            raise VerifyException(f"expected a tensor type, got {attr}")
        kind = _element_kind(attr.get_element_type())
        expected = constraint_context.get_variable(_KIND_VARIABLE)
        if expected is None:
            constraint_context.set_attr_variable(_KIND_VARIABLE, StringAttr(kind))
        elif isinstance(expected, StringAttr) and expected.data != kind:
            raise VerifyException(
                f"expected every tensor of the op to be {expected.data} like the first one, got "
                f"{attr}"
            )

    def get_bases(self) -> set[type[Attribute]] | None:
        return {TensorType}

    def mapping_type_vars(
        self, type_var_mapping: Mapping[TypeVar, AttrConstraint | IntConstraint]
    ) -> "TopTensorConstraint":
        return self


TOP_TENSOR = TopTensorConstraint()
"""The value type of every `top` op (`dialects/top.py` binds it as `F32Tensor`)."""


# --- calibration -----------------------------------------------------------------------------


CALIBRATION_ATTR = "calib"
BIAS_CORRECTION_ATTR = "bias_correction"
"""Discardable attribute of a float conv: `array<f64: ...>`, per output channel the mean error of
its INT8 result, which `quantize` subtracts from the bias (a calibration table's
`#bias_correction` section, attached by `import-calibration`)."""
"""Name of the discardable attribute holding an op's `CalibrationAttr` (its result's statistics);
`import-calibration` sets it from the calibration table, `quantize` reads it."""

ROUND_MODE_ATTR = "quant.round_mode"
"""Module attribute recording the rounding mode `quantize` used, for the reference interpreter."""


@irdl_attr_definition
class CalibrationAttr(ParametrizedAttribute):
    """Calibration statistics of a float tensor: `#quant.calibration<threshold = 2.5,
    min = -2.4, max = 2.5>`.

    `threshold` is the clipping range the calibrator chose (symmetric int8 uses
    `scale = threshold / 127`), `min` and `max` are the observed extremes.
    """

    name = "quant.calibration"

    threshold_attr: FloatData
    min_attr: FloatData
    max_attr: FloatData

    KEYS: ClassVar[tuple[str, ...]] = ("threshold", "min", "max")

    def __init__(self, threshold: float, min: float, max: float) -> None:
        super().__init__(FloatData(float(threshold)), FloatData(float(min)), FloatData(float(max)))

    @property
    def threshold(self) -> float:
        return self.threshold_attr.data

    @property
    def min(self) -> float:
        return self.min_attr.data

    @property
    def max(self) -> float:
        return self.max_attr.data

    def verify(self) -> None:
        for key in self.KEYS:
            value = getattr(self, key)
            if not math.isfinite(value):
                raise VerifyException(f"expected calibration {key} to be finite, got {value}")
        if not self.threshold > 0:
            raise VerifyException(
                f"expected calibration threshold to be positive, got {self.threshold}"
            )
        if not self.min <= self.max:
            raise VerifyException(
                f"expected calibration min ({self.min}) to be at most max ({self.max})"
            )

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        start = parser.pos
        values: dict[str, float] = {}

        def parse_entry() -> None:
            key_pos = parser.pos
            key = parser.parse_identifier(" as calibration key (threshold, min or max)")
            if key not in cls.KEYS:
                parser.raise_error(
                    f"unknown calibration key '{key}', expected threshold, min or max",
                    key_pos,
                    parser.pos,
                )
            if key in values:
                parser.raise_error(f"duplicate calibration key '{key}'", key_pos, parser.pos)
            parser.parse_punctuation("=")
            values[key] = float(parser.parse_number(context_msg=f" as calibration {key}"))

        parser.parse_comma_separated_list(parser.Delimiter.ANGLE, parse_entry)
        missing = [k for k in cls.KEYS if k not in values]
        if missing:
            parser.raise_error(
                f"missing calibration key(s): {', '.join(missing)}", start, parser.pos
            )
        params = tuple(FloatData(values[k]) for k in cls.KEYS)
        try:
            cls.new(params)
        except VerifyException as e:
            parser.raise_error(str(e), start, parser.pos)
        return params

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            f"<threshold = {format_float(self.threshold)}, min = {format_float(self.min)}, "
            f"max = {format_float(self.max)}>"
        )


# --- ops -------------------------------------------------------------------------------------


class _CastOp(IRDLOperation, ABC):
    """A tensor-to-tensor element type cast; subclasses say which element types may meet."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `to` type($output)"

    def __init__(self, input: SSAValue | Operation, result_type: TensorType) -> None:
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        in_type, out_type = self.input.type, self.output.type
        assert isinstance(in_type, TensorType) and isinstance(out_type, TensorType)
        in_shape, out_shape = in_type.get_shape(), out_type.get_shape()
        if in_shape != out_shape:
            raise VerifyException(
                f"expected result shape {_format_shape(out_shape)} to equal input shape "
                f"{_format_shape(in_shape)}"
            )
        self._verify_element_types(in_type.get_element_type(), out_type.get_element_type())
        for what, t in (("input", in_type), ("result", out_type)):
            if (qtype := quantized_element_type(t)) is not None:
                verify_quantized_shape(qtype, t.get_shape(), what)

    @abstractmethod
    def _verify_element_types(self, input: Attribute, result: Attribute) -> None: ...


def _expect_quantized(attr: Attribute, what: str) -> QuantizedType:
    if not isinstance(attr, QuantizedType):
        raise VerifyException(
            f"expected {what} element type to be a quantized type, got {_format_type(attr)}"
        )
    return attr


@irdl_op_definition
class QuantizeCastOp(_CastOp):
    """Float to quantized: `quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<...>>`."""

    name = "quant.qcast"

    def _verify_element_types(self, input: Attribute, result: Attribute) -> None:
        qtype = _expect_quantized(result, "result")
        if input != qtype.expressed_type:
            raise VerifyException(
                f"expected input element type {_format_type(input)} to equal the expressed type "
                f"{qtype.expressed_type} of the result"
            )


@irdl_op_definition
class DequantizeCastOp(_CastOp):
    """Quantized to float: `quant.dcast %q : tensor<4x!quant.uniform<...>> to tensor<4xf32>`."""

    name = "quant.dcast"

    def _verify_element_types(self, input: Attribute, result: Attribute) -> None:
        qtype = _expect_quantized(input, "input")
        if result != qtype.expressed_type:
            raise VerifyException(
                f"expected result element type {_format_type(result)} to equal the expressed "
                f"type {qtype.expressed_type} of the input"
            )


@irdl_op_definition
class RequantizeCastOp(_CastOp):
    """Quantized to differently quantized values of the same expressed type."""

    name = "quant.requant"

    def _verify_element_types(self, input: Attribute, result: Attribute) -> None:
        in_q = _expect_quantized(input, "input")
        out_q = _expect_quantized(result, "result")
        if in_q.expressed_type != out_q.expressed_type:
            raise VerifyException(
                f"expected result expressed type {out_q.expressed_type} to equal input "
                f"expressed type {in_q.expressed_type}"
            )


LUT_BITS = 8
"""Input storage width of `quant.lut`: the table has 2**LUT_BITS entries."""


def lut_index(stored: npt.ArrayLike) -> np.ndarray:
    """The table entry for each stored 8-bit value: its bit pattern read as unsigned.

    Entry `i` of a table holds the output for the input whose 8-bit storage pattern is `i`: for
    `i8` input, entries 0..127 are q = 0..127 and 128..255 are q = -128..-1 (how the TPU's table
    lookup indexes with the raw byte); for `u8` input entry `i` is q = i.
    """
    return np.asarray(stored).astype(np.int64) & ((1 << LUT_BITS) - 1)


@irdl_op_definition
class LutOp(IRDLOperation):
    """Elementwise table lookup: `result[i] = table[lut_index(input[i])]`.

    `quant.lut %x, %t : tensor<1x8x!quant.uniform<i8:f32, 0.05>>,
    tensor<256x!quant.uniform<u8:f32, 0.0039>> -> tensor<1x8x!quant.uniform<u8:f32, 0.0039>>`

    How int8 graphs compute an activation f (sigmoid, tanh, silu, ...): the input has 8-bit
    storage, so f of every one of its 256 values is precomputed and quantized to the result
    type. The table is a tensor (usually a `top.weight`) whose element type is the result's, so
    its stored values are the result's stored values.
    """

    name = "quant.lut"

    input = operand_def(TensorType)
    table = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $table attr-dict `:` type($input) `,` type($table) `->` type($output)"
    )

    def __init__(self, input: SSAValue | Operation, table: SSAValue | Operation) -> None:
        in_type = SSAValue.get(input).type
        table_type = SSAValue.get(table).type
        assert isinstance(in_type, TensorType) and isinstance(table_type, TensorType)
        result_type = TensorType(table_type.get_element_type(), in_type.get_shape())
        super().__init__(operands=[input, table], result_types=[result_type])

    def verify_(self) -> None:
        in_type, table_type, out_type = self.input.type, self.table.type, self.output.type
        assert isinstance(in_type, TensorType) and isinstance(out_type, TensorType)
        assert isinstance(table_type, TensorType)
        in_q = _expect_quantized(in_type.get_element_type(), "input")
        out_q = _expect_quantized(out_type.get_element_type(), "result")
        for what, qtype in (("input", in_q), ("result", out_q)):
            if not isinstance(qtype, UniformQuantType):
                raise VerifyException(
                    f"expected {what} element type to be per-tensor quantized, got {qtype}"
                )
        if in_q.storage_width != LUT_BITS:
            raise VerifyException(
                f"expected input storage to be {LUT_BITS} bits wide (one table entry per "
                f"value), got {_format_storage(in_q.storage_type)}"
            )
        entries = 1 << LUT_BITS
        if table_type.get_shape() != (entries,):
            raise VerifyException(
                f"expected table shape {entries} (one entry per {LUT_BITS}-bit input value), "
                f"got {_format_shape(table_type.get_shape())}"
            )
        if table_type.get_element_type() != out_q:
            raise VerifyException(
                f"expected table element type {_format_type(table_type.get_element_type())} "
                f"to equal the result element type {out_q}"
            )
        if in_type.get_shape() != out_type.get_shape():
            raise VerifyException(
                f"expected result shape {_format_shape(out_type.get_shape())} to equal input "
                f"shape {_format_shape(in_type.get_shape())}"
            )


# --- numerics --------------------------------------------------------------------------------

RoundMode = Literal[
    "half_away_from_zero", "half_to_even", "half_up", "half_down", "toward_zero", "down", "up"
]
ROUND_MODES: tuple[str, ...] = get_args(RoundMode)
"""The TPU's rounding modes; `half_*` differ only on ties (`x.5`)."""


def _round(x: np.ndarray, mode: str) -> np.ndarray:
    # Ties are detected on the exact fractional part, not with `floor(x + 0.5)`, which rounds
    # 0.49999999999999994 up.
    if mode == "half_to_even":
        return np.rint(x)
    if mode == "toward_zero":
        return np.trunc(x)
    if mode == "down":
        return np.floor(x)
    if mode == "up":
        return np.ceil(x)
    if mode == "half_away_from_zero":
        whole = np.trunc(x)
        return whole + np.where(np.abs(x - whole) >= 0.5, np.sign(x), 0.0)
    # `x - trunc(x)` is exact; `x - floor(x)` is not for tiny negative x (1 - 2^-54 rounds)
    whole = np.trunc(x)
    frac = x - whole
    if mode == "half_up":
        return whole + (frac >= 0.5) - (frac < -0.5)
    if mode == "half_down":
        return whole + (frac > 0.5) - (frac <= -0.5)
    raise ValueError(f"unknown rounding mode '{mode}', expected one of {', '.join(ROUND_MODES)}")


def quantize(
    array: npt.ArrayLike,
    qtype: QuantizedType,
    round_mode: RoundMode = "half_away_from_zero",
) -> np.ndarray:
    """Quantize real values: `clamp(round(x / scale) + zero_point, storage_min, storage_max)`.

    The division is done in float64 on the given values. The result has the storage dtype
    (`int8` for `i8`, ...); values beyond the storage range, infinities included, saturate.
    Per-axis types apply entry `i` to index `i` of dimension `axis` of `array`. NaN has no
    quantized value, so it is rejected.
    """
    if round_mode not in ROUND_MODES:
        raise ValueError(
            f"unknown rounding mode '{round_mode}', expected one of {', '.join(ROUND_MODES)}"
        )
    x = np.asarray(array)
    if x.dtype.kind not in "fiub":
        x = np.asarray(x, dtype=np.float64)
    if x.dtype.kind == "f" and np.isnan(x).any():
        raise ValueError("cannot quantize NaN")
    _check_axis_size(x.shape, qtype)
    zero_points = qtype.zero_points_for(x.ndim)
    with np.errstate(over="ignore", invalid="ignore"):
        # the division widens to float64 in the same pass (no float64 copy of `x` first)
        scaled = np.divide(x, qtype.scales_for(x.ndim), dtype=np.float64)
        if round_mode == "half_away_from_zero":
            # `_round`'s rule computed in place, on the hot path of the quantizer and the
            # fake-quant reference: the tie test on the exact fractional part, as there
            q = np.trunc(scaled)
            frac = np.subtract(scaled, q, out=scaled)
            q += frac >= 0.5
            q -= frac <= -0.5
        else:
            q = _round(scaled, round_mode)
        if np.any(zero_points):
            q += zero_points
    return np.clip(q, qtype.storage_min, qtype.storage_max, out=q).astype(qtype.storage_dtype)


def dequantize(array: npt.ArrayLike, qtype: QuantizedType) -> np.ndarray:
    """Real values of stored integers, `scale * (q - zero_point)`, as float32.

    The product is formed in float64 (exact for 32-bit storage and any scale) and rounded once
    to float32.
    """
    q = np.asarray(array)
    if not np.issubdtype(q.dtype, np.integer):
        raise TypeError(f"expected an integer array to dequantize, got dtype {q.dtype}")
    _check_axis_size(q.shape, qtype)
    zero_points = qtype.zero_points_for(q.ndim)
    if np.any(zero_points):
        q = np.subtract(q, zero_points, dtype=np.int64)
    # integers up to 32 bits convert to float64 exactly, inside the multiply's single pass
    return np.multiply(q, qtype.scales_for(q.ndim), dtype=np.float64).astype(np.float32)


def _check_axis_size(shape: tuple[int, ...], qtype: QuantizedType) -> None:
    if isinstance(qtype, UniformQuantPerAxisType):
        if qtype.axis >= len(shape):
            raise ValueError(
                f"quantization axis {qtype.axis} is out of range for an array of rank {len(shape)}"
            )
        if shape[qtype.axis] != len(qtype.scales):
            raise ValueError(
                f"array dimension {qtype.axis} has size {shape[qtype.axis]}, but the type has "
                f"{len(qtype.scales)} scales"
            )


Quant = Dialect(
    "quant",
    [QuantizeCastOp, DequantizeCastOp, RequantizeCastOp, LutOp],
    # UniformQuantPerAxisType shares the name `quant.uniform`; it is parsed through
    # UniformQuantType (see the module docstring), so it is not registered separately.
    [UniformQuantType, CalibrationAttr],
)
