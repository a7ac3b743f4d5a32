"""Simulator speed (pytest-benchmark): the vendor tiny_cnn (f32 and int8), functional and
timing-only.

Commands simulated per second = commands per run / mean time; run with
`pytest tests/bench/test_bench_simulator.py --benchmark-enable`.
"""

import gzip
from pathlib import Path

import numpy as np

from nntc.targets.bm1684x.simulator import Simulator

DATA = Path(__file__).parents[1] / "data" / "vendor" / "tiny_cnn"


def _sim(q: str = "f32") -> Simulator:
    return Simulator(gzip.decompress((DATA / f"tiny_cnn_{q}.bmodel.gz").read_bytes()))


def test_functional_tiny_cnn_f32(benchmark) -> None:
    sim = _sim()
    x = np.load(DATA / "input.npz")["input"]
    result = benchmark(sim.run, {"input": x})
    assert result.report["commands"] == sim.command_count == 20
    if benchmark.stats is not None:
        benchmark.extra_info["commands_per_second"] = sim.command_count / benchmark.stats["mean"]


def test_timing_only_tiny_cnn_f32(benchmark) -> None:
    sim = _sim()
    result = benchmark(sim.time_only)
    assert result.report["cycles"] > 0
    if benchmark.stats is not None:
        benchmark.extra_info["commands_per_second"] = sim.command_count / benchmark.stats["mean"]


def test_functional_tiny_cnn_int8(benchmark) -> None:
    """The int8 stream: 75 commands, mostly small lane moves and integer elementwise ops."""
    sim = _sim("int8")
    x = np.load(DATA / "input.npz")["input"]
    expected = np.load(DATA / "tiny_cnn_int8.output.npz")["output_Gemm_f32"]
    result = benchmark(sim.run, {"input": x})
    assert np.array_equal(result.outputs["output_Gemm_f32"], expected)
    if benchmark.stats is not None:
        benchmark.extra_info["commands_per_second"] = sim.command_count / benchmark.stats["mean"]
