"""`nntc-opt`: run pass pipelines on nntc IR, like mlir-opt and xdsl-opt.

It is xDSL's `xdsl-opt` (every upstream dialect, pass, flag and target) with the nntc dialects,
passes and targets registered lazily, plus what mlir-opt users type every day:
`--mlir-print-ir-before/after(-all)`, `--mlir-timing`, and `--verify-diagnostics` with MLIR's
`// expected-error @+1 {{...}}` semantics. Errors are one located line (plus the source line) on
stderr and a non-zero exit code; `--debug` shows the Python traceback instead.

Weights. IR names its weights (`top.weight "conv1.w"`) and finds them in the side-car `.npz` its
module attribute `nntc.weights` names (see `nntc.targets.weight_store`). When a pass creates or
changes weights, the output has to carry them:

- `-o out.mlir`: the weights the output uses go to `out.npz`, which `nntc.weights` then names.
  The store the input was read from is never overwritten (other IR may name it): when `out.npz`
  is that file (`nntc-opt q.mlir -o q.asm`, or `-o q.mlir` in place) they go to `q.asm.npz`.
- stdout: no file is written. A changed float `top.weight` prints its array as its own
  `dense<...>` value; every other changed weight (a quantized `top.weight`, whose element type
  has no literal, or the byte blob of a `bm1684x` op) prints by name, with its array, as stored
  integers of its numpy dtype, in the module attribute `nntc.inline_weights`. Either form reads
  back, so `nntc-opt q.mlir -p quantize | nntc-opt - -p ...` sees the same weights.
- `-t bm1684x-asm` and `-t bmodel` write no `.npz`: neither output names weights (a bmodel holds
  its coefficients; a listing prints them in hex, up to a size, and is parsed without a store).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Attribute, Operation
from xdsl.parser import Parser
from xdsl.passes import ModulePass, get_pass_option_infos
from xdsl.printer import Printer
from xdsl.utils.arg_spec import parse_pipeline, parse_spec
from xdsl.utils.exceptions import (
    ArgSpecParseError,
    DiagnosticException,
    ParseError,
    ShrinkException,
)
from xdsl.utils.lexer import Span
from xdsl.xdsl_opt_main import xDSLOptMain

from nntc.diagnostics import (
    Diagnostic,
    UsageError,
    check_expected_diagnostics,
    closest_name,
    format_diagnostic,
    parse_expected_diagnostics,
)
from nntc.targets.atomic import write_atomically

SPLIT_MARKER = "// -----"


class LocatingParser(Parser):
    """A parser that remembers where each operation starts, for located verifier errors."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.op_spans: dict[Operation, Span] = {}
        self._open_ops: list[Span] = []
        self.failing_op_span: Span | None = None
        """Start of the innermost op being parsed when a verifier raised during parsing."""

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        self._open_ops.append(start)
        try:
            op = super().parse_operation()
        except DiagnosticException:
            if self.failing_op_span is None:
                self.failing_op_span = start
            raise
        finally:
            self._open_ops.pop()
        self.op_spans[op] = start
        return op


@dataclass
class _Chunk:
    text: str
    first_line: int  # 0-based line of the chunk's first line in the input file


@dataclass
class _Timing:
    """Wall time per stage, summed over the chunks, in the order the stages first ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def report(self) -> str:
        total = sum(self.seconds.values())
        rule = "===" + "-" * 73 + "==="
        lines = [
            rule,
            "Execution time report".center(79),
            rule,
            f"  Total Execution Time: {total:.4f} seconds",
            "",
            "  ----Wall Time----  ----Name----",
        ]
        for stage, seconds in self.seconds.items():
            share = 100.0 * seconds / total if total else 0.0
            lines.append(f"  {seconds:9.4f} ({share:5.1f}%)  {stage}")
        lines.append(f"  {total:9.4f} (100.0%)  Total")
        return "\n".join(lines) + "\n"


class NntcOptMain(xDSLOptMain):
    version_format = "nntc-opt (xdsl {xdsl_version})"

    def __init__(self, args: Sequence[str] | None = None):
        # The body of xDSLOptMain.__init__, with nntc's error handling: a bad target, pass or
        # option is one line naming it and the closest registered name, not an argparse dump.
        self.available_frontends = {}
        self.available_passes = {}
        self.available_targets = {}
        self.ctx = Context()
        self.register_all_dialects()
        self.register_all_frontends()
        self.register_all_passes()
        self.register_all_targets()

        arg_parser = argparse.ArgumentParser(
            prog="nntc-opt",
            description="nntc modular optimizer driver: parse IR, run a pass pipeline, print it",
            epilog=self._nntc_passes_help(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.register_all_arguments(arg_parser)
        self.args = arg_parser.parse_args(args=args)

        target_name = parse_spec(self.args.target).name
        if target_name not in self.available_targets:
            raise UsageError(
                f"unknown target '{target_name}'"
                + closest_name(target_name, self.available_targets)
            )
        if self._binary_target() is not None:
            # A binary target (-t bmodel) writes one file, atomically, and never to a terminal.
            if self.args.output_file is None:
                raise UsageError(f"-t {target_name} writes a binary file: give -o FILE")
            if self.args.split_input_file:
                raise UsageError(f"-t {target_name} writes one file: drop --split-input-file")
        self.ctx.allow_unregistered = self.args.allow_unregistered_dialect
        if self.args.disable_verify:
            from xdsl.xdsl_opt_main import _empty_post_init

            Attribute.__post_init__ = _empty_post_init  # type: ignore[method-assign]
        self.setup_pipeline()

    # --- registries ---------------------------------------------------------------------------
    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        from nntc.dialects import get_all_dialects

        known = set(self.ctx.registered_dialect_names)
        for name, factory in get_all_dialects().items():
            if name not in known:  # an installed xdsl plugin may have registered it already
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        from nntc.passes import get_all_passes

        for name, factory in get_all_passes().items():
            self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        from nntc.targets import get_all_targets

        self.available_targets.update(get_all_targets())

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def parse_bmasm(stream: IO[bytes]) -> ModuleOp:
            # Hand-written BM1684X assembly listings; imported only when one is read.
            from nntc.targets.bm1684x.asm_parser import parse_listing

            return parse_listing(stream.read().decode(), self._input_name)

        self.available_frontends["bmasm"] = parse_bmasm

    def _binary_target(self) -> Any:
        """The `-t` target if it writes bytes (it has `emit_bytes(ctx, module)`), else None."""
        import inspect

        spec = parse_spec(self.args.target)
        entry = self.available_targets.get(spec.name)
        if entry is None or inspect.signature(entry).parameters:
            return None
        target = entry().from_spec(spec)
        return target if hasattr(target, "emit_bytes") else None

    @staticmethod
    def _nntc_passes_help() -> str:
        from nntc.passes import get_all_passes

        lines = ["nntc passes (use with -p; options in braces, e.g. -p 'pass{opt=1}'):"]
        for name, factory in sorted(get_all_passes().items()):
            try:
                doc = (factory().__doc__ or "").strip().splitlines()
            except ImportError:
                doc = ["(cannot be imported)"]
            lines.append(f"  {name:<28} {doc[0] if doc else ''}")
        return "\n".join(lines)

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument(
            "--mlir-print-ir-after-all",
            action="store_true",
            help="print the IR to stderr after every pass",
        )
        arg_parser.add_argument(
            "--mlir-print-ir-before",
            action="append",
            default=[],
            metavar="PASS",
            help="print the IR to stderr before each run of PASS (repeatable, or comma-separated)",
        )
        arg_parser.add_argument(
            "--mlir-print-ir-after",
            action="append",
            default=[],
            metavar="PASS",
            help="print the IR to stderr after each run of PASS (repeatable, or comma-separated)",
        )
        arg_parser.add_argument(
            "--mlir-timing",
            action="store_true",
            help="print a per-pass wall-time table with a total to stderr",
        )
        arg_parser.add_argument(
            "--mlir-print-debuginfo",
            dest="print_debuginfo",
            action="store_true",
            help="print locations (the ONNX node names), as --print-debuginfo",
        )
        arg_parser.add_argument(
            "--debug",
            action="store_true",
            help="show Python tracebacks for errors instead of one-line messages",
        )
        # xdsl-opt's --verify-diagnostics only prints the error; ours checks MLIR annotations.
        for action in arg_parser._actions:
            if "--verify-diagnostics" in action.option_strings:
                action.help = (
                    "check the diagnostics against `// expected-error @+N {{text}}` "
                    "annotations in the input, as mlir-opt does; exit 1 on any mismatch"
                )

    # --- pipeline -----------------------------------------------------------------------------
    def setup_pipeline(self) -> None:
        try:
            specs = parse_pipeline(self.args.passes)
        except ArgSpecParseError as err:
            raise UsageError(f"malformed pass pipeline '{self.args.passes}': {err}") from None
        passes: list[ModulePass] = []
        for spec in specs:
            factory = self.available_passes.get(spec.name)
            if factory is None:
                raise UsageError(
                    f"unknown pass '{spec.name}'" + closest_name(spec.name, self.available_passes)
                )
            pass_cls = factory()
            known = [info.name for info in get_pass_option_infos(pass_cls)]
            for option in spec.normalize_parameter_names().parameters:
                if option not in known:
                    hint = closest_name(option, known) if known else " (it takes no options)"
                    raise UsageError(f"unknown option '{option}' for pass '{spec.name}'{hint}")
            try:
                passes.append(pass_cls.from_pass_spec(spec))
            except Exception as err:  # xdsl raises plain exceptions for ill-typed values
                raise UsageError(f"bad options for pass '{spec.name}': {err}") from None
        self.passes = passes
        for flag in ("mlir_print_ir_before", "mlir_print_ir_after"):
            names = {n for item in getattr(self.args, flag) for n in item.split(",") if n}
            for name in names:
                if name not in self.available_passes:
                    raise UsageError(
                        f"unknown pass '{name}' in --{flag.replace('_', '-')}"
                        + closest_name(name, self.available_passes)
                    )
            setattr(self, f"_{flag}", names)

    # --- running ------------------------------------------------------------------------------
    def run(self) -> int:  # type: ignore[override]
        if self.args.shrink:  # xdsl-opt's protocol with the shrinkray reducer
            try:
                self._run()
            except ShrinkException:
                print("Success, can shrink")
                return 0
            print("Failure, can't shrink")
            return 1
        return self._run()

    def _run(self) -> int:
        timing = _Timing()
        source = self._read_input()
        chunks = self._split(source)
        outputs: list[str | bytes] = []
        failed = False
        for chunk in chunks:
            output, ok = self._process_chunk(chunk, timing)
            failed |= not ok
            if output is not None:
                outputs.append(output)
        if outputs and isinstance(outputs[0], bytes):  # a binary target; -o was checked
            if not failed:
                write_atomically(Path(self.args.output_file), outputs[0])
            return 1 if failed else 0
        text = f"{SPLIT_MARKER}\n".join(outputs)  # type: ignore[arg-type]
        if self.args.output_file is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        elif not failed:
            write_atomically(Path(self.args.output_file), text)
        if self.args.mlir_timing:
            sys.stderr.write(timing.report())
        return 1 if failed else 0

    def _read_input(self) -> str:
        path = self.args.input_file
        if path is None or path == "-":
            return sys.stdin.read()
        try:
            return Path(path).read_text()
        except OSError as err:
            raise UsageError(f"cannot read input file '{path}': {err.strerror}") from None

    def _split(self, source: str) -> list[_Chunk]:
        if not self.args.split_input_file:
            return [_Chunk(source, 0)]
        chunks: list[_Chunk] = []
        current: list[str] = []
        first = 0
        for number, line in enumerate(source.splitlines(keepends=True)):
            if line.strip() == SPLIT_MARKER:
                chunks.append(_Chunk("".join(current), first))
                current, first = [], number + 1
            else:
                current.append(line)
        chunks.append(_Chunk("".join(current), first))
        return chunks

    @property
    def _input_name(self) -> str:
        return self.args.input_file or "<stdin>"

    def _process_chunk(self, chunk: _Chunk, timing: _Timing) -> tuple[str | bytes | None, bool]:
        """Parse, verify, transform and print one chunk. Returns (output or None, success)."""
        # Offsetting the text by blank lines keeps every span's line number file-relative.
        text = "\n" * chunk.first_line + chunk.text
        diagnostics: list[Diagnostic] = []
        module = self._parse_verify_transform(text, timing, diagnostics)
        output = None
        if module is not None and not diagnostics:
            started = time.perf_counter()
            try:
                output = self._emit(module)
            except DiagnosticException as err:
                diagnostics.append(Diagnostic(None, None, _one_line(err)))
            timing.add("Output", time.perf_counter() - started)
        if self.args.verify_diagnostics:
            expected = parse_expected_diagnostics(text)
            problems = check_expected_diagnostics(expected, diagnostics, self._input_name)
            for problem in problems:
                sys.stderr.write(problem + "\n")
            return output, not problems
        for diagnostic in diagnostics:
            sys.stderr.write(format_diagnostic(diagnostic, self._input_name, text))
        return output, not diagnostics

    def _parse_verify_transform(
        self, text: str, timing: _Timing, diagnostics: list[Diagnostic]
    ) -> ModuleOp | None:
        started = time.perf_counter()
        frontend = self._frontend()
        if frontend != "mlir":  # another registered frontend, chosen by -f or the file extension
            try:
                module = self.available_frontends[frontend](BytesIO(text.encode()))
            except ParseError as err:  # frontends report located errors as the parser does
                if self.args.parsing_diagnostics:
                    print(err)
                    return None
                location = err.span.get_location()
                diagnostics.append(Diagnostic(location.line, location.col, err.msg))
                return None
            timing.add("Parser", time.perf_counter() - started)
            return self._transform(module, {}, timing, diagnostics)
        parser = LocatingParser(self.ctx, text, self._input_name)
        try:
            module = parser.parse_module(not self.args.no_implicit_module)
        except ParseError as err:
            if self.args.parsing_diagnostics:  # xdsl-opt's flag: print the error, succeed
                print(err)
                return None
            location = err.span.get_location()
            diagnostics.append(Diagnostic(location.line, location.col, err.msg))
            return None
        except DiagnosticException as err:  # a type or attribute verifier failing while parsing
            span = parser.failing_op_span or parser._current_token.span
            location = span.get_location()
            diagnostics.append(Diagnostic(location.line, location.col, _one_line(err)))
            return None
        timing.add("Parser", time.perf_counter() - started)

        ir_path = Path(self.args.input_file) if self.args.input_file else None
        try:
            from nntc.targets.weight_store import WeightStoreError, load_weight_store

            load_weight_store(module, ir_path)
        except WeightStoreError as err:
            diagnostics.append(Diagnostic(None, None, str(err)))
            return None

        return self._transform(module, parser.op_spans, timing, diagnostics)

    def _frontend(self) -> str:
        if self.args.frontend:
            return self.args.frontend
        extension = Path(self.args.input_file or "x.mlir").suffix.removeprefix(".")
        # Unknown extensions are read as MLIR text, which is what IR files of any name hold.
        return extension if extension in self.available_frontends else "mlir"

    def _transform(
        self,
        module: ModuleOp,
        spans: dict[Operation, Span],
        timing: _Timing,
        diagnostics: list[Diagnostic],
    ) -> ModuleOp | None:
        """Verify, then run the pipeline, verifying after each pass."""
        started = time.perf_counter()
        ok = self._verify(module, spans, diagnostics)
        timing.add("Verifier", time.perf_counter() - started)
        if not ok:
            return None

        for index, pass_ in enumerate(self.passes):
            self._maybe_print(pass_, module, "Before")
            started = time.perf_counter()
            try:
                pass_.apply(self.ctx, module)
            except DiagnosticException as err:
                diagnostics.append(Diagnostic(None, None, f"pass '{pass_.name}' failed: {err}"))
                return None
            elapsed = time.perf_counter() - started
            timing.add(str(pass_.name), elapsed)
            if self.args.time_passes:  # xdsl-opt's format, on stdout
                print(f"Pass {pass_.name} took {elapsed} seconds")
            started = time.perf_counter()
            ok = self._verify(module, {}, diagnostics, after_pass=pass_.name)
            timing.add("Verifier", time.perf_counter() - started)
            if not ok:
                return None
            self._maybe_print(pass_, module, "After")
            if self.args.print_between_passes and index + 1 < len(self.passes):
                print(f"IR after {pass_.name}:")
                Printer(stream=sys.stdout).print_op(module)
                print("\n\n")
        return module

    def _verify(
        self,
        module: ModuleOp,
        spans: dict[Operation, Span],
        diagnostics: list[Diagnostic],
        after_pass: str | None = None,
    ) -> bool:
        """Verify op by op so that a failure is reported at the op that failed.

        An op before its contents, as mlir-opt does, so that a container reports a malformed body
        (e.g. a missing terminator) in its own words.
        """
        if self.args.disable_verify:
            return True
        for op in module.walk():
            try:
                op.verify(verify_nested_ops=False)
            except DiagnosticException as err:
                message = f"'{op.name}' op {_one_line(err)}"
                if after_pass is not None:
                    message += f" (after pass '{after_pass}')"
                span = spans.get(op)
                if span is not None:
                    location = span.get_location()
                    diagnostics.append(Diagnostic(location.line, location.col, message))
                else:
                    diagnostics.append(Diagnostic(None, None, message, op=op))
                return False
        try:
            module.verify()
        except DiagnosticException as err:
            diagnostics.append(Diagnostic(None, None, _one_line(err)))
            return False
        return True

    def _maybe_print(self, pass_: ModulePass, module: ModuleOp, when: str) -> None:
        selected = self._mlir_print_ir_before if when == "Before" else self._mlir_print_ir_after
        if pass_.name in selected or (when == "After" and self.args.mlir_print_ir_after_all):
            sys.stderr.write(f"// -----// IR Dump {when} {pass_.name} //----- //\n")
            Printer(stream=sys.stderr).print_op(module)
            sys.stderr.write("\n\n")

    def _emit(self, module: ModuleOp) -> str | bytes:
        binary = self._binary_target()
        if binary is not None:  # the bytes hold the weights: no side-car to write
            return binary.emit_bytes(self.ctx, module)
        # Only IR text names weights; other listings (-t bm1684x-asm) are read without a store.
        if parse_spec(self.args.target).name == "mlir":
            self._write_weight_store(module)
        return self.output_resulting_program(module)

    def _write_weight_store(self, module: ModuleOp) -> None:
        """Make the printed IR find every weight it uses (see the module docstring)."""
        from nntc.targets.weight_store import (
            INLINE_WEIGHTS_ATTR,
            WEIGHTS_ATTR,
            inline_weights_attr,
            numpy_to_dense,
            weight_ops,
            weight_store_of,
        )

        store = weight_store_of(module)
        ops = weight_ops(module)
        used = {op.properties["weight_name"].data for op in ops}  # type: ignore[union-attr]
        out = Path(self.args.output_file) if self.args.output_file else None
        stored = sorted(n for n in used if n in store)
        if store.dirty and out is not None and stored:
            npz = _side_car_path(out, store.path)
            store.save(npz, stored)
            module.attributes[WEIGHTS_ATTR] = StringAttr(npz.name)
            return
        inline: set[str] = set()
        if store.dirty and out is None:
            # stdout carries no side-car: changed weights travel inline instead.
            section: set[str] = set()
            for op in ops:
                name = op.properties["weight_name"].data  # type: ignore[union-attr]
                if name not in store.changed or "value" in op.properties:
                    continue
                inline.add(name)
                if _holds_value(op):
                    result_type = op.results[0].type
                    op.properties["value"] = numpy_to_dense(store[name], result_type)  # type: ignore[arg-type]
                else:  # a quantized top.weight, or a bm1684x op's blob: in the module's section
                    section.add(name)
            if section:
                module.attributes[INLINE_WEIGHTS_ATTR] = inline_weights_attr(store, section)
        from_file = [n for n in stored if n not in inline]
        if store.path is not None and from_file:
            base = out.parent if out is not None else Path.cwd()
            module.attributes[WEIGHTS_ATTR] = StringAttr(
                os.path.relpath(store.path.resolve(), base.resolve())
            )
        elif WEIGHTS_ATTR in module.attributes and not from_file:
            del module.attributes[WEIGHTS_ATTR]


def _holds_value(op: Operation) -> bool:
    """Whether a weight op can print its array as its own `dense<...>` value: a `top.weight`
    whose element type numpy can hold (the dense literal has the result's type, and a quantized
    element type has no literal)."""
    from nntc.dialects.top import WeightOp
    from nntc.targets.weight_store import WeightStoreError, numpy_dtype

    if not isinstance(op, WeightOp):
        return False
    try:
        numpy_dtype(op.output.type.get_element_type())  # type: ignore[union-attr]
    except WeightStoreError:
        return False
    return True


def _side_car_path(out: Path, input_store: Path | None) -> Path:
    """Where the weights of output `out` go: `out` with the suffix `.npz`, unless that is the
    store the input was read from (`-o q.asm` for `q.mlir`), which other IR may still name;
    then `q.asm.npz`."""
    candidates = [out.with_suffix(".npz"), out.with_name(out.name + ".npz")]
    candidates.append(out.with_name(out.name + ".out.npz"))  # `-o q` for q.npz: both above clash
    if input_store is None:
        return candidates[0]
    taken = input_store.resolve()
    return next(path for path in candidates if path.resolve() != taken)


def _one_line(err: Exception) -> str:
    """xDSL's constraint messages span lines ("... does not verify:" then the reason): join them."""
    return " ".join(line.strip() for line in str(err).splitlines() if line.strip())


def main(args: Sequence[str] | None = None) -> None:
    debug = "--debug" in (sys.argv[1:] if args is None else args)
    try:
        code = NntcOptMain(args=args).run()
    except UsageError as err:
        if debug:
            raise
        sys.stderr.write(f"nntc-opt: error: {err}\n")
        code = 2
    except KeyboardInterrupt:
        code = 130
    except Exception as err:  # anything unexpected: one line, unless the user asked for more
        if debug:
            raise
        sys.stderr.write(f"nntc-opt: error: {type(err).__name__}: {err}\n".replace("\n\n", "\n"))
        sys.stderr.write("nntc-opt: note: run again with --debug for the Python traceback\n")
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
