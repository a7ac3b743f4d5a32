"""nntc-run from the command line: outputs keyed by graph names, dump-all, one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"


def nntc_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nntc.run", *args], capture_output=True, text=True, timeout=120
    )


def test_outputs_and_dump_all(tmp_path: Path) -> None:
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    np.savez(tmp_path / "in.npz", input=x)
    result = nntc_run(
        str(EXAMPLE),
        "--input", str(tmp_path / "in.npz"),
        "--output", str(tmp_path / "out.npz"),
        "--dump-all", str(tmp_path / "all.npz"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = np.load(tmp_path / "out.npz")
    assert list(out.keys()) == ["softmax"]
    assert out["softmax"].shape == (1, 10)
    np.testing.assert_allclose(out["softmax"].sum(), 1.0, rtol=1e-5)
    every = np.load(tmp_path / "all.npz")
    np.testing.assert_array_equal(every["softmax"], out["softmax"])
    assert "layer1.0.conv2" in every


def test_errors_are_one_line(tmp_path: Path) -> None:
    np.savez(tmp_path / "in.npz", wrong=np.zeros(3, np.float32))
    result = nntc_run(str(EXAMPLE), "--input", str(tmp_path / "in.npz"), "--output",
                      str(tmp_path / "out.npz"))  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("nntc-run: error: missing input(s) ['input']")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out.npz").exists()
    bad_ir = tmp_path / "bad.mlir"
    bad_ir.write_text("func.func @main( {\n")
    result = nntc_run(str(bad_ir), "--input", str(tmp_path / "in.npz"), "--output",
                      str(tmp_path / "out.npz"))  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"nntc-run: error: {bad_ir}:1:")
    assert "Traceback" not in result.stderr


def _quant_ir(tmp_path: Path, model: onnx.ModelProto) -> tuple[Path, int]:
    """`nntc-cali` on a small net (max thresholds, 4 random inputs): (result folder, exit code)."""
    from nntc.cali import main as cali_main

    onnx.save(model, tmp_path / "net.onnx")
    rng = np.random.default_rng(4)
    np.savez(tmp_path / "cali.npz", x=rng.standard_normal((4, 1, 3, 16, 16)).astype(np.float32))
    code = cali_main(
        ["--net_name", "cnn", "--model", str(tmp_path / "net.onnx"), "--cali_npz",
         str(tmp_path / "cali.npz"), "--input_names", "x", "--input_shapes", "[1,3,16,16]",
         "--methods", "max", "--expected_cos", "0.5", "--outdir", str(tmp_path / "out")]
    )  # fmt: skip
    return tmp_path / "out" / "cnn_batch1", code


def test_quant_ir_runs_with_the_chips_integer_arithmetic(tmp_path: Path) -> None:
    from test_e2e_int8 import small_cnn

    from nntc.targets.bm1684x.simulator import Simulator

    folder, code = _quant_ir(tmp_path, small_cnn())
    assert code == 0
    x = np.random.default_rng(9).standard_normal((1, 3, 16, 16)).astype(np.float32)
    np.savez(tmp_path / "in.npz", x=x)
    args = ["--input", str(tmp_path / "in.npz"), "--output", str(tmp_path / "out.npz")]
    result = nntc_run(str(folder / "cnn_quant.mlir"), *args, "--dump-all", str(tmp_path / "q.npz"))
    assert result.returncode == 0, result.stderr
    # the net output equals the INT8 bmodel's in the simulator, bit for bit
    expected = Simulator(folder / "compilation.bmodel").run({"x": x}).outputs["logits"]
    got = np.load(tmp_path / "out.npz")["logits"]
    assert got.dtype == np.float32 and got.shape == (1, 10)
    assert np.array_equal(got, expected)
    stored = np.load(tmp_path / "q.npz")
    assert stored["relu1"].dtype == np.uint8 and stored["relu1"].shape == (1, 8, 16, 16)
    assert stored["fc"].dtype == np.int8 and stored["fc"].shape == (1, 10)
    # the output's dequantization shares the gemm's location: its own key, float32
    assert np.array_equal(stored["fc/quant.dcast"], got)

    # --dequantize: real values, close to the FP32 interpreter's on the float IR, layer by layer
    result = nntc_run(str(folder / "cnn_quant.mlir"), *args, "--dump-all",
                      str(tmp_path / "real.npz"), "--dequantize")  # fmt: skip
    assert result.returncode == 0, result.stderr
    result = nntc_run(str(folder / "cnn_top.mlir"), *args, "--dump-all", str(tmp_path / "f.npz"))
    assert result.returncode == 0, result.stderr
    real, fp32 = np.load(tmp_path / "real.npz"), np.load(tmp_path / "f.npz")
    for name in ("relu1", "pool1", "relu2", "gap", "fc"):
        a, b = real[name].ravel().astype(np.float64), fp32[name].ravel().astype(np.float64)
        assert real[name].dtype == np.float32
        assert a @ b / (np.linalg.norm(a) * np.linalg.norm(b)) > 0.99, name
    # dequantized = stored x the scale of the layer's type in the IR
    ratio = real["relu1"][stored["relu1"] != 0] / stored["relu1"][stored["relu1"] != 0]
    assert np.allclose(ratio, ratio[0], rtol=1e-6) and ratio[0] > 0


def test_quant_ir_outside_the_integer_slice_is_one_line(tmp_path: Path) -> None:
    from test_e2e_int8 import small_cnn

    model = small_cnn()
    conv2 = next(n for n in model.graph.node if n.name == "conv2")
    conv2.attribute.append(onnx.helper.make_attribute("group", 2))
    w2 = next(t for t in model.graph.initializer if t.name == "w2")
    w2.CopyFrom(onnx.numpy_helper.from_array(np.full((8, 4, 3, 3), 0.1, np.float32), "w2"))
    folder, code = _quant_ir(tmp_path, model)
    # nntc-cali keeps the grouped conv in float (INT8 code generation lacks it): a bmodel
    assert code == 0
    # quantized for the reference target, the grouped conv is INT8, which the chip's integer
    # arithmetic does not cover
    bad = tmp_path / "bad.mlir"
    passes = 'import-calibration{table="cnn_cali_table"},quantize{target=reference}'
    opt = subprocess.run(
        [sys.executable, "-m", "nntc.opt", "cnn_top.mlir", "-p", passes, "-o",
         str(bad), "--mlir-print-debuginfo"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert opt.returncode == 0, opt.stderr
    np.savez(tmp_path / "in.npz", x=np.zeros((1, 3, 16, 16), np.float32))
    args = ["--input", str(tmp_path / "in.npz"), "--output", str(tmp_path / "out.npz")]
    result = nntc_run(str(bad), *args)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "nntc-run: error: cannot run this quant IR with integer arithmetic: top.conv at "
        'loc("conv2"): grouped conv'
    ), result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out.npz").exists()
    # the fake-quant reference still runs it
    result = nntc_run(str(bad), *args, "--fake-quant")
    assert result.returncode == 0, result.stderr
