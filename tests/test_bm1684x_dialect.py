"""Tests of the `bm1684x` dialect from Python: building, verifying, printing and parsing ops,
their mapping onto command fields (checked against the codec's CSV tables and against every
command of the vendor-compiled tiny_cnn bmodels), and the `bm1684x-asm` listing."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from nntc.dialects.bm1684x import (
    BM1684X,
    INSTRUCTION_OPS,
    OP_BY_CMD_CLASS,
    ArEu,
    ArOp,
    CmdGroupOp,
    ConvOp,
    DmaSysSp,
    DmaTensorSp,
    GdmaSysOp,
    GdmaTensorOp,
    InstructionOp,
    Kind,
    Precision,
    SysEu,
    TiuSysOp,
    enum_code,
    enum_from_code,
)
from nntc.targets.bm1684x import codec
from nntc.targets.bm1684x.asm import Bm1684xAsmTarget
from nntc.targets.bm1684x.chip import GMEM_BASE, LMEM_BASE

VENDOR = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
QUANTS = ["f32", "f16", "bf16", "int8"]

# Vendor debugger op-name prefix -> command class the compiler emits for it.
VENDOR_PREFIX_CLASS = {
    "conv": "sCONV",
    "pord": "sPorD",
    "mm": "sMM",
    "mm2": "sMM2",
    "arith": "sAR",
    "quant": "sRQ_sDQ",
    "tsbc": "sTRANS_sBC",
    "sg": "sSG",
    "sys": "SYSID",
    "dma.tensor": "DMA_tensor",
    "dma.matrix": "DMA_matrix",
    "dma.sys": "sDMA_sys",
}


def _ctx() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(BM1684X)
    return ctx


def _roundtrip(module: ModuleOp) -> ModuleOp:
    text = str(module)
    parsed = Parser(_ctx(), text).parse_module()
    parsed.verify()
    assert str(parsed) == text
    return parsed


def _add(cmd_id: int = 1, wait: int = 1, **over: Any) -> ArOp:
    values: dict[str, Any] = dict(
        tsk_eu_typ=ArEu.ADD,
        cmd_id=cmd_id,
        cmd_id_dep=wait,
        opd_num=2,
        res0_addr=0x4000,
        res0_shape=(1, 16, 32, 32),
        res0_prec=Precision.FP32,
        opd0_addr=0x0,
        opd0_prec="fp32",
        opd1_addr=0x8000,
        opd1_prec=Precision.FP32,
    )
    values.update(over)
    return ArOp(**values)


def _load(cmd_id: int = 1, wait: int = 0, **over: Any) -> GdmaTensorOp:
    values: dict[str, Any] = dict(
        cmd_special_function=DmaTensorSp.PLAIN,
        cmd_id=cmd_id,
        cmd_id_dep=wait,
        dtype=Precision.FP32,
        src_addr=GMEM_BASE + 0x1000,
        src_shape=(1, 16, 32, 32),
        src_stride=(16384, 1024, 32, 1),
        dst_addr=LMEM_BASE,
        dst_shape=(1, 16, 32, 32),
        dst_stride=(1024, 1024, 32, 1),
    )
    values.update(over)
    return GdmaTensorOp(**values)


def _group(tiu: list[InstructionOp], gdma: list[InstructionOp]) -> CmdGroupOp:
    tiu_end = TiuSysOp(tsk_eu_typ=SysEu.END, cmd_id=len(tiu) + 1, cmd_id_dep=0)
    gdma_end = GdmaSysOp(cmd_special_function=DmaSysSp.END, cmd_id=len(gdma) + 1, cmd_id_dep=0)
    return CmdGroupOp([*tiu, tiu_end], [*gdma, gdma_end])  # type: ignore[list-item]


# --- building from Python --------------------------------------------------------------------


def test_build_verify_print_parse() -> None:
    group = _group([_add(1, 1), _add(2, 1, tsk_eu_typ="max")], [_load(1, 0), _load(2, 1)])
    module = ModuleOp([group])
    module.verify()
    text = str(module)
    assert "bm1684x.tiu.ar add id 1 wait 1 {opd_num = 2, res0_addr = 0x4000," in text
    assert "bm1684x.gdma.tensor plain id 2 wait 1 {dtype = fp32, src_addr = 0x100001000," in text
    assert "bm1684x.tiu.sys end id 3 wait 0\n" in text
    parsed = _roundtrip(module)
    ops = list(parsed.walk())
    ar = next(op for op in ops if isinstance(op, ArOp))
    assert ar.value("res0_shape") == (1, 16, 32, 32)
    assert ar.value("res0_prec") is Precision.FP32
    assert ar.value("opd1_const") is False
    assert (ar.id, ar.wait, ar.subop) == (1, 1, ArEu.ADD)


def test_generic_form_roundtrip() -> None:
    module = ModuleOp([_group([_add()], [_load()])])
    buf = io.StringIO()
    from xdsl.printer import Printer

    Printer(stream=buf, print_generic_format=True).print_op(module)
    assert '"bm1684x.tiu.ar"() <{tsk_eu_typ = #bm1684x<ar_eu add>' in buf.getvalue()
    parsed = Parser(_ctx(), buf.getvalue()).parse_module()
    parsed.verify()
    assert str(parsed) == str(module)


def test_constructor_rejects_unknown_and_missing_properties() -> None:
    with pytest.raises(TypeError, match="has no property 'kernel'"):
        _add(kernel=(3, 3))
    with pytest.raises(TypeError, match="needs cmd_id_dep"):
        TiuSysOp(tsk_eu_typ=SysEu.END, cmd_id=1)
    with pytest.raises(ValueError):
        _add(tsk_eu_typ="clamp")


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"cmd_id": 1 << 20}, r"expected cmd_id \(1048576\) to fit in 20 bits"),
        ({"res0_shape": (1, 0, 32, 32)}, r"expected res0_shape\[1\] \(0\) to be positive"),
        ({"res0_addr": 0x100_0000}, r"to be a local offset below LMEM_BYTES"),
        ({"opd_num": 0}, r"expected opd_num \(0\) to be 1, 2 or 3"),
        ({"opd0_layout": "t4"}, r"expected opd0_layout to be a TIU layout, got t4"),
    ],
)
def test_verifier_messages(over: dict[str, Any], message: str) -> None:
    group = _group([_add(**over)], [_load()])
    with pytest.raises(VerifyException, match=message):
        ModuleOp([group]).verify()


def test_immediate_operand_skips_address_check() -> None:
    # With opd1_const the address field holds the value (here fp32 -FLT_MAX), not an address.
    ModuleOp([_group([_add(opd1_addr=0xFF7FFFFF, opd1_const=True)], [_load()])]).verify()
    with pytest.raises(VerifyException, match="opd1_addr"):
        ModuleOp([_group([_add(opd1_addr=0xFF7FFFFF)], [_load()])]).verify()


def test_dma_direction_and_rules() -> None:
    load = _load()
    assert load.direction == ("global", "local")
    store = _load(src_addr=LMEM_BASE, dst_addr=GMEM_BASE, cmd_special_function="collect")
    assert store.direction == ("local", "global")
    ModuleOp([_group([], [store])]).verify()
    with pytest.raises(VerifyException, match="expected collect to move local -> global"):
        ModuleOp([_group([], [_load(cmd_special_function="collect")])]).verify()
    fill = _load(fill_constant_en=True, src_addr=0)
    assert fill.direction == (None, "local")
    ModuleOp([_group([], [fill])]).verify()


def test_group_rules() -> None:
    with pytest.raises(VerifyException, match="the queues deadlock"):
        ModuleOp([_group([_add(1, 2)], [_load(1, 0), _load(2, 1)])]).verify()
    with pytest.raises(VerifyException, match="waits for gdma cmd_id 9, but the gdma queue ends"):
        ModuleOp([_group([_add(1, 9)], [_load()])]).verify()
    with pytest.raises(VerifyException, match="expected the tiu queue to end with"):
        ModuleOp([CmdGroupOp([_add()], [GdmaSysOp(cmd_special_function="end", cmd_id=1,
                                                  cmd_id_dep=0)])]).verify()  # fmt: skip


def test_merged_order_follows_the_vendor_debugger() -> None:
    # GDMA by cmd_id, TIU by the GDMA id it waits for, GDMA first on ties; ends last.
    group = _group([_add(1, 2), _add(2, 2), _add(3, 3)], [_load(1), _load(2), _load(3, 2)])
    names = [f"{op.ENGINE_TAG}{op.id}" for op in group.merged_order()]
    assert names == ["D1", "D2", "B1", "B2", "D3", "B3", "B4", "D4"]


def test_listing() -> None:
    module = ModuleOp([_group([_add(1, 1)], [_load(1, 0)])])
    out = io.StringIO()
    Bm1684xAsmTarget().emit(_ctx(), module, out)
    assert out.getvalue().splitlines() == [
        "// bm1684x assembly listing",
        "group 0 tiu=2 gdma=2",
        "  %D1 = dma.tensor wait=%B0 dtype=fp32 src_addr=0x100001000 src_shape=[1,16,32,32] "
        "src_stride=[16384,1024,32,1] dst_addr=0x8000000 dst_shape=[1,16,32,32] "
        "dst_stride=[1024,1024,32,1]",
        "  %B1 = arith.add wait=%D1 opd_num=2 res0_addr=0x4000 res0_shape=[1,16,32,32] "
        "res0_prec=fp32 opd0_addr=0x0 opd0_prec=fp32 opd1_addr=0x8000 opd1_prec=fp32",
        "  %B2 = sys.end wait=%D0",
        "  %D2 = dma.sys wait=%B0",
    ]
    with pytest.raises(ValueError, match="unknown order"):
        Bm1684xAsmTarget(order="sorted").emit(_ctx(), module, io.StringIO())


# --- enums and command fields ----------------------------------------------------------------


def test_enum_codes() -> None:
    assert enum_code(ArEu.COPY) == 19
    assert enum_code(ArEu.MUL_DHR) == 23
    assert enum_code(SysEu.END) == 31
    assert enum_from_code(ArEu, 30) is ArEu.GET_FIRST_ZERO
    with pytest.raises(ValueError, match="17 is not a valid ArEu code"):
        enum_from_code(ArEu, 17)


@pytest.mark.parametrize("op_cls", INSTRUCTION_OPS, ids=lambda c: c.name)
def test_fields_match_the_codec_tables(op_cls: type[InstructionOp]) -> None:
    """Every property maps to fields of its class with the CSV widths, and together with the
    class constants they cover every non-reserved field: the op is bit-exact."""
    cls = codec.COMMAND_CLASSES[op_cls.CMD_CLASS]
    covered = set(op_cls.CONSTANTS)
    for spec in op_cls.all_fields():
        for name, width in spec.bits:
            assert cls.field(name).width == width, (spec.key, name)
            assert name not in covered, f"{name} mapped twice"
            covered.add(name)
        if spec.kind is Kind.ENUM:
            assert spec.enum is not None
            assert all(enum_code(m) < 1 << spec.total_width for m in spec.enum)
    data_fields = {
        f.name for f in cls.fields if not f.source_name.lower().startswith(("rsvd", "reserved"))
    }
    assert covered == data_fields
    sub = op_cls.SUBOP
    assert sub.enum is not None
    assert {enum_code(m) for m in sub.enum} == set(cls.subtypes)


def test_from_fields_rejects_what_it_cannot_represent() -> None:
    fields = _add().to_fields()
    assert ArOp.from_fields(fields).to_fields() == fields
    with pytest.raises(ValueError, match="expected tsk_typ = 3, got 0"):
        ArOp.from_fields({**fields, "tsk_typ": 0})
    with pytest.raises(ValueError, match="reserved field rsvd0 is 1"):
        ArOp.from_fields({**fields, "rsvd0": 1})
    with pytest.raises(ValueError, match="unknown command field kernel"):
        ArOp.from_fields({**fields, "kernel": 1})
    with pytest.raises(ValueError, match="17 is not a valid ArEu code"):
        ArOp.from_fields({**fields, "tsk_eu_typ": 17})


@st.composite
def _random_fields(draw: st.DrawFn, op_cls: type[InstructionOp]) -> dict[str, int]:
    fields = dict(op_cls.CONSTANTS)
    for spec in op_cls.all_fields():
        for name, width in spec.bits:
            if spec.kind is Kind.ENUM:
                assert spec.enum is not None
                fields[name] = enum_code(draw(st.sampled_from(list(spec.enum))))
            else:
                fields[name] = draw(st.integers(0, (1 << width) - 1))
    return fields


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_fields_roundtrip_bit_exact(data: st.DataObject) -> None:
    op_cls = data.draw(st.sampled_from(INSTRUCTION_OPS))
    fields = data.draw(_random_fields(op_cls))
    op = op_cls.from_fields(fields)
    assert op.to_fields() == fields
    assert codec.encode(op_cls.CMD_CLASS, op.to_fields()) == codec.encode(op_cls.CMD_CLASS, fields)
    # The custom syntax keeps every value, valid or not (the verifier is separate).
    text = str(op)
    parsed = Parser(_ctx(), text).parse_op()
    assert isinstance(parsed, op_cls) and parsed.to_fields() == fields


# --- vendor ground truth ---------------------------------------------------------------------


def _vendor_groups(quant: str) -> list[dict[str, list[dict[str, Any]]]]:
    return list(json.loads((VENDOR / f"tiny_cnn_{quant}.regs.json").read_text()).values())


def _op_for(name: str) -> type[InstructionOp]:
    prefix = ".".join(name.split(".")[:2]) if name.startswith("dma.") else name.split(".")[0]
    return OP_BY_CMD_CLASS[VENDOR_PREFIX_CLASS[prefix]]


@pytest.mark.parametrize("quant", QUANTS)
def test_vendor_commands_roundtrip(quant: str) -> None:
    """Every command SOPHGO's compiler emitted becomes a verified op with the vendor's op name,
    and gives back the same fields and the same bytes."""
    groups = []
    for group in _vendor_groups(quant):
        queues: dict[str, list[InstructionOp]] = {"tiu": [], "dma": []}
        for engine, commands in group.items():
            for command in commands:
                op_cls = _op_for(command["name"])
                op = op_cls.from_fields(command["cmd"])
                assert op.listing_name() == command["name"]
                data = {k: v for k, v in command["cmd"].items() if k in op.to_fields()}
                assert op.to_fields() == data
                encoded = codec.encode(op_cls.CMD_CLASS, op.to_fields())
                assert encoded == codec.encode(op_cls.CMD_CLASS, command["cmd"])
                queues[engine].append(op)
        groups.append(CmdGroupOp(queues["tiu"], queues["dma"]))  # type: ignore[arg-type]
    module = ModuleOp(groups)
    module.verify()
    _roundtrip(module)


def test_vendor_f32_listing_order_matches_the_vendor_disassembly() -> None:
    (group,) = _vendor_groups("f32")
    tiu = [_op_for(c["name"]).from_fields(c["cmd"]) for c in group["tiu"]]
    dma = [_op_for(c["name"]).from_fields(c["cmd"]) for c in group["dma"]]
    cmd_group = CmdGroupOp(tiu, dma)  # type: ignore[arg-type]
    order = [f"{op.ENGINE_TAG}{op.id}" for op in cmd_group.merged_order()]
    # tiny_cnn_f32.dis.txt, then the two end commands the vendor listing leaves out.
    assert order == ("D1 D2 D3 B1 B2 D4 D5 B3 B4 B5 B6 B7 D6 D7 D8 D9 B8 D10 B9 D11".split())


def test_conv_op_keeps_vendor_semantics() -> None:
    (group,) = _vendor_groups("f32")
    conv = ConvOp.from_fields(group["tiu"][0]["cmd"])
    assert conv.value("kernel") == (3, 3)
    assert conv.value("pad") == (1, 1, 1, 1)
    assert conv.value("stride") == (1, 1)
    assert conv.value("opd0_shape") == (3, 32, 32)
