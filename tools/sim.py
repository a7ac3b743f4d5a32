"""`nntc-sim`: run a BM1684X bmodel on the nntc simulator.

    nntc-sim X.bmodel --input IN.npz --output OUT.npz [--trace T.json] [--report R.json]
             [--layers L.json]

Reads the inputs from IN.npz by tensor name (a file with one array may use any key), runs the
net's command queues functionally and with timing, writes the outputs by tensor name to OUT.npz,
the report (cycles, latency_ms, per-engine busy/idle cycles, command count, per-op breakdown) to
R.json and a Chrome/Perfetto trace to T.json, and prints a short summary. With a layer map
(`--layers`, or `X.bmodel.layers.json` beside the bmodel; format in
`nntc.targets.bm1684x.simulator.layers`) the report breaks the cycles down by layer too
(`by_layer`) and each trace slice names its layer. Every file is written
atomically (a temporary file renamed into place). Errors are one line `nntc-sim: error: ...` on
stderr with exit code 1 (2 for a usage error); `--debug` shows the Python traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
import zipfile
from collections.abc import Sequence
from typing import NoReturn

import numpy as np

from nntc.targets.atomic import npz_bytes, write_atomically
from nntc.targets.bm1684x.bmodel import BModelError
from nntc.targets.bm1684x.chip import DEFAULT_DDR_BANDWIDTH_GBPS, ChipTiming
from nntc.targets.bm1684x.simulator import SimulationError, Simulator

PROG = "nntc-sim"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def _read_inputs(path: str, sim: Simulator) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, zipfile.BadZipFile, EOFError):
        raise SimulationError(f"{path}: not a readable .npz file of arrays") from None
    names = [t.name for t in sim.inputs]
    if len(names) == 1 and len(arrays) == 1 and names[0] not in arrays:
        return {names[0]: next(iter(arrays.values()))}
    return arrays


def _json_bytes(obj: object) -> bytes:
    return (json.dumps(obj, indent=1) + "\n").encode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description="Run a BM1684X bmodel on the nntc simulator.")
    parser.add_argument("bmodel", help="the bmodel to run")
    parser.add_argument("--input", required=True, metavar="IN.npz", help="inputs by tensor name")
    parser.add_argument("--output", metavar="OUT.npz", help="write the outputs here")
    parser.add_argument("--trace", metavar="T.json", help="write a Chrome/Perfetto trace here")
    parser.add_argument("--report", metavar="R.json", help="write the timing report here")
    parser.add_argument("--net", default="0", help="net name or index (default: the first)")
    parser.add_argument(
        "--layers",
        metavar="L.json",
        help="command ranges -> layer names (default: X.bmodel.layers.json if present)",
    )
    parser.add_argument(
        "--ddr-bandwidth",
        type=float,
        default=DEFAULT_DDR_BANDWIDTH_GBPS,
        metavar="GBPS",
        help=f"DDR bandwidth of the cost model (default {DEFAULT_DDR_BANDWIDTH_GBPS})",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an error"
    )
    args = parser.parse_args(argv)
    if args.ddr_bandwidth <= 0:
        parser.error("--ddr-bandwidth must be positive")
    try:
        net: int | str = int(args.net) if args.net.isdigit() else args.net
        sim = Simulator(
            args.bmodel, net=net, timing=ChipTiming(args.ddr_bandwidth), layers=args.layers
        )
        inputs = _read_inputs(args.input, sim)
        result = sim.run(inputs, trace=args.trace is not None)
        if args.output:
            write_atomically(args.output, npz_bytes(result.outputs))
        if args.report:
            write_atomically(args.report, _json_bytes(result.report))
        if args.trace and result.trace is not None:
            write_atomically(args.trace, _json_bytes(result.trace))
    except (SimulationError, BModelError, OSError) as e:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    r = result.report
    print(
        f"{sim.net_name}: {r['batches']} batch(es), {r['commands']} commands, {r['cycles']} "
        f"cycles ({float(r['latency_ms']):.6f} ms at 1 GHz) per batch; TIU busy "  # type: ignore[arg-type]
        f"{r['tiu_busy_cycles']}, GDMA busy {r['gdma_busy_cycles']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
