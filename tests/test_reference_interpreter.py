"""The top reference interpreter against onnxruntime on the example ResNet block.

The same network is written a second time as an ONNX graph with the same weights; onnxruntime
runs that graph, the interpreter runs `examples/resnet_block.mlir`, and the results must agree.
"""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from nntc.dialects.top import Top
from nntc.targets.reference.interpreter import InterpreterError, run_module
from nntc.targets.weight_store import load_weight_store

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"


def parse(path: Path):
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    module = Parser(ctx, path.read_text(), str(path)).parse_module()
    load_weight_store(module, path)
    return module


def onnx_resnet_block(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    def conv(x, w, b, out, stride, pad):
        return helper.make_node(
            "Conv", [x, w, b], [out], strides=[stride] * 2, pads=[pad] * 4, name=out
        )

    nodes = [
        conv("input", "conv1.weight", "conv1.bias", "c1", 2, 3),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        ),
        conv("p1", "layer1.0.conv1.weight", "layer1.0.conv1.bias", "c2", 1, 1),
        helper.make_node("Relu", ["c2"], ["r2"]),
        conv("r2", "layer1.0.conv2.weight", "layer1.0.conv2.bias", "c3", 1, 1),
        helper.make_node("Add", ["c3", "p1"], ["sum"]),
        helper.make_node("Relu", ["sum"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["fc"]),
        helper.make_node("Softmax", ["fc"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "resnet_block",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(array, name) for name, array in weights.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_resnet_block_matches_onnxruntime() -> None:
    module = parse(EXAMPLE)
    weights = dict(np.load(EXAMPLE.with_suffix(".npz")))
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    session = ort.InferenceSession(onnx_resnet_block(weights).SerializeToString())
    (expected,) = session.run(None, {"input": x})

    result = run_module(module, {"input": x}, dump_all=True)
    (name, got), *_ = result.outputs.items()
    assert name == "softmax"
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    # every op's value is kept under its ONNX-style name
    assert result.all_values is not None
    assert {"conv1", "maxpool", "layer1.0.add", "fc", "softmax"} <= set(result.all_values)
    assert result.all_values["maxpool"].shape == (1, 64, 56, 56)


def test_wrong_inputs_are_named() -> None:
    module = parse(EXAMPLE)
    with pytest.raises(InterpreterError, match=r"missing input\(s\) \['input'\]"):
        run_module(module, {"image": np.zeros((1, 3, 224, 224), np.float32)})
    with pytest.raises(InterpreterError, match=r"input 'input' has shape \[1, 3, 8, 8\]"):
        run_module(module, {"input": np.zeros((1, 3, 8, 8), np.float32)})
