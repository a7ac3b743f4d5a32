"""FP32 lowerings of issue #6's last chip gaps, in one-op ONNX models through `nntc-bmneto`'s
pipeline (`compile_onnx`) and the simulator, against onnxruntime (cosine >= COSINE_MIN, max abs
error <= REL_ERR_MAX x max|ref|):

- elementwise ops above rank 4 (3-D BatchNorm, PReLU, a Conv3d's bias add, unary functions)
  run on views whose adjacent dims merge where the broadcast pattern allows
  (`lower_to_tpu.merged_dims`, checked here against numpy's broadcasting too);
- average pooling whose ONNX divisor varies per output position (count_include_pad = 0 with
  pads, ceil_mode) is the pool times a constant per-position weight.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nntc.passes.lower_to_tpu import MAX_RANK, merged_dims
from nntc.pipeline import COSINE_MIN, REL_ERR_MAX, PipelineError, compile_onnx
from nntc.targets.bm1684x.simulator import Simulator

ort = pytest.importorskip("onnxruntime")


def _model(
    node: onnx.NodeProto,
    in_shape: list[int],
    out_shape: list[int],
    consts: dict[str, np.ndarray] | None = None,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(v, k) for k, v in (consts or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def _check(model: onnx.ModelProto, x: np.ndarray, layer_group: bool = True) -> None:
    compiled = compile_onnx(model, net_name="case", layer_group=layer_group)
    (got,) = Simulator(compiled.bmodel).run({"input": x}).outputs.values()
    (ref,) = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})
    assert got.shape == ref.shape
    cos = float(np.dot(got.ravel(), ref.ravel()) / np.linalg.norm(got) / np.linalg.norm(ref))
    err = float(np.abs(got - ref).max())
    assert cos >= COSINE_MIN, f"cosine {cos}"
    assert err <= REL_ERR_MAX * float(np.abs(ref).max()), f"max error {err}"


RNG = np.random.default_rng(0)
Made = tuple[onnx.ModelProto, np.ndarray]
"""A one-op model and its input."""


def _f32(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


# --- rank 5 and more ------------------------------------------------------------------------


def _batchnorm3d() -> Made:
    c = 3
    consts = {
        "scale": _f32(c),
        "bias": _f32(c),
        "mean": _f32(c),
        "var": np.abs(_f32(c)) + np.float32(0.5),
    }
    node = helper.make_node(
        "BatchNormalization", ["input", "scale", "bias", "mean", "var"], ["output"], name="bn"
    )
    return _model(node, [2, c, 4, 5, 6], [2, c, 4, 5, 6], consts), _f32(2, c, 4, 5, 6)


def _prelu3d() -> Made:
    slope = {"slope": np.abs(_f32(3, 1, 1, 1)) * np.float32(0.3)}
    node = helper.make_node("PRelu", ["input", "slope"], ["output"], name="prelu")
    return _model(node, [2, 3, 4, 5, 6], [2, 3, 4, 5, 6], slope), _f32(2, 3, 4, 5, 6)


def _conv3d() -> Made:
    consts = {"w": _f32(4, 3, 2, 3, 3), "b": _f32(4)}
    node = helper.make_node(
        "Conv", ["input", "w", "b"], ["output"], name="conv", pads=[1, 1, 1, 1, 1, 1]
    )
    return _model(node, [1, 3, 4, 6, 6], [1, 4, 5, 6, 6], consts), _f32(1, 3, 4, 6, 6)


def _add6d() -> Made:
    # the bias is full in the leading two dims and the last one, 1 in the three between
    node = helper.make_node("Add", ["input", "b"], ["output"], name="add")
    b = {"b": _f32(2, 3, 1, 1, 1, 5)}
    return _model(node, [2, 3, 2, 3, 4, 5], [2, 3, 2, 3, 4, 5], b), _f32(2, 3, 2, 3, 4, 5)


def _sigmoid5d() -> Made:
    node = helper.make_node("Sigmoid", ["input"], ["output"], name="sigmoid")
    return _model(node, [3, 2, 5, 4, 7], [3, 2, 5, 4, 7]), _f32(3, 2, 5, 4, 7) * 3


RANK5 = {
    "batchnorm3d": _batchnorm3d,
    "prelu3d": _prelu3d,
    "conv3d_bias": _conv3d,
    "add6d": _add6d,
    "sigmoid5d": _sigmoid5d,
}


@pytest.mark.parametrize("case", list(RANK5))
def test_rank5_matches_onnxruntime(case: str) -> None:
    _check(*RANK5[case]())


def test_rank5_unmergeable_is_rejected() -> None:
    # full and broadcast dims alternate: no view of 4 dims keeps the broadcast
    node = helper.make_node("Add", ["input", "b"], ["output"], name="add")
    model = _model(node, [2, 3, 4, 5, 6], [2, 3, 4, 5, 6], {"b": _f32(3, 1, 5, 1)})
    with pytest.raises(PipelineError, match=r"tensors of rank 5 \(more than 4\)"):
        compile_onnx(model, net_name="case")


@pytest.mark.parametrize(
    ("out", "operands"),
    [
        ((2, 3, 4, 5, 6), [(2, 3, 4, 5, 6), (3, 1, 1, 1)]),
        ((2, 3, 2, 3, 4, 5), [(2, 3, 1, 1, 1, 5), (5,)]),
        ((1, 2, 4, 1, 3, 3), [(4, 1, 1, 1)]),
        ((2, 3, 4, 5, 6, 7, 8), [(2, 3, 4, 5, 6, 7, 8)]),
        ((2, 3, 4, 5, 6), [(2, 3, 4, 5, 6), (3, 1, 5, 1)]),
    ],
)
def test_merged_views_broadcast_like_numpy(
    out: tuple[int, ...], operands: list[tuple[int, ...]]
) -> None:
    """Each operand's view broadcasts to the result's view, and the elementwise sum over the
    views, reshaped back, is numpy's sum over the original shapes; None only where two
    adjacent dims of `out` always differ in pattern."""
    groups = merged_dims(out, operands)
    arrays = [RNG.standard_normal(s) for s in operands]
    if groups is None:
        assert out == (2, 3, 4, 5, 6)  # the alternating case
        return
    assert len(groups) <= MAX_RANK
    assert sorted(d for g in groups for d in g) == [d for d in range(len(out)) if out[d] != 1]

    def view(shape: tuple[int, ...]) -> tuple[int, ...]:
        aligned = (1,) * (len(out) - len(shape)) + shape
        return tuple(int(np.prod([aligned[d] for d in g])) for g in groups)

    folded = np.broadcast_to(sum(a.reshape(view(a.shape)) for a in arrays), view(out))
    np.testing.assert_array_equal(folded.reshape(out), np.broadcast_to(sum(arrays), out))


# --- average pooling with a per-position divisor --------------------------------------------


def _avgpool(shape: list[int], out_hw: list[int], **attrs: object) -> Made:
    node = helper.make_node("AveragePool", ["input"], ["output"], name="pool", **attrs)
    return _model(node, shape, shape[:2] + out_hw), _f32(*shape)


POOLS = {
    "exclude_pad": _avgpool([1, 3, 8, 8], [8, 8], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    "exclude_pad_strided_asym": _avgpool(
        [2, 4, 9, 7], [4, 4], kernel_shape=[3, 2], strides=[2, 2], pads=[0, 1, 2, 1]
    ),
    "same_upper": _avgpool(
        [1, 2, 7, 7], [4, 4], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"
    ),  # fmt: skip
    "ceil_exclude_pad": _avgpool(
        [1, 2, 6, 6], [3, 3], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1
    ),
    "ceil_include_pad": _avgpool(
        [1, 2, 6, 6],
        [4, 4],
        kernel_shape=[3, 3],
        strides=[2, 2],
        ceil_mode=1,
        pads=[1, 1, 1, 1],
        count_include_pad=1,
    ),  # fmt: skip
}


@pytest.mark.parametrize("layer_group", [True, False], ids=["groups", "no_groups"])
@pytest.mark.parametrize("case", list(POOLS))
def test_avgpool_divisor_matches_onnxruntime(case: str, layer_group: bool) -> None:
    """The divisor weight is a broadcast operand of the mul, in a layer group or alone."""
    _check(*POOLS[case], layer_group=layer_group)
