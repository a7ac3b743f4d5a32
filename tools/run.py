"""`nntc-run`: execute IR with the reference interpreter on inputs from an `.npz` file.

    nntc-run model.mlir --input in.npz --output out.npz [--dump-all all.npz]

Input and output npz keys are the graph's input and output names; `--dump-all` stores every op's
result keyed by its location (the ONNX node name), for layer-by-layer comparison.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nntc.diagnostics import UsageError
from nntc.ir_io import IRFileError, read_ir
from nntc.targets.atomic import save_npz_atomically


def _load_inputs(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise UsageError(f"input file '{path}' not found") from None
    except (OSError, ValueError) as err:
        raise UsageError(f"input file '{path}' is not a readable .npz ({err})") from None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="nntc-run", description="Run IR with nntc's reference interpreter."
    )
    parser.add_argument("ir", type=Path, help="the .mlir file (its weight store is loaded too)")
    parser.add_argument("--input", type=Path, required=True, help="npz keyed by graph inputs")
    parser.add_argument("--output", type=Path, required=True, help="npz keyed by graph outputs")
    parser.add_argument("--dump-all", type=Path, help="npz of every op's result, by location")
    parser.add_argument("--function", default="main", help="the function to run (default: main)")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    args = parser.parse_args(argv)

    from nntc.targets.reference.interpreter import InterpreterError, run_module

    try:
        inputs = _load_inputs(args.input)
        module = read_ir(args.ir)
        result = run_module(
            module, inputs, dump_all=args.dump_all is not None, function=args.function
        )
        save_npz_atomically(args.output, result.outputs)
        if args.dump_all is not None and result.all_values is not None:
            save_npz_atomically(args.dump_all, result.all_values)
    except (UsageError, IRFileError, InterpreterError) as err:
        if args.debug:
            raise
        sys.stderr.write(f"nntc-run: error: {err}\n")
        sys.exit(1)
    for name, value in result.outputs.items():
        print(f"{name}: {list(value.shape)} {value.dtype}")


if __name__ == "__main__":
    main()
