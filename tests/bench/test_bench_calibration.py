"""Calibration statistics speed: 16 samples through the example ResNet block (pytest-benchmark).

One round is the whole statistics pass of `nntc-cali`: the FP32 reference interpreter on each
sample plus the per-tensor min/max/histogram updates; thresholds for every tensor by each method
are timed separately.
"""

from pathlib import Path

import numpy as np

from nntc.ir_io import read_ir
from nntc.targets.calibration.statistics import collect_statistics
from nntc.targets.calibration.thresholds import compute_thresholds

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "resnet_block.mlir"


def dataset(count: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [
        {"input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)} for _ in range(count)
    ]


def test_statistics_16_samples_resnet_block(benchmark) -> None:
    module = read_ir(EXAMPLE)
    samples = dataset(16)
    stats = benchmark.pedantic(collect_statistics, (module, samples), rounds=3, iterations=1)
    assert stats["conv1"].samples == 16


def test_thresholds_all_methods_resnet_block(benchmark) -> None:
    stats = collect_statistics(read_ir(EXAMPLE), dataset(2))

    def all_methods() -> dict[str, dict[str, float]]:
        return {m: compute_thresholds(stats, m) for m in ("max", "percentile", "kl", "mse")}

    thresholds = benchmark.pedantic(all_methods, rounds=3, iterations=1)
    assert set(thresholds["kl"]) == set(stats)
