"""Hand-written BM1684X programs as complete nets: the listing directives (`.net`, `.stage`,
`.input`, `.output`, `.coeff`, `.weight`, `.data`; docs/assembly.md), their round trips through
the bmodel (`nntc-model --dis`, `--to-mlir`, `--from-mlir`), their errors, and the Chrome /
Perfetto trace of the lit/sim programs run in the simulator."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context

from nntc.dialects.bm1684x import CmdGroupOp, CoeffMemOp, InputTensorOp, ModelOp, OutputTensorOp
from nntc.model import main as model_main
from nntc.sim import main as sim_main
from nntc.targets.bm1684x.asm import DIS_DATA_LIMIT, Bm1684xAsmTarget, bmodel_listing
from nntc.targets.bm1684x.asm_parser import AsmError, parse_listing, parse_listing_file
from nntc.targets.bm1684x.bmodel import bmodel_bytes, read_bmodel
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import SimulationError, Simulator
from nntc.targets.weight_store import weight_store_of

ROOT = Path(__file__).parent.parent
PROGRAMS = ROOT / "lit" / "sim"
RUNNABLE = ("add_f32", "conv_relu_pool_f32", "conv_rq_pool_int8", "timing_overlap",
            "timing_serial")  # fmt: skip
VENDOR = ROOT / "tests" / "data" / "vendor" / "tiny_cnn"

GROUP = """\
group 0 tiu=1 gdma=1
  %B1 = sys.end wait=%D0
  %D1 = dma.sys wait=%B0
"""

SMALL = (
    """\
.net small
.input x dtype=float32 shape=[1,2,2,2] addr=0x100001000 scale=0.5 zero_point=-3
.output "out/0" dtype=int8 shape=[1,2] addr=0x100002000 size=64
.coeff addr=0x100000000
.weight w offset=0x0 int8=[1,-2,127,-128]
.weight b offset=0x10 float32=[0.5,-1.25]
.data offset=0x40 hex=deadbeef
"""
    + GROUP
)


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bmodels written in a test carry the same creation time, so their bytes compare."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def assemble(text: str, name: str = "<listing>") -> bytes:
    return bmodel_bytes(ir_to_bmodel(parse_listing(text, name)))


def listing_of(module_text: str) -> str:
    out = io.StringIO()
    Bm1684xAsmTarget().emit(Context(), parse_listing(module_text), out)
    return out.getvalue()


# --- directives -> IR -----------------------------------------------------------------------


def test_directives_make_a_model() -> None:
    module = parse_listing(SMALL, "small.bmasm")
    (model,) = module.ops
    assert isinstance(model, ModelOp)
    (net,) = model.nets
    assert net.net_name.data == "small"
    (stage,) = net.stages
    (x,) = stage.inputs
    (out,) = stage.outputs
    assert isinstance(x, InputTensorOp) and isinstance(out, OutputTensorOp)
    assert (x.tensor_name.data, x.dtype.data, x.dims) == ("x", "float32", (1, 2, 2, 2))
    assert x.size.value.data == 32  # the dense size by default
    assert x.scale.value.data == 0.5 and x.zero_point.value.data == -3
    assert (out.tensor_name.data, out.size.value.data) == ("out/0", 64)
    coeff = stage.coeff
    assert isinstance(coeff, CoeffMemOp) and coeff.address.value.data == 0x100000000
    locations = [(x.weight.data, x.offset.data, x.size.data) for x in coeff.locations or ()]
    assert locations == [("w", 0, 4), ("b", 16, 8)]
    data = weight_store_of(module)[coeff.weight_name.data].tobytes()
    assert len(data) == 0x44
    assert data[:4] == np.array([1, -2, 127, -128], np.int8).tobytes()
    assert data[16:24] == np.array([0.5, -1.25], "<f4").tobytes()
    assert data[0x40:] == bytes.fromhex("deadbeef")
    assert data[4:16] == bytes(12) and data[24:0x40] == bytes(0x40 - 24)
    assert len(stage.groups) == 1 and isinstance(stage.groups[0], CmdGroupOp)


def test_without_directives_the_module_holds_bare_groups() -> None:
    module = parse_listing(GROUP)
    assert [op.name for op in module.ops] == ["bm1684x.cmd_group"]


def test_defaults_give_the_minimal_bmodel() -> None:
    """`.net main` with no other directive is the bmodel that bare groups make, byte for byte,
    and its listing is the bare listing again."""
    assert assemble(".net main\n" + GROUP) == assemble(GROUP)
    assert bmodel_listing(read_bmodel(assemble(".net main\n" + GROUP))) == listing_of(GROUP)


def test_npz_weights_are_read_beside_the_listing(tmp_path: Path) -> None:
    w = np.arange(-3, 3, dtype=np.int16).reshape(2, 3)
    np.savez(tmp_path / "weights.npz", conv_w=w)
    text = '.coeff addr=0x100000000\n.weight w offset=0x8 npz="weights.npz:conv_w"\n' + GROUP
    (tmp_path / "p.bmasm").write_text(text)
    module = parse_listing_file(str(tmp_path / "p.bmasm"))
    data = weight_store_of(module)["main.stage0.coeff"].tobytes()
    assert data == bytes(8) + w.tobytes()


def test_stages_and_nets() -> None:
    text = (
        ".net a addr_mode=1\n.stage ctx_addr=0x100004000 ctx_size=4096\n"
        + GROUP
        + ".stage core_num=2 subnet_run_core=none binary_ir=false\n"
        + GROUP
        + ".net b\n"
        + GROUP
    )
    (model,) = parse_listing(text).ops
    assert isinstance(model, ModelOp)
    a, b = model.nets
    assert a.addr_mode.value.data == 1 and len(a.stages) == 2 and len(b.stages) == 1
    first, second = a.stages
    assert first.ctx_addr.value.data == 0x100004000 and first.core_num.value.data == 1
    assert second.core_num.value.data == 2 and second.subnet_run_core is None
    assert second.binary_ir is None
    # the listing of that IR is the text again (canonical: hex addresses, stage per stage)
    assert listing_of(text) == "// bm1684x assembly listing\n" + text


# --- round trips through the bmodel ---------------------------------------------------------


@pytest.mark.parametrize("program", RUNNABLE)
def test_listing_bmodel_listing_is_identical(program: str, tmp_path: Path) -> None:
    """hand-written -> bmodel -> --dis listing -> bmodel: the same bytes, the same listing; and
    the IR's own listing (`-t bm1684x-asm`) is that listing too."""
    path = PROGRAMS / f"{program}.bmasm"
    first = assemble(path.read_text(), str(path))
    dis = bmodel_listing(read_bmodel(first))
    again = assemble(dis, "dis.bmasm")
    assert again == first
    assert bmodel_listing(read_bmodel(again)) == dis
    assert listing_of(path.read_text()) == dis
    assert ".net " + program.split(".")[0] in dis


def test_to_mlir_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = PROGRAMS / "conv_rq_pool_int8.bmasm"
    bmodel = tmp_path / "p.bmodel"
    assert model_main(["--from-mlir", str(path), "-o", str(bmodel)]) == 0
    assert model_main(["--to-mlir", str(bmodel), "-o", str(tmp_path / "p.mlir")]) == 0
    assert (
        model_main(["--from-mlir", str(tmp_path / "p.mlir"), "-o", str(tmp_path / "q.bmodel")]) == 0
    )
    assert (tmp_path / "q.bmodel").read_bytes() == bmodel.read_bytes()
    assert model_main(["--info", str(bmodel)]) == 0
    info = capsys.readouterr().out
    assert "input: x, [1, 3, 6, 6], int8, scale: 0.05, zero_point: 0" in info
    assert "(weight: 240," in info
    assert model_main(["--dis", str(bmodel)]) == 0
    dis = capsys.readouterr().out
    assert dis.startswith("// bm1684x assembly listing\n.net conv_rq_pool_int8\n")


def test_large_coefficients_are_listed_by_digest() -> None:
    big = DIS_DATA_LIMIT + 4
    text = f".coeff addr=0x100000000\n.weight w offset=0x0 uint8=[{','.join(['7'] * big)}]\n"
    dis = bmodel_listing(read_bmodel(assemble(text + GROUP)))
    digest = hashlib.sha256(bytes([7] * big)).hexdigest()
    assert f".coeff addr=0x100000000 size={big} sha256={digest}\n" in dis
    assert f".weight w offset=0x0 size={big}\n" in dis
    # the digest guards against assembling the listing without the data
    with pytest.raises(AsmError, match="do not match sha256"):
        parse_listing(dis, "dis.bmasm")


def test_vendor_listing_shows_what_it_can() -> None:
    bm = read_bmodel(gzip.decompress((VENDOR / "tiny_cnn_int8.bmodel.gz").read_bytes()))
    dis = bmodel_listing(bm)
    lines = dis.splitlines()
    assert (
        lines[1] == "// not in the listing: kernel_module, cpuop_module, neuron_size, lib_backend"
    )
    assert lines[2] == ".net tiny_cnn"
    assert lines[4] == ".input input dtype=float32 shape=[1,3,32,32] addr=0x100005000 mem_type=1"
    assert lines[6].startswith(".coeff addr=0x100000000 size=20480 sha256=")


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (".net small", ".nett small", "1:1", "unknown directive '.nett'"),
        (".net small", ".net", "1:1", ".net takes one name, got 0"),
        (".net small", ".net small other", "1:12", ".net takes one name, got 2"),
        ("scale=0.5", "scal=0.5", "2:57", ".input has no key 'scal'"),
        ("scale=0.5", "scale=0.5 scale=1", "2:67", ".input: 'scale' is given twice"),
        (" addr=0x100001000", "", "2:1", ".input needs addr"),
        ("dtype=float32", "dtype=f32", "2:16", "expected dtype to be one of float32"),
        ("shape=[1,2,2,2]", "shape=1", "2:30", "expected a list [a,b,...] for shape"),
        ("size=64", "size=1", "3:1",
         "bm1684x.output_tensor: expected size (1) to hold the 2 bytes of shape [1, 2] in int8"),
        ("127,-128", "128,-128", "5:33", "128 does not fit int8 (-128..127)"),
        ("offset=0x10", "offset=0x2", "6:1", "weight 'b' at offset 0x2 overlaps weight 'w'"),
        ("hex=deadbeef", "hex=deadbee", "7:23", "expected an even number of hex digits"),
        (".coeff addr=0x100000000", ".coeff addr=0x100000000 size=8", "4:1",
         ".coeff size 0x8 is too small: .data ends at 0x44"),
        (".coeff addr=0x100000000\n", "", "4:1", ".weight needs a .coeff line before it"),
        ("int8=[1,-2,127,-128]", "int8=[1] size=4", "5:1", ".weight needs exactly one of"),
        ("0.5,-1.25", "0.5,x", "6:36", "expected a number for float32, got 'x'"),
        (".net small", ".stage ctx_size=-1", "1:17", "expected ctx_size to be >= 0, got -1"),
    ],
)  # fmt: skip
def test_directive_errors_are_located_one_liners(
    old: str, new: str, where: str, message: str
) -> None:
    assert old in SMALL
    with pytest.raises(AsmError) as info:
        parse_listing(SMALL.replace(old, new, 1), "small.bmasm")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"small.bmasm:{where}: "), text
    assert message in text, text


def test_npz_errors(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", a=np.zeros(2, np.float32))
    base = '.coeff addr=0x100000000\n.weight w offset=0x0 npz="{}"\n' + GROUP
    listing = str(tmp_path / "p.bmasm")
    for value, message in (
        ("w.npz:b", "has no array 'b' (it has: a)"),
        ("none.npz:a", "cannot read"),
        ("w.npz", 'expected npz="FILE.npz:KEY"'),
    ):
        with pytest.raises(AsmError, match=re.escape(message)):
            parse_listing(base.format(value), listing)


def test_a_net_is_declared_once() -> None:
    with pytest.raises(AsmError, match=r"^<listing>:5:6: net 'a' is declared twice"):
        parse_listing(".net a\n" + GROUP + ".net a\n" + GROUP)


# --- simulating the programs: outputs, deadlock, trace ---------------------------------------


def test_deadlock_is_a_named_run_time_error() -> None:
    """The assembler refuses waits that never come; a bmodel that has them anyway (built with
    verify_sync=False) stops the simulator naming the command, never hangs."""
    text = (PROGRAMS / "deadlock.bmasm").read_text()
    with pytest.raises(AsmError, match="waits for gdma cmd_id 5, but the gdma queue ends"):
        parse_listing(text, "deadlock.bmasm")
    bm = read_bmodel(bmodel_bytes(ir_to_bmodel(parse_listing(text, verify_sync=False))))
    sim = Simulator(bm)
    with pytest.raises(SimulationError, match=r"^group 0, TIU command 0 \(arith.add\): deadlock"):
        sim.run({"x": np.ones((1, 4, 2, 2), np.float32)})
    cyclic = text.replace("%D2 = dma.sys wait=%B0", "%D2 = dma.sys wait=%B1").replace(
        "wait=%D5", "wait=%D2"
    )
    bm = read_bmodel(bmodel_bytes(ir_to_bmodel(parse_listing(cyclic, verify_sync=False))))
    with pytest.raises(SimulationError, match=r"GDMA command 1 \(dma.sys\) waits for TIU id 1"):
        Simulator(bm).run({"x": np.ones((1, 4, 2, 2), np.float32)})


@pytest.fixture(scope="module")
def int8_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """conv -> requant -> pool, run through `nntc-sim` with --trace and --report."""
    tmp = tmp_path_factory.mktemp("int8")
    bmodel = tmp / "p.bmodel"
    bmodel.write_bytes(assemble((PROGRAMS / "conv_rq_pool_int8.bmasm").read_text()))
    x = np.random.default_rng(5).integers(-20, 21, (1, 3, 6, 6)).astype(np.int8)
    np.savez(tmp / "in.npz", x=x)
    args = [str(bmodel), "--input", str(tmp / "in.npz"), "--output", str(tmp / "out.npz")]
    args += ["--trace", str(tmp / "t.json"), "--report", str(tmp / "r.json")]
    assert sim_main(args) == 0
    return {
        "trace": json.loads((tmp / "t.json").read_text()),
        "report": json.loads((tmp / "r.json").read_text()),
        "outputs": dict(np.load(tmp / "out.npz")),
    }


def test_int8_outputs_are_integers_of_the_right_shape(int8_run: dict[str, object]) -> None:
    outputs = int8_run["outputs"]
    assert isinstance(outputs, dict)
    for name in ("ymax", "yavg"):
        assert outputs[name].dtype == np.int8 and outputs[name].shape == (1, 4, 3, 3)
    # the max of a window is at least its rounded average
    assert (outputs["ymax"].astype(int) >= outputs["yavg"].astype(int)).all()


def test_trace_is_a_chrome_trace(int8_run: dict[str, object]) -> None:
    """What Perfetto's JSON importer needs: a `traceEvents` array of complete events ("X",
    name/pid/tid/ts/dur, ts and dur in microseconds) and thread-name metadata, one per engine."""
    trace = int8_run["trace"]
    report = int8_run["report"]
    assert isinstance(trace, dict) and isinstance(report, dict)
    json.loads(json.dumps(trace, allow_nan=False))  # plain JSON: no NaN or infinities
    assert trace.get("displayTimeUnit") in (None, "ms", "ns")
    events = trace["traceEvents"]
    assert isinstance(events, list)
    slices = [e for e in events if e["ph"] == "X"]
    meta = [e for e in events if e["ph"] == "M"]
    assert {e["ph"] for e in events} == {"X", "M"}
    threads = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    assert sorted(threads.values()) == ["GDMA", "TIU"]
    assert any(e["name"] == "process_name" for e in meta)
    assert len(slices) == report["commands"] == 13
    for e in slices:
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["pid"], int) and e["tid"] in threads
        assert isinstance(e["ts"], int | float) and isinstance(e["dur"], int | float)
        assert e["ts"] >= 0 and e["dur"] > 0
        assert {"group", "index", "cmd_id", "cmd_id_dep"} <= set(e["args"])
    # microseconds at 1 GHz: the last slice ends at cycles / 1000
    end = max(e["ts"] + e["dur"] for e in slices)
    assert end == pytest.approx(report["cycles"] / 1e3)
    # each engine's slices follow one another (in-order engines)
    for tid in threads:
        spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in slices if e["tid"] == tid)
        assert all(b[0] >= a[1] - 1e-9 for a, b in zip(spans, spans[1:], strict=False))
    names = {e["name"] for e in slices}
    assert {"conv.normal", "quant.rq1", "pord.maxpooling", "pord.avgpooling"} <= names
