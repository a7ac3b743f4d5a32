"""Helpers shared by the reference kernels: argument normalisation and spatial padding rules.

Every kernel follows one calling convention: ONNX inputs are positional (optional ones default to
None), ONNX attributes are keyword-only with ONNX names and defaults. Bad arguments raise
`KernelError` with a message that names the argument and the expected vs actual value.
"""

import math
from collections.abc import Sequence

import numpy as np

IntSeq = Sequence[int] | np.ndarray


class KernelError(ValueError):
    """Arguments that violate an ONNX operator's contract."""


def ints(value: IntSeq | None, n: int, default: int, name: str, op: str) -> list[int]:
    """`value` as a list of `n` ints, or `n` copies of `default` when absent."""
    if value is None:
        return [default] * n
    out = [int(v) for v in np.asarray(value).reshape(-1)]
    if len(out) != n:
        raise KernelError(f"{op}: expected {n} values in '{name}', got {len(out)}")
    return out


def int_list(value: IntSeq | None) -> list[int] | None:
    """An optional 1-D int tensor/sequence as a list of Python ints."""
    if value is None:
        return None
    return [int(v) for v in np.asarray(value).reshape(-1)]


def norm_axis(axis: int, rank: int, op: str, name: str = "axis") -> int:
    """Map a possibly negative axis into [0, rank)."""
    if not -rank <= axis < rank:
        raise KernelError(f"{op}: expected '{name}' in [{-rank}, {rank - 1}], got {axis}")
    return axis + rank if axis < 0 else axis


def norm_axes(axes: IntSeq, rank: int, op: str, name: str = "axes") -> list[int]:
    """Normalise a list of axes and reject duplicates."""
    out = [norm_axis(int(a), rank, op, name) for a in np.asarray(axes).reshape(-1)]
    if len(set(out)) != len(out):
        raise KernelError(f"{op}: expected distinct '{name}', got {list(np.asarray(axes))}")
    return out


def spatial_pads(
    op: str,
    auto_pad: str,
    pads: IntSeq | None,
    in_shape: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> list[tuple[int, int]]:
    """(begin, end) padding per spatial axis, from explicit `pads` or from `auto_pad`.

    SAME_* targets an output of ceil(in / stride) and puts the odd element of padding at the
    end (UPPER) or at the beginning (LOWER), as ONNX specifies.
    """
    n = len(in_shape)
    if auto_pad in ("NOTSET", ""):
        flat = ints(pads, 2 * n, 0, "pads", op)
        return [(flat[i], flat[n + i]) for i in range(n)]
    if auto_pad == "VALID":
        return [(0, 0)] * n
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise KernelError(
            f"{op}: expected 'auto_pad' in NOTSET, SAME_UPPER, SAME_LOWER, VALID, got '{auto_pad}'"
        )
    result = []
    for size, k, s, d in zip(in_shape, kernel, strides, dilations, strict=True):
        out = math.ceil(size / s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small = total // 2
        result.append(
            (small, total - small) if auto_pad == "SAME_UPPER" else (total - small, small)
        )
    return result


def pad_spatial(x: np.ndarray, pads: Sequence[tuple[int, int]], value: float) -> np.ndarray:
    """Pad (or, for negative pads, crop) the trailing len(pads) axes of `x` with `value`."""
    lead = x.ndim - len(pads)
    # Negative padding crops; do it as a view before allocating the padded buffer.
    crop = tuple(slice(max(0, -b), x.shape[lead + i] - max(0, -e)) for i, (b, e) in enumerate(pads))
    x = x[(slice(None),) * lead + crop]
    pos = [(max(0, b), max(0, e)) for b, e in pads]
    if not any(b or e for b, e in pos):
        return x
    shape = x.shape[:lead] + tuple(x.shape[lead + i] + b + e for i, (b, e) in enumerate(pos))
    out = np.full(shape, value, dtype=x.dtype)
    inner = tuple(slice(b, b + x.shape[lead + i]) for i, (b, _) in enumerate(pos))
    out[(slice(None),) * lead + inner] = x
    return out


def window_view(
    xp: np.ndarray, kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int]
) -> np.ndarray:
    """Read-only view of shape (*lead, *kernel, *out) over the trailing spatial axes of `xp`.

    Element [..., k0, k1, o0, o1] is xp[..., o0*s0 + k0*d0, o1*s1 + k1*d1]. Reshaping this view
    to (lead, prod(kernel) * ..., prod(out)) copies it into im2col order in one pass.
    """
    n = len(kernel)
    lead = xp.ndim - n
    out = tuple(
        (xp.shape[lead + i] - (kernel[i] - 1) * dilations[i] - 1) // strides[i] + 1
        for i in range(n)
    )
    st = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp,
        shape=xp.shape[:lead] + tuple(kernel) + out,
        strides=st[:lead]
        + tuple(st[lead + i] * dilations[i] for i in range(n))
        + tuple(st[lead + i] * strides[i] for i in range(n)),
        writeable=False,
    )


def tap_slice(
    tap: Sequence[int], out: Sequence[int], strides: Sequence[int], dilations: Sequence[int]
) -> tuple[slice, ...]:
    """Spatial slices that pick, for every output position, the input element under `tap`."""
    return tuple(
        slice(t * d, t * d + (o - 1) * s + 1, s)
        for t, o, s, d in zip(tap, out, strides, dilations, strict=True)
    )
