"""Resize (nearest, linear, cubic, any coordinate mode) and ConvTranspose (any kernel, stride,
pads, dilation, output_padding, group) through the whole FP32 pipeline and the simulator,
checked against onnxruntime; and the row mapping of the zero-inserted conv window against a
brute-force enumeration of the inserted input.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from test_e2e_f32 import _model, run_and_compare

from nntc.passes.lowering.deconv import InsertedWindow
from nntc.passes.lowering.layers import CannotLower

pytest.importorskip("onnxruntime")


def _resize_model(
    shape: tuple[int, int, int, int],
    out_hw: tuple[int, int],
    scales: tuple[float, float] | None,
    **attrs: object,
) -> onnx.ModelProto:
    n, c = shape[:2]
    if scales is not None:
        inputs, weights = ["input", "", "scales"], {"scales": np.array([1, 1, *scales])}
    else:
        inputs, weights = ["input", "", "", "sizes"], {}
    node = helper.make_node("Resize", inputs, ["output"], **attrs)
    model = _model([node], list(shape), [n, c, *out_hw], weights)
    if scales is None:  # sizes are int64, which _model's float initializers cannot hold
        sizes = numpy_helper.from_array(np.array([n, c, *out_hw], np.int64), "sizes")
        model.graph.initializer.append(sizes)
    return model


RESIZES = [
    # (input shape, output H x W, scales or None for sizes, attributes)
    ((1, 3, 8, 10), (16, 20), (2.0, 2.0), {"mode": "linear"}),
    (
        (1, 3, 8, 10),
        (16, 20),
        (2.0, 2.0),
        {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
    ),
    (
        (2, 3, 8, 10),
        (12, 7),
        None,
        {"mode": "linear", "coordinate_transformation_mode": "asymmetric"},
    ),
    (
        (1, 3, 8, 10),
        (1, 17),
        None,
        {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
    ),
    ((1, 3, 9, 6), (4, 6), None, {"mode": "linear"}),  # downsampling H only
    ((1, 3, 8, 10), (13, 25), (1.7, 2.5), {"mode": "cubic"}),
    (
        (1, 3, 8, 10),
        (13, 25),
        None,
        {
            "mode": "cubic",
            "coordinate_transformation_mode": "align_corners",
            "exclude_outside": 1,
            "cubic_coeff_a": -0.5,
        },
    ),
    ((1, 3, 8, 10), (16, 20), (2.0, 2.0), {"mode": "nearest"}),  # half_pixel: not a repeat
    (
        (2, 3, 8, 10),
        (5, 10),
        None,
        {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "ceil"},
    ),
    ((1, 32, 24, 24), (48, 48), (2.0, 2.0), {"mode": "linear"}),  # several matmul/conv slices
]


@pytest.mark.parametrize(("shape", "out_hw", "scales", "attrs"), RESIZES)
def test_resize_matches_onnxruntime(
    shape: tuple[int, int, int, int],
    out_hw: tuple[int, int],
    scales: tuple[float, float] | None,
    attrs: dict[str, object],
) -> None:
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    run_and_compare(_resize_model(shape, out_hw, scales, **attrs), x)


def _deconv_model(
    n: int,
    ic: int,
    oc: int,
    hw: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int, int, int],
    out_pad: tuple[int, int] = (0, 0),
    dilations: tuple[int, int] = (1, 1),
    group: int = 1,
    bias: bool = True,
) -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    fan_in = ic * kernel[0] * kernel[1] / group
    weights = {"w": rng.standard_normal((ic, oc // group, *kernel)) / np.sqrt(fan_in)}
    if bias:
        weights["b"] = rng.standard_normal(oc)
    node = helper.make_node(
        "ConvTranspose",
        ["input", "w", "b"] if bias else ["input", "w"],
        ["output"],
        kernel_shape=list(kernel),
        strides=list(strides),
        pads=list(pads),
        output_padding=list(out_pad),
        dilations=list(dilations),
        group=group,
    )
    out_hw = [
        (hw[i] - 1) * strides[i] - pads[i] - pads[i + 2] + dilations[i] * (kernel[i] - 1) + 1
        + out_pad[i]
        for i in range(2)
    ]  # fmt: skip
    return _model([node], [n, ic, *hw], [n, oc, *out_hw], weights)


DECONVS = [
    # (n, ic, oc, (h, w), kernel, strides, pads, output_padding, dilations, group)
    (1, 3, 4, (5, 6), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1),
    (1, 3, 4, (5, 6), (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 1),
    (2, 4, 6, (5, 6), (3, 3), (1, 1), (0, 0, 0, 0), (0, 0), (1, 1), 2),
    (1, 4, 4, (5, 6), (3, 2), (3, 2), (0, 1, 2, 0), (2, 1), (2, 1), 4),  # depthwise, dilated
    (1, 16, 8, (40, 24), (5, 5), (4, 4), (0, 0, 0, 0), (0, 0), (1, 1), 1),  # two row slices
    (1, 2, 3, (6, 5), (2, 2), (4, 3), (0, 0, 0, 0), (3, 0), (1, 1), 1),  # rows of bias only
    (2, 64, 96, (16, 16), (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 1),  # N slices
]


@pytest.mark.parametrize(
    ("n", "ic", "oc", "hw", "kernel", "strides", "pads", "out_pad", "dilations", "group"), DECONVS
)
def test_deconv_matches_onnxruntime(
    n: int,
    ic: int,
    oc: int,
    hw: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int, int, int],
    out_pad: tuple[int, int],
    dilations: tuple[int, int],
    group: int,
) -> None:
    model = _deconv_model(n, ic, oc, hw, kernel, strides, pads, out_pad, dilations, group)
    x = np.random.default_rng(2).standard_normal((n, ic, *hw)).astype(np.float32)
    run_and_compare(model, x)


def test_deconv_without_bias_matches_onnxruntime() -> None:
    model = _deconv_model(1, 3, 5, (4, 4), (3, 3), (2, 2), (0, 0, 0, 0), bias=False)
    run_and_compare(model, np.random.default_rng(3).standard_normal((1, 3, 4, 4), np.float32))


def _window(ih: int, kh: int, dh: int, step: int, pt: int, pb: int) -> InsertedWindow:
    canvas = (ih - 1) * step + 1 + pt + pb
    oh = canvas - dh * (kh - 1)
    return InsertedWindow(1, 1, ih, 1, 1, oh, 1, kh, 1, 1, 1, dh, 1, pt, 0, pb, 0, step - 1, 0)


@pytest.mark.parametrize(
    ("ih", "kh", "dh", "step", "pt", "pb"),
    [(5, 3, 1, 2, 2, 3), (7, 2, 1, 4, 1, 4), (6, 3, 2, 3, 0, 4), (4, 1, 1, 1, 0, 0)],
)
def test_inserted_window_rows(ih: int, kh: int, dh: int, step: int, pt: int, pb: int) -> None:
    """Every output-row slice loads exactly the input rows its window meets, and the pads make
    the command's canvas (pads + rows with zeros between) line up with the full one."""
    win = _window(ih, kh, dh, step, pt, pb)
    # the full canvas: input row i at pt + i * step, zero (-1 here) elsewhere
    canvas = np.full((ih - 1) * step + 1 + pt + pb, -1)
    canvas[pt : pt + (ih - 1) * step + 1 : step] = np.arange(ih)
    for oh0 in range(win.oh):
        for ohh in range(1, win.oh - oh0 + 1):
            seen = canvas[oh0 : oh0 + ohh + dh * (kh - 1)]
            meets = sorted(int(v) for v in seen if v >= 0)
            if not meets:
                with pytest.raises(CannotLower, match="read no input row"):
                    win.in_rows(oh0, ohh)
                continue
            first, count, up, dn = win.in_rows(oh0, ohh)
            assert list(range(first, first + count)) == meets
            local = np.full(up + (count - 1) * step + 1 + dn, -1)
            local[up : up + (count - 1) * step + 1 : step] = np.arange(first, first + count)
            assert local.tolist() == seen.tolist()
            assert count <= win.max_in_rows(ohh)
