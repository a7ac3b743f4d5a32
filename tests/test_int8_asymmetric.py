"""INT8 code generation of asymmetric activations (`quantize{asymmetric=true}`: u8 with zero points).

A small CNN (conv with padding, depthwise conv with padding + ReLU, residual add, max pool, a
sigmoid and a tanh table (its result with a zero point), concat, global average pool, gemm) quantized with asymmetric activations and
compiled through the tpu level, as `lower-int8-to-bm1684x` compiles it:

- the simulator equals the exact integer reference (`int8_reference`) bit for bit on every
  layer's DDR tensor (`store_all`);
- the exact reference stays within one quantization step of the float fake-quant reference
  (`targets/reference/quant_functions.py`) on every layer, and `nntc-run --dequantize` gives
  real values that do too;
- the simulated output is close to onnxruntime;
- weights with zero points are refused in one line naming the op;
- a fused (clipped) ReLU clamps at the result's zero point and limit (a hand-built net).
"""

from __future__ import annotations

import models
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from test_e2e_int8 import cosine, float_module, simulate_all
from xdsl.dialects.builtin import IntegerType, ModuleOp, Signedness, f32
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects.quant import UniformQuantType
from nntc.ir_io import nntc_context
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.lowering import int8 as codegen
from nntc.passes.lowering.int8 import Int8Net, plan_int8_net, zero_point
from nntc.passes.lowering.int8_reference import run_int8_net
from nntc.passes.lowering.int8_tpu import through_tpu
from nntc.passes.quantize import quantize_module
from nntc.run import run_int8
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.calibration import (
    collect_statistics,
    compute_thresholds,
    table_from_statistics,
)
from nntc.targets.reference.quant_functions import run_quant_module
from nntc.targets.weight_store import WeightStore, weight_store_of


def asym_cnn() -> onnx.ModelProto:
    rng = np.random.default_rng(3)

    init = models.he_initializer(rng)

    node = helper.make_node
    nodes = [
        node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        node("Conv", ["c1", "wd", "bd"], ["d"], pads=[1, 1, 1, 1], group=8, name="dw"),
        node("Relu", ["d"], ["r"], name="relu"),
        node("Add", ["r", "c1"], ["a"], name="add"),
        node("MaxPool", ["a"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        node("Sigmoid", ["p"], ["s"], name="sig"),
        node("Tanh", ["p"], ["t"], name="tanh"),
        node("Concat", ["s", "t", "p"], ["cat"], axis=1, name="cat"),
        node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        node("Flatten", ["gap"], ["flat"], name="flat"),
        node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "asym_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 8, 3, 3, 3),
            init("b1", 8),
            init("wd", 8, 1, 3, 3),
            init("bd", 8),
            init("wf", 10, 24),
            init("bf", 10),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def asym_module(samples: list[dict[str, np.ndarray]]) -> ModuleOp:
    module = float_module(asym_cnn())
    stats = collect_statistics(module, samples, store=weight_store_of(module))
    attach_calibration(
        module, table_from_statistics(stats, compute_thresholds(stats, "max"), method="max")
    )
    quantize_module(module, asymmetric=True)
    module.verify()
    return module


def _bmodel(net: Int8Net, module: ModuleOp, store_all: bool = True) -> bytes:
    store = weight_store_of(module)
    model = codegen.emit_int8_net(net, store, store_all=store_all)
    return bmodel_bytes(ir_to_bmodel(ModuleOp([model]), store))


@pytest.fixture(scope="module")
def compiled() -> tuple[ModuleOp, Int8Net, bytes, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(11)
    samples = [{"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)} for _ in range(9)]
    module = asym_module(samples[:6])
    planned = plan_int8_net(module)
    # what the pass emits: the planned net written as tpu IR and read back
    net = through_tpu(planned, weight_store_of(module))
    data = _bmodel(net, module)
    assert data == _bmodel(planned, module)
    return module, net, data, samples[6:]


def test_the_net_has_zero_points_where_each_kind_of_layer_reads_or_writes(compiled) -> None:
    _, net, _, _ = compiled
    zps = {
        type(layer).__name__: (zero_point(layer.inputs[0]), zero_point(layer.output))
        for layer in net.layers
        if type(layer).__name__ not in ("Requant", "Lut") or zero_point(layer.inputs[0]) != 0
    }
    tables = [layer for layer in net.layers if isinstance(layer, codegen.Lut)]
    assert len(tables) == 2 and zero_point(tables[-1].output) != 0
    # the convs read zero points through their padding; the ReLU result has zero point 0
    assert zps["QCast"][1] != 0 and zps["DCast"][0] != 0
    for kind in ("Conv", "DwConv", "Add", "MaxPool", "Lut", "Requant", "AvgPool", "MatMul"):
        assert zps[kind][0] != 0, kind
    for kind in ("Conv", "Add", "MaxPool", "Concat", "AvgPool", "MatMul"):
        assert zps[kind][1] != 0, kind
    convs = [layer for layer in net.layers if isinstance(layer, codegen.Conv)]
    assert len(convs) == 2 and all(layer.pads == (1, 1, 1, 1) for layer in convs)


def test_every_layer_is_bit_exact(compiled) -> None:
    _, net, data, held_out = compiled
    for x in held_out:
        ref = run_int8_net(net, x)
        sim = simulate_all(net, data, x)
        for layer in net.layers:
            assert sim[layer.name].dtype == ref[layer.name].dtype, layer.name
            assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name


def _steps(module: ModuleOp, layers: dict[str, np.ndarray], x: dict[str, np.ndarray]) -> dict:
    """Per integer layer of `layers` (real values, by location): the largest distance from
    the fake-quant reference in quantization steps of the layer's type."""
    net = plan_int8_net(module)
    fake = run_quant_module(module, x, store=weight_store_of(module), dump_all=True).all_values
    names = [layer.name for layer in net.layers]
    steps = {}
    for layer in net.layers:
        qtype = layer.output.qtype
        # a name shared by two layers (the gemm and its output dequantization) is the later one's
        if qtype is None or names.count(layer.name) > 1 or layer.name not in fake:
            continue
        expected = np.asarray(fake[layer.name], np.float64).ravel()
        got = np.asarray(layers[layer.name], np.float64).ravel()
        steps[layer.name] = float(np.abs(got - expected).max() / qtype.scale)  # type: ignore
    return steps


def test_exact_reference_within_one_step_of_fake_quant(compiled) -> None:
    module, net, _, held_out = compiled
    for x in held_out:
        ref = run_int8_net(net, x)
        real = {
            layer.name: (ref[layer.name].astype(np.int64) - zero_point(layer.output))
            * float(layer.output.qtype.scale)  # type: ignore[attr-defined]
            for layer in net.layers
            if layer.output.qtype is not None
        }
        steps = _steps(module, real, x)
        assert {"conv1", "relu", "add", "pool", "sig", "tanh", "cat", "gap"} <= steps.keys()
        assert max(steps.values()) <= 1.0 + 1e-6, steps
        fake = run_quant_module(module, x, store=weight_store_of(module)).outputs["logits"]
        scale = float(net.layers[-2].output.qtype.scale)  # type: ignore[attr-defined]
        assert np.abs(ref["logits"] - fake).max() <= scale * (1 + 1e-6)


def test_nntc_run_dequantizes_with_the_zero_points(compiled) -> None:
    module, net, _, held_out = compiled
    x = held_out[0]
    outputs, layers = run_int8(module, x, dequantize=True)
    assert np.array_equal(outputs["logits"], run_int8_net(net, x)["logits"])
    steps = _steps(module, layers, x)
    assert {"conv1", "relu", "add", "pool", "gap"} <= steps.keys()
    assert max(steps.values()) <= 1.0 + 1e-6, steps


def test_simulated_output_is_close_to_onnxruntime(compiled) -> None:
    ort = pytest.importorskip("onnxruntime")
    _, net, data, held_out = compiled
    session = ort.InferenceSession(
        asym_cnn().SerializeToString(), providers=["CPUExecutionProvider"]
    )
    module = compiled[0]
    # the pass's default emission: results left in local memory for the layers that read them
    default = Simulator(_bmodel(net, module, store_all=False))
    sim = Simulator(data)
    for x in held_out:
        (expected,) = session.run(["logits"], x)
        got = sim.run(x).outputs["logits"]
        assert np.array_equal(got, run_int8_net(net, x)["logits"])
        assert np.array_equal(default.run(x).outputs["logits"], got)
        assert cosine(got, expected) >= 0.99


ASYMMETRIC_WEIGHT = """
func.func @main(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %x = quant.qcast %arg0 : tensor<1x2xf32> to tensor<1x2x!quant.uniform<u8:f32, 0.02:100>> loc("x")
  %w = top.weight "w" : tensor<2x2x!quant.uniform<i8:f32, 0.01:3>> loc("w")
  %y = top.matmul %x, %w : (tensor<1x2x!quant.uniform<u8:f32, 0.02:100>>, tensor<2x2x!quant.uniform<i8:f32, 0.01:3>>) -> tensor<1x2x!quant.uniform<u8:f32, 0.05:7>> loc("fc")
  %z = quant.dcast %y : tensor<1x2x!quant.uniform<u8:f32, 0.05:7>> to tensor<1x2xf32> loc("out")
  func.return %z : tensor<1x2xf32>
}
"""


def test_weights_with_zero_points_are_refused_naming_the_op() -> None:
    from xdsl.parser import Parser

    module = Parser(nntc_context(), ASYMMETRIC_WEIGHT).parse_module()
    with pytest.raises(DiagnosticException) as info:
        plan_int8_net(module)
    (line,) = str(info.value).splitlines()[1:]
    assert 'top.matmul at loc("fc")' in line and "asymmetric weights" in line


def _u8(scale: float, zp: int) -> UniformQuantType:
    return UniformQuantType(IntegerType(8, Signedness.UNSIGNED), f32, scale, zp)


def test_relu_and_its_limit_clamp_at_stored_values_with_a_zero_point() -> None:
    """An add with a fused clipped ReLU whose result type has a zero point (quantize gives a
    ReLU's result zero point 0, so the net above never clamps at one): built by hand."""
    shape = (1, 4, 4, 4)
    x = codegen.Buf("x", shape, "f32", io_shape=shape)
    a = codegen.Buf("a", shape, "u8", qtype=_u8(0.02, 100))
    b = codegen.Buf("b", shape, "u8", qtype=_u8(0.03, 30))
    y = codegen.Buf("y", shape, "u8", qtype=_u8(0.025, 50))
    out = codegen.Buf("out", shape, "f32", io_shape=shape)
    m_a, shift = codegen.multiplier_and_shift(0.02 / 0.025, (1 << codegen.ADD_MULTIPLIER_BITS) - 1)
    m_b = round(0.03 / 0.025 * 2.0**shift)
    limit = 50 + 120  # ReLU6-like: 3.0 / 0.025 above the zero point
    net = Int8Net(
        "relu_zp",
        [
            codegen.QCast("qa", [x], a, inv_scale=1 / 0.02),
            codegen.QCast("qb", [x], b, inv_scale=1 / 0.03),
            codegen.Add(
                "add", [a, b], y, multipliers=(m_a, m_b), shift=shift, relu=True, limit=limit
            ),  # fmt: skip
            codegen.DCast("dq", [y], out, scale=0.025),
        ],
        [("x", x)],
        [("out", out)],
        round_mode=1,
    )
    store = WeightStore()
    model = codegen.emit_int8_net(net, store, store_all=True)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), store))
    rng = np.random.default_rng(0)
    feed = {"x": rng.uniform(-3.0, 4.0, shape).astype(np.float32)}
    ref = run_int8_net(net, feed)
    sim = simulate_all(net, data, feed)
    for layer in net.layers:
        assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name
    stored = ref["add"].astype(np.int64)
    # clamped at the zero point (real 0) and at the limit, and both reached
    assert stored.min() == 50 and stored.max() == limit
    real = 0.02 * (ref["qa"].astype(np.int64) - 100) + 0.03 * (ref["qb"].astype(np.int64) - 30)
    expected = np.clip(np.floor(real / 0.025 + 0.5), 0, 120) + 50
    assert np.abs(stored - expected).max() <= 1
