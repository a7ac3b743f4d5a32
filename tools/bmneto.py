"""`nntc-bmneto`: compile an ONNX model to an FP32 BM1684X bmodel and check it, in one process.

    nntc-bmneto --model resnet18.onnx --input_names input --shapes "[[1,3,224,224]]" \\
                --target BM1684X --outdir bmodel/fp32

takes the flags of the NNTC guide's `python3 -m bmneto` (also `python -m nntc.bmneto`; the
dashed spellings `--input-names`, ... work too) and runs `nntc.pipeline`:

    import -> canonicalize -> fold-constants -> lower-to-tpu{mode=f32} -> layer-group
           -> assign-gmem -> lower-to-bm1684x -> bmodel

then, unless `--no-cmp` (or `--cmp False`), simulates the bmodel on a deterministic
standard-normal input (seed 0), runs the model on onnxruntime and prints, per output, the cosine
similarity and the max abs error, and the simulated latency. The check passes when every output
has cosine >= 0.99999 and max abs error <= 1e-3 x max |reference|.

DIR receives `compilation.bmodel`, its layer map `compilation.bmodel.layers.json` (for
`nntc-sim`'s per-layer breakdown), the IR after each stage (`<net>_top.mlir`, `<net>_tpu.mlir`,
`<net>_final.mlir`, each with its `.npz` weight store; `nntc-opt` reads them) and, with the check,
`<net>_in_f32.npz`, `<net>_ref_outputs.npz` and `<net>_sim_outputs.npz`. Nothing is written before
the compile and the check have run: the files are built in a temporary directory beside DIR and
renamed into place at the end (see `nntc.pipeline.write_outdir`). A failed check still writes
them, for inspection, and exits with 1.

A progress line per step (name and time) goes to stderr: live on a terminal, plain lines
otherwise; the results go to stdout. Errors are one line `nntc-bmneto: error: ...` on stderr (an
unsupported model lists every unsupported op) with exit code 2 for what the user can fix (usage,
target, shapes, names, missing or unreadable model, unsupported ops) and 1 for internal errors;
`--debug` shows the Python traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from nntc.pipeline import CheckResult

PROG = "nntc-bmneto"
EXIT_OK = 0
EXIT_FAILED = 1
"""An internal error, a failure to write DIR, or a bmodel that does not match onnxruntime."""
EXIT_USAGE = 2
"""An error the user can fix: flags, target, shapes, names, the model file, unsupported ops."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, as for every other error (argparse would print the usage first)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{text}'")


def _argument_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Compile an ONNX model to an FP32 BM1684X bmodel (the NNTC guide's bmneto), "
        "simulate it and compare it with onnxruntime.",
        epilog="example: nntc-bmneto --model resnet18.onnx --input_names input "
        '--shapes "[[1,3,224,224]]" --target BM1684X --outdir bmodel/fp32',
    )
    parser.add_argument("--model", required=True, help="the ONNX model file")
    parser.add_argument("--input_names", "--input-names", help="comma-separated input tensor names")
    parser.add_argument("--shapes", help='input shapes, one per input, e.g. "[[1,3,224,224]]"')
    parser.add_argument(
        "--output_names", "--output-names", help="comma-separated output tensor names"
    )
    parser.add_argument(
        "--net_name", "--net-name", help="net name in the bmodel (default: the model file's stem)"
    )
    parser.add_argument(
        "--target", default="BM1684X", help="the chip (default and only choice: BM1684X)"
    )
    parser.add_argument(
        "--outdir", default="compilation", help="output directory (default: compilation)"
    )
    parser.add_argument(
        "--cmp",
        nargs="?",
        const=True,
        default=True,
        type=_bool,
        metavar="BOOL",
        help="simulate the bmodel and compare it with onnxruntime (default: true)",
    )
    parser.add_argument(
        "--no-cmp", "--no_cmp", dest="cmp", action="store_false", help="skip the comparison"
    )
    parser.add_argument(
        "--no-layer-group",
        "--no_layer_group",
        dest="layer_group",
        action="store_false",
        help="one layer per local-memory group (default: chains of layers stay in local memory)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    return parser


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


class Progress:
    """The per-step progress display on stderr: a live line on a terminal, else a line per step
    once it has finished."""

    def __init__(self, stream: TextIO, total: int):
        self.stream = stream
        self.total = total
        self.index = 0
        self.live = stream.isatty()
        self.open = False
        """A live line was started and not finished."""

    def _prefix(self) -> str:
        width = len(str(self.total))
        return f"[{self.index:>{width}}/{self.total}]"

    def started(self, name: str) -> None:
        self.index += 1
        if self.live:
            self.stream.write(f"\r\x1b[K{self._prefix()} {name} ...")
            self.stream.flush()
            self.open = True

    def interrupt(self) -> None:
        """End a live line left open by a step that failed, so the error starts a new line."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False

    def finished(self, name: str, seconds: float) -> None:
        from nntc.pipeline import format_seconds

        line = f"{self._prefix()} {name:<17} {format_seconds(seconds):>8}"
        self.stream.write(f"\r\x1b[K{line}\n" if self.live else f"{line}\n")
        self.stream.flush()
        self.open = False


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def run(args: argparse.Namespace, out: TextIO, err: TextIO, progress: Progress) -> int:
    from pathlib import Path

    from nntc.pipeline import (
        COSINE_MIN,
        REL_ERR_MAX,
        PipelineError,
        check_against_onnxruntime,
        check_net_name,
        check_target,
        compile_onnx,
        format_seconds,
        write_outdir,
    )
    from nntc.targets.onnx import OnnxImportError, parse_shapes

    # everything a user can get wrong is checked before the (slower) compile starts
    target = check_target(args.target)
    if args.net_name is not None:
        check_net_name(args.net_name)
    try:
        shapes = None if args.shapes is None else parse_shapes(args.shapes)
    except OnnxImportError as error:
        raise PipelineError(str(error)) from None
    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PipelineError(f"--outdir: '{outdir}' exists and is not a directory")

    compilation = compile_onnx(
        args.model,
        _names(args.input_names),
        shapes,
        _names(args.output_names),
        net_name=args.net_name,
        target=target,
        observer=progress,
        layer_group=args.layer_group,
    )
    net = compilation.net_name
    check = None
    if args.cmp:
        check = check_against_onnxruntime(args.model, compilation, observer=progress)
    progress.started("write")
    start = time.perf_counter()
    written = write_outdir(compilation, outdir, check)
    seconds = time.perf_counter() - start
    compilation.timings.append(("write", seconds))
    progress.finished("write", seconds)

    if check is not None:
        _print_check(net, check, out)
    total = format_seconds(compilation.total_seconds)
    out.write(
        f"{net}: wrote {outdir / 'compilation.bmodel'} ({_size(len(compilation.bmodel))}) "
        f"and {len(written) - 1} more files in {outdir}; total {total}\n"
    )
    if check is not None and not check.passed:
        err.write(
            f"{PROG}: error: the bmodel does not match onnxruntime (needs cosine >= {COSINE_MIN} "
            f"and max abs error <= {REL_ERR_MAX:g} x max |ref|); files kept in {outdir}\n"
        )
        return EXIT_FAILED
    return EXIT_OK


def _print_check(net: str, check: CheckResult, out: TextIO) -> None:
    for o in check.outputs:
        verdict = "ok" if o.passed else "MISMATCH"
        out.write(
            f"{net}: output '{o.name}': cosine {o.cosine:.8f}, max abs error "
            f"{o.max_abs_error:.3g} (max |ref| {o.max_abs_ref:.3g}): {verdict}\n"
        )
    report = check.report
    cycles = max(check.cycles, 1)
    out.write(
        f"{net}: simulated latency {check.latency_ms:.4g} ms ({check.cycles} cycles at 1 GHz), "
        f"TIU busy {100 * int(report['tiu_busy_cycles']) / cycles:.1f}%, "  # type: ignore[call-overload]
        f"GDMA busy {100 * int(report['gdma_busy_cycles']) / cycles:.1f}%\n"  # type: ignore[call-overload]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _argument_parser().parse_args(argv)
    from nntc.pipeline import CHECK_STEPS, PipelineError, compile_steps

    # + writing DIR
    steps = len(compile_steps(args.layer_group)) + (len(CHECK_STEPS) if args.cmp else 0) + 1
    progress = Progress(sys.stderr, steps)
    try:
        return run(args, sys.stdout, sys.stderr, progress)
    except PipelineError as error:
        progress.interrupt()
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # writing DIR failed (disk full, permissions); nothing was kept
        progress.interrupt()
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        progress.interrupt()
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: still one line unless --debug
        progress.interrupt()
        if args.debug:
            raise
        print(f"{PROG}: error: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
