"""Pooling kernels: MaxPool, AveragePool (N-D), GlobalAveragePool, GlobalMaxPool.

Max and sum over a box window are separable, so windows are reduced one spatial axis at a time
and, along an axis, one kernel tap at a time: each tap is a strided slice of the (partially
reduced) padded input covering every output position. The work is sum(kernel) vectorised
maximum/add calls instead of prod(kernel), and no Python loop runs over pixels.
"""

from dataclasses import dataclass

import numpy as np

from ._common import IntSeq, KernelError, ints, pad_spatial, spatial_pads


@dataclass(frozen=True)
class _Geometry:
    kernel: list[int]
    strides: list[int]
    dilations: list[int]
    pads: list[tuple[int, int]]
    """Padding ONNX asks for (explicit or auto_pad)."""
    extra: list[int]
    """Additional end padding that ceil_mode's last, partial window reaches into."""
    out: list[int]


def _geometry(
    op: str,
    x: np.ndarray,
    auto_pad: str,
    ceil_mode: int,
    dilations: IntSeq | None,
    kernel_shape: IntSeq | None,
    pads: IntSeq | None,
    strides: IntSeq | None,
) -> _Geometry:
    if x.ndim < 3:
        raise KernelError(f"{op}: expected input X of rank >= 3 (N, C, spatial...), got {x.shape}")
    nsp = x.ndim - 2
    if kernel_shape is None:
        raise KernelError(f"{op}: attribute 'kernel_shape' is required")
    kernel = ints(kernel_shape, nsp, 1, "kernel_shape", op)
    st = ints(strides, nsp, 1, "strides", op)
    dil = ints(dilations, nsp, 1, "dilations", op)
    pad = spatial_pads(op, auto_pad, pads, x.shape[2:], kernel, st, dil)
    if any(b < 0 or e < 0 for b, e in pad):
        raise KernelError(f"{op}: expected non-negative 'pads', got {pads}")
    out, extra = [], []
    for size, k, s, d, (pb, pe) in zip(x.shape[2:], kernel, st, dil, pad, strict=True):
        eff = (k - 1) * d + 1
        span = size + pb + pe - eff
        if span < 0:
            raise KernelError(
                f"{op}: padded input extent ({size + pb + pe}) is smaller than the dilated "
                f"kernel ({eff})"
            )
        if ceil_mode:
            o = -(-span // s) + 1
            # The last window must start inside the input or its begin padding (PyTorch, ORT).
            if (o - 1) * s >= size + pb:
                o -= 1
        else:
            o = span // s + 1
        out.append(o)
        extra.append(max(0, (o - 1) * s + eff - (size + pb + pe)))
    return _Geometry(kernel, st, dil, pad, extra, out)


def _padded(x: np.ndarray, g: _Geometry, value: float | int) -> np.ndarray:
    return pad_spatial(x, [(b, e + x_) for (b, e), x_ in zip(g.pads, g.extra, strict=True)], value)


def _separable_reduce(xp: np.ndarray, g: _Geometry, ufunc: np.ufunc) -> np.ndarray:
    """Reduce every window of the padded input with `ufunc` (maximum or add), axis by axis."""
    y = xp
    lead = xp.ndim - len(g.kernel)
    for i, (k, s, d, o) in enumerate(zip(g.kernel, g.strides, g.dilations, g.out, strict=True)):
        before = (slice(None),) * (lead + i)
        taps = [y[before + (slice(t * d, t * d + (o - 1) * s + 1, s),)] for t in range(k)]
        acc = taps[0].copy()
        for window in taps[1:]:
            ufunc(acc, window, out=acc)
        y = acc
    return y


def max_pool(
    x: np.ndarray,
    *,
    auto_pad: str = "NOTSET",
    ceil_mode: int = 0,
    dilations: IntSeq | None = None,
    kernel_shape: IntSeq | None = None,
    pads: IntSeq | None = None,
    storage_order: int = 0,
    strides: IntSeq | None = None,
) -> np.ndarray:
    """ONNX MaxPool, output Y only (the Indices output is not produced)."""
    x = np.asarray(x)
    g = _geometry("MaxPool", x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides)
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    return _separable_reduce(_padded(x, g, low), g, np.maximum)


def average_pool(
    x: np.ndarray,
    *,
    auto_pad: str = "NOTSET",
    ceil_mode: int = 0,
    count_include_pad: int = 0,
    dilations: IntSeq | None = None,
    kernel_shape: IntSeq | None = None,
    pads: IntSeq | None = None,
    strides: IntSeq | None = None,
) -> np.ndarray:
    """ONNX AveragePool.

    The divisor counts the window's elements inside the input (count_include_pad=0) or inside
    the input plus its pads (count_include_pad=1); the part of a ceil_mode window beyond the
    pads never counts. The divisor is separable, so it is the outer product of 1-D counts.
    """
    x = np.asarray(x)
    g = _geometry("AveragePool", x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides)
    acc = _separable_reduce(_padded(x, g, 0), g, np.add)
    divisor = np.ones((), dtype=np.int64)
    for i, (size, (pb, pe)) in enumerate(zip(x.shape[2:], g.pads, strict=True)):
        pos = (
            np.arange(g.out[i])[:, None] * g.strides[i]
            + np.arange(g.kernel[i])[None, :] * g.dilations[i]
        )
        lo, hi = (0, pb + size + pe) if count_include_pad else (pb, pb + size)
        count = ((pos >= lo) & (pos < hi)).sum(axis=1)
        divisor = divisor[..., None] * count.reshape((1,) * i + (-1,))
    acc /= divisor.reshape((1, 1) + tuple(g.out)).astype(acc.dtype)
    return acc


def global_average_pool(x: np.ndarray) -> np.ndarray:
    """ONNX GlobalAveragePool: mean over all spatial axes, kept as size-1 axes."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise KernelError(f"GlobalAveragePool: expected input X of rank >= 3, got {x.shape}")
    return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True, dtype=x.dtype)


def global_max_pool(x: np.ndarray) -> np.ndarray:
    """ONNX GlobalMaxPool: max over all spatial axes, kept as size-1 axes."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise KernelError(f"GlobalMaxPool: expected input X of rank >= 3, got {x.shape}")
    return x.max(axis=tuple(range(2, x.ndim)), keepdims=True)
