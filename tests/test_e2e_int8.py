"""INT8 end to end: quant-level IR -> `lower-int8-to-bm1684x` -> bmodel -> simulator.

The simulator must equal the exact integer reference (`nntc.passes.lowering.int8_reference`)
bit for bit on every layer's DDR tensor of a small CNN (conv-relu, maxpool, conv + residual add
+ relu, global average pool, gemm; a mobile block: depthwise conv + ReLU6, sigmoid as a table
lookup, channel concat), and both must stay close to the FP32 reference.
"""

from __future__ import annotations

import math

import models
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects.builtin import ModuleOp
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top
from nntc.ir_io import nntc_context
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.lowering import int8 as codegen
from nntc.passes.lowering.int8 import (
    Buf,
    DCast,
    DwConv,
    Float,
    Int8Net,
    LowerInt8ToBm1684xPass,
    Lut,
    QCast,
    Requant,
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

    init = models.he_initializer(rng)

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


def mobile_block(size: int = 16) -> onnx.ModelProto:
    """conv + ReLU6 -> depthwise 3x3 stride 2 + ReLU6 -> [sigmoid, 1x1 conv] -> concat -> gap
    -> gemm: the int8 ops of MobileNet / EfficientNet-Lite blocks."""
    rng = np.random.default_rng(5)

    init = models.he_initializer(rng)

    six = numpy_helper.from_array(np.array(6.0, np.float32), "six")
    zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Clip", ["c1", "zero", "six"], ["r1"], name="relu6_1"),
        helper.make_node(
            "Conv",
            ["r1", "wd", "bd"],
            ["d"],
            pads=[1, 1, 1, 1],
            strides=[2, 2],
            group=16,
            name="dw",
        ),  # fmt: skip
        helper.make_node("Clip", ["d", "zero", "six"], ["r2"], name="relu6_2"),
        helper.make_node("Sigmoid", ["r2"], ["s"], name="sig"),
        helper.make_node("Conv", ["r2", "w2", "b2"], ["c2"], name="conv2"),
        helper.make_node("Concat", ["s", "c2"], ["cat"], axis=1, name="cat"),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "mobile_block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 16, 3, 3, 3),
            init("b1", 16),
            init("wd", 16, 1, 3, 3),
            init("bd", 16),
            init("w2", 8, 16, 1, 1),
            init("b2", 8),
            init("wf", 10, 24),
            init("bf", 10),
            six,
            zero,
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def float_module(model: onnx.ModelProto | None = None) -> ModuleOp:
    module, store = import_onnx(model if model is not None else small_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    return module


def quant_module(
    samples: list[dict[str, np.ndarray]],
    model: onnx.ModelProto | None = None,
    method: str = "max",
    qtable: dict[str, str] | None = None,
) -> ModuleOp:
    module = float_module(model)
    store = weight_store_of(module)
    stats = collect_statistics(module, samples, store=store)
    table = table_from_statistics(stats, compute_thresholds(stats, method), method=method)
    attach_calibration(module, table)
    quantize_module(module, qtable=qtable)
    module.verify()
    return module


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def emit_int8_net(net: Int8Net, store: codegen.WeightStore) -> codegen.ModelOp:
    """The bmodel IR with every result also stored (`store_all`): layers still read the inputs
    kept in local memory from there, and every layer's result can be compared in DDR
    (tests/test_int8_overlap.py checks the default, which leaves them out of DDR)."""
    return codegen.emit_int8_net(net, store, store_all=True)


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


@pytest.fixture(scope="module")
def mobile() -> tuple[Int8Net, bytes, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(13)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(12)]
    module = quant_module(samples[:8], mobile_block())
    net = plan_int8_net(module)
    model = emit_int8_net(net, weight_store_of(module))
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), weight_store_of(module)))
    return net, data, samples[8:]


def test_mobile_block_is_bit_exact(mobile) -> None:
    net, data, held_out = mobile
    kinds = {type(layer).__name__ for layer in net.layers}
    assert {"DwConv", "Lut", "Concat"} <= kinds
    dw = next(layer for layer in net.layers if isinstance(layer, DwConv))
    assert dw.weight.shape == (16, 1, 3, 3) and dw.stride == (2, 2) and dw.relu
    for x in held_out:
        ref = run_int8_net(net, x)
        sim = simulate_all(net, data, x)
        for layer in net.layers:
            assert sim[layer.name].dtype == ref[layer.name].dtype, layer.name
            assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name


def test_mobile_block_is_close_to_fp32(mobile) -> None:
    net, data, held_out = mobile
    fmod = float_module(mobile_block())
    sim = Simulator(data)
    for x in held_out:
        expected = run_module(fmod, x, store=weight_store_of(fmod)).outputs["logits"]
        got = sim.run(x).outputs["logits"]
        assert np.array_equal(got, run_int8_net(net, x)["logits"])
        assert cosine(got, expected) >= 0.99


def test_clamp_and_lookup_reach_every_value(mobile) -> None:
    """The clamp of a clipped ReLU and every one of the 256 table entries, on the simulator."""
    net, _, _ = mobile
    lut = next(layer for layer in net.layers if isinstance(layer, Lut))
    src = lut.inputs[0]
    # a net of the lookup alone, fed every 8-bit pattern through a qcast of the stored values
    rng = np.random.default_rng(0)
    table = rng.integers(-128, 128, 256).astype(np.int8 if lut.output.signed else np.uint8)
    values = np.arange(256, dtype=np.uint8).view(np.int8 if src.signed else np.uint8)
    n = 1100  # more than one LUT_CHUNK
    stored = np.resize(values, n)
    fin = Buf("in", (1, 1, 1, n), "f32", io_shape=(1, n))
    q = Buf("q", (1, 1, 1, n), src.kind)
    y = Buf("y", (1, 1, 1, n), lut.output.kind)
    fout = Buf("out", (1, 1, 1, n), "f32", io_shape=(1, n))
    clamped = Buf("c", (1, 1, 1, n), lut.output.kind)
    layers = [
        QCast("qcast", [fin], q, inv_scale=1.0),
        Lut("lut", [q], y, table=table),
        Requant("clamp", [y], clamped, multiplier=1, shift=0),
        DCast("dcast", [clamped], fout, scale=1.0),
    ]
    tiny = Int8Net("lut", layers, [("in", fin)], [("out", fout)], 1)
    store = weight_store_of(quant_module([{"x": np.zeros((1, 3, 16, 16), np.float32)}]))
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(tiny, store)]), store))
    x = {"in": stored.astype(np.float32).reshape(1, n)}
    expected = table[stored.view(np.uint8)]
    assert np.array_equal(run_int8_net(tiny, x)["lut"].ravel(), expected)
    assert np.array_equal(simulate_all(tiny, data, x)["lut"].ravel(), expected)


def test_relu_limit_clamps_the_requantized_result() -> None:
    """A clipped ReLU whose limit lies inside the result's range (calibrated for ReLU6, the
    limit lowered to 2.0 afterwards) clamps on the chip as in the reference."""
    rng = np.random.default_rng(21)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(6)]
    module = quant_module(samples[:4], mobile_block())
    convs = [op for op in module.walk() if isinstance(op, top.ConvOp) and op.relu_limit]
    assert len(convs) == 2
    for conv in convs:
        conv.set_relu(2.0)
    net = plan_int8_net(module)
    limited = [layer for layer in net.layers if getattr(layer, "limit", None) is not None]
    assert len(limited) == 2
    model = emit_int8_net(net, weight_store_of(module))
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), weight_store_of(module)))
    scales = [float(c.output.type.get_element_type().scale) for c in convs]  # type: ignore
    assert sorted(layer.limit for layer in limited) == sorted(  # type: ignore[type-var]
        math.floor(2.0 / s + 0.5) for s in scales
    )
    reached = dict.fromkeys((layer.name for layer in limited), False)
    for x in samples[4:]:
        ref = run_int8_net(net, x)
        sim = simulate_all(net, data, x)
        for layer in net.layers:
            assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name
        for layer in limited:
            assert int(sim[layer.name].max()) <= layer.limit
            reached[layer.name] |= bool((sim[layer.name] == layer.limit).any())
    assert all(reached.values()), reached


def test_large_tensors_run_in_row_slices() -> None:
    """At 224 x 224 the first conv's int32 accumulator alone (196 KiB a lane) exceeds half of
    local memory, even with its input kept there by the qcast: conv, depthwise, qcast, ... run
    in slices of rows, the padding rows at the slice borders included, still bit-exact."""
    rng = np.random.default_rng(17)
    samples = [{"x": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)} for _ in range(3)]
    module = quant_module(samples[:2], mobile_block(224))
    net = plan_int8_net(module)
    model = emit_int8_net(net, weight_store_of(module))
    convs = [op for op in model.walk() if op.name == "bm1684x.tiu.conv"]
    assert len(convs) > 2  # two conv layers, the first in several slices
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), weight_store_of(module)))
    ref = run_int8_net(net, samples[2])
    sim = simulate_all(net, data, samples[2])
    for layer in net.layers:
        assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name


def softmax_cnn() -> onnx.ModelProto:
    """`small_cnn` with a Softmax head: quantize keeps the softmax in F32 inside the INT8 net."""
    model = small_cnn()
    graph = model.graph
    graph.node[-1].output[0] = "logits"
    graph.node.append(helper.make_node("Softmax", ["logits"], ["prob"], axis=1, name="softmax"))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10]))
    return model


F32_COSINE_MIN = 0.99999
"""The FP32 end-to-end acceptance (tests/test_e2e_f32.py): cosine and max abs error <= 1e-3 x
max |reference|."""


def assert_f32_close(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert got.dtype == np.float32 and got.shape == expected.shape, what
    assert cosine(got, expected) >= F32_COSINE_MIN, what
    assert np.abs(got - expected).max() <= 1e-3 * np.abs(expected).max(), what


def test_f32_softmax_head_inside_an_int8_net() -> None:
    """conv (INT8) ... gemm (INT8) -> dcast -> softmax (F32): the integer layers stay bit-exact,
    the softmax (the FP32 code generator's commands) matches the FP32 reference interpreter
    on the simulated logits, and the net output stays close to the FP32 model."""
    rng = np.random.default_rng(23)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(10)]
    module = quant_module(samples[:8], softmax_cnn())
    net = plan_int8_net(module)
    (soft,) = [layer for layer in net.layers if isinstance(layer, Float)]
    assert soft.name == "softmax" and soft.precision == soft.computes == "f32"
    assert not net.warnings
    assert [t.name for t in soft.tpu_ops] == ["tpu.softmax"]
    model = emit_int8_net(net, weight_store_of(module))
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), weight_store_of(module)))
    fmod = float_module(softmax_cnn())
    for x in samples[8:]:
        ref = run_int8_net(net, x)
        sim = simulate_all(net, data, x)
        for layer in net.layers:
            if layer is not soft:
                assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name
        # the float layer against the FP32 reference interpreter, fed the simulated logits
        logits = sim[soft.inputs[0].name].reshape(1, 10)
        expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert_f32_close(sim["softmax"].reshape(1, 10), ref["softmax"].reshape(1, 10), "ref")
        assert_f32_close(sim["softmax"].reshape(1, 10), expected.astype(np.float32), "numpy")
        out = Simulator(data).run(x).outputs["prob"]
        fp32 = run_module(fmod, x, store=weight_store_of(fmod)).outputs["prob"]
        assert cosine(out, fp32) >= 0.999
