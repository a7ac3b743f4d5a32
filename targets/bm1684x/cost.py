"""The cost model of the BM1684X: cycles of one TIU or GDMA command.

One formula per kind of work, over the numbers of `chip`; the simulator times every command
with it (`tiu_cycles`, `gdma_cycles` read a command's fields into the formulas), and the passes
that weigh choices by simulated time use the same functions: `layer-group` on the commands it
would emit (`cube_cycles`, `eu_cycles`, `dma_cycles` over its slice shapes), the INT8 lowering
on the commands it has emitted (`tiu_cycles`, `gdma_cycles`).

TIU (one command occupies the whole TIU; all 64 lanes work in parallel on their channels):
- a fixed start-up `TIU_STARTUP_CYCLES`, plus
- the cube (conv, and matmul with output columns as channels and K as input channels):
  n x channel rows ceil(oc / 64) x input-channel steps ceil(ic / cube_num) x kernel taps
  x ceil(output points / CONV_POINTS_PER_CYCLE) -- the cube reduces cube_num input channels for
  that many output points of every lane per cycle (`cube_cycles`);
- the EU (pooling / depthwise, elementwise and everything else): n x channel rows x passes
  x ceil(output points / EU_NUM(dtype)), where the passes are a pooling's taps, the 2 t - 1
  multiplies and adds of a t-term SFU Taylor series (Horner's rule, isa.md SFU), else one
  (`eu_cycles`).
Channel rows count the lanes actually used: a tensor of c channels starting on lane s occupies
ceil((s + c) / 64) rows (`lane_rows`).

GDMA: `GDMA_LATENCY_CYCLES` + the bytes moved, each contiguous run rounded up to whole
`GDMA_BURST_BYTES` bursts, over the DDR bandwidth (`ChipTiming.ddr_bytes_per_cycle`), plus
`GDMA_SMALL_TRANSFER_PENALTY_CYCLES` for a command moving fewer than DMA_PREFERRED_ALIGNMENT
bytes (`dma_cycles`). System commands (sys.end, dma.sys) take `SYSTEM_COMMAND_CYCLES`.
"""

from __future__ import annotations

import math

from nntc.targets.bm1684x.chip import (
    CONV_POINTS_PER_CYCLE_BY_BITS,
    DMA_PREFERRED_ALIGNMENT,
    GDMA_BURST_BYTES,
    GDMA_LATENCY_CYCLES,
    GDMA_SMALL_TRANSFER_PENALTY_CYCLES,
    LMEM_BYTES_PER_LANE,
    NPU_NUM,
    SYSTEM_COMMAND_CYCLES,
    TIU_STARTUP_CYCLES,
    ChipTiming,
    cube_num,
    eu_num,
)
from nntc.targets.bm1684x.codec import Command

__all__ = [
    "cube_cycles",
    "dma_cycles",
    "eu_cycles",
    "gdma_cycles",
    "lane_rows",
    "tiu_cycles",
]

_PREC_BITS = {0: 8, 1: 16, 2: 32, 3: 16, 4: 32, 5: 16, 6: 4, 7: 8}
"""Element width of a TIU precision code (isa.md §5), for the throughputs by width."""
_DEFAULT_TIMING = ChipTiming()


# --- the formulas -----------------------------------------------------------------------------


def lane_rows(channels: int, start_lane: int = 0) -> int:
    """Channel rows that `channels` channels starting on lane `start_lane` occupy."""
    return max(-(-(channels + start_lane) // NPU_NUM), 1) if channels else 0


def cube_cycles(n: int, rows: int, ic: int, taps: int, points: int, bits: int) -> int:
    """A conv (or matmul: n = taps = 1, K as `ic`) over `rows` channel rows, `ic` input
    channels, `taps` kernel taps and `points` output points per channel, `bits`-wide input."""
    steps = -(-ic // cube_num(bits))
    per_point = -(-points // CONV_POINTS_PER_CYCLE_BY_BITS[bits])
    return TIU_STARTUP_CYCLES + n * rows * steps * taps * per_point


def eu_cycles(n: int, rows: int, passes: int, points: int, bits: int) -> int:
    """An EU command (pooling, depthwise, elementwise, SFU): `passes` over `points` output
    points per channel row, `bits` the widest operand."""
    return TIU_STARTUP_CYCLES + n * rows * passes * -(-points // eu_num(bits))


def dma_cycles(
    nbytes: int, run_bytes: int | None = None, timing: ChipTiming = _DEFAULT_TIMING
) -> int:
    """A transfer of `nbytes` in contiguous runs of `run_bytes` (default: one run)."""
    if nbytes <= 0:
        return GDMA_LATENCY_CYCLES
    run = nbytes if run_bytes is None else run_bytes
    moved = -(-nbytes // run) * (-(-run // GDMA_BURST_BYTES) * GDMA_BURST_BYTES)
    cycles = GDMA_LATENCY_CYCLES + math.ceil(moved / timing.ddr_bytes_per_cycle)
    if nbytes < DMA_PREFERRED_ALIGNMENT:
        cycles += GDMA_SMALL_TRANSFER_PENALTY_CYCLES
    return cycles


# --- a command's fields into the formulas -----------------------------------------------------


def _rows(channels: int, addr: int) -> int:
    return lane_rows(channels, (addr // LMEM_BYTES_PER_LANE) % NPU_NUM)


def _bits(f: dict[str, int], *names: str) -> int:
    return max(_PREC_BITS.get(f.get(n, 2), 32) for n in names if n in f) if names else 32


def tiu_cycles(cmd: Command) -> int:
    """Cycles the TIU spends on `cmd`."""
    f = cmd.fields
    op = cmd.op_name
    if op.startswith("sys."):
        return SYSTEM_COMMAND_CYCLES
    g = f.get
    n = g("res0_n", 1) or 1
    if op.startswith("conv."):
        rows = _rows(g("res0_c", 0), g("res0_addr", 0))
        taps = g("opd1_h", 1) * g("opd1_w", 1)
        points = g("res0_h", 0) * g("res0_w", 0)
        return cube_cycles(n, rows, g("opd0_c", 0), taps, points, _bits(f, "opd0_prec"))
    if op.startswith("mm."):
        k = g("opd0_w", 0) * max(g("opd0_c", 1) - 1, 0) + g("opd1_w", 0)
        rows = _rows(g("res0_c", 0), g("res0_addr", 0))
        points = g("opd0_n", 1) * g("res0_w", 0)
        return cube_cycles(1, rows, k, 1, points, _bits(f, "opd0_prec"))
    if op.startswith("mm2."):
        rows = _rows(g("res0_c", 0), g("res0_addr", 0))
        return cube_cycles(1, rows, g("opd1_c", 0), 1, g("res0_w", 0), _bits(f, "opd0_prec"))
    if op.startswith("pord."):
        rows = _rows(g("res0_c", 0), g("res0_addr", 0))
        taps = g("opd1_h", 1) * g("opd1_w", 1)
        points = g("res0_h", 0) * g("res0_w", 0)
        return eu_cycles(n, rows, taps, points, _bits(f, "opd0_prec", "res0_prec"))
    rows = _rows(g("res0_c", 1), g("res0_addr", 0))
    # Horner's rule: a multiply and an add per coefficient after the first (isa.md SFU)
    passes = max(2 * g("opd1_n", 1) - 1, 1) if op.startswith("sfu.taylor") else 1
    points = g("res0_h", 1) * g("res0_w", 1)
    return eu_cycles(n, rows, passes, points, _bits(f, "res0_prec", "opd0_prec", "opd1_prec"))


def gdma_cycles(cmd: Command, timing: ChipTiming) -> int:
    """Cycles the GDMA spends on `cmd` at the DDR bandwidth of `timing`."""
    # the simulator package imports this module: its reading of what a GDMA command moves is
    # imported on use, not when this module loads
    from nntc.targets.bm1684x.simulator.gdma import gdma_transfer

    if cmd.op_name.startswith("dma.sys"):
        return SYSTEM_COMMAND_CYCLES
    t = gdma_transfer(cmd)
    return dma_cycles(t.bytes, t.run_bytes, timing)
