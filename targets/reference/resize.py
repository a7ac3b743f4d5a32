"""ONNX Resize (opset 19): nearest, linear and cubic modes on any rank, one axis at a time.

Every supported mode is separable: an N-D resize is a 1-D resize along each resized axis in
turn. Per axis the kernel computes, once, the source coordinate of each output index (the
coordinate_transformation_mode), the neighbour indices and their weights (the mode), and then
applies them with `np.take` on the whole tensor, so the cost is a few vectorised passes per axis.
"""

import math
from collections.abc import Sequence

import numpy as np

from ._common import IntSeq, KernelError, norm_axes

_TRANSFORMS = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_half_pixel_for_nn",
    "tf_crop_and_resize",
)
_NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _source_coords(
    mode: str, out_len: int, in_len: int, scale: float, roi: tuple[float, float]
) -> np.ndarray:
    """Source coordinate of every output index along one axis."""
    xr = np.arange(out_len, dtype=np.float64)
    if mode == "half_pixel":
        return (xr + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        # The only mode that sees the real-valued output length scale * in_len.
        offset = in_len / 2 * (1 - out_len / (scale * in_len))
        return offset + (xr + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (xr + 0.5) / scale - 0.5 if out_len > 1 else np.zeros(out_len)
    if mode == "align_corners":
        return xr * (in_len - 1) / (out_len - 1) if out_len > 1 else np.zeros(out_len)
    if mode == "asymmetric":
        return xr / scale
    if mode == "tf_half_pixel_for_nn":
        return (xr + 0.5) / scale
    start, end = roi
    if out_len == 1:
        return np.full(out_len, (end - start) * (in_len - 1) / 2 + start * (in_len - 1))
    return xr * (end - start) * (in_len - 1) / (out_len - 1) + start * (in_len - 1)


def _cubic_weights(t: np.ndarray, a: float) -> np.ndarray:
    """Keys cubic weights of the neighbours at floor-1 .. floor+2 for fraction t, shape (n, 4)."""
    s = 1 - t
    return np.stack(
        [
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a,
        ],
        axis=1,
    )


def _resize_axis(
    x: np.ndarray,
    axis: int,
    out_len: int,
    scale: float,
    roi: tuple[float, float],
    *,
    mode: str,
    transform: str,
    nearest_mode: str,
    cubic_coeff_a: float,
    exclude_outside: int,
    extrapolation_value: float,
) -> np.ndarray:
    in_len = x.shape[axis]
    coords = _source_coords(transform, out_len, in_len, scale, roi)
    bshape = [1] * x.ndim
    bshape[axis] = out_len
    if mode == "nearest":
        if nearest_mode == "round_prefer_floor":
            idx = np.ceil(coords - 0.5)
        elif nearest_mode == "round_prefer_ceil":
            idx = np.floor(coords + 0.5)
        elif nearest_mode == "floor":
            idx = np.floor(coords)
        else:
            idx = np.ceil(coords)
        y = np.take(x, np.clip(idx.astype(np.int64), 0, in_len - 1), axis=axis)
    else:
        base = np.floor(coords)
        t = coords - base
        if mode == "linear":
            offsets = np.arange(2)
            weights = np.stack([1 - t, t], axis=1)
        else:
            offsets = np.arange(-1, 3)
            weights = _cubic_weights(t, cubic_coeff_a)
        idx = base.astype(np.int64)[:, None] + offsets[None, :]
        if exclude_outside:
            weights = np.where((idx >= 0) & (idx < in_len), weights, 0.0)
            weights /= weights.sum(axis=1, keepdims=True)
        idx = np.clip(idx, 0, in_len - 1)
        xd = x.astype(np.float64)
        y = np.zeros(x.shape[:axis] + (out_len,) + x.shape[axis + 1 :])
        for j in range(idx.shape[1]):
            y += np.take(xd, idx[:, j], axis=axis) * weights[:, j].reshape(bshape)
    if transform == "tf_crop_and_resize":
        outside = (coords < 0) | (coords > in_len - 1)
        y = np.where(outside.reshape(bshape), extrapolation_value, y)
    return y.astype(x.dtype, copy=False)


def resize(
    x: np.ndarray,
    roi: np.ndarray | Sequence[float] | None = None,
    scales: np.ndarray | Sequence[float] | None = None,
    sizes: IntSeq | None = None,
    *,
    antialias: int = 0,
    axes: IntSeq | None = None,
    coordinate_transformation_mode: str = "half_pixel",
    cubic_coeff_a: float = -0.75,
    exclude_outside: int = 0,
    extrapolation_value: float = 0.0,
    keep_aspect_ratio_policy: str = "stretch",
    mode: str = "nearest",
    nearest_mode: str = "round_prefer_floor",
) -> np.ndarray:
    """ONNX Resize. Exactly one of `scales` and `sizes` must be given (empty counts as absent)."""
    op = "Resize"
    x = np.asarray(x)
    if mode not in ("nearest", "linear", "cubic"):
        raise KernelError(f"{op}: expected 'mode' nearest, linear or cubic, got '{mode}'")
    if coordinate_transformation_mode not in _TRANSFORMS:
        raise KernelError(
            f"{op}: unknown coordinate_transformation_mode '{coordinate_transformation_mode}'"
        )
    if nearest_mode not in _NEAREST:
        raise KernelError(f"{op}: expected 'nearest_mode' in {_NEAREST}, got '{nearest_mode}'")
    if antialias:
        raise KernelError(f"{op}: antialias=1 is not supported")
    ax = list(range(x.ndim)) if axes is None else norm_axes(axes, x.ndim, op)
    sc = None if scales is None or np.size(scales) == 0 else np.asarray(scales, np.float64)
    sz = None if sizes is None or np.size(sizes) == 0 else np.asarray(sizes, np.int64)
    if (sc is None) == (sz is None):
        raise KernelError(f"{op}: expected exactly one of 'scales' and 'sizes'")
    given = sc if sc is not None else sz
    assert given is not None
    if given.size != len(ax):
        name = "scales" if sc is not None else "sizes"
        raise KernelError(f"{op}: expected {len(ax)} values in '{name}', got {given.size}")
    in_dims = [x.shape[a] for a in ax]
    if sc is not None:
        if np.any(sc <= 0):
            raise KernelError(f"{op}: expected positive 'scales', got {sc.tolist()}")
        factors = sc.tolist()
        out_dims = [math.floor(d * s) for d, s in zip(in_dims, factors, strict=True)]
    else:
        assert sz is not None
        factors = [int(s) / d for s, d in zip(sz, in_dims, strict=True)]
        out_dims = [int(s) for s in sz]
        if keep_aspect_ratio_policy != "stretch":
            if keep_aspect_ratio_policy == "not_larger":
                common = min(factors)
            elif keep_aspect_ratio_policy == "not_smaller":
                common = max(factors)
            else:
                raise KernelError(
                    f"{op}: expected 'keep_aspect_ratio_policy' stretch, not_larger or "
                    f"not_smaller, got '{keep_aspect_ratio_policy}'"
                )
            factors = [common] * len(ax)
            out_dims = [int(common * d + 0.5) for d in in_dims]
    rois = [(0.0, 1.0)] * len(ax)
    if coordinate_transformation_mode == "tf_crop_and_resize":
        r = None if roi is None or np.size(roi) == 0 else np.asarray(roi, np.float64).ravel()
        if r is None or r.size != 2 * len(ax):
            raise KernelError(
                f"{op}: tf_crop_and_resize needs 'roi' with {2 * len(ax)} values, got "
                f"{0 if r is None else r.size}"
            )
        rois = [(float(r[i]), float(r[len(ax) + i])) for i in range(len(ax))]
    y = x
    for a, out_len, f, rr in zip(ax, out_dims, factors, rois, strict=True):
        if out_len == y.shape[a] and f == 1.0 and rr == (0.0, 1.0):
            continue
        if out_len < 1:
            raise KernelError(f"{op}: output size along axis {a} would be {out_len}")
        y = _resize_axis(
            y,
            a,
            out_len,
            f,
            rr,
            mode=mode,
            transform=coordinate_transformation_mode,
            nearest_mode=nearest_mode,
            cubic_coeff_a=cubic_coeff_a,
            exclude_outside=exclude_outside,
            extrapolation_value=extrapolation_value,
        )
    return y
