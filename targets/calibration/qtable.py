"""The per-layer precision table ("qtable"): which layers `quantize` keeps out of INT8.

```
# op_name   quantize_mode
/features/conv_1  F16
/head/Softmax     F32   # the output layer in float
```

One line per layer, `name MODE` separated by whitespace, MODE one of `INT8`, `F16`, `BF16`,
`F32` (case-insensitive, as TPU-MLIR's qtable reads them). `#` starts a comment that runs to the
end of the line; blank lines are ignored. A name is an op's location (the ONNX node name), the
same key as in the calibration table. A table entry overrides the precision `quantize` would
choose by default. Errors name the file and the 1-based line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

Precision = Literal["INT8", "F16", "BF16", "F32"]
PRECISIONS: tuple[str, ...] = get_args(Precision)


class PrecisionTableError(ValueError):
    """A precision table that cannot be read; the message starts with `file:line:`."""


@dataclass
class PrecisionTable(Mapping[str, str]):
    """Layer name -> precision (`INT8`, `F16`, `BF16` or `F32`), in file order."""

    entries: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def parse_precision_table(text: str, filename: str = "<qtable>") -> PrecisionTable:
    """Parse a precision table's text; errors name `filename` and the 1-based line."""
    table = PrecisionTable()
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{filename}:{number}"
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            raise PrecisionTableError(
                f"{where}: expected 'name precision', got {len(fields)} field(s)"
            )
        name, mode = fields
        precision = mode.upper()
        if precision not in PRECISIONS:
            raise PrecisionTableError(
                f"{where}: unknown precision '{mode}' for '{name}', expected one of "
                f"{', '.join(PRECISIONS)}"
            )
        if name in lines:
            raise PrecisionTableError(
                f"{where}: '{name}' appears twice (first on line {lines[name]})"
            )
        lines[name] = number
        table.entries[name] = precision
    return table


def read_precision_table(path: Path | str) -> PrecisionTable:
    """Read a precision table file."""
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise PrecisionTableError(f"cannot read precision table '{path}': {err.strerror}") from None
    return parse_precision_table(text, str(path))


def format_precision_table(table: Mapping[str, str]) -> str:
    """The table's text, one `name PRECISION` line per entry after a header comment."""
    lines = ["# op_name quantize_mode\n"]
    lines.extend(f"{name} {precision}\n" for name, precision in table.items())
    return "".join(lines)


def write_precision_table(table: Mapping[str, str], path: Path | str) -> None:
    bad = {name: p for name, p in table.items() if p not in PRECISIONS}
    if bad:
        raise PrecisionTableError(f"unknown precision(s) {bad}, expected one of {PRECISIONS}")
    Path(path).write_text(format_precision_table(table))


__all__ = [
    "PRECISIONS",
    "Precision",
    "PrecisionTable",
    "PrecisionTableError",
    "format_precision_table",
    "parse_precision_table",
    "read_precision_table",
    "write_precision_table",
]
