"""One-pass activation statistics: re-binning, agreement with an exact two-pass histogram, and
collection over the example ResNet block with the reference interpreter."""

from pathlib import Path

import numpy as np
import pytest

from nntc.ir_io import read_ir
from nntc.targets.calibration.statistics import (
    StatisticsCollector,
    StatisticsError,
    collect_statistics,
    histogram_of,
    rebin,
)
from nntc.targets.calibration.thresholds import threshold_kl, threshold_mse, threshold_percentile
from nntc.targets.reference.interpreter import run_module

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"


def test_histogram_of_puts_the_abs_max_in_the_last_bin() -> None:
    hist = histogram_of(np.array([0.0, -0.3, 0.5, -1.0, 1.0]), 1.0, 4)
    assert hist.tolist() == [1.0, 1.0, 1.0, 2.0]
    assert histogram_of(np.zeros(5), 0.0, 4).tolist() == [5.0, 0.0, 0.0, 0.0]


def test_rebin_to_twice_the_range_merges_pairs_exactly() -> None:
    hist = np.arange(8, dtype=float)
    merged = rebin(hist, 2.0, 4.0)
    assert merged.tolist() == [1.0, 5.0, 9.0, 13.0, 0.0, 0.0, 0.0, 0.0]


def test_rebin_keeps_the_total_for_any_growth() -> None:
    hist = np.random.default_rng(0).poisson(3.0, 2048).astype(float)
    for factor in (1.0001, 1.37, 3.0, 1000.0):
        out = rebin(hist, 1.0, factor)
        assert out.sum() == pytest.approx(hist.sum())
        assert (out >= 0).all()


def growing_samples() -> list[np.ndarray]:
    """Samples whose range grows now and then, as activations do over a calibration set."""
    rng = np.random.default_rng(7)
    samples = []
    for i in range(24):
        x = rng.standard_normal(20_000) * (1.0 + 0.15 * i * (i % 3 == 0))
        if i % 5 == 4:
            x[:3] = rng.uniform(8, 12, 3) * (1 + i / 10)
        samples.append(x)
    return samples


def test_one_pass_agrees_with_an_exact_two_pass_histogram() -> None:
    samples = growing_samples()
    collector = StatisticsCollector(bins=2048)
    for x in samples:
        collector.update({"t": x.astype(np.float32)})
    stats = collector.result()["t"]

    everything = np.concatenate(samples).astype(np.float32)
    peak = float(np.abs(everything).max())
    exact = histogram_of(everything, peak, 2048)
    assert stats.abs_max == peak
    assert stats.min == float(everything.min()) and stats.max == float(everything.max())
    assert stats.samples == len(samples)
    assert stats.count == pytest.approx(everything.size)
    # re-binning moves mass by less than a bin: the cumulative distributions stay close
    gap = np.abs(np.cumsum(stats.histogram) - np.cumsum(exact)).max() / everything.size
    assert gap < 0.002
    width = peak / 2048
    for method in (threshold_kl, threshold_percentile, threshold_mse):
        one_pass = method(stats.histogram, stats.abs_max)
        two_pass = method(exact, peak)
        assert abs(one_pass - two_pass) <= max(8 * width, 0.02 * two_pass), method.__name__


def test_nan_is_reported_with_the_tensor_name() -> None:
    collector = StatisticsCollector()
    with pytest.raises(StatisticsError, match="tensor 'conv1' has NaN or infinite values"):
        collector.update({"conv1": np.array([1.0, np.nan], dtype=np.float32)})


def test_collect_statistics_over_the_example_block() -> None:
    module = read_ir(EXAMPLE)
    rng = np.random.default_rng(3)
    dataset = [
        {"input": (rng.standard_normal((1, 3, 224, 224)) * s).astype(np.float32)}
        for s in (0.5, 2.0, 1.0)
    ]
    calls: list[tuple[int, int]] = []
    stats = collect_statistics(
        module, dataset, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    per_sample = [run_module(module, inputs, dump_all=True).all_values for inputs in dataset]
    assert list(stats) == list(per_sample[0])  # every op's output, in program order
    assert {"input", "conv1", "layer1.0.add", "fc", "softmax"} <= set(stats)
    for name, s in stats.items():
        values = [v[name] for v in per_sample]
        assert s.samples == 3
        assert s.min == pytest.approx(min(float(v.min()) for v in values), rel=1e-6)
        assert s.max == pytest.approx(max(float(v.max()) for v in values), rel=1e-6)
        assert s.abs_max == pytest.approx(max(float(np.abs(v).max()) for v in values), rel=1e-6)
        assert s.count == pytest.approx(sum(v.size for v in values))
        assert s.bins == 2048
    assert stats["relu1"].min >= 0.0
    assert stats["softmax"].max <= 1.0


def test_empty_dataset_is_an_error() -> None:
    with pytest.raises(StatisticsError, match="dataset is empty"):
        collect_statistics(read_ir(EXAMPLE), [])
