"""The ONNX importer: an ONNX model to a `top` module plus its side-car weight store.

`import_onnx(model_or_path, input_names, shapes, output_names)` does, in order:
1. load (`onnx.load`) and check (`onnx.checker`) the model; opsets 7-21 are imported as they
   are (the converters know every older form of their ops), others are first brought into that
   range with `onnx.version_converter` (see `_prepare_opset` for why not always);
2. pick the inputs (`input_names`, default: the graph inputs that are not initializers; an
   intermediate tensor name cuts the graph there), fix their dynamic dimensions from `shapes`,
   and run `onnx.shape_inference` (used for the shapes of intermediate cut points);
3. keep only the nodes that the outputs (`output_names`, default: the graph outputs) need;
4. walk the nodes in order: a node whose inputs are all known at import time (initializers,
   Constant nodes, shapes of static tensors, and whatever those compute) is evaluated with
   `onnx.reference.ReferenceEvaluator`, which folds PyTorch/Paddle shape plumbing away; any
   other node goes to its converter in `nntc.targets.onnx.ops`;
5. build `func.func @main`: one argument per input (name hint and `onnx.name` argument attribute
   from the ONNX name) passed through `top.input`, and one result per output (`onnx.name` result
   attribute). Every op's location is its ONNX node name (or first output name).

Constants that runtime ops consume become `top.weight` ops named after their ONNX tensor, with the
arrays in the returned `WeightStore`. Everything unsupported in the model is reported at once in
one `UnsupportedModelError`; every other problem is an `OnnxImportError` with a one-line message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, NodeProto, TensorProto, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from nntc.dialects import top
from nntc.targets.onnx.ops import CONVERTERS, FLOAT_TYPES, NodeContext, Unsupported, Value
from nntc.targets.weight_store import WeightStore

MIN_OPSET = 7
MAX_OPSET = 21
CONVERT_TO_OPSET = 13
"""Models older than opset 7 are converted to this one, where Softmax, Split, Squeeze, Unsqueeze,
ReduceSum, Resize, Clip and Pad have their modern forms."""

ONNX_NAME_ATTR = "onnx.name"
"""Function argument/result attribute holding the ONNX input/output name (npz keys of nntc-run)."""

_DEFAULT_DOMAINS = ("", "ai.onnx")


class OnnxImportError(Exception):
    """The model cannot be imported; the message is one line for the user."""


@dataclass(frozen=True)
class Problem:
    """One unsupported construct: the op type, the node name and why."""

    op_type: str
    node: str
    reason: str

    def __str__(self) -> str:
        return f"{self.op_type} '{self.node}': {self.reason}"


class UnsupportedModelError(OnnxImportError):
    """The model uses constructs top cannot express; `problems` lists every one of them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(
            f"the model has {count} unsupported construct{'s' if count != 1 else ''}:\n{lines}"
        )


# --- --shapes ------------------------------------------------------------------------------------


def parse_shapes(text: str) -> list[list[int]]:
    """Parse bmneto's `--shapes` syntax: `[[1,3,224,224]]`, `[[1,3,8,8],[1,10]]` or one shape
    `[1,3,224,224]`; raises `OnnxImportError` naming the problem.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise OnnxImportError(
            f"--shapes: cannot parse {text!r} ({err.msg} at character {err.pos}); "
            "expected a list of shapes such as [[1,3,224,224]]"
        ) from None
    if not isinstance(value, list) or not value:
        raise OnnxImportError(
            f"--shapes: expected a non-empty list of shapes such as [[1,3,224,224]], got {text!r}"
        )
    if all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        value = [value]
    shapes: list[list[int]] = []
    for index, shape in enumerate(value):
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in shape
        ):
            raise OnnxImportError(
                f"--shapes: shape {index} must be a list of integers, got {json.dumps(shape)}"
            )
        if any(d < 1 for d in shape):
            raise OnnxImportError(
                f"--shapes: shape {index} {json.dumps(shape)} has a dimension < 1"
            )
        shapes.append(shape)
    return shapes


# --- loading and preparing -----------------------------------------------------------------------


def _load(model_or_path: ModelProto | str | Path) -> ModelProto:
    if isinstance(model_or_path, ModelProto):
        return model_or_path
    path = Path(model_or_path)
    if not path.is_file():
        raise OnnxImportError(f"{path}: no such file")
    try:
        model = onnx.load(str(path))
    except Exception as err:  # protobuf raises DecodeError, RuntimeWarning, ... on bad bytes
        raise OnnxImportError(f"{path}: not a readable ONNX model ({_first_line(err)})") from None
    if not model.graph.node and not model.graph.output:
        raise OnnxImportError(f"{path}: not a readable ONNX model (no graph)")
    return model


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def default_opset(model: ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in _DEFAULT_DOMAINS:
            return int(entry.version)
    # a model without a default-domain opset uses no standard op; any opset works
    return MAX_OPSET


def _prepare_opset(model: ModelProto) -> ModelProto:
    """Bring a model outside opsets 7-21 into that range with ONNX's version converter.

    Models inside the range are imported as they are: the converters handle every older form
    of the ops they support, while the version converter renames tensors, drops the names of
    the nodes it replaces (which are our locations) and turns Resize-10 into a half-pixel
    Resize-11. So it is only the way in for models outside the range.
    """
    opset = default_opset(model)
    if MIN_OPSET <= opset <= MAX_OPSET:
        return model
    target = MAX_OPSET if opset > MAX_OPSET else CONVERT_TO_OPSET
    try:
        converted = onnx.version_converter.convert_version(model, target)
    except Exception as err:
        relabelled = _relabel_type_only_opset(model, opset)
        if relabelled is not None:
            return relabelled
        raise OnnxImportError(
            f"opset {opset} is outside the supported {MIN_OPSET}-{MAX_OPSET} and the ONNX "
            f"version converter could not convert it ({_first_line(err)})"
        ) from None
    names = {node.output[0]: node.name for node in model.graph.node if node.output and node.name}
    for node in converted.graph.node:
        if node.output and not node.name and node.output[0] in names:
            node.name = names[node.output[0]]
        if node.op_type == "Resize" and opset < 11:
            # Upsample and Resize-10 index with asymmetric coordinates and floor
            present = {a.name for a in node.attribute}
            if "coordinate_transformation_mode" not in present:
                node.attribute.append(
                    onnx.helper.make_attribute("coordinate_transformation_mode", "asymmetric")
                )
            if "nearest_mode" not in present:
                node.attribute.append(onnx.helper.make_attribute("nearest_mode", "floor"))
    return converted


_TYPE_ONLY_OPSETS: dict[int, int] = {22: 21}
"""Opsets whose changes to the ops nntc converts only widened their type constraints (opset 22
added bfloat16/float16 to pooling, conv, dropout, activations, ...), mapped to the opset whose
semantics they keep. The version converter lacks some of these trivial adapters (GlobalMaxPool
22 -> 21 fails), so such models are relabelled instead."""


def _relabel_type_only_opset(model: ModelProto, opset: int) -> ModelProto | None:
    """`model` marked with the equivalent older opset, or None when that is not exact: some
    node's op changed more than its types in `opset` (its schema is not the one of the older
    opset except for the version number)."""
    older = _TYPE_ONLY_OPSETS.get(opset)
    if older is None:
        return None
    for node in model.graph.node:
        if node.domain not in _DEFAULT_DOMAINS:
            continue
        try:
            new = onnx.defs.get_schema(node.op_type, opset, "")
            old = onnx.defs.get_schema(node.op_type, older, "")
        except onnx.defs.SchemaError:
            return None
        same_interface = (
            sorted(new.attributes) == sorted(old.attributes)
            and [i.name for i in new.inputs] == [i.name for i in old.inputs]
            and [o.name for o in new.outputs] == [o.name for o in old.outputs]
        )
        if new.since_version != old.since_version and not same_interface:
            return None
    relabelled = ModelProto()
    relabelled.CopyFrom(model)
    for entry in relabelled.opset_import:
        if entry.domain in _DEFAULT_DOMAINS:
            entry.version = older
    return relabelled


def _check(model: ModelProto) -> None:
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as err:
        raise OnnxImportError(f"invalid ONNX model: {_first_line(err)}") from None


def _dims(value_info: onnx.ValueInfoProto) -> list[int | str | None]:
    """The dims of a value's tensor type: an int, a symbolic name, or None when unknown."""
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return []
    dims: list[int | str | None] = []
    for d in tensor.shape.dim:
        if d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return dims


def _set_dims(value_info: onnx.ValueInfoProto, shape: Sequence[int]) -> None:
    tensor_shape = value_info.type.tensor_type.shape
    tensor_shape.ClearField("dim")
    for d in shape:
        tensor_shape.dim.add().dim_value = int(d)


def _location(node: NodeProto) -> str:
    return node.name or (node.output[0] if node.output else node.op_type)


def _name_hint(name: str) -> str | None:
    hint = re.sub(r"[^\w$.-]", "_", name)
    if not hint:
        return None
    hint = hint if not hint[0].isdigit() else f"_{hint}"
    # xDSL stores a hint without its `_<digits>` suffix: `_0` (ONNX input `0`) becomes "", which
    # prints like no hint but makes `clone()` raise, so give such a value no hint at all
    return hint if SSAValue.extract_valid_name(hint) else None


# --- the import ----------------------------------------------------------------------------------


class _Builder:
    """The function body under construction and the weights it names."""

    def __init__(self, store: WeightStore) -> None:
        self.store = store
        self.ops: list[Operation] = []
        self._weights: dict[str, SSAValue] = {}

    def emit(self, op: Operation) -> None:
        self.ops.append(op)

    def weight(self, onnx_name: str, array: np.ndarray) -> SSAValue:
        """A `top.weight` for a constant, one per ONNX tensor name; stored as float32."""
        if onnx_name in self._weights:
            return self._weights[onnx_name]
        name = self.store.unique_name(onnx_name or "constant")
        data = np.ascontiguousarray(np.asarray(array), dtype=np.float32)
        self.store[name] = data
        op = top.WeightOp(name, TensorType(f32, list(data.shape)), location=onnx_name or name)
        self.emit(op)
        self._weights[onnx_name] = op.output
        return op.output


def _evaluate(node: NodeProto, opset: int, inputs: Sequence[np.ndarray | None]) -> list[np.ndarray]:
    """Run one node whose inputs are all constants with ONNX's reference implementation."""
    from onnx.reference import ReferenceEvaluator

    evaluator = ReferenceEvaluator(node, opsets={"": opset})
    feeds = {
        name: value
        for name, value in zip(node.input, inputs, strict=False)
        if name and value is not None
    }
    results = evaluator.run(None, feeds)
    return [np.asarray(r) for r in results]


_NEVER_FOLD = frozenset(
    {
        "RandomNormal",
        "RandomUniform",
        "RandomNormalLike",
        "RandomUniformLike",
        "Bernoulli",
        "Multinomial",
    }
)


def import_onnx(
    model_or_path: ModelProto | str | Path,
    input_names: Sequence[str] | None = None,
    shapes: Sequence[Sequence[int]] | None = None,
    output_names: Sequence[str] | None = None,
) -> tuple[ModuleOp, WeightStore]:
    """Import an ONNX model (a `ModelProto` or a path) as a top module and its weights.

    `input_names` picks the inputs (graph inputs, or intermediate tensors to cut the graph at),
    `shapes` gives one static shape per input (in the order of `input_names`), `output_names`
    picks the outputs (any tensors; only the nodes they need are imported). Raises
    `UnsupportedModelError` listing every unsupported node, or `OnnxImportError`.
    """
    model = _load(model_or_path)
    _check(model)
    source_opset = default_opset(model)
    model = _prepare_opset(model)
    opset = default_opset(model)
    graph = model.graph

    initializers = {init.name: init for init in graph.initializer}
    graph_inputs = {vi.name: vi for vi in graph.input}
    produced = {out for node in graph.node for out in node.output if out}

    if input_names is None:
        inputs = [vi.name for vi in graph.input if vi.name not in initializers]
    else:
        inputs = list(input_names)
        for name in inputs:
            if name not in graph_inputs and name not in produced:
                known = ", ".join(vi.name for vi in graph.input if vi.name not in initializers)
                raise OnnxImportError(
                    f"--input-names: '{name}' is not a tensor of the model (graph inputs: {known})"
                )
    if len(set(inputs)) != len(inputs):
        raise OnnxImportError(f"--input-names: duplicate names in {', '.join(inputs)}")
    if shapes is not None and len(shapes) != len(inputs):
        raise OnnxImportError(
            f"--shapes: got {len(shapes)} shape(s) for {len(inputs)} input(s) ({', '.join(inputs)})"
        )

    outputs = [vi.name for vi in graph.output] if output_names is None else list(output_names)
    for name in outputs:
        if name not in produced and name not in graph_inputs and name not in initializers:
            raise OnnxImportError(f"--output-names: '{name}' is not a tensor of the model")
    if not outputs:
        raise OnnxImportError("the model has no outputs")

    problems: list[Problem] = []
    # Fix the input shapes: first in the model (shape inference sees them), then for the import.
    input_shapes: dict[str, list[int]] = {}
    infer_inputs = onnx.ModelProto()
    infer_inputs.CopyFrom(model)
    for index, name in enumerate(inputs):
        given = None if shapes is None else list(shapes[index])
        if name in graph_inputs:
            vi = graph_inputs[name]
            elem_type = vi.type.tensor_type.elem_type
            if elem_type not in FLOAT_TYPES:
                problems.append(
                    Problem(
                        "input",
                        name,
                        f"element type {TensorProto.DataType.Name(elem_type)}: top carries "
                        "float tensors only",
                    )
                )
            declared = _dims(vi)
            if given is not None:
                if declared and len(declared) != len(given):
                    raise OnnxImportError(
                        f"--shapes: input '{name}' has rank {len(declared)} in the model, "
                        f"got shape {given} of rank {len(given)}"
                    )
                for axis, (d, g) in enumerate(zip(declared, given, strict=False)):
                    if isinstance(d, int) and d != g:
                        raise OnnxImportError(
                            f"--shapes: input '{name}' has dimension {axis} = {d} in the model, "
                            f"got {g}"
                        )
                input_shapes[name] = given
            else:
                dynamic = [
                    f"{axis} ('{d}')" if isinstance(d, str) else str(axis)
                    for axis, d in enumerate(declared)
                    if not isinstance(d, int)
                ]
                if dynamic or not vi.type.tensor_type.HasField("shape"):
                    raise OnnxImportError(
                        f"input '{name}' has dynamic dimension(s) {', '.join(dynamic) or '(rank)'}"
                        "; fix them with --shapes"
                    )
                input_shapes[name] = [int(d) for d in declared]  # type: ignore[arg-type]
        elif given is not None:
            input_shapes[name] = given
    for vi in infer_inputs.graph.input:
        if vi.name in input_shapes:
            _set_dims(vi, input_shapes[vi.name])
    # value_info from the exporter may carry symbolic dims that clash with the fixed ones
    del infer_inputs.graph.value_info[:]
    try:
        inferred_model = onnx.shape_inference.infer_shapes(infer_inputs, data_prop=True)
    except Exception:
        inferred_model = infer_inputs  # inference only helps; the converters compute shapes
    inferred = {
        vi.name: vi for vi in (*inferred_model.graph.value_info, *inferred_model.graph.output)
    }
    for name in inputs:
        if name in input_shapes:
            continue
        dims = _dims(inferred[name]) if name in inferred else []
        if not dims or not all(isinstance(d, int) for d in dims):
            raise OnnxImportError(
                f"--input-names: the shape of intermediate tensor '{name}' is not static; "
                "give it with --shapes"
            )
        input_shapes[name] = [int(d) for d in dims]  # type: ignore[arg-type]

    # Keep the nodes the outputs need, stopping at the inputs.
    producer = {out: node for node in graph.node for out in node.output if out}
    needed: set[int] = set()
    stack = [name for name in outputs]
    seen: set[str] = set(inputs)
    node_index = {id(node): i for i, node in enumerate(graph.node)}
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        node = producer.get(name)
        if node is None:
            continue
        needed.add(node_index[id(node)])
        stack.extend(i for i in node.input if i)
        for attr in node.attribute:  # subgraphs may read outer-scope tensors
            for sub in (attr.g, *attr.graphs):
                for sub_node in sub.node:
                    stack.extend(i for i in sub_node.input if i)
    missing = [
        name
        for name in graph_inputs
        if name in seen and name not in initializers and name not in inputs
    ]
    if missing:
        raise OnnxImportError(
            f"graph input(s) {', '.join(missing)} are needed but not listed in --input-names"
        )

    consumed = {i for idx in needed for i in graph.node[idx].input if i} | set(outputs)

    store = WeightStore()
    builder = _Builder(store)
    block = Block(arg_types=[TensorType(f32, input_shapes[name]) for name in inputs])
    env: dict[str, Value] = {}
    for name, arg in zip(inputs, block.args, strict=True):
        arg.name_hint = _name_hint(name)
        op = top.InputOp(arg, location=name)
        builder.emit(op)
        env[name] = op.output
    for name, init in initializers.items():
        if name not in env:
            env[name] = numpy_helper.to_array(init)

    poisoned: set[str] = set()
    for index, node in enumerate(graph.node):
        if index not in needed:
            continue
        location = _location(node)
        if node.domain not in _DEFAULT_DOMAINS:
            problems.append(Problem(node.op_type, location, f"custom domain '{node.domain}'"))
            poisoned.update(node.output)
            continue
        if any(i in poisoned for i in node.input if i):
            # downstream of a rejected node only op types without a converter are reported
            if node.op_type not in CONVERTERS:
                problems.append(Problem(node.op_type, location, "no converter for this op type"))
            poisoned.update(node.output)
            continue
        missing_inputs = [i for i in node.input if i and i not in env]
        if missing_inputs:
            raise OnnxImportError(
                f"node '{location}' reads '{missing_inputs[0]}', which nothing produces "
                "before it (the graph is not topologically sorted)"
            )
        values = [env[i] if i else None for i in node.input]
        results: list[Value | None]
        try:
            if node.op_type not in _NEVER_FOLD and all(
                v is None or isinstance(v, np.ndarray) for v in values
            ):
                try:
                    results = list(_evaluate(node, opset, values))  # type: ignore[arg-type]
                except Exception as err:
                    raise Unsupported(f"constant evaluation failed ({_first_line(err)})") from None
            else:
                converter = CONVERTERS.get(node.op_type)
                if converter is None:
                    raise Unsupported("no converter for this op type")
                ctx = NodeContext(
                    node,
                    opset,
                    values,
                    [bool(out) and out in consumed for out in node.output],
                    location,
                    builder.weight,
                    builder.emit,
                    source_opset,
                )
                results = list(converter(ctx))
        except Unsupported as err:
            problems.append(Problem(node.op_type, location, str(err)))
            poisoned.update(node.output)
            continue
        except VerifyException as err:
            # the node's attributes or shapes are outside what the top op accepts
            problems.append(Problem(node.op_type, location, _first_line(err)))
            poisoned.update(node.output)
            continue
        except (ValueError, TypeError, KeyError, IndexError) as err:
            # malformed attributes (wrong types or counts) that the checker let through
            reason = f"cannot convert ({type(err).__name__}: {_first_line(err)})"
            problems.append(Problem(node.op_type, location, reason))
            poisoned.update(node.output)
            continue
        for name, result in zip(node.output, results, strict=False):
            if name and result is not None:
                env[name] = result
    if problems:
        raise UnsupportedModelError(problems)

    returned: list[SSAValue] = []
    for name in outputs:
        value = env[name]
        returned.append(value if isinstance(value, SSAValue) else builder.weight(name, value))
    block.add_ops(builder.ops)
    block.add_op(func.ReturnOp(*returned))

    def names(values: Sequence[str]) -> ArrayAttr[DictionaryAttr]:
        return ArrayAttr([DictionaryAttr({ONNX_NAME_ATTR: StringAttr(n)}) for n in values])

    function = func.FuncOp(
        "main",
        ([arg.type for arg in block.args], [v.type for v in returned]),
        Region(block),
        arg_attrs=names(inputs),
        res_attrs=names(outputs),
    )
    module = ModuleOp([function])
    try:
        module.verify()
    except VerifyException as err:
        raise OnnxImportError(
            f"internal error: the imported IR does not verify ({_first_line(err)})"
        ) from None
    return module, store
