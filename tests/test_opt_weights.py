"""nntc-opt and the side-car weight store: paths follow the IR through -o, pipes and errors."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from nntc.dialects.top import Top, WeightOp
from nntc.targets.weight_store import load_weight_store, weight_value

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def nntc_opt(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nntc.opt", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(EXAMPLES / "resnet_block.mlir", src)
    shutil.copy(EXAMPLES / "resnet_block.npz", src)
    return src / "resnet_block.mlir"


def weights_of(ir_text: str, ir_path: Path | None) -> dict[str, np.ndarray]:
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    module = Parser(ctx, ir_text).parse_module()
    store = load_weight_store(module, ir_path)
    return {
        op.weight_name.data: weight_value(op, store)
        for op in module.walk()
        if isinstance(op, WeightOp)
    }


def test_output_elsewhere_still_finds_the_weights(example: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "block.mlir"
    result = nntc_opt(str(example), "-p", "canonicalize", "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert 'nntc.weights = "../src/resnet_block.npz"' in text
    expected = np.load(example.with_suffix(".npz"))
    for name, array in weights_of(text, out).items():
        np.testing.assert_array_equal(array, expected[name])


def test_pipes_resolve_against_the_working_directory(example: Path) -> None:
    first = nntc_opt(str(example.name), "-p", "canonicalize", cwd=example.parent)
    assert first.returncode == 0, first.stderr
    second = nntc_opt("-p", "cse", cwd=example.parent, stdin=first.stdout)
    assert second.returncode == 0, second.stderr
    assert 'nntc.weights = "resnet_block.npz"' in second.stdout
    assert len(weights_of(second.stdout, example.parent / "x.mlir")) == 8


def test_missing_store_is_one_clean_error(example: Path) -> None:
    example.with_suffix(".npz").unlink()
    result = nntc_opt(str(example), cwd=example.parent)
    assert result.returncode == 1
    assert "resnet_block.npz: weight store not found" in result.stderr
    assert "Traceback" not in result.stderr


FOLDABLE = """builtin.module attributes {nntc.weights = "w.npz"} {
  func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %a = top.weight "a" : tensor<4xf32>
    %b = top.weight "b" : tensor<4xf32>
    %s = top.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("gamma")
    %y = top.add %x, %s, %b : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
    func.return %y : tensor<1x4xf32>
  }
}
"""


def test_changed_weights_are_written_next_to_the_output(tmp_path: Path) -> None:
    a = np.array([1, 2, 3, 4], np.float32)
    b = np.array([0.5, -1, 2, 0], np.float32)
    np.savez(tmp_path / "w.npz", a=a, b=b, unused=np.zeros(2, np.float32))
    (tmp_path / "in.mlir").write_text(FOLDABLE)
    out = tmp_path / "out" / "folded.mlir"
    out.parent.mkdir()
    result = nntc_opt("in.mlir", "-p", "fold-constants", "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert 'nntc.weights = "folded.npz"' in text
    assert 'top.weight "gamma"' in text and 'top.weight "a"' not in text
    written = np.load(out.with_suffix(".npz"))
    assert sorted(written.files) == ["b", "gamma"]  # only what the output still uses
    np.testing.assert_array_equal(written["gamma"], a * b)
    np.testing.assert_array_equal(written["b"], b)
    # Folding twice gives byte-identical files.
    again = tmp_path / "out" / "again.mlir"
    nntc_opt("in.mlir", "-p", "fold-constants", "-o", str(again), cwd=tmp_path)
    assert again.with_suffix(".npz").read_bytes() == out.with_suffix(".npz").read_bytes()
