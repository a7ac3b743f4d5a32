"""Code generation for the float functions `lower-to-tpu` adds for issue #6: tanh, erf, gelu,
sqrt, rsqrt, log, pow and leaky ReLU.

Each is an in-place sequence of AR commands (and the SFU's rsqrt, or the exp of `emit_exp`) on
one local tensor, run by the elementwise plan (`plan_eltwise` with a `unary` callback), so the
slicing and pipelining are those of every other elementwise layer. The formulas and their
accuracy (f32, relative to numpy's float64 functions):

- tanh(x) = 2 / (1 + exp(-2x)) - 1: absolute error about 2e-7.
- erf(|x|) = 1 - (a1 t + ... + a5 t^5) exp(-x^2), t = 1 / (1 + p |x|) (Abramowitz & Stegun
  7.1.26): absolute error below 1.5e-7; the sign is x / |x|.
- gelu(x) = x Phi(x) = x / 2 + |x| erf(|x| / sqrt 2) / 2 (erf is odd, so x erf(x) = |x| erf(|x|)).
- sqrt(x) = 1 / rsqrt(x) (exact 0 at 0: 1 / inf).
- log(x) = n ln 2 + log(m), x = m 2^n with n from the f32 exponent bits (read as an integer and
  converted), log(m) = 2 atanh(s), s = (m - 1) / (m + 1) in [-1/3, 1/3), by 7 odd-power terms:
  absolute error about 2e-7 for normal positive x (0, subnormals and negatives are not -inf /
  NaN as in ONNX: the result is finite there).
- pow(x, p) = exp(p log(x)) for x > 0.
- leaky ReLU = max(x, alpha x) (min when alpha > 1).

F16/BF16 layers of INT8 nets (`plan_function` with a 16-bit `dt`) keep their DDR tensors and
I/O buffers 16-bit; leaky ReLU runs its two AR ops in that type, and every other function casts
the slice to f32 in local memory, runs the sequence above there and casts back (nearest even):
the sequences build powers of two in f32 exponent bits and need f32 range for their
intermediates (whether the vendor has 16-bit forms of these sequences is not known here; its
softmax and layernorm kernels cast half-precision rows to f32 the same way). So a 16-bit
result is the f32 one rounded once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from xdsl.ir import Operation, SSAValue

from nntc.dialects import tpu
from nntc.dialects.bm1684x import ArEu, Precision
from nntc.passes.lowering.layers import (
    FP32,
    LN2,
    EltwisePlan,
    Emitter,
    emit_exp,
    emit_rsqrt,
    plan_eltwise,
)
from nntc.passes.lowering.lmem import Arena, LTensor

F32_MANTISSA_BITS = 23
F32_EXPONENT_BIAS = 127
ERF_P = 0.3275911
ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
"""Abramowitz & Stegun 7.1.26: a1..a5."""
ATANH_TERMS = 7
"""Odd powers of s in 2 atanh(s): with |s| <= 1/3 the first omitted one is below 1e-8."""
TINY = 1e-30
"""Floor of |x| in the sign x / |x|: at x = 0 the sign is 0 / TINY = 0 (erf(0) = 0 anyway)."""

UnaryEmitter = Callable[[Emitter, LTensor, list[LTensor]], None]


def emit_tanh(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
    emit_exp(em, t, s[0], s[1], scale=-2.0)
    em.ar(ArEu.ADD, t, t, 1.0)
    em.ar(ArEu.DIV, t, 2.0, t)
    em.ar(ArEu.SUB, t, t, 1.0)


def _erf_of_abs(em: Emitter, a: LTensor, s2: LTensor, s3: LTensor, s4: LTensor) -> None:
    """s4 = erf(a) for a >= 0; s2 and s3 are clobbered."""
    em.ar(ArEu.MUL, s2, a, a)
    emit_exp(em, s2, s3, s4, scale=-1.0)  # exp(-a^2)
    em.ar(ArEu.MUL, s3, a, ERF_P)
    em.ar(ArEu.ADD, s3, s3, 1.0)
    em.ar(ArEu.DIV, s3, 1.0, s3)  # t = 1 / (1 + p a)
    em.ar(ArEu.MUL, s4, s3, ERF_A[-1])
    for coef in reversed(ERF_A[:-1]):
        em.ar(ArEu.ADD, s4, s4, coef)
        em.ar(ArEu.MUL, s4, s4, s3)
    em.ar(ArEu.MUL, s4, s4, s2)
    em.ar(ArEu.SUB, s4, 1.0, s4)


def emit_erf(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
    a = s[0]
    em.ar(ArEu.ABS, a, t, None)
    _erf_of_abs(em, a, s[1], s[2], s[3])
    em.ar(ArEu.MAX, a, a, TINY)
    em.ar(ArEu.DIV, t, t, a)  # sign(x)
    em.ar(ArEu.MUL, t, t, s[3])


def emit_gelu(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
    a = s[0]
    em.ar(ArEu.ABS, a, t, None)
    em.ar(ArEu.MUL, a, a, 1.0 / math.sqrt(2.0))
    _erf_of_abs(em, a, s[1], s[2], s[3])
    em.ar(ArEu.MUL, a, a, s[3])  # |x| erf(|x| / sqrt 2) / sqrt 2
    em.ar(ArEu.MUL, a, a, math.sqrt(2.0) / 2.0)
    em.ar(ArEu.MUL, t, t, 0.5)
    em.ar(ArEu.ADD, t, t, a)


def emit_sqrt(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
    emit_rsqrt(em, t, t)
    em.ar(ArEu.DIV, t, 1.0, t)


def emit_log(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
    i32 = Precision.INT32
    e, n, d = s[0], s[1], s[2]
    # the bits of x read as an integer, scaled: (biased exponent) + mantissa / 2^23
    em.ar(ArEu.CAST, e, t, None, a_prec=i32)
    em.ar(ArEu.MUL, e, e, 2.0**-F32_MANTISSA_BITS)
    em.ar(ArEu.SUB, e, e, float(F32_EXPONENT_BIAS))
    em.ar(ArEu.CAST, n, e, None, res_prec=i32, round_mode=3)  # n = floor, as int32
    em.ar(ArEu.CAST, e, n, None, a_prec=i32)  # n as f32
    # 2^-n as the f32 whose bits are (127 - n) 2^23; m = x 2^-n is in [1, 2) (or just below 1
    # when the conversion above rounded the mantissa up)
    em.ar(ArEu.SUB, n, F32_EXPONENT_BIAS, n, res_prec=i32, a_prec=i32, b_prec=i32)
    em.ar(ArEu.MUL, n, n, 1 << F32_MANTISSA_BITS, res_prec=i32, a_prec=i32, b_prec=i32)
    em.ar(ArEu.MUL, t, t, n)
    em.ar(ArEu.ADD, d, t, 1.0)
    em.ar(ArEu.SUB, t, t, 1.0)
    em.ar(ArEu.DIV, t, t, d)  # s = (m - 1) / (m + 1)
    em.ar(ArEu.MUL, d, t, t)  # z = s^2
    # 2 atanh(s) = 2 s sum_k z^k / (2k + 1), by Horner's rule in z
    em.ar(ArEu.MUL, n, d, 1.0 / (2 * ATANH_TERMS - 1))
    for k in range(ATANH_TERMS - 2, 0, -1):
        em.ar(ArEu.ADD, n, n, 1.0 / (2 * k + 1))
        em.ar(ArEu.MUL, n, n, d)
    em.ar(ArEu.ADD, n, n, 1.0)
    em.ar(ArEu.MUL, t, t, n)
    em.ar(ArEu.MUL, t, t, 2.0)
    em.ar(ArEu.MUL, e, e, LN2)
    em.ar(ArEu.ADD, t, t, e)


def _emit_pow(exponent: float) -> UnaryEmitter:
    def emit(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
        emit_log(em, t, s)
        emit_exp(em, t, s[0], s[1], scale=exponent)

    return emit


def _emit_leaky_relu(alpha: float) -> UnaryEmitter:
    def emit(em: Emitter, t: LTensor, s: list[LTensor]) -> None:
        em.ar(ArEu.MUL, s[0], t, alpha)
        em.ar(ArEu.MAX if alpha <= 1.0 else ArEu.MIN, t, t, s[0])

    return emit


FUNCTION_OPS = (
    tpu.TanhOp,
    tpu.ErfOp,
    tpu.GeluOp,
    tpu.SqrtOp,
    tpu.RsqrtOp,
    tpu.LogOp,
    tpu.PowOp,
    tpu.LeakyReluOp,
)
"""The tpu ops `plan_function` generates code for."""


def _emitter(op: Operation) -> tuple[UnaryEmitter, int]:
    """The in-place sequence of `op` and how many scratch tensors it needs."""
    if isinstance(op, tpu.TanhOp):
        return emit_tanh, 2
    if isinstance(op, tpu.ErfOp):
        return emit_erf, 4
    if isinstance(op, tpu.GeluOp):
        return emit_gelu, 4
    if isinstance(op, tpu.SqrtOp):
        return emit_sqrt, 0
    if isinstance(op, tpu.RsqrtOp):
        return (lambda em, t, s: emit_rsqrt(em, t, t)), 0
    if isinstance(op, tpu.LogOp):
        return emit_log, 3
    if isinstance(op, tpu.PowOp):
        return _emit_pow(op.exponent.value.data), 3
    assert isinstance(op, tpu.LeakyReluOp)
    return _emit_leaky_relu(op.alpha.value.data), 1


def plan_function(
    op: Operation,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> EltwisePlan:
    """One of `FUNCTION_OPS`: its sequence in place on each slice of the input, whose DDR
    tensors are `dt` (16 bits: in f32 between two casts, except leaky ReLU)."""
    emit, scratch = _emitter(op)
    return plan_eltwise(
        op, name, arena, addr, ArEu.ADD, (op.operands[0],), False, None,
        unary=emit, scratch=scratch, dt=dt,
        unary_f32=dt is not FP32 and not isinstance(op, tpu.LeakyReluOp),
    )  # fmt: skip


__all__ = ["FUNCTION_OPS", "emit_rsqrt", "plan_function"]
