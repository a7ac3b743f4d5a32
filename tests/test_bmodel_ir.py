"""bmodel <-> IR (`nntc.targets.bm1684x.bmodel_ir`): the vendor bmodels go to `bm1684x` IR and
back byte for byte, through printed text and the weight store too; what the IR cannot represent
is a clear error; `nntc-model --dis/--to-mlir/--from-mlir` and `nntc-opt -t bmodel`."""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp

from nntc.dialects.bm1684x import (
    CmdGroupOp,
    CoeffMemOp,
    InputTensorOp,
    KernelModuleOp,
    ModelOp,
    OutputTensorOp,
    StageOp,
)
from nntc.model import main as model_main
from nntc.opt import main as opt_main
from nntc.targets.bm1684x import codec
from nntc.targets.bm1684x.bmodel import (
    Binary,
    BModel,
    Cascade,
    CpuParam,
    bmodel_bytes,
    read_bmodel,
)
from nntc.targets.bm1684x.bmodel_ir import (
    BModelIRError,
    bmodel_to_ir,
    group_to_ir,
    ir_to_bmodel,
    parse_ir,
)
from nntc.targets.weight_store import WeightStore, load_weight_store

DATA = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"
QUANTS = ("f32", "f16", "bf16", "int8")


@cache
def vendor_bytes(quant: str) -> bytes:
    return gzip.decompress((DATA / f"tiny_cnn_{quant}.bmodel.gz").read_bytes())


def vendor_ir(quant: str) -> tuple[ModuleOp, WeightStore]:
    store = WeightStore()
    return bmodel_to_ir(read_bmodel(vendor_bytes(quant)), store), store


@pytest.mark.parametrize("quant", QUANTS)
def test_vendor_bmodel_ir_bmodel_is_byte_identical(quant: str) -> None:
    module, store = vendor_ir(quant)
    assert bmodel_bytes(ir_to_bmodel(module, store)) == vendor_bytes(quant)


@pytest.mark.parametrize("quant", ("f32", "int8"))
def test_round_trip_through_text_and_files(quant: str, tmp_path: Path) -> None:
    """bmodel -> .mlir + .npz -> parse -> bmodel, the files written by nntc-model."""
    src = tmp_path / "in.bmodel"
    src.write_bytes(vendor_bytes(quant))
    assert model_main(["--to-mlir", str(src), "-o", str(tmp_path / "m.mlir")]) == 0
    text = (tmp_path / "m.mlir").read_text()
    assert 'nntc.weights = "m.npz"' in text
    assert len(text) < 40_000  # the kernel module and weights stay out of the text
    module = parse_ir(text, "m.mlir")
    store = load_weight_store(module, tmp_path / "m.mlir")
    assert bmodel_bytes(ir_to_bmodel(module, store)) == vendor_bytes(quant)
    assert model_main(["--from-mlir", str(tmp_path / "m.mlir"), "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o").read_bytes() == vendor_bytes(quant)
    # nntc-opt reads the same IR (and its side-car store) and writes the same bmodel.
    with pytest.raises(SystemExit) as exit_info:
        opt_main([str(tmp_path / "m.mlir"), "-t", "bmodel", "-o", str(tmp_path / "p.bmodel")])
    assert exit_info.value.code == 0
    assert (tmp_path / "p.bmodel").read_bytes() == vendor_bytes(quant)


def test_ir_holds_the_container() -> None:
    module, store = vendor_ir("int8")
    (model,) = module.ops
    assert isinstance(model, ModelOp)
    assert model.chip.data == "BM1684X" and model.time is not None
    assert model.time.data == "Tue Nov 24 03:20:38 2026\n"
    kernel = next(op for op in model.body.ops if isinstance(op, KernelModuleOp))
    assert store[kernel.weight_name.data].dtype == np.uint8
    assert store[kernel.weight_name.data].size == 5598792
    (net,) = model.nets
    (stage,) = net.stages
    assert isinstance(stage, StageOp)
    (inp,) = stage.inputs
    (out,) = stage.outputs
    assert isinstance(inp, InputTensorOp) and isinstance(out, OutputTensorOp)
    assert (inp.tensor_name.data, inp.dtype.data, inp.dims) == ("input", "float32", (1, 3, 32, 32))
    assert out.dims == (1, 10) and out.size.value.data == 40
    coeff = stage.coeff
    assert isinstance(coeff, CoeffMemOp)
    assert coeff.address.value.data == 0x1_0000_0000
    assert store[coeff.weight_name.data].size == 20480
    assert [loc.weight.data for loc in coeff.locations or ()][-1] == "tpu.MatMul.bias"
    (group,) = stage.groups
    assert (len(group.tiu_ops), len(group.gdma_ops)) == (64, 11)


def test_edited_ir_gives_an_edited_bmodel() -> None:
    module, store = vendor_ir("f32")
    stage = next(op for op in module.walk() if isinstance(op, StageOp))
    stage.inputs[0].properties["tensor_name"] = type(stage.inputs[0].tensor_name)("image")
    bm = read_bmodel(bmodel_bytes(ir_to_bmodel(module, store)))
    param = bm.model.net[0].parameter
    assert param is not None
    assert param[0].input_tensor[0].name == "image"
    sub_net = param[0].sub_net
    assert sub_net is not None and sub_net[0].input_tensor is not None
    assert sub_net[0].input_tensor[0].name == "image"  # the subnet mirrors the stage


def test_missing_time_is_stamped_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    module, store = vendor_ir("f32")
    model = next(iter(module.ops))
    assert isinstance(model, ModelOp)
    del model.properties["time"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    first = bmodel_bytes(ir_to_bmodel(module, store))
    assert read_bmodel(first).model.time == "Thu Jan  1 00:00:00 1970\n"
    assert bmodel_bytes(ir_to_bmodel(module, store)) == first


def _edited(quant: str, edit: object) -> BModel:
    bm = read_bmodel(vendor_bytes(quant))
    assert callable(edit)
    edit(bm)
    return bm


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda bm: setattr(bm.model.net[0], "cascade", Cascade()),
            "net 'tiny_cnn': cascade is not representable in IR yet",
        ),
        (
            lambda bm: setattr(bm.model.net[0].parameter[0].sub_net[0], "cpu_param", [CpuParam()]),
            "net 'tiny_cnn' stage 0.sub_net[0].cpu_param is not representable in IR yet",
        ),
        (
            lambda bm: bm.model.net[0].parameter[0].sub_net.append(
                bm.model.net[0].parameter[0].sub_net[0]
            ),
            "2 subnets; only one TPU subnet is representable in IR yet",
        ),
        (
            lambda bm: setattr(bm.model.net[0].parameter[0], "net_profile", Binary(0, 0)),
            "net_profile is not representable in IR yet",
        ),
        (
            lambda bm: setattr(bm.model.net[0].parameter[0].coeff_mem, "check_code", b"x"),
            "check_code is not the SHA-256 of the coefficients",
        ),
        (
            lambda bm: setattr(bm.model.net[0].parameter[0].sub_net[0], "id", 7),
            "model.net[0].parameter[0].sub_net[0].id is 7, the IR gives back 0",
        ),
        (
            lambda bm: setattr(bm.model.net[0].parameter[0].input_tensor[0], "index", 3),
            "input_tensor[0].index is 3, the IR gives back 0",
        ),
        (
            lambda bm: setattr(bm.model.cpuop_module, "binary", Binary(4096, 0)),
            "model.cpuop_module.binary.start is 4096, the IR gives back 0",
        ),
        (
            lambda bm: setattr(bm, "blob", bm.blob[:5599000] + b"x" + bm.blob[5599001:]),
            "the blob differs from byte 5599000",
        ),
    ],
    ids=["cascade", "cpu-param", "two-subnets", "profile", "check-code", "subnet-id", "index",
         "cpuop-binary", "blob-padding"],
)  # fmt: skip
def test_what_the_ir_cannot_represent_is_an_error(edit: object, message: str) -> None:
    with pytest.raises(BModelIRError) as info:
        bmodel_to_ir(_edited("f32", edit), WeightStore(), "x.bmodel")
    text = str(info.value)
    assert text.startswith("x.bmodel: ") and "\n" not in text
    assert message in text


def test_unknown_command_class_is_an_error() -> None:
    # sLIN decodes (the codec knows all 43 classes) but has no bm1684x op yet.
    tiu = codec.encode_queue(
        [
            codec.make_command("sLIN", {"tsk_eu_typ": 1}),
            codec.make_command("SYSID", {"tsk_eu_typ": 31}),
        ]
    )
    gdma = codec.encode_queue([codec.make_command("sDMA_sys")])
    with pytest.raises(BModelIRError, match=r"g: tiu command 0 is a sLIN \(.*\), which has no"):
        group_to_ir(tiu, gdma, "g")
    with pytest.raises(BModelIRError, match="g: gdma queue: truncated"):
        end = codec.encode_queue([codec.make_command("SYSID", {"tsk_eu_typ": 31})])
        group_to_ir(end, gdma[:5], "g")


def test_weights_must_be_bytes() -> None:
    module, store = vendor_ir("f32")
    coeff = next(op for op in module.walk() if isinstance(op, CoeffMemOp))
    store[coeff.weight_name.data] = np.zeros(4, np.float32)
    with pytest.raises(BModelIRError, match="must be a 1-D uint8 array of bytes, got float32"):
        ir_to_bmodel(module, store)
    store2 = WeightStore()
    with pytest.raises(BModelIRError, match="weight 'kernel_module' not found"):
        ir_to_bmodel(module, store2)


def test_bare_command_groups_make_a_minimal_bmodel() -> None:
    module, _ = vendor_ir("f32")
    groups = [op.clone() for op in module.walk() if isinstance(op, CmdGroupOp)]
    bm = read_bmodel(bmodel_bytes(ir_to_bmodel(ModuleOp(groups), WeightStore())))
    (net,) = bm.model.net
    assert net.name == "main" and net.parameter is not None
    (stage,) = net.parameter
    assert stage.cmd_group is not None and stage.cmd_group[0].bdc_num == 9
    assert bm.model.kernel_module is None
    # the command bytes are the vendor's
    vendor = read_bmodel(vendor_bytes("f32"))
    vgroup = vendor.model.net[0].parameter[0].cmd_group[0]
    assert bm.binary(stage.cmd_group[0].binary_bdc) == vendor.binary(vgroup.binary_bdc)
    assert bm.binary(stage.cmd_group[0].binary_gdma) == vendor.binary(vgroup.binary_gdma)


def test_module_with_nothing_to_write() -> None:
    with pytest.raises(BModelIRError, match="no bm1684x.model and no bm1684x.cmd_group"):
        ir_to_bmodel(ModuleOp([]), WeightStore())


# --- nntc-model --dis -----------------------------------------------------------------------

_OUR_LINE = re.compile(r"%([BD])(\d+) = ([\w.]+) wait=%([BD])(\d+)")


@pytest.mark.parametrize("quant", QUANTS)
def test_dis_matches_the_vendor_disassembly(
    quant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same commands, same order, same ids and waits as the vendor's `.dis.txt` (which leaves
    the two end commands out); the operands are in our format."""
    path = tmp_path / "m.bmodel"
    path.write_bytes(vendor_bytes(quant))
    assert model_main(["--dis", str(path)]) == 0
    out = capsys.readouterr().out
    ours = [m.groups() for m in map(_OUR_LINE.search, out.splitlines()) if m]
    vendor_text = (DATA / f"tiny_cnn_{quant}.dis.txt").read_text()
    # `%R0, %D1 = "dma.tensor"(...)`: the engine id is the last result, the wait the last operand
    theirs = []
    for line in vendor_text.splitlines():
        m = re.search(r'(%[BD]\d+) = "([\w.]+)"\((.*)\)\s*(\{|:)', line)
        if m:
            wait = re.findall(r"%([BD])(\d+)", m.group(3))[-1]
            me = m.group(1)
            theirs.append((me[1], me[2:], m.group(2), wait[0], wait[1]))
    assert len(theirs) > 10
    assert ours[:-2] == theirs
    assert [x[2] for x in ours[-2:]] == ["sys.end", "dma.sys"]
    assert out.startswith("// bm1684x assembly listing\n") and "\ngroup 0 " in out
    assert "\n.net tiny_cnn\n" in out  # the directives (docs/assembly.md) come first


def test_dis_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert model_main(["--dis", str(tmp_path / "none.bmodel")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nntc-model: error: ")


def test_opt_bmodel_target_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        opt_main([str(DATA / "README.md"), "-t", "bmodel"])
    assert exit_info.value.code == 2
    assert "-t bmodel writes a binary file: give -o FILE" in capsys.readouterr().err
