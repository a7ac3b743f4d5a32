"""The BM1684X functional and timing simulator: run a bmodel's command queues on numpy.

    sim = Simulator("tiny_cnn_f32.bmodel")         # load and decode once
    result = sim.run({"input": x})                  # run many inputs
    result.outputs["output_Gemm"], result.report["cycles"], result.trace

A `Simulator` reads the bmodel, decodes every command group's TIU and GDMA queues, and lays out
global memory: the weights (`coeff_mem`) at their address and a window covering the net's
context (activation) area and its input/output tensors. `run` copies the weights and the
inputs into a fresh memory, runs the queues with `engine.run_groups` and reads the outputs back.
Inputs whose first dimension is a multiple of the compiled batch run one batch after another,
and the outputs are concatenated; the report gives one batch's cycles and `total_cycles`.
Scalar (rank-0) inputs have no batch: every batch reads them whole; a net with a scalar output
runs one batch.

`time_only()` gives the timing report without executing any command (the cost model needs
only the fields). Errors are `SimulationError` (`engine.CommandError` names the command).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from nntc.targets.bm1684x.bmodel import BModel, NetParameter, Tensor, read_bmodel
from nntc.targets.bm1684x.chip import GMEM_ALIGNMENT, GMEM_BASE, ChipTiming
from nntc.targets.bm1684x.codec import CodecError, Engine, decode_queue
from nntc.targets.bm1684x.simulator.engine import (
    CommandError,
    CommandGroup,
    Record,
    Timeline,
    run_groups,
)
from nntc.targets.bm1684x.simulator.layers import LayerMap, load_layer_map, parse_layer_map
from nntc.targets.bm1684x.simulator.memory import (
    Memory,
    SimulationError,
    bf16_bits,
    default_static_image,
)

__all__ = [
    "CommandError",
    "CommandGroup",
    "LayerMap",
    "Record",
    "SimResult",
    "SimulationError",
    "Simulator",
    "TensorInfo",
]

# bmodel Tensor.data_type -> numpy type of the stored element (bmodel.md; BF16 as its bits)
_BMODEL_DTYPES: dict[int, np.dtype] = {
    0: np.dtype(np.float32),
    1: np.dtype(np.float16),
    2: np.dtype(np.int8),
    3: np.dtype(np.uint8),
    4: np.dtype(np.int16),
    5: np.dtype(np.uint16),
    6: np.dtype(np.int32),
    7: np.dtype(np.uint32),
    8: np.dtype(np.uint16),
}
_BF16 = 8


@dataclass(frozen=True)
class TensorInfo:
    """An input or output of the net: where it lives and what it holds."""

    name: str
    shape: tuple[int, ...]
    data_type: int
    device_addr: int
    size: int

    @property
    def dtype(self) -> np.dtype:
        """The numpy type a user passes or receives (BF16 is handed over as float32)."""
        return np.dtype(np.float32) if self.data_type == _BF16 else _BMODEL_DTYPES[self.data_type]


@dataclass
class SimResult:
    """Outputs by name, the `R.json` report and, when asked for, the Chrome trace."""

    outputs: dict[str, np.ndarray]
    report: dict[str, object]
    trace: dict[str, object] | None = None
    timelines: list[Timeline] = field(default_factory=list)


def _tensor_info(t: Tensor) -> TensorInfo:
    if t.data_type not in _BMODEL_DTYPES:
        raise SimulationError(f"tensor {t.name!r}: data type {t.data_type} is not supported")
    shape = tuple(int(d) for d in (t.shape[0].dim or [])) if t.shape else ()
    return TensorInfo(t.name, shape, t.data_type, t.device_addr, t.size)


class Simulator:
    """One net of a bmodel, decoded once and ready to run on many inputs."""

    def __init__(
        self,
        bmodel: BModel | bytes | str | os.PathLike[str],
        net: int | str = 0,
        stage: int = 0,
        timing: ChipTiming | None = None,
        static_image: bytes | None = None,
        layers: str | os.PathLike[str] | list[object] | dict[str, object] | None = None,
    ) -> None:
        """`layers`: a `.layers.json` side file (path) or its decoded JSON (see `layers.py`);
        without it a bmodel given by path uses `<path>.layers.json` when that file exists."""
        bm = bmodel if isinstance(bmodel, BModel) else read_bmodel(bmodel)
        self.timing = timing or ChipTiming()
        nets = bm.model.net
        if isinstance(net, str):
            matches = [n for n in nets if n.name == net]
            if not matches:
                names = ", ".join(n.name for n in nets)
                raise SimulationError(f"the bmodel has no net {net!r} (it has: {names})")
            the_net = matches[0]
        else:
            if not 0 <= net < len(nets):
                raise SimulationError(f"net index {net} out of range (the bmodel has {len(nets)})")
            the_net = nets[net]
        params = the_net.parameter or []
        if not 0 <= stage < len(params):
            raise SimulationError(f"net {the_net.name!r} has no stage {stage}")
        self.net_name = the_net.name
        param = params[stage]
        self.inputs = [_tensor_info(t) for t in param.input_tensor]
        self.outputs = [_tensor_info(t) for t in param.output_tensor]
        self.groups = self._decode_groups(bm, param)
        self._coeff: tuple[int, bytes] | None = None
        if param.coeff_mem is not None and param.coeff_mem.binary_coeff is not None:
            self._coeff = (param.coeff_mem.address, bm.binary(param.coeff_mem.binary_coeff))
        self._gmem_base, self._gmem_size = self._gmem_window(param)
        self._static = default_static_image() if static_image is None else static_image
        self.layers = self._layer_map(bmodel, layers)

    # --- loading ---------------------------------------------------------------------------
    @staticmethod
    def _decode_groups(bm: BModel, param: NetParameter) -> list[CommandGroup]:
        if param.is_dynamic:
            raise SimulationError("dynamic nets are not supported")
        subnets = param.sub_net or []
        if any(s.subnet_mode != 0 for s in subnets):
            raise SimulationError("nets with CPU subnets are not supported")
        cmd_groups = list(param.cmd_group or [])
        if not cmd_groups:
            for s in subnets:
                cmd_groups.extend(s.cmd_group or [])
        groups = []
        for i, cg in enumerate(cmd_groups):
            try:
                tiu = decode_queue(bm.binary(cg.binary_bdc), Engine.TIU) if cg.binary_bdc else []
                gdma = (
                    decode_queue(bm.binary(cg.binary_gdma), Engine.GDMA) if cg.binary_gdma else []
                )
            except CodecError as e:
                raise SimulationError(f"group {i}: cannot decode the commands: {e}") from e
            groups.append(CommandGroup(tiu, gdma))
        return groups

    def _gmem_window(self, param: NetParameter) -> tuple[int, int]:
        spans: list[tuple[int, int]] = []
        if self._coeff is not None:
            spans.append((self._coeff[0], len(self._coeff[1])))
        spans.append((param.ctx_addr, param.ctx_size))
        spans.extend((t.device_addr, t.size) for t in (*self.inputs, *self.outputs))
        if param.io_size:
            spans.append((param.io_addr, param.io_size))
        spans = [(a, s) for a, s in spans if s > 0 and a >= GMEM_BASE]
        if not spans:
            return GMEM_BASE, 0
        lo = min(a for a, _ in spans) // GMEM_ALIGNMENT * GMEM_ALIGNMENT
        hi = max(a + s for a, s in spans)
        hi = -(-hi // GMEM_ALIGNMENT) * GMEM_ALIGNMENT
        return lo, hi - lo

    def _layer_map(
        self,
        bmodel: object,
        layers: str | os.PathLike[str] | list[object] | dict[str, object] | None,
    ) -> LayerMap | None:
        lengths = [(len(g.tiu), len(g.gdma)) for g in self.groups]
        if isinstance(layers, str | os.PathLike):
            return load_layer_map(layers, lengths)
        if layers is not None:
            return parse_layer_map(layers, lengths)
        if isinstance(bmodel, str | os.PathLike):
            side = os.fspath(bmodel) + ".layers.json"
            if os.path.exists(side):
                return load_layer_map(side, lengths)
        return None

    @property
    def command_count(self) -> int:
        return sum(len(g.tiu) + len(g.gdma) for g in self.groups)

    # --- running ---------------------------------------------------------------------------
    def _fresh_memory(self) -> Memory:
        mem = Memory(self._gmem_base, self._gmem_size)
        if self._coeff is not None:
            mem.load_bytes(*self._coeff)
        mem.static[: len(self._static)] = np.frombuffer(self._static, dtype=np.uint8)
        return mem

    def _batches(self, inputs: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], int]:
        unknown = sorted(set(inputs) - {t.name for t in self.inputs})
        if unknown:
            raise SimulationError(
                f"unknown input {unknown[0]!r}; the net's inputs are "
                + ", ".join(repr(t.name) for t in self.inputs)
            )
        arrays, count = [], None
        for t in self.inputs:
            if t.name not in inputs:
                raise SimulationError(f"missing input {t.name!r}")
            x = np.asarray(inputs[t.name])
            if not t.shape:
                # a scalar (a bound, a ratio) has no batch to split: every batch reads it whole
                if x.ndim:
                    raise SimulationError(
                        f"input {t.name!r} has shape {list(x.shape)}, the net expects a scalar"
                    )
                arrays.append(x)
                continue
            if x.ndim != len(t.shape) or x.shape[1:] != t.shape[1:]:
                raise SimulationError(
                    f"input {t.name!r} has shape {list(x.shape)}, the net expects "
                    f"{list(t.shape)} (the first dimension may be a multiple)"
                )
            batch = t.shape[0]
            if batch == 0 or x.shape[0] % batch or x.shape[0] == 0:
                raise SimulationError(
                    f"input {t.name!r}: first dimension {x.shape[0]} is not a multiple of the "
                    f"compiled batch {batch}"
                )
            runs = x.shape[0] // batch
            if count is not None and runs != count:
                raise SimulationError("inputs hold different numbers of batches")
            count = runs
            arrays.append(x)
        count = count or 1
        scalar = next((t.name for t in self.outputs if not t.shape), None)
        if count > 1 and scalar is not None:
            raise SimulationError(
                f"output {scalar!r} is a scalar: the inputs must hold one batch, not {count}"
            )
        return arrays, count

    def _store_input(self, mem: Memory, t: TensorInfo, x: np.ndarray) -> None:
        if t.data_type == _BF16:
            raw = bf16_bits(np.asarray(x, dtype=np.float32))
        else:
            raw = np.ascontiguousarray(x, dtype=t.dtype)
        data = raw.reshape(-1).view(np.uint8)
        if data.size > t.size:
            raise SimulationError(
                f"input {t.name!r} needs {data.size} bytes, the bmodel gives it {t.size}"
            )
        mem.load_bytes(t.device_addr, data)

    def _load_output(self, mem: Memory, t: TensorInfo) -> np.ndarray:
        stored = _BMODEL_DTYPES[t.data_type]
        count = int(np.prod(t.shape)) if t.shape else 1
        raw = mem.read_bytes(t.device_addr, count * stored.itemsize).view(stored)
        if t.data_type == _BF16:
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.reshape(t.shape)

    def run(self, inputs: Mapping[str, np.ndarray], trace: bool = False) -> SimResult:
        """Run the net functionally and with timing on `inputs` (by input name)."""
        arrays, count = self._batches(inputs)
        outs: dict[str, list[np.ndarray]] = {t.name: [] for t in self.outputs}
        timelines = []
        for b in range(count):
            mem = self._fresh_memory()
            for t, x in zip(self.inputs, arrays, strict=True):
                batch = t.shape[0] if t.shape else 0
                self._store_input(mem, t, x[b * batch : (b + 1) * batch] if t.shape else x)
            timelines.append(run_groups(self.groups, mem, self.timing, self.layers))
            for t in self.outputs:
                outs[t.name].append(self._load_output(mem, t))
        # a scalar output comes from a single batch (`_batches`)
        outputs = {
            name: np.concatenate(parts, axis=0) if parts[0].ndim else parts[0]
            for name, parts in outs.items()
        }
        return self._result(outputs, timelines, trace)

    def time_only(self, trace: bool = False) -> SimResult:
        """The timing of one batch without executing the commands (no outputs)."""
        return self._result({}, [run_groups(self.groups, None, self.timing, self.layers)], trace)

    def _result(
        self, outputs: dict[str, np.ndarray], timelines: list[Timeline], trace: bool
    ) -> SimResult:
        # cycles and latency are those of one batch (one inference); the total covers all
        report = timelines[0].report(self.timing)
        report["total_cycles"] = sum(t.cycles for t in timelines)
        report["batches"] = len(timelines)
        report["net"] = self.net_name
        return SimResult(outputs, report, timelines[0].chrome_trace() if trace else None, timelines)
