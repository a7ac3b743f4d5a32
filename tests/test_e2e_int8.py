"""INT8 end to end: quant-level IR -> `lower-int8-to-bm1684x` -> bmodel -> simulator.

The simulator must equal the exact integer reference (`nntc.passes.lowering.int8_reference`)
bit for bit on every layer's DDR tensor of a small CNN (conv-relu, maxpool, conv + residual add
+ relu, global average pool, gemm), and both must stay close to the FP32 reference.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects.builtin import ModuleOp
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.ir_io import nntc_context
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.lowering.int8 import (
    Int8Net,
    LowerInt8ToBm1684xPass,
    emit_int8_net,
    multiplier_and_shift,
    plan_int8_net,
)
from nntc.passes.lowering.int8_reference import round_shift, run_int8_net
from nntc.passes.quantize import quantize_module
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.bm1684x.simulator.engine import run_groups
from nntc.targets.bm1684x.simulator.tiu import shift_round
from nntc.targets.calibration import (
    collect_statistics,
    compute_thresholds,
    table_from_statistics,
)
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import run_module
from nntc.targets.weight_store import attach_weight_store, weight_store_of


def small_cnn() -> onnx.ModelProto:
    rng = np.random.default_rng(3)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        value = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
        return numpy_helper.from_array(value.astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"
        ),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Add", ["c2", "p1"], ["a2"], name="add2"),
        helper.make_node("Relu", ["a2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 8, 3, 3, 3),
            init("b1", 8),
            init("w2", 8, 8, 3, 3),
            init("b2", 8),
            init("wf", 10, 8),
            init("bf", 10),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def float_module() -> ModuleOp:
    module, store = import_onnx(small_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    return module


def quant_module(samples: list[dict[str, np.ndarray]]) -> ModuleOp:
    module = float_module()
    store = weight_store_of(module)
    stats = collect_statistics(module, samples, store=store)
    table = table_from_statistics(stats, compute_thresholds(stats, "max"), method="max")
    attach_calibration(module, table)
    quantize_module(module)
    module.verify()
    return module


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def simulate_all(net: Int8Net, data: bytes, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every layer's output as the simulator leaves it in DDR (one batch)."""
    sim = Simulator(data)
    mem = sim._fresh_memory()  # the per-tensor view needs the memory after the run
    for t in sim.inputs:
        sim._store_input(mem, t, x[t.name])
    run_groups(sim.groups, mem, sim.timing, sim.layers)
    out = {}
    for layer in net.layers:
        b = layer.output
        dtype = {"f32": np.float32, "i8": np.int8, "u8": np.uint8}[b.kind]
        out[layer.name] = mem.read_bytes(b.address, b.nbytes).view(dtype).reshape(b.shape)
    return out


@pytest.fixture(scope="module")
def compiled() -> tuple[Int8Net, bytes, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(11)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(12)]
    module = quant_module(samples[:8])
    net = plan_int8_net(module)
    store = weight_store_of(module)
    model = emit_int8_net(net, store)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), store))
    return net, data, samples[8:]


def test_every_layer_is_bit_exact(compiled) -> None:
    net, data, held_out = compiled
    kinds = {type(layer).__name__ for layer in net.layers}
    assert kinds == {"QCast", "Conv", "MaxPool", "Requant", "Add", "AvgPool", "MatMul", "DCast"}
    for x in held_out:
        ref = run_int8_net(net, x)
        sim = simulate_all(net, data, x)
        for layer in net.layers:
            assert sim[layer.name].dtype == ref[layer.name].dtype, layer.name
            assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name


def test_int8_is_close_to_fp32(compiled) -> None:
    net, data, held_out = compiled
    fmod = float_module()
    sim = Simulator(data)
    for x in held_out:
        expected = run_module(fmod, x, store=weight_store_of(fmod)).outputs["logits"]
        got = sim.run(x).outputs["logits"]
        assert got.dtype == np.float32 and got.shape == (1, 10)
        assert np.array_equal(got, run_int8_net(net, x)["logits"])
        assert cosine(got, expected) >= 0.99


def test_pass_replaces_the_function_by_a_bmodel() -> None:
    rng = np.random.default_rng(2)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(3)]
    module = quant_module(samples)
    LowerInt8ToBm1684xPass(net="cnn").apply(nntc_context(), module)
    module.verify()
    assert [op.name for op in module.ops] == ["bm1684x.model"]
    out = Simulator(bmodel_bytes(ir_to_bmodel(module, weight_store_of(module)))).run(samples[0])
    assert out.outputs["logits"].shape == (1, 10)


def test_unsupported_ops_are_reported_by_name() -> None:
    rng = np.random.default_rng(2)
    module = quant_module([{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)}])
    # a grouped conv is outside this slice
    (conv,) = [op for op in module.walk() if op.name == "top.conv"][:1]
    conv.properties["group"] = type(conv.properties["group"])(2, 64)
    with pytest.raises(DiagnosticException, match=r'top.conv at loc\("relu1"\): grouped conv'):
        plan_int8_net(module)


@pytest.mark.parametrize("scale", [1e-6, 0.0031, 0.5, 1.0, 3.75, 1000.0])
def test_multiplier_and_shift(scale: float) -> None:
    m, s = multiplier_and_shift(scale)
    assert 0 < m <= 2**31 - 1 and 0 <= s <= 63
    assert abs(m / 2**s - scale) <= scale * 2**-30
    assert m * 2 > 2**31 - 1 or s == 63  # the shift is as large as the multiplier allows


@pytest.mark.parametrize("mode", range(7))
def test_round_shift_matches_the_simulator(mode: int) -> None:
    x = np.arange(-70, 71, dtype=np.int64) * 3
    for s in (0, 1, 2, 5):
        assert np.array_equal(round_shift(x, s, mode), shift_round(x, s, mode))
