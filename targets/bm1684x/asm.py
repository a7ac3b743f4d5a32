"""`-t bm1684x-asm`: a BM1684X assembly listing of the `bm1684x` dialect, one line per command.

The listing reads like SOPHGO's `.dis.txt` (`%B3 = conv.normal ...`, `%D2 = dma.tensor ...`) but
every line has the same regular shape, so that a small grammar can read it back:

    // bm1684x assembly listing
    group 0 tiu=9 gdma=11
      %D1 = dma.tensor wait=%B0 dtype=fp32 src_addr=0x100000000 src_shape=[1,16,1,1] ...
      %B1 = conv.normal wait=%D3 res0_addr=0x4000 res0_shape=[1,16,32,32] ...
      ...
      %B9 = sys.end wait=%D0 cmd_id_en=0
      %D11 = dma.sys wait=%B0

- `%B<id>` is TIU command `cmd_id` (B for BDC, the TIU's older name), `%D<id>` GDMA `cmd_id`;
  `wait=` names the other engine's command this one waits for (`cmd_id_dep`; 0 = no wait).
- The mnemonic is the vendor's `<class>.<sub-op>` name (`arith.add`, `pord.maxpooling`, ...).
- Then `key=value` pairs, one per op property that differs from its default (the same keys
  and defaults as the IR's custom syntax): integers in decimal, addresses and raw 32-bit values
  in hex, lists as `[a,b,c]` without spaces, enums and booleans as bare words.

The listing reads back into IR with `asm_parser.parse_listing` (grammar `asm.lark`): nntc-opt
reads `.bmasm` files (or `-f bmasm`) that way, so assembly tests can be written by hand.

Order (option `order`): `merged` (default) interleaves the two queues the way SOPHGO's debugger
does (GDMA by cmd_id, TIU by the GDMA id it waits for; isa.md §3.1) and ends with the two end
commands; `queue` prints the TIU queue, then the GDMA queue.
"""

from dataclasses import dataclass
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from nntc.dialects.bm1684x import CmdGroupOp, InstructionOp


def group_lines(group: CmdGroupOp, index: int, order: str = "merged") -> list[str]:
    """The listing lines of one command group: its header, then one line per command."""
    if order == "merged":
        ops: list[InstructionOp] = group.merged_order()
    elif order == "queue":
        ops = [*group.tiu_ops, *group.gdma_ops]
    else:
        raise ValueError(f"unknown order {order!r} (expected 'merged' or 'queue')")
    lines = [f"group {index} tiu={len(group.tiu_ops)} gdma={len(group.gdma_ops)}"]
    lines += [f"  {op.assembly_line()}" for op in ops]
    return lines


@dataclass(frozen=True)
class Bm1684xAsmTarget(Target):
    """Print every `bm1684x.cmd_group` of the module as an assembly listing."""

    name: ClassVar[str] = "bm1684x-asm"
    order: str = "merged"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        lines = ["// bm1684x assembly listing"]
        groups = [op for op in module.walk() if isinstance(op, CmdGroupOp)]
        for index, group in enumerate(groups):
            lines += group_lines(group, index, self.order)
        output.write("\n".join(lines) + "\n")
