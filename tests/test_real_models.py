"""The four real models of the ONNX front end through import -> canonicalize -> reference
interpreter, compared with onnxruntime (issue "ONNX front end", item 6).

For each model of `models.MODELS` (ResNet-18, MobileNetV2, EfficientNet-Lite0, the PP-OCRv4
detector) the module fixture imports the ONNX file with `import_onnx`, runs `canonicalize` (the
only pass these models need: `fold-constants` finds nothing left to fold after import) and
interprets the result with `run_module` on a deterministic input. The tests check:

- the output matches onnxruntime to max abs error <= 1e-4 x max|ref| (see `PROBABILITY_TOL` for
  the one output where that is below float32's noise and what is asserted instead);
- the op histogram after canonicalize is exactly the expected one (batchnorms folded, relus and
  clips fused, Gemm turned into matmul): a change in the patterns shows up here;
- every op's location is an ONNX name of the model (node name; initializer or Constant output for
  weights; `<node name>.<suffix>` for weights that canonicalization derived from a node);
- once, the command-line tools do the same in separate processes: `nntc-translate --import-onnx
  --shapes`, `nntc-opt -p canonicalize`, `nntc-run`, on PP-OCR (the model that needs `--shapes`).

`python tests/test_real_models.py` prints the measurements of `docs/real-models.md` (import,
canonicalize and run times; the error against onnxruntime). The models are built once into
`build/models/` (see `tests/models`); EfficientNet-Lite0 and PP-OCR are skipped, saying what to
install, when their packages are absent (CI installs them).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import models
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.ir import Operation
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects import top
from nntc.dialects.top import Top
from nntc.targets.onnx import OnnxImportError, import_onnx
from nntc.targets.reference.interpreter import RunResult, location_name, run_module
from nntc.targets.weight_store import attach_weight_store, weight_store_of

REL_TOL = 1e-4
"""The issue's criterion: max abs error <= REL_TOL x max|reference|."""

PROBABILITY_TOL = 5e-4
"""What the PP-OCR probability map is held to instead of REL_TOL (its logits are held to REL_TOL).

The map is sigmoid(logits) with logits up to ~160 in magnitude, so float32 rounding in the
network (~4e-6 relative, as in every other model) becomes ~7e-4 absolute in the logits and up to
0.25 x that in the map where a text edge puts a logit near 0. Measured on five text images:
nntc's map differs from onnxruntime's by 0.8-1.2e-4 x max|ref|, and onnxruntime's own map with
graph optimisations off differs from the one with them on by 0.75-1.0e-4; against a float64 run
of the same graph nntc is 1.5e-4 off and onnxruntime 0.6-1.4e-4 (see docs/real-models.md). 1e-4
on the map is therefore a coin toss on any CPU, while a real bug (a wrong resize mode, a missed
bias) moves it by > 1e-2."""

PING_PONG_BALL = 722  # ImageNet class of `models.synthetic_image()` for the pretrained model


def text_image(size: int = 640, seed: int = 0) -> np.ndarray:
    """A deterministic page of "text" for the detector, normalised as PaddleOCR does.

    Six lines of words whose glyphs are 2-3 dark strokes in a 28 x 40 cell on a light page: the
    detector's map then has confident text regions (max 1.0) and background (near 0), so its
    comparison covers both ends of the sigmoid. Random normal input, by contrast, gives a map
    that is ~2e-4 everywhere, where onnxruntime's approximate sigmoid has 1e-4 relative error.
    """
    rng = np.random.default_rng(seed)
    page = np.full((size, size), 0.95, np.float32)
    for line in range(6):
        top_y = 60 + line * 90
        x = 40
        while x < size - 80:
            for _ in range(int(rng.integers(3, 8))):  # glyphs in a word
                cell = page[top_y : top_y + 40, x : x + 28]
                for _ in range(3):
                    if rng.random() < 0.5:
                        column = int(rng.integers(2, 24))
                        cell[2:38, column : column + 4] = 0.1
                    else:
                        row = int(rng.integers(2, 34))
                        cell[row : row + 4, 2:26] = 0.1
                x += 32
            x += 30  # space between words
    rgb = np.stack([page] * 3)
    return ((rgb - 0.5) / 0.5)[None].astype(np.float32)


@dataclass(frozen=True)
class Expected:
    """What one model must give after import + canonicalize."""

    histogram: dict[str, int]
    """Count of each op kind (`top.weight`, `func.*` and `builtin.*` left out); an op with a fused
    relu counts as `<name>+relu`, with a clipped one as `<name>+relu6` (see `op_kind`)."""
    make_input: Callable[[models.ModelSpec], np.ndarray]
    extra_outputs: tuple[str, ...] = ()
    """Intermediate tensors imported as outputs too (`output_names`), compared with onnxruntime on
    the model cut there."""


def _random_input(spec: models.ModelSpec) -> np.ndarray:
    return models.sample_input(spec.input_shape, seed=1)


PPOCR_LOGITS = "p2o.Add.281"  # the input of the final Sigmoid: the detector's logits

EXPECTED: dict[str, Expected] = {
    # 20 convs: the stem and each block's first conv take the relu; the second convs and the three
    # downsample convs do not (their relu comes after the residual add, which takes it)
    "resnet18": Expected(
        {
            "top.input": 1,
            "top.conv": 11,
            "top.conv+relu": 9,
            "top.maxpool": 1,
            "top.add+relu": 8,
            "top.global_avgpool": 1,
            "top.reshape": 1,  # Flatten
            "top.matmul": 1,  # Gemm
        },
        _random_input,
    ),
    # 52 convs: 35 end in Clip(0, 6) (relu6), the 17 linear bottleneck projections do not
    "mobilenetv2": Expected(
        {
            "top.input": 1,
            "top.conv": 17,
            "top.conv+relu6": 35,
            "top.add": 10,
            "top.global_avgpool": 1,
            "top.reshape": 1,
            "top.matmul": 1,
        },
        _random_input,
    ),
    # the exporter folded the batchnorms already; the 33 Clips become relu6 of their convs
    "efficientnet-lite0": Expected(
        {
            "top.input": 1,
            "top.conv": 16,
            "top.conv+relu6": 33,
            "top.add": 9,
            "top.global_avgpool": 1,  # ReduceMean over H, W
            "top.reshape": 1,
            "top.matmul": 1,
        },
        lambda spec: models.synthetic_image(spec.input_shape[-1]),
    ),
    # PP-LCNetV3 backbone + DB head from Paddle. Hard-swish, exported as x * clip(x + 3, 0, 6) / 6,
    # is recognised (24); the "learnable affine" blocks (scalar mul + add) after each conv fold
    # into its weights, while the 24 after a hard-swish stay (mul 24 + add 24; no conv before
    # them); squeeze-excite gates are hardsigmoid * x (mul 10); 11 adds merge the neck's feature
    # maps. All three batchnorms fold: the one after ConvTranspose absorbs its bias Add first,
    # then its Relu fuses; the last ConvTranspose's bias Add goes into its bias too.
    "ppocrv4-det": Expected(
        {
            "top.input": 1,
            "top.conv": 51,
            "top.conv+relu": 11,
            "top.hardswish": 24,
            "top.add": 35,
            "top.mul": 34,
            "top.global_avgpool": 10,
            "top.hardsigmoid": 10,
            "top.resize": 6,
            "top.concat": 1,
            "top.deconv": 1,
            "top.deconv+relu": 1,
            "top.sigmoid": 1,
        },
        lambda spec: text_image(spec.input_shape[-1]),
        extra_outputs=(PPOCR_LOGITS,),
    ),
}


def op_kind(op: Operation) -> str:
    """The histogram key of an op: its name, with `+relu` / `+relu<limit>` for a fused relu."""
    name = op.name
    if isinstance(op, top.ReluFusibleOp) and op.do_relu_value:
        limit = op.relu_limit_value
        return name + ("+relu" if limit is None else f"+relu{limit:g}")
    return name


def histogram(module: ModuleOp) -> dict[str, int]:
    counts = Counter(
        op_kind(op)
        for op in module.walk()
        if op.name.startswith("top.") and not isinstance(op, top.WeightOp)
    )
    return dict(counts)


def context() -> Context:
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    return ctx


@dataclass(frozen=True)
class Compiled:
    """One model imported, canonicalized and run, with its onnxruntime reference."""

    spec: models.ModelSpec
    path: Path
    model: onnx.ModelProto
    module: ModuleOp
    x: np.ndarray
    result: RunResult
    reference: dict[str, np.ndarray]
    seconds: dict[str, float]


def _require(spec: models.ModelSpec) -> None:
    missing = spec.missing()
    if missing:
        pytest.skip(f"{spec.name} needs {spec.needs}; missing: {', '.join(missing)}")


def cut_model(model: onnx.ModelProto, output: str) -> onnx.ModelProto:
    """`model` with `output` as its only output and only the nodes that compute it."""
    needed = {output}
    nodes = []
    for node in reversed(model.graph.node):
        if needed.intersection(node.output):
            nodes.append(node)
            needed.update(name for name in node.input if name)
    cut = onnx.ModelProto()
    cut.CopyFrom(model)
    del cut.graph.node[:]
    cut.graph.node.extend(reversed(nodes))
    del cut.graph.output[:]
    cut.graph.output.append(onnx.ValueInfoProto(name=output))
    return cut


def session(model: onnx.ModelProto | Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # PP-OCR's graph makes onnxruntime warn about unused inits
    source = str(model) if isinstance(model, Path) else model.SerializeToString()
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def reference(
    model: onnx.ModelProto, path: Path, x: np.ndarray, outputs: list[str]
) -> dict[str, np.ndarray]:
    """onnxruntime's value of each of `outputs`: graph outputs from the model as it is (so that
    onnxruntime optimises it as users run it), intermediate tensors from the model cut there."""
    graph_outputs = [o.name for o in model.graph.output]
    input_name = model.graph.input[0].name
    values = dict(models.reference_output(path, x))
    for name in outputs:
        if name not in graph_outputs:
            (values[name],) = session(cut_model(model, name)).run(None, {input_name: x})
    return values


def compile_and_run(name: str, dump_all: bool) -> Compiled:
    spec = models.MODELS[name]
    expected = EXPECTED[name]
    path = spec.build()
    model = onnx.load(str(path))
    outputs = [spec.output_name, *expected.extra_outputs]
    start = time.perf_counter()
    module, store = import_onnx(
        path,
        shapes=[list(spec.input_shape)],
        output_names=outputs if expected.extra_outputs else None,
    )
    attach_weight_store(module, store)
    imported = time.perf_counter()
    CanonicalizePass().apply(context(), module)
    module.verify()
    canonicalized = time.perf_counter()
    x = expected.make_input(spec)
    result = run_module(module, {spec.input_name: x}, dump_all=dump_all)
    ran = time.perf_counter()
    seconds = {
        "import": imported - start,
        "canonicalize": canonicalized - imported,
        "run": ran - canonicalized,
    }
    return Compiled(
        spec, path, model, module, x, result, reference(model, path, x, outputs), seconds
    )


@cache
def _compiled(name: str) -> Compiled:
    # PP-OCR's activations (~600 MB at 640 x 640) are not kept; its locations are checked on the IR
    return compile_and_run(name, dump_all=name != "ppocrv4-det")


@pytest.fixture(scope="module", params=list(models.MODELS), ids=list(models.MODELS))
def compiled(request: pytest.FixtureRequest) -> Compiled:
    _require(models.MODELS[request.param])
    return _compiled(request.param)


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |got - want| / max |want|."""
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    error = np.abs(got.astype(np.float64) - want.astype(np.float64)).max()
    return float(error / np.abs(want).max())


def tolerance(model: str, output: str) -> float:
    return PROBABILITY_TOL if (model, output) == ("ppocrv4-det", "sigmoid_0.tmp_0") else REL_TOL


# --- accuracy --------------------------------------------------------------------------------


def test_matches_onnxruntime(compiled: Compiled) -> None:
    spec = compiled.spec
    names = [spec.output_name, *EXPECTED[spec.name].extra_outputs]
    assert sorted(compiled.result.outputs) == sorted(names)
    for name in names:
        got, want = compiled.result.outputs[name], compiled.reference[name]
        assert got.dtype == np.float32
        assert np.isfinite(got).all()
        error = relative_error(got, want)
        limit = tolerance(spec.name, name)
        assert error <= limit, f"{name}: max abs error {error:.3g} x max|ref| > {limit:g}"


def test_outputs_are_not_trivial(compiled: Compiled) -> None:
    """The comparison means something only if the reference output varies across its range."""
    want = compiled.reference[compiled.spec.output_name]
    assert want.std() > 1e-3 * np.abs(want).max()
    if compiled.spec.name == "ppocrv4-det":
        # text found (high probability) and background (low) both present in the map
        assert want.max() > 0.9 and want.min() < 0.1 and 0.02 < (want > 0.5).mean() < 0.5


def test_efficientnet_pretrained_top1() -> None:
    """The pretrained classifier calls the synthetic orange disc a ping-pong ball, in nntc too."""
    spec = models.MODELS["efficientnet-lite0"]
    _require(spec)
    compiled = _compiled(spec.name)
    logits = compiled.result.outputs[spec.output_name]
    assert int(logits.argmax()) == PING_PONG_BALL
    assert int(compiled.reference[spec.output_name].argmax()) == PING_PONG_BALL


# --- the IR after canonicalize ---------------------------------------------------------------


def test_op_histogram(compiled: Compiled) -> None:
    assert histogram(compiled.module) == EXPECTED[compiled.spec.name].histogram


def test_every_weight_is_used(compiled: Compiled) -> None:
    """Folding leaves no dead weights behind, and every used weight is in the store."""
    store = weight_store_of(compiled.module)
    for op in compiled.module.walk():
        if isinstance(op, top.WeightOp):
            assert op.output.uses, f"unused weight {op.weight_name.data}"
            if op.value is None:
                assert op.weight_name.data in store


def onnx_names(model: onnx.ModelProto) -> tuple[set[str], set[str]]:
    """(node names, tensor names: initializers, graph inputs and node outputs)."""
    graph = model.graph
    nodes = {node.name or node.output[0] for node in graph.node}
    tensors = {init.name for init in graph.initializer} | {vi.name for vi in graph.input}
    tensors |= {out for node in graph.node for out in node.output}
    return nodes, tensors


def test_locations_are_onnx_names(compiled: Compiled) -> None:
    nodes, tensors = onnx_names(compiled.model)
    compute = []
    for op in compiled.module.walk():
        if not op.name.startswith("top."):
            continue
        loc = location_name(op)
        assert loc is not None, f"{op.name} has no name location: {op.location}"
        if isinstance(op, top.InputOp):
            assert loc == compiled.spec.input_name
        elif isinstance(op, top.WeightOp):
            # an initializer, a Constant node's output, or derived from a node ("<node>.weight")
            derived = any(loc.startswith(n + ".") and loc[len(n) + 1 :] for n in nodes)
            assert loc in tensors or loc in nodes or derived, f"weight location '{loc}'"
        else:
            assert loc in nodes, f"{op.name} at '{loc}', not a node of the model"
            compute.append(loc)
    duplicated = [loc for loc, count in Counter(compute).items() if count > 1]
    assert not duplicated, f"locations shared by several ops: {duplicated}"
    if compiled.result.all_values is not None:
        # --dump-all keys are the locations: every op found by its ONNX name
        assert set(compute) <= set(compiled.result.all_values)


def test_dynamic_model_needs_shapes() -> None:
    spec = models.MODELS["ppocrv4-det"]
    _require(spec)
    with pytest.raises(OnnxImportError, match=r"dynamic dimension.*--shapes"):
        import_onnx(spec.build())


# --- the command-line tools ------------------------------------------------------------------


def tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", f"nntc.{module}", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"nntc.{module} failed:\n{done.stderr}"
    return done


@pytest.mark.slow
def test_cli_pipeline_ppocr(tmp_path: Path) -> None:
    """translate -> opt -> run in three processes (text IR and .npz weights in between) gives
    bit for bit the output of the in-process pipeline, and keeps the ONNX locations."""
    spec = models.MODELS["ppocrv4-det"]
    _require(spec)
    imported, canonical = tmp_path / "det.mlir", tmp_path / "det.canon.mlir"
    shape = ",".join(str(d) for d in spec.input_shape)
    shapes = f"[[{shape}]]"
    tool("translate", "--import-onnx", str(spec.build()), "--shapes", shapes, "-o", str(imported))
    assert imported.with_suffix(".npz").is_file()
    tool("opt", str(imported), "-p", "canonicalize", "--print-debuginfo", "-o", str(canonical))
    text = canonical.read_text()
    assert 'loc("p2o.Resize.0")' in text and 'loc("p2o.Sigmoid.0")' in text
    x = text_image(spec.input_shape[-1])
    inputs, outputs = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(inputs, **{spec.input_name: x})
    done = tool("run", str(canonical), "--input", str(inputs), "--output", str(outputs))
    assert spec.output_name in done.stdout
    with np.load(outputs) as out:
        assert out.files == [spec.output_name]
        got = out[spec.output_name]
    in_process = _compiled(spec.name).result.outputs[spec.output_name]
    np.testing.assert_array_equal(got, in_process)


# --- measurements for docs/real-models.md ----------------------------------------------------


def best_of(run: Callable[[], object], rounds: int) -> float:
    run()  # warm-up: onnxruntime's arena, numpy's temporaries, the page cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(rounds: int = 3) -> None:
    """Print a markdown table row per model: nodes, top ops, error, times."""
    columns = [
        "model",
        "ONNX nodes",
        "top ops after canonicalize",
        "max abs error / max\\|ref\\|",
        "import s",
        "canonicalize s",
        "interpreter s",
        "onnxruntime s",
        "ratio",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for name, spec in models.MODELS.items():
        if spec.missing():
            print(f"| {name} | skipped: needs {spec.needs} |")
            continue
        compiled = compile_and_run(name, dump_all=False)
        feeds = {spec.input_name: compiled.x}
        ours = best_of(lambda feeds=feeds, c=compiled: run_module(c.module, feeds), rounds)
        reference_session = session(compiled.path)
        theirs = best_of(lambda s=reference_session, f=feeds: s.run(None, f), rounds)
        errors = ", ".join(
            f"{relative_error(compiled.result.outputs[o], compiled.reference[o]):.2g}"
            + (f" ({o})" if o != spec.output_name else "")
            for o in (spec.output_name, *EXPECTED[name].extra_outputs)
        )
        constants = sum(node.op_type == "Constant" for node in compiled.model.graph.node)
        nodes = f"{len(compiled.model.graph.node)}" + (
            f" ({constants} Constant)" if constants else ""
        )
        ops = sum(histogram(compiled.module).values())
        s = compiled.seconds
        print(
            f"| {name} | {nodes} | {ops} | {errors} | {s['import']:.2f} | {s['canonicalize']:.2f}"
            f" | {ours:.3f} | {theirs:.3f} | {ours / theirs:.1f} |"
        )


if __name__ == "__main__":
    measure()  # `models` imports because the script's folder, tests/, is first on sys.path
