"""The reference interpreter: executes `top` IR with the numpy kernels of this package.

It is xDSL's `Interpreter` with one implementation per top op (`TopFunctions`), each a thin
adapter from the op's properties to the ONNX-semantics kernel, plus the fused activation that top
ops carry (`do_relu`, `relu_limit`). `run_module` is the Python API behind `nntc-run`: inputs and
outputs are keyed by the graph's input/output names, and `dump_all` collects every op's result
keyed by its location (the ONNX node name), for layer-by-layer comparison.

`top.input` passes its tensor through: its preprocessing attributes describe how the caller (the
calibration data loader, the runtime) prepares images, and the tensor the net receives is already
prepared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, StringAttr, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation, SSAValue

from nntc.dialects import top
from nntc.targets.reference import kernels
from nntc.targets.reference.resize import _resize_axis as resize_axis
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

NAME_ATTR = "onnx.name"
"""Argument/result attribute of `func.func @main` holding the ONNX graph input/output name."""


class InterpreterError(Exception):
    """The IR cannot be executed: a missing input, a wrong shape, an op without an implementation."""


def apply_relu(value: np.ndarray, op: top.ReluFusibleOp, operands: PythonValues = ()) -> np.ndarray:
    """The activation a top op fuses: relu, or relu clipped at `relu_limit`.

    When the kernel made `value` for this op alone (it owns its memory and is none of the
    `operands`), the activation overwrites it: on a ResNet that saves one full-size temporary
    per conv. A kernel may return an operand itself (a 1x1 pool of stride 1), which must stay.
    """
    if not op.do_relu_value:
        return value
    limit = op.relu_limit_value
    owned = (
        isinstance(value, np.ndarray)
        and value.base is None
        and value.flags.writeable
        and not any(value is operand for operand in operands)
    )
    out = value if owned else None
    zero = value.dtype.type(0)
    if limit is None:
        return np.maximum(value, zero, out=out)
    return np.clip(value, zero, value.dtype.type(limit), out=out)


def result_shape(value: SSAValue) -> tuple[int, ...]:
    """The static shape of a top value (the verifier guarantees one)."""
    ty = value.type
    assert isinstance(ty, TensorType)
    return tuple(ty.get_shape())


def resize(x: np.ndarray, op: top.ResizeOp) -> np.ndarray:
    """`top.resize`: one separable 1-D resize per changed axis.

    The op keeps both the scale and the output length of each axis (they differ for ONNX
    `sizes` with a keep-aspect-ratio policy, where the length is rounded), so the kernel's
    per-axis step is called with both instead of recomputing the length from the scale.
    """
    y = np.asarray(x)
    for axis, (scale, out_len) in enumerate(
        zip(op.scales_values, result_shape(op.output), strict=True)
    ):
        if out_len == y.shape[axis] and scale == 1.0:
            continue
        y = resize_axis(
            y,
            axis,
            out_len,
            scale,
            (0.0, 1.0),
            mode=op.mode.data,
            transform=op.coordinate_transformation_mode.data,
            nearest_mode=op.nearest_mode.data,
            cubic_coeff_a=op.cubic_coeff_a_value,
            exclude_outside=int(op.exclude_outside_value),
            extrapolation_value=0.0,
        )
    return y


@register_impls
@dataclass
class TopFunctions(InterpreterFunctions):
    """Numpy implementations of every `top` op: thin adapters to `nntc.targets.reference.kernels`.

    Each implementation reads the op's properties, calls the ONNX-semantics kernel and applies
    the relu the op fuses (`apply_relu`). Shapes come from the op's result type where the op
    keeps only resolved parameters (reshape, expand, slice, resize).
    """

    store: WeightStore = field(default_factory=WeightStore)

    # --- sources ---------------------------------------------------------------------------------

    @impl(top.InputOp)
    def run_input(
        self, interpreter: Interpreter, op: top.InputOp, args: PythonValues
    ) -> PythonValues:
        return (args[0],)

    @impl(top.WeightOp)
    def run_weight(
        self, interpreter: Interpreter, op: top.WeightOp, args: PythonValues
    ) -> PythonValues:
        return (weight_value(op, self.store),)

    # --- convolution and matrix products ---------------------------------------------------------

    @impl(top.ConvOp)
    def run_conv(
        self, interpreter: Interpreter, op: top.ConvOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.conv(
            *args,
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            group=op.group_value,
        )
        return (apply_relu(y, op, args),)

    @impl(top.DeconvOp)
    def run_deconv(
        self, interpreter: Interpreter, op: top.DeconvOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.conv_transpose(
            *args,
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            output_padding=op.output_padding_values,
            group=op.group_value,
        )
        return (apply_relu(y, op, args),)

    @impl(top.MatMulOp)
    def run_matmul(
        self, interpreter: Interpreter, op: top.MatMulOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.matmul(args[0], args[1])
        if len(args) > 2:
            y += args[2]
        return (apply_relu(y, op, args),)

    @impl(top.GemmOp)
    def run_gemm(
        self, interpreter: Interpreter, op: top.GemmOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.gemm(
            *args,
            alpha=op.alpha_value,
            beta=op.beta_value,
            transA=int(op.trans_a_value),
            transB=int(op.trans_b_value),
        )
        return (y,)

    # --- elementwise -----------------------------------------------------------------------------

    @impl(top.AddOp)
    def run_add(self, interpreter: Interpreter, op: top.AddOp, args: PythonValues) -> PythonValues:
        terms = [
            x if c == 1.0 else np.float32(c) * x for c, x in zip(op.coeff_values, args, strict=True)
        ]
        y = terms[0]
        for term in terms[1:]:
            y = kernels.add(y, term)
        return (apply_relu(y, op, args),)

    @impl(top.MulOp)
    def run_mul(self, interpreter: Interpreter, op: top.MulOp, args: PythonValues) -> PythonValues:
        y = args[0]
        for x in args[1:]:
            y = kernels.mul(y, x)
        return (apply_relu(y, op, args),)

    @impl(top.SubOp)
    def run_sub(self, interpreter: Interpreter, op: top.SubOp, args: PythonValues) -> PythonValues:
        return (apply_relu(kernels.sub(*args), op, args),)

    @impl(top.DivOp)
    def run_div(self, interpreter: Interpreter, op: top.DivOp, args: PythonValues) -> PythonValues:
        return (apply_relu(kernels.div(*args), op, args),)

    @impl(top.PReluOp)
    def run_prelu(
        self, interpreter: Interpreter, op: top.PReluOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.prelu(*args),)

    @impl(top.WhereOp)
    def run_where(
        self, interpreter: Interpreter, op: top.WhereOp, args: PythonValues
    ) -> PythonValues:
        condition, x, y = args
        # top carries the condition as f32 (1.0 true, 0.0 false); ONNX Where takes bool
        return (kernels.where(np.asarray(condition) != 0, x, y),)

    @impl(top.ReluOp)
    def run_relu(
        self, interpreter: Interpreter, op: top.ReluOp, args: PythonValues
    ) -> PythonValues:
        limit = op.relu_limit_value
        x = args[0]
        return (kernels.relu(x) if limit is None else kernels.clip(x, 0.0, limit),)

    @impl(top.IdentityOp)
    def run_identity(
        self, interpreter: Interpreter, op: top.IdentityOp, args: PythonValues
    ) -> PythonValues:
        return (args[0],)

    @impl(top.SigmoidOp)
    def run_sigmoid(
        self, interpreter: Interpreter, op: top.SigmoidOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.sigmoid(args[0]),)

    @impl(top.TanhOp)
    def run_tanh(
        self, interpreter: Interpreter, op: top.TanhOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.tanh(args[0]),)

    @impl(top.ErfOp)
    def run_erf(self, interpreter: Interpreter, op: top.ErfOp, args: PythonValues) -> PythonValues:
        return (kernels.erf(args[0]),)

    @impl(top.ExpOp)
    def run_exp(self, interpreter: Interpreter, op: top.ExpOp, args: PythonValues) -> PythonValues:
        return (kernels.exp(args[0]),)

    @impl(top.LogOp)
    def run_log(self, interpreter: Interpreter, op: top.LogOp, args: PythonValues) -> PythonValues:
        return (kernels.log(args[0]),)

    @impl(top.SqrtOp)
    def run_sqrt(
        self, interpreter: Interpreter, op: top.SqrtOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.sqrt(args[0]),)

    @impl(top.HardSwishOp)
    def run_hardswish(
        self, interpreter: Interpreter, op: top.HardSwishOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.hard_swish(args[0]),)

    @impl(top.SiLUOp)
    def run_silu(
        self, interpreter: Interpreter, op: top.SiLUOp, args: PythonValues
    ) -> PythonValues:
        x = args[0]
        return (kernels.mul(x, kernels.sigmoid(x)),)

    @impl(top.LeakyReluOp)
    def run_leaky_relu(
        self, interpreter: Interpreter, op: top.LeakyReluOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.leaky_relu(args[0], alpha=op.alpha_value),)

    @impl(top.HardSigmoidOp)
    def run_hardsigmoid(
        self, interpreter: Interpreter, op: top.HardSigmoidOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.hard_sigmoid(args[0], alpha=op.alpha_value, beta=op.beta_value),)

    @impl(top.GeluOp)
    def run_gelu(
        self, interpreter: Interpreter, op: top.GeluOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.gelu(args[0], approximate=op.approximate.data),)

    @impl(top.ClipOp)
    def run_clip(
        self, interpreter: Interpreter, op: top.ClipOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.clip(args[0], op.min_value, op.max_value),)

    @impl(top.PowOp)
    def run_pow(self, interpreter: Interpreter, op: top.PowOp, args: PythonValues) -> PythonValues:
        return (kernels.pow_(args[0], np.float32(op.exponent_value)),)

    # --- normalization ---------------------------------------------------------------------------

    @impl(top.SoftmaxOp)
    def run_softmax(
        self, interpreter: Interpreter, op: top.SoftmaxOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.softmax(args[0], axis=op.axis_value),)

    @impl(top.LogSoftmaxOp)
    def run_log_softmax(
        self, interpreter: Interpreter, op: top.LogSoftmaxOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.log_softmax(args[0], axis=op.axis_value),)

    @impl(top.BatchNormOp)
    def run_batchnorm(
        self, interpreter: Interpreter, op: top.BatchNormOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.batch_normalization(*args, epsilon=op.epsilon_value),)

    @impl(top.LayerNormOp)
    def run_layernorm(
        self, interpreter: Interpreter, op: top.LayerNormOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.layer_normalization(*args, axis=op.axis_value, epsilon=op.epsilon_value)
        return (y,)

    # --- pooling ---------------------------------------------------------------------------------

    @impl(top.MaxPoolOp)
    def run_maxpool(
        self, interpreter: Interpreter, op: top.MaxPoolOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.max_pool(
            args[0],
            kernel_shape=op.kernel_shape_values,
            strides=op.strides_values,
            pads=op.pads_values,
            ceil_mode=int(op.ceil_mode_value),
        )
        return (apply_relu(y, op, args),)

    @impl(top.AvgPoolOp)
    def run_avgpool(
        self, interpreter: Interpreter, op: top.AvgPoolOp, args: PythonValues
    ) -> PythonValues:
        y = kernels.average_pool(
            args[0],
            kernel_shape=op.kernel_shape_values,
            strides=op.strides_values,
            pads=op.pads_values,
            ceil_mode=int(op.ceil_mode_value),
            count_include_pad=int(op.count_include_pad_value),
        )
        return (apply_relu(y, op, args),)

    @impl(top.GlobalAvgPoolOp)
    def run_global_avgpool(
        self, interpreter: Interpreter, op: top.GlobalAvgPoolOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.global_average_pool(args[0]),)

    @impl(top.GlobalMaxPoolOp)
    def run_global_maxpool(
        self, interpreter: Interpreter, op: top.GlobalMaxPoolOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.global_max_pool(args[0]),)

    # --- reductions ------------------------------------------------------------------------------

    @impl(top.ReduceMeanOp)
    def run_reduce_mean(
        self, interpreter: Interpreter, op: top.ReduceMeanOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.reduce_mean(args[0], op.axes_values, keepdims=int(op.keepdims_value)),)

    @impl(top.ReduceSumOp)
    def run_reduce_sum(
        self, interpreter: Interpreter, op: top.ReduceSumOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.reduce_sum(args[0], op.axes_values, keepdims=int(op.keepdims_value)),)

    @impl(top.ReduceMaxOp)
    def run_reduce_max(
        self, interpreter: Interpreter, op: top.ReduceMaxOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.reduce_max(args[0], op.axes_values, keepdims=int(op.keepdims_value)),)

    # --- data movement ---------------------------------------------------------------------------

    @impl(top.ReshapeOp)
    def run_reshape(
        self, interpreter: Interpreter, op: top.ReshapeOp, args: PythonValues
    ) -> PythonValues:
        return (np.reshape(args[0], result_shape(op.output)),)

    @impl(top.ConcatOp)
    def run_concat(
        self, interpreter: Interpreter, op: top.ConcatOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.concat(*args, axis=op.axis_value),)

    @impl(top.TransposeOp)
    def run_transpose(
        self, interpreter: Interpreter, op: top.TransposeOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.transpose(args[0], perm=op.perm_values),)

    @impl(top.SliceOp)
    def run_slice(
        self, interpreter: Interpreter, op: top.SliceOp, args: PythonValues
    ) -> PythonValues:
        index = []
        for start, step, count in zip(
            op.starts_values, op.steps_values, result_shape(op.output), strict=True
        ):
            stop = start + step * count
            # a negative step that runs through index 0 stops "before the start" of the axis,
            # which a Python slice spells as None, not -1
            index.append(slice(start, None if stop < 0 else stop, step))
        return (np.asarray(args[0])[tuple(index)],)

    @impl(top.SplitOp)
    def run_split(
        self, interpreter: Interpreter, op: top.SplitOp, args: PythonValues
    ) -> PythonValues:
        return tuple(kernels.split(args[0], op.split_values, axis=op.axis_value))

    @impl(top.PadOp)
    def run_pad(self, interpreter: Interpreter, op: top.PadOp, args: PythonValues) -> PythonValues:
        y = kernels.pad(args[0], op.pads_values, op.value_value, mode=op.mode.data)
        return (y,)

    @impl(top.ExpandOp)
    def run_expand(
        self, interpreter: Interpreter, op: top.ExpandOp, args: PythonValues
    ) -> PythonValues:
        return (kernels.expand(args[0], result_shape(op.output)),)

    @impl(top.GatherOp)
    def run_gather(
        self, interpreter: Interpreter, op: top.GatherOp, args: PythonValues
    ) -> PythonValues:
        # the verifier guarantees i64 elements, stored little-endian as MLIR's dense format
        indices = np.frombuffer(op.indices.data.data, dtype="<i8").reshape(op.indices_shape)
        return (kernels.gather(args[0], indices, axis=op.axis_value),)

    @impl(top.ResizeOp)
    def run_resize(
        self, interpreter: Interpreter, op: top.ResizeOp, args: PythonValues
    ) -> PythonValues:
        return (resize(args[0], op),)


def location_name(op: Operation) -> str | None:
    """The ONNX node name an op carries in its `loc("...")`, if any."""
    location = op.location
    if isinstance(location, NameLoc):
        return location.desc.data
    return None


@dataclass
class _DumpAll(Interpreter.Listener):
    """Keeps every op's results, keyed by the op's location name (or `op#index`); results after
    the first (the pieces of a split) get `:1`, `:2`, ... appended."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    count: int = 0

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        self.count += 1
        if not results or isinstance(op, top.WeightOp | func.ReturnOp):
            return
        key = location_name(op) or f"{op.name}#{self.count}"
        self.values[key] = np.asarray(results[0])
        for index, value in enumerate(results[1:], start=1):
            self.values[f"{key}:{index}"] = np.asarray(value)


def main_function(module: ModuleOp, name: str = "main") -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    functions = [op.sym_name.data for op in module.ops if isinstance(op, func.FuncOp)]
    if len(functions) == 1:
        return next(op for op in module.ops if isinstance(op, func.FuncOp))
    raise InterpreterError(f"no function @{name} to run (functions: {functions or 'none'})")


def _attr_name(attrs: Any, index: int) -> str | None:
    if attrs is None or index >= len(attrs.data):
        return None
    entry = attrs.data[index].data.get(NAME_ATTR)
    return entry.data if isinstance(entry, StringAttr) else None


def input_names(function: func.FuncOp) -> list[str]:
    """Graph input names: the `onnx.name` argument attribute, else the consuming `top.input`'s
    location, else `input<i>`."""
    names = []
    for index, arg in enumerate(function.body.block.args):
        name = _attr_name(function.arg_attrs, index)
        if name is None:
            users = [use.operation for use in arg.uses if isinstance(use.operation, top.InputOp)]
            name = location_name(users[0]) if users else None
        names.append(name or f"input{index}")
    return names


def output_names(function: func.FuncOp) -> list[str]:
    """Graph output names: the `onnx.name` result attribute, else the producer's location."""
    returned = function.body.block.last_op
    assert isinstance(returned, func.ReturnOp)
    names = []
    for index, value in enumerate(returned.arguments):
        name = _attr_name(function.res_attrs, index)
        if name is None and isinstance(value.owner, Operation):
            name = location_name(value.owner)
        names.append(name or f"output{index}")
    return names


@dataclass
class RunResult:
    outputs: dict[str, np.ndarray]
    all_values: dict[str, np.ndarray] | None = None


def function_inputs(
    fn: func.FuncOp,
    inputs: Mapping[str, np.ndarray],
    error: type[InterpreterError] = InterpreterError,
) -> list[np.ndarray]:
    """`fn`'s arguments from inputs keyed by the graph's input names, as float32 arrays of the
    shapes the graph expects; `error` (one line) names a missing input or a wrong shape."""
    names = input_names(fn)
    missing = [name for name in names if name not in inputs]
    if missing:
        raise error(f"missing input(s) {missing}; the graph takes {names}, got {sorted(inputs)}")
    args = []
    for name, arg in zip(names, fn.body.block.args, strict=True):
        value = np.asarray(inputs[name], dtype=np.float32)
        expected = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
        if value.shape != expected:
            raise error(
                f"input '{name}' has shape {list(value.shape)}, the graph expects {list(expected)}"
            )
        args.append(value)
    return args


def run_module(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    store: WeightStore | None = None,
    dump_all: bool = False,
    function: str = "main",
    listeners: Sequence[Interpreter.Listener] = (),
) -> RunResult:
    """Run `function` of a top-level module on named inputs; return named outputs.
    `listeners` observe every op interpreted (its arguments and results)."""
    fn = main_function(module, function)
    args = function_inputs(fn, inputs)
    listener = _DumpAll() if dump_all else None
    interpreter = Interpreter(module, listeners=(*listeners, *((listener,) if listener else ())))
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(TopFunctions(store or weight_store_of(module)))
    try:
        results = interpreter.call_op(fn, tuple(args))
    except kernels.KernelError as err:
        raise InterpreterError(str(err)) from None
    outputs = dict(zip(output_names(fn), (np.asarray(r) for r in results), strict=True))
    return RunResult(outputs, listener.values if listener else None)


__all__ = [
    "InterpreterError",
    "RunResult",
    "TopFunctions",
    "function_inputs",
    "input_names",
    "output_names",
    "run_module",
]
