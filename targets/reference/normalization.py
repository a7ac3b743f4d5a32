"""Normalisation and reduction kernels: BatchNormalization, LayerNormalization, Softmax,
LogSoftmax, ReduceMean/ReduceSum/ReduceMax.

Reductions take their axes as an optional input (opset >= 18 for ReduceMean/Max, >= 13 for
ReduceSum); a caller importing an older opset passes its `axes` attribute the same way.
"""

import numpy as np

from ._common import IntSeq, KernelError, norm_axes, norm_axis


def batch_normalization(
    x: np.ndarray,
    scale: np.ndarray,
    b: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    *,
    epsilon: float = 1e-5,
    momentum: float = 0.9,
    training_mode: int = 0,
) -> np.ndarray:
    """ONNX BatchNormalization in inference mode: (x - mean) / sqrt(var + eps) * scale + b."""
    x = np.asarray(x)
    if training_mode:
        raise KernelError("BatchNormalization: training_mode=1 is not supported (inference only)")
    if x.ndim < 2:
        raise KernelError(f"BatchNormalization: expected input X of rank >= 2, got {x.shape}")
    c = x.shape[1]
    params = {"scale": scale, "B": b, "input_mean": mean, "input_var": var}
    for name, p in params.items():
        if np.shape(p) != (c,):
            raise KernelError(
                f"BatchNormalization: expected '{name}' of shape ({c},), got {np.shape(p)}"
            )
    # Fold into one multiply-add; compute the per-channel factors in float64 for accuracy.
    inv = np.asarray(scale, np.float64) / np.sqrt(np.asarray(var, np.float64) + epsilon)
    shift = np.asarray(b, np.float64) - np.asarray(mean, np.float64) * inv
    bshape = (c,) + (1,) * (x.ndim - 2)
    return x * inv.astype(x.dtype).reshape(bshape) + shift.astype(x.dtype).reshape(bshape)


def layer_normalization(
    x: np.ndarray,
    scale: np.ndarray,
    b: np.ndarray | None = None,
    *,
    axis: int = -1,
    epsilon: float = 1e-5,
    stash_type: int = 1,
) -> np.ndarray:
    """ONNX LayerNormalization, output Y only: normalise over axes [axis, rank)."""
    x = np.asarray(x)
    ax = norm_axis(axis, x.ndim, "LayerNormalization")
    axes = tuple(range(ax, x.ndim))
    norm_shape = x.shape[ax:]
    for name, p in (("Scale", scale), ("B", b)):
        if p is None:
            continue
        try:
            ok = np.broadcast_shapes(np.shape(p), norm_shape) == norm_shape
        except ValueError:
            ok = False
        if not ok:
            raise KernelError(
                f"LayerNormalization: expected '{name}' {np.shape(p)} broadcastable to the "
                f"normalised shape {norm_shape}"
            )
    # stash_type=1 asks for float32 statistics; computing them in float64 is at least as exact.
    xd = x.astype(np.float64)
    mu = xd.mean(axis=axes, keepdims=True)
    centred = xd - mu
    var = np.mean(centred * centred, axis=axes, keepdims=True)
    y = centred / np.sqrt(var + epsilon) * np.asarray(scale, np.float64)
    if b is not None:
        y += np.asarray(b, np.float64)
    return y.astype(x.dtype)


def softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """ONNX Softmax (opset >= 13): along one axis, shifted by the max for stability."""
    x = np.asarray(x)
    ax = norm_axis(axis, x.ndim, "Softmax")
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    e /= e.sum(axis=ax, keepdims=True)
    return e


def log_softmax(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """ONNX LogSoftmax (opset >= 13): x - max - log(sum(exp(x - max))) along one axis."""
    x = np.asarray(x)
    ax = norm_axis(axis, x.ndim, "LogSoftmax")
    shifted = x - x.max(axis=ax, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))


def _reduce_axes(
    op: str, x: np.ndarray, axes: IntSeq | None, noop_with_empty_axes: int
) -> tuple[int, ...] | None:
    """Axes to reduce, or None for 'return the input unchanged'."""
    flat = [] if axes is None else [int(a) for a in np.asarray(axes).reshape(-1)]
    if not flat:
        return None if noop_with_empty_axes else tuple(range(x.ndim))
    return tuple(norm_axes(flat, x.ndim, op))


def reduce_mean(
    x: np.ndarray, axes: IntSeq | None = None, *, keepdims: int = 1, noop_with_empty_axes: int = 0
) -> np.ndarray:
    """ONNX ReduceMean (opset 18: axes is an optional input)."""
    x = np.asarray(x)
    ax = _reduce_axes("ReduceMean", x, axes, noop_with_empty_axes)
    if ax is None:
        return x.copy()
    return np.mean(x, axis=ax, keepdims=bool(keepdims), dtype=x.dtype)


def reduce_sum(
    x: np.ndarray, axes: IntSeq | None = None, *, keepdims: int = 1, noop_with_empty_axes: int = 0
) -> np.ndarray:
    """ONNX ReduceSum (opset 13: axes is an optional input)."""
    x = np.asarray(x)
    ax = _reduce_axes("ReduceSum", x, axes, noop_with_empty_axes)
    if ax is None:
        return x.copy()
    return np.sum(x, axis=ax, keepdims=bool(keepdims), dtype=x.dtype)


def reduce_max(
    x: np.ndarray, axes: IntSeq | None = None, *, keepdims: int = 1, noop_with_empty_axes: int = 0
) -> np.ndarray:
    """ONNX ReduceMax (opset 18: axes is an optional input)."""
    x = np.asarray(x)
    ax = _reduce_axes("ReduceMax", x, axes, noop_with_empty_axes)
    if ax is None:
        return x.copy()
    if any(x.shape[a] == 0 for a in ax):
        raise KernelError(f"ReduceMax: cannot reduce an empty axis of shape {x.shape}")
    return np.max(x, axis=ax, keepdims=bool(keepdims))
