"""Reference kernels (conv, pooling, matrix products) checked against independent oracles.

The oracle runs one ONNX node in onnxruntime and in `onnx.reference.ReferenceEvaluator` and
compares a kernel's result against both. The node is built from the same positional inputs and
keyword attributes the kernel takes, so a case is stated once. Array-valued attributes
(ConstantOfShape's `value`) become tensors. `tests/test_kernels_ops.py` imports `check` from here.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from nntc.targets.reference.kernels import KERNELS, KernelError, conv, gemm, max_pool

OPSET = 21
ORT = "ort"
REF = "ref"
BOTH = (ORT, REF)


def _onnx_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[k] = numpy_helper.from_array(v) if isinstance(v, np.ndarray) else v
    return out


def build_model(
    op_type: str,
    inputs: Sequence[np.ndarray | None],
    attrs: dict[str, Any],
    outputs: Sequence[np.ndarray],
    opset: int = OPSET,
) -> onnx.ModelProto:
    """A one-node model; None inputs become ONNX's empty-name optional inputs."""
    names = [f"in{i}" if a is not None else "" for i, a in enumerate(inputs)]
    graph_inputs = [
        helper.make_tensor_value_info(
            n, helper.np_dtype_to_tensor_dtype(np.asarray(a).dtype), np.shape(a)
        )
        for n, a in zip(names, inputs, strict=True)
        if a is not None
    ]
    out_names = [f"out{i}" for i in range(len(outputs))]
    graph_outputs = [
        helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(o.dtype), None)
        for n, o in zip(out_names, outputs, strict=True)
    ]
    node = helper.make_node(op_type, names, out_names, **_onnx_attrs(attrs))
    graph = helper.make_graph([node], op_type.lower(), graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def run_backend(
    backend: str, model: onnx.ModelProto, inputs: Sequence[np.ndarray | None]
) -> list[np.ndarray]:
    feeds = {f"in{i}": np.asarray(a) for i, a in enumerate(inputs) if a is not None}
    if backend == ORT:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(
            model.SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )
        return list(sess.run(None, feeds))
    return list(ReferenceEvaluator(model).run(None, feeds))


def check(
    op_type: str,
    inputs: Sequence[np.ndarray | None],
    attrs: dict[str, Any] | None = None,
    *,
    backends: Sequence[str] = BOTH,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    opset: int = OPSET,
) -> None:
    """Assert KERNELS[op_type](*inputs, **attrs) matches every backend (values and dtype)."""
    attrs = attrs or {}
    got = KERNELS[op_type](*inputs, **attrs)
    outs = list(got) if isinstance(got, tuple) else [got]
    model = build_model(op_type, inputs, attrs, outs, opset)
    for backend in backends:
        expected = run_backend(backend, model, inputs)
        assert len(expected) == len(outs)
        for i, (g, e) in enumerate(zip(outs, expected, strict=True)):
            e = np.asarray(e)
            msg = f"{op_type} output {i} vs {backend}"
            assert g.shape == e.shape, f"{msg}: shape {g.shape} != {e.shape}"
            assert g.dtype == e.dtype, f"{msg}: dtype {g.dtype} != {e.dtype}"
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=msg)


def rand(*shape: int, seed: int = 0, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Deterministic float32 test data."""
    rng = np.random.default_rng(seed + 7919 * len(shape) + sum(shape))
    return rng.uniform(low, high, size=shape).astype(np.float32)


# --- Conv ---------------------------------------------------------------------------------------

# (x shape, w shape, attrs)
CONV_CASES: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ((1, 3, 8, 8), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 3, 9, 7), (5, 3, 3, 2), {"strides": [2, 1], "pads": [1, 0, 0, 1]}),
    ((1, 4, 10, 10), (6, 4, 3, 3), {"dilations": [2, 3], "pads": [2, 1, 2, 3]}),
    ((1, 4, 8, 8), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ((1, 6, 9, 9), (6, 1, 3, 3), {"group": 6, "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((2, 3, 8, 8), (6, 1, 3, 3), {"group": 3, "dilations": [2, 2]}),
    ((1, 3, 9, 8), (4, 3, 4, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 3, 9, 8), (4, 3, 4, 3), {"auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    ((1, 3, 9, 8), (4, 3, 3, 3), {"auto_pad": "VALID", "strides": [2, 2]}),
    ((1, 8, 5, 5), (4, 8, 1, 1), {}),
    ((1, 3, 16, 16), (8, 3, 7, 7), {"strides": [2, 2], "pads": [3, 3, 3, 3]}),
    ((2, 3, 11), (4, 3, 3), {"strides": [2], "pads": [1, 2], "dilations": [2]}),
    ((1, 4, 10), (4, 1, 5), {"group": 4, "auto_pad": "SAME_UPPER"}),
    ((1, 2, 5, 6, 7), (3, 2, 3, 2, 3), {"strides": [1, 2, 2], "pads": [1, 0, 1, 1, 1, 0]}),
    ((1, 4, 5, 5, 5), (4, 2, 3, 3, 3), {"group": 2, "dilations": [1, 2, 1]}),
]


def _conv_backends(attrs: dict[str, Any]) -> tuple[str, ...]:
    # onnx 1.22's ReferenceEvaluator computes wrong shapes for Conv with auto_pad and strides.
    return BOTH if attrs.get("auto_pad", "NOTSET") == "NOTSET" else (ORT,)


@pytest.mark.parametrize(("xs", "ws", "attrs"), CONV_CASES, ids=[str(i) for i in range(15)])
@pytest.mark.parametrize("bias", [False, True])
def test_conv(xs: tuple[int, ...], ws: tuple[int, ...], attrs: dict[str, Any], bias: bool) -> None:
    inputs = [rand(*xs), rand(*ws, seed=1)]
    if bias:
        inputs.append(rand(ws[0], seed=2))
    check("Conv", inputs, dict(attrs), backends=_conv_backends(attrs))


CONV_T_CASES: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ((1, 3, 5, 5), (3, 4, 3, 3), {}),
    ((1, 3, 5, 4), (3, 2, 3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((2, 2, 4, 4), (2, 3, 4, 4), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    (
        (1, 3, 5, 5),
        (3, 2, 3, 3),
        {"strides": [2, 2], "output_padding": [1, 1], "pads": [1, 1, 1, 1]},
    ),
    ((1, 4, 4, 5), (4, 3, 3, 2), {"group": 2, "strides": [2, 3], "dilations": [2, 1]}),
    ((1, 4, 4, 4), (4, 1, 3, 3), {"group": 4, "strides": [2, 2], "pads": [0, 1, 1, 0]}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [9, 8]}),
    ((1, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 4, 4), (3, 2, 4, 3), {"strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 3, 6), (3, 2, 3), {"strides": [3], "pads": [1, 0], "output_padding": [2]}),
    ((1, 2, 3, 3, 3), (2, 2, 2, 3, 2), {"strides": [2, 1, 2], "pads": [0, 1, 0, 1, 1, 0]}),
]


@pytest.mark.parametrize(("xs", "ws", "attrs"), CONV_T_CASES, ids=[str(i) for i in range(11)])
@pytest.mark.parametrize("bias", [False, True])
def test_conv_transpose(
    xs: tuple[int, ...], ws: tuple[int, ...], attrs: dict[str, Any], bias: bool
) -> None:
    inputs = [rand(*xs), rand(*ws, seed=1)]
    if bias:
        inputs.append(rand(ws[1] * attrs.get("group", 1), seed=2))
    # onnx 1.22's ReferenceEvaluator fails on grouped ConvTranspose and on output_shape.
    ref_ok = attrs.get("group", 1) == 1 and "output_shape" not in attrs
    check("ConvTranspose", inputs, dict(attrs), backends=BOTH if ref_ok else (ORT,))


# --- pooling ------------------------------------------------------------------------------------

POOL_CASES: list[tuple[tuple[int, ...], dict[str, Any]]] = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((2, 3, 9, 9), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 8, 7), {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1]}),
    ((1, 2, 8, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    (
        (1, 2, 7, 7),
        {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1, "pads": [1, 1, 0, 0]},
    ),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 9, 8), {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 2, 9, 8), {"kernel_shape": [4, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 2, 9, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "VALID"}),
    ((1, 3, 10), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    (
        (1, 2, 5, 6, 7),
        {"kernel_shape": [2, 3, 2], "strides": [2, 1, 2], "pads": [0, 1, 1, 1, 1, 0]},
    ),
]


@pytest.mark.parametrize(("xs", "attrs"), POOL_CASES, ids=[str(i) for i in range(11)])
def test_max_pool(xs: tuple[int, ...], attrs: dict[str, Any]) -> None:
    # onnx 1.22's ReferenceEvaluator gets MaxPool's SAME_LOWER output shape wrong.
    ref_ok = attrs.get("auto_pad") != "SAME_LOWER"
    check("MaxPool", [rand(*xs)], dict(attrs), backends=BOTH if ref_ok else (ORT,))


@pytest.mark.parametrize(("xs", "attrs"), POOL_CASES, ids=[str(i) for i in range(11)])
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool(xs: tuple[int, ...], attrs: dict[str, Any], count_include_pad: int) -> None:
    check("AveragePool", [rand(*xs)], dict(attrs, count_include_pad=count_include_pad))


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("xs", [(2, 3, 5, 4), (1, 4, 6), (1, 2, 3, 4, 5)])
def test_global_pool(op: str, xs: tuple[int, ...]) -> None:
    # onnx 1.22's ReferenceEvaluator GlobalMaxPool only handles 4-D inputs.
    ref_ok = op != "GlobalMaxPool" or len(xs) == 4
    check(op, [rand(*xs)], backends=BOTH if ref_ok else (ORT,))


# --- matrix products ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((3, 4), (4, 5)),
        ((2, 3, 4), (4, 5)),
        ((4,), (4, 3)),
        ((3, 4), (4,)),
        ((2, 1, 3, 4), (3, 4, 2)),
    ],
)
def test_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    check("MatMul", [rand(*a), rand(*b, seed=1)])


@pytest.mark.parametrize(
    ("attrs", "c_shape"),
    [
        ({}, None),
        ({}, (5,)),
        ({"alpha": 0.5, "beta": 2.0}, (3, 5)),
        ({"transA": 1}, (1, 5)),
        ({"transB": 1, "alpha": -1.5}, (3, 1)),
        ({"transA": 1, "transB": 1, "beta": 0.0}, ()),
    ],
)
def test_gemm(attrs: dict[str, Any], c_shape: tuple[int, ...] | None) -> None:
    a = rand(4, 3) if attrs.get("transA") else rand(3, 4)
    b = rand(5, 4, seed=1) if attrs.get("transB") else rand(4, 5, seed=1)
    inputs = [a, b] + ([] if c_shape is None else [rand(*c_shape, seed=2)])
    check("Gemm", inputs, attrs)


# --- contract violations ------------------------------------------------------------------------


def test_conv_rejects_channel_mismatch() -> None:
    with pytest.raises(
        KernelError,
        match=r"expected filter input channels x group \(3 x 1\) to equal input channels \(4\)",
    ):
        conv(rand(1, 4, 5, 5), rand(2, 3, 3, 3))


def test_conv_rejects_bad_pads_length() -> None:
    with pytest.raises(KernelError, match=r"expected 4 values in 'pads', got 2"):
        conv(rand(1, 3, 5, 5), rand(2, 3, 3, 3), pads=[1, 1])


def test_conv_rejects_kernel_larger_than_input() -> None:
    with pytest.raises(KernelError, match=r"smaller than the dilated kernel \[5, 5\]"):
        conv(rand(1, 3, 4, 4), rand(2, 3, 3, 3), dilations=[2, 2])


def test_conv_rejects_bad_auto_pad() -> None:
    with pytest.raises(KernelError, match=r"'auto_pad' in NOTSET.*got 'SAME'"):
        conv(rand(1, 3, 5, 5), rand(2, 3, 3, 3), auto_pad="SAME")


def test_max_pool_requires_kernel_shape() -> None:
    with pytest.raises(KernelError, match=r"MaxPool: attribute 'kernel_shape' is required"):
        max_pool(rand(1, 3, 5, 5))


def test_gemm_rejects_c_that_does_not_broadcast() -> None:
    with pytest.raises(KernelError, match=r"expected C \(4,\) unidirectionally broadcastable"):
        gemm(rand(3, 4), rand(4, 5), rand(4))


def test_depthwise_conv_matches_grouped_im2col() -> None:
    # Depthwise takes the per-tap path; the same conv written as dense with a block-diagonal
    # filter takes the im2col path, so the two implementations check each other.
    x, w = rand(2, 4, 9, 9), rand(8, 1, 3, 3, seed=3)
    dense = np.zeros((8, 4, 3, 3), np.float32)
    for m in range(8):
        dense[m, m // 2] = w[m, 0]
    got = conv(x, w, group=4, strides=[2, 2], pads=[1, 1, 1, 1])
    np.testing.assert_allclose(
        got, conv(x, dense, strides=[2, 2], pads=[1, 1, 1, 1]), rtol=1e-5, atol=1e-6
    )
