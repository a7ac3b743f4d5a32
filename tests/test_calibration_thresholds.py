"""Calibration thresholds on synthetic distributions (uniform, gaussian, heavy-tailed).

The KL search is checked against a plain per-candidate loop written here, and the MSE threshold
against a brute-force search that quantizes the raw samples themselves.
"""

import numpy as np
import pytest

from nntc.targets.calibration.statistics import TensorStatistics, histogram_of
from nntc.targets.calibration.thresholds import (
    MIN_THRESHOLD,
    compute_thresholds,
    kl_divergences,
    threshold_kl,
    threshold_max,
    threshold_mse,
    threshold_percentile,
)

BINS = 2048
N = 200_000


def distributions() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    return {
        "uniform": rng.uniform(-1.0, 1.0, N),
        "gaussian": rng.standard_normal(N),
        "gaussian_outliers": np.concatenate([rng.standard_normal(N), [30.0, -45.0, 60.0]]),
        "laplace": rng.laplace(size=N),
        "student_t3": rng.standard_t(3, size=N),
        "relu": np.maximum(rng.standard_normal(N), 0.0),
    }


def hist_of(x: np.ndarray) -> tuple[np.ndarray, float]:
    peak = float(np.abs(x).max())
    return histogram_of(x, peak, BINS), peak


def kl_loop(hist: np.ndarray, quant_bins: int = 128) -> dict[int, float]:
    """KL(P||Q) per candidate, one candidate at a time, as TensorRT describes it."""
    result = {}
    for i in range(quant_bins, hist.size + 1):
        p = hist[:i].copy()
        p[i - 1] += hist[i:].sum()
        merged = i // quant_bins
        q = np.zeros(i)
        for k in range(quant_bins):
            start = k * merged
            stop = i if k == quant_bins - 1 else start + merged
            nonzero = p[start:stop] > 0
            if nonzero.any():
                q[start:stop][nonzero] = hist[start:stop].sum() / nonzero.sum()
        p = p / p.sum()
        q = q / q.sum()
        mask = p > 0
        if (q[mask] == 0).any():
            result[i] = np.inf
        else:
            result[i] = float(np.sum(p[mask] * np.log(p[mask] / q[mask])))
    return result


def quantized_mse(x: np.ndarray, threshold: float) -> float:
    step = threshold / 127
    q = np.clip(np.round(x / step), -127, 127) * step
    return float(np.mean((x - q) ** 2))


@pytest.mark.parametrize(
    "hist",
    [
        np.random.default_rng(1).poisson(50, 512).astype(float),
        np.concatenate([np.random.default_rng(2).poisson(5, 300), np.zeros(200), [3, 0, 0, 1]]),
        np.concatenate([[1000.0], np.zeros(400), [2.0]]),  # empty groups and an outlier
    ],
)
def test_kl_matches_a_plain_loop(hist: np.ndarray) -> None:
    cand, vectorised = kl_divergences(hist.astype(float))
    expected = kl_loop(hist.astype(float))
    assert list(cand) == list(expected)
    reference = np.array(list(expected.values()))
    assert np.array_equal(np.isinf(vectorised), np.isinf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(vectorised[finite], reference[finite], rtol=1e-7, atol=1e-10)


def test_max_is_the_abs_max() -> None:
    for x in distributions().values():
        hist, peak = hist_of(x)
        assert threshold_max(hist, peak) == peak


@pytest.mark.parametrize("name", ["uniform", "gaussian", "laplace", "student_t3"])
def test_percentile_matches_numpy(name: str) -> None:
    x = distributions()[name]
    hist, peak = hist_of(x)
    for percentile in (99.0, 99.9, 99.99):
        expected = np.percentile(np.abs(x), percentile)
        got = threshold_percentile(hist, peak, percentile)
        assert abs(got - expected) <= 2 * peak / BINS, (percentile, got, expected)
    assert threshold_percentile(hist, peak, 100.0) == pytest.approx(peak)


def test_kl_on_known_shapes() -> None:
    x = distributions()
    # uniform: nothing to gain by clipping
    hist, peak = hist_of(x["uniform"])
    assert threshold_kl(hist, peak) >= 0.95 * peak
    # gaussian with a few far outliers: the outliers are clipped, the bulk kept
    hist, peak = hist_of(x["gaussian_outliers"])
    kl = threshold_kl(hist, peak)
    assert 2.5 < kl < 0.2 * peak
    # heavy tails: clipped below the max but above the bulk
    for name in ("laplace", "student_t3"):
        hist, peak = hist_of(x[name])
        kl = threshold_kl(hist, peak)
        assert np.percentile(np.abs(x[name]), 99) < kl < peak, name


@pytest.mark.parametrize("name", list(distributions()))
def test_mse_is_near_the_brute_force_optimum(name: str) -> None:
    x = distributions()[name]
    hist, peak = hist_of(x)
    chosen = threshold_mse(hist, peak)
    grid = np.geomspace(peak / 200, peak, 400)
    errors = np.array([quantized_mse(x, t) for t in grid])
    best = errors.min()
    assert quantized_mse(x, chosen) <= 1.03 * best, (chosen, grid[errors.argmin()])


def test_mse_clips_a_gaussian_but_not_a_uniform() -> None:
    x = distributions()
    hist, peak = hist_of(x["gaussian"])
    assert threshold_mse(hist, peak) < 0.95 * peak
    hist, peak = hist_of(x["uniform"])
    assert threshold_mse(hist, peak) > 0.98 * peak


def test_all_zero_tensor_is_clamped() -> None:
    stats = {"zeros": TensorStatistics(0.0, 0.0, 0.0, histogram_of(np.zeros(10), 0.0, BINS))}
    for method in ("max", "percentile", "kl", "mse"):
        assert compute_thresholds(stats, method) == {"zeros": MIN_THRESHOLD}


def test_compute_thresholds_per_tensor_and_options() -> None:
    x = distributions()["laplace"]
    hist, peak = hist_of(x)
    stats = {"a": TensorStatistics(float(x.min()), float(x.max()), peak, hist)}
    assert compute_thresholds(stats, "max") == {"a": peak}
    low = compute_thresholds(stats, "percentile", percentile=99.0)["a"]
    high = compute_thresholds(stats, "percentile")["a"]
    assert low < high < peak
    with pytest.raises(ValueError, match="unknown threshold method 'entropy'"):
        compute_thresholds(stats, "entropy")


def test_bad_histograms_are_refused() -> None:
    with pytest.raises(ValueError, match="1-D non-empty"):
        threshold_kl(np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        threshold_mse(np.array([1.0, -1.0]), 1.0)
    with pytest.raises(ValueError, match="at least 128 histogram bins"):
        kl_divergences(np.ones(64))
    with pytest.raises(ValueError, match="percentile in"):
        threshold_percentile(np.ones(8), 1.0, 0.0)
