"""Reading and writing IR files for the tools that are not nntc-opt (nntc-run, nntc-bmneto, ...).

`read_ir` parses a file with every nntc dialect loaded, attaches its weight store, verifies it,
and turns any failure into `IRFileError` carrying the one located line a user should see.
"""

from __future__ import annotations

from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException, ParseError


class IRFileError(Exception):
    """An IR file that cannot be read, parsed or verified; the message is ready to print."""


def nntc_context() -> Context:
    """A context with builtin, func, arith (the float casts `quantize` writes around F16/BF16
    layers) and every nntc dialect."""
    from xdsl.dialects.arith import Arith

    from nntc.dialects import get_all_dialects

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    ctx.load_dialect(Arith)
    for factory in get_all_dialects().values():
        ctx.load_dialect(factory())
    return ctx


def read_ir(path: Path, ctx: Context | None = None) -> ModuleOp:
    from nntc.targets.weight_store import WeightStoreError, load_weight_store

    try:
        text = Path(path).read_text()
    except OSError as err:
        raise IRFileError(f"cannot read '{path}': {err.strerror}") from None
    try:
        module = Parser(ctx or nntc_context(), text, str(path)).parse_module()
    except ParseError as err:
        location = err.span.get_location()
        raise IRFileError(f"{path}:{location.line}:{location.col}: {err.msg}") from None
    except DiagnosticException as err:
        raise IRFileError(f"{path}: {' '.join(str(err).split())}") from None
    try:
        module.verify()
    except DiagnosticException as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise IRFileError(f"{path}: IR does not verify: {first}") from None
    try:
        load_weight_store(module, Path(path))
    except WeightStoreError as err:
        raise IRFileError(str(err)) from None
    return module
