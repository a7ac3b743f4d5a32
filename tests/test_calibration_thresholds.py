"""Calibration thresholds on synthetic distributions (uniform, gaussian, heavy-tailed, ReLU).

The KL search is checked against a plain per-candidate loop written here, and the MSE threshold
against a brute-force search that quantizes the raw samples themselves. The KL regression tests
(ReLU outputs with their spike of exact zeros, heavy tails, too few values, and the small CNN on
which KL once gave an output cosine of 0.46) check thresholds by the signal-to-quantization-noise
ratio they give, against the best threshold found by brute force.
"""

import numpy as np
import pytest

from nntc.targets.calibration.statistics import (
    StatisticsCollector,
    TensorStatistics,
    histogram_of,
)
from nntc.targets.calibration.thresholds import (
    KL_MIN_VALUES,
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
        # TensorRT's levels: np.digitize(range(i), np.linspace(0, i, quant_bins + 1)) - 1
        levels = np.digitize(np.arange(i), np.linspace(0, i, quant_bins + 1)) - 1
        q = np.zeros(i)
        for k in range(quant_bins):
            members = levels == k
            nonzero = members & (p > 0)
            if nonzero.any():
                q[nonzero] = hist[:i][members].sum() / nonzero.sum()
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


# --- KL regressions ------------------------------------------------------------------------------


def sqnr_db(x: np.ndarray, threshold: float) -> float:
    return float(10 * np.log10(np.mean(x**2) / quantized_mse(x, threshold)))


def relu_distributions() -> dict[str, np.ndarray]:
    """ReLU outputs: about half exact zeros, then light or heavy tails."""
    rng = np.random.default_rng(7)
    return {
        "relu_gaussian": np.maximum(rng.standard_normal(N), 0.0),
        "relu_laplace": np.maximum(rng.laplace(size=N), 0.0),
        "relu_student_t3": np.maximum(rng.standard_t(3, size=N), 0.0),
        "relu_lognormal_scaled": np.maximum(rng.standard_normal(N), 0.0) * rng.lognormal(0, 0.7, N),
    }


def statistics_of(x: np.ndarray) -> TensorStatistics:
    collector = StatisticsCollector(BINS)
    collector.update({"t": x})
    return collector.result()["t"]


@pytest.mark.parametrize("name", list(relu_distributions()))
def test_kl_of_relu_outputs_ignores_the_zeros(name: str) -> None:
    x = relu_distributions()[name]
    stats = statistics_of(x)
    assert stats.zeros == np.count_nonzero(x == 0) > 0.4 * N
    kl = compute_thresholds({"t": stats}, "kl")["t"]
    # the zeros were the whole bug: with them in bin 0 the threshold fell below abs-max / 8
    assert kl > np.percentile(x[x > 0], 99) > stats.abs_max / 8
    assert kl <= stats.abs_max
    grid = np.geomspace(stats.abs_max / 100, stats.abs_max, 200)
    best = max(sqnr_db(x, t) for t in grid)
    # KL clips heavy tails harder than the SQNR optimum (6.2 dB below it on Student-t3, like the
    # 99.99 percentile); the zeros bug lost 18-25 dB
    assert sqnr_db(x, kl) >= best - 7.0, (kl, best)
    # taking the zeros out is the same as never counting them
    nonzero = histogram_of(x[x != 0], stats.abs_max, BINS)
    assert kl == max(MIN_THRESHOLD, threshold_kl(nonzero, stats.abs_max))


def test_kl_on_a_light_tailed_relu_is_close_to_the_best() -> None:
    x = relu_distributions()["relu_gaussian"]
    stats = statistics_of(x)
    kl = threshold_kl(stats.histogram, stats.abs_max, zeros=stats.zeros)
    assert 0.8 * stats.abs_max < kl < stats.abs_max
    grid = np.geomspace(stats.abs_max / 100, stats.abs_max, 200)
    assert sqnr_db(x, kl) >= max(sqnr_db(x, t) for t in grid) - 0.5


def test_kl_threshold_is_the_middle_of_the_last_kept_bin() -> None:
    hist, peak = hist_of(distributions()["gaussian_outliers"])
    cand, divergence = kl_divergences(hist)
    best = int(cand[int(np.argmin(divergence))])
    assert 128 <= best < BINS // 2
    assert threshold_kl(hist, peak) == pytest.approx((best + 0.5) * peak / BINS, rel=1e-12)


def test_kl_ties_keep_more_bins_and_never_exceed_the_abs_max() -> None:
    # uniform mass in bins 0 .. 255: every i >= 256 is lossless, the largest one wins
    hist = np.zeros(BINS)
    hist[:256] = 100.0
    cand, divergence = kl_divergences(hist)
    assert (divergence[cand >= 256] < 1e-13).all() and (divergence[cand < 256] > 1e-6).all()
    assert threshold_kl(hist, 3.0) == 3.0


def test_kl_with_too_few_values_is_the_abs_max() -> None:
    rng = np.random.default_rng(3)
    # 80 logits (10 classes x 8 samples), the fc layer of the bug report: KL picked 0.44 of 5.38
    x = rng.standard_normal(80) * 2.0
    stats = statistics_of(x)
    assert stats.count < KL_MIN_VALUES
    assert threshold_kl(stats.histogram, stats.abs_max) == stats.abs_max
    # the zeros do not count as values
    padded = np.concatenate([x, np.zeros(KL_MIN_VALUES)])
    stats = statistics_of(padded)
    assert threshold_kl(stats.histogram, stats.abs_max, zeros=stats.zeros) == stats.abs_max


def test_kl_zeros_must_fit_in_the_first_bin() -> None:
    hist = np.full(BINS, 2.0)
    with pytest.raises(ValueError, match=r"expected 0 <= zeros <= histogram\[0\] \(2.0\), got 3"):
        threshold_kl(hist, 1.0, zeros=3.0)


@pytest.mark.parametrize("seed", [11, 12])
def test_kl_on_random_input_cnn_activations(seed: int) -> None:
    """The small CNN of the bug report: KL now agrees with FP32 as max and percentile do."""
    from test_quantize import cosine, small_cnn
    from xdsl.transforms.canonicalize import CanonicalizePass

    from nntc.ir_io import nntc_context
    from nntc.passes.import_calibration import attach_calibration
    from nntc.passes.quantize import quantize_module
    from nntc.targets.calibration import collect_statistics, table_from_statistics
    from nntc.targets.onnx import import_onnx
    from nntc.targets.reference.interpreter import run_module
    from nntc.targets.reference.quant_functions import run_quant_module
    from nntc.targets.weight_store import attach_weight_store

    module, store = import_onnx(small_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    rng = np.random.default_rng(seed)
    shape = (1, 3, 16, 16)
    calibration = [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(8)]
    held_out = [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(6)]
    statistics = collect_statistics(module, calibration, store=store)
    thresholds = compute_thresholds(statistics, "kl")
    for name in ("relu1", "relu2", "cat"):
        assert thresholds[name] > 0.5 * statistics[name].abs_max, name
    assert thresholds["fc"] == statistics["fc"].abs_max  # 80 values: too few for KL
    reference = [run_module(module, x, store=store).outputs["prob"] for x in held_out]
    attach_calibration(module, table_from_statistics(statistics, thresholds, method="kl"))
    quantize_module(module)
    for x, expected in zip(held_out, reference, strict=True):
        assert cosine(run_quant_module(module, x).outputs["prob"], expected) >= 0.99
