"""The cost model: cycles of one TIU or GDMA command, from its fields and the chip module.

TIU (one command occupies the whole TIU; all 64 lanes work in parallel on their channels):
- a fixed start-up `TIU_STARTUP_CYCLES`, plus
- conv: n x channel rows ceil(oc / 64) x input-channel steps ceil(ic / cube_num) x kernel taps
  x ceil(output points / CONV_POINTS_PER_CYCLE) -- the cube reduces cube_num input channels for
  that many output points of every lane per cycle;
- matmul (mm / mm2): the same with output columns as channels and K as input channels;
- pooling / depthwise: n x channel rows x taps x ceil(output points / EU_NUM(dtype));
- elementwise and everything else: n x channel rows x ceil(h * w / EU_NUM(widest dtype)).
Channel rows count the lanes actually used: a tensor of c channels starting on lane s occupies
ceil((s + c) / 64) rows.

GDMA: `GDMA_LATENCY_CYCLES` + the bytes moved, each contiguous run rounded up to whole
`GDMA_BURST_BYTES` bursts, over the DDR bandwidth (`ChipTiming.ddr_bytes_per_cycle`), plus
`GDMA_SMALL_TRANSFER_PENALTY_CYCLES` for a command moving fewer than DMA_PREFERRED_ALIGNMENT
bytes. System commands (sys.end, dma.sys) take one cycle.
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
    TIU_STARTUP_CYCLES,
    ChipTiming,
    cube_num,
    eu_num,
)
from nntc.targets.bm1684x.codec import Command
from nntc.targets.bm1684x.simulator.gdma import gdma_transfer

__all__ = ["gdma_cycles", "tiu_cycles"]

_PREC_BITS = {0: 8, 1: 16, 2: 32, 3: 16, 4: 32, 5: 16, 6: 4, 7: 8}
SYSTEM_CYCLES = 1


def _rows(channels: int, addr: int) -> int:
    start = (addr // LMEM_BYTES_PER_LANE) % NPU_NUM
    return max(-(-(channels + start) // NPU_NUM), 1) if channels else 0


def _bits(f: dict[str, int], *names: str) -> int:
    return max(_PREC_BITS.get(f.get(n, 2), 32) for n in names if n in f) if names else 32


def tiu_cycles(cmd: Command) -> int:
    """Cycles the TIU spends on `cmd`."""
    f = cmd.fields
    op = cmd.op_name
    if op.startswith("sys."):
        return SYSTEM_CYCLES
    g = f.get
    n = g("res0_n", 1) or 1
    if op.startswith("conv."):
        bits = _bits(f, "opd0_prec")
        work = (
            n
            * _rows(g("res0_c", 0), g("res0_addr", 0))
            * math.ceil(g("opd0_c", 0) / cube_num(bits))
            * g("opd1_h", 1)
            * g("opd1_w", 1)
            * math.ceil(g("res0_h", 0) * g("res0_w", 0) / CONV_POINTS_PER_CYCLE_BY_BITS[bits])
        )
    elif op.startswith("mm."):
        bits = _bits(f, "opd0_prec")
        k = g("opd0_w", 0) * max(g("opd0_c", 1) - 1, 0) + g("opd1_w", 0)
        work = (
            _rows(g("res0_c", 0), g("res0_addr", 0))
            * math.ceil(k / cube_num(bits))
            * math.ceil(g("opd0_n", 1) * g("res0_w", 0) / CONV_POINTS_PER_CYCLE_BY_BITS[bits])
        )
    elif op.startswith("mm2."):
        bits = _bits(f, "opd0_prec")
        work = (
            _rows(g("res0_c", 0), g("res0_addr", 0))
            * math.ceil(g("opd1_c", 0) / cube_num(bits))
            * math.ceil(g("res0_w", 0) / CONV_POINTS_PER_CYCLE_BY_BITS[bits])
        )
    elif op.startswith("pord."):
        bits = _bits(f, "opd0_prec", "res0_prec")
        work = (
            n
            * _rows(g("res0_c", 0), g("res0_addr", 0))
            * g("opd1_h", 1)
            * g("opd1_w", 1)
            * math.ceil(g("res0_h", 0) * g("res0_w", 0) / eu_num(bits))
        )
    else:
        bits = _bits(f, "res0_prec", "opd0_prec", "opd1_prec")
        work = (
            n
            * _rows(g("res0_c", 1), g("res0_addr", 0))
            * math.ceil(g("res0_h", 1) * g("res0_w", 1) / eu_num(bits))
        )
        if op.startswith("sfu.taylor"):
            # Horner's rule: a multiply and an add per coefficient after the first (isa.md SFU)
            work *= max(2 * g("opd1_n", 1) - 1, 1)
    return TIU_STARTUP_CYCLES + work


def gdma_cycles(cmd: Command, timing: ChipTiming) -> int:
    """Cycles the GDMA spends on `cmd` at the DDR bandwidth of `timing`."""
    if cmd.op_name.startswith("dma.sys"):
        return SYSTEM_CYCLES
    t = gdma_transfer(cmd)
    if t.bytes == 0:
        return GDMA_LATENCY_CYCLES
    runs = -(-t.bytes // t.run_bytes)
    moved = runs * (-(-t.run_bytes // GDMA_BURST_BYTES) * GDMA_BURST_BYTES)
    cycles = GDMA_LATENCY_CYCLES + math.ceil(moved / timing.ddr_bytes_per_cycle)
    if t.bytes < DMA_PREFERRED_ALIGNMENT:
        cycles += GDMA_SMALL_TRANSFER_PENALTY_CYCLES
    return cycles
