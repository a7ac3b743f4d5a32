"""INT8 code generation: the quant level (`quantize` output) -> BM1684X commands, a first slice.

`lower-int8-to-bm1684x` takes the function `quantize` produces (top ops on `!quant.uniform`
tensors, int8 weights and int32 biases in the weight store, `quant.qcast` / `quant.dcast` at
the net boundary, `quant.requant`), or its tpu form (`lower-to-tpu{mode=int8}`), and writes the
`bm1684x.model` that `-t bmodel` emits, as `lower-to-bm1684x` does for FP32. Both go through
the tpu level (`passes/lowering/int8_tpu.py`): quant IR is planned into the integer layers
below, written as tpu IR (one tpu op per layer, the integers as properties) and read back
(`through_tpu`), as tpu IR is read (`tpu_to_int8_net`), so there is one path. It works in two
steps:

1. `plan_int8_net`: every op becomes an integer layer (`QCast`, `Conv`, `DwConv`, `MaxPool`,
   `Requant`, `Add`, `AvgPool`, `MatMul`, `Concat`, `Lut`, `DCast`) holding the exact integers the commands use:
   multipliers, shifts, command-layout weights. `nntc.passes.lowering.int8_reference` executes
   these same layers in numpy, so the simulator can be checked against it bit for bit.
2. `emit_int8_net`: each layer loads its operands into local memory, computes and stores its
   result to DDR, with the command sequence of the vendor's int8 stream
   (`tests/data/vendor/tiny_cnn/tiny_cnn_int8.dis.txt`, docs/simulator.md):
   - qcast: `arith.mul` by 1/scale (f32), `arith.cast` f32 -> si32 (the module's rounding mode),
     `arith.cast` si32 -> si8/ui8 (saturating);
   - conv: `conv.normal` int8 x int8 -> si32 (alignIC weights, 64 input channels per block),
     `arith.adds` of the int32 bias, per-channel `quant.rq1` to si8/ui8 (bias and requant
     words are one (c, 4) int32 array, `_channel_words`, loaded by one command)
     (ReLU = the ui8 saturation, or an `arith.max` for an si8 result); a conv with kh x ic <= 64
     (the stem) folds its kernel rows into the input channels (`_kh_fold`), and a big filter
     is loaded and computed in output-channel chunks (`_oc_chunks`);
   - depthwise conv (group = channels): `pord.depthwise` int8 x int8 + the int32 bias (opd2)
     with an int32 result and no shift, then the per-channel `quant.rq1`;
   - clipped ReLU (`relu_limit`, ReLU6): an `arith.min` by the limit in stored units after the
     requant (only when the limit lies inside the result type's range);
   - maxpool: int8 `pord.maxpooling` (pad value the type's minimum);
   - concat: its inputs already have the result's type (quantize requantizes them), so each is
     copied into its slot of the result (GDMA through local memory);
   - lookup table (`quant.lut`): the simulator implements no gather (`sg.*gather*`), so the
     lookup is a one-hot product: the inputs read into all 256 rows (a zero channel stride),
     `arith.sub` of each row's key, `arith.abs`, `arith.min` 1, `arith.sub` from 1, then
     `mm2.nn` of the table row and the 256 x m one-hot matrix, `arith.cast` to 8 bits;
   - requant: immediate `quant.rq1`;
   - add: `arith.mul` of each input by its multiplier into si32, `arith.add`, immediate
     `quant.rq1` by the common right shift;
   - global average pool: int8 `pord.avgpooling`: window sum x an 8-bit multiplier >> shift;
   - matmul: `mm2.nn` on the transposed product (W^T x^T, output columns on lanes, so that the
     per-column weight scales become per-channel `quant.rq1` parameters), `arith.adds` bias
     (one words array with the requant words, as for conv);
   - dcast: immediate `quant.dq0` to f32;
   - float layers (`Float`): a top op on float tensors inside the net (softmax and layernorm by
     default, ops without an INT8 rule, layers the precision table marks F32/F16/BF16) runs as
     the FP32 path runs it: `lower-to-tpu`'s lowering of an f32 copy of the op (outside the
     module), planned by `lower-to-bm1684x`'s `make_plan` on this net's DDR buffers (a dcast
     before it writes f32, a qcast after it reads f32) and its f32 weights in the coefficient
     blob, in this layer's half of local memory, in the same `Program`. Its reference is the
     FP32 reference interpreter's kernel of the top op. A layer the quant IR has in F16/BF16
     computes in that type when every command of its lowering has a 16-bit form here (conv,
     depthwise conv, max/avg pooling, matmul, add/sub/mul/div with broadcast, relu, hard
     sigmoid, leaky ReLU: the plans of `layers.py` with `dt`): its DDR tensors are 16-bit, its
     weights converted at compile time (conv filters to the f16 alignIC layout, conv biases
     f32, the rest in the layer's type). Softmax, exp, sigmoid and the SFU functions of
     `unary.py` (tanh, erf, gelu, sqrt, rsqrt, log, pow) load and store 16 bits but compute
     in f32 between two `arith.cast`s in local memory; a 16-bit layernorm is one plan
     (`layers.LayerNormPlan`, f32 inside, its scale and bias as f32 rows), not its lowering's
     ops. The reference (f32, rounded once to the layer's type) models exactly that;
   - float casts (`FloatCast`): `arith.cast` between f32 and f16/bf16 (nearest even), where a
     16-bit layer reads an f32 tensor (the `arith.truncf` of the quant IR), where `arith.extf`
     reads a 16-bit one, and where an F32 layer reads a 16-bit tensor.

Requantization convention (TPU-MLIR's `getRShiftAndMultiplierFromQScale`, qdm = false): a real
scale q > 0 becomes a 32-bit multiplier m and a right shift s, the largest s <= 63 with
m = round(q * 2^s) <= 2^31 - 1; the result is `saturate(round_shift(x * m, s) + zp)`, the shift
rounding with the module's `quant.round_mode`. `quant.rq1` stores the shift negated (docs/
simulator.md: a negative shift is a right shift).

Each layer works in one half of local memory (the halves alternate between layers); layers
whose tensors do not fit run in slices of result rows (windowed layers read the input rows
their slice needs and pad at the borders only), double-buffered when two slices' buffers fit
(the load of slice i + 1 and the store of slice i - 1 overlap the computation of slice i).
The engines overlap across layers too (`_emit_layers`): layer i + 1's coefficients (filter,
bias, requant words) are loaded into the other half right after layer i's first loads; later
layers' coefficients load during a layer whose computation outlasts its own transfers (the
chip's cost model on a first, one-layer-ahead emission), in layer order, into ranges of local
memory that no layer touches until theirs runs, at most `DEEP_PREFETCH_BYTES` ahead
(`_plan_deep`; the second emission is kept only if it touches those ranges exactly as
planned). A result read only by the next layer, when both run whole, stays in local memory (at the top of
its half, clear of the coefficients prefetched two layers later) instead of a store and a
reload; it is stored as well when other layers or the net read it (`store-all` stores every
result, to compare each layer in DDR). A result read again up to `HOLD_WINDOW` layers later
(a residual block's input, read by its add or downsample conv) stays in local memory until its
last reader (`_Held`, `_hold`): the layers in between that share its half allocate below it,
must still run whole there (a dry run), and `_plan_deep` sees it busy throughout. `Program` adds the waits from the ranges each command
touches, so these reorderings stay exact.

Asymmetric activations (`quantize{asymmetric=true}`: u8 with a zero point zp, real value
`scale * (q - zp)`): the zero points live in the buffers' types (`Buf.qtype`, `zero_point`),
so the tpu level carries them in its types, and each layer takes them out or adds them:
qcast adds zp in int32 (`arith.add`) before the saturating cast; dcast is `quant.dq0` with
zp as its offset; requant subtracts the input's zp in int32 first (`arith.sub`, quant.rq1 has
no input offset) and quant.rq1 adds the result's; conv, depthwise conv and matmul multiply the
stored values, with `-zp_in * sum(W)` folded into the int32 bias at planning (so the tpu IR's
bias weight holds it) and the padding written as zp_in (the conv / pord command's pad value
opd3), which keeps padded borders exact (a conv reading zp != 0 does not fold kernel rows,
whose padding is zeros); the requant words' third word is the result's zp; the add takes
`sum(multiplier_i x zp_i)` out of its int32 sum (an `arith.add` of the negated immediate);
the global average pool sums the window into int32 (`pord.avgpooling` by 1), takes
`N x zp_in` out and requantizes with quant.rq1 (a 31-bit multiplier, the result's zp); max
pooling, concat (inputs of the result's type, zero point included) and table lookups (by the
stored bits) are unchanged; a ReLU clamps at the result's zp, a clipped ReLU's limit is in
stored units (zp added). Weights with zero points are refused.

Limits (each reported by `CannotLower` naming the op): zero points on activations only,
conv with group 1 or depthwise, no slicing by batch or channel (a single result row must fit);
float layers cover what the FP32 path lowers (`LOWERINGS`, `make_plan`); an F16/BF16 layer
whose lowering has a command without a 16-bit form here (data movement: transpose, slice,
concat, upsample, ...; deconv; a layernorm with a runtime scale or bias) runs in F32 on f32
tensors, and the pass prints a warning naming each such layer.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    DenseArrayBase,
    Float16Type,
    Float32Type,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import quant, top, tpu
from nntc.dialects.bm1684x import (
    ArEu,
    ArOp,
    CoeffLocationAttr,
    CoeffMemOp,
    ConvEu,
    ConvOp,
    DmaTensorSp,
    GdmaTensorOp,
    InputTensorOp,
    InstructionOp,
    Layout,
    Mm2Eu,
    Mm2Op,
    ModelOp,
    NetOp,
    OutputTensorOp,
    PordEu,
    PordOp,
    Precision,
    RqDqEu,
    RqDqOp,
    StageOp,
)
from nntc.dialects.quant import ROUND_MODE_ATTR, UniformQuantPerAxisType, UniformQuantType
from nntc.passes.lower_to_bm1684x import make_plan
from nntc.passes.lower_to_tpu import LOWERINGS, Unsupported, location_of
from nntc.passes.lowering import layers as fp32
from nntc.passes.lowering import lmem
from nntc.passes.lowering.program import GDMA, TIU, Program, Range
from nntc.passes.lowering.unary import FUNCTION_OPS, plan_function
from nntc.targets.bm1684x import chip, codec
from nntc.targets.bm1684x.cost import gdma_cycles, tiu_cycles
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

NPU = chip.NPU_NUM
LANE_BYTES = chip.LMEM_BYTES_PER_LANE
HALF_LANE = LANE_BYTES // 2
INT8_CUBE = chip.cube_num(8)
MAX_MULTIPLIER = (1 << 31) - 1
MAX_SHIFT = 63
ADD_MULTIPLIER_BITS = 22
"""Add multipliers stay below 2^22 so that two int8 products sum without int32 overflow."""
POOL_MULTIPLIER_MAX = 255
"""`pord.avgpooling` reads its multiplier as an 8-bit immediate (unsigned here)."""

ROUND_MODE_NUMBERS: dict[str, int] = {
    "half_to_even": 0,
    "half_away_from_zero": 1,
    "toward_zero": 2,
    "down": 3,
    "up": 4,
    "half_up": 5,
    "half_down": 6,
}
"""`quant.round_mode` names -> the TPU's RoundingMode numbers (docs/simulator.md)."""

Shape4 = tuple[int, int, int, int]


class CannotLower(Exception):
    """An op outside this slice of INT8 code generation; the pass reports all of them."""


# =============================================================================================
# Integer parameters
# =============================================================================================


def multiplier_and_shift(scale: float, max_multiplier: int = MAX_MULTIPLIER) -> tuple[int, int]:
    """(m, s) with m / 2^s ~ scale: the largest s <= 63 with round(scale 2^s) <= max_multiplier.

    TPU-MLIR's `getRShiftAndMultiplierFromQScale` (qdm = false) convention; s is a right shift.
    """
    if not scale > 0 or not math.isfinite(scale):
        raise CannotLower(f"requant scale {scale} is not a positive finite number")
    if round(scale) > max_multiplier:
        raise CannotLower(f"requant scale {scale} exceeds the multiplier range {max_multiplier}")
    shift = 0
    while shift < MAX_SHIFT and round(scale * 2.0 ** (shift + 1)) <= max_multiplier:
        shift += 1
    return int(round(scale * 2.0**shift)), shift


def f32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


# =============================================================================================
# Layers: what is computed, with the integers the commands use
# =============================================================================================


@dataclass
class Buf:
    """A net tensor in DDR: dense row-major, `kind` f32 / f16 / bf16 / i8 / u8 / i32."""

    name: str
    shape: Shape4
    kind: str
    addr: int = 0
    root: Buf | None = None
    """The buffer whose bytes this one reinterprets (a reshape), if any."""
    io_shape: tuple[int, ...] = ()
    """A net input's or output's logical shape (before padding to 4-D)."""
    casts: dict[str, Buf] = field(default_factory=dict)
    """Float buffers converted from this (root) one, by kind (`FloatCast` layers, shared)."""
    dims: tuple[int, ...] = ()
    """The tensor's shape in the IR (`shape` is it padded to 4-D); empty when not known."""
    qtype: Attribute | None = None
    """The IR element type of an integer tensor (a `!quant.uniform` carries its scale)."""
    label: str = ""
    """For a buffer that reinterprets another one: the location of the op that made it."""

    @property
    def address(self) -> int:
        return self.root.addr if self.root is not None else self.addr

    @property
    def signed(self) -> bool:
        return self.kind != "u8"

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * {"f32": 4, "i32": 4, "f16": 2, "bf16": 2}.get(self.kind, 1)


@dataclass
class Layer:
    name: str
    inputs: list[Buf]
    output: Buf


@dataclass
class QCast(Layer):
    inv_scale: float = 1.0


@dataclass
class DCast(Layer):
    scale: float = 1.0


@dataclass
class Requant(Layer):
    multiplier: int = 1
    shift: int = 0


@dataclass
class Conv(Layer):
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # (oc, ic, kh, kw)
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (oc,)
    multipliers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    shifts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    relu: bool = False
    limit: int | None = None
    """Upper clamp of the stored result (a clipped ReLU such as ReLU6), when below the type's."""


@dataclass
class DwConv(Conv):
    """Depthwise conv (group == channels): `weight` is (c, 1, kh, kw)."""


@dataclass
class Concat(Layer):
    axis: int = 1
    """Axis of the 4-D shapes along which the inputs (all of the result's type) are copied."""


@dataclass
class Lut(Layer):
    table: np.ndarray = field(default_factory=lambda: np.zeros(256, np.int8))
    """256 stored result values, entry i for the input whose 8-bit pattern is i."""


@dataclass
class MaxPool(Layer):
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class AvgPool(Layer):
    multiplier: int = 1
    shift: int = 0


@dataclass
class Add(Layer):
    multipliers: tuple[int, int] = (1, 1)
    shift: int = 0
    relu: bool = False
    limit: int | None = None


@dataclass
class MatMul(Layer):
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # (K, N)
    bias: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (N,)
    multipliers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    shifts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    relu: bool = False
    limit: int | None = None


@dataclass
class Float(Layer):
    """A layer kept in float inside the INT8 net: a top op on f32 tensors (or one the precision
    table marks F16/BF16, computed in f32 here), run by the FP32 code generator.

    `op` is the quant-level top op (the reference executes it); `tpu_ops` its lowering by
    `lower-to-tpu` (private copies, outside the module), whose activation operands and
    results map to DDR buffers by `values`, and whose weights (f32, in the coefficient blob)
    are `weights`. `scratch` holds intermediate results of multi-op lowerings."""

    op: Operation | None = None
    args: list[np.ndarray | None] = field(default_factory=list)
    """Per operand of `op`: its weight (f32), or None for the next activation of `inputs`."""
    tpu_ops: list[Operation] = field(default_factory=list)
    values: dict[SSAValue, Buf] = field(default_factory=dict)
    weights: dict[SSAValue, np.ndarray] = field(default_factory=dict)
    scratch: list[Buf] = field(default_factory=list)
    precision: str = "f32"
    """The precision the quant IR asked for (f32, f16, bf16)."""
    computes: str = "f32"
    """The precision the commands compute and the DDR tensors hold: `precision`, or f32 when
    a command of the lowering has no 16-bit form here."""
    evaluate: Callable[[list[np.ndarray]], np.ndarray] | None = None
    """The reference of a layer read from tpu IR (no top op): its tpu ops evaluated in turn."""


@dataclass
class FloatCast(Layer):
    """A float tensor converted to another float type (`inputs[0].kind` -> `output.kind`)."""


@dataclass
class Int8Net:
    """The integer program of one net: layers in order, DDR buffers, net inputs and outputs."""

    name: str
    layers: list[Layer]
    inputs: list[tuple[str, Buf]]
    outputs: list[tuple[str, Buf]]
    round_mode: int
    warnings: list[str] = field(default_factory=list)
    """Layers lowered with another precision than the quant IR asks for (F16/BF16 in F32)."""
    lmem_only: set[str] = field(default_factory=set)
    """Set by `emit_int8_net`: layers whose result stayed in local memory, never in DDR."""


# --- from quant-level IR -----------------------------------------------------------------------


def _shape4(ty: Attribute) -> Shape4:
    assert isinstance(ty, TensorType)
    dims = list(ty.get_shape())
    if len(dims) > 4:
        raise CannotLower(f"tensors of rank {len(dims)} (more than 4) are not supported")
    full = [1] * (4 - len(dims)) + dims
    return (full[0], full[1], full[2], full[3])


FLOAT_TYPES = (Float32Type, Float16Type, BFloat16Type)
"""Element types of the float layers inside an INT8 net."""


def _is_float(value: SSAValue) -> bool:
    ty = value.type
    return isinstance(ty, TensorType) and isinstance(ty.get_element_type(), FLOAT_TYPES)


def _as_f32(ty: Attribute) -> TensorType:
    assert isinstance(ty, TensorType)
    return TensorType(f32, ty.get_shape())


def _qtype(value: SSAValue) -> UniformQuantType:
    ty = value.type
    assert isinstance(ty, TensorType)
    el = ty.get_element_type()
    if not isinstance(el, UniformQuantType):
        raise CannotLower(f"expected a per-tensor !quant.uniform tensor, got {ty}")
    if el.storage_width != 8:
        raise CannotLower(f"expected 8-bit storage, got {el.storage_width} bits")
    return el


def _kind(value: SSAValue) -> str:
    ty = value.type
    assert isinstance(ty, TensorType)
    if isinstance(ty.get_element_type(), FLOAT_TYPES):
        # f16 / bf16 tensors of float layers are computed and stored in f32 (see `Float`)
        return "f32"
    return "i8" if _qtype(value).is_signed else "u8"


def _ir_type(value: SSAValue) -> dict[str, Any]:
    """The `dims` and `qtype` of the buffer of `value` (what the tpu level writes back)."""
    ty = value.type
    assert isinstance(ty, TensorType)
    el = ty.get_element_type()
    return {
        "dims": tuple(ty.get_shape()),
        "qtype": None if isinstance(el, FLOAT_TYPES) else el,
    }


def _scale(value: SSAValue) -> float:
    return float(_qtype(value).scale)


def _zp(value: SSAValue) -> int:
    return int(_qtype(value).zero_point)


def zero_point(b: Buf) -> int:
    """The zero point of an integer buffer's type (0 for symmetric and float buffers): the
    stored value of the real 0, which the layers take out of inputs and add to results."""
    return int(b.qtype.zero_point) if isinstance(b.qtype, UniformQuantType) else 0


def _relu(op: Operation) -> bool:
    do = op.properties.get("do_relu")
    return bool(do.value.data) if isinstance(do, IntegerAttr) else False


def _limit(op: Operation) -> int | None:
    """The stored value a clipped ReLU clamps the result at, None when the type's maximum
    already does (the limit is rounded half away from zero, as quantize rounds)."""
    attr = op.properties.get("relu_limit")
    if attr is None:
        return None
    out = op.results[0]
    hi = 127 if _qtype(out).is_signed else 255
    stored = math.floor(attr.value.data / _scale(out) + 0.5)  # type: ignore[attr-defined]
    stored += _zp(out)
    return stored if stored < hi else None


def _axis_scales(value: SSAValue, axis: int, count: int) -> np.ndarray:
    ty = value.type
    assert isinstance(ty, TensorType)
    el = ty.get_element_type()
    if isinstance(el, UniformQuantPerAxisType):
        if el.axis != axis:
            raise CannotLower(f"expected per-axis scales on axis {axis}, got axis {el.axis}")
        return np.asarray(el.scales, np.float64)
    if isinstance(el, UniformQuantType):
        return np.full(count, float(el.scale))
    raise CannotLower(f"expected a quantized weight, got {ty}")


def _weight(value: SSAValue, store: WeightStore, dtype: type, table: bool = False) -> np.ndarray:
    """A weight's stored integers; `table`: stored results in the result's type, whatever its
    zero point (a filter or bias with zero points is refused)."""
    owner = value.owner
    if not isinstance(owner, top.WeightOp):
        raise CannotLower("expected the weight operand to be a top.weight")
    el = value.type.get_element_type()  # type: ignore[attr-defined]
    zps = el.zero_points if isinstance(el, UniformQuantPerAxisType) else [0]
    zps = [*zps, el.zero_point] if isinstance(el, UniformQuantType) else zps
    if any(z != 0 for z in zps) and not table:
        # the commands take the stored weights as they are (no kernel zero point is planned)
        raise CannotLower(f"asymmetric weights (zero points) are not supported: {value.type}")
    return np.asarray(weight_value(owner, store)).astype(dtype)


def _requant_params(scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs = [multiplier_and_shift(float(s)) for s in scales]
    return (
        np.array([m for m, _ in pairs], np.int64),
        np.array([s for _, s in pairs], np.int64),
    )


def _pads4(pads: tuple[int, ...]) -> tuple[int, int, int, int]:
    # ONNX order: (top, left, bottom, right)
    return (pads[0], pads[1], pads[2], pads[3])


def plan_int8_net(module: ModuleOp, name: str | None = None) -> Int8Net:
    """The integer layers of the module's one function (raises DiagnosticException listing
    every op outside this slice)."""
    funcs = [o for o in module.ops if isinstance(o, func.FuncOp)]
    if len(funcs) != 1:
        raise DiagnosticException(f"expected one func.func (the net), got {len(funcs)}")
    fn = funcs[0]
    store = weight_store_of(module)
    mode_attr = module.attributes.get(ROUND_MODE_ATTR)
    mode_name = mode_attr.data if isinstance(mode_attr, StringAttr) else "half_away_from_zero"
    bufs: dict[SSAValue, Buf] = {}

    def buf(value: SSAValue, label: str) -> Buf:
        if value not in bufs:
            bufs[value] = Buf(label, _shape4(value.type), _kind(value), **_ir_type(value))
        return bufs[value]

    inputs = [
        (_io_name(fn, i, False), buf(arg, f"arg{i}")) for i, arg in enumerate(fn.body.block.args)
    ]
    layers: list[Layer] = []
    problems: list[str] = []
    for index, op in enumerate(fn.body.block.ops):
        if isinstance(op, top.WeightOp | func.ReturnOp):
            continue
        label = location_of(op)
        if label == "unknown":
            label = f"{op.name}#{index}"
        try:
            layer = _plan_op(op, label, store, buf, bufs)
        except CannotLower as why:
            problems.append(f'  {op.name} at loc("{label}"): {why}')
            # a stand-in buffer, so that the ops using this result are still checked and reported
            for r in op.results:
                bufs.setdefault(r, Buf(label, (1, 1, 1, 1), "i8"))
            continue
        if isinstance(layer, list):
            layers.extend(layer)  # a float layer after the casts of its inputs
        elif layer is not None:
            layers.append(layer)
    if problems:
        raise DiagnosticException(
            f"lower-int8-to-bm1684x: {len(problems)} op(s) cannot be lowered:\n"
            + "\n".join(problems)
        )
    ret = fn.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    outputs = [(_io_name(fn, i, True), bufs[v]) for i, v in enumerate(ret.arguments)]
    for (_, b), v in [
        *zip(inputs, fn.body.block.args, strict=True),
        *zip(outputs, ret.arguments, strict=True),
    ]:
        b.io_shape = tuple(v.type.get_shape())  # type: ignore[attr-defined]
    for out_name, b in [*inputs, *outputs]:
        if b.kind != "f32":
            raise DiagnosticException(f"lower-int8-to-bm1684x: net tensor '{out_name}' is not f32")
    warnings = [
        f'{layer.precision.upper()} layer {layer.op.name} at loc("{layer.name}") runs in F32 '
        f"(no {layer.precision.upper()} commands for its lowering: "
        f"{', '.join(t.name for t in layer.tpu_ops)})"
        for layer in layers
        if isinstance(layer, Float) and layer.precision != layer.computes and layer.op is not None
    ]
    return Int8Net(
        name or fn.sym_name.data, layers, inputs, outputs, ROUND_MODE_NUMBERS[mode_name], warnings
    )


def _plan_op(
    op: Operation,
    label: str,
    store: WeightStore,
    buf: Callable[[SSAValue, str], Buf],
    bufs: dict[SSAValue, Buf],
) -> Layer | None:
    if isinstance(op, arith.ExtFOp) and bufs[op.operands[0]].kind != "f32":
        return _float_cast(bufs[op.operands[0]], "f32", label, bufs, op.results[0])
    if isinstance(op, top.InputOp | top.IdentityOp | top.ReshapeOp | arith.TruncFOp | arith.ExtFOp):
        # the same bytes under another name or shape: alias the DDR buffer (a truncf stays f32
        # here: the 16-bit layers reading it cast it, `_plan_float`)
        src = bufs[op.operands[0]]
        root = src.root or src
        result = op.results[0]
        bufs[result] = Buf(
            root.name, _shape4(result.type), root.kind, root=root, label=label, **_ir_type(result)
        )
        return None
    out = op.results[0] if op.results else None
    if out is None:
        raise CannotLower("an op without a result")
    if op.dialect_name() == "top" and _is_float(out):
        return _plan_float(op, label, store, bufs)
    if isinstance(op, quant.QuantizeCastOp):
        return QCast(label, [bufs[op.input]], buf(out, label), inv_scale=1.0 / _scale(out))
    if isinstance(op, quant.DequantizeCastOp):
        if _kind(out) != "f32":
            raise CannotLower("only dequantization to f32 is supported")
        return DCast(label, [bufs[op.input]], buf(out, label), scale=_scale(op.input))
    if isinstance(op, quant.RequantizeCastOp):
        m, s = multiplier_and_shift(_scale(op.input) / _scale(out))
        return Requant(label, [bufs[op.input]], buf(out, label), multiplier=m, shift=s)
    if isinstance(op, top.ConvOp):
        return _plan_conv(op, label, store, buf, bufs)
    if isinstance(op, top.ConcatOp):
        rank = len(_rank_shape(out))
        axis = op.axis.value.data
        axis = (axis + rank if axis < 0 else axis) + 4 - rank
        for i, v in enumerate(op.inputs):
            if _kind(v) != _kind(out) or _scale(v) != _scale(out) or _zp(v) != _zp(out):
                raise CannotLower(
                    f"input {i} of the concat must have the result's type {out.type}, "
                    f"got {v.type} (quantize requantizes the inputs)"
                )
        return Concat(label, [bufs[v] for v in op.inputs], buf(out, label), axis=axis)
    if isinstance(op, quant.LutOp):
        table = _weight(op.table, store, np.int64, table=True)
        if table.shape != (256,):
            raise CannotLower(f"expected a 256-entry table, got shape {table.shape}")
        _qtype(op.input)
        dtype = np.int8 if _kind(out) == "i8" else np.uint8
        return Lut(label, [bufs[op.input]], buf(out, label), table=table.astype(dtype))
    if isinstance(op, top.MaxPoolOp):
        if _relu(op):
            raise CannotLower("a max pool with a fused ReLU is not supported yet")
        if op.ceil_mode.value.data:
            raise CannotLower("ceil_mode is not supported yet")
        if any(f(op.input) != f(out) for f in (_kind, _scale, _zp)):
            raise CannotLower("max pooling must keep its input's quantized type")
        kh, kw = op.kernel_shape.get_values()
        sh, sw = op.strides.get_values()
        return MaxPool(
            label, [bufs[op.input]], buf(out, label), kernel=(kh, kw), stride=(sh, sw),
            pads=_pads4(tuple(op.pads.get_values())),
        )  # fmt: skip
    if isinstance(op, top.GlobalAvgPoolOp):
        n, c, h, w = _shape4(op.input.type)
        if _kind(op.input) != _kind(out):
            raise CannotLower("the average pool's result must have its input's signedness")
        # with zero points the window sum is taken to int32 and requantized by quant.rq1
        # (a 31-bit multiplier), not by the pooling command's 8-bit one (`_emit_avgpool`)
        asym = _zp(op.input) != 0 or _zp(out) != 0
        limit = MAX_MULTIPLIER if asym else POOL_MULTIPLIER_MAX
        m, s = multiplier_and_shift(_scale(op.input) / (_scale(out) * h * w), limit)
        return AvgPool(label, [bufs[op.input]], buf(out, label), multiplier=m, shift=s)
    if isinstance(op, top.AddOp):
        if len(op.inputs) != 2:
            raise CannotLower(f"expected 2 inputs, got {len(op.inputs)}")
        if op.coeff is not None:
            raise CannotLower("add with coefficients is not supported yet")
        a, b = op.inputs
        if _shape4(a.type) != _shape4(b.type):
            raise CannotLower("broadcasting add is not supported yet")
        ratios = [_scale(v) / _scale(out) for v in (a, b)]
        m0, shift = multiplier_and_shift(max(ratios), (1 << ADD_MULTIPLIER_BITS) - 1)
        mults = (int(round(ratios[0] * 2.0**shift)), int(round(ratios[1] * 2.0**shift)))
        return Add(
            label, [bufs[a], bufs[b]], buf(out, label), multipliers=mults, shift=shift,
            relu=_relu(op), limit=_limit(op),
        )  # fmt: skip
    if isinstance(op, top.MatMulOp):
        return _plan_matmul(op, label, store, buf, bufs)
    raise CannotLower("no INT8 code generation for this op yet")


def int8_codegen_gap(op: Operation) -> str | None:
    """Why INT8 code generation cannot run top op `op` once quantized, or None when it can.

    For `quantize`, before any type changes: an op with an INT8 rule but no INT8 layer here is
    kept in float there, so that the net still compiles (its `Float` layer runs it in FP32)."""
    if isinstance(op, top.AddOp):
        if len(op.inputs) != 2:
            return f"add of {len(op.inputs)} inputs (INT8 add takes 2)"
        if op.coeff is not None:
            return "add with coefficients (no INT8 code generation)"
        if any(_rank_shape(v) != _rank_shape(op.output) for v in op.inputs):
            return "broadcasting add (INT8 add needs inputs of the result's shape)"
        return None
    if isinstance(op, top.MaxPoolOp):
        if _relu(op):
            return "max pool with a fused ReLU (no INT8 code generation)"
        if op.ceil_mode.value.data:
            return "max pool with ceil_mode (no INT8 code generation)"
        return None
    if isinstance(op, top.ConvOp):
        group = op.group.value.data
        oc, fic = _shape4(op.filter.type)[:2]
        ic = _shape4(op.input.type)[1]
        if group != 1 and not (group == ic == oc and fic == 1):
            return f"grouped conv (group {group}) (INT8 takes group 1 and depthwise)"
        return None
    if isinstance(op, top.MatMulOp):
        if len(_rank_shape(op.input)) != 2 or len(_rank_shape(op.right)) != 2:
            return "matmul of rank > 2 (INT8 takes (M, K) x (K, N))"
        return None
    if isinstance(op, top.ConcatOp | top.GlobalAvgPoolOp | top.ReshapeOp | top.IdentityOp):
        return None
    return f"no INT8 code generation for '{op.name}'"


HALF_PRECISIONS = {"f16": Precision.FP16, "bf16": Precision.BF16}
"""The 16-bit float kinds and their command precisions."""


def _float_cast(
    src: Buf, kind: str, label: str, bufs: dict[SSAValue, Buf], result: SSAValue | None = None
) -> list[Layer]:
    """`src` as a buffer of float `kind` (bound to `result` when given): a new `FloatCast`
    layer, or [] when an earlier one already converted the same bytes."""
    root = src.root or src
    made: list[Layer] = []
    if kind not in root.casts:
        shape = root.shape
        root.casts[kind] = Buf(f"{label}.{kind}", shape, kind, dims=root.dims)
        made.append(FloatCast(f"{label}.{kind}", [root], root.casts[kind]))
    converted = root.casts[kind]
    if result is not None:
        bufs[result] = Buf(
            converted.name, _shape4(result.type), kind, root=converted, label=label,
            dims=tuple(result.type.get_shape()),  # type: ignore[attr-defined]
        )  # fmt: skip
    return made


def _to_half(array: np.ndarray, kind: str) -> np.ndarray:
    """f32 values as f16 (float16) or bf16 (its bit patterns, uint16), rounded to nearest even."""
    x = np.asarray(array, np.float32)
    if kind == "f16":
        return x.astype(np.float16)
    bits = x.view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def _f16_conv_filter(w: np.ndarray, kind: str) -> np.ndarray:
    """An (oc, ic, kh, kw) filter in the 16-bit alignIC layout `fp32.conv_filter_shape` loads:
    per output channel, blocks of `cube_num(16)` input channels, each taps x channels."""
    oc, ic, kh, kw = w.shape
    cube = chip.cube_num(16)
    blocks = -(-ic // cube)
    padded = np.zeros((oc, blocks * cube, kh * kw), np.float32)
    padded[:, :ic] = w.reshape(oc, ic, kh * kw)
    laid = padded.reshape(oc, blocks, cube, kh * kw).transpose(0, 1, 3, 2)
    return _to_half(laid.reshape(oc, -1), kind)


def _half_plan(
    t: Operation, label: str, arena: lmem.Arena, addr: Callable[[SSAValue], int], dt: Precision
) -> fp32.LayerPlan:
    """The 16-bit plan of tpu op `t`, for the kinds that have one (raises CannotLower): its
    DDR tensors and I/O buffers in `dt`; softmax and the exp / SFU sequences compute in f32 in
    local memory between two casts (`SoftmaxPlan`, `EltwisePlan.unary_f32`)."""
    relu = bool(t.do_relu.value.data) if hasattr(t, "do_relu") else False  # type: ignore
    limit = t.relu_limit.value.data if getattr(t, "relu_limit", None) is not None else None  # type: ignore
    try:
        if isinstance(t, tpu.Conv2dOp):
            return fp32.plan_conv(t, label, arena, addr, dt)
        if isinstance(t, tpu.MaxPoolOp | tpu.AvgPoolOp):
            return fp32.plan_pool(t, label, arena, addr, dt)
        if isinstance(t, tpu.MatMulOp):
            return fp32.plan_matmul(t, label, arena, addr, dt)
        if isinstance(t, tpu.SoftmaxOp):
            return fp32.plan_softmax(t, label, arena, addr, dt)
        if isinstance(t, tpu.ExpOp | tpu.SigmoidOp | tpu.HardSigmoidOp):
            return fp32.plan_unary(t, label, arena, addr, dt)
        if isinstance(t, FUNCTION_OPS):
            return plan_function(t, label, arena, addr, dt)
        if isinstance(t, tpu.ReshapeOp):
            return fp32.NoOpPlan(label)  # a view of its input's bytes (`_plan_float`)
        eltwise = {
            tpu.AddOp: ArEu.ADD,
            tpu.SubOp: ArEu.SUB,
            tpu.MulOp: ArEu.MUL,
            tpu.DivOp: ArEu.DIV,
        }
        if type(t) in eltwise:
            ins = t.inputs if isinstance(t, tpu.AddOp) else (t.lhs, t.rhs)  # type: ignore
            eu = eltwise[type(t)]
            return fp32.plan_eltwise(t, label, arena, addr, eu, ins, relu, limit, dt=dt)
        if isinstance(t, tpu.ReluOp):
            return fp32.plan_eltwise(
                t, label, arena, addr, ArEu.MAX, (t.input,), True, limit, dt=dt
            )
    except lmem.LmemOverflow as why:
        raise CannotLower(str(why)) from why
    except fp32.CannotLower as why:
        raise CannotLower(str(why)) from why
    raise CannotLower(f"no {dt.value} code generation for '{t.name}'")


def _half_layernorm(
    op: top.LayerNormOp,
    label: str,
    arena: lmem.Arena,
    io: tuple[int, int],
    affine: list[int],
    dt: Precision,
) -> fp32.LayerPlan:
    """The 16-bit plan of a whole layernorm (f32 inside, `fp32.LayerNormPlan`): `io` its DDR
    input and output, `affine` the f32 rows of its scale and then its bias, those it has
    (raises CannotLower, also for a scale or bias computed at run time)."""
    for role, v in (("scale", op.scale), ("bias", op.bias)):
        if v is not None and not isinstance(v.owner, top.WeightOp):
            raise CannotLower(f"a 16-bit layernorm takes a constant {role}, got a runtime one")
    dims = _rank_shape(op.input)
    axis = op.axis_value + len(dims) if op.axis_value < 0 else op.axis_value
    scale = affine[0] if op.scale is not None else None
    bias = affine[-1] if op.bias is not None else None
    try:
        return fp32.plan_layernorm(
            label, dims, axis, op.epsilon_value, arena, (*io, scale, bias), dt
        )
    except (fp32.CannotLower, lmem.LmemOverflow) as why:
        raise CannotLower(str(why)) from why


def _half_weight(t: Operation, v: SSAValue, array: np.ndarray, kind: str) -> np.ndarray:
    """A weight of a 16-bit layer as its command reads it: a conv filter in the alignIC layout,
    a conv bias in f32 (conv.normal adds an f32 bias), anything else in `kind`."""
    if isinstance(t, tpu.Conv2dOp) and not _depthwise(t):
        if v is t.filter:
            return _f16_conv_filter(array, kind)
        if v is t.bias:
            return np.asarray(array, np.float32)
    return _to_half(array, kind)


def _depthwise(t: tpu.Conv2dOp) -> bool:
    _, ic, _, _ = fp32.shape4(t.input.type)
    _, oc, _, _ = fp32.shape4(t.output.type)
    return 1 < t.group.value.data == ic == oc


def _plan_float(
    op: Operation,
    label: str,
    store: WeightStore,
    bufs: dict[SSAValue, Buf],
) -> list[Layer]:
    """A top op on float tensors as the FP32 code generator runs it: `lower-to-tpu`'s lowering
    of an f32 copy of the op, built in a private block so that the module is left untouched;
    in F16/BF16 when the quant IR asks for it and every tpu op has a 16-bit plan. Returns the
    casts its inputs need, then the layer."""
    lower = LOWERINGS.get(type(op))
    if lower is None:
        raise CannotLower("no BM1684X code generation for this float op yet")
    block = Block()
    mapping: dict[SSAValue, SSAValue] = {}
    values: dict[SSAValue, Buf] = {}
    weights: dict[SSAValue, np.ndarray] = {}
    inputs: list[Buf] = []
    args: list[np.ndarray | None] = []
    for v in op.operands:
        owner = v.owner
        if isinstance(owner, top.WeightOp):
            array = np.asarray(weight_value(owner, store), np.float32)
            if v not in mapping:
                copy = top.WeightOp.create(
                    properties=dict(owner.properties), result_types=[_as_f32(v.type)]
                )
                block.add_op(copy)
                mapping[v] = copy.results[0]
                weights[copy.results[0]] = array
            args.append(array)
            continue
        if not _is_float(v):
            raise CannotLower(f"a float op on a quantized operand ({v.type}); run quantize")
        if v not in mapping:
            mapping[v] = block.insert_arg(_as_f32(v.type), len(block.args))
            values[mapping[v]] = bufs[v]
        inputs.append(bufs[v])
        args.append(None)
    clone = type(op).create(
        operands=[mapping[v] for v in op.operands],
        result_types=[_as_f32(t) for t in op.result_types],
        properties=dict(op.properties),
        attributes=dict(op.attributes),
    )
    block.add_op(clone)
    try:
        tpu_ops = lower(clone, store)
    except Unsupported as why:
        raise CannotLower(str(why)) from why
    computing = [t for t in tpu_ops if not isinstance(t, top.WeightOp)]
    for t in tpu_ops:
        block.add_op(t)
        if isinstance(t, top.WeightOp):
            weights[t.results[0]] = np.asarray(weight_value(t, store), np.float32)
    el = op.results[0].type.get_element_type()  # type: ignore[attr-defined]
    precision = {Float16Type: "f16", BFloat16Type: "bf16"}.get(type(el), "f32")
    # planned once with stand-in addresses, so that what the code generator rejects is reported
    # here, with the op's name, before anything is emitted; a 16-bit layer whose tpu ops do not
    # all have 16-bit plans computes in f32
    computes = precision
    # a 16-bit layernorm is one plan (f32 inside), not its lowering's ops on 16-bit tensors
    fused = isinstance(op, top.LayerNormOp) and precision != "f32"
    if precision != "f32":
        try:
            for t in [] if fused else computing:
                _half_plan(
                    t, label, lmem.Arena(0, HALF_LANE), _STAND_IN, HALF_PRECISIONS[precision]
                )
            if isinstance(op, top.LayerNormOp):
                stand_in = chip.GMEM_BASE
                _half_layernorm(
                    op, label, lmem.Arena(0, HALF_LANE), (stand_in, stand_in),
                    [stand_in, stand_in], HALF_PRECISIONS[precision],
                )  # fmt: skip
        except CannotLower:
            computes = "f32"
            fused = False
    if computes == "f32":
        for t in computing:
            _fp32_plan(t, label, lmem.Arena(0, HALF_LANE), _STAND_IN)
    elif fused:
        # the plan reads the scale and bias as f32 rows of the normalized size, in that order
        assert isinstance(op, top.LayerNormOp)
        normalized = tuple(_rank_shape(op.input)[op.axis_value :])
        weights = {
            mapping[v]: np.broadcast_to(weights[mapping[v]], normalized).reshape(-1).copy()
            for v in (op.scale, op.bias)
            if v is not None
        }
    else:
        users = {w: t for t in computing for w in t.operands if w in weights}
        weights = {w: _half_weight(users[w], w, a, computes) if w in users else a
                   for w, a in weights.items()}  # fmt: skip
    casts: list[Layer] = []
    for arg, b in list(values.items()):
        if b.kind != computes:
            casts += _float_cast(b, computes, label, bufs)
            converted = (b.root or b).casts[computes]
            values[arg] = Buf(converted.name, b.shape, computes, root=converted, dims=b.dims)
    inputs = [values[mapping[v]] for v in op.operands if v in mapping and v not in weights_of(op)]
    result = op.results[0]
    out = bufs[result] = Buf(label, _shape4(result.type), computes, **_ir_type(result))
    scratch = [] if fused else _float_results(label, computing, out, computes, values)
    layer = Float(
        label, inputs, out, op=op, args=args, tpu_ops=computing, values=values,
        weights=weights, scratch=scratch, precision=precision, computes=computes,
    )  # fmt: skip
    return [*casts, layer]


def _float_results(
    label: str, computing: list[Operation], out: Buf, computes: str, values: dict[SSAValue, Buf]
) -> list[Buf]:
    """Binds the results of a float layer's tpu ops (`computing`) to buffers in `values`: the
    layer's output, views of it or of other buffers, scratch buffers (returned)."""
    scratch: list[Buf] = []
    # a tpu.reshape is a view: its result shares its input's bytes (its plan emits nothing),
    # so the op whose result the final reshapes view writes the layer's output
    target = computing[-1]
    while isinstance(target, tpu.ReshapeOp) and any(target.input.owner is t for t in computing):
        target = target.input.owner
    for t in computing:
        shape = _shape4(t.results[0].type)
        if t is target:
            values[t.results[0]] = (
                out if t is computing[-1] else Buf(label, shape, computes, root=out)
            )
        elif isinstance(t, tpu.ReshapeOp) and t.input in values:
            src = values[t.input]
            values[t.results[0]] = Buf(src.name, shape, src.kind, root=src.root or src)
        else:
            r = t.results[0]
            scratch.append(Buf(f"{label}.{len(scratch)}", shape, computes, **_ir_type(r)))
            values[t.results[0]] = scratch[-1]
    return scratch


def weights_of(op: Operation) -> set[SSAValue]:
    """The operands of `op` that are `top.weight` results."""
    return {v for v in op.operands if isinstance(v.owner, top.WeightOp)}


def _STAND_IN(_: SSAValue) -> int:
    return chip.GMEM_BASE


def _fp32_plan(
    t: Operation, label: str, arena: lmem.Arena, addr: Callable[[SSAValue], int]
) -> fp32.LayerPlan:
    try:
        return make_plan(t, label, arena, addr)
    except (fp32.CannotLower, lmem.LmemOverflow) as why:
        raise CannotLower(str(why)) from why


def _plan_conv(
    op: top.ConvOp,
    label: str,
    store: WeightStore,
    buf: Callable[[SSAValue, str], Buf],
    bufs: dict[SSAValue, Buf],
) -> Conv:
    group = op.group.value.data
    oc, fic = _shape4(op.filter.type)[:2]
    ic = _shape4(op.input.type)[1]
    depthwise = group == ic and group == oc and fic == 1
    if group != 1 and not depthwise:
        raise CannotLower(
            f"grouped conv (group {group}, {ic} input and {oc} output channels) is not "
            f"supported yet, only group 1 and depthwise (group = channels)"
        )
    w = _weight(op.filter, store, np.int8)
    s_w = _axis_scales(op.filter, 0, oc)
    out = op.output
    if op.bias is not None:
        bias = _weight(op.bias, store, np.int32)
    else:
        bias = np.zeros(oc, np.int32)
    bias = _fold_input_zp(bias, w.reshape(oc, -1).sum(axis=1), _zp(op.input))
    mults, shifts = _requant_params(_scale(op.input) * s_w / _scale(out))
    dil = tuple(op.dilations.get_values()) if op.dilations is not None else (1, 1)
    return (DwConv if depthwise else Conv)(
        label, [bufs[op.input]], buf(out, label), weight=w, bias=bias, multipliers=mults,
        shifts=shifts, stride=tuple(op.strides.get_values()),  # type: ignore[arg-type]
        dilation=dil,  # type: ignore[arg-type]
        pads=_pads4(tuple(op.pads.get_values())), relu=_relu(op), limit=_limit(op),
    )  # fmt: skip


def _fold_input_zp(bias: np.ndarray, weight_sums: np.ndarray, zp: int) -> np.ndarray:
    """The int32 bias with `-zp * sum(W)` folded in: the commands multiply the stored inputs
    q = x / s + zp, so sum(W (q - zp)) = sum(W q) - zp sum(W) (padding is `zp` too)."""
    if zp == 0:
        return bias
    folded = bias.astype(np.int64) - zp * weight_sums.astype(np.int64)
    if folded.min() < -(1 << 31) or folded.max() >= 1 << 31:
        raise CannotLower(f"the bias with the input zero point {zp} folded in exceeds int32")
    return folded.astype(np.int32)


def _plan_matmul(
    op: top.MatMulOp,
    label: str,
    store: WeightStore,
    buf: Callable[[SSAValue, str], Buf],
    bufs: dict[SSAValue, Buf],
) -> MatMul:
    lt, rt = op.input.type, op.right.type
    assert isinstance(lt, TensorType) and isinstance(rt, TensorType)
    if len(lt.get_shape()) != 2 or len(rt.get_shape()) != 2:
        raise CannotLower("only (M, K) x (K, N) matmuls are supported yet")
    k, n = rt.get_shape()
    w = _weight(op.right, store, np.int8)
    s_w = _axis_scales(op.right, 1, n)
    bias = _weight(op.bias, store, np.int32) if op.bias is not None else np.zeros(n, np.int32)
    bias = _fold_input_zp(bias.reshape(n), w.reshape(k, n).sum(axis=0), _zp(op.input))
    mults, shifts = _requant_params(_scale(op.input) * s_w / _scale(op.output))
    return MatMul(
        label, [bufs[op.input]], buf(op.output, label), weight=w.reshape(k, n),
        bias=bias.reshape(n), multipliers=mults, shifts=shifts, relu=_relu(op),
        limit=_limit(op),
    )  # fmt: skip


def _rank_shape(value: SSAValue) -> tuple[int, ...]:
    ty = value.type
    assert isinstance(ty, TensorType)
    return tuple(ty.get_shape())


def _io_name(fn: func.FuncOp, index: int, output: bool) -> str:
    attrs = fn.res_attrs if output else fn.arg_attrs
    if attrs is not None and index < len(attrs.data):
        label = attrs.data[index].data.get("onnx.name")
        if isinstance(label, StringAttr):
            return label.data
    return f"{'output' if output else 'input'}{index}"


# =============================================================================================
# Local tensors and command helpers
# =============================================================================================

_PREC = {"f32": Precision.FP32, "i8": Precision.INT8, "u8": Precision.INT8, "i32": Precision.INT32}


def _rows(c: int) -> int:
    return -(-c // NPU)


@dataclass(frozen=True)
class LT:
    """A local tensor (n, c, h, w) on lanes from 0, `ebytes` per element, EU-aligned or compact."""

    off: int
    shape: Shape4
    ebytes: int
    compact: bool = False

    @property
    def cs(self) -> int:
        _, _, h, w = self.shape
        return (
            h * w
            if self.compact
            else -(-(h * w) // chip.eu_num(8 * self.ebytes)) * (chip.eu_num(8 * self.ebytes))
        )

    @property
    def strides(self) -> Shape4:
        _, c, _, w = self.shape
        return (_rows(c) * self.cs, self.cs, w, 1)

    @property
    def nbytes(self) -> int:
        return self.shape[0] * _rows(self.shape[1]) * self.cs * self.ebytes

    @property
    def range(self) -> tuple[int, int]:
        return (self.off, self.off + self.nbytes)

    def addr(self) -> int:
        return self.off


class Arena:
    """Bump allocation inside one half of every lane: from the bottom (`alloc`), and from the
    top (`alloc_high`) for a result left in local memory, which then stays clear of the
    coefficients the layer two later prefetches into the bottom of the same half."""

    def __init__(self, base: int, size: int = HALF_LANE) -> None:
        self.base = base
        self.top = base
        self.high = base + size

    def copy(self) -> Arena:
        probe = Arena(self.base)
        probe.top, probe.high = self.top, self.high
        return probe

    def alloc(self, shape: Shape4, ebytes: int, compact: bool = False) -> LT:
        off = -(-self.top // chip.EU_BYTES) * chip.EU_BYTES
        t = LT(off, shape, ebytes, compact)
        if off + t.nbytes > self.high:
            raise CannotLower(
                f"{t.nbytes} bytes per lane at {off:#x} do not fit local memory "
                f"(slicing is not implemented for INT8 yet)"
            )
        self.top = off + t.nbytes
        return t

    def alloc_high(self, shape: Shape4, ebytes: int) -> LT:
        size = LT(0, shape, ebytes).nbytes
        off = (self.high - size) // chip.EU_BYTES * chip.EU_BYTES
        if off < self.top:
            raise CannotLower(f"{size} bytes per lane do not fit above {self.top:#x}")
        self.high = off
        return LT(off, shape, ebytes)


class _Sliced(CannotLower):
    """A layer with an input left in local memory would have to run in slices."""


@dataclass
class _Io:
    """How one layer meets its neighbours in local memory (set by `emit_int8_net`)."""

    coeffs: list[LT] = field(default_factory=list)
    """Its coefficients, already loaded (possibly prefetched during the previous layer)."""
    resident: dict[int, LT] = field(default_factory=dict)
    """Inputs (by operand index) the previous layer left whole in local memory: not loaded."""
    keep: bool = False
    """Leave the whole result in local memory (top of the half) for the next layer, if it fits."""
    store: bool = True
    """Store the result to DDR even when it is kept (other layers or the net read it)."""
    kept: LT | None = None
    """Set by the emitter: where the result was left, when it was kept."""
    whole: bool = False
    """Refuse to run in slices (`_Sliced`): a dry run asking whether the layer still runs whole
    below a held result (`_runs_whole`)."""


def _dense(shape: Shape4) -> Shape4:
    _, c, h, w = shape
    return (c * h * w, h * w, w, 1)


@dataclass
class _Em:
    prog: Program
    round_mode: int
    io: _Io = field(default_factory=_Io)
    _prefetch: Callable[[], None] | None = None

    def defer_prefetch(self, fn: Callable[[], None] | None) -> None:
        """Hold the next layer's coefficient loads until this layer's first loads are out."""
        self._prefetch = fn

    def flush_prefetch(self) -> None:
        if self._prefetch is not None:
            fn, self._prefetch = self._prefetch, None
            fn()

    def load(self, dst: LT, src: int, strides: Shape4, prec: Precision) -> None:
        self.prog.add(
            GdmaTensorOp, writes=[dst.range], cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True, nchw_copy=True, dtype=prec, src_addr=src, src_shape=dst.shape,
            src_stride=strides, dst_addr=chip.LMEM_BASE + dst.addr(), dst_shape=(0, 0, 0, 0),
            dst_stride=dst.strides,
        )  # fmt: skip

    def store(self, src: LT, dst: int, strides: Shape4, prec: Precision) -> None:
        self.flush_prefetch()
        self.prog.add(
            GdmaTensorOp, reads=[src.range], cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True, nchw_copy=True, dtype=prec, src_addr=chip.LMEM_BASE + src.addr(),
            src_shape=src.shape, src_stride=src.strides, dst_addr=dst, dst_shape=(0, 0, 0, 0),
            dst_stride=strides,
        )  # fmt: skip

    def ar(
        self,
        eu: ArEu,
        res: LT,
        res_prec: Precision,
        operands: list[tuple[LT | int, Precision, bool]],
        *,
        cast_signed: bool = True,
        free: dict[int, Shape4] | None = None,
        round_mode: int | None = None,
    ) -> None:
        """res = a <eu> b; operands (tensor or raw 32-bit immediate, precision, signed);
        `free` gives free-stride (explicit) layouts by operand index."""
        fields: dict[str, object] = {}
        reads = []
        for i, (x, p, signed) in enumerate(operands):
            if isinstance(x, LT):
                reads.append(x.range)
                fields[f"opd{i}_addr"] = x.addr()
                if free and i in free:
                    fields[f"opd{i}_layout"] = Layout.FREE
                    fields[f"opd{i}_stride"] = free[i]
            else:
                fields |= {f"opd{i}_addr": x & 0xFFFFFFFF, f"opd{i}_const": True}
            fields |= {f"opd{i}_prec": p, f"opd{i}_sign": signed}
        if eu is ArEu.CAST:
            fields["opd2_sign"] = cast_signed
        self.prog.add(
            ArOp, reads=reads, writes=[res.range], tsk_eu_typ=eu, opd_num=len(operands),
            res0_addr=res.addr(), res0_shape=res.shape, res0_prec=res_prec,
            round_mode=self.round_mode if round_mode is None else round_mode, **fields,
        )  # fmt: skip

    def rq1(
        self,
        res: LT,
        x: LT,
        x_signed: bool,
        out_signed: bool,
        params: LT | None = None,
        imm: tuple[int, int] = (1, 0),
        zp: int = 0,
    ) -> None:
        """quant.rq1: per-channel words at `params`, or the immediate (multiplier, shift) and
        result zero point `zp` (bits 8..23 of opd2)."""
        reads = [x.range]
        if params is not None:
            reads.append(params.range)
            opd = {"opd1_addr": params.addr()}
        else:
            m, s = imm
            opd = {
                "opd1_addr": m & 0xFFFFFFFF,
                "opd1_const": True,
                "opd2_addr": ((-s) & 0xFF) | ((zp & 0xFFFF) << 8),
            }
        self.prog.add(
            RqDqOp, reads=reads, writes=[res.range], tsk_eu_typ=RqDqEu.RQ1, res0_addr=res.addr(),
            res0_shape=res.shape, res0_prec=Precision.INT8, opd0_addr=x.addr(),
            opd0_prec=_prec_of(x), opd0_sign=x_signed, opd2_sign=out_signed,
            round_mode=self.round_mode, **opd,
        )  # fmt: skip


def _prec_of(t: LT) -> Precision:
    return {1: Precision.INT8, 4: Precision.INT32}[t.ebytes]


def _kh_fold(layer: Layer) -> int:
    """How many kernel rows a conv folds into its input channels (1: none).

    A conv with few input channels (the stem's 3) wastes most of the cube, which reduces 64
    input channels per step whatever ic is: with kh x ic <= 64 the input is loaded as kh
    row-shifted copies of itself, channel ky * ic + c holding the rows tap ky reads, and the
    conv runs with a 1 x kw kernel: kh times fewer steps for the same integer products
    (TPU-MLIR's "3ic" optimization)."""
    if type(layer) is not Conv or zero_point(layer.inputs[0]) != 0:
        return 1  # (the folded rows' padding is written as zeros, `_load_folded`)
    _, ic, kh, _ = layer.weight.shape
    return kh if kh > 1 and ic * kh <= INT8_CUBE else 1


def _conv_weight(layer: Conv) -> np.ndarray:
    """The (oc, ic, kh, kw) filter, or (oc, kh x ic, 1, kw) when `_kh_fold` folds its rows."""
    w = layer.weight
    if _kh_fold(layer) == 1:
        return w
    oc, ic, kh, kw = w.shape
    return w.transpose(0, 2, 1, 3).reshape(oc, kh * ic, 1, kw)


def _coeff_conv(layer: Conv) -> np.ndarray:
    """The alignIC filter: per output channel, blocks of 64 input channels, tap-major."""
    weight = _conv_weight(layer)
    oc, ic, kh, kw = weight.shape
    blocks = -(-ic // INT8_CUBE)
    w = np.zeros((oc, blocks * INT8_CUBE, kh * kw), np.int8)
    w[:, :ic, :] = weight.reshape(oc, ic, kh * kw)
    return w.reshape(oc, blocks, INT8_CUBE, kh * kw).transpose(0, 1, 3, 2).reshape(oc, -1)


def _rq_words(mults: np.ndarray, shifts: np.ndarray, zp: int = 0) -> np.ndarray:
    """(c, 3) int32: multiplier, negated shift, the result's zero point (quant.rq1's words)."""
    words = np.zeros((len(mults), 3), np.int64)
    words[:, 0], words[:, 1], words[:, 2] = mults, -shifts, zp
    return words.astype(np.int32)


CHANNEL_WORDS = 4
"""Per-channel int32 words of a conv or matmul: quant.rq1's three, then the bias."""


def _channel_words(
    bias: np.ndarray, mults: np.ndarray, shifts: np.ndarray, zp: int = 0
) -> np.ndarray:
    """(c, 4) int32: the requant words and the bias of each channel, one array so that one
    GDMA command loads both (each command costs its start-up, ~256 cycles). quant.rq1 reads
    its words from the start of each channel's EU-aligned row, the bias add reads word 3
    with a free stride of one row."""
    return np.concatenate([_rq_words(mults, shifts, zp), bias.astype(np.int32)[:, None]], axis=1)


def _layer_words(layer: Conv | MatMul) -> np.ndarray:
    return _channel_words(layer.bias, layer.multipliers, layer.shifts, zero_point(layer.output))


@dataclass(frozen=True)
class _Word(LT):
    """One word of every channel of a per-channel word array (`_channel_words`): its own
    address, but the whole array's range, so that the waits cover the one load that wrote it."""

    span: tuple[int, int] = (0, 0)

    @property
    def range(self) -> tuple[int, int]:
        return self.span


def _split_words(words: LT, c0: int, c1: int) -> tuple[LT, LT]:
    """(rq1 words, bias word) of channels [c0, c1) of a `_channel_words` array in local memory."""
    v = _chan_view(words, c0, c1)
    rq = LT(v.off, (1, c1 - c0, 1, 3), 4)
    bias = _Word(v.off + 3 * 4, (1, c1 - c0, 1, 1), 4, True, span=v.range)
    return rq, bias


def _bias_stride(words: LT) -> Shape4:
    """The free-layout strides that read the bias word of each channel row of `words`."""
    return (0, words.cs, 0, 0)


# =============================================================================================
# Emission
# =============================================================================================


@dataclass
class _Coeffs:
    """The coefficient blob under construction: command-layout arrays at 4 KiB offsets."""

    blob: list[tuple[str, int, bytes]] = field(default_factory=list)
    size: int = 0

    def add(self, name: str, array: np.ndarray) -> int:
        data = np.ascontiguousarray(array).tobytes()
        offset = self.size
        self.blob.append((name, offset, data))
        self.size = -(-(offset + len(data)) // chip.GMEM_ALIGNMENT) * chip.GMEM_ALIGNMENT
        return chip.GMEM_BASE + offset


def _place(net: Int8Net, base: int) -> int:
    """DDR addresses of every root buffer from `base`; returns the end."""
    seen: list[Buf] = []
    scratch = [b for lay in net.layers if isinstance(lay, Float) for b in lay.scratch]
    for b in [b for _, b in net.inputs] + [lay.output for lay in net.layers] + scratch:
        root = b.root or b
        if all(root is not s for s in seen):
            seen.append(root)
    top_ = base
    for b in seen:
        b.addr = top_
        top_ = -(-(top_ + b.nbytes) // chip.GMEM_ALIGNMENT) * chip.GMEM_ALIGNMENT
    return top_


def emit_int8_net(net: Int8Net, store: WeightStore, store_all: bool = False) -> ModelOp:
    """Commands, coefficients (into `store` as `<net>.coeff`) and the bmodel IR of `net`.

    `store_all` also stores the results left in local memory (the next layer still reads them
    there), so that every layer's result can be compared in DDR."""
    coeffs = _Coeffs()
    weights: list[dict[str, int]] = []
    for layer in net.layers:
        w: dict[str, int] = {}
        if isinstance(layer, DwConv):
            c, _, kh, kw = layer.weight.shape
            w["filter"] = coeffs.add(f"{layer.name}.filter", layer.weight.reshape(c, kh * kw))
            w["bias"] = coeffs.add(f"{layer.name}.bias", layer.bias.astype(np.int32))
            w["rq"] = coeffs.add(
                f"{layer.name}.rq",
                _rq_words(layer.multipliers, layer.shifts, zero_point(layer.output)),
            )
        elif isinstance(layer, Lut):
            w["table"] = coeffs.add(f"{layer.name}.table", layer.table)
            w["keys"] = coeffs.add(f"{layer.name}.keys", _lut_keys(layer.inputs[0].signed))
        elif isinstance(layer, Conv):
            w["filter"] = coeffs.add(f"{layer.name}.filter", _coeff_conv(layer))
            w["words"] = coeffs.add(f"{layer.name}.words", _layer_words(layer))
        elif isinstance(layer, Float):
            for j, array in enumerate(layer.weights.values()):
                w[f"w{j}"] = coeffs.add(f"{layer.name}.w{j}", array)
        elif isinstance(layer, MatMul):
            w["filter"] = coeffs.add(f"{layer.name}.filter", layer.weight.T.copy())
            w["words"] = coeffs.add(f"{layer.name}.words", _layer_words(layer))
        weights.append(w)
    coeff_size = max(coeffs.size, chip.GMEM_ALIGNMENT)
    ctx_addr = chip.GMEM_BASE + coeff_size
    ctx_end = _place(net, ctx_addr)

    prog = _emit_layers(net, weights, store_all)
    group = prog.finish()
    group.attributes["nntc.layers"] = StringAttr(json.dumps(prog.layer_map()))

    blob = np.zeros(coeff_size, np.uint8)
    locations: list[Attribute] = []
    for name, offset, data in coeffs.blob:
        blob[offset : offset + len(data)] = np.frombuffer(data, np.uint8)
        locations.append(CoeffLocationAttr(StringAttr(name), IntAttr(offset), IntAttr(len(data))))
    coeff_name = f"{net.name}.coeff"
    store[coeff_name] = blob

    def io(cls: type[InputTensorOp] | type[OutputTensorOp], name: str, b: Buf) -> Operation:
        return cls.create(
            properties={
                "tensor_name": StringAttr(name),
                "dtype": StringAttr("float32"),
                "shape": DenseArrayBase.from_list(i64, list(b.io_shape)),
                "device_addr": IntegerAttr(b.address, i64),
                "size": IntegerAttr(b.nbytes, i64),
                "mem_type": IntegerAttr(1, i64),
            }
        )

    ios = [io(InputTensorOp, n, b) for n, b in net.inputs]
    ios += [io(OutputTensorOp, n, b) for n, b in net.outputs]
    coeff = CoeffMemOp.create(
        properties={
            "address": IntegerAttr(chip.GMEM_BASE, i64),
            "weight_name": StringAttr(coeff_name),
            "locations": ArrayAttr(locations),
        }
    )
    ctx_size = ctx_end - ctx_addr
    stage = StageOp(
        [*ios, coeff, group],
        ctx_addr=IntegerAttr(ctx_addr, i64),
        ctx_size=IntegerAttr(ctx_size, i64),
        ctx_sizes=DenseArrayBase.from_list(i64, [ctx_size]),
        core_num=IntegerAttr(1, i64),
        dynamic_ctx_addr=IntegerAttr(ctx_addr, i64),
        dynamic_coeff_offset=IntegerAttr(coeff_size, i64),
        dynamic_combined_coeff_offset=IntegerAttr(coeff_size, i64),
        stage_ir=DenseArrayBase.from_list(i64, [0] * 5),
        binary_ir=UnitAttr(),
        subnet_run_core=IntegerAttr(1, i64),
    )
    return ModelOp([NetOp(net.name, [stage])], neuron_size=IntegerAttr(ctx_size, i64),
                   device_num=IntegerAttr(1, i64))  # fmt: skip


DEEP_PREFETCH_BYTES = 96 * 1024
"""Coefficients (bytes per lane) loaded more than one layer ahead and not used yet, at most:
enough to keep the GDMA busy through the compute-heavy, weight-light first stages, while the
activation loads and stores queued behind these loads still come soon enough for the TIU."""


@dataclass
class _Tracked(Program):
    """A `Program` that remembers, for each layer (by index, `position`), the local memory
    ranges touched and the cycles each engine spends (the simulator's cost model) while that
    layer is emitted, prefetches for later layers included."""

    position: int = 0
    touched: dict[int, list[Range]] = field(default_factory=dict)
    cycles: dict[tuple[str, int], int] = field(default_factory=dict)
    """(engine, position) -> cycles of the commands emitted there."""
    quiet: bool = False
    """Record nothing (the deep prefetch loads, checked separately)."""

    def add(
        self,
        cls: type[InstructionOp],
        reads: list[Range] = (),  # type: ignore[assignment]
        writes: list[Range] = (),  # type: ignore[assignment]
        **fields: object,
    ) -> int:
        cmd_id = super().add(cls, reads, writes, **fields)
        if not self.quiet:
            self.touched.setdefault(self.position, []).extend([*reads, *writes])
            op = (self.tiu if cls.ENGINE == TIU else self.gdma)[-1]
            cmd = codec.Command(op.CMD_CLASS, op.to_fields())
            cost = tiu_cycles(cmd) if cls.ENGINE == TIU else gdma_cycles(cmd, chip.ChipTiming())
            key = (cls.ENGINE, self.position)
            self.cycles[key] = self.cycles.get(key, 0) + cost
        return cmd_id


@dataclass(frozen=True)
class _Deep:
    """Coefficients loaded during layer `at` (two or more layers before theirs) into
    [`off`, `off` + `size`) of every lane, a range no layer in between touches."""

    at: int
    off: int
    size: int


def _emit_layers(net: Int8Net, weights: list[dict[str, int]], store_all: bool) -> Program:
    """The commands of every layer, overlapped: coefficients are loaded ahead of their layer
    (`_emit_pass`), more than one layer ahead where the first pass leaves local memory free for
    long enough (`_plan_deep`)."""
    first = _emit_pass(net, weights, store_all, {})
    deep = _plan_deep(net, weights, first)
    if not deep:
        return first
    second = _emit_pass(net, weights, store_all, deep)
    # the plan relies on the second pass touching what the first did, bar the coefficients:
    # should a range a deep load fills be touched before its layer, keep the first pass
    for j, d in deep.items():
        for p in range(d.at, j):
            if any(lo < d.off + d.size and d.off < hi for lo, hi in second.touched.get(p, [])):
                return first
    return second


def _coeff_cost(round_mode: int, layer: Layer, w: dict[str, int]) -> tuple[int, int]:
    """(bytes per lane from an EU-aligned start, GDMA cycles) of a layer's coefficients."""
    arena = Arena(0, LANE_BYTES)
    probe = _Tracked()
    _COEFFS[type(layer)](_Em(probe, round_mode), layer, arena, w)
    return arena.top, probe.cycles.get((GDMA, 0), 0)


def _merged(ranges: list[Range]) -> list[Range]:
    out: list[Range] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _plan_deep(net: Int8Net, weights: list[dict[str, int]], first: _Tracked) -> dict[int, _Deep]:
    """Which layers' coefficients load two or more layers early, when and where.

    `first` is the one-layer-ahead emission: what it touches in local memory while each layer
    is emitted (the layer's tensors, the kept result it reads, the next layer's prefetched
    coefficients) and how long each engine works there. A layer's coefficients can load
    during layer t into any range of every lane that layers t to it leave untouched and no
    other early load holds then. Loads stay in layer order (the GDMA runs them in order); layer
    t takes loads while the GDMA would otherwise wait for its computation (its TIU cycles
    beyond its own GDMA cycles), at most `DEEP_PREFETCH_BYTES` ahead, each into the free range
    touched longest ago (its load waits for that use to end)."""
    layers = net.layers
    busy = {p: _merged(r) for p, r in first.touched.items()}
    pending = [j for j, layer in enumerate(layers) if type(layer) in _COEFFS]
    cost = {j: _coeff_cost(net.round_mode, layers[j], weights[j]) for j in pending}
    plan: dict[int, _Deep] = {}
    k = 0
    for t in range(len(layers)):
        slack = first.cycles.get((TIU, t), 0) - first.cycles.get((GDMA, t), 0)
        while k < len(pending) and pending[k] <= t + 1:
            k += 1  # loaded the ordinary way, one layer ahead
        while k < len(pending) and slack > 0:
            j = pending[k]
            size, cycles = cost[j]
            ahead = sum(d.size for i, d in plan.items() if d.at <= t < i)
            if ahead + size > DEEP_PREFETCH_BYTES:
                break
            held = [(d.off, d.off + d.size) for i, d in plan.items() if i >= t]
            taken = _merged([r for p in range(t, j + 1) for r in busy.get(p, [])] + held)
            off = _free_range(taken, size, busy, plan, t)
            if off is None:
                break
            plan[j] = _Deep(t, off, size)
            slack -= cycles
            k += 1
    return plan


def _free_range(
    taken: list[Range], size: int, busy: dict[int, list[Range]], plan: dict[int, _Deep], t: int
) -> int | None:
    """An EU-aligned offset of `size` free bytes outside `taken`: of the candidates (each free
    gap's start and end) the one whose last use before layer `t` is oldest."""
    candidates: list[int] = []
    edge = 0
    for lo, hi in [*taken, (LANE_BYTES, LANE_BYTES)]:
        start = -(-edge // chip.EU_BYTES) * chip.EU_BYTES
        end = (lo - size) // chip.EU_BYTES * chip.EU_BYTES
        if start <= end:
            candidates += [start, end]
        edge = max(edge, hi)

    def last_use(off: int) -> int:
        for p in range(t - 1, -1, -1):
            if any(lo < off + size and off < hi for lo, hi in busy.get(p, [])):
                return p
        uses = [k for k, d in plan.items() if d.off < off + size and off < d.off + d.size]
        return max(uses, default=-1)

    return min(candidates, key=lambda off: (last_use(off), off), default=None)


HOLD_WINDOW = 8
"""A result read again at most this many layers later (a residual block's input, read by its
add) can stay in local memory until then (`_Held`)."""


@dataclass(frozen=True)
class _Held:
    """A result left in local memory (`t`, at the top of half `half`) past the next layer,
    until its last reader `until` reads it: the layers in between that work in the same half
    allocate below it (`_cap`)."""

    buf: Buf
    t: LT
    half: int
    until: int


def _cap(held: list[_Held], index: int) -> int:
    """The end of the room the `index`-th layer has in its half, below the held results."""
    half = index % 2
    return min(
        (h.t.off for h in held if h.half == half and h.until >= index),
        default=half * HALF_LANE + HALF_LANE,
    )


def _capped(index: int, held: list[_Held]) -> Arena:
    base = (index % 2) * HALF_LANE
    return Arena(base, _cap(held, index) - base)


def _emit_pass(
    net: Int8Net, weights: list[dict[str, int]], store_all: bool, deep: dict[int, _Deep]
) -> _Tracked:
    """The commands of every layer, overlapped: layer i + 1's coefficients are loaded (into the
    other half) while layer i computes, unless `deep` loads them earlier elsewhere; a result
    read only by the next layer stays in local memory when both layers then run whole (see
    `_Io`), and a result read again a few layers later (`_hold`) stays there until then."""
    layers = net.layers
    prog = _Tracked()
    em = _Em(prog, net.round_mode)
    spans = [prog.new_layer(layer.name) for layer in layers]
    readers: dict[int, int] = {}
    for layer in layers:
        for b in layer.inputs:
            readers[id(b.root or b)] = readers.get(id(b.root or b), 0) + 1
    net_outputs = {id(b.root or b) for _, b in net.outputs}
    arenas: dict[int, Arena] = {}
    coeffs: dict[int, list[LT]] = {}
    early: dict[int, list[int]] = {}
    for j, d in sorted(deep.items()):
        early.setdefault(d.at, []).append(j)
    held: list[_Held] = []

    def load_coeffs(j: int) -> None:
        previous = prog.attribute_to(spans[j])
        arenas[j] = _capped(j, held)
        coeffs[j] = _COEFFS[type(layers[j])](em, layers[j], arenas[j], weights[j])
        prog.attribute_to(previous)

    def load_deep(j: int) -> None:
        d = deep[j]
        previous = prog.attribute_to(spans[j])
        prog.quiet = True
        coeffs[j] = _COEFFS[type(layers[j])](em, layers[j], Arena(d.off, d.size), weights[j])
        prog.quiet = False
        prog.attribute_to(previous)
        # the layer's own arena keeps the room its coefficients took in the first pass, so
        # that its other tensors lie where the plan saw them
        arenas[j] = Arena((j % 2) * HALF_LANE)
        arenas[j].top += d.size

    def prefetch(i: int) -> Callable[[], None] | None:
        ahead = i + 1 < len(layers) and type(layers[i + 1]) in _COEFFS and i + 1 not in deep
        later = early.get(i, [])
        if not ahead and not later:
            return None

        def run() -> None:
            if ahead:
                load_coeffs(i + 1)
            for j in later:
                load_deep(j)

        return run

    resident: dict[int, LT] = {}
    for i, layer in enumerate(layers):
        prog.position = i
        prog.attribute_to(spans[i])
        held = [h for h in held if h.until >= i]
        resident |= {k: h.t for h in held for k, b in enumerate(layer.inputs) if h.buf is b}
        if i not in arenas and type(layer) in _COEFFS:
            load_coeffs(i)
        arena = arenas.pop(i, None) or Arena((i % 2) * HALF_LANE)
        arena.high = min(arena.high, _cap(held, i))
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        em.defer_prefetch(prefetch(i))
        uses = [k for k, b in enumerate(nxt.inputs) if b is layer.output] if nxt else []
        keep = (
            bool(uses)
            and isinstance(layer, _KEEPS_RESULT)
            and _takes_resident(
                net.round_mode,
                i + 1,
                nxt,
                weights[i + 1],
                uses,
                _cap(held, i + 1),  # type: ignore[arg-type]
            )
        )
        later = _hold(net, weights, i, held, arena.high)
        out = id(layer.output.root or layer.output)
        served = (len(uses) if keep else 0) + sum(len(ks) for ks in later.values())
        store = store_all or readers.get(out, 0) > served or out in net_outputs
        em.io = _Io(coeffs.pop(i, []), resident, keep or bool(later), store)
        _EMITTERS[type(layer)](em, layer, arena, weights[i])
        em.flush_prefetch()
        kept = em.io.kept
        resident = {k: kept for k in uses} if kept is not None and keep else {}
        if kept is not None and later:
            held.append(_Held(layer.output, kept, i % 2, max(later)))
        if kept is not None and not store:
            net.lmem_only.add(layer.name)
        if not prog.quiet:
            # a held result is busy in between too: no deep prefetch may load over it
            prog.touched.setdefault(i, []).extend(h.t.range for h in held if h.until > i)
    return prog


def _hold(
    net: Int8Net, weights: list[dict[str, int]], i: int, held: list[_Held], high: int
) -> dict[int, list[int]]:
    """The later readers (layer index -> operand indices) that read the `i`-th layer's result
    from local memory, if it stays there (at the top of its room, below `high`) until the last
    of them: every reader past the next layer lies within `HOLD_WINDOW`, runs whole with it
    resident, and every layer in between that shares its half still runs whole below it.
    Empty when it cannot."""
    layers = net.layers
    layer = layers[i]
    if not isinstance(layer, _KEEPS_RESULT):
        return {}
    later = {
        j: ks
        for j in range(i + 2, min(i + 1 + HOLD_WINDOW, len(layers)))
        if (ks := [k for k, b in enumerate(layers[j].inputs) if b is layer.output])
    }
    if not later:
        return {}
    last = max(later)
    out = layer.output
    size = LT(0, out.shape, out.nbytes // math.prod(out.shape)).nbytes
    off = (high - size) // chip.EU_BYTES * chip.EU_BYTES
    if off < (i % 2) * HALF_LANE:
        return {}
    for p in range(i + 1, last + 1):
        if isinstance(layers[p], (Float, FloatCast)):
            return {}  # the FP32 plans use their whole half
        cap = off if p % 2 == i % 2 else _cap(held, p)
        if p in later:
            if not _takes_resident(net.round_mode, p, layers[p], weights[p], later[p], cap):
                return {}
        elif p % 2 == i % 2 and not _runs_whole(net.round_mode, p, layers[p], weights[p], cap):
            return {}
    return later


def _dry_run(
    round_mode: int, index: int, layer: Layer, w: dict[str, int], io: _Io, high: int
) -> bool:
    """Whether `layer` (the `index`-th) emits in its half below `high` as `io` asks: a dry run
    of its emission into a scratch program."""
    probe = _Em(Program(), round_mode)
    base = (index % 2) * HALF_LANE
    arena = Arena(base, high - base)
    try:
        io.coeffs = _COEFFS[type(layer)](probe, layer, arena, w) if type(layer) in _COEFFS else []
        probe.io = io
        _EMITTERS[type(layer)](probe, layer, arena, w)
    except CannotLower:
        return False
    return True


def _takes_resident(
    round_mode: int, index: int, layer: Layer, w: dict[str, int], uses: list[int], high: int
) -> bool:
    """Whether `layer` (the `index`-th) can run whole below `high` with the inputs `uses` left
    in local memory."""
    if not isinstance(layer, _TAKES_RESIDENT):
        return False
    # where the resident input lies does not change what this layer allocates in its half
    stand_in = {k: LT(0, layer.inputs[k].shape, 1) for k in uses}
    return _dry_run(round_mode, index, layer, w, _Io(resident=stand_in), high)


def _runs_whole(round_mode: int, index: int, layer: Layer, w: dict[str, int], high: int) -> bool:
    """Whether `layer` (the `index`-th) runs whole (not in slices) below `high`."""
    if isinstance(layer, (Concat, Lut, MatMul, AvgPool)):
        return _dry_run(round_mode, index, layer, w, _Io(), high)
    return _dry_run(round_mode, index, layer, w, _Io(whole=True), high)


def _slice_rows(arena: Arena, total: int, trial: Callable[[Arena, int], object]) -> int:
    """The most result rows (of `total`) whose local tensors `trial` can allocate next to
    what `arena` already holds: the tensors are processed in slices of that many rows."""
    for rows in range(total, 0, -1):
        try:
            trial(arena.copy(), rows)
        except CannotLower:
            continue
        return rows
    raise CannotLower(f"not even one row of {total} fits local memory")


Alloc = Callable[[Arena, int, int, bool], object]
"""Allocates a layer's local tensors: (arena, rows, buffers per streamed tensor, keep)."""


def _plan_slices(em: _Em, arena: Arena, total: int, alloc: Alloc) -> tuple[int, int, bool]:
    """(rows per slice, buffers, kept) of a layer that streams `total` result rows.

    Whole, with the result kept at the top of the half when `em.io.keep` asks and it fits;
    else whole; else slices double-buffered (load of slice i + 1 and store of slice i - 1
    overlap the computation of slice i); else single-buffered slices. A layer with an input
    left in local memory must run whole (`_Sliced`)."""
    for keep in (True, False) if em.io.keep else (False,):
        try:
            alloc(arena.copy(), total, 1, keep)
        except CannotLower:
            continue
        return total, 1, keep
    if em.io.resident or em.io.whole:
        raise _Sliced(f"{total} rows do not fit local memory next to a resident input")
    try:
        return _slice_rows(arena, total, lambda a, r: alloc(a, r, 2, False)), 2, False
    except CannotLower:
        return _slice_rows(arena, total, lambda a, r: alloc(a, r, 1, False)), 1, False


def _pipeline(
    em: _Em,
    count: int,
    buffers: int,
    load: Callable[[int], None],
    compute: Callable[[int], None],
    store: Callable[[int], None],
) -> None:
    """Slices in program order: with two buffers the load of slice i + 1 precedes the
    computation of slice i (the `Program` adds the waits); the next layer's coefficients go
    out right after the first slice's loads, so that they overlap this layer's computation."""
    load(0)
    em.flush_prefetch()
    for i in range(count):
        if i > 0 and buffers == 1:
            load(i)
        if i + 1 < count and buffers == 2:
            load(i + 1)
        compute(i)
        store(i)


@dataclass(frozen=True)
class _Rows:
    """Output rows [o0, o1) of a windowed layer and the input rows [i0, i1) they read, with
    the padding rows the command adds above and below."""

    o0: int
    o1: int
    i0: int
    i1: int
    pad_top: int
    pad_bottom: int


def _window_rows(oh: int, ih: int, rows: int, kh: int, sh: int, dh: int, pt: int) -> list[_Rows]:
    slices = []
    for o0 in range(0, oh, rows):
        o1 = min(o0 + rows, oh)
        start = o0 * sh - pt
        end = (o1 - 1) * sh - pt + (kh - 1) * dh + 1
        i0, i1 = max(start, 0), min(end, ih)
        slices.append(_Rows(o0, o1, i0, i1, i0 - start, end - i1))
    return slices


def _in_rows(rows: int, kh: int, sh: int, dh: int) -> int:
    return (rows - 1) * sh + (kh - 1) * dh + 1


def _rows_view(t: LT, shape: Shape4, h: int) -> LT:
    return LT(t.off, (shape[0], shape[1], h, shape[3]), t.ebytes, t.compact)


def _row_addr(b: Buf, row: int) -> int:
    return b.address + row * b.shape[3] * (b.nbytes // math.prod(b.shape))


def _emit_elementwise(
    em: _Em,
    layer: Layer,
    arena: Arena,
    in_bytes: int,
    tmp_bytes: tuple[int, ...],
    compute: Callable[[list[LT], list[LT], LT], None],
) -> None:
    """A layer whose inputs and result share the shape, in slices of rows: loads the inputs
    (`in_bytes` each) unless the previous layer left them in local memory, allocates
    `tmp_bytes` temporaries, lets `compute` fill the result."""
    out = layer.output
    io = em.io
    n, c, h, wd = out.shape
    out_bytes = out.nbytes // math.prod(out.shape)
    in_prec = {1: Precision.INT8, 4: Precision.FP32}[in_bytes]
    out_prec = {1: Precision.INT8, 4: Precision.FP32}[out_bytes]

    def alloc(a: Arena, r: int, bufs: int, keep: bool) -> tuple[list[list[LT]], list[LT], list[LT]]:
        shape = (n, c, r, wd)
        ins = [
            [io.resident[k]]
            if k in io.resident
            else [a.alloc(shape, in_bytes) for _ in range(bufs)]
            for k in range(len(layer.inputs))
        ]
        tmps = [a.alloc(shape, b) for b in tmp_bytes]
        res = (
            [a.alloc_high(shape, out_bytes)]
            if keep
            else [a.alloc(shape, out_bytes) for _ in range(bufs)]
        )
        return ins, tmps, res

    rows, bufs, kept = _plan_slices(em, arena, h, alloc)
    ins, tmps, res = alloc(arena, rows, bufs, kept)
    starts = list(range(0, h, rows))

    def shape_of(i: int) -> Shape4:
        return (n, c, min(rows, h - starts[i]), wd)

    def load(i: int) -> None:
        for k, (ts, src) in enumerate(zip(ins, layer.inputs, strict=True)):
            if k not in io.resident:
                view = _rows_view(ts[i % bufs], shape_of(i), shape_of(i)[2])
                em.load(view, _row_addr(src, starts[i]), _dense(src.shape), in_prec)

    def run(i: int) -> None:
        views = [_rows_view(ts[i % len(ts)], shape_of(i), shape_of(i)[2]) for ts in ins]
        y = _rows_view(res[i % bufs], shape_of(i), shape_of(i)[2])
        compute(views, [_rows_view(t, shape_of(i), shape_of(i)[2]) for t in tmps], y)

    def store(i: int) -> None:
        if not kept or io.store:
            y = _rows_view(res[i % bufs], shape_of(i), shape_of(i)[2])
            em.store(y, _row_addr(out, starts[i]), _dense(out.shape), out_prec)

    _pipeline(em, len(starts), bufs, load, run, store)
    io.kept = res[0] if kept else None


def _emit_qcast(em: _Em, layer: QCast, arena: Arena, w: dict[str, int]) -> None:
    signed = layer.output.signed
    zp = zero_point(layer.output)

    def compute(ins: list[LT], tmps: list[LT], q: LT) -> None:
        (f,) = ins
        em.ar(ArEu.MUL, f, Precision.FP32, [(f, Precision.FP32, True),
              (f32_bits(layer.inv_scale), Precision.FP32, True)], round_mode=0)  # fmt: skip
        em.ar(ArEu.CAST, f, Precision.INT32, [(f, Precision.FP32, True)])
        if zp:
            # the zero point added in int32 (saturating), before the saturating cast to 8 bits
            em.ar(ArEu.ADD, f, Precision.INT32,
                  [(f, Precision.INT32, True), (zp, Precision.INT32, True)])  # fmt: skip
        em.ar(ArEu.CAST, q, Precision.INT8, [(f, Precision.INT32, True)], cast_signed=signed)

    _emit_elementwise(em, layer, arena, 4, (), compute)


def _emit_dcast(em: _Em, layer: DCast, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs

    def compute(ins: list[LT], tmps: list[LT], f: LT) -> None:
        (q,) = ins
        em.prog.add(
            RqDqOp, reads=[q.range], writes=[f.range], tsk_eu_typ=RqDqEu.DQ0,
            res0_addr=f.addr(), res0_shape=f.shape, res0_prec=Precision.FP32,
            opd0_addr=q.addr(), opd0_prec=Precision.INT8, opd0_sign=src.signed,
            opd1_addr=zero_point(src) & 0xFFFFFFFF, opd1_const=True, opd2_addr=f32_bits(layer.scale), opd2_sign=True, round_mode=0,
        )  # fmt: skip

    _emit_elementwise(em, layer, arena, 1, (), compute)


def _emit_requant(em: _Em, layer: Requant, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs

    zp_in, zp_out = zero_point(src), zero_point(layer.output)

    def compute(ins: list[LT], tmps: list[LT], y: LT) -> None:
        x, x_signed = ins[0], src.signed
        if zp_in:
            # quant.rq1 has no input offset: q - zp in int32 first (exact)
            (x,), x_signed = tmps, True
            em.ar(ArEu.SUB, x, Precision.INT32,
                  [(ins[0], Precision.INT8, src.signed), (zp_in, Precision.INT32, True)])  # fmt: skip
        imm = (layer.multiplier, layer.shift)
        em.rq1(y, x, x_signed, layer.output.signed, imm=imm, zp=zp_out)

    _emit_elementwise(em, layer, arena, 1, (4,) if zp_in else (), compute)


def _emit_add(em: _Em, layer: Add, arena: Arena, w: dict[str, int]) -> None:
    out = layer.output
    offset = add_offset(layer)

    def compute(ins: list[LT], tmps: list[LT], y: LT) -> None:
        acc, tmp = tmps
        for i, (x, src, m) in enumerate(zip(ins, layer.inputs, layer.multipliers, strict=True)):
            em.ar(ArEu.MUL, acc if i == 0 else tmp, Precision.INT32,
                  [(x, Precision.INT8, src.signed), (m, Precision.INT32, True)])  # fmt: skip
        em.ar(ArEu.ADD, acc, Precision.INT32,
              [(acc, Precision.INT32, True), (tmp, Precision.INT32, True)])  # fmt: skip
        if offset:
            # the inputs' zero points times their multipliers, taken out in int32
            em.ar(ArEu.ADD, acc, Precision.INT32,
                  [(acc, Precision.INT32, True), (-offset, Precision.INT32, True)])  # fmt: skip
        em.rq1(y, acc, True, out.signed, imm=(1, layer.shift), zp=zero_point(out))
        _clamp(em, y, out, layer.relu, layer.limit)

    _emit_elementwise(em, layer, arena, 1, (4, 4), compute)


def add_offset(layer: Add) -> int:
    """sum(multiplier x zero point) of the inputs: what the add takes out of its int32 sum."""
    return sum(m * zero_point(b) for m, b in zip(layer.multipliers, layer.inputs, strict=True))


def _clamp(em: _Em, y: LT, out: Buf, relu: bool, limit: int | None) -> None:
    zp = zero_point(out)
    if relu and zp:
        # the real 0 is stored as the zero point
        em.ar(ArEu.MAX, y, Precision.INT8,
              [(y, Precision.INT8, out.signed), (zp, Precision.INT8, out.signed)])  # fmt: skip
    elif relu and out.signed:
        em.ar(ArEu.MAX, y, Precision.INT8, [(y, Precision.INT8, True), (0, Precision.INT8, True)])
    if limit is not None:
        # a clipped ReLU (ReLU6): the clamp in stored units, after the requant's saturation
        em.ar(ArEu.MIN, y, Precision.INT8,
              [(y, Precision.INT8, out.signed), (limit, Precision.INT8, out.signed)])  # fmt: skip


def _emit_windowed(
    em: _Em,
    layer: Conv | MaxPool,
    arena: Arena,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    acc_bytes: int,
    compute: Callable[[LT, LT, LT | None, _Rows], LT],
    fold: int = 1,
) -> None:
    """A window op in slices of result rows: loads each slice's input rows (unless the previous
    layer left the input in local memory), lets `compute` write the result (into an
    `acc_bytes` accumulator first when that is not 1), stores the int8 result rows.

    `fold` > 1 (`_kh_fold`): the input is loaded as that many row-shifted copies side by side
    in the channels, one row per result row, so `compute` sees no vertical window or padding."""
    (src,) = layer.inputs
    out = layer.output
    io = em.io
    n, c, ih, iw = src.shape
    _, oc, oh, ow = out.shape
    kh, sh, dh = kernel[0], stride[0], dilation[0]
    resident = io.resident.get(0)

    def alloc(a: Arena, r: int, bufs: int, keep: bool) -> tuple[list[LT], LT | None, list[LT]]:
        x_shape = (n, c * fold, r, iw) if fold > 1 else (n, c, min(_in_rows(r, kh, sh, dh), ih), iw)
        xs = [resident] if resident and fold == 1 else [a.alloc(x_shape, 1) for _ in range(bufs)]
        shape = (n, oc, r, ow)
        res = [a.alloc_high(shape, 1)] if keep else [a.alloc(shape, 1) for _ in range(bufs)]
        # the accumulator is only touched by the TIU: one is enough
        acc = a.alloc(shape, acc_bytes) if acc_bytes != 1 else None
        return xs, acc, res

    rows, bufs, kept = _plan_slices(em, arena, oh, alloc)
    xs, acc, res = alloc(arena, rows, bufs, kept)
    if fold > 1:
        slices = _window_rows(oh, oh, rows, 1, 1, 1, 0)
        x_shape = (n, c * fold, oh, iw)
    else:
        slices = _window_rows(oh, ih, rows, kh, sh, dh, layer.pads[0])
        x_shape = src.shape

    def x_view(i: int) -> LT:
        if resident is not None and fold == 1:
            # all rows, even those the window never reaches (a 1x1 stride-2 conv skips the
            # last): the lane rows of channels past the first NPU lie by the whole height
            return resident
        s = slices[i]
        return _rows_view(xs[i % len(xs)], x_shape, s.i1 - s.i0)

    def res_view(i: int) -> LT:
        s = slices[i]
        return _rows_view(res[i % bufs], (n, oc, s.o1 - s.o0, ow), s.o1 - s.o0)

    def load(i: int) -> None:
        if fold > 1:
            x = x_view(i)
            _load_folded(em, src, resident, x, slices[i].o0, fold, sh, dh, layer.pads[0])
        elif resident is None:
            em.load(x_view(i), _row_addr(src, slices[i].i0), _dense(src.shape), Precision.INT8)

    def run(i: int) -> None:
        s = slices[i]
        if acc is None:
            compute(x_view(i), res_view(i), None, s)
        else:
            compute(x_view(i), _rows_view(acc, (n, oc, s.o1 - s.o0, ow), s.o1 - s.o0),
                    res_view(i), s)  # fmt: skip

    def store(i: int) -> None:
        if not kept or io.store:
            em.store(res_view(i), _row_addr(out, slices[i].o0), _dense(out.shape), Precision.INT8)

    _pipeline(em, len(slices), bufs, load, run, store)
    io.kept = res[0] if kept else None


def _load_folded(
    em: _Em, src: Buf, resident: LT | None, x: LT, o0: int, fold: int, sh: int, dh: int, pt: int
) -> None:
    """Result rows o0 .. o0 + h of a conv whose `fold` kernel rows are folded into channels:
    channels ky * c .. ky * c + c - 1 of `x` (n, fold * c, h, w) get, in row j, the input row
    (o0 + j) * sh + ky * dh - pt that kernel row ky reads (one GDMA per ky onto its lanes, from
    DDR or from the `resident` input the previous layer left in local memory); rows outside
    the input are the padding's zeros, written first by the TIU."""
    n, c, ih, iw = src.shape
    rows = x.shape[2]
    spans = []
    for ky in range(fold):
        first = o0 * sh + ky * dh - pt
        lo = max(0, -(first // sh))
        hi = min(rows, (ih - 1 - first) // sh + 1)
        spans.append((ky, first, lo, max(hi, lo)))
    if any(lo > 0 or hi < rows for _, _, lo, hi in spans):
        em.ar(ArEu.MUL, x, Precision.INT8, [(x, Precision.INT8, True), (0, Precision.INT8, True)])
    for ky, first, lo, hi in spans:
        if hi == lo:
            continue
        row = first + lo * sh
        if resident is None:
            reads, addr, strides = [], _row_addr(src, row), (c * ih * iw, ih * iw, sh * iw, 1)
        else:
            rn, rc, _, _ = resident.strides
            reads, addr = [resident.range], chip.LMEM_BASE + resident.addr() + row * iw
            strides = (rn, rc, sh * iw, 1)
        em.prog.add(
            GdmaTensorOp, reads=reads, writes=[x.range], cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True, nchw_copy=True, dtype=Precision.INT8, src_addr=addr,
            src_shape=(n, c, hi - lo, iw), src_stride=strides,
            dst_addr=chip.LMEM_BASE + ky * c * LANE_BYTES + x.addr() + lo * iw,
            dst_shape=(0, 0, 0, 0), dst_stride=x.strides,
        )  # fmt: skip


def _pads(layer: Conv | MaxPool, s: _Rows) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of one slice: the rows outside the input become padding."""
    return (s.pad_top, s.pad_bottom, layer.pads[1], layer.pads[3])


OC_CHUNKS = 2
"""A conv's filter is loaded in up to this many output-channel chunks (whole lane rows)..."""
OC_CHUNK_MIN_BYTES = 64 * 1024
"""... of at least this many bytes each: every GDMA command costs its start-up latency, which
only pays off where the load is long enough to hold up the layer."""


def _oc_chunks(layer: Conv) -> list[tuple[int, int]]:
    """Output channels [c0, c1) of each filter chunk: the conv of chunk k only waits for that
    chunk's load, so a filter still loading when the layer starts (a 512-channel one behind a
    short previous layer) overlaps the computation of the chunks before it. Batch 1 only: a
    channel view of a batch of tensors would need the whole tensor's batch stride."""
    oc = layer.weight.shape[0]
    if type(layer) is not Conv or layer.inputs[0].shape[0] != 1:
        return [(0, oc)]
    rows = _rows(oc)
    chunks = min(OC_CHUNKS, rows, max(1, layer.weight.nbytes // OC_CHUNK_MIN_BYTES))
    per = -(-rows // chunks)
    return [(r * NPU, min((r + per) * NPU, oc)) for r in range(0, rows, per)]


def _chan_view(t: LT, c0: int, c1: int) -> LT:
    """Channels [c0, c1) of a batch-1 local tensor, c0 a multiple of the lane count."""
    return LT(t.off + c0 // NPU * t.cs * t.ebytes, (t.shape[0], c1 - c0, *t.shape[2:]),
              t.ebytes, t.compact)  # fmt: skip


def _coeffs_conv(em: _Em, layer: Conv, arena: Arena, w: dict[str, int]) -> list[LT]:
    oc, ic, kh, kw = _conv_weight(layer).shape
    width = -(-ic // INT8_CUBE) * INT8_CUBE * kh * kw
    filt = arena.alloc((1, oc, 1, width), 1, compact=True)
    words = arena.alloc((1, oc, 1, CHANNEL_WORDS), 4)
    # the small per-channel words first: the first filter chunk is all the conv then waits for
    em.load(words, w["words"], (oc * CHANNEL_WORDS, CHANNEL_WORDS, CHANNEL_WORDS, 1),
            Precision.INT32)  # fmt: skip
    for c0, c1 in _oc_chunks(layer):
        em.load(_chan_view(filt, c0, c1), w["filter"] + c0 * width,
                (oc * width, width, width, 1), Precision.INT8)  # fmt: skip
    return [filt, words]


def _emit_conv(em: _Em, layer: Conv, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs
    out = layer.output
    kh, kw = layer.weight.shape[2:]
    fold = _kh_fold(layer)
    # with folded kernel rows the command sees one kernel row and no vertical stride
    kernel = (1, kw) if fold > 1 else (kh, kw)
    stride = (1, layer.stride[1]) if fold > 1 else layer.stride
    ke_zero = (0 if fold > 1 else layer.dilation[0] - 1, layer.dilation[1] - 1)
    filt, words = em.io.coeffs
    # the padding is the real 0: the input's zero point (its -zp sum(W) is in the bias)
    pad_value = zero_point(src) & 0xFF

    chunks = _oc_chunks(layer)

    def compute(x: LT, acc_all: LT, y_all: LT | None, s: _Rows) -> LT:
        assert y_all is not None
        for c0, c1 in chunks:
            acc, y = _chan_view(acc_all, c0, c1), _chan_view(y_all, c0, c1)
            f = _chan_view(filt, c0, c1)
            r, b = _split_words(words, c0, c1)
            em.prog.add(
                ConvOp, reads=[x.range, f.range], writes=[acc.range], tsk_eu_typ=ConvEu.NORMAL,
                res0_addr=acc.addr(), res0_shape=acc.shape, res0_prec=Precision.INT32,
                opd0_addr=x.addr(), opd0_shape=x.shape[1:], opd0_prec=Precision.INT8,
                opd0_sign=src.signed, opd1_addr=f.addr(), kernel=kernel, opd1_sign=True,
                opd2_addr=0, opd2_const=True, opd3_addr=pad_value, opd3_const=True,
                pad=_pads(layer, s), stride=stride, ke_zero=ke_zero,
            )  # fmt: skip
            em.ar(ArEu.ADDS, acc, Precision.INT32,
                  [(b, Precision.INT32, True), (acc, Precision.INT32, True)],
                  free={0: _bias_stride(words)})  # fmt: skip
            em.rq1(y, acc, True, out.signed, params=r)
            _clamp(em, y, out, layer.relu, layer.limit)
        return y_all

    _emit_windowed(em, layer, arena, (kh, kw), layer.stride, layer.dilation, 4, compute, fold)


def _coeffs_dwconv(em: _Em, layer: DwConv, arena: Arena, w: dict[str, int]) -> list[LT]:
    c, _, kh, kw = layer.weight.shape
    kern = arena.alloc((1, c, kh, kw), 1, compact=True)
    em.load(kern, w["filter"], (c * kh * kw, kh * kw, kw, 1), Precision.INT8)
    bias = arena.alloc((1, c, 1, 1), 4, compact=True)
    em.load(bias, w["bias"], (c, 1, 1, 1), Precision.INT32)
    rq = arena.alloc((1, c, 1, 3), 4)
    em.load(rq, w["rq"], (c * 3, 3, 3, 1), Precision.INT32)
    return [kern, bias, rq]


def _emit_dwconv(em: _Em, layer: DwConv, arena: Arena, w: dict[str, int]) -> None:
    # pord.depthwise accumulates x * kernel + the int32 bias exactly and, with no shift
    # (res1_addr 0) and an int32 result, leaves the accumulator to the per-channel quant.rq1
    (src,) = layer.inputs
    out = layer.output
    kh, kw = layer.weight.shape[2:]
    kern, bias, rq = em.io.coeffs

    def compute(x: LT, acc: LT, y: LT | None, s: _Rows) -> LT:
        assert y is not None
        em.prog.add(
            PordOp, reads=[x.range, kern.range, bias.range], writes=[acc.range],
            tsk_eu_typ=PordEu.DEPTHWISE, res0_addr=acc.addr(), res0_shape=acc.shape,
            res0_prec=Precision.INT32, opd0_addr=x.addr(), opd0_shape=x.shape[2:],
            opd0_prec=Precision.INT8, opd0_sign=src.signed, opd1_addr=kern.addr(),
            opd1_sign=True, opd2_addr=bias.addr(), opd2_sign=True,
            opd3_addr=zero_point(src) & 0xFF, opd3_const=True, kernel=(kh, kw), stride=layer.stride,
            ke_zero=(layer.dilation[0] - 1, layer.dilation[1] - 1), pad=_pads(layer, s),
            round_mode=em.round_mode,
        )  # fmt: skip
        em.rq1(y, acc, True, out.signed, params=rq)
        _clamp(em, y, out, layer.relu, layer.limit)
        return y

    _emit_windowed(em, layer, arena, (kh, kw), layer.stride, layer.dilation, 4, compute)


def _emit_maxpool(em: _Em, layer: MaxPool, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs

    def compute(x: LT, y: LT, _: LT | None, s: _Rows) -> LT:
        em.prog.add(
            PordOp, reads=[x.range], writes=[y.range], tsk_eu_typ=PordEu.MAXPOOLING,
            res0_addr=y.addr(), res0_shape=y.shape, res0_prec=Precision.INT8,
            opd0_addr=x.addr(), opd0_shape=x.shape[2:], opd0_prec=Precision.INT8,
            opd0_sign=src.signed, kernel=layer.kernel, stride=layer.stride,
            pad=_pads(layer, s), opd3_const=True, opd3_addr=0x80 if src.signed else 0,
        )  # fmt: skip
        return y

    _emit_windowed(em, layer, arena, layer.kernel, layer.stride, (1, 1), 1, compute)


def _emit_concat(em: _Em, layer: Concat, arena: Arena, w: dict[str, int]) -> None:
    # the inputs already have the result's type: each is copied, in slices of rows, to its
    # slot of the result
    out = layer.output
    strides = _dense(out.shape)
    offset = 0
    for src in layer.inputs:
        n, c, h, wd = src.shape
        rows = _slice_rows(arena, h, lambda a, r, n=n, c=c, wd=wd: a.alloc((n, c, r, wd), 1))
        x = arena.copy().alloc((n, c, rows, wd), 1)
        base = out.address + offset * strides[layer.axis]
        for r0 in range(0, h, rows):
            xs = _rows_view(x, src.shape, min(rows, h - r0))
            em.load(xs, _row_addr(src, r0), _dense(src.shape), Precision.INT8)
            em.store(xs, base + r0 * strides[2], strides, Precision.INT8)
        offset += src.shape[layer.axis]


def _requant_out(
    em: _Em,
    arena: Arena,
    acc: LT,
    out: Buf,
    rq: LT | None,
    imm: tuple[int, int],
    relu: bool,
    limit: int | None = None,
) -> LT:
    y = arena.alloc(acc.shape, 1)
    em.rq1(y, acc, True, out.signed, params=rq, imm=imm, zp=zero_point(out) if rq is None else 0)
    _clamp(em, y, out, relu, limit)
    return y


def _lut_keys(signed: bool) -> np.ndarray:
    """(256,) int32: the input value whose 8-bit pattern is the entry's index."""
    keys = np.arange(256, dtype=np.int32)
    return np.where(keys >= 128, keys - 256, keys).astype(np.int32) if signed else keys


LUT_CHUNK = 1024
"""Elements looked up per one-hot matrix (256 rows x LUT_CHUNK int8, 4 rows a lane)."""


def _coeffs_lut(em: _Em, layer: Lut, arena: Arena, w: dict[str, int]) -> list[LT]:
    table = arena.alloc((1, 1, 1, 256), 1)
    em.load(table, w["table"], (256, 256, 256, 1), Precision.INT8)
    keys = arena.alloc((1, 256, 1, 1), 4, compact=True)
    em.load(keys, w["keys"], (256, 1, 1, 1), Precision.INT32)
    return [table, keys]


def _emit_lut(em: _Em, layer: Lut, arena: Arena, w: dict[str, int]) -> None:
    # The simulator implements no gather command, so the lookup is a product: the 256 x m
    # one-hot matrix of the inputs (row k is 1 where x == key k) built with AR commands from x
    # read into every row, then table (1 x 256) @ one-hot on mm2.nn gives table[x] exactly.
    (src,) = layer.inputs
    out = layer.output
    total = math.prod(src.shape)
    chunk = min(total, LUT_CHUNK)
    table, keys = em.io.coeffs
    rows = arena.alloc((1, 256, 1, chunk), 1)
    diff = arena.alloc((1, 256, 1, chunk), 4)
    acc = arena.alloc((1, 1, 1, chunk), 4)
    y = arena.alloc((1, 1, 1, chunk), 1)
    for start in range(0, total, chunk):
        m = min(chunk, total - start)
        r = LT(rows.off, (1, 256, 1, m), 1)
        d = LT(diff.off, (1, 256, 1, m), 4)
        a = LT(acc.off, (1, 1, 1, m), 4)
        o = LT(y.off, (1, 1, 1, m), 1)
        em.load(r, src.address + start, (0, 0, 0, 1), Precision.INT8)
        em.ar(ArEu.SUB, d, Precision.INT32,
              [(r, Precision.INT8, src.signed), (keys, Precision.INT32, True)],
              free={1: (0, 1, 0, 0)})  # fmt: skip
        em.ar(ArEu.ABS, d, Precision.INT32, [(d, Precision.INT32, True)])
        em.ar(
            ArEu.MIN, d, Precision.INT32, [(d, Precision.INT32, True), (1, Precision.INT32, True)]
        )
        em.ar(ArEu.SUB, r, Precision.INT8, [(1, Precision.INT8, True), (d, Precision.INT32, True)])
        em.prog.add(
            Mm2Op, reads=[table.range, r.range], writes=[a.range], tsk_eu_typ=Mm2Eu.NN,
            res0_addr=a.addr(), res0_shape=(1, m), res0_prec=Precision.INT32,
            opd0_addr=table.addr(), opd0_prec=Precision.INT8, opd0_sign=out.signed,
            opd1_addr=r.addr(), opd1_shape=(256, m), opd1_sign=True, opd2_addr=0,
            opd2_const=True,
        )  # fmt: skip
        em.ar(ArEu.CAST, o, Precision.INT8, [(a, Precision.INT32, True)], cast_signed=out.signed)
        em.store(o, out.address + start, (m, m, m, 1), Precision.INT8)


def _emit_avgpool(em: _Em, layer: AvgPool, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs
    out = layer.output
    n, c, h, wd = src.shape
    x = em.io.resident.get(0)
    if x is None:
        x = arena.alloc(src.shape, 1)
        em.load(x, src.address, _dense(src.shape), Precision.INT8)
    em.flush_prefetch()
    y = arena.alloc((n, c, 1, 1), 1)
    zp_in, zp_out = zero_point(src), zero_point(out)
    asym = bool(zp_in or zp_out)
    # with zero points: the window sum in int32 (multiplier 1, no shift), N zp_in taken out,
    # then quant.rq1 by the layer's 31-bit multiplier with the result's zero point
    acc = arena.alloc((n, c, 1, 1), 4) if asym else y
    em.prog.add(
        PordOp, reads=[x.range], writes=[acc.range], tsk_eu_typ=PordEu.AVGPOOLING,
        res0_addr=acc.addr(), res0_shape=acc.shape,
        res0_prec=Precision.INT32 if asym else Precision.INT8, opd0_addr=x.addr(),
        opd0_shape=(h, wd), opd0_prec=Precision.INT8, opd0_sign=src.signed, kernel=(h, wd),
        opd1_addr=1 if asym else layer.multiplier, opd1_const=True, opd1_sign=False,
        opd2_addr=0 if asym else layer.shift, opd2_const=True, opd3_addr=0, opd3_const=True,
        round_mode=em.round_mode,
    )  # fmt: skip
    if asym:
        if zp_in:
            em.ar(ArEu.ADD, acc, Precision.INT32,
                  [(acc, Precision.INT32, True), (-h * wd * zp_in, Precision.INT32, True)])  # fmt: skip
        em.rq1(y, acc, True, out.signed, imm=(layer.multiplier, layer.shift), zp=zp_out)
    em.store(y, out.address, _dense(out.shape), Precision.INT8)


def _coeffs_matmul(em: _Em, layer: MatMul, arena: Arena, w: dict[str, int]) -> list[LT]:
    k, nn = layer.weight.shape
    # y^T (N, M) = W^T (N, K) @ x^T (K, M): output columns on lanes, per-channel requant
    left = arena.alloc((1, nn, 1, k), 1)
    em.load(left, w["filter"], (nn * k, k, k, 1), Precision.INT8)
    words = arena.alloc((1, nn, 1, CHANNEL_WORDS), 4)
    em.load(words, w["words"], (nn * CHANNEL_WORDS, CHANNEL_WORDS, CHANNEL_WORDS, 1),
            Precision.INT32)  # fmt: skip
    return [left, words]


def _emit_matmul(em: _Em, layer: MatMul, arena: Arena, w: dict[str, int]) -> None:
    (src,) = layer.inputs
    out = layer.output
    k, nn = layer.weight.shape
    m = math.prod(src.shape) // k
    left, words = em.io.coeffs
    rq, bias = _split_words(words, 0, nn)
    right = arena.alloc((1, k, 1, m), 1)
    em.load(right, src.address, (k * m, 1, 1, k), Precision.INT8)
    em.flush_prefetch()
    acc = arena.alloc((1, nn, 1, m), 4)
    em.prog.add(
        Mm2Op, reads=[left.range, right.range], writes=[acc.range], tsk_eu_typ=Mm2Eu.NN,
        res0_addr=acc.addr(), res0_shape=(nn, m), res0_prec=Precision.INT32,
        opd0_addr=left.addr(), opd0_prec=Precision.INT8, opd0_sign=True,
        opd1_addr=right.addr(), opd1_shape=(k, m), opd1_sign=src.signed, opd2_addr=0,
        opd2_const=True,
    )  # fmt: skip
    em.ar(ArEu.ADDS, acc, Precision.INT32,
          [(bias, Precision.INT32, True), (acc, Precision.INT32, True)],
          free={0: _bias_stride(words)})  # fmt: skip
    y = _requant_out(em, arena, acc, out, rq, (1, 0), layer.relu, layer.limit)
    em.store(y, out.address, (nn * m, 1, 1, nn), Precision.INT8)


def _emit_float(em: _Em, layer: Float, arena: Arena, w: dict[str, int]) -> None:
    # the FP32 code generator's plans, on this net's buffers and coefficients, in this layer's
    # half of local memory; the shared Program orders them against the integer layers
    coeff = {v: w[f"w{j}"] for j, v in enumerate(layer.weights)}

    def addr(v: SSAValue) -> int:
        b = layer.values.get(v)
        return b.address if b is not None else coeff[v]

    fem = fp32.Emitter(em.prog)
    if layer.computes != "f32" and isinstance(layer.op, top.LayerNormOp):
        io = (layer.inputs[0].address, layer.output.address)
        plan = _half_layernorm(
            layer.op, layer.name, lmem.Arena(arena.base, HALF_LANE), io,
            [coeff[v] for v in layer.weights], HALF_PRECISIONS[layer.computes],
        )  # fmt: skip
        plan.prefetch(fem)
        plan.body(fem)
        fem.flush_prefetch()
        return
    for t in layer.tpu_ops:
        lay = lmem.Arena(arena.base, HALF_LANE)
        if layer.computes == "f32":
            plan = _fp32_plan(t, layer.name, lay, addr)
        else:
            plan = _half_plan(t, layer.name, lay, addr, HALF_PRECISIONS[layer.computes])
        plan.prefetch(fem)
        plan.body(fem)
        fem.flush_prefetch()


def _emit_float_cast(em: _Em, layer: FloatCast, arena: Arena, w: dict[str, int]) -> None:
    def dt(kind: str) -> Precision:
        return HALF_PRECISIONS.get(kind, Precision.FP32)

    src, out = layer.inputs[0], layer.output
    plan = fp32.plan_cast(
        layer.name,
        out.shape,
        (src.address, dt(src.kind)),
        (out.address, dt(out.kind)),
        lmem.Arena(arena.base, HALF_LANE),
    )
    fem = fp32.Emitter(em.prog)
    plan.body(fem)
    fem.flush_prefetch()


_EMITTERS: dict[type, Callable[[_Em, Any, Arena, dict[str, int]], None]] = {
    QCast: _emit_qcast,
    DCast: _emit_dcast,
    Requant: _emit_requant,
    Conv: _emit_conv,
    DwConv: _emit_dwconv,
    Concat: _emit_concat,
    Lut: _emit_lut,
    MaxPool: _emit_maxpool,
    AvgPool: _emit_avgpool,
    Add: _emit_add,
    MatMul: _emit_matmul,
    Float: _emit_float,
    FloatCast: _emit_float_cast,
}
"""Command emitter of each layer kind."""

_COEFFS: dict[type, Callable[[_Em, Any, Arena, dict[str, int]], list[LT]]] = {
    Conv: _coeffs_conv,
    DwConv: _coeffs_dwconv,
    Lut: _coeffs_lut,
    MatMul: _coeffs_matmul,
}
"""Coefficient loads of each layer kind that has coefficients (prefetched one layer early)."""

_KEEPS_RESULT = (QCast, Requant, Add, Conv, MaxPool)
"""Layer kinds that can leave their whole result in local memory (DwConv is a Conv)."""

_TAKES_RESIDENT = (Requant, Add, DCast, Conv, MaxPool, AvgPool)
"""Layer kinds that can read an input the previous layer left in local memory."""


@dataclass(frozen=True)
class LowerInt8ToBm1684xPass(ModulePass):
    """Generate BM1684X commands for an INT8 net: quant-level or `lower-to-tpu{mode=int8}` IR
    (see the module docstring)."""

    name = "lower-int8-to-bm1684x"

    net: str | None = None
    """Net name in the bmodel; the function's name by default."""

    store_all: bool = False
    """Also store the results kept in local memory, to compare every layer in DDR."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # one path: quant IR is planned, written as tpu IR and read back, as tpu IR is read
        from nntc.passes.lowering.int8_tpu import is_int8_tpu_ir, through_tpu, tpu_to_int8_net

        try:
            if is_int8_tpu_ir(op):
                net = tpu_to_int8_net(op, self.net)
            else:
                net = through_tpu(plan_int8_net(op, self.net), weight_store_of(op))
        except CannotLower as why:
            raise DiagnosticException(f"lower-int8-to-bm1684x: {why}") from why
        except DiagnosticException as err:
            text = str(err)
            prefix = "" if text.startswith("lower-int8-to-bm1684x") else "lower-int8-to-bm1684x: "
            raise DiagnosticException(prefix + text) from None
        for warning in net.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        fn = next(o for o in op.ops if isinstance(o, func.FuncOp))
        try:
            model = emit_int8_net(net, weight_store_of(op), self.store_all)
        except CannotLower as why:
            raise DiagnosticException(f"lower-int8-to-bm1684x: {why}") from why
        fn.detach()
        fn.erase()
        op.body.block.add_op(model)
