"""Bit-exact encoder and decoder of BM1684X TIU and GDMA commands, driven by the CSV field tables.

Every command class of the chip (43: 30 TIU, 13 GDMA) is described by one `fields/<class>.csv`
(field name, bit offset, bit width) and one row of `fields/INDEX.csv` (engine, form, length, decode
key). This module loads those tables once and builds from them:

- `COMMAND_CLASSES`: class name -> `CommandClass` (layout, length, decode keys, op names);
- `encode` / `decode_command`: one command to bytes and back;
- `encode_queue` / `decode_queue`: a whole engine stream of a command group, with the vendor's
  end-of-queue rule and zero padding, so that `encode_queue(decode_queue(buf)) == buf` on real
  bmodel buffers;
- the opcode tables of isa.md §4-§6 (`OP_NAMES`, `op_name`, `find_op`, `DType`, `Layout`).

Names. A class is named by its CSV file stem (`sAR`, `RQ_DQ`, `sTRANS_sBC`, `DMA_tensor`); the
vendor's own spelling is `CommandClass.source_name` (`RQ&DQ`, `DMA_tensor（0x000）`). Fields keep
the vendor names verbatim, including odd ones such as `src_cstride(move length)`. A class may
repeat a name (`reserved`, `Reserved`): the first occurrence keeps the plain name and the k-th
(k >= 2) is named `<name>#<k>`, counted separately for each exact (case-sensitive) spelling, e.g.
DMA_tensor has `reserved`, `reserved#2`, `reserved#3`, `reserved#4`. No bit is lost that way.

Decoding follows the vendor debugger (isa.md §2.3): the class is chosen by the head key
(cmd_short, tsk_typ, tsk_eu_typ) for TIU and (cmd_short, cmd_type, cmd_special_function) for
GDMA; LAR and SYSID ignore bit 0; SEG/sSEG are not registered and can only be read with
`decode_as`. Where the libsophon runtime sizes commands differently (isa.md §11.2: short AR with
eu 24/25, tsk_typ 12) the debugger's lengths, i.e. the CSV layouts, are used.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from nntc.targets.bm1684x.chip import CMD_QUEUE_ALIGN_BYTES, CMD_QUEUE_MAX_TAIL_BYTES

__all__ = [
    "COMMAND_CLASSES",
    "CodecError",
    "Command",
    "CommandClass",
    "DType",
    "Engine",
    "Field",
    "Form",
    "Layout",
    "OP_NAMES",
    "decode_as",
    "decode_command",
    "decode_queue",
    "encode",
    "encode_queue",
    "find_op",
    "make_command",
    "op_name",
]


class CodecError(ValueError):
    """A command that cannot be encoded or a buffer that cannot be decoded."""


class Engine(enum.Enum):
    """The two command queues of a command group (the bmodel calls TIU `bdc`)."""

    TIU = "TIU"
    GDMA = "GDMA"

    @classmethod
    def of(cls, engine: Engine | str) -> Engine:
        """Accept an `Engine` or its name in any case; `bdc` is the bmodel's name for TIU."""
        if isinstance(engine, Engine):
            return engine
        upper = engine.upper()
        if upper == "BDC":
            return cls.TIU
        try:
            return cls(upper)
        except ValueError:
            raise CodecError(f"unknown engine {engine!r} (expected TIU or GDMA)") from None


class Form(enum.Enum):
    """Long and short forms share an opcode and differ in `cmd_short`; fixed ones ignore it."""

    LONG = "long"
    SHORT = "short"
    FIXED = "fixed"


class DType(enum.IntEnum):
    """TIU `*_prec` and GDMA `*_data_format` codes (isa.md §5)."""

    INT8 = 0
    FP16 = 1
    FP32 = 2
    INT16 = 3
    INT32 = 4
    BF16 = 5
    INT4 = 6
    FP8 = 7


class Layout(enum.IntEnum):
    """TIU operand layout codes `res0_str`, `opd0_str`, ... (isa.md §6)."""

    ALIGN_EU = 0
    COMPACT = 1
    OFFSET = 2
    FREE_STRIDE = 3
    T4 = 4


# --- opcode tables (isa.md §4; vendor opdef.py) ---------------------------------------------
# Keyed by sub-type (tsk_eu_typ / cmd_special_function). Long and short forms share a table.

CONV_OPS = {0: "conv.normal", 1: "conv.wrq", 2: "conv.wrqrelu"}
PORD_OPS = {
    0: "pord.depthwise",
    1: "pord.avgpooling",
    2: "pord.depthwiserelu",
    4: "pord.maxpooling",
    5: "pord.roiDepthwise",
    6: "pord.roiavgpooling",
    7: "pord.roimaxpooling",
}
MM_OPS = {1: "mm.normal", 2: "mm.wrq", 3: "mm.wrqrelu"}
MM2_OPS = {4: "mm2.nn", 5: "mm2.nt", 6: "mm2.tt"}
AR_OPS = {
    0: "arith.mul",
    1: "arith.not",
    2: "arith.add",
    3: "arith.sub",
    4: "arith.max",
    5: "arith.min",
    6: "arith.logicShift",
    7: "arith.and",
    8: "arith.or",
    9: "arith.xor",
    10: "arith.selectGreat",
    11: "arith.selectEqual",
    12: "arith.div",
    13: "arith.selectLess",
    14: "arith.cast",
    15: "arith.adds",
    16: "arith.subs",
    18: "arith.mac",
    19: "arith.copy",
    20: "arith.muls",
    21: "arith.ashift",
    22: "arith.cshift",
    23: "arith.mulDHR",
    24: "arith.euIdxGen",
    25: "arith.npuIdxGen",
    26: "arith.abs",
    27: "arith.fsubabs",
    28: "arith.copyMb",
    29: "arith.getFirstOne",
    30: "arith.getFirstZero",
}
RQ_DQ_OPS = {
    0: "quant.rq0",
    1: "quant.rq1",
    2: "quant.rq2",
    3: "quant.dq0",
    4: "quant.dq1",
    5: "quant.dq2",
}
TRANS_BC_OPS = {
    0: "tsbc.cw_ts",
    1: "tsbc.wc_ts",
    2: "tsbc.l_copy",
    3: "tsbc.l_bc",
    4: "tsbc.s_bc",
    5: "tsbc.s_distribute",
}
SG_OPS = {
    0: "sg.pl_gather_d1coor",
    1: "sg.pl_gather_d2coor",
    2: "sg.pl_gather_rec",
    3: "sg.pl_scatter_d1coor",
    4: "sg.pl_scatter_d2coor",
    5: "sg.pe_s_gather_d1coor",
    6: "sg.pe_s_scatter_d1coor",
    7: "sg.pe_m_gather_d1coor",
    8: "sg.pe_s_mask_select",
    9: "sg.pe_s_nonzero",
    10: "sg.pe_s_scatter_pp_d1coor",
    11: "sg.pl_gather_perw",
    12: "sg.pl_scatter_perw",
    13: "sg.pe_s_gather_hzd",
    14: "sg.pe_s_scatter_hzd",
    15: "sg.pe_s_mask_selhzd",
    16: "sg.pe_s_nonzero_hzd",
}
SGL_OPS = {17: "sgl.pe_s_gather_line", 18: "sgl.pe_s_scatter_line"}
# The vendor registers LAR for eu 0-30 without names; these are ours.
LAR_OPS = {eu: f"lar.{eu}" for eu in range(31)}
SFU_OPS = {12: "sfu.taylor_4x", 13: "sfu.taylor", 15: "sfu.normalize", 17: "sfu.rsqrt"}
LIN_OPS = {1: "lin.mac", 20: "lin.square_sum", 21: "lin.square_diff"}
CMP_OPS = {
    22: "cmp.gt_and_sel",
    23: "cmp.sel_gt",
    24: "cmp.sel_eq",
    25: "cmp.lt_and_sel",
    26: "cmp.sel_lt",
}
VC_OPS = {
    0: "vc.mul",
    2: "vc.add",
    3: "vc.sub",
    4: "vc.max",
    5: "vc.min",
    7: "vc.and",
    8: "vc.or",
    9: "vc.xor",
    10: "vc.select_gt",
    11: "vc.select_eq",
    12: "vc.div",
    13: "vc.select_lt",
    15: "vc.add_satu",
    16: "vc.sub_satu",
    20: "vc.mul_satu",
    23: "vc.mulDHR",
}
SYS_OPS = {
    0: "sys.intr_barrier",
    1: "sys.spb",
    2: "sys.swr",
    3: "sys.swr_from_lmem",
    4: "sys.swr_collect_from_lmem",
    5: "sys.data_barrier",
    30: "sys.nop",
    31: "sys.end",
}
SYS_END = 31
"""`tsk_eu_typ` of the SYSID command that ends a TIU queue."""

DMA_TENSOR_OPS = {
    0: "dma.tensor",
    1: "dma.tensor.transpose",
    2: "dma.tensor.collect",
    3: "dma.tensor.broadcast",
    4: "dma.tensor.distribute",
    5: "dma.tensor.4bank_copy",
    6: "dma.tensor.4bank_broadcast",
}
DMA_MATRIX_OPS = {0: "dma.matrix", 1: "dma.matrix.transpose"}
DMA_MASKED_SELECT_OPS = {0: "dma.masked_select"}
DMA_GENERAL_OPS = {0: "dma.general", 1: "dma.general.broadcast"}
DMA_CW_TRANSPOSE_OPS = {0: "dma.cw_transpose"}
DMA_NONZERO_OPS = {0: "dma.nonzero"}
DMA_SYS_OPS = {0: "dma.sys", 1: "dma.sys.nop"}
DMA_SYS_END = 0
"""`cmd_special_function` of the sDMA_sys command that ends a GDMA queue."""
# The vendor spells these two with a `gdma.` prefix.
DMA_GATHER_OPS = {0: "gdma.gather"}
DMA_SCATTER_OPS = {0: "gdma.scatter"}

OP_NAMES: dict[str, dict[int, str]] = {
    "CONV": CONV_OPS,
    "sCONV": CONV_OPS,
    "PorD": PORD_OPS,
    "sPorD": PORD_OPS,
    "MM": MM_OPS,
    "sMM": MM_OPS,
    "MM2": MM2_OPS,
    "sMM2": MM2_OPS,
    "AR": AR_OPS,
    "sAR": AR_OPS,
    "RQ_DQ": RQ_DQ_OPS,
    "sRQ_sDQ": RQ_DQ_OPS,
    "TRANS_BC": TRANS_BC_OPS,
    "sTRANS_sBC": TRANS_BC_OPS,
    "SG": SG_OPS,
    "sSG": SG_OPS,
    "SGL": SGL_OPS,
    "sSGL": SGL_OPS,
    "LAR": LAR_OPS,
    "SFU": SFU_OPS,
    "sSFU": SFU_OPS,
    "LIN": LIN_OPS,
    "sLIN": LIN_OPS,
    "CMP": CMP_OPS,
    "sCMP": CMP_OPS,
    "VC": VC_OPS,
    "sVC": VC_OPS,
    "SYSID": SYS_OPS,
    "DMA_tensor": DMA_TENSOR_OPS,
    "DMA_matrix": DMA_MATRIX_OPS,
    "sDMA_matrix": DMA_MATRIX_OPS,
    "DMA_masked_select": DMA_MASKED_SELECT_OPS,
    "sDMA_masked_select": DMA_MASKED_SELECT_OPS,
    "DMA_general": DMA_GENERAL_OPS,
    "sDMA_general": DMA_GENERAL_OPS,
    "DMA_cw_transpose": DMA_CW_TRANSPOSE_OPS,
    "DMA_nonzero": DMA_NONZERO_OPS,
    "sDMA_nonzero": DMA_NONZERO_OPS,
    "sDMA_sys": DMA_SYS_OPS,
    "DMA_gather": DMA_GATHER_OPS,
    "DMA_scatter": DMA_SCATTER_OPS,
}
"""Class name -> {sub-type: op name}. SEG and sSEG have no vendor opcode and no names."""

# Bit positions of the decode key in each engine's head: (offset, width) of cmd_short, the
# opcode and the sub-type (isa.md §2.1, §2.2).
_KEY_BITS: dict[Engine, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    Engine.TIU: ((0, 1), (41, 4), (45, 5)),
    Engine.GDMA: ((3, 1), (32, 4), (36, 3)),
}
# Bytes that hold the whole key, so a head can be read before the class (and length) is known.
_HEAD_BYTES = {Engine.TIU: 7, Engine.GDMA: 5}
_END_CLASS = {Engine.TIU: "SYSID", Engine.GDMA: "sDMA_sys"}


@dataclass(frozen=True)
class Field:
    """One bit field: `name` is unique in its class, `source_name` is the vendor's spelling."""

    name: str
    source_name: str
    offset: int
    width: int

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True)
class CommandClass:
    """The layout and identity of one command class, as given by its CSV and INDEX.csv row."""

    name: str
    source_name: str
    engine: Engine
    form: Form
    length_bits: int
    fields: tuple[Field, ...]
    cmd_short: int | None
    """Key value of cmd_short; None where bit 0 is ignored (LAR, SYSID) or for SEG/sSEG."""
    opcode: int | None
    """tsk_typ (TIU) or cmd_type (GDMA); None for the unregistered SEG/sSEG."""
    subtypes: tuple[int, ...]
    """The registered tsk_eu_typ / cmd_special_function values."""
    key_fields: tuple[str | None, str | None, str | None]
    """Names of the fields holding cmd_short, opcode and sub-type (None where bit 0 is data)."""
    _by_name: dict[str, Field] = dataclasses.field(init=False, repr=False, compare=False)
    _layout: tuple[tuple[str, int, int], ...] = dataclasses.field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "_layout", tuple((f.name, f.offset, f.mask) for f in self.fields))

    @property
    def length_bytes(self) -> int:
        return self.length_bits // 8

    @property
    def registered(self) -> bool:
        """Whether `decode_command` can identify this class from its head."""
        return self.opcode is not None

    @property
    def keys(self) -> tuple[tuple[int, int, int], ...]:
        """Every (cmd_short, opcode, sub-type) head key that decodes as this class."""
        if self.opcode is None:
            return ()
        shorts = (0, 1) if self.cmd_short is None else (self.cmd_short,)
        return tuple((s, self.opcode, sub) for s in shorts for sub in self.subtypes)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise CodecError(f"command class {self.name} has no field {name!r}") from None

    @property
    def op_names(self) -> dict[int, str]:
        return OP_NAMES.get(self.name, {})


@dataclass(slots=True)
class Command:
    """One decoded command: its class name and every field value, in the class's field order."""

    name: str
    fields: dict[str, int]

    @property
    def command_class(self) -> CommandClass:
        return _command_class(self.name)

    @property
    def engine(self) -> Engine:
        return self.command_class.engine

    @property
    def op_name(self) -> str:
        return op_name(self)

    def __getitem__(self, field_name: str) -> int:
        return self.fields[field_name]

    def encode(self) -> bytes:
        return encode(self.name, self.fields)


# --- loading the tables --------------------------------------------------------------------


def _parse_subtypes(text: str) -> tuple[int, ...]:
    """INDEX.csv writes sub-types as `0-16,18-30` or `1,20,21`."""
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        values.extend(range(int(lo), int(hi or lo) + 1))
    return tuple(values)


def _read_fields(text: str, cls_name: str, length_bits: int) -> tuple[Field, ...]:
    seen: dict[str, int] = {}
    fields: list[Field] = []
    end = 0
    for row in csv.DictReader(io.StringIO(text)):
        source = row["field"]
        offset, width = int(row["bit_offset"]), int(row["bit_width"])
        # The encoder relies on fields tiling the command exactly: check it once here.
        if offset != end or width <= 0:
            raise CodecError(f"fields/{cls_name}: field {source!r} at bit {offset} breaks tiling")
        end = offset + width
        count = seen[source] = seen.get(source, 0) + 1
        fields.append(Field(source if count == 1 else f"{source}#{count}", source, offset, width))
    if end != length_bits:
        raise CodecError(
            f"fields/{cls_name}: fields cover {end} bits, INDEX.csv says {length_bits}"
        )
    return tuple(fields)


def _find_key_field(fields: tuple[Field, ...], offset: int, width: int) -> str | None:
    for f in fields:
        if f.offset == offset and f.width == width:
            return f.name
    return None


def _load_classes() -> dict[str, CommandClass]:
    folder = resources.files(__package__).joinpath("fields")
    classes: dict[str, CommandClass] = {}
    index = folder.joinpath("INDEX.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(index)):
        name = row["file"].removesuffix(".csv")
        engine = Engine(row["engine"])
        length_bits = int(row["length_bits"])
        fields = _read_fields(
            folder.joinpath(row["file"]).read_text(encoding="utf-8"), name, length_bits
        )
        short_text, opcode_text = row["key_cmd_short"], row["key_opcode"]
        key_bits = _KEY_BITS[engine]
        short_field = _find_key_field(fields, *key_bits[0]) if short_text in ("0", "1") else None
        key_fields = (
            short_field,
            _find_key_field(fields, *key_bits[1]),
            _find_key_field(fields, *key_bits[2]),
        )
        opcode = int(opcode_text) if opcode_text else None
        if opcode is not None and None in key_fields[1:]:
            raise CodecError(f"fields/{name}: no opcode/sub-type field at the {engine.value} key")
        classes[name] = CommandClass(
            name=name,
            source_name=row["class_name_in_source"],
            engine=engine,
            form=Form(row["form"]),
            length_bits=length_bits,
            fields=fields,
            cmd_short=int(short_text) if short_text in ("0", "1") else None,
            opcode=opcode,
            subtypes=_parse_subtypes(row["key_subtypes"]),
            key_fields=key_fields,
        )
    return classes


COMMAND_CLASSES: dict[str, CommandClass] = _load_classes()
"""All 43 command classes, by CSV file stem."""

_DECODE_TABLES: dict[Engine, dict[tuple[int, int, int], CommandClass]] = {e: {} for e in Engine}
for _cls in COMMAND_CLASSES.values():
    for _key in _cls.keys:
        _clash = _DECODE_TABLES[_cls.engine].setdefault(_key, _cls)
        if _clash is not _cls:
            raise CodecError(f"decode key {_key} claimed by both {_clash.name} and {_cls.name}")

# op name -> (class name, sub-type), separately for long (and fixed) and short classes.
_OPS_BY_NAME: dict[tuple[str, bool], tuple[str, int]] = {
    (op, cls.form is Form.SHORT): (cls.name, sub)
    for cls in COMMAND_CLASSES.values()
    for sub, op in cls.op_names.items()
    if sub in cls.subtypes
}


def _command_class(name: str) -> CommandClass:
    try:
        return COMMAND_CLASSES[name]
    except KeyError:
        raise CodecError(f"unknown BM1684X command class {name!r}") from None


# --- op names -------------------------------------------------------------------------------


def op_name(command: Command) -> str:
    """The vendor's op name of a command (`arith.add`, `dma.tensor.broadcast`, `sys.end`)."""
    cls = command.command_class
    sub_field = cls.key_fields[2]
    sub = command.fields[sub_field] if sub_field is not None else 0
    name = cls.op_names.get(sub)
    return name if name is not None else f"{cls.name}.{sub}"


def find_op(name: str, short: bool) -> tuple[str, int]:
    """The (class name, sub-type) of an op name in its short or long form (fixed counts as long).

    `find_op("arith.add", short=True)` is `("sAR", 2)`.
    """
    try:
        return _OPS_BY_NAME[(name, short)]
    except KeyError:
        form = "short" if short else "long"
        raise CodecError(f"no {form} BM1684X command has the op name {name!r}") from None


# --- encoding -------------------------------------------------------------------------------


def _key_of(value: int, engine: Engine) -> tuple[int, int, int]:
    (s_off, _), (op_off, op_w), (sub_off, sub_w) = _KEY_BITS[engine]
    return (
        (value >> s_off) & 1,
        (value >> op_off) & ((1 << op_w) - 1),
        (value >> sub_off) & ((1 << sub_w) - 1),
    )


def encode(cls_name: str, fields: Mapping[str, int]) -> bytes:
    """Pack `fields` into the little-endian bytes of one `cls_name` command.

    Missing fields are 0, except cmd_short and the opcode, which default to the class's own
    values. The result must decode as `cls_name`: a sub-type (or an explicit cmd_short/opcode)
    outside the class's keys is rejected, since it would silently decode as another class.
    """
    cls = _command_class(cls_name)
    by_name = cls._by_name
    value = 0
    for name, v in fields.items():
        f = by_name.get(name)
        if f is None:
            raise CodecError(f"command class {cls.name} has no field {name!r}")
        if not isinstance(v, int):
            raise CodecError(f"{cls.name}.{name}: expected an int, got {type(v).__name__}")
        if v < 0 or v > f.mask:
            raise CodecError(
                f"{cls.name}.{name}: value {v} does not fit in {f.width} bits (0 .. {f.mask})"
            )
        value |= v << f.offset
    if cls.opcode is None:
        return value.to_bytes(cls.length_bytes, "little")
    short_field, opcode_field, sub_field = cls.key_fields
    if short_field is not None and short_field not in fields:
        value |= (cls.cmd_short or 0) << by_name[short_field].offset
    if opcode_field is not None and opcode_field not in fields:
        value |= cls.opcode << by_name[opcode_field].offset
    key = _key_of(value, cls.engine)
    if _DECODE_TABLES[cls.engine].get(key) is not cls:
        short, opcode, sub = key
        if cls.cmd_short is not None and short != cls.cmd_short:
            raise CodecError(f"{cls.name}.{short_field}: must be {cls.cmd_short}, got {short}")
        if opcode != cls.opcode:
            raise CodecError(f"{cls.name}.{opcode_field}: must be {cls.opcode}, got {opcode}")
        allowed = ", ".join(str(s) for s in cls.subtypes)
        raise CodecError(f"{cls.name}.{sub_field}: {sub} is not one of its sub-types ({allowed})")
    return value.to_bytes(cls.length_bytes, "little")


def make_command(cls_name: str, fields: Mapping[str, int] | None = None) -> Command:
    """A `Command` with every field of `cls_name` (checked as `encode` does), as decode gives it."""
    data = encode(cls_name, fields or {})
    return decode_as(cls_name, data)


def encode_queue(commands: Iterable[Command]) -> bytes:
    """The bytes of one engine stream: the commands back to back, then the vendor's padding.

    When the last command is the engine's system command (SYSID / sDMA_sys), the stream is
    zero-padded to a multiple of CMD_QUEUE_ALIGN_BYTES (isa.md §3.3); a stream that does not end
    with it is not padded, since trailing zeros would then decode as more commands.
    """
    parts: list[bytes] = []
    engine: Engine | None = None
    last: Command | None = None
    for cmd in commands:
        cls = _command_class(cmd.name)
        if engine is None:
            engine = cls.engine
        elif cls.engine is not engine:
            raise CodecError(
                f"command {len(parts)} ({cls.name}) is a {cls.engine.value} command in a "
                f"{engine.value} queue"
            )
        parts.append(encode(cmd.name, cmd.fields))
        last = cmd
    data = b"".join(parts)
    if last is not None and engine is not None and last.name == _END_CLASS[engine]:
        data += bytes(-len(data) % CMD_QUEUE_ALIGN_BYTES)
    return data


# --- decoding -------------------------------------------------------------------------------


def _unpack(cls: CommandClass, data: bytes | bytearray | memoryview, offset: int) -> Command:
    end = offset + cls.length_bytes
    if end > len(data):
        raise CodecError(
            f"truncated {cls.name} command at byte {offset}: it needs {cls.length_bytes} bytes, "
            f"{len(data) - offset} are left"
        )
    v = int.from_bytes(data[offset:end], "little")
    return Command(cls.name, {name: (v >> off) & mask for name, off, mask in cls._layout})


def decode_as(cls_name: str, data: bytes | bytearray | memoryview, offset: int = 0) -> Command:
    """Read the command at `offset` as `cls_name`, without looking at its head key."""
    return _unpack(_command_class(cls_name), data, offset)


def _identify(
    data: bytes | bytearray | memoryview,
    offset: int,
    engine: Engine,
    table: dict[tuple[int, int, int], CommandClass],
) -> CommandClass:
    head_bytes = _HEAD_BYTES[engine]
    if offset < 0 or offset + head_bytes > len(data):
        raise CodecError(
            f"truncated {engine.value} command at byte {offset}: its head needs {head_bytes} "
            f"bytes, {max(len(data) - offset, 0)} are left"
        )
    key = _key_of(int.from_bytes(data[offset : offset + head_bytes], "little"), engine)
    cls = table.get(key)
    if cls is None:
        names = (
            ("cmd_short", "tsk_typ", "tsk_eu_typ")
            if engine is Engine.TIU
            else ("cmd_short", "cmd_type", "cmd_special_function")
        )
        shown = ", ".join(f"{n}={v}" for n, v in zip(names, key, strict=True))
        raise CodecError(f"unknown {engine.value} command at byte {offset}: {shown}")
    return cls


def decode_command(
    data: bytes | bytearray | memoryview, offset: int, engine: Engine | str
) -> tuple[Command, int]:
    """Decode the `engine` command starting at byte `offset`; return it and the next offset."""
    eng = Engine.of(engine)
    cls = _identify(data, offset, eng, _DECODE_TABLES[eng])
    return _unpack(cls, data, offset), offset + cls.length_bytes


def decode_queue(data: bytes | bytearray | memoryview, engine: Engine | str) -> list[Command]:
    """Decode one engine stream of a command group (isa.md §2.3).

    Decoding stops after the engine's system command when what is left is at most
    CMD_QUEUE_MAX_TAIL_BYTES bytes, all zero, or at the end of the buffer. Anything else left is
    decoded as further commands, as the vendor's debugger does.
    """
    eng = Engine.of(engine)
    table = _DECODE_TABLES[eng]
    end_cls = COMMAND_CLASSES[_END_CLASS[eng]]
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    size = len(view)
    commands: list[Command] = []
    offset = 0
    while offset < size:
        cls = _identify(view, offset, eng, table)
        commands.append(_unpack(cls, view, offset))
        offset += cls.length_bytes
        if (
            cls is end_cls
            and size - offset <= CMD_QUEUE_MAX_TAIL_BYTES
            and not any(view[offset:size])
        ):
            break
    return commands
