"""F16 / BF16 softmax, layernorm and SFU functions inside INT8 nets (`lower-int8-to-bm1684x`).

A float layer the precision table marks F16/BF16 keeps its DDR tensors 16-bit (half the traffic
of F32) also when its lowering uses the SFU or reductions: softmax, layernorm, exp, sigmoid,
tanh, erf, gelu, sqrt, rsqrt, log, pow cast each loaded slice to f32 in local memory, run the
f32 sequence of the FP32 path and cast the result back (nearest even), as the vendor's
half-precision softmax and layernorm kernels do; hard sigmoid, leaky ReLU and division run
their AR commands in 16 bits. Checked like tests/test_int8_f16.py: each float layer against
the reference (the FP32 reference interpreter's kernel of its top op on the simulated 16-bit
inputs, rounded to the layer's type) within 2 ulps of max|ref|, integer layers bit-exact, and
softmax / layernorm / silu also against numpy formulas in float64.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_int8_f16 import assert_half_close, check_net, compile_net, simulate

from nntc.passes.lowering.int8 import Float, FloatCast, Int8Net


def head_net(nodes: list[onnx.NodeProto], opset: int = 17) -> onnx.ModelProto:
    """conv (8 channels, 16 x 16) -> `nodes` (from "c1") -> global average pool -> gemm."""
    rng = np.random.default_rng(5)

    def init(name: str, *shape: int, scale: float | None = None) -> onnx.TensorProto:
        std = math.sqrt(2.0 / int(np.prod(shape[1:]))) if scale is None else scale
        return numpy_helper.from_array((rng.standard_normal(shape) * std).astype(np.float32), name)

    last = nodes[-1].output[0]
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
            *nodes,
            helper.make_node("GlobalAveragePool", [last], ["gap"], name="gap"),
            helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
            helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
        ],
        "head_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 8, 3, 3, 3),
            init("b1", 8),
            init("wf", 10, 8),
            init("bf", 10),
            init("ln_s", 16, scale=0.5),
            init("ln_b", 16, scale=0.5),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def softmax_layernorm_net() -> onnx.ModelProto:
    """conv -> silu (x * sigmoid(x), fused into top.silu) -> softmax over W -> layernorm over
    W with scale and bias."""
    return head_net(
        [
            helper.make_node("Sigmoid", ["c1"], ["s1"], name="sig"),
            helper.make_node("Mul", ["c1", "s1"], ["g1"], name="silu"),
            helper.make_node("Softmax", ["g1"], ["p1"], axis=-1, name="soft"),
            helper.make_node(
                "LayerNormalization",
                ["p1", "ln_s", "ln_b"],
                ["l1"],
                axis=-1,
                epsilon=1e-3,
                name="ln",
            ),
        ]  # fmt: skip
    )


def _input_of(net: Int8Net, sim: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The simulated (16-bit) input of layer `name`, as float64 in the input's shape."""
    (layer,) = [lay for lay in net.layers if lay.name == name]
    buf = layer.inputs[0]
    (src,) = [lay for lay in net.layers if lay.output is (buf.root or buf)]
    return sim[src.name].reshape(buf.shape).astype(np.float64)


@pytest.mark.parametrize("kind", ["F16", "BF16"])
def test_softmax_silu_layernorm_compute_on_16_bit_tensors(kind: str) -> None:
    """silu, softmax and layernorm marked F16/BF16: 16-bit DDR tensors (one cast in, one out),
    no warning, and the simulated results within 2 ulps of the reference and of numpy."""
    names = ["silu", "soft", "ln"]
    net, data, samples = compile_net(softmax_layernorm_net(), {n: kind for n in names}, 7)
    kind = kind.lower()
    floats = {lay.name: lay for lay in net.layers if isinstance(lay, Float)}
    assert sorted(floats) == sorted(names) and not net.warnings
    assert all(f.computes == kind and f.output.kind == kind for f in floats.values())
    assert all(b.kind == kind for f in floats.values() for b in [*f.inputs, *f.scratch])
    # the layernorm is one plan (f32 inside): no intermediate DDR tensors
    assert floats["ln"].scratch == [] and floats["soft"].scratch == []
    casts = {(c.inputs[0].kind, c.output.kind) for c in net.layers if isinstance(c, FloatCast)}
    assert casts == {("f32", kind), (kind, "f32")}
    check_net(net, data, samples)
    for x in samples:
        sim = simulate(net, data, x)
        c = _input_of(net, sim, "silu")
        assert_half_close(sim["silu"], c / (1.0 + np.exp(-c)), kind, "silu vs numpy")
        g = _input_of(net, sim, "soft")
        e = np.exp(g - g.max(axis=-1, keepdims=True))
        assert_half_close(sim["soft"], e / e.sum(axis=-1, keepdims=True), kind, "softmax vs numpy")
        p = _input_of(net, sim, "ln")
        d = p - p.mean(axis=-1, keepdims=True)
        y = d / np.sqrt((d * d).mean(axis=-1, keepdims=True) + 1e-3)
        model = softmax_layernorm_net()
        w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
        ref = y * w["ln_s"] + w["ln_b"]
        assert_half_close(sim["ln"], ref, kind, "layernorm vs numpy")


def functions_net() -> onnx.ModelProto:
    """conv -> tanh -> exp -> sqrt -> pow 1.7 -> log -> erf -> gelu -> hard sigmoid -> leaky
    ReLU, a division of two of them (each input in its function's domain) and a softmax over
    the channels (strided 2-byte rows)."""
    nodes = [
        helper.make_node("Tanh", ["c1"], ["t"], name="tanh"),
        helper.make_node("Exp", ["t"], ["e"], name="exp"),
        helper.make_node("Sqrt", ["e"], ["r"], name="sqrt"),
        helper.make_node("Pow", ["r", "p"], ["q"], name="pow"),
        helper.make_node("Log", ["q"], ["lg"], name="log"),
        helper.make_node("Erf", ["lg"], ["ef"], name="erf"),
        helper.make_node("Gelu", ["ef"], ["gl"], name="gelu"),
        helper.make_node("HardSigmoid", ["gl"], ["hs"], alpha=0.3, beta=0.4, name="hsig"),
        helper.make_node("LeakyRelu", ["lg"], ["lr"], alpha=0.1, name="leaky"),
        helper.make_node("Div", ["hs", "e"], ["dv"], name="div"),
        helper.make_node("Softmax", ["dv"], ["sc"], axis=1, name="softc"),
        helper.make_node("Add", ["sc", "lr"], ["out"], name="sum"),
    ]
    model = head_net(nodes, opset=20)
    model.graph.initializer.append(numpy_helper.from_array(np.float32(1.7), "p"))
    return model


FUNCTIONS = ["tanh", "exp", "sqrt", "pow", "log", "erf", "gelu", "hsig", "leaky", "div", "softc"]


@pytest.mark.parametrize("kind", ["F16", "BF16"])
def test_sfu_functions_compute_on_16_bit_tensors(kind: str) -> None:
    """Every function layer marked F16/BF16 computes with 16-bit DDR tensors, no warning, each
    within 2 ulps of the reference fed its simulated input."""
    net, data, samples = compile_net(functions_net(), {n: kind for n in FUNCTIONS}, 13)
    kind = kind.lower()
    floats = {lay.name: lay for lay in net.layers if isinstance(lay, Float)}
    assert set(FUNCTIONS) <= set(floats) and not net.warnings
    assert all(floats[n].computes == kind == floats[n].output.kind for n in FUNCTIONS)
    check_net(net, data, samples)


def test_layernorm_over_two_dims_with_broadcast_scale_in_f16() -> None:
    """LayerNormalization over (H, W) = 256 elements per row, its (W,) scale and bias
    broadcast over H: the fused 16-bit plan, against the reference and numpy."""
    nodes = [
        helper.make_node(
            "LayerNormalization", ["c1", "ln_s", "ln_b"], ["l1"], axis=-2, epsilon=1e-3, name="ln"
        )
    ]
    net, data, samples = compile_net(head_net(nodes), {"ln": "F16"}, 29)
    (ln,) = [lay for lay in net.layers if isinstance(lay, Float)]
    assert ln.computes == "f16" and ln.scratch == [] and not net.warnings
    check_net(net, data, samples)
    sim = simulate(net, data, samples[0])
    x = _input_of(net, sim, "ln")
    d = x - x.mean(axis=(-2, -1), keepdims=True)
    w = {t.name: numpy_helper.to_array(t) for t in head_net(nodes).graph.initializer}
    ref = d / np.sqrt((d * d).mean(axis=(-2, -1), keepdims=True) + 1e-3) * w["ln_s"] + w["ln_b"]
    assert_half_close(sim["ln"], ref, "f16", "layernorm vs numpy")


def test_rsqrt_of_pow_minus_half_in_f16() -> None:
    """Pow(x, -0.5) lowers to the SFU rsqrt: F16, in f32 between the casts."""
    nodes = [
        helper.make_node("Sigmoid", ["c1"], ["s"], name="sig"),
        helper.make_node("Pow", ["s", "p"], ["r"], name="rsqrt"),
    ]
    model = head_net(nodes)
    model.graph.initializer.append(numpy_helper.from_array(np.float32(-0.5), "p"))
    net, data, samples = compile_net(model, {"sig": "F16", "rsqrt": "F16"}, 17)
    (rs,) = [lay for lay in net.layers if lay.name == "rsqrt"]
    assert isinstance(rs, Float) and [t.name for t in rs.tpu_ops] == ["tpu.rsqrt"]
    assert rs.computes == "f16" and not net.warnings
    check_net(net, data, samples)


def test_f32_layernorm_inside_an_int8_net() -> None:
    """An F32 layernorm (its lowering's pools and elementwise ops, with tpu.reshape views that
    share their input's DDR bytes) matches numpy; the integer layers stay bit-exact."""
    net, data, samples = compile_net(softmax_layernorm_net(), {"ln": "F32"}, 19)
    (ln,) = [lay for lay in net.layers if lay.name == "ln"]
    assert isinstance(ln, Float) and ln.computes == "f32"
    check_net(net, data, samples)
    sim = simulate(net, data, samples[0])
    p = _input_of(net, sim, "ln")
    d = p - p.mean(axis=-1, keepdims=True)
    w = {t.name: numpy_helper.to_array(t) for t in softmax_layernorm_net().graph.initializer}
    ref = d / np.sqrt((d * d).mean(axis=-1, keepdims=True) + 1e-3) * w["ln_s"] + w["ln_b"]
    assert float(np.abs(sim["ln"] - ref).max()) <= 1e-5 * float(np.abs(ref).max())


def test_f16_layer_without_16_bit_commands_runs_in_f32_with_a_warning() -> None:
    """A layer marked F16 whose lowering has a command without a 16-bit form here (a transpose:
    a DMA permutation) compiles in F32 on f32 tensors, says so naming the commands, and
    matches the reference."""
    nodes = [helper.make_node("Transpose", ["c1"], ["t"], perm=[0, 1, 3, 2], name="tr")]
    net, data, samples = compile_net(head_net(nodes), {"tr": "F16"}, 23)
    (tr,) = [lay for lay in net.layers if isinstance(lay, Float)]
    assert tr.precision == "f16" and tr.computes == "f32"
    assert all(b.kind == "f32" for b in [*tr.inputs, tr.output])
    assert net.warnings == [
        'F16 layer top.transpose at loc("tr") runs in F32 '
        "(no F16 commands for its lowering: tpu.permute)"
    ]
    check_net(net, data, samples)
