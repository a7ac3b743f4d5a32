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


# quantize's weighted example (lit/passes/quantize-weights.mlir): per-channel int8 filters, an
# int32 bias, per-column int8 matmul weights; all inline, so the input has no store of its own.
QUANT_INPUT = """func.func @main(%arg0: tensor<1x2x2x2xf32>) -> tensor<1x3xf32> {
  %x = top.input %arg0 {calib = #quant.calibration<threshold = 1.27, min = -1.0, max = 1.27>} : tensor<1x2x2x2xf32> loc("x")
  %w = top.weight "w" dense<[[[[1.0]], [[-0.5]]], [[[0.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32> loc("w")
  %b = top.weight "b" dense<[0.5, -1.0]> : tensor<2xf32> loc("b")
  %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, calib = #quant.calibration<threshold = 2.54, min = -2.0, max = 2.54>} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %r = top.reshape %c : tensor<1x2x2x2xf32> -> tensor<1x8xf32> loc("flat")
  %fw = top.weight "fc.w" dense<[[1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [-1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, 0.25], [1.0, 0.5, -0.25]]> : tensor<8x3xf32> loc("fc.w")
  %y = top.matmul %r, %fw {calib = #quant.calibration<threshold = 5.08, min = -5.0, max = 5.08>} : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32> loc("fc")
  func.return %y : tensor<1x3xf32>
}
"""


def quantized_reference() -> dict[str, np.ndarray]:
    """The stored integers of QUANT_INPUT's weights, from the quantization formulas in numpy."""

    def round_half_away(x: np.ndarray) -> np.ndarray:
        return np.sign(x) * np.floor(np.abs(x) + 0.5)

    w = np.array([1.0, -0.5, 0.0, -2.0]).reshape(2, 2, 1, 1)
    fc = np.array([[1.0, 0.5, 0.25]] * 8)
    fc[4, 0], fc[7, 2] = -1.0, -0.25
    w_scale = np.abs(w).reshape(2, -1).max(axis=1) / 127  # per output channel
    fc_scale = np.abs(fc).max(axis=0) / 127  # per column
    input_scale = 1.27 / 127
    return {
        "w_int8": round_half_away(w / w_scale[:, None, None, None]).astype(np.int8),
        "fc.w_int8": round_half_away(fc / fc_scale).astype(np.int8),
        "b_int32": round_half_away(np.array([0.5, -1.0]) / (input_scale * w_scale)).astype(
            np.int32
        ),
    }


def nntc_weights(ir_text: str, ir_path: Path) -> dict[str, np.ndarray]:
    """Every weight of IR at any level, as `weight_value` reads it (quant dialect loaded)."""
    from nntc.ir_io import nntc_context
    from nntc.targets.weight_store import weight_ops

    module = Parser(nntc_context(), ir_text).parse_module()
    store = load_weight_store(module, ir_path)
    return {
        op.properties["weight_name"].data: weight_value(op, store)  # type: ignore[union-attr]
        for op in weight_ops(module)
    }


def test_quantized_weights_print_to_stdout_and_read_back(tmp_path: Path) -> None:
    (tmp_path / "in.mlir").write_text(QUANT_INPUT)
    printed = nntc_opt("in.mlir", "-p", "quantize", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "nntc.inline_weights = {" in printed.stdout
    assert 'top.weight "w_int8" : tensor<2x2x1x1x!quant.uniform<i8:f32:0' in printed.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir"]  # stdout writes no file
    expected = quantized_reference()
    weights = nntc_weights(printed.stdout, tmp_path / "stdin.mlir")
    assert sorted(weights) == sorted(expected)
    for name, array in expected.items():
        assert weights[name].dtype == array.dtype, name
        np.testing.assert_array_equal(weights[name], array, err_msg=name)
    # The pipe goes on: the next nntc-opt reads the section and saves it next to its -o.
    saved = nntc_opt(
        "-", "-p", "canonicalize", "-o", "back.mlir", cwd=tmp_path, stdin=printed.stdout
    )
    assert saved.returncode == 0, saved.stderr
    text = (tmp_path / "back.mlir").read_text()
    assert 'nntc.weights = "back.npz"' in text and "nntc.inline_weights" not in text
    written = np.load(tmp_path / "back.npz")
    assert sorted(written.files) == sorted(expected)
    for name, array in expected.items():
        np.testing.assert_array_equal(written[name], array, err_msg=name)


def test_stdout_to_stdout_keeps_the_inline_weights(tmp_path: Path) -> None:
    (tmp_path / "in.mlir").write_text(QUANT_INPUT)
    first = nntc_opt("in.mlir", "-p", "quantize", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = nntc_opt("-p", "cse", cwd=tmp_path, stdin=first.stdout)
    assert second.returncode == 0, second.stderr
    weights = nntc_weights(second.stdout, tmp_path / "stdin.mlir")
    for name, array in quantized_reference().items():
        np.testing.assert_array_equal(weights[name], array, err_msg=name)


def test_a_malformed_inline_section_is_one_clean_error(tmp_path: Path) -> None:
    text = "builtin.module attributes {nntc.inline_weights = {w = 1 : i32}} {\n}\n"
    result = nntc_opt("-", cwd=tmp_path, stdin=text)
    assert result.returncode == 1
    assert (
        "weight 'w' in module attribute 'nntc.inline_weights' must be a dense<...> array"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.fixture
def stem_clash(tmp_path: Path) -> Path:
    """FOLDABLE as `w.mlir`, whose store `w.npz` shares its stem."""
    np.savez(
        tmp_path / "w.npz",
        a=np.array([1, 2, 3, 4], np.float32),
        b=np.array([0.5, -1, 2, 0], np.float32),
    )
    (tmp_path / "w.mlir").write_text(FOLDABLE)
    return tmp_path


@pytest.mark.parametrize(
    ("output", "side_car"),
    [("w.asm", "w.asm.npz"), ("w.mlir", "w.mlir.npz"), ("w", "w.out.npz")],
)
def test_an_output_with_the_inputs_stem_keeps_the_inputs_weights(
    stem_clash: Path, output: str, side_car: str
) -> None:
    before = (stem_clash / "w.npz").read_bytes()
    result = nntc_opt("w.mlir", "-p", "fold-constants", "-o", output, cwd=stem_clash)
    assert result.returncode == 0, result.stderr
    assert (stem_clash / "w.npz").read_bytes() == before
    text = (stem_clash / output).read_text()
    assert f'nntc.weights = "{side_car}"' in text
    weights = nntc_weights(text, stem_clash / output)
    np.testing.assert_array_equal(weights["gamma"], np.array([0.5, -2, 6, 0], np.float32))
    np.testing.assert_array_equal(weights["b"], np.array([0.5, -1, 2, 0], np.float32))
    assert not list(stem_clash.glob(".*.tmp"))  # the atomic write left no temporary behind


def test_an_assembly_listing_writes_no_weight_store(tmp_path: Path) -> None:
    (tmp_path / "in.mlir").write_text(QUANT_INPUT)
    quantized = nntc_opt("in.mlir", "-p", "quantize", "-o", "q.mlir", cwd=tmp_path)
    assert quantized.returncode == 0, quantized.stderr
    before = (tmp_path / "q.npz").read_bytes()
    listing = nntc_opt(
        "q.mlir", "-p", "lower-int8-to-bm1684x", "-t", "bm1684x-asm", "-o", "q.asm", cwd=tmp_path
    )
    assert listing.returncode == 0, listing.stderr
    assert (tmp_path / "q.asm").read_text().startswith("// bm1684x assembly listing")
    assert (tmp_path / "q.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir", "q.asm", "q.mlir", "q.npz"]


@pytest.mark.parametrize(
    "dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.float16, np.float32, np.bool_]
)
def test_the_inline_section_round_trips_every_dtype(dtype: type) -> None:
    from io import StringIO

    from xdsl.dialects.builtin import ModuleOp
    from xdsl.printer import Printer

    from nntc.targets.weight_store import INLINE_WEIGHTS_ATTR, WeightStore, inline_weights_attr

    rng = np.random.default_rng(3)
    values = rng.standard_normal((2, 3)) * 100
    array = (values > 0 if dtype is np.bool_ else values).astype(dtype)
    module = ModuleOp([])
    module.attributes[INLINE_WEIGHTS_ATTR] = inline_weights_attr(
        WeightStore(arrays={"conv1/w": array, "s": np.array(7, dtype)}), ["s", "conv1/w"]
    )
    text = StringIO()
    Printer(stream=text).print_op(module)
    ctx = Context()
    ctx.load_dialect(Builtin)
    parsed = Parser(ctx, text.getvalue()).parse_module()
    store = load_weight_store(parsed, None)
    assert INLINE_WEIGHTS_ATTR not in parsed.attributes  # moved into the store
    assert store["conv1/w"].dtype == array.dtype and store["s"].shape == ()
    np.testing.assert_array_equal(store["conv1/w"], array)
    assert store["s"] == np.array(7, dtype)
