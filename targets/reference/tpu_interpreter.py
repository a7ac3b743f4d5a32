"""The float reference of `tpu` IR: what every float tpu op means, in numpy.

`lower-to-tpu{mode=f32}` output (and the float layers of INT8 nets at the tpu level) can be
checked numerically here before the simulator: each op is the `targets/reference` kernel of its
documented semantics (dialects/tpu.py), not the chip's command sequence, so a wrong lowering
shows up as a difference from the top interpreter and from ONNX.

- `evaluate_tpu_op(op, args)`: one tpu op on the values of its operands (weights included, in
  operand order); returns its results. Ops on f16 / bf16 tensors compute in float32 and round the
  result to the element type (nearest even, `round_to_kind`); 16-bit values are held as float32
  arrays of the rounded values, as in the INT8 reference. A fused ReLU (`do_relu`, `relu_limit`)
  is applied before that rounding.
- `run_tpu_module(module, inputs)`: a whole tpu-level function, weights from the module's weight
  store (rounded to their element type), inputs and outputs keyed by the graph's names as in the
  top interpreter. Layer groups run: every op in a `tpu.group` sees the whole logical tensor (the
  slicing of `tpu.load` / `tpu.store` is a schedule, not a change of meaning), so a load or
  store is its operand and the group's results are what `tpu.yield` gives. `dump_all` keeps each
  op's result by location; where a lowering made several ops at one location (a pool and its
  scale, a conv and its depth_to_space), the last one's result is the layer's.

Integer tpu ops (`tpu.requant`, `tpu.lut`, any op on integer or quant tensors, casts to and from
them) are the INT8 reference's business: they are refused with one line naming the op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import BFloat16Type, Float16Type, ModuleOp, TensorType
from xdsl.interpreter import (
    Interpreter,
    InterpreterFunctions,
    PythonValues,
    ReturnedValues,
    TerminatorValue,
    impl,
    impl_terminator,
    register_impls,
)
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Attribute, Operation, SSAValue

from nntc.dialects import top, tpu
from nntc.targets.reference import kernels
from nntc.targets.reference.interpreter import (
    InterpreterError,
    RunResult,
    function_inputs,
    location_name,
    main_function,
    output_names,
)
from nntc.targets.weight_store import WeightStore, WeightStoreError, weight_store_of, weight_value

__all__ = [
    "FLOAT_KERNELS",
    "TpuFunctions",
    "TpuInterpreterError",
    "evaluate_tpu_op",
    "is_tpu_ir",
    "run_tpu_module",
]


class TpuInterpreterError(InterpreterError):
    """A tpu op or module the float reference cannot run; the message is one line."""


Kernel = Callable[[Operation, list[np.ndarray]], np.ndarray]

FLOAT_KERNELS: dict[type[Operation], Kernel] = {}
"""tpu op class -> its float32 semantics (before the fused ReLU and the rounding)."""


def _kernel(*op_types: type[Operation]) -> Callable[[Kernel], Kernel]:
    def register(fn: Kernel) -> Kernel:
        for op_type in op_types:
            FLOAT_KERNELS[op_type] = fn
        return fn

    return register


def _where(op: Operation) -> str:
    name = location_name(op)
    return f'{op.name} at loc("{name}")' if name is not None else op.name


def _shape(value: SSAValue) -> tuple[int, ...]:
    ty = value.type
    assert isinstance(ty, TensorType)
    return tuple(ty.get_shape())


def _ints(op: Operation, key: str) -> tuple[int, ...]:
    return tuple(int(v) for v in op.properties[key].get_values())  # type: ignore[attr-defined]


def _float_prop(op: Operation, key: str) -> float:
    return float(op.properties[key].value.data)  # type: ignore[attr-defined]


def _kind(elem: Attribute) -> str:
    """`f16`, `bf16` or `f32`: the rounding `round_to_kind` applies for a float element type."""
    if isinstance(elem, Float16Type):
        return "f16"
    if isinstance(elem, BFloat16Type):
        return "bf16"
    return "f32"


def round_to_kind(x: np.ndarray, kind: str) -> np.ndarray:
    """float32 values rounded to f16 / bf16 (nearest even), as float32; f32 as is."""
    if kind == "f32":
        return np.asarray(x, np.float32)
    # the INT8 reference's rounding, imported late: that module loads the INT8 planner
    from nntc.passes.lowering.int8_reference import round_to_kind as rounding

    return rounding(x, kind)


# --- convolution and matrix product -----------------------------------------------------------


@_kernel(tpu.Conv2dOp)
def _conv2d(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, w, *bias = args
    return kernels.conv(
        x,
        w,
        bias[0].reshape(-1) if bias else None,
        strides=_ints(op, "strides"),
        pads=_ints(op, "pads"),
        dilations=_ints(op, "dilations"),
        group=op.properties["group"].value.data,  # type: ignore[attr-defined]
    )


@_kernel(tpu.Deconv2dOp)
def _deconv2d(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    """The filter is the equivalent convolution's `[oc, ic / group, kh, kw]`: back to ONNX's
    `[ic, oc / group, kh, kw]` (channels swapped within each group, taps flipped), then ONNX
    ConvTranspose, which is that convolution over the zero-inserted input."""
    x, w, *bias = args
    group = op.properties["group"].value.data  # type: ignore[attr-defined]
    oc, icg, kh, kw = w.shape
    onnx_w = w.reshape(group, oc // group, icg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return kernels.conv_transpose(
        x,
        np.ascontiguousarray(onnx_w.reshape(group * icg, oc // group, kh, kw)),
        bias[0].reshape(-1) if bias else None,
        strides=_ints(op, "strides"),
        pads=_ints(op, "pads"),
        dilations=_ints(op, "dilations"),
        output_padding=_ints(op, "output_padding"),
        group=group,
    )


@_kernel(tpu.MatMulOp)
def _matmul(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    x, right, *bias = args
    y = kernels.matmul(x, right)
    if bias:
        y = y + bias[0].reshape(-1)
    return y


# --- elementwise ------------------------------------------------------------------------------


@_kernel(tpu.AddOp)
def _add(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    y = args[0]
    for x in args[1:]:
        y = kernels.add(y, x)
    return y


@_kernel(tpu.SubOp)
def _sub(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.sub(*args)


@_kernel(tpu.MulOp)
def _mul(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.mul(*args)


@_kernel(tpu.DivOp)
def _div(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.div(*args)


@_kernel(tpu.ReluOp)
def _relu(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    limit = op.properties.get("relu_limit")
    if limit is None:
        return kernels.relu(args[0])
    return kernels.clip(args[0], 0.0, float(limit.value.data))  # type: ignore[attr-defined]


_UNARY: dict[type[Operation], Callable[[np.ndarray], np.ndarray]] = {
    tpu.ExpOp: kernels.exp,
    tpu.SigmoidOp: kernels.sigmoid,
    tpu.TanhOp: kernels.tanh,
    tpu.ErfOp: kernels.erf,
    tpu.GeluOp: kernels.gelu,
    tpu.SqrtOp: kernels.sqrt,
    tpu.RsqrtOp: lambda x: np.float32(1.0) / kernels.sqrt(x),
    tpu.LogOp: kernels.log,
}


@_kernel(*_UNARY)
def _unary(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return _UNARY[type(op)](args[0])


@_kernel(tpu.HardSigmoidOp)
def _hardsigmoid(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.hard_sigmoid(
        args[0], alpha=_float_prop(op, "alpha"), beta=_float_prop(op, "beta")
    )


@_kernel(tpu.LeakyReluOp)
def _leaky_relu(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.leaky_relu(args[0], alpha=_float_prop(op, "alpha"))


@_kernel(tpu.PowOp)
def _pow(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return kernels.pow_(args[0], np.float32(_float_prop(op, "exponent")))


@_kernel(tpu.SoftmaxOp)
def _softmax(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.softmax(args[0], axis=op.properties["axis"].value.data)  # type: ignore[attr-defined]


# --- pooling ----------------------------------------------------------------------------------


@_kernel(tpu.MaxPoolOp)
def _maxpool(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.max_pool(
        args[0],
        kernel_shape=_ints(op, "kernel_shape"),
        strides=_ints(op, "strides"),
        pads=_ints(op, "pads"),
    )


@_kernel(tpu.AvgPoolOp)
def _avgpool(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    include = op.properties["count_include_pad"].value.data  # type: ignore[attr-defined]
    return kernels.average_pool(
        args[0],
        kernel_shape=_ints(op, "kernel_shape"),
        strides=_ints(op, "strides"),
        pads=_ints(op, "pads"),
        count_include_pad=int(bool(include)),
    )


# --- data movement ----------------------------------------------------------------------------


@_kernel(tpu.ReshapeOp)
def _reshape(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.reshape(args[0], _shape(op.results[0]))


@_kernel(tpu.ConcatOp)
def _concat(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return kernels.concat(*args, axis=op.properties["axis"].value.data)  # type: ignore[attr-defined]


@_kernel(tpu.PermuteOp)
def _permute(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(args[0], _ints(op, "order")))


@_kernel(tpu.SliceOp)
def _slice(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    index = tuple(
        slice(start, start + step * (count - 1) + 1, step)
        for start, step, count in zip(
            _ints(op, "offsets"), _ints(op, "steps"), _shape(op.results[0]), strict=True
        )
    )
    return np.array(args[0][index])


@_kernel(tpu.ExpandOp)
def _expand(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    return np.array(np.broadcast_to(args[0], _shape(op.results[0])))


@_kernel(tpu.UpsampleOp)
def _upsample(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    sh, sw = _ints(op, "scales")
    return np.repeat(np.repeat(args[0], sh, axis=2), sw, axis=3)


@_kernel(tpu.DepthToSpaceOp)
def _depth_to_space(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    """DCR: result[n, c, bh*i + a, bw*j + b] = input[n, (a*bw + b)*C + c, i, j]."""
    bh, bw = _ints(op, "block")
    n, c, h, w = args[0].shape
    blocks = args[0].reshape(n, bh, bw, c // (bh * bw), h, w)
    return blocks.transpose(0, 3, 4, 1, 5, 2).reshape(n, c // (bh * bw), h * bh, w * bw)


@_kernel(tpu.CastOp)
def _cast(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    # between floats only (integer casts are refused before): the rounding to the result's
    # type is the whole op
    return args[0]


@_kernel(tpu.LoadOp, tpu.StoreOp)
def _transfer(op: Operation, args: list[np.ndarray]) -> np.ndarray:
    # each op of a group sees the whole logical tensor; the slices are the schedule
    return args[0]


# --- the op-level API -------------------------------------------------------------------------


def _integer_value(op: Operation) -> bool:
    return any(
        isinstance(v.type, TensorType) and tpu.is_integer(v.type.get_element_type())
        for v in (*op.operands, *op.results)
    )


def _check_runnable(op: Operation) -> None:
    if op.dialect_name() != "tpu":
        raise TpuInterpreterError(f"{_where(op)}: not a tpu op (the tpu reference runs tpu ops)")
    if isinstance(op, tpu.RequantOp | tpu.LutOp) or _integer_value(op):
        raise TpuInterpreterError(
            f"{_where(op)}: an integer tpu op; the float tpu reference runs float ops only "
            "(the INT8 reference runs integer ones)"
        )
    if isinstance(op, tpu.GroupOp | tpu.YieldOp):
        raise TpuInterpreterError(
            f"{_where(op)}: a layer group runs as a whole module (run_tpu_module), not op by op"
        )
    if type(op) not in FLOAT_KERNELS:
        raise TpuInterpreterError(f"{_where(op)}: no float reference for this tpu op")


def _fused_relu(op: Operation, y: np.ndarray) -> np.ndarray:
    flag = op.properties.get("do_relu")
    if flag is None or not flag.value.data:  # type: ignore[attr-defined]
        return y
    limit = op.properties.get("relu_limit")
    if limit is None:
        return np.maximum(y, np.float32(0))
    return np.clip(y, np.float32(0), np.float32(limit.value.data))  # type: ignore[attr-defined]


def evaluate_tpu_op(op: Operation, args: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The results of the float tpu op `op` on `args`, the values of its operands in operand
    order (weights included). Values are float32 arrays; a result of f16 / bf16 type holds
    float32 values rounded to that type. Raises `TpuInterpreterError` (one line) for integer
    ops, groups and ops without a reference."""
    _check_runnable(op)
    values = [np.asarray(a, np.float32) for a in args]
    if len(values) != len(op.operands):
        raise TpuInterpreterError(
            f"{_where(op)}: got {len(values)} values for {len(op.operands)} operands"
        )
    try:
        y = FLOAT_KERNELS[type(op)](op, values)
    except kernels.KernelError as err:
        raise TpuInterpreterError(f"{_where(op)}: {err}") from None
    result = op.results[0]
    y = np.asarray(_fused_relu(op, np.asarray(y, np.float32)), np.float32)
    if y.shape != _shape(result):
        raise TpuInterpreterError(
            f"{_where(op)}: computed shape {list(y.shape)}, the IR says {list(_shape(result))}"
        )
    ty = result.type
    assert isinstance(ty, TensorType)
    return [round_to_kind(y, _kind(ty.get_element_type()))]


# --- the module-level API ---------------------------------------------------------------------


def _run_float_op(
    self: InterpreterFunctions, interpreter: Interpreter, op: Operation, args: PythonValues
) -> PythonValues:
    return tuple(evaluate_tpu_op(op, args))


@dataclass
class TpuFunctions(InterpreterFunctions):
    """xDSL interpreter functions of tpu IR: the weights of the store, layer groups (their
    bodies), and every float tpu op by `evaluate_tpu_op` (added below, one impl per op class
    of `FLOAT_KERNELS`, so that the op-level and the module-level references are one code)."""

    store: WeightStore = field(default_factory=WeightStore)

    @impl(top.WeightOp)
    def run_weight(
        self, interpreter: Interpreter, op: top.WeightOp, args: PythonValues
    ) -> PythonValues:
        try:
            value = weight_value(op, self.store)
        except (KeyError, WeightStoreError) as err:
            raise TpuInterpreterError(f"{_where(op)}: {err}") from None
        return (round_to_kind(np.asarray(value, np.float32), _kind(_element(op.output))),)

    @impl(tpu.GroupOp)
    def run_group(
        self, interpreter: Interpreter, op: tpu.GroupOp, args: PythonValues
    ) -> PythonValues:
        return interpreter.run_ssacfg_region(op.body, (), "tpu.group")

    @impl_terminator(tpu.YieldOp)
    def run_yield(
        self, interpreter: Interpreter, op: tpu.YieldOp, args: PythonValues
    ) -> tuple[TerminatorValue, PythonValues]:
        return ReturnedValues(args), ()


for _op_type in FLOAT_KERNELS:
    # one registered impl per op class: xDSL's dispatch is by exact type
    setattr(TpuFunctions, f"run_{_op_type.__name__}", impl(_op_type)(_run_float_op))
register_impls(TpuFunctions)


def _element(value: SSAValue) -> Attribute:
    ty = value.type
    assert isinstance(ty, TensorType)
    return ty.get_element_type()


def is_tpu_ir(module: ModuleOp) -> bool:
    """Whether the module holds tpu ops (the output of `lower-to-tpu`)."""
    return any(op.dialect_name() == "tpu" for op in module.walk())


@dataclass
class _DumpAll(Interpreter.Listener):
    """Every op's result by its location (`op#index` without one); a later op at the same
    location replaces an earlier one, so a layer lowered to several ops keeps its result."""

    values: dict[str, np.ndarray] = field(default_factory=dict)
    count: int = 0

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        self.count += 1
        skip = top.WeightOp | func.ReturnOp | tpu.GroupOp | tpu.LoadOp | tpu.StoreOp
        if not results or isinstance(op, skip):
            return
        self.values[location_name(op) or f"{op.name}#{self.count}"] = np.asarray(results[0])


_STRUCTURE = (top.WeightOp, func.ReturnOp, tpu.GroupOp, tpu.YieldOp)
"""Ops of a tpu-level function that are not computations of their own."""


def _check_module(fn: func.FuncOp) -> None:
    """Refuse, in one line naming them, the ops the float reference cannot run."""
    integer: list[str] = []
    other: list[str] = []
    for op in fn.body.walk():
        if op.dialect_name() == "tpu" and (
            isinstance(op, tpu.RequantOp | tpu.LutOp) or _integer_value(op)
        ):
            integer.append(_where(op))
        elif not isinstance(op, _STRUCTURE) and type(op) not in FLOAT_KERNELS:
            other.append(_where(op))
    problems = []
    for what, ops in (
        ("integer tpu ops (the INT8 reference runs them)", integer),
        ("ops without a float tpu reference", other),
    ):
        if ops:
            more = f" and {len(ops) - 3} more" if len(ops) > 3 else ""
            problems.append(f"{what}: {'; '.join(ops[:3])}{more}")
    if problems:
        raise TpuInterpreterError(f"cannot run this tpu IR: {'; '.join(problems)}")


def run_tpu_module(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    store: WeightStore | None = None,
    dump_all: bool = False,
    function: str = "main",
) -> RunResult:
    """Run `function` of float tpu IR on inputs keyed by the graph's input names; return the
    outputs by name (float32; 16-bit ones hold their rounded values) and, with `dump_all`,
    every op's result by location. Raises `TpuInterpreterError` with one line naming the op
    that cannot run, or the input that does not fit."""
    fn = main_function(module, function)
    _check_module(fn)
    args = [
        round_to_kind(value, _kind(_element(arg)))
        for value, arg in zip(
            function_inputs(fn, inputs, TpuInterpreterError), fn.body.block.args, strict=True
        )
    ]
    listener = _DumpAll() if dump_all else None
    interpreter = Interpreter(module, listeners=(listener,) if listener else ())
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(TpuFunctions(store or weight_store_of(module)))
    results = interpreter.call_op(fn, tuple(args))
    outputs = dict(zip(output_names(fn), (np.asarray(r) for r in results), strict=True))
    return RunResult(outputs, listener.values if listener else None)
