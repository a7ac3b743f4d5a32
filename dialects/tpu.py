"""The `tpu` dialect: hardware-level ops for the BM1684X, between `top`/`quant` and `bm1684x`.

Every tensor here has a concrete element type (f32, f16, bf16, an 8/16/32-bit integer or a quant
type whose storage is one of those), and integer ops carry the requantisation the hardware does
at the end of the op: a per-channel `multiplier` (i32) and `rshift`, a `round_mode`, and an
optional fused ReLU. After layer grouping, `tpu.group` holds the ops of one layer group; inside
it `tpu.load` / `tpu.store` move slices of tensors between global memory (DDR) and local memory
(LMEM), and `tpu.yield` hands the group's results out.

Conventions (those of TPU-MLIR's tpu dialect, whose ops this mirrors):
- Activations are NCHW; conv filters are logical `[oc, ic / group, kh, kw]`.
- `pads` of conv/pool ops are `[top, left, bottom, right]` (ONNX's begin..., end... order).
- Inside a group every op still sees the whole logical tensor; the slicing lives in the
  `n_idx`/`n_slice`/`h_idx`/`h_slice` arrays of loads and stores, one entry per slice.

The helpers at the top (`storage_type`, `element_bits`, ...) are what lowering passes use to
reason about element types, with or without quant types.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import ClassVar

from xdsl.dialects.builtin import (
    I32,
    I64,
    BFloat16Type,
    BoolAttr,
    DenseArrayBase,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i1,
    i32,
    i64,
)
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import Attribute, Dialect, Operation, Region, SpacedOpaqueSyntaxAttribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    VarConstraint,
    base,
    irdl_attr_definition,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from nntc.targets.bm1684x import chip

# =============================================================================================
# Element-type helpers
# =============================================================================================

FLOAT_TYPES: tuple[type[Attribute], ...] = (Float32Type, Float16Type, BFloat16Type)
"""The float element types the TPU computes in."""

INTEGER_WIDTHS: tuple[int, ...] = (8, 16, 32)
"""The integer storage widths the TPU knows."""

MAX_RSHIFT = 63
"""Largest right shift of a requantisation (the shift field is 6 bits wide)."""


def _quantized_type_class() -> type[Attribute] | None:
    """`nntc.dialects.quant.QuantizedType`, or None while that dialect is not there."""
    try:
        from nntc.dialects.quant import QuantizedType
    except ImportError:
        return None
    return QuantizedType


def is_quantized(elem: Attribute) -> bool:
    """True if `elem` is a quant type (`!quant.uniform<...>` and friends)."""
    # Plain types are by far the common case: answer them without importing quant.
    if isinstance(elem, (IntegerType, *FLOAT_TYPES)):
        return False
    qcls = _quantized_type_class()
    return qcls is not None and isinstance(elem, qcls)


def storage_type(elem: Attribute) -> Attribute:
    """The type the hardware stores: the storage type of a quant type, else `elem` itself."""
    if is_quantized(elem):
        return elem.storage_type  # type: ignore[attr-defined]
    return elem


def is_float(elem: Attribute) -> bool:
    """True for f32, f16 and bf16."""
    return isinstance(elem, FLOAT_TYPES)


def is_integer(elem: Attribute) -> bool:
    """True for an 8/16/32-bit integer type or a quant type stored as one."""
    st = storage_type(elem)
    return isinstance(st, IntegerType) and st.width.data in INTEGER_WIDTHS


def is_supported_element_type(elem: Attribute) -> bool:
    """True for every element type a tpu tensor may have."""
    return is_float(elem) or is_integer(elem)


def element_bits(elem: Attribute) -> int:
    """Width in bits of one stored element (8 for `!quant.uniform<i8:f32, ...>`)."""
    st = storage_type(elem)
    if isinstance(st, IntegerType):
        return st.width.data
    if is_float(st):
        return st.bitwidth  # type: ignore[attr-defined]
    raise ValueError(f"no tpu element width for {st}")


def element_bytes(elem: Attribute) -> int:
    """Bytes of one stored element."""
    return element_bits(elem) // 8


def conv_output_size(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int = 1
) -> int:
    """Output extent of a conv/pool window along one axis (floor mode, as the hardware does)."""
    return (size + pad_begin + pad_end - dilation * (kernel - 1) - 1) // stride + 1


def align_up(value: int, alignment: int) -> int:
    """`value` rounded up to a multiple of `alignment`."""
    return -(-value // alignment) * alignment


def local_bytes_per_lane(
    n: int, c: int, h: int, w: int, bits: int, start_lane: int = 0, eu_align: bool = True
) -> int:
    """Bytes one lane holds for an NCHW local tensor starting at lane `start_lane`.

    Channel `k` lives on lane `(k + start_lane) % NPU_NUM`, so a lane holds
    `ceil((c + start_lane) / NPU_NUM)` channels of each batch item; an EU-aligned layout rounds
    each channel's `h * w` elements up to the EU width of the element type.
    """
    channels_per_lane = -(-(c + start_lane) // chip.NPU_NUM)
    hw = h * w
    if eu_align:
        hw = align_up(hw, chip.eu_num(bits))
    return n * channels_per_lane * -(-(hw * bits) // 8)


def _shape_str(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


def _broadcast_shapes(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """NumPy broadcasting of two static shapes; None if they do not broadcast."""
    out: list[int] = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            return None
        out.append(db if da == 1 else da)
    return tuple(reversed(out))


def _tensor(value: SSAValue, role: str) -> TensorType:
    """The static tensor type of `value`, checked for a supported element type."""
    ty = value.type
    # The IRDL constraints (TensorType) have run before any verify_.
    assert isinstance(ty, TensorType)
    if not ty.has_static_shape():
        raise VerifyException(f"expected {role} to have a static shape, got {ty}")
    elem = ty.get_element_type()
    if not is_supported_element_type(elem):
        raise VerifyException(
            f"unsupported element type {elem} of {role}: expected f32, f16, bf16, "
            "an 8/16/32-bit integer or a quant type"
        )
    if is_quantized(elem):
        from nntc.dialects.quant import verify_quantized_shape

        # A per-axis type must have one scale per index of its axis.
        verify_quantized_shape(elem, ty.get_shape(), role)  # type: ignore[arg-type]
    return ty


def _expect_rank(ty: TensorType, rank: int, role: str) -> None:
    if ty.get_num_dims() != rank:
        raise VerifyException(f"expected {role} of rank {rank}, got {ty.get_num_dims()} ({ty})")


def _expect_shape(actual: Sequence[int], expected: Sequence[int], role: str) -> None:
    if tuple(actual) != tuple(expected):
        raise VerifyException(
            f"expected {role} shape {_shape_str(expected)}, got {_shape_str(actual)}"
        )


def _expect_same_elem(elem: Attribute, expected: Attribute, role: str, ref: str) -> None:
    if elem != expected:
        raise VerifyException(
            f"expected {role} element type {elem} to equal {ref} element type {expected}"
        )


def _verify_weighted_types(
    input: TensorType,
    weight: TensorType,
    weight_role: str,
    bias: TensorType | None,
    result: TensorType,
) -> bool:
    """The element-type rules of conv and matmul; True when they compute on integers.

    Integer: int8 input and weight, int32 bias, int8 or int32 result. Float: weight and result
    of the input's type, bias f32 or the input's type.
    """
    xe, we, ye = input.get_element_type(), weight.get_element_type(), result.get_element_type()
    integer = is_integer(xe)
    if integer:
        _expect_int_bits(xe, (8,), "input")
        _expect_int_bits(we, (8,), weight_role)
        if bias is not None:
            _expect_int_bits(bias.get_element_type(), (32,), "bias")
        _expect_int_bits(ye, (8, 32), "result")
    else:
        _expect_same_elem(we, xe, weight_role, "input")
        _expect_same_elem(ye, xe, "result", "input")
        if bias is not None and bias.get_element_type() not in (xe, Float32Type()):
            raise VerifyException(
                f"expected bias element type {bias.get_element_type()} to be f32 or "
                f"the input element type {xe}"
            )
    return integer


def _expect_int_bits(elem: Attribute, widths: Sequence[int], role: str) -> None:
    """`elem` must be an integer (or quant) type stored in one of `widths` bits."""
    st = storage_type(elem)
    if not (isinstance(st, IntegerType) and st.width.data in widths):
        *rest, last = (str(w) for w in widths)
        allowed = f"{', '.join(rest)} or {last}" if rest else last
        raise VerifyException(
            f"expected {role} storage to be an integer of {allowed} bits, got {elem}"
        )


def _ints(attr: DenseArrayBase | None) -> tuple[int, ...]:
    return () if attr is None else tuple(int(v) for v in attr.get_values())


def _i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, values)


def _i32_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i32, values)


def _bool(value: bool) -> IntegerAttr:
    return IntegerAttr(int(value), i1)


# =============================================================================================
# Enums
# =============================================================================================


class RoundMode(StrEnum):
    """How a requantisation rounds the bits it shifts out (TPU-MLIR's RoundMode)."""

    HALF_AWAY_FROM_ZERO = "half_away_from_zero"
    HALF_UP = "half_up"
    HALF_DOWN = "half_down"
    HALF_TO_EVEN = "half_to_even"
    TOWARD_ZERO = "toward_zero"
    DOWN = "down"
    UP = "up"


@irdl_attr_definition
class RoundModeAttr(EnumAttribute[RoundMode], SpacedOpaqueSyntaxAttribute):
    """`#tpu<round half_away_from_zero>`."""

    name = "tpu.round"


class RequantMode(StrEnum):
    """The formula of `tpu.requant` (TPU-MLIR's RequantMode).

    - multiplier_shift: `round((x * multiplier) >> rshift)` on the full 64-bit product.
    - only_shift: `round(x >> rshift)`; no multiplier.
    - tflite: TFLite's `SaturatingRoundingDoublingHighMul(x, multiplier)` then a rounding shift.
    """

    MULTIPLIER_SHIFT = "multiplier_shift"
    ONLY_SHIFT = "only_shift"
    TFLITE = "tflite"


@irdl_attr_definition
class RequantModeAttr(EnumAttribute[RequantMode], SpacedOpaqueSyntaxAttribute):
    """`#tpu<requant multiplier_shift>`."""

    name = "tpu.requant"


DEFAULT_ROUND_MODE = RoundModeAttr(RoundMode.HALF_AWAY_FROM_ZERO)

# =============================================================================================
# Shared op bases
# =============================================================================================


class _ReluFusableOp(IRDLOperation):
    """An op whose result may go through a fused ReLU, clipped at `relu_limit` if given."""

    do_relu = prop_def(BoolAttr, _bool(False))
    relu_limit = opt_prop_def(FloatAttr[Float64Type])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)

    def _verify_relu(self) -> None:
        if self.relu_limit is None:
            return
        if not self.do_relu.value.data:
            raise VerifyException("'relu_limit' requires do_relu = true")
        if self.relu_limit.value.data < 0:
            raise VerifyException(
                f"expected 'relu_limit' to be >= 0, got {self.relu_limit.value.data}"
            )


class _RescaleOp(_ReluFusableOp):
    """An op that, computing in integers, rescales its accumulator by multiplier >> rshift."""

    multiplier = opt_prop_def(DenseArrayBase[I32])
    rshift = opt_prop_def(DenseArrayBase[I64])
    round_mode = prop_def(RoundModeAttr, DEFAULT_ROUND_MODE)

    def _verify_rescale(
        self,
        integer: bool,
        result_elem: Attribute,
        channels: int,
        channel_what: str = "output channels",
        *,
        multiplier_per_input: int | None = None,
    ) -> None:
        """Check multiplier/rshift: only for integer math; 1 (per tensor) or `channels` long.

        With `multiplier_per_input = k` (an add of k inputs) the multiplier has one entry per
        input and the rshift is per tensor.
        """
        if not integer:
            for prop in ("multiplier", "rshift"):
                if self.properties.get(prop) is not None:
                    raise VerifyException(
                        f"'{prop}' is only valid when the op computes in integers, "
                        f"but the result element type is {result_elem}"
                    )
            return
        if element_bits(result_elem) == 8 and self.rshift is None:
            raise VerifyException(
                f"integer op with an 8-bit result ({result_elem}) requires 'rshift'"
            )
        if multiplier_per_input is not None or channels == 1:
            counts, what = (1,), "1 (per tensor)"
        else:
            counts, what = (1, channels), f"1 or {channels} ({channel_what})"
        self._expect_len("rshift", self.rshift, counts, what)
        if multiplier_per_input is not None:
            n = multiplier_per_input
            counts, what = (n,), f"{n} (one per input)"
        self._expect_len("multiplier", self.multiplier, counts, what)
        for i, s in enumerate(_ints(self.rshift)):
            if not 0 <= s <= MAX_RSHIFT:
                raise VerifyException(
                    f"expected 'rshift' values in [0, {MAX_RSHIFT}], got {s} at index {i}"
                )

    @staticmethod
    def _expect_len(
        prop: str, attr: DenseArrayBase | None, counts: tuple[int, ...], what: str
    ) -> None:
        if attr is not None and len(attr) not in counts:
            raise VerifyException(f"expected '{prop}' to have {what} elements, got {len(attr)}")


def _rescale_props(
    multiplier: Sequence[int] | None,
    rshift: Sequence[int] | None,
    round_mode: RoundMode,
    do_relu: bool,
    relu_limit: float | None,
) -> dict[str, Attribute]:
    props: dict[str, Attribute] = {
        "round_mode": RoundModeAttr(round_mode),
        "do_relu": _bool(do_relu),
    }
    if multiplier is not None:
        props["multiplier"] = _i32_array(multiplier)
    if rshift is not None:
        props["rshift"] = _i64_array(rshift)
    if relu_limit is not None:
        props["relu_limit"] = FloatAttr(relu_limit, Float64Type())
    return props


def _verify_window(kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int]) -> None:
    """Checks shared by conv and pooling windows (2-D: kernel/strides 2, pads 4)."""
    for prop, values, n in (
        ("kernel_shape", kernel, 2),
        ("strides", strides, 2),
        ("pads", pads, 4),
    ):
        if len(values) != n:
            raise VerifyException(f"expected '{prop}' to have {n} elements, got {len(values)}")
    for prop, values in (("kernel_shape", kernel), ("strides", strides)):
        if any(v < 1 for v in values):
            raise VerifyException(f"expected '{prop}' values >= 1, got {list(values)}")
    if any(p < 0 for p in pads):
        raise VerifyException(f"expected 'pads' values >= 0, got {list(pads)}")


def _window_output_hw(
    in_hw: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int] = (1, 1),
) -> tuple[int, int]:
    out = tuple(
        conv_output_size(in_hw[i], kernel[i], strides[i], pads[i], pads[i + 2], dilations[i])
        for i in range(2)
    )
    if min(out) < 1:
        raise VerifyException(
            f"window of kernel {_shape_str(kernel)} (dilations {_shape_str(dilations)}) does not "
            f"fit the padded input {_shape_str(in_hw)} with pads {list(pads)}"
        )
    return out  # type: ignore[return-value]


# =============================================================================================
# Compute ops
# =============================================================================================


class _ConvLikeOp(_ReluFusableOp):
    """What `tpu.conv2d` and `tpu.deconv2d` share (as top's `ConvLikeOp`): input, a filter in
    the convolution's `[oc, ic / group, kh, kw]` layout, an optional bias, the format, and the
    checks of ranks, window and bias. Each op declares its window properties itself: xDSL
    collects a subclass's definitions first, and their order is the order in which defaults
    are filled in (and printed by the generic printer)."""

    input = operand_def(TensorType)
    filter = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)

    irdl_options = (ParsePropInAttrDict(), AttrSizedOperandSegments(as_property=True))
    assembly_format = (
        "$input `,` $filter (`,` $bias^)? attr-dict `:` "
        "`(` type($input) `,` type($filter) (`,` type($bias)^)? `)` `->` type($output)"
    )

    @staticmethod
    def _window_props(
        strides: Sequence[int],
        pads: Sequence[int],
        dilations: Sequence[int],
        group: int,
        output_padding: Sequence[int] | None = None,
    ) -> dict[str, Attribute]:
        """The window properties, in the order the ops declare them."""
        props: dict[str, Attribute] = {
            "strides": _i64_array(strides),
            "pads": _i64_array(pads),
            "dilations": _i64_array(dilations),
        }
        if output_padding is not None:
            props["output_padding"] = _i64_array(output_padding)
        return props | {"group": IntegerAttr(group, i64)}

    def _verify_io(
        self, strides: Sequence[int], pads: Sequence[int]
    ) -> tuple[TensorType, TensorType, TensorType]:
        """Input, filter and result, each of rank 4, and the filter's window with `strides`
        and `pads`."""
        x = _tensor(self.input, "input")
        w = _tensor(self.filter, "filter")
        y = _tensor(self.output, "result")
        for ty, role in ((x, "input"), (w, "filter"), (y, "result")):
            _expect_rank(ty, 4, role)
        _verify_window(w.get_shape()[2:], strides, pads)
        return x, w, y

    def _verify_bias(self, oc: int) -> TensorType | None:
        """The bias, which must have one element per output channel, if there is one."""
        b = None if self.bias is None else _tensor(self.bias, "bias")
        if b is not None and prod(b.get_shape()) != oc:
            raise VerifyException(
                f"expected bias to have {oc} elements (output channels), got {prod(b.get_shape())}"
            )
        return b


@irdl_op_definition
class Conv2dOp(_ConvLikeOp, _RescaleOp):
    """2-D convolution, NCHW, with a logical `[oc, ic / group, kh, kw]` filter.

    Float: input, filter and result share one float type; the bias is that type or f32.
    Integer: 8-bit input and filter, i32 bias, 8-bit (requantised) or 32-bit result.
    """

    name = "tpu.conv2d"

    strides = prop_def(DenseArrayBase[I64], _i64_array((1, 1)))
    pads = prop_def(DenseArrayBase[I64], _i64_array((0, 0, 0, 0)))
    dilations = prop_def(DenseArrayBase[I64], _i64_array((1, 1)))
    group = prop_def(IntegerAttr[I64], IntegerAttr(1, i64))

    def __init__(
        self,
        input: SSAValue | Operation,
        filter: SSAValue | Operation,
        bias: SSAValue | Operation | None,
        result_type: Attribute,
        *,
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        dilations: Sequence[int] = (1, 1),
        group: int = 1,
        multiplier: Sequence[int] | None = None,
        rshift: Sequence[int] | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        props = _rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit)
        props |= self._window_props(strides, pads, dilations, group)
        super().__init__(
            operands=[input, filter, [] if bias is None else [bias]],
            result_types=[result_type],
            properties=props,
        )

    def verify_(self) -> None:
        strides, pads, dilations = _ints(self.strides), _ints(self.pads), _ints(self.dilations)
        x, w, y = self._verify_io(strides, pads)
        if len(dilations) != 2 or min(dilations) < 1:
            raise VerifyException(
                f"expected 'dilations' to be 2 values >= 1, got {list(dilations)}"
            )
        group = self.group.value.data
        n, ic, h, wd = x.get_shape()
        oc, icg, kh, kw = w.get_shape()
        if group < 1 or ic % group or oc % group:
            raise VerifyException(
                f"expected 'group' ({group}) >= 1 dividing input channels ({ic}) "
                f"and output channels ({oc})"
            )
        if icg * group != ic:
            raise VerifyException(
                f"expected filter input channels x group ({icg * group}) to equal "
                f"input channels ({ic})"
            )
        oh, ow = _window_output_hw((h, wd), (kh, kw), strides, pads, dilations)
        _expect_shape(y.get_shape(), (n, oc, oh, ow), "result")
        b = self._verify_bias(oc)

        ye = y.get_element_type()
        integer = _verify_weighted_types(x, w, "filter", b, y)
        self._verify_rescale(integer, ye, oc)
        self._verify_relu()


@irdl_op_definition
class MatMulOp(_RescaleOp):
    """`[..., m, k] x [k, n]` (or batched `[..., k, n]`) + bias `[n]` -> `[..., m, n]`.

    Types as for `tpu.conv2d`; per-channel means per output column (`n`).
    """

    name = "tpu.matmul"

    input = operand_def(TensorType)
    right = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)

    irdl_options = (ParsePropInAttrDict(), AttrSizedOperandSegments(as_property=True))
    assembly_format = (
        "$input `,` $right (`,` $bias^)? attr-dict `:` "
        "`(` type($input) `,` type($right) (`,` type($bias)^)? `)` `->` type($output)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        right: SSAValue | Operation,
        bias: SSAValue | Operation | None,
        result_type: Attribute,
        *,
        multiplier: Sequence[int] | None = None,
        rshift: Sequence[int] | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        super().__init__(
            operands=[input, right, [] if bias is None else [bias]],
            result_types=[result_type],
            properties=_rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit),
        )

    def verify_(self) -> None:
        a = _tensor(self.input, "input")
        r = _tensor(self.right, "right")
        y = _tensor(self.output, "result")
        a_shape, r_shape = a.get_shape(), r.get_shape()
        if len(a_shape) < 2:
            raise VerifyException(f"expected input of rank >= 2, got {len(a_shape)} ({a})")
        if len(r_shape) != 2 and len(r_shape) != len(a_shape):
            raise VerifyException(
                f"expected right of rank 2 or of the input's rank {len(a_shape)}, "
                f"got {len(r_shape)} ({r})"
            )
        if len(r_shape) > 2 and r_shape[:-2] != a_shape[:-2]:
            raise VerifyException(
                f"expected right batch dims {_shape_str(a_shape[:-2])} (those of input), "
                f"got {_shape_str(r_shape[:-2])}"
            )
        if r_shape[-2] != a_shape[-1]:
            raise VerifyException(
                f"expected right reduction dim {r_shape[-2]} to equal input's last dim "
                f"{a_shape[-1]}"
            )
        n = r_shape[-1]
        _expect_shape(y.get_shape(), (*a_shape[:-1], n), "result")
        b = None if self.bias is None else _tensor(self.bias, "bias")
        if b is not None and prod(b.get_shape()) != n:
            raise VerifyException(
                f"expected bias to have {n} elements (output columns), got {prod(b.get_shape())}"
            )

        ye = y.get_element_type()
        integer = _verify_weighted_types(a, r, "right", b, y)
        self._verify_rescale(integer, ye, n, "output columns")
        self._verify_relu()


def _verify_elementwise_types(
    inputs: Sequence[TensorType], result: TensorType
) -> tuple[bool, Attribute]:
    """Float: every input and the result share one float type. Integer: all stored in 8 bits.

    Returns (computes in integers, result element type).
    """
    first = inputs[0].get_element_type()
    ye = result.get_element_type()
    integer = is_integer(first)
    for i, ty in enumerate(inputs):
        elem = ty.get_element_type()
        if integer:
            _expect_int_bits(elem, (8,), f"input #{i}")
        else:
            _expect_same_elem(elem, first, f"input #{i}", "input #0")
    if integer:
        _expect_int_bits(ye, (8,), "result")
    else:
        _expect_same_elem(ye, first, "result", "input #0")
    return integer, ye


def _verify_broadcast(inputs: Sequence[TensorType], result: TensorType) -> None:
    shape: tuple[int, ...] | None = tuple(inputs[0].get_shape())
    for ty in inputs[1:]:
        assert shape is not None
        nxt = _broadcast_shapes(shape, ty.get_shape())
        if nxt is None:
            raise VerifyException(
                f"input shapes {_shape_str(shape)} and {_shape_str(ty.get_shape())} "
                "do not broadcast"
            )
        shape = nxt
    assert shape is not None
    _expect_shape(result.get_shape(), shape, "result (the broadcast input shape)")


@irdl_op_definition
class AddOp(_RescaleOp):
    """Elementwise sum of two or more inputs, NumPy broadcasting.

    Integer: each input is scaled by its own `multiplier` entry, the sum shifted by one
    `rshift`.
    """

    name = "tpu.add"

    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)

    assembly_format = "$inputs attr-dict `:` functional-type($inputs, $output)"

    def __init__(
        self,
        inputs: Sequence[SSAValue | Operation],
        result_type: Attribute,
        *,
        multiplier: Sequence[int] | None = None,
        rshift: Sequence[int] | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties=_rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit),
        )

    def verify_(self) -> None:
        if len(self.inputs) < 2:
            raise VerifyException(f"expected at least 2 inputs, got {len(self.inputs)}")
        xs = [_tensor(v, f"input #{i}") for i, v in enumerate(self.inputs)]
        y = _tensor(self.output, "result")
        _verify_broadcast(xs, y)
        integer, ye = _verify_elementwise_types(xs, y)
        self._verify_rescale(integer, ye, 1, multiplier_per_input=len(xs))
        self._verify_relu()


@irdl_op_definition
class MulOp(_RescaleOp):
    """Elementwise product of two inputs, NumPy broadcasting; integer: one multiplier/rshift."""

    name = "tpu.mul"

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        lhs: SSAValue | Operation,
        rhs: SSAValue | Operation,
        result_type: Attribute,
        *,
        multiplier: Sequence[int] | None = None,
        rshift: Sequence[int] | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        super().__init__(
            operands=[lhs, rhs],
            result_types=[result_type],
            properties=_rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit),
        )

    def verify_(self) -> None:
        xs = [_tensor(self.lhs, "input #0"), _tensor(self.rhs, "input #1")]
        y = _tensor(self.output, "result")
        _verify_broadcast(xs, y)
        integer, ye = _verify_elementwise_types(xs, y)
        self._verify_rescale(integer, ye, 1)
        self._verify_relu()


@irdl_op_definition
class SubOp(_RescaleOp):
    """Elementwise `lhs - rhs`, NumPy broadcasting; floats only (integer models add a negated
    input instead, with its own multiplier)."""

    name = "tpu.sub"

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        lhs: SSAValue | Operation,
        rhs: SSAValue | Operation,
        result_type: Attribute,
        *,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        super().__init__(
            operands=[lhs, rhs],
            result_types=[result_type],
            properties=_rescale_props(
                None, None, RoundMode.HALF_AWAY_FROM_ZERO, do_relu, relu_limit
            ),
        )

    def verify_(self) -> None:
        xs = [_tensor(self.lhs, "input #0"), _tensor(self.rhs, "input #1")]
        y = _tensor(self.output, "result")
        _verify_broadcast(xs, y)
        integer, ye = _verify_elementwise_types(xs, y)
        if integer:
            raise VerifyException(f"expected a float element type (f32, f16, bf16), got {ye}")
        self._verify_rescale(integer, ye, 1)
        self._verify_relu()


@irdl_op_definition
class ReluOp(IRDLOperation):
    """`max(x, 0)`, clipped at `relu_limit` if given; for a ReLU that no op could absorb."""

    name = "tpu.relu"

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)
    relu_limit = opt_prop_def(FloatAttr[Float64Type])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue | Operation, relu_limit: float | None = None) -> None:
        props = {} if relu_limit is None else {"relu_limit": FloatAttr(relu_limit, Float64Type())}
        super().__init__(
            operands=[input], result_types=[SSAValue.get(input).type], properties=props
        )

    def verify_(self) -> None:
        _tensor(self.input, "input")
        if self.relu_limit is not None and self.relu_limit.value.data < 0:
            raise VerifyException(
                f"expected 'relu_limit' to be >= 0, got {self.relu_limit.value.data}"
            )


class _PoolOp(_ReluFusableOp):
    """Shared part of the 2-D pools: NCHW input, a window, floor-mode output size."""

    input = operand_def(TensorType)
    output = result_def(TensorType)

    kernel_shape = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64], _i64_array((1, 1)))
    pads = prop_def(DenseArrayBase[I64], _i64_array((0, 0, 0, 0)))

    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        *,
        kernel_shape: Sequence[int],
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        do_relu: bool = False,
        relu_limit: float | None = None,
        extra: dict[str, Attribute] | None = None,
    ) -> None:
        props: dict[str, Attribute] = {
            "kernel_shape": _i64_array(kernel_shape),
            "strides": _i64_array(strides),
            "pads": _i64_array(pads),
            "do_relu": _bool(do_relu),
        }
        if relu_limit is not None:
            props["relu_limit"] = FloatAttr(relu_limit, Float64Type())
        super().__init__(
            operands=[input], result_types=[result_type], properties=props | (extra or {})
        )

    def _verify_pool_shape(self) -> tuple[TensorType, TensorType]:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_rank(x, 4, "input")
        kernel, strides, pads = _ints(self.kernel_shape), _ints(self.strides), _ints(self.pads)
        _verify_window(kernel, strides, pads)
        n, c, h, w = x.get_shape()
        if max(pads[0], pads[2]) >= kernel[0] or max(pads[1], pads[3]) >= kernel[1]:
            raise VerifyException(
                f"expected 'pads' {list(pads)} smaller than 'kernel_shape' {list(kernel)}"
            )
        oh, ow = _window_output_hw((h, w), kernel, strides, pads)
        _expect_shape(y.get_shape(), (n, c, oh, ow), "result")
        return x, y


@irdl_op_definition
class MaxPoolOp(_PoolOp):
    """2-D max pooling; the result has the input's element type (no rescale)."""

    name = "tpu.maxpool"

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        *,
        kernel_shape: Sequence[int],
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        super().__init__(
            input,
            result_type,
            kernel_shape=kernel_shape,
            strides=strides,
            pads=pads,
            do_relu=do_relu,
            relu_limit=relu_limit,
        )

    def verify_(self) -> None:
        x, y = self._verify_pool_shape()
        _expect_same_elem(y.get_element_type(), x.get_element_type(), "result", "input")
        self._verify_relu()


@irdl_op_definition
class AvgPoolOp(_PoolOp, _RescaleOp):
    """2-D average pooling (global pooling is a window over the whole H x W).

    Integer: the window sum is scaled by one multiplier >> rshift (which folds in 1 / window).
    """

    name = "tpu.avgpool"

    count_include_pad = prop_def(BoolAttr, _bool(False))

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        *,
        kernel_shape: Sequence[int],
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        count_include_pad: bool = False,
        multiplier: Sequence[int] | None = None,
        rshift: Sequence[int] | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        extra = _rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit)
        extra["count_include_pad"] = _bool(count_include_pad)
        super().__init__(
            input,
            result_type,
            kernel_shape=kernel_shape,
            strides=strides,
            pads=pads,
            do_relu=do_relu,
            relu_limit=relu_limit,
            extra=extra,
        )

    def verify_(self) -> None:
        x, y = self._verify_pool_shape()
        xe, ye = x.get_element_type(), y.get_element_type()
        integer = is_integer(xe)
        if integer:
            _expect_int_bits(xe, (8,), "input")
            _expect_int_bits(ye, (8,), "result")
        else:
            _expect_same_elem(ye, xe, "result", "input")
        self._verify_rescale(integer, ye, 1)
        self._verify_relu()


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Same elements, new shape; the element type does not change."""

    name = "tpu.reshape"

    input = operand_def(TensorType)
    output = result_def(TensorType)

    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def __init__(self, input: SSAValue | Operation, result_type: Attribute) -> None:
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_same_elem(y.get_element_type(), x.get_element_type(), "result", "input")
        if prod(x.get_shape()) != prod(y.get_shape()):
            raise VerifyException(
                f"expected result to have the input's {prod(x.get_shape())} elements, "
                f"got {prod(y.get_shape())}"
            )


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Concatenation along `axis`; every input has the result's element type.

    Inputs quantised with other scales must be requantised first (by `tpu.requant`).
    """

    name = "tpu.concat"

    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type($inputs, $output)"

    def __init__(
        self, inputs: Sequence[SSAValue | Operation], result_type: Attribute, axis: int
    ) -> None:
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    def verify_(self) -> None:
        if not self.inputs:
            raise VerifyException("expected at least 1 input, got 0")
        xs = [_tensor(v, f"input #{i}") for i, v in enumerate(self.inputs)]
        y = _tensor(self.output, "result")
        rank = y.get_num_dims()
        axis = self.axis.value.data
        if not 0 <= axis < rank:
            raise VerifyException(f"expected 'axis' in [0, {rank}), got {axis}")
        ye = y.get_element_type()
        total = 0
        for i, x in enumerate(xs):
            _expect_same_elem(x.get_element_type(), ye, f"input #{i}", "result")
            _expect_rank(x, rank, f"input #{i}")
            shape = x.get_shape()
            for d in range(rank):
                if d != axis and shape[d] != y.get_shape()[d]:
                    raise VerifyException(
                        f"expected input #{i} dim {d} to be {y.get_shape()[d]} (the result's), "
                        f"got {shape[d]}"
                    )
            total += shape[axis]
        if total != y.get_shape()[axis]:
            raise VerifyException(
                f"expected result dim {axis} to be {total} (the sum of the inputs'), "
                f"got {y.get_shape()[axis]}"
            )


@irdl_op_definition
class SoftmaxOp(IRDLOperation):
    """Softmax along `axis`, in floats only (integer models run it through `tpu.cast`)."""

    name = "tpu.softmax"

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)
    axis = prop_def(IntegerAttr[I64])

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue | Operation, axis: int) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    def verify_(self) -> None:
        x = _tensor(self.input, "input")
        rank = x.get_num_dims()
        if not 0 <= self.axis.value.data < rank:
            raise VerifyException(f"expected 'axis' in [0, {rank}), got {self.axis.value.data}")
        if not is_float(x.get_element_type()):
            raise VerifyException(
                f"expected a float element type (f32, f16, bf16), got {x.get_element_type()}"
            )


@irdl_op_definition
class DivOp(_ReluFusableOp):
    """Elementwise `lhs / rhs`, NumPy broadcasting, floats only (a division by a constant
    becomes a `top.mul` by its reciprocal before lowering)."""

    name = "tpu.div"

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)

    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        lhs: SSAValue | Operation,
        rhs: SSAValue | Operation,
        result_type: Attribute,
        *,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        props: dict[str, Attribute] = {"do_relu": _bool(do_relu)}
        if relu_limit is not None:
            props["relu_limit"] = FloatAttr(relu_limit, Float64Type())
        super().__init__(operands=[lhs, rhs], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        xs = [_tensor(self.lhs, "input #0"), _tensor(self.rhs, "input #1")]
        y = _tensor(self.output, "result")
        _verify_broadcast(xs, y)
        integer, ye = _verify_elementwise_types(xs, y)
        if integer:
            raise VerifyException(f"expected a float element type (f32, f16, bf16), got {ye}")
        self._verify_relu()


class _FloatUnaryOp(IRDLOperation):
    """An elementwise float function of one tensor; the result has the input's type."""

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def _verify_float(self) -> None:
        x = _tensor(self.input, "input")
        if not is_float(x.get_element_type()):
            raise VerifyException(
                f"expected a float element type (f32, f16, bf16), got {x.get_element_type()}"
            )


@irdl_op_definition
class ExpOp(_FloatUnaryOp):
    """`exp(x)`; on the BM1684X an SFU Taylor series times a power of two."""

    name = "tpu.exp"

    def __init__(self, input: SSAValue | Operation) -> None:
        super().__init__(operands=[input], result_types=[SSAValue.get(input).type])

    def verify_(self) -> None:
        self._verify_float()


@irdl_op_definition
class SigmoidOp(_FloatUnaryOp):
    """`1 / (1 + exp(-x))`."""

    name = "tpu.sigmoid"

    def __init__(self, input: SSAValue | Operation) -> None:
        super().__init__(operands=[input], result_types=[SSAValue.get(input).type])

    def verify_(self) -> None:
        self._verify_float()


@irdl_op_definition
class HardSigmoidOp(_FloatUnaryOp):
    """`max(0, min(1, alpha * x + beta))`."""

    name = "tpu.hardsigmoid"

    alpha = prop_def(FloatAttr[Float64Type])
    beta = prop_def(FloatAttr[Float64Type])

    def __init__(self, input: SSAValue | Operation, alpha: float, beta: float) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={
                "alpha": FloatAttr(alpha, Float64Type()),
                "beta": FloatAttr(beta, Float64Type()),
            },
        )

    def verify_(self) -> None:
        self._verify_float()


class _SpatialMoveOp(IRDLOperation):
    """A pure data movement on NCHW with a two-entry integer factor (h, w)."""

    input = operand_def(TensorType)
    output = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def _factors(self, key: str) -> tuple[int, int]:
        values = _ints(self.properties[key])  # type: ignore[arg-type]
        if len(values) != 2:
            raise VerifyException(f"expected '{key}' to have 2 entries (h, w), got {len(values)}")
        if min(values) < 1:
            raise VerifyException(f"expected '{key}' entries >= 1, got {list(values)}")
        return values[0], values[1]

    def _io(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_rank(x, 4, "input")
        _expect_rank(y, 4, "result")
        _expect_same_elem(y.get_element_type(), x.get_element_type(), "result", "input")
        return tuple(x.get_shape()), tuple(y.get_shape())


@irdl_op_definition
class UpsampleOp(_SpatialMoveOp):
    """Nearest-neighbour upsampling of NCHW by integer `scales` (h, w): every input element
    repeated into a scale_h x scale_w block (ONNX Resize nearest, asymmetric, integer factors)."""

    name = "tpu.upsample"

    scales = prop_def(DenseArrayBase[I64])

    def __init__(
        self, input: SSAValue | Operation, result_type: Attribute, scales: Sequence[int]
    ) -> None:
        super().__init__(
            operands=[input], result_types=[result_type], properties={"scales": _i64_array(scales)}
        )

    def verify_(self) -> None:
        sh, sw = self._factors("scales")
        (n, c, h, w), out = self._io()
        _expect_shape(out, (n, c, h * sh, w * sw), "result")


@irdl_op_definition
class DepthToSpaceOp(_SpatialMoveOp):
    """DepthToSpace in DCR order with `block` (bh, bw): result[n, c, bh*i + a, bw*j + b] =
    input[n, (a*bw + b)*C + c, i, j]. A deconvolution whose kernel equals its stride is a
    1x1 convolution to (kh*kw*oc) channels followed by this op."""

    name = "tpu.depth_to_space"

    block = prop_def(DenseArrayBase[I64])

    def __init__(
        self, input: SSAValue | Operation, result_type: Attribute, block: Sequence[int]
    ) -> None:
        super().__init__(
            operands=[input], result_types=[result_type], properties={"block": _i64_array(block)}
        )

    def verify_(self) -> None:
        bh, bw = self._factors("block")
        (n, c, h, w), out = self._io()
        if c % (bh * bw):
            raise VerifyException(
                f"expected input channels ({c}) to be a multiple of block h x w ({bh * bw})"
            )
        _expect_shape(out, (n, c // (bh * bw), h * bh, w * bw), "result")


@irdl_op_definition
class Deconv2dOp(_ConvLikeOp):
    """Transposed 2-D convolution (ONNX ConvTranspose), NCHW, float only.

    The filter is that of the equivalent convolution, `[oc, ic / group, kh, kw]`: ONNX's
    `[ic, oc / group, kh, kw]` with input and output channels swapped within each group and the
    taps flipped in space. The result is that convolution (stride 1, `dilations`) over the input
    with `strides - 1` zeros inserted between pixels, padded by `dilation * (k - 1) - pads`
    (plus `output_padding` at the bottom and right), which is how the BM1684X conv command
    runs it (its input insertion fields). `pads` are ONNX's (top, left, bottom, right order as
    in `tpu.conv2d`: begin h, begin w, end h, end w).
    """

    name = "tpu.deconv2d"

    strides = prop_def(DenseArrayBase[I64], _i64_array((1, 1)))
    pads = prop_def(DenseArrayBase[I64], _i64_array((0, 0, 0, 0)))
    dilations = prop_def(DenseArrayBase[I64], _i64_array((1, 1)))
    output_padding = prop_def(DenseArrayBase[I64], _i64_array((0, 0)))
    group = prop_def(IntegerAttr[I64], IntegerAttr(1, i64))

    def __init__(
        self,
        input: SSAValue | Operation,
        filter: SSAValue | Operation,
        bias: SSAValue | Operation | None,
        result_type: Attribute,
        *,
        strides: Sequence[int] = (1, 1),
        pads: Sequence[int] = (0, 0, 0, 0),
        dilations: Sequence[int] = (1, 1),
        output_padding: Sequence[int] = (0, 0),
        group: int = 1,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        props = self._window_props(strides, pads, dilations, group, output_padding)
        props["do_relu"] = _bool(do_relu)
        if relu_limit is not None:
            props["relu_limit"] = FloatAttr(relu_limit, Float64Type())
        super().__init__(
            operands=[input, filter, [] if bias is None else [bias]],
            result_types=[result_type],
            properties=props,
        )

    def verify_(self) -> None:
        strides, pads = _ints(self.strides), _ints(self.pads)
        dilations, out_pad = _ints(self.dilations), _ints(self.output_padding)
        x, w, y = self._verify_io(strides, pads)
        for prop, values in (("dilations", dilations), ("output_padding", out_pad)):
            if len(values) != 2:
                raise VerifyException(f"expected '{prop}' to have 2 elements, got {len(values)}")
        if min(dilations) < 1:
            raise VerifyException(f"expected 'dilations' values >= 1, got {list(dilations)}")
        for i in range(2):
            if not 0 <= out_pad[i] < max(strides[i], dilations[i]):
                raise VerifyException(
                    f"expected 'output_padding' values in [0, max(stride, dilation)), got "
                    f"{list(out_pad)} with strides {list(strides)} and dilations "
                    f"{list(dilations)}"
                )
        group = self.group.value.data
        n, ic, h, wd = x.get_shape()
        oc, icg, kh, kw = w.get_shape()
        if group < 1 or ic % group or oc % group or icg * group != ic:
            raise VerifyException(
                f"expected 'group' ({group}) >= 1 dividing input channels ({ic}) and output "
                f"channels ({oc}), with filter input channels x group ({icg * group}) = {ic}"
            )
        out_hw = [
            (size - 1) * s - pads[i] - pads[i + 2] + d * (k - 1) + 1 + out_pad[i]
            for i, (size, s, d, k) in enumerate(
                zip((h, wd), strides, dilations, (kh, kw), strict=True)
            )
        ]
        if min(out_hw) < 1:
            raise VerifyException(f"pads {list(pads)} leave an empty result ({out_hw})")
        _expect_shape(y.get_shape(), (n, oc, *out_hw), "result")
        b = self._verify_bias(oc)
        if _verify_weighted_types(x, w, "filter", b, y):
            raise VerifyException(
                f"expected a float input, got {x.get_element_type()} (tpu.deconv2d is float only)"
            )
        self._verify_relu()


@irdl_op_definition
class RequantOp(_RescaleOp):
    """Integer (8/16/32-bit) -> 8-bit integer, per channel (dim 1) or per tensor.

    `quant_mode` picks the formula; `only_shift` has no multiplier, the others need one.
    """

    name = "tpu.requant"

    input = operand_def(TensorType)
    output = result_def(TensorType)
    quant_mode = prop_def(RequantModeAttr, RequantModeAttr(RequantMode.MULTIPLIER_SHIFT))

    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        *,
        multiplier: Sequence[int] | None,
        rshift: Sequence[int],
        quant_mode: RequantMode = RequantMode.MULTIPLIER_SHIFT,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
        do_relu: bool = False,
        relu_limit: float | None = None,
    ) -> None:
        props = _rescale_props(multiplier, rshift, round_mode, do_relu, relu_limit)
        props["quant_mode"] = RequantModeAttr(quant_mode)
        super().__init__(operands=[input], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_shape(y.get_shape(), x.get_shape(), "result (the input's)")
        _expect_int_bits(x.get_element_type(), INTEGER_WIDTHS, "input")
        _expect_int_bits(y.get_element_type(), (8,), "result")
        mode = self.quant_mode.data
        if mode == RequantMode.ONLY_SHIFT and self.multiplier is not None:
            raise VerifyException("'multiplier' is not allowed with quant_mode only_shift")
        if mode != RequantMode.ONLY_SHIFT and self.multiplier is None:
            raise VerifyException(f"quant_mode {mode} requires 'multiplier'")
        channels = y.get_shape()[1] if y.get_num_dims() >= 2 else 1
        self._verify_rescale(True, y.get_element_type(), channels, "channels, dim 1")
        self._verify_relu()


@irdl_op_definition
class CastOp(IRDLOperation):
    """Element type conversion, same shape: float <-> float, float <-> integer or quant.

    Between a float and a plain integer type the optional `scale` says `float = int * scale`;
    a quant type carries its own scale and zero point, so `scale` is not given then.
    """

    name = "tpu.cast"

    input = operand_def(TensorType)
    output = result_def(TensorType)
    scale = opt_prop_def(FloatAttr[Float64Type])
    round_mode = prop_def(RoundModeAttr, DEFAULT_ROUND_MODE)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        *,
        scale: float | None = None,
        round_mode: RoundMode = RoundMode.HALF_AWAY_FROM_ZERO,
    ) -> None:
        props: dict[str, Attribute] = {"round_mode": RoundModeAttr(round_mode)}
        if scale is not None:
            props["scale"] = FloatAttr(scale, Float64Type())
        super().__init__(operands=[input], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_shape(y.get_shape(), x.get_shape(), "result (the input's)")
        xe, ye = x.get_element_type(), y.get_element_type()
        if xe == ye:
            raise VerifyException(f"expected different input and result element types, got {xe}")
        if self.scale is None:
            return
        if self.scale.value.data <= 0:
            raise VerifyException(f"expected 'scale' > 0, got {self.scale.value.data}")
        plain_int = [e for e in (xe, ye) if is_integer(e) and not is_quantized(e)]
        if len(plain_int) != 1 or not (is_float(xe) or is_float(ye)):
            raise VerifyException(
                f"'scale' is only valid between a float and a plain integer type, got {xe} -> {ye}"
            )


LUT_ENTRIES = 256
"""Entries of a `tpu.lut` table: one per 8-bit input pattern."""


@irdl_op_definition
class LutOp(IRDLOperation):
    """8-bit table lookup: `result[i] = table[input[i] as an unsigned 8-bit pattern]`.

    How integer nets compute activations (sigmoid, SiLU, ...) on the TPU: the input has 8-bit
    storage, so the table holds the result's stored value for each of the 256 input patterns
    (entry `k` for the pattern `k`, i.e. for a signed input entry 255 is the input -1). The
    table (a `top.weight`) has the result's 8-bit storage; input and result have one shape.
    """

    name = "tpu.lut"

    input = operand_def(TensorType)
    table = operand_def(TensorType)
    output = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $table attr-dict `:` `(` type($input) `,` type($table) `)` `->` type($output)"
    )

    def __init__(
        self, input: SSAValue | Operation, table: SSAValue | Operation, result_type: Attribute
    ) -> None:
        super().__init__(operands=[input, table], result_types=[result_type])

    def verify_(self) -> None:
        x = _tensor(self.input, "input")
        t = _tensor(self.table, "table")
        y = _tensor(self.output, "result")
        _expect_int_bits(x.get_element_type(), (8,), "input")
        _expect_int_bits(y.get_element_type(), (8,), "result")
        _expect_int_bits(t.get_element_type(), (8,), "table")
        _expect_shape(t.get_shape(), (LUT_ENTRIES,), "table")
        _expect_shape(y.get_shape(), x.get_shape(), "result (the input's)")
        ts, ys = storage_type(t.get_element_type()), storage_type(y.get_element_type())
        if ts != ys:
            raise VerifyException(
                f"expected table storage {ts} to equal the result's storage {ys} "
                "(the table holds stored result values)"
            )


# =============================================================================================
# Layer groups and local memory
# =============================================================================================


@irdl_op_definition
class GroupOp(IRDLOperation):
    """A layer group: its ops run slice by slice in local memory, software-pipelined.

    The batch is cut into `n_slices` and the height into `h_slices`; the loads and stores inside
    describe each slice. `swpipl_stage_num` is the depth of the load / compute / store pipeline.
    Values defined outside may be used inside; `tpu.yield` gives the results.
    """

    name = "tpu.group"

    outputs = var_result_def(TensorType)
    body = region_def("single_block")

    n_slices = prop_def(IntegerAttr[I64])
    h_slices = prop_def(IntegerAttr[I64])
    swpipl_stage_num = prop_def(IntegerAttr[I64], IntegerAttr(3, i64))

    assembly_format = (
        "`slices` `(` $n_slices `,` $h_slices `)` (`stages` $swpipl_stage_num^)? "
        "attr-dict-with-keyword `->` `(` type($outputs) `)` $body"
    )

    MAX_STAGES: ClassVar[int] = 3

    def __init__(
        self,
        result_types: Sequence[Attribute],
        body: Region,
        *,
        n_slices: int,
        h_slices: int,
        swpipl_stage_num: int = 3,
    ) -> None:
        super().__init__(
            result_types=[result_types],
            regions=[body],
            properties={
                "n_slices": IntegerAttr(n_slices, i64),
                "h_slices": IntegerAttr(h_slices, i64),
                "swpipl_stage_num": IntegerAttr(swpipl_stage_num, i64),
            },
        )

    def verify_(self) -> None:
        for prop in ("n_slices", "h_slices"):
            value = self.properties[prop]
            assert isinstance(value, IntegerAttr)
            if value.value.data < 1:
                raise VerifyException(f"expected '{prop}' >= 1, got {value.value.data}")
        stages = self.swpipl_stage_num.value.data
        if not 1 <= stages <= self.MAX_STAGES:
            raise VerifyException(
                f"expected 'swpipl_stage_num' in [1, {self.MAX_STAGES}], got {stages}"
            )
        block = self.body.block
        if block.args:
            raise VerifyException(f"expected a body block without arguments, got {len(block.args)}")
        last = block.last_op
        if not isinstance(last, YieldOp):
            # (xDSL itself rejects an empty block, before this verifier runs.)
            found = "no op" if last is None else f"'{last.name}'"
            raise VerifyException(f"expected the body to end with 'tpu.yield', got {found}")
        yielded = [v.type for v in last.values]
        results = [r.type for r in self.outputs]
        if len(yielded) != len(results):
            raise VerifyException(
                f"expected 'tpu.yield' to give {len(results)} values (the group's results), "
                f"got {len(yielded)}"
            )
        for i, (yt, rt) in enumerate(zip(yielded, results, strict=True)):
            if yt != rt:
                raise VerifyException(f"expected yielded value #{i} of type {rt}, got {yt}")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Ends a `tpu.group`; its operands become the group's results."""

    name = "tpu.yield"

    values = var_operand_def(TensorType)

    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(GroupOp), Pure()))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def __init__(self, *values: SSAValue | Operation) -> None:
        super().__init__(operands=[values])


class _TransferOp(IRDLOperation):
    """A GDMA transfer of slices of an NCHW tensor between global and local memory.

    `local_addr` is the byte offset in LMEM (its lane is `local_addr // LMEM_BYTES_PER_LANE`);
    `global_addr`, once the tensor is placed, its byte address in DDR. Slice `i` along N covers
    `[n_idx[i], n_idx[i] + n_slice[i])`, likewise for H (H slices of inputs may overlap: halos).
    """

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)

    local_addr = prop_def(IntegerAttr[I64])
    global_addr = opt_prop_def(IntegerAttr[I64])
    n_idx = prop_def(DenseArrayBase[I64])
    n_slice = prop_def(DenseArrayBase[I64])
    h_idx = prop_def(DenseArrayBase[I64])
    h_slice = prop_def(DenseArrayBase[I64])
    eu_align = prop_def(BoolAttr, _bool(True))

    traits = lazy_traits_def(lambda: (HasParent(GroupOp),))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `lmem` `(` $local_addr `)` (`gmem` `(` $global_addr^ `)`)? attr-dict "
        "`:` type($input)"
    )

    def __init__(
        self,
        input: SSAValue | Operation,
        *,
        local_addr: int,
        n_idx: Sequence[int],
        n_slice: Sequence[int],
        h_idx: Sequence[int],
        h_slice: Sequence[int],
        global_addr: int | None = None,
        eu_align: bool = True,
    ) -> None:
        props: dict[str, Attribute] = {
            "local_addr": IntegerAttr(local_addr, i64),
            "n_idx": _i64_array(n_idx),
            "n_slice": _i64_array(n_slice),
            "h_idx": _i64_array(h_idx),
            "h_slice": _i64_array(h_slice),
            "eu_align": _bool(eu_align),
        }
        if global_addr is not None:
            props["global_addr"] = IntegerAttr(global_addr, i64)
        super().__init__(
            operands=[input], result_types=[SSAValue.get(input).type], properties=props
        )

    @property
    def lane(self) -> int:
        """The lane the local copy starts on."""
        return chip.lmem_lane(self.local_addr.value.data)

    def local_bytes_per_lane(self) -> int:
        """LMEM bytes per lane of the largest slice."""
        ty = self.input.type
        assert isinstance(ty, TensorType)
        _, c, _, w = ty.get_shape()
        return local_bytes_per_lane(
            max(_ints(self.n_slice)),
            c,
            max(_ints(self.h_slice)),
            w,
            element_bits(ty.get_element_type()),
            self.lane,
            bool(self.eu_align.value.data),
        )

    def verify_(self) -> None:
        ty = _tensor(self.input, "the tensor")
        _expect_rank(ty, 4, "the tensor (NCHW)")
        n, _, h, _ = ty.get_shape()
        local = self.local_addr.value.data
        if not 0 <= local < chip.LMEM_BYTES:
            raise VerifyException(
                f"expected 'local_addr' in [0, {chip.LMEM_BYTES:#x}) (local memory), got {local:#x}"
            )
        if self.global_addr is not None:
            addr = self.global_addr.value.data
            end = chip.GMEM_BASE + chip.GMEM_BYTES
            if not chip.GMEM_BASE <= addr < end:
                raise VerifyException(
                    f"expected 'global_addr' in [{chip.GMEM_BASE:#x}, {end:#x}) (global memory), "
                    f"got {addr:#x}"
                )
            if addr % chip.GMEM_ALIGNMENT:
                raise VerifyException(
                    f"expected 'global_addr' {addr:#x} aligned to {chip.GMEM_ALIGNMENT:#x} bytes"
                )
        group = self.parent_op()
        n_want, h_want = (
            (group.n_slices.value.data, group.h_slices.value.data)
            if isinstance(group, GroupOp)
            else (None, None)
        )
        for dim, size, idx_attr, slice_attr, want in (
            ("n", n, self.n_idx, self.n_slice, n_want),
            ("h", h, self.h_idx, self.h_slice, h_want),
        ):
            idx, sl = _ints(idx_attr), _ints(slice_attr)
            if len(idx) != len(sl) or not idx:
                raise VerifyException(
                    f"expected '{dim}_idx' and '{dim}_slice' to have the same non-zero length, "
                    f"got {len(idx)} and {len(sl)}"
                )
            # One entry means "not sliced along this dim" (e.g. a weight loaded once).
            if want is not None and len(idx) not in (1, want):
                allowed = "1" if want == 1 else f"1 or {want}"
                raise VerifyException(
                    f"expected {allowed} {dim} slices (the group's {dim}_slices), got {len(idx)}"
                )
            for i, (start, count) in enumerate(zip(idx, sl, strict=True)):
                if start < 0 or count < 1 or start + count > size:
                    raise VerifyException(
                        f"{dim} slice #{i} [{start}, {start + count}) is not a non-empty range "
                        f"within the tensor's {dim.upper()} = {size}"
                    )
        used = self.local_bytes_per_lane()
        offset = local % chip.LMEM_BYTES_PER_LANE
        if offset + used > chip.LMEM_BYTES_PER_LANE:
            raise VerifyException(
                f"local copy of {used} bytes per lane at lane offset {offset:#x} overflows the "
                f"{chip.LMEM_BYTES_PER_LANE:#x} bytes of a lane"
            )


@irdl_op_definition
class LoadOp(_TransferOp):
    """Global -> local: the result is the local copy of the (sliced) global tensor."""

    name = "tpu.load"


@irdl_op_definition
class StoreOp(_TransferOp):
    """Local -> global: the result is the global tensor written from the local value."""

    name = "tpu.store"


# =============================================================================================
# Data movement and float functions for the remaining top ops (lower-to-tpu, issue #6)
# =============================================================================================


class _MoveOp(IRDLOperation):
    """A pure data movement of any rank: the result has the input's element type."""

    input = operand_def(TensorType)
    output = result_def(TensorType)

    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` functional-type($input, $output)"

    def _io(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        x = _tensor(self.input, "input")
        y = _tensor(self.output, "result")
        _expect_rank(y, x.get_num_dims(), "result")
        _expect_same_elem(y.get_element_type(), x.get_element_type(), "result", "input")
        return tuple(x.get_shape()), tuple(y.get_shape())


@irdl_op_definition
class PermuteOp(_MoveOp):
    """Transpose: result dim i is input dim `order[i]`."""

    name = "tpu.permute"

    order = prop_def(DenseArrayBase[I64])

    def __init__(
        self, input: SSAValue | Operation, result_type: Attribute, order: Sequence[int]
    ) -> None:
        super().__init__(
            operands=[input], result_types=[result_type], properties={"order": _i64_array(order)}
        )

    def verify_(self) -> None:
        shape, out = self._io()
        order = _ints(self.order)
        if sorted(order) != list(range(len(shape))):
            raise VerifyException(
                f"expected 'order' to be a permutation of 0..{len(shape) - 1}, got {list(order)}"
            )
        _expect_shape(out, [shape[d] for d in order], "result")


@irdl_op_definition
class SliceOp(_MoveOp):
    """Strided slice: result element i along dim d is input element offsets[d] + i * steps[d]."""

    name = "tpu.slice"

    offsets = prop_def(DenseArrayBase[I64])
    steps = prop_def(DenseArrayBase[I64])

    def __init__(
        self,
        input: SSAValue | Operation,
        result_type: Attribute,
        offsets: Sequence[int],
        steps: Sequence[int],
    ) -> None:
        super().__init__(
            operands=[input],
            result_types=[result_type],
            properties={"offsets": _i64_array(offsets), "steps": _i64_array(steps)},
        )

    def verify_(self) -> None:
        shape, out = self._io()
        offsets, steps = _ints(self.offsets), _ints(self.steps)
        for key, values in (("offsets", offsets), ("steps", steps)):
            if len(values) != len(shape):
                raise VerifyException(
                    f"expected '{key}' to have {len(shape)} entries (one per dim), "
                    f"got {len(values)}"
                )
        for d, (size, start, step, count) in enumerate(
            zip(shape, offsets, steps, out, strict=True)
        ):
            if step < 1:
                raise VerifyException(f"expected 'steps' >= 1, got {step} along dim {d}")
            if count < 1 or start < 0 or start + step * (count - 1) >= size:
                raise VerifyException(
                    f"expected {count} elements from {start} by {step} along dim {d} to lie in "
                    f"[0, {size})"
                )


@irdl_op_definition
class ExpandOp(_MoveOp):
    """Broadcast the input (same rank) to the result's shape: dims of size 1 repeat."""

    name = "tpu.expand"

    def __init__(self, input: SSAValue | Operation, result_type: Attribute) -> None:
        super().__init__(operands=[input], result_types=[result_type])

    def verify_(self) -> None:
        shape, out = self._io()
        if any(s not in (1, o) for s, o in zip(shape, out, strict=True)):
            raise VerifyException(
                f"expected input shape {_shape_str(shape)} to broadcast to the result shape "
                f"{_shape_str(out)}"
            )


class _PlainUnaryOp(_FloatUnaryOp):
    """A float function of one tensor without parameters."""

    def __init__(self, input: SSAValue | Operation) -> None:
        super().__init__(operands=[input], result_types=[SSAValue.get(input).type])

    def verify_(self) -> None:
        self._verify_float()


@irdl_op_definition
class TanhOp(_PlainUnaryOp):
    """`tanh(x)`, as 2 / (1 + exp(-2x)) - 1."""

    name = "tpu.tanh"


@irdl_op_definition
class ErfOp(_PlainUnaryOp):
    """`erf(x)`, by a rational approximation with exp (absolute error below 2e-7)."""

    name = "tpu.erf"


@irdl_op_definition
class GeluOp(_PlainUnaryOp):
    """`x * Phi(x)` = `0.5 x (1 + erf(x / sqrt(2)))` (ONNX Gelu, approximate = "none")."""

    name = "tpu.gelu"


@irdl_op_definition
class SqrtOp(_PlainUnaryOp):
    """`sqrt(x)`, as 1 / rsqrt(x) (the SFU rsqrt)."""

    name = "tpu.sqrt"


@irdl_op_definition
class RsqrtOp(_PlainUnaryOp):
    """`1 / sqrt(x)` (the SFU rsqrt)."""

    name = "tpu.rsqrt"


@irdl_op_definition
class LogOp(_PlainUnaryOp):
    """Natural logarithm: exponent bits times ln 2 plus a series for the mantissa's log."""

    name = "tpu.log"


class _ScalarUnaryOp(_FloatUnaryOp):
    """A float function of one tensor with one float parameter."""

    def _init(self, input: SSAValue | Operation, key: str, value: float) -> None:
        super().__init__(
            operands=[input],
            result_types=[SSAValue.get(input).type],
            properties={key: FloatAttr(value, Float64Type())},
        )

    def verify_(self) -> None:
        self._verify_float()


@irdl_op_definition
class LeakyReluOp(_ScalarUnaryOp):
    """`x` where `x >= 0`, else `alpha * x`."""

    name = "tpu.leaky_relu"

    alpha = prop_def(FloatAttr[Float64Type])

    def __init__(self, input: SSAValue | Operation, alpha: float) -> None:
        self._init(input, "alpha", alpha)


@irdl_op_definition
class PowOp(_ScalarUnaryOp):
    """`x ** exponent` for x > 0, as exp(exponent * log(x)) (integer exponents are products)."""

    name = "tpu.pow"

    exponent = prop_def(FloatAttr[Float64Type])

    def __init__(self, input: SSAValue | Operation, exponent: float) -> None:
        self._init(input, "exponent", exponent)


Tpu = Dialect(
    "tpu",
    [
        Conv2dOp,
        MatMulOp,
        AddOp,
        SubOp,
        MulOp,
        ReluOp,
        MaxPoolOp,
        AvgPoolOp,
        ReshapeOp,
        ConcatOp,
        SoftmaxOp,
        DivOp,
        ExpOp,
        SigmoidOp,
        HardSigmoidOp,
        UpsampleOp,
        DepthToSpaceOp,
        Deconv2dOp,
        RequantOp,
        CastOp,
        LutOp,
        GroupOp,
        YieldOp,
        LoadOp,
        StoreOp,
        PermuteOp,
        SliceOp,
        ExpandOp,
        TanhOp,
        ErfOp,
        GeluOp,
        SqrtOp,
        RsqrtOp,
        LogOp,
        LeakyReluOp,
        PowOp,
    ],
    [RoundModeAttr, RequantModeAttr],
)
