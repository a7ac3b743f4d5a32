"""The two command queues of one BM1684X command group, with their sync ids.

`Program` appends TIU and GDMA instructions (`bm1684x` dialect ops) in *program order*, the
order in which a serial machine would run them, and numbers each engine's commands 1, 2, ...
Every command declares the local memory it reads and writes (per-lane byte ranges: a local
tensor occupies the same offsets on every lane it uses, so lanes need not be told apart). From
that the program computes `cmd_id_dep`: a command waits for the last command of the *other*
engine that it conflicts with (read after write, write after read, write after write on
overlapping ranges). Both engines run in order, so waiting for id k covers every earlier command
of that engine; what an engine has already waited for is remembered and not waited for again.

Global memory needs no tracking: only the GDMA touches it, in queue order.

Program order therefore only needs to be *a* correct serial order; `emit` order is free to put
a GDMA load early (prefetch) as long as what it overwrites was emitted before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nntc.dialects.bm1684x import (
    CmdGroupOp,
    DmaSysSp,
    GdmaOp,
    GdmaSysOp,
    InstructionOp,
    SysEu,
    TiuOp,
    TiuSysOp,
)

Range = tuple[int, int]
"""`[start, end)` byte offsets inside a lane."""

TIU = "tiu"
GDMA = "gdma"


@dataclass
class _Access:
    cmd_id: int
    start: int
    end: int
    write: bool


@dataclass
class LayerSpan:
    """The commands one layer emitted: inclusive 0-based index ranges in each queue."""

    name: str
    tiu: list[int] = field(default_factory=list)
    gdma: list[int] = field(default_factory=list)


@dataclass
class Program:
    """TIU and GDMA queues under construction (see the module docstring)."""

    tiu: list[TiuOp] = field(default_factory=list)
    gdma: list[GdmaOp] = field(default_factory=list)
    _history: dict[str, list[_Access]] = field(default_factory=lambda: {TIU: [], GDMA: []})
    _waited: dict[str, int] = field(default_factory=lambda: {TIU: 0, GDMA: 0})
    layers: list[LayerSpan] = field(default_factory=list)
    _layer: LayerSpan | None = None

    def new_layer(self, name: str) -> LayerSpan:
        """A layer to attribute commands to (for the simulator's layer map)."""
        span = LayerSpan(name)
        self.layers.append(span)
        return span

    def attribute_to(self, span: LayerSpan | None) -> LayerSpan | None:
        """Attribute the following commands to `span`; returns the previous one."""
        previous, self._layer = self._layer, span
        return previous

    def _dep(self, engine: str, reads: list[Range], writes: list[Range]) -> int:
        other = GDMA if engine == TIU else TIU
        floor = self._waited[engine]
        dep = 0
        for acc in self._history[other]:
            if acc.cmd_id <= floor or acc.cmd_id <= dep:
                continue
            for lo, hi, is_write in [(r[0], r[1], False) for r in reads] + [
                (w[0], w[1], True) for w in writes
            ]:
                if lo < acc.end and acc.start < hi and (acc.write or is_write):
                    dep = acc.cmd_id
                    break
        if dep > floor:
            self._waited[engine] = dep
            # what this engine has now waited for never needs checking again
            self._history[other] = [a for a in self._history[other] if a.cmd_id > dep]
        return dep

    def _record(self, engine: str, cmd_id: int, reads: list[Range], writes: list[Range]) -> None:
        hist = self._history[engine]
        for lo, hi in reads:
            hist.append(_Access(cmd_id, lo, hi, False))
        for lo, hi in writes:
            hist.append(_Access(cmd_id, lo, hi, True))
        if self._layer is not None:
            spans = self._layer.tiu if engine == TIU else self._layer.gdma
            spans.append(cmd_id - 1)

    def add(
        self,
        cls: type[InstructionOp],
        reads: list[Range] = (),  # type: ignore[assignment]
        writes: list[Range] = (),  # type: ignore[assignment]
        **fields: object,
    ) -> int:
        """Append one instruction of class `cls` with `fields`; returns its cmd_id."""
        engine = cls.ENGINE
        reads, writes = list(reads), list(writes)
        dep = self._dep(engine, reads, writes)
        queue: list = self.tiu if engine == TIU else self.gdma  # type: ignore[type-arg]
        cmd_id = len(queue) + 1
        queue.append(cls(cmd_id=cmd_id, cmd_id_dep=dep, **fields))
        self._record(engine, cmd_id, reads, writes)
        return cmd_id

    def finish(self) -> CmdGroupOp:
        """Close both queues with their end commands and build the command group."""
        self._layer = None
        tiu_end = TiuSysOp(tsk_eu_typ=SysEu.END, cmd_id=len(self.tiu) + 1, cmd_id_dep=0,
                           cmd_id_en=0)  # fmt: skip
        gdma_end = GdmaSysOp(
            cmd_special_function=DmaSysSp.END, cmd_id=len(self.gdma) + 1, cmd_id_dep=0
        )
        return CmdGroupOp([*self.tiu, tiu_end], [*self.gdma, gdma_end])

    def layer_map(self) -> list[dict[str, object]]:
        """The simulator's layer map of this group (`simulator/layers.py`): one entry per layer,
        each engine's range from its first to its last command, cut where a later layer's
        command (a prefetch) sits in between, so that ranges never overlap."""
        out: list[dict[str, object]] = []
        owner: dict[tuple[str, int], int] = {}
        for i, span in enumerate(self.layers):
            for idx in span.tiu:
                owner[(TIU, idx)] = i
            for idx in span.gdma:
                owner[(GDMA, idx)] = i
        for engine, count in ((TIU, len(self.tiu)), (GDMA, len(self.gdma))):
            runs: list[tuple[int, int, int]] = []
            for idx in range(count):
                who = owner.get((engine, idx))
                if who is None:
                    continue
                if runs and runs[-1][0] == who and runs[-1][2] == idx - 1:
                    runs[-1] = (who, runs[-1][1], idx)
                else:
                    runs.append((who, idx, idx))
            for who, lo, hi in runs:
                out.append({"name": self.layers[who].name, engine: [lo, hi]})
        return out
