"""Convolution kernels (Conv, ConvTranspose) and the matrix products (MatMul, Gemm).

Conv is im2col + one BLAS matmul per group: a strided window view of the padded input is
copied once into (C*prod(kernel), prod(out)) order and multiplied by the filter matrix.
Depthwise convolution skips the matmul (it would be a batch of 1-wide products) and accumulates
one broadcast multiply per kernel tap instead. ConvTranspose is the adjoint: one matmul into
columns, then a scatter-add per kernel tap (col2im). No kernel loops over pixels.
"""

import itertools
import math

import numpy as np

from ._common import IntSeq, KernelError, ints, pad_spatial, spatial_pads, tap_slice, window_view


def _check_filter(op: str, x: np.ndarray, w: np.ndarray, kernel_shape: IntSeq | None) -> int:
    if x.ndim < 3:
        raise KernelError(f"{op}: expected input X of rank >= 3 (N, C, spatial...), got {x.shape}")
    if w.ndim != x.ndim:
        raise KernelError(f"{op}: expected filter W of rank {x.ndim}, got shape {w.shape}")
    nsp = x.ndim - 2
    if kernel_shape is not None and ints(kernel_shape, nsp, 1, "kernel_shape", op) != list(
        w.shape[2:]
    ):
        raise KernelError(
            f"{op}: 'kernel_shape' {list(kernel_shape)} does not match filter W spatial shape "
            f"{list(w.shape[2:])}"
        )
    return nsp


def conv(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    auto_pad: str = "NOTSET",
    dilations: IntSeq | None = None,
    group: int = 1,
    kernel_shape: IntSeq | None = None,
    pads: IntSeq | None = None,
    strides: IntSeq | None = None,
) -> np.ndarray:
    """ONNX Conv on N-D inputs (N, C, D1, ..., Dn) with filters (M, C/group, k1, ..., kn)."""
    op = "Conv"
    x, w = np.asarray(x), np.asarray(w)
    nsp = _check_filter(op, x, w, kernel_shape)
    n, c = x.shape[:2]
    m, cg = w.shape[:2]
    if group < 1 or c % group or cg * group != c:
        raise KernelError(
            f"{op}: expected filter input channels x group ({cg} x {group}) to equal input "
            f"channels ({c})"
        )
    if m % group:
        raise KernelError(f"{op}: expected output channels ({m}) divisible by group ({group})")
    if b is not None and np.shape(b) != (m,):
        raise KernelError(f"{op}: expected bias B of shape ({m},), got {np.shape(b)}")
    kernel = list(w.shape[2:])
    st = ints(strides, nsp, 1, "strides", op)
    dil = ints(dilations, nsp, 1, "dilations", op)
    pad = spatial_pads(op, auto_pad, pads, x.shape[2:], kernel, st, dil)
    xp = pad_spatial(x, pad, 0)
    out_sp = [(xp.shape[2 + i] - (kernel[i] - 1) * dil[i] - 1) // st[i] + 1 for i in range(nsp)]
    if any(o <= 0 for o in out_sp):
        raise KernelError(
            f"{op}: padded input {list(xp.shape[2:])} is smaller than the dilated kernel "
            f"{[(k - 1) * d + 1 for k, d in zip(kernel, dil, strict=True)]}"
        )
    dtype = np.result_type(x.dtype, w.dtype)
    if cg == 1 and group > 1:
        y = _depthwise(xp, w, m // c, kernel, out_sp, st, dil, dtype)
    else:
        # (N, C, *K, *O) -> (N, g, C/g * prod(K), prod(O)): this reshape is the im2col copy.
        cols = window_view(xp, kernel, st, dil).reshape(n, group, cg * math.prod(kernel), -1)
        wm = w.reshape(group, m // group, -1).astype(dtype, copy=False)
        if group == 1:
            y = np.matmul(wm[0], cols[:, 0])
        else:
            y = np.matmul(wm, cols)
        y = y.reshape(n, m, *out_sp)
    if b is not None:
        y += np.asarray(b, dtype=dtype).reshape((m,) + (1,) * nsp)
    return y


def _depthwise(
    xp: np.ndarray,
    w: np.ndarray,
    multiplier: int,
    kernel: list[int],
    out_sp: list[int],
    st: list[int],
    dil: list[int],
    dtype: np.dtype,
) -> np.ndarray:
    """Conv with one input channel per group: a multiply-accumulate per kernel tap."""
    if multiplier > 1:
        # Output channel j reads input channel j // multiplier.
        xp = np.repeat(xp, multiplier, axis=1)
    n, m = xp.shape[:2]
    nsp = len(kernel)
    acc = np.empty((n, m, *out_sp), dtype=dtype)
    tmp = np.empty_like(acc)
    wt = w.reshape(m, -1).astype(dtype, copy=False)
    for i, tap in enumerate(itertools.product(*(range(k) for k in kernel))):
        window = xp[(slice(None), slice(None)) + tap_slice(tap, out_sp, st, dil)]
        wi = wt[:, i].reshape((m,) + (1,) * nsp)
        if i == 0:
            np.multiply(window, wi, out=acc)
        else:
            np.multiply(window, wi, out=tmp)
            acc += tmp
    return acc


def conv_transpose(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    *,
    auto_pad: str = "NOTSET",
    dilations: IntSeq | None = None,
    group: int = 1,
    kernel_shape: IntSeq | None = None,
    output_padding: IntSeq | None = None,
    output_shape: IntSeq | None = None,
    pads: IntSeq | None = None,
    strides: IntSeq | None = None,
) -> np.ndarray:
    """ONNX ConvTranspose: X (N, C, D...), W (C, M/group, k...) -> Y (N, M, O...).

    Full (uncropped) output length per axis is stride*(in-1) + (k-1)*dilation + 1; the result
    is the window [pad_begin, pad_begin + out) of it, zero beyond (output_padding).
    """
    op = "ConvTranspose"
    x, w = np.asarray(x), np.asarray(w)
    nsp = _check_filter(op, x, w, kernel_shape)
    n, c = x.shape[:2]
    if group < 1 or c % group or w.shape[0] != c:
        raise KernelError(
            f"{op}: expected filter W first dimension ({w.shape[0]}) to equal input channels "
            f"({c}), divisible by group ({group})"
        )
    mg = w.shape[1]
    m = mg * group
    if b is not None and np.shape(b) != (m,):
        raise KernelError(f"{op}: expected bias B of shape ({m},), got {np.shape(b)}")
    kernel = list(w.shape[2:])
    in_sp = list(x.shape[2:])
    st = ints(strides, nsp, 1, "strides", op)
    dil = ints(dilations, nsp, 1, "dilations", op)
    opad = ints(output_padding, nsp, 0, "output_padding", op)
    full = [st[i] * (in_sp[i] - 1) + (kernel[i] - 1) * dil[i] + 1 for i in range(nsp)]

    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if output_shape is not None:
            shp = [int(v) for v in np.asarray(output_shape).reshape(-1)]
            if len(shp) == nsp + 2:
                shp = shp[2:]
            if len(shp) != nsp:
                raise KernelError(f"{op}: expected {nsp} values in 'output_shape', got {len(shp)}")
        else:
            shp = [in_sp[i] * st[i] for i in range(nsp)]
        begin = []
        for i in range(nsp):
            total = full[i] + opad[i] - shp[i]
            # ONNX: SAME_UPPER puts the smaller half first, anything else the larger half.
            begin.append(total // 2 if auto_pad == "SAME_UPPER" else total - total // 2)
        out_sp = shp
    elif auto_pad in ("NOTSET", "", "VALID"):
        flat = ints(pads if auto_pad != "VALID" else None, 2 * nsp, 0, "pads", op)
        begin = flat[:nsp]
        out_sp = [full[i] + opad[i] - flat[i] - flat[nsp + i] for i in range(nsp)]
    else:
        raise KernelError(
            f"{op}: expected 'auto_pad' in NOTSET, SAME_UPPER, SAME_LOWER, VALID, got '{auto_pad}'"
        )
    if any(o <= 0 for o in out_sp):
        raise KernelError(f"{op}: computed output spatial shape {out_sp} is not positive")

    dtype = np.result_type(x.dtype, w.dtype)
    cg = c // group
    # cols[n, g, (M/g)*prod(K), P] = W_g^T @ X_g: each input pixel's contribution to every tap.
    xg = x.reshape(n, group, cg, -1).astype(dtype, copy=False)
    wg = w.reshape(group, cg, -1).astype(dtype, copy=False)
    cols = np.matmul(wg.transpose(0, 2, 1), xg).reshape(n, m, *kernel, *in_sp)

    # Buffer coordinates: output index o sits at buffer index o + begin + shift.
    shift = [max(0, -bg) for bg in begin]
    size = [max(full[i], begin[i] + out_sp[i]) + shift[i] for i in range(nsp)]
    buf = np.zeros((n, m, *size), dtype=dtype)
    for tap in itertools.product(*(range(k) for k in kernel)):
        dst = tuple(
            slice(
                shift[i] + tap[i] * dil[i],
                shift[i] + tap[i] * dil[i] + (in_sp[i] - 1) * st[i] + 1,
                st[i],
            )
            for i in range(nsp)
        )
        buf[(slice(None), slice(None)) + dst] += cols[(slice(None), slice(None)) + tap]
    crop = tuple(slice(shift[i] + begin[i], shift[i] + begin[i] + out_sp[i]) for i in range(nsp))
    y = np.ascontiguousarray(buf[(slice(None), slice(None)) + crop])
    if b is not None:
        y += np.asarray(b, dtype=dtype).reshape((m,) + (1,) * nsp)
    return y


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX MatMul: numpy.matmul semantics (1-D promotion, batch broadcasting)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        raise KernelError(f"MatMul: expected operands of rank >= 1, got {a.shape} and {b.shape}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise KernelError(
            f"MatMul: expected A's last dimension ({ka}) to equal B's reduction dimension ({kb})"
        )
    return np.matmul(a, b)


def gemm(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray | None = None,
    *,
    alpha: float = 1.0,
    beta: float = 1.0,
    transA: int = 0,
    transB: int = 0,
) -> np.ndarray:
    """ONNX Gemm: alpha * A' @ B' + beta * C, with C unidirectionally broadcast to (M, N)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise KernelError(f"Gemm: expected 2-D A and B, got {a.shape} and {b.shape}")
    at = a.T if transA else a
    bt = b.T if transB else b
    if at.shape[1] != bt.shape[0]:
        raise KernelError(
            f"Gemm: expected A' columns ({at.shape[1]}) to equal B' rows ({bt.shape[0]})"
        )
    y = at @ bt
    if alpha != 1.0:
        y *= y.dtype.type(alpha)
    if c is not None and beta != 0.0:
        cc = np.asarray(c, dtype=y.dtype)
        try:
            ok = np.broadcast_shapes(cc.shape, y.shape) == y.shape
        except ValueError:
            ok = False
        if not ok:
            raise KernelError(
                f"Gemm: expected C {cc.shape} unidirectionally broadcastable to {y.shape}"
            )
        y += cc if beta == 1.0 else y.dtype.type(beta) * cc
    return y
