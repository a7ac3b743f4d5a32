"""The FP32 compile pipeline of `nntc-bmneto` as a Python API: ONNX in, a checked bmodel out.

    result = compile_onnx("resnet18.onnx", ["input"], [[1, 3, 224, 224]])
    result.bmodel                       # the bytes of compilation.bmodel
    result.stages["tpu"].module         # the IR as it was after that stage (a clone)
    check = check_against_onnxruntime("resnet18.onnx", result)
    check.outputs[0].cosine, check.latency_ms
    write_outdir(result, "bmodel/fp32", check)

`compile_onnx` runs everything in one process on one module, never re-parsing:

    import -> canonicalize -> fold-constants -> lower-to-tpu{mode=f32} -> layer-group
           -> assign-gmem -> lower-to-bm1684x -> bmodel bytes

Layer groups are decided before DDR addresses (as TPU-MLIR orders it): `assign-gmem` places
each `tpu.group` as one step, so that a sliced group never stores over rows it has still to
load. With `layer_group=False` the `layer-group` step is left out (`compile_steps`).

It keeps a clone of the module after fold-constants (`top`), after assign-gmem (`tpu`, the
input of lower-to-bm1684x: tpu ops, `tpu.group`s with their slices, DDR addresses) and after
lower-to-bm1684x (`final`). Every clone shares the run's weight store and names its side-car
file in its `nntc.weights` attribute, so that `write_outdir` writes each `<net>_<stage>.mlir`
beside its `<net>_<stage>.npz`, readable by `nntc-opt`:
`nntc-opt <net>_tpu.mlir -p 'lower-to-bm1684x{net=<net>}' -t bmodel -o x.bmodel` gives the
same bytes as the pipeline (with the same `SOURCE_DATE_EPOCH`).

Errors a user can fix (a missing or unreadable model, bad names or shapes, an unsupported
target, ops the importer or the BM1684X lowering cannot handle) raise `PipelineError` with the
message to print (one line, or the list of every unsupported op); anything else is a bug.

`write_outdir` is atomic in this sense: it writes nothing until it is called, i.e. until the
compile (and the check, when there is one) has succeeded. It then builds every file in a fresh
temporary directory beside DIR and, if DIR does not exist yet, renames that directory to DIR
(one atomic step); if DIR exists, each file is renamed into it (each file atomic, other files in
DIR left alone). A failure while writing removes the temporary directory.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import onnx
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException

from nntc.targets.atomic import npz_bytes, umask
from nntc.targets.weight_store import WeightStore

SUPPORTED_TARGETS = ("BM1684X",)
"""Values of `--target` (case-insensitive)."""

COSINE_MIN = 0.99999
"""The check passes when every output's cosine similarity with onnxruntime is at least this..."""
REL_ERR_MAX = 1e-3
"""...and its max abs error is at most this times the max |value| of onnxruntime's output."""

BMODEL_FILE = "compilation.bmodel"
LAYERS_SUFFIX = ".layers.json"
"""`compilation.bmodel.layers.json`: the layer map `nntc-sim` reads beside the bmodel."""

COMPILE_STEPS = (
    "import",
    "canonicalize",
    "fold-constants",
    "lower-to-tpu",
    "layer-group",
    "assign-gmem",
    "lower-to-bm1684x",
    "emit bmodel",
)
"""The steps `compile_onnx` reports to its observer, in order (`compile_steps`)."""


def compile_steps(layer_group: bool = True) -> tuple[str, ...]:
    """The steps `compile_onnx(..., layer_group=layer_group)` reports, in order."""
    return tuple(s for s in COMPILE_STEPS if layer_group or s != "layer-group")


CHECK_STEPS = ("simulate", "onnxruntime")
"""The steps `check_against_onnxruntime` reports."""

STAGE_FILES = ("top", "tpu", "final")
"""The IR snapshots, in pipeline order; each is written as `<net>_<stage>.mlir` + `.npz`."""


class PipelineError(Exception):
    """A problem with the user's model or options; the message is ready to print."""


class StageObserver(Protocol):
    """Told when each step of the pipeline starts and ends (for a progress display)."""

    def started(self, name: str) -> None: ...

    def finished(self, name: str, seconds: float) -> None: ...


@dataclass
class Snapshot:
    """The module as it was after one stage, with the weight-store entries it refers to."""

    name: str
    module: ModuleOp
    weights_file: str
    weight_names: tuple[str, ...]

    def render(self) -> str:
        """The IR text, with locations (ONNX node names), as `<net>_<stage>.mlir` holds it."""
        stream = io.StringIO()
        Printer(stream=stream, print_debuginfo=True).print_op(self.module)
        stream.write("\n")
        return stream.getvalue()


@dataclass
class Compilation:
    """What `compile_onnx` produced."""

    net_name: str
    bmodel: bytes
    stages: dict[str, Snapshot]
    store: WeightStore
    layer_map: list[object]
    """Which commands belong to which ONNX node (the simulator's layer map)."""
    timings: list[tuple[str, float]] = field(default_factory=list)
    """(step, seconds) for every step run so far, the check's steps included."""

    @property
    def total_seconds(self) -> float:
        return sum(seconds for _, seconds in self.timings)


@dataclass(frozen=True)
class OutputComparison:
    """One output of the simulated bmodel against onnxruntime's."""

    name: str
    cosine: float
    max_abs_error: float
    max_abs_ref: float

    @property
    def passed(self) -> bool:
        return self.cosine >= COSINE_MIN and self.max_abs_error <= REL_ERR_MAX * self.max_abs_ref


@dataclass
class CheckResult:
    """The simulated bmodel against onnxruntime on one deterministic input."""

    inputs: dict[str, np.ndarray]
    simulated: dict[str, np.ndarray]
    reference: dict[str, np.ndarray]
    outputs: list[OutputComparison]
    report: dict[str, object]
    """The simulator's timing report (`cycles`, `latency_ms`, `tiu_busy_cycles`, ...)."""

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outputs)

    @property
    def latency_ms(self) -> float:
        return float(self.report["latency_ms"])  # type: ignore[arg-type]

    @property
    def cycles(self) -> int:
        return int(self.report["cycles"])  # type: ignore[call-overload]


class _Steps:
    """Runs named steps, timing each and telling the observer."""

    def __init__(self, observer: StageObserver | None, timings: list[tuple[str, float]]):
        self.observer = observer
        self.timings = timings

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.observer is not None:
            self.observer.started(name)
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings.append((name, seconds))
        if self.observer is not None:
            self.observer.finished(name, seconds)


def check_target(target: str) -> str:
    """The canonical name of a supported `--target`, else `PipelineError`."""
    for known in SUPPORTED_TARGETS:
        if target.upper() == known:
            return known
    raise PipelineError(
        f"--target: unsupported target '{target}' (supported: {', '.join(SUPPORTED_TARGETS)})"
    )


_NET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def check_net_name(name: str) -> str:
    """A net name is part of file names (`<net>_top.mlir`): letters, digits, `_`, `.`, `-`."""
    if not _NET_NAME.fullmatch(name):
        raise PipelineError(
            f"--net_name: '{name}' is not a valid net name (use letters, digits, '_', '.', '-', "
            "not starting with '.' or '-')"
        )
    return name


def default_net_name(model: str | os.PathLike[str] | onnx.ModelProto) -> str:
    """The model file's stem with other characters replaced by `_`; `network` for a proto."""
    if isinstance(model, onnx.ModelProto):
        return "network"
    stem = re.sub(r"[^A-Za-z0-9_.\-]", "_", Path(model).stem).lstrip(".-")
    return stem or "network"


def _context() -> Context:
    from nntc.ir_io import nntc_context

    return nntc_context()


def _used_weights(module: ModuleOp) -> tuple[str, ...]:
    from nntc.targets.weight_store import weight_ops

    names = {op.properties["weight_name"].data for op in weight_ops(module)}  # type: ignore[union-attr]
    return tuple(sorted(names))


def _snapshot(module: ModuleOp, stage: str, net: str, store: WeightStore) -> Snapshot:
    from nntc.targets.weight_store import WEIGHTS_ATTR, attach_weight_store

    clone = module.clone()
    attach_weight_store(clone, store)
    weights_file = f"{net}_{stage}.npz"
    clone.attributes[WEIGHTS_ATTR] = StringAttr(weights_file)
    return Snapshot(stage, clone, weights_file, _used_weights(clone))


def compile_onnx(
    model: str | os.PathLike[str] | onnx.ModelProto,
    input_names: Sequence[str] | None = None,
    shapes: Sequence[Sequence[int]] | None = None,
    output_names: Sequence[str] | None = None,
    *,
    net_name: str | None = None,
    target: str = "BM1684X",
    observer: StageObserver | None = None,
    layer_group: bool = True,
) -> Compilation:
    """Compile an ONNX model (path or proto) to an FP32 bmodel in memory (see the module doc).

    `input_names`, `shapes` and `output_names` are those of `import_onnx` (bmneto's flags);
    `net_name` defaults to the model file's stem; `layer_group` keeps chains of layers in local
    memory (the `layer-group` pass, before `assign-gmem`). Raises `PipelineError` for the
    user's errors.
    """
    from xdsl.transforms.canonicalize import CanonicalizePass

    from nntc.passes.assign_gmem import AssignGmemPass
    from nntc.passes.fold_constants import FoldConstantsPass
    from nntc.passes.layer_group import LayerGroupPass
    from nntc.passes.lower_to_bm1684x import LAYERS_ATTR, LowerToBm1684xPass
    from nntc.passes.lower_to_tpu import LowerToTpuPass
    from nntc.targets.bm1684x.bmodel import BModelError, bmodel_bytes
    from nntc.targets.bm1684x.bmodel_ir import BModelIRError, ir_to_bmodel
    from nntc.targets.onnx import OnnxImportError, import_onnx
    from nntc.targets.weight_store import WeightStoreError, attach_weight_store

    chip = check_target(target).lower()
    net = check_net_name(net_name) if net_name is not None else default_net_name(model)
    if not isinstance(model, onnx.ModelProto):
        path = Path(model)
        if path.is_dir():
            raise PipelineError(f"--model: {path} is a directory, not an ONNX model")
        if not path.exists():
            raise PipelineError(f"--model: {path}: no such file")

    timings: list[tuple[str, float]] = []
    steps = _Steps(observer, timings)
    stages: dict[str, Snapshot] = {}
    ctx = _context()
    with steps.step("import"):
        try:
            module, store = import_onnx(model, input_names, shapes, output_names)
        except OnnxImportError as err:
            raise PipelineError(str(err)) from None
        attach_weight_store(module, store)

    passes: list[tuple[ModulePass, str | None]] = [
        (CanonicalizePass(), None),
        (FoldConstantsPass(), "top"),
        (LowerToTpuPass(chip=chip, mode="f32"), None),
        *([(LayerGroupPass(), None)] if layer_group else []),
        (AssignGmemPass(), "tpu"),
        (LowerToBm1684xPass(net=net), "final"),
    ]
    for pass_, snapshot in passes:
        with steps.step(pass_.name):
            try:
                pass_.apply(ctx, module)
                module.verify()
            except (DiagnosticException, WeightStoreError) as err:
                raise PipelineError(_pass_message(pass_.name, err)) from None
            if snapshot is not None:
                stages[snapshot] = _snapshot(module, snapshot, net, store)

    with steps.step("emit bmodel"):
        try:
            data = bmodel_bytes(ir_to_bmodel(module, store))
        except (BModelIRError, BModelError) as err:
            raise PipelineError(f"bmodel: {err}") from None
    layer_map: list[object] = []
    for op in module.walk():
        attr = op.attributes.get(LAYERS_ATTR)
        if isinstance(attr, StringAttr):
            layer_map.append(json.loads(attr.data))
    return Compilation(net, data, stages, store, layer_map, timings)


def _pass_message(name: str, err: Exception) -> str:
    text = str(err).strip()
    # the lowering passes already start their message with their name
    return text if text.startswith(f"{name}:") else f"{name}: {text}"


# --- the check ---------------------------------------------------------------------------------


def deterministic_inputs(
    shapes: Mapping[str, Sequence[int]], seed: int = 0
) -> dict[str, np.ndarray]:
    """Standard-normal float32 inputs from a fixed seed, in the given order of the inputs."""
    rng = np.random.default_rng(seed)
    return {
        name: rng.standard_normal(tuple(shape)).astype(np.float32) for name, shape in shapes.items()
    }


def _reference_session(model: str | os.PathLike[str] | onnx.ModelProto, inputs: Sequence[str],
                       outputs: Sequence[str]) -> object:  # fmt: skip
    """An onnxruntime session whose inputs and outputs are those of the compiled net.

    When the compile cut the graph (`--input_names`/`--output_names` naming inner tensors), the
    same sub-graph is extracted with `onnx.utils.Extractor` so that onnxruntime runs it too."""
    import onnxruntime as ort

    proto = model if isinstance(model, onnx.ModelProto) else onnx.load(os.fspath(model))
    graph = proto.graph
    initializers = {i.name for i in graph.initializer}
    graph_inputs = [i.name for i in graph.input if i.name not in initializers]
    graph_outputs = [o.name for o in graph.output]
    if sorted(inputs) != sorted(graph_inputs) or sorted(outputs) != sorted(graph_outputs):
        # the Extractor takes the cut points' types from value_info: infer them, and declare
        # any that inference could not reach as float tensors of unknown shape
        proto = onnx.shape_inference.infer_shapes(proto)
        infos = proto.graph
        known = {vi.name for vi in (*infos.value_info, *infos.input, *infos.output)}
        for name in (*inputs, *outputs):
            if name not in known:
                infos.value_info.append(
                    onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                )
        proto = onnx.utils.Extractor(proto).extract_model(list(inputs), list(outputs))
    options = ort.SessionOptions()
    options.log_severity_level = 3  # no warnings about initializers listed as inputs
    return ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def compare(name: str, simulated: np.ndarray, reference: np.ndarray) -> OutputComparison:
    """Cosine similarity and max abs error of one output (computed in float64)."""
    if simulated.shape != reference.shape:
        raise ValueError(
            f"output '{name}': the bmodel gives shape {list(simulated.shape)}, onnxruntime "
            f"{list(reference.shape)}"
        )
    a = simulated.astype(np.float64).ravel()
    b = reference.astype(np.float64).ravel()
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        # two all-zero outputs agree; one all-zero output against anything else does not
        cosine = 1.0 if not a.any() and not b.any() else 0.0
    else:
        cosine = float(np.dot(a, b) / norms)
    error = float(np.abs(a - b).max()) if a.size else 0.0
    max_ref = float(np.abs(b).max()) if b.size else 0.0
    return OutputComparison(name, cosine, error, max_ref)


def check_against_onnxruntime(
    model: str | os.PathLike[str] | onnx.ModelProto,
    compilation: Compilation,
    inputs: Mapping[str, np.ndarray] | None = None,
    *,
    seed: int = 0,
    observer: StageObserver | None = None,
) -> CheckResult:
    """Run the bmodel on the simulator and the model on onnxruntime, and compare the outputs.

    `inputs` default to `deterministic_inputs` of the net's input shapes. The steps' times are
    appended to `compilation.timings`."""
    from nntc.targets.bm1684x.simulator import Simulator

    steps = _Steps(observer, compilation.timings)
    with steps.step("simulate"):
        layers = compilation.layer_map[0] if len(compilation.layer_map) == 1 else None
        sim = Simulator(compilation.bmodel, layers=layers)
        shapes = {t.name: t.shape for t in sim.inputs}
        feed = dict(inputs) if inputs is not None else deterministic_inputs(shapes, seed)
        result = sim.run(feed)
    with steps.step("onnxruntime"):
        output_names = [t.name for t in sim.outputs]
        session = _reference_session(model, list(shapes), output_names)
        values = session.run(output_names, feed)  # type: ignore[attr-defined]
        reference = dict(zip(output_names, values, strict=True))
    comparisons = [compare(n, result.outputs[n], reference[n]) for n in output_names]
    return CheckResult(feed, dict(result.outputs), reference, comparisons, dict(result.report))


# --- writing the output directory --------------------------------------------------------------


def output_files(compilation: Compilation, check: CheckResult | None = None) -> list[str]:
    """The names `write_outdir` writes, in the order it writes them."""
    net = compilation.net_name
    names = [BMODEL_FILE, BMODEL_FILE + LAYERS_SUFFIX]
    for stage in STAGE_FILES:
        names += [f"{net}_{stage}.mlir", f"{net}_{stage}.npz"]
    if check is not None:
        names += [f"{net}_in_f32.npz", f"{net}_ref_outputs.npz", f"{net}_sim_outputs.npz"]
    return names


def write_outdir(
    compilation: Compilation,
    outdir: str | os.PathLike[str],
    check: CheckResult | None = None,
    write_stage_ir: bool = True,
) -> list[Path]:
    """Write the bmodel, its layer map, each stage's IR and weights and, with a check, its input
    and both outputs (`<net>_in_f32.npz` feeds `nntc-sim`) into `outdir`, atomically as the
    module docstring says. Returns the paths written."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise PipelineError(f"--outdir: '{out}' exists and is not a directory")
    net = compilation.net_name
    where = out.resolve()  # `.` and `..` have no name of their own to derive the temp name from
    where.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{where.name}.", suffix=".tmp", dir=where.parent))
    try:
        (tmp / BMODEL_FILE).write_bytes(compilation.bmodel)
        layers = compilation.layer_map[0] if len(compilation.layer_map) == 1 else None
        if layers is not None:
            (tmp / (BMODEL_FILE + LAYERS_SUFFIX)).write_text(json.dumps(layers) + "\n")
        if write_stage_ir:
            for stage in STAGE_FILES:
                snapshot = compilation.stages[stage]
                (tmp / f"{net}_{stage}.mlir").write_text(snapshot.render())
                compilation.store.save(tmp / snapshot.weights_file, snapshot.weight_names)
        if check is not None:
            for suffix, arrays in (
                ("in_f32", check.inputs),
                ("ref_outputs", check.reference),
                ("sim_outputs", check.simulated),
            ):
                (tmp / f"{net}_{suffix}.npz").write_bytes(npz_bytes(arrays))
        written = sorted(p.name for p in tmp.iterdir())
        _commit(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out / name for name in written]


def _commit(tmp: Path, out: Path) -> None:
    """Move the finished files from `tmp` to `out` (one rename when `out` is new)."""
    if not out.exists():
        os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes 0700; DIR gets the usual mode
        try:
            os.rename(tmp, out)
            return
        except OSError:
            if not out.is_dir():  # not a race with another writer: a real failure
                raise
    for path in sorted(tmp.iterdir()):
        os.replace(path, out / path.name)
    tmp.rmdir()


def format_seconds(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1.0 else f"{seconds:.2f} s"


__all__ = [
    "BMODEL_FILE",
    "CHECK_STEPS",
    "COMPILE_STEPS",
    "COSINE_MIN",
    "REL_ERR_MAX",
    "STAGE_FILES",
    "SUPPORTED_TARGETS",
    "CheckResult",
    "Compilation",
    "OutputComparison",
    "PipelineError",
    "Snapshot",
    "StageObserver",
    "check_against_onnxruntime",
    "check_net_name",
    "check_target",
    "compare",
    "compile_steps",
    "compile_onnx",
    "default_net_name",
    "deterministic_inputs",
    "format_seconds",
    "output_files",
    "write_outdir",
]
