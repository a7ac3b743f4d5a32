"""`import-calibration{table=path}`: attach a calibration table's statistics to the ops they describe.

Each line of the table (`name threshold min max`, TPU-MLIR's format, read by
`nntc.targets.calibration.table`) names a tensor by the location of the op that produces it (the
ONNX node name). The pass sets that op's discardable attribute `calib` to
`#quant.calibration<threshold = .., min = .., max = ..>`, which `quantize` reads. Ops without a
line keep no statistics (they stay float unless a later rule of `quantize` handles them); lines
that name no op are not an error (a table may come from another version of the model) and are
reported as warnings. A line of the table's `#bias_correction` section sets the conv's
`bias_correction = array<f64: ...>` (one value per output channel), which `quantize` subtracts
from the bias; a line whose op is not a conv with that many output channels is an error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, NameLoc, TensorType, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nntc.dialects import top
from nntc.dialects.quant import BIAS_CORRECTION_ATTR, CALIBRATION_ATTR, CalibrationAttr
from nntc.targets.calibration.table import (
    CalibrationTable,
    CalibrationTableError,
    read_calibration_table,
)


@dataclass
class CalibrationImport:
    """What `attach_calibration` did: the ops it annotated, and table names that match no op."""

    annotated: list[Operation] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"calibration table entry '{name}' names no op in the module" for name in self.unknown
        ]


def _location_name(op: Operation) -> str | None:
    location = op.location
    return location.desc.data if isinstance(location, NameLoc) else None


def attach_calibration(module: Operation, table: CalibrationTable) -> CalibrationImport:
    """Set `calib` on every op of `module` whose location names a table entry.

    Weights are skipped: they are quantized from their values, not from statistics. An op that
    already has a `calib` gets the table's (the table is the newer information).
    """
    result = CalibrationImport()
    seen: set[str] = set()
    corrected: set[str] = set()
    for op in module.walk():
        name = _location_name(op)
        if name is not None and name in table.bias_corrections:
            _attach_bias_correction(op, name, table.bias_corrections[name])
            corrected.add(name)
        if name is None or name not in table or op.name == "top.weight" or not op.results:
            continue
        entry = table[name]
        op.attributes[CALIBRATION_ATTR] = CalibrationAttr(entry.threshold, entry.min, entry.max)
        result.annotated.append(op)
        seen.add(name)
    result.unknown = [name for name in table.entries if name not in seen]
    result.unknown += [name for name in table.bias_corrections if name not in corrected]
    return result


def _attach_bias_correction(op: Operation, name: str, values: tuple[float, ...]) -> None:
    if not isinstance(op, top.ConvOp):
        raise CalibrationTableError(f"bias correction of '{name}': '{op.name}' is not a conv")
    out = op.results[0].type
    channels = out.get_shape()[1] if isinstance(out, TensorType) else None
    if channels != len(values):
        raise CalibrationTableError(
            f"bias correction of '{name}' has {len(values)} values, the conv has "
            f"{channels} output channels"
        )
    op.attributes[BIAS_CORRECTION_ATTR] = DenseArrayBase.from_list(f64, values)


@dataclass(frozen=True)
class ImportCalibrationPass(ModulePass):
    """Attach `#quant.calibration<...>` from a calibration table to the ops it names."""

    name = "import-calibration"

    table: str = ""
    """Path of the calibration table (TPU-MLIR's text format)."""

    quiet: bool = False
    """Do not print warnings for table entries that name no op."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.table:
            raise PassFailedException(
                "import-calibration needs a table: import-calibration{table=path}"
            )
        try:
            table = read_calibration_table(Path(self.table))
            result = attach_calibration(op, table)
        except CalibrationTableError as err:
            raise PassFailedException(str(err)) from None
        if not self.quiet:
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
