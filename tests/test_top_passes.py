"""Numerics of the top graph passes: canonicalization patterns and `top-infer-shapes`.

Each case builds a small ONNX model with `onnx.helper`, imports it, runs the pass, checks that
the pattern fired (the op it removes is gone, the op it creates is there), and compares the
reference interpreter's output with onnxruntime's on the ONNX model.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, NameLoc
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriteWalker
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects import top
from nntc.passes.canonicalization_patterns.top import FoldBatchNormIntoProducer
from nntc.passes.top_infer_shapes import TopInferShapesPass, shape_rule
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import run_module
from nntc.targets.weight_store import attach_weight_store

RNG = np.random.default_rng(7)

# --- helpers -------------------------------------------------------------------------------------


def const(name: str, array: np.ndarray | Sequence[float] | float) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def rand(name: str, *shape: int, positive: bool = False) -> onnx.TensorProto:
    values = RNG.standard_normal(shape)
    return const(name, np.abs(values) + 0.1 if positive else values)


def model(
    nodes: Sequence[onnx.NodeProto],
    inputs: dict[str, Sequence[int | str]],
    outputs: Sequence[str],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 13,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes),
        "test",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        list(initializers),
    )
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    made.ir_version = 8
    return onnx.shape_inference.infer_shapes(made)


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], **attrs) -> onnx.NodeProto:
    return helper.make_node(op_type, list(inputs), list(outputs), name=outputs[0], **attrs)


def ort_run(m: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def ops_of(module: ModuleOp, cls: type[Operation]) -> list[Operation]:
    return [op for op in module.walk() if isinstance(op, cls)]


def apply(module: ModuleOp, *passes: ModulePass) -> None:
    for pass_ in passes:
        pass_.apply(Context(), module)
    module.verify()


def compile_and_compare(
    m: onnx.ModelProto,
    shapes: dict[str, Sequence[int]],
    gone: Sequence[type[Operation]] = (),
    present: Sequence[type[Operation]] = (),
    passes: Sequence[ModulePass] = (CanonicalizePass(),),
    run_shapes: dict[str, Sequence[int]] | None = None,
) -> ModuleOp:
    """Import `m`, run `passes`, check the op kinds, compare with onnxruntime; return the IR."""
    module, store = import_onnx(m)
    attach_weight_store(module, store)
    apply(module, *passes)
    for cls in gone:
        assert not ops_of(module, cls), f"{cls.name} left after the passes"
    for cls in present:
        assert ops_of(module, cls), f"no {cls.name} after the passes"
    feeds = {
        name: RNG.standard_normal(list(shape)).astype(np.float32)
        for name, shape in (run_shapes or shapes).items()
    }
    expected = ort_run(m, feeds)
    outputs = run_module(module, feeds, store=store).outputs
    assert len(outputs) == len(expected)
    for got, want in zip(outputs.values(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    return module


def location(op: Operation) -> str:
    assert isinstance(op.location, NameLoc)
    return op.location.desc.data


# --- batch normalization -------------------------------------------------------------------------


def bn_inputs(prefix: str, channels: int) -> list[onnx.TensorProto]:
    return [
        rand(f"{prefix}.scale", channels),
        rand(f"{prefix}.bias", channels),
        rand(f"{prefix}.mean", channels),
        rand(f"{prefix}.var", channels, positive=True),
    ]


BN_NAMES = ["bn.scale", "bn.bias", "bn.mean", "bn.var"]


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("group", [1, 2])
def test_bn_into_conv_then_relu(with_bias: bool, group: int) -> None:
    conv_inputs = ["x", "w", "b"] if with_bias else ["x", "w"]
    m = model(
        [
            node("Conv", conv_inputs, ["c"], pads=[1, 1, 1, 1], group=group),
            node("BatchNormalization", ["c", *BN_NAMES], ["n"], epsilon=1e-3),
            node("Relu", ["n"], ["y"]),
        ],
        {"x": [1, 4, 6, 6]},
        ["y"],
        [rand("w", 6, 4 // group, 3, 3), rand("b", 6), *bn_inputs("bn", 6)],
    )
    module = compile_and_compare(
        m, {"x": [1, 4, 6, 6]}, gone=[top.BatchNormOp, top.ReluOp], present=[top.ConvOp]
    )
    (conv,) = ops_of(module, top.ConvOp)
    assert isinstance(conv, top.ConvOp) and conv.do_relu_value
    assert location(conv) == "y"  # the tensor is known by the last node's name


@pytest.mark.parametrize("group", [1, 2])
def test_bn_into_deconv(group: int) -> None:
    m = model(
        [
            node("ConvTranspose", ["x", "w"], ["c"], strides=[2, 2], group=group),
            node("BatchNormalization", ["c", *BN_NAMES], ["y"]),
        ],
        {"x": [1, 4, 3, 3]},
        ["y"],
        [rand("w", 4, 6 // group, 2, 2), *bn_inputs("bn", 6)],
    )
    compile_and_compare(m, {"x": [1, 4, 3, 3]}, gone=[top.BatchNormOp], present=[top.DeconvOp])


def test_bn_into_gemm_and_matmul() -> None:
    m = model(
        [
            node("Gemm", ["x", "w", "b"], ["g"], transB=1),
            node("BatchNormalization", ["g", *BN_NAMES], ["n"]),
            node("MatMul", ["n", "w2"], ["m"]),
            node(
                "BatchNormalization", ["m", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var"], ["y"]
            ),
        ],
        {"x": [3, 8]},
        ["y"],
        [
            rand("w", 6, 8),
            rand("b", 6),
            *bn_inputs("bn", 6),
            rand("w2", 6, 5),
            *bn_inputs("bn2", 5),
        ],
    )
    module = compile_and_compare(
        m, {"x": [3, 8]}, gone=[top.BatchNormOp, top.GemmOp], present=[top.MatMulOp]
    )
    assert len(ops_of(module, top.MatMulOp)) == 2


def test_bn_after_shared_conv_stays() -> None:
    m = model(
        [
            node("Conv", ["x", "w"], ["c"]),
            node("BatchNormalization", ["c", *BN_NAMES], ["n"]),
            node("Add", ["n", "c"], ["y"]),
        ],
        {"x": [1, 2, 4, 4]},
        ["y"],
        [rand("w", 3, 2, 1, 1), *bn_inputs("bn", 3)],
    )
    compile_and_compare(m, {"x": [1, 2, 4, 4]}, present=[top.BatchNormOp, top.ConvOp])


# --- activations ---------------------------------------------------------------------------------


def test_clip_relu6_into_add_and_conv() -> None:
    m = model(
        [
            node("Conv", ["x", "w"], ["c"]),
            node("Clip", ["c", "zero", "six"], ["r"]),
            node("Add", ["r", "x"], ["s"]),
            node("Clip", ["s", "zero", ""], ["y"]),
        ],
        {"x": [1, 3, 4, 4]},
        ["y"],
        [rand("w", 3, 3, 1, 1), const("zero", 0.0), const("six", 6.0)],
    )
    module = compile_and_compare(m, {"x": [1, 3, 4, 4]}, gone=[top.ClipOp, top.ReluOp])
    (conv,) = ops_of(module, top.ConvOp)
    assert isinstance(conv, top.ConvOp) and conv.relu_limit_value == 6.0


def test_silu_and_hardswish() -> None:
    m = model(
        [
            node("Conv", ["x", "w"], ["c"]),
            node("Sigmoid", ["c"], ["s"]),
            node("Mul", ["c", "s"], ["silu"]),
            node("HardSigmoid", ["silu"], ["h"], alpha=1.0 / 6.0, beta=0.5),
            node("Mul", ["h", "silu"], ["y"]),
        ],
        {"x": [1, 3, 5, 5]},
        ["y"],
        [rand("w", 4, 3, 3, 3)],
    )
    compile_and_compare(
        m,
        {"x": [1, 3, 5, 5]},
        gone=[top.SigmoidOp, top.HardSigmoidOp, top.MulOp],
        present=[top.SiLUOp, top.HardSwishOp],
    )


def test_hardsigmoid_with_other_alpha_stays() -> None:
    m = model(
        [node("HardSigmoid", ["x"], ["h"]), node("Mul", ["x", "h"], ["y"])],
        {"x": [2, 8]},
        ["y"],
    )
    compile_and_compare(m, {"x": [2, 8]}, gone=[top.HardSwishOp], present=[top.HardSigmoidOp])


HARDSWISH_FORMS = {
    # PP-OCRv4 (Paddle): x * clip(x + 3, 0, 6) / 6
    "paddle": [
        node("Add", ["c", "three"], ["s"]),
        node("Clip", ["s", "zero", "six"], ["g"]),
        node("Mul", ["c", "g"], ["p"]),
        node("Div", ["p", "six"], ["y"]),
    ],
    # constants first, 1/6 as a product
    "constants_first": [
        node("Add", ["three", "c"], ["s"]),
        node("Clip", ["s", "zero", "six"], ["g"]),
        node("Mul", ["g", "c"], ["p"]),
        node("Mul", ["sixth", "p"], ["y"]),
    ],
    # x / 6 first, then times the gate
    "scaled_x": [
        node("Div", ["c", "six"], ["d"]),
        node("Add", ["c", "three"], ["s"]),
        node("Clip", ["s", "zero", "six"], ["g"]),
        node("Mul", ["d", "g"], ["y"]),
    ],
    # the gate / 6, then x times it
    "scaled_gate": [
        node("Add", ["c", "three"], ["s"]),
        node("Clip", ["s", "zero", "six"], ["g"]),
        node("Div", ["g", "six"], ["d"]),
        node("Mul", ["c", "d"], ["y"]),
    ],
}
HARDSWISH_CONSTANTS = [
    const("three", [3.0]),
    const("zero", 0.0),
    const("six", 6.0),
    const("sixth", [1.0 / 6.0]),
]


@pytest.mark.parametrize("form", list(HARDSWISH_FORMS))
def test_decomposed_hardswish(form: str) -> None:
    """Every ordering of x * clip(x + 3, 0, 6) / 6 becomes one hardswish of the conv (whose
    outputs, std ~3, reach both clipped ends)."""
    m = model(
        [node("Conv", ["x", "w"], ["c"]), *HARDSWISH_FORMS[form]],
        {"x": [1, 3, 6, 6]},
        ["y"],
        [rand("w", 4, 3, 3, 3), *HARDSWISH_CONSTANTS],
    )
    module = compile_and_compare(
        m,
        {"x": [1, 3, 6, 6]},
        gone=[top.AddOp, top.ClipOp, top.ReluOp, top.MulOp, top.DivOp],
        present=[top.HardSwishOp],
    )
    (hswish,) = ops_of(module, top.HardSwishOp)
    assert location(hswish) == "y"
    assert isinstance(hswish, top.HardSwishOp) and isinstance(hswish.input.owner, top.ConvOp)


def test_hardswish_lookalikes_stay() -> None:
    """x * clip(x + 2.5, 0, 6) / 6 and x * clip(x + 3, 0, 6) / 5 are other functions."""
    m = model(
        [
            node("Add", ["x", "two_and_half"], ["s"]),
            node("Clip", ["s", "zero", "six"], ["g"]),
            node("Mul", ["x", "g"], ["p"]),
            node("Div", ["p", "six"], ["a"]),
            node("Add", ["x", "three"], ["s2"]),
            node("Clip", ["s2", "zero", "six"], ["g2"]),
            node("Mul", ["x", "g2"], ["p2"]),
            node("Div", ["p2", "five"], ["b"]),
            node("Add", ["a", "b"], ["y"]),
        ],
        {"x": [2, 16]},
        ["y"],
        [*HARDSWISH_CONSTANTS, const("two_and_half", 2.5), const("five", 5.0)],
    )
    compile_and_compare(m, {"x": [2, 16]}, gone=[top.HardSwishOp], present=[top.MulOp])


# --- constant scale and shift into conv / deconv / matmul ----------------------------------------


def test_learnable_affine_into_conv() -> None:
    """Paddle's conv -> scalar mul -> scalar add, then a per-channel add and a relu: all in the
    conv's weights and bias, the relu fused, the location of the last node."""
    m = model(
        [
            node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
            node("Mul", ["scale", "c"], ["m"]),
            node("Add", ["m", "shift"], ["a"]),
            node("Add", ["channel_shift", "a"], ["a2"]),
            node("Relu", ["a2"], ["y"]),
        ],
        {"x": [1, 3, 5, 5]},
        ["y"],
        [
            rand("w", 4, 3, 3, 3),
            rand("b", 4),
            const("scale", [0.7]),
            const("shift", [-0.3]),
            rand("channel_shift", 1, 4, 1, 1),
        ],
    )
    module = compile_and_compare(
        m, {"x": [1, 3, 5, 5]}, gone=[top.MulOp, top.AddOp, top.ReluOp], present=[top.ConvOp]
    )
    (conv,) = ops_of(module, top.ConvOp)
    assert isinstance(conv, top.ConvOp) and conv.do_relu_value and conv.bias is not None
    assert location(conv) == "y"


@pytest.mark.parametrize("group", [1, 2])
def test_per_channel_scale_into_deconv(group: int) -> None:
    m = model(
        [
            node("ConvTranspose", ["x", "w"], ["d"], strides=[2, 2], group=group),
            node("Mul", ["d", "k"], ["y"]),
        ],
        {"x": [1, 4, 3, 3]},
        ["y"],
        [rand("w", 4, 6 // group, 2, 2), rand("k", 6, 1, 1)],
    )
    compile_and_compare(m, {"x": [1, 4, 3, 3]}, gone=[top.MulOp], present=[top.DeconvOp])


def test_scale_and_shift_into_matmul() -> None:
    """MatMul over a batch: the channels are the last dim, [N] and scalar constants fold."""
    m = model(
        [
            node("MatMul", ["x", "w"], ["mm"]),
            node("Mul", ["mm", "k"], ["m"]),
            node("Sub", ["m", "t"], ["y"]),
        ],
        {"x": [2, 3, 8]},
        ["y"],
        [rand("w", 8, 5), rand("k", 5), const("t", [0.25])],
    )
    # Sub of a constant is not an add: the mul folds, the sub stays
    module = compile_and_compare(m, {"x": [2, 3, 8]}, gone=[top.MulOp], present=[top.SubOp])
    (matmul,) = ops_of(module, top.MatMulOp)
    assert location(matmul) == "m"


def test_non_channel_constants_stay() -> None:
    """A constant that varies along H, or a conv with a second user, is left alone."""
    m = model(
        [
            node("Conv", ["x", "w"], ["c"]),
            node("Mul", ["c", "per_row"], ["m"]),
            node("Conv", ["x", "w"], ["c2"]),
            node("Mul", ["c2", "scale"], ["m2"]),
            node("Add", ["m2", "c2"], ["a"]),
            node("Add", ["m", "a"], ["y"]),
        ],
        {"x": [1, 3, 4, 4]},
        ["y"],
        [rand("w", 2, 3, 1, 1), rand("per_row", 4, 1), const("scale", [2.0])],
    )
    module = compile_and_compare(m, {"x": [1, 3, 4, 4]}, present=[top.MulOp])
    assert len(ops_of(module, top.MulOp)) == 2


def test_deconv_bias_add_then_bn_and_relu() -> None:
    """The PP-OCR DB head: ConvTranspose, its bias as an Add, BatchNormalization, Relu -> one
    deconv with the relu."""
    m = model(
        [
            node("ConvTranspose", ["x", "w"], ["d"], strides=[2, 2]),
            node("Add", ["d", "bias"], ["a"]),
            node("BatchNormalization", ["a", *BN_NAMES], ["n"]),
            node("Relu", ["n"], ["y"]),
        ],
        {"x": [1, 4, 3, 3]},
        ["y"],
        [rand("w", 4, 6, 2, 2), rand("bias", 1, 6, 1, 1), *bn_inputs("bn", 6)],
    )
    module = compile_and_compare(
        m,
        {"x": [1, 4, 3, 3]},
        gone=[top.AddOp, top.BatchNormOp, top.ReluOp],
        present=[top.DeconvOp],
    )
    (deconv,) = ops_of(module, top.DeconvOp)
    assert isinstance(deconv, top.DeconvOp) and deconv.do_relu_value
    assert location(deconv) == "y"


@dataclass(frozen=True)
class FoldBatchNormOnly(ModulePass):
    """Only `FoldBatchNormIntoProducer`, so that the add between producer and batchnorm is
    absorbed by that pattern and not by `FoldAffineIntoProducer`."""

    name = "test-fold-batchnorm-only"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldBatchNormIntoProducer()).rewrite_module(op)


@pytest.mark.parametrize("producer", ["Conv", "ConvTranspose"])
def test_bn_absorbs_the_add_before_it(producer: str) -> None:
    m = model(
        [
            node(producer, ["x", "w", "b"], ["p"]),
            node("Add", ["shift", "p"], ["a"]),
            node("BatchNormalization", ["a", *BN_NAMES], ["y"]),
        ],
        {"x": [1, 4, 3, 3]},
        ["y"],
        [rand("w", 4, 4, 2, 2), rand("b", 4), rand("shift", 4, 1, 1), *bn_inputs("bn", 4)],
    )
    module = compile_and_compare(
        m,
        {"x": [1, 4, 3, 3]},
        gone=[top.AddOp, top.BatchNormOp],
        passes=[FoldBatchNormOnly()],
    )
    (fused,) = [op for op in module.walk() if isinstance(op, top.ConvOp | top.DeconvOp)]
    assert location(fused) == "y"


# --- layer normalization -------------------------------------------------------------------------


def layernorm_nodes(axes: list[int], square: str) -> list[onnx.NodeProto]:
    squared = (
        node("Pow", ["d", "two"], ["p"]) if square == "pow" else node("Mul", ["d", "d"], ["p"])
    )
    return [
        node("ReduceMean", ["x"], ["mean"], axes=axes),
        node("Sub", ["x", "mean"], ["d"]),
        squared,
        node("ReduceMean", ["p"], ["var"], axes=axes),
        node("Add", ["var", "eps"], ["ve"]),
        node("Sqrt", ["ve"], ["sd"]),
        node("Div", ["d", "sd"], ["nrm"]),
        node("Mul", ["nrm", "gamma"], ["sc"]),
        node("Add", ["sc", "beta"], ["y"]),
    ]


@pytest.mark.parametrize(
    ("axes", "square", "normalized"),
    [([-1], "pow", (16,)), ([2], "mul", (16,)), ([1, 2], "pow", (5, 16))],
)
def test_decomposed_layernorm(axes: list[int], square: str, normalized: tuple[int, ...]) -> None:
    m = model(
        layernorm_nodes(axes, square),
        {"x": [2, 5, 16]},
        ["y"],
        [const("two", 2.0), const("eps", 1e-5), rand("gamma", *normalized), rand("beta", 16)],
    )
    module = compile_and_compare(
        m,
        {"x": [2, 5, 16]},
        gone=[top.ReduceMeanOp, top.DivOp, top.SqrtOp, top.MulOp, top.AddOp],
        present=[top.LayerNormOp],
    )
    (norm,) = ops_of(module, top.LayerNormOp)
    assert isinstance(norm, top.LayerNormOp)
    assert norm.epsilon_value == 1e-5 and location(norm) == "y"


# --- gemm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "b_is_weight", "c_shape"),
    [
        ({"transB": 1}, True, (6,)),
        ({"alpha": 0.5, "beta": 2.0}, True, (1, 6)),
        ({"transA": 1, "transB": 1, "alpha": 1.5}, True, None),
        ({"transA": 1, "transB": 1, "alpha": 2.0, "beta": 0.25}, False, (4, 6)),
        ({"alpha": 3.0}, False, None),
        ({}, False, (6,)),
    ],
)
def test_gemm_to_matmul(attrs: dict, b_is_weight: bool, c_shape: tuple[int, ...] | None) -> None:
    a_shape = [8, 4] if attrs.get("transA") else [4, 8]
    b_shape = [6, 8] if attrs.get("transB") else [8, 6]
    inputs: dict[str, Sequence[int]] = {"a": a_shape}
    initializers = []
    if b_is_weight:
        initializers.append(rand("b", *b_shape))
    else:
        inputs["b"] = b_shape
    gemm_inputs = ["a", "b"]
    if c_shape is not None:
        initializers.append(rand("c", *c_shape))
        gemm_inputs.append("c")
    m = model([node("Gemm", gemm_inputs, ["y"], **attrs)], inputs, ["y"], initializers)
    compile_and_compare(m, inputs, gone=[top.GemmOp], present=[top.MatMulOp])


# --- no-ops and shapes ---------------------------------------------------------------------------


def test_identity_and_dropout_dropped() -> None:
    m = model(
        [
            node("Identity", ["x"], ["i"]),
            node("Dropout", ["i"], ["d"]),
            node("Relu", ["d"], ["y"]),
        ],
        {"x": [2, 3]},
        ["y"],
    )
    compile_and_compare(m, {"x": [2, 3]}, gone=[top.IdentityOp])


def test_infer_shapes_rebatches_a_model() -> None:
    m = model(
        [
            node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["c", *BN_NAMES], ["n"]),
            node("Relu", ["n"], ["r"]),
            node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
            node("GlobalAveragePool", ["p"], ["g"]),
            node("Flatten", ["g"], ["f"]),
            node("Gemm", ["f", "fw", "fb"], ["y"], transB=1),
        ],
        {"x": ["N", 3, "H", "W"]},
        ["y"],
        [
            rand("w", 4, 3, 3, 3),
            rand("b", 4),
            *bn_inputs("bn", 4),
            rand("fw", 10, 4),
            rand("fb", 10),
        ],
    )
    module, store = import_onnx(m, shapes=[[1, 3, 8, 8]])
    attach_weight_store(module, store)
    apply(module, TopInferShapesPass(input_shapes="[[4,3,16,16]]"), CanonicalizePass())
    feeds = {"x": RNG.standard_normal([4, 3, 16, 16]).astype(np.float32)}
    (expected,) = ort_run(m, feeds)
    got = run_module(module, feeds, store=store).outputs["y"]
    assert got.shape == (4, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_every_top_op_has_a_shape_rule() -> None:
    for cls in top.Top.operations:
        if cls is not top.WeightOp:
            op = cls.__new__(cls)  # the rule is chosen by class; no instance state is read
            assert shape_rule(op) is not None, cls.name


# --- the command line ----------------------------------------------------------------------------

NNTC_OPT = [sys.executable, "-m", "nntc.opt"]

BN_IR = """builtin.module attributes {nntc.weights = "in.npz"} {
  func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
    %w = top.weight "conv.w" : tensor<2x2x1x1xf32>
    %c = top.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv")
    %g = top.weight "bn.g" : tensor<2xf32>
    %b = top.weight "bn.b" : tensor<2xf32>
    %m = top.weight "bn.m" : tensor<2xf32>
    %v = top.weight "bn.v" : tensor<2xf32>
    %n = top.batchnorm %c, %g, %b, %m, %v : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("bn")
    func.return %n : tensor<1x2x4x4xf32>
  }
}
"""


def test_cli_bn_fold_writes_only_the_new_weights(tmp_path: Path) -> None:
    arrays = {
        "conv.w": RNG.standard_normal((2, 2, 1, 1)).astype(np.float32),
        "bn.g": np.array([1.0, 2.0], np.float32),
        "bn.b": np.array([0.5, -0.5], np.float32),
        "bn.m": np.array([0.1, 0.2], np.float32),
        "bn.v": np.array([1.0, 4.0], np.float32),
    }
    np.savez(tmp_path / "in.npz", **arrays)
    (tmp_path / "in.mlir").write_text(BN_IR)
    done = subprocess.run(
        [*NNTC_OPT, "in.mlir", "-p", "canonicalize", "-o", "out.mlir"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out.mlir").read_text()
    assert "top.batchnorm" not in text and '"bn.weight"' in text and '"bn.bias"' in text
    with np.load(tmp_path / "out.npz") as saved:
        assert sorted(saved.files) == ["bn.bias", "bn.weight"]  # the folded-away ones are gone
        k = arrays["bn.g"] / np.sqrt(arrays["bn.v"] + 1e-5)
        want_weight = arrays["conv.w"] * k[:, None, None, None]
        np.testing.assert_allclose(saved["bn.weight"], want_weight, rtol=1e-6)
        np.testing.assert_allclose(saved["bn.bias"], arrays["bn.b"] - arrays["bn.m"] * k, rtol=1e-6)
