"""`fold-constants`: evaluate the weight-only parts of a `top` graph once, at compile time.

Exporters leave arithmetic on constants in graphs (a weight scaled by a constant, a reshaped
bias, a concatenation of constant tables). Any top op whose operands are all `top.weight`s is
computed with the reference interpreter and replaced by one new weight in the side-car store,
named after the op's location so that it can be traced back to the ONNX graph. Weights left
without users are removed.
"""

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import Interpreter
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
)

from nntc.dialects import top
from nntc.targets.reference.interpreter import TopFunctions, location_name
from nntc.targets.weight_store import WeightStore, weight_store_of


def is_weight_only(op: Operation) -> bool:
    """A top computation (not a weight or input) with one result, fed only by weights."""
    return (
        op.dialect_name() == "top"
        and not isinstance(op, top.WeightOp | top.InputOp)
        and len(op.operands) > 0
        and len(op.results) == 1
        and all(isinstance(operand.owner, top.WeightOp) for operand in op.operands)
    )


@dataclass
class FoldWeightOnlyOp(RewritePattern):
    """`op(weight_a, weight_b, ...)` -> `top.weight "<op location>"` holding the result."""

    interpreter: Interpreter
    store: WeightStore

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not is_weight_only(op):
            return
        args = tuple(self.interpreter.run_op(o.owner, ())[0] for o in op.operands)  # type: ignore[arg-type]
        (value,) = self.interpreter.run_op(op, args)
        result_type = op.results[0].type
        assert isinstance(result_type, TensorType)
        name = self.store.unique_name(location_name(op) or op.name.replace(".", "_"))
        self.store[name] = np.asarray(value, np.float32).reshape(result_type.get_shape())
        rewriter.replace(op, top.WeightOp(name, result_type, location=location_name(op)))


@dataclass(frozen=True)
class FoldConstantsPass(ModulePass):
    """Replace top ops whose operands are all weights by a precomputed weight."""

    name = "fold-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        store = weight_store_of(op)
        interpreter = Interpreter(op)
        interpreter.register_implementations(TopFunctions(store))
        pattern = FoldWeightOnlyOp(interpreter, store)
        # dce_enabled removes the weights that the folds leave without users.
        PatternRewriteWalker(
            GreedyRewritePatternApplier([pattern], dce_enabled=True)
        ).rewrite_module(op)
