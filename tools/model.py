"""`nntc-model`: look inside a bmodel, like the vendor SDK's `model_tool` / `tpu_model`.

`nntc-model --info X.bmodel` prints what `model_tool --info` prints: the version, chip and
creation time, the kernel module, every net and stage with its inputs and outputs (name, shape,
data type, scale, zero point), and the device memory split into weights, instructions and
runtime (activation) bytes.

`nntc-model --dis X.bmodel` prints every command group's TIU and GDMA queues as the BM1684X
assembly listing (`-t bm1684x-asm`; `--order queue` lists the TIU queue, then the GDMA queue);
the listing reads back with `nntc-opt -f bmasm` / the `.bmasm` extension.

`nntc-model --to-mlir X.bmodel -o X.mlir` writes the bmodel as `bm1684x` IR, its weights and
kernel module beside it in `X.npz`; `nntc-model --from-mlir X.mlir -o Y.bmodel` writes it back
(byte-identical when nothing changed; atomic; the creation time of IR without one comes from
`SOURCE_DATE_EPOCH` when set). `nntc-model --from-mlir prog.bmasm -o Y.bmodel` accepts a
hand-written listing too.

Errors are one line `nntc-model: error: ...` on stderr with exit code 1 (2 for a usage error);
`--debug` shows the Python traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, TextIO

from nntc.targets.bm1684x.bmodel import (
    DATA_TYPE_NAMES,
    FILE_ALIGNMENT,
    HEADER_SIZE,
    Binary,
    BModel,
    BModelError,
    NetParameter,
    Tensor,
    read_bmodel,
)

PROG = "nntc-model"
_RULE = "=" * 42
_KERNEL_MODES = {0: "normal"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, as for every other error (argparse would print the usage first)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _tensor_line(kind: str, t: Tensor) -> str:
    dims = t.shape[0].dim if t.shape and t.shape[0].dim is not None else []
    dtype = DATA_TYPE_NAMES.get(t.data_type, f"dtype{t.data_type}")
    # `:g` prints a float as C++'s ostream does by default (6 significant digits)
    return (
        f"{kind}: {t.name}, [{', '.join(map(str, dims))}], {dtype}, "
        f"scale: {t.scale:g}, zero_point: {t.zero_point}"
    )


def _instruction_bytes(p: NetParameter) -> int:
    """Bytes of the command buffers and the dynamic IR of one stage.

    A stage lists its command groups in `cmd_group` and again in its subnets; count them once,
    from the subnets when there are any.
    """
    groups = list(p.cmd_group or [])
    extra: list[Binary] = []
    if p.sub_net:
        groups = []
        for s in p.sub_net:
            groups += s.cmd_group or []
            for c in s.core_commands or []:
                groups += c.gdma_tiu_commands or []
                extra += (c.sdma_commands or []) + (c.hau_commands or [])
    total = sum(g.bdc_cmd_byte + g.gdma_cmd_byte for g in groups)
    total += sum(b.size for b in extra)
    return total + (p.binary_ir.size if p.binary_ir else 0)


def _is_4k_aligned(bm: BModel) -> bool:
    def starts(obj: object) -> list[int]:
        if isinstance(obj, Binary):
            return [obj.start]
        if isinstance(obj, list):
            return [s for x in obj for s in starts(x)]
        if hasattr(obj, "__dataclass_fields__"):
            return [s for name in obj.__dataclass_fields__ for s in starts(getattr(obj, name))]
        return []

    # a bmodel that was not read from a file has no header yet: write_bmodel pads it
    header_ok = (
        bm.header is None or (HEADER_SIZE + bm.header.flatbuffers_size) % FILE_ALIGNMENT == 0
    )
    return header_ok and all(s % FILE_ALIGNMENT == 0 for s in starts(bm.model))


def print_info(bm: BModel, out: TextIO) -> None:
    """Print `model_tool --info`'s summary of `bm`."""
    m = bm.model

    def say(line: str = "") -> None:
        out.write(line + "\n")

    say(f"bmodel version: {m.type}.{m.version}")
    say(f"chip: {m.chip}" + (f",  device num: {m.device_num}" if m.device_num > 1 else ""))
    say(f"create time: {(m.time or '').rstrip(chr(10))}")
    say()
    if m.kernel_module is None:
        say("kernel_module: not found!")
    else:
        k = m.kernel_module
        say(f"kernel_module name: {k.file_name}")
        say(f"kernel_module size: {k.binary.size}")
        say(f"kernel mode: {_KERNEL_MODES.get(k.mode, str(k.mode))}")
    if m.cpuop_module is not None and m.cpuop_module.binary.size:
        say(f"cpuop_module name: {m.cpuop_module.file_name}")
        say(f"cpuop_module size: {m.cpuop_module.binary.size}")

    weight = instruct = runtime = host_weight = host_runtime = 0
    for i, net in enumerate(m.net):
        stages = net.parameter or []
        dynamic = bool(stages) and stages[0].is_dynamic != 0
        say(_RULE)
        say(f"net {i}: [{net.name}]  {'dynamic' if dynamic else 'static'}")
        if net.addr_mode:
            say(f"addr mode: {net.addr_mode}")
        for j, p in enumerate(stages):
            say("------------")
            say(f"stage {j}, core num: {p.core_num or 1}")
            if p.sub_net is not None and len(p.sub_net) > 1:
                say(f"subnet number: {len(p.sub_net)}")
            for t in p.input_tensor:
                say(_tensor_line("input", t))
            for t in p.output_tensor:
                say(_tensor_line("output", t))
            if p.coeff_mem is not None and p.coeff_mem.binary_coeff is not None:
                weight += p.coeff_mem.binary_coeff.size
            instruct += _instruction_bytes(p)
            host_runtime += p.cpu_mem_size
            for s in p.sub_net or []:
                for cp in s.cpu_param or []:
                    for c in cp.cpu_const or []:
                        host_weight += c.const_data.size if c.const_data else 0
        # the stages of a net share one activation region, sized for the largest
        runtime += max((max(p.ctx_sizes or [p.ctx_size]) for p in stages), default=0)
    say()
    say(
        f"device mem size: {weight + instruct + runtime} "
        f"(weight: {weight}, instruct: {instruct}, runtime: {runtime})"
    )
    say(
        f"host mem size: {host_weight + host_runtime} "
        f"(weight: {host_weight}, runtime: {host_runtime})"
    )
    say(f"bmodel is {'' if _is_4k_aligned(bm) else 'not '}4k aligned")


def print_listing(bm: BModel, out: TextIO, order: str = "merged") -> None:
    """Print `bm` as the assembly listing: its directives and every command group."""
    from nntc.targets.bm1684x.asm import bmodel_listing

    out.write(bmodel_listing(bm, order))


def _from_source(source: str, output: str) -> None:
    from pathlib import Path

    from nntc.targets.bm1684x.asm_parser import EXTENSION, parse_listing
    from nntc.targets.bm1684x.bmodel import write_bmodel
    from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel, mlir_to_bmodel_file

    if Path(source).suffix != f".{EXTENSION}":
        mlir_to_bmodel_file(source, output)
        return
    write_bmodel(ir_to_bmodel(parse_listing(Path(source).read_text(), source)), output)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog=PROG, description="Show what is inside a BM1684X bmodel.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--info", metavar="BMODEL", help="print a summary of the bmodel")
    action.add_argument(
        "--dis", metavar="BMODEL", help="print the command groups as an assembly listing"
    )
    action.add_argument(
        "--to-mlir", metavar="BMODEL", help="write the bmodel as bm1684x IR to -o (+ .npz)"
    )
    action.add_argument(
        "--from-mlir", metavar="IR", help="write the bmodel of IR (.mlir) or a listing (.bmasm)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="output of --to/--from-mlir")
    parser.add_argument(
        "--order",
        choices=("merged", "queue"),
        default="merged",
        help="--dis: interleave the queues as the vendor does (merged) or one after the other",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the Python traceback of an error"
    )
    args = parser.parse_args(argv)
    if (args.to_mlir or args.from_mlir) and not args.output:
        parser.error("--to-mlir and --from-mlir need -o FILE")
    from nntc.targets.bm1684x.asm_parser import AsmError
    from nntc.targets.bm1684x.bmodel_ir import BModelIRError
    from nntc.targets.weight_store import WeightStoreError

    try:
        if args.info:
            print_info(read_bmodel(args.info), sys.stdout)
        elif args.dis:
            print_listing(read_bmodel(args.dis), sys.stdout, args.order)
        elif args.to_mlir:
            from nntc.targets.bm1684x.bmodel_ir import bmodel_file_to_mlir

            bmodel_file_to_mlir(args.to_mlir, args.output)
        else:
            _from_source(args.from_mlir, args.output)
    except (BModelError, BModelIRError, AsmError, WeightStoreError, OSError) as e:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
