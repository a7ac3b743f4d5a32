"""The command-level event loop: TIU and GDMA as two in-order engines that wait on each other.

Per command group, each engine runs its queue in order. A command starts when its engine has
finished the previous one and, if its `cmd_id_dep` is not 0, when the other engine's command with
that id has finished (TIU waits on GDMA ids, GDMA on TIU ids; isa.md §3.1). Of the two queue
heads, the one that can start first is executed next (ties: GDMA first, as the vendor debugger
merges the queues), so the functional order is one the hardware could have produced. A group
starts when the previous one has finished on both engines; ids restart in every group.

Every step either executes a command or raises: when neither head can start, the run stops with
a deadlock error naming the waiting command(s). Any `SimulationError` from a command is re-raised
as `CommandError` naming group, engine, index and op.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from nntc.targets.bm1684x.chip import CLOCK_HZ, ChipTiming
from nntc.targets.bm1684x.codec import Command, Engine
from nntc.targets.bm1684x.cost import gdma_cycles, tiu_cycles
from nntc.targets.bm1684x.simulator.gdma import execute_gdma
from nntc.targets.bm1684x.simulator.layers import LayerMap
from nntc.targets.bm1684x.simulator.memory import Memory, SimulationError
from nntc.targets.bm1684x.simulator.tiu import execute_tiu

__all__ = ["CommandError", "CommandGroup", "Record", "Timeline", "run_groups"]


class CommandError(SimulationError):
    """A command that failed, located by group, engine, queue index and op."""

    def __init__(self, group: int, engine: Engine, index: int, op: str, message: str) -> None:
        super().__init__(f"group {group}, {engine.value} command {index} ({op}): {message}")
        self.group = group
        self.engine = engine
        self.index = index
        self.op = op


@dataclass(frozen=True)
class CommandGroup:
    """The two decoded queues of one bmodel CmdGroup."""

    tiu: list[Command]
    gdma: list[Command]


@dataclass(frozen=True)
class Record:
    """When one command ran."""

    group: int
    engine: Engine
    index: int
    cmd_id: int
    dep: int
    op: str
    start: int
    end: int
    layer: str | None = None
    """The layer of the command from the layer map, None without one."""


@dataclass
class Timeline:
    """The result of timing a program: every command's record and the totals."""

    records: list[Record] = field(default_factory=list)
    cycles: int = 0
    layer_order: tuple[str, ...] = ()
    """Layer names in the layer map's order (empty: no layer map)."""

    def busy(self, engine: Engine) -> int:
        return sum(r.end - r.start for r in self.records if r.engine is engine)

    def report(self, timing: ChipTiming) -> dict[str, object]:
        """The `R.json` dictionary."""
        tiu, gdma = self.busy(Engine.TIU), self.busy(Engine.GDMA)
        by_op: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "cycles": 0})
        for r in self.records:
            by_op[r.op]["count"] += 1
            by_op[r.op]["cycles"] += r.end - r.start
        report: dict[str, object] = {
            "cycles": self.cycles,
            "latency_ms": self.cycles / CLOCK_HZ * 1e3,
            "tiu_busy_cycles": tiu,
            "gdma_busy_cycles": gdma,
            "tiu_idle_cycles": self.cycles - tiu,
            "gdma_idle_cycles": self.cycles - gdma,
            "commands": len(self.records),
            "clock_hz": CLOCK_HZ,
            "ddr_bandwidth_gbps": timing.ddr_bandwidth_gbps,
            "by_op": dict(sorted(by_op.items())),
        }
        if any(r.layer is not None for r in self.records):
            report["by_layer"] = self.by_layer()
        return report

    def by_layer(self) -> dict[str, dict[str, int]]:
        """Per layer: commands, busy cycles per engine, and the span from its first start to
        its last end (layers overlap in time when the engines run them in parallel)."""
        rows: dict[str, dict[str, int]] = {}
        for name in (*self.layer_order, *(r.layer for r in self.records)):
            if name is not None and name not in rows:
                rows[name] = {"commands": 0, "tiu_cycles": 0, "gdma_cycles": 0,
                              "start": -1, "end": 0}  # fmt: skip
        for r in self.records:
            if r.layer is None:
                continue
            row = rows[r.layer]
            row["commands"] += 1
            row["tiu_cycles" if r.engine is Engine.TIU else "gdma_cycles"] += r.end - r.start
            row["start"] = r.start if row["start"] < 0 else min(row["start"], r.start)
            row["end"] = max(row["end"], r.end)
        for row in rows.values():
            row["start"] = max(row["start"], 0)
            row["span_cycles"] = row["end"] - row["start"]
        return rows

    def chrome_trace(self) -> dict[str, object]:
        """A Chrome / Perfetto trace: one track per engine, a slice per command (ts in us)."""
        events: list[dict[str, object]] = [
            {"name": "process_name", "ph": "M", "pid": 0, "args": {"name": "BM1684X"}},
        ]
        for tid, engine in enumerate((Engine.TIU, Engine.GDMA)):
            events.append(
                {
                    "name": "thread_name",
                    "ph": "M",
                    "pid": 0,
                    "tid": tid,
                    "args": {"name": engine.value},
                }  # fmt: skip
            )
        for r in self.records:
            events.append(
                {
                    "name": r.op,
                    "cat": r.engine.value,
                    "ph": "X",
                    "pid": 0,
                    "tid": 0 if r.engine is Engine.TIU else 1,
                    "ts": r.start * 1e6 / CLOCK_HZ,
                    "dur": (r.end - r.start) * 1e6 / CLOCK_HZ,
                    "args": {
                        **({"layer": r.layer} if r.layer is not None else {}),
                        "group": r.group,
                        "index": r.index,
                        "cmd_id": r.cmd_id,
                        "cmd_id_dep": r.dep,
                        "cycles": r.end - r.start,
                    },
                }
            )
        return {"traceEvents": events, "displayTimeUnit": "ns"}


_OTHER = {Engine.TIU: Engine.GDMA, Engine.GDMA: Engine.TIU}


def _done_at(finished: list[tuple[int, int]], dep: int) -> int | None:
    """End time of the first finished command whose id reached `dep` (ids increase in order)."""
    for cmd_id, end in finished:
        if cmd_id >= dep:
            return end
    return None


def run_groups(
    groups: list[CommandGroup],
    mem: Memory | None,
    timing: ChipTiming,
    layers: LayerMap | None = None,
) -> Timeline:
    """Run every group in order; `mem` None times the commands without executing them.

    With a layer map every record carries its layer name (for the report and the trace)."""
    timeline = Timeline(layer_order=layers.order if layers is not None else ())
    now = 0
    for g, group in enumerate(groups):
        queues = {Engine.TIU: group.tiu, Engine.GDMA: group.gdma}
        pos = {Engine.TIU: 0, Engine.GDMA: 0}
        free = {Engine.TIU: now, Engine.GDMA: now}
        finished: dict[Engine, list[tuple[int, int]]] = {Engine.TIU: [], Engine.GDMA: []}
        while any(pos[e] < len(queues[e]) for e in queues):
            best: tuple[int, int, Engine] | None = None
            for order, engine in enumerate((Engine.GDMA, Engine.TIU)):
                if pos[engine] >= len(queues[engine]):
                    continue
                cmd = queues[engine][pos[engine]]
                dep = cmd.fields.get("cmd_id_dep", 0)
                ready = now if dep == 0 else _done_at(finished[_OTHER[engine]], dep)
                if ready is None:
                    continue
                start = max(free[engine], ready)
                if best is None or (start, order) < best[:2]:
                    best = (start, order, engine)
            if best is None:
                raise _deadlock(g, queues, pos, finished)
            start, _, engine = best
            index = pos[engine]
            cmd = queues[engine][index]
            op = cmd.op_name
            try:
                if engine is Engine.TIU:
                    cost = tiu_cycles(cmd)
                    if mem is not None:
                        execute_tiu(cmd, mem)
                else:
                    cost = gdma_cycles(cmd, timing)
                    if mem is not None:
                        execute_gdma(cmd, mem)
            except CommandError:
                raise
            except (SimulationError, KeyError, ValueError) as e:
                raise CommandError(g, engine, index, op, str(e)) from e
            end = start + cost
            cmd_id = cmd.fields.get("cmd_id", 0)
            layer = layers.layer(g, engine, index) if layers is not None else None
            dep = cmd.fields.get("cmd_id_dep", 0)
            timeline.records.append(Record(g, engine, index, cmd_id, dep, op, start, end, layer))
            finished[engine].append((cmd_id, end))
            free[engine] = end
            pos[engine] += 1
        now = max(free.values())
    timeline.cycles = now
    return timeline


def _deadlock(
    g: int,
    queues: dict[Engine, list[Command]],
    pos: dict[Engine, int],
    finished: dict[Engine, list[tuple[int, int]]],
) -> CommandError:
    """The error for two queue heads that can never start (or one, the other queue empty)."""
    waiting = []
    for engine in (Engine.TIU, Engine.GDMA):
        if pos[engine] < len(queues[engine]):
            cmd = queues[engine][pos[engine]]
            other = _OTHER[engine]
            last = finished[other][-1][0] if finished[other] else 0
            waiting.append((engine, pos[engine], cmd, other, last))
    engine, index, cmd, other, last = waiting[0]
    dep = cmd.fields.get("cmd_id_dep", 0)
    if len(waiting) == 1:
        why = f"{other.value} queue finished at id {last}"
    else:
        o_engine, o_index, o_cmd, _, _ = waiting[1]
        why = (
            f"{o_engine.value} command {o_index} ({o_cmd.op_name}) waits for "
            f"{engine.value} id {o_cmd.fields.get('cmd_id_dep', 0)}"
        )
    return CommandError(
        g,
        engine,
        index,
        cmd.op_name,
        f"deadlock: waits for {other.value} id {dep}, which never finishes ({why})",
    )
