"""Top ops `lower-to-tpu` used to reject and now lowers (issue #6, item 1): batched and
broadcast MatMul (one 2-D tpu.matmul per batch, or one over all rows when the right operand is
shared), a MatMul/Gemm bias that is not one value per column, Add with coefficients (Gemm's alpha
and beta on runtime operands), and a net output that is a net input (a DDR -> DDR copy). Each
small ONNX model goes through the whole FP32 pipeline (`compile_onnx`, layer groups on) and the
simulator, against onnxruntime at the FP32 tolerance (cosine >= COSINE_MIN, max abs error <=
REL_ERR_MAX x max|ref|).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nntc.pipeline import COSINE_MIN, REL_ERR_MAX, compile_onnx
from nntc.targets.bm1684x.simulator import Simulator

ort = pytest.importorskip("onnxruntime")


def _model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, np.ndarray],
    outputs: dict[str, list[int]],
    weights: dict[str, np.ndarray] | None = None,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape))
            for k, v in inputs.items()
        ],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in outputs.items()],
        [numpy_helper.from_array(v, k) for k, v in (weights or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def _check(model: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> None:
    names = list(inputs)
    compiled = compile_onnx(model, names, [list(x.shape) for x in inputs.values()], net_name="t")
    got = Simulator(compiled.bmodel).run(inputs).outputs
    refs = ort.InferenceSession(model.SerializeToString()).run(None, inputs)
    for out, ref in zip(model.graph.output, refs, strict=True):
        y = np.asarray(got[out.name])
        assert y.shape == ref.shape, f"{out.name}: shape {y.shape}, expected {ref.shape}"
        cos = float(np.dot(y.ravel(), ref.ravel()) / np.linalg.norm(y) / np.linalg.norm(ref))
        err = float(np.abs(y - ref).max())
        assert cos >= COSINE_MIN, f"{out.name}: cosine {cos}"
        assert err <= REL_ERR_MAX * float(np.abs(ref).max()), f"{out.name}: max error {err}"


def _rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def test_batched_matmul_broadcast_runtime_operands() -> None:
    """[3, 1] x [1, 2] batch dims: each of the 6 products reads the batches numpy picks."""
    rng = np.random.default_rng(1)
    inputs = {"a": _rand(rng, 3, 1, 5, 8), "b": _rand(rng, 1, 2, 8, 6)}
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    _check(_model([node], inputs, {"y": [3, 2, 5, 6]}), inputs)


def test_batched_matmul_weight_per_batch_and_relu() -> None:
    """A right weight with a batch dim is sliced at compile time; the ReLU after it fuses into
    every per-batch matmul."""
    rng = np.random.default_rng(2)
    inputs = {"a": _rand(rng, 4, 7, 16)}
    nodes = [
        helper.make_node("MatMul", ["a", "w"], ["m"], name="mm"),
        helper.make_node("Relu", ["m"], ["y"], name="relu"),
    ]
    model = _model(nodes, inputs, {"y": [4, 7, 9]}, {"w": _rand(rng, 4, 16, 9)})
    _check(model, inputs)


def test_matmul_shared_weight_and_vectors() -> None:
    """A [1, K, N] weight shared by every batch is one matmul; 1-D operands are a row/column."""
    rng = np.random.default_rng(3)
    inputs = {"a": _rand(rng, 2, 3, 6, 8), "v": _rand(rng, 5), "u": _rand(rng, 8)}
    nodes = [
        helper.make_node("MatMul", ["a", "w"], ["y"], name="shared"),
        helper.make_node("MatMul", ["a", "u"], ["z"], name="column"),
        helper.make_node("MatMul", ["v", "b"], ["x"], name="row"),
    ]
    weights = {"w": _rand(rng, 1, 8, 4), "b": _rand(rng, 3, 5, 2)}
    outputs = {"y": [2, 3, 6, 4], "z": [2, 3, 6], "x": [3, 2]}
    _check(_model(nodes, inputs, outputs, weights), inputs)


def test_gemm_alpha_beta_and_matrix_bias_at_runtime() -> None:
    """Gemm with every operand a net input: alpha/beta scale runtime tensors, C is a matrix."""
    rng = np.random.default_rng(4)
    inputs = {"a": _rand(rng, 3, 5), "b": _rand(rng, 5, 4), "c": _rand(rng, 3, 4)}
    nodes = [
        helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="scaled", alpha=0.25, beta=-2.0),
        helper.make_node("Gemm", ["a", "b", "c"], ["z"], name="plain"),
    ]
    _check(_model(nodes, inputs, {"y": [3, 4], "z": [3, 4]}), inputs)


def test_net_output_that_is_a_net_input() -> None:
    """Identity and Flatten of an input: each output is a copy in its own DDR tensor."""
    rng = np.random.default_rng(5)
    inputs = {"x": _rand(rng, 2, 3, 4, 5)}
    nodes = [
        helper.make_node("Identity", ["x"], ["same"], name="id"),
        helper.make_node("Flatten", ["x"], ["flat"], name="flat", axis=2),
    ]
    model = _model(nodes, inputs, {"same": [2, 3, 4, 5], "flat": [6, 20]})
    _check(model, inputs)
