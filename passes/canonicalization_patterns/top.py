"""Canonicalization patterns of the `top` dialect.

Each pattern is one small, local rewrite that leaves less work for every later stage. The ops pick
their patterns in `nntc.dialects.top` (`ReluCanonicalization`, `ReshapeCanonicalization`), and
`nntc-opt -p canonicalize` applies them, with dead-code elimination, until nothing changes.

Adding a pattern: write a `RewritePattern` here whose `match_and_rewrite` is annotated with the
op it starts from, return early when the IR does not match, rewrite through `rewriter`, and list
the pattern in that op's canonicalization trait.
"""

from xdsl.dialects.builtin import UnknownLoc
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from nntc.dialects import top


def merge_relu_limits(first: float | None, second: float | None) -> float | None:
    """The clip of two relus applied in a row; `None` means unbounded."""
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


class FuseReluIntoProducer(RewritePattern):
    """`relu(conv(x))` -> `conv(x) {do_relu = true}`, for every op that can apply a relu itself.

    The producer is any `top.ReluFusibleOp` (conv, matmul, add, mul, pools). The relu must be its
    only user, since other users need the value before the activation. A producer that already
    applies a relu keeps the tighter of the two limits.
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
        if not isinstance(op.location, UnknownLoc):
            producer.location = op.location
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
