"""Local memory (LMEM) of one layer: tensors, their layouts, and a bump allocator.

A local tensor here always starts on lane 0: channel `c` lives on lane `c % NPU_NUM` in channel
row `c // NPU_NUM`, at the same per-lane offset on every lane (isa.md §7.3). Two layouts:
- EU-aligned (activations, matrices): each channel's `h * w` elements rounded up to the EU
  width, so element (n, c, h, w) is at `off + E (n ns + row cs + h w_size + w)` with
  `cs = align_up(h * w, EU_NUM)` and `ns = rows * cs`, for elements of E bytes (4 and 16 per EU
  step for f32, 2 and 32 for f16 / bf16: `chip.eu_num`);
- compact (conv filters, depthwise kernels, biases): `cs = h * w`.

A tensor's element type (`dtype`, FP32 by default) sets E and the EU width; the FP32 code
generator uses the default throughout, F16/BF16 layers of INT8 nets pass their precision.

Sizes are per lane: what one lane must hold, which is what has to fit in
`LMEM_BYTES_PER_LANE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nntc.dialects.bm1684x import Precision
from nntc.dialects.tpu import align_up
from nntc.targets.bm1684x import chip

F32_BYTES = 4
EU_F32 = chip.eu_num(32)
"""f32 elements per EU step (16): the channel stride alignment of EU-aligned tensors."""
FLOAT_BYTES = {Precision.FP32: 4, Precision.FP16: 2, Precision.BF16: 2}
"""Bytes per element of the float types local tensors hold."""


def elem_bytes(dtype: Precision) -> int:
    """Bytes per element of a float `dtype` (FP32, FP16, BF16)."""
    return FLOAT_BYTES[dtype]


def eu_of(dtype: Precision) -> int:
    """Elements of `dtype` per EU step: the channel stride alignment of EU-aligned tensors."""
    return chip.eu_num(8 * elem_bytes(dtype))


NPU = chip.NPU_NUM
LANE_BYTES = chip.LMEM_BYTES_PER_LANE

Shape4 = tuple[int, int, int, int]


def rows(c: int) -> int:
    """Channel rows a tensor of `c` channels starting on lane 0 occupies."""
    return -(-c // NPU)


@dataclass(frozen=True)
class LTensor:
    """A float local tensor of shape (n, c, h, w) at per-lane byte offset `off`, on lane 0."""

    off: int
    shape: Shape4
    compact: bool = False
    dtype: Precision = Precision.FP32

    @property
    def cs(self) -> int:
        """Channel-row stride in elements."""
        _, _, h, w = self.shape
        return h * w if self.compact else align_up(h * w, eu_of(self.dtype))

    @property
    def strides(self) -> Shape4:
        """(n, c, h, w) element strides as GDMA local sides and TIU fields use them."""
        n, c, h, w = self.shape
        return (rows(c) * self.cs, self.cs, w, 1)

    @property
    def bytes(self) -> int:
        """Bytes per lane."""
        return size_per_lane(self.shape, self.compact, self.dtype)

    @property
    def range(self) -> tuple[int, int]:
        """Per-lane byte range, for the program's dependency tracking."""
        return (self.off, self.off + self.bytes)

    def addr(self, channel: int = 0) -> int:
        """TIU local address (lane * LANE_BYTES + offset) of `channel`'s first element."""
        row = (channel // NPU) * self.cs * elem_bytes(self.dtype)
        return (channel % NPU) * LANE_BYTES + self.off + row

    def gdma_addr(self, channel: int = 0) -> int:
        """The same address as the GDMA sees it (local memory mapped at LMEM_BASE)."""
        return chip.LMEM_BASE + self.addr(channel)

    def view(self, shape: Shape4) -> LTensor:
        """The same bytes seen with another (smaller or equal) shape."""
        return LTensor(self.off, shape, self.compact, self.dtype)


def size_per_lane(shape: Shape4, compact: bool = False, dtype: Precision = Precision.FP32) -> int:
    n, c, h, w = shape
    cs = h * w if compact else align_up(h * w, eu_of(dtype))
    return n * rows(c) * cs * elem_bytes(dtype)


class LmemOverflow(Exception):
    """A layer's buffers do not fit its share of local memory."""


class Arena:
    """Bump allocation of per-lane byte ranges inside `[base, base + size)`."""

    ALIGN = chip.EU_BYTES

    def __init__(self, base: int, size: int) -> None:
        self.base = base
        self.size = size
        self.top = base

    def alloc(
        self, shape: Shape4, compact: bool = False, dtype: Precision = Precision.FP32
    ) -> LTensor:
        need = size_per_lane(shape, compact, dtype)
        off = align_up(self.top, self.ALIGN)
        if off + need > self.base + self.size:
            raise LmemOverflow(
                f"{need} bytes per lane at offset {off:#x} overflow the arena "
                f"[{self.base:#x}, {self.base + self.size:#x})"
            )
        self.top = off + need
        return LTensor(off, shape, compact, dtype)


def banks(off: int, nbytes: int) -> frozenset[int]:
    """The LMEM banks (`chip.LMEM_BANK_BYTES` each) the per-lane bytes [off, off + nbytes)
    touch."""
    if nbytes <= 0:
        return frozenset()
    first, last = off // chip.LMEM_BANK_BYTES, (off + nbytes - 1) // chip.LMEM_BANK_BYTES
    return frozenset(range(first, last + 1))


class LiveArena(Arena):
    """An arena whose buffers have lifetimes: steps [first, last] of a layer group.

    A buffer may take the bytes of buffers whose lifetimes do not meet its own (first fit,
    lowest offset). Bank-aware: given the banks its operands occupy, a result is placed where
    it touches none of them when some free place allows it, else at the first free place. A
    TIU command reading one bank while writing another need not share the bank's port between
    its operand fetch and its result write-back, which is why the choice is made at all."""

    def __init__(self, base: int, size: int) -> None:
        super().__init__(base, size)
        self.placed: list[tuple[int, int, int, int]] = []
        """(start, end, first step, last step) of every buffer."""

    def alloc(
        self, shape: Shape4, compact: bool = False, dtype: Precision = Precision.FP32
    ) -> LTensor:
        """A buffer live for the whole group."""
        return self.alloc_live(shape, compact, 0, 1 << 30, dtype=dtype)

    def alloc_live(
        self,
        shape: Shape4,
        compact: bool,
        first: int,
        last: int,
        avoid: frozenset[int] = frozenset(),
        dtype: Precision = Precision.FP32,
    ) -> LTensor:
        need = size_per_lane(shape, compact, dtype)
        busy = sorted((s, e) for s, e, f, la in self.placed if not (la < first or last < f))
        end = self.base + self.size
        starts = {align_up(self.base, self.ALIGN)} | {align_up(e, self.ALIGN) for _, e in busy}
        if avoid:
            starts |= {b * chip.LMEM_BANK_BYTES for b in range(chip.LMEM_BANKS)}
        free = [
            off
            for off in sorted(starts)
            if self.base <= off
            and off + need <= end
            and not any(off < e and s < off + need for s, e in busy)
        ]
        if not free:
            raise LmemOverflow(
                f"{need} bytes per lane do not fit beside the live buffers of the arena "
                f"[{self.base:#x}, {end:#x})"
            )
        clear = [off for off in free if not banks(off, need) & avoid]
        off = clear[0] if clear else free[0]
        self.placed.append((off, off + need, first, last))
        self.top = max(self.top, off + need)
        return LTensor(off, shape, compact, dtype)
