"""`nntc-translate`: translate between other formats and nntc IR, like mlir-translate.

`nntc-translate --import-onnx MODEL.onnx -o OUT.mlir` imports an ONNX model as `top` IR. Where
the weights go:
- with `-o OUT.mlir`: into `OUT.npz` beside it (or `--weights FILE`); the module's `nntc.weights`
  attribute names that file relative to the directory of OUT.mlir. Both files are written to
  temporaries and renamed into place, so an error leaves neither behind;
- without `-o`, the IR goes to stdout; with `--weights FILE` the weights go to FILE (the attribute
  then names FILE as given, relative to the working directory), else every weight is printed
  inline as a `dense<...>` value, which suits small models and tests.

Other flags follow bmneto: `--input-names a,b`, `--shapes "[[1,3,224,224]]"` (one shape per
input, fixing dynamic dims), `--output-names x,y` (cut the graph: only what those outputs need).
Locations (ONNX node names) are always printed. Errors are one line `nntc-translate: error: ...`
on stderr (exit code 1; 2 for usage errors and for unsupported models, whose error lists every
unsupported node); `--debug` shows the Python traceback instead.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from nntc.targets.atomic import write_atomically

PROG = "nntc-translate"
EXIT_ERROR = 1
EXIT_UNSUPPORTED = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, as for every other error (argparse would print the usage first)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _argument_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Translate models into nntc IR (ONNX -> top).",
    )
    parser.add_argument("input", help="the model file")
    parser.add_argument(
        "--import-onnx", action="store_true", help="import an ONNX model as top dialect IR"
    )
    parser.add_argument("-o", "--output", help="output .mlir file (weights go beside it)")
    parser.add_argument(
        "--weights",
        help="weight store (.npz) to write; default: OUT.npz with -o, inline values without",
    )
    parser.add_argument("--input-names", help="comma-separated input tensor names")
    parser.add_argument("--shapes", help='input shapes, e.g. "[[1,3,224,224]]"')
    parser.add_argument("--output-names", help="comma-separated output tensor names")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return parser


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _render(module: object) -> str:
    from xdsl.printer import Printer

    stream = io.StringIO()
    Printer(stream=stream, print_debuginfo=True).print_op(module)  # type: ignore[arg-type]
    stream.write("\n")
    return stream.getvalue()


def _inline_weights(module: object, store: object) -> None:
    """Give every `top.weight` its array as an inline `dense` value."""
    from nntc.dialects import top
    from nntc.targets.weight_store import numpy_to_dense

    for op in module.walk():  # type: ignore[attr-defined]
        if isinstance(op, top.WeightOp) and op.value is None:
            array = store[op.weight_name.data]  # type: ignore[index]
            op.properties["value"] = numpy_to_dense(array, op.output.type)  # type: ignore[arg-type]


def translate(args: argparse.Namespace) -> None:
    from xdsl.dialects.builtin import StringAttr

    from nntc.targets.onnx import import_onnx, parse_shapes
    from nntc.targets.weight_store import WEIGHTS_ATTR

    shapes = None if args.shapes is None else parse_shapes(args.shapes)
    module, store = import_onnx(
        args.input,
        input_names=_names(args.input_names),
        shapes=shapes,
        output_names=_names(args.output_names),
    )
    if args.output is None:
        if args.weights is None:
            _inline_weights(module, store)
        else:
            module.attributes[WEIGHTS_ATTR] = StringAttr(args.weights)
        text = _render(module)
        if args.weights is not None:
            store.save(Path(args.weights))
        sys.stdout.write(text)
        return
    output = Path(args.output)
    weights = Path(args.weights) if args.weights else output.with_suffix(".npz")
    if weights.resolve() == output.resolve():
        raise ValueError(f"the weight store {weights} would overwrite the output")
    relative = os.path.relpath(weights.resolve(), output.resolve().parent)
    module.attributes[WEIGHTS_ATTR] = StringAttr(relative)
    text = _render(module)  # everything that can fail runs before the first file is written
    store.save(weights)
    try:
        write_atomically(output, text.encode())
    except BaseException:
        weights.unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    args = _argument_parser().parse_args(argv)
    if not args.import_onnx:
        print(f"{PROG}: error: nothing to do: pass --import-onnx (see --help)", file=sys.stderr)
        return 2
    from nntc.targets.onnx import OnnxImportError, UnsupportedModelError

    try:
        translate(args)
    except UnsupportedModelError as err:
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_UNSUPPORTED
    except (OnnxImportError, OSError, ValueError) as err:
        if args.debug:
            traceback.print_exc()
        message = str(err).strip().splitlines()[0] if str(err).strip() else repr(err)
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as err:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"{PROG}: error: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
