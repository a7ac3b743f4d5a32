"""Elementwise kernels: activations, unary math, broadcasting binary ops, Where, Cast.

Broadcasting follows numpy, which is ONNX's multidirectional broadcasting. Results keep the
input's float dtype (numpy 2 does not promote float32 by Python scalars).

Erf has no numpy ufunc and scipy is not a dependency, so `erf` evaluates piecewise Chebyshev
interpolants whose coefficients are fitted at import time to `math.erf` at Chebyshev nodes
(a few dozen scalar calls). The fit is accurate to ~1e-14 absolute over the real line, and to
~1e-15 relative near zero, where the odd form x * P(x**2) is used.
"""

import math

import numpy as np
from numpy.polynomial import Chebyshev

from ._common import KernelError

# --- Erf -----------------------------------------------------------------------------------------

_ERF_SATURATE = 6.0
"""|x| beyond which erf(x) rounds to +-1 in float64 (erfc(6) ~ 2e-17)."""


def _erf_over_sqrt(t: np.ndarray) -> np.ndarray:
    """erf(sqrt(t)) / sqrt(t), the even part that makes erf = x * P(x**2) near zero."""
    out = np.empty_like(t)
    for i, v in enumerate(t.flat):
        r = math.sqrt(v)
        out.flat[i] = 2.0 / math.sqrt(math.pi) if r == 0.0 else math.erf(r) / r
    return out


def _erf_scalar(x: np.ndarray) -> np.ndarray:
    return np.array([math.erf(v) for v in x.flat]).reshape(x.shape)


# (low, high, interpolant): degrees chosen so each piece is within ~1e-14 of math.erf.
_ERF_SMALL = Chebyshev.interpolate(_erf_over_sqrt, 10, domain=[0.0, 1.0])
_ERF_PIECES = [
    (lo, hi, Chebyshev.interpolate(_erf_scalar, 18, domain=[lo, hi]))
    for lo, hi in ((1.0, 2.0), (2.0, 3.5), (3.5, _ERF_SATURATE))
]


def erf(x: np.ndarray) -> np.ndarray:
    """ONNX Erf (vectorised; computed in float64, returned in the input's dtype)."""
    x = np.asarray(x)
    xd = x.astype(np.float64)
    a = np.abs(xd)
    out = np.ones_like(a)
    small = a < 1.0
    out[small] = _ERF_SMALL(a[small] ** 2) * a[small]
    for lo, hi, poly in _ERF_PIECES:
        sel = (a >= lo) & (a < hi)
        out[sel] = poly(a[sel])
    out[np.isnan(a)] = np.nan
    return np.copysign(out, xd).astype(x.dtype, copy=False)


# --- activations -------------------------------------------------------------------------------


def relu(x: np.ndarray) -> np.ndarray:
    """ONNX Relu."""
    x = np.asarray(x)
    return np.maximum(x, x.dtype.type(0))


def leaky_relu(x: np.ndarray, *, alpha: float = 0.01) -> np.ndarray:
    """ONNX LeakyRelu: x if x >= 0 else alpha * x."""
    x = np.asarray(x)
    return np.where(x >= 0, x, x * x.dtype.type(alpha))


def prelu(x: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """ONNX PRelu: x if x >= 0 else slope * x, slope unidirectionally broadcast to x."""
    x, slope = np.asarray(x), np.asarray(slope)
    try:
        ok = np.broadcast_shapes(slope.shape, x.shape) == x.shape
    except ValueError:
        ok = False
    if not ok:
        raise KernelError(
            f"PRelu: expected slope {slope.shape} unidirectionally broadcastable to X {x.shape}"
        )
    return np.where(x >= 0, x, x * slope.astype(x.dtype, copy=False))


def clip(
    x: np.ndarray, min: np.ndarray | float | None = None, max: np.ndarray | float | None = None
) -> np.ndarray:
    """ONNX Clip (opset >= 11: bounds are optional scalar inputs)."""
    x = np.asarray(x)
    lo = None if min is None else x.dtype.type(np.asarray(min).reshape(()))
    hi = None if max is None else x.dtype.type(np.asarray(max).reshape(()))
    if lo is None and hi is None:
        return x.copy()
    # ONNX allows min > max; the result is then max everywhere, which the order below gives.
    y = x if lo is None else np.maximum(x, lo)
    return y if hi is None else np.minimum(y, hi)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """ONNX Sigmoid, without overflow for large |x|."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    one = x.dtype.type(1)
    return np.where(x >= 0, one / (one + e), e / (one + e))


def hard_sigmoid(x: np.ndarray, *, alpha: float = 0.2, beta: float = 0.5) -> np.ndarray:
    """ONNX HardSigmoid: max(0, min(1, alpha * x + beta))."""
    x = np.asarray(x)
    t = x.dtype.type
    return np.clip(x * t(alpha) + t(beta), t(0), t(1))


def hard_swish(x: np.ndarray) -> np.ndarray:
    """ONNX HardSwish: x * HardSigmoid(x) with alpha = 1/6, beta = 0.5."""
    x = np.asarray(x)
    return x * hard_sigmoid(x, alpha=1.0 / 6.0, beta=0.5)


def tanh(x: np.ndarray) -> np.ndarray:
    """ONNX Tanh."""
    return np.tanh(np.asarray(x))


def gelu(x: np.ndarray, *, approximate: str = "none") -> np.ndarray:
    """ONNX Gelu (opset 20): exact 0.5x(1 + erf(x/sqrt2)), or the tanh approximation."""
    x = np.asarray(x)
    t = x.dtype.type
    if approximate == "none":
        return t(0.5) * x * (t(1) + erf(x * t(1 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = t(math.sqrt(2.0 / math.pi)) * (x + t(0.044715) * x * x * x)
        return t(0.5) * x * (t(1) + np.tanh(inner))
    raise KernelError(f"Gelu: expected 'approximate' to be 'none' or 'tanh', got '{approximate}'")


def exp(x: np.ndarray) -> np.ndarray:
    """ONNX Exp."""
    return np.exp(np.asarray(x))


def log(x: np.ndarray) -> np.ndarray:
    """ONNX Log (log of 0 is -inf and of a negative number NaN, as in IEEE)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(x))


def sqrt(x: np.ndarray) -> np.ndarray:
    """ONNX Sqrt (NaN for negative inputs)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.asarray(x))


def pow_(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ONNX Pow: broadcasting x ** y, result in X's dtype."""
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind == "f":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.power(x, y.astype(x.dtype, copy=False))
    return np.power(x.astype(np.float64), y.astype(np.float64)).astype(x.dtype)


# --- binary arithmetic ---------------------------------------------------------------------------


def _broadcast(op: str, a: np.ndarray, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise KernelError(f"{op}: shapes {a.shape} and {b.shape} are not broadcastable") from None


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX Add."""
    a, b = np.asarray(a), np.asarray(b)
    _broadcast("Add", a, b)
    return np.add(a, b)


def sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX Sub."""
    a, b = np.asarray(a), np.asarray(b)
    _broadcast("Sub", a, b)
    return np.subtract(a, b)


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX Mul."""
    a, b = np.asarray(a), np.asarray(b)
    _broadcast("Mul", a, b)
    return np.multiply(a, b)


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ONNX Div: IEEE division for floats, truncation toward zero for integers (as C++ does)."""
    a, b = np.asarray(a), np.asarray(b)
    _broadcast("Div", a, b)
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        if np.any(b == 0):
            raise KernelError("Div: integer division by zero")
        q = np.floor_divide(a, b)
        # floor_divide rounds toward -inf; step back toward zero where the signs differ.
        fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
        return (q + fix).astype(np.result_type(a, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(a, b)


def where(condition: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ONNX Where: elements of X where condition is true, else of Y (all broadcast)."""
    c, x, y = np.asarray(condition), np.asarray(x), np.asarray(y)
    if c.dtype != np.bool_:
        raise KernelError(f"Where: expected a bool condition, got {c.dtype}")
    try:
        np.broadcast_shapes(c.shape, x.shape, y.shape)
    except ValueError:
        raise KernelError(
            f"Where: shapes {c.shape}, {x.shape} and {y.shape} are not broadcastable"
        ) from None
    return np.where(c, x, y)


def _numpy_dtype(to: object) -> np.dtype:
    """A numpy dtype from a numpy dtype-like or from an ONNX TensorProto element type number."""
    if isinstance(to, int | np.integer) and not isinstance(to, bool):
        from onnx import helper

        try:
            return np.dtype(helper.tensor_dtype_to_np_dtype(int(to)))
        except (KeyError, TypeError, ValueError):
            raise KernelError(f"Cast: unknown ONNX element type {to} in 'to'") from None
    try:
        return np.dtype(to)  # type: ignore[call-overload]
    except TypeError:
        raise KernelError(
            f"Cast: 'to' must be a numpy dtype or ONNX type number, got {to!r}"
        ) from None


def cast(x: np.ndarray, *, to: object, saturate: int = 1) -> np.ndarray:
    """ONNX Cast to `to` (a numpy dtype or a TensorProto.DataType number).

    Float to integer truncates toward zero; NaN/inf to integer is undefined in ONNX and is
    whatever numpy gives. `saturate` only concerns float8 types, which are not supported.
    """
    x = np.asarray(x)
    dtype = _numpy_dtype(to)
    if x.dtype.kind == "f" and dtype.kind in "iu":
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(dtype)
    if dtype == np.bool_:
        return x != 0
    return x.astype(dtype)
