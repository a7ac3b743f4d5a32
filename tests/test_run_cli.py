"""nntc-run from the command line: outputs keyed by graph names, dump-all, one-line errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np

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
