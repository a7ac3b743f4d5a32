"""The calibration table: TPU-MLIR's text format, written and read.

```
# mlir version: v1.30.2-20260831 cali version 1.0
# mlir: tiny_cnn.mlir
# genetated time: 2026-11-24 03:20:35.502775
# quantization threshold calculation method: ['kl']
# histogram number: 2048
# sample number: 16
###
# tune number: 5
###
# op_name    threshold    min    max
input 3.8692241 -4.4941173 4.7319579
/Relu_output_0_Relu 2.9766660 -0.0000000 2.9766660
```

One line per tensor, `name threshold min max` separated by single spaces, numbers with 7 decimals
(`{:.7f}`). Lines starting with `#` are comments; the header lines above are written in this exact
wording (TPU-MLIR's, including its spelling "genetated", so that tools that grep them keep
working) and read back into `CalibrationTable`'s fields when present. TPU-MLIR appends optional
sections after the main one, each opened by a marker line: `#int4_th` holds more
`name threshold min max` lines (INT4 thresholds, read into `int4_entries`). nntc adds
`#bias_correction`: lines `name c0 c1 ...`, per output channel of the conv named, the mean error
of its INT8 output that `quantize` subtracts from its bias (`bias_corrections`; nntc-cali
measures it, see `search.bias_corrections`); TPU-MLIR keeps a section it does not know as
comments. The other markers
(`#weight_scale`, `#asym_op`, `#int4_op`, `#tpu-mlir-fp8`, ...) are kept verbatim in
`sections` so that a table read and written again keeps them.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nntc.targets.calibration.statistics import TensorStatistics

CALI_VERSION = "1.0"
INT4_SECTION = "#int4_th"
BIAS_SECTION = "#bias_correction"
SECTION_MARKERS: tuple[str, ...] = (
    "#int4_th",
    "#bias_correction",
    "#weight_scale_fp8",
    "#weight_scale",
    "#asym_op",
    "#int4_op",
    "#tpu-mlir-fp8",
    "#mqbench-fp8",
)
"""Marker lines that open a section after the main one (longest first for prefix matching)."""
COLUMNS_LINE = "# op_name    threshold    min    max"

_HEADER_PATTERNS: dict[str, re.Pattern[str]] = {
    "version": re.compile(r"#\s*mlir version:\s*(.*?)\s+cali version\s+\S+\s*$"),
    "model": re.compile(r"#\s*mlir:\s*(.*?)\s*$"),
    "time": re.compile(r"#\s*genetated time:\s*(.*?)\s*$"),
    "methods": re.compile(r"#\s*quantization threshold calculation method:\s*(.*?)\s*$"),
    "histogram_bins": re.compile(r"#\s*histogram number:\s*(\d+)\s*$"),
    "sample_count": re.compile(r"#\s*sample number:\s*(\d+)\s*$"),
    "tune_count": re.compile(r"#\s*tune number:\s*(\d+)\s*$"),
}


class CalibrationTableError(ValueError):
    """A calibration table line that cannot be read; the message starts with `file:line:`."""


@dataclass(frozen=True)
class TableEntry:
    """One tensor's line: its threshold and the min and max seen during calibration."""

    threshold: float
    min: float
    max: float


@dataclass
class CalibrationTable:
    """A calibration table: entries by tensor name (the op location), in file order."""

    entries: dict[str, TableEntry] = field(default_factory=dict)
    version: str | None = None
    model: str | None = None
    time: str | None = None
    methods: tuple[str, ...] = ()
    histogram_bins: int | None = None
    sample_count: int | None = None
    tune_count: int | None = None
    int4_entries: dict[str, TableEntry] = field(default_factory=dict)
    bias_corrections: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Per conv (by location): per output channel, the value subtracted from its bias."""
    sections: dict[str, list[str]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> TableEntry:
        return self.entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def thresholds(self) -> dict[str, float]:
        return {name: entry.threshold for name, entry in self.entries.items()}


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"nntc-{version('nntc')}"
    except Exception:  # not installed: the table is still valid without a version
        return "nntc"


def creation_time() -> str:
    """Now, as TPU-MLIR's `str(datetime.now())` writes it; with `SOURCE_DATE_EPOCH` set
    (reproducible builds) that instant in UTC instead, as the bmodel writer does."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return str(datetime.datetime.now())
    try:
        instant = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not a valid timestamp") from None
    return str(instant.replace(tzinfo=None))


def table_from_statistics(
    statistics: Mapping[str, TensorStatistics],
    thresholds: Mapping[str, float],
    *,
    method: str,
    model: str | None = None,
    time: str | None = None,
) -> CalibrationTable:
    """A table with one entry per tensor of `statistics`, in their order.

    `time` defaults to now, in TPU-MLIR's `str(datetime.now())` form (`creation_time`).
    """
    missing = [name for name in statistics if name not in thresholds]
    if missing:
        raise ValueError(f"no threshold for tensor(s) {missing}")
    entries = {
        name: TableEntry(float(thresholds[name]), stats.min, stats.max)
        for name, stats in statistics.items()
    }
    first = next(iter(statistics.values()), None)
    return CalibrationTable(
        entries,
        version=_version(),
        model=model,
        time=time if time is not None else creation_time(),
        methods=(method,),
        histogram_bins=None if first is None else first.bins,
        sample_count=None if first is None else first.samples,
    )


# --- writing -------------------------------------------------------------------------------------


def _line(name: str, entry: TableEntry) -> str:
    return f"{name} {entry.threshold:.7f} {entry.min:.7f} {entry.max:.7f}\n"


def format_calibration_table(table: CalibrationTable) -> str:
    """The table's text, in TPU-MLIR's layout."""
    out: list[str] = []
    if table.version is not None:
        out.append(f"# mlir version: {table.version} cali version {CALI_VERSION}\n")
    if table.model is not None:
        out.append(f"# mlir: {table.model}\n")
    if table.time is not None:
        out.append(f"# genetated time: {table.time}\n")
    if table.methods:
        out.append(f"# quantization threshold calculation method: {list(table.methods)!r}\n")
    if table.histogram_bins is not None:
        out.append(f"# histogram number: {table.histogram_bins}\n")
    if table.sample_count is not None:
        out.append(f"# sample number: {table.sample_count}\n")
    out.append("###\n")
    if table.tune_count is not None:
        out.append(f"# tune number: {table.tune_count}\n###\n")
    out.append(COLUMNS_LINE + "\n")
    out.extend(_line(name, entry) for name, entry in table.entries.items())
    if table.int4_entries:
        out.append(INT4_SECTION + "\n")
        out.extend(_line(name, entry) for name, entry in table.int4_entries.items())
    if table.bias_corrections:
        out.append(BIAS_SECTION + "\n")
        for name, values in table.bias_corrections.items():
            out.append(" ".join([name, *(f"{v:.9g}" for v in values)]) + "\n")
    for marker, lines in table.sections.items():
        out.append(marker + "\n")
        out.extend(line + "\n" for line in lines)
    return "".join(out)


def write_calibration_table(table: CalibrationTable, destination: Path | TextIO) -> None:
    text = format_calibration_table(table)
    if isinstance(destination, str | Path):
        Path(destination).write_text(text)
    else:
        destination.write(text)


# --- reading -------------------------------------------------------------------------------------


def _marker(line: str) -> str | None:
    for marker in SECTION_MARKERS:
        if line.startswith(marker):
            return line
    return None


def _number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CalibrationTableError(f"{where}: {what} '{text}' is not a number") from None
    if not math.isfinite(value):
        raise CalibrationTableError(f"{where}: {what} '{text}' is not finite")
    return value


def _entry(fields: list[str], where: str) -> tuple[str, TableEntry]:
    if len(fields) != 4:
        raise CalibrationTableError(
            f"{where}: expected 'name threshold min max', got {len(fields)} field(s)"
        )
    name, *numbers = fields
    threshold, low, high = (
        _number(text, what, where)
        for text, what in zip(numbers, ("threshold", "min", "max"), strict=True)
    )
    if threshold <= 0.0:
        raise CalibrationTableError(f"{where}: threshold of '{name}' must be > 0, got {threshold}")
    if low > high:
        raise CalibrationTableError(f"{where}: min {low} of '{name}' is greater than max {high}")
    return name, TableEntry(threshold, low, high)


def parse_calibration_table(text: str, filename: str = "<table>") -> CalibrationTable:
    """Parse a table's text; errors name `filename` and the 1-based line."""
    table = CalibrationTable()
    section: str | None = None  # None: the main section
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{filename}:{number}"
        line = raw.strip()
        if not line:
            continue
        if (marker := _marker(line)) is not None:
            section = marker
            if section not in (INT4_SECTION, BIAS_SECTION):
                table.sections.setdefault(section, [])
            continue
        if section == BIAS_SECTION:
            name, *values = line.split()
            if not values:
                raise CalibrationTableError(f"{where}: expected 'name c0 c1 ...', got '{line}'")
            if name in table.bias_corrections:
                raise CalibrationTableError(f"{where}: bias correction of '{name}' appears twice")
            table.bias_corrections[name] = tuple(
                _number(v, "bias correction", where) for v in values
            )
            continue
        if section not in (None, INT4_SECTION):
            table.sections[section].append(line)
            continue
        if line.startswith("#"):
            if section is None:
                _read_header(table, line, where)
            continue
        name, entry = _entry(line.split(), where)
        entries = table.entries if section is None else table.int4_entries
        if name in entries:
            raise CalibrationTableError(f"{where}: '{name}' appears twice")
        entries[name] = entry
    return table


def _read_header(table: CalibrationTable, line: str, where: str) -> None:
    for key, pattern in _HEADER_PATTERNS.items():
        match = pattern.match(line)
        if match is None:
            continue
        value = match.group(1)
        if key == "methods":
            table.methods = _methods(value, where)
        elif key in ("histogram_bins", "sample_count", "tune_count"):
            setattr(table, key, int(value))
        else:
            setattr(table, key, value)
        return


def _methods(text: str, where: str) -> tuple[str, ...]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = text
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CalibrationTableError(f"{where}: cannot read the threshold methods '{text}'")


def read_calibration_table(path: Path) -> CalibrationTable:
    """Read a calibration table file (ours or TPU-MLIR's)."""
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise CalibrationTableError(
            f"cannot read calibration table '{path}': {err.strerror}"
        ) from None
    return parse_calibration_table(text, str(path))


__all__ = [
    "CalibrationTable",
    "CalibrationTableError",
    "TableEntry",
    "creation_time",
    "format_calibration_table",
    "parse_calibration_table",
    "read_calibration_table",
    "table_from_statistics",
    "write_calibration_table",
]
