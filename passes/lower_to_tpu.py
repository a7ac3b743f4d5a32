"""`lower-to-tpu{chip=bm1684x mode=f32}`: top ops -> tpu ops the BM1684X runs.

Each top op becomes the tpu op with the same meaning and a concrete element type (f32 in this
mode). Weights stay `top.weight` ops (TPU-MLIR keeps them in tpu IR too); where the command
that reads a weight needs another layout than the logical one, the pass writes a new weight to
the side-car store (`weight_store_of(module)`) and the tpu op uses it.

Weight layouts for f32, as the BM1684X commands read them (docs/simulator.md):
- conv filter `[oc, ic/g, kh, kw]`: conv.normal reads `[1, oc, ic, kh*kw]` on oc lanes in the
  alignIC layout, whose cube for 32-bit elements is one channel, so the bytes are the logical
  row-major filter itself; a depthwise kernel `[c, 1, kh, kw]` is pord's compact `(1, c, kh, kw)`;
  a bias `[oc]` is compact `1 x oc x 1 x 1`. These need no reordering.
- matmul right operand `(K, N)`: dma.matrix loads a plain row-major matrix, so `top.gemm` with
  `transB` (or `alpha != 1`) gets a new, transposed (scaled) weight.

`top.input` and `top.identity` disappear (their operand replaces them); a ReLU that canonicalize
did not fuse stays a `tpu.relu`, `top.clip(0, max)` becomes `tpu.relu` with a limit; a ceil-mode
max pool gets the extra bottom/right padding that makes the floor-mode size equal.

Everything the chip cannot run yet is reported at once, one line per op with its location,
before anything is rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, NameLoc, TensorType, f32
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top, tpu
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

SUPPORTED_CHIPS = ("bm1684x",)
SUPPORTED_MODES = ("f32",)


class Unsupported(Exception):
    """Why one top op cannot be lowered (collected, then reported together)."""


def location_of(op: Operation) -> str:
    """The op's ONNX node name (its `loc("...")`), or `unknown`."""
    return op.location.desc.data if isinstance(op.location, NameLoc) else "unknown"


def _shape(value: SSAValue) -> tuple[int, ...]:
    ty = value.type
    assert isinstance(ty, TensorType)
    return tuple(ty.get_shape())


def _f32(shape: tuple[int, ...] | list[int]) -> TensorType:
    return TensorType(f32, list(shape))


def _relu(op: top.ReluFusibleOp) -> tuple[bool, float | None]:
    return op.do_relu_value, op.relu_limit_value


def _normalize_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


# --- one function per top op: build the tpu op(s), or raise Unsupported ---------------------
# Each returns the op(s) to insert; the last one's result replaces the top op's result.

Lowering = Callable[[Operation, WeightStore], list[Operation]]


def _lower_conv(op: top.ConvOp, store: WeightStore) -> list[Operation]:
    if len(_shape(op.input)) != 4:
        raise Unsupported(f"only 2-D convolutions are supported, got rank {len(_shape(op.input))}")
    do_relu, limit = _relu(op)
    return [
        tpu.Conv2dOp(
            op.input,
            op.filter,
            op.bias,
            op.output.type,
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            group=op.group_value,
            do_relu=do_relu,
            relu_limit=limit,
        )
    ]


def _matmul_bias(bias: SSAValue | None, n: int) -> None:
    if bias is not None and int(np.prod(_shape(bias))) != n:
        raise Unsupported(
            f"a bias of shape {list(_shape(bias))} is not supported (expected {n} values, "
            "one per output column)"
        )


def _lower_matmul(op: top.MatMulOp, store: WeightStore) -> list[Operation]:
    right = _shape(op.right)
    if len(right) != 2:
        raise Unsupported(f"only a 2-D right operand is supported, got {list(right)}")
    _matmul_bias(op.bias, right[1])
    do_relu, limit = _relu(op)
    return [
        tpu.MatMulOp(op.input, op.right, op.bias, op.output.type, do_relu=do_relu, relu_limit=limit)
    ]


def _lower_gemm(op: top.GemmOp, store: WeightStore) -> list[Operation]:
    if op.trans_a_value:
        raise Unsupported("transA = 1 is not supported")
    b_owner = op.b.owner
    alpha, beta = op.alpha.value.data, op.beta.value.data
    new_ops: list[Operation] = []
    right: SSAValue = op.b
    if op.trans_b.value.data or alpha != 1.0:
        if not isinstance(b_owner, top.WeightOp):
            raise Unsupported("transB or alpha on a runtime (non-weight) B is not supported")
        array = np.asarray(weight_value(b_owner, store), np.float32)
        if op.trans_b.value.data:
            array = array.T
        array = np.ascontiguousarray(array * np.float32(alpha))
        name = store.unique_name(f"{b_owner.weight_name.data}.tpu")
        store[name] = array
        w = top.WeightOp(name, _f32(array.shape), location=location_of(op))
        new_ops.append(w)
        right = w.output
    n = _shape(right)[1]
    bias: SSAValue | None = op.c
    if bias is not None:
        c_owner = bias.owner
        if not isinstance(c_owner, top.WeightOp):
            raise Unsupported("a runtime (non-weight) C is not supported")
        array = np.asarray(weight_value(c_owner, store), np.float32)
        if array.size not in (1, n) or (array.ndim == 2 and array.shape[0] != 1):
            raise Unsupported(f"C of shape {list(array.shape)} is not supported")
        if array.size != n or beta != 1.0 or array.ndim != 1:
            array = np.ascontiguousarray(np.broadcast_to(array.reshape(-1), (n,)) * beta)
            name = store.unique_name(f"{c_owner.weight_name.data}.tpu")
            store[name] = array.astype(np.float32)
            c = top.WeightOp(name, _f32((n,)), location=location_of(op))
            new_ops.append(c)
            bias = c.output
    new_ops.append(tpu.MatMulOp(op.a, right, bias, op.output.type))
    return new_ops


def _lower_add(op: top.AddOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    coeff = op.coeff_values
    if all(c == 1.0 for c in coeff):
        return [tpu.AddOp(op.inputs, op.output.type, do_relu=do_relu, relu_limit=limit)]
    if len(coeff) == 2 and coeff == (1.0, -1.0):
        return [
            tpu.SubOp(op.inputs[0], op.inputs[1], op.output.type, do_relu=do_relu, relu_limit=limit)
        ]
    raise Unsupported(f"coefficients {list(coeff)} are not supported (only all ones or [1, -1])")


def _lower_sub(op: top.SubOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    return [
        tpu.SubOp(op.inputs[0], op.inputs[1], op.output.type, do_relu=do_relu, relu_limit=limit)
    ]


def _lower_mul(op: top.MulOp, store: WeightStore) -> list[Operation]:
    do_relu, limit = _relu(op)
    out: list[Operation] = []
    acc: SSAValue = op.inputs[0]
    for i, v in enumerate(op.inputs[1:], start=1):
        last = i == len(op.inputs) - 1
        shape = top.broadcast_shapes(_shape(acc), _shape(v))
        mul = tpu.MulOp(
            acc,
            v,
            op.output.type if last else _f32(shape),
            do_relu=do_relu and last,
            relu_limit=limit if last else None,
        )
        out.append(mul)
        acc = mul.output
    return out


def _lower_relu(op: top.ReluOp, store: WeightStore) -> list[Operation]:
    return [tpu.ReluOp(op.input, op.relu_limit_value)]


def _lower_clip(op: top.ClipOp, store: WeightStore) -> list[Operation]:
    lo, hi = op.min_value, op.max_value
    if lo != 0.0:
        raise Unsupported(f"a lower bound other than 0 is not supported (min = {lo})")
    return [tpu.ReluOp(op.input, hi)]


def _pool_common(op: top.PoolOp) -> tuple[tuple[int, ...], tuple[int, ...], list[int]]:
    if len(_shape(op.input)) != 4:
        raise Unsupported(f"only 2-D pooling is supported, got rank {len(_shape(op.input))}")
    kernel, strides, pads = op.kernel_shape_values, op.strides_values, list(op.pads_values)
    # ceil mode: extra bottom/right padding gives the same output size in floor mode
    _, _, h, w = _shape(op.input)
    oh, ow = _shape(op.output)[2:]
    for axis, size, out in ((0, h, oh), (1, w, ow)):
        need = (out - 1) * strides[axis] + kernel[axis]
        have = size + pads[axis] + pads[axis + 2]
        if need > have:
            pads[axis + 2] += need - have
    return kernel, strides, pads


def _lower_maxpool(op: top.MaxPoolOp, store: WeightStore) -> list[Operation]:
    kernel, strides, pads = _pool_common(op)
    if max(pads[0], pads[2]) >= kernel[0] or max(pads[1], pads[3]) >= kernel[1]:
        raise Unsupported(f"pads {pads} as large as the kernel {list(kernel)} are not supported")
    do_relu, limit = _relu(op)
    return [
        tpu.MaxPoolOp(
            op.input,
            op.output.type,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            do_relu=do_relu,
            relu_limit=limit,
        )
    ]


def _lower_avgpool(op: top.AvgPoolOp, store: WeightStore) -> list[Operation]:
    kernel, strides, pads = _pool_common(op)
    if pads != list(op.pads_values) and not op.count_include_pad_value:
        raise Unsupported("ceil_mode without count_include_pad is not supported")
    if any(pads) and not op.count_include_pad_value:
        # the window sum is scaled by one constant: border windows would need their own
        raise Unsupported(
            "padding excluded from the divisor (count_include_pad = 0) is not supported"
        )
    do_relu, limit = _relu(op)
    return [
        tpu.AvgPoolOp(
            op.input,
            op.output.type,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            count_include_pad=op.count_include_pad_value,
            do_relu=do_relu,
            relu_limit=limit,
        )
    ]


def _lower_global_pool(op: top.GlobalPoolOp, store: WeightStore) -> list[Operation]:
    shape = _shape(op.input)
    if len(shape) != 4:
        raise Unsupported(f"only 2-D global pooling is supported, got rank {len(shape)}")
    kernel = shape[2:]
    if isinstance(op, top.GlobalMaxPoolOp):
        return [tpu.MaxPoolOp(op.input, op.output.type, kernel_shape=kernel)]
    return [tpu.AvgPoolOp(op.input, op.output.type, kernel_shape=kernel)]


def _lower_reshape(op: top.ReshapeOp, store: WeightStore) -> list[Operation]:
    return [tpu.ReshapeOp(op.input, op.output.type)]


def _lower_concat(op: top.ConcatOp, store: WeightStore) -> list[Operation]:
    rank = len(_shape(op.output))
    return [tpu.ConcatOp(op.inputs, op.output.type, _normalize_axis(op.axis_value, rank))]


def _lower_softmax(op: top.SoftmaxOp, store: WeightStore) -> list[Operation]:
    return [tpu.SoftmaxOp(op.input, op.normalized_axis)]


LOWERINGS: dict[type[Operation], Lowering] = {
    top.ConvOp: _lower_conv,  # type: ignore[dict-item]
    top.MatMulOp: _lower_matmul,  # type: ignore[dict-item]
    top.GemmOp: _lower_gemm,  # type: ignore[dict-item]
    top.AddOp: _lower_add,  # type: ignore[dict-item]
    top.SubOp: _lower_sub,  # type: ignore[dict-item]
    top.MulOp: _lower_mul,  # type: ignore[dict-item]
    top.ReluOp: _lower_relu,  # type: ignore[dict-item]
    top.ClipOp: _lower_clip,  # type: ignore[dict-item]
    top.MaxPoolOp: _lower_maxpool,  # type: ignore[dict-item]
    top.AvgPoolOp: _lower_avgpool,  # type: ignore[dict-item]
    top.GlobalAvgPoolOp: _lower_global_pool,  # type: ignore[dict-item]
    top.GlobalMaxPoolOp: _lower_global_pool,  # type: ignore[dict-item]
    top.ReshapeOp: _lower_reshape,  # type: ignore[dict-item]
    top.ConcatOp: _lower_concat,  # type: ignore[dict-item]
    top.SoftmaxOp: _lower_softmax,  # type: ignore[dict-item]
}
"""The top ops this pass lowers; `top.input`, `top.identity` and `top.weight` are handled apart."""

_PASS_THROUGH = (top.InputOp, top.IdentityOp)


def _plan(module: ModuleOp, store: WeightStore) -> list[tuple[Operation, list[Operation]]]:
    """The replacement of every top op, or one DiagnosticException naming all failures."""
    plan: list[tuple[Operation, list[Operation]]] = []
    problems: list[str] = []
    for op in module.walk():
        if op.dialect_name() != "top" or isinstance(op, (top.WeightOp, *_PASS_THROUGH)):
            continue
        lower = LOWERINGS.get(type(op))
        try:
            if lower is None:
                raise Unsupported("no BM1684X lowering for this op yet")
            plan.append((op, lower(op, store)))
        except Unsupported as why:
            problems.append(f'  {op.name} at loc("{location_of(op)}"): {why}')
    if problems:
        raise DiagnosticException(
            f"{len(problems)} op(s) cannot be lowered to the BM1684X:\n" + "\n".join(problems)
        )
    return plan


@dataclass(frozen=True)
class LowerToTpuPass(ModulePass):
    """Lower every top op to tpu ops for `chip` in `mode` (f32 only for now)."""

    name = "lower-to-tpu"

    chip: str = "bm1684x"
    mode: str = "f32"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.chip.lower() not in SUPPORTED_CHIPS:
            raise DiagnosticException(
                f"lower-to-tpu: unsupported chip '{self.chip}' (supported: "
                f"{', '.join(SUPPORTED_CHIPS)})"
            )
        if self.mode.lower() not in SUPPORTED_MODES:
            raise DiagnosticException(
                f"lower-to-tpu: unsupported mode '{self.mode}' (supported: "
                f"{', '.join(SUPPORTED_MODES)})"
            )
        store = weight_store_of(op)
        plan = _plan(op, store)
        for old in [o for o in op.walk() if isinstance(o, _PASS_THROUGH)]:
            old.results[0].replace_all_uses_with(old.operands[0])
            Rewriter.erase_op(old)
        for old, new_ops in plan:
            for new in new_ops:
                new.location = old.location
            Rewriter.replace_op(old, new_ops)
        _erase_dead_weights(op)


def _erase_dead_weights(module: ModuleOp) -> None:
    for op in list(module.walk()):
        if isinstance(op, top.WeightOp) and not op.output.uses:
            op.detach()
            op.erase()


__all__ = ["LOWERINGS", "LowerToTpuPass", "location_of"]
