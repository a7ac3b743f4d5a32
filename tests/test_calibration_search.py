"""The shortcuts that make `nntc-cali`'s strategy search fast give exactly the slow path's results.

- `quant.quantize` / `quant.dequantize` (the in-place fast path of the default rounding) against
  their definition computed exactly with `fractions.Fraction`;
- `QuantRunner` (one interpreter set-up, each weight dequantized once, for many samples) against
  fresh single runs, and its stored tensors against `dump_all`;
- `layer_report` fed with the FP32 and quantized tensors of earlier runs against running both
  modules again;
- the calibration table's time honours `SOURCE_DATE_EPOCH`;
- mixed precision's measured search: the score it reports is that of its precision table run
  again, it meets the target with fewer F16 layers than the net has, and runs the same twice.
"""

from __future__ import annotations

import datetime
import math
from fractions import Fraction

import numpy as np
import pytest
from test_cali_tool import tiny_cnn
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness, f32, i8
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects import quant
from nntc.dialects.quant import UniformQuantPerAxisType, UniformQuantType
from nntc.ir_io import nntc_context
from nntc.targets.calibration.search import (
    calibration_table,
    candidate_thresholds,
    evaluate,
    layer_report,
    mixed_precision,
    movable_layers,
    quantized_module,
    run_outputs,
)
from nntc.targets.calibration.statistics import collect_statistics
from nntc.targets.calibration.table import creation_time, table_from_statistics
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import run_module
from nntc.targets.reference.quant_functions import QuantRunner, StoredValues, run_quant_module
from nntc.targets.weight_store import WeightStore, attach_weight_store

# --- quantize / dequantize against their exact definition ----------------------------------------


def _exact_round(value: Fraction, mode: str) -> int:
    floor = math.floor(value)
    frac = value - floor
    if mode == "down":
        return floor
    if mode == "up":
        return math.ceil(value)
    if mode == "toward_zero":
        return math.trunc(value)
    if frac != Fraction(1, 2):
        return floor + (frac > Fraction(1, 2))
    return {
        "half_up": floor + 1,
        "half_down": floor,
        "half_to_even": floor + (floor % 2),
        "half_away_from_zero": floor + 1 if value > 0 else floor,
    }[mode]


def _exact_quantize(
    values: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, lo: int, hi: int, mode: str
) -> np.ndarray:
    """clamp(round(x / scale) + zp): the division in float64 as the definition says, then the
    rounding of that float64 quotient done exactly."""
    out = np.empty(values.shape, np.int64)
    x64 = values.astype(np.float64)
    for index in np.ndindex(values.shape):
        quotient = x64[index] / scales[index]
        if math.isinf(quotient):
            out[index] = hi if quotient > 0 else lo
            continue
        q = _exact_round(Fraction(float(quotient)), mode) + int(zero_points[index])
        out[index] = min(max(q, lo), hi)
    return out


TRICKY = [
    0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
    126.5, -127.5, 127.49999999999999, 1e300, -1e300, np.inf, -np.inf, 3.0, -3.0, 0.25,
]  # fmt: skip


@pytest.mark.parametrize("mode", quant.ROUND_MODES)
def test_quantize_matches_the_exact_definition(mode: str) -> None:
    rng = np.random.default_rng(7)
    per_tensor = UniformQuantType(i8, f32, 1.0, 3)
    values = np.array(TRICKY + list(rng.normal(0, 60, 200)), np.float64)
    got = quant.quantize(values, per_tensor, mode)  # type: ignore[arg-type]
    full = np.ones(values.shape)
    expected = _exact_quantize(values, full, full * 3, -128, 127, mode)
    assert got.dtype == np.int8 and np.array_equal(got, expected)

    # float32 activations, per-axis scales with zero points (axis 1 of NCHW); binary scales
    # make exact ties (x / 0.25 = 2.5 for x = 0.625), decimal ones inexact quotients
    x = rng.normal(0, 3, (2, 4, 4, 5)).astype(np.float32)
    x[0, :, 0, :4] = [0.625, -0.625, 0.375, -0.125]
    scales_list, zps_list = [0.25, 0.5, 0.02, 0.1], [0, -4, 7, 0]
    axis = UniformQuantPerAxisType(i8, f32, 1, scales_list, zps_list)
    got = quant.quantize(x, axis, mode)  # type: ignore[arg-type]
    shape = (1, 4, 1, 1)
    scales = np.broadcast_to(np.array(scales_list).reshape(shape), x.shape)
    zps = np.broadcast_to(np.array(zps_list).reshape(shape), x.shape)
    assert np.array_equal(got, _exact_quantize(x, scales, zps, -128, 127, mode))


def test_quantize_integers_and_nan() -> None:
    qtype = UniformQuantType(i8, f32, 2.0)
    ints = np.array([-7, -5, -3, -1, 1, 3, 5, 7, 1000], np.int32)
    assert quant.quantize(ints, qtype).tolist() == [-4, -3, -2, -1, 1, 2, 3, 4, 127]
    with pytest.raises(ValueError, match="NaN"):
        quant.quantize(np.array([1.0, np.nan], np.float32), qtype)


def test_dequantize_matches_the_definition() -> None:
    rng = np.random.default_rng(3)
    q = rng.integers(-128, 128, (4, 6)).astype(np.int8)
    scales = [0.013, 0.7, 1e-5, 3.3]
    qtype = UniformQuantPerAxisType(i8, f32, 0, scales, [0, 5, -2, 0])
    got = quant.dequantize(q, qtype)
    expected = np.array(
        [[float(q[r, c] - [0, 5, -2, 0][r]) * scales[r] for c in range(6)] for r in range(4)],
        np.float32,
    )
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    # 32-bit storage: the product in float64 is exact, then one rounding to float32
    wide = np.array([2**31 - 1, -(2**31), 16777217], np.int32)
    per_tensor = UniformQuantType(IntegerType(32, Signedness.SIGNED), f32, 0.5, 1)
    expected = [float(np.float32((v - 1) * 0.5)) for v in wide.tolist()]
    assert quant.dequantize(wide, per_tensor).tolist() == expected


# --- the runner, the stored tensors and the report -----------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> tuple[ModuleOp, WeightStore, ModuleOp, list[dict[str, np.ndarray]]]:
    module, store = import_onnx(tiny_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    rng = np.random.default_rng(11)
    samples = [{"input": rng.normal(0, 1, (1, 3, 16, 16)).astype(np.float32)} for _ in range(4)]
    statistics = collect_statistics(module, samples[:2], store=store)
    candidate = candidate_thresholds(statistics, ["max"], refine=False)[0]
    quantized = quantized_module(module, store, calibration_table(statistics, candidate), {})
    return module, store, quantized, samples


def test_runner_matches_fresh_runs_and_shares_weights(tiny) -> None:  # noqa: ANN001
    _, _, quantized, samples = tiny
    runner = QuantRunner(quantized)
    for sample in samples:
        shared = runner.run(sample, dump_all=True, keep_stored=True)
        fresh = run_quant_module(quantized, sample, dump_all=True)
        assert shared.outputs.keys() == fresh.outputs.keys()
        for name, value in fresh.outputs.items():
            assert np.array_equal(shared.outputs[name], value)
        assert shared.all_values is not None and fresh.all_values is not None
        assert shared.all_values.keys() == fresh.all_values.keys()
        for name, value in fresh.all_values.items():
            assert np.array_equal(shared.all_values[name], value), name
        # the stored form converts to exactly what dump_all gives
        assert shared.stored is not None
        real = shared.stored.real()
        assert real.keys() == fresh.all_values.keys()
        for name, value in fresh.all_values.items():
            assert np.array_equal(real[name], value), name
    # each quantized weight was dequantized once, as the definition says, and is read-only
    cached = runner.functions._weight_floats  # noqa: SLF001
    assert cached
    for source, value in cached.values():
        assert not value.flags.writeable
        assert source.dtype.kind in "iu"  # only quantized weights need converting
    conv_weights = [v for _, v in cached.values() if v.ndim == 4]
    assert conv_weights and all(v.dtype == np.float32 for v in conv_weights)


def test_layer_report_from_earlier_runs_is_identical(tiny) -> None:  # noqa: ANN001
    module, store, quantized, samples = tiny
    slow = layer_report(module, quantized, samples, store=store)
    references = [run_module(module, s, store=store, dump_all=True).all_values for s in samples]
    stored: list[StoredValues] = []
    outputs = run_outputs(quantized, samples, stored)
    assert len(stored) == len(samples) and len(outputs) == len(samples)
    fast = layer_report(
        module, quantized, samples, store=store, references=references, quantized_values=stored
    )
    assert fast == slow
    assert len(slow) > 5 and {"relu1", "relu2", "fc"} <= {layer.name for layer in slow}
    with pytest.raises(ValueError, match="sets of tensors for 4 samples"):
        layer_report(module, quantized, samples, store=store, references=references[:2])


# --- mixed precision ------------------------------------------------------------------------------


def test_measured_mixed_precision_meets_the_target_with_few_layers(tiny) -> None:  # noqa: ANN001
    module, store, quantized, samples = tiny
    statistics = collect_statistics(module, samples[:2], store=store)
    table = calibration_table(statistics, candidate_thresholds(statistics, ["max"], False)[0])
    held_out = samples[2:]
    references = [run_module(module, s, store=store).outputs for s in held_out]
    _, int8 = evaluate(module, store, table, {}, held_out, references)
    layers = movable_layers(module, quantized, {})
    assert {"relu1", "relu2", "fc"} <= set(layers)
    # halfway between all-INT8 and FP32 in error: reachable, not by INT8 alone
    target = 1 - (1 - int8.cosine) / 2
    evaluations: list[int] = []
    result = mixed_precision(
        module,
        store,
        table,
        {},
        held_out,
        references,
        target,
        progress=lambda d, _: evaluations.append(d),
    )
    assert result.met and result.score.cosine >= target > int8.cosine
    moved = [name for name, precision in result.qtable.items() if precision == "F16"]
    assert 1 <= len(moved) < len(layers)
    back = {n for r in result.rounds for n in r.back}
    assert [n for r in result.rounds for n in r.moved if n not in back] == moved
    # the reported score is that of the written precision table, run again from scratch
    outputs = [
        QuantRunner(quantized_module(module, store, table, result.qtable)).run(s).outputs
        for s in held_out
    ]
    cosines = []
    for sample_out, reference in zip(outputs, references, strict=True):
        a, b = (v["prob"].ravel().astype(np.float64) for v in (sample_out, reference))
        cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    assert math.isclose(float(np.mean(cosines)), result.score.cosine, rel_tol=1e-9)
    assert evaluations == list(range(1, len(evaluations) + 1))
    # each layer left in F16 is needed: back in INT8, the score misses the target
    for name in moved:
        fewer = {n: p for n, p in result.qtable.items() if n != name}
        assert evaluate(module, store, table, fewer, held_out, references)[1].cosine < target
    again = mixed_precision(module, store, table, {}, held_out, references, target)
    assert again.qtable == result.qtable and again.score == result.score


# --- reproducible table time ---------------------------------------------------------------------


def test_table_time_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert creation_time() == "2023-11-14 22:13:20"
    stats = {}
    table = table_from_statistics(stats, {}, method="max")
    assert table.time == "2023-11-14 22:13:20"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH='yesterday' is not a valid"):
        creation_time()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    now = datetime.datetime.fromisoformat(creation_time())
    assert abs((datetime.datetime.now() - now).total_seconds()) < 60
