"""The tpu level of the INT8 path: an `Int8Net` written as tpu IR, and tpu IR read back into one.

`lower-to-tpu{mode=int8}` plans the quant-level function into integer layers
(`plan_int8_net`) and writes them with `net_to_tpu`; `lower-int8-to-bm1684x` and `nntc-run`
read such a function back with `tpu_to_int8_net` (the quant IR they are given goes through the
same two steps, `through_tpu`). Each layer is one op located at the layer's name
(`loc("conv1")`), its integers in properties, in the logical layout (the command layout is the
emitter's business):

| layer       | tpu op                                                                        |
|-------------|-------------------------------------------------------------------------------|
| `QCast`     | `tpu.cast` f32 -> 8-bit (the quant type's scale; `scale` for a plain integer)  |
| `DCast`     | `tpu.cast` 8-bit -> f32                                                       |
| `FloatCast` | `tpu.cast` between f32 and f16 / bf16                                          |
| `Requant`   | `tpu.requant` (multiplier_shift, one multiplier and rshift)                   |
| `Conv`      | `tpu.conv2d`, group 1 (`DwConv`: group = channels, one input channel each), a   |
|             | per-channel `multiplier` / `rshift`, int8 filter and int32 bias `top.weight`s  |
| `MaxPool`   | `tpu.maxpool`                                                                 |
| `AvgPool`   | `tpu.avgpool` over the whole plane (global), one multiplier and rshift        |
| `Add`       | `tpu.add` of two inputs, a multiplier per input and one rshift                |
| `MatMul`    | `tpu.matmul` (M, K) x (K, N), per-column multiplier / rshift, int8 / int32    |
|             | weights                                                                       |
| `Concat`    | `tpu.concat` (the axis in the tensors' own rank)                              |
| `Lut`       | `tpu.lut` with its 256-entry table                                            |
| `Float`     | the tpu float ops `lower-to-tpu` lowers its top op to, on f32 / f16 / bf16     |
|             | tensors, each at the layer's location, after the layer's weights              |

Every op that rounds carries the net's rounding mode (`round_mode`, the module's
`quant.round_mode`). A fused clipped ReLU of an integer op is `do_relu` with `relu_limit` in
the result's stored units (the integer the result is clamped at). Integer tensors keep the
`!quant.uniform` types of the quant IR (their scales are what `--dequantize` applies); int8
filters and int32 biases are stored integers, `!quant.uniform<i8:f32, 1.0>` and
`<i32:f32, 1.0>` (their scales are folded into the multipliers), each in a new weight-store
entry named after its layer (`conv1.filter`, `conv1.bias`, `sig.table`). Asymmetric
activations keep their zero points in their types; the ops mean what the chip computes on
the stored values (a conv or matmul bias holds `-zp_in * sum(W)`, padding is `zp_in`, an
average pool's multiplier is quant.rq1's 31-bit one when a zero point is involved: see
`passes/lowering/int8.py`).

A tensor that another one reinterprets (a reshape, `top.input`, the same bytes under another
shape or name) is a `tpu.reshape` at the location of the op that made it, so that reading back
gives the same buffers (a view no op made, such as a 16-bit layer's input as its float cast
writes it, is at `<buffer>.view`); no two views share a location, and none takes the location
of a float layer next to it (in a row, they would read back as one float layer of reshapes,
`_starts`). A float layer is the run of float ops (not casts) that share one
location; the weights before them that only they use, and the unused weights at their location
(a lowering that replaced an operand by a new weight), are its coefficients, in IR order. A
16-bit float layer's weights keep their f32 values in the store (read back, they are converted
to the layer's type and command layout as the planner converts them), except an inline value,
which moves to the store (an inline literal has the op's type). A float
layer whose commands need its top op (a 16-bit layernorm, one fused plan) stays that top op.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    BFloat16Type,
    DictionaryAttr,
    Float16Type,
    Float32Type,
    IntegerType,
    ModuleOp,
    NameLoc,
    NoneAttr,
    Signedness,
    StringAttr,
    TensorType,
    bf16,
    f16,
    f32,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top, tpu
from nntc.dialects.quant import ROUND_MODE_ATTR, QuantizedType, UniformQuantType
from nntc.passes.lower_to_tpu import location_of
from nntc.passes.lowering import int8, lmem
from nntc.passes.lowering.int8 import (
    HALF_LANE,
    HALF_PRECISIONS,
    ROUND_MODE_NUMBERS,
    Add,
    AvgPool,
    Buf,
    CannotLower,
    Concat,
    Conv,
    DCast,
    DwConv,
    Float,
    FloatCast,
    Int8Net,
    Layer,
    Lut,
    MatMul,
    MaxPool,
    QCast,
    Requant,
)
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

__all__ = [
    "is_int8_tpu_ir",
    "lower_quant_to_tpu",
    "net_to_tpu",
    "through_tpu",
    "tpu_entries",
    "tpu_to_int8_net",
]

FLOAT_ELEMENTS: dict[str, Attribute] = {"f32": f32, "f16": f16, "bf16": bf16}
"""Buffer kinds of float tensors -> their element types."""

ROUND_MODE_NAMES = {number: name for name, number in ROUND_MODE_NUMBERS.items()}

FloatEvaluator = Callable[[Operation, Sequence[np.ndarray]], list[np.ndarray]]


def _storage(signed: bool, width: int = 8) -> IntegerType:
    return IntegerType(width, Signedness.SIGNED if signed else Signedness.UNSIGNED)


STORED_I8 = UniformQuantType(_storage(True), f32, 1.0)
"""Element type of int8 filters: stored integers (their scales live in the multipliers)."""
STORED_I32 = UniformQuantType(_storage(True, 32), f32, 1.0)
"""Element type of int32 biases."""


def _loc(op: Operation, label: str) -> Operation:
    op.location = NameLoc(StringAttr(label), NoneAttr())
    return op


def _float_kind(el: Attribute) -> str | None:
    if isinstance(el, Float32Type):
        return "f32"
    if isinstance(el, Float16Type):
        return "f16"
    if isinstance(el, BFloat16Type):
        return "bf16"
    return None


def _retyped(ty: Attribute, kind: str) -> Attribute:
    """`ty` with a float element type replaced by `kind`'s (integer tensors stay)."""
    assert isinstance(ty, TensorType)
    if _float_kind(ty.get_element_type()) is None:
        return ty
    return TensorType(FLOAT_ELEMENTS[kind], ty.get_shape())


def _hint(name: str) -> str | None:
    """`name` as an SSA name (characters outside [A-Za-z0-9_$.-] become _), for readable IR."""
    hint = re.sub(r"[^A-Za-z0-9_$.\-]", "_", name)
    return hint if SSAValue.is_valid_name(hint) else None


def _keeps_top_op(layer: Float) -> bool:
    """A float layer whose commands are planned from its top op, not its tpu ops."""
    return layer.computes != "f32" and isinstance(layer.op, top.LayerNormOp)


# =============================================================================================
# Int8Net -> tpu IR
# =============================================================================================


@dataclass
class _Writer:
    """Writes the layers of one net into a block, one op (a float layer: its ops) each."""

    net: Int8Net
    store: WeightStore
    block: Block
    values: dict[int, SSAValue] = field(default_factory=dict)
    """The tpu value of each buffer written so far, by `id` of the buffer."""
    last_float: str | None = None
    """The name of the float layer just written, and `current_float` of the one being written:
    an alias next to a float layer must not take its location, which would join it to the
    layer when read back."""
    current_float: str | None = None
    view_labels: set[str] = field(default_factory=set)
    """The locations of the views written so far: two views in a row at one location would
    read back as a float layer of reshapes (`_starts`), as the views of two inputs of a 16-bit
    layer converted by two casts of one name (`add.f16`) did."""

    @property
    def round_mode(self) -> tpu.RoundMode:
        return tpu.RoundMode(ROUND_MODE_NAMES[self.net.round_mode])

    def add(self, op: Operation, label: str) -> Operation:
        self.block.add_op(_loc(op, label))
        return op

    def type_of(self, b: Buf) -> TensorType:
        dims = b.dims or b.shape
        if b.kind in FLOAT_ELEMENTS:
            return TensorType(FLOAT_ELEMENTS[b.kind], dims)
        if b.kind not in ("i8", "u8"):
            raise CannotLower(f"no tpu type for a buffer of kind {b.kind}")
        if b.qtype is not None:
            return TensorType(b.qtype, dims)
        return TensorType(_storage(b.kind == "i8"), dims)

    def get(self, b: Buf) -> SSAValue:
        """The value holding buffer `b`: an alias is a `tpu.reshape` of its root's value."""
        if id(b) in self.values:
            return self.values[id(b)]
        if b.root is None:
            raise CannotLower(f"buffer '{b.name}' is read before any layer writes it")
        near = (self.last_float, self.current_float)
        label = b.label if b.label and b.label not in near else f"{b.name}.view"
        base, count = label, 0
        while label in self.view_labels or label in near:
            count += 1
            label = f"{base}.{count}"
        self.view_labels.add(label)
        view = self.add(tpu.ReshapeOp(self.get(b.root), self.type_of(b)), label)
        self.values[id(b)] = view.results[0]
        return view.results[0]

    def result(self, layer: Layer, op: Operation) -> None:
        self.add(op, layer.name)
        self.values[id(layer.output)] = op.results[0]
        op.results[0].name_hint = _hint(layer.name)
        self.last_float = None

    def weight(self, layer: Layer, suffix: str, array: np.ndarray, el: Attribute) -> SSAValue:
        name = self.store.unique_name(f"{layer.name}.{suffix}")
        self.store[name] = array
        op = self.add(top.WeightOp(name, TensorType(el, array.shape)), layer.name)
        return op.results[0]

    def relu(self, layer: Conv | Add | MatMul) -> dict[str, bool | float | None]:
        if layer.limit is not None and not layer.relu:
            raise CannotLower("a clamp of the result without a ReLU has no tpu form")
        return {
            "do_relu": layer.relu,
            "relu_limit": None if layer.limit is None else float(layer.limit),
        }

    def write(self, layer: Layer) -> None:
        x = [self.get(b) for b in layer.inputs] if not isinstance(layer, Float) else []
        out = self.type_of(layer.output)
        rm = self.round_mode
        op: Operation
        if isinstance(layer, QCast):
            el = out.get_element_type()
            scale = None if isinstance(el, QuantizedType) else 1.0 / layer.inv_scale
            op = tpu.CastOp(x[0], out, scale=scale, round_mode=rm)
        elif isinstance(layer, DCast):
            el = cast(TensorType, x[0].type).get_element_type()
            scale = None if isinstance(el, QuantizedType) else layer.scale
            op = tpu.CastOp(x[0], out, scale=scale, round_mode=rm)
        elif isinstance(layer, FloatCast):
            op = tpu.CastOp(x[0], out, round_mode=rm)
        elif isinstance(layer, Requant):
            op = tpu.RequantOp(
                x[0], out, multiplier=[layer.multiplier], rshift=[layer.shift], round_mode=rm
            )
        elif isinstance(layer, Conv):
            w = self.weight(layer, "filter", layer.weight.astype(np.int8), STORED_I8)
            bias = self.weight(layer, "bias", layer.bias.astype(np.int32), STORED_I32)
            op = tpu.Conv2dOp(
                x[0], w, bias, out, strides=layer.stride, pads=layer.pads,
                dilations=layer.dilation,
                group=layer.weight.shape[0] if isinstance(layer, DwConv) else 1,
                multiplier=[int(m) for m in layer.multipliers],
                rshift=[int(s) for s in layer.shifts], round_mode=rm, **self.relu(layer),
            )  # fmt: skip
        elif isinstance(layer, MaxPool):
            op = tpu.MaxPoolOp(
                x[0], out, kernel_shape=layer.kernel, strides=layer.stride, pads=layer.pads
            )
        elif isinstance(layer, AvgPool):
            _, _, h, w_ = layer.inputs[0].shape
            op = tpu.AvgPoolOp(
                x[0], out, kernel_shape=(h, w_), multiplier=[layer.multiplier],
                rshift=[layer.shift], round_mode=rm,
            )  # fmt: skip
        elif isinstance(layer, Add):
            op = tpu.AddOp(
                x, out, multiplier=list(layer.multipliers), rshift=[layer.shift], round_mode=rm,
                **self.relu(layer),
            )  # fmt: skip
        elif isinstance(layer, MatMul):
            w = self.weight(layer, "weight", layer.weight.astype(np.int8), STORED_I8)
            bias = self.weight(layer, "bias", layer.bias.astype(np.int32), STORED_I32)
            op = tpu.MatMulOp(
                x[0], w, bias, out, multiplier=[int(m) for m in layer.multipliers],
                rshift=[int(s) for s in layer.shifts], round_mode=rm, **self.relu(layer),
            )  # fmt: skip
        elif isinstance(layer, Concat):
            axis = layer.axis - (4 - out.get_num_dims())
            op = tpu.ConcatOp(x, out, axis)
        elif isinstance(layer, Lut):
            el = out.get_element_type()
            table_el = el if isinstance(el, UniformQuantType) else STORED_I8
            if not isinstance(el, UniformQuantType) and not layer.output.signed:
                table_el = UniformQuantType(_storage(False), f32, 1.0)
            table = self.weight(layer, "table", layer.table, table_el)
            op = tpu.LutOp(x[0], table, out)
        elif isinstance(layer, Float):
            self.write_float(layer)
            return
        else:
            raise CannotLower(f"no tpu op for a {type(layer).__name__} layer")
        self.result(layer, op)

    def write_float(self, layer: Float) -> None:
        if _keeps_top_op(layer):
            self.write_top(layer)
            return
        kind = layer.computes
        mapping: dict[SSAValue, SSAValue] = {}
        users = {w: t for t in layer.tpu_ops for w in t.operands if w in layer.weights}
        for w in layer.weights:
            user = users.get(w)
            wt = cast(TensorType, w.type)
            # a 16-bit conv.normal adds an f32 bias (`int8._half_weight`)
            f32_bias = (
                isinstance(user, tpu.Conv2dOp) and not int8._depthwise(user) and w is user.bias
            )
            if user is not None and not f32_bias:
                wt = cast(TensorType, _retyped(wt, kind))
            mapping[w] = self.add(self.weight_copy(w, wt, layer), layer.name).results[0]
        self.current_float = layer.name
        for arg, b in layer.values.items():
            if isinstance(arg, BlockArgument):  # an activation (the rest: the ops' results)
                mapping[arg] = self.get(b)
        self.current_float = None
        for t in layer.tpu_ops:
            clone = type(t).create(
                operands=[mapping[v] for v in t.operands],
                result_types=[_retyped(r.type, kind) for r in t.results],
                properties=dict(t.properties),
                attributes=dict(t.attributes),
            )
            self.add(clone, layer.name)
            mapping.update(zip(t.results, clone.results, strict=True))
        last = mapping[layer.tpu_ops[-1].results[0]]
        last.name_hint = _hint(layer.name)
        self.values[id(layer.output)] = last
        self.last_float = layer.name

    def weight_copy(self, w: SSAValue, ty: TensorType, layer: Layer) -> Operation:
        """A `top.weight` of `ty` holding the f32 values of weight `w` (an inline value under
        another type moves to the store: the inline literal's type is the op's)."""
        owner = w.owner
        assert isinstance(owner, top.WeightOp)
        props = dict(owner.properties)
        if "value" in props and ty != owner.output.type:
            name = self.store.unique_name(f"{layer.name}.{owner.weight_name.data}")
            self.store[name] = np.asarray(weight_value(owner, self.store), np.float32)
            props = {"weight_name": StringAttr(name)}
        return top.WeightOp.create(properties=props, result_types=[ty])

    def write_top(self, layer: Float) -> None:
        op = layer.op
        assert op is not None
        activations = iter(layer.inputs)
        operands: list[SSAValue] = []
        for v, a in zip(op.operands, layer.args, strict=True):
            if a is None:
                operands.append(self.get(next(activations)))
            else:
                owner = v.owner
                assert isinstance(owner, top.WeightOp)
                ty = cast(TensorType, v.type)
                operands.append(self.add(self.weight_copy(v, ty, layer), layer.name).results[0])
        clone = type(op).create(
            operands=operands,
            result_types=list(op.result_types),
            properties=dict(op.properties),
            attributes=dict(op.attributes),
        )
        self.result(layer, clone)
        self.last_float = layer.name


def net_to_tpu(net: Int8Net, store: WeightStore) -> func.FuncOp:
    """The tpu function of `net` (named after it); new weights go into `store`. Raises
    CannotLower for a layer without a tpu form."""
    arg_types = [TensorType(f32, b.io_shape) for _, b in net.inputs]
    block = Block(arg_types=arg_types)
    writer = _Writer(net, store, block)
    for (name, b), arg in zip(net.inputs, block.args, strict=True):
        writer.values[id(b)] = arg
        arg.name_hint = _hint(name)
    for layer in net.layers:
        try:
            writer.write(layer)
        except CannotLower as why:
            raise CannotLower(
                f'{type(layer).__name__} layer at loc("{layer.name}"): {why}'
            ) from why
    results = [writer.get(b) for _, b in net.outputs]
    block.add_op(func.ReturnOp(*results))

    def names(pairs: list[tuple[str, Buf]]) -> ArrayAttr[DictionaryAttr]:
        return ArrayAttr([DictionaryAttr({"onnx.name": StringAttr(n)}) for n, _ in pairs])

    return func.FuncOp(
        net.name,
        (arg_types, [TensorType(f32, b.io_shape) for _, b in net.outputs]),
        Region(block),
        arg_attrs=names(net.inputs),
        res_attrs=names(net.outputs),
    )


def lower_quant_to_tpu(module: ModuleOp) -> list[str]:
    """`lower-to-tpu{mode=int8}`: the module's quant-level function replaced by its tpu form.
    Returns the planner's warnings; raises DiagnosticException."""
    funcs = [o for o in module.ops if isinstance(o, func.FuncOp)]
    if len(funcs) != 1:
        raise DiagnosticException(
            f"lower-to-tpu{{mode=int8}}: expected one func.func (the net), got {len(funcs)}"
        )
    if not _has_quant_types(funcs[0]):
        raise DiagnosticException(
            "lower-to-tpu{mode=int8}: the function holds no quantized tensor; "
            "run quantize first (mode=f32 lowers float IR)"
        )
    try:
        net = int8.plan_int8_net(module)
    except DiagnosticException as err:
        raise DiagnosticException(
            str(err).replace("lower-int8-to-bm1684x:", "lower-to-tpu{mode=int8}:", 1)
        ) from None
    try:
        fn = net_to_tpu(net, weight_store_of(module))
    except CannotLower as why:
        raise DiagnosticException(f"lower-to-tpu{{mode=int8}}: {why}") from why
    old = funcs[0]
    module.body.block.insert_op_before(fn, old)
    old.detach()
    old.erase()
    return net.warnings


def _has_quant_types(fn: func.FuncOp) -> bool:
    for op in fn.walk():
        for v in op.results:
            if isinstance(v.type, TensorType) and isinstance(
                v.type.get_element_type(), QuantizedType
            ):
                return True
    return False


class _OverlayStore(WeightStore):
    """A store that writes to itself and reads what it lacks from `base` (the weights a
    scratch tpu function adds stay out of the module's store)."""

    def __init__(self, base: WeightStore) -> None:
        super().__init__()
        self.base = base

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self.base

    def __getitem__(self, name: str) -> np.ndarray:
        return super().__getitem__(name) if super().__contains__(name) else self.base[name]


def through_tpu(net: Int8Net, store: WeightStore) -> Int8Net:
    """`net` written as tpu IR and read back (what `lower-int8-to-bm1684x` emits from quant IR:
    the same path as from tpu IR), with the planner's warnings."""
    scratch = _OverlayStore(store)
    fn = net_to_tpu(net, scratch)
    module = ModuleOp([fn])
    module.attributes[ROUND_MODE_ATTR] = StringAttr(ROUND_MODE_NAMES[net.round_mode])
    module.verify()
    back = _read(module, scratch, net.name)[0]
    return dataclasses.replace(back, warnings=list(net.warnings))


# =============================================================================================
# tpu IR -> Int8Net
# =============================================================================================


def is_int8_tpu_ir(module: ModuleOp) -> bool:
    """Whether the module's function is INT8 tpu IR: tpu ops, one of them on integer tensors."""
    for op in module.walk():
        if op.dialect_name() == "tpu":
            if any(
                isinstance(v.type, TensorType) and tpu.is_integer(v.type.get_element_type())
                for v in (*op.operands, *op.results)
            ):
                return True
    return False


def tpu_to_int8_net(
    module: ModuleOp, name: str | None = None, evaluate: FloatEvaluator | None = None
) -> Int8Net:
    """The integer layers of the module's INT8 tpu function (raises DiagnosticException listing
    every op that does not read back). `evaluate`, a reference of float tpu ops, becomes the
    reference of the float layers (`Float.evaluate`)."""
    return _read(module, weight_store_of(module), name, evaluate)[0]


Entry = tuple[str, str, tuple[int, ...], float | None]
"""(location, op name at the quant level, IR shape, result scale) of an op that `nntc-run
--dump-all` keys a layer by."""


def tpu_entries(module: ModuleOp) -> list[Entry]:
    """The ops of the tpu function that stand for quant-level ops, as `nntc-run` lists the ops
    of quant IR: one per layer (a float layer: its last op; float casts have none, as at the
    quant level) and one per reshape; each op named as its quant-level counterpart."""
    return _read(module, weight_store_of(module), None)[1]


QUANT_NAMES: dict[type[Operation], str] = {
    tpu.Conv2dOp: "top.conv",
    tpu.MatMulOp: "top.matmul",
    tpu.AddOp: "top.add",
    tpu.MaxPoolOp: "top.maxpool",
    tpu.AvgPoolOp: "top.global_avgpool",
    tpu.ConcatOp: "top.concat",
    tpu.ReshapeOp: "top.reshape",
    tpu.RequantOp: "quant.requant",
    tpu.LutOp: "quant.lut",
}


def _entry(op: Operation, label: str) -> Entry:
    ty = op.results[0].type
    assert isinstance(ty, TensorType)
    el = ty.get_element_type()
    name = QUANT_NAMES.get(type(op), op.name)
    if isinstance(op, tpu.CastOp):
        name = "quant.qcast" if isinstance(el, QuantizedType) else "quant.dcast"
    scale = float(el.scale) if isinstance(el, UniformQuantType) else None
    return (label, name, tuple(ty.get_shape()), scale)


def _is_float_op(op: Operation) -> bool:
    """An op of a float layer: a tpu (or top) op, not a cast, on float tensors only."""
    if isinstance(op, tpu.CastOp | top.WeightOp) or op.dialect_name() not in ("tpu", "top"):
        return False
    types = [v.type for v in (*op.operands, *op.results)]
    return bool(op.results) and all(
        isinstance(t, TensorType) and _float_kind(t.get_element_type()) is not None for t in types
    )


@dataclass
class _Reader:
    store: WeightStore
    round_mode: str
    evaluate: FloatEvaluator | None
    bufs: dict[SSAValue, Buf] = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    weights: list[top.WeightOp] = field(default_factory=list)
    """Weight ops not claimed by a float layer yet, in IR order."""

    def buf(self, value: SSAValue, label: str, kind: str) -> Buf:
        ty = value.type
        assert isinstance(ty, TensorType)
        el = ty.get_element_type()
        b = Buf(
            label, int8._shape4(ty), kind, dims=tuple(ty.get_shape()),
            qtype=None if _float_kind(el) is not None else el,
        )  # fmt: skip
        self.bufs[value] = b
        return b

    def input(self, value: SSAValue) -> Buf:
        if value not in self.bufs:
            raise CannotLower("an operand that no earlier layer writes (a weight?)")
        return self.bufs[value]

    def kind(self, value: SSAValue) -> str:
        ty = value.type
        assert isinstance(ty, TensorType)
        el = ty.get_element_type()
        fk = _float_kind(el)
        if fk is not None:
            return fk
        st = tpu.storage_type(el)
        if isinstance(el, QuantizedType) and not isinstance(el, UniformQuantType):
            raise CannotLower(f"expected a per-tensor type for an activation, got {ty}")
        if not (isinstance(st, IntegerType) and st.width.data == 8):
            raise CannotLower(f"expected an 8-bit integer or float tensor, got {ty}")
        return "u8" if st.signedness.data == Signedness.UNSIGNED else "i8"

    def check_round_mode(self, op: Operation) -> None:
        attr = op.properties.get("round_mode")
        if isinstance(attr, tpu.RoundModeAttr) and attr.data.value != self.round_mode:
            raise CannotLower(
                f"round_mode {attr.data.value} differs from the net's {self.round_mode} "
                f"(the module's {ROUND_MODE_ATTR})"
            )

    def int_weight(
        self, value: SSAValue | None, dtype: type, what: str, any_zp: bool = False
    ) -> np.ndarray | None:
        """The stored integers of a weight operand; `any_zp`: its type may have a zero point
        (a table holds stored results, in the result's type)."""
        if value is None:
            return None
        owner = value.owner
        if not isinstance(owner, top.WeightOp):
            raise CannotLower(f"expected the {what} to be a top.weight")
        el = cast(TensorType, value.type).get_element_type()
        if isinstance(el, QuantizedType) and not (
            isinstance(el, UniformQuantType) and (any_zp or el.zero_point == 0)
        ):
            raise CannotLower(f"expected the {what} to hold stored integers, got {value.type}")
        return np.asarray(weight_value(owner, self.store)).astype(dtype)

    def rescale(self, op: tpu._RescaleOp, count: int) -> tuple[np.ndarray, np.ndarray]:
        mults = np.array(tpu._ints(op.multiplier), np.int64)
        shifts = np.array(tpu._ints(op.rshift), np.int64)
        if op.multiplier is None or op.rshift is None:
            raise CannotLower("an integer op needs 'multiplier' and 'rshift'")
        if len(mults) == 1:
            mults = np.repeat(mults, count)
        if len(shifts) == 1:
            shifts = np.repeat(shifts, count)
        return mults, shifts

    def relu(self, op: tpu._ReluFusableOp) -> tuple[bool, int | None]:
        limit = op.relu_limit
        if limit is None:
            return bool(op.do_relu.value.data), None
        value = limit.value.data
        if value != int(value):
            raise CannotLower(
                f"relu_limit {value} of an integer op must be a stored value (an integer)"
            )
        return bool(op.do_relu.value.data), int(value)

    def read(self, op: Operation, label: str) -> Layer | None:
        """The layer of one op (None for a reshape, which makes an alias)."""
        self.check_round_mode(op)
        if isinstance(op, tpu.ReshapeOp):
            src = self.input(op.input)
            root = src.root or src
            b = self.buf(op.output, root.name, root.kind)
            b.name, b.root, b.label = root.name, root, label
            return None
        if not op.results:
            raise CannotLower("an op without a result")
        out = op.results[0]
        kind = self.kind(out)
        x = [self.input(v) for v in op.operands if not isinstance(v.owner, top.WeightOp)]
        if isinstance(op, tpu.CastOp):
            src_kind = x[0].kind
            scale = None if op.scale is None else op.scale.value.data
            if src_kind in FLOAT_ELEMENTS and kind in FLOAT_ELEMENTS:
                return FloatCast(label, x, self.buf(out, label, kind))
            if src_kind == "f32" and kind in ("i8", "u8"):
                el = cast(TensorType, out.type).get_element_type()
                inv = 1.0 / float(el.scale) if isinstance(el, UniformQuantType) else None
                inv = 1.0 / scale if scale is not None else inv
                if inv is None:
                    raise CannotLower("a cast to a plain integer type needs 'scale'")
                return QCast(label, x, self.buf(out, label, kind), inv_scale=inv)
            if src_kind in ("i8", "u8") and kind == "f32":
                el = cast(TensorType, op.input.type).get_element_type()
                s = float(el.scale) if isinstance(el, UniformQuantType) else scale
                if s is None:
                    raise CannotLower("a cast from a plain integer type needs 'scale'")
                return DCast(label, x, self.buf(out, label, kind), scale=s)
            raise CannotLower(f"no INT8 layer casts {src_kind} to {kind}")
        if kind not in ("i8", "u8"):
            raise CannotLower("expected an 8-bit integer result")
        for i, b in enumerate(x):
            if b.kind not in ("i8", "u8"):
                raise CannotLower(f"operand {i} is {b.kind}, expected an 8-bit integer tensor")
        if isinstance(op, tpu.RequantOp):
            if op.quant_mode.data != tpu.RequantMode.MULTIPLIER_SHIFT:
                raise CannotLower(f"quant_mode {op.quant_mode.data} (INT8 takes multiplier_shift)")
            if op.do_relu.value.data:
                raise CannotLower("a requant with a fused ReLU is not supported")
            m, s = self.rescale(op, 1)
            if len(set(m.tolist())) != 1 or len(set(s.tolist())) != 1:
                raise CannotLower("INT8 requant takes one multiplier and rshift (per tensor)")
            return Requant(
                label, x, self.buf(out, label, kind), multiplier=int(m[0]), shift=int(s[0])
            )
        if isinstance(op, tpu.Conv2dOp):
            return self.conv(op, label, x, self.buf(out, label, kind))
        if isinstance(op, tpu.MaxPoolOp):
            if op.do_relu.value.data:
                raise CannotLower("a max pool with a fused ReLU is not supported yet")
            out_b = self.buf(out, label, kind)
            if int8.zero_point(out_b) != int8.zero_point(x[0]):
                raise CannotLower("INT8 max pooling keeps its input's zero point")
            return MaxPool(
                label, x, out_b,
                kernel=cast(tuple[int, int], tpu._ints(op.kernel_shape)),
                stride=cast(tuple[int, int], tpu._ints(op.strides)),
                pads=cast(tuple[int, int, int, int], tpu._ints(op.pads)),
            )  # fmt: skip
        if isinstance(op, tpu.AvgPoolOp):
            _, _, h, w = x[0].shape
            if tpu._ints(op.kernel_shape) != (h, w) or any(tpu._ints(op.pads)):
                raise CannotLower("INT8 average pooling is global: a window of the whole plane")
            if op.do_relu.value.data:
                raise CannotLower("an average pool with a fused ReLU is not supported")
            if x[0].kind != kind:
                raise CannotLower("the average pool's result must have its input's signedness")
            m, s = self.rescale(op, 1)
            return AvgPool(
                label, x, self.buf(out, label, kind), multiplier=int(m[0]), shift=int(s[0])
            )
        if isinstance(op, tpu.AddOp):
            if len(x) != 2 or x[0].shape != x[1].shape:
                raise CannotLower("INT8 add takes two inputs of one shape")
            m, s = self.rescale(op, 2)
            if len(tpu._ints(op.rshift)) != 1:
                raise CannotLower("INT8 add takes one rshift")
            relu, limit = self.relu(op)
            return Add(
                label, x, self.buf(out, label, kind),
                multipliers=(int(m[0]), int(m[1])), shift=int(s[0]), relu=relu, limit=limit,
            )  # fmt: skip
        if isinstance(op, tpu.MatMulOp):
            rt = cast(TensorType, op.right.type)
            if len(x[0].dims) != 2 or rt.get_num_dims() != 2:
                raise CannotLower("only (M, K) x (K, N) matmuls are supported yet")
            k, n = rt.get_shape()
            w = self.int_weight(op.right, np.int8, "right operand")
            bias = self.int_weight(op.bias, np.int32, "bias")
            m, s = self.rescale(op, n)
            relu, limit = self.relu(op)
            return MatMul(
                label, x, self.buf(out, label, kind), weight=cast(np.ndarray, w).reshape(k, n),
                bias=np.zeros(n, np.int32) if bias is None else bias.reshape(n),
                multipliers=m, shifts=s, relu=relu, limit=limit,
            )  # fmt: skip
        if isinstance(op, tpu.ConcatOp):
            out_b = self.buf(out, label, kind)
            zp = int8.zero_point(out_b)
            if any(b.kind != kind or int8.zero_point(b) != zp for b in x):
                raise CannotLower("every input of the concat must have the result's type")
            rank = len(out_b.dims)
            return Concat(label, x, out_b, axis=op.axis.value.data + 4 - rank)
        if isinstance(op, tpu.LutOp):
            table = self.int_weight(op.table, np.int64, "table", any_zp=True)
            dtype = np.int8 if kind == "i8" else np.uint8
            return Lut(
                label, x, self.buf(out, label, kind), table=cast(np.ndarray, table).astype(dtype)
            )
        raise CannotLower("no INT8 layer for this op")

    def conv(self, op: tpu.Conv2dOp, label: str, x: list[Buf], out: Buf) -> Conv:
        group = op.group.value.data
        oc, fic = int8._shape4(op.filter.type)[:2]
        ic = x[0].shape[1]
        depthwise = group == ic and group == oc and fic == 1
        if group != 1 and not depthwise:
            raise CannotLower(
                f"grouped conv (group {group}) is not supported, only group 1 and depthwise"
            )
        w = self.int_weight(op.filter, np.int8, "filter")
        bias = self.int_weight(op.bias, np.int32, "bias")
        m, s = self.rescale(op, oc)
        relu, limit = self.relu(op)
        return (DwConv if depthwise else Conv)(
            label, x, out, weight=w, bias=np.zeros(oc, np.int32) if bias is None else bias,  # type: ignore[arg-type]
            multipliers=m, shifts=s,
            stride=cast(tuple[int, int], tpu._ints(op.strides)),
            dilation=cast(tuple[int, int], tpu._ints(op.dilations)),
            pads=cast(tuple[int, int, int, int], tpu._ints(op.pads)), relu=relu, limit=limit,
        )  # fmt: skip

    def float_layer(self, label: str, ops: list[Operation]) -> list[Layer]:
        """One float layer from its ops (tpu float ops, or the top op it kept)."""
        inside = {r for t in ops for r in t.results}
        used = {v for t in ops for v in t.operands}
        mine = [
            w
            for w in self.weights
            if w.output in used or (not w.output.uses and location_of(w) == label)
        ]
        if any(u.operation not in ops for w in mine for u in w.output.uses):
            raise CannotLower("a weight of a float layer is used by another layer too")
        self.weights = [w for w in self.weights if w not in mine]
        if len(ops) == 1 and ops[0].dialect_name() == "top":
            # the top op (whose plan the commands need) is planned as the quant level plans it
            layers = int8._plan_float(ops[0], label, self.store, self.bufs)
            for layer in layers:
                if isinstance(layer, Float):
                    layer.precision = layer.computes
            return layers
        block = Block()
        mapping: dict[SSAValue, SSAValue] = {}
        values: dict[SSAValue, Buf] = {}
        arrays: dict[SSAValue, np.ndarray] = {}
        inputs: list[Buf] = []
        for w in mine:
            copy = top.WeightOp.create(
                properties=dict(w.properties), result_types=[_retyped(w.output.type, "f32")]
            )
            block.add_op(copy)
            mapping[w.output] = copy.output
            arrays[copy.output] = np.asarray(weight_value(w, self.store), np.float32)
        computing: list[Operation] = []
        for t in ops:
            operands = []
            for v in t.operands:
                if v not in mapping:
                    if v in inside:
                        raise CannotLower("an operand defined after its use")
                    b = self.input(v)
                    if b.kind not in FLOAT_ELEMENTS:
                        raise CannotLower(
                            f"a float op reads a {b.kind} tensor (a tpu.cast converts it)"
                        )
                    arg = block.insert_arg(_retyped(v.type, "f32"), len(block.args))
                    mapping[v], values[arg] = arg, b
                    inputs.append(b)
                operands.append(mapping[v])
            clone = type(t).create(
                operands=operands,
                result_types=[_retyped(r.type, "f32") for r in t.results],
                properties=dict(t.properties),
                attributes=dict(t.attributes),
            )
            block.add_op(clone)
            computing.append(clone)
            mapping.update(zip(t.results, clone.results, strict=True))
        result = ops[-1].results[0]
        kinds = {
            _float_kind(cast(TensorType, r.type).get_element_type()) for t in ops for r in t.results
        }
        if len(kinds) != 1:
            raise CannotLower(f"the ops of one float layer compute in {sorted(map(str, kinds))}")
        computes = cast(str, kinds.pop())
        for t in computing:
            if computes == "f32":
                int8._fp32_plan(t, label, lmem.Arena(0, HALF_LANE), int8._STAND_IN)
            else:
                int8._half_plan(
                    t, label, lmem.Arena(0, HALF_LANE), int8._STAND_IN, HALF_PRECISIONS[computes]
                )
        out = self.buf(result, label, computes)
        scratch = int8._float_results(label, computing, out, computes, values)
        weights = arrays
        if computes != "f32":
            users = {w: t for t in computing for w in t.operands if w in arrays}
            weights = {
                w: int8._half_weight(users[w], w, a, computes) if w in users else a
                for w, a in arrays.items()
            }
        layer = Float(
            label, inputs, out, tpu_ops=computing, values=values, weights=weights,
            scratch=scratch, precision=computes, computes=computes,
        )  # fmt: skip
        if self.evaluate is not None:
            layer.evaluate = _evaluator(self.evaluate, computing, list(block.args), arrays)
        return [layer]


def _evaluator(
    evaluate: FloatEvaluator,
    computing: list[Operation],
    args: list[BlockArgument],
    arrays: dict[SSAValue, np.ndarray],
) -> Callable[[list[np.ndarray]], np.ndarray]:
    """The reference of a float layer: its ops run one by one by `evaluate`, on its inputs
    (`args`, in the order of the layer's inputs, reshaped to their IR shapes) and its weights
    (their f32 values)."""

    def run(xs: list[np.ndarray]) -> np.ndarray:
        env: dict[SSAValue, np.ndarray] = dict(arrays)
        for v, x in zip(args, xs, strict=True):
            env[v] = np.asarray(x, np.float32).reshape(cast(TensorType, v.type).get_shape())
        for t in computing:
            results = evaluate(t, [env[v] for v in t.operands])
            env.update(zip(t.results, results, strict=True))
        return np.asarray(env[computing[-1].results[0]], np.float32)

    return run


def _starts(ops: list[Operation], index: int) -> bool:
    """Whether the float `tpu.reshape` at `index` begins a float layer: the next op that is not
    a weight is a float op at its location (an alias never has the location of a float layer
    next to it, `_Writer.get`)."""
    label = location_of(ops[index])
    for op in ops[index + 1 :]:
        if isinstance(op, top.WeightOp):
            continue
        return label != "unknown" and location_of(op) == label and _is_float_op(op)
    return False


def _read(
    module: ModuleOp,
    store: WeightStore,
    name: str | None,
    evaluate: FloatEvaluator | None = None,
) -> tuple[Int8Net, list[Entry]]:
    funcs = [o for o in module.ops if isinstance(o, func.FuncOp)]
    if len(funcs) != 1:
        raise DiagnosticException(f"expected one func.func (the net), got {len(funcs)}")
    fn = funcs[0]
    mode_attr = module.attributes.get(ROUND_MODE_ATTR)
    mode = mode_attr.data if isinstance(mode_attr, StringAttr) else "half_away_from_zero"
    reader = _Reader(store, mode, evaluate)
    inputs: list[tuple[str, Buf]] = []
    for i, arg in enumerate(fn.body.block.args):
        b = reader.buf(arg, f"arg{i}", "f32")
        if _float_kind(cast(TensorType, arg.type).get_element_type()) != "f32":
            raise DiagnosticException(f"net input {i} is not f32: {arg.type}")
        b.io_shape = b.dims
        inputs.append((int8._io_name(fn, i, False), b))
    problems: list[str] = []
    group: list[Operation] = []
    group_label = ""

    def flush() -> None:
        nonlocal group, group_label
        if not group:
            return
        ops, group = group, []
        label, group_label = group_label, ""
        try:
            reader.layers.extend(reader.float_layer(label, ops))
        except CannotLower as why:
            problems.append(f'  {ops[0].name} at loc("{label}"): {why}')
            for t in ops:
                for r in t.results:
                    reader.bufs.setdefault(r, Buf(label, (1, 1, 1, 1), "f32"))
            return
        reader.entries.append(_entry(ops[-1], label))
        reader.bufs[ops[-1].results[0]] = reader.layers[-1].output

    ops = list(fn.body.block.ops)
    for index, op in enumerate(ops):
        if isinstance(op, func.ReturnOp):
            continue
        label = location_of(op)
        if label == "unknown":
            label = f"{op.name}#{index}"
        if isinstance(op, top.WeightOp):
            reader.weights.append(op)
            continue
        if _is_float_op(op) and (
            not isinstance(op, tpu.ReshapeOp) or label == group_label or _starts(ops, index)
        ):
            if group and label != group_label:
                flush()
            group.append(op)
            group_label = label
            if op.dialect_name() == "top":
                flush()  # a kept top op is a layer of its own
            continue
        flush()
        try:
            layer = reader.read(op, label)
        except CannotLower as why:
            problems.append(f'  {op.name} at loc("{label}"): {why}')
            for r in op.results:
                reader.bufs.setdefault(r, Buf(label, (1, 1, 1, 1), "i8"))
            continue
        if isinstance(op, tpu.CastOp) and isinstance(layer, FloatCast):
            reader.layers.append(layer)
            continue  # the quant level has no op for a float cast
        reader.entries.append(_entry(op, label))
        if layer is not None:
            reader.layers.append(layer)
    flush()
    if problems:
        raise DiagnosticException(
            f"{len(problems)} op(s) of the tpu function do not read back as INT8 layers:\n"
            + "\n".join(problems)
        )
    ret = fn.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    outputs = []
    for i, v in enumerate(ret.arguments):
        b = reader.bufs[v]
        if b.kind != "f32":
            raise DiagnosticException(f"net output {i} is not f32: {v.type}")
        b.io_shape = tuple(cast(TensorType, v.type).get_shape())
        outputs.append((int8._io_name(fn, i, True), b))
    net = Int8Net(
        name or fn.sym_name.data, reader.layers, inputs, outputs, ROUND_MODE_NUMBERS[mode]
    )
    return net, reader.entries
