"""Which layer each command belongs to: the `<bmodel>.layers.json` side file.

Vendor command streams carry no source locations, and nntc's bmodels do not record them yet, so
a per-layer breakdown of the simulated cycles needs a map from command ranges to layer names.
The side file is JSON: one entry per command group (in the order of the net's groups), each a
list of layers:

    [
      [
        {"name": "conv1", "tiu": [0, 16], "gdma": [0, 2]},
        {"name": "pool", "tiu": [17, 18], "gdma": null}
      ]
    ]

`tiu` and `gdma` are inclusive ranges of 0-based indices into that group's TIU and GDMA queue
(the end command included, if one wants it counted); `null` or a missing key means the layer
has no command on that engine. A net with a single group may give the layer list alone,
without the outer list. Ranges of one engine in one group must not overlap; commands in no
range are reported under `UNASSIGNED`. `nntc-sim` reads `X.bmodel.layers.json` next to the
bmodel when it exists, or the file given with `--layers`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from nntc.targets.bm1684x.codec import Engine
from nntc.targets.bm1684x.simulator.memory import SimulationError

__all__ = ["UNASSIGNED", "LayerMap", "load_layer_map", "parse_layer_map"]

UNASSIGNED = "(unassigned)"
"""The layer name of a command that no range of the side file covers."""


@dataclass(frozen=True)
class LayerMap:
    """Layer name by (group, engine, queue index)."""

    names: dict[tuple[int, Engine, int], str]
    order: tuple[str, ...]
    """Layer names in the order the side file first gives them (the report keeps it)."""

    def layer(self, group: int, engine: Engine, index: int) -> str:
        return self.names.get((group, engine, index), UNASSIGNED)


def _range(value: object, where: str, length: int) -> range:
    if value is None:
        return range(0)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise SimulationError(f"{where}: expected [first, last] integers, got {value!r}")
    first, last = value
    if not 0 <= first <= last < length:
        raise SimulationError(
            f"{where}: range [{first}, {last}] is not inside the queue of {length} commands"
        )
    return range(first, last + 1)


def parse_layer_map(data: object, queue_lengths: Sequence[tuple[int, int]]) -> LayerMap:
    """Check a decoded side file against the net's groups ((TIU, GDMA) queue lengths)."""
    if isinstance(data, list) and data and all(isinstance(e, dict) for e in data):
        data = [data]  # a single group's layer list
    if not isinstance(data, list) or not all(isinstance(g, list) for g in data):
        raise SimulationError("layer map: expected a list of groups, each a list of layers")
    if len(data) != len(queue_lengths):
        raise SimulationError(
            f"layer map: has {len(data)} group(s), the net has {len(queue_lengths)}"
        )
    names: dict[tuple[int, Engine, int], str] = {}
    order: list[str] = []
    for g, (layers, lengths) in enumerate(zip(data, queue_lengths, strict=True)):
        for i, entry in enumerate(layers):
            where = f"layer map group {g} entry {i}"
            if not isinstance(entry, dict):
                raise SimulationError(f"{where}: expected an object, got {entry!r}")
            unknown = sorted(set(entry) - {"name", "tiu", "gdma"})
            if unknown:
                raise SimulationError(f"{where}: unknown key {unknown[0]!r}")
            name = entry.get("name")
            if not isinstance(name, str) or not name:
                raise SimulationError(f"{where}: 'name' must be a non-empty string")
            if name not in order:
                order.append(name)
            for engine, key, length in ((Engine.TIU, "tiu", lengths[0]),
                                        (Engine.GDMA, "gdma", lengths[1])):  # fmt: skip
                for index in _range(entry.get(key), f"{where} ({name!r}) {key}", length):
                    other = names.get((g, engine, index))
                    if other is not None:
                        raise SimulationError(
                            f"{where} ({name!r}): {key} command {index} is already in layer "
                            f"{other!r}"
                        )
                    names[(g, engine, index)] = name
    return LayerMap(names, tuple(order))


def load_layer_map(
    path: str | os.PathLike[str], queue_lengths: Sequence[tuple[int, int]]
) -> LayerMap:
    """Read and check a `.layers.json` side file."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise SimulationError(f"{os.fspath(path)}: not valid JSON ({e})") from None
    try:
        return parse_layer_map(data, queue_lengths)
    except SimulationError as e:
        raise SimulationError(f"{os.fspath(path)}: {e}") from None
