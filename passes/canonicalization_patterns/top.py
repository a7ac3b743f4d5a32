"""Canonicalization patterns of the `top` dialect.

Each pattern is one small, local rewrite that leaves less work for every later stage. The ops pick
their patterns in `nntc.dialects.top` (one `HasCanonicalizationPatternsTrait` per op family, e.g.
`ReluCanonicalization`), and `nntc-opt -p canonicalize` applies them, with folding and dead-code
elimination, until nothing changes. Together they turn what exporters emit into the fused forms
the hardware runs in one pass over the data:

- activations into their producer: `relu(conv)`, `clip(conv, 0, 6)` -> `conv {do_relu}`;
- batch normalization, and constant per-channel scales and shifts (`mul` / `add` by a weight),
  into the preceding conv / deconv / matmul (new weights, computed here);
- the decompositions of SiLU, hard-swish (`x * hardsigmoid(x)` and `x * relu6(x + 3) / 6`)
  and LayerNorm into `top.silu`, `top.hardswish`, `top.layernorm`;
- `top.gemm` into `top.matmul` with a bias;
- ops that do nothing (`top.identity`, reshapes, transposes, slices and pads that keep their
  input) removed.

Patterns that compute new weights read and write the module's side-car store
(`weight_store_of(module)`, the module found among the op's ancestors). New weights get unique
names derived from the location of the op they come from, and a fused op keeps the location of
the last op it replaces: the tensor it produces is known by that ONNX node's name.

Weight-only subgraphs are not folded here but by the `fold-constants` pass: evaluating an op
needs the reference interpreter and the weight store, and xDSL's fold hook (`HasFolderInterface`
plus a `ConstantMaterializationInterface`) would materialize each result as an inline `dense<>`
attribute in the IR text, which the side-car store exists to avoid. Run
`-p 'fold-constants,canonicalize'` when an exporter left such subgraphs (the importer already
evaluates ONNX nodes whose inputs are all constants).

Adding a pattern: write a `RewritePattern` here whose `match_and_rewrite` is annotated with the
op it starts from, return early when the IR does not match, rewrite through `rewriter`, and list
the pattern in that op's canonicalization trait.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import ModuleOp, NameLoc, TensorType, UnknownLoc, f32
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from nntc.dialects import top
from nntc.targets.weight_store import WeightStore, WeightStoreError, weight_store_of, weight_value

# --- helpers -------------------------------------------------------------------------------------


def merge_relu_limits(first: float | None, second: float | None) -> float | None:
    """The clip of two relus applied in a row; `None` means unbounded."""
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def module_of(op: Operation) -> ModuleOp | None:
    """The outermost module holding `op` (None for a detached op)."""
    module: ModuleOp | None = None
    parent = op.parent_op()
    while parent is not None:
        if isinstance(parent, ModuleOp):
            module = parent
        parent = parent.parent_op()
    return module


def store_of(op: Operation) -> WeightStore | None:
    """The weight store of the module holding `op` (None for a detached op)."""
    module = module_of(op)
    return None if module is None else weight_store_of(module)


def weight_array(value: SSAValue | None, store: WeightStore) -> np.ndarray | None:
    """The array of `value` if a `top.weight` defines it (None otherwise, or if it is missing)."""
    if value is None or not isinstance(value.owner, top.WeightOp):
        return None
    try:
        return np.asarray(weight_value(value.owner, store), dtype=np.float32)
    except WeightStoreError:
        # A dangling weight is reported by whoever executes the IR; canonicalization leaves it.
        return None


def loc_name(op: Operation) -> str | None:
    """The ONNX node name an op carries in its `loc("...")`, if any."""
    return op.location.desc.data if isinstance(op.location, NameLoc) else None


def new_weight(
    store: WeightStore, origin: Operation, suffix: str, array: np.ndarray
) -> top.WeightOp:
    """A `top.weight` for `array`, stored under a new name derived from `origin`'s location."""
    base = f"{loc_name(origin) or origin.name.replace('.', '_')}.{suffix}"
    # Inline weights are not in the store, but their names must not be reused either.
    module = module_of(origin)
    taken = (
        {w.weight_name.data for w in module.walk() if isinstance(w, top.WeightOp)}
        if (module is not None)
        else set()
    )
    name, index = base, 0
    while name in store or name in taken:
        index += 1
        name = f"{base}_{index}"
    data = np.ascontiguousarray(array, dtype=np.float32)
    store[name] = data
    weight = top.WeightOp(name, TensorType(f32, list(data.shape)), location=name)
    # Without a hint of its own, the rewriter would name the weight after the op it replaces.
    hint = re.sub(r"[^\w$.-]", "_", name)
    weight.output.name_hint = hint if not hint[0].isdigit() else f"_{hint}"
    return weight


def take_location(new: Operation, old: Operation) -> None:
    """Give `new` the location of `old` unless `old` has none worth keeping."""
    if not isinstance(old.location, UnknownLoc):
        new.location = old.location


def is_plain(op: Operation) -> bool:
    """An op without a fused activation (a relu would have to stay after any rewrite of it)."""
    return not (isinstance(op, top.ReluFusibleOp) and op.do_relu_value)


def is_plain_sum(op: Operation) -> bool:
    """A two-input `top.add` with unit coefficients and no fused activation."""
    return (
        isinstance(op, top.AddOp)
        and len(op.inputs) == 2
        and all(c == 1.0 for c in op.coeff_values)
        and is_plain(op)
    )


# --- activations ---------------------------------------------------------------------------------


class FuseReluIntoProducer(RewritePattern):
    """`relu(conv(x))` -> `conv(x) {do_relu = true}`, for every op that can apply a relu itself.

    The producer is any `top.ReluFusibleOp` (conv, deconv, matmul, add, mul, sub, div, pools). The
    relu must be its only user, since other users need the value before the activation. A
    producer that already applies a relu keeps the tighter of the two limits.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.ReluOp, rewriter: PatternRewriter) -> None:
        producer = op.input.owner
        if not isinstance(producer, top.ReluFusibleOp) or not op.input.has_one_use():
            return
        limit = op.relu_limit_value
        if producer.do_relu_value:
            limit = merge_relu_limits(producer.relu_limit_value, limit)
        producer.set_relu(limit)
        # The fused op now produces the relu's tensor, and tensors are known by the name of the
        # ONNX node that produced them (calibration tables, layer-by-layer comparison).
        take_location(producer, op)
        rewriter.notify_op_modified(producer)
        rewriter.replace(op, [], [producer.output])


class MergeReluOfRelu(RewritePattern):
    """`relu(relu(x))` -> `relu(x)`, clipped at the smaller of the two limits."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.ReluOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, top.ReluOp):
            return
        limit = merge_relu_limits(inner.relu_limit_value, op.relu_limit_value)
        rewriter.replace(op, top.ReluOp(inner.input, relu_limit=limit, location=op.location))


class ClipToRelu(RewritePattern):
    """`clip(x, 0, m)` -> `relu(x) {relu_limit = m}`; `clip(x, 0)` -> `relu(x)`.

    Relu is the canonical form of a clip at zero (ONNX exports PyTorch's ReLU6 as Clip(0, 6)),
    so `FuseReluIntoProducer` then folds it into its producer like any relu.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.ClipOp, rewriter: PatternRewriter) -> None:
        low, high = op.min_value, op.max_value
        if low != 0.0 or (high is not None and not high > 0):
            return
        rewriter.replace(op, top.ReluOp(op.input, relu_limit=high, location=op.location))


class RecognizeSiLU(RewritePattern):
    """`mul(x, sigmoid(x))` (either order) -> `silu(x)`.

    The sigmoid must feed only the mul; otherwise it is computed anyway and fusing would not
    save it.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.MulOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) != 2 or not is_plain(op):
            return
        for x, gate in (op.inputs, reversed(op.inputs)):
            sigmoid = gate.owner
            if isinstance(sigmoid, top.SigmoidOp) and sigmoid.input == x and gate.has_one_use():
                rewriter.replace(op, top.SiLUOp(x, location=op.location))
                rewriter.erase(sigmoid)
                return


HARDSWISH_ALPHA = 1.0 / 6.0
HARDSWISH_BETA = 0.5


class RecognizeHardSwish(RewritePattern):
    """`mul(x, hardsigmoid(x) {alpha = 1/6, beta = 0.5})` (either order) -> `hardswish(x)`.

    Exporters write alpha as the float32 nearest 1/6, so it is compared with a relative
    tolerance of 1e-6; any other alpha or beta is a different function and is left alone.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.MulOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) != 2 or not is_plain(op):
            return
        for x, gate in (op.inputs, reversed(op.inputs)):
            hsig = gate.owner
            if (
                isinstance(hsig, top.HardSigmoidOp)
                and hsig.input == x
                and gate.has_one_use()
                and math.isclose(hsig.alpha_value, HARDSWISH_ALPHA, rel_tol=1e-6)
                and math.isclose(hsig.beta_value, HARDSWISH_BETA, rel_tol=1e-6)
            ):
                rewriter.replace(op, top.HardSwishOp(x, location=op.location))
                rewriter.erase(hsig)
                return


HARDSWISH_SHIFT = 3.0
HARDSWISH_LIMIT = 6.0


def _relu6_of_shift(gate: SSAValue, store: WeightStore) -> tuple[SSAValue, list[Operation]] | None:
    """`(x, ops)` if `gate` is `relu6(x + 3)` computed for this use only, `ops` its ops from the
    last to the first. The relu6 is either fused into the add (`do_relu`, `relu_limit = 6`), a
    `top.relu {relu_limit = 6}` or a `top.clip(0, 6)` of a plain add; the 3 is a weight of
    equal values that does not enlarge `x`, on either side of the add."""
    if not gate.has_one_use():
        return None
    op = gate.owner
    ops: list[Operation] = [op]  # type: ignore[list-item]
    if isinstance(op, top.AddOp):
        if not (op.do_relu_value and op.relu_limit_value == HARDSWISH_LIMIT):
            return None
        add = op
    elif (
        isinstance(op, top.ReluOp)
        and op.relu_limit_value == HARDSWISH_LIMIT
        or isinstance(op, top.ClipOp)
        and op.min_value == 0.0
        and op.max_value == HARDSWISH_LIMIT
    ):
        add = op.input.owner  # type: ignore[union-attr]
        if not is_plain_sum(add) or not op.input.has_one_use():  # type: ignore[union-attr]
            return None
        ops.append(add)  # type: ignore[arg-type]
    else:
        return None
    assert isinstance(add, top.AddOp)
    if len(add.inputs) != 2 or any(c != 1.0 for c in add.coeff_values):
        return None
    for x, shift_value in (add.inputs, reversed(add.inputs)):
        shift = weight_array(shift_value, store)
        if (
            shift is not None
            and shift.size > 0
            and np.all(shift == HARDSWISH_SHIFT)
            and add.output.type == x.type
        ):
            return x, ops
    return None


def _mul_leaves(op: top.MulOp, limit: int) -> tuple[list[SSAValue], list[top.MulOp]] | None:
    """The factors of the product tree rooted at `op`, following plain two-input muls whose
    result has no other user, and the muls inside the tree (None if more than `limit` factors)."""
    leaves: list[SSAValue] = []
    inner: list[top.MulOp] = []
    pending = list(op.inputs)
    while pending:
        value = pending.pop(0)
        owner = value.owner
        if (
            isinstance(owner, top.MulOp)
            and len(owner.inputs) == 2
            and is_plain(owner)
            and value.has_one_use()
        ):
            inner.append(owner)
            pending.extend(owner.inputs)
        else:
            leaves.append(value)
        if len(leaves) + len(pending) > limit:
            return None
    return leaves, inner


class RecognizeDecomposedHardSwish(RewritePattern):
    """`x * relu6(x + 3) * (1/6)` -> `hardswish(x)`, the factors in any order and grouping.

    This is how Paddle (and PyTorch's older exports) write hard-swish: `x * clip(x + 3, 0, 6) /
    6`; the division becomes a product with 1/6 (`DivByConstantToMul`), the clip a relu6 fused
    into the add. Matched from the outermost of the two muls: its product tree (muls with no
    other user) must have exactly three factors, `x`, `relu6(x + 3)` (see `_relu6_of_shift`) and
    a one-value weight within 1e-6 of 1/6, and a result of `x`'s type. The hardswish takes the
    outer mul's location; the other ops of the pattern are erased.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.MulOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) != 2 or not is_plain(op):
            return
        found = _mul_leaves(op, 3)
        store = store_of(op)
        if found is None or store is None or len(found[0]) != 3:
            return
        leaves, inner = found
        for i, factor_value in enumerate(leaves):
            factor = _scalar_weight(factor_value, store)
            if factor is None or not math.isclose(factor, HARDSWISH_ALPHA, rel_tol=1e-6):
                continue
            rest = leaves[:i] + leaves[i + 1 :]
            for x, gate in (rest, reversed(rest)):
                matched = _relu6_of_shift(gate, store)
                if matched is None or matched[0] != x or op.output.type != x.type:
                    continue
                rewriter.replace(op, top.HardSwishOp(x, location=op.location))
                # each op after its last user: the inner muls, then the gate from the relu up
                for dead in [*inner, *matched[1]]:
                    rewriter.erase(dead)
                return


# --- folding into conv / deconv / matmul ---------------------------------------------------------

WeightedOp = top.ConvOp | top.DeconvOp | top.MatMulOp
"""The ops whose result channels are scaled and shifted by their weights: their filter (matmul:
`right`) and bias absorb any per-channel affine map that follows them."""


def channel_axis(producer: WeightedOp) -> int:
    """The result dim that indexes output channels: 1 for conv / deconv (NCHW), last for matmul."""
    if isinstance(producer, top.MatMulOp):
        return producer.output.type.get_num_dims() - 1  # type: ignore[attr-defined]
    return 1


def per_channel(array: np.ndarray, shape: Sequence[int], axis: int) -> np.ndarray | None:
    """`array` as a vector over dim `axis` of `shape` (a scalar repeated), or None unless it
    broadcasts to `shape` without enlarging it and is constant along every other dim."""
    if array.ndim > len(shape) or not _fits(array, tuple(shape)):
        return None
    full = array.reshape((1,) * (len(shape) - array.ndim) + array.shape)
    if any(size != 1 for dim, size in enumerate(full.shape) if dim != axis):
        return None
    return np.broadcast_to(full.reshape(-1), (shape[axis],)).astype(np.float64)


def filter_and_bias(producer: WeightedOp) -> tuple[SSAValue, SSAValue | None]:
    """The operands that hold the producer's weights and its optional bias."""
    if isinstance(producer, top.MatMulOp):
        return producer.right, producer.bias
    return producer.filter, producer.bias


def scale_output_channels(
    producer: WeightedOp, weights: np.ndarray, factor: np.ndarray
) -> np.ndarray | None:
    """`producer`'s filter with output channel `c` multiplied by `factor[c]` (None if the
    filter's layout does not allow it: a matmul whose `right` is a vector)."""
    if isinstance(producer, top.ConvOp):
        # (OC, IC / group, KH, KW)
        return weights * factor.reshape((-1,) + (1,) * (weights.ndim - 1))
    if isinstance(producer, top.DeconvOp):
        # (IC, OC / group, KH, KW): output channel g * OC/group + j is column j of group g.
        group = producer.group_value
        ic, oc_per_group, *kernel = weights.shape
        grouped = weights.reshape(group, ic // group, oc_per_group, *kernel)
        scaled = grouped * factor.reshape((group, 1, oc_per_group) + (1,) * len(kernel))
        return scaled.reshape(weights.shape)
    if weights.ndim < 2:
        return None
    return weights * factor  # (..., K, N): the channels are the columns


def fuse_affine(
    rewriter: PatternRewriter,
    producer: WeightedOp,
    last: Operation,
    factor: np.ndarray | None,
    shift: np.ndarray | None,
    relu_of: Operation | None,
    dead: Sequence[Operation],
) -> bool:
    """Replace `last` by `producer` with weights `w * factor` and bias `b * factor + shift`,
    per output channel (`factor` None: the filter stays; `shift` None: no shift), then erase
    `dead` and the producer. The new weights are named after `last`, the fused op takes its
    location and result type, and the relu of `relu_of` if it applies one. Returns False,
    having changed nothing, when the producer's bias (or, to scale it, its filter) is not a
    weight.
    """
    store = store_of(last)
    if store is None:
        return False
    filter_value, bias_value = filter_and_bias(producer)
    bias_array = weight_array(bias_value, store) if bias_value is not None else np.zeros(1)
    if bias_array is None:
        return False
    new_ops: list[Operation] = []
    operands = list(producer.operands)
    if factor is not None:
        # only a scale needs the filter; a shift goes to the bias alone
        filter_array = weight_array(filter_value, store)
        if filter_array is None:
            return False
        new_filter = scale_output_channels(producer, filter_array.astype(np.float64), factor)
        if new_filter is None:
            return False
        new_ops.append(filter_op := new_weight(store, last, "weight", new_filter))
        operands[1] = filter_op.output
    if factor is not None or shift is not None:
        new_bias = bias_array.astype(np.float64)
        if factor is not None:
            new_bias = new_bias * factor
        if shift is not None:
            new_bias = new_bias + shift
        if bias_value is None and not np.any(new_bias):
            pass  # a zero bias is no bias
        else:
            new_ops.append(bias_op := new_weight(store, last, "bias", new_bias))
            if bias_value is None:
                operands.append(bias_op.output)
            else:
                operands[2] = bias_op.output
    fused = type(producer).create(
        operands=operands,
        result_types=[last.results[0].type],
        properties=dict(producer.properties),
        attributes=dict(producer.attributes),
    )
    assert isinstance(fused, top.ReluFusibleOp)
    if isinstance(relu_of, top.ReluFusibleOp) and relu_of.do_relu_value:
        fused.set_relu(relu_of.relu_limit_value)
    fused.location = last.location
    rewriter.replace(last, [*new_ops, fused])
    for op in dead:
        rewriter.erase(op)
    rewriter.erase(producer)
    return True


def single_use_producer(value: SSAValue) -> WeightedOp | None:
    """The conv / deconv / matmul that defines `value`, if `value` has no other user and the
    op applies no relu of its own (a relu would come before anything folded into it)."""
    producer = value.owner
    if isinstance(producer, WeightedOp) and value.has_one_use() and is_plain(producer):
        return producer
    return None


class FoldBatchNormIntoProducer(RewritePattern):
    """`batchnorm(conv(x, w, b))` -> `conv(x, w', b')`, likewise for deconv and 2-D matmul.

    With `k = scale / sqrt(variance + epsilon)` per output channel, `w' = w * k` (scaled along
    the output-channel axis of the filter) and `b' = (b + c - mean) * k + bias` (`b` = 0 when
    the producer has no bias). `c` is a constant per-channel `add` between the producer and the
    batchnorm, if any (ONNX exporters write ConvTranspose's bias that way), absorbed first; 0
    otherwise. The producer (and that add) must feed only the next op, apply no relu of its own
    (the relu would come before the normalization), and its filter, bias and the batchnorm's
    parameters must all be weights. For a matmul the channel axis (dim 1) must be its last
    axis, i.e. a 2-D result. The fused op gets the batchnorm's location.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.BatchNormOp, rewriter: PatternRewriter) -> None:
        store = store_of(op)
        if store is None:
            return
        dead: list[Operation] = []
        pre_shift: np.ndarray | None = None
        producer = single_use_producer(op.input)
        between = op.input.owner
        if producer is None and is_plain_sum(between) and op.input.has_one_use():
            assert isinstance(between, top.AddOp)
            found = _producer_and_constant(between, store)
            if found is None:
                return
            producer, pre_shift = found
            dead.append(between)
        if producer is None:
            return
        if isinstance(producer, top.MatMulOp) and len(op.output.type.get_shape()) != 2:  # type: ignore[attr-defined]
            return
        params = [weight_array(v, store) for v in (op.scale, op.bias, op.mean, op.variance)]
        if any(p is None for p in params):
            return
        scale, shift, mean, variance = (np.asarray(p, np.float64) for p in params)  # type: ignore[arg-type]
        factor = scale / np.sqrt(variance + op.epsilon_value)
        # (b + c - mean) * k + bias = b * k + ((c - mean) * k + bias)
        centered = -mean if pre_shift is None else pre_shift - mean
        fuse_affine(rewriter, producer, op, factor, centered * factor + shift, None, dead)


def _producer_and_constant(
    op: top.AddOp | top.MulOp, store: WeightStore
) -> tuple[WeightedOp, np.ndarray] | None:
    """For a two-input `op` of a single-use conv / deconv / matmul result and a weight that
    varies at most per output channel: the producer and that weight as a per-channel vector."""
    if len(op.inputs) != 2:
        return None
    for value, other in (op.inputs, reversed(op.inputs)):
        producer = single_use_producer(value)
        if producer is None or value.type != op.output.type:
            continue
        constant = weight_array(other, store)
        if constant is None or not np.all(np.isfinite(constant)):
            return None
        shape = op.output.type.get_shape()  # type: ignore[attr-defined]
        vector = per_channel(constant, shape, channel_axis(producer))
        return None if vector is None else (producer, vector)
    return None


class FoldAffineIntoProducer(RewritePattern):
    """`mul(conv(x, w, b), s)` -> `conv(x, w * s, b * s)` and `add(conv(x, w, b), t)` ->
    `conv(x, w, b + t)`, likewise for deconv and matmul, the constant on either side.

    `s` and `t` are weights that broadcast to the result without enlarging it and vary at most
    along its output channels (dim 1 of conv / deconv, the last dim of matmul): a scalar, a
    [1, C, 1, 1] tensor. Paddle's "learnable affine" blocks (a scalar mul then add after each
    conv) and ONNX ConvTranspose biases exported as an `add` end up in the conv's weights. An
    `add` with coefficients `[p, q]` (producer first) gives `w * p`, `b * p + q * t`. The
    producer must feed only this op and apply no relu itself; a relu of the mul / add moves to
    the fused op, which gets the mul / add's location; new weights are named after it.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.MulOp | top.AddOp, rewriter: PatternRewriter) -> None:
        store = store_of(op)
        if store is None or len(op.inputs) != 2:
            return
        found = _producer_and_constant(op, store)
        if found is None:
            return
        producer, vector = found
        if isinstance(op, top.MulOp):
            fuse_affine(rewriter, producer, op, vector, None, op, ())
            return
        index = 0 if op.inputs[0].owner is producer else 1
        own, other = op.coeff_values[index], op.coeff_values[1 - index]
        factor = None if own == 1.0 else np.full(vector.shape, own, np.float64)
        fuse_affine(rewriter, producer, op, factor, other * vector, op, ())


# --- layer normalization -------------------------------------------------------------------------


def _trailing_axis(axes: Sequence[int], rank: int) -> int | None:
    """`k` if `axes` are exactly the dims `k..rank-1` (in any order, negative or not)."""
    normalized = sorted(a % rank for a in axes) if all(-rank <= a < rank for a in axes) else []
    if not normalized or normalized != list(range(normalized[0], rank)):
        return None
    return normalized[0]


def _scalar_weight(value: SSAValue, store: WeightStore) -> float | None:
    """The value of a one-element weight, as the shortest decimal that rounds to its float32."""
    array = weight_array(value, store)
    return None if array is None or array.size != 1 else float(str(array.reshape(())))


class RecognizeLayerNorm(RewritePattern):
    """The ONNX/PyTorch decomposition of LayerNorm (opset < 17) -> `top.layernorm`.

    Matches, from the final div, with `axes` the trailing dims `k..rank-1` in both means:

        mean = reduce_mean(x) {axes, keepdims}    d  = sub(x, mean)
        p    = pow(d) {exponent = 2.0}  (or mul(d, d))
        var  = reduce_mean(p) {axes, keepdims}    ve = add(var, eps)   (eps: a one-value weight)
        sd   = sqrt(ve)                           y  = div(d, sd)

    and gives `layernorm(x, ones) {axis = k, epsilon = eps}`; every intermediate must have no
    other user. The trailing `mul` by a scale and `add` of a bias that follow in the export are
    absorbed by `FoldScaleIntoLayerNorm` and `FoldBiasIntoLayerNorm`.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.DivOp, rewriter: PatternRewriter) -> None:
        if not is_plain(op):
            return
        centered, deviation = op.inputs
        sub, sqrt = centered.owner, deviation.owner
        if not isinstance(sub, top.SubOp) or not is_plain(sub):
            return
        if not isinstance(sqrt, top.SqrtOp) or not deviation.has_one_use():
            return
        x, mean_value = sub.inputs
        mean = mean_value.owner
        if not isinstance(mean, top.ReduceMeanOp) or mean.input != x:
            return
        if not mean.keepdims_value or not mean_value.has_one_use():
            return
        shape = x.type.get_shape()  # type: ignore[attr-defined]
        axis = _trailing_axis(mean.axes_values, len(shape))
        if axis is None or op.output.type != x.type:
            return
        # sqrt(add(var, eps))
        shifted = sqrt.input.owner
        if not is_plain_sum(shifted) or not sqrt.input.has_one_use():
            return
        assert isinstance(shifted, top.AddOp)
        store = store_of(op)
        if store is None:
            return
        for var_value, eps_value in (shifted.inputs, reversed(shifted.inputs)):
            var = var_value.owner
            epsilon = _scalar_weight(eps_value, store)
            if isinstance(var, top.ReduceMeanOp) and epsilon is not None:
                break
        else:
            return
        if not var_value.has_one_use() or not var.keepdims_value or epsilon < 0:
            return
        if _trailing_axis(var.axes_values, len(shape)) != axis:
            return
        square = var.input.owner
        if not var.input.has_one_use():
            return
        if isinstance(square, top.PowOp):
            if square.exponent_value != 2.0 or square.input != centered:
                return
            square_uses = 1
        elif isinstance(square, top.MulOp) and is_plain(square) and len(square.inputs) == 2:
            if square.inputs[0] != centered or square.inputs[1] != centered:
                return
            square_uses = 2
        else:
            return
        # d feeds the square and the div, nothing else
        if sum(1 for _ in centered.uses) != square_uses + 1:
            return
        ones = new_weight(store, op, "scale", np.ones(shape[axis:], np.float32))
        norm = top.LayerNormOp(x, ones, axis=axis, epsilon=epsilon, location=op.location)
        rewriter.replace(op, [ones, norm])
        for dead in (sqrt, shifted, var, square, sub, mean):
            rewriter.erase(dead)


def _layernorm_operand(op: top.AddOp | top.MulOp) -> tuple[top.LayerNormOp, SSAValue] | None:
    """The single-use layernorm among the two inputs of `op`, and the other input."""
    if len(op.inputs) != 2 or not is_plain(op):
        return None
    for norm_value, other in (op.inputs, reversed(op.inputs)):
        norm = norm_value.owner
        if isinstance(norm, top.LayerNormOp) and norm_value.has_one_use():
            # the other operand must not enlarge the result
            if op.output.type == norm_value.type:
                return norm, other
    return None


def _normalized_shape(norm: top.LayerNormOp) -> tuple[int, ...]:
    shape = norm.input.type.get_shape()  # type: ignore[attr-defined]
    return tuple(shape[norm.axis_value % len(shape) :])


def _fits(array: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether `array` broadcasts to `shape` without enlarging it."""
    try:
        return np.broadcast_shapes(array.shape, shape) == shape
    except ValueError:
        return False


class FoldScaleIntoLayerNorm(RewritePattern):
    """`mul(layernorm(x, s, b), w)` -> `layernorm(x, s * w, b * w)` for a weight `w` that
    broadcasts to the normalized dims. Gives the layernorm the mul's location.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.MulOp, rewriter: PatternRewriter) -> None:
        found = _layernorm_operand(op)
        store = store_of(op)
        if found is None or store is None:
            return
        norm, factor_value = found
        normalized = _normalized_shape(norm)
        factor = weight_array(factor_value, store)
        scale = weight_array(norm.scale, store)
        bias = weight_array(norm.bias, store)
        if factor is None or scale is None or not _fits(factor, normalized):
            return
        if norm.bias is not None and bias is None:
            return
        new_ops: list[Operation] = [new_weight(store, op, "scale", scale * factor)]
        if bias is not None:
            new_ops.append(new_weight(store, op, "bias", bias * factor))
        fused = top.LayerNormOp(
            norm.input,
            new_ops[0].results[0],
            new_ops[1].results[0] if bias is not None else None,
            axis=norm.axis_value,
            epsilon=norm.epsilon_value,
            location=op.location,
        )
        rewriter.replace(op, [*new_ops, fused])
        rewriter.erase(norm)


class FoldBiasIntoLayerNorm(RewritePattern):
    """`add(layernorm(x, s, b), c)` -> `layernorm(x, s, b + c)` for a weight `c` that broadcasts
    to the normalized dims (`b` = 0 when absent). Gives the layernorm the add's location.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.AddOp, rewriter: PatternRewriter) -> None:
        if not is_plain_sum(op):
            return
        found = _layernorm_operand(op)
        store = store_of(op)
        if found is None or store is None:
            return
        norm, shift_value = found
        shift = weight_array(shift_value, store)
        bias = weight_array(norm.bias, store) if norm.bias is not None else np.zeros(())
        if shift is None or bias is None or not _fits(shift, _normalized_shape(norm)):
            return
        bias_op = new_weight(store, op, "bias", bias + shift)
        fused = top.LayerNormOp(
            norm.input,
            norm.scale,
            bias_op.output,
            axis=norm.axis_value,
            epsilon=norm.epsilon_value,
            location=op.location,
        )
        rewriter.replace(op, [bias_op, fused])
        rewriter.erase(norm)


# --- gemm ----------------------------------------------------------------------------------------


class LowerGemmToMatMul(RewritePattern):
    """`gemm(a, b, c) {alpha, beta, trans_a, trans_b}` -> `matmul(a', b', c')`.

    A weight operand absorbs its transpose and its factor into a new weight (`b' = alpha * b^T`,
    `c' = beta * c`); a computed operand gets a `top.transpose`. A factor that cannot be absorbed
    is applied by a trailing `top.add {coeff = [alpha, beta]}` (computed `c`) or a `top.mul` by
    a one-value weight (no `c`); otherwise `c` is the matmul's bias. For the usual Linear layer
    (`b` a weight with `trans_b`, `c` a weight) the result is one matmul with a transposed
    weight and the bias.
    New weights are named `<location>.weight` / `.bias` / `.input` / `.alpha`; the last op keeps
    the gemm's location and helper ops get `<location>/<role>`.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.GemmOp, rewriter: PatternRewriter) -> None:
        store = store_of(op)
        if store is None:
            return
        base = loc_name(op)
        alpha, beta = op.alpha_value, op.beta_value
        new_ops: list[Operation] = []

        def helper_location(role: str) -> str | None:
            return None if base is None else f"{base}/{role}"

        def operand(value: SSAValue, transpose: bool, factor: float, role: str) -> SSAValue:
            """`factor * value^T?`, folded into a new weight when `value` is one."""
            array = weight_array(value, store)
            if array is not None and (transpose or factor != 1.0):
                array = array.T if transpose else array
                weight = new_weight(store, op, role, np.float32(factor) * array)
                new_ops.append(weight)
                return weight.output
            if transpose:
                perm = top.TransposeOp(
                    value, perm=(1, 0), location=helper_location(f"transpose_{role}")
                )
                new_ops.append(perm)
                return perm.output
            return value

        lhs = operand(op.a, op.trans_a_value, 1.0, "input")
        b_is_weight = weight_array(op.b, store) is not None
        rhs = operand(op.b, op.trans_b_value, alpha if b_is_weight else 1.0, "weight")
        pending_alpha = 1.0 if b_is_weight else alpha
        c_is_weight = op.c is not None and weight_array(op.c, store) is not None
        bias: SSAValue | None = None
        if op.c is not None and pending_alpha == 1.0:
            if c_is_weight:
                bias = operand(op.c, False, beta, "bias")
            elif beta == 1.0:
                bias = op.c
        trailing = (op.c is not None and bias is None) or (op.c is None and pending_alpha != 1.0)
        matmul = top.MatMulOp(
            lhs,
            rhs,
            bias,
            result_type=op.output.type,
            location=helper_location("matmul") if trailing else op.location,
        )
        new_ops.append(matmul)
        if op.c is not None and bias is None:
            coeff = None if pending_alpha == 1.0 and beta == 1.0 else [pending_alpha, beta]
            new_ops.append(
                top.AddOp(
                    [matmul.output, op.c],
                    coeff=coeff,
                    result_type=op.output.type,
                    location=op.location,
                )
            )
        elif op.c is None and pending_alpha != 1.0:
            factor = new_weight(store, op, "alpha", np.full((1,), pending_alpha, np.float32))
            new_ops.append(factor)
            new_ops.append(
                top.MulOp(
                    [matmul.output, factor.output],
                    result_type=op.output.type,
                    location=op.location,
                )
            )
        # The result keeps the gemm's name; helpers are named after their role, not numbered.
        hint = op.output.name_hint
        if hint is not None:
            new_ops[-1].results[0].name_hint = hint
            for helper in new_ops[:-1]:
                if helper.results[0].name_hint is None:
                    role = (loc_name(helper) or "").rsplit("/", 1)[-1] or "helper"
                    helper.results[0].name_hint = f"{hint}_{role}"
        rewriter.replace(op, new_ops)


# --- ops that do nothing -------------------------------------------------------------------------


class RemoveIdentity(RewritePattern):
    """`identity(x)` -> `x` (ONNX Identity, inference Dropout, float-to-float Cast)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.IdentityOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, [], [op.input])


class RemoveIdentityReshape(RewritePattern):
    """`reshape(x)` to the type `x` already has -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.ReshapeOp, rewriter: PatternRewriter) -> None:
        if op.input.type == op.output.type:
            rewriter.replace(op, [], [op.input])


class MergeReshapeOfReshape(RewritePattern):
    """`reshape(reshape(x))` -> `reshape(x)`: only the final shape matters."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.ReshapeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, top.ReshapeOp):
            return
        rewriter.replace(op, top.ReshapeOp(inner.input, op.output.type, location=op.location))


class RemoveIdentityTranspose(RewritePattern):
    """`transpose(x) {perm = [0, 1, ..., n-1]}` -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.TransposeOp, rewriter: PatternRewriter) -> None:
        if op.perm_values == tuple(range(len(op.perm_values))):
            rewriter.replace(op, [], [op.input])


class MergeTransposeOfTranspose(RewritePattern):
    """`transpose(transpose(x) {perm = p}) {perm = q}` -> `transpose(x) {perm = p[q]}`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.TransposeOp, rewriter: PatternRewriter) -> None:
        inner = op.input.owner
        if not isinstance(inner, top.TransposeOp):
            return
        inner_perm = inner.perm_values
        perm = [inner_perm[q] for q in op.perm_values]
        rewriter.replace(op, top.TransposeOp(inner.input, perm=perm, location=op.location))


class RemoveFullSlice(RewritePattern):
    """`slice(x)` that starts at 0 with step 1 and keeps every element -> `x`."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.SliceOp, rewriter: PatternRewriter) -> None:
        if (
            op.input.type == op.output.type
            and not any(op.starts_values)
            and all(step == 1 for step in op.steps_values)
        ):
            rewriter.replace(op, [], [op.input])


class RemoveZeroPad(RewritePattern):
    """`pad(x) {pads = [0, ...]}` -> `x`, whatever the mode."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.PadOp, rewriter: PatternRewriter) -> None:
        if not any(op.pads_values):
            rewriter.replace(op, [], [op.input])


class ReduceSpatialToGlobalPool(RewritePattern):
    """`reduce_mean(x) {axes = [2, 3]}` on NCHW -> `global_avgpool(x)` (`reduce_max`: maxpool).

    Exporters write global pooling as a reduction (EfficientNet, MobileNetV3 heads); the chip and
    the rest of the pipeline know global pooling. Without `keepdims` a reshape drops the 1x1.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(
        self, op: top.ReduceMeanOp | top.ReduceMaxOp, rewriter: PatternRewriter
    ) -> None:
        input_type = op.input.type
        assert isinstance(input_type, TensorType)
        if input_type.get_num_dims() != 4 or sorted(a % 4 for a in op.axes_values) != [2, 3]:
            return
        pool_class = (
            top.GlobalAvgPoolOp if isinstance(op, top.ReduceMeanOp) else top.GlobalMaxPoolOp
        )
        pool = pool_class(op.input, location=op.location)
        if op.keepdims_value:
            rewriter.replace(op, pool)
            return
        reshape = top.ReshapeOp(pool.output, op.output.type, location=op.location)
        rewriter.replace(op, [pool, reshape])


__all__ = [
    "ClipToRelu",
    "DivByConstantToMul",
    "FoldAffineIntoProducer",
    "FoldBatchNormIntoProducer",
    "FoldBiasIntoLayerNorm",
    "FoldScaleIntoLayerNorm",
    "FuseReluIntoProducer",
    "LowerGemmToMatMul",
    "MergeReluOfRelu",
    "MergeReshapeOfReshape",
    "MergeTransposeOfTranspose",
    "RecognizeDecomposedHardSwish",
    "RecognizeHardSwish",
    "RecognizeLayerNorm",
    "RecognizeSiLU",
    "ReduceSpatialToGlobalPool",
    "RemoveFullSlice",
    "RemoveIdentity",
    "RemoveIdentityReshape",
    "RemoveIdentityTranspose",
    "RemoveZeroPad",
]


# --- division ------------------------------------------------------------------------------------


class DivByConstantToMul(RewritePattern):
    """`div(x, w)` with `w` a weight of finite non-zero values -> `mul(x, 1 / w)`.

    The chip has no faster division than its Newton iterations, while a product is one pass;
    the reciprocal is computed here in float64 and rounded once to f32, so the result differs
    from a true f32 division by at most one rounding (well inside the FP32 tolerance).
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: top.DivOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) != 2:
            return
        store = store_of(op)
        if store is None:
            return
        divisor = weight_array(op.inputs[1], store)
        if divisor is None or not np.all(np.isfinite(divisor)) or np.any(divisor == 0):
            return
        reciprocal = new_weight(store, op, "reciprocal", 1.0 / divisor.astype(np.float64))
        do_relu, limit = op.do_relu_value, op.relu_limit_value
        mul = top.MulOp(
            [op.inputs[0], reciprocal.output],
            do_relu=do_relu,
            relu_limit=limit,
            result_type=op.output.type,  # type: ignore[arg-type]
        )
        take_location(mul, op)
        rewriter.replace(op, [reciprocal, mul], [mul.output])
