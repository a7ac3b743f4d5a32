"""Layer groups (the `layer-group` pass, `lower-to-bm1684x{layer-group=true}`): layers in LMEM.

Without groups every tpu op is its own layer: it loads its inputs from DDR, computes and stores
its result, so every activation goes to DDR and back. A *group* is a run of consecutive ops of
the function that runs in one arena (half of local memory, the other half receiving the next
group's weights meanwhile). Inside a group a result that only members read stays in LMEM: it
is neither stored nor reloaded; a result read after the group (or returned) is also stored.

Members: the convolutions (normal, grouped, depthwise), the poolings and the elementwise add /
sub / mul / div / relu whose resident operands have the result's shape. Their weights are
loaded once, whole, and stay resident for the whole group. An elementwise op computes in place
over its first operand, so that operand must die there (add and mul swap their operands to
make that so). All members have the batch size of the last one (slices cut that batch). Any
other op ends the group; it is planned as before, alone.

Slices. A group whose working set does not fit runs slice by slice: the batch is cut into
`n_slices` and the height of the group's single stored result into `h_slices`. Each member's
rows are computed backwards through the chain: a value holds, in each slice, the hull of the
rows its readers need (a conv or pool window needs `Window.in_rows`, its halo, with padding
only at the tensor's borders), so halo rows are recomputed by neighbouring slices rather than
kept. A pooling (whose input is always EU-aligned) must read its input from the first row the
buffer holds; a convolution or an elementwise op may read a later row through a free-stride
view. Slices are software-pipelined: the loads of slice i + 1 are issued before the compute of
slice i and its stores follow it, into double buffers for what the GDMA touches (loaded inputs
and the stored result); buffers only the TIU touches are single and reused once dead (their
bytes are placed by lifetime, `LiveArena`), which is what lets long chains fit.

Bank-aware placement: a member's result is placed, where space allows, in LMEM banks that none
of its operands occupy (`lmem.LiveArena`); a group that only fits without that is placed
without it.

Choice (greedy, in program order). The cost of a unit is estimated with the simulator's
per-command cost model (`targets/bm1684x/cost.py`): TIU cycles of every command of every slice
(conv: n x channel rows x input channels x taps x output points / points per cycle; pord: n x
rows x taps x points / EU; AR: n x rows x points / EU; each plus the start-up), and GDMA
cycles of every transfer (latency plus whole bursts of each contiguous run at the DDR
bandwidth, the small-transfer penalty). A unit takes `max(TIU, GDMA)` plus the parts the
pipeline cannot hide (the first slice's loads and the last slice's stores). Each candidate
group takes the slicing (n_slices, h_slices) that fits and costs least; a group starting at an
op grows one op at a time while it still plans, and the one whose cost is furthest below the
sum of its members' costs alone wins (none, if none is below).

In IR: the `layer-group` pass makes that choice and wraps each group in a `tpu.group
slices(n_slices, h_slices)` holding a `tpu.load` per input (the batch and the rows, halos
included, of every slice; the LMEM offset of its buffer) and a `tpu.store` per result read after
the group; `lower-to-bm1684x` runs such groups as given (`group_plan_of`). The lowering also
records every group's decision on the cmd_group (`nntc.groups`).

DDR and slices. Slice i's stores come before slice i + 1's loads, so a sliced group is only
valid if no stored result shares DDR with a value the group reads. As in TPU-MLIR, groups are
decided before global addresses: `layer-group` runs before `assign-gmem` (no decision depends on
an address; it plans with `UNPLACED`) and `assign-gmem` places a `tpu.group` as one step, every
value it reads living until its last store, then fills the `gmem(...)` of its loads and stores.
`lower-to-bm1684x{layer-group=true}`, which groups after addresses are fixed by a layer-by-layer
order, still refuses to slice a group whose result overlaps an input (`_check_ddr`), and so does
the lowering of a `tpu.group` whose addresses were edited into such an overlap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top as nntc_top
from nntc.dialects import tpu
from nntc.dialects.bm1684x import ArEu, ArOp, ConvEu, ConvOp, Layout, PordEu
from nntc.passes.assign_gmem import GMEM_STATS_ATTR, gmem_addr
from nntc.passes.lowering.layers import (
    FP32,
    MAX_DIM,
    CannotLower,
    Emitter,
    LayerPlan,
    PordPlan,
    Window,
    _broadcast_strides,
    _window,
    dense_strides,
    shape4,
)
from nntc.passes.lowering.lmem import (
    F32_BYTES,
    LiveArena,
    LmemOverflow,
    LTensor,
    Shape4,
    banks,
)
from nntc.passes.lowering.program import LayerSpan
from nntc.targets.bm1684x.cost import cube_cycles, dma_cycles, eu_cycles, lane_rows

Addr = Callable[[SSAValue], int]
F32_BITS = 8 * F32_BYTES
Rows = tuple[int, int]
"""[lo, hi) rows of a value held in one slice."""

_ELTWISE: dict[type[Operation], ArEu] = {
    tpu.AddOp: ArEu.ADD,
    tpu.SubOp: ArEu.SUB,
    tpu.MulOp: ArEu.MUL,
    tpu.DivOp: ArEu.DIV,
    tpu.ReluOp: ArEu.MAX,
}
_COMMUTATIVE = (tpu.AddOp, tpu.MulOp)
MAX_MEMBERS = 24
"""Longest group considered: beyond it the search costs compile time for nothing (halo
recompute grows with the chain)."""
PATIENCE = 4
"""Stop growing a group once this many extensions in a row did not improve the best one."""


class NotGroupable(Exception):
    """This op cannot be a member of a layer group (as placed); the group ends before it."""


def UNPLACED(value: SSAValue) -> int:  # noqa: N802 (a constant of the Addr type)
    """The address function of planning before `assign-gmem`: every value at 0. Decisions do not
    depend on addresses; with it `plan_slicing` skips the DDR-overlap check, which `assign-gmem`
    then makes hold by placing each group as one step (module docstring)."""
    return 0


# --- the cost model (`targets/bm1684x/cost.py`) over a group's slices ---------------------


def _tensor_dma(shape: Shape4) -> int:
    """A (n, c, h, w) slice of a dense DDR tensor: each channel's h x w rows one run."""
    n, c, h, w = shape
    return dma_cycles(n * c * h * w * F32_BYTES, h * w * F32_BYTES)


def _ar_cycles(shape: Shape4) -> int:
    n, c, h, w = shape
    return eu_cycles(n, lane_rows(c), 1, h * w, F32_BITS)


# --- members --------------------------------------------------------------------------------


def _relu(op: Operation) -> tuple[bool, float | None]:
    do = op.properties.get("do_relu")
    limit = op.properties.get("relu_limit")
    return (
        bool(do.value.data) if do is not None else False,  # type: ignore[attr-defined]
        limit.value.data if limit is not None else None,  # type: ignore[attr-defined]
    )


def _operands(op: Operation) -> list[SSAValue]:
    if isinstance(op, tpu.AddOp):
        return list(op.inputs)
    if isinstance(op, tpu.ReluOp):
        return [op.input]
    return [op.lhs, op.rhs]  # type: ignore[attr-defined]


@dataclass
class Member:
    """One op of a group: what it reads, what it computes, its resident weights."""

    op: Operation
    name: str
    kind: str
    """"conv", "pord" (depthwise, max / average pooling) or "eltwise"."""
    inputs: list[SSAValue]
    result: SSAValue
    win: Window | None = None
    group: int = 1
    pord: PordEu = PordEu.MAXPOOLING
    eu: ArEu = ArEu.ADD
    do_relu: bool = False
    limit: float | None = None
    weights: list[tuple[int, Shape4, Shape4]] = field(default_factory=list)
    """(DDR address, local compact shape, DDR strides): filter (or kernel), then bias."""
    wbufs: list[LTensor] = field(default_factory=list)
    bcast: dict[int, Shape4] = field(default_factory=dict)
    """Elementwise inputs read with broadcast strides (index -> DDR strides)."""


def _member(op: Operation, name: str, addr: Addr) -> Member:
    if isinstance(op, tpu.Conv2dOp):
        win = _window(op)
        group = op.group.value.data
        do_relu, limit = _relu(op)
        m = Member(op, name, "conv", [op.input], op.output, win=win, group=group,
                   do_relu=do_relu, limit=limit)  # fmt: skip
        taps = win.kh * win.kw
        if group > 1 and group == win.ic == win.oc:
            m.kind, m.pord = "pord", PordEu.DEPTHWISE
            m.weights.append((addr(op.filter), (1, win.ic, win.kh, win.kw), (0, taps, win.kw, 1)))
        else:
            icg = win.ic // group
            m.weights.append((addr(op.filter), (1, win.oc, icg, taps), (0, icg * taps, taps, 1)))
        if op.bias is not None:
            m.weights.append((addr(op.bias), (1, win.oc, 1, 1), (0, 1, 1, 1)))
        return m
    if isinstance(op, tpu.MaxPoolOp | tpu.AvgPoolOp):
        do_relu, limit = _relu(op)
        kind = PordEu.MAXPOOLING if isinstance(op, tpu.MaxPoolOp) else PordEu.AVGPOOLING
        return Member(op, name, "pord", [op.input], op.output, win=_window(op), pord=kind,
                      do_relu=do_relu, limit=limit)  # fmt: skip
    if type(op) in _ELTWISE:
        if isinstance(op, tpu.ReluOp):
            do_relu, limit = True, None if op.relu_limit is None else op.relu_limit.value.data
        else:
            do_relu, limit = _relu(op)
        return Member(op, name, "eltwise", _operands(op), op.results[0], eu=_ELTWISE[type(op)],
                      do_relu=do_relu, limit=limit)  # fmt: skip
    raise NotGroupable(op.name)


def _members(ops: Sequence[Operation], names: Sequence[str], addr: Addr) -> list[Member]:
    """The members in program order, elementwise operands ordered in-place operand first."""
    members = [_member(op, name, addr) for op, name in zip(ops, names, strict=True)]
    # slices cut the batch of the last member's result (`_geometry`): a member of another batch
    # size (an independent op on a broadcast operand) would be computed for part of its batch
    batch = shape4(members[-1].result.type)[0]
    for m in members:
        if shape4(m.result.type)[0] != batch:
            raise NotGroupable(f"{m.name}: batch {shape4(m.result.type)[0]}, the group's {batch}")
    inside = set(ops)
    for i, m in enumerate(members):
        if m.kind != "eltwise":
            continue
        out = shape4(m.result.type)
        later = set(ops[i + 1 :])

        def read_later(v: SSAValue, later: set[Operation] = later) -> bool:
            # a result read after the group is stored at the end of its slice: it must survive
            return any(
                u.operation in later or (v.owner in inside and u.operation not in inside)
                for u in v.uses
            )

        first = m.inputs[0]
        if (read_later(first) or shape4(first.type) != out) and (
            isinstance(m.op, _COMMUTATIVE) and len(m.inputs) == 2
        ):
            m.inputs.reverse()
            first = m.inputs[0]
        if read_later(first):
            raise NotGroupable(f"{m.name}: its in-place operand is read later")
        if shape4(first.type) != out:
            raise NotGroupable(f"{m.name}: the in-place operand is broadcast")
        for j, v in enumerate(m.inputs):
            if shape4(v.type) == out:
                continue
            if v.owner in inside:
                raise NotGroupable(f"{m.name}: a resident operand is broadcast")
            m.bcast[j] = _broadcast_strides(shape4(v.type), out)
        if len(set(m.inputs)) != len(m.inputs):
            raise NotGroupable(f"{m.name}: the same value twice")
    return members


# --- geometry of one slicing ----------------------------------------------------------------


@dataclass(frozen=True)
class SliceGeom:
    """Slice i: batch [n0, n0 + nn), and the rows every value holds."""

    n0: int
    nn: int
    rows: dict[SSAValue, Rows]


def _need(m: Member, out: Rows, v: SSAValue) -> Rows:
    """Rows of input `v` that member `m` reads to compute rows `out` of its result."""
    if m.win is not None:
        ih0, ihh, _, _ = m.win.in_rows(out[0], out[1] - out[0])
        return (ih0, ih0 + ihh)
    if shape4(v.type)[2] != shape4(m.result.type)[2]:
        return (0, 1)  # broadcast along H
    return out


def _geometry(members: list[Member], nn: int, hh: int) -> list[SliceGeom]:
    """Every slice's rows, computed backwards from the stored result's rows (h-slicing needs a
    single stored result, the last member's); with whole rows every value is held whole."""
    n, _, height, _ = shape4(members[-1].result.type)
    out: list[SliceGeom] = []
    for n0 in range(0, n, nn):
        cnt = min(nn, n - n0)
        if hh >= height:
            rows_of: dict[SSAValue, Rows] = {}
            for m in members:
                for v in [*m.inputs, m.result]:
                    rows_of[v] = (0, shape4(v.type)[2])
            out.append(SliceGeom(n0, cnt, rows_of))
            continue
        for h0 in range(0, height, hh):
            rows_of = {members[-1].result: (h0, min(height, h0 + hh))}
            for m in reversed(members):
                if m.result not in rows_of:
                    raise NotGroupable(f"{m.name}: its result is not read in the group")
                for v in m.inputs:
                    lo, hi = _need(m, rows_of[m.result], v)
                    if v in rows_of:
                        lo, hi = min(lo, rows_of[v][0]), max(hi, rows_of[v][1])
                    rows_of[v] = (lo, hi)
            out.append(SliceGeom(n0, cnt, rows_of))
    return out


# --- the group plan -------------------------------------------------------------------------


@dataclass
class GroupPlan(LayerPlan):
    """A layer group: members, slices, buffers; emits the pipelined slices (module docstring)."""

    members: list[Member] = field(default_factory=list)
    n_slices: int = 1
    h_slices: int = 1
    geoms: list[SliceGeom] = field(default_factory=list)
    loaded: list[SSAValue] = field(default_factory=list)
    """Values from outside the group, in order of first use (loaded each slice)."""
    stored: list[SSAValue] = field(default_factory=list)
    bufs: dict[SSAValue, list[LTensor]] = field(default_factory=dict)
    """Each value's buffer copies (in-place results share their operand's)."""
    bcast_bufs: dict[tuple[int, int], list[LTensor]] = field(default_factory=dict)
    addr: dict[SSAValue, int] = field(default_factory=dict)
    spans: list[LayerSpan] = field(default_factory=list)
    """One per member, set by the lowering (the simulator's layer map)."""
    cost: int = 0
    saved_cycles: int = 0

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def summary(self) -> dict[str, object]:
        """The decision, as the lowering records it in the IR (`nntc.groups`)."""
        return {
            "members": self.names,
            "n_slices": self.n_slices,
            "h_slices": self.h_slices,
            "cost": self.cost,
            "saved": self.saved_cycles,
        }

    def _attribute(self, em: Emitter, k: int) -> None:
        if self.spans:
            em.prog.attribute_to(self.spans[k])

    def prefetch(self, em: Emitter) -> None:
        previous = em.prog.attribute_to(None)
        for k, m in enumerate(self.members):
            self._attribute(em, k)
            for (gaddr, _, strides), buf in zip(m.weights, m.wbufs, strict=True):
                em.load(buf, gaddr, strides)
        em.prog.attribute_to(previous)

    def view(self, v: SSAValue, i: int) -> LTensor:
        g = self.geoms[i]
        lo, hi = g.rows[v]
        copies = self.bufs[v]
        n, c, _, w = shape4(v.type)
        return copies[i % len(copies)].view((g.nn, c, hi - lo, w))

    def _ddr(self, v: SSAValue, n0: int, h0: int) -> int:
        _, c, h, w = shape4(v.type)
        return self.addr[v] + ((n0 * c) * h + h0) * w * F32_BYTES

    def body(self, em: Emitter) -> None:
        first_reader = {
            v: next(k for k, m in enumerate(self.members) if v in m.inputs) for v in self.loaded
        }

        def load(i: int) -> None:
            g = self.geoms[i]
            for v in self.loaded:
                self._attribute(em, first_reader[v])
                em.load(self.view(v, i), self._ddr(v, g.n0, g.rows[v][0]),
                        dense_strides(shape4(v.type)))  # fmt: skip
            for (k, j), copies in self.bcast_bufs.items():
                self._attribute(em, k)
                m = self.members[k]
                lo, hi = g.rows[m.result]
                _, c, _, w = shape4(m.result.type)
                st = m.bcast[j]
                t = copies[i % len(copies)].view((g.nn, c, hi - lo, w))
                src = self.addr[m.inputs[j]] + (g.n0 * st[0] + lo * st[2]) * F32_BYTES
                em.load(t, src, st)

        def compute(i: int) -> None:
            if i == 0:
                # the next unit's weights go in once this group's first loads are issued
                em.flush_prefetch()
            for k, m in enumerate(self.members):
                self._attribute(em, k)
                if m.kind == "conv":
                    self._conv(em, m, i)
                elif m.kind == "pord":
                    self._pord(em, m, i)
                else:
                    self._eltwise(em, m, k, i)

        def store(i: int) -> None:
            g = self.geoms[i]
            for v in self.stored:
                self._attribute(em, next(k for k, m in enumerate(self.members) if m.result == v))
                em.store(self.view(v, i), self._ddr(v, g.n0, g.rows[v][0]),
                         dense_strides(shape4(v.type)))  # fmt: skip

        count = len(self.geoms)
        load(0)
        for i in range(count):
            if i + 1 < count:
                load(i + 1)
            compute(i)
            store(i)

    def _window_input(self, m: Member, i: int) -> tuple[LTensor, int, Rows, int, int]:
        """The input view, the row it must be read from, the output rows and the pads."""
        assert m.win is not None
        g = self.geoms[i]
        lo, hi = g.rows[m.result]
        ih0, _, up, dn = m.win.in_rows(lo, hi - lo)
        v = m.inputs[0]
        return self.view(v, i), ih0 - g.rows[v][0], (lo, hi), up, dn

    def _conv(self, em: Emitter, m: Member, i: int) -> None:
        win = m.win
        assert win is not None
        inp, skip, (lo, hi), up, dn = self._window_input(m, i)
        res = self.view(m.result, i)
        nn, ihh = inp.shape[0], inp.shape[2] - skip
        icg, ocg = win.ic // m.group, win.oc // m.group
        w = m.wbufs[0]
        reads = [inp.range, w.range]
        b = m.wbufs[1] if len(m.wbufs) > 1 else None
        if b is not None:
            reads.append(b.range)
        layout: dict[str, object] = {}
        if skip:
            # a later reader of a taller buffer: the rows it needs through a free-stride view
            layout = {"opd0_layout": Layout.FREE, "opd0_stride": inp.strides}
        for g in range(m.group):
            bias = (
                {"opd2_addr": b.addr(g * ocg)}
                if b is not None
                else {"opd2_addr": 0, "opd2_const": True}
            )
            em.prog.add(
                ConvOp,
                reads=reads,
                writes=[res.range],
                tsk_eu_typ=ConvEu.NORMAL,
                res0_addr=res.addr(g * ocg),
                res0_shape=(nn, ocg, hi - lo, win.ow),
                res0_prec=FP32,
                opd0_addr=inp.addr(g * icg) + skip * win.iw * F32_BYTES,
                opd0_shape=(icg, ihh, win.iw),
                opd0_prec=FP32,
                opd1_addr=w.addr(g * ocg),
                opd3_const=True,
                **layout,
                **bias,
                **win.window_fields(up, dn),
            )
        em.activation(res, m.do_relu, m.limit)

    def _pord(self, em: Emitter, m: Member, i: int) -> None:
        win = m.win
        assert win is not None
        inp, skip, _, up, dn = self._window_input(m, i)
        assert skip == 0, "checked when planned"
        pord = PordPlan(
            m.name,
            kind=m.pord,
            win=win,
            do_relu=m.do_relu,
            limit=m.limit,
            scale=1.0 / (win.kh * win.kw),
            kbuf=m.wbufs[0] if m.wbufs else None,
            bbuf=m.wbufs[1] if len(m.wbufs) > 1 else None,
        )
        pord.emit(em, inp, self.view(m.result, i), up, dn)

    def _eltwise(self, em: Emitter, m: Member, k: int, i: int) -> None:
        g = self.geoms[i]
        acc = self.view(m.result, i)
        lo = g.rows[m.result][0]
        for j, v in enumerate(m.inputs[1:], start=1):
            if j in m.bcast:
                copies = self.bcast_bufs[(k, j)]
                other = copies[i % len(copies)].view(acc.shape)
                em.ar(m.eu, acc, acc, other)
                continue
            other = self.view(v, i)
            skip = lo - g.rows[v][0]
            if other.shape == acc.shape:
                em.ar(m.eu, acc, acc, other)
                continue
            # a taller operand (its other readers need a halo): read the rows through a
            # free-stride view of its buffer
            em.prog.add(
                ArOp,
                reads=[acc.range, other.range],
                writes=[acc.range],
                tsk_eu_typ=m.eu,
                opd_num=2,
                res0_addr=acc.addr(),
                res0_shape=acc.shape,
                res0_prec=FP32,
                opd0_addr=acc.addr(),
                opd0_prec=FP32,
                opd0_sign=True,
                opd1_addr=other.addr() + skip * acc.shape[3] * F32_BYTES,
                opd1_prec=FP32,
                opd1_sign=True,
                opd1_layout=Layout.FREE,
                opd1_stride=other.strides,
            )
        em.activation(acc, m.do_relu, m.limit)


# --- planning one slicing -------------------------------------------------------------------


def _stored(ops: Sequence[Operation], members: list[Member]) -> list[SSAValue]:
    inside = set(ops)
    return [m.result for m in members if any(u.operation not in inside for u in m.result.uses)]


def _check(members: list[Member], geoms: list[SliceGeom]) -> None:
    """What the commands can express (module docstring), in every slice."""
    for g in geoms:
        for m in members:
            out = g.rows[m.result]
            if m.kind == "eltwise":
                if g.rows[m.inputs[0]] != out:
                    raise NotGroupable(f"{m.name}: its in-place operand holds other rows")
                continue
            assert m.win is not None
            start = _need(m, out, m.inputs[0])[0]
            held = g.rows[m.inputs[0]]
            if m.kind == "pord" and start != held[0]:
                raise NotGroupable(f"{m.name}: a pooling reads a buffer from a later row")
            if m.kind == "conv" and m.group > 1 and g.nn > 1:
                raise NotGroupable(f"{m.name}: grouped convolution with N > 1 in a slice")
            if start != held[0]:
                _, c, _, w = shape4(m.inputs[0].type)
                t = LTensor(0, (g.nn, c, held[1] - held[0], w))
                if max(t.strides) > MAX_DIM:
                    raise NotGroupable(f"{m.name}: free-stride view beyond 16-bit strides")


def _allocate(plan: GroupPlan, arena: LiveArena, bank_aware: bool, whole_first: bool) -> None:
    members, geoms = plan.members, plan.geoms
    sliced = len(geoms) > 1
    index = {m.result: k for k, m in enumerate(members)}
    last_use: dict[SSAValue, int] = {}
    for k, m in enumerate(members):
        for v in m.inputs:
            last_use[v] = k
    # in-place results share their operand's buffer: one class per chain
    root: dict[SSAValue, SSAValue] = {}
    for m in members:
        for v in m.inputs:
            root.setdefault(v, v)
        root[m.result] = root[m.inputs[0]] if m.kind == "eltwise" else m.result
    classes: dict[SSAValue, list[SSAValue]] = {}
    for v, r in root.items():
        classes.setdefault(r, []).append(v)
    end = len(members)
    for m in members:
        m.wbufs = [arena.alloc(shape, compact=True) for _, shape, _ in m.weights]
    placed: dict[SSAValue, list[LTensor]] = {}

    def whole(r: SSAValue) -> bool:
        return any(v not in index or v in plan.stored for v in classes[r])

    # in program order, each result after its operands so that it can avoid their banks; or
    # what the GDMA touches (live for the whole group) first, low, which fragments less
    order = sorted(classes, key=lambda r: (whole_first and not whole(r), index.get(r, -1)))
    for r in order:
        vals = classes[r]
        whole_r = whole(r)
        first = 0 if whole_r else index[r]
        last = end if whole_r else max(last_use.get(v, index.get(v, 0)) for v in vals)
        n, c, _, w = shape4(r.type)
        height = max(g.rows[v][1] - g.rows[v][0] for g in geoms for v in vals if v in g.rows)
        shape = (max(g.nn for g in geoms), c, height, w)
        avoid: frozenset[int] = frozenset()
        if bank_aware and r in index:
            for v in members[index[r]].inputs:
                for t in placed.get(root[v], []):
                    avoid |= banks(t.off, t.bytes)
        copies = 2 if sliced and whole_r else 1
        bufs = [arena.alloc_live(shape, False, first, last, avoid) for _ in range(copies)]
        placed[r] = bufs
        for v in vals:
            plan.bufs[v] = bufs
    for k, m in enumerate(members):
        for j in m.bcast:
            _, c, _, w = shape4(m.result.type)
            height = max(g.rows[m.result][1] - g.rows[m.result][0] for g in geoms)
            shape = (max(g.nn for g in geoms), c, height, w)
            plan.bcast_bufs[(k, j)] = [arena.alloc(shape) for _ in range(2 if sliced else 1)]


def _estimate(plan: GroupPlan) -> int:
    """Cycles of the unit under the simulator's cost model (module docstring)."""
    tiu = gdma = 0
    head = tail = 0
    for m in plan.members:
        for _, shape, _ in m.weights:
            n, c, h, w = shape
            gdma += dma_cycles(c * h * w * F32_BYTES)
    for i, g in enumerate(plan.geoms):
        loads = 0
        for v in plan.loaded:
            lo, hi = g.rows[v]
            _, c, _, w = shape4(v.type)
            loads += _tensor_dma((g.nn, c, hi - lo, w))
        for m in plan.members:
            lo, hi = g.rows[m.result]
            _, oc, _, ow = shape4(m.result.type)
            points = (hi - lo) * ow
            act = (1 + (m.limit is not None)) * _ar_cycles((g.nn, oc, hi - lo, ow))
            if m.kind == "conv":
                assert m.win is not None
                taps = m.win.kh * m.win.kw
                icg, ocg = m.win.ic // m.group, m.win.oc // m.group
                tiu += m.group * cube_cycles(g.nn, lane_rows(ocg), icg, taps, points, F32_BITS)
            elif m.kind == "pord":
                assert m.win is not None
                tiu += eu_cycles(g.nn, lane_rows(oc), m.win.kh * m.win.kw, points, F32_BITS)
                if m.pord is PordEu.DEPTHWISE and m.do_relu and m.limit is None:
                    act = 0
            else:
                tiu += (len(m.inputs) - 1) * _ar_cycles((g.nn, oc, hi - lo, ow))
                loads += len(m.bcast) * _tensor_dma((g.nn, oc, hi - lo, ow))
            tiu += act if m.do_relu else 0
        stores = 0
        for v in plan.stored:
            lo, hi = g.rows[v]
            _, c, _, w = shape4(v.type)
            stores += _tensor_dma((g.nn, c, hi - lo, w))
        gdma += loads + stores
        if i == 0:
            head = loads
        tail = stores
    return max(tiu, gdma) + head + tail


def plan_slicing(
    ops: Sequence[Operation],
    members: list[Member],
    arena: tuple[int, int],
    addr: Addr,
    nn: int,
    hh: int,
) -> GroupPlan:
    """The group cut into batches of `nn` and stored rows of `hh` (raises NotGroupable or
    LmemOverflow)."""
    stored = _stored(ops, members)
    height = shape4(members[-1].result.type)[2]
    if hh < height and stored != [members[-1].result]:
        raise NotGroupable("h-slicing needs one stored result, the last member's")
    geoms = _geometry(members, nn, hh)
    _check(members, geoms)
    inside = {m.result for m in members}
    loaded: list[SSAValue] = []
    for m in members:
        for j, v in enumerate(m.inputs):
            if v not in inside and v not in loaded and j not in m.bcast:
                loaded.append(v)
    if len(geoms) > 1 and addr is not UNPLACED:
        _check_ddr(members, loaded, stored, addr)
    n = shape4(members[-1].result.type)[0]
    plan = GroupPlan(
        members[0].name,
        members=members,
        n_slices=-(-n // nn),
        h_slices=len(geoms) // -(-n // nn),
        geoms=geoms,
        loaded=loaded,
        stored=stored,
        addr={v: addr(v) for v in [*loaded, *stored]}
        | {m.inputs[j]: addr(m.inputs[j]) for m in members for j in m.bcast},
    )
    attempts = ((True, False), (True, True), (False, True))
    for k, (bank_aware, whole_first) in enumerate(attempts):
        plan.bufs.clear()
        plan.bcast_bufs.clear()
        try:
            _allocate(plan, LiveArena(*arena), bank_aware, whole_first)
            break
        except LmemOverflow:
            if k == len(attempts) - 1:
                raise
    plan.cost = _estimate(plan)
    return plan


def _check_ddr(
    members: list[Member], loaded: list[SSAValue], stored: list[SSAValue], addr: Addr
) -> None:
    """Slices store before later slices load: addresses assigned layer by layer may give a result
    the DDR of an input that dies in the group, which slicing may not allow (module docstring)."""
    ins = [*loaded, *(m.inputs[j] for m in members for j in m.bcast)]
    for out in stored:
        lo = addr(out)
        hi = lo + math.prod(shape4(out.type)) * F32_BYTES
        for v in ins:
            a = addr(v)
            if a < hi and lo < a + math.prod(shape4(v.type)) * F32_BYTES:
                raise NotGroupable("a result's DDR overlaps an input's: it cannot be sliced")


def _row_options(height: int) -> list[int]:
    """Rows per slice to try, from whole down: each distinct slice count up to 8, then
    doubling counts."""
    counts = list(range(1, min(height, 8) + 1))
    c = 16
    while c <= height:
        counts.append(c)
        c *= 2
    return sorted({-(-height // k) for k in counts}, reverse=True)


def plan_group(
    ops: Sequence[Operation], names: Sequence[str], arena: tuple[int, int], addr: Addr
) -> GroupPlan | None:
    """The cheapest slicing of `ops` as one group in `arena` (base, size), or None where a
    member cannot join or no slicing fits."""
    try:
        members = _members(ops, names, addr)
    except (NotGroupable, CannotLower):
        return None
    n, _, height, _ = shape4(members[-1].result.type)
    best: GroupPlan | None = None
    for nn in sorted({-(-n // k) for k in range(1, n + 1)}, reverse=True):
        fits = 0
        for hh in _row_options(height):
            try:
                plan = plan_slicing(ops, members, arena, addr, nn, hh)
            except (NotGroupable, LmemOverflow, CannotLower):
                if fits:
                    break
                continue
            fits += 1
            if best is None or plan.cost < best.cost:
                best = plan
            if fits >= 3:
                break
    return best


# --- the greedy choice, shared by `layer-group` and `lower-to-bm1684x{layer-group=true}` --------


def resolve_addr(value: SSAValue) -> int:
    """`assign-gmem`'s address of `value`, seen through `tpu.group` results (the yielded value)
    and `tpu.load` / `tpu.store` (their `gmem(...)`, else the tensor they move); a group
    member's result that is stored has its store's address."""
    owner = value.owner
    if isinstance(owner, tpu.GroupOp):
        last = owner.body.block.last_op
        assert isinstance(last, tpu.YieldOp)
        return resolve_addr(last.values[owner.results.index(value)])
    if isinstance(owner, tpu.LoadOp | tpu.StoreOp):
        if owner.global_addr is not None:
            return owner.global_addr.value.data
        return resolve_addr(owner.input)
    if isinstance(owner, Operation) and isinstance(owner.parent_op(), tpu.GroupOp):
        # only a member's result is stored; a function-level value may have thousands of
        # readers (a pooling cut into per-tap slices), which must not be scanned per reader
        for use in value.uses:
            st = use.operation
            if isinstance(st, tpu.StoreOp) and st.global_addr is not None:
                return st.global_addr.value.data
    return gmem_addr(value)


def grow_group(
    ops: Sequence[tuple[Operation, str]],
    start: int,
    arena: tuple[int, int],
    alone: dict[int, int | None],
    addr: Addr = resolve_addr,
) -> GroupPlan | None:
    """Of the groups starting at `start` that plan (every shorter one planning too), the one
    whose estimated cost is furthest below the sum of its members' costs alone, the shortest on
    ties; None when none is below. `alone` caches the single-op estimates by index."""

    def alone_cost(j: int) -> int | None:
        if j not in alone:
            o, n = ops[j]
            single = plan_group([o], [n], arena, addr) if o.dialect_name() == "tpu" else None
            alone[j] = None if single is None else single.cost
        return alone[j]

    best: GroupPlan | None = None
    separate = stale = 0
    for end in range(start + 1, min(len(ops), start + MAX_MEMBERS) + 1):
        cost = alone_cost(end - 1)
        if cost is None:
            break
        separate += cost
        if end - start < 2:
            continue
        members = ops[start:end]
        candidate = plan_group([o for o, _ in members], [n for _, n in members], arena, addr)
        if candidate is None:
            break
        candidate.saved_cycles = separate - candidate.cost
        if candidate.saved_cycles > (0 if best is None else best.saved_cycles):
            best, stale = candidate, 0
        else:
            stale += 1
            if stale >= PATIENCE:
                break
    return best


def _member_ops(group: tpu.GroupOp) -> list[Operation]:
    return [
        o for o in group.body.block.ops if not isinstance(o, tpu.LoadOp | tpu.StoreOp | tpu.YieldOp)
    ]


def op_name(op: Operation, index: int) -> str:
    """The layer name of an op: its ONNX node name (`loc`), else `<op name>#<index>`."""
    name = op.location.desc.data if isinstance(op.location, NameLoc) else "unknown"
    return f"{op.name}#{index}" if name == "unknown" else name


def group_plan_of(group: tpu.GroupOp, arena: tuple[int, int], addr: Addr) -> GroupPlan:
    """The plan of a `tpu.group` as `layer-group` decided it (its n_slices and h_slices)."""
    ops = _member_ops(group)
    names = [op_name(o, i) for i, o in enumerate(ops)]
    where = names[0] if ops else "an empty group"
    try:
        members = _members(ops, names, addr)
        n, _, height, _ = shape4(members[-1].result.type)
        nn = -(-n // group.n_slices.value.data)
        hh = -(-height // group.h_slices.value.data)
        return plan_slicing(ops, members, arena, addr, nn, hh)
    except (NotGroupable, LmemOverflow, CannotLower, IndexError) as why:
        raise DiagnosticException(
            f"tpu.group starting at {where}: cannot run as "
            f"({group.n_slices.value.data}, {group.h_slices.value.data}) slices: {why or 'empty'}"
        ) from None


def _slices_of(plan: GroupPlan, v: SSAValue) -> dict[str, list[int]]:
    hs = plan.h_slices
    n_rows = [(plan.geoms[k * hs].n0, plan.geoms[k * hs].nn) for k in range(plan.n_slices)]
    h_rows = [plan.geoms[j].rows[v] for j in range(hs)]
    return {
        "n_idx": [a for a, _ in n_rows],
        "n_slice": [b for _, b in n_rows],
        "h_idx": [lo for lo, _ in h_rows],
        "h_slice": [hi - lo for lo, hi in h_rows],
    }


def _rank4(v: SSAValue) -> bool:
    return isinstance(v.type, TensorType) and len(v.type.get_shape()) == 4


def wrap_group(plan: GroupPlan, addr: Addr | None = None) -> tpu.GroupOp:
    """Move the plan's members into a `tpu.group` with its slicing: a `tpu.load` per input
    (rows and batch of every slice, halos included; its LMEM buffer) and a `tpu.store` per
    result read after the group (yielded); later uses read the group's results. With `addr`
    the loads and stores get their DDR addresses; without, `assign-gmem` fills them."""

    def gmem(v: SSAValue) -> dict[str, int]:
        return {} if addr is None else {"global_addr": addr(v)}

    ops = [m.op for m in plan.members]
    inside = set(ops)
    block = ops[0].parent_block()
    assert block is not None
    body = Block()
    group_at = ops[0]
    # weights a member reads must dominate the group
    for o in ops:
        for v in o.operands:
            w = v.owner
            if isinstance(w, nntc_top.WeightOp) and w.parent_block() is block:
                if block.get_operation_index(w) > block.get_operation_index(group_at):
                    w.detach()
                    block.insert_op_before(w, group_at)
    for v in plan.loaded:
        if not _rank4(v):
            continue
        load = tpu.LoadOp(v, local_addr=plan.bufs[v][0].off, **gmem(v), **_slices_of(plan, v))
        body.add_op(load)
        for use in list(v.uses):
            if use.operation in inside:
                use.operation.operands[use.index] = load.output
    results: list[SSAValue] = []
    stores: list[tpu.StoreOp] = []
    for v in plan.stored:
        if _rank4(v):
            st = tpu.StoreOp(v, local_addr=plan.bufs[v][0].off, **gmem(v), **_slices_of(plan, v))
            stores.append(st)
            results.append(st.output)
        else:
            results.append(v)
    group = tpu.GroupOp(
        [r.type for r in results],
        Region(body),
        n_slices=plan.n_slices,
        h_slices=plan.h_slices,
        swpipl_stage_num=3 if len(plan.geoms) > 1 else 1,
    )
    block.insert_op_before(group, group_at)
    for v, r in zip(plan.stored, group.results, strict=True):
        for use in list(v.uses):
            if use.operation not in inside and not isinstance(use.operation, tpu.StoreOp):
                use.operation.operands[use.index] = r
    for o in ops:
        o.detach()
        body.add_op(o)
    body.add_ops(stores)
    body.add_op(tpu.YieldOp(*results))
    return group


@dataclass(frozen=True)
class LayerGroupPass(ModulePass):
    """Choose the layer groups (the module docstring) and wrap each in a `tpu.group` that shows
    the decision: `slices(n_slices, h_slices)`, a `tpu.load` per input with the batch and the
    rows (halo included) of every slice and the LMEM offset of its buffer, a `tpu.store` per
    result read after the group. `lower-to-bm1684x` runs the groups as given. Runs before
    `assign-gmem`, which places each group as one step and fills the loads' and stores'
    `gmem(...)`; after it, the addresses could not keep slices apart (module docstring)."""

    name = "layer-group"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # the lowering chooses the arena of each unit; imported here, it imports this module
        from nntc.passes.lower_to_bm1684x import ARENA_BYTES, make_plan
        from nntc.passes.lowering.lmem import Arena

        funcs = [o for o in op.ops if isinstance(o, func.FuncOp)]
        if len(funcs) != 1:
            raise DiagnosticException(f"layer-group: expected one func.func, got {len(funcs)}")
        if GMEM_STATS_ATTR in op.attributes:
            raise DiagnosticException(
                "layer-group: the module already has DDR addresses: run layer-group before "
                "assign-gmem (it places a group's inputs and results as one step)"
            )
        ops = [
            (o, op_name(o, i))
            for i, o in enumerate(funcs[0].body.block.ops)
            if not isinstance(o, nntc_top.WeightOp | func.ReturnOp)
        ]
        alone: dict[int, int | None] = {}
        units = i = 0
        while i < len(ops):
            o, name = ops[i]
            arena = ((units % 2) * ARENA_BYTES, ARENA_BYTES)
            if isinstance(o, tpu.GroupOp):
                units += 1
                i += 1
                continue
            best = grow_group(ops, i, arena, alone, UNPLACED)
            if best is not None:
                wrap_group(best)
                units += 1
                i += len(best.members)
                continue
            try:
                units += make_plan(o, name, Arena(*arena), UNPLACED).uses_lmem
            except (CannotLower, LmemOverflow):
                pass  # the lowering reports it
            i += 1


__all__ = [
    "GroupPlan",
    "LayerGroupPass",
    "grow_group",
    "group_plan_of",
    "resolve_addr",
    "wrap_group",
    "Member",
    "NotGroupable",
    "UNPLACED",
    "dma_cycles",
    "plan_group",
    "plan_slicing",
]
