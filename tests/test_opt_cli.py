"""nntc-opt as a user meets it: exit codes, one-line errors, no tracebacks, atomic output."""

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """func.func @f(%a: i32) -> i32 {
  %b = arith.addi %a, %a : i32
  func.return %b : i32
}
"""
BAD_VERIFY = """func.func @f(%a: i32) -> i32 {
  func.return %a, %a : i32, i32
}
"""


def nntc_opt(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nntc.opt", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.mlir"
    path.write_text(GOOD)
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "canonicalise"], "unknown pass 'canonicalise' (did you mean 'canonicalize'?)"),
        (["-p", "cse{nope=1}"], "unknown option 'nope' for pass 'cse'"),
        (["-t", "bm1684x-asn"], "unknown target 'bm1684x-asn'"),
        (["--mlir-print-ir-after=cannonicalize"], "did you mean 'canonicalize'?"),
    ],
)
def test_usage_errors_are_one_line_exit_2(good: Path, args: list[str], message: str) -> None:
    result = nntc_opt(str(good), *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_verifier_error_is_located_and_output_not_written(tmp_path: Path) -> None:
    source = tmp_path / "bad.mlir"
    source.write_text(BAD_VERIFY)
    out = tmp_path / "out.mlir"
    out.write_text("previous content\n")
    result = nntc_opt(str(source), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{source}:2:3: error: 'func.return' op Expected arguments")
    assert "Traceback" not in result.stderr
    assert out.read_text() == "previous content\n"  # never a half-written output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = nntc_opt(str(tmp_path / "missing.mlir"), "--debug")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_stdin_to_stdout_and_output_file(good: Path, tmp_path: Path) -> None:
    piped = nntc_opt("-p", "canonicalize", stdin=GOOD)
    assert piped.returncode == 0, piped.stderr
    assert "arith.addi" in piped.stdout
    out = tmp_path / "out.mlir"
    written = nntc_opt(str(good), "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text() == piped.stdout


def test_help_lists_nntc_passes() -> None:
    result = nntc_opt("--help")
    assert result.returncode == 0
    assert "nntc passes" in result.stdout
