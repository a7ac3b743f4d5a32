"""The cost model (`targets/bm1684x/cost.py`): its formulas against cycle counts worked out by
hand from the documented model (docs/simulator.md) and `chip`'s numbers, and its use before
the simulator package is loaded (the passes import it on their own)."""

from __future__ import annotations

import subprocess
import sys

from nntc.targets.bm1684x.chip import (
    GDMA_LATENCY_CYCLES,
    GDMA_SMALL_TRANSFER_PENALTY_CYCLES,
    TIU_STARTUP_CYCLES,
    ChipTiming,
)
from nntc.targets.bm1684x.cost import cube_cycles, dma_cycles, eu_cycles, lane_rows


def test_lane_rows_count_the_lanes_a_tensor_starts_on() -> None:
    assert lane_rows(64) == 1
    assert lane_rows(65) == 2
    assert lane_rows(64, 1) == 2  # channel 63 wraps onto a second row
    assert lane_rows(1, 63) == 1
    assert lane_rows(0, 5) == 0


def test_cube_cycles_by_element_width() -> None:
    # f32: 1 input channel a step, 16 points a cycle: 3 x 9 taps x ceil(64 / 16)
    assert cube_cycles(1, 1, 3, 9, 64, 32) == TIU_STARTUP_CYCLES + 3 * 9 * 4
    # int8: 64 input channels a step (3 -> 1 step), 4 points a cycle; 2 images, 2 rows
    assert cube_cycles(2, 2, 3, 9, 64, 8) == TIU_STARTUP_CYCLES + 2 * 2 * 1 * 9 * 16
    # f16: 32 channels a step: 33 -> 2 steps; 65 points -> 17 cycles of 4
    assert cube_cycles(1, 1, 33, 1, 65, 16) == TIU_STARTUP_CYCLES + 2 * 17


def test_eu_cycles_by_element_width() -> None:
    # f32: 16 elements a lane per step: ceil(100 / 16) = 7, 9 taps, 2 images x 2 rows
    assert eu_cycles(2, 2, 9, 100, 32) == TIU_STARTUP_CYCLES + 2 * 2 * 9 * 7
    # int8: 64 a step
    assert eu_cycles(1, 1, 1, 100, 8) == TIU_STARTUP_CYCLES + 2


def test_dma_cycles_round_runs_to_bursts_over_the_bandwidth() -> None:
    # one 4-byte run: a whole 64-byte burst (one cycle at 64 B/cycle) and the small penalty
    assert dma_cycles(4) == GDMA_LATENCY_CYCLES + 1 + GDMA_SMALL_TRANSFER_PENALTY_CYCLES
    # 4096 bytes in 100-byte runs: 41 runs of 2 bursts = 5248 bytes, 82 cycles at 64 GB/s
    assert dma_cycles(4096, 100) == GDMA_LATENCY_CYCLES + 82
    assert dma_cycles(4096, 100, ChipTiming(32.0)) == GDMA_LATENCY_CYCLES + 164
    assert dma_cycles(0) == GDMA_LATENCY_CYCLES


def test_command_costs_before_the_simulator_is_loaded() -> None:
    """A fresh interpreter importing the cost model first (as a pass does) times a GDMA and a
    TIU command; the simulator package imports the cost model, so this breaks on an import
    cycle."""
    code = """
from nntc.targets.bm1684x.cost import gdma_cycles, tiu_cycles
from nntc.targets.bm1684x.chip import ChipTiming
from nntc.targets.bm1684x.codec import make_command

dma = {"src_data_format": 2, "src_nsize": 1, "src_csize": 1, "src_hsize": 1, "src_wsize": 1,
       "src_wstride": 1, "src_hstride": 1}
sys_cmd = make_command("SYSID", {"tsk_eu_typ": 31})
print(gdma_cycles(make_command("DMA_tensor", dma), ChipTiming()), tiu_cycles(sys_cmd))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert out.returncode == 0, out.stderr
    expected = GDMA_LATENCY_CYCLES + 1 + GDMA_SMALL_TRANSFER_PENALTY_CYCLES
    assert out.stdout.split() == [str(expected), "1"]
