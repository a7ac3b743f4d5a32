"""Calibration thresholds: the |x| beyond which an activation saturates in symmetric INT8.

Each method is a pure function of a histogram of |x| over [0, `hist_max`] (equal bins, as
`statistics.TensorStatistics` holds) and returns a threshold in the tensor's units:

- `threshold_max`: the abs-max, no clipping.
- `threshold_percentile`: the |x| below which `percentile` % (99.99) of the elements lie,
  interpolated linearly inside the bin where the cumulative count crosses it.
- `threshold_kl`: TensorRT's entropy calibration (as NNTC and TPU-MLIR use it). The exact zeros
  are first taken out of bin 0 (`zeros`): they quantize exactly at any threshold, and a ReLU's
  spike of zeros would otherwise dominate the divergence (below). For each candidate of i kept
  bins (i = `quant_bins` .. bins): the reference P is the first i bins with the mass of the
  clipped tail added to bin i-1; Q quantizes the first i bins (without the tail) into
  `quant_bins` (128) levels, bin j going to level floor(j * 128 / i) as TensorRT's
  `linspace`/`digitize` does, and expands each level's count evenly over its bins where P is
  non-zero. The threshold is `(i + 0.5) * bin_width` (TensorRT's formula, at most the abs-max)
  for the i minimising KL(P || Q), P and Q normalised; on ties (within 1e-12) the largest i
  wins. All
  candidates are evaluated at once from prefix sums (no loop over candidates). With fewer than
  `KL_MIN_VALUES` non-zero values the histogram is too sparse to be a distribution (each level
  holds at most one occupied bin, so every candidate scores about 0) and the abs-max is returned.

  Two earlier mistakes, kept here because they are easy to make again: (1) with the zeros left
  in bin 0, every candidate i >= 256 merges the spike with its neighbours in Q's first level and
  pays a huge divergence, so a ReLU output got a threshold below abs-max / 8 (0.78 for a max of
  6.29, output cosine 0.46 on a small CNN); (2) with integer groups of i // 128 bins and the
  remainder in the last group, the last level of a candidate just below a multiple of 128
  flattened up to 128 tail bins, which made the divergence a saw-tooth in i; (3) on the 80
  logits of the same CNN's fc layer KL scored noise and picked 0.44 of an abs-max of 5.38.
- `threshold_mse`: the threshold T = i * bin_width (i = 1 .. bins) minimising the expected squared
  error of `clip(round(x / s), -qmax, qmax) * s` with `s = T / qmax`, taking each bin's mass as
  uniform inside the bin: rounding error inside [0, T], clipping error `(x - T)^2` beyond. The
  rounding error averaged over a bin is computed exactly (the integral of the periodic sawtooth),
  so bins wider than a quantization step are handled too.

`compute_thresholds` applies a method to every tensor's statistics and clamps thresholds to
`MIN_THRESHOLD` (1e-5), as TPU-MLIR does for all-zero tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nntc.targets.calibration.statistics import TensorStatistics

MIN_THRESHOLD = 1e-5
KL_MIN_VALUES = 2048
KL_TIE_TOLERANCE = 1e-12
DEFAULT_PERCENTILE = 99.99
INT8_QUANT_BINS = 128
INT8_QMAX = 127


def _check(histogram: np.ndarray, hist_max: float) -> np.ndarray:
    hist = np.asarray(histogram, dtype=np.float64)
    if hist.ndim != 1 or hist.size == 0:
        raise ValueError(f"expected a 1-D non-empty histogram, got shape {list(hist.shape)}")
    if hist_max < 0 or not np.isfinite(hist_max):
        raise ValueError(f"expected a finite hist_max >= 0, got {hist_max}")
    if (hist < 0).any():
        raise ValueError("expected non-negative histogram counts")
    return hist


def threshold_max(histogram: np.ndarray, hist_max: float) -> float:
    """The abs-max: the histogram spans [0, abs-max], so its range is the threshold."""
    _check(histogram, hist_max)
    return float(hist_max)


def threshold_percentile(
    histogram: np.ndarray, hist_max: float, percentile: float = DEFAULT_PERCENTILE
) -> float:
    """The |x| below which `percentile` percent of the histogram's mass lies."""
    hist = _check(histogram, hist_max)
    if not 0.0 < percentile <= 100.0:
        raise ValueError(f"expected a percentile in (0, 100], got {percentile}")
    total = hist.sum()
    if total == 0.0 or hist_max == 0.0:
        return float(hist_max)
    width = hist_max / hist.size
    cumulative = np.cumsum(hist)
    target = total * percentile / 100.0
    index = min(int(np.searchsorted(cumulative, target * (1 - 1e-12))), hist.size - 1)
    before = cumulative[index - 1] if index > 0 else 0.0
    inside = (target - before) / hist[index] if hist[index] > 0 else 1.0
    return float(min(hist_max, width * (index + np.clip(inside, 0.0, 1.0))))


def _xlogx(x: np.ndarray) -> np.ndarray:
    safe = np.where(x > 0, x, 1.0)
    return np.where(x > 0, x * np.log(safe), 0.0)


def kl_divergences(
    histogram: np.ndarray, quant_bins: int = INT8_QUANT_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """KL(P || Q) of every candidate: (candidates i, divergences), as `threshold_kl` defines.

    `histogram` is used as given (the caller takes the zeros out). A candidate whose Q is zero
    where P is not (an empty last level that received the tail) gets +inf.
    """
    hist = _check(histogram, 0.0)
    bins = hist.size
    if bins < quant_bins:
        raise ValueError(f"expected at least {quant_bins} histogram bins, got {bins}")
    total = hist.sum()
    cand = np.arange(quant_bins, bins + 1)  # i: bins kept
    prefix = np.concatenate(([0.0], np.cumsum(hist)))
    prefix_nz = np.concatenate(([0], np.cumsum(hist > 0)))
    prefix_xlogx = np.concatenate(([0.0], np.cumsum(_xlogx(hist))))

    kept = prefix[cand]  # S_i, the mass of Q
    tail = total - kept  # clipped mass, added to P's last bin
    last = hist[cand - 1] + tail  # P[i-1]

    # level k holds bins j with k <= j * quant_bins / i < k + 1: j from ceil(k * i / quant_bins);
    # i >= quant_bins, so no level is empty
    level = np.arange(quant_bins + 1)
    bounds = -((-level[None, :] * cand[:, None]) // quant_bins)
    starts, ends = bounds[:, :-1], bounds[:, 1:]
    group_mass = prefix[ends] - prefix[starts]  # from the bins without the tail
    nonzero = (prefix_nz[ends] - prefix_nz[starts]).astype(np.float64)
    # P's last bin is non-zero when it received the tail even if the histogram bin is empty
    nonzero[:, -1] += (hist[cand - 1] == 0) & (tail > 0)
    p_mass = group_mass.copy()  # sum of P over each level
    p_mass[:, -1] += tail

    with np.errstate(divide="ignore", invalid="ignore"):
        q_value = np.where(nonzero > 0, group_mass / np.where(nonzero > 0, nonzero, 1.0), 0.0)
        log_q = np.where(q_value > 0, np.log(np.where(q_value > 0, q_value, 1.0)), -np.inf)
        cross = np.where(p_mass > 0, p_mass * log_q, 0.0).sum(axis=1)
        plogp = prefix_xlogx[cand - 1] + _xlogx(last)
        divergence = (plogp - cross) / total - np.log(total) + np.log(kept)
    divergence = np.where(np.isnan(divergence), np.inf, divergence)
    return cand, np.maximum(divergence, 0.0)


def threshold_kl(
    histogram: np.ndarray,
    hist_max: float,
    quant_bins: int = INT8_QUANT_BINS,
    zeros: float = 0.0,
) -> float:
    """The KL-divergence (entropy) threshold of TensorRT/NNTC; see the module docstring.

    `zeros` is how many of the counts in `histogram[0]` are exact zeros (taken out first).
    """
    hist = _check(histogram, hist_max)
    if not 0.0 <= zeros <= hist[0]:
        raise ValueError(f"expected 0 <= zeros <= histogram[0] ({hist[0]}), got {zeros}")
    hist = hist.copy()
    hist[0] -= zeros
    if hist.sum() < KL_MIN_VALUES or hist_max == 0.0:
        return float(hist_max)
    cand, divergence = kl_divergences(hist, quant_bins)
    if not np.isfinite(divergence).any():
        return float(hist_max)
    # between equally good candidates (up to rounding of the prefix sums) clip less
    ties = np.flatnonzero(divergence <= divergence.min() + KL_TIE_TOLERANCE)
    best = int(cand[ties[-1]])
    return float(min(hist_max, (best + 0.5) * hist_max / hist.size))


def mse_errors(
    histogram: np.ndarray,
    hist_max: float,
    qmax: int = INT8_QMAX,
    candidates: np.ndarray | None = None,
    block: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected squared quantization error per element of candidate thresholds.

    Candidates are numbers of bins i (1 .. bins, default all), i.e. thresholds `i * bin_width`;
    returns (thresholds, errors).
    """
    hist = _check(histogram, hist_max)
    bins = hist.size
    width = hist_max / bins
    kept = np.arange(1, bins + 1) if candidates is None else np.asarray(candidates, np.int64)
    if kept.size == 0 or kept.min() < 1 or kept.max() > bins:
        raise ValueError(f"expected candidates in 1 .. {bins}")
    edges = np.arange(bins + 1) * width
    thresholds = kept * width
    low, high = edges[:-1], edges[1:]

    # clipping error of the bins above each candidate, from suffix sums of the bin moments
    def suffix(values: np.ndarray) -> np.ndarray:
        return np.concatenate((np.cumsum(values[::-1])[::-1], [0.0]))

    cube = suffix(hist * (high**3 - low**3))[kept]
    square = suffix(hist * (high**2 - low**2))[kept]
    linear = suffix(hist * width)[kept]
    t = thresholds
    clip = (cube - 3 * t * square + 3 * t * t * linear) / (3 * width)

    # rounding error of the bins below each candidate: integral of the sawtooth r(x)^2 over each
    # bin, F(x) = n s^3 / 12 + (v^3 + s^3 / 8) / 3 with x = n s + v, v in [-s/2, s/2)
    rounding = np.empty(kept.size)
    weights = hist / width
    for start in range(0, kept.size, block):
        rows = slice(start, start + block)
        top = int(kept[rows].max())
        steps = t[rows, None] / qmax
        n = np.floor(edges[None, : top + 1] / steps + 0.5)
        v = edges[None, : top + 1] - n * steps
        integral = n * steps**3 / 12 + (v**3 + steps**3 / 8) / 3
        running = np.cumsum(np.diff(integral, axis=1) * weights[None, :top], axis=1)
        rounding[rows] = running[np.arange(running.shape[0]), kept[rows] - 1]
    return thresholds, (rounding + clip) / hist.sum()


def threshold_mse(histogram: np.ndarray, hist_max: float, qmax: int = INT8_QMAX) -> float:
    """The threshold minimising the expected INT8 quantization MSE; see the module docstring.

    Searched coarse to fine: every `bins // 256`-th candidate, then every bin around the best.
    """
    hist = _check(histogram, hist_max)
    if hist.sum() == 0.0 or hist_max == 0.0:
        return float(hist_max)
    bins = hist.size
    stride = max(1, bins // 256)
    coarse = np.unique(np.append(np.arange(stride, bins + 1, stride), bins))
    _, errors = mse_errors(hist, hist_max, qmax, coarse)
    best = int(coarse[int(np.argmin(errors))])
    fine = np.arange(max(1, best - stride), min(bins, best + stride) + 1)
    thresholds, errors = mse_errors(hist, hist_max, qmax, fine)
    return float(thresholds[int(np.argmin(errors))])


THRESHOLD_METHODS: dict[str, Callable[..., float]] = {
    "max": threshold_max,
    "percentile": threshold_percentile,
    "kl": threshold_kl,
    "mse": threshold_mse,
}
"""Threshold functions by the method names `nntc-cali` and the table header use."""


def compute_thresholds(
    statistics: Mapping[str, TensorStatistics], method: str = "kl", **options: Any
) -> dict[str, float]:
    """Thresholds of every tensor by `method` (options go to its function, e.g. `percentile`)."""
    try:
        function = THRESHOLD_METHODS[method]
    except KeyError:
        raise ValueError(
            f"unknown threshold method '{method}' (known: {', '.join(THRESHOLD_METHODS)})"
        ) from None
    result = {}
    for name, stats in statistics.items():
        extra = {"zeros": stats.zeros} if function is threshold_kl else {}
        threshold = function(stats.histogram, stats.abs_max, **extra, **options)
        result[name] = max(MIN_THRESHOLD, threshold)
    return result


__all__ = [
    "DEFAULT_PERCENTILE",
    "INT8_QMAX",
    "INT8_QUANT_BINS",
    "KL_MIN_VALUES",
    "MIN_THRESHOLD",
    "THRESHOLD_METHODS",
    "compute_thresholds",
    "kl_divergences",
    "mse_errors",
    "threshold_kl",
    "threshold_max",
    "threshold_mse",
    "threshold_percentile",
]
