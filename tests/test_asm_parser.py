"""The BM1684X assembly listing reads back (`nntc.targets.bm1684x.asm_parser`, `asm.lark`):
listing -> IR -> listing is identical and listing -> IR is the IR it came from, for the vendor
models and hand-written listings; errors are one `file:line:col: message` line; the `.bmasm`
frontend of nntc-opt."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from nntc.dialects.bm1684x import CmdGroupOp
from nntc.opt import main as opt_main
from nntc.targets.bm1684x.asm import Bm1684xAsmTarget
from nntc.targets.bm1684x.asm_parser import AsmError, parse_listing
from nntc.targets.bm1684x.bmodel import read_bmodel
from nntc.targets.bm1684x.bmodel_ir import command_groups

DATA = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
QUANTS = ("f32", "f16", "bf16", "int8")

HAND_WRITTEN = """\
// load a 1x16x32x32 f32 tensor, add another one in local memory
group 0 tiu=2 gdma=2
  %D1 = dma.tensor wait=%B0 dtype=fp32 src_addr=0x100001000 src_shape=[1,16,32,32] src_stride=[16384,1024,32,1] dst_addr=0x8000000 dst_shape=[1,16,32,32] dst_stride=[1024,1024,32,1]
  %B1 = arith.add wait=%D1 opd_num=2 res0_addr=0x4000 res0_shape=[1,16,32,32] res0_prec=fp32 opd0_addr=0x0 opd0_prec=fp32 opd1_addr=0x8000 opd1_prec=fp32  // x + y
  %B2 = sys.end wait=%D0

  %D2 = dma.sys wait=%B0
"""


def listing(module: ModuleOp, order: str = "merged") -> str:
    out = io.StringIO()
    Bm1684xAsmTarget(order=order).emit(Context(), module, out)
    return out.getvalue()


def groups_text(module: ModuleOp) -> list[str]:
    return [str(op) for op in module.walk() if isinstance(op, CmdGroupOp)]


def vendor_module(quant: str) -> ModuleOp:
    data = gzip.decompress((DATA / f"tiny_cnn_{quant}.bmodel.gz").read_bytes())
    return ModuleOp(command_groups(read_bmodel(data)))


@pytest.mark.parametrize("order", ("merged", "queue"))
@pytest.mark.parametrize("quant", QUANTS)
def test_vendor_listing_round_trips(quant: str, order: str) -> None:
    module = vendor_module(quant)
    text = listing(module, order)
    parsed = parse_listing(text, f"{quant}.bmasm")
    assert listing(parsed, order) == text
    assert groups_text(parsed) == groups_text(module)


def test_hand_written_listing() -> None:
    module = parse_listing(HAND_WRITTEN, "add.bmasm")
    (group,) = module.ops
    assert isinstance(group, CmdGroupOp)
    assert [op.listing_name() for op in group.tiu_ops] == ["arith.add", "sys.end"]
    assert [op.id for op in group.gdma_ops] == [1, 2]
    assert group.tiu_ops[0].value("opd1_addr") == 0x8000
    assert group.tiu_ops[0].wait == 1
    # its listing is the canonical form: same lines, no comments, no blank line
    lines = [line.split("//")[0].rstrip() for line in HAND_WRITTEN.splitlines()[1:] if line]
    assert listing(module).splitlines()[1:] == lines


def test_queue_order_is_rebuilt_from_ids() -> None:
    """TIU lines may come in any order (the merged listing sorts them by wait)."""
    text = """\
group 0 tiu=3 gdma=1
  %B2 = sys.nop wait=%D0
  %B3 = sys.end wait=%D0
  %B1 = sys.nop wait=%D0
  %D1 = dma.sys wait=%B0
"""
    (group,) = parse_listing(text).ops
    assert isinstance(group, CmdGroupOp)
    assert [op.id for op in group.tiu_ops] == [1, 2, 3]


def test_several_groups_and_no_final_newline() -> None:
    one = "  %B1 = sys.end wait=%D0\n  %D1 = dma.sys wait=%B0"
    text = f"group 0 tiu=1 gdma=1\n{one}\ngroup 1 tiu=1 gdma=1\n{one}"
    module = parse_listing(text)
    assert len(module.ops) == 2
    assert parse_listing("// nothing\n").ops.first is None


_ADD = "%B1 = arith.add wait=%D1 opd_num=2 res0_addr=0x4000"


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("arith.add", "arith.addd", "4:9", "unknown mnemonic 'arith.addd'"),
        ("opd_num=2", "opd_nm=2", "4:28", "arith.add has no property 'opd_nm'"),
        ("opd_num=2", "opd_num=2 opd_num=3", "4:38", "property 'opd_num' is given twice"),
        ("res0_prec=fp32", "res0_prec=f32", "4:89", "expected one of int8, fp16, fp32"),
        ("res0_addr=0x4000", "res0_addr=0x4g", "4:48", "expected an integer for res0_addr"),
        ("res0_shape=[1,16,32,32]", "res0_shape=1", "4:66", "expected a list [a,b,...]"),
        ("opd1_prec=fp32", "opd1_prec=[1]", "4:150", "expected a single value for opd1_prec"),
        ("tiu=2", "tiu=3", "2:13", "group 0 declares tiu=3 but lists 2 TIU commands"),
        ("group 0", "group 1", "2:7", "expected group 0, got group 1"),
        ("wait=%D1 opd", "wait %D1 opd", "4:24", "unexpected '%D1'; expected '='"),
        ("opd_num=2", "opd_num=2 $", "4:38", "unexpected character '$'"),
        ("%B1 =", "%D7 =", "4:3", "expected its TIU cmd_id as %B<n>"),
        ("wait=%D1 opd", "wait=%B1 opd", "4:24", "expected the GDMA command it waits for"),
        (" opd_num=2", "", "4:9", "arith.add needs opd_num"),
        ("[1,16,32,32] res0_prec", "[1,0,32,32] res0_prec", "4:3",
         "arith.add: expected res0_shape[1] (0) to be positive"),
        ("wait=%D1 opd", "wait=%D5 opd", "2:1",
         "group 0: tiu cmd_id 1 waits for gdma cmd_id 5, but the gdma queue ends at cmd_id 2"),
        ("  %B2 = sys.end wait=%D0\n", "", "2:13", "declares tiu=2 but lists 1"),
    ],
)  # fmt: skip
def test_errors_are_located_one_liners(old: str, new: str, where: str, message: str) -> None:
    assert old in HAND_WRITTEN
    with pytest.raises(AsmError) as info:
        parse_listing(HAND_WRITTEN.replace(old, new, 1), "add.bmasm")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"add.bmasm:{where}: "), text
    assert message in text


def test_syntax_error_at_the_end_of_the_file() -> None:
    with pytest.raises(AsmError, match=r"^x.bmasm:6:22: unexpected end of line; expected a %B"):
        parse_listing(HAND_WRITTEN.split("\n\n")[0] + "\n  %D3 = dma.sys wait=", "x.bmasm")


# --- the .bmasm frontend of nntc-opt --------------------------------------------------------


def run_opt(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        opt_main(args)
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


def test_nntc_opt_reads_bmasm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "add.bmasm"
    src.write_text(HAND_WRITTEN)
    assert run_opt([str(src), "-t", "bm1684x-asm"]) == 0
    assert capsys.readouterr().out == listing(parse_listing(HAND_WRITTEN))
    out = tmp_path / "add.bmodel"
    assert run_opt([str(src), "-t", "bmodel", "-o", str(out)]) == 0
    bm = read_bmodel(out)
    module = ModuleOp(command_groups(bm))
    assert groups_text(module) == groups_text(parse_listing(HAND_WRITTEN))


def test_nntc_opt_reports_bmasm_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.bmasm"
    src.write_text(HAND_WRITTEN.replace("opd_num=2", "opd_nm=2"))
    assert run_opt([str(src)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{src}:4:28: error: arith.add has no property 'opd_nm'\n")
    assert "Traceback" not in err
