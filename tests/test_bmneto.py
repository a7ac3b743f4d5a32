"""`nntc-bmneto` and `nntc.pipeline`: ONNX -> checked FP32 bmodel in one process.

Error paths (exit 2, one line, nothing written), the full path on small CNNs built with
onnx.helper and on ResNet-18 at 64x64 (printed cosine / max error / latency, the files of DIR,
identical bytes when compiling twice, `nntc-model --info` on the result, stage IR that nntc-opt
and nntc-model turn back into the same bmodel), and the Python API.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nntc import bmneto, pipeline
from nntc.pipeline import (
    CHECK_STEPS,
    COMPILE_STEPS,
    PipelineError,
    compare,
    compile_onnx,
    compile_steps,
    output_files,
    write_outdir,
)

pytest.importorskip("onnxruntime")

COSINE_LINE = re.compile(
    r"^(?P<net>\S+): output '(?P<name>[^']+)': cosine (?P<cos>[0-9.]+), "
    r"max abs error (?P<err>[0-9.e+-]+) \(max \|ref\| (?P<ref>[0-9.e+-]+)\): (?P<verdict>ok|MISMATCH)$",
    re.M,
)
LATENCY_LINE = re.compile(
    r"^(?P<net>\S+): simulated latency (?P<ms>[0-9.]+) ms \((?P<cycles>\d+) cycles at 1 GHz\), "
    r"TIU busy [0-9.]+%, GDMA busy [0-9.]+%$",
    re.M,
)
PROGRESS_LINE = re.compile(r"\[(?P<index>[ \d]+/\d+)\] (?P<step>\S+(?: \S+)?) +[0-9.]+ m?s")


# --- models -------------------------------------------------------------------------------------


def _save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.checker.check_model(model)
    onnx.save_model(model, path)
    return path


def _graph_model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, list[int]],
    outputs: dict[str, list[int]],
    weights: dict[str, np.ndarray],
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs.items()],
        [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


def small_cnn(batch: int | str = 1, seed: int = 0) -> onnx.ModelProto:
    """conv 3x3 -> relu -> max pool -> conv 1x1 -> relu -> global avg pool -> flatten -> gemm;
    `batch` may be a symbolic name (a dynamic dimension that --shapes fixes)."""
    rng = np.random.default_rng(seed)
    weights = {
        "c1.w": rng.standard_normal((8, 3, 3, 3)) * 0.3,
        "c1.b": rng.standard_normal(8) * 0.1,
        "c2.w": rng.standard_normal((16, 8, 1, 1)) * 0.3,
        "fc.w": rng.standard_normal((10, 16)) * 0.3,
        "fc.b": rng.standard_normal(10) * 0.1,
    }
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "c2.w"], ["c2"], name="conv2", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]  # fmt: skip
    return _graph_model(nodes, {"input": [batch, 3, 16, 16]}, {"logits": [batch, 10]}, weights)


@pytest.fixture(scope="module")
def cnn_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save(small_cnn(), tmp_path_factory.mktemp("model") / "tiny_cnn.onnx")


def _bmneto(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = bmneto.main(argv)
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _seed_flags(model: Path, outdir: Path, shape: str = "[[1,3,16,16]]") -> list[str]:
    """The NNTC guide's exact flags."""
    return ["--model", str(model), "--input_names", "input", "--shapes", shape,
            "--target", "BM1684X", "--outdir", str(outdir)]  # fmt: skip


# --- error paths: one line, exit 2, nothing written -------------------------------------------


def _unsupported_import_model() -> onnx.ModelProto:
    nodes = [
        helper.make_node("Relu", ["input"], ["r"], name="relu"),
        helper.make_node("Einsum", ["r", "r"], ["e"], name="einsum", equation="nchw,nchw->nchw"),
        helper.make_node("Hardmax", ["e"], ["output"], name="hardmax", axis=1),
    ]
    return _graph_model(nodes, {"input": [1, 3, 4, 4]}, {"output": [1, 3, 4, 4]}, {})


def _unlowerable_model() -> onnx.ModelProto:
    nodes = [helper.make_node("Clip", ["input", "lo", "hi"], ["output"], name="clip")]
    bounds = {"lo": np.array(-1.0), "hi": np.array(1.0)}
    return _graph_model(nodes, {"input": [1, 3, 4, 4]}, {"output": [1, 3, 4, 4]}, bounds)


ERROR_CASES: dict[str, tuple[list[str], str]] = {
    "missing_model": (["--model", "{dir}/nope.onnx"], "--model: {dir}/nope.onnx: no such file"),
    "model_is_directory": (["--model", "{dir}"], "is a directory, not an ONNX model"),
    "not_onnx": (["--model", "{dir}/garbage.onnx"], "not a readable ONNX model"),
    "target": (["--model", "{cnn}", "--target", "BM1684"],
               "--target: unsupported target 'BM1684' (supported: BM1684X)"),
    "shapes_syntax": (["--model", "{cnn}", "--shapes", "[[1,3,16"], "--shapes: cannot parse"),
    "shapes_not_ints": (["--model", "{cnn}", "--shapes", '[["a"]]'],
                        "--shapes: shape 0 must be a list of integers"),
    "shapes_count": (["--model", "{cnn}", "--shapes", "[[1,3,16,16],[1,2]]"],
                     "--shapes: got 2 shape(s) for 1 input(s) (input)"),
    "shapes_zero": (["--model", "{cnn}", "--shapes", "[[0,3,16,16]]"], "has a dimension < 1"),
    "shapes_wrong": (["--model", "{cnn}", "--shapes", "[[1,4,16,16]]"], "input"),
    "input_name": (["--model", "{cnn}", "--input_names", "image"],
                   "'image' is not a tensor of the model (graph inputs: input)"),
    "output_name": (["--model", "{cnn}", "--output_names", "nothing"],
                    "'nothing' is not a tensor of the model"),
    "net_name": (["--model", "{cnn}", "--net_name", "../evil"], "--net_name: '../evil' is not"),
    "outdir_is_file": (["--model", "{cnn}", "--outdir", "{dir}/garbage.onnx"],
                       "exists and is not a directory"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_user_errors_are_one_line_exit_2_and_write_nothing(
    case: str, cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "garbage.onnx").write_bytes(b"\x00not a protobuf\xff" * 10)
    argv, expected = ERROR_CASES[case]
    fill = {"dir": str(tmp_path), "cnn": str(cnn_path)}
    argv = [a.format(**fill) for a in argv]
    if "--outdir" not in argv:
        argv += ["--outdir", str(tmp_path / "out" / "fp32")]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = _bmneto(argv, capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[-1].startswith("nntc-bmneto: error: "), err
    assert expected.format(**fill) in lines[-1], err
    # progress lines of steps that finished may precede the error; nothing else
    assert all(re.match(r"\[ ?\d+/\d+\] ", line) for line in lines[:-1]), err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no DIR, no temp dir


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (_unsupported_import_model, ["2 unsupported constructs", "Einsum 'einsum'",
                                     "Hardmax 'hardmax'"]),
        (_unlowerable_model, ["lower-to-tpu", "top.clip", 'loc("clip")']),
    ],
)  # fmt: skip
def test_unsupported_ops_are_listed_exit_2_and_write_nothing(
    builder: object, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _save(builder(), tmp_path / "m.onnx")  # type: ignore[operator]
    code, out, err = _bmneto(["--model", str(model), "--outdir", str(tmp_path / "out")], capsys)
    assert code == 2, err
    assert out == ""
    assert "nntc-bmneto: error: " in err
    for text in expected:
        assert text in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: --model"),
        (["--model", "m.onnx", "--cmp", "maybe"], "argument --cmp: expected true or false"),
        (["--model", "m.onnx", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bmneto(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and expected in err and err.startswith("nntc-bmneto: error: ")


def test_cmp_flag_spellings() -> None:
    parse = bmneto._argument_parser().parse_args
    assert parse(["--model", "m"]).cmp is True
    assert parse(["--model", "m", "--no-cmp"]).cmp is False
    assert parse(["--model", "m", "--cmp=False"]).cmp is False
    assert parse(["--model", "m", "--cmp", "true"]).cmp is True
    dashed = parse(["--model", "m", "--input-names", "a,b", "--output-names", "c"])
    assert (dashed.input_names, dashed.output_names) == ("a,b", "c")


def test_python_dash_m_and_console_script(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    missing = str(tmp_path / "missing.onnx")
    for cmd in (
        [sys.executable, "-m", "nntc.bmneto", "--model", missing],
        [str(Path(sys.executable).parent / "nntc-bmneto"), "--model", missing],
    ):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"nntc-bmneto: error: --model: {missing}: no such file\n"
    assert os.listdir(tmp_path) == []


# --- the full path ------------------------------------------------------------------------------


def test_seed_command_on_a_small_cnn(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir = tmp_path / "bmodel" / "fp32"  # parents are created, as the guide expects
    code, out, err = _bmneto(_seed_flags(cnn_path, outdir), capsys)
    assert code == 0, err

    (match,) = COSINE_LINE.finditer(out)
    assert match["net"] == "tiny_cnn" and match["name"] == "logits" and match["verdict"] == "ok"
    assert float(match["cos"]) >= pipeline.COSINE_MIN
    assert float(match["err"]) <= pipeline.REL_ERR_MAX * float(match["ref"])
    latency = LATENCY_LINE.search(out)
    assert latency is not None and float(latency["ms"]) > 0 and int(latency["cycles"]) > 0
    assert f"tiny_cnn: wrote {outdir / 'compilation.bmodel'}" in out

    # progress: one plain line per step (stderr is not a terminal), in pipeline order
    steps = [*COMPILE_STEPS, *CHECK_STEPS, "write"]
    progress = [PROGRESS_LINE.fullmatch(line) for line in err.splitlines()]
    assert all(progress), err
    assert [m["step"] for m in progress if m] == steps
    assert [m["index"] for m in progress if m] == [f"{i:>2}/11" for i in range(1, 12)]

    names = sorted(p.name for p in outdir.iterdir())
    assert names == sorted(output_files_for("tiny_cnn", check=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bmodel"]  # no temp dir left

    # the check's files: nntc-sim's input, and both outputs agreeing with the printed error
    with np.load(outdir / "tiny_cnn_in_f32.npz") as inputs:
        assert inputs["input"].shape == (1, 3, 16, 16)
    with (
        np.load(outdir / "tiny_cnn_ref_outputs.npz") as ref,
        np.load(outdir / "tiny_cnn_sim_outputs.npz") as sim,
    ):
        err_max = float(np.abs(ref["logits"] - sim["logits"]).max())
    assert f"{err_max:.3g}" == match["err"]


def output_files_for(net: str, check: bool) -> list[str]:
    files = ["compilation.bmodel", "compilation.bmodel.layers.json"]
    files += [
        f"{net}_{stage}.{ext}" for stage in ("top", "tpu", "final") for ext in ("mlir", "npz")
    ]
    if check:
        files += [f"{net}_in_f32.npz", f"{net}_ref_outputs.npz", f"{net}_sim_outputs.npz"]
    return files


def test_stage_ir_files_are_the_pipeline(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Each `<net>_<stage>.mlir` reads back with its weights, holds that stage's dialect, and
    nntc-opt / nntc-model turn the tpu and final IR into the very same bmodel."""
    from nntc import model as model_tool
    from nntc import opt
    from nntc.ir_io import read_ir

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outdir = tmp_path / "out"
    code, _, err = _bmneto([*_seed_flags(cnn_path, outdir), "--no-cmp"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in outdir.iterdir()) == sorted(output_files_for("tiny_cnn", False))
    dialects = {"top": {"top"}, "tpu": {"tpu", "top"}, "final": {"bm1684x"}}
    for stage, expected in dialects.items():
        module = read_ir(outdir / f"tiny_cnn_{stage}.mlir")
        used = {op.dialect_name() for op in module.walk()} - {"builtin", "func"}
        assert used == expected, stage
        text = (outdir / f"tiny_cnn_{stage}.mlir").read_text()
        assert f'nntc.weights = "tiny_cnn_{stage}.npz"' in text
    assert 'loc("pool1")' in (outdir / "tiny_cnn_top.mlir").read_text()

    bmodel = (outdir / "compilation.bmodel").read_bytes()
    from_tpu, from_final = tmp_path / "from_tpu.bmodel", tmp_path / "from_final.bmodel"
    tpu_ir = str(outdir / "tiny_cnn_tpu.mlir")
    with pytest.raises(SystemExit) as exit_:
        opt.main(
            [tpu_ir, "-p", "lower-to-bm1684x{net=tiny_cnn}", "-t", "bmodel", "-o", str(from_tpu)]
        )
    assert exit_.value.code in (0, None)
    assert from_tpu.read_bytes() == bmodel
    final_ir = str(outdir / "tiny_cnn_final.mlir")
    assert model_tool.main(["--from-mlir", final_ir, "-o", str(from_final)]) in (0, None)
    assert from_final.read_bytes() == bmodel


def test_compiling_twice_gives_identical_bytes_and_nntc_model_reads_it(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from nntc import model as model_tool

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    first, second = tmp_path / "a", tmp_path / "b"
    for outdir in (first, second, second):  # the third run replaces the files of an existing DIR
        code, _, err = _bmneto([*_seed_flags(cnn_path, outdir), "--no-cmp"], capsys)
        assert code == 0, err
    for name in output_files_for("tiny_cnn", check=False):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]

    assert model_tool.main(["--info", str(first / "compilation.bmodel")]) in (0, None)
    info = capsys.readouterr().out
    assert "chip: BM1684X" in info
    assert "net 0: [tiny_cnn]" in info
    assert "input: input, [1, 3, 16, 16], float32" in info
    assert "output: logits, [1, 10], float32" in info
    assert "create time: Thu Jan  1 00:00:00 1970" in info


def test_dynamic_batch_net_name_and_cut_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--shapes fixes a symbolic batch of 2, --net_name names the files, --output_names cuts the
    graph at an inner tensor (onnxruntime then runs the same sub-graph)."""
    model = _save(small_cnn(batch="N", seed=1), tmp_path / "dyn.onnx")
    outdir = tmp_path / "out"
    argv = _seed_flags(model, outdir, "[[2,3,16,16]]")
    argv += ["--net_name", "cut", "--output_names", "r2,logits"]
    code, out, err = _bmneto(argv, capsys)
    assert code == 0, err
    found = {m["name"]: m for m in COSINE_LINE.finditer(out)}
    assert sorted(found) == ["logits", "r2"]
    assert all(m["net"] == "cut" and m["verdict"] == "ok" for m in found.values())
    with np.load(outdir / "cut_sim_outputs.npz") as sim:
        assert sim["r2"].shape == (2, 16, 8, 8) and sim["logits"].shape == (2, 10)


def test_cut_at_an_inner_input(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--input_names at an inner tensor compiles the rest of the graph; onnxruntime runs the
    same sub-graph for the check."""
    argv = _seed_flags(cnn_path, tmp_path / "out", "[[1,8,8,8]]")
    argv[argv.index("input")] = "p1"
    code, out, err = _bmneto(argv, capsys)
    assert code == 0, err
    (match,) = COSINE_LINE.finditer(out)
    assert match["name"] == "logits" and match["verdict"] == "ok"
    with np.load(tmp_path / "out" / "tiny_cnn_in_f32.npz") as inputs:
        assert inputs["p1"].shape == (1, 8, 8, 8)


def test_outdir_dot_replaces_files_in_place(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("not ours")
    (tmp_path / "compilation.bmodel").write_bytes(b"old")
    code, _, err = _bmneto([*_seed_flags(cnn_path, Path(".")), "--no-cmp"], capsys)
    assert code == 0, err
    assert (tmp_path / "keep.txt").read_text() == "not ours"
    assert (tmp_path / "compilation.bmodel").read_bytes()[:4] == b"\xee\xaa\x55\xff"
    expected = {"keep.txt", *output_files_for("tiny_cnn", check=False)}
    assert {p.name for p in tmp_path.iterdir()} == expected  # no temp dir left


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_live_line_per_step() -> None:
    stream = _Terminal()
    progress = bmneto.Progress(stream, 12)
    progress.started("import")
    assert stream.getvalue() == "\r\x1b[K[ 1/12] import ..."
    progress.finished("import", 1.5)
    assert stream.getvalue().endswith("...\r\x1b[K[ 1/12] import              1.50 s\n")
    progress.interrupt()  # nothing open: nothing to end
    progress.started("canonicalize")
    progress.interrupt()  # an error: the open line is ended before the message
    assert stream.getvalue().endswith(" 1.50 s\n\r\x1b[K[ 2/12] canonicalize ...\n")


def test_two_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(2)
    nodes = [
        helper.make_node("Conv", ["a", "w"], ["c"], name="conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c", "b"], ["s"], name="add"),
        helper.make_node("Relu", ["s"], ["y"], name="relu"),
    ]  # fmt: skip
    shape = [1, 4, 8, 8]
    proto = _graph_model(nodes, {"a": shape, "b": shape}, {"y": shape},
                         {"w": rng.standard_normal((4, 4, 3, 3)) * 0.3})  # fmt: skip
    model = _save(proto, tmp_path / "two.onnx")
    argv = ["--model", str(model), "--input_names", "a,b", "--shapes", "[[1,4,8,8],[1,4,8,8]]",
            "--outdir", str(tmp_path / "out")]  # fmt: skip
    code, out, err = _bmneto(argv, capsys)
    assert code == 0, err
    (match,) = COSINE_LINE.finditer(out)
    assert match["name"] == "y" and match["verdict"] == "ok"
    with np.load(tmp_path / "out" / "two_in_f32.npz") as inputs:
        assert sorted(inputs.files) == ["a", "b"]


def test_a_failed_check_keeps_the_files_and_exits_1(
    cnn_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(pipeline, "COSINE_MIN", 1.5)  # no cosine reaches it
    outdir = tmp_path / "out"
    code, out, err = _bmneto(_seed_flags(cnn_path, outdir), capsys)
    assert code == 1
    (match,) = COSINE_LINE.finditer(out)
    assert match["verdict"] == "MISMATCH"
    assert err.splitlines()[-1].startswith(
        "nntc-bmneto: error: the bmodel does not match onnxruntime (needs cosine >= 1.5"
    )
    assert (outdir / "compilation.bmodel").is_file()


def test_resnet18_at_64(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = pytest.importorskip("models")  # tests/models
    path = models.resnet18_onnx(input_size=64)
    outdir = tmp_path / "r18"
    code, out, err = _bmneto(
        [*_seed_flags(path, outdir, "[[1,3,64,64]]"), "--net_name", "resnet18"], capsys
    )
    assert code == 0, err
    (match,) = COSINE_LINE.finditer(out)
    assert match["name"] == "output" and match["verdict"] == "ok"
    assert float(match["cos"]) >= 0.99999
    assert LATENCY_LINE.search(out) is not None
    assert (outdir / "resnet18_top.mlir").read_text().count("top.conv") == 20


# --- the Python API -----------------------------------------------------------------------------


def test_compile_onnx_without_layer_groups() -> None:
    assert "layer-group" in COMPILE_STEPS and "layer-group" not in compile_steps(False)
    result = compile_onnx(small_cnn(), shapes=[[1, 3, 16, 16]], layer_group=False)
    assert [name for name, _ in result.timings] == list(compile_steps(False))
    assert not any(op.name == "tpu.group" for op in result.stages["tpu"].module.walk())


def test_compile_onnx_api(tmp_path: Path) -> None:
    steps: list[tuple[str, str]] = []

    class Observer:
        def started(self, name: str) -> None:
            steps.append(("start", name))

        def finished(self, name: str, seconds: float) -> None:
            assert seconds >= 0
            steps.append(("end", name))

    result = compile_onnx(small_cnn(), shapes=[[1, 3, 16, 16]], observer=Observer())
    assert result.net_name == "network"  # a proto has no file name
    assert [name for name, _ in result.timings] == list(COMPILE_STEPS)
    assert steps == [(kind, n) for n in COMPILE_STEPS for kind in ("start", "end")]
    assert list(result.stages) == ["top", "tpu", "final"]
    top_ops = {op.name for op in result.stages["top"].module.walk()}
    assert "top.conv" in top_ops and "tpu.conv2d" not in top_ops
    assert "tpu.conv2d" in {op.name for op in result.stages["tpu"].module.walk()}
    assert result.stages["final"].weight_names == ("network.coeff",)
    # layer groups are decided before DDR addresses: the tpu stage holds them, placed
    tpu_stage = list(result.stages["tpu"].module.walk())
    assert any(op.name == "tpu.group" for op in tpu_stage)
    assert all(
        op.properties.get("global_addr") is not None
        for op in tpu_stage
        if op.name in ("tpu.load", "tpu.store")
    )
    assert result.bmodel[:4] == b"\xee\xaa\x55\xff"  # the bmodel magic
    assert result.layer_map and {"pool1", "fc"} <= {
        layer["name"]  # type: ignore[index]
        for layer in result.layer_map[0]  # type: ignore[union-attr]
    }

    check = pipeline.check_against_onnxruntime(small_cnn(), result)
    assert check.passed and check.cycles > 0
    assert [name for name, _ in result.timings][-2:] == list(CHECK_STEPS)
    written = write_outdir(result, tmp_path / "api", check)
    assert sorted(p.name for p in written) == sorted(output_files(result, check))


def test_write_outdir_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = compile_onnx(small_cnn(), shapes=[[1, 3, 16, 16]])

    def broken(self: pipeline.Snapshot) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.Snapshot, "render", broken)
    with pytest.raises(OSError, match="No space left"):
        write_outdir(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_compile_errors_are_pipeline_errors() -> None:
    with pytest.raises(PipelineError, match="unsupported target 'cv183x'"):
        compile_onnx(small_cnn(), target="cv183x")
    with pytest.raises(PipelineError, match="--shapes: got 2 shape"):
        compile_onnx(small_cnn(), ["input"], [[1, 3, 16, 16]] * 2)


def test_compare() -> None:
    ref = np.array([1.0, -2.0, 4.0], np.float32)
    same = compare("y", ref.copy(), ref)
    assert same.cosine == pytest.approx(1.0) and same.max_abs_error == 0 and same.passed
    off = compare("y", ref + np.float32(0.01), ref)
    assert (
        off.max_abs_error == pytest.approx(0.01, rel=1e-4)
        and off.max_abs_ref == 4.0
        and not off.passed
    )
    assert compare("z", np.zeros(3), np.zeros(3)).passed
    assert not compare("z", np.zeros(3), ref).passed
    with pytest.raises(ValueError, match="shape \\[3\\], onnxruntime \\[1, 3\\]"):
        compare("y", ref, ref[None])
