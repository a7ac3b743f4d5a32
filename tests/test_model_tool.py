"""`nntc-model --info`: the vendor's `model_tool --info` summary, and one-line errors."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from nntc.model import main

DATA = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
QUANTS = ("f32", "f16", "bf16", "int8")

# model_tool ends with its estimate of the host memory the runtime peaks at while loading;
# how it computes that is not public, so nntc-model leaves these two lines out.
_NOT_PRINTED = ("estimated SoC CPU peak:", "estimated PCIE CPU peak:")


def vendor_file(tmp_path: Path, quant: str) -> Path:
    path = tmp_path / f"tiny_cnn_{quant}.bmodel"
    path.write_bytes(gzip.decompress((DATA / f"tiny_cnn_{quant}.bmodel.gz").read_bytes()))
    return path


@pytest.mark.parametrize("quant", QUANTS)
def test_info_matches_model_tool(
    quant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--info", str(vendor_file(tmp_path, quant))]) == 0
    out, err = capsys.readouterr()
    expected = (DATA / f"tiny_cnn_{quant}.info.txt").read_text().splitlines(keepends=True)
    assert out == "".join(line for line in expected if not line.startswith(_NOT_PRINTED))
    assert err == ""


def run_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("nntc-model: error: "), err
    assert "Traceback" not in err
    return code, err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_error(["--info", str(tmp_path / "none.bmodel")], capsys)
    assert code == 1 and "none.bmodel: cannot read: No such file or directory" in err


def test_truncated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = vendor_file(tmp_path, "int8")
    path.write_bytes(path.read_bytes()[:3000])
    code, err = run_error(["--info", str(path)], capsys)
    assert code == 1 and "truncated inside the FlatBuffer" in err and "(at byte 3000)" in err


def test_not_a_bmodel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07\x12\x04" + bytes(100))
    code, err = run_error(["--info", str(path)], capsys)
    assert code == 1 and "not a bmodel: magic is 0x04120708" in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "--info", str(tmp_path / "none.bmodel")]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--info", "x.bmodel", "--frobnicate"], []):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        _, err = capsys.readouterr()
        assert err.count("\n") == 1 and err.startswith("nntc-model: error: "), err


def test_module_entry_point(tmp_path: Path) -> None:
    """`python -m nntc.model` is the console script's twin."""
    path = vendor_file(tmp_path, "f32")
    ok = subprocess.run(
        [sys.executable, "-m", "nntc.model", "--info", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("bmodel version: B.2.2+")
    bad = subprocess.run(
        [sys.executable, "-m", "nntc.model", "--info", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1, bad.stderr
    assert bad.stderr.startswith("nntc-model: error: ")
