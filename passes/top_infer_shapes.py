"""`top-infer-shapes`: recompute the result types of a `top` graph from its inputs.

What it is for. Every top op's verifier already rejects a result type that does not follow from
its operands, so a module that nntc-opt parsed and verified is consistent; what a user of
mlir-opt cannot do by hand is *change* a shape and carry the change through the graph. This pass
does that:

- `nntc-opt m.mlir -p 'top-infer-shapes{input-shapes="[[4,3,224,224]]"}'` gives `@main` (or the
  only function) new argument shapes, in bmneto's `--shapes` syntax (one shape per argument), and
  recomputes every result type and the function signature from them: re-batching a model, or
  running it at another resolution, without re-importing the ONNX file;
- `nntc-opt --disable-verify m.mlir -p top-infer-shapes` repairs IR whose result types were
  edited by hand or left stale by a tool, since it derives each type from the operands and the
  op's properties only.

Each result type comes from the dialect's public shape functions (`conv_output_shape`,
`broadcast_shapes`, ...), the ones the verifiers use. Ops whose result shape is a property of the
op rather than a function of the operands follow these rules, so that a change of the leading
(batch) or spatial dims goes through: a reshape follows the input in the leading dims it kept,
and keeps its other sizes or, if it flattened them into one, flattens the new ones; a slice
follows the input in the dims it took whole and keeps its other sizes; an expand follows the
input in the dims it did not enlarge. Weights keep their types. After each op
the op verifier runs, so the pass either leaves a consistent module or fails with one error that
names the op, its location and the reason (e.g. a reshape whose element count no longer matches,
a split whose sizes no longer add up). Ops of other dialects are left alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException, VerifyException

from nntc.dialects import top

Shape = tuple[int, ...]


def parse_input_shapes(text: str) -> list[Shape]:
    """`[[1,3,224,224]]`, `[[1,3,8,8],[1,10]]` or one shape `[1,3,224,224]` (bmneto syntax)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise PassFailedException(
            f"input-shapes: cannot parse {text!r} ({err.msg} at character {err.pos}); "
            "expected a list of shapes such as [[1,3,224,224]]"
        ) from None
    if isinstance(value, list) and value and all(_is_int(d) for d in value):
        value = [value]
    if not isinstance(value, list) or not value:
        raise PassFailedException(
            f"input-shapes: expected a non-empty list of shapes such as [[1,3,224,224]], "
            f"got {text!r}"
        )
    shapes: list[Shape] = []
    for index, shape in enumerate(value):
        if not isinstance(shape, list) or not all(_is_int(d) and d >= 1 for d in shape):
            raise PassFailedException(
                f"input-shapes: shape {index} must be a list of integers >= 1, "
                f"got {json.dumps(shape)}"
            )
        shapes.append(tuple(shape))
    return shapes


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shape(value: SSAValue | Attribute) -> Shape:
    ty = value if isinstance(value, Attribute) else value.type
    if not isinstance(ty, TensorType):
        raise VerifyException(f"expected a tensor, got {ty}")
    return tuple(ty.get_shape())


@dataclass
class _OldTypes:
    """Operand and result types of an op before the pass changed anything."""

    operands: list[Shape]
    results: list[Shape]


Rule = Callable[[Operation, _OldTypes], list[Shape]]


def _same_as_input(op: Operation, old: _OldTypes) -> list[Shape]:
    return [_shape(op.operands[0])]


def _conv(op: top.ConvOp, old: _OldTypes) -> list[Shape]:
    return [
        top.conv_output_shape(
            _shape(op.input),
            _shape(op.filter),
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            group=op.group_value,
        )
    ]


def _deconv(op: top.DeconvOp, old: _OldTypes) -> list[Shape]:
    return [
        top.deconv_output_shape(
            _shape(op.input),
            _shape(op.filter),
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            output_padding=op.output_padding_values,
            group=op.group_value,
        )
    ]


def _broadcast(op: Operation, old: _OldTypes) -> list[Shape]:
    return [top.broadcast_shapes(*(_shape(v) for v in op.operands))]


def _pool(op: top.PoolOp, old: _OldTypes) -> list[Shape]:
    return [
        top.pool_output_shape(
            _shape(op.input),
            kernel_shape=op.kernel_shape_values,
            strides=op.strides_values,
            pads=op.pads_values,
            ceil_mode=op.ceil_mode_value,
        )
    ]


def _global_pool(op: top.GlobalPoolOp, old: _OldTypes) -> list[Shape]:
    shape = _shape(op.input)
    return [(*shape[:2], *[1] * (len(shape) - 2))]


def _reshape(op: top.ReshapeOp, old: _OldTypes) -> list[Shape]:
    new_in, (old_in,), (old_out,) = _shape(op.input), old.operands, old.results
    if math.prod(new_in) == math.prod(old_out):
        return [old_out]
    # The leading dims the reshape kept follow the input; after them it either kept the sizes
    # (then they must still fit) or merged everything into one dim (flatten).
    kept = 0
    while kept < min(len(old_in), len(old_out)) and old_in[kept] == old_out[kept]:
        kept += 1
    if kept and len(new_in) >= kept:
        rest = math.prod(new_in[kept:])
        if rest == math.prod(old_out[kept:]):
            return [(*new_in[:kept], *old_out[kept:])]
        if len(old_out) == kept + 1:
            return [(*new_in[:kept], rest)]
    raise VerifyException(
        f"cannot infer the result shape of a reshape of {list(new_in)} "
        f"({math.prod(new_in)} elements) from its former {list(old_in)} -> {list(old_out)}; "
        "only a reshape that keeps its leading dims and keeps or flattens the others follows "
        "a change of shape"
    )


def _slice(op: top.SliceOp, old: _OldTypes) -> list[Shape]:
    new_in, (old_in,), (old_out,) = _shape(op.input), old.operands, old.results
    if len(new_in) != len(old_out):
        return [old_out]  # the verifier reports the rank mismatch
    sizes = [
        new if start == 0 and step == 1 and size == before else size
        for new, before, size, start, step in zip(
            new_in, old_in, old_out, op.starts_values, op.steps_values, strict=True
        )
    ]
    return [tuple(sizes)]


def _expand(op: top.ExpandOp, old: _OldTypes) -> list[Shape]:
    new_in, (old_in,), (old_out,) = _shape(op.input), old.operands, old.results
    if len(new_in) != len(old_in):
        return [top.broadcast_shapes(new_in, old_out)]
    lead = len(old_out) - len(old_in)
    target = list(old_out)
    for i, (before, after) in enumerate(zip(old_in, new_in, strict=True)):
        if old_out[lead + i] == before:  # this dim was not enlarged: it follows the input
            target[lead + i] = after
    return [top.broadcast_shapes(new_in, tuple(target))]


def _resize(op: top.ResizeOp, old: _OldTypes) -> list[Shape]:
    new_in, (old_in,), (old_out,) = _shape(op.input), old.operands, old.results
    sizes = []
    for i, (size, scale) in enumerate(zip(new_in, op.scales_values, strict=True)):
        floor = top.resize_output_size(size, scale)
        # an op imported from ONNX `sizes` rounds; keep rounding where it did
        rounded = i < len(old_in) and old_out[i] == round(old_in[i] * scale) != (
            top.resize_output_size(old_in[i], scale)
        )
        sizes.append(round(size * scale) if rounded else floor)
    return [tuple(sizes)]


_RULES: dict[type[Operation], Rule] = {
    top.InputOp: _same_as_input,
    top.ConvOp: _conv,  # type: ignore[dict-item]
    top.DeconvOp: _deconv,  # type: ignore[dict-item]
    top.MatMulOp: lambda op, old: [
        top.matmul_output_shape(_shape(op.operands[0]), _shape(op.operands[1]))
    ],
    top.GemmOp: lambda op, old: [
        top.gemm_output_shape(
            _shape(op.a),  # type: ignore[attr-defined]
            _shape(op.b),  # type: ignore[attr-defined]
            trans_a=op.trans_a_value,  # type: ignore[attr-defined]
            trans_b=op.trans_b_value,  # type: ignore[attr-defined]
        )
    ],
    top.WhereOp: _broadcast,
    top.ReshapeOp: _reshape,  # type: ignore[dict-item]
    top.ConcatOp: lambda op, old: [
        top.concat_output_shape([_shape(v) for v in op.operands], op.axis_value)  # type: ignore[attr-defined]
    ],
    top.TransposeOp: lambda op, old: [
        top.transpose_output_shape(_shape(op.operands[0]), op.perm_values)  # type: ignore[attr-defined]
    ],
    top.SliceOp: _slice,  # type: ignore[dict-item]
    top.SplitOp: lambda op, old: top.split_output_shapes(
        _shape(op.operands[0]),
        op.axis_value,  # type: ignore[attr-defined]
        op.split_values,  # type: ignore[attr-defined]
    ),
    top.PadOp: lambda op, old: [
        top.pad_output_shape(_shape(op.operands[0]), op.pads_values)  # type: ignore[attr-defined]
    ],
    top.ExpandOp: _expand,  # type: ignore[dict-item]
    top.GatherOp: lambda op, old: [
        top.gather_output_shape(
            _shape(op.operands[0]),
            op.indices_shape,  # type: ignore[attr-defined]
            op.axis_value,  # type: ignore[attr-defined]
        )
    ],
    top.ResizeOp: _resize,  # type: ignore[dict-item]
}
"""Shape rules by op class; base classes below cover the families."""

_FAMILY_RULES: tuple[tuple[type[Operation], Rule], ...] = (
    (top.ElementwiseOp, _broadcast),
    (top.PoolOp, _pool),  # type: ignore[arg-type]
    (top.GlobalPoolOp, _global_pool),  # type: ignore[arg-type]
    (
        top.ReduceOp,
        lambda op, old: [
            top.reduce_output_shape(
                _shape(op.operands[0]),
                op.axes_values,  # type: ignore[attr-defined]
                op.keepdims_value,  # type: ignore[attr-defined]
            )
        ],
    ),
    # ops whose result has the shape of their first operand
    (top.UnaryOp, _same_as_input),
    (top.ReluOp, _same_as_input),
    (top.AxisOp, _same_as_input),
    (top.BatchNormOp, _same_as_input),
    (top.LayerNormOp, _same_as_input),
    (top.PReluOp, _same_as_input),
)


def shape_rule(op: Operation) -> Rule | None:
    """How the result shapes of a top op follow from its operands (None for weights)."""
    if isinstance(op, top.WeightOp):
        return None
    rule = _RULES.get(type(op))
    if rule is not None:
        return rule
    for family, family_rule in _FAMILY_RULES:
        if isinstance(op, family):
            return family_rule
    raise PassFailedException(f"top-infer-shapes has no shape rule for '{op.name}'")


def _describe(op: Operation) -> str:
    where = f' at loc("{op.location.desc.data}")' if isinstance(op.location, NameLoc) else ""
    return f"'{op.name}' op{where}"


def infer_function(function: func.FuncOp, arg_shapes: Sequence[Shape] | None = None) -> None:
    """Give `function` the argument shapes `arg_shapes` (if given) and recompute every type."""
    block = function.body.block
    # Values are replaced when their type changes, so remember the old types by op.
    old = {
        op: _OldTypes([_shape(v) for v in op.operands], [_shape(r) for r in op.results])
        for op in block.ops
        if op.dialect_name() == "top"
    }
    if arg_shapes is not None:
        if len(arg_shapes) != len(block.args):
            raise PassFailedException(
                f"input-shapes: got {len(arg_shapes)} shape(s) for the "
                f"{len(block.args)} argument(s) of @{function.sym_name.data}"
            )
        for arg, shape in zip(block.args, arg_shapes, strict=True):
            ty = arg.type
            if not isinstance(ty, TensorType):
                raise PassFailedException(
                    f"input-shapes: argument {arg.index} of @{function.sym_name.data} is not a "
                    f"tensor ({ty})"
                )
            if tuple(ty.get_shape()) != tuple(shape):
                Rewriter.replace_value_with_new_type(arg, TensorType(ty.element_type, shape))
    for op in list(block.ops):
        if op.dialect_name() != "top":
            continue
        try:
            rule = shape_rule(op)
            if rule is not None:
                shapes = rule(op, old[op])
                for result, shape in zip(list(op.results), shapes, strict=True):
                    ty = result.type
                    assert isinstance(ty, TensorType)
                    if tuple(ty.get_shape()) != tuple(shape):
                        Rewriter.replace_value_with_new_type(
                            result, TensorType(ty.element_type, shape)
                        )
            op.verify(verify_nested_ops=False)
        except VerifyException as err:
            raise PassFailedException(f"{_describe(op)}: {err}") from None
    function.update_function_type()


@dataclass(frozen=True)
class TopInferShapesPass(ModulePass):
    """Recompute top result types from the inputs; `input-shapes` sets new input shapes."""

    name = "top-infer-shapes"

    input_shapes: str | None = None
    """New shapes of the arguments of @main (or of the only function), e.g. "[[4,3,224,224]]"."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = [f for f in op.walk() if isinstance(f, func.FuncOp) and not f.is_declaration]
        target: func.FuncOp | None = None
        shapes = None
        if self.input_shapes is not None:
            shapes = parse_input_shapes(self.input_shapes)
            named = [f for f in functions if f.sym_name.data == "main"]
            if named:
                target = named[0]
            elif len(functions) == 1:
                target = functions[0]
            else:
                raise PassFailedException(
                    "input-shapes: no function @main, and "
                    f"{len(functions)} functions to choose from"
                )
        for function in functions:
            infer_function(function, shapes if function is target else None)
