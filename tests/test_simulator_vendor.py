"""The simulator on the vendor's own bmodels, the Python API and the `nntc-sim` command line.

Ground truth: `tests/data/vendor/tiny_cnn/` (copied from the workspace's shared vendor folder):
`tiny_cnn_<q>.bmodel.gz`, `input.npz` and `tiny_cnn_<q>.output.npz`, the output of the vendor's
own functional simulator on that input.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from nntc.sim import main as sim_main
from nntc.targets.bm1684x.codec import Command
from nntc.targets.bm1684x.simulator import SimulationError, Simulator

DATA = Path(__file__).parent / "data" / "vendor" / "tiny_cnn"


def bmodel_bytes(q: str) -> bytes:
    return gzip.decompress((DATA / f"tiny_cnn_{q}.bmodel.gz").read_bytes())


@pytest.fixture(scope="module")
def f32_sim() -> Simulator:
    return Simulator(bmodel_bytes("f32"))


@pytest.fixture(scope="module")
def vendor_input() -> np.ndarray:
    return np.load(DATA / "input.npz")["input"]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_vendor_f32_reproduces_the_vendor_output(f32_sim: Simulator, vendor_input) -> None:
    expected = np.load(DATA / "tiny_cnn_f32.output.npz")["output_Gemm"]
    result = f32_sim.run({"input": vendor_input})
    got = result.outputs["output_Gemm"]
    assert got.shape == expected.shape == (1, 10)
    assert got.dtype == np.float32
    # measured: max abs error 6.0e-8, cosine 1.0 (float rounding of the accumulation order)
    assert np.abs(got - expected).max() < 1e-6
    assert cosine(got, expected) > 0.9999999
    report = result.report
    assert report["commands"] == 20
    assert report["by_op"]["conv.normal"]["count"] == 2
    assert 0 < report["tiu_busy_cycles"] <= report["cycles"]
    assert 0 < report["gdma_busy_cycles"] <= report["cycles"]


@pytest.mark.parametrize(("q", "max_ulps"), [("f16", 0), ("bf16", 16)])
def test_vendor_f16_bf16(q: str, max_ulps: int, vendor_input) -> None:
    """f16 is bit-exact; bf16 is not (see docs/simulator.md): measured, the outputs are at most
    1 ulp of the pre-bias matmul value below the vendor's, which is up to 16 ulps of the
    smallest result; 2 of the 10 values are exact."""
    expected = np.load(DATA / f"tiny_cnn_{q}.output.npz")["output_Gemm_f32"]
    got = Simulator(bmodel_bytes(q)).run({"input": vendor_input}).outputs["output_Gemm_f32"]
    ulp = np.spacing(np.abs(expected)) * (2**13 if q == "f16" else 2**16)
    assert (np.abs(got - expected) <= max_ulps * ulp).all()
    assert cosine(got, expected) > 0.99999


@pytest.fixture(scope="module")
def int8_sim() -> Simulator:
    return Simulator(bmodel_bytes("int8"))


def test_vendor_int8_is_bit_exact(int8_sim: Simulator, vendor_input) -> None:
    """The whole integer path (quantise, int8 depthwise/conv, bias adds, rq1, pools, mm2,
    dq0) reproduces the vendor simulator's output bit for bit."""
    expected = np.load(DATA / "tiny_cnn_int8.output.npz")["output_Gemm_f32"]
    result = int8_sim.run({"input": vendor_input})
    got = result.outputs["output_Gemm_f32"]
    assert got.dtype == expected.dtype == np.float32
    assert np.array_equal(got, expected)
    assert result.report["commands"] == 75
    for op in ("quant.rq1", "quant.dq0", "pord.depthwise", "conv.normal", "mm2.nn"):
        assert op in result.report["by_op"]


@pytest.mark.parametrize(
    ("tiu_index", "fields"),
    [
        (1, {"opd2_n_str": 2}),  # input quantiser: truncation instead of half away from zero
        (16, {"opd2_n_str": 3}),  # first requant: floor instead of half up
        (58, {"opd2_n_str": 3}),  # integer avg pool: floor instead of half up
        (58, {"opd2_addr": 11}),  # integer avg pool: the shift lives in opd2_addr
        (61, {"opd2_n_str": 3}),  # the FC requant
    ],
)
def test_vendor_int8_depends_on_the_rounding_fields(
    tiu_index: int, fields: dict[str, int], vendor_input
) -> None:
    """The fields the int8 findings rest on change the output when altered (so the match is
    not an accident of the input)."""
    sim = Simulator(bmodel_bytes("int8"))
    cmd = sim.groups[0].tiu[tiu_index]
    sim.groups[0].tiu[tiu_index] = Command(cmd.name, {**cmd.fields, **fields})
    expected = np.load(DATA / "tiny_cnn_int8.output.npz")["output_Gemm_f32"]
    got = sim.run({"input": vendor_input}).outputs["output_Gemm_f32"]
    assert not np.array_equal(got, expected)


# --- per-layer breakdown ----------------------------------------------------------------------

INT8_LAYERS = [
    {"name": "quantize_input", "tiu": [0, 2], "gdma": [0, 0]},
    {"name": "conv1", "tiu": [3, 16], "gdma": [1, 2]},
    {"name": "conv2", "tiu": [17, 56], "gdma": None},
    {"name": "pool", "tiu": [57, 58], "gdma": [3, 3]},
    {"name": "fc", "tiu": [59, 61], "gdma": [4, 7]},
    {"name": "dequantize_output", "tiu": [62, 62], "gdma": [8, 9]},
]


def test_layer_map_breaks_the_cycles_down(int8_sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "tiny_cnn_int8.bmodel"
    path.write_bytes(bmodel_bytes("int8"))
    (tmp_path / "tiny_cnn_int8.bmodel.layers.json").write_text(json.dumps([INT8_LAYERS]))
    sim = Simulator(path)  # picks up the side file
    result = sim.time_only(trace=True)
    by_layer = result.report["by_layer"]
    assert list(by_layer)[:6] == [e["name"] for e in INT8_LAYERS]
    # the end commands (TIU 63, GDMA 10) are in no range
    assert by_layer["(unassigned)"]["commands"] == 2
    assert sum(r["commands"] for r in by_layer.values()) == result.report["commands"]
    assert sum(r["tiu_cycles"] for r in by_layer.values()) == result.report["tiu_busy_cycles"]
    assert sum(r["gdma_cycles"] for r in by_layer.values()) == result.report["gdma_busy_cycles"]
    assert by_layer["conv2"]["gdma_cycles"] == 0 and by_layer["conv2"]["commands"] == 40
    conv1 = by_layer["conv1"]
    assert (
        0 <= conv1["start"] < conv1["end"] and conv1["span_cycles"] == conv1["end"] - conv1["start"]
    )
    slices = [e for e in result.trace["traceEvents"] if e["ph"] == "X"]
    assert {e["args"]["layer"] for e in slices} >= {"conv1", "fc"}
    # without a map: by op only
    assert "by_layer" not in int8_sim.time_only().report


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([[{"name": "a", "tiu": [0, 64]}]], "not inside the queue of 64 commands"),
        ([[{"name": "a", "tiu": [0, 3]}, {"name": "b", "tiu": [3, 4]}]], "already in layer 'a'"),
        ([[{"name": "", "tiu": [0, 3]}]], "'name' must be a non-empty string"),
        ([[{"name": "a", "tpu": [0, 3]}]], "unknown key 'tpu'"),
        ([[{"name": "a", "gdma": [2, 1]}]], "not inside the queue"),
        ([[], []], "has 2 group(s), the net has 1"),
        ({"name": "a"}, "expected a list of groups"),
    ],
)
def test_layer_map_errors(layers, message: str) -> None:
    with pytest.raises(SimulationError, match=re.escape(message)):
        Simulator(bmodel_bytes("int8"), layers=layers)


def test_cli_layers_option(tmp_path: Path) -> None:
    path = tmp_path / "m.bmodel"
    path.write_bytes(bmodel_bytes("int8"))
    layers, rep = tmp_path / "l.json", tmp_path / "r.json"
    layers.write_text(json.dumps(INT8_LAYERS))  # one group: the bare list is accepted
    rc = sim_main([str(path), "--input", str(DATA / "input.npz"), "--report", str(rep),
                   "--layers", str(layers)])  # fmt: skip
    assert rc == 0
    assert "fc" in json.loads(rep.read_text())["by_layer"]
    layers.write_text("[{")
    rc = sim_main([str(path), "--input", str(DATA / "input.npz"), "--layers", str(layers)])
    assert rc == 1


def test_run_many_inputs_and_batches(f32_sim: Simulator, vendor_input) -> None:
    """Load once, run many; a 3-image input runs as three batches with concatenated outputs."""
    rng = np.random.default_rng(0)
    other = rng.standard_normal(vendor_input.shape).astype(np.float32)
    one = f32_sim.run({"input": other}).outputs["output_Gemm"]
    both = f32_sim.run({"input": np.concatenate([vendor_input, other, vendor_input])})
    out = both.outputs["output_Gemm"]
    assert out.shape == (3, 10)
    np.testing.assert_array_equal(out[1:2], one)
    np.testing.assert_array_equal(out[0], out[2])
    assert both.report["batches"] == 3
    assert both.report["total_cycles"] == 3 * both.report["cycles"]


def test_time_only_matches_the_functional_timing(f32_sim: Simulator, vendor_input) -> None:
    timed = f32_sim.time_only().report
    run = f32_sim.run({"input": vendor_input}).report
    assert timed["cycles"] == run["cycles"]
    assert timed["commands"] == run["commands"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "missing input 'input'"),
        ({"input": np.zeros((1, 3, 32, 31), np.float32)}, "has shape [1, 3, 32, 31]"),
        ({"input": np.zeros((0, 3, 32, 32), np.float32)}, "not a multiple"),
        ({"input": np.zeros((1, 3, 32, 32)), "x": np.zeros(1)}, "unknown input 'x'"),
    ],
)
def test_bad_inputs(f32_sim: Simulator, inputs, message: str) -> None:
    with pytest.raises(SimulationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        f32_sim.run(inputs)


# --- nntc-sim ---------------------------------------------------------------------------------


@pytest.fixture
def f32_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_cnn_f32.bmodel"
    path.write_bytes(bmodel_bytes("f32"))
    return path


def test_cli_writes_outputs_report_and_trace(f32_file: Path, tmp_path: Path, capsys) -> None:
    out, rep, tr = tmp_path / "out.npz", tmp_path / "r.json", tmp_path / "t.json"
    rc = sim_main([str(f32_file), "--input", str(DATA / "input.npz"), "--output", str(out),
                   "--report", str(rep), "--trace", str(tr)])  # fmt: skip
    assert rc == 0
    assert "cycles" in capsys.readouterr().out
    expected = np.load(DATA / "tiny_cnn_f32.output.npz")["output_Gemm"]
    np.testing.assert_allclose(np.load(out)["output_Gemm"], expected, atol=1e-6)
    report = json.loads(rep.read_text())
    for key in ("cycles", "latency_ms", "tiu_busy_cycles", "gdma_busy_cycles", "commands"):
        assert key in report
    assert report["latency_ms"] == pytest.approx(report["cycles"] / 1e6)
    trace = json.loads(tr.read_text())
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(slices) == report["commands"]
    assert {e["tid"] for e in slices} == {0, 1}
    assert {"cmd_id", "cmd_id_dep", "group", "index"} <= set(slices[0]["args"])
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_cli_bandwidth_changes_the_timing(f32_file: Path, tmp_path: Path) -> None:
    reports = []
    for bw in ("64", "8"):
        rep = tmp_path / f"r{bw}.json"
        rc = sim_main([str(f32_file), "--input", str(DATA / "input.npz"), "--report", str(rep),
                       "--ddr-bandwidth", bw])  # fmt: skip
        assert rc == 0
        reports.append(json.loads(rep.read_text()))
    assert reports[1]["gdma_busy_cycles"] > reports[0]["gdma_busy_cycles"]
    assert reports[1]["ddr_bandwidth_gbps"] == 8.0


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d, m: [str(d / "missing.bmodel"), "--input", str(DATA / "input.npz")], "missing"),
        (lambda d, m: [str(m), "--input", str(DATA / "tiny_cnn_f32.regs.json")], "not a readable"),
        (lambda d, m: [str(DATA / "tiny_cnn_f32.regs.json"), "--input", str(DATA / "input.npz")],
         "regs.json"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(
    f32_file: Path, tmp_path: Path, capsys, make_args, message
) -> None:
    out = tmp_path / "out.npz"
    rc = sim_main([*make_args(tmp_path, f32_file), "--output", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("nntc-sim: error: ") and err.count("\n") == 1
    assert message in err
    assert not out.exists()


def test_cli_debug_shows_the_traceback(tmp_path: Path, capsys) -> None:
    rc = sim_main([str(tmp_path / "missing.bmodel"), "--input", "x.npz", "--debug"])
    assert rc == 1
    assert "Traceback" in capsys.readouterr().err


def test_cli_reports_a_failing_command(tmp_path: Path, capsys) -> None:
    """A bmodel whose input tensor is mapped outside memory fails with the command named."""
    from nntc.targets.bm1684x.bmodel import read_bmodel, write_bmodel

    bm = read_bmodel(bmodel_bytes("f32"))
    param = bm.model.net[0].parameter[0]
    group = param.cmd_group[0]
    blob = bytearray(bm.blob)
    # the third GDMA command loads the input; point its source 1 GiB past the window
    offset = group.binary_gdma.start + 2 * 96 + 64
    blob[offset + 4] = 0x41  # src_start_addr_h8 -> 0x41_xxxx_xxxx
    bm.blob = bytes(blob)
    path = tmp_path / "bad.bmodel"
    write_bmodel(bm, path)
    rc = sim_main([str(path), "--input", str(DATA / "input.npz")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "group 0, GDMA command 2 (dma.tensor): address 0x410000a000" in err
