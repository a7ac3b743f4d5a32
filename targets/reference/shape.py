"""Data-movement kernels: Concat, Split, Slice, Reshape, Flatten, Transpose, Squeeze,
Unsqueeze, Pad, Gather, Expand, Range, ConstantOfShape, Shape, Identity.

Shape-like operands (Slice starts, Reshape shape, Pad pads, ...) are inputs in current opsets,
so they are positional arguments here; any 1-D int array or sequence is accepted.
"""

import math

import numpy as np

from ._common import IntSeq, KernelError, int_list, norm_axes, norm_axis


def concat(*inputs: np.ndarray, axis: int) -> np.ndarray:
    """ONNX Concat of the inputs along `axis` (negative counts from the end)."""
    arrays = [np.asarray(a) for a in inputs]
    if not arrays:
        raise KernelError("Concat: expected at least one input")
    rank = arrays[0].ndim
    ax = norm_axis(axis, rank, "Concat")
    for i, a in enumerate(arrays):
        if a.ndim != rank or a.shape[:ax] + a.shape[ax + 1 :] != (
            arrays[0].shape[:ax] + arrays[0].shape[ax + 1 :]
        ):
            raise KernelError(
                f"Concat: input {i} has shape {a.shape}, expected {arrays[0].shape} except "
                f"on axis {ax}"
            )
    return np.concatenate(arrays, axis=ax)


def split(
    x: np.ndarray,
    split: IntSeq | None = None,
    *,
    axis: int = 0,
    num_outputs: int | None = None,
) -> tuple[np.ndarray, ...]:
    """ONNX Split (opset 18): by explicit sizes, or into `num_outputs` chunks of ceil size."""
    x = np.asarray(x)
    ax = norm_axis(axis, x.ndim, "Split")
    dim = x.shape[ax]
    sizes = int_list(split)
    if sizes is not None:
        if num_outputs is not None and len(sizes) != num_outputs:
            raise KernelError(
                f"Split: expected {num_outputs} sizes in 'split' (num_outputs), got {len(sizes)}"
            )
        if sum(sizes) != dim or any(s < 0 for s in sizes):
            raise KernelError(
                f"Split: expected non-negative 'split' sizes summing to {dim}, got {sizes}"
            )
    else:
        if num_outputs is None or num_outputs < 1:
            raise KernelError("Split: expected a 'split' input or a positive 'num_outputs'")
        chunk = math.ceil(dim / num_outputs)
        sizes = [min(chunk, max(0, dim - i * chunk)) for i in range(num_outputs)]
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, bounds, axis=ax))


def slice_(
    x: np.ndarray,
    starts: IntSeq,
    ends: IntSeq,
    axes: IntSeq | None = None,
    steps: IntSeq | None = None,
) -> np.ndarray:
    """ONNX Slice, with its clamping: starts/ends are clamped to [0, dim] for positive steps
    and to [0, dim - 1] / [-1, dim - 1] for negative steps, after adding dim to negatives."""
    x = np.asarray(x)
    st, en = int_list(starts) or [], int_list(ends) or []
    if len(st) != len(en):
        raise KernelError(f"Slice: expected as many 'ends' as 'starts' ({len(st)}), got {len(en)}")
    ax = list(range(len(st))) if axes is None else norm_axes(axes, x.ndim, "Slice")
    sp = [1] * len(st) if steps is None else int_list(steps) or []
    if len(ax) != len(st) or len(sp) != len(st):
        raise KernelError(
            f"Slice: expected 'axes' and 'steps' of length {len(st)}, got {len(ax)} and {len(sp)}"
        )
    index: list[slice] = [slice(None)] * x.ndim
    for a, s, e, step in zip(ax, st, en, sp, strict=True):
        if step == 0:
            raise KernelError(f"Slice: 'steps' must be non-zero (axis {a})")
        dim = x.shape[a]
        s = s + dim if s < 0 else s
        e = e + dim if e < 0 else e
        if step > 0:
            s, e = min(max(s, 0), dim), min(max(e, 0), dim)
            index[a] = slice(s, e, step)
        else:
            s, e = min(max(s, 0), dim - 1), min(max(e, -1), dim - 1)
            # A Python stop of -1 would mean "the last element"; None means "past index 0".
            index[a] = slice(s, None if e < 0 else e, step)
    return x[tuple(index)].copy()


def reshape(x: np.ndarray, shape: IntSeq, *, allowzero: int = 0) -> np.ndarray:
    """ONNX Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred."""
    x = np.asarray(x)
    target = int_list(shape) or []
    if target.count(-1) > 1:
        raise KernelError(f"Reshape: at most one -1 allowed in 'shape', got {target}")
    if allowzero and 0 in target and -1 in target:
        raise KernelError(f"Reshape: 'shape' {target} has both 0 and -1 with allowzero=1")
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if i >= x.ndim:
                raise KernelError(
                    f"Reshape: 'shape'[{i}] = 0 copies an input dimension, but the input has "
                    f"rank {x.ndim}"
                )
            d = x.shape[i]
        elif d < -1:
            raise KernelError(f"Reshape: invalid dimension {d} in 'shape' {target}")
        out.append(d)
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or x.size % known:
            raise KernelError(f"Reshape: cannot infer -1 in {out} for {x.size} elements")
        out[out.index(-1)] = x.size // known
    if math.prod(out) != x.size:
        raise KernelError(
            f"Reshape: target shape {out} has {math.prod(out)} elements, input {x.shape} has "
            f"{x.size}"
        )
    return x.reshape(out)


def flatten(x: np.ndarray, *, axis: int = 1) -> np.ndarray:
    """ONNX Flatten to 2-D: (prod(shape[:axis]), prod(shape[axis:]))."""
    x = np.asarray(x)
    if not -x.ndim <= axis <= x.ndim:
        raise KernelError(f"Flatten: expected 'axis' in [{-x.ndim}, {x.ndim}], got {axis}")
    ax = axis + x.ndim if axis < 0 else axis
    return x.reshape(math.prod(x.shape[:ax]), math.prod(x.shape[ax:]))


def transpose(x: np.ndarray, *, perm: IntSeq | None = None) -> np.ndarray:
    """ONNX Transpose (default: reverse the axes); the result is contiguous."""
    x = np.asarray(x)
    p = int_list(perm)
    if p is not None and sorted(p) != list(range(x.ndim)):
        raise KernelError(f"Transpose: 'perm' {p} is not a permutation of {x.ndim} axes")
    return np.ascontiguousarray(np.transpose(x, p))


def squeeze(x: np.ndarray, axes: IntSeq | None = None) -> np.ndarray:
    """ONNX Squeeze (opset 13): remove the given size-1 axes, or every size-1 axis."""
    x = np.asarray(x)
    if axes is None:
        return x.reshape([d for d in x.shape if d != 1])
    ax = norm_axes(axes, x.ndim, "Squeeze")
    for a in ax:
        if x.shape[a] != 1:
            raise KernelError(f"Squeeze: axis {a} has size {x.shape[a]}, expected 1")
    return np.squeeze(x, axis=tuple(ax))


def unsqueeze(x: np.ndarray, axes: IntSeq) -> np.ndarray:
    """ONNX Unsqueeze (opset 13): insert size-1 axes; `axes` index the output's rank."""
    x = np.asarray(x)
    flat = int_list(axes) or []
    ax = norm_axes(flat, x.ndim + len(flat), "Unsqueeze")
    return np.expand_dims(x, tuple(ax))


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "edge", "wrap": "wrap"}


def pad(
    x: np.ndarray,
    pads: IntSeq,
    constant_value: np.ndarray | float | None = None,
    axes: IntSeq | None = None,
    *,
    mode: str = "constant",
) -> np.ndarray:
    """ONNX Pad (opset 19): pads = [begin per axis..., end per axis...]; negative crops."""
    x = np.asarray(x)
    if mode not in _PAD_MODES:
        raise KernelError(f"Pad: expected 'mode' in {sorted(_PAD_MODES)}, got '{mode}'")
    flat = int_list(pads) or []
    ax = list(range(x.ndim)) if axes is None else norm_axes(axes, x.ndim, "Pad")
    if len(flat) != 2 * len(ax):
        raise KernelError(f"Pad: expected {2 * len(ax)} values in 'pads', got {len(flat)}")
    widths = [(0, 0)] * x.ndim
    for i, a in enumerate(ax):
        widths[a] = (flat[i], flat[len(ax) + i])
    # Negative pads remove elements: crop first, then pad with the non-negative parts.
    crop = tuple(slice(max(0, -b), x.shape[a] - max(0, -e)) for a, (b, e) in enumerate(widths))
    x = x[crop]
    pos = [(max(0, b), max(0, e)) for b, e in widths]
    if mode == "constant":
        value = 0 if constant_value is None else np.asarray(constant_value).reshape(())
        return np.pad(x, pos, mode="constant", constant_values=x.dtype.type(value))
    for a, (b, e) in enumerate(pos):
        if (b or e) and x.shape[a] == 0:
            raise KernelError(f"Pad: cannot {mode}-pad the empty axis {a}")
        if mode == "reflect" and max(b, e) >= x.shape[a] and x.shape[a] > 1:
            raise KernelError(
                f"Pad: reflect pads ({b}, {e}) on axis {a} must be smaller than its size "
                f"{x.shape[a]}"
            )
    return np.pad(x, pos, mode=_PAD_MODES[mode])


def gather(data: np.ndarray, indices: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """ONNX Gather: take along `axis`; negative indices count from the end."""
    data, idx = np.asarray(data), np.asarray(indices)
    ax = norm_axis(axis, data.ndim, "Gather")
    dim = data.shape[ax]
    if idx.dtype.kind not in "iu":
        raise KernelError(f"Gather: expected integer indices, got {idx.dtype}")
    if idx.size and (idx.min() < -dim or idx.max() >= dim):
        raise KernelError(
            f"Gather: indices must lie in [{-dim}, {dim - 1}] for axis {ax}, got "
            f"[{idx.min()}, {idx.max()}]"
        )
    return np.take(data, idx.astype(np.int64), axis=ax)


def expand(x: np.ndarray, shape: IntSeq) -> np.ndarray:
    """ONNX Expand: broadcast X and `shape` against each other (bidirectionally)."""
    x = np.asarray(x)
    target = tuple(int_list(shape) or [])
    try:
        out = np.broadcast_shapes(x.shape, target)
    except ValueError:
        raise KernelError(
            f"Expand: input shape {x.shape} is not broadcastable with 'shape' {list(target)}"
        ) from None
    return np.array(np.broadcast_to(x, out))


def range_(start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """ONNX Range: max(ceil((limit - start) / delta), 0) elements start + i * delta."""
    s, lim, d = (np.asarray(v).reshape(()) for v in (start, limit, delta))
    dtype = s.dtype
    if d == 0:
        raise KernelError("Range: 'delta' must be non-zero")
    n = max(math.ceil((float(lim) - float(s)) / float(d)), 0)
    if dtype.kind in "iu":
        return s + d.astype(dtype) * np.arange(n, dtype=dtype)
    # ONNX's reference accumulates in the element type: start + i * delta in dtype.
    return (s + d.astype(dtype) * np.arange(n, dtype=dtype)).astype(dtype)


def constant_of_shape(shape: IntSeq, *, value: np.ndarray | None = None) -> np.ndarray:
    """ONNX ConstantOfShape: a tensor of `shape` filled with the 1-element `value` (0.0f)."""
    dims = int_list(shape) or []
    if any(d < 0 for d in dims):
        raise KernelError(f"ConstantOfShape: dimensions must be non-negative, got {dims}")
    if value is None:
        return np.zeros(dims, dtype=np.float32)
    v = np.asarray(value)
    if v.size != 1:
        raise KernelError(f"ConstantOfShape: 'value' must have one element, got shape {v.shape}")
    return np.full(dims, v.reshape(()), dtype=v.dtype)


def shape(x: np.ndarray, *, start: int = 0, end: int | None = None) -> np.ndarray:
    """ONNX Shape (opset 15): int64 dims[start:end], with start/end clamped to [0, rank]."""
    dims = np.asarray(x).shape
    r = len(dims)

    def clamp(v: int) -> int:
        return min(max(v + r if v < 0 else v, 0), r)

    return np.array(dims[clamp(start) : r if end is None else clamp(end)], dtype=np.int64)


def identity(x: np.ndarray) -> np.ndarray:
    """ONNX Identity (a copy, so callers may write to the result)."""
    return np.array(x, copy=True)
