"""Code generation for the tpu data movements of any rank: permute, slice and expand.

Each is DDR -> DDR GDMA tensor copies (the `ConcatPlan` of `layers.py`, no local memory):
the result, walked in row-major order, reads the input through strides. A transpose reads
with the permuted input strides, a slice with the input strides times the steps from the
element at the offsets, an expand with stride 0 on the repeated dims. Dims whose strides
chain in both tensors are merged first (so a rank-6 view often is a rank-2 copy); a view still
above 4 dims is one copy per index of its leading dims.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from nntc.dialects import tpu
from nntc.passes.lowering.layers import MAX_DIM, CannotLower, ConcatPlan
from nntc.passes.lowering.lmem import F32_BYTES, Shape4

MAX_COPIES = 4096
"""A view that needs more DMA commands than this is refused (the command buffer would
dwarf the work)."""

MOVE_OPS = (tpu.PermuteOp, tpu.SliceOp, tpu.ExpandOp)
"""The tpu ops `plan_move` generates code for."""

Dims = list[tuple[int, int, int]]
"""(size, source stride, destination stride) per dim, in elements, outermost first."""


def _dense(shape: Sequence[int]) -> list[int]:
    strides, acc = [], 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= size
    return strides[::-1]


def _merge(dims: Dims) -> Dims:
    """Drop dims of size 1 and merge a dim into the one before it where both strides chain."""
    out: Dims = []
    for size, src, dst in dims:
        if size == 1:
            continue
        if out:
            psize, psrc, pdst = out[-1]
            if psrc == src * size and pdst == dst * size:
                out[-1] = (psize * size, src, dst)
                continue
        out.append((size, src, dst))
    return out or [(1, 1, 1)]


def _split_wide(dims: Dims, name: str) -> Dims:
    """A dim above the 16-bit DMA fields becomes two (outer, inner) when it has a divisor."""
    out: Dims = []
    for size, src, dst in dims:
        if size <= MAX_DIM:
            out.append((size, src, dst))
            continue
        inner = next(
            (f for f in range(MAX_DIM, 1, -1) if size % f == 0 and size // f <= MAX_DIM), None
        )
        if inner is None:
            raise CannotLower(f"{name}: a dimension of {size} exceeds the 16-bit DMA fields")
        out += [(size // inner, src * inner, dst * inner), (inner, src, dst)]
    return out


def _copies(
    name: str, dims: Dims, src: int, dst: int
) -> list[tuple[Shape4, int, Shape4, int, Shape4]]:
    dims = _split_wide(_merge(dims), name)
    lead, rest = dims[:-4], [(1, 0, 0)] * (4 - len(dims)) + dims[-4:]
    count = math.prod(size for size, _, _ in lead)
    if count > MAX_COPIES:
        raise CannotLower(f"{name}: the view needs {count} DMA copies (at most {MAX_COPIES})")
    shape: Shape4 = tuple(size for size, _, _ in rest)  # type: ignore[assignment]
    sst: Shape4 = tuple(s for _, s, _ in rest)  # type: ignore[assignment]
    dstr: Shape4 = tuple(d for _, _, d in rest)  # type: ignore[assignment]
    copies = []
    for index in range(count):
        s_off = d_off = 0
        for size, s, d in reversed(lead):
            index, i = divmod(index, size)
            s_off, d_off = s_off + i * s, d_off + i * d
        copies.append((shape, src + s_off * F32_BYTES, sst, dst + d_off * F32_BYTES, dstr))
    return copies


def _shape(value: SSAValue) -> list[int]:
    ty = value.type
    assert isinstance(ty, TensorType)
    return list(ty.get_shape())


def plan_move(op: Operation, name: str, addr: Callable[[SSAValue], int]) -> ConcatPlan:
    """One of `MOVE_OPS`: strided DDR -> DDR copies over the result's index space."""
    assert isinstance(op, MOVE_OPS)
    shape, out = _shape(op.input), _shape(op.output)
    in_strides = _dense(shape)
    src = addr(op.input)
    if isinstance(op, tpu.PermuteOp):
        reads = [in_strides[d] for d in op.order.get_values()]
    elif isinstance(op, tpu.SliceOp):
        offsets, steps = op.offsets.get_values(), op.steps.get_values()
        reads = [st * step for st, step in zip(in_strides, steps, strict=True)]
        src += sum(o * st for o, st in zip(offsets, in_strides, strict=True)) * F32_BYTES
    else:
        reads = [0 if s == 1 else st for s, st in zip(shape, in_strides, strict=True)]
    dims = list(zip(out, reads, _dense(out), strict=True))
    plan = ConcatPlan(name)
    plan.copies = _copies(name, dims, src, addr(op.output))
    return plan


__all__ = ["MOVE_OPS", "plan_move"]
