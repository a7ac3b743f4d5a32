"""The top ops `lower-to-tpu` lowers for issue #6 (transpose, slice, split, pad, layernorm,
leaky ReLU, PReLU, reductions, tanh, erf, gelu, sqrt, pow, log, log-softmax, expand, gather),
each in a one-op ONNX model through the whole FP32 pipeline and the simulator, against
onnxruntime with the acceptance tolerance of `test_e2e_f32` (cosine >= 0.99999, max abs error
<= 1e-3 x max|ref|). Plus the DMA view arithmetic of `passes/lowering/movement.py` against
numpy's strided views.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_e2e_f32 import run_and_compare

from nntc.passes.lowering.movement import _copies

pytest.importorskip("onnxruntime")


def _net(
    nodes: list[onnx.NodeProto],
    in_shape: list[int],
    out_shape: list[int],
    consts: dict[str, np.ndarray] | None = None,
    opset: int = 13,
) -> onnx.ModelProto:
    """A graph `input` -> nodes -> `output`; `consts` keep their dtype (int64 shapes, axes)."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in (consts or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _i64(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def _f32(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def _node(op: str, inputs: list[str], **attrs: object) -> onnx.NodeProto:
    return helper.make_node(op, inputs, ["output"], name=op.lower(), **attrs)


Made = tuple[onnx.ModelProto, np.ndarray]
"""A one-op model and its input."""
Case = Callable[[np.random.Generator], Made]


def _unary(op: str, shape: tuple[int, ...], positive: bool = False, **attrs: object) -> Case:
    def make(rng: np.random.Generator) -> Made:
        x = _f32(rng, shape) * 3
        if positive:
            x = np.abs(x) + np.float32(0.05)
        return _net([_node(op, ["input"], **attrs)], list(shape), list(shape)), x

    return make


def _wide(op: str, make_x: Callable[[np.random.Generator], np.ndarray]) -> Case:
    """A function over a wide range of inputs (the exponent and clamping paths)."""

    def make(rng: np.random.Generator) -> Made:
        x = make_x(rng).astype(np.float32)
        return _net([_node(op, ["input"])], list(x.shape), list(x.shape)), x

    return make


def _transpose(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 3, 4, 5))
    return _net([_node("Transpose", ["input"], perm=[0, 2, 3, 1])], [2, 3, 4, 5], [2, 4, 5, 3]), x


def _transpose_rank5(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 3, 4, 5, 6))
    node = _node("Transpose", ["input"], perm=[4, 1, 0, 3, 2])
    return _net([node], [2, 3, 4, 5, 6], [6, 3, 2, 5, 4]), x


def _slice(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 6, 9, 10))
    consts = {"s": _i64(1, 2, 1), "e": _i64(5, 9, 10), "a": _i64(1, 2, 3), "st": _i64(2, 3, 2)}
    node = _node("Slice", ["input", "s", "e", "a", "st"])
    return _net([node], [2, 6, 9, 10], [2, 2, 3, 5], consts), x


def _split(rng: np.random.Generator) -> Made:
    x = _f32(rng, (1, 8, 5, 4))
    split = helper.make_node("Split", ["input", "sizes"], ["p0", "p1", "p2"], axis=1)
    cat = helper.make_node("Concat", ["p2", "p0", "p1"], ["output"], axis=1)
    return _net([split, cat], [1, 8, 5, 4], [1, 8, 5, 4], {"sizes": _i64(3, 1, 4)}), x


def _pad(mode: str) -> Case:
    def make(rng: np.random.Generator) -> Made:
        x = _f32(rng, (1, 3, 5, 6))
        consts = {"pads": _i64(0, 1, 2, 1, 0, 0, 1, 3), "v": np.array(0.5, np.float32)}
        inputs = ["input", "pads", "v"] if mode == "constant" else ["input", "pads"]
        node = _node("Pad", inputs, mode=mode)
        return _net([node], [1, 3, 5, 6], [1, 4, 8, 10], consts), x

    return make


def _layernorm(axis: int, bias: bool) -> Case:
    def make(rng: np.random.Generator) -> Made:
        shape = (2, 5, 3, 8)
        norm = shape[axis:]
        x = _f32(rng, shape) * 2 + 1
        consts = {"g": _f32(rng, norm), "b": _f32(rng, norm)}
        inputs = ["input", "g", "b"] if bias else ["input", "g"]
        node = _node("LayerNormalization", inputs, axis=axis, epsilon=1e-5)
        return _net([node], list(shape), list(shape), consts, opset=17), x

    return make


def _prelu(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 4, 5, 6))
    slope = (rng.random((4, 1, 1)) * 0.5).astype(np.float32)
    node = _node("PRelu", ["input", "slope"])
    return _net([node], [2, 4, 5, 6], [2, 4, 5, 6], {"slope": slope}), x


def _reduce(op: str, axes: list[int], keepdims: int) -> Case:
    def make(rng: np.random.Generator) -> Made:
        shape = (2, 3, 4, 5)
        x = _f32(rng, shape)
        out = [1 if d in axes else s for d, s in enumerate(shape)]
        if not keepdims:
            out = [s for d, s in enumerate(shape) if d not in axes]
        if op == "ReduceSum":  # opset 13 moved its axes to an input
            node = _node(op, ["input", "axes"], keepdims=keepdims)
            return _net([node], list(shape), out, {"axes": _i64(*axes)}), x
        return _net([_node(op, ["input"], axes=axes, keepdims=keepdims)], list(shape), out), x

    return make


def _reduce_long_row(rng: np.random.Generator) -> Made:
    """A row above a quarter of a lane's local memory: pooled in bands of rows first."""
    x = _f32(rng, (2, 20000))
    return _net([_node("ReduceMean", ["input"], axes=[1], keepdims=1)], [2, 20000], [2, 1]), x


def _gelu(approximate: str) -> Case:
    def make(rng: np.random.Generator) -> Made:
        x = _f32(rng, (2, 3, 4, 5)) * 3
        node = _node("Gelu", ["input"], approximate=approximate)
        return _net([node], [2, 3, 4, 5], [2, 3, 4, 5], opset=20), x

    return make


def _pow(exponent: float, positive: bool) -> Case:
    def make(rng: np.random.Generator) -> Made:
        x = _f32(rng, (2, 3, 4, 5)) * 2
        if positive:
            x = np.abs(x) + np.float32(0.1)
        node = _node("Pow", ["input", "p"])
        return _net([node], [2, 3, 4, 5], [2, 3, 4, 5], {"p": np.array(exponent, np.float32)}), x

    return make


def _log_softmax(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 3, 10)) * 3
    return _net([_node("LogSoftmax", ["input"], axis=-1)], [2, 3, 10], [2, 3, 10]), x


def _expand(rng: np.random.Generator) -> Made:
    x = _f32(rng, (3, 1, 5))
    node = _node("Expand", ["input", "shape"])
    return _net([node], [3, 1, 5], [2, 3, 4, 5], {"shape": _i64(2, 3, 4, 5)}), x


def _gather(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 7, 4))
    node = _node("Gather", ["input", "idx"], axis=1)
    return _net([node], [2, 7, 4], [2, 2, 3, 4], {"idx": np.array([[0, 2, 4], [6, -1, 1]])}), x


def _where(rng: np.random.Generator) -> Made:
    x = _f32(rng, (2, 3, 4, 5))
    cond = rng.random((1, 3, 1, 5)) > 0.5
    y = _f32(rng, (4, 1))
    node = _node("Where", ["c", "input", "y"])
    return _net([node], [2, 3, 4, 5], [2, 3, 4, 5], {"c": cond, "y": y}), x


CASES: dict[str, Case] = {
    "transpose": _transpose,
    "transpose_rank5": _transpose_rank5,
    "slice": _slice,
    "split": _split,
    "pad_constant": _pad("constant"),
    "pad_reflect": _pad("reflect"),
    "pad_edge": _pad("edge"),
    "layernorm_last": _layernorm(-1, True),
    "layernorm_axis1": _layernorm(1, False),
    "leaky_relu": _unary("LeakyRelu", (2, 3, 4, 5), alpha=0.1),
    "prelu": _prelu,
    "reduce_mean": _reduce("ReduceMean", [1], 1),
    "reduce_sum": _reduce("ReduceSum", [2, 3], 0),
    "reduce_max": _reduce("ReduceMax", [0, 2], 1),
    "reduce_long_row": _reduce_long_row,
    "tanh": _unary("Tanh", (2, 3, 4, 5)),
    "erf": _unary("Erf", (2, 3, 4, 5)),
    "gelu": _gelu("none"),
    "gelu_tanh": _gelu("tanh"),
    "tanh_wide": _wide("Tanh", lambda rng: rng.uniform(-60, 60, (4, 64))),
    "erf_wide": _wide("Erf", lambda rng: rng.uniform(-8, 8, (4, 64))),
    "log_wide": _wide("Log", lambda rng: 10.0 ** rng.uniform(-30, 30, (4, 64))),
    "sqrt": _unary("Sqrt", (2, 3, 4, 5), positive=True),
    "log": _unary("Log", (2, 3, 4, 5), positive=True),
    "pow_2": _pow(2.0, False),
    "pow_3": _pow(3.0, False),
    "pow_half": _pow(0.5, True),
    "pow_1_7": _pow(1.7, True),
    "log_softmax": _log_softmax,
    "expand": _expand,
    "gather": _gather,
    "where": _where,
}


@pytest.mark.parametrize("case", list(CASES))
def test_op_matches_onnxruntime(case: str) -> None:
    model, x = CASES[case](np.random.default_rng(0))
    run_and_compare(model, x)


@pytest.mark.parametrize(
    ("shape", "perm_or_none"),
    [((2, 3, 4, 5, 6, 7), (5, 0, 3, 1, 4, 2)), ((70000, 3), (1, 0)), ((4, 1, 6), None)],
)
def test_copy_views_match_numpy(
    shape: tuple[int, ...], perm_or_none: tuple[int, ...] | None
) -> None:
    """The DMA copies `_copies` makes, replayed over flat arrays, equal numpy's transpose (or
    a plain copy), including the rank > 4 loop and the split of a dim above 65535."""
    src = np.arange(int(np.prod(shape)), dtype=np.int64)
    perm = perm_or_none or tuple(range(len(shape)))
    ref = np.transpose(src.reshape(shape), perm).ravel()
    strides = [int(np.prod(shape[d + 1 :])) for d in range(len(shape))]
    out_shape = [shape[d] for d in perm]
    dst_strides = [int(np.prod(out_shape[d + 1 :])) for d in range(len(out_shape))]
    dims = list(zip(out_shape, [strides[d] for d in perm], dst_strides, strict=True))
    out = np.full(src.size, -1, np.int64)
    for cshape, s0, sst, d0, dst in _copies("t", dims, 0, 0):
        assert max(cshape) <= 65535
        idx = np.indices(cshape).reshape(4, -1)
        src_at = s0 // 4 + np.tensordot(sst, idx, 1)
        dst_at = d0 // 4 + np.tensordot(dst, idx, 1)
        out[dst_at] = src[src_at]
    np.testing.assert_array_equal(out, ref)
