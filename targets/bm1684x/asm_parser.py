"""Read a BM1684X assembly listing back into `bm1684x` IR (the `.bmasm` frontend).

The listing is what `-t bm1684x-asm` and `nntc-model --dis` print (format in
`targets/bm1684x/asm.py`, grammar in `asm.lark`). Each `group` line opens a
`bm1684x.cmd_group`; each `%B<id>` / `%D<id>` line is one TIU / GDMA instruction whose mnemonic
names the op and its sub-op, and whose `key=value` pairs are the op's properties (the keys and
defaults of the IR's custom syntax). Lines may come in any order: each queue is rebuilt in
`cmd_id` order, which is its stream order (ids increase along a queue), so both the merged
order and the queue order read back to the same IR.

So that engineers can write assembly tests by hand:
- `parse_listing(text, name)` returns a verified `builtin.module` of command groups;
- `nntc-opt prog.bmasm ...` reads files with the `.bmasm` extension through it (e.g.
  `nntc-opt prog.bmasm -t bmodel -o prog.bmodel`);
- every error, syntax or meaning (unknown mnemonic or key, a bad value, a wrong count, a
  verifier rule), is an `AsmError` whose text is one line `file:line:col: message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import IO, Any

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute
from xdsl.utils.exceptions import DiagnosticException, ParseError
from xdsl.utils.lexer import Input, Span
from xdsl.utils.str_enum import StrEnum

from nntc.dialects.bm1684x import (
    INSTRUCTION_OPS,
    CmdField,
    CmdGroupOp,
    InstructionOp,
    Kind,
    TiuOp,
)

__all__ = ["AsmError", "EXTENSION", "parse_listing", "parse_listing_file", "frontend"]

EXTENSION = "bmasm"
"""File extension of hand-written listings (nntc-opt picks this frontend by it)."""


@dataclass
class AsmError(ParseError):
    """An error in a listing; `str()` is `file:line:col: message`. It is an xDSL `ParseError`
    (span + msg), so drivers report it as they report any parse error."""

    def __str__(self) -> str:
        loc = self.span.get_location()
        return f"{self.span.input.name}:{loc.line}:{loc.col}: {self.msg}"


@cache
def _grammar() -> Lark:
    text = resources.files("nntc.targets.bm1684x").joinpath("asm.lark").read_text()
    return Lark(text, parser="lalr", propagate_positions=True, maybe_placeholders=False)


@cache
def _mnemonics() -> dict[str, tuple[type[InstructionOp], StrEnum]]:
    """Listing mnemonic -> (op class, sub-op), from each op's own `listing_name()`."""
    table: dict[str, tuple[type[InstructionOp], StrEnum]] = {}
    for cls in INSTRUCTION_OPS:
        sub = cls.SUBOP
        assert sub.enum is not None
        for member in sub.enum:
            op = cls.create(properties={sub.key: sub.to_attr(member)})
            name = op.listing_name()
            assert name not in table, f"mnemonic {name} is ambiguous"
            table[name] = (cls, member)
    return table


class _Listing:
    """Turns the parse tree of one listing into command groups, with located errors."""

    def __init__(self, text: str, name: str) -> None:
        self.input = Input(text, name)
        self.lines = text.split("\n")

    def error(self, token: Token | Tree[Any], message: str) -> AsmError:
        start = _start(token)
        end = start + (len(token) if isinstance(token, Token) else 1)
        return AsmError(Span(start, end, self.input), message)

    def offset(self, line: int, column: int) -> int:
        return sum(len(x) + 1 for x in self.lines[: line - 1]) + column - 1

    def groups(self, tree: Tree[Any]) -> list[CmdGroupOp]:
        out = []
        for index, group in enumerate(tree.children):
            out.append(self.group(group, index))
        return out

    def group(self, tree: Tree[Any], expected_index: int) -> CmdGroupOp:
        number, tiu_count, gdma_count, *instrs = tree.children
        index = self.integer(number, "the group number")
        if index != expected_index:
            raise self.error(number, f"expected group {expected_index}, got group {index}")
        tiu: list[tuple[int, Token, InstructionOp]] = []
        gdma: list[tuple[int, Token, InstructionOp]] = []
        for instr in instrs:
            ref, op = self.instruction(instr)
            (tiu if isinstance(op, TiuOp) else gdma).append((op.id, ref, op))
        for engine, declared, ops in (("tiu", tiu_count, tiu), ("gdma", gdma_count, gdma)):
            count = self.integer(declared, f"the {engine} count")
            if count != len(ops):
                raise self.error(
                    declared,
                    f"group {index} declares {engine}={count} but lists {len(ops)} "
                    f"{engine.upper()} commands",
                )
            ops.sort(key=lambda x: x[0])  # stable: equal ids keep their order for the verifier
        group = CmdGroupOp([x[2] for x in tiu], [x[2] for x in gdma])  # type: ignore[misc]
        for _, ref, op in (*tiu, *gdma):
            try:
                op.verify()
            except DiagnosticException as err:
                raise self.error(ref, f"{op.listing_name()}: {_one_line(err)}") from None
        try:
            group.verify_()
        except DiagnosticException as err:
            raise self.error(tree, f"group {index}: {_one_line(err)}") from None
        return group

    def instruction(self, tree: Tree[Any]) -> tuple[Token, InstructionOp]:
        ref, mnemonic, wait, *fields = tree.children
        entry = _mnemonics().get(str(mnemonic))
        if entry is None:
            raise self.error(mnemonic, f"unknown mnemonic '{mnemonic}'")
        cls, subop = entry
        props: dict[str, Attribute] = {cls.SUBOP.key: cls.SUBOP.to_attr(subop)}
        props["cmd_id"] = cls.field_spec("cmd_id").to_attr(self.ref(ref, cls.ENGINE_TAG, cls))
        props["cmd_id_dep"] = cls.field_spec("cmd_id_dep").to_attr(
            self.ref(wait, cls.OTHER_TAG, cls, waits=True)
        )
        for field in fields:
            key, value = field.children
            spec = _spec(cls, str(key))
            if spec is None:
                raise self.error(key, f"{mnemonic} has no property '{key}'")
            if spec.key in props:
                raise self.error(key, f"{mnemonic}: property '{key}' is given twice")
            props[spec.key] = self.value(spec, value)
        missing = [s.key for s in cls.all_fields() if s.default is None and s.key not in props]
        if missing:
            raise self.error(mnemonic, f"{mnemonic} needs {', '.join(missing)}")
        return ref, cls.create(properties=props)

    def ref(self, token: Token, tag: str, cls: type[InstructionOp], waits: bool = False) -> int:
        text = str(token)[1:]
        letters = text.rstrip("0123456789")
        if letters != tag:
            engine = {"B": "TIU", "D": "GDMA"}[tag]
            role = f"the {engine} command it waits for" if waits else f"its {engine} cmd_id"
            raise self.error(token, f"expected {role} as %{tag}<n> ({cls.name}), got {token}")
        return int(text[len(letters) :])

    def integer(self, token: Token, what: str) -> int:
        text = str(token)
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise self.error(token, f"expected an integer for {what}, got '{text}'") from None

    def value(self, spec: CmdField, node: Token | Tree[Any]) -> Attribute:
        if spec.kind is Kind.INTS:
            if isinstance(node, Token):
                raise self.error(node, f"expected a list [a,b,...] for {spec.key}, got '{node}'")
            items = [self.integer(t, f"{spec.key}") for t in node.children if t is not None]
            return spec.to_attr(items)
        if isinstance(node, Tree):
            raise self.error(node, f"expected a single value for {spec.key}, got a list")
        text = str(node)
        if spec.kind is Kind.BOOL:
            if text not in ("true", "false"):
                raise self.error(node, f"expected true or false for {spec.key}, got '{text}'")
            return spec.to_attr(text == "true")
        if spec.kind is Kind.ENUM:
            assert spec.enum is not None
            names = [m.value for m in spec.enum]
            if text not in names:
                raise self.error(
                    node, f"expected one of {', '.join(names)} for {spec.key}, got '{text}'"
                )
            return spec.to_attr(spec.enum(text))
        value = self.integer(node, spec.key)
        return spec.to_attr(value)


def _spec(cls: type[InstructionOp], key: str) -> CmdField | None:
    if key in (cls.SUBOP.key, "cmd_id", "cmd_id_dep"):
        return None
    try:
        return cls.field_spec(key)
    except KeyError:
        return None


def _start(node: Token | Tree[Any]) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    return node.meta.start_pos if not node.meta.empty else 0


def _one_line(err: Exception) -> str:
    return " ".join(line.strip() for line in str(err).splitlines() if line.strip())


def parse_listing(text: str, name: str = "<listing>") -> ModuleOp:
    """Parse a listing into a verified module of `bm1684x.cmd_group`s; raises `AsmError`."""
    listing = _Listing(text, name)
    # The grammar ends every line with a newline; a file may not.
    source = text if text.endswith("\n") else text + "\n"
    try:
        tree = _grammar().parse(source)
    except UnexpectedInput as err:
        start = listing.offset(err.line, err.column) if err.line > 0 else len(text)
        start = min(start, len(text))
        raise AsmError(Span(start, start, listing.input), _syntax_message(err)) from None
    return ModuleOp(listing.groups(tree))


def _syntax_message(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedCharacters):
        return f"unexpected character '{err.char}'"
    if isinstance(err, UnexpectedToken):
        token = err.token
        shown = (
            "end of line"
            if token.type == "_NL"
            else ("end of file" if token.type == "$END" else f"'{token}'")
        )
        expected = sorted(_describe(t) for t in err.accepts or err.expected)
        return f"unexpected {shown}; expected {' or '.join(expected)}"
    return "syntax error"


_TERMINALS = {
    "WORD": "a word",
    "REF": "a %B<n> or %D<n> reference",
    "_NL": "end of line",
    "EQUAL": "'='",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "GROUP": "'group'",
    "TIU": "'tiu'",
    "GDMA": "'gdma'",
    "WAIT": "'wait'",
    "$END": "end of file",
}


def _describe(terminal: str) -> str:
    return _TERMINALS.get(terminal, terminal.lower())


def parse_listing_file(path: str) -> ModuleOp:
    """Read and parse a listing file; raises `AsmError` (or `OSError`)."""
    with open(path) as stream:
        return parse_listing(stream.read(), path)


def frontend(name: str) -> Any:
    """An nntc-opt frontend (bytes stream -> module) reporting errors against `name`."""

    def parse(stream: IO[bytes]) -> ModuleOp:
        return parse_listing(stream.read().decode(), name)

    return parse
