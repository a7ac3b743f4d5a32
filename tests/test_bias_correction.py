"""Bias correction (issue 7, strategy search): the calibration table's `#bias_correction`
section, `import-calibration` attaching it, `quantize` taking it out of the conv biases, and
`search.bias_corrections` measuring it.

The expected int32 biases are computed here from the definition (bias minus correction, over
input scale x filter scale, rounded), not by `quantize`; the measured corrections are checked by
their effect: quantized with them, the convs' mean errors measured again are a fraction of what
they were.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_cali_tool import tiny_cnn
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects import quant, top
from nntc.ir_io import nntc_context
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.lower_to_tpu import location_of
from nntc.targets.calibration.search import (
    bias_corrections,
    calibration_table,
    candidate_thresholds,
    evaluate,
    quantized_module,
)
from nntc.targets.calibration.statistics import collect_statistics
from nntc.targets.calibration.table import (
    CalibrationTableError,
    format_calibration_table,
    parse_calibration_table,
)
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import run_module
from nntc.targets.weight_store import WeightStore, attach_weight_store, weight_store_of

TABLE = """# op_name    threshold    min    max
relu1 2.0000000 -1.0000000 2.0000000
#bias_correction
relu1 0.5 -0.25 1e-09
"""


def test_table_section_round_trips() -> None:
    table = parse_calibration_table(TABLE)
    assert table.bias_corrections == {"relu1": (0.5, -0.25, 1e-09)}
    assert table.sections == {}
    again = parse_calibration_table(format_calibration_table(table))
    assert again.bias_corrections == table.bias_corrections
    assert "#bias_correction\nrelu1 0.5 -0.25 1e-09\n" in format_calibration_table(table)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("relu1 0.5 x", r"<table>:4: bias correction 'x' is not a number"),
        ("relu1", r"<table>:4: expected 'name c0 c1 \.\.\.'"),
        ("relu1 1\nrelu1 2", r"<table>:5: bias correction of 'relu1' appears twice"),
    ],
)
def test_table_section_errors_name_the_line(line: str, message: str) -> None:
    text = TABLE.split("#bias_correction")[0] + "#bias_correction\n" + line + "\n"
    with pytest.raises(CalibrationTableError, match=message):
        parse_calibration_table(text)


@pytest.fixture(scope="module")
def tiny() -> tuple[ModuleOp, WeightStore, list[dict[str, np.ndarray]]]:
    module, store = import_onnx(tiny_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    rng = np.random.default_rng(5)
    # inputs with a mean far from zero: weight rounding then shifts the convs' mean outputs
    samples = [{"input": rng.normal(1.5, 1, (1, 3, 16, 16)).astype(np.float32)} for _ in range(6)]
    return module, store, samples


def _conv(module: ModuleOp, name: str) -> top.ConvOp:
    for op in module.walk():
        if isinstance(op, top.ConvOp) and location_of(op) == name:
            return op
    raise AssertionError(name)


def test_quantize_subtracts_the_correction_from_the_bias(tiny) -> None:  # noqa: ANN001
    module, store, samples = tiny
    statistics = collect_statistics(module, samples, store=store)
    candidate = candidate_thresholds(statistics, ["max"], refine=False)[0]
    correction = tuple(float(v) for v in np.linspace(-0.3, 0.4, 8))
    with_correction = dataclasses.replace(candidate, bias_corrections={"relu1": correction})
    table = calibration_table(statistics, with_correction)
    quantized = quantized_module(module, store, table, {})
    conv = _conv(quantized, "relu1")
    assert quant.BIAS_CORRECTION_ATTR not in conv.attributes
    stored = np.asarray(weight_store_of(quantized)[conv.bias.owner.weight_name.data])  # type: ignore[union-attr]
    # the definition: (b - correction) / (input scale x per-channel filter scale), rounded
    fp32_conv = _conv(module, "relu1")
    bias = np.asarray(store[fp32_conv.bias.owner.weight_name.data], np.float64)  # type: ignore[union-attr]
    filt = np.asarray(store[fp32_conv.filter.owner.weight_name.data], np.float64)  # type: ignore[union-attr]
    in_scale = table.entries["input"].threshold / 127
    w_scales = np.abs(filt).reshape(8, -1).max(axis=1) / 127
    expected = np.round((bias - np.array(correction)) / (in_scale * w_scales))
    assert stored.dtype == np.int32 and np.array_equal(stored, expected.astype(np.int32))


def test_import_calibration_attaches_and_checks_the_section(tiny) -> None:  # noqa: ANN001
    module, _, _ = tiny
    clone = module.clone()
    attach_calibration(clone, parse_calibration_table(TABLE.replace("1e-09", "1 2 3 4 5 6")))
    attr = _conv(clone, "relu1").attributes[quant.BIAS_CORRECTION_ATTR]
    assert isinstance(attr, DenseArrayBase) and attr.get_values() == (0.5, -0.25, 1, 2, 3, 4, 5, 6)
    with pytest.raises(CalibrationTableError, match="has 3 values, the conv has 8 output"):
        attach_calibration(module.clone(), parse_calibration_table(TABLE))
    not_conv = TABLE.replace("relu1 0.5", "pool1 0.5")
    with pytest.raises(CalibrationTableError, match="'pool1': 'top.maxpool' is not a conv"):
        attach_calibration(module.clone(), parse_calibration_table(not_conv))


def test_measured_corrections_remove_the_mean_error(tiny) -> None:  # noqa: ANN001
    module, store, samples = tiny
    statistics = collect_statistics(module, samples, store=store)
    candidate = candidate_thresholds(statistics, ["max"], refine=False)[0]
    table = calibration_table(statistics, candidate)
    first = bias_corrections(module, store, table, {}, samples)
    assert set(first) == {"relu1", "relu2"}
    corrected = calibration_table(
        statistics, dataclasses.replace(candidate, bias_corrections=first)
    )
    residual = bias_corrections(module, store, corrected, {}, samples)
    for name in first:
        before, after = np.abs(first[name]), np.abs(residual[name])
        # the first conv sees no earlier correction: what is left is the int32 bias rounding
        assert after.mean() < 0.25 * before.mean(), (name, before, after)
    # and the net follows FP32 at least as well on the samples it was measured on
    references = [run_module(module, s, store=store).outputs for s in samples]
    _, plain = evaluate(module, store, table, {}, samples, references)
    _, better = evaluate(module, store, corrected, {}, samples, references)
    assert better.cosine >= plain.cosine


def test_the_written_table_reproduces_the_corrected_ir(tiny, tmp_path: Path) -> None:  # noqa: ANN001
    module, store, samples = tiny
    statistics = collect_statistics(module, samples, store=store)
    candidate = candidate_thresholds(statistics, ["max"], refine=False)[0]
    corrections = bias_corrections(
        module, store, calibration_table(statistics, candidate), {}, samples
    )
    chosen = dataclasses.replace(candidate, bias_corrections=corrections)
    table = calibration_table(statistics, chosen)
    direct = quantized_module(module, store, table, {})
    # the expert path: the table's text, read back
    read = parse_calibration_table(format_calibration_table(table))
    again = quantized_module(module, store, read, {})
    assert str(direct) == str(again)
    for op in direct.walk():
        if isinstance(op, top.WeightOp):
            name = op.weight_name.data
            assert np.array_equal(weight_store_of(direct)[name], weight_store_of(again)[name])
