"""`nntc-cali` end to end: a small CNN (onnx.helper) calibrated on PNG images this test writes.

Checks the files of `OUTDIR/<net>_batch1/`, the candidate table, the bmodel (the softmax head
runs in F32 inside the INT8 net), the precision-table fallback (a strict `--expected_cos` moves
layers to F16, compiled in F32 with a warning; a tiny one moves none), that the expert path (`import-calibration` + `quantize` on the written top IR)
reproduces the written quant IR, and the error paths (one line, exit 2, nothing written).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import models
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image
from test_e2e_int8 import small_cnn

from nntc.cali import EXIT_USAGE, main

PREPROCESS = (
    "resize_h=16,resize_w=16;mean_value=127.5:127.5:127.5;scale=0.02:0.02:0.02;bgr2rgb=True"
)


def tiny_cnn() -> onnx.ModelProto:
    """conv-relu, maxpool, conv-relu, sigmoid gate (lookup table), global pool, gemm, softmax."""
    rng = np.random.default_rng(4)

    init = models.he_initializer(rng)

    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"
        ),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Sigmoid", ["r2"], ["s2"], name="sig2"),
        helper.make_node("Mul", ["r2", "s2"], ["g2"], name="gate2"),
        helper.make_node("GlobalAveragePool", ["g2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1, name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 8, 3, 3, 3),
            init("b1", 8),
            init("w2", 16, 8, 3, 3),
            init("b2", 16),
            init("wf", 10, 16),
            init("bf", 10),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def write_images(folder: Path, count: int = 8) -> None:
    """Smooth colour gradients with noise and a bright blob, 24x20 (resized to 16x16)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(9)
    yy, xx = np.mgrid[0:20, 0:24]
    for i in range(count):
        base = np.stack([xx * (5 + i), yy * (7 + 2 * i), (xx + yy) * 3], axis=-1).astype(float)
        blob = 200 * np.exp(-((xx - 3 * i) ** 2 + (yy - 10) ** 2) / 20.0)
        pixels = base + blob[..., None] + rng.normal(0, 12, base.shape)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"img{i:02d}.png")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cali")
    onnx.save(tiny_cnn(), root / "tiny.onnx")
    write_images(root / "images")
    return root


def seed_flags(root: Path, outdir: Path, *extra: str) -> list[str]:
    """The seed guide's command line, with only the program name changed."""
    return [
        "--net_name",
        "tiny",
        "--model",
        str(root / "tiny.onnx"),
        "--cali_image_path",
        str(root / "images"),
        "--cali_image_preprocess",
        PREPROCESS,
        "--input_names",
        "input",
        "--input_shapes",
        "[1,3,16,16]",
        "--target",
        "BM1684X",
        "--outdir",
        str(outdir),
        *extra,
    ]


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def strict_run(workspace: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One run through `python -m nntc.cali` with a strict --expected_cos (INT8 alone gives
    0.9996 on this net)."""
    outdir = workspace / "strict"
    command = [sys.executable, "-m", "nntc.cali", *seed_flags(workspace, outdir)]
    command += ["--expected_cos", "0.99999"]
    return outdir, subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_default_run_writes_everything_and_exits_3(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir = workspace / "auto_cali_out"
    code, out, err = run_cli(seed_flags(workspace, outdir), capsys)
    folder = outdir / "tiny_batch1"
    # The net ends with a softmax kept in F32: it runs as an FP32 layer inside the INT8 net
    assert code == 0, err
    assert f"nntc-cali: wrote {folder / 'compilation.bmodel'}" in out
    # the default target (0.99) is met without moving any layer to F16
    report = json.loads((folder / "tiny_layer_report.json").read_text())
    assert report["mixed_precision"] == [] and report["qtable"] == {}
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "compilation.bmodel",
        "tiny_cali_table",
        "tiny_qtable",
        "tiny_top.mlir",
        "tiny_top.npz",
        "tiny_quant.mlir",
        "tiny_quant.npz",
        "tiny_layer_report.txt",
        "tiny_layer_report.json",
    }
    assert (outdir / "cali_lmdb" / "data.mdb").exists()
    # the candidate table: every method with and without refinement, one marked best
    for name in ("max", "percentile", "kl", "mse"):
        assert f"\n  {name} " in out and f"\n  {name}+refine " in out
    assert out.count("<- best") == 1
    assert "strategy " in out.splitlines()[-2]  # the last line names the bmodel
    # progress lines for each long step
    for step in ("dataset", "statistics", "strategies", "precision"):
        assert any(line.startswith(step) for line in err.splitlines()), step

    table = (folder / "tiny_cali_table").read_text()
    assert "# op_name    threshold    min    max" in table
    assert any(line.startswith("relu1 ") for line in table.splitlines())
    report = json.loads((folder / "tiny_layer_report.json").read_text())
    assert report["expected_cos_met"] is True
    assert report["score"]["cosine"] >= 0.99
    layers = {layer["name"]: layer for layer in report["layers"]}
    assert layers["relu1"]["precision"] == "UINT8"  # conv with the ReLU fused, non-negative
    assert layers["fc"]["precision"] == "INT8"
    assert layers["fc"]["cosine"] > 0.9 and layers["fc"]["sqnr_db"] > 10
    text = (folder / "tiny_layer_report.txt").read_text()
    assert "SQNR dB" in text and "\n  fc " in text
    assert "quant.qcast" in (folder / "tiny_quant.mlir").read_text()


def test_expert_path_reproduces_the_quant_ir(workspace: Path) -> None:
    folder = workspace / "auto_cali_out" / "tiny_batch1"
    if not folder.exists():
        pytest.skip("needs test_default_run_writes_everything_and_exits_3")
    out = workspace / "expert_quant.mlir"
    pipeline = (
        'import-calibration{table="tiny_cali_table" quiet=true},quantize{qtable="tiny_qtable"}'
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nntc.opt",
            "tiny_top.mlir",
            "-p",
            pipeline,
            "--print-debuginfo",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr

    def body(path: Path) -> list[str]:
        # the weights attribute names each file's own side-car; the ops must be identical
        lines = path.read_text().strip().splitlines()
        return [line for line in lines if "nntc.weights" not in line]

    assert body(out) == body(folder / "tiny_quant.mlir")
    expert = np.load(out.with_suffix(".npz"))
    written = np.load(folder / "tiny_quant.npz")
    assert sorted(expert.files) == sorted(written.files)
    for name in written.files:
        np.testing.assert_array_equal(expert[name], written[name])


def test_strict_expected_cos_moves_layers_to_f16(
    strict_run: tuple[Path, subprocess.CompletedProcess[str]], workspace: Path
) -> None:
    outdir, result = strict_run
    folder = outdir / "tiny_batch1"
    report = json.loads((folder / "tiny_layer_report.json").read_text())
    qtable = (folder / "tiny_qtable").read_text()
    assert report["mixed_precision"], "no layer was moved"
    back = {name for r in report["mixed_precision"] for name in r["back_to_int8"]}
    moved = [n for r in report["mixed_precision"] for n in r["moved_to_f16"] if n not in back]
    assert moved
    for name in moved:
        assert f"{name} F16" in qtable
    precisions = {layer["name"]: layer["precision"] for layer in report["layers"]}
    assert [precisions[name] for name in moved] == ["F16"] * len(moved)
    # the scores improve as layers move; the exit code says whether the target was met
    scores = [c["score"]["cosine"] for c in report["candidates"] if c["score"]]
    assert report["score"]["cosine"] >= max(scores)
    assert report["expected_cos_met"] and report["score"]["cosine"] >= 0.99999
    # F16 layers compute in F16 where their commands have a 16-bit form; any other runs in
    # F32 with a warning naming it
    assert result.returncode == 0, result.stderr
    for line in result.stderr.splitlines():
        if "runs in F32" in line:
            assert any(f'at loc("{name}")' in line for name in moved), line


def test_unreachable_expected_cos_exits_1_with_the_results_written(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outdir = workspace / "unreachable"
    flags = seed_flags(workspace, outdir, "--methods", "max", "--expected_cos", "1.0")
    code, _, err = run_cli(flags, capsys)
    assert code == 1
    assert "is below --expected_cos 1.0 even with every INT8 layer moved to F16" in err
    report = json.loads((outdir / "tiny_batch1" / "tiny_layer_report.json").read_text())
    assert report["expected_cos_met"] is False
    assert all(layer["precision"] in ("F16", "F32") for layer in report["layers"])


def test_user_qtable_is_kept(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    qtable = workspace / "user_qtable"
    qtable.write_text("# keep the classifier in float\nfc F32\n")
    outdir = workspace / "with_qtable"
    flags = seed_flags(workspace, outdir, "--qtable", str(qtable), "--methods", "max")
    code, out, _ = run_cli(flags, capsys)
    assert code == 0
    folder = outdir / "tiny_batch1"
    assert "fc F32" in (folder / "tiny_qtable").read_text()
    layers = json.loads((folder / "tiny_layer_report.json").read_text())["layers"]
    assert {layer["name"]: layer["precision"] for layer in layers}["fc"] == "F32"
    assert "\n  kl " not in out and "\n  max " in out


def test_npz_source(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(1)
    np.savez(workspace / "inputs.npz", input=rng.standard_normal((5, 1, 3, 16, 16)))
    outdir = workspace / "npz_out"
    flags = [
        "--model",
        str(workspace / "tiny.onnx"),
        "--cali_npz",
        str(workspace / "inputs.npz"),
        "--outdir",
        str(outdir),
        "--methods",
        "max,kl",
    ]
    code, _, err = run_cli(flags, capsys)
    assert code == 0, err
    assert (outdir / "tiny_batch1" / "tiny_cali_table").exists()  # net name from the file


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("--cali_image_preprocess", "resize_h=16,resize_w=16;mean_valu=1"),
            "--cali_image_preprocess: column 25: unknown preprocessing key 'mean_valu'",
        ),
        (("--cali_image_path", "no/such/folder"), "--cali_image_path: calibration image folder"),
        (("--target", "BM1688"), "--target: unsupported target 'BM1688'"),
        (("--expected_cos", "1.5"), "--expected_cos: expected a value in (0, 1], got 1.5"),
        (("--methods", "max,entropy"), "--methods: unknown method(s) entropy"),
        (("--input_shapes", "[1,3,16"), "--input_shapes: cannot parse"),
        (("--model", "missing.onnx"), "--model: missing.onnx: no such file"),
        (("--bogus_flag", "1"), "unrecognized arguments: --bogus_flag 1"),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    message: str,
) -> None:
    outdir = workspace / "never_written"
    flags = seed_flags(workspace, outdir)
    if change[0] in flags:
        flags[flags.index(change[0]) + 1] = change[1]
    else:
        flags += list(change)
    try:
        code = main(flags)
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    assert code == EXIT_USAGE
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("nntc-cali: error: ")
    assert message in lines[0]
    assert captured.out == ""
    assert not outdir.exists()


def test_help_lists_the_seed_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--net_name",
        "--model",
        "--cali_image_path",
        "--cali_image_preprocess",
        "--input_names",
        "--input_shapes",
        "--target",
        "--outdir",
        "--cali_lmdb",
        "--cali_npz",
        "--expected_cos",
        "--qtable",
        "--debug",
    ):
        assert flag in text


def test_int8_bmodel_is_written_and_runs_in_the_simulator(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed's command line ends with an INT8 compilation.bmodel whose simulated output agrees
    with the FP32 model (onnxruntime) on the calibration images."""
    import onnxruntime as ort

    from nntc.targets.bm1684x.simulator import Simulator
    from nntc.targets.calibration.preprocess import parse_preprocess

    # conv-relu, maxpool, conv + residual add, relu, global pool, gemm: all inside INT8 codegen
    onnx.save(small_cnn(), workspace / "residual.onnx")
    outdir = workspace / "int8_out"
    flags = seed_flags(workspace, outdir)
    flags[flags.index("tiny")] = "residual"
    flags[flags.index(str(workspace / "tiny.onnx"))] = str(workspace / "residual.onnx")
    flags[flags.index("--input_names") + 1] = "x"
    code, out, err = run_cli(flags, capsys)
    assert code == 0, err
    bmodel = outdir / "residual_batch1" / "compilation.bmodel"
    assert f"nntc-cali: wrote {bmodel}" in out
    simulator = Simulator(bmodel)
    session = ort.InferenceSession((workspace / "residual.onnx").read_bytes())
    preprocess = parse_preprocess(PREPROCESS).for_input([1, 3, 16, 16])
    for image in sorted((workspace / "images").glob("*.png")):
        x = preprocess.apply(Image.open(image))[None].astype(np.float32)
        (expected,) = session.run(None, {"x": x})
        (got,) = simulator.run({"x": x}).outputs.values()
        cosine = float(np.dot(got.ravel(), expected.ravel()))
        cosine /= float(np.linalg.norm(got) * np.linalg.norm(expected))
        assert cosine >= 0.99, (image.name, cosine)


def test_all_zero_fp32_outputs_are_left_out_of_the_score() -> None:
    """A text detector's probability map on a photo without text is exactly 0 in FP32: such an
    output has no direction, so it must not score 0 (the PP-OCRv4 'cosine 0.000000' bug)."""
    from nntc.targets.calibration.search import ScoringError, score_outputs

    ref = [{"y": np.zeros((1, 4), np.float32)}, {"y": np.array([[1.0, 2.0, 0.0, 0.0]])}]
    got = [{"y": np.full((1, 4), 1e-3)}, {"y": np.array([[1.0, 2.0, 0.0, 0.1]])}]
    score = score_outputs(ref, got)
    expected = 5.0 / (np.sqrt(5.0) * np.sqrt(5.01))
    assert score.cosine == pytest.approx(expected) and score.min_cosine == pytest.approx(expected)
    with pytest.raises(ScoringError, match="all zero on every held-out sample"):
        score_outputs(ref[:1], got[:1])


def test_reproducible_with_source_date_epoch(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs on the same inputs write byte-identical files (bmodel and table included)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    folders = []
    for name in ("again1", "again2"):
        outdir = workspace / name
        code, _, err = run_cli(seed_flags(workspace, outdir), capsys)
        assert code == 0, err
        folders.append(outdir / "tiny_batch1")
    files = sorted(p.name for p in folders[0].iterdir())
    assert files == sorted(p.name for p in folders[1].iterdir())
    assert "compilation.bmodel" in files and "tiny_cali_table" in files
    for name in files:
        assert (folders[0] / name).read_bytes() == (folders[1] / name).read_bytes(), name
    table = (folders[0] / "tiny_cali_table").read_text()
    assert "# genetated time: 2023-11-14 22:13:20\n" in table
