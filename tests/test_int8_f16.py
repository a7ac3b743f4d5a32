"""F16 / BF16 layers inside INT8 nets computed in 16 bits on the chip (`lower-int8-to-bm1684x`).

The precision table moves layers of an INT8 net to F16/BF16; their commands must compute in that
type (conv, depthwise conv, pooling, matmul, elementwise, relu) with casts at the boundaries.
The independent reference is the FP32 reference interpreter on the 16-bit inputs and weights,
rounded to the layer's type: the chip accumulates in f32 in its own order and rounds once (to
nearest even), so a result may differ from the reference by one ulp of itself, plus the
rounding of an avg-pool scale (1/k rounded to 16 bits, relative 2^-11 / 2^-8): we allow 2 ulps
of max|ref| (ulp = 2^-10 relative for f16, 2^-7 for bf16) and cosine >= 0.9999. The integer
layers after a float layer stay bit-exact when fed the simulated float result.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_e2e_int8 import cosine, emit_int8_net, quant_module, small_cnn
from xdsl.dialects.builtin import ModuleOp

from nntc.passes.lowering.int8 import Float, FloatCast, Int8Net, plan_int8_net
from nntc.passes.lowering.int8_reference import run_int8_net
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.bm1684x.simulator.engine import run_groups
from nntc.targets.weight_store import weight_store_of

MANTISSA_BITS = {"f16": 10, "bf16": 7}


def read_kind(raw: bytes, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """A DDR tensor as its values (16-bit floats as float32)."""
    if kind == "f16":
        return np.frombuffer(raw, np.float16).astype(np.float32).reshape(shape)
    if kind == "bf16":
        bits = np.frombuffer(raw, np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    dtype = {"f32": np.float32, "i8": np.int8, "u8": np.uint8}[kind]
    return np.frombuffer(raw, dtype).reshape(shape)


def simulate(net: Int8Net, data: bytes, x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sim = Simulator(data)
    mem = sim._fresh_memory()
    for t in sim.inputs:
        sim._store_input(mem, t, x[t.name])
    run_groups(sim.groups, mem, sim.timing, sim.layers)
    return {
        lay.name: read_kind(
            mem.read_bytes(lay.output.address, lay.output.nbytes), lay.output.kind, lay.output.shape
        )
        for lay in net.layers
    }


def assert_half_close(got: np.ndarray, ref: np.ndarray, kind: str, what: str) -> None:
    top = float(np.abs(ref).max())
    ulp = 2.0 ** (math.floor(math.log2(top)) - MANTISSA_BITS[kind]) if top > 0 else 0.0
    err = float(np.abs(got.astype(np.float64) - ref).max())
    assert err <= 2 * ulp, f"{what}: max abs error {err} > 2 ulps ({ulp}) of max|ref| {top}"
    assert cosine(got, ref) >= 0.9999, what


def dw_cnn() -> onnx.ModelProto:
    """conv -> depthwise conv (relu) -> avgpool -> sub of a broadcast constant -> mul -> gap
    -> gemm: every 16-bit layer kind."""
    rng = np.random.default_rng(5)

    def init(name: str, *shape: int) -> onnx.TensorProto:
        value = rng.standard_normal(shape) * math.sqrt(2.0 / int(np.prod(shape[1:])))
        return numpy_helper.from_array(value.astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node(
            "Conv", ["c1", "wd", "bd"], ["d1"], pads=[1, 1, 1, 1], group=40, name="dw"
        ),
        helper.make_node("Relu", ["d1"], ["r1"], name="relu"),
        helper.make_node(
            "AveragePool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], name="avg"
        ),
        helper.make_node("Sub", ["p1", "m"], ["s1"], name="sub"),
        helper.make_node("Mul", ["s1", "p1"], ["q1"], name="mul"),
        helper.make_node("GlobalAveragePool", ["q1"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "dw_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 40, 3, 3, 3),
            init("b1", 40),
            init("wd", 40, 1, 3, 3),
            init("bd", 40),
            init("m", 1, 40, 1, 1),
            init("wf", 10, 40),
            init("bf", 10),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def compile_net(model: onnx.ModelProto, qtable: dict[str, str], seed: int):
    rng = np.random.default_rng(seed)
    samples = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(8)]
    module = quant_module(samples[:6], model, qtable=qtable)
    net = plan_int8_net(module)
    model_ir = emit_int8_net(net, weight_store_of(module))
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model_ir]), weight_store_of(module)))
    return net, data, samples[6:]


def check_net(net: Int8Net, data: bytes, samples: list[dict[str, np.ndarray]]) -> None:
    """Each float layer against the reference fed the simulated inputs; integer layers and
    casts bit-exact when fed the simulated float results."""
    floats = {lay.name for lay in net.layers if isinstance(lay, Float)}
    for x in samples:
        sim = simulate(net, data, x)
        ref = run_int8_net(net, x, overrides={n: sim[n] for n in floats})
        for lay in net.layers:
            if lay.name in floats:
                continue
            assert np.array_equal(sim[lay.name], ref[lay.name]), lay.name
        # each float layer alone: the reference on the simulated inputs
        for lay in net.layers:
            if not isinstance(lay, Float):
                continue
            fed = run_int8_net(net, x, overrides={n: sim[n] for n in sim if n != lay.name})
            if lay.computes == "f32":
                assert cosine(sim[lay.name], fed[lay.name]) >= 0.99999, lay.name
            else:
                assert_half_close(sim[lay.name], fed[lay.name], lay.computes, lay.name)


@pytest.mark.parametrize("kind", ["F16", "BF16"])
def test_half_layers_compute_in_16_bits(kind: str) -> None:
    """conv, depthwise (+relu), avgpool, sub (broadcast), mul, matmul marked F16/BF16: each
    computes in 16 bits on 16-bit DDR tensors, casts only at the float boundaries, no warning."""
    names = ["conv1", "relu", "avg", "sub", "mul", "fc"]  # "relu": the depthwise conv fused
    net, data, samples = compile_net(dw_cnn(), {n: kind for n in names}, 3)
    floats = [lay for lay in net.layers if isinstance(lay, Float)]
    assert {f.computes for f in floats} == {kind.lower()} and not net.warnings
    assert all(f.output.kind == kind.lower() for f in floats)
    assert len(floats) == len(names)
    assert all(b.kind == kind.lower() for f in floats for b in f.inputs)
    casts = [lay for lay in net.layers if isinstance(lay, FloatCast)]
    pairs = {(c.inputs[0].kind, c.output.kind) for c in casts}
    assert pairs == {("f32", kind.lower()), (kind.lower(), "f32")}
    check_net(net, data, samples)


def test_f16_conv_and_matmul_in_resnet_like_net() -> None:
    """small_cnn with its second conv and the classifier in F16 and the max pool in BF16."""
    net, data, samples = compile_net(
        small_cnn(), {"conv2": "F16", "fc": "F16", "pool1": "BF16"}, 11
    )
    kinds = {lay.name: lay.computes for lay in net.layers if isinstance(lay, Float)}
    assert set(kinds.values()) == {"f16", "bf16"} and not net.warnings
    check_net(net, data, samples)
