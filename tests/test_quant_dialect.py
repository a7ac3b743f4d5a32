"""The `quant` dialect's Python API: types, calibration attribute, ops, quantize/dequantize."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    Builtin,
    FloatData,
    IntAttr,
    IntegerType,
    Signedness,
    TensorType,
    bf16,
    f16,
    f32,
    i8,
    i16,
    i32,
)
from xdsl.dialects.test import TestOp as _TestOp
from xdsl.parser import Parser
from xdsl.traits import Pure
from xdsl.utils.exceptions import ParseError, VerifyException

from nntc.dialects.quant import (
    ROUND_MODES,
    CalibrationAttr,
    DequantizeCastOp,
    QuantizeCastOp,
    QuantizedType,
    RequantizeCastOp,
    UniformQuantPerAxisType,
    UniformQuantType,
    dequantize,
    format_float,
    quantize,
    quantized_element_type,
)

si8 = IntegerType(8, Signedness.SIGNED)
ui8 = IntegerType(8, Signedness.UNSIGNED)


def parse_type(text: str):
    ctx = Context()
    ctx.load_dialect(Builtin)
    from nntc.dialects.quant import Quant

    ctx.load_dialect(Quant)
    return Parser(ctx, text).parse_attribute()


# --- types: construction and accessors --------------------------------------------------------


def test_per_tensor_accessors() -> None:
    t = UniformQuantType(i8, f32, 0.0157, -3)
    assert isinstance(t, QuantizedType)
    assert t.storage_type == si8  # the text's `i8` is signed storage
    assert t.is_signed
    assert t.expressed_type == f32
    assert (t.storage_min, t.storage_max) == (-128, 127)
    assert t.has_full_storage_range
    assert t.scale == 0.0157 and isinstance(t.scale, float)
    assert t.zero_point == -3 and isinstance(t.zero_point, int)
    assert t.storage_dtype == np.int8
    assert str(t) == "!quant.uniform<i8:f32, 0.0157:-3>"


def test_per_tensor_unsigned_and_narrow_range() -> None:
    t = UniformQuantType(ui8, bf16, 0.5, 128, storage_min=1)
    assert not t.is_signed
    assert t.storage_type == ui8
    assert (t.storage_min, t.storage_max) == (1, 255)
    assert not t.has_full_storage_range
    assert t.storage_dtype == np.uint8
    assert str(t) == "!quant.uniform<u8<1:255>:bf16, 0.5:128>"


def test_wide_storage_types() -> None:
    assert UniformQuantType(i16, f16, 1.0).storage_dtype == np.int16
    t32 = UniformQuantType(IntegerType(32, Signedness.UNSIGNED), f32, 1.0)
    assert t32.storage_dtype == np.uint32
    assert (t32.storage_min, t32.storage_max) == (0, 2**32 - 1)
    assert UniformQuantType(i32, f32, 1.0).storage_min == -(2**31)


def test_per_axis_accessors() -> None:
    t = UniformQuantPerAxisType(i8, f32, 1, [0.1, 0.2, 0.3], [0, 1, 0])
    assert isinstance(t, QuantizedType)
    assert not isinstance(t, UniformQuantType)
    assert t.axis == 1
    assert t.scales == (0.1, 0.2, 0.3)
    assert t.zero_points == (0, 1, 0)
    assert t.storage_type == si8 and t.expressed_type == f32
    assert str(t) == "!quant.uniform<i8:f32:1, {0.1, 0.2:1, 0.3}>"
    assert UniformQuantPerAxisType(i8, f32, 0, [0.5, 0.25]).zero_points == (0, 0)


def test_quantized_element_type() -> None:
    q = UniformQuantType(i8, f32, 0.1)
    assert quantized_element_type(TensorType(q, [2])) is q
    assert quantized_element_type(q) is q
    assert quantized_element_type(TensorType(f32, [2])) is None


# --- types: text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("!quant.uniform<i8:f32, 0.0157:-3>", None),
        ("!quant.uniform<i8:f32, 0.0157:0>", "!quant.uniform<i8:f32, 0.0157>"),
        ("!quant.uniform<u8:f16, 3>", "!quant.uniform<u8:f16, 3.0>"),
        ("!quant.uniform<i16<-100:100>:bf16, 1.0e-05:7>", None),
        ("!quant.uniform<i8:f32:0, {0.1, 0.2:1, 0.3}>", None),
        ("!quant.uniform<u8<0:254>:f32:3, {2.0:0, 0.5:127}>", "!quant.uniform<u8<0:254>:f32:3, {2.0, 0.5:127}>"),
        ("#quant.calibration<min = -2.4, max = 2.5, threshold = 2.5>", "#quant.calibration<threshold = 2.5, min = -2.4, max = 2.5>"),
    ],
)  # fmt: skip
def test_parse_print(text: str, printed: str | None) -> None:
    attr = parse_type(text)
    assert str(attr) == (printed or text)
    assert parse_type(str(attr)) == attr


def test_parse_gives_the_right_class() -> None:
    per_tensor = parse_type("!quant.uniform<i8:f32, 0.1:2>")
    per_axis = parse_type("!quant.uniform<i8:f32:0, {0.1:2}>")
    assert type(per_tensor) is UniformQuantType
    assert type(per_axis) is UniformQuantPerAxisType
    assert per_tensor == UniformQuantType(i8, f32, 0.1, 2)
    assert per_axis == UniformQuantPerAxisType(i8, f32, 0, [0.1], [2])
    assert per_tensor != per_axis


def test_type_errors_are_parse_errors() -> None:
    with pytest.raises(ParseError, match=r"expected scale to be positive and finite, got -1.0"):
        parse_type("!quant.uniform<i8:f32, -1.0>")
    with pytest.raises(ParseError, match=r"expected a storage type such as i8 or u8, got 'f8'"):
        parse_type("!quant.uniform<f8:f32, 1.0>")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0157, "0.0157"),
        (1e-05, "1.0e-05"),
        (3.0, "3.0"),
        (0.1 + 0.2, "0.30000000000000004"),
        (2.5e20, "2.5e+20"),
        (1e300, "1.0e+300"),
        (5e-324, "5.0e-324"),
        (-2.4, "-2.4"),
    ],
)
def test_format_float(value: float, text: str) -> None:
    assert format_float(value) == text
    assert float(text) == value


@given(st.floats(min_value=5e-324, max_value=1e308, allow_nan=False, allow_infinity=False))
def test_scale_survives_print_and_parse(scale: float) -> None:
    t = UniformQuantType(i8, f32, scale, -1)
    back = parse_type(str(t))
    assert isinstance(back, UniformQuantType)
    assert back.scale == scale
    axis = UniformQuantPerAxisType(ui8, f32, 0, [scale, 1.0], [3, 0])
    assert parse_type(str(axis)) == axis


# --- types: verifiers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: UniformQuantType(IntegerType(4), f32, 0.1), "expected storage type width to be 8, 16 or 32, got 4"),
        (lambda: UniformQuantType(i8, i32, 0.1), "expected expressed type to be f32, f16 or bf16, got i32"),
        (lambda: UniformQuantType(i8, f32, 0.0), "expected scale to be positive and finite, got 0.0"),
        (lambda: UniformQuantType(i8, f32, math.inf), "expected scale to be positive and finite, got inf"),
        (lambda: UniformQuantType(i8, f32, math.nan), "expected scale to be positive and finite, got nan"),
        (lambda: UniformQuantType(i8, f32, 0.1, 128), "expected zero point (128) to be within the storage range [-128, 127]"),
        (lambda: UniformQuantType(ui8, f32, 0.1, storage_min=3, storage_max=3), "expected storage min (3) to be less than storage max (3)"),
        (lambda: UniformQuantType(ui8, f32, 0.1, storage_min=-1), "expected storage range [-1, 255] to be within the range [0, 255] of u8"),
        (lambda: UniformQuantPerAxisType(i8, f32, -2, [0.1]), "expected quantization axis to be non-negative, got -2"),
        (lambda: UniformQuantPerAxisType(i8, f32, 0, []), "expected at least one scale in a per-axis quantized type"),
        (lambda: UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2], [0]), "expected as many zero points (1) as scales (2)"),
        (lambda: UniformQuantPerAxisType(i8, f32, 0, [0.1, -0.2]), "expected scale #1 to be positive and finite, got -0.2"),
        (lambda: UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2], [0, -129]), "expected zero point #1 (-129) to be within the storage range [-128, 127]"),
        (lambda: CalibrationAttr(0.0, -1.0, 1.0), "expected calibration threshold to be positive, got 0.0"),
        (lambda: CalibrationAttr(1.0, 1.0, -1.0), "expected calibration min (1.0) to be at most max (-1.0)"),
        (lambda: CalibrationAttr(1.0, -math.inf, 1.0), "expected calibration min to be finite, got -inf"),
    ],
)  # fmt: skip
def test_verifier_messages(make, message: str) -> None:
    with pytest.raises(VerifyException) as info:
        make()
    assert str(info.value) == message


def test_signless_storage_rejected_in_generic_construction() -> None:
    # `__init__` reads a signless i8 as MLIR's signed `i8`; the generic constructor does not guess.
    params = (i8, f32, IntAttr(-128), IntAttr(127), FloatData(0.1), IntAttr(0))
    with pytest.raises(VerifyException, match="expected storage type to be signed or unsigned"):
        UniformQuantType.new(params)


def test_generic_construction_of_per_axis() -> None:
    t = UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2])
    rebuilt = type(t).new(t.parameters)
    assert rebuilt == t
    assert UniformQuantPerAxisType.new(
        (si8, f32, IntAttr(-128), IntAttr(127), IntAttr(0), ArrayAttr([FloatData(0.1)]),
         ArrayAttr([IntAttr(0)]))
    ).scales == (0.1,)  # fmt: skip


def test_calibration_accessors() -> None:
    c = CalibrationAttr(2.5, -2.4, 2.5)
    assert (c.threshold, c.min, c.max) == (2.5, -2.4, 2.5)
    assert str(c) == "#quant.calibration<threshold = 2.5, min = -2.4, max = 2.5>"
    assert CalibrationAttr(1.0, 0.5, 0.5).min == 0.5  # min == max is allowed (a constant tensor)


# --- ops --------------------------------------------------------------------------------------


def _value(t: TensorType):
    return _TestOp(result_types=[t]).results[0]


Q = UniformQuantType(i8, f32, 0.1)
Q16 = UniformQuantType(i8, f16, 0.1)


def test_ops_build_and_verify() -> None:
    x = _value(TensorType(f32, [1, 3]))
    q = QuantizeCastOp(x, TensorType(Q, [1, 3]))
    r = RequantizeCastOp(q, TensorType(UniformQuantType(ui8, f32, 0.2, 128), [1, 3]))
    d = DequantizeCastOp(r, TensorType(f32, [1, 3]))
    for op in (q, r, d):
        op.verify()
        assert op.has_trait(Pure)
    assert q.output.type == TensorType(Q, [1, 3])
    assert d.input is r.output
    w = _value(TensorType(f32, [4, 2]))
    QuantizeCastOp(w, TensorType(UniformQuantPerAxisType(i8, f32, 0, [0.1] * 4), [4, 2])).verify()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: QuantizeCastOp(_value(TensorType(f32, [3])), TensorType(Q, [4])), "expected result shape 4 to equal input shape 3"),
        (lambda: QuantizeCastOp(_value(TensorType(f32, [3])), TensorType(Q16, [3])), "expected input element type f32 to equal the expressed type f16 of the result"),
        (lambda: QuantizeCastOp(_value(TensorType(f32, [3])), TensorType(f32, [3])), "expected result element type to be a quantized type, got f32"),
        (lambda: DequantizeCastOp(_value(TensorType(Q, [3])), TensorType(f16, [3])), "expected result element type f16 to equal the expressed type f32 of the input"),
        (lambda: DequantizeCastOp(_value(TensorType(f32, [3])), TensorType(f32, [3])), "expected input element type to be a quantized type, got f32"),
        (lambda: RequantizeCastOp(_value(TensorType(Q, [3])), TensorType(Q16, [3])), "expected result expressed type f16 to equal input expressed type f32"),
        (lambda: RequantizeCastOp(_value(TensorType(Q, [3])), TensorType(f32, [3])), "expected result element type to be a quantized type, got f32"),
        (lambda: QuantizeCastOp(_value(TensorType(f32, [3])), TensorType(UniformQuantPerAxisType(i8, f32, 1, [0.1]), [3])), "expected quantization axis 1 of result to be less than its rank 1"),
        (lambda: DequantizeCastOp(_value(TensorType(UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2]), [3])), TensorType(f32, [3])), "expected 2 scales in input element type to equal the size 3 of its dimension 0"),
    ],
)  # fmt: skip
def test_op_verifier_messages(make, message: str) -> None:
    op = make()
    with pytest.raises(VerifyException) as info:
        op.verify()
    assert message in str(info.value)


# --- quantize / dequantize --------------------------------------------------------------------

TIES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.4, 2.6])


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("half_away_from_zero", [-3, -2, -1, 1, 2, 3, -2, 3]),
        ("half_to_even", [-2, -2, 0, 0, 2, 2, -2, 3]),
        ("half_up", [-2, -1, 0, 1, 2, 3, -2, 3]),
        ("half_down", [-3, -2, -1, 0, 1, 2, -2, 3]),
        ("toward_zero", [-2, -1, 0, 0, 1, 2, -2, 2]),
        ("down", [-3, -2, -1, 0, 1, 2, -3, 2]),
        ("up", [-2, -1, 0, 1, 2, 3, -2, 3]),
    ],
)
def test_rounding_modes(mode: str, expected: list[int]) -> None:
    q = quantize(TIES, UniformQuantType(i8, f32, 1.0), mode)
    assert q.dtype == np.int8
    assert q.tolist() == expected


def test_every_rounding_mode_is_tested() -> None:
    assert set(ROUND_MODES) == {
        "half_away_from_zero", "half_to_even", "half_up", "half_down", "toward_zero", "down", "up"
    }  # fmt: skip


def test_default_rounding_is_half_away_from_zero() -> None:
    assert quantize([-2.5, 2.5], UniformQuantType(i8, f32, 1.0)).tolist() == [-3, 3]


def test_value_just_below_a_half_is_not_a_tie() -> None:
    below_half = 0.49999999999999994  # floor(x + 0.5) would give 1
    for mode in ("half_away_from_zero", "half_up"):
        assert quantize(
            [below_half, -below_half], UniformQuantType(i8, f32, 1.0), mode
        ).tolist() == [0, 0]


def test_quantize_scale_zero_point_and_saturation() -> None:
    t = UniformQuantType(i8, f32, 0.5, 1)
    # x / 0.5 = [-2.5, -1.5, 0, 0.5, 1.5, 2, 200, -200], then rounded, then + 1, then clamped.
    x = [-1.25, -0.75, 0.0, 0.25, 0.75, 1.0, 100.0, -100.0]
    assert quantize(x, t).tolist() == [-2, -1, 1, 2, 3, 3, 127, -128]
    assert quantize(x, t, "half_to_even").tolist() == [-1, -1, 1, 1, 3, 3, 127, -128]


def test_quantize_narrow_unsigned_and_wide_ranges() -> None:
    sym = UniformQuantType(i8, f32, 0.1, storage_min=-127)
    assert quantize([-1000.0, -12.7, 12.7, np.inf, -np.inf], sym).tolist() == [
        -127,
        -127,
        127,
        127,
        -127,
    ]
    u = UniformQuantType(ui8, f32, 0.25, 128)
    q = quantize([-40.0, -1.0, 0.0, 0.3, 40.0], u)
    assert q.dtype == np.uint8
    assert q.tolist() == [0, 124, 128, 129, 255]
    w = UniformQuantType(i32, f32, 1.0)
    assert quantize([1e12, -1e12, 7.5], w).tolist() == [2**31 - 1, -(2**31), 8]
    assert quantize([1e12], w).dtype == np.int32
    assert quantize([70000.0], UniformQuantType(i16, f16, 1.0)).tolist() == [32767]


def test_quantize_per_axis() -> None:
    t = UniformQuantPerAxisType(i8, f32, 1, [0.1, 0.2, 0.5], [0, 1, -1])
    x = np.array([[0.25, 0.25, 0.25], [-1.0, 100.0, -0.75]], np.float32)
    # column 0: x/0.1; column 1: x/0.2 + 1; column 2: x/0.5 - 1
    # 0.25 in float32 is exact: 2.5 -> 3, 1.25 -> 1 (+1 = 2), 0.5 -> 1 (-1 = 0)
    assert quantize(x, t).tolist() == [[3, 2, 0], [-10, 127, -3]]
    with pytest.raises(ValueError, match="array dimension 1 has size 2, but the type has 3 scales"):
        quantize(np.zeros((3, 2)), t)
    with pytest.raises(ValueError, match="out of range for an array of rank 1"):
        quantize(np.zeros(3), t)


def test_quantize_rejects_nan_and_unknown_mode() -> None:
    t = UniformQuantType(i8, f32, 1.0)
    with pytest.raises(ValueError, match="cannot quantize NaN"):
        quantize([1.0, np.nan], t)
    with pytest.raises(ValueError, match="unknown rounding mode 'nearest'"):
        quantize([1.0], t, "nearest")  # type: ignore[arg-type]


def test_dequantize() -> None:
    t = UniformQuantType(ui8, f32, 0.25, 128)
    f = dequantize(np.array([0, 128, 129, 255], np.uint8), t)
    assert f.dtype == np.float32
    assert f.tolist() == [-32.0, 0.0, 0.25, 31.75]
    axis = UniformQuantPerAxisType(i8, f32, 0, [0.5, 2.0], [1, -1])
    assert dequantize(np.array([[1, 3], [-1, 0]], np.int8), axis).tolist() == [
        [0.0, 1.0],
        [0.0, 2.0],
    ]
    with pytest.raises(TypeError, match="expected an integer array"):
        dequantize(np.array([1.5]), t)
    with pytest.raises(ValueError, match="array dimension 0 has size 3"):
        dequantize(np.zeros((3, 2), np.int8), axis)


def test_dequantize_then_quantize_is_identity() -> None:
    for t in (
        UniformQuantType(i8, f32, 0.0157, -3),
        UniformQuantType(ui8, f32, 1e-05, 200),
        UniformQuantType(i8, f32, 3.0, storage_min=-127),
    ):
        q = np.arange(t.storage_min, t.storage_max + 1).astype(t.storage_dtype)
        # Directed modes may step off by one: the float32 value may lie just below k * scale.
        for mode in ("half_away_from_zero", "half_to_even", "half_up", "half_down"):
            np.testing.assert_array_equal(quantize(dequantize(q, t), t, mode), q)
