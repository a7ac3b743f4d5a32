"""Functional semantics of the BM1684X GDMA commands.

A GDMA command copies elements bit for bit (formats are signless, only the width matters):
the source is read in its (n, c, h, w) order with its strides and written in the destination's
(n, c, h, w) order with its strides. A local side uses the lane placement of isa.md §7.3 and the
lane mask (bit i = lane i); global, L2 and static sides are flat. `gdma_transfer` describes the
bytes a command moves without executing it, for the cost model.

What the vendor streams taught (beyond isa.md):
- dma.tensor with `nchw_copy` = 1 leaves the destination sizes 0 and uses the source's.
- dma.matrix moves a plain (H, W) matrix with row stride `*_hstride` on the global side and the
  MM matrix layout on the local side (rows on n, `w` columns per channel, explicit n and c
  strides); the local side's c size is ceil(W / w). In the f32 stream the loads give
  `dst_nsize` = H, `dst_csize`, `dst_wsize` and the store gives `src_nsize/csize/wsize` with
  `dst_hsize` = H, `dst_wsize` = W.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nntc.targets.bm1684x.chip import LMEM_BYTES_PER_LANE, NPU_NUM
from nntc.targets.bm1684x.codec import Command
from nntc.targets.bm1684x.simulator.memory import Memory, SimulationError, Space, raw_dtype

__all__ = ["GDMA_OPS", "Transfer", "execute_gdma", "gdma_transfer"]

_FORMAT_BYTES = {0: 1, 1: 2, 2: 4, 3: 2, 4: 4, 5: 2}
"""Element size of a GDMA `src_data_format` code (isa.md §5)."""

ALL_LANES = (1 << 64) - 1


@dataclass(frozen=True)
class Transfer:
    """What a GDMA command moves: total bytes and the length of its contiguous runs."""

    bytes: int
    run_bytes: int


def _itemsize(f: dict[str, int]) -> int:
    code = f["src_data_format"]
    if code not in _FORMAT_BYTES:
        raise SimulationError(f"src_data_format {code} is not supported")
    return _FORMAT_BYTES[code]


def _addr(f: dict[str, int], side: str, matrix: bool) -> int:
    if matrix:  # DMA_matrix swaps the names, not the bit positions (isa.md §11.5)
        return (f[f"{side}_start_addr_l8"] << 32) | f[f"{side}_start_addr_h32"]
    return (f[f"{side}_start_addr_h8"] << 32) | f[f"{side}_start_addr_l32"]


def _sizes(f: dict[str, int], side: str) -> tuple[int, int, int, int]:
    return tuple(f[f"{side}_{d}size"] for d in "nchw")  # type: ignore[return-value]


def _strides(f: dict[str, int], side: str) -> tuple[int, int, int, int]:
    return tuple(f[f"{side}_{d}stride"] for d in "nchw")  # type: ignore[return-value]


def _lane_mask(f: dict[str, int]) -> int:
    return (f["localmem_mask_h32"] << 32) | f["localmem_mask_l32"]


def _source(mem: Memory, f: dict[str, int], addr: int, shape, strides, k: int) -> np.ndarray:
    dtype = raw_dtype(k)
    if f["fill_constant_en"]:
        word = np.array([f["constant_value"]], dtype=np.uint32).view(np.uint8)[:k]
        return np.broadcast_to(word.copy().view(dtype)[0], shape)
    return mem.read(addr, dtype, shape, strides)


def _tensor_shapes(cmd: Command) -> tuple[tuple[int, ...], tuple[int, ...]]:
    f = cmd.fields
    src = _sizes(f, "src")
    sp = f["cmd_special_function"]
    if sp == 3:  # broadcast: source c = 1 replicated to dst_csize channels
        return src, (src[0], f["dst_csize"], src[2], src[3])
    dst = src if f["nchw_copy"] else _sizes(f, "dst")
    return src, dst


def execute_tensor(cmd: Command, mem: Memory) -> None:
    """dma.tensor (strided copy) and dma.tensor.broadcast."""
    f = cmd.fields
    sp = f["cmd_special_function"]
    if sp not in (0, 3):
        raise SimulationError(f"{cmd.op_name} is not supported")
    k = _itemsize(f)
    src_shape, dst_shape = _tensor_shapes(cmd)
    src_strides, dst_strides = _strides(f, "src"), _strides(f, "dst")
    if sp:  # the w stride is forced to 1 for every special function (isa.md §9)
        src_strides = (*src_strides[:3], 1)
        dst_strides = (*dst_strides[:3], 1)
    data = _source(mem, f, _addr(f, "src", False), src_shape, src_strides, k)
    if sp == 3:
        if src_shape[1] != 1:
            raise SimulationError(f"broadcast needs src_csize 1, got {src_shape[1]}")
        data = np.broadcast_to(data, dst_shape)
    elif int(np.prod(src_shape)) != int(np.prod(dst_shape)):
        raise SimulationError(
            f"source shape {src_shape} and destination shape {dst_shape} hold different "
            "numbers of elements"
        )
    dst = _addr(f, "dst", False)
    mask = None if sp == 3 else _lane_mask(f)
    mem.write(dst, np.reshape(data, dst_shape), dst_strides, lane_mask=mask)


def _matrix_geometry(cmd: Command, mem: Memory):
    """(global addr, H, W, row stride, local addr, w, n stride, c stride, to_local)."""
    f = cmd.fields
    src, dst = _addr(f, "src", True), _addr(f, "dst", True)
    src_local = mem.classify(src)[0] is Space.LMEM
    dst_local = mem.classify(dst)[0] is Space.LMEM
    if src_local == dst_local:
        raise SimulationError(
            f"dma.matrix needs exactly one local side (src {src:#x}, dst {dst:#x})"
        )
    if dst_local:
        rows, cols = f["src_hsize"], f["src_wsize"]
        return (src, rows, cols, f["src_hstride"], dst, f["dst_wsize"], f["dst_nstride"],
                f["dst_cstride"], True)  # fmt: skip
    rows, cols = f["dst_hsize"], f["dst_wsize"]
    return (dst, rows, cols, f["dst_hstride"], src, f["src_wsize"], f["src_nstride"],
            f["src_cstride"], False)  # fmt: skip


def execute_matrix(cmd: Command, mem: Memory) -> None:
    """dma.matrix: a global (H, W) matrix to or from the local matrix layout."""
    f = cmd.fields
    if f["cmd_special_function"] != 0:
        raise SimulationError(f"{cmd.op_name} is not supported")
    k = _itemsize(f)
    dtype = raw_dtype(k)
    gaddr, rows, cols, row_stride, laddr, w, ns, cs, to_local = _matrix_geometry(cmd, mem)
    if w == 0:
        raise SimulationError("dma.matrix with a local w size of 0")
    chans = -(-cols // w)
    if to_local:
        data = _source(mem, f, gaddr, (1, 1, rows, cols), (0, 0, row_stride, 1), k)
        padded = np.zeros((rows, chans * w), dtype=dtype)
        padded[:, :cols] = data[0, 0]
        block = padded.reshape(rows, chans, 1, w)
        if cols % w:  # the last channel holds only cols % w columns: write it separately
            full = cols // w
            if full:
                mem.write(laddr, block[:, :full], (ns, cs, 0, 1), _lane_mask(f))
            lane, base = divmod(mem.classify(laddr)[1], LMEM_BYTES_PER_LANE)
            row, lane = divmod(lane + full, NPU_NUM)
            last = lane * LMEM_BYTES_PER_LANE + base + row * cs * k
            mem.write(last, block[:, full:, :, : cols % w], (ns, cs, 0, 1), _lane_mask(f))
        else:
            mem.write(laddr, block, (ns, cs, 0, 1), _lane_mask(f))
    else:
        block = mem.read(laddr, dtype, (rows, chans, 1, w), (ns, cs, 0, 1))
        mem.write(gaddr, block.reshape(1, 1, rows, chans * w)[..., :cols], (0, 0, row_stride, 1))


def execute_sys(cmd: Command, mem: Memory) -> None:
    """dma.sys / dma.sys.nop: no data effect."""


GDMA_OPS: dict[str, Callable[[Command, Memory], None]] = {
    "dma.tensor": execute_tensor,
    "dma.tensor.broadcast": execute_tensor,
    "dma.matrix": execute_matrix,
    "dma.sys": execute_sys,
    "dma.sys.nop": execute_sys,
}


def execute_gdma(cmd: Command, mem: Memory) -> None:
    """Run one GDMA command; an op the simulator does not implement raises SimulationError."""
    fn = GDMA_OPS.get(cmd.op_name)
    if fn is None:
        raise SimulationError(f"the simulator does not implement {cmd.op_name}")
    fn(cmd, mem)


def gdma_transfer(cmd: Command) -> Transfer:
    """Bytes moved and contiguous run length of a GDMA command, from its fields alone."""
    f = cmd.fields
    op = cmd.op_name
    if op.startswith("dma.sys"):
        return Transfer(0, 0)
    k = _FORMAT_BYTES.get(f.get("src_data_format", 2), 4)
    if op.startswith("dma.matrix"):
        local_dst = ((f["dst_start_addr_l8"] << 32) | f["dst_start_addr_h32"]) < (1 << 32)
        side = "src" if local_dst else "dst"
        rows, cols = f[f"{side}_hsize"], f[f"{side}_wsize"]
        contiguous = cols if f[f"{side}_hstride"] != cols or rows == 1 else rows * cols
        return Transfer(rows * cols * k, max(contiguous, 1) * k if rows * cols else 0)
    if "src_nsize" not in f:
        return Transfer(0, 0)
    n, c, h, w = (f[f"src_{d}size"] for d in "nchw")
    if op == "dma.tensor.broadcast":
        c = f["dst_csize"]
    total = n * c * h * w
    run = w if f.get("src_wstride", 1) <= 1 else 1
    if run == w and f.get("src_hstride") == w:
        run = h * w
    return Transfer(total * k, max(run, 1) * k if total else 0)
