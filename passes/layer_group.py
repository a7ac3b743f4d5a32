"""Layer groups for `lower-to-bm1684x{layer-group=true}`: consecutive layers run out of LMEM.

Without groups every tpu op is its own layer: it loads its inputs from DDR, computes and stores
its result, so every activation goes to DDR and back. A *group* is a run of consecutive ops of
the function whose whole working set (every member's weights, the inputs it reads from DDR and
every result) fits in one arena (half of local memory, the other half receiving the next
group's weights meanwhile). Inside a group a result that only members read stays in LMEM: it
is neither stored nor reloaded; a result read after the group (or returned) is also stored.

Members are planned whole (no N, H or output-channel slicing): the convolutions (normal,
grouped with N = 1, depthwise), the poolings and the elementwise add / sub / mul / div / relu
whose resident operands have the result's shape. An elementwise op computes in place over its
first operand, so a resident first operand must die there (add and mul swap their operands to
make that so). Any other op ends the group; it is planned as before, alone.

Choice (greedy, in program order): a group starts at the first op not yet placed and grows one
op at a time while the extended group still plans (fits its arena) and its estimated saving
grows. The estimate uses the simulator's GDMA cost model (`simulator/timing.py`): a result that
stays resident saves its store and one load per member that reads it, each
`GDMA_LATENCY_CYCLES + bytes / DDR bytes per cycle` (whole `GDMA_BURST_BYTES` bursts, the
tensor being contiguous in DDR). LMEM pressure enters as the constraint that the group fits:
members are whole tensors, so a member that does not fit whole ends the group. The TIU work is
the same in or out of a group, so it does not enter the estimate; what a group can lose is the
software pipelining inside a sliced layer, which is why only whole-tensor members are grouped.

Buffers are bump-allocated in the group's arena without reuse; the `Program` derives the sync
ids from the LMEM ranges every command touches, as for single layers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.ir import Operation, SSAValue

from nntc.dialects import tpu
from nntc.dialects.bm1684x import ArEu, PordEu
from nntc.passes.lowering.layers import (
    CannotLower,
    ConvPlan,
    EltwisePlan,
    LayerPlan,
    PordPlan,
    Slice,
    _broadcast_strides,
    _window,
    shape4,
)
from nntc.passes.lowering.lmem import F32_BYTES, Arena, LmemOverflow, LTensor
from nntc.targets.bm1684x import chip

Addr = Callable[[SSAValue], int]

_ELTWISE: dict[type[Operation], ArEu] = {
    tpu.AddOp: ArEu.ADD,
    tpu.SubOp: ArEu.SUB,
    tpu.MulOp: ArEu.MUL,
    tpu.DivOp: ArEu.DIV,
    tpu.ReluOp: ArEu.MAX,
}
_COMMUTATIVE = (tpu.AddOp, tpu.MulOp)


class NotGroupable(Exception):
    """This op cannot be a member of a layer group (as placed); the group ends before it."""


def dma_cycles(nbytes: int) -> int:
    """The simulator's cost of one contiguous DDR <-> LMEM transfer of `nbytes`."""
    timing = chip.ChipTiming()
    moved = -(-nbytes // chip.GDMA_BURST_BYTES) * chip.GDMA_BURST_BYTES
    return chip.GDMA_LATENCY_CYCLES + math.ceil(moved / timing.ddr_bytes_per_cycle)


def _bytes(value: SSAValue) -> int:
    return math.prod(shape4(value.type)) * F32_BYTES


@dataclass
class Group:
    """The plans of a run of consecutive ops, and what keeping their results local saves."""

    plans: list[LayerPlan] = field(default_factory=list)
    saved_cycles: int = 0


def _operands(op: Operation) -> Sequence[SSAValue]:
    if isinstance(op, tpu.AddOp):
        return op.inputs
    if isinstance(op, tpu.ReluOp):
        return (op.input,)
    return (op.lhs, op.rhs)  # type: ignore[attr-defined]


def _relu(op: Operation) -> tuple[bool, float | None]:
    do = op.properties.get("do_relu")
    limit = op.properties.get("relu_limit")
    return (
        bool(do.value.data) if do is not None else False,  # type: ignore[attr-defined]
        limit.value.data if limit is not None else None,  # type: ignore[attr-defined]
    )


class _Builder:
    """Plans members into one arena, tracking which values are resident in it."""

    def __init__(self, ops: Sequence[Operation], arena: Arena, addr: Addr) -> None:
        self.ops = ops
        self.members = set(ops)
        self.arena = arena
        self.addr = addr
        self.local: dict[SSAValue, LTensor] = {}

    def needs_store(self, value: SSAValue) -> bool:
        return any(u.operation not in self.members for u in value.uses)

    def used_after(self, value: SSAValue, index: int) -> bool:
        later = set(self.ops[index + 1 :])
        return any(u.operation in later for u in value.uses)

    def input(self, value: SSAValue) -> tuple[LTensor, bool]:
        if value in self.local:
            return self.local[value], True
        return self.arena.alloc(shape4(value.type)), False

    def plan(self, index: int, name: str) -> LayerPlan:
        op = self.ops[index]
        if isinstance(op, tpu.Conv2dOp):
            return self._conv(op, name)
        if isinstance(op, tpu.MaxPoolOp | tpu.AvgPoolOp):
            return self._pool(op, name)
        if type(op) in _ELTWISE:
            return self._eltwise(op, index, name)
        raise NotGroupable(op.name)

    def _conv(self, op: tpu.Conv2dOp, name: str) -> LayerPlan:
        win = _window(op)
        group = op.group.value.data
        do_relu, limit = _relu(op)
        if group > 1 and group == win.ic == win.oc:
            plan = PordPlan(
                name,
                kind=PordEu.DEPTHWISE,
                win=win,
                do_relu=do_relu,
                limit=limit,
                in_addr=self.addr(op.input),
                out_addr=self.addr(op.output),
                k_addr=self.addr(op.filter),
                b_addr=None if op.bias is None else self.addr(op.bias),
                slices=[Slice(0, win.n, 0, win.ic, 0, win.oh)],
            )
            plan.kbuf = self.arena.alloc((1, win.ic, win.kh, win.kw), compact=True)
            if op.bias is not None:
                plan.bbuf = self.arena.alloc((1, win.ic, 1, 1), compact=True)
            return self._windowed(plan, op.input, op.output)
        if group > 1 and win.n > 1:
            raise NotGroupable("grouped convolution with N > 1")
        icg, taps = win.ic // group, win.kh * win.kw
        plan = ConvPlan(
            name,
            win=win,
            group=group,
            do_relu=do_relu,
            limit=limit,
            in_addr=self.addr(op.input),
            w_addr=self.addr(op.filter),
            b_addr=None if op.bias is None else self.addr(op.bias),
            out_addr=self.addr(op.output),
            occ=win.oc,
            slices=[Slice(0, win.n, 0, 1, 0, win.oh)],
        )
        plan.wbuf = [self.arena.alloc((1, win.oc, icg, taps), compact=True)]
        if op.bias is not None:
            plan.bbuf = [self.arena.alloc((1, win.oc, 1, 1), compact=True)]
        return self._windowed(plan, op.input, op.output)

    def _pool(self, op: tpu.MaxPoolOp | tpu.AvgPoolOp, name: str) -> LayerPlan:
        win = _window(op)
        do_relu, limit = _relu(op)
        plan = PordPlan(
            name,
            kind=PordEu.MAXPOOLING if isinstance(op, tpu.MaxPoolOp) else PordEu.AVGPOOLING,
            win=win,
            do_relu=do_relu,
            limit=limit,
            scale=1.0 / (win.kh * win.kw),
            in_addr=self.addr(op.input),
            out_addr=self.addr(op.output),
            slices=[Slice(0, win.n, 0, win.ic, 0, win.oh)],
        )
        return self._windowed(plan, op.input, op.output)

    def _windowed(self, plan: ConvPlan | PordPlan, inp: SSAValue, out: SSAValue) -> LayerPlan:
        buf, resident = self.input(inp)
        plan.inbuf = [buf]
        plan.in_resident = resident
        res = self.arena.alloc(shape4(out.type))
        plan.outbuf = [res]
        plan.store_out = self.needs_store(out)
        self.local[out] = res
        return plan

    def _eltwise(self, op: Operation, index: int, name: str) -> LayerPlan:
        out_shape = shape4(op.results[0].type)
        operands = list(_operands(op))
        first = operands[0]
        if first in self.local and self.used_after(first, index):
            # the result overwrites the first operand: it must die here
            if isinstance(op, _COMMUTATIVE) and len(operands) == 2:
                operands.reverse()
            first = operands[0]
            if first in self.local and self.used_after(first, index):
                raise NotGroupable(f"{name}: its in-place operand is read later in the group")
        if shape4(first.type) != out_shape:
            raise NotGroupable(f"{name}: the in-place operand is broadcast")
        bufs: list[LTensor] = []
        resident: list[bool] = []
        ins: list[tuple[int, tuple[int, int, int, int]]] = []
        for v in operands:
            if v in self.local and shape4(v.type) != out_shape:
                raise NotGroupable(f"{name}: a resident operand is broadcast")
            if v in self.local:
                bufs.append(self.local[v])
                resident.append(True)
            else:
                bufs.append(self.arena.alloc(out_shape))
                resident.append(False)
            ins.append((self.addr(v), _broadcast_strides(shape4(v.type), out_shape)))
        if isinstance(op, tpu.ReluOp):
            do_relu, limit = True, None if op.relu_limit is None else op.relu_limit.value.data
        else:
            do_relu, limit = _relu(op)
        n, c, h, _ = out_shape
        result = op.results[0]
        plan = EltwisePlan(
            name,
            eu=_ELTWISE[type(op)],
            shape=out_shape,
            inputs=ins,
            do_relu=do_relu,
            limit=limit,
            out_addr=self.addr(result),
            resident=resident,
            store_out=self.needs_store(result),
            slices=[Slice(0, n, 0, c, 0, h)],
            bufs=[bufs],
        )
        self.local[result] = bufs[0]
        return plan


def plan_group(
    ops: Sequence[Operation], names: Sequence[str], arena: Arena, addr: Addr
) -> Group | None:
    """`ops` as one group in `arena`, or None where a member cannot join or it does not fit."""
    builder = _Builder(ops, arena, addr)
    group = Group()
    try:
        for i, name in enumerate(names):
            group.plans.append(builder.plan(i, name))
    except (NotGroupable, CannotLower, LmemOverflow):
        return None
    members = set(ops)
    for op in ops:
        for result in op.results:
            if builder.needs_store(result):
                continue
            readers = {u.operation for u in result.uses if u.operation in members}
            group.saved_cycles += dma_cycles(_bytes(result)) * (1 + len(readers))
    return group


__all__ = ["Group", "NotGroupable", "dma_cycles", "plan_group"]
