"""Every hardware number of the SOPHGO BM1684X, in one place.

Sources: `shared/bm1684x/hardware.md` and `isa.md` §7 (TPU-MLIR's BM1684X.h and debugger memory
map). Passes, the encoder and the simulator import these names; no other module may carry its own
copy of a hardware number.
"""

from dataclasses import dataclass

CHIP_NAME = "BM1684X"

# --- compute ---------------------------------------------------------------------------------
NPU_NUM = 64
"""Lanes (NPUs). Channel c of a local tensor starting at lane s lives on lane (c + s) % NPU_NUM."""
EU_BYTES = 64
"""Width of the elementwise unit of one lane, in bytes."""
CUBE_NUM_BY_BITS = {4: 128, 8: 64, 16: 32, 32: 1}
"""Input channels a conv/matmul step reduces over, by element width in bits."""
CLOCK_HZ = 1_000_000_000
"""TIU and GDMA clock: one cycle is one nanosecond."""


def eu_num(bits: int) -> int:
    """Elements of `bits` width that one lane's EU processes per step (64 for int8, 16 for f32)."""
    return EU_BYTES * 8 // bits


def cube_num(bits: int) -> int:
    """Input-channel parallelism of the cube for elements of `bits` width."""
    return CUBE_NUM_BY_BITS[bits]


# --- local memory ----------------------------------------------------------------------------
LMEM_BASE = 0x0800_0000
LMEM_BYTES_PER_LANE = 256 * 1024
LMEM_BANKS = 16
LMEM_BANK_BYTES = LMEM_BYTES_PER_LANE // LMEM_BANKS
LMEM_BYTES = LMEM_BYTES_PER_LANE * NPU_NUM

# --- other address regions -------------------------------------------------------------------
STATIC_MEM_BASE = 0x0900_0000
STATIC_MEM_BYTES = 16 * 1024
STATIC_EXP_TAYLOR_OFFSET = 0x400
"""Static memory offset of the exp Taylor coefficient table, 32 f32 words (isa.md §7.2)."""
L2_SRAM_BASE = 0x1000_0000
L2_SRAM_BYTES = 0x1F_B000
GMEM_BASE = 0x1_0000_0000
GMEM_BYTES = 8 * 1024**3
GMEM_ALIGNMENT = 0x1000
"""Global tensors and weights are placed on 4 KiB boundaries."""
DMA_PREFERRED_ALIGNMENT = 512

# --- command queues (isa.md §3.3) ------------------------------------------------------------
CMD_QUEUE_ALIGN_BYTES = 128
"""A TIU or GDMA command stream is zero-padded after its end command to this multiple, counted
from the stream's start (the runtime reads the last command as align_up(end, 128) - offset)."""
CMD_QUEUE_MAX_TAIL_BYTES = 128
"""A decoder stops after an engine's system command only if at most this many bytes, all zero,
are left (the vendor debugger tests `remaining_bits < 1025`)."""

# --- memory system timing --------------------------------------------------------------------
DEFAULT_DDR_BANDWIDTH_GBPS = 64.0
"""No primary source; the commonly quoted LPDDR4X figure. A parameter: see `ChipTiming`."""


@dataclass(frozen=True)
class ChipTiming:
    """The timing parameters a user may change (the DDR bandwidth is not documented)."""

    ddr_bandwidth_gbps: float = DEFAULT_DDR_BANDWIDTH_GBPS

    @property
    def ddr_bytes_per_cycle(self) -> float:
        return self.ddr_bandwidth_gbps * 1e9 / CLOCK_HZ


def lmem_lane(local_addr: int) -> int:
    """Start lane of a local operand at byte offset `local_addr` (0 .. LMEM_BYTES - 1)."""
    return local_addr // LMEM_BYTES_PER_LANE


def lmem_bank(local_addr: int) -> int:
    """Bank (0 .. LMEM_BANKS - 1) of a local byte offset inside its lane."""
    return (local_addr % LMEM_BYTES_PER_LANE) // LMEM_BANK_BYTES


# --- simulator cost model (isa.md has no timings; these are documented modelling choices) -------
TIU_STARTUP_CYCLES = 32
"""Fixed cost of issuing one TIU command (decode, operand fetch set-up); no primary source."""
CONV_POINTS_PER_CYCLE_BY_BITS = {4: 4, 8: 4, 16: 4, 32: 16}
"""Output points one lane's cube produces per cycle, by element width: derived from the vendor's
peak figures (64 lanes x cube_num x points x 2 ops x 1 GHz = 32.8 TOPS int8, 16.4 TFLOPS fp16,
2.05 TFLOPS fp32)."""
GDMA_LATENCY_CYCLES = 256
"""Fixed cost of one GDMA command (descriptor fetch and DDR round trip); no primary source."""
GDMA_BURST_BYTES = 64
"""A contiguous run of a DMA is moved in whole bursts of this many bytes."""
GDMA_SMALL_TRANSFER_PENALTY_CYCLES = 64
"""Extra cycles for a GDMA command moving fewer than DMA_PREFERRED_ALIGNMENT bytes."""
SYSTEM_COMMAND_CYCLES = 1
"""Cycles of a system command (sys.end, dma.sys) on either engine; no primary source."""
