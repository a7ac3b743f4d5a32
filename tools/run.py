"""`nntc-run`: execute IR with a reference on inputs from an `.npz` file.

    nntc-run model.mlir --input in.npz --output out.npz [--dump-all all.npz]

Input and output npz keys are the graph's input and output names; `--dump-all` stores every op's
result keyed by its location (the ONNX node name), for layer-by-layer comparison.

Four kinds of IR run:

- float IR (`top` ops on f32 tensors): the float32 reference interpreter;
- float tpu IR (`lower-to-tpu{mode=f32}` output, with or without `tpu.group`s): the tpu
  reference interpreter (`targets/reference/tpu_interpreter.py`), each tpu op by its documented
  meaning (f16 / bf16 results rounded to their type), so that a lowering can be checked before
  the simulator; `--dump-all` keys are locations as for top IR, where the ops a lowering made
  at one location give the last one's result;
- quant-level IR (the `quantize` output, e.g. `nntc-cali`'s `<net>_quant.mlir`): the chip's
  integer arithmetic, exactly as the INT8 bmodel computes it (`plan_int8_net` turns the IR into
  integer layers, `int8_reference` executes them);
- INT8 tpu IR (`lower-to-tpu{mode=int8}` output): the same, its layers read back from the tpu
  ops (`tpu_to_int8_net`), with the same options and keys (a cast or requant that shares its
  location with an earlier layer is keyed `<location>/quant.qcast`, ... as at the quant level).
  Its float layers run their tpu ops on the tpu reference interpreter
  (`targets/reference/tpu_interpreter.py`); without it they are refused with one line. Net inputs and outputs are float32, as the
  bmodel has them. `--dump-all` holds each layer's stored tensor (int8 / uint8, float32 for the
  dequantized net outputs), in the layer's IR shape: what the simulator leaves in DDR. With
  `--dequantize` it holds real float32 values instead, `(stored - zero point) * scale` with the
  scale and zero point of the layer's result type in the IR (the rule to apply by hand to the integers). `--fake-quant` runs
  the float fake-quant reference instead (the one `nntc-cali` scores strategies with).

Asymmetric activations (`quantize{asymmetric=true}`, zero points) run as INT8 code generation
runs them (docs/int8.md). Quant or tpu IR outside the integer code generator's slice (an op
without an INT8 layer, asymmetric weights, ...) is refused with one line naming every op that
cannot run (`--fake-quant` still runs such quant IR); float layers inside the net run on the
float reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType

from nntc.diagnostics import UsageError
from nntc.ir_io import IRFileError, read_ir
from nntc.targets.atomic import save_npz_atomically

if TYPE_CHECKING:
    from xdsl.ir import Operation

    from nntc.passes.lowering.int8 import Buf, Int8Net


class Int8RunError(Exception):
    """Quant IR the integer reference cannot execute; the message is one line."""


def _is_int8_tpu_ir(module: ModuleOp) -> bool:
    from nntc.passes.lowering.int8_tpu import is_int8_tpu_ir

    return is_int8_tpu_ir(module)


def _is_tpu_ir(module: ModuleOp) -> bool:
    from nntc.targets.reference.tpu_interpreter import is_tpu_ir

    return is_tpu_ir(module)


def _load_inputs(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise UsageError(f"input file '{path}' not found") from None
    except (OSError, ValueError) as err:
        raise UsageError(f"input file '{path}' is not a readable .npz ({err})") from None


def is_quant_ir(module: ModuleOp) -> bool:
    """Whether the module is quant-level IR: a `quant` op or a quantized tensor anywhere."""
    from nntc.dialects.quant import QuantizedType

    for op in module.walk():
        if op.name.startswith("quant."):
            return True
        for value in op.results:
            ty = value.type
            if isinstance(ty, TensorType) and isinstance(ty.get_element_type(), QuantizedType):
                return True
    return False


def layer_entries(
    module: ModuleOp, net: Int8Net
) -> list[tuple[str, tuple[int, ...], float | None]]:
    """For each layer of `net` (planned from `module`): its `--dump-all` key, IR shape and result
    scale (None for a float result).

    The key is the layer's name (the op's location, the ONNX node name); a cast `quantize`
    added at a node's result carries the node's location too, and takes the key
    `<node>/<op name>` (`fc/quant.dcast`), so that no tensor is hidden by another.
    """
    from nntc.dialects import top
    from nntc.dialects.quant import UniformQuantType
    from nntc.passes.lower_to_tpu import location_of
    from nntc.passes.lowering.int8_tpu import is_int8_tpu_ir, tpu_entries

    if is_int8_tpu_ir(module):
        return _match_layers(tpu_entries(module), net)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    ops: list[tuple[str, str, tuple[int, ...], float | None]] = []
    for index, op in enumerate(fn.body.block.ops):
        if isinstance(op, top.WeightOp | func.ReturnOp) or not op.results:
            continue
        label = location_of(op)
        if label == "unknown":
            label = f"{op.name}#{index}"
        ty = op.results[0].type
        assert isinstance(ty, TensorType)
        el = ty.get_element_type()
        scale = float(el.scale) if isinstance(el, UniformQuantType) else None
        ops.append((label, op.name, tuple(ty.get_shape()), scale))
    return _match_layers(ops, net)


def _match_layers(
    ops: list[tuple[str, str, tuple[int, ...], float | None]], net: Int8Net
) -> list[tuple[str, tuple[int, ...], float | None]]:
    """The `layer_entries` of `net` from the IR's ops: (location, op name, shape, scale)."""
    entries: list[tuple[str, tuple[int, ...], float | None]] = []
    used: set[str] = set()
    cursor = 0
    for layer in net.layers:
        # layers follow the ops in order; ops that only alias a buffer (reshape) make none
        found = next((i for i in range(cursor, len(ops)) if ops[i][0] == layer.name), None)
        if found is None:
            shape, scale, op_name = tuple(layer.output.shape), None, type(layer).__name__
        else:
            cursor = found + 1
            _, op_name, shape, scale = ops[found]
            if math.prod(shape) != math.prod(layer.output.shape):
                shape = tuple(layer.output.shape)
        key = layer.name if layer.name not in used else f"{layer.name}/{op_name}"
        while key in used:
            key += "'"
        used.add(key)
        entries.append((key, shape, scale))
    return entries


def run_int8(
    module: ModuleOp, inputs: Mapping[str, np.ndarray], dequantize: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(net outputs, every layer's tensor) of quant-level IR with the chip's integer arithmetic.

    Layer tensors are the stored integers (float32 for dequantized results) in their IR shapes,
    or with `dequantize` the real values `(stored - zero point) * scale`. Raises `Int8RunError`.
    """
    from xdsl.utils.exceptions import DiagnosticException

    from nntc.passes.lowering.int8 import Float, plan_int8_net, zero_point
    from nntc.passes.lowering.int8_reference import run_int8_net
    from nntc.passes.lowering.int8_tpu import is_int8_tpu_ir, tpu_to_int8_net

    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    tpu_level = is_int8_tpu_ir(module)
    what = "INT8 tpu IR" if tpu_level else "quant IR"
    if len(funcs) != 1:
        raise Int8RunError(f"{what} must hold one func.func (the net), got {len(funcs)}")
    try:
        if tpu_level:
            net = tpu_to_int8_net(module, evaluate=_tpu_reference())
        else:
            net = plan_int8_net(module)
    except DiagnosticException as err:
        lines = [line.strip() for line in str(err).strip().splitlines()]
        ops = "; ".join(line for line in lines[1:] if line) or lines[0]
        raise Int8RunError(f"cannot run this {what} with integer arithmetic: {ops}") from None
    unrunnable = [
        f'{layer.tpu_ops[-1].name} at loc("{layer.name}")'
        for layer in net.layers
        if isinstance(layer, Float) and layer.op is None and layer.evaluate is None
    ]
    if unrunnable:
        raise Int8RunError(
            f"float layers of tpu IR need the tpu reference interpreter "
            f"(nntc.targets.reference.tpu_interpreter is not available): {'; '.join(unrunnable)}"
        )
    names = [name for name, _ in net.inputs]
    missing = [name for name in names if name not in inputs]
    if missing:
        raise Int8RunError(f"missing input(s) {missing}; the graph takes {names}")
    for name, buf in net.inputs:
        shape = tuple(np.shape(inputs[name]))
        if shape != buf.io_shape:
            raise Int8RunError(
                f"input '{name}' has shape {list(shape)}, the graph expects {list(buf.io_shape)}"
            )
    entries = layer_entries(module, net)
    # the reference keys results by layer name: run the layers under their unique keys, without
    # the net outputs, so that no tensor shadows another
    renamed = [
        dataclasses.replace(layer, name=key)
        for layer, (key, _, _) in zip(net.layers, entries, strict=True)
    ]
    results = run_int8_net(dataclasses.replace(net, layers=renamed, outputs=[]), inputs)
    produced = {id(layer.output.root or layer.output): layer.name for layer in renamed}
    outputs: dict[str, np.ndarray] = {}
    for name, buf in net.outputs:
        source = produced.get(id(buf.root or buf))
        value = results[source] if source is not None else inputs[_input_of(net, buf)]
        outputs[name] = np.asarray(value, np.float32).reshape(buf.io_shape)
    layers: dict[str, np.ndarray] = {}
    for (key, shape, scale), layer in zip(entries, net.layers, strict=True):
        stored = np.asarray(results[key]).reshape(shape)
        if dequantize and scale is not None:
            q = stored.astype(np.int64) - zero_point(layer.output)
            stored = (q.astype(np.float32) * np.float32(scale)).astype(np.float32)
        layers[key] = stored
    return outputs, layers


def _tpu_reference() -> Callable[[Operation, Sequence[np.ndarray]], list[np.ndarray]] | None:
    """The reference of float tpu ops (`evaluate_tpu_op`), None while there is none."""
    try:
        from nntc.targets.reference.tpu_interpreter import evaluate_tpu_op
    except ImportError:
        return None
    return evaluate_tpu_op  # type: ignore[no-any-return]


def _input_of(net: Int8Net, buf: Buf) -> str:
    """The net input whose bytes a net output is (a net that only reshapes its input)."""
    root = buf.root or buf
    return next(name for name, b in net.inputs if (b.root or b) is root)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="nntc-run",
        description="Run IR with nntc's references: float IR with the float32 interpreter, "
        "quant-level IR with the chip's integer arithmetic.",
    )
    parser.add_argument("ir", type=Path, help="the .mlir file (its weight store is loaded too)")
    parser.add_argument("--input", type=Path, required=True, help="npz keyed by graph inputs")
    parser.add_argument("--output", type=Path, required=True, help="npz keyed by graph outputs")
    parser.add_argument("--dump-all", type=Path, help="npz of every op's result, by location")
    parser.add_argument(
        "--dequantize",
        action="store_true",
        help="quant IR: --dump-all holds real values ((q - zp) * scale) instead of the integers",
    )
    parser.add_argument(
        "--fake-quant",
        action="store_true",
        help="quant IR: run the float fake-quant reference instead of the integer arithmetic",
    )
    parser.add_argument("--function", default="main", help="the function to run (default: main)")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    args = parser.parse_args(argv)

    from nntc.targets.reference.interpreter import InterpreterError, run_module

    try:
        inputs = _load_inputs(args.input)
        module = read_ir(args.ir)
        dump: dict[str, np.ndarray] | None = None
        tpu_level = _is_int8_tpu_ir(module)
        if args.fake_quant and tpu_level:
            raise UsageError("--fake-quant applies to quant-level IR, not to INT8 tpu IR")
        if (tpu_level or is_quant_ir(module)) and not args.fake_quant:
            if args.function != "main":
                raise UsageError("--function: quant IR runs its one function only")
            outputs, layers = run_int8(module, inputs, dequantize=args.dequantize)
            dump = layers
        else:
            if args.dequantize:
                raise UsageError("--dequantize applies to quant IR run with integer arithmetic")
            if is_quant_ir(module):
                from nntc.targets.reference.quant_functions import run_quant_module

                result = run_quant_module(
                    module, inputs, dump_all=args.dump_all is not None, function=args.function
                )
            elif _is_tpu_ir(module):
                from nntc.targets.reference.tpu_interpreter import run_tpu_module

                result = run_tpu_module(
                    module, inputs, dump_all=args.dump_all is not None, function=args.function
                )
            else:
                result = run_module(
                    module, inputs, dump_all=args.dump_all is not None, function=args.function
                )
            outputs, dump = result.outputs, result.all_values
        save_npz_atomically(args.output, outputs)
        if args.dump_all is not None and dump is not None:
            save_npz_atomically(args.dump_all, dump)
    except (UsageError, IRFileError, InterpreterError, Int8RunError) as err:
        if args.debug:
            raise
        sys.stderr.write(f"nntc-run: error: {err}\n")
        sys.exit(1)
    for name, value in outputs.items():
        print(f"{name}: {list(value.shape)} {value.dtype}")


if __name__ == "__main__":
    main()
