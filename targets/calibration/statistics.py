"""Activation statistics for calibration, collected in one pass of the FP32 reference interpreter.

For every tensor the interpreter produces (every op's result, keyed by its location, the ONNX node
name; `top.input` included, weights excluded) `TensorStatistics` holds the min, the max, the
abs-max, a histogram of |x| with `bins` (2048) equal bins over [0, abs-max], and how many of the
values in bin 0 are exactly zero (`zeros`). The zeros are counted apart because they are exact in
symmetric INT8 whatever the threshold, yet a ReLU output puts half its values there: the KL
threshold must not see that spike (SOPHGO's calibrator drops the zeros from its histogram for the
same reason), while percentile and MSE count them as ordinary values.

The histogram is of |x|, not of signed x: the quantization is symmetric, so a value and its
negation saturate at the same threshold, and folding the sign doubles the counts per bin.

One pass, re-binning as the range grows. TPU-MLIR and TensorRT run the data twice (abs-max first,
histograms second) or keep every activation; we run the interpreter once per sample. The
histogram of a tensor always spans [0, abs-max of the samples seen so far]. When a sample raises
the abs-max from R to R' the old counts are redistributed onto the new, wider bins assuming each
old bin's mass is spread uniformly inside it (linear interpolation of the cumulative count at the
new edges), then the sample is added. The new bins are at least as wide as the old ones, so each
old bin lands in at most two new ones and the displacement of any mass is below one final bin
width; the abs-max, min and max themselves are exact. A test checks the thresholds against those
of an exact two-pass histogram.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from nntc.targets.calibration.dataset import Progress
from nntc.targets.weight_store import WeightStore

DEFAULT_BINS = 2048


class StatisticsError(ValueError):
    """A tensor whose statistics cannot be collected (NaN or infinite values)."""


@dataclass
class TensorStatistics:
    """Statistics of one tensor over the calibration samples.

    `histogram[i]` counts the elements with |x| in bin i of [0, `abs_max`] (`bins` equal bins;
    counts are float64 because re-binning splits them).
    """

    min: float
    max: float
    abs_max: float
    histogram: np.ndarray
    samples: int = 1
    zeros: float = 0.0
    """How many of the values counted in `histogram[0]` are exactly 0."""

    @property
    def bins(self) -> int:
        return int(self.histogram.size)

    @property
    def bin_width(self) -> float:
        return self.abs_max / self.bins

    @property
    def count(self) -> float:
        """The number of elements seen (the histogram's total)."""
        return float(self.histogram.sum())


def histogram_of(values: np.ndarray, abs_max: float, bins: int) -> np.ndarray:
    """The histogram of |values| over [0, abs_max] in `bins` bins (the last bin closed)."""
    magnitudes = np.abs(values.ravel())
    if abs_max <= 0.0:
        result = np.zeros(bins)
        result[0] = magnitudes.size
        return result
    index = (magnitudes * (bins / abs_max)).astype(np.int64)
    np.minimum(index, bins - 1, out=index)
    return np.bincount(index, minlength=bins).astype(np.float64)


def rebin(histogram: np.ndarray, old_max: float, new_max: float) -> np.ndarray:
    """Spread a histogram over [0, old_max] onto the same number of bins over [0, new_max].

    Mass is assumed uniform inside each old bin; the total is preserved.
    """
    bins = histogram.size
    if old_max <= 0.0:
        result = np.zeros(bins)
        result[0] = histogram.sum()
        return result
    old_edges = np.linspace(0.0, old_max, bins + 1)
    cumulative = np.concatenate(([0.0], np.cumsum(histogram)))
    new_edges = np.linspace(0.0, new_max, bins + 1)
    at_new = np.interp(new_edges, old_edges, cumulative)  # constant (the total) beyond old_max
    at_new[-1] = cumulative[-1]
    return np.diff(at_new)


@dataclass
class StatisticsCollector:
    """Accumulates `TensorStatistics` sample by sample (`update`), in first-seen tensor order."""

    bins: int = DEFAULT_BINS
    statistics: dict[str, TensorStatistics] = field(default_factory=dict)

    def update(self, values: Mapping[str, np.ndarray]) -> None:
        """Add one sample's tensors (`{name: array}`, e.g. the interpreter's `all_values`)."""
        for name, value in values.items():
            array = np.asarray(value)
            if array.size == 0 or not np.issubdtype(array.dtype, np.floating):
                continue
            low, high = float(array.min()), float(array.max())
            if not (np.isfinite(low) and np.isfinite(high)):
                raise StatisticsError(f"tensor '{name}' has NaN or infinite values")
            peak = max(abs(low), abs(high))
            stats = self.statistics.get(name)
            if stats is None:
                self.statistics[name] = TensorStatistics(
                    low,
                    high,
                    peak,
                    histogram_of(array, peak, self.bins),
                    zeros=float(np.count_nonzero(array == 0)),
                )
                continue
            if peak > stats.abs_max:
                stats.histogram = rebin(stats.histogram, stats.abs_max, peak)
                stats.abs_max = peak
            stats.histogram += histogram_of(array, stats.abs_max, self.bins)
            stats.zeros += float(np.count_nonzero(array == 0))
            stats.min = min(stats.min, low)
            stats.max = max(stats.max, high)
            stats.samples += 1

    def result(self) -> dict[str, TensorStatistics]:
        return self.statistics


def collect_statistics(
    module: ModuleOp,
    dataset: Iterable[Mapping[str, np.ndarray]],
    *,
    bins: int = DEFAULT_BINS,
    store: WeightStore | None = None,
    progress: Progress | None = None,
) -> dict[str, TensorStatistics]:
    """Run the FP32 reference interpreter over `dataset` once; statistics of every tensor.

    `progress(done, total)` is called after each sample (total is `len(dataset)` when the
    dataset has a length, else 0).
    """
    from nntc.targets.reference.interpreter import run_module

    total = len(dataset) if hasattr(dataset, "__len__") else 0  # type: ignore[arg-type]
    collector = StatisticsCollector(bins)
    for done, inputs in enumerate(dataset, start=1):
        result = run_module(module, inputs, store=store, dump_all=True)
        assert result.all_values is not None
        collector.update(result.all_values)
        if progress is not None:
            progress(done, total)
    if not collector.statistics:
        raise StatisticsError("the calibration dataset is empty")
    return collector.result()


__all__ = [
    "DEFAULT_BINS",
    "StatisticsCollector",
    "StatisticsError",
    "TensorStatistics",
    "collect_statistics",
    "histogram_of",
    "rebin",
]
