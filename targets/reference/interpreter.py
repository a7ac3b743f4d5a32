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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, StringAttr
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation

from nntc.dialects import top
from nntc.targets.reference import kernels
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

NAME_ATTR = "onnx.name"
"""Argument/result attribute of `func.func @main` holding the ONNX graph input/output name."""


class InterpreterError(Exception):
    """The IR cannot be executed: a missing input, a wrong shape, an op without an implementation."""


def apply_relu(value: np.ndarray, op: top.ReluFusibleOp) -> np.ndarray:
    """The activation a top op fuses: relu, or relu clipped at `relu_limit`."""
    if not op.do_relu_value:
        return value
    limit = op.relu_limit_value
    return np.maximum(value, 0) if limit is None else np.clip(value, 0, limit)


@register_impls
@dataclass
class TopFunctions(InterpreterFunctions):
    """Numpy implementations of the `top` ops."""

    store: WeightStore = field(default_factory=WeightStore)

    @impl(top.InputOp)
    def run_input(self, interpreter: Interpreter, op: top.InputOp, args: PythonValues):
        return (args[0],)

    @impl(top.WeightOp)
    def run_weight(self, interpreter: Interpreter, op: top.WeightOp, args: PythonValues):
        return (weight_value(op, self.store),)

    @impl(top.ConvOp)
    def run_conv(self, interpreter: Interpreter, op: top.ConvOp, args: PythonValues):
        y = kernels.conv(
            *args,
            strides=op.strides_values,
            pads=op.pads_values,
            dilations=op.dilations_values,
            group=op.group_value,
        )
        return (apply_relu(y, op),)

    @impl(top.MatMulOp)
    def run_matmul(self, interpreter: Interpreter, op: top.MatMulOp, args: PythonValues):
        y = kernels.matmul(args[0], args[1])
        if len(args) > 2:
            y = y + args[2]
        return (apply_relu(y, op),)

    @impl(top.AddOp)
    def run_add(self, interpreter: Interpreter, op: top.AddOp, args: PythonValues):
        terms = [
            x if c == 1.0 else np.float32(c) * x for c, x in zip(op.coeff_values, args, strict=True)
        ]
        y = terms[0]
        for term in terms[1:]:
            y = y + term
        return (apply_relu(y, op),)

    @impl(top.MulOp)
    def run_mul(self, interpreter: Interpreter, op: top.MulOp, args: PythonValues):
        y = args[0]
        for x in args[1:]:
            y = y * x
        return (apply_relu(y, op),)

    @impl(top.ReluOp)
    def run_relu(self, interpreter: Interpreter, op: top.ReluOp, args: PythonValues):
        limit = op.relu_limit_value
        x = args[0]
        return (np.maximum(x, 0) if limit is None else np.clip(x, 0, limit),)

    @impl(top.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: top.SoftmaxOp, args: PythonValues):
        return (kernels.softmax(args[0], axis=op.axis_value),)

    @impl(top.MaxPoolOp)
    def run_maxpool(self, interpreter: Interpreter, op: top.MaxPoolOp, args: PythonValues):
        y = kernels.max_pool(
            args[0],
            kernel_shape=op.kernel_shape_values,
            strides=op.strides_values,
            pads=op.pads_values,
            ceil_mode=int(op.ceil_mode_value),
        )
        return (apply_relu(y, op),)

    @impl(top.AvgPoolOp)
    def run_avgpool(self, interpreter: Interpreter, op: top.AvgPoolOp, args: PythonValues):
        y = kernels.average_pool(
            args[0],
            kernel_shape=op.kernel_shape_values,
            strides=op.strides_values,
            pads=op.pads_values,
            ceil_mode=int(op.ceil_mode_value),
            count_include_pad=int(op.count_include_pad_value),
        )
        return (apply_relu(y, op),)

    @impl(top.GlobalAvgPoolOp)
    def run_global_avgpool(
        self, interpreter: Interpreter, op: top.GlobalAvgPoolOp, args: PythonValues
    ):
        return (kernels.global_average_pool(args[0]),)

    @impl(top.ReshapeOp)
    def run_reshape(self, interpreter: Interpreter, op: top.ReshapeOp, args: PythonValues):
        return (np.reshape(args[0], op.output.type.get_shape()),)

    @impl(top.ConcatOp)
    def run_concat(self, interpreter: Interpreter, op: top.ConcatOp, args: PythonValues):
        return (kernels.concat(*args, axis=op.axis_value),)


def location_name(op: Operation) -> str | None:
    """The ONNX node name an op carries in its `loc("...")`, if any."""
    location = op.location
    if isinstance(location, NameLoc):
        return location.desc.data
    return None


@dataclass
class _DumpAll(Interpreter.Listener):
    """Keeps every op's first result, keyed by the op's location name (or `op#index`)."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    count: int = 0

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        self.count += 1
        if not results or isinstance(op, top.WeightOp | func.ReturnOp):
            return
        key = location_name(op) or f"{op.name}#{self.count}"
        self.values[key] = np.asarray(results[0])


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


def run_module(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    store: WeightStore | None = None,
    dump_all: bool = False,
    function: str = "main",
) -> RunResult:
    """Run `function` of a top-level module on named inputs; return named outputs."""
    fn = main_function(module, function)
    names = input_names(fn)
    missing = [name for name in names if name not in inputs]
    if missing:
        raise InterpreterError(
            f"missing input(s) {missing}; the graph takes {names}, got {sorted(inputs)}"
        )
    args = []
    for name, arg in zip(names, fn.body.block.args, strict=True):
        value = np.asarray(inputs[name], dtype=np.float32)
        expected = tuple(arg.type.get_shape())  # type: ignore[attr-defined]
        if value.shape != expected:
            raise InterpreterError(
                f"input '{name}' has shape {list(value.shape)}, the graph expects {list(expected)}"
            )
        args.append(value)
    listener = _DumpAll() if dump_all else None
    interpreter = Interpreter(module, listeners=(listener,) if listener else ())
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
    "input_names",
    "output_names",
    "run_module",
]
