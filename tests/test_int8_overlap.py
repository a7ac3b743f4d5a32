"""INT8 code generation overlaps the GDMA with the TIU and keeps chains in local memory.

`lower-int8-to-bm1684x` loads the next layer's coefficients while a layer computes (and later
layers' coefficients during compute-heavy layers, into local memory left free), double-
buffers row slices, and leaves a result read only by the next layer in local memory (never
stored to DDR), a residual block's input until its add. These tests fail if that regresses: the simulated time must stay well below the
two engines' busy times added up (what a serial schedule takes), intermediate results must stay
out of DDR, and the net outputs and every stored layer must stay bit-exact against the integer
reference (`int8_reference`), which does not know about local memory.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_e2e_int8 import mobile_block, quant_module, simulate_all, small_cnn
from xdsl.dialects.builtin import ModuleOp

from nntc.dialects.bm1684x import GdmaTensorOp, Precision, PrecisionAttr
from nntc.passes.lowering import int8
from nntc.passes.lowering.int8 import Int8Net, emit_int8_net, plan_int8_net
from nntc.passes.lowering.int8_reference import run_int8_net
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.weight_store import weight_store_of


def compile_net(model: object, shape: tuple[int, ...], seed: int) -> tuple[Int8Net, bytes, dict]:
    rng = np.random.default_rng(seed)
    samples = [{"x": rng.standard_normal(shape).astype(np.float32)} for _ in range(3)]
    module = quant_module(samples[:2], model)  # type: ignore[arg-type]
    net = plan_int8_net(module)
    store = weight_store_of(module)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(net, store)]), store))
    return net, data, samples[2]


@pytest.mark.parametrize(
    ("model", "shape", "kept"),
    [
        (small_cnn, (1, 3, 16, 16), {"QCast", "Conv", "Add"}),
        (mobile_block, (1, 3, 16, 16), {"QCast", "Conv"}),
    ],
)
def test_chains_stay_in_local_memory_bit_exact(model, shape, kept: set[str]) -> None:
    net, data, x = compile_net(model(), shape, 23)
    kinds = {type(layer).__name__ for layer in net.layers if layer.name in net.lmem_only}
    assert kept <= kinds, f"results kept in local memory: {sorted(net.lmem_only)}"
    ref = run_int8_net(net, x)
    sim = simulate_all(net, data, x)
    for layer in net.layers:
        if layer.name in net.lmem_only:
            # never stored: its DDR buffer is still the zeros of a fresh memory
            assert not sim[layer.name].any(), layer.name
        else:
            assert np.array_equal(sim[layer.name], ref[layer.name]), layer.name
    got = Simulator(data).run(x).outputs["logits"]
    assert np.array_equal(got, ref["logits"])


def conv_chain(
    layers: int = 4,
    channels: int = 64,
    size: int = 28,
    stages: list[tuple[int, int]] = (),
    varied_bias: bool = False,
) -> onnx.ModelProto:
    """3x3 conv + ReLU layers of a ResNet stage (`layers` of `channels`, or the (channels,
    stride) of each in `stages`), then global average pool and a gemm. Biases are 0.1, or
    with `varied_bias` different in every channel (and the gemm has one too)."""
    rng = np.random.default_rng(31)
    bias_rng = np.random.default_rng(41)
    nodes, inits, x = [], [], "x"
    ic = 3
    for i, (oc, stride) in enumerate(stages or [(channels, 1)] * layers):
        w = rng.standard_normal((oc, ic, 3, 3)) * np.sqrt(2.0 / (ic * 9))
        b = bias_rng.uniform(-0.5, 0.5, oc) if varied_bias else np.full(oc, 0.1)
        inits += [numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(b.astype(np.float32), f"b{i}")]  # fmt: skip
        nodes += [
            helper.make_node(
                "Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], pads=[1, 1, 1, 1], strides=[stride] * 2
            ),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"]),
        ]
        x, ic = f"r{i}", oc
    channels = ic
    fc = rng.standard_normal((10, channels)) * np.sqrt(1.0 / channels)
    inits += [numpy_helper.from_array(fc.astype(np.float32), "fc")]
    gemm_in = ["flat", "fc"]
    if varied_bias:
        fc_bias = bias_rng.uniform(-0.5, 0.5, 10).astype(np.float32)
        inits += [numpy_helper.from_array(fc_bias, "fc_b")]
        gemm_in.append("fc_b")
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", gemm_in, ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_engines_overlap() -> None:
    # each layer's weights load while the previous one computes, and the activations between
    # the convs never leave local memory: the GDMA hides behind the TIU
    net, data, x = compile_net(conv_chain(), (1, 3, 28, 28), 29)
    assert {"r0", "r1", "r2"} <= net.lmem_only, net.lmem_only
    result = Simulator(data).run(x)
    report = result.report
    serial = report["tiu_busy_cycles"] + report["gdma_busy_cycles"]
    assert report["cycles"] <= 0.8 * serial, report
    assert np.array_equal(result.outputs["logits"], run_int8_net(net, x)["logits"])


def test_coefficients_load_layers_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    # 64-channel convs on 56x56 compute far longer than their weights take to load: the later
    # convs' weights load during the first ones (into local memory no layer in between
    # touches), so the GDMA no longer idles between layers waiting for the TIU
    # compute-heavy, weight-light convs first, then weight-heavy, compute-light ones
    stages = [(64, 1), (64, 1), (64, 1), (256, 4), (256, 1), (256, 1)]
    model, shape = conv_chain(stages=stages, size=56), (1, 3, 56, 56)
    net, data, x = compile_net(model, shape, 37)
    monkeypatch.setattr(int8, "DEEP_PREFETCH_BYTES", 0)
    _, one_ahead, _ = compile_net(model, shape, 37)
    deep = Simulator(data).run(x)
    base = Simulator(one_ahead).time_only().report
    # the same transfers, reordered: about 49k -> 41k cycles
    assert deep.report["gdma_busy_cycles"] == base["gdma_busy_cycles"]
    assert deep.report["cycles"] <= 0.9 * base["cycles"], (deep.report, base)
    assert np.array_equal(deep.outputs["logits"], run_int8_net(net, x)["logits"])


def test_bias_and_requant_words_load_as_one_array() -> None:
    # a conv's or matmul's bias and requant words are one per-channel array: one int32 load
    # per layer (not two), read back right across lane rows (96 channels: two rows) and with
    # a different bias in every channel, so a wrong word or row stride changes the results
    rng = np.random.default_rng(43)
    samples = [{"x": rng.standard_normal((1, 3, 12, 12)).astype(np.float32)} for _ in range(3)]
    module = quant_module(samples[:2], conv_chain(2, 96, 12, varied_bias=True))
    net = plan_int8_net(module)
    store = weight_store_of(module)
    model = emit_int8_net(net, store)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), store))
    layers = [type(layer).__name__ for layer in net.layers]
    assert layers.count("Conv") == 2 and layers.count("MatMul") == 1, layers
    ddr = min(b.address for _, b in net.inputs)  # activations lie above the coefficients
    word_loads = [
        op
        for op in model.walk()
        if isinstance(op, GdmaTensorOp)
        and op.properties["dtype"] == PrecisionAttr(Precision.INT32)
        and op.src_addr.data < ddr
    ]
    assert len(word_loads) == 3, [str(op) for op in word_loads]
    x = samples[2]
    ref = run_int8_net(net, x)
    sim = simulate_all(net, data, x)
    for layer in net.layers:
        if layer.name not in net.lmem_only:
            got = sim[layer.name].reshape(ref[layer.name].shape)
            assert np.array_equal(got, ref[layer.name]), layer.name
    assert np.array_equal(Simulator(data).run(x).outputs["logits"], ref["logits"])


def residual_net(channels: int = 96, size: int = 14) -> onnx.ModelProto:
    """A stem conv, a residual block (two 3x3 convs and the add of the block input), then a
    downsampling block (1x1 stride-2 conv on the block input beside two 3x3 convs, the first
    of stride 2), global average pool and a gemm. 96 channels: two lane rows; 14 rows, of
    which the 1x1 stride-2 conv reads 13: a channel stride taken from 13 rows (192 bytes, not
    the 256 of 14) would read the second lane row's channels wrong."""
    rng = np.random.default_rng(47)
    inits: list[onnx.TensorProto] = []

    def conv(x: str, name: str, ic: int, oc: int, k: int, stride: int, relu: bool) -> list:
        w = rng.standard_normal((oc, ic, k, k)) * np.sqrt(2.0 / (ic * k * k))
        b = rng.uniform(-0.2, 0.2, oc)
        inits.extend([numpy_helper.from_array(w.astype(np.float32), f"{name}_w"),
                      numpy_helper.from_array(b.astype(np.float32), f"{name}_b")])  # fmt: skip
        out = f"{name}_c" if relu else name
        pad = k // 2
        nodes = [helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [out], name=out,
                                  pads=[pad] * 4, strides=[stride] * 2)]  # fmt: skip
        if relu:
            nodes.append(helper.make_node("Relu", [out], [name], name=name))
        return nodes

    c, c2 = channels, channels + 32
    nodes = conv("x", "stem", 3, c, 3, 1, True)
    nodes += conv("stem", "a1", c, c, 3, 1, True) + conv("a1", "a2", c, c, 3, 1, False)
    nodes += [helper.make_node("Add", ["a2", "stem"], ["as"], name="as"),
              helper.make_node("Relu", ["as"], ["a"], name="a")]  # fmt: skip
    nodes += conv("a", "b1", c, c2, 3, 2, True) + conv("b1", "b2", c2, c2, 3, 1, False)
    nodes += conv("a", "down", c, c2, 1, 2, False)
    nodes += [helper.make_node("Add", ["b2", "down"], ["bs"], name="bs"),
              helper.make_node("Relu", ["bs"], ["b"], name="b")]  # fmt: skip
    fc = rng.standard_normal((10, c2)) * np.sqrt(1.0 / c2)
    inits.append(numpy_helper.from_array(fc.astype(np.float32), "fc"))
    nodes += [
        helper.make_node("GlobalAveragePool", ["b"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "residual_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_residual_input_stays_resident_bit_exact() -> None:
    # each block's input stays in local memory from its producer to the add (or the 1x1
    # stride-2 downsample conv) several layers later: no GDMA command stores it to DDR or
    # loads it back, and the results stay bit-exact
    rng = np.random.default_rng(53)
    samples = [{"x": rng.standard_normal((1, 3, 14, 14)).astype(np.float32)} for _ in range(3)]
    module = quant_module(samples[:2], residual_net())
    net = plan_int8_net(module)
    store = weight_store_of(module)
    model = emit_int8_net(net, store)
    data = bmodel_bytes(ir_to_bmodel(ModuleOp([model]), store))
    producer = {id(layer.output): i for i, layer in enumerate(net.layers)}
    held = {
        producer[id(b)]
        for i, layer in enumerate(net.layers)
        for b in layer.inputs
        if id(b) in producer and producer[id(b)] < i - 1
    }
    kinds = [type(layer).__name__ for layer in net.layers]
    assert len(held) >= 2, kinds
    readers = {type(net.layers[i]).__name__ for i in range(len(net.layers))
               if any(producer.get(id(b), i) < i - 1 for b in net.layers[i].inputs)}  # fmt: skip
    assert {"Add", "Conv"} <= readers, kinds
    dmas = [op for op in model.walk() if isinstance(op, GdmaTensorOp)]
    for i in held:
        out = net.layers[i].output
        assert net.layers[i].name in net.lmem_only, (i, sorted(net.lmem_only))
        lo, hi = out.address, out.address + out.nbytes
        touching = [op for op in dmas for a in (op.src_addr.data, op.dst_addr.data) if lo <= a < hi]
        assert not touching, (net.layers[i].name, [str(op) for op in touching])
    x = samples[2]
    ref = run_int8_net(net, x)
    sim = simulate_all(net, data, x)
    for layer in net.layers:
        if layer.name not in net.lmem_only:
            got = sim[layer.name].reshape(ref[layer.name].shape)
            assert np.array_equal(got, ref[layer.name]), layer.name
    assert np.array_equal(Simulator(data).run(x).outputs["logits"], ref["logits"])
