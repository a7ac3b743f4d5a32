"""Speed of the reference Conv kernel against onnxruntime on the same node (pytest-benchmark).

Each group holds the nntc kernel and onnxruntime running the identical Conv (weights as
initializers, as in a real model, so onnxruntime may prepack them). Run with
`.venv/bin/pytest tests/bench/test_bench_kernels.py --benchmark-only -p no:xdist` and compare the
two means of a group: the interpreter's budget is about 3x onnxruntime over a whole ResNet-18.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from nntc.targets.reference.kernels import conv

# name -> (X shape, W shape, Conv attributes)
CASES: dict[str, tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = {
    "conv3x3-64x56x56": ((1, 64, 56, 56), (64, 64, 3, 3), {"pads": [1, 1, 1, 1]}),
    "stem7x7s2-3x224x224": (
        (1, 3, 224, 224),
        (64, 3, 7, 7),
        {"strides": [2, 2], "pads": [3, 3, 3, 3]},
    ),
}


def _data(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    xs, ws, attrs = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    w = rng.standard_normal(ws, dtype=np.float32) * np.float32(0.1)
    b = rng.standard_normal(ws[0], dtype=np.float32)
    return x, w, b, attrs


def _ort_runner(x: np.ndarray, w: np.ndarray, b: np.ndarray, attrs: dict[str, Any]) -> Callable:
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)
    graph = helper.make_graph(
        [node],
        "conv",
        [helper.make_tensor_value_info("x", 1, x.shape)],
        [helper.make_tensor_value_info("y", 1, None)],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return lambda: sess.run(None, {"x": x})[0]


@pytest.mark.parametrize("name", list(CASES))
def test_bench_conv_nntc(benchmark: Any, name: str) -> None:
    x, w, b, attrs = _data(name)
    benchmark.group = name
    y = benchmark(conv, x, w, b, **attrs)
    np.testing.assert_allclose(y, _ort_runner(x, w, b, attrs)(), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", list(CASES))
def test_bench_conv_onnxruntime(benchmark: Any, name: str) -> None:
    x, w, b, attrs = _data(name)
    benchmark.group = name
    benchmark(_ort_runner(x, w, b, attrs))
