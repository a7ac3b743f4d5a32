"""ONNX backend node tests run through nntc: import -> canonicalize -> reference interpreter.

The `onnx` package ships its own conformance cases (`onnx/backend/test/data/node/*` and
`pytorch-converted/*`): a folder with `model.onnx` and `test_data_set_*/{input,output}_*.pb`.
`select_cases()` picks those nntc claims to handle: every graph input and output is float32 and
every node's op type has a converter in the importer (`Constant` nodes too: the importer folds
them). `run_case()` runs one case and classifies it:

- `passed`: every data set's outputs match the expected ones (rtol 1e-3, atol 1e-5);
- `rejected`: the importer refused the model with its clean error (`UnsupportedModelError` /
  `OnnxImportError`), which is the promised behaviour for constructs top cannot express;
- `failed`: anything else (wrong numbers, wrong shapes, any other exception).

`tests/test_conformance.py` turns the cases into pytest cases and `scripts/conformance_table.py`
writes the per-op table `docs/conformance.md` from the same functions. Import this package as
`conformance` (pytest puts `tests/` on sys.path; scripts insert it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects.top import Top
from nntc.targets.onnx import OnnxImportError, UnsupportedModelError, import_onnx
from nntc.targets.onnx.ops import CONVERTERS
from nntc.targets.reference.interpreter import run_module
from nntc.targets.weight_store import attach_weight_store

DATA_ROOT = Path(onnx.__file__).parent / "backend" / "test" / "data"
SUITES: tuple[str, ...] = ("node", "pytorch-converted")
RTOL = 1e-3
ATOL = 1e-5

SUPPORTED_OP_TYPES: frozenset[str] = frozenset(CONVERTERS) | {"Constant"}
"""Op types a selected case may contain: the importer's converters, plus the Constant nodes it
evaluates itself."""

PIPELINE = "canonicalize"
_PASSES: dict[str, Callable[[], type[ModulePass]]] = {"canonicalize": lambda: CanonicalizePass}

PASSED, REJECTED, FAILED = "passed", "rejected", "failed"


def _names(*names: str) -> tuple[str, ...]:
    return names


_RESIZE_CASES = tuple(
    f"test_resize_{direction}_scales_{variant}"
    for direction, variants in (
        (
            "downsample",
            (
                "cubic",
                "cubic_A_n0p5_exclude_outside",
                "cubic_align_corners",
                "cubic_antialias",
                "linear",
                "linear_align_corners",
                "linear_antialias",
                "linear_half_pixel_symmetric",
                "nearest",
            ),
        ),
        (
            "upsample",
            (
                "cubic",
                "cubic_A_n0p5_exclude_outside",
                "cubic_align_corners",
                "cubic_asymmetric",
                "linear",
                "linear_align_corners",
                "linear_half_pixel_symmetric",
                "nearest",
                "nearest_axes_2_3",
                "nearest_axes_3_2",
            ),
        ),
    )
    for variant in variants
)

KNOWN_REJECTIONS: dict[str, str] = {
    # Resize/Upsample whose scales are a graph input: the output shape depends on runtime data,
    # and every top value has a static shape
    **dict.fromkeys(_RESIZE_CASES, "scales (input 2) must be a constant"),
    "test_upsample_nearest": "scales (input 1) must be a constant",
    # Pow with a runtime exponent: top.pow has a constant exponent (x ** y for any sign of x
    # has no exact decomposition into top ops)
    **dict.fromkeys(
        _names("test_pow", "test_pow_bcast_array", "test_pow_bcast_scalar", "test_pow_example"),
        "the exponent (input 1) must be a constant",
    ),
    # training-mode batch statistics: nntc compiles inference graphs
    **dict.fromkeys(
        _names("test_batchnorm_epsilon_training_mode", "test_batchnorm_example_training_mode"),
        "training_mode = 1 is not supported",
    ),
    # top.deconv is 2-D (1-D is lifted to it); 3-D transposed convolution has no lowering yet
    "test_convtranspose_3d": "only 1-D and 2-D transposed convolutions are supported",
}
"""Cases the importer rejects on purpose, with a substring of the reason it must give. A case
listed here that starts to pass, or one not listed that is rejected, fails the test suite, so
the list (and `docs/conformance.md`) always says exactly what is not supported."""


@dataclass(frozen=True)
class Case:
    """One backend test case: its folder and the op types of its graph (Constant excluded)."""

    suite: str
    path: Path
    op_types: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Outcome:
    """How a case ended: `passed`, `rejected` or `failed`, with a one-line reason."""

    status: str
    reason: str = ""


def check_outcome(case: Case, outcome: Outcome, known: dict[str, str], known_name: str) -> None:
    """Fails the calling test unless `outcome` passed and `case` is not in `known`, or it was
    rejected for the reason `known` lists (`known_name` names that table in the messages)."""
    import pytest

    if outcome.status == FAILED:
        pytest.fail(f"{case.suite}/{case.name}: {outcome.reason}", pytrace=False)
    expected = known.get(case.name)
    if outcome.status == REJECTED:
        if expected is None:
            pytest.fail(f"unexpectedly rejected: {outcome.reason}", pytrace=False)
        assert expected in outcome.reason, f"rejected for another reason: {outcome.reason}"
    else:
        assert outcome.status == PASSED
        assert expected is None, (
            f"{case.name} passes now; remove it from {known_name} (was: {expected})"
        )


def _is_float32(value_info: onnx.ValueInfoProto) -> bool:
    return (
        value_info.type.HasField("tensor_type")
        and value_info.type.tensor_type.elem_type == TensorProto.FLOAT
    )


def _graph_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    initializers = {init.name for init in graph.initializer}
    return [vi for vi in graph.input if vi.name not in initializers]


def select_cases(root: Path = DATA_ROOT) -> list[Case]:
    """Every case of the suites whose inputs/outputs are float32 and whose ops are supported."""
    cases = []
    for suite in SUITES:
        folder = root / suite
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            model_path = path / "model.onnx"
            if not model_path.is_file():
                continue
            graph = onnx.load(str(model_path), load_external_data=False).graph
            if not all(_is_float32(vi) for vi in (*_graph_inputs(graph), *graph.output)):
                continue
            op_types = {node.op_type for node in graph.node}
            if op_types <= SUPPORTED_OP_TYPES:
                cases.append(Case(suite, path, tuple(sorted(op_types - {"Constant"}))))
    return cases


def _data_sets(case: Case, inputs: int, outputs: int) -> Iterator[tuple[list, list]]:
    for folder in sorted(case.path.glob("test_data_set_*")):
        read = [
            numpy_helper.to_array(onnx.load_tensor(str(folder / f"{kind}_{i}.pb")))
            for kind, count in (("input", inputs), ("output", outputs))
            for i in range(count)
        ]
        yield read[:inputs], read[inputs:]


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def context() -> Context:
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    return ctx


def compile_model(model: onnx.ModelProto, shapes: list[list[int]]) -> ModuleOp:
    """Import with the data set's input shapes, attach the weights, canonicalize."""
    module, store = import_onnx(model, shapes=shapes)
    attach_weight_store(module, store)
    PassPipeline.parse_spec(_PASSES, PIPELINE).apply(context(), module)
    module.verify()
    return module


def _compare(name: str, got: np.ndarray, expected: np.ndarray) -> str | None:
    """Why `got` does not match `expected`, or None when it does."""
    if got.shape != expected.shape:
        return f"output '{name}' has shape {list(got.shape)}, expected {list(expected.shape)}"
    if np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return None
    with np.errstate(invalid="ignore"):
        error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    worst = int(np.nanargmax(error)) if np.any(np.isfinite(error)) else 0
    return (
        f"output '{name}' differs: max abs error {np.nanmax(error):.3g} at flat index {worst} "
        f"(got {got.reshape(-1)[worst]:.6g}, expected {expected.reshape(-1)[worst]:.6g})"
    )


def _import_rejection(err: Exception) -> str | None:
    if isinstance(err, UnsupportedModelError):
        return "; ".join(str(p) for p in err.problems)
    if isinstance(err, OnnxImportError):
        return _first_line(err)
    return None


def run_case(
    case: Case,
    compile: Callable[[onnx.ModelProto, list[list[int]]], ModuleOp] = compile_model,
    run: Callable[[ModuleOp, dict[str, np.ndarray]], object] = run_module,
    rejection: Callable[[Exception], str | None] = _import_rejection,
) -> Outcome:
    """Compile `case` (one module per distinct input shapes) and run each of its data sets:
    by default import, canonicalize and interpret the top IR. `rejection` gives the reason of
    an exception of `compile` that is a refusal (None: not one, a failure)."""
    model = onnx.load(str(case.path / "model.onnx"))
    graph = model.graph
    input_names = [vi.name for vi in _graph_inputs(graph)]
    output_names = [vi.name for vi in graph.output]
    modules: dict[tuple[tuple[int, ...], ...], ModuleOp] = {}
    try:
        for inputs, expected in _data_sets(case, len(input_names), len(output_names)):
            key = tuple(tuple(x.shape) for x in inputs)
            if key not in modules:
                try:
                    modules[key] = compile(model, [list(s) for s in key])
                except Exception as err:
                    if (reason := rejection(err)) is None:
                        raise
                    return Outcome(REJECTED, reason)
            result = run(modules[key], dict(zip(input_names, inputs, strict=True)))
            for name, want in zip(output_names, expected, strict=True):
                got = result.outputs.get(name)  # type: ignore[attr-defined]
                if got is None:
                    got_names = sorted(result.outputs)  # type: ignore[attr-defined]
                    return Outcome(FAILED, f"no output '{name}' (got {got_names})")
                why = _compare(name, np.asarray(got), want)
                if why is not None:
                    return Outcome(FAILED, why)
    except Exception as err:  # a crash is a failure, reported by its type and first line
        return Outcome(FAILED, f"{type(err).__name__}: {_first_line(err)}")
    return Outcome(PASSED)


__all__ = [
    "ATOL",
    "FAILED",
    "KNOWN_REJECTIONS",
    "PASSED",
    "REJECTED",
    "RTOL",
    "SUPPORTED_OP_TYPES",
    "Case",
    "Outcome",
    "compile_model",
    "run_case",
    "select_cases",
]
