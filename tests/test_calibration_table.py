"""The calibration table: TPU-MLIR's text format, the vendor's own table, round trips, errors."""

from pathlib import Path

import numpy as np
import pytest

from nntc.targets.calibration.statistics import StatisticsCollector
from nntc.targets.calibration.table import (
    CalibrationTable,
    CalibrationTableError,
    TableEntry,
    format_calibration_table,
    parse_calibration_table,
    read_calibration_table,
    table_from_statistics,
    write_calibration_table,
)
from nntc.targets.calibration.thresholds import compute_thresholds

VENDOR = Path(__file__).parent / "data" / "vendor" / "tiny_cnn" / "tiny_cnn_int8.cali_table"
"""TPU-MLIR's table for the vendor's tiny CNN (the repository's copy of /work/shared/vendor)."""


def test_reads_the_vendor_table_and_writes_it_back_byte_for_byte(tmp_path: Path) -> None:
    table = read_calibration_table(VENDOR)
    assert list(table.entries) == [
        "input",
        "/Relu_output_0_Relu",
        "/Relu_1_output_0_Relu",
        "/pool/MaxPool_output_0_MaxPool",
        "/ReduceMean_output_0_ReduceMean",
        "output_Gemm",
    ]
    assert table["input"] == TableEntry(3.8692241, -4.4941173, 4.7319579)
    assert table["output_Gemm"].threshold == 0.3860412
    assert table.version == "v1.30.2-20260831" and table.model == "tiny_cnn.mlir"
    assert table.time == "2026-11-24 03:20:35.502775"
    assert table.methods == ("kl",)
    assert (table.histogram_bins, table.sample_count, table.tune_count) == (2048, 16, 5)
    write_calibration_table(table, tmp_path / "copy.cali_table")
    assert (tmp_path / "copy.cali_table").read_bytes() == VENDOR.read_bytes()


def test_statistics_to_table_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    collector = StatisticsCollector()
    for _ in range(4):
        collector.update(
            {
                "input": rng.standard_normal(1000).astype(np.float32),
                "relu/out": np.maximum(rng.standard_normal(1000), 0).astype(np.float32),
                "zeros": np.zeros(10, np.float32),
            }
        )
    stats = collector.result()
    thresholds = compute_thresholds(stats, "percentile")
    table = table_from_statistics(stats, thresholds, method="percentile", model="m.mlir")
    assert (table.sample_count, table.histogram_bins, table.methods) == (4, 2048, ("percentile",))
    path = tmp_path / "m.cali_table"
    write_calibration_table(table, path)
    back = read_calibration_table(path)
    assert list(back.entries) == ["input", "relu/out", "zeros"]
    for name, entry in table.entries.items():
        got = back[name]
        assert got.threshold == pytest.approx(entry.threshold, abs=5e-8)
        assert got.min == pytest.approx(entry.min, abs=5e-8)
        assert got.max == pytest.approx(entry.max, abs=5e-8)
    assert back["zeros"].threshold == 1e-5
    assert (back.model, back.time, back.sample_count) == (table.model, table.time, 4)
    assert format_calibration_table(back) == path.read_text()
    text = path.read_text().splitlines()
    assert text[-4] == "# op_name    threshold    min    max"
    assert text[-3].startswith("input ") and len(text[-3].split(" ")) == 4


def test_optional_sections_are_kept() -> None:
    text = (
        "# op_name    threshold    min    max\n"
        "a 1.0000000 -1.0000000 1.0000000\n"
        "\n"
        "#int4_th\n"
        "a 0.5000000 -1.0000000 1.0000000\n"
        "#weight_scale\n"
        "conv_weight 2 0.1 0.2 2 0 0\n"
        "#asym_op\n"
        "a\n"
    )
    table = parse_calibration_table(text)
    assert table["a"].threshold == 1.0
    assert table.int4_entries["a"].threshold == 0.5
    assert table.sections == {"#weight_scale": ["conv_weight 2 0.1 0.2 2 0 0"], "#asym_op": ["a"]}
    again = parse_calibration_table(format_calibration_table(table))
    assert again == table


def test_minimal_table_and_thresholds() -> None:
    table = CalibrationTable({"x": TableEntry(2.0, -1.0, 2.0)})
    text = format_calibration_table(table)
    assert text == "###\n# op_name    threshold    min    max\nx 2.0000000 -1.0000000 2.0000000\n"
    assert parse_calibration_table(text).thresholds() == {"x": 2.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# c\na 1 2\n", "t.txt:2: expected 'name threshold min max', got 3 field(s)"),
        ("a 1 -1 1\n\nb x -1 1\n", "t.txt:3: threshold 'x' is not a number"),
        ("a 1 -1 nan\n", "t.txt:1: max 'nan' is not finite"),
        ("a 1 -1 1\na 2 -1 1\n", "t.txt:2: 'a' appears twice"),
        ("a 1 2 1\n", "t.txt:1: min 2.0 of 'a' is greater than max 1.0"),
        ("a 0 -1 1\n", "t.txt:1: threshold of 'a' must be > 0, got 0.0"),
        ("# quantization threshold calculation method: [1]\n", "t.txt:1: cannot read"),
    ],
)
def test_errors_carry_line_numbers(text: str, message: str) -> None:
    with pytest.raises(CalibrationTableError) as info:
        parse_calibration_table(text, "t.txt")
    assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalibrationTableError, match="cannot read calibration table"):
        read_calibration_table(tmp_path / "none.txt")


def test_thresholds_must_cover_the_statistics() -> None:
    collector = StatisticsCollector()
    collector.update({"a": np.ones(3, np.float32)})
    with pytest.raises(ValueError, match=r"no threshold for tensor\(s\) \['a'\]"):
        table_from_statistics(collector.result(), {}, method="kl")
