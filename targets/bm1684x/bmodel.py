"""The bmodel container: read and write the files SOPHGO's runtime loads.

A bmodel is a 64-byte header, a FlatBuffer (root table `Model`, schema in `bmodel.fbs`) padded
with zeros so that header + FlatBuffer is a multiple of 4096 bytes, and a binary blob that the
FlatBuffer points into with `Binary {start, size}` (weights, command buffers, the kernel module).
See `shared/bm1684x/bmodel.md`.

- `read_bmodel(path_or_bytes)` checks the header, bounds-checks every offset, vtable, vector and
  string of the FlatBuffer as it converts it into the dataclasses below (the Python `flatbuffers`
  package has no verifier), checks that every `Binary` lies inside the blob, and raises
  `BModelError("<file>: <what> (at byte N)")` on anything wrong.
- `write_bmodel(bmodel, path)` builds the FlatBuffer with the code `flatc` generated into
  `bmodel_fb/`, in the order the vendor's writer (TPU-MLIR) builds it, so that reading a vendor
  file and writing it back gives the same bytes. The file is written atomically.
- `BlobBuilder` lays out the blob as the vendor does: every piece 4 KiB-aligned, a byte range that
  repeats stored once.

The dataclasses mirror the schema table for table: their fields are declared in field-id order
(the reader relies on it), scalar widths come from the `U8`/`U32`/`I32`/`U64`/`F32` annotations,
`X | None` marks an optional sub-table, struct, string or vector (None = absent, which is not the
same as an empty vector), and defaults are the schema's defaults.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import struct
import time
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar, Union

import flatbuffers

from nntc import __version__ as _nntc_version
from nntc.targets.atomic import write_atomically
from nntc.targets.bm1684x.bmodel_fb import Binary as _fb_binary

MAGIC = 0xFF55AAEE
HEADER_SIZE = 64
FILE_ALIGNMENT = 4096
"""Header + FlatBuffer and every blob piece start on this boundary (a file-format number)."""
MODEL_TYPE = "B"
BMODEL_VERSION = "2.2"
"""`Model.version` is this, a '+', and the writing tool's own version."""

_HEADER = struct.Struct("<IIIQ44x")
assert _HEADER.size == HEADER_SIZE

DATA_TYPE_NAMES: dict[int, str] = {
    0: "float32",
    1: "float16",
    2: "int8",
    3: "uint8",
    4: "int16",
    5: "uint16",
    6: "int32",
    7: "uint32",
    8: "bfloat16",
    9: "int4",
    10: "uint4",
}
"""`Tensor.data_type` codes, named as the vendor's `model_tool` names them."""

SUBNET_MODE_TPU = 0
SUBNET_MODE_CPU = 1


class BModelError(Exception):
    """A bmodel that cannot be read or written; the message is one line for the user."""


# --- scalar annotations ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scalar:
    fmt: str  # struct format character, little-endian

    @property
    def size(self) -> int:
        return struct.calcsize("<" + self.fmt)


U8 = Annotated[int, _Scalar("B")]
U32 = Annotated[int, _Scalar("I")]
I32 = Annotated[int, _Scalar("i")]
U64 = Annotated[int, _Scalar("Q")]
F32 = Annotated[float, _Scalar("f")]

_REQUIRED = {"required": True}


# --- the schema as dataclasses (field order = field id) ----------------------------------------


@dataclass(frozen=True)
class Binary:
    """A byte range of the blob (a FlatBuffers struct)."""

    start: int = 0
    size: int = 0


@dataclass
class Shape:
    dim: list[U64] | None = None


@dataclass
class CmdGroup:
    """TIU (`bdc`) and GDMA commands whose ids restart at the group's start."""

    bdc_num: U32 = 0
    gdma_num: U32 = 0
    binary_bdc: Binary | None = None
    binary_gdma: Binary | None = None
    bdc_cmd_byte: U32 = 0
    gdma_cmd_byte: U32 = 0


@dataclass
class CoreCommands:
    gdma_tiu_commands: list[CmdGroup] | None = None
    sdma_commands: list[Binary] | None = None
    hau_commands: list[Binary] | None = None


@dataclass
class StageIR:
    ir_info_len: U32 = 0
    height_high: I32 = 0
    height_low: I32 = 0
    width_high: I32 = 0
    width_low: I32 = 0


@dataclass
class Location:
    """Where one named weight sits inside the coefficient region."""

    name: str
    offset: U64 = 0
    size: U64 = 0


@dataclass
class CoeffMem:
    address: U64 = 0
    check_code: bytes | None = None
    """SHA-256 of the weight bytes."""
    binary_coeff: Binary | None = None
    location: list[Location] | None = None
    encrypt_mode: I32 = 0
    decrypt_size: U64 = 0


@dataclass
class Tensor:
    name: str
    data_type: U32 = 0
    gmem_stmode: I32 = 0
    device_addr: U64 = 0
    size: U64 = 0
    shape: list[Shape] | None = None
    mem_type: U32 = 0
    scale: F32 = 1.0
    cpu_addr: U32 = 0
    pad_h: U32 = 0
    zero_point: I32 = 0
    hidden: I32 = 0
    """1 for a net input, 2 for a net output, 0 otherwise."""
    index: I32 = 0


@dataclass
class CpuConst:
    name: str | None = None
    const_data: Binary | None = None
    check_code: bytes | None = None


@dataclass
class CpuParam:
    op_type: I32 = 0
    binary_param: Binary | None = None
    cpu_const: list[CpuConst] | None = None
    is_custom: I32 = 0


@dataclass
class OutputFrom:
    indice: list[I32] | None = None


@dataclass
class MergeParam:
    output_from: list[OutputFrom] | None = None


@dataclass
class SwitchParam:
    output_from: list[I32] | None = None
    output_branch: list[I32] | None = None


@dataclass
class SubNet:
    subnet_mode: I32 = SUBNET_MODE_TPU
    cmd_group: list[CmdGroup] | None = None
    cpu_param: list[CpuParam] | None = None
    input_tensor: list[Tensor] | None = None
    output_tensor: list[Tensor] | None = None
    is_dynamic: I32 = 0
    ir_offset: U32 = 0
    ir_len: U32 = 0
    n_dynamic: I32 = 0
    h_w_dynamic: I32 = 0
    id: I32 = -1
    next_subnet_ids: list[I32] | None = None
    merge_param: MergeParam | None = None
    switch_param: SwitchParam | None = None
    core_commands: list[CoreCommands] | None = None
    run_core: U32 = 0


@dataclass
class NetStatic:
    """Legacy, empty."""


@dataclass
class NetDynamic:
    """Legacy, empty."""


@dataclass
class NetParameter:
    """One stage (input shape) of a net."""

    input_tensor: list[Tensor] = field(default_factory=list)
    output_tensor: list[Tensor] = field(default_factory=list)
    ctx_addr: U64 = 0
    ctx_size: U64 = 0
    coeff_mem: CoeffMem | None = None
    is_dynamic: I32 = 0
    n_dynamic: I32 = 0
    h_w_dynamic: I32 = 0
    cmd_group: list[CmdGroup] | None = None
    net_profile: Binary | None = None
    stage_ir: list[StageIR] | None = None
    binary_ir: Binary | None = None
    sub_net: list[SubNet] | None = None
    cpu_mem_size: U32 = 0
    ctx_sizes: list[U64] | None = None
    net_stat: Binary | None = None
    core_num: U32 = 0
    io_addr: U64 = 0
    io_size: U64 = 0
    tensor_loc: Binary | None = None
    dynamic_ctx_addr: U64 = 0
    dynamic_coeff_offset: U64 = 0
    dynamic_combined_coeff_offset: U64 = 0


@dataclass
class Cascade:
    device_id: U32 = 0
    step: U32 = 0
    main_name: str | None = None


@dataclass
class Net:
    name: str
    net_static: NetStatic | None = None
    net_dynamic: NetDynamic | None = None
    parameter: list[NetParameter] | None = None
    cascade: Cascade | None = None
    addr_mode: I32 = 0


@dataclass
class KernelModule:
    file_name: str
    binary: Binary
    mode: I32 = 0


@dataclass
class CpuopModule:
    file_name: str
    binary: Binary


@dataclass
class Model:
    """The root table."""

    type: str = MODEL_TYPE
    version: str = f"{BMODEL_VERSION}+nntc-{_nntc_version}"
    time: str | None = field(default=None, metadata=_REQUIRED)
    """ctime() text with its newline; None: `write_bmodel` stamps the creation time."""
    chip: str = "BM1684X"
    net: list[Net] = field(default_factory=list)
    neuron_size: U64 = 0
    kernel_module: KernelModule | None = None
    device_num: U32 = 0
    cpuop_module: CpuopModule | None = None
    bmodel_type: U32 = 0
    lib_backend: Binary | None = None


@dataclass
class BModel:
    """A whole bmodel file: the FlatBuffer's root table and the blob its `Binary`s point into."""

    model: Model
    blob: bytes = b""
    header: Header | None = field(default=None, compare=False, repr=False)
    """The header of the file it was read from (None for a bmodel built in memory)."""

    def binary(self, b: Binary) -> bytes:
        """The bytes of one blob piece (a command buffer, the weights, ...)."""
        if b.start + b.size > len(self.blob):
            raise BModelError(
                f"Binary {{start: {b.start}, size: {b.size}}} lies outside the "
                f"{len(self.blob)}-byte blob"
            )
        return self.blob[b.start : b.start + b.size]


@dataclass(frozen=True)
class Header:
    """The 64-byte file header (its eleven reserved words are zero)."""

    magic: int
    header_size: int
    flatbuffers_size: int
    binary_size: int


class BlobBuilder:
    """Appends pieces to a blob as the vendor's writer does: each piece starts on a 4 KiB
    boundary (its `size` stays exact) and a byte string added twice is stored once."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._pieces: dict[bytes, Binary] = {}

    def add(self, data: bytes) -> Binary:
        data = bytes(data)
        known = self._pieces.get(data)
        if known is not None:
            return known
        piece = Binary(len(self._data), len(data))
        self._data += data
        self._data += bytes(-len(self._data) % FILE_ALIGNMENT)
        self._pieces[data] = piece
        return piece

    def getvalue(self) -> bytes:
        return bytes(self._data)


def creation_time() -> str:
    """The `Model.time` text for now, as C's ctime() writes it (newline included).

    With `SOURCE_DATE_EPOCH` set (reproducible builds) it is that instant in UTC; otherwise the
    local time, as the vendor's tools write it.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            return time.asctime(time.gmtime(int(epoch))) + "\n"
        except (ValueError, OverflowError, OSError) as e:
            raise BModelError(f"SOURCE_DATE_EPOCH={epoch!r} is not a valid timestamp") from e
    return time.asctime(time.localtime()) + "\n"


# --- schema introspection ----------------------------------------------------------------------

_SCALAR, _STRING, _BYTES, _STRUCT, _TABLE, _VECTOR = range(6)
_BINARY = struct.Struct("<QQ")


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    slot: int
    kind: int
    required: bool
    scalar: _Scalar | None = None  # _SCALAR, and element of a scalar _VECTOR
    sub: type | None = None  # table class of _TABLE, element class of a table/struct _VECTOR
    elem_kind: int = _SCALAR  # element kind of a _VECTOR: _SCALAR, _STRUCT or _TABLE

    @property
    def inline_size(self) -> int:
        """Bytes the field takes inside its table (an offset for strings, vectors, tables)."""
        if self.kind == _SCALAR:
            assert self.scalar is not None
            return self.scalar.size
        return _BINARY.size if self.kind == _STRUCT else 4


_SPECS: dict[type, tuple[_FieldSpec, ...]] = {}


def _classify(tp: Any) -> tuple[int, _Scalar | None, type | None]:
    if typing.get_origin(tp) is Annotated:
        return _SCALAR, tp.__metadata__[0], None
    if tp is str:
        return _STRING, None, None
    if tp is bytes:
        return _BYTES, None, None
    if tp is Binary:
        return _STRUCT, None, Binary
    if dataclasses.is_dataclass(tp):
        return _TABLE, None, tp
    raise TypeError(f"no FlatBuffers mapping for {tp!r}")


def _specs(cls: type) -> tuple[_FieldSpec, ...]:
    """The fields of table dataclass `cls` in field-id order, with their FlatBuffers kinds."""
    cached = _SPECS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls, include_extras=True)
    specs = []
    for slot, f in enumerate(dataclasses.fields(cls)):
        tp = hints[f.name]
        optional = False
        if typing.get_origin(tp) in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            optional, tp = True, args[0]
        required = f.metadata.get("required", False) or (
            not optional and typing.get_origin(tp) is not Annotated
        )
        if typing.get_origin(tp) is list:
            elem_kind, scalar, sub = _classify(typing.get_args(tp)[0])
            specs.append(_FieldSpec(f.name, slot, _VECTOR, required, scalar, sub, elem_kind))
        else:
            kind, scalar, sub = _classify(tp)
            specs.append(_FieldSpec(f.name, slot, kind, required, scalar, sub))
    _SPECS[cls] = result = tuple(specs)
    return result


# --- reading -----------------------------------------------------------------------------------

_MAX_DEPTH = 64
_MAX_TABLES = 1_000_000
T = TypeVar("T")


class _Reader:
    """Converts a FlatBuffer into dataclasses, checking every read against the buffer's bounds
    and alignment (what the C++ FlatBuffers verifier checks) before it is made."""

    def __init__(self, buf: bytes, base: int, label: str) -> None:
        self.buf = buf
        self.base = base  # file offset of buf[0], for messages
        self.label = label
        self.tables = 0
        self.binaries: list[tuple[str, int, Binary]] = []

    def fail(self, pos: int, what: str) -> NoReturn:
        raise BModelError(f"{self.label}: {what} (at byte {self.base + pos})")

    def need(self, pos: int, size: int, align: int, what: str) -> None:
        if pos < 0:
            self.fail(0, f"{what} would start {-pos} bytes before the FlatBuffer")
        if pos + size > len(self.buf):
            self.fail(pos, f"{what} ({size} bytes) runs past the end of the FlatBuffer")
        if pos % align:
            self.fail(pos, f"{what} is not {align}-byte aligned")

    def scalar(self, fmt: str, pos: int, what: str) -> Any:
        size = struct.calcsize("<" + fmt)
        self.need(pos, size, size, what)
        return struct.unpack_from("<" + fmt, self.buf, pos)[0]

    def follow(self, pos: int, what: str) -> int:
        """The target of the uoffset stored at `pos`."""
        off = self.scalar("I", pos, f"{what}: offset")
        if off == 0 or off >= 1 << 31:
            self.fail(pos, f"{what}: invalid offset {off}")
        target = pos + off
        if target >= len(self.buf):
            self.fail(pos, f"{what}: offset {off} points past the end of the FlatBuffer")
        return target

    def string(self, pos: int, what: str) -> str:
        length = self.scalar("I", pos, f"{what}: string length")
        self.need(pos + 4, length + 1, 1, f"{what}: string")
        if self.buf[pos + 4 + length] != 0:
            self.fail(pos + 4 + length, f"{what}: string is not NUL-terminated")
        try:
            return self.buf[pos + 4 : pos + 4 + length].decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(pos + 4 + e.start, f"{what}: string is not UTF-8")

    def binary(self, pos: int, what: str) -> Binary:
        self.need(pos, _BINARY.size, 8, what)
        b = Binary(*_BINARY.unpack_from(self.buf, pos))
        self.binaries.append((what, pos, b))
        return b

    def table(self, cls: type[T], pos: int, path: str, depth: int = 0) -> T:
        if depth > _MAX_DEPTH:
            self.fail(pos, f"{path}: tables nested deeper than {_MAX_DEPTH}")
        self.tables += 1
        if self.tables > _MAX_TABLES:
            self.fail(pos, f"{path}: more than {_MAX_TABLES} tables")
        vt = pos - self.scalar("i", pos, f"{path}: vtable offset")
        self.need(vt, 4, 2, f"{path}: vtable")
        vt_size, obj_size = struct.unpack_from("<HH", self.buf, vt)
        if vt_size < 4 or vt_size % 2:
            self.fail(vt, f"{path}: bad vtable size {vt_size}")
        self.need(vt, vt_size, 2, f"{path}: vtable")
        if obj_size < 4:
            self.fail(vt + 2, f"{path}: bad table size {obj_size}")
        self.need(pos, obj_size, 4, f"{path}: table")
        n_slots = (vt_size - 4) // 2
        values: dict[str, Any] = {}
        for spec in _specs(cls):
            what = f"{path}.{spec.name}"
            off = 0
            if spec.slot < n_slots:
                off = struct.unpack_from("<H", self.buf, vt + 4 + 2 * spec.slot)[0]
            if off == 0:
                if spec.required:
                    self.fail(pos, f"{what}: required field is missing")
                continue
            if off + spec.inline_size > obj_size:
                self.fail(vt + 4 + 2 * spec.slot, f"{what}: field lies outside its table")
            values[spec.name] = self.field(spec, pos + off, what, depth)
        return cls(**values)

    def field(self, spec: _FieldSpec, pos: int, what: str, depth: int) -> Any:
        if spec.kind == _SCALAR:
            assert spec.scalar is not None
            return self.scalar(spec.scalar.fmt, pos, what)
        if spec.kind == _STRUCT:
            return self.binary(pos, what)
        target = self.follow(pos, what)
        if spec.kind == _STRING:
            return self.string(target, what)
        if spec.kind == _TABLE:
            assert spec.sub is not None
            return self.table(spec.sub, target, what, depth + 1)
        n = self.scalar("I", target, f"{what}: vector length")
        data = target + 4
        if spec.kind == _BYTES:
            self.need(data, n, 1, what)
            return bytes(self.buf[data : data + n])
        if spec.elem_kind == _SCALAR:
            assert spec.scalar is not None
            size = spec.scalar.size
            self.need(data, n * size, size, what)
            return list(struct.unpack_from(f"<{n}{spec.scalar.fmt}", self.buf, data))
        if spec.elem_kind == _STRUCT:
            self.need(data, n * _BINARY.size, 8, what)
            return [self.binary(data + 16 * i, f"{what}[{i}]") for i in range(n)]
        assert spec.sub is not None
        self.need(data, 4 * n, 4, what)
        return [
            self.table(
                spec.sub, self.follow(data + 4 * i, f"{what}[{i}]"), f"{what}[{i}]", depth + 1
            )
            for i in range(n)
        ]


def parse_header(data: bytes, label: str = "<memory>") -> Header:
    """The 64-byte header, checked against the length of `data`."""
    if len(data) < HEADER_SIZE:
        raise BModelError(
            f"{label}: file is {len(data)} bytes, too short for the {HEADER_SIZE}-byte header "
            f"(at byte {len(data)})"
        )
    header = Header(*_HEADER.unpack_from(data, 0))
    if header.magic != MAGIC:
        raise BModelError(
            f"{label}: not a bmodel: magic is 0x{header.magic:08X}, expected 0x{MAGIC:08X} "
            "(at byte 0)"
        )
    if header.header_size != HEADER_SIZE:
        raise BModelError(
            f"{label}: header size is {header.header_size}, expected {HEADER_SIZE} (at byte 4)"
        )
    if header.flatbuffers_size < 8:
        raise BModelError(
            f"{label}: FlatBuffer size {header.flatbuffers_size} is too small (at byte 8)"
        )
    expected = HEADER_SIZE + header.flatbuffers_size + header.binary_size
    if len(data) < expected:
        part = "FlatBuffer" if len(data) < HEADER_SIZE + header.flatbuffers_size else "blob"
        raise BModelError(
            f"{label}: file is truncated inside the {part}: the header announces "
            f"{HEADER_SIZE} + {header.flatbuffers_size} + {header.binary_size} = {expected} "
            f"bytes, the file has {len(data)} (at byte {len(data)})"
        )
    if len(data) > expected:
        raise BModelError(
            f"{label}: {len(data) - expected} unexpected bytes after the {expected} bytes the "
            f"header announces (at byte {expected})"
        )
    return header


def read_bmodel(source: str | os.PathLike[str] | bytes) -> BModel:
    """Read and verify a bmodel from a path or from its bytes; raises `BModelError`."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, label = bytes(source), "<memory>"
    else:
        label = os.fspath(source)
        try:
            data = Path(label).read_bytes()
        except OSError as e:
            raise BModelError(f"{label}: cannot read: {e.strerror or e}") from e
    header = parse_header(data, label)
    fb_end = HEADER_SIZE + header.flatbuffers_size
    reader = _Reader(data[HEADER_SIZE:fb_end], HEADER_SIZE, label)
    model = reader.table(Model, reader.follow(0, "root table"), "model")
    for what, pos, b in reader.binaries:
        if b.start + b.size > header.binary_size:
            reader.fail(
                pos,
                f"{what}: Binary {{start: {b.start}, size: {b.size}}} lies outside the "
                f"{header.binary_size}-byte blob",
            )
    return BModel(model, data[fb_end:], header)


# --- writing -----------------------------------------------------------------------------------


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _maybe(value: T | None, make: Callable[[T], int]) -> int | None:
    return None if value is None else make(value)


def _generated(table: type) -> Any:
    """The module `flatc` generated for the table of dataclass `table`."""
    return importlib.import_module(f"nntc.targets.bm1684x.bmodel_fb.{table.__name__}")


class _Writer:
    """Builds the FlatBuffer of a `Model` in the vendor writer's order.

    FlatBuffers are built back to front, and where each object lands (and so the bytes) depends
    on the order of creation: the order of the children of every table and the order in which
    its fields are added. The `_ADD_ORDER`s and the child order of each `_x` method below are
    those of TPU-MLIR's writer, read off vendor files; fields it never writes come after them.
    """

    def __init__(self) -> None:
        self.b = flatbuffers.Builder(4096)
        # The vendor lists a stage's command groups twice (in the NetParameter and in its
        # SubNets) as one table each; equal groups share one table here too.
        self.cmd_groups: dict[tuple[Any, ...], int] = {}

    # generic helpers

    def _table(self, obj: Any, refs: dict[str, int | None], order: Sequence[str] = ()) -> int:
        """Build the table of `obj`: add its fields in `order`, then the others in schema order
        (`refs` holds the offsets of its strings, vectors and sub-tables)."""
        b = self.b
        mod = _generated(type(obj))
        specs = {s.name: s for s in _specs(type(obj))}
        names = list(order) + [n for n in specs if n not in order]
        mod.Start(b)
        for name in names:
            spec = specs[name]
            add: Callable[[flatbuffers.Builder, Any], None] = getattr(mod, "Add" + _camel(name))
            value = getattr(obj, name)
            if spec.kind == _SCALAR:
                add(b, value)
            elif spec.kind == _STRUCT:
                if value is not None:
                    add(b, _fb_binary.CreateBinary(b, value.start, value.size))
            elif refs.get(name) is not None:
                add(b, refs[name])
        return mod.End(b)

    def _str(self, s: str | None) -> int | None:
        return None if s is None else self.b.CreateString(s)

    def _offsets(self, offsets: list[int] | None) -> int | None:
        if offsets is None:
            return None
        self.b.StartVector(4, len(offsets), 4)
        for off in reversed(offsets):
            self.b.PrependUOffsetTRelative(off)
        return self.b.EndVector()

    def _scalars(self, values: list[int] | None, fmt: str) -> int | None:
        if values is None:
            return None
        size = struct.calcsize(fmt)
        self.b.StartVector(size, len(values), size)
        prepend = {"Q": self.b.PrependUint64, "i": self.b.PrependInt32}[fmt]
        for v in reversed(values):
            prepend(v)
        return self.b.EndVector()

    def _bytes(self, data: bytes | None) -> int | None:
        return None if data is None else self.b.CreateByteVector(data)

    def _structs(self, values: list[Binary] | None) -> int | None:
        if values is None:
            return None
        self.b.StartVector(_BINARY.size, len(values), 8)
        for v in reversed(values):
            _fb_binary.CreateBinary(self.b, v.start, v.size)
        return self.b.EndVector()

    def _tables(self, items: list[Any] | None, make: Callable[[Any], int]) -> int | None:
        return None if items is None else self._offsets([make(x) for x in items])

    # one method per table, children in the vendor's order

    def shape(self, s: Shape) -> int:
        return self._table(s, {"dim": self._scalars(s.dim, "Q")})

    _TENSOR_ORDER = ("name", "data_type", "gmem_stmode", "shape", "hidden", "index", "scale")
    _TENSOR_ORDER += ("zero_point", "mem_type", "device_addr", "size")

    def tensor(self, t: Tensor) -> int:
        name = self._str(t.name)
        shape = self._tables(t.shape, self.shape)
        return self._table(t, {"name": name, "shape": shape}, self._TENSOR_ORDER)

    def location(self, loc: Location) -> int:
        return self._table(loc, {"name": self._str(loc.name)})

    def coeff_mem(self, c: CoeffMem) -> int:
        location = self._tables(c.location, self.location)
        check_code = self._bytes(c.check_code)
        refs = {"location": location, "check_code": check_code}
        order = ("address", "check_code", "binary_coeff", "location")
        return self._table(c, refs, order)

    def cmd_group(self, g: CmdGroup) -> int:
        key = dataclasses.astuple(g)
        if key not in self.cmd_groups:
            order = ("bdc_num", "gdma_num", "bdc_cmd_byte", "gdma_cmd_byte", "binary_bdc")
            self.cmd_groups[key] = self._table(g, {}, order)
        return self.cmd_groups[key]

    def core_commands(self, c: CoreCommands) -> int:
        refs = {
            "gdma_tiu_commands": self._tables(c.gdma_tiu_commands, self.cmd_group),
            "sdma_commands": self._structs(c.sdma_commands),
            "hau_commands": self._structs(c.hau_commands),
        }
        return self._table(c, refs)

    def cpu_const(self, c: CpuConst) -> int:
        refs = {"name": self._str(c.name), "check_code": self._bytes(c.check_code)}
        return self._table(c, refs)

    def cpu_param(self, p: CpuParam) -> int:
        refs = {"cpu_const": self._tables(p.cpu_const, self.cpu_const)}
        order = ("op_type", "is_custom", "binary_param", "cpu_const")
        return self._table(p, refs, order)

    def merge_param(self, m: MergeParam) -> int:
        # all index vectors first, then the OutputFrom tables, as the vendor does
        indices = [self._scalars(o.indice, "i") for o in m.output_from or []]
        tables = [
            self._table(o, {"indice": i}) for o, i in zip(m.output_from or [], indices, strict=True)
        ]
        refs = {"output_from": None if m.output_from is None else self._offsets(tables)}
        return self._table(m, refs)

    def switch_param(self, s: SwitchParam) -> int:
        refs = {
            "output_from": self._scalars(s.output_from, "i"),
            "output_branch": self._scalars(s.output_branch, "i"),
        }
        return self._table(s, refs)

    _SUBNET_ORDER = ("cpu_param", "switch_param", "merge_param", "cmd_group", "core_commands")
    _SUBNET_ORDER += ("is_dynamic", "subnet_mode", "input_tensor", "output_tensor", "id")
    _SUBNET_ORDER += ("next_subnet_ids", "run_core")

    def sub_net(self, s: SubNet) -> int:
        refs: dict[str, int | None] = {
            "input_tensor": self._tables(s.input_tensor, self.tensor),
            "output_tensor": self._tables(s.output_tensor, self.tensor),
            "next_subnet_ids": self._scalars(s.next_subnet_ids, "i"),
        }
        if s.subnet_mode == SUBNET_MODE_TPU:
            # The vendor always builds both vectors and adds only the non-empty ones, so a
            # TPU subnet carries an unreferenced empty vector: keep it for identical bytes.
            groups = self._tables(s.cmd_group or [], self.cmd_group)
            cores = self._tables(s.core_commands or [], self.core_commands)
            refs["cmd_group"] = groups if s.cmd_group else None
            refs["core_commands"] = cores if s.core_commands else None
        else:
            refs["cmd_group"] = self._tables(s.cmd_group, self.cmd_group)
            refs["core_commands"] = self._tables(s.core_commands, self.core_commands)
        refs["cpu_param"] = self._tables(s.cpu_param, self.cpu_param)
        refs["merge_param"] = _maybe(s.merge_param, self.merge_param)
        refs["switch_param"] = _maybe(s.switch_param, self.switch_param)
        return self._table(s, refs, self._SUBNET_ORDER)

    def stage_ir(self, s: StageIR) -> int:
        return self._table(s, {})

    _PARAMETER_ORDER = ("input_tensor", "output_tensor", "ctx_addr", "ctx_size", "ctx_sizes")
    _PARAMETER_ORDER += ("coeff_mem", "is_dynamic", "n_dynamic", "h_w_dynamic", "cmd_group")
    _PARAMETER_ORDER += ("stage_ir", "binary_ir", "sub_net", "cpu_mem_size", "core_num")
    _PARAMETER_ORDER += ("io_addr", "io_size", "dynamic_ctx_addr", "dynamic_coeff_offset")
    _PARAMETER_ORDER += ("dynamic_combined_coeff_offset", "net_profile", "tensor_loc")

    def parameter(self, p: NetParameter) -> int:
        refs: dict[str, int | None] = {
            "input_tensor": self._tables(p.input_tensor, self.tensor),
            "output_tensor": self._tables(p.output_tensor, self.tensor),
            "coeff_mem": _maybe(p.coeff_mem, self.coeff_mem),
            "ctx_sizes": self._scalars(p.ctx_sizes, "Q"),
        }
        refs["sub_net"] = self._tables(p.sub_net, self.sub_net)
        refs["cmd_group"] = self._tables(p.cmd_group, self.cmd_group)
        refs["stage_ir"] = self._tables(p.stage_ir, self.stage_ir)
        return self._table(p, refs, self._PARAMETER_ORDER)

    def net(self, n: Net, parameters: list[int] | None) -> int:
        refs: dict[str, int | None] = {"parameter": self._offsets(parameters)}
        if n.cascade is not None:
            main_name = self._str(n.cascade.main_name)
            refs["cascade"] = self._table(n.cascade, {"main_name": main_name})
        refs["name"] = self._str(n.name)
        refs["net_static"] = _maybe(n.net_static, lambda x: self._table(x, {}))
        refs["net_dynamic"] = _maybe(n.net_dynamic, lambda x: self._table(x, {}))
        return self._table(n, refs, ("name", "cascade", "parameter", "addr_mode"))

    _MODEL_ORDER = ("chip", "type", "time", "version", "net", "neuron_size", "kernel_module")
    _MODEL_ORDER += ("device_num", "cpuop_module", "bmodel_type", "lib_backend")

    def model(self, m: Model) -> bytes:
        # The vendor emits every stage while compiling, and the nets and the root at the end.
        stages = [
            None if n.parameter is None else [self.parameter(p) for p in n.parameter] for n in m.net
        ]
        nets = [self.net(n, p) for n, p in zip(m.net, stages, strict=True)]
        refs: dict[str, int | None] = {"type": self._str(m.type), "version": self._str(m.version)}
        refs["net"] = self._offsets(nets)
        refs["chip"] = self._str(m.chip)
        refs["time"] = self._str(m.time if m.time is not None else creation_time())
        kernel_name = None
        if m.kernel_module is not None:
            kernel_name = self._str(m.kernel_module.file_name)
            refs["kernel_module"] = self._table(m.kernel_module, {"file_name": kernel_name})
        if m.cpuop_module is not None:
            # the vendor names both modules with one string
            cpuop_name = kernel_name
            if m.kernel_module is None or m.cpuop_module.file_name != m.kernel_module.file_name:
                cpuop_name = self._str(m.cpuop_module.file_name)
            refs["cpuop_module"] = self._table(m.cpuop_module, {"file_name": cpuop_name})
        root = self._table(m, refs, self._MODEL_ORDER)
        self.b.Finish(root)
        return bytes(self.b.Output())


def _check_binaries(model: Model, blob_size: int) -> None:
    """Every `Binary` of the model must be a 4 KiB-aligned range inside the blob."""

    def visit(obj: Any, path: str) -> None:
        if isinstance(obj, Binary):
            if obj.start % FILE_ALIGNMENT or obj.start + obj.size > blob_size:
                raise BModelError(
                    f"{path}: Binary {{start: {obj.start}, size: {obj.size}}} is not a "
                    f"{FILE_ALIGNMENT}-byte aligned range of the {blob_size}-byte blob"
                )
        elif isinstance(obj, list):
            for i, x in enumerate(obj):
                visit(x, f"{path}[{i}]")
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                visit(getattr(obj, f.name), f"{path}.{f.name}")

    visit(model, "model")


def bmodel_bytes(bmodel: BModel) -> bytes:
    """The bytes of the bmodel file (header, padded FlatBuffer, blob)."""
    if len(bmodel.blob) % FILE_ALIGNMENT:
        raise BModelError(
            f"the blob is {len(bmodel.blob)} bytes, not a multiple of {FILE_ALIGNMENT}"
        )
    _check_binaries(bmodel.model, len(bmodel.blob))
    for path, value in (("type", bmodel.model.type), ("chip", bmodel.model.chip)):
        if not value:
            raise BModelError(f"model.{path} must not be empty")
    flat = _Writer().model(bmodel.model)
    flat += bytes(-(HEADER_SIZE + len(flat)) % FILE_ALIGNMENT)
    header = _HEADER.pack(MAGIC, HEADER_SIZE, len(flat), len(bmodel.blob))
    return header + flat + bmodel.blob


def write_bmodel(bmodel: BModel, path: str | os.PathLike[str]) -> None:
    """Write `bmodel` to `path` atomically (a temporary file beside it, then a rename)."""
    data = bmodel_bytes(bmodel)
    target = Path(path)
    try:
        write_atomically(target, data)
    except OSError as e:
        raise BModelError(f"{target}: cannot write: {e.strerror or e}") from e
