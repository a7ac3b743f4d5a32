"""`quantize{mode=int8 asymmetric=false qtable=path round-mode=half_away_from_zero target=bm1684x}`:
top -> quant.

The ops stay `top` ops; their tensors get quantized element types from the `calib` statistics
that `import-calibration` attached (TPU-MLIR's rules for BM1684X):

- activations: per-tensor. Symmetric (default): `i8` with `scale = threshold / 127` (TPU-MLIR's
  symmetric INT8 uses 127, so +-threshold maps to +-127); a tensor known to be non-negative (the
  producer fuses a ReLU, or calibration saw min >= 0) is `u8` with `scale = threshold / 255`.
  `asymmetric=true`: `u8` with `scale = (max - min) / 255` and a zero point, over [min, max]
  widened to contain 0.
- weights of conv/deconv/matmul: symmetric per output channel, `scale = max|w_oc| / 127`, stored
  as int8 arrays in the weight store (`UniformQuantPerAxisType`); bias: int32 with
  `scale = s_in * s_w[oc]`, so that it adds straight into the int32 accumulator.
- add/sub: inputs requantized (`quant.requant`) to one common type that covers every input's
  range; concat: inputs requantized to the result type (a pure copy then); mul: each input keeps
  its own type.
- max pooling and data movement (reshape, transpose, slice, split, pad, ...) keep the input's
  type; average pooling rescales to its own calibrated type.
- sigmoid, tanh, silu, gelu, hardswish, exp, erf, ...: `quant.lut` with a 256-entry table that
  holds f of every input value, quantized to the result type. A mul, add or sub by a
  one-element constant is such a function too, and so is a chain of them: `a * hardswish(x) + b`
  (PP-LCNet's learnable affine after each activation) is one table, rounded once.
- `target=bm1684x` (default): an op that has an INT8 rule but that INT8 code generation cannot
  run (`int8_codegen_gap`: mul of two tensors, broadcasting add, deconv, ...) stays in float
  unless the precision table marks it INT8, so that the net compiles; `target=reference` keeps
  every INT8 rule (for the fake-quant reference alone).
- softmax, log_softmax and layernorm (by default, in `float-mode`), anything the precision table
  marks F16/BF16/F32, and any op that cannot be quantized (no statistics, no INT8 rule) compute
  in float: `quant.dcast` (+ `arith.truncf` for f16/bf16) before, `arith.extf` + `quant.qcast`
  after. Net inputs and outputs stay f32: `quant.qcast` after the inputs, `quant.dcast` before
  the return.

The rounding mode is recorded in the module attribute `quant.round_mode`, which the reference
interpreter (`nntc.targets.reference.quant_functions`) uses for its fake-quant execution.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    BFloat16Type,
    DenseArrayBase,
    Float16Type,
    Float32Type,
    IntegerType,
    ModuleOp,
    NameLoc,
    Signedness,
    StringAttr,
    TensorType,
    bf16,
    f16,
    f32,
)
from xdsl.interpreter import Interpreter
from xdsl.ir import Attribute, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException, VerifyException

from nntc.dialects import quant, top
from nntc.dialects.quant import (
    CALIBRATION_ATTR,
    ROUND_MODE_ATTR,
    ROUND_MODES,
    CalibrationAttr,
    QuantizedType,
    UniformQuantPerAxisType,
    UniformQuantType,
)
from nntc.targets.calibration.qtable import (
    PRECISIONS,
    PrecisionTableError,
    read_precision_table,
)
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

SI8 = IntegerType(8, Signedness.SIGNED)
UI8 = IntegerType(8, Signedness.UNSIGNED)
SI32 = IntegerType(32, Signedness.SIGNED)

FLOAT_TYPES: dict[str, Attribute] = {"F32": f32, "F16": f16, "BF16": bf16}
MODES: dict[str, str] = {"int8": "INT8", "f16": "F16", "bf16": "BF16", "f32": "F32"}
TARGETS: tuple[str, ...] = ("bm1684x", "reference")

FLOAT_BY_DEFAULT: tuple[type[Operation], ...] = (top.SoftmaxOp, top.LogSoftmaxOp, top.LayerNormOp)
"""Ops kept in float (`float-mode`) unless the precision table says otherwise."""

SCALE_PRESERVING: tuple[type[Operation], ...] = (
    top.MaxPoolOp,
    top.GlobalMaxPoolOp,
    top.ReluOp,
    top.ReshapeOp,
    top.TransposeOp,
    top.SliceOp,
    top.SplitOp,
    top.ExpandOp,
    top.GatherOp,
    top.IdentityOp,
    top.PadOp,
)
"""Ops whose results keep the input's quantized type (they select, move or max values)."""

LUT_OPS: tuple[type[Operation], ...] = (
    top.SigmoidOp,
    top.TanhOp,
    top.SiLUOp,
    top.GeluOp,
    top.HardSwishOp,
    top.HardSigmoidOp,
    top.ExpOp,
    top.ErfOp,
    top.LeakyReluOp,
    top.ClipOp,
)
"""Elementwise functions defined on every real number, computed in INT8 as a 256-entry table."""


# --- numerics ------------------------------------------------------------------------------------


def activation_type(
    calib: CalibrationAttr, *, asymmetric: bool = False, non_negative: bool = False
) -> UniformQuantType:
    """The per-tensor INT8 type of an activation with statistics `calib`.

    Symmetric: `i8`, `scale = threshold / 127`; `u8`, `scale = threshold / 255` when the tensor
    is non-negative (`non_negative`, or calibration saw no negative value). Asymmetric: `u8` over
    [min, max] widened to contain 0, zero point `round(-min / scale)`.
    """
    if asymmetric:
        lo, hi = min(calib.min, 0.0), max(calib.max, 0.0)
        if hi - lo <= 0.0:
            hi = calib.threshold
        scale = (hi - lo) / 255.0
        # ties away from zero, as TPU-MLIR's std::round (numpy's round goes to even)
        zero_point = int(np.clip(math.floor(-lo / scale + 0.5), 0, 255))
        return UniformQuantType(UI8, f32, scale, zero_point)
    if non_negative or calib.min >= 0.0:
        return UniformQuantType(UI8, f32, calib.threshold / 255.0)
    return UniformQuantType(SI8, f32, calib.threshold / 127.0)


def _safe_scale(abs_max: np.ndarray, levels: float) -> np.ndarray:
    # An all-zero channel has no range; any positive scale stores it exactly as 0.
    return np.where(abs_max > 0.0, abs_max / levels, 1.0)


def quantize_weight_per_channel(
    weight: np.ndarray, axis: int, round_mode: str = "half_away_from_zero"
) -> tuple[np.ndarray, UniformQuantPerAxisType]:
    """Symmetric int8 per channel of `axis`: `scale[c] = max|w[c]| / 127`, values in [-127, 127]."""
    w = np.asarray(weight, np.float64)
    others = tuple(d for d in range(w.ndim) if d != axis)
    abs_max = np.abs(w).max(axis=others) if others else np.abs(w)
    scales = _safe_scale(abs_max, 127.0)
    qtype = UniformQuantPerAxisType(SI8, f32, axis, [float(s) for s in scales])
    return quant.quantize(w, qtype, round_mode), qtype  # type: ignore[arg-type]


def quantize_weight_per_tensor(
    weight: np.ndarray, round_mode: str = "half_away_from_zero"
) -> tuple[np.ndarray, UniformQuantType]:
    """Symmetric int8 for a whole tensor: `scale = max|w| / 127`."""
    abs_max = np.abs(np.asarray(weight, np.float64)).max(initial=0.0)
    qtype = UniformQuantType(SI8, f32, float(_safe_scale(np.float64(abs_max), 127.0)))
    return quant.quantize(weight, qtype, round_mode), qtype  # type: ignore[arg-type]


def quantize_bias(
    bias: np.ndarray,
    input_scale: float,
    weight_scales: tuple[float, ...],
    round_mode: str = "half_away_from_zero",
) -> tuple[np.ndarray, UniformQuantPerAxisType]:
    """int32 bias along its last axis with `scale[c] = input_scale * weight_scales[c]`."""
    b = np.asarray(bias, np.float64)
    scales = [input_scale * s for s in weight_scales]
    qtype = UniformQuantPerAxisType(SI32, f32, b.ndim - 1, scales)
    return quant.quantize(b, qtype, round_mode), qtype  # type: ignore[arg-type]


def lut_inputs(in_type: QuantizedType) -> np.ndarray:
    """The 256 stored input values in table order (entry i is the 8-bit pattern i)."""
    return np.arange(256, dtype=np.uint8).view(in_type.storage_dtype)


def lut_table(
    fn: Callable[[np.ndarray], np.ndarray],
    in_type: QuantizedType,
    out_type: QuantizedType,
    round_mode: str = "half_away_from_zero",
) -> np.ndarray:
    """`table[i] = quantize(fn(dequantize(q_i)))` for the input value q_i of pattern i."""
    x = quant.dequantize(lut_inputs(in_type), in_type)
    with np.errstate(over="ignore"):
        y = np.asarray(fn(x), np.float64)
    return quant.quantize(y, out_type, round_mode)  # type: ignore[arg-type]


def round_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 values rounded (to nearest even) to bfloat16, held as float32."""
    bits = np.ascontiguousarray(values, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


# --- checks --------------------------------------------------------------------------------------


def _qtype_of(value: SSAValue) -> QuantizedType | None:
    return quant.quantized_element_type(value.type)


def check_quantized_op(op: Operation) -> None:
    """The INT8 rules a quantized top op must follow, beyond `TopTensorConstraint`'s.

    Conv, deconv and matmul: per-tensor 8-bit input and result, a signed 8-bit filter quantized
    per output channel, an int32 bias whose scales are input scale x filter scales. Add, sub and
    concat: one type for every input (concat: the result's too). Scale-preserving ops: the
    result's type is the input's. Raises `VerifyException` naming the operand.
    """
    if isinstance(op, top.ConvOp | top.DeconvOp | top.MatMulOp):
        in_q = _qtype_of(op.input)
        if in_q is None:
            return
        weight = op.right if isinstance(op, top.MatMulOp) else op.filter
        what = "right" if isinstance(op, top.MatMulOp) else "filter"
        out_q = _qtype_of(op.output)
        for name, qtype in (("input", in_q), ("result", out_q)):
            if not isinstance(qtype, UniformQuantType) or qtype.storage_width != 8:
                raise VerifyException(f"expected {name} to be per-tensor 8-bit, got {qtype}")
        w_q = _qtype_of(weight)
        if not isinstance(w_q, UniformQuantPerAxisType) or w_q.storage_dtype != np.int8:
            raise VerifyException(f"expected {what} to be per-axis signed 8-bit, got {w_q}")
        w_shape = weight.type.get_shape()  # type: ignore[attr-defined]
        expected_axis = {top.ConvOp: 0, top.DeconvOp: 1}.get(type(op), len(w_shape) - 1)
        if w_q.axis != expected_axis:
            raise VerifyException(
                f"expected {what} quantization axis {expected_axis} (output channels), "
                f"got {w_q.axis}"
            )
        if op.bias is None:
            return
        b_q = _qtype_of(op.bias)
        if not isinstance(b_q, UniformQuantPerAxisType) or b_q.storage_dtype != np.int32:
            raise VerifyException(f"expected bias to be per-axis signed 32-bit, got {b_q}")
        expected = np.asarray(w_q.scales) * in_q.scale  # type: ignore[union-attr]
        if len(b_q.scales) != len(expected) or not np.allclose(
            b_q.scales, expected, rtol=1e-6, atol=0.0
        ):
            raise VerifyException(
                f"expected bias scales to be input scale x {what} scales "
                f"{[float(s) for s in expected]}, got {list(b_q.scales)}"
            )
        return
    if isinstance(op, top.AddOp | top.SubOp | top.ConcatOp):
        types = [v.type.get_element_type() for v in op.inputs]  # type: ignore[attr-defined]
        if isinstance(op, top.ConcatOp):
            types.append(op.output.type.get_element_type())  # type: ignore[attr-defined]
        if not isinstance(types[0], QuantizedType):
            return
        for i, t in enumerate(types[1:], start=1):
            if t != types[0]:
                role = "result" if i == len(op.inputs) else f"input {i}"
                raise VerifyException(
                    f"expected {role} element type {t} to equal input 0 element type {types[0]} "
                    f"(quantized inputs share one scale)"
                )
        return
    if isinstance(op, SCALE_PRESERVING) and op.operands:
        in_q = _qtype_of(op.operands[0])
        if in_q is None:
            return
        for i, result in enumerate(op.results):
            if _qtype_of(result) != in_q:
                raise VerifyException(
                    f"expected result {i} element type {_qtype_of(result)} to equal the input's "
                    f"{in_q} (the op keeps the scale)"
                )


# --- the pass ------------------------------------------------------------------------------------


def _location_name(op: Operation) -> str | None:
    return op.location.desc.data if isinstance(op.location, NameLoc) else None


def _calib(value: SSAValue) -> CalibrationAttr | None:
    if isinstance(value, OpResult) and value.index == 0:
        attr = value.op.attributes.get(CALIBRATION_ATTR)
        if isinstance(attr, CalibrationAttr):
            return attr
    return None


def _non_negative(value: SSAValue) -> bool:
    """Whether the producer guarantees values >= 0 (a fused or standalone ReLU)."""
    owner = value.owner
    if isinstance(owner, top.ReluOp):
        return True
    return isinstance(owner, top.ReluFusibleOp) and owner.do_relu_value


def _with_element(value: SSAValue, element: Attribute) -> TensorType:
    ty = value.type
    assert isinstance(ty, TensorType)
    return TensorType(element, ty.get_shape())


def _scalar_operand(op: Operation) -> int | None:
    """For a mul/add/sub of a tensor and a one-element constant: the tensor operand's index.

    Such an op is an elementwise function of one tensor (a table lookup in INT8)."""
    if not isinstance(op, top.MulOp | top.AddOp | top.SubOp) or len(op.operands) != 2:
        return None
    if isinstance(op, top.AddOp) and op.coeff is not None:
        return None
    constants = [
        isinstance(v.owner, top.WeightOp) and math.prod(v.type.get_shape()) == 1  # type: ignore[attr-defined]
        for v in op.operands
    ]
    if constants.count(True) != 1:
        return None
    index = constants.index(False)
    if op.operands[index].type.get_shape() != op.results[0].type.get_shape():  # type: ignore[attr-defined]
        return None
    return index


def _float_width(t: Attribute) -> int:
    return 32 if isinstance(t, Float32Type) else 16


class _Unsupported(Exception):
    """This op cannot be quantized with the information at hand (the reason is the message)."""


@dataclass
class _Quantizer:
    """Pass state: options, the weight store, and the casts and weights made so far."""

    store: WeightStore
    interpreter: Interpreter
    default: str
    float_default: str
    asymmetric: bool
    round_mode: str
    qtable: Mapping[str, str]
    target: str = "bm1684x"
    casts: dict[tuple[SSAValue, Attribute], SSAValue] = field(default_factory=dict)
    done: set[Operation] = field(default_factory=set)
    used_names: set[str] = field(default_factory=set)
    kept_float: dict[str, str] = field(default_factory=dict)
    narrowed: dict[SSAValue, CalibrationAttr | None] = field(default_factory=dict)
    """`calib_of`'s answers: decided once, before the readers become `quant.lut`s."""
    """Op name -> why it stays in float although the default precision is INT8."""

    # --- types --------------------------------------------------------------------------------

    def act_type(self, value: SSAValue) -> QuantizedType:
        """The INT8 type a value has or would get from its statistics."""
        if (qtype := _qtype_of(value)) is not None:
            return qtype
        calib = self.calib_of(value)
        if calib is None:
            raise _Unsupported(f"no calibration for the producer of {value.name_hint or 'a value'}")
        return activation_type(calib, asymmetric=self.asymmetric, non_negative=_non_negative(value))

    def calib_of(self, value: SSAValue) -> CalibrationAttr | None:
        """`value`'s statistics, its range narrowed to where the tables that read it are not
        flat: a sigmoid's input beyond +-6.3 gives 0 or 1 in u8 anyway, and the 8-bit steps
        are better spent where it changes (a detector's logits reach +-130)."""
        if value not in self.narrowed:
            self.narrowed[value] = self._narrowed_calib(value)
        return self.narrowed[value]

    def _narrowed_calib(self, value: SSAValue) -> CalibrationAttr | None:
        calib = _calib(value)
        if calib is None or not value.uses or self.asymmetric:
            return calib
        reach = 0.0
        for use in value.uses:
            user = use.operation
            if not isinstance(user, LUT_OPS) or self.precision(user)[0] != "INT8":
                return calib
            if (user_calib := _calib(user.results[0])) is None:
                return calib
            out_t = activation_type(user_calib, non_negative=_non_negative(user.results[0]))
            reach = max(reach, self.table_reach(user, calib.threshold, out_t.scale / 2.0))
        if not 0.0 < reach < 0.9 * calib.threshold:
            return calib  # a few percent of resolution is not worth a type unlike the stats
        return CalibrationAttr(reach, max(calib.min, -reach), min(calib.max, reach))

    def table_reach(self, op: Operation, threshold: float, tolerance: float) -> float:
        """The smallest t <= threshold such that `op`'s function on [-threshold, threshold]
        stays within `tolerance` of its end values outside [-t, t]."""
        x = np.linspace(-threshold, threshold, 4097, dtype=np.float32)
        y = np.asarray(self.interpreter.run_op(op, (x,))[0], np.float64).reshape(-1)
        if y.shape != x.shape or not np.all(np.isfinite(y)):
            return threshold
        moving = (np.abs(y - y[0]) > tolerance) & (np.abs(y - y[-1]) > tolerance)
        if not moving.any():
            return threshold
        step = float(x[1] - x[0])
        inside = float(np.abs(x[moving]).max()) + step
        return threshold if inside >= threshold - step else inside

    def value_range(self, value: SSAValue) -> tuple[float, float, float]:
        """(min, max, threshold) of a value, from statistics, its type or its weight values."""
        if isinstance(value.owner, top.WeightOp) and _qtype_of(value) is None:
            w = weight_value(value.owner, self.store)
            return float(w.min()), float(w.max()), float(np.abs(w).max())
        if _qtype_of(value) is None and (calib := _calib(value)) is not None:
            return calib.min, calib.max, calib.threshold
        # a quantized value's range is its type's (a max pool's own statistics do not apply)
        qtype = self.act_type(value)
        assert isinstance(qtype, UniformQuantType)
        hi = qtype.scale * (qtype.storage_max - qtype.zero_point)
        if qtype.is_signed and qtype.zero_point == 0:
            # symmetric: +-threshold is +-127; the extra code -128 is not part of the range
            return -hi, hi, hi
        lo = qtype.scale * (qtype.storage_min - qtype.zero_point)
        return lo, hi, max(abs(lo), abs(hi))

    # --- conversions --------------------------------------------------------------------------

    def convert(self, value: SSAValue, element: Attribute, rewriter: PatternRewriter) -> SSAValue:
        """`value` as a tensor of `element`, through casts placed right after its definition.

        Float weights are converted at compile time into a new weight instead.
        """
        current = value.type.get_element_type()  # type: ignore[attr-defined]
        if current == element:
            return value
        key = (value, element)
        if key in self.casts:
            return self.casts[key]
        owner = value.owner
        if isinstance(owner, top.WeightOp) and isinstance(current, Float32Type):
            result = self.new_weight(owner, element, rewriter)
        elif isinstance(element, QuantizedType):
            if isinstance(current, QuantizedType):
                result = self.cast(quant.RequantizeCastOp, value, element, rewriter)
            else:
                source = self.convert(value, f32, rewriter)
                result = self.cast(quant.QuantizeCastOp, source, element, rewriter)
        elif isinstance(current, QuantizedType):
            if element == current.expressed_type:
                result = self.cast(quant.DequantizeCastOp, value, element, rewriter)
            else:  # through the expressed type, so that the dcast is shared
                source = self.convert(value, current.expressed_type, rewriter)
                result = self.convert(source, element, rewriter)
        elif _float_width(element) > _float_width(current):
            result = self.cast(arith.ExtFOp, value, element, rewriter)
        elif _float_width(element) < _float_width(current):
            result = self.cast(arith.TruncFOp, value, element, rewriter)
        else:  # f16 <-> bf16 go through f32
            result = self.convert(self.convert(value, f32, rewriter), element, rewriter)
        self.casts[key] = result
        return result

    def cast(
        self,
        kind: Callable[[SSAValue, TensorType], Operation],
        value: SSAValue,
        element: Attribute,
        rewriter: PatternRewriter,
    ) -> SSAValue:
        op = kind(value, _with_element(value, element))
        owner = value.owner
        point = (
            InsertPoint.after(owner)
            if isinstance(owner, Operation)
            else InsertPoint.at_start(owner)  # type: ignore[arg-type]
        )
        rewriter.insert(op, point)
        self.done.add(op)
        return op.results[0]

    def new_weight(
        self,
        weight: top.WeightOp,
        element: Attribute,
        rewriter: PatternRewriter,
        array: np.ndarray | None = None,
    ) -> SSAValue:
        """A weight holding `weight`'s values as `element` (`array`: the ready stored values)."""
        if array is None:
            w = weight_value(weight, self.store).astype(np.float32)
            if isinstance(element, QuantizedType):
                array = quant.quantize(w, element, self.round_mode)  # type: ignore[arg-type]
            elif isinstance(element, Float16Type):
                array = w.astype(np.float16)
            elif isinstance(element, BFloat16Type):
                array = round_to_bf16(w)
            else:
                array = w
        if isinstance(element, QuantizedType):
            suffix = f"{'' if element.is_signed else 'u'}int{element.storage_width}"
        else:
            suffix = str(element)
        name = self.store.unique_name(f"{weight.weight_name.data}_{suffix}")
        self.store[name] = array
        new = top.WeightOp(name, _with_element(weight.output, element), location=weight.location)
        rewriter.insert(new, InsertPoint.after(weight))
        self.done.add(new)
        return new.output

    def set_result_types(
        self, op: Operation, elements: list[Attribute], rewriter: PatternRewriter
    ) -> None:
        for result, element in zip(list(op.results), elements, strict=True):
            if result.type != (ty := _with_element(result, element)):
                rewriter.replace_value_with_new_type(result, ty)

    # --- precision ----------------------------------------------------------------------------

    def precision(self, op: Operation) -> tuple[str, bool]:
        """(precision, whether the precision table chose it)."""
        name = _location_name(op)
        if name is not None and name in self.qtable:
            self.used_names.add(name)
            return self.qtable[name], True
        if isinstance(op, FLOAT_BY_DEFAULT):
            return self.float_default, False
        return self.default, False

    # --- rules --------------------------------------------------------------------------------

    def to_float(self, op: Operation, precision: str, rewriter: PatternRewriter) -> None:
        element = FLOAT_TYPES[precision]
        op.operands = [self.convert(v, element, rewriter) for v in op.operands]
        self.set_result_types(op, [element] * len(op.results), rewriter)

    def to_int8(self, op: Operation, rewriter: PatternRewriter) -> None:
        """Quantize `op` or raise `_Unsupported` (then it stays float)."""
        if isinstance(op, LUT_OPS) or _scalar_operand(op) is not None:
            self.lookup_table(op, rewriter)
        elif isinstance(op, top.ConvOp | top.DeconvOp | top.MatMulOp):
            self.weighted(op, rewriter)
        elif isinstance(op, top.AddOp | top.SubOp):
            self.common_input_type(op, rewriter)
        elif isinstance(op, top.ConcatOp):
            out_t = self.output_type(op)
            op.operands = [self.convert(v, out_t, rewriter) for v in op.operands]
            self.set_result_types(op, [out_t], rewriter)
        elif isinstance(op, top.MulOp):
            operands = [self.own_type(v, rewriter) for v in op.operands]
            out_t = self.output_type(op)
            op.operands = operands
            self.set_result_types(op, [out_t], rewriter)
        elif isinstance(op, top.AvgPoolOp | top.GlobalAvgPoolOp | top.ReduceMeanOp):
            source = self.convert(op.operands[0], self.act_type(op.operands[0]), rewriter)
            # an average stays within its input's range, so the input type is a safe default
            out_t = self.output_type(op) if _calib(op.results[0]) else _qtype_of(source)
            op.operands = [source]
            self.set_result_types(op, [out_t], rewriter)  # type: ignore[list-item]
        elif isinstance(op, SCALE_PRESERVING):
            source = self.convert(op.operands[0], self.act_type(op.operands[0]), rewriter)
            in_t = _qtype_of(source)
            if not isinstance(in_t, UniformQuantType):
                raise _Unsupported("a per-axis quantized input")
            op.operands = [source, *op.operands[1:]]
            self.set_result_types(op, [in_t] * len(op.results), rewriter)
        else:
            raise _Unsupported(f"no INT8 rule for '{op.name}'")

    def output_type(self, op: Operation) -> QuantizedType:
        calib = self.calib_of(op.results[0])
        if calib is None:
            raise _Unsupported(f"no calibration for '{op.name}'")
        return activation_type(
            calib, asymmetric=self.asymmetric, non_negative=_non_negative(op.results[0])
        )

    def own_type(self, value: SSAValue, rewriter: PatternRewriter) -> SSAValue:
        """The value in its own INT8 type (weights: symmetric per tensor from their values)."""
        if isinstance(value.owner, top.WeightOp) and _qtype_of(value) is None:
            array, qtype = quantize_weight_per_tensor(
                weight_value(value.owner, self.store), self.round_mode
            )
            return self.new_weight(value.owner, qtype, rewriter, array)
        return self.convert(value, self.act_type(value), rewriter)

    def weighted(self, op: top.ConvOp | top.DeconvOp | top.MatMulOp, rewriter: PatternRewriter):
        weight = op.right if isinstance(op, top.MatMulOp) else op.filter
        if not isinstance(weight.owner, top.WeightOp):
            raise _Unsupported(f"'{op.name}' with a non-constant weight")
        if op.bias is not None and not isinstance(op.bias.owner, top.WeightOp):
            raise _Unsupported(f"'{op.name}' with a non-constant bias")
        w_shape = weight.type.get_shape()  # type: ignore[attr-defined]
        if isinstance(op, top.ConvOp):
            axis = 0
        elif isinstance(op, top.DeconvOp):
            if op.group_value != 1:
                raise _Unsupported("a grouped deconv")
            axis = 1
        else:
            axis = len(w_shape) - 1
        in_t = self.act_type(op.input)
        if not isinstance(in_t, UniformQuantType):
            raise _Unsupported("a per-axis quantized input")
        out_t = self.output_type(op)
        bias_array = None
        if op.bias is not None:
            bias_array = weight_value(op.bias.owner, self.store)  # type: ignore[arg-type]
            channels = w_shape[axis]
            if bias_array.shape[-1:] != (channels,) or any(d != 1 for d in bias_array.shape[:-1]):
                raise _Unsupported(f"a bias of shape {list(bias_array.shape)}")
        bias_weight = op.bias.owner if op.bias is not None else None
        correction = op.attributes.get(quant.BIAS_CORRECTION_ATTR)
        if isinstance(correction, DenseArrayBase):
            # the measured mean error of the INT8 result, taken out of the bias
            shift = np.asarray(correction.get_values(), np.float64)
            if bias_array is None:
                bias_array = np.zeros(w_shape[axis], np.float32)
                name = self.store.unique_name(f"{_location_name(op) or op.name}.bias")
                self.store[name] = bias_array
                bias_weight = top.WeightOp(
                    name, TensorType(f32, [w_shape[axis]]), location=op.location
                )
                rewriter.insert_op(bias_weight, InsertPoint.before(op))
            bias_array = (np.asarray(bias_array, np.float64) - shift).astype(np.float32)
        w_array, w_t = quantize_weight_per_channel(
            weight_value(weight.owner, self.store), axis, self.round_mode
        )
        operands = [
            self.convert(op.input, in_t, rewriter),
            self.new_weight(weight.owner, w_t, rewriter, w_array),  # type: ignore[arg-type]
        ]
        if bias_array is not None:
            b_array, b_t = quantize_bias(bias_array, in_t.scale, w_t.scales, self.round_mode)
            operands.append(self.new_weight(bias_weight, b_t, rewriter, b_array))  # type: ignore[arg-type]
        op.operands = operands
        self.set_result_types(op, [out_t], rewriter)

    def common_input_type(self, op: top.AddOp | top.SubOp, rewriter: PatternRewriter) -> None:
        out_t = self.output_type(op)
        ranges = [self.value_range(v) for v in op.inputs]
        lo = min(r[0] for r in ranges)
        hi = max(r[1] for r in ranges)
        threshold = max(r[2] for r in ranges)
        non_negative = all(
            _non_negative(v) or r[0] >= 0.0 for v, r in zip(op.inputs, ranges, strict=True)
        )
        common = activation_type(
            CalibrationAttr(max(threshold, 1e-30), lo, hi),
            asymmetric=self.asymmetric,
            non_negative=non_negative,
        )
        op.operands = [self.convert(v, common, rewriter) for v in op.inputs]
        self.set_result_types(op, [out_t], rewriter)

    def elementwise_fn(self, op: Operation) -> tuple[int, Callable[[np.ndarray], np.ndarray]]:
        """(index of the tensor operand, f32 function of it) of a table-lookup op."""
        index = _scalar_operand(op)
        if index is None:
            return 0, lambda x: self.interpreter.run_op(op, (x.astype(np.float32),))[0]
        const = weight_value(op.operands[1 - index].owner, self.store)  # type: ignore[arg-type]
        const = np.asarray(const, np.float32).reshape(1)

        def fn(x: np.ndarray) -> np.ndarray:
            args = [const, x.astype(np.float32)] if index == 1 else [x.astype(np.float32), const]
            return np.asarray(self.interpreter.run_op(op, tuple(args))[0]).reshape(x.shape)

        return index, fn

    def table_chain(self, op: Operation) -> list[Operation]:
        """`op` and the one-element-constant muls/adds/subs that follow it, one use each, that
        compose with it into one table (each rounding to 8 bits would lose precision)."""
        chain = [op]
        while len(uses := list(chain[-1].results[0].uses)) == 1:
            user = uses[0].operation
            index = _scalar_operand(user)
            if (
                index is None
                or user.parent is not op.parent
                or user.operands[index] is not chain[-1].results[0]
                or _calib(user.results[0]) is None
                or self.precision(user)[0] != "INT8"
            ):
                break
            chain.append(user)
        return chain

    def lookup_table(self, op: Operation, rewriter: PatternRewriter) -> None:
        index, first_fn = self.elementwise_fn(op)
        source = self.convert(op.operands[index], self.act_type(op.operands[index]), rewriter)
        in_t = _qtype_of(source)
        if not isinstance(in_t, UniformQuantType) or in_t.storage_width != 8:
            raise _Unsupported(f"a table lookup needs a per-tensor 8-bit input, got {in_t}")
        chain = self.table_chain(op)
        last = chain[-1]
        out_t = self.output_type(last)
        fns = [first_fn, *(self.elementwise_fn(o)[1] for o in chain[1:])]

        def fn(x: np.ndarray) -> np.ndarray:
            for f in fns:
                x = np.asarray(f(x), np.float32)
            return x

        table = lut_table(fn, in_t, out_t, self.round_mode)
        name = self.store.unique_name(f"{_location_name(last) or last.name.replace('.', '_')}_lut")
        self.store[name] = table
        weight = top.WeightOp(name, TensorType(out_t, [256]), location=last.location)
        rewriter.insert(weight, InsertPoint.before(last))
        lut = quant.LutOp(source, weight)
        lut.location = last.location
        lut.attributes.update(last.attributes)
        self.done.update((weight, lut, *chain))
        rewriter.replace(last, lut)
        for folded in reversed(chain[:-1]):
            rewriter.erase(folded)

    # --- driver -------------------------------------------------------------------------------

    def codegen_gap(self, op: Operation) -> str | None:
        """Why the target's INT8 code generation cannot run `op` (None: it can, or no target)."""
        if self.target != "bm1684x" or isinstance(op, LUT_OPS) or _scalar_operand(op) is not None:
            return None  # tables: `quant.lut`
        from nntc.passes.lowering.int8 import int8_codegen_gap

        return int8_codegen_gap(op)

    def visit(self, op: Operation, rewriter: PatternRewriter) -> None:
        if op in self.done:
            return
        self.done.add(op)
        if isinstance(op, func.ReturnOp):
            operands = []
            for value in op.operands:
                operands.append(new := self.convert(value, f32, rewriter))
                # graph outputs are named after their producer; the cast takes over the name
                if new is not value and isinstance(value.owner, Operation):
                    new.owner.location = value.owner.location  # type: ignore[union-attr]
            op.operands = operands
            return
        if op.dialect_name() != "top" or isinstance(op, top.InputOp | top.WeightOp):
            return
        if any(str(r.type.get_element_type()) != "f32" for r in op.results):  # type: ignore[attr-defined]
            # results change only when the op itself is processed: an earlier run did it
            return
        precision, chosen = self.precision(op)
        if precision == "INT8" and not chosen and (reason := self.codegen_gap(op)) is not None:
            self.kept_float[_location_name(op) or op.name] = reason
            precision = "F32"
        if precision == "INT8":
            try:
                self.to_int8(op, rewriter)
                return
            except _Unsupported as reason:
                if chosen:
                    raise PassFailedException(
                        f"'{_location_name(op)}' is marked INT8 in the precision table, but "
                        f"cannot be quantized: {reason}"
                    ) from None
                precision = "F32"
        self.to_float(op, precision, rewriter)


@dataclass
class QuantizeOp(RewritePattern):
    """Applies the quantization rules to one op (the walk goes in program order, producers
    first, so each op sees its operands' final types)."""

    quantizer: _Quantizer

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        self.quantizer.visit(op, rewriter)


@dataclass(frozen=True)
class QuantizePass(ModulePass):
    """Quantize top ops from their calibration (`import-calibration`): top -> quant level."""

    name = "quantize"

    mode: str = "int8"
    """Default precision of the layers: int8, f16, bf16 or f32."""

    asymmetric: bool = False
    """Asymmetric activations (u8 with a zero point) instead of symmetric i8/u8."""

    qtable: str = ""
    """Per-layer precision table (`name INT8|F16|BF16|F32`), overriding the defaults."""

    round_mode: str = "half_away_from_zero"
    """Rounding of weights, biases and tables (and of the casts, by the interpreter)."""

    float_mode: str = "f32"
    """Precision of the layers kept in float by default (softmax, layernorm): f32, f16, bf16."""

    quiet: bool = False
    """Do not warn about precision table entries that name no op."""

    target: str = "bm1684x"
    """bm1684x: ops its INT8 code generation cannot run stay in float; reference: none do."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.mode not in MODES:
            raise PassFailedException(
                f"unknown quantize mode '{self.mode}', expected one of {', '.join(MODES)}"
            )
        if self.float_mode not in MODES or self.float_mode == "int8":
            raise PassFailedException(
                f"unknown float-mode '{self.float_mode}', expected one of f32, f16, bf16"
            )
        if self.target not in TARGETS:
            raise PassFailedException(
                f"unknown quantize target '{self.target}', expected one of {', '.join(TARGETS)}"
            )
        if self.round_mode not in ROUND_MODES:
            raise PassFailedException(
                f"unknown round-mode '{self.round_mode}', expected one of {', '.join(ROUND_MODES)}"
            )
        qtable: Mapping[str, str] = {}
        if self.qtable:
            try:
                qtable = read_precision_table(self.qtable)
            except PrecisionTableError as err:
                raise PassFailedException(str(err)) from None
        assert all(p in PRECISIONS for p in qtable.values())
        quantize_module(
            op,
            mode=self.mode,
            asymmetric=self.asymmetric,
            qtable=qtable,
            round_mode=self.round_mode,
            float_mode=self.float_mode,
            quiet=self.quiet,
            target=self.target,
        )


def quantize_module(
    module: ModuleOp,
    *,
    mode: str = "int8",
    asymmetric: bool = False,
    qtable: Mapping[str, str] | None = None,
    round_mode: str = "half_away_from_zero",
    float_mode: str = "f32",
    quiet: bool = True,
    target: str = "bm1684x",
    kept_float: dict[str, str] | None = None,
) -> list[str]:
    """Quantize `module` in place (see the module docstring); returns the warnings.

    `kept_float`, when given, receives the ops left in float because `target`'s INT8 code
    generation cannot run them: op name -> reason."""
    from nntc.targets.reference.interpreter import TopFunctions

    store = weight_store_of(module)
    interpreter = Interpreter(module)
    interpreter.register_implementations(TopFunctions(store))
    quantizer = _Quantizer(
        store=store,
        interpreter=interpreter,
        default=MODES[mode],
        float_default=MODES[float_mode],
        asymmetric=asymmetric,
        round_mode=round_mode,
        qtable=qtable or {},
        target=target,
    )
    PatternRewriteWalker(
        GreedyRewritePatternApplier([QuantizeOp(quantizer)], dce_enabled=False),
        apply_recursively=False,
    ).rewrite_module(module)
    for weight in [o for o in module.walk() if isinstance(o, top.WeightOp)]:
        if not weight.output.uses:
            weight.detach()
            weight.erase()
    module.attributes[ROUND_MODE_ATTR] = StringAttr(round_mode)
    if kept_float is not None:
        kept_float.update(quantizer.kept_float)
    for candidate in module.walk():
        # taken out of the INT8 biases; a conv kept in float has its exact bias
        candidate.attributes.pop(quant.BIAS_CORRECTION_ATTR, None)
        try:
            check_quantized_op(candidate)
        except VerifyException as err:
            raise PassFailedException(
                f"quantize produced an invalid '{candidate.name}': {err}"
            ) from None
    warnings = [
        f"precision table entry '{name}' names no op in the module"
        for name in (qtable or {})
        if name not in quantizer.used_names
    ]
    if not quiet:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return warnings


def kept_in_float(module: ModuleOp, qtable: Mapping[str, str] | None = None) -> dict[str, str]:
    """The float top ops of a quantized `module` that the precision table does not name, with
    why each is float: op name -> reason (for nntc-cali's report)."""
    from nntc.passes.lowering.int8 import int8_codegen_gap

    reasons: dict[str, str] = {}
    for op in module.walk():
        if op.dialect_name() != "top" or isinstance(op, top.InputOp | top.WeightOp):
            continue
        name = _location_name(op) or op.name
        if name in (qtable or {}) or not op.results:
            continue
        if any(_qtype_of(r) is not None for r in op.results):
            continue
        if isinstance(op, FLOAT_BY_DEFAULT):
            reasons[name] = "kept in float by default (float-mode)"
        else:
            reasons[name] = int8_codegen_gap(op) or "no INT8 rule or no calibration"
    return reasons


__all__ = [
    "FLOAT_BY_DEFAULT",
    "LUT_OPS",
    "SCALE_PRESERVING",
    "TARGETS",
    "QuantizePass",
    "activation_type",
    "check_quantized_op",
    "kept_in_float",
    "lut_inputs",
    "lut_table",
    "quantize_bias",
    "quantize_module",
    "quantize_weight_per_channel",
    "quantize_weight_per_tensor",
    "round_to_bf16",
]
