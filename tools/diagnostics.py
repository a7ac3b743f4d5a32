"""Located diagnostics for the command-line tools, and MLIR's `expected-error` checking.

`--verify-diagnostics` in mlir-opt compares the errors a run produces with annotations in the
input (`// expected-error @+1 {{text}}`) and fails on a missing or an unexpected one; xdsl-opt only
prints the error. The checking lives here so every tool that reads IR can offer it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from xdsl.ir import Operation


class UsageError(Exception):
    """A wrong flag, pass, option or file name: reported as one line, exit code 2."""


@dataclass
class Diagnostic:
    """An error at a 1-based line and column of the input, or unlocated (line None)."""

    line: int | None
    column: int | None
    message: str
    op: Operation | None = None
    severity: str = "error"


@dataclass
class ExpectedDiagnostic:
    line: int | None  # None: `@unknown`, a diagnostic without a source location
    severity: str
    text: str
    annotation_line: int
    matched: bool = False


_EXPECTED = re.compile(
    r"//\s*expected-(?P<sev>error|warning|note|remark)"
    r"(?:\s*@(?P<where>[+-]\d+|above|below|unknown))?\s*\{\{(?P<text>.*?)\}\}"
)


def parse_expected_diagnostics(text: str) -> list[ExpectedDiagnostic]:
    """Find MLIR-style annotations; line numbers are 1-based lines of `text`."""
    expected: list[ExpectedDiagnostic] = []
    for index, line in enumerate(text.splitlines()):
        number = index + 1
        for match in _EXPECTED.finditer(line):
            where = match["where"]
            target: int | None
            if where is None:
                target = number
            elif where == "unknown":
                target = None
            elif where == "above":
                target = number - 1
            elif where == "below":
                target = number + 1
            else:
                target = number + int(where)
            expected.append(ExpectedDiagnostic(target, match["sev"], match["text"], number))
    return expected


def check_expected_diagnostics(
    expected: list[ExpectedDiagnostic], actual: Iterable[Diagnostic], file_name: str
) -> list[str]:
    """Match produced diagnostics to annotations; return one message per mismatch."""
    problems: list[str] = []
    for diagnostic in actual:
        for candidate in expected:
            if (
                not candidate.matched
                and candidate.severity == diagnostic.severity
                and candidate.line == diagnostic.line
                and candidate.text in diagnostic.message
            ):
                candidate.matched = True
                break
        else:
            where = f"{file_name}:{diagnostic.line}:{diagnostic.column or 1}"
            if diagnostic.line is None:
                where = f"{file_name}"
            problems.append(
                f"{where}: error: unexpected {diagnostic.severity}: {diagnostic.message}"
            )
    for candidate in expected:
        if not candidate.matched:
            target = "unknown location" if candidate.line is None else f"line {candidate.line}"
            problems.append(
                f"{file_name}:{candidate.annotation_line}: error: expected {candidate.severity} "
                f'"{candidate.text}" at {target} was not produced'
            )
    return problems


def format_diagnostic(diagnostic: Diagnostic, file_name: str, text: str) -> str:
    """`file:line:col: error: message`, then the source line and a caret under the column."""
    if diagnostic.line is None:
        suffix = ""
        if diagnostic.op is not None:
            suffix = f" (at {diagnostic.op.location})" if _has_location(diagnostic.op) else ""
        return f"{file_name}: {diagnostic.severity}: {diagnostic.message}{suffix}\n"
    lines = text.splitlines()
    source = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
    column = diagnostic.column or 1
    return (
        f"{file_name}:{diagnostic.line}:{column}: {diagnostic.severity}: {diagnostic.message}\n"
        f"{source}\n{' ' * (column - 1)}^\n"
    )


def _has_location(op: Operation) -> bool:
    from xdsl.dialects.builtin import UnknownLoc

    return not isinstance(op.location, UnknownLoc)


def closest_name(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the registered name closest to `name`, or ''."""
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""
