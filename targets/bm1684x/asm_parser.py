"""Read a BM1684X assembly listing back into `bm1684x` IR (the `.bmasm` frontend).

The listing is what `-t bm1684x-asm` and `nntc-model --dis` print (format in
`targets/bm1684x/asm.py`, grammar in `asm.lark`, reference in `docs/assembly.md`). Each `group`
line opens a `bm1684x.cmd_group`; each `%B<id>` / `%D<id>` line is one TIU / GDMA instruction
whose mnemonic names the op and its sub-op, and whose `key=value` pairs are the op's properties
(the keys and defaults of the IR's custom syntax). Lines may come in any order: each queue is
rebuilt in `cmd_id` order, which is its stream order (ids increase along a queue), so both the
merged order and the queue order read back to the same IR.

Directives (`.net`, `.stage`, `.input`, `.output`, `.coeff`, `.weight`, `.data`) make the
program a complete net: its name, its stage fields, the tensors the simulator reads and writes,
and the coefficient memory with its bytes. A listing with directives reads into a
`bm1684x.model` (the coefficient bytes go to the module's weight store, as `bmodel_to_ir` puts
them); one without any reads into bare command groups, which `-t bmodel` wraps in the minimal
net `main`. Both give the same bmodel for the same content.

So that engineers can write assembly tests by hand:
- `parse_listing(text, name)` returns a verified `builtin.module`;
- `nntc-opt prog.bmasm ...` reads files with the `.bmasm` extension through it (e.g.
  `nntc-opt prog.bmasm -t bmodel -o prog.bmodel`);
- every error, syntax or meaning (unknown mnemonic, directive or key, a bad value, a wrong
  count, a verifier rule), is an `AsmError` whose text is one line `file:line:col: message`.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import numpy as np
from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import DiagnosticException, ParseError
from xdsl.utils.lexer import Input, Span
from xdsl.utils.str_enum import StrEnum

from nntc.dialects.bm1684x import (
    DTYPE_CODES,
    INSTRUCTION_OPS,
    STAGE_INT_KEYS,
    CmdField,
    CmdGroupOp,
    CoeffLocationAttr,
    CoeffMemOp,
    InputTensorOp,
    InstructionOp,
    IoTensorOp,
    Kind,
    ModelOp,
    NetOp,
    OutputTensorOp,
    StageOp,
    TiuOp,
)
from nntc.targets.bm1684x.asm import (
    DATA_TYPES,
    DEFAULT_NET,
    MODEL_DEFAULTS,
    STAGE_DEFAULTS,
    TENSOR_INT_KEYS,
    coeff_weight_name,
    tensor_bytes,
)
from nntc.targets.weight_store import WeightStore, attach_weight_store

__all__ = ["AsmError", "EXTENSION", "parse_listing", "parse_listing_file", "frontend"]

EXTENSION = "bmasm"
"""File extension of hand-written listings (nntc-opt picks this frontend by it)."""

_DIRECTIVES = (".net", ".stage", ".input", ".output", ".coeff", ".weight", ".data")
_WEIGHT_SOURCES = ("hex", "npz", "size", *DATA_TYPES)
"""Keys that give a `.weight`'s bytes; exactly one per line."""


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


# --- the net the directives describe --------------------------------------------------------


@dataclass
class _Piece:
    """Bytes of the coefficient memory from one `.weight` or `.data` line."""

    offset: int
    data: bytes
    name: str | None  # None: `.data` (no entry in the location table)
    token: Token | Tree[Any]


@dataclass
class _Coeff:
    address: int
    size: int | None
    sha256: str | None
    token: Token | Tree[Any]
    pieces: list[_Piece] = field(default_factory=list)


@dataclass
class _Stage:
    explicit: bool
    props: dict[str, Attribute | None] = field(default_factory=dict)
    """Stage properties given by `.stage`; None removes a default (`binary_ir=false`)."""
    inputs: list[IoTensorOp] = field(default_factory=list)
    outputs: list[IoTensorOp] = field(default_factory=list)
    coeff: _Coeff | None = None
    groups: list[CmdGroupOp] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inputs or self.outputs or self.coeff or self.groups)


@dataclass
class _Net:
    name: str
    implicit: bool
    props: dict[str, Attribute] = field(default_factory=dict)
    stages: list[_Stage] = field(default_factory=list)

    def stage(self) -> _Stage:
        """The stage that tensors, coefficients and groups go to (opened implicitly)."""
        if not self.stages:
            self.stages.append(_Stage(explicit=False))
        return self.stages[-1]


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


class _Listing:
    """Turns the parse tree of one listing into IR, with located errors."""

    def __init__(self, text: str, name: str, verify_sync: bool) -> None:
        self.input = Input(text, name)
        self.lines = text.split("\n")
        self.name = name
        self.verify_sync = verify_sync
        self.nets: list[_Net] = []
        self.directives = False
        self.store = WeightStore()

    def error(self, token: Token | Tree[Any], message: str) -> AsmError:
        start = _start(token)
        end = start + (len(token) if isinstance(token, Token) else 1)
        return AsmError(Span(start, end, self.input), message)

    def offset(self, line: int, column: int) -> int:
        return sum(len(x) + 1 for x in self.lines[: line - 1]) + column - 1

    # --- the whole listing ------------------------------------------------------------------

    def module(self, tree: Tree[Any]) -> ModuleOp:
        for item in tree.children:
            if item.data == "directive":
                self.directive(item)
            else:
                stage = self.net().stage()
                stage.groups.append(self.group(item, len(stage.groups)))
        if not self.directives:
            return ModuleOp([g for net in self.nets for s in net.stages for g in s.groups])
        model = ModelOp([self.net_op(net) for net in self.nets], **MODEL_DEFAULTS())
        module = ModuleOp([model])
        attach_weight_store(module, self.store)
        return module

    def net(self) -> _Net:
        if not self.nets:
            self.nets.append(_Net(DEFAULT_NET, implicit=True))
        return self.nets[-1]

    def net_op(self, net: _Net) -> NetOp:
        stages = []
        for j, stage in enumerate(net.stages or [_Stage(explicit=False)]):
            ops: list[Operation] = [*stage.inputs, *stage.outputs]
            if stage.coeff is not None:
                ops.append(self.coeff_op(stage.coeff, coeff_weight_name(net.name, j)))
            ops += stage.groups
            props = {**STAGE_DEFAULTS(), **stage.props}
            stages.append(StageOp(ops, **{k: v for k, v in props.items() if v is not None}))
        return NetOp(net.name, stages, **net.props)

    # --- command groups ---------------------------------------------------------------------

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
        if self.verify_sync:
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
        for item in fields:
            key, value = item.children
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

    # --- values of directives ---------------------------------------------------------------

    def integer(self, token: Token | Tree[Any], what: str) -> int:
        if isinstance(token, Tree):
            raise self.error(token, f"expected an integer for {what}, got a list")
        text = str(token)
        try:
            body = text.removeprefix("-")
            value = int(body, 16) if body.lower().startswith("0x") else int(body, 10)
        except ValueError:
            raise self.error(token, f"expected an integer for {what}, got '{text}'") from None
        return -value if text.startswith("-") else value

    def natural(self, token: Token | Tree[Any], what: str) -> int:
        value = self.integer(token, what)
        if value < 0:
            raise self.error(token, f"expected {what} to be >= 0, got {value}")
        return value

    def number(self, token: Token | Tree[Any], what: str) -> float:
        if isinstance(token, Tree):
            raise self.error(token, f"expected a number for {what}, got a list")
        try:
            return float(str(token))
        except ValueError:
            raise self.error(token, f"expected a number for {what}, got '{token}'") from None

    def text(self, token: Token | Tree[Any], what: str) -> str:
        if isinstance(token, Tree):
            raise self.error(token, f"expected a name for {what}, got a list")
        if token.type == "STRING":
            return json.loads(str(token))
        return str(token)

    def items(self, node: Token | Tree[Any], what: str) -> list[Token]:
        if isinstance(node, Token):
            raise self.error(node, f"expected a list [a,b,...] for {what}, got '{node}'")
        return [t for t in node.children if t is not None]

    def boolean(self, token: Token | Tree[Any], what: str) -> bool:
        if isinstance(token, Tree) or str(token) not in ("true", "false"):
            shown = "a list" if isinstance(token, Tree) else f"'{token}'"
            raise self.error(token, f"expected true or false for {what}, got {shown}")
        return str(token) == "true"

    # --- directives -------------------------------------------------------------------------

    def directive(self, tree: Tree[Any]) -> None:
        keyword, *args = tree.children
        kind = str(keyword)
        if kind not in _DIRECTIVES:
            raise self.error(
                keyword, f"unknown directive '{kind}' (expected one of {', '.join(_DIRECTIVES)})"
            )
        self.directives = True
        names = [a for a in args if isinstance(a, Token)]
        fields: dict[str, tuple[Token, Token | Tree[Any]]] = {}
        for a in args:
            if isinstance(a, Tree):
                key, value = a.children
                if str(key) in fields:
                    raise self.error(key, f"{kind}: '{key}' is given twice")
                fields[str(key)] = (key, value)
        takes_name = kind in (".net", ".input", ".output", ".weight")
        if takes_name and len(names) != 1:
            where = names[1] if len(names) > 1 else keyword
            raise self.error(where, f"{kind} takes one name, got {len(names)}")
        if not takes_name and names:
            raise self.error(names[0], f"{kind} takes no name, only key=value pairs")
        handler = {
            ".net": self.d_net,
            ".stage": self.d_stage,
            ".input": self.d_tensor,
            ".output": self.d_tensor,
            ".coeff": self.d_coeff,
            ".weight": self.d_weight,
            ".data": self.d_data,
        }[kind]
        handler(keyword, names[0] if names else None, fields)

    def check_keys(
        self, keyword: Token, fields: dict[str, tuple[Token, Any]], allowed: tuple[str, ...]
    ) -> None:
        for key, (token, _) in fields.items():
            if key not in allowed:
                raise self.error(
                    token, f"{keyword} has no key '{key}' (it takes {', '.join(allowed)})"
                )

    def require(self, keyword: Token, fields: dict[str, tuple[Token, Any]], *keys: str) -> None:
        missing = [k for k in keys if k not in fields]
        if missing:
            raise self.error(keyword, f"{keyword} needs {', '.join(missing)}")

    def d_net(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        assert name is not None
        self.check_keys(keyword, fields, ("addr_mode",))
        net_name = self.text(name, "the net")
        if self.nets and self.nets[-1].implicit and not self.nets[-1].stages:
            self.nets.pop()  # nothing went to the implicit net yet: this line names it
        if any(n.name == net_name for n in self.nets):
            raise self.error(name, f"net '{net_name}' is declared twice")
        net = _Net(net_name, implicit=False)
        if "addr_mode" in fields:
            net.props["addr_mode"] = _i64(self.natural(fields["addr_mode"][1], "addr_mode"))
        self.nets.append(net)

    def d_stage(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        keys = (*STAGE_INT_KEYS, "ctx_sizes", "stage_ir", "subnet_run_core", "binary_ir")
        self.check_keys(keyword, fields, keys)
        net = self.net()
        if net.stages and (net.stages[-1].explicit or not net.stages[-1].empty):
            net.stages.append(_Stage(explicit=True))
        stage = net.stage()
        stage.explicit = True
        for key, (_, value) in fields.items():
            if key in STAGE_INT_KEYS:
                stage.props[key] = _i64(self.natural(value, key))
            elif key in ("ctx_sizes", "stage_ir"):
                ints = [self.natural(t, key) for t in self.items(value, key)]
                stage.props[key] = DenseArrayBase.from_list(i64, ints)
            elif key == "subnet_run_core":
                none = isinstance(value, Token) and str(value) == "none"
                stage.props[key] = None if none else _i64(self.natural(value, key))
            else:
                stage.props[key] = UnitAttr() if self.boolean(value, key) else None

    def d_tensor(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        assert name is not None
        keys = ("dtype", "shape", "addr", "size", "scale", "zero_point", *TENSOR_INT_KEYS)
        self.check_keys(keyword, fields, keys)
        self.require(keyword, fields, "dtype", "shape", "addr")
        dtype = self.text(fields["dtype"][1], "dtype")
        if dtype not in DTYPE_CODES:
            raise self.error(
                fields["dtype"][1],
                f"expected dtype to be one of {', '.join(DTYPE_CODES)}, got '{dtype}'",
            )
        shape = [self.natural(t, "shape") for t in self.items(fields["shape"][1], "shape")]
        props: dict[str, Attribute] = {
            "tensor_name": StringAttr(self.text(name, "the tensor")),
            "dtype": StringAttr(dtype),
            "shape": DenseArrayBase.from_list(i64, shape),
            "device_addr": _i64(self.natural(fields["addr"][1], "addr")),
        }
        size = tensor_bytes(dtype, shape)
        if "size" in fields:
            size = self.natural(fields["size"][1], "size")
        props["size"] = _i64(size)
        if "scale" in fields:
            props["scale"] = FloatAttr(self.number(fields["scale"][1], "scale"), f32)
        if "zero_point" in fields:
            props["zero_point"] = _i64(self.integer(fields["zero_point"][1], "zero_point"))
        for key in TENSOR_INT_KEYS:
            if key in fields:
                props[key] = _i64(self.natural(fields[key][1], key))
        cls = InputTensorOp if str(keyword) == ".input" else OutputTensorOp
        op = cls.create(properties=props)
        self.verify(op, keyword)
        stage = self.net().stage()
        (stage.inputs if cls is InputTensorOp else stage.outputs).append(op)

    def d_coeff(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        self.check_keys(keyword, fields, ("addr", "size", "sha256"))
        self.require(keyword, fields, "addr")
        stage = self.net().stage()
        if stage.coeff is not None:
            raise self.error(keyword, "a stage has one .coeff; this one has it already")
        size = self.natural(fields["size"][1], "size") if "size" in fields else None
        digest = None
        if "sha256" in fields:
            digest = self.text(fields["sha256"][1], "sha256").lower()
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise self.error(fields["sha256"][1], "expected 64 hex digits for sha256")
        address = self.natural(fields["addr"][1], "addr")
        stage.coeff = _Coeff(address, size, digest, keyword)

    def coeff_of(self, keyword: Token) -> _Coeff:
        coeff = self.net().stage().coeff
        if coeff is None:
            raise self.error(keyword, f"{keyword} needs a .coeff line before it in its stage")
        return coeff

    def d_weight(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        assert name is not None
        self.check_keys(keyword, fields, ("offset", *_WEIGHT_SOURCES))
        self.require(keyword, fields, "offset")
        coeff = self.coeff_of(keyword)
        sources = [k for k in fields if k != "offset"]
        if len(sources) != 1:
            raise self.error(
                keyword,
                f".weight needs exactly one of {', '.join(_WEIGHT_SOURCES)} for its bytes, "
                f"got {len(sources)}",
            )
        key = sources[0]
        token, value = fields[key]
        if key == "hex":
            data = self.hex_bytes(value)
        elif key == "size":
            data = bytes(self.natural(value, "size"))
        elif key == "npz":
            data = self.npz_bytes(value)
        else:
            data = self.typed_bytes(key, value)
        offset = self.natural(fields["offset"][1], "offset")
        coeff.pieces.append(_Piece(offset, data, self.text(name, "the weight"), keyword))

    def d_data(self, keyword: Token, name: Token | None, fields: dict[str, Any]) -> None:
        self.check_keys(keyword, fields, ("offset", "hex"))
        self.require(keyword, fields, "offset", "hex")
        coeff = self.coeff_of(keyword)
        offset = self.natural(fields["offset"][1], "offset")
        coeff.pieces.append(_Piece(offset, self.hex_bytes(fields["hex"][1]), None, keyword))

    def hex_bytes(self, value: Token | Tree[Any]) -> bytes:
        text = self.text(value, "hex")
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise self.error(
                value, "expected an even number of hex digits (two per byte) for hex"
            ) from None

    def typed_bytes(self, dtype: str, value: Token | Tree[Any]) -> bytes:
        np_type = np.dtype(DATA_TYPES[dtype])
        items = self.items(value, dtype)
        if np_type.kind == "f":
            return np.array([self.number(t, dtype) for t in items], dtype=np_type).tobytes()
        info = np.iinfo(np_type)
        out = []
        for t in items:
            v = self.integer(t, dtype)
            if not info.min <= v <= info.max:
                raise self.error(t, f"{v} does not fit {dtype} ({info.min}..{info.max})")
            out.append(v)
        return np.array(out, dtype=np_type).tobytes()

    def npz_bytes(self, value: Token | Tree[Any]) -> bytes:
        text = self.text(value, "npz")
        path_text, sep, key = text.rpartition(":")
        if not sep or not path_text or not key:
            raise self.error(value, f"expected npz=\"FILE.npz:KEY\", got '{text}'")
        base = Path(self.name).parent if not self.name.startswith("<") else Path.cwd()
        path = base / path_text
        try:
            with np.load(path, allow_pickle=False) as npz:
                if key not in npz.files:
                    raise self.error(
                        value, f"{path} has no array '{key}' (it has: {', '.join(npz.files)})"
                    )
                array = npz[key]
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise self.error(value, f"cannot read {path}: {reason}") from None
        if array.dtype.kind not in "iuf" or array.dtype.byteorder == ">":
            raise self.error(value, f"{path}:{key} holds {array.dtype}, not numbers")
        return np.ascontiguousarray(array).tobytes()

    def coeff_op(self, coeff: _Coeff, weight_name: str) -> CoeffMemOp:
        """The stage's coefficient memory: its bytes go to the weight store."""
        pieces = sorted(coeff.pieces, key=lambda p: p.offset)
        end = 0
        previous: _Piece | None = None
        for piece in pieces:
            if piece.offset < end:
                assert previous is not None
                raise self.error(
                    piece.token,
                    f"{_what(piece)} at offset {piece.offset:#x} overlaps {_what(previous)}, "
                    f"which ends at {end:#x}",
                )
            end, previous = piece.offset + len(piece.data), piece
        size = end if coeff.size is None else coeff.size
        if size < end:
            assert previous is not None
            raise self.error(
                coeff.token,
                f".coeff size {size:#x} is too small: {_what(previous)} ends at {end:#x}",
            )
        data = bytearray(size)
        for piece in pieces:
            data[piece.offset : piece.offset + len(piece.data)] = piece.data
        if coeff.sha256 is not None and hashlib.sha256(data).hexdigest() != coeff.sha256:
            raise self.error(
                coeff.token,
                "the coefficient bytes do not match sha256 (a listing leaves out the data of "
                "large coefficient memories; `nntc-model --to-mlir` keeps them)",
            )
        self.store[weight_name] = np.frombuffer(bytes(data), dtype=np.uint8)
        props: dict[str, Attribute] = {
            "address": _i64(coeff.address),
            "weight_name": StringAttr(weight_name),
        }
        names = [p for p in coeff.pieces if p.name is not None]
        if names:
            props["locations"] = _locations(names)
        op = CoeffMemOp.create(properties=props)
        self.verify(op, coeff.token)
        return op

    def verify(self, op: Operation, token: Token | Tree[Any]) -> None:
        try:
            op.verify()
        except DiagnosticException as err:
            raise self.error(token, f"{op.name}: {_one_line(err)}") from None


def _locations(pieces: list[_Piece]) -> Attribute:
    return ArrayAttr(
        [
            CoeffLocationAttr(StringAttr(p.name or ""), IntAttr(p.offset), IntAttr(len(p.data)))
            for p in pieces
        ]
    )


def _what(piece: _Piece) -> str:
    return f"weight '{piece.name}'" if piece.name is not None else ".data"


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


def parse_listing(text: str, name: str = "<listing>", verify_sync: bool = True) -> ModuleOp:
    """Parse a listing into a verified module; raises `AsmError`.

    Without directives the module holds bare `bm1684x.cmd_group`s; with them, one
    `bm1684x.model` whose coefficient bytes are in the module's weight store. `name` locates
    errors and is the base of relative `npz=` paths (the working directory for `<...>`).
    `verify_sync=False` skips the command groups' synchronisation rules (waits on ids that never
    come, deadlocks): only for building broken bmodels that test the simulator's run-time checks.
    """
    listing = _Listing(text, name, verify_sync)
    # The grammar ends every line with a newline; a file may not.
    source = text if text.endswith("\n") else text + "\n"
    try:
        tree = _grammar().parse(source)
    except UnexpectedInput as err:
        start = listing.offset(err.line, err.column) if err.line > 0 else len(text)
        start = min(start, len(text))
        raise AsmError(Span(start, start, listing.input), _syntax_message(err)) from None
    return listing.module(tree)


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
    "STRING": "a quoted string",
    "DIRECTIVE": "a directive",
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


def parse_listing_file(path: str, verify_sync: bool = True) -> ModuleOp:
    """Read and parse a listing file; raises `AsmError` (or `OSError`)."""
    with open(path) as stream:
        return parse_listing(stream.read(), path, verify_sync)


def frontend(name: str) -> Any:
    """An nntc-opt frontend (bytes stream -> module) reporting errors against `name`."""

    def parse(stream: IO[bytes]) -> ModuleOp:
        return parse_listing(stream.read().decode(), name)

    return parse
