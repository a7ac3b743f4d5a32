"""Reference kernels for the elementwise, normalisation, data-movement and Resize ops, each
checked against onnxruntime and onnx's ReferenceEvaluator on a one-node model."""

import math
from typing import Any

import numpy as np
import pytest
from test_kernels import BOTH, ORT, check, rand

from nntc.targets.reference.kernels import (
    KERNELS,
    KernelError,
    erf,
    gather,
    reshape,
    resize,
    slice_,
    split,
)

I64 = np.int64


def i64(*v: int) -> np.ndarray:
    return np.array(v, dtype=I64)


# --- unary elementwise --------------------------------------------------------------------------

UNARY: list[tuple[str, dict[str, Any]]] = [
    ("Relu", {}),
    ("LeakyRelu", {}),
    ("LeakyRelu", {"alpha": 0.2}),
    ("Sigmoid", {}),
    ("HardSigmoid", {}),
    ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    ("HardSwish", {}),
    ("Tanh", {}),
    ("Erf", {}),
    ("Gelu", {}),
    ("Gelu", {"approximate": "tanh"}),
    ("Exp", {}),
    ("Identity", {}),
]


@pytest.mark.parametrize(("op", "attrs"), UNARY, ids=[f"{o}{a}" for o, a in UNARY])
def test_unary(op: str, attrs: dict[str, Any]) -> None:
    check(op, [rand(3, 4, 5, low=-6.0, high=6.0)], attrs)


@pytest.mark.parametrize("op", ["Log", "Sqrt"])
def test_unary_positive(op: str) -> None:
    check(op, [rand(2, 3, 7, low=0.01, high=50.0)])


def test_sigmoid_extremes_do_not_overflow() -> None:
    x = np.array([-1000.0, -90.0, 0.0, 90.0, 1000.0], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = KERNELS["Sigmoid"](x)
    np.testing.assert_allclose(got, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-30)


def test_erf_accuracy_against_math_erf() -> None:
    x = np.concatenate([np.linspace(-8, 8, 40001), np.geomspace(1e-30, 8, 2000), [0.0]])
    want = np.array([math.erf(v) for v in x])
    got = erf(x)
    assert got.dtype == np.float64
    assert np.abs(got - want).max() < 1e-13
    # Near zero the relative error matters: erf(x) ~ 2x/sqrt(pi).
    tiny = x[(x > 0) & (x < 1e-7)]
    assert np.abs(erf(tiny) / (tiny * 2 / math.sqrt(math.pi)) - 1).max() < 1e-12
    assert np.isnan(erf(np.array([np.nan]))).all()
    np.testing.assert_array_equal(erf(np.array([-np.inf, np.inf])), [-1.0, 1.0])


@pytest.mark.parametrize(
    ("lo", "hi"), [(-0.5, 0.5), (None, 0.3), (-0.2, None), (None, None), (0.4, -0.4)]
)
def test_clip(lo: float | None, hi: float | None) -> None:
    bound = [None if v is None else np.array(v, np.float32) for v in (lo, hi)]
    inputs = [rand(4, 6), *bound]
    while inputs[-1] is None:
        inputs.pop()
    check("Clip", inputs)


@pytest.mark.parametrize("slope_shape", [(1,), (3, 1, 1), (5,), (2, 3, 4, 5)])
def test_prelu(slope_shape: tuple[int, ...]) -> None:
    check("PRelu", [rand(2, 3, 4, 5), rand(*slope_shape, seed=1)])


# --- binary elementwise, Where, Cast ------------------------------------------------------------


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize(("a", "b"), [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5))])
def test_binary(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    check(op, [rand(*a), rand(*b, seed=1, low=0.5, high=2.0)])


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
def test_binary_int64(op: str) -> None:
    a = np.array([[7, -7, 9, -9, 0, 5]], I64)
    b = np.array([[2], [-3]], I64)
    check(op, [a, b])


def test_pow() -> None:
    check("Pow", [rand(3, 4, low=0.1, high=3.0), rand(4, seed=1, low=-2.0, high=2.0)])
    check("Pow", [rand(3, 4), np.array([2.0, 3.0, 1.0, 0.0], np.float32)])


def test_where() -> None:
    cond = rand(3, 1, 5, seed=3) > 0
    check("Where", [cond, rand(4, 5), rand(3, 4, 1, seed=1)])


@pytest.mark.parametrize(
    ("src", "to"),
    [
        (np.array([-2.7, -0.5, 0.0, 1.5, 3.9], np.float32), 7),  # INT64
        (np.array([-2.7, -0.5, 0.0, 1.5, 3.9], np.float32), 6),  # INT32
        (np.array([-2.7, 0.0, 1.5], np.float32), 9),  # BOOL
        (np.array([3, -1, 0], I64), 1),  # FLOAT
        (np.array([True, False]), 1),
        (np.array([1.1, 2.9], np.float32), 11),  # DOUBLE
    ],
)
def test_cast(src: np.ndarray, to: int) -> None:
    check("Cast", [src], {"to": to})


def test_cast_accepts_numpy_dtype() -> None:
    got = KERNELS["Cast"](np.array([1.9, -1.9], np.float32), to=np.int32)
    assert got.dtype == np.int32 and got.tolist() == [1, -1]


# --- normalisation and reductions ---------------------------------------------------------------


@pytest.mark.parametrize("xs", [(2, 3, 4, 5), (2, 3), (1, 3, 7)])
def test_batch_normalization(xs: tuple[int, ...]) -> None:
    c = xs[1]
    params = [rand(c, seed=1), rand(c, seed=2), rand(c, seed=3), rand(c, seed=4, low=0.1, high=2)]
    check("BatchNormalization", [rand(*xs), *params], {"epsilon": 1e-3})


@pytest.mark.parametrize(("axis", "with_bias"), [(-1, True), (1, True), (2, False), (0, True)])
def test_layer_normalization(axis: int, with_bias: bool) -> None:
    x = rand(2, 3, 4)
    norm = x.shape[axis:]
    inputs = [x, rand(*norm, seed=1)] + ([rand(*norm, seed=2)] if with_bias else [])
    check("LayerNormalization", inputs, {"axis": axis, "epsilon": 1e-4})


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax(op: str, axis: int) -> None:
    check(op, [rand(3, 4, 5, low=-20, high=20)], {"axis": axis})


REDUCE_CASES: list[tuple[np.ndarray | None, dict[str, Any]]] = [
    (None, {}),
    (i64(1), {}),
    (i64(0, -1), {"keepdims": 0}),
    (i64(-2), {"keepdims": 0}),
    (np.zeros(0, I64), {"noop_with_empty_axes": 1}),
    (None, {"keepdims": 0}),
]


@pytest.mark.parametrize("op", ["ReduceMean", "ReduceSum", "ReduceMax"])
@pytest.mark.parametrize(("axes", "attrs"), REDUCE_CASES, ids=[str(i) for i in range(6)])
def test_reduce(op: str, axes: np.ndarray | None, attrs: dict[str, Any]) -> None:
    inputs = [rand(2, 3, 4)] + ([] if axes is None else [axes])
    check(op, inputs, attrs)


# --- data movement ------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis: int) -> None:
    shapes = [[2, 3, 4]] * 3
    for i, s in enumerate(shapes):
        s = list(s)
        s[axis] = i + 1
        shapes[i] = s
    check("Concat", [rand(*s, seed=i) for i, s in enumerate(shapes)], {"axis": axis})


@pytest.mark.parametrize(
    ("sizes", "attrs"),
    [
        (i64(2, 3, 1), {"axis": 1}),
        (None, {"axis": 1, "num_outputs": 3}),
        (None, {"axis": -1, "num_outputs": 4}),
        (i64(6, 0), {"axis": 1}),
    ],
)
def test_split(sizes: np.ndarray | None, attrs: dict[str, Any]) -> None:
    inputs = [rand(2, 6, 7)] + ([] if sizes is None else [sizes])
    check("Split", inputs, attrs)


def test_split_uneven_chunks() -> None:
    parts = split(np.arange(7.0), num_outputs=3)
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6]]


SLICE_CASES = [
    (i64(1), i64(3), None, None),
    (i64(0, 1), i64(-1, 100), i64(0, 2), None),
    (i64(-1), i64(-100), i64(1), i64(-1)),
    (i64(4, 5), i64(0, -7), i64(1, -1), i64(-2, -2)),
    (i64(100), i64(-100), i64(2), i64(-3)),
    (i64(-100, 1), i64(100, 2), i64(0, 1), i64(3, 1)),
    (i64(2), i64(2), i64(0), None),
    (i64(5), i64(-1), i64(2), i64(-1)),
]


@pytest.mark.parametrize(("starts", "ends", "axes", "steps"), SLICE_CASES)
def test_slice(
    starts: np.ndarray, ends: np.ndarray, axes: np.ndarray | None, steps: np.ndarray | None
) -> None:
    inputs: list[np.ndarray | None] = [rand(4, 5, 6), starts, ends, axes, steps]
    while inputs[-1] is None:
        inputs.pop()
    check("Slice", inputs)


@pytest.mark.parametrize(
    ("shape", "allowzero"),
    [(i64(4, -1), 0), (i64(0, 0, -1), 0), (i64(-1), 0), (i64(2, 0, 4), 0), (i64(3, 2, 4), 1)],
)
def test_reshape(shape: np.ndarray, allowzero: int) -> None:
    check("Reshape", [rand(2, 3, 4), shape], {"allowzero": allowzero})


def test_reshape_allowzero_keeps_zero() -> None:
    assert reshape(np.zeros((0, 3)), i64(3, 0), allowzero=1).shape == (3, 0)
    with pytest.raises(KernelError, match=r"Reshape: target shape \[5, 5\] has 25 elements"):
        reshape(rand(2, 3), i64(5, 5))


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1])
def test_flatten(axis: int) -> None:
    check("Flatten", [rand(2, 3, 4)], {"axis": axis})


@pytest.mark.parametrize("perm", [None, [0, 2, 1, 3], [3, 1, 0, 2]])
def test_transpose(perm: list[int] | None) -> None:
    check("Transpose", [rand(2, 3, 4, 5)], {} if perm is None else {"perm": perm})


@pytest.mark.parametrize("axes", [None, i64(0), i64(-1, 2)])
def test_squeeze(axes: np.ndarray | None) -> None:
    inputs = [rand(1, 3, 1, 1)] + ([] if axes is None else [axes])
    check("Squeeze", inputs)


@pytest.mark.parametrize("axes", [i64(0), i64(-1), i64(1, 3), i64(4, 0)])
def test_unsqueeze(axes: np.ndarray) -> None:
    check("Unsqueeze", [rand(3, 4, 5), axes])


PAD_CASES: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray | None]] = [
    ("constant", i64(0, 0, 1, 2, 0, 0, 2, 1), np.array(1.5, np.float32), None),
    ("constant", i64(0, 0, -1, 1, 0, 1, 1, -2), None, None),
    ("reflect", i64(0, 0, 2, 1, 0, 0, 1, 3), None, None),
    ("edge", i64(0, 1, 2, 3, 1, 0, 3, 2), None, None),
    ("wrap", i64(0, 0, 2, 1, 0, 0, 1, 3), None, None),
    ("constant", i64(1, 2, 3, 4), np.array(-1.0, np.float32), i64(1, -1)),
    ("reflect", i64(2, 3), None, i64(2)),
]


@pytest.mark.parametrize(("mode", "pads", "value", "axes"), PAD_CASES)
def test_pad(
    mode: str, pads: np.ndarray, value: np.ndarray | None, axes: np.ndarray | None
) -> None:
    inputs: list[np.ndarray | None] = [rand(1, 2, 4, 5), pads, value, axes]
    while inputs[-1] is None:
        inputs.pop()
    # onnx 1.22's ReferenceEvaluator rejects negative pads.
    ref_ok = int(pads.min()) >= 0
    check("Pad", inputs, {"mode": mode}, backends=BOTH if ref_ok else (ORT,))


@pytest.mark.parametrize(
    ("indices", "axis"),
    [(i64(0, 2, -1), 0), (np.array([[1, -2], [0, 3]], I64), 1), (np.array(-1, I64), 2)],
)
def test_gather(indices: np.ndarray, axis: int) -> None:
    check("Gather", [rand(4, 5, 6), indices], {"axis": axis})


def test_gather_rejects_out_of_range() -> None:
    with pytest.raises(KernelError, match=r"Gather: indices must lie in \[-4, 3\] for axis 0"):
        gather(rand(4, 2), i64(4))


@pytest.mark.parametrize(
    ("xs", "shape"), [((3, 1), i64(2, 3, 4)), ((1, 4), i64(3, 1)), ((2, 1, 3), i64(1, 4, 1))]
)
def test_expand(xs: tuple[int, ...], shape: np.ndarray) -> None:
    check("Expand", [rand(*xs), shape])


@pytest.mark.parametrize(
    ("start", "limit", "delta"),
    [
        (np.array(0, I64), np.array(10, I64), np.array(3, I64)),
        (np.array(10, I64), np.array(-3, I64), np.array(-4, I64)),
        (np.array(5, I64), np.array(1, I64), np.array(1, I64)),
        (np.float32(0.5), np.float32(3.0), np.float32(0.25)),
        (np.float32(1.0), np.float32(-1.0), np.float32(-0.3)),
    ],
)
def test_range(start: Any, limit: Any, delta: Any) -> None:
    check("Range", [np.asarray(start), np.asarray(limit), np.asarray(delta)])


@pytest.mark.parametrize(
    "value", [None, np.array([2.5], np.float32), np.array([7], I64), np.array([1], np.int32)]
)
def test_constant_of_shape(value: np.ndarray | None) -> None:
    check("ConstantOfShape", [i64(2, 3)], {"value": value})


@pytest.mark.parametrize(
    "attrs", [{}, {"start": 1}, {"end": -1}, {"start": -3, "end": 10}, {"start": 3, "end": 1}]
)
def test_shape(attrs: dict[str, Any]) -> None:
    check("Shape", [rand(2, 3, 4, 5)], attrs)


# --- Resize -------------------------------------------------------------------------------------

TRANSFORMS = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]
NEAREST_MODES = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
SCALES = [
    np.array([1, 1, 2, 2], np.float32),
    np.array([1, 1, 0.5, 0.75], np.float32),
    np.array([1, 1, 1.5, 3], np.float32),
]


@pytest.mark.parametrize("scales", SCALES, ids=["up2", "down", "mixed"])
@pytest.mark.parametrize("nearest_mode", NEAREST_MODES)
@pytest.mark.parametrize("transform", [*TRANSFORMS, "tf_half_pixel_for_nn"])
def test_resize_nearest(scales: np.ndarray, nearest_mode: str, transform: str) -> None:
    attrs = {
        "mode": "nearest",
        "nearest_mode": nearest_mode,
        "coordinate_transformation_mode": transform,
    }
    check(
        "Resize", [rand(1, 2, 4, 6), None, scales], attrs, backends=_resize_backends(attrs, scales)
    )


def _resize_backends(attrs: dict[str, Any], scales: np.ndarray) -> tuple[str, ...]:
    # onnx 1.22's ReferenceEvaluator lacks tf_half_pixel_for_nn, and for align_corners divides
    # by the real-valued scale * length instead of the output length (ORT and the spec agree).
    mode = attrs["coordinate_transformation_mode"]
    fractional = any(float(s) * d % 1 for s, d in zip(scales, (1, 2, 4, 6), strict=True))
    if mode == "tf_half_pixel_for_nn" or (mode == "align_corners" and fractional):
        return (ORT,)
    return BOTH


@pytest.mark.parametrize("scales", SCALES, ids=["up2", "down", "mixed"])
@pytest.mark.parametrize("transform", [*TRANSFORMS, "half_pixel_symmetric"])
@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_resize_interpolating(scales: np.ndarray, transform: str, mode: str) -> None:
    attrs = {"mode": mode, "coordinate_transformation_mode": transform}
    check(
        "Resize", [rand(1, 2, 4, 6), None, scales], attrs, backends=_resize_backends(attrs, scales)
    )


@pytest.mark.parametrize(
    ("sizes", "attrs"),
    [
        (i64(1, 2, 7, 9), {"mode": "linear"}),
        (i64(1, 2, 3, 2), {"mode": "nearest"}),
        (i64(1, 2, 1, 1), {"mode": "linear", "coordinate_transformation_mode": "align_corners"}),
        (i64(8, 9), {"mode": "linear", "axes": [2, 3]}),
        (i64(8, 9), {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}),
        (
            i64(8, 9),
            {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller"},
        ),
        (i64(7, 9), {"mode": "cubic", "axes": [2, 3], "exclude_outside": 1}),
        (i64(7, 9), {"mode": "cubic", "axes": [2, 3], "cubic_coeff_a": -0.5}),
    ],
)
def test_resize_sizes(sizes: np.ndarray, attrs: dict[str, Any]) -> None:
    check("Resize", [rand(1, 2, 4, 6), None, None, sizes], attrs)


def test_resize_tf_crop_and_resize() -> None:
    roi = np.array([0, 0, 0.2, 0.1, 1, 1, 1.3, 0.8], np.float32)
    attrs = {
        "mode": "linear",
        "coordinate_transformation_mode": "tf_crop_and_resize",
        "extrapolation_value": 5.0,
    }
    check("Resize", [rand(1, 2, 4, 6), roi, None, i64(1, 2, 5, 5)], attrs)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_nd(mode: str) -> None:
    # 3-D and 5-D inputs: the kernel is separable on any rank.
    check("Resize", [rand(2, 3, 5), None, np.array([1, 2, 0.6], np.float32)], {"mode": mode})
    scales = np.array([1, 1, 2, 1.5, 0.5], np.float32)
    check("Resize", [rand(1, 2, 3, 4, 4), None, scales], {"mode": mode}, backends=(ORT,))


def test_resize_negative_axes() -> None:
    x = rand(1, 2, 4, 6)
    want = resize(x, None, None, i64(8, 9), axes=[2, 3], mode="linear")
    np.testing.assert_array_equal(
        resize(x, None, None, i64(8, 9), axes=[-2, -1], mode="linear"), want
    )


def test_resize_needs_exactly_one_of_scales_and_sizes() -> None:
    with pytest.raises(KernelError, match=r"expected exactly one of 'scales' and 'sizes'"):
        resize(rand(1, 1, 2, 2), None, np.ones(4, np.float32), i64(1, 1, 2, 2))


# --- contract violations ------------------------------------------------------------------------


def test_slice_rejects_zero_step() -> None:
    with pytest.raises(KernelError, match=r"Slice: 'steps' must be non-zero \(axis 0\)"):
        slice_(rand(3), i64(0), i64(2), i64(0), i64(0))


def test_binary_rejects_incompatible_shapes() -> None:
    with pytest.raises(KernelError, match=r"Add: shapes \(2, 3\) and \(4,\) are not broadcastable"):
        KERNELS["Add"](rand(2, 3), rand(4))


def test_kernel_table_covers_issue_ops() -> None:
    issue_ops = {
        "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "PRelu", "Clip",
        "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu", "Exp", "Log", "Sqrt",
        "Pow", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Add", "Sub",
        "Mul", "Div", "MatMul", "Gemm", "Concat", "Split", "Slice", "Reshape", "Flatten",
        "Transpose", "Squeeze", "Unsqueeze", "Pad", "Resize", "Softmax", "LogSoftmax",
        "ReduceMean", "ReduceSum", "ReduceMax", "LayerNormalization", "Where", "Cast", "Gather",
        "Expand", "Range", "ConstantOfShape", "Shape", "Identity",
    }  # fmt: skip
    assert issue_ops <= set(KERNELS)
