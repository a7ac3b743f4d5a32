"""The INT8 path through the tpu level: quant IR -> `lower-to-tpu{mode=int8}` -> tpu IR.

For the nets of tests/test_e2e_int8.py (the small CNN, the mobile block, the softmax head),
tests/test_int8_f16.py (every 16-bit float layer kind, F16 and BF16), tests/test_int8_f16_sfu.py
(16-bit softmax, silu, layernorm and the SFU functions) and
tests/test_int8_bitexact.py (the digits CNN through `nntc-cali`, ResNet-18 at 64 x 64):

- the tpu IR, printed and parsed again, reads back into the same integer layers as the planner
  makes from the quant IR (every integer, weight and buffer);
- the bmodel from the parsed tpu IR is byte-identical to the one `emit_int8_net` writes from
  the planned net directly (no tpu step), and to `lower-int8-to-bm1684x` on the quant IR;
- `nntc-run` on the tpu IR gives the `--dump-all` arrays (integers and `--dequantize`d) and
  outputs of `nntc-run` on the quant IR;
- `nntc-opt -p 'lower-to-tpu{mode=int8}'` from the command line writes that IR.
"""

from __future__ import annotations

import dataclasses
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_e2e_int8 import mobile_block, quant_module, small_cnn, softmax_cnn
from test_int8_bitexact import calibrated_digits, calibrated_resnet18_64
from test_int8_f16 import dw_cnn
from test_int8_f16_sfu import FUNCTIONS, functions_net, softmax_layernorm_net
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.parser import Parser
from xdsl.printer import Printer

from nntc.dialects import tpu
from nntc.ir_io import nntc_context, read_ir
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.passes.lowering.int8 import (
    Buf,
    Float,
    Int8Net,
    LowerInt8ToBm1684xPass,
    emit_int8_net,
    plan_int8_net,
)
from nntc.passes.lowering.int8_reference import run_int8_net
from nntc.passes.lowering.int8_tpu import is_int8_tpu_ir, tpu_to_int8_net
from nntc.run import main as run_main
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.weight_store import attach_weight_store, weight_store_of

NNTC_OPT = Path(sys.executable).parent / "nntc-opt"


@pytest.fixture(autouse=True)
def _fixed_bmodel_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


def text_of(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out, print_debuginfo=True).print_op(module)
    return out.getvalue()


def save(module: ModuleOp, path: Path) -> Path:
    """The module as `path` with its weight store next to it, as nntc-opt writes them."""
    npz = path.with_suffix(".npz")
    weight_store_of(module).save(npz)
    module.attributes["nntc.weights"] = StringAttr(npz.name)
    path.write_text(text_of(module))
    return path


def to_tpu(quant: ModuleOp) -> ModuleOp:
    """`lower-to-tpu{mode=int8}` on a copy of `quant`, printed and parsed again (the store is
    shared: the pass adds its weights to it)."""
    copy = quant.clone()
    attach_weight_store(copy, weight_store_of(quant))
    LowerToTpuPass(mode="int8").apply(nntc_context(), copy)
    parsed = Parser(nntc_context(), text_of(copy)).parse_module()
    parsed.verify()
    attach_weight_store(parsed, weight_store_of(quant))
    return parsed


def bmodel_of(module: ModuleOp) -> bytes:
    """`lower-int8-to-bm1684x` on a copy of `module`, as bmodel bytes."""
    copy = module.clone()
    store = weight_store_of(module)
    attach_weight_store(copy, store)
    LowerInt8ToBm1684xPass().apply(nntc_context(), copy)
    return bmodel_bytes(ir_to_bmodel(copy, store))


def direct_bmodel(quant: ModuleOp) -> bytes:
    """The bmodel the INT8 code generator writes from the planned net, without the tpu step."""
    store = weight_store_of(quant)
    return bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(plan_int8_net(quant), store)]), store))


# --- the same net: every layer, integer and buffer ---------------------------------------------


FLOAT_ONLY = {"op", "args", "tpu_ops", "values", "weights", "scratch", "evaluate", "precision"}
"""Fields of a float layer compared apart (the tpu level has no top op, computes what it asks)."""


class Buffers:
    """Numbers the root buffers of a net in order of appearance, to compare two nets' aliasing."""

    def __init__(self) -> None:
        self.roots: dict[int, int] = {}

    def key(self, b: Buf) -> tuple[object, ...]:
        root = b.root or b
        index = self.roots.setdefault(id(root), len(self.roots))
        return (b.shape, b.kind, b.dims, str(b.qtype), b.root is None, index, root.shape)


def assert_same_net(planned: Int8Net, read: Int8Net) -> None:
    a, b = Buffers(), Buffers()
    assert [(n, x.io_shape) for n, x in planned.inputs] == [(n, x.io_shape) for n, x in read.inputs]
    for (_, x), (_, y) in zip(planned.inputs, read.inputs, strict=True):
        assert a.key(x) == b.key(y)
    assert planned.round_mode == read.round_mode
    assert len(planned.layers) == len(read.layers)
    for p, r in zip(planned.layers, read.layers, strict=True):
        what = f"{type(p).__name__} {p.name}"
        assert type(p) is type(r) and p.name == r.name, what
        assert [a.key(x) for x in p.inputs] == [b.key(y) for y in r.inputs], what
        assert a.key(p.output) == b.key(r.output), what
        for f in dataclasses.fields(p):
            if f.name in ("name", "inputs", "output") or f.name in FLOAT_ONLY:
                continue
            u, v = getattr(p, f.name), getattr(r, f.name)
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and np.array_equal(u, v), f"{what}: {f.name}"
            else:
                assert u == v, f"{what}: {f.name}"
        if isinstance(p, Float):
            assert isinstance(r, Float)
            assert [t.name for t in p.tpu_ops] == [t.name for t in r.tpu_ops], what
            assert [a.key(x) for x in p.scratch] == [b.key(y) for y in r.scratch], what
            assert len(p.weights) == len(r.weights), what
            for u, v in zip(p.weights.values(), r.weights.values(), strict=True):
                assert u.dtype == v.dtype and np.array_equal(u, v), what
    assert [(n, x.io_shape) for n, x in planned.outputs] == [
        (n, x.io_shape) for n, x in read.outputs
    ]
    for (_, x), (_, y) in zip(planned.outputs, read.outputs, strict=True):
        assert a.key(x) == b.key(y)


# --- the nets ----------------------------------------------------------------------------------


def samples_for(shape: tuple[int, ...], seed: int, count: int = 6) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(count)]


E2E_NETS = {
    "small_cnn": (small_cnn, None),
    "mobile_block": (mobile_block, None),
    "softmax_head": (softmax_cnn, None),
    "f16_layers": (dw_cnn, {n: "F16" for n in ["conv1", "relu", "avg", "sub", "mul", "fc"]}),
    "bf16_layers": (dw_cnn, {n: "BF16" for n in ["conv1", "relu", "avg", "sub", "mul", "fc"]}),
    # a 16-bit layernorm stays its top op (one fused plan); softmax and silu are tpu ops
    "f16_softmax_layernorm": (softmax_layernorm_net, {n: "F16" for n in ["silu", "soft", "ln"]}),
    "bf16_functions": (functions_net, {n: "BF16" for n in FUNCTIONS}),
}


@pytest.fixture(scope="module", params=sorted(E2E_NETS))
def e2e_net(request: pytest.FixtureRequest) -> ModuleOp:
    build, qtable = E2E_NETS[request.param]
    return quant_module(samples_for((1, 3, 16, 16), 7), build(), qtable=qtable)


def test_tpu_ir_reads_back_as_the_planned_layers(e2e_net: ModuleOp) -> None:
    tpu_ir = to_tpu(e2e_net)
    assert is_int8_tpu_ir(tpu_ir) and not any(op.dialect_name() == "quant" for op in tpu_ir.walk())
    assert_same_net(plan_int8_net(e2e_net), tpu_to_int8_net(tpu_ir))


def test_bmodel_from_tpu_ir_is_byte_identical(e2e_net: ModuleOp) -> None:
    expected = direct_bmodel(e2e_net)
    assert bmodel_of(to_tpu(e2e_net)) == expected
    assert bmodel_of(e2e_net) == expected


def test_integer_ops_hold_the_planned_integers() -> None:
    """The tpu ops' properties are the planned layers' integers (spot check of the mapping)."""
    quant = quant_module(samples_for((1, 3, 16, 16), 7), small_cnn())
    net = plan_int8_net(quant)
    tpu_ir = to_tpu(quant)
    ops = {
        op.location.desc.data: op  # type: ignore[attr-defined]
        for op in tpu_ir.walk()
        if op.dialect_name() == "tpu" and not isinstance(op, tpu.ReshapeOp)
    }
    conv = next(layer for layer in net.layers if layer.name == "relu1")
    op = ops["relu1"]
    assert isinstance(op, tpu.Conv2dOp) and op.do_relu.value.data
    assert list(op.multiplier.get_values()) == conv.multipliers.tolist()  # type: ignore[union-attr]
    assert list(op.rshift.get_values()) == conv.shifts.tolist()  # type: ignore[union-attr]
    add = next(layer for layer in net.layers if layer.name == "relu2")
    assert list(ops["relu2"].multiplier.get_values()) == list(add.multipliers)  # type: ignore[attr-defined]
    gap = next(layer for layer in net.layers if layer.name == "gap")
    assert list(ops["gap"].multiplier.get_values()) == [gap.multiplier]  # type: ignore[attr-defined]


# --- nntc-run and nntc-opt on files ------------------------------------------------------------


def run_dumps(ir: Path, inputs: Path, tmp: Path, tag: str, *extra: str) -> dict[str, dict]:
    out, dump = tmp / f"{tag}_out.npz", tmp / f"{tag}_all.npz"
    run_main(
        [str(ir), "--input", str(inputs), "--output", str(out), "--dump-all", str(dump), *extra]
    )
    with np.load(out) as o, np.load(dump) as d:
        return {"out": {k: o[k] for k in o.files}, "all": {k: d[k] for k in d.files}}


def assert_same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
        assert np.array_equal(a[key], b[key]), key


def check_files(
    tmp: Path, quant_path: Path, x: dict[str, np.ndarray], dequantize: bool = True
) -> None:
    """nntc-opt from the command line, then the read-back net, the bmodel and nntc-run (also
    with `--dequantize` when asked) on both levels."""
    tpu_path = tmp / "net_tpu.mlir"
    done = subprocess.run(
        [str(NNTC_OPT), str(quant_path), "-p", "lower-to-tpu{mode=int8}",
         "--mlir-print-debuginfo", "-o", str(tpu_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = tpu_path.read_text()
    assert "tpu.conv2d" in text and " = quant." not in text and " = top.conv" not in text
    quant, tpu_ir = read_ir(quant_path), read_ir(tpu_path)
    assert_same_net(plan_int8_net(quant), tpu_to_int8_net(tpu_ir))
    assert bmodel_of(tpu_ir) == direct_bmodel(quant)
    np.savez(tmp / "in.npz", **x)
    for extra in ([], ["--dequantize"]) if dequantize else ([],):
        q = run_dumps(quant_path, tmp / "in.npz", tmp, "quant", *extra)
        t = run_dumps(tpu_path, tmp / "in.npz", tmp, "tpu", *extra)
        assert_same_arrays(q["all"], t["all"])
        assert_same_arrays(q["out"], t["out"])


def test_digits_cnn_files(tmp_path: Path) -> None:
    """The digits CNN as tests/test_int8_bitexact.py builds it (nntc-cali's quant IR)."""
    folder, x = calibrated_digits(tmp_path)
    check_files(tmp_path, folder / "digits_quant.mlir", x)


def test_resnet18_files(tmp_path: Path) -> None:
    """ResNet-18 at 64 x 64 as tests/test_int8_bitexact.py builds it."""
    folder, x = calibrated_resnet18_64(tmp_path)
    # (--dequantize only rescales the same integers: the small nets check it)
    check_files(tmp_path, folder / "resnet18_quant.mlir", x, False)


def test_mobile_block_files(tmp_path: Path) -> None:
    """A net with a lookup table, a depthwise conv, a concat and a requant."""
    samples = samples_for((1, 3, 16, 16), 5)
    quant = quant_module(samples[:4], mobile_block())
    check_files(tmp_path, save(quant, tmp_path / "mobile_quant.mlir"), samples[4])


def test_float_layer_in_nntc_run(tmp_path: Path) -> None:
    """A float layer of tpu IR runs on the tpu reference interpreter when there is one (close to
    the quant level's result, integer layers before it equal); without it nntc-run refuses the
    IR in one line naming the layer."""
    samples = samples_for((1, 3, 16, 16), 9)
    quant = save(quant_module(samples[:4], softmax_cnn()), tmp_path / "soft_quant.mlir")
    tpu_path = tmp_path / "soft_tpu.mlir"
    tpu_ir = to_tpu(read_ir(quant))
    save(tpu_ir, tpu_path)
    np.savez(tmp_path / "in.npz", **samples[4])
    try:
        import nntc.targets.reference.tpu_interpreter  # noqa: F401
    except ImportError:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "nntc-run"), str(tpu_path), "--input",
             str(tmp_path / "in.npz"), "--output", str(tmp_path / "o.npz")],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            "nntc-run: error: float layers of tpu IR need the tpu reference interpreter "
            "(nntc.targets.reference.tpu_interpreter is not available): "
            'tpu.softmax at loc("softmax")'
        ]
        return
    q = run_dumps(quant, tmp_path / "in.npz", tmp_path, "quant")
    t = run_dumps(tpu_path, tmp_path / "in.npz", tmp_path, "tpu")
    assert sorted(q["all"]) == sorted(t["all"])
    for key in q["all"]:
        if key == "softmax":
            assert np.allclose(q["all"][key], t["all"][key], rtol=1e-5, atol=1e-6), key
        else:
            assert np.array_equal(q["all"][key], t["all"][key]), key


def test_float_layers_run_on_the_given_tpu_reference() -> None:
    """`tpu_to_int8_net(evaluate=...)`: a float layer's reference runs its tpu ops on the given
    evaluator (here numpy's softmax, the only float op of the net), so the integer reference
    runs the whole tpu-level net: equal to the quant level on every integer layer, the softmax
    within float rounding."""
    samples = samples_for((1, 3, 16, 16), 9)
    quant = quant_module(samples[:4], softmax_cnn())
    seen: list[str] = []

    def softmax(op, args):  # type: ignore[no-untyped-def]
        seen.append(op.name)
        assert isinstance(op, tpu.SoftmaxOp)
        x = np.asarray(args[0], np.float64)
        e = np.exp(x - x.max(axis=op.axis.value.data, keepdims=True))
        return [(e / e.sum(axis=op.axis.value.data, keepdims=True)).astype(np.float32)]

    net = tpu_to_int8_net(to_tpu(quant), evaluate=softmax)
    planned = plan_int8_net(quant)
    got, expected = run_int8_net(net, samples[4]), run_int8_net(planned, samples[4])
    assert seen == ["tpu.softmax"]
    assert sorted(got) == sorted(expected)
    for key in expected:
        if key in ("softmax", "prob"):
            assert np.allclose(got[key], expected[key], rtol=1e-5, atol=1e-7), key
        else:
            assert np.array_equal(got[key], expected[key]), key


# --- an INT8 result read by an F32 layer and, cast, by an F16 layer that reads that one too ----


def excite_net() -> onnx.ModelProto:
    """conv1 (INT8) -> gap -> squeeze -> hard sigmoid, then `mul` = conv1 * gate and `add` =
    conv1 + mul -> conv2: with `mul` in F32 and `add` in F16 (`EXCITE_QTABLE`), one dequantized
    conv1 feeds `mul` and a truncf for `add`, whose two f16 inputs are cast by two casts of one
    name (`add.f16`): the pattern of PP-OCRv4's squeeze-excite blocks in mixed precision."""
    rng = np.random.default_rng(3)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        value = rng.standard_normal(shape) * math.sqrt(2.0 / math.prod(shape[1:]))
        return numpy_helper.from_array(value.astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("GlobalAveragePool", ["c1"], ["g"], name="gap"),
        helper.make_node("Conv", ["g", "w2", "b2"], ["s"], name="squeeze"),
        helper.make_node("HardSigmoid", ["s"], ["gate"], name="hsig"),
        helper.make_node("Mul", ["c1", "gate"], ["m"], name="mul"),
        helper.make_node("Add", ["c1", "m"], ["a"], name="add"),
        helper.make_node("Conv", ["a", "w3", "b3"], ["y"], name="conv2"),
    ]
    graph = helper.make_graph(
        nodes,
        "excite",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 16])],
        [init("w1", 16, 3, 3, 3), init("b1", 16), init("w2", 16, 16, 1, 1), init("b2", 16),
         init("w3", 8, 16, 1, 1), init("b3", 8)],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


EXCITE_QTABLE = {"mul": "F32", "add": "F16"}


def numpy_mul_add(op, args):  # type: ignore[no-untyped-def]
    """The float tpu ops of `excite_net` in numpy (f32; the reference rounds an F16 layer's
    result to f16 itself), standing in for the tpu reference interpreter."""
    kernels = {"tpu.mul": np.multiply, "tpu.add": np.add}
    assert op.name in kernels, op.name
    a, b = (np.asarray(x, np.float32) for x in args)
    return [kernels[op.name](a, b).astype(np.float32)]


def test_int8_result_cast_for_a_16_bit_layer_and_read_by_a_float_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (PP-OCRv4, "tpu.add at loc(p2o.Add.240): an operand that no earlier layer
    writes"): the views of the f16 add's two inputs were written in a row at one location
    (`add.f16.view`), and read back as a float layer of two reshapes."""
    samples = samples_for((1, 3, 16, 16), 7)
    quant = quant_module(samples[:4], excite_net(), qtable=EXCITE_QTABLE)
    ops = [op.name for op in quant.walk()]
    assert ops.count("quant.dcast") == 3 and ops.count("arith.truncf") == 2, ops
    planned = plan_int8_net(quant)
    casts = [layer.name for layer in planned.layers if type(layer).__name__ == "FloatCast"]
    assert casts[:2] == ["add.f16", "add.f16"], casts
    add = next(layer for layer in planned.layers if layer.name == "add")
    assert isinstance(add, Float) and add.computes == "f16" and len(add.inputs) == 2
    tpu_ir = to_tpu(quant)
    assert_same_net(planned, tpu_to_int8_net(tpu_ir))
    assert bmodel_of(tpu_ir) == direct_bmodel(quant) == bmodel_of(quant)
    # nntc-run on the tpu IR runs the float layers on `numpy_mul_add` (there is no tpu
    # reference interpreter yet), the quant level on the FP32 reference's top kernels
    monkeypatch.setattr("nntc.run._tpu_reference", lambda: numpy_mul_add)
    check_files(tmp_path, save(quant, tmp_path / "excite_quant.mlir"), samples[4])
