"""Fake-quant execution of quant-level IR: the `quant` ops and top ops on quantized tensors.

At the quant level (after `quantize`) a tensor with a quantized element type holds its stored
integers (numpy `int8`, `uint8`, `int32` arrays); f16 tensors are `float16` arrays and bf16
tensors float32 arrays holding bf16 values. `QuantFunctions` runs such IR:

- `quant.qcast` / `quant.dcast` / `quant.requant` with `quant.quantize` / `quant.dequantize`, so
  casts round as the types and the module's rounding mode (`quant.round_mode`) say;
- `quant.lut`: the table entry of each input byte (`quant.lut_index`);
- `arith.extf` / `arith.truncf` between f32, f16 and bf16;
- every top op of the float reference (`TopFunctions`, whatever ops it implements) with
  fake-quant semantics: dequantize the operands, compute in float32 with the float kernel, then
  quantize (or round to f16/bf16) into the result type. An op whose tensors are all f32 runs the
  float kernel unchanged, so the class is a drop-in superset of `TopFunctions`.

Integer-exact execution (multipliers, shifts, int32 accumulation) is the tpu level's business;
this is the numeric definition of the quant level that it must approximate.

Wiring into `run_module` (`nntc.targets.reference.interpreter`): replace
`TopFunctions(store or weight_store_of(module))` by
`reference_functions(module, store or weight_store_of(module))`. Until then
`run_quant_module` here is the same runner with these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.interpreter import Interpreter, OpImplResult, PythonValues, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Attribute, Operation

from nntc.dialects import quant, top
from nntc.dialects.quant import ROUND_MODE_ATTR, QuantizedType
from nntc.targets.reference.interpreter import (
    RunResult,
    TopFunctions,
    function_inputs,
    input_names,
    location_name,
    main_function,
    output_names,
)
from nntc.targets.weight_store import WeightStore, weight_store_of

DEFAULT_ROUND_MODE = "half_away_from_zero"


def _element(type_: Attribute) -> Attribute:
    return type_.get_element_type() if isinstance(type_, TensorType) else type_


def round_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 values rounded to nearest-even bfloat16, held as float32."""
    bits = np.ascontiguousarray(values, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).reshape(np.shape(values))


def to_float(value: Any, type_: Attribute) -> np.ndarray:
    """The real values of a runtime tensor of `type_`, as float32."""
    element = _element(type_)
    if isinstance(element, QuantizedType):
        return quant.dequantize(value, element)
    return np.asarray(value, np.float32)


def from_float(value: Any, type_: Attribute, round_mode: str) -> np.ndarray:
    """Real values stored as a runtime tensor of `type_` (quantized, f16, bf16 or f32)."""
    element = _element(type_)
    if isinstance(element, QuantizedType):
        return quant.quantize(value, element, round_mode)  # type: ignore[arg-type]
    if isinstance(element, Float16Type):
        return np.asarray(value, np.float16)
    if isinstance(element, BFloat16Type):
        return round_to_bf16(np.asarray(value, np.float32))
    return np.asarray(value, np.float32)


def _is_plain(op: Operation) -> bool:
    return all(isinstance(_element(v.type), Float32Type) for v in (*op.operands, *op.results))


def _fake_quant(kernel: Callable[..., OpImplResult]) -> Callable[..., PythonValues]:
    """A top op implementation that dequantizes, runs `kernel` in float32 and requantizes.

    `kernel` is a registered implementation, which returns an `OpImplResult`.
    """

    def run(
        self: QuantFunctions, interpreter: Interpreter, op: Operation, args: PythonValues
    ) -> PythonValues:
        if _is_plain(op):
            return kernel(self, interpreter, op, args).values
        floats = tuple(
            self.weight_float(a, v.type)
            if isinstance(v.owner, top.WeightOp)
            else to_float(a, v.type)
            for a, v in zip(args, op.operands, strict=True)
        )
        results = kernel(self, interpreter, op, floats).values
        return tuple(
            from_float(r, v.type, self.round_mode) for r, v in zip(results, op.results, strict=True)
        )

    return run


@dataclass
class QuantFunctions(TopFunctions):
    """`TopFunctions` plus the quant ops and fake-quant semantics for quantized top ops."""

    round_mode: str = DEFAULT_ROUND_MODE
    _weight_floats: dict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def weight_float(self, value: Any, type_: Attribute) -> np.ndarray:
        """`to_float` of a weight, computed once per stored array: a weight's real values are
        the same on every run, and dequantizing the weights of a net on every sample would cost
        more than its convolutions' im2col."""
        entry = self._weight_floats.get(id(value))
        # the entry keeps its source alive, so an equal id is the same array
        if entry is not None and entry[0] is value:
            return entry[1]
        result = to_float(value, type_)
        if result is not value:
            result.flags.writeable = False  # shared by every run: a kernel must not write it
        self._weight_floats[id(value)] = (value, result)
        return result

    @impl(quant.QuantizeCastOp)
    def run_qcast(self, interpreter: Interpreter, op: quant.QuantizeCastOp, args: PythonValues):
        return (from_float(to_float(args[0], op.input.type), op.output.type, self.round_mode),)

    @impl(quant.DequantizeCastOp)
    def run_dcast(self, interpreter: Interpreter, op: quant.DequantizeCastOp, args: PythonValues):
        return (from_float(to_float(args[0], op.input.type), op.output.type, self.round_mode),)

    @impl(quant.RequantizeCastOp)
    def run_requant(self, interpreter: Interpreter, op: quant.RequantizeCastOp, args: PythonValues):
        in_q, out_q = _element(op.input.type), _element(op.output.type)
        assert isinstance(in_q, QuantizedType) and isinstance(out_q, QuantizedType)
        # in float64, so that the only rounding is the one into the result type
        q = np.asarray(args[0]).astype(np.int64) - in_q.zero_points_for(np.ndim(args[0]))
        real = q * in_q.scales_for(np.ndim(args[0]))
        return (quant.quantize(real, out_q, self.round_mode),)  # type: ignore[arg-type]

    @impl(quant.LutOp)
    def run_lut(self, interpreter: Interpreter, op: quant.LutOp, args: PythonValues):
        table = np.asarray(args[1])
        return (table[quant.lut_index(args[0])],)

    @impl(arith.ExtFOp)
    def run_extf(self, interpreter: Interpreter, op: arith.ExtFOp, args: PythonValues):
        return (from_float(to_float(args[0], op.input.type), op.result.type, self.round_mode),)

    @impl(arith.TruncFOp)
    def run_truncf(self, interpreter: Interpreter, op: arith.TruncFOp, args: PythonValues):
        return (from_float(to_float(args[0], op.input.type), op.result.type, self.round_mode),)


# Every top op implementation of the float reference, wrapped; sources pass their stored values
# through untouched (a quantized weight's store entry already holds its integers).
for _op_type, _kernel in TopFunctions._impls():  # noqa: SLF001
    if _op_type not in (top.InputOp, top.WeightOp):
        setattr(
            QuantFunctions,
            f"run_fake_quant_{_op_type.__name__}",
            impl(_op_type)(_fake_quant(_kernel)),
        )
register_impls(QuantFunctions)


def module_round_mode(module: ModuleOp) -> str:
    """The rounding mode `quantize` recorded on the module (the default if none)."""
    attr = module.attributes.get(ROUND_MODE_ATTR)
    return attr.data if isinstance(attr, StringAttr) else DEFAULT_ROUND_MODE


def reference_functions(module: ModuleOp, store: WeightStore) -> QuantFunctions:
    """The interpreter functions for top- or quant-level `module` (see the module docstring)."""
    return QuantFunctions(store, round_mode=module_round_mode(module))


class QuantRunner:
    """Runs one quant-level module on many inputs, sharing the work that does not depend on them.

    The interpreter functions (and with them each weight's dequantized values) are built once;
    every `run` gives the result `run_quant_module` gives for the same inputs.
    """

    def __init__(
        self, module: ModuleOp, *, store: WeightStore | None = None, function: str = "main"
    ) -> None:
        self.module = module
        self.function = main_function(module, function)
        self.names = input_names(self.function)
        self.functions = reference_functions(module, store or weight_store_of(module))

    def run(
        self,
        inputs: Mapping[str, np.ndarray],
        *,
        dump_all: bool = False,
        keep_stored: bool = False,
        listeners: Sequence[Interpreter.Listener] = (),
    ) -> QuantRunResult:
        """Named f32 inputs in, named outputs out; `dump_all` as in `run_quant_module`;
        `listeners` observe every op interpreted (arguments and results in stored form).

        `keep_stored` keeps the values `dump_all` would give in their stored form instead
        (`QuantRunResult.stored`): an int8 tensor costs a quarter of its real values' memory and
        nothing to keep, for a caller that may want the real values later.
        """
        args = tuple(function_inputs(self.function, inputs))
        dumped: dict[str, np.ndarray] = {}
        stored: dict[str, tuple[np.ndarray, Attribute]] = {}

        class _Dump(Interpreter.Listener):
            def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
                if results and not isinstance(op, top.WeightOp) and (key := location_name(op)):
                    if dump_all:
                        dumped[key] = to_float(results[0], op.results[0].type)
                    if keep_stored:
                        stored[key] = (results[0], op.results[0].type)

        listening = dump_all or keep_stored
        interpreter = Interpreter(
            self.module, listeners=(*listeners, *((_Dump(),) if listening else ()))
        )
        interpreter.register_implementations(FuncFunctions())
        interpreter.register_implementations(self.functions)
        results = interpreter.call_op(self.function, args)
        names = output_names(self.function)
        outputs = dict(zip(names, (np.asarray(r) for r in results), strict=True))
        return QuantRunResult(
            outputs,
            dumped if dump_all else None,
            StoredValues(stored) if keep_stored else None,
        )


@dataclass
class StoredValues:
    """Every op's first result of a quant-level run as it was stored (the integers of a
    quantized tensor), with its type, by location (`QuantRunner.run`'s `keep_stored`)."""

    values: dict[str, tuple[np.ndarray, Attribute]]

    def real(self) -> dict[str, np.ndarray]:
        """The real values, exactly as `dump_all` gives them."""
        return {name: to_float(value, type_) for name, (value, type_) in self.values.items()}


@dataclass
class QuantRunResult(RunResult):
    stored: StoredValues | None = None


def run_quant_module(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    store: WeightStore | None = None,
    dump_all: bool = False,
    function: str = "main",
) -> RunResult:
    """`run_module` for quant-level IR: named f32 inputs in, named outputs out.

    `dump_all` keeps every op's first result by location, as real (dequantized) float32 values
    so that they compare with the float reference's. For many inputs, `QuantRunner` shares the
    weights' dequantization between them.
    """
    return QuantRunner(module, store=store, function=function).run(inputs, dump_all=dump_all)


__all__ = [
    "QuantFunctions",
    "QuantRunResult",
    "QuantRunner",
    "StoredValues",
    "from_float",
    "module_round_mode",
    "reference_functions",
    "round_to_bf16",
    "run_quant_module",
    "to_float",
]
