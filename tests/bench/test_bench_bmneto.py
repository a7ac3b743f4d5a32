"""Compile time of `nntc-bmneto` on ResNet-18 FP32 at 224x224 (pytest-benchmark).

The issue's goals on the 2-core project machine: ONNX -> bmodel in <= 5 s without the check
and <= 10 s with the simulation and the comparison with onnxruntime. Three measurements:

- `test_compile_resnet18_no_cmp`: `nntc.bmneto.main` in-process with `--no-cmp` (import,
  passes, bmodel, and writing DIR with the IR of every stage);
- `test_compile_resnet18_with_cmp`: the same plus simulating the bmodel and onnxruntime;
- `test_bmneto_process_resnet18_no_cmp`: the command as a user runs it, a new process each time
  (so Python's start-up and module imports are included).

Each records the per-step times of its last run in `extra_info`. Run with
`pytest tests/bench/test_bench_bmneto.py --benchmark-enable` (without it, each runs once as a
test).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from nntc import bmneto

pytest.importorskip("onnxruntime")
models = pytest.importorskip("models")  # tests/models

SHAPES = "[[1,3,224,224]]"


@pytest.fixture(scope="module")
def resnet18() -> Path:
    return models.resnet18_onnx(input_size=224)


def _argv(model: Path, outdir: Path, *extra: str) -> list[str]:
    return ["--model", str(model), "--input_names", "input", "--shapes", SHAPES,
            "--target", "BM1684X", "--outdir", str(outdir), "--net_name", "resnet18",
            *extra]  # fmt: skip


def _steps(err: str) -> dict[str, str]:
    """`{step: time}` from the progress lines."""
    found = re.findall(r"^\[[ \d]+/\d+\] (\S+(?: \S+)?) +([0-9.]+ m?s)$", err, re.M)
    return dict(found)


def test_compile_resnet18_no_cmp(
    benchmark, resnet18: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = benchmark.pedantic(
        bmneto.main, args=(_argv(resnet18, tmp_path / "out", "--no-cmp"),), rounds=3
    )
    assert code == 0
    err = capsys.readouterr().err
    benchmark.extra_info["steps"] = _steps(err)
    assert (tmp_path / "out" / "compilation.bmodel").stat().st_size > 40_000_000


def test_compile_resnet18_with_cmp(
    benchmark, resnet18: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = benchmark.pedantic(bmneto.main, args=(_argv(resnet18, tmp_path / "out"),), rounds=2)
    assert code == 0
    captured = capsys.readouterr()
    benchmark.extra_info["steps"] = _steps(captured.err)
    latency = re.search(r"simulated latency ([0-9.]+) ms", captured.out)
    assert latency is not None
    benchmark.extra_info["simulated_latency_ms"] = float(latency[1])
    match = re.search(r"output 'output': cosine ([0-9.]+), .*: ok$", captured.out, re.M)
    assert match is not None and float(match[1]) >= 0.99999, captured.out


def test_bmneto_process_resnet18_no_cmp(benchmark, resnet18: Path, tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "nntc-bmneto"),
               *_argv(resnet18, tmp_path / "out", "--no-cmp")]  # fmt: skip

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, capture_output=True, text=True)

    done = benchmark.pedantic(run, rounds=3)
    assert done.returncode == 0, done.stderr
    benchmark.extra_info["steps"] = _steps(done.stderr)
