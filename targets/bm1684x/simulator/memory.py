"""The memories of the simulated BM1684X and strided access to them.

- Local memory (LMEM): a `(NPU_NUM, LMEM_BYTES_PER_LANE)` byte array. A local operand at byte
  offset `A` starts on lane `s = A // LANE` at in-lane offset `b = A % LANE`; channel `c` lives on
  lane `(s + c) % 64` in channel row `(s + c) // 64`, and element (n, c, h, w) is at byte
  `b + itemsize * (n*ns + row*cs + h*hs + w*ws)` of that lane (isa.md §7.3).
- Static memory, L2 SRAM and global memory (DDR): flat byte arrays; element (n, c, h, w) is at
  `offset + itemsize * (n*ns + c*cs + h*hs + w*ws)`. Global memory covers only the window the
  bmodel uses (weights, activations, inputs and outputs), from `gmem_base`.

Every access computes the byte address of each element with numpy broadcasting and gathers or
scatters in one indexing operation, after checking that the whole footprint is inside its memory:
an operand that does not fit raises `SimulationError`, it never wraps or clips.

Element types: `Prec` names a TIU precision code with its signedness (isa.md §5); the simulator
stores values in memory as their raw bits and computes on float32 (FP32/FP16/BF16) or int64
(integers), converting with the hardware's round-to-nearest-even for FP16/BF16 results.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from nntc.targets.bm1684x.chip import (
    GMEM_BASE,
    L2_SRAM_BASE,
    L2_SRAM_BYTES,
    LMEM_BASE,
    LMEM_BYTES,
    LMEM_BYTES_PER_LANE,
    NPU_NUM,
    STATIC_EXP_TAYLOR_OFFSET,
    STATIC_MEM_BASE,
    STATIC_MEM_BYTES,
)
from nntc.targets.bm1684x.codec import DType

__all__ = [
    "EXP_TAYLOR_OFFSET",
    "Memory",
    "Prec",
    "SimulationError",
    "Space",
    "bf16_bits",
    "default_static_image",
    "exp_taylor_coefficients",
    "from_compute",
    "immediate",
    "prec",
    "raw_dtype",
    "round_to_half",
    "to_compute",
]


class SimulationError(Exception):
    """A command that cannot be executed; the engine adds which command it was."""


class Space(enum.Enum):
    """The address regions of isa.md §7.2."""

    LMEM = "local memory"
    STATIC = "static memory"
    L2 = "L2 SRAM"
    GMEM = "global memory"


@dataclass(frozen=True)
class Prec:
    """An element type: a TIU precision / GDMA format code and, for integers, its signedness."""

    code: DType
    signed: bool = True

    @property
    def is_float(self) -> bool:
        return self.code in (DType.FP32, DType.FP16, DType.BF16)

    @property
    def bits(self) -> int:
        return _BITS[self.code]

    @property
    def itemsize(self) -> int:
        return max(self.bits // 8, 1)

    @property
    def storage(self) -> np.dtype:
        """The numpy type of the raw element (BF16 is kept as its uint16 bit pattern)."""
        if self.code is DType.FP32:
            return np.dtype(np.float32)
        if self.code is DType.FP16:
            return np.dtype(np.float16)
        if self.code is DType.BF16:
            return np.dtype(np.uint16)
        if self.code is DType.INT4 or self.code is DType.FP8:
            raise SimulationError(f"element type {self.code.name} is not supported")
        base = {1: "i1", 2: "i2", 4: "i4"}[self.itemsize]
        return np.dtype(base if self.signed else "u" + base[1:])

    @property
    def name(self) -> str:
        if self.is_float:
            return self.code.name.lower()
        return ("si" if self.signed else "ui") + str(self.bits)

    @property
    def int_range(self) -> tuple[int, int]:
        """Smallest and largest value of an integer type (for saturation)."""
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1


_BITS = {
    DType.INT8: 8,
    DType.FP16: 16,
    DType.FP32: 32,
    DType.INT16: 16,
    DType.INT32: 32,
    DType.BF16: 16,
    DType.INT4: 4,
    DType.FP8: 8,
}


def prec(code: int, signed: int | bool = 1) -> Prec:
    """The `Prec` of a precision field and its sign bit (float codes ignore the sign)."""
    try:
        dt = DType(code)
    except ValueError:
        raise SimulationError(f"unknown precision code {code}") from None
    return Prec(dt, bool(signed) or dt in (DType.FP32, DType.FP16, DType.BF16))


def raw_dtype(itemsize: int) -> np.dtype:
    """The unsigned numpy type that moves `itemsize`-byte elements bit for bit (GDMA copies)."""
    try:
        return np.dtype({1: np.uint8, 2: np.uint16, 4: np.uint32}[itemsize])
    except KeyError:
        raise SimulationError(f"element size {itemsize} bytes is not supported") from None


def to_compute(raw: np.ndarray, p: Prec) -> np.ndarray:
    """Raw stored elements -> float32 (float types) or int64 (integers)."""
    if p.code is DType.BF16:
        return (raw.astype(np.uint32) << 16).view(np.float32)
    if p.is_float:
        return raw.astype(np.float32)
    return raw.astype(np.int64)


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> BF16 bit patterns, rounding to nearest even (NaN stays a quiet NaN)."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))
    out = (rounded >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    if nan.any():
        out[nan] = ((bits[nan] >> 16) | np.uint32(0x40)).astype(np.uint16)
    return out


def _bf16_neighbours(x: np.ndarray, rne: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The BF16 bit patterns just below and above |x| in magnitude, given its RNE rounding."""
    back = np.abs(to_compute(rne, Prec(DType.BF16))) > np.abs(x)
    toward_zero = np.where(back, rne - np.uint16(1), rne).astype(np.uint16)
    return toward_zero, (toward_zero + np.uint16(1)).astype(np.uint16)


def _f16_neighbours(x: np.ndarray, rne: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = rne.view(np.uint16)
    back = np.abs(rne.astype(np.float32)) > np.abs(x)
    toward_zero = np.where(back, bits - np.uint16(1), bits).astype(np.uint16)
    return toward_zero.view(np.float16), (toward_zero + np.uint16(1)).view(np.float16)


def round_to_half(values: np.ndarray, p: Prec, mode: int = 0) -> np.ndarray:
    """float32 -> FP16/BF16 raw elements with a TPU rounding mode (TPU-MLIR's RoundingMode:
    0 half to even, 1 half away from zero, 2 towards zero, 3 down, 4 up, 5 half up, 6 half down).

    The two representable neighbours of |x| are compared exactly in float64; values the target
    represents exactly, infinities and NaN keep their round-to-nearest-even encoding.
    """
    x = np.asarray(values, dtype=np.float32)
    rne = bf16_bits(x) if p.code is DType.BF16 else x.astype(np.float16)
    if mode == 0:
        return rne
    back = to_compute(rne, p) if p.code is DType.BF16 else rne.astype(np.float32)
    inexact = (back != x) & np.isfinite(x) & np.isfinite(back)
    if not inexact.any():
        return rne
    neighbours = _bf16_neighbours if p.code is DType.BF16 else _f16_neighbours
    lo, hi = neighbours(x, rne)
    ax = np.abs(x.astype(np.float64))
    d_lo = ax - np.abs(to_compute(lo, p).astype(np.float64))
    d_hi = np.abs(to_compute(hi, p).astype(np.float64)) - ax
    positive = x > 0
    tie = d_lo == d_hi
    if mode == 1:  # half away from zero
        away = d_hi <= d_lo
    elif mode == 2:  # towards zero
        away = np.zeros(x.shape, dtype=bool)
    elif mode == 3:  # down: away from zero only for negative values
        away = ~positive
    elif mode == 4:  # up
        away = positive
    elif mode == 5:  # half up: ties go towards +inf
        away = (d_hi < d_lo) | (tie & positive)
    elif mode == 6:  # half down: ties go towards -inf
        away = (d_hi < d_lo) | (tie & ~positive)
    else:
        raise SimulationError(f"round mode {mode} is not one of 0..6")
    return np.where(inexact, np.where(away, hi, lo), rne)


def from_compute(values: np.ndarray, p: Prec, mode: int = 0) -> np.ndarray:
    """float32 / int64 results -> raw stored elements of type `p`.

    Floats round with TPU rounding mode `mode` (default to nearest even; an FP32 result is
    the float32 value as computed); integers must already be in range (the caller saturates or
    wraps as its command does) and are wrapped to the width here.
    """
    if p.code in (DType.BF16, DType.FP16):
        return round_to_half(np.asarray(values, dtype=np.float32), p, mode)
    if p.is_float:
        return np.asarray(values).astype(p.storage)
    return np.asarray(values).astype(np.int64).astype(p.storage)


def immediate(bits: int, p: Prec) -> np.ndarray:
    """The value of an immediate operand: its 32-bit field reinterpreted as `p` (isa.md §5).

    The low-order bytes hold the value, for BF16 too: the vendor's bf16 streams carry 1.0 as
    0x3F80 and the max-pool pad -3.39e38 as 0xFF7F (this settles isa.md §11.11).
    """
    word = np.array([bits & 0xFFFF_FFFF], dtype=np.uint32)
    raw = word.view(np.uint8)[: p.itemsize].copy().view(p.storage)
    return to_compute(raw, p).reshape(())


SEQ_TABLE_OFFSET = 0x5C0
"""Byte offset in static memory of the "seq" table (isa.md §7.2): int32 0, 1, ..., 63."""
SEQ_TABLE_ENTRIES = 64


EXP_TAYLOR_OFFSET = STATIC_EXP_TAYLOR_OFFSET
"""Byte offset in static memory of the exp Taylor coefficients (isa.md §7.2)."""
EXP_TAYLOR_ENTRIES = 32


def exp_taylor_coefficients() -> np.ndarray:
    """1 / k! for k = 0..31 as f32: the Taylor series of exp around 0, lowest order first."""
    return np.array([1.0 / math.factorial(k) for k in range(EXP_TAYLOR_ENTRIES)], dtype="<f4")


def default_static_image() -> bytes:
    """The static memory the vendor runtime provides, as far as the vendor streams reveal it.

    Only the "seq" table is known: the f16/bf16/int8 streams `tsbc.s_distribute` 9 or 3 words
    from static +0x5C0 to number the lanes of a one-hot depthwise kernel, and the vendor
    outputs are reproduced exactly when those words are 0, 1, 2, ... (see docs/simulator.md).
    The exp Taylor table at +0x400 holds 1 / k! (what its name says; no vendor stream reads
    it, nntc's exp does). The other tables (exp, log, erf, sin, ...) stay zero.
    """
    image = np.zeros(STATIC_MEM_BYTES, dtype=np.uint8)
    seq = np.arange(SEQ_TABLE_ENTRIES, dtype="<i4").view(np.uint8)
    image[SEQ_TABLE_OFFSET : SEQ_TABLE_OFFSET + seq.size] = seq
    taylor = exp_taylor_coefficients().view(np.uint8)
    image[EXP_TAYLOR_OFFSET : EXP_TAYLOR_OFFSET + taylor.size] = taylor
    return image.tobytes()


def _element_offsets(
    shape: tuple[int, int, int, int], strides: tuple[int, int, int, int]
) -> np.ndarray:
    """Element offsets n*ns + c*cs + h*hs + w*ws as an (n, c, h, w) int64 array."""
    axes = [
        np.arange(size, dtype=np.int64) * stride
        for size, stride in zip(shape, strides, strict=True)
    ]
    return (
        axes[0][:, None, None, None]
        + axes[1][None, :, None, None]
        + axes[2][None, None, :, None]
        + axes[3][None, None, None, :]
    )


class Memory:
    """Local, static, L2 and global memory of one simulated chip."""

    def __init__(self, gmem_base: int = GMEM_BASE, gmem_bytes: int = 0) -> None:
        self.lmem = np.zeros((NPU_NUM, LMEM_BYTES_PER_LANE), dtype=np.uint8)
        self.static = np.zeros(STATIC_MEM_BYTES, dtype=np.uint8)
        self.l2 = np.zeros(L2_SRAM_BYTES, dtype=np.uint8)
        self.gmem_base = gmem_base
        self.gmem = np.zeros(gmem_bytes, dtype=np.uint8)

    # --- addresses -------------------------------------------------------------------------
    def classify(self, addr: int) -> tuple[Space, int]:
        """The region of a 40-bit device address and the byte offset inside it.

        Addresses below 16 MiB are local offsets, as TIU address fields hold them (isa.md §7.2).
        """
        if 0 <= addr < LMEM_BYTES:
            return Space.LMEM, addr
        if LMEM_BASE <= addr < LMEM_BASE + LMEM_BYTES:
            return Space.LMEM, addr - LMEM_BASE
        if STATIC_MEM_BASE <= addr < STATIC_MEM_BASE + STATIC_MEM_BYTES:
            return Space.STATIC, addr - STATIC_MEM_BASE
        if L2_SRAM_BASE <= addr < L2_SRAM_BASE + L2_SRAM_BYTES:
            return Space.L2, addr - L2_SRAM_BASE
        if self.gmem_base <= addr < self.gmem_base + len(self.gmem):
            return Space.GMEM, addr - self.gmem_base
        if addr >= GMEM_BASE:
            raise SimulationError(
                f"address {addr:#x} is outside the simulated global memory "
                f"[{self.gmem_base:#x}, {self.gmem_base + len(self.gmem):#x})"
            )
        raise SimulationError(f"address {addr:#x} is in no memory region")

    def _flat(self, space: Space) -> np.ndarray:
        return {Space.STATIC: self.static, Space.L2: self.l2, Space.GMEM: self.gmem}[space]

    # --- strided access --------------------------------------------------------------------
    def _locate(
        self,
        addr: int,
        itemsize: int,
        shape: tuple[int, int, int, int],
        strides: tuple[int, int, int, int],
    ) -> tuple[Space, np.ndarray | None, np.ndarray]:
        """Region, lane index array (LMEM only) and byte offset array of every element."""
        if min(shape) < 0:
            raise SimulationError(f"negative shape {shape}")
        space, offset = self.classify(addr)
        if space is Space.LMEM:
            start_lane, base = divmod(offset, LMEM_BYTES_PER_LANE)
            chan = np.arange(shape[1], dtype=np.int64) + start_lane
            lanes = (chan % NPU_NUM)[None, :, None, None]
            # the c stride steps over channel rows: channels 0..63 of a row share the offset
            rows = (chan // NPU_NUM)[None, :, None, None]
            nhw = _element_offsets((shape[0], 1, shape[2], shape[3]), (strides[0], 0, *strides[2:]))
            byte = base + itemsize * (nhw + rows * strides[1])
            limit = LMEM_BYTES_PER_LANE
        else:
            lanes = None
            byte = offset + itemsize * _element_offsets(shape, strides)
            limit = len(self._flat(space))
        if byte.size:
            lo, hi = int(byte.min()), int(byte.max()) + itemsize
            if lo < 0 or hi > limit:
                where = "a lane of local memory" if space is Space.LMEM else space.value
                raise SimulationError(
                    f"operand at {addr:#x} with shape {shape} and strides {strides} spans bytes "
                    f"[{lo}, {hi}) outside {where} ({limit} bytes)"
                )
        return space, lanes, byte

    def read(
        self,
        addr: int,
        dtype: np.dtype,
        shape: tuple[int, int, int, int],
        strides: tuple[int, int, int, int],
    ) -> np.ndarray:
        """The (n, c, h, w) elements of type `dtype` at `addr` with element `strides`."""
        dtype = np.dtype(dtype)
        k = dtype.itemsize
        space, lanes, byte = self._locate(addr, k, shape, strides)
        if byte.size == 0:
            return np.zeros(shape, dtype=dtype)
        if space is Space.LMEM:
            assert lanes is not None
            lanes_b = np.broadcast_to(lanes, byte.shape)
            if not (byte % k).any():
                return self.lmem.view(dtype)[lanes_b, byte // k]
            raw = self.lmem[lanes_b[..., None], byte[..., None] + np.arange(k)]
            return raw.view(dtype)[..., 0]
        flat = self._flat(space)
        if not (byte % k).any():
            return flat.view(dtype)[byte // k]
        return flat[byte[..., None] + np.arange(k)].view(dtype)[..., 0]

    def write(
        self,
        addr: int,
        values: np.ndarray,
        strides: tuple[int, int, int, int],
        lane_mask: int | None = None,
    ) -> None:
        """Store the (n, c, h, w) array `values` at `addr` with element `strides`.

        `lane_mask` (bit i = lane i) limits a local write to the enabled lanes (GDMA).
        """
        values = np.ascontiguousarray(values)
        k = values.dtype.itemsize
        shape = values.shape
        space, lanes, byte = self._locate(addr, k, shape, strides)  # type: ignore[arg-type]
        if byte.size == 0:
            return
        if space is Space.LMEM:
            assert lanes is not None
            lanes_b = np.broadcast_to(lanes, byte.shape)
            if lane_mask is not None and lane_mask != (1 << NPU_NUM) - 1:
                enabled = ((lane_mask >> np.arange(NPU_NUM, dtype=np.uint64)) & 1).astype(bool)
                keep = enabled[lanes_b]
                lanes_b, byte, values = lanes_b[keep], byte[keep], values[keep]
            if not (byte % k).any():
                self.lmem.view(values.dtype)[lanes_b, byte // k] = values
            else:
                raw = values.reshape(*values.shape, 1).view(np.uint8)
                self.lmem[lanes_b[..., None], byte[..., None] + np.arange(k)] = raw
            return
        flat = self._flat(space)
        if not (byte % k).any():
            flat.view(values.dtype)[byte // k] = values
        else:
            raw = values.reshape(*values.shape, 1).view(np.uint8)
            flat[byte[..., None] + np.arange(k)] = raw

    def load_bytes(self, addr: int, data: bytes | np.ndarray) -> None:
        """Copy raw bytes into a flat region (weights, inputs) at a device address."""
        buf = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
        space, offset = self.classify(addr)
        if space is Space.LMEM:
            raise SimulationError(f"cannot load raw bytes into local memory at {addr:#x}")
        flat = self._flat(space)
        if offset + buf.size > len(flat):
            raise SimulationError(
                f"{buf.size} bytes at {addr:#x} do not fit in {space.value} "
                f"({len(flat) - offset} bytes left)"
            )
        flat[offset : offset + buf.size] = buf.view(np.uint8).reshape(-1)

    def read_bytes(self, addr: int, size: int) -> np.ndarray:
        """A copy of `size` raw bytes of a flat region at a device address."""
        space, offset = self.classify(addr)
        if space is Space.LMEM:
            raise SimulationError(f"cannot read raw bytes from local memory at {addr:#x}")
        flat = self._flat(space)
        if offset + size > len(flat):
            raise SimulationError(f"{size} bytes at {addr:#x} run past the end of {space.value}")
        return flat[offset : offset + size].copy()
