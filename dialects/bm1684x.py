"""The `bm1684x` dialect: BM1684X machine commands as an assembly-like IR.

One op per command class the compiler emits (`shared/bm1684x/isa.md`, `fields/*.csv`):

| op                     | command class | engine | sub-op property (field)                     |
|------------------------|---------------|--------|---------------------------------------------|
| `bm1684x.tiu.conv`     | sCONV         | TIU    | `tsk_eu_typ`: normal, wrq, wrqrelu          |
| `bm1684x.tiu.pord`     | sPorD         | TIU    | `tsk_eu_typ`: depthwise, avgpooling, ...    |
| `bm1684x.tiu.mm`       | sMM           | TIU    | `tsk_eu_typ`: normal, wrq, wrqrelu          |
| `bm1684x.tiu.mm2`      | sMM2          | TIU    | `tsk_eu_typ`: nn, nt, tt                    |
| `bm1684x.tiu.ar`       | sAR           | TIU    | `tsk_eu_typ`: mul, add, max, copy, cast ... |
| `bm1684x.tiu.rq_dq`    | sRQ&sDQ       | TIU    | `tsk_eu_typ`: rq0 .. dq2                    |
| `bm1684x.tiu.trans_bc` | sTRANS&sBC    | TIU    | `tsk_eu_typ`: cw_ts, l_copy, l_bc, ...      |
| `bm1684x.tiu.sg`       | sSG           | TIU    | `tsk_eu_typ`: pl_gather_d1coor, ...         |
| `bm1684x.tiu.sys`      | SYSID         | TIU    | `tsk_eu_typ`: end (end of queue), nop, ...  |
| `bm1684x.gdma.tensor`  | DMA_tensor    | GDMA   | `cmd_special_function`: plain, transpose... |
| `bm1684x.gdma.matrix`  | DMA_matrix    | GDMA   | `cmd_special_function`: plain, transpose    |
| `bm1684x.gdma.sys`     | sDMA_sys      | GDMA   | `cmd_special_function`: end, nop            |

TIU ops are the short forms: they are what SOPHGO's compiler emits (isa.md §11.10) and what the
vendor bmodels in `shared/vendor` contain. GDMA tensor moves are the long (96-byte) form, the
only one real BM1684X streams use (isa.md §2.4).

Every property of an instruction maps to named fields of its command class (`FIELDS`, below),
with the fields' meaning and units: addresses in bytes (TIU: local byte offset; GDMA: 40-bit
absolute address, local memory seen at `LMEM_BASE`), shapes and strides in elements, precisions
and layouts as the codes of isa.md §5-6. `to_fields()` / `from_fields()` turn an op into the
`{CSV field name: int}` dict of its command and back, bit for bit (reserved fields are zero).

A whole bmodel has ops too (`bm1684x.model`, `net`, `stage`, `input_tensor`, `output_tensor`,
`coeff_mem`, `kernel_module`, `cpuop_module`; section "The bmodel container" below), so that a
bmodel read into IR writes back byte for byte (`nntc.targets.bm1684x.bmodel_ir`).

Structure: a bmodel command group is one `bm1684x.cmd_group` with two single-block regions, the
TIU queue and the GDMA queue, in stream order. Instructions are statements without SSA values.
Each carries its engine's `cmd_id` and `cmd_id_dep`, the id of the other engine's command it
waits for (0: no wait), and each queue ends with its system end command:

    bm1684x.cmd_group tiu {
      bm1684x.tiu.ar max id 1 wait 3 {res0_addr = 0x4000, ...}
      bm1684x.tiu.sys end id 2 wait 0
    } gdma {
      bm1684x.gdma.tensor plain id 1 wait 0 {src_addr = 0x100000000, ...}
      ...
      bm1684x.gdma.sys end id 4 wait 0
    }

Not represented (yet): the long TIU forms, the TIU classes SFU, LIN, CMP, VC, SGL, LAR and SEG,
and the GDMA classes general, cw_transpose, masked_select, nonzero, gather and scatter. The vendor
tiny_cnn bmodels (f32, f16, bf16, int8) use only the classes above.

Custom syntax of an instruction: `<op> <sub-op> id <cmd_id> wait <cmd_id_dep> {key = value, ...}`
followed by an optional `attributes {...}` dictionary for discardable attributes. Keys equal to
their default value are left out of the braces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, TypeVar, cast

from xdsl.dialects.builtin import (
    I64,
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    Float32Type,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    StringAttr,
    UnitAttr,
    f32,
    i1,
    i64,
)
from xdsl.dialects.utils.enum_attribute import EnumAttribute
from xdsl.ir import (
    Attribute,
    Block,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SpacedOpaqueSyntaxAttribute,
)
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, NoTerminator
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from nntc.targets.bm1684x.bmodel import DATA_TYPE_NAMES
from nntc.targets.bm1684x.chip import (
    GMEM_BASE,
    GMEM_BYTES,
    L2_SRAM_BASE,
    L2_SRAM_BYTES,
    LMEM_BASE,
    LMEM_BYTES,
    STATIC_MEM_BASE,
    STATIC_MEM_BYTES,
)

# ---------------------------------------------------------------------------------------------
# Enumerations: names as in isa.md §4-6, with the numeric code of their command field.
# ---------------------------------------------------------------------------------------------

_CODES: dict[type[StrEnum], dict[str, int]] = {}
_E = TypeVar("_E", bound=StrEnum)


def _codes(enum: type[_E], codes: Sequence[int]) -> type[_E]:
    """Attach the field code of each member (in declaration order) to `enum`."""
    members = list(enum)
    assert len(members) == len(codes), enum
    _CODES[enum] = {m.value: c for m, c in zip(members, codes, strict=True)}
    return enum


def enum_code(member: StrEnum) -> int:
    """The command-field code of an enum member."""
    return _CODES[type(member)][member.value]


def enum_from_code(enum: type[_E], code: int) -> _E:
    """The member of `enum` encoded as `code`; ValueError if the code has no name."""
    for value, c in _CODES[enum].items():
        if c == code:
            return enum(value)
    raise ValueError(f"{code} is not a valid {enum.__name__} code")


class Precision(StrEnum):
    """`*_prec` (TIU) and `src_data_format` (GDMA) codes, isa.md §5."""

    INT8 = "int8"
    FP16 = "fp16"
    FP32 = "fp32"
    INT16 = "int16"
    INT32 = "int32"
    BF16 = "bf16"
    INT4 = "int4"
    FP8 = "fp8"


class Layout(StrEnum):
    """Operand layout codes `*_str`, isa.md §6 (`t4` only for gather/scatter)."""

    ALIGN_EU = "align_eu"
    COMPACT = "compact"
    OFFSET = "offset"
    FREE = "free"
    T4 = "t4"


class ConvEu(StrEnum):
    NORMAL = "normal"
    WRQ = "wrq"
    WRQRELU = "wrqrelu"


class PordEu(StrEnum):
    DEPTHWISE = "depthwise"
    AVGPOOLING = "avgpooling"
    DEPTHWISERELU = "depthwiserelu"
    MAXPOOLING = "maxpooling"
    ROI_DEPTHWISE = "roiDepthwise"
    ROIAVGPOOLING = "roiavgpooling"
    ROIMAXPOOLING = "roimaxpooling"


class MmEu(StrEnum):
    NORMAL = "normal"
    WRQ = "wrq"
    WRQRELU = "wrqrelu"


class Mm2Eu(StrEnum):
    NN = "nn"
    NT = "nt"
    TT = "tt"


class ArEu(StrEnum):
    """AR opcodes (isa.md §4.1; code 17 has no name in the debugger and is not accepted)."""

    MUL = "mul"
    NOT = "not"
    ADD = "add"
    SUB = "sub"
    MAX = "max"
    MIN = "min"
    LOGIC_SHIFT = "logicShift"
    AND = "and"
    OR = "or"
    XOR = "xor"
    SELECT_GREAT = "selectGreat"
    SELECT_EQUAL = "selectEqual"
    DIV = "div"
    SELECT_LESS = "selectLess"
    CAST = "cast"
    ADDS = "adds"
    SUBS = "subs"
    MAC = "mac"
    COPY = "copy"
    MULS = "muls"
    ASHIFT = "ashift"
    CSHIFT = "cshift"
    MUL_DHR = "mulDHR"
    EU_IDX_GEN = "euIdxGen"
    NPU_IDX_GEN = "npuIdxGen"
    ABS = "abs"
    FSUBABS = "fsubabs"
    COPY_MB = "copyMb"
    GET_FIRST_ONE = "getFirstOne"
    GET_FIRST_ZERO = "getFirstZero"


class RqDqEu(StrEnum):
    RQ0 = "rq0"
    RQ1 = "rq1"
    RQ2 = "rq2"
    DQ0 = "dq0"
    DQ1 = "dq1"
    DQ2 = "dq2"


class TransBcEu(StrEnum):
    CW_TS = "cw_ts"
    WC_TS = "wc_ts"
    L_COPY = "l_copy"
    L_BC = "l_bc"
    S_BC = "s_bc"
    S_DISTRIBUTE = "s_distribute"


class SgEu(StrEnum):
    PL_GATHER_D1COOR = "pl_gather_d1coor"
    PL_GATHER_D2COOR = "pl_gather_d2coor"
    PL_GATHER_REC = "pl_gather_rec"
    PL_SCATTER_D1COOR = "pl_scatter_d1coor"
    PL_SCATTER_D2COOR = "pl_scatter_d2coor"
    PE_S_GATHER_D1COOR = "pe_s_gather_d1coor"
    PE_S_SCATTER_D1COOR = "pe_s_scatter_d1coor"
    PE_M_GATHER_D1COOR = "pe_m_gather_d1coor"
    PE_S_MASK_SELECT = "pe_s_mask_select"
    PE_S_NONZERO = "pe_s_nonzero"
    PE_S_SCATTER_PP_D1COOR = "pe_s_scatter_pp_d1coor"
    PL_GATHER_PERW = "pl_gather_perw"
    PL_SCATTER_PERW = "pl_scatter_perw"
    PE_S_GATHER_HZD = "pe_s_gather_hzd"
    PE_S_SCATTER_HZD = "pe_s_scatter_hzd"
    PE_S_MASK_SELHZD = "pe_s_mask_selhzd"
    PE_S_NONZERO_HZD = "pe_s_nonzero_hzd"


class SfuEu(StrEnum):
    TAYLOR_4X = "taylor_4x"
    TAYLOR = "taylor"
    NORMALIZE = "normalize"
    RSQRT = "rsqrt"


class SysEu(StrEnum):
    INTR_BARRIER = "intr_barrier"
    SPB = "spb"
    SWR = "swr"
    SWR_FROM_LMEM = "swr_from_lmem"
    SWR_COLLECT_FROM_LMEM = "swr_collect_from_lmem"
    DATA_BARRIER = "data_barrier"
    NOP = "nop"
    END = "end"


class DmaTensorSp(StrEnum):
    PLAIN = "plain"
    TRANSPOSE = "transpose"
    COLLECT = "collect"
    BROADCAST = "broadcast"
    DISTRIBUTE = "distribute"
    BANK4_COPY = "4bank_copy"
    BANK4_BROADCAST = "4bank_broadcast"


class DmaMatrixSp(StrEnum):
    PLAIN = "plain"
    TRANSPOSE = "transpose"


class DmaSysSp(StrEnum):
    END = "end"
    NOP = "nop"


_codes(Precision, range(8))
_codes(Layout, range(5))
_codes(ConvEu, (0, 1, 2))
_codes(PordEu, (0, 1, 2, 4, 5, 6, 7))
_codes(MmEu, (1, 2, 3))
_codes(Mm2Eu, (4, 5, 6))
_codes(ArEu, (*range(17), *range(18, 31)))
_codes(RqDqEu, range(6))
_codes(TransBcEu, range(6))
_codes(SgEu, range(17))
_codes(SfuEu, (12, 13, 15, 17))
_codes(SysEu, (0, 1, 2, 3, 4, 5, 30, 31))
_codes(DmaTensorSp, range(7))
_codes(DmaMatrixSp, (0, 1))
_codes(DmaSysSp, (0, 1))


@irdl_attr_definition
class PrecisionAttr(EnumAttribute[Precision], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.prec"


@irdl_attr_definition
class LayoutAttr(EnumAttribute[Layout], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.layout"


@irdl_attr_definition
class ConvEuAttr(EnumAttribute[ConvEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.conv_eu"


@irdl_attr_definition
class PordEuAttr(EnumAttribute[PordEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.pord_eu"


@irdl_attr_definition
class MmEuAttr(EnumAttribute[MmEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.mm_eu"


@irdl_attr_definition
class Mm2EuAttr(EnumAttribute[Mm2Eu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.mm2_eu"


@irdl_attr_definition
class ArEuAttr(EnumAttribute[ArEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.ar_eu"


@irdl_attr_definition
class RqDqEuAttr(EnumAttribute[RqDqEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.rq_dq_eu"


@irdl_attr_definition
class TransBcEuAttr(EnumAttribute[TransBcEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.trans_bc_eu"


@irdl_attr_definition
class SgEuAttr(EnumAttribute[SgEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.sg_eu"


@irdl_attr_definition
class SfuEuAttr(EnumAttribute[SfuEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.sfu_eu"


@irdl_attr_definition
class SysEuAttr(EnumAttribute[SysEu], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.sys_eu"


@irdl_attr_definition
class DmaTensorSpAttr(EnumAttribute[DmaTensorSp], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.dma_tensor_sp"


@irdl_attr_definition
class DmaMatrixSpAttr(EnumAttribute[DmaMatrixSp], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.dma_matrix_sp"


@irdl_attr_definition
class DmaSysSpAttr(EnumAttribute[DmaSysSp], SpacedOpaqueSyntaxAttribute):
    name = "bm1684x.dma_sys_sp"


_ENUM_ATTRS: dict[type[StrEnum], type[EnumAttribute[Any]]] = {
    Precision: PrecisionAttr,
    Layout: LayoutAttr,
    ConvEu: ConvEuAttr,
    PordEu: PordEuAttr,
    MmEu: MmEuAttr,
    Mm2Eu: Mm2EuAttr,
    ArEu: ArEuAttr,
    RqDqEu: RqDqEuAttr,
    TransBcEu: TransBcEuAttr,
    SgEu: SgEuAttr,
    SfuEu: SfuEuAttr,
    SysEu: SysEuAttr,
    DmaTensorSp: DmaTensorSpAttr,
    DmaMatrixSp: DmaMatrixSpAttr,
    DmaSysSp: DmaSysSpAttr,
}

# ---------------------------------------------------------------------------------------------
# Field specifications: how a property maps onto the bit fields of its command class.
# ---------------------------------------------------------------------------------------------


class Kind(Enum):
    """How a property is stored, written and verified."""

    INT = "int"  # IntAttr, written in decimal
    HEX = "hex"  # IntAttr, written in hex: addresses, raw 32-bit immediates, masks
    BOOL = "bool"  # BoolAttr, `true` / `false`
    INTS = "ints"  # DenseArrayBase of i64, one element per field: `[1, 16, 32, 32]`
    ENUM = "enum"  # an EnumAttribute, written as the member name


class AddrSpace(Enum):
    """Which memory an address field must point into."""

    NONE = "none"  # not an address (or a value whose meaning depends on the sub-op)
    LOCAL = "local"  # TIU: local byte offset (< LMEM_BYTES) or a static memory address
    GDMA = "gdma"  # GDMA: absolute 40-bit address inside a region of the memory map


@dataclass(frozen=True)
class CmdField:
    """One property of an instruction op and the command fields that hold it.

    `bits` lists `(CSV field name, width)`. For `INTS` each element of the value goes to one
    field; for the scalar kinds a value over several fields is split low part first (as the
    40-bit GDMA addresses `*_start_addr_l32` + `*_start_addr_h8`).
    """

    key: str
    bits: tuple[tuple[str, int], ...]
    kind: Kind
    default: int | bool | tuple[int, ...] | StrEnum | None = None
    enum: type[StrEnum] | None = None
    positive: bool = False
    region: AddrSpace = AddrSpace.NONE
    const_flag: str | None = None
    """Key of the flag that turns this address field into an immediate value."""

    @property
    def total_width(self) -> int:
        return sum(w for _, w in self.bits)

    def constraint(self) -> type[Attribute]:
        if self.kind is Kind.BOOL:
            return BoolAttr  # type: ignore[return-value]
        if self.kind is Kind.INTS:
            return DenseArrayBase
        if self.kind is Kind.ENUM:
            assert self.enum is not None
            return _ENUM_ATTRS[self.enum]
        return IntAttr

    def to_attr(self, value: Any) -> Attribute:
        """Python value (int, bool, sequence of ints, enum member or its name) -> attribute."""
        if self.kind is Kind.BOOL:
            return IntegerAttr(int(bool(value)), i1)
        if self.kind is Kind.INTS:
            return DenseArrayBase.from_list(i64, [int(v) for v in value])
        if self.kind is Kind.ENUM:
            assert self.enum is not None
            return _ENUM_ATTRS[self.enum](self.enum(value))
        return IntAttr(int(value))

    def from_attr(self, attr: Attribute) -> int | bool | tuple[int, ...] | StrEnum:
        """Attribute -> Python value (the inverse of `to_attr`)."""
        if self.kind is Kind.BOOL:
            return bool(cast(IntegerAttr, attr).value.data)
        if self.kind is Kind.INTS:
            return tuple(cast(DenseArrayBase[I64], attr).get_values())
        if self.kind is Kind.ENUM:
            return cast(EnumAttribute[Any], attr).data
        return cast(IntAttr, attr).data

    def default_attr(self) -> Attribute | None:
        return None if self.default is None else self.to_attr(self.default)

    def format_value(self, value: int | bool | tuple[int, ...] | StrEnum, sep: str) -> str:
        """The value as written in the IR (`sep` = ", ") and in the listing (`sep` = ",")."""
        if self.kind is Kind.BOOL:
            return "true" if value else "false"
        if self.kind is Kind.INTS:
            assert isinstance(value, tuple)
            return "[" + sep.join(str(v) for v in value) + "]"
        if self.kind is Kind.ENUM:
            return str(cast(StrEnum, value).value)
        if self.kind is Kind.HEX:
            return hex(cast(int, value))
        return str(value)

    def encode(self, value: int | bool | tuple[int, ...] | StrEnum) -> dict[str, int]:
        """The command fields holding `value`."""
        if self.kind is Kind.INTS:
            assert isinstance(value, tuple)
            return {name: v for (name, _), v in zip(self.bits, value, strict=True)}
        code = enum_code(value) if isinstance(value, StrEnum) else int(value)
        out: dict[str, int] = {}
        for name, width in self.bits:
            out[name] = code & ((1 << width) - 1)
            code >>= width
        return out

    def decode(self, fields: Mapping[str, int]) -> int | bool | tuple[int, ...] | StrEnum:
        """The value held by the command fields (the inverse of `encode`)."""
        if self.kind is Kind.INTS:
            return tuple(fields[name] for name, _ in self.bits)
        code, shift = 0, 0
        for name, width in self.bits:
            code |= fields[name] << shift
            shift += width
        if self.kind is Kind.BOOL:
            return bool(code)
        if self.kind is Kind.ENUM:
            assert self.enum is not None
            return enum_from_code(self.enum, code)
        return code


def _int(key: str, field: str, width: int, default: int | None = 0) -> CmdField:
    return CmdField(key, ((field, width),), Kind.INT, default)


def _hex(key: str, field: str, width: int, default: int | None = 0) -> CmdField:
    return CmdField(key, ((field, width),), Kind.HEX, default)


def _flag(key: str, field: str | None = None) -> CmdField:
    return CmdField(key, ((field or key, 1),), Kind.BOOL, False)


def _ints(
    key: str,
    fields: Sequence[str],
    widths: int | Sequence[int],
    positive: bool = False,
    default: tuple[int, ...] | None = None,
) -> CmdField:
    ws = [widths] * len(fields) if isinstance(widths, int) else list(widths)
    return CmdField(key, tuple(zip(fields, ws, strict=True)), Kind.INTS, default, None, positive)


def _enum(
    key: str, field: str, width: int, enum: type[StrEnum], default: StrEnum | None = None
) -> CmdField:
    return CmdField(key, ((field, width),), Kind.ENUM, default, enum)


def _prec(key: str, field: str | None = None) -> CmdField:
    return _enum(key, field or key, 3, Precision)


def _layout(key: str, field: str) -> CmdField:
    return _enum(key, field, 3, Layout, Layout.ALIGN_EU)


def _laddr(key: str, width: int = 32, const: str | None = None, required: bool = True) -> CmdField:
    """A TIU local address (or, with `const` set, an immediate)."""
    return CmdField(
        key, ((key, width),), Kind.HEX, None if required else 0, None, False, AddrSpace.LOCAL, const
    )


def _gaddr(key: str, low: str, high: str) -> CmdField:
    """A 40-bit GDMA address split over `low` (32 bits) and `high` (8 bits)."""
    return CmdField(key, ((low, 32), (high, 8)), Kind.HEX, None, None, False, AddrSpace.GDMA)


def _nchw(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_{d}" for d in "nchw")


_ID_BITS = 20
"""Width of `cmd_id` and `cmd_id_dep` in both engines (isa.md §2)."""

_TIU_HEAD: tuple[CmdField, ...] = (
    _int("cmd_id", "cmd_id", _ID_BITS, None),
    _int("cmd_id_dep", "cmd_id_dep", _ID_BITS, None),
    _int("cmd_id_en", "cmd_id_en", 4, 1),
    _int("pwr_step", "pwr_step", 4),
    _flag("intr_en"),
)

_GDMA_HEAD: tuple[CmdField, ...] = (
    _int("cmd_id", "cmd_id", _ID_BITS, None),
    _int("cmd_id_dep", "cmd_id_dep", _ID_BITS, None),
    _int("cmd_id_en", "cmd_id_en", 4, 1),
    _flag("intr_en"),
    _flag("stride_enable"),
    _flag("nchw_copy"),
    _flag("decompress_enable"),
    _flag("fill_constant_en"),
    _enum("dtype", "src_data_format", 3, Precision, Precision.INT8),
    _hex("constant_value", "constant_value", 32),
)

_RESERVED_PREFIXES = ("rsvd", "reserved", "Reserved")

# ---------------------------------------------------------------------------------------------
# Instruction base classes
# ---------------------------------------------------------------------------------------------

_Value = int | bool | tuple[int, ...] | StrEnum


def _region_of(addr: int) -> str | None:
    """The memory region (isa.md §7.2) holding absolute address `addr`, or None."""
    for name, base, size in (
        ("local", LMEM_BASE, LMEM_BYTES),
        ("static", STATIC_MEM_BASE, STATIC_MEM_BYTES),
        ("l2", L2_SRAM_BASE, L2_SRAM_BYTES),
        ("global", GMEM_BASE, GMEM_BYTES),
    ):
        if base <= addr < base + size:
            return name
    return None


_SPECS: dict[type[InstructionOp], dict[str, CmdField]] = {}
"""Property key -> field spec, for each instruction op class."""


class InstructionOp(IRDLOperation):
    """A machine command: a statement with properties only (no operands, no results).

    Subclasses set `FIELDS` (their class-specific properties), `SUBOP` (the sub-opcode property),
    `CMD_CLASS` (the codec's class name, the CSV file stem), `CONSTANTS` (fields implied by the
    op: opcode, `cmd_short`) and `LISTING_PREFIX`. `__init_subclass__` turns every field of
    `all_fields()` into a `prop_def` whose name is the field's key.
    """

    HEAD: ClassVar[tuple[CmdField, ...]] = ()
    FIELDS: ClassVar[tuple[CmdField, ...]] = ()
    SUBOP: ClassVar[CmdField]
    CMD_CLASS: ClassVar[str] = ""
    CONSTANTS: ClassVar[dict[str, int]] = {}
    LISTING_PREFIX: ClassVar[str] = ""
    """Vendor op-name prefix (`conv`, `arith`, `dma.tensor`); the sub-op name follows it."""
    T4: ClassVar[bool] = False
    """Whether layout code 4 (t4) is valid: only for gather/scatter (isa.md §6)."""
    ENGINE: ClassVar[str] = ""
    """`tiu` or `gdma`."""
    ENGINE_TAG: ClassVar[str] = ""
    """Listing prefix of this engine's ids: `B` (TIU, called BDC by the vendor) or `D` (GDMA)."""
    OTHER_TAG: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "SUBOP" not in cls.__dict__:
            return
        _SPECS[cls] = {spec.key: spec for spec in cls.all_fields()}
        for spec in cls.all_fields():
            setattr(cls, spec.key, prop_def(spec.constraint(), spec.default_attr()))

    @classmethod
    def all_fields(cls) -> tuple[CmdField, ...]:
        """Every property, in printing order: sub-op, head, then class fields."""
        return (cls.SUBOP, *cls.HEAD, *cls.FIELDS)

    @classmethod
    def field_spec(cls, key: str) -> CmdField:
        try:
            return _SPECS[cls][key]
        except KeyError:
            raise KeyError(f"{cls.name} has no property {key!r}") from None

    def __init__(self, *, attributes: Mapping[str, Attribute] | None = None, **values: Any):
        """Build from Python values, e.g. `ArOp(tsk_eu_typ="add", cmd_id=1, ...)`."""
        props: dict[str, Attribute] = {}
        specs = _SPECS[type(self)]
        for key, value in values.items():
            if key not in specs:
                raise TypeError(f"{self.name} has no property {key!r}")
            props[key] = specs[key].to_attr(value)
        missing = [k for k, s in specs.items() if s.default is None and k not in props]
        if missing:
            raise TypeError(f"{self.name} needs {', '.join(missing)}")
        super().__init__(properties=props, attributes=dict(attributes or {}))

    # --- values ---------------------------------------------------------------------------

    def value(self, key: str) -> _Value:
        """The Python value of property `key` (its default when absent)."""
        spec = self.field_spec(key)
        attr = self.properties.get(key)
        if attr is None:
            attr = spec.default_attr()
            if attr is None:
                raise VerifyException(f"missing property {key}")
        return spec.from_attr(attr)

    def values(self) -> dict[str, _Value]:
        """`{property key: Python value}` of every property, defaults included."""
        return {s.key: self.value(s.key) for s in self.all_fields()}

    @property
    def id(self) -> int:
        return cast(int, self.value("cmd_id"))

    @property
    def wait(self) -> int:
        return cast(int, self.value("cmd_id_dep"))

    @property
    def subop(self) -> StrEnum:
        return cast(StrEnum, self.value(self.SUBOP.key))

    # --- command fields -------------------------------------------------------------------

    def to_fields(self) -> dict[str, int]:
        """`{CSV field name: value}` of this command; reserved fields are not listed (zero)."""
        out = dict(self.CONSTANTS)
        for spec in self.all_fields():
            out.update(spec.encode(self.value(spec.key)))
        return out

    @classmethod
    def from_fields(cls, fields: Mapping[str, int]) -> InstructionOp:
        """Build the op from the decoded fields of one command (inverse of `to_fields`).

        Raises ValueError for a field the op cannot represent: a constant that differs (the
        wrong class), a non-zero reserved field, or an unknown field name.
        """
        known: set[str] = set(cls.CONSTANTS)
        for spec in cls.all_fields():
            known.update(name for name, _ in spec.bits)
        for name, value in fields.items():
            if name in cls.CONSTANTS and value != cls.CONSTANTS[name]:
                raise ValueError(
                    f"{cls.name}: expected {name} = {cls.CONSTANTS[name]}, got {value}"
                )
            if name.startswith(_RESERVED_PREFIXES) and name not in known:
                if value:
                    raise ValueError(f"{cls.name}: reserved field {name} is {value}, not 0")
            elif name not in known:
                raise ValueError(f"{cls.name}: unknown command field {name}")
        values = {spec.key: spec.decode(fields) for spec in cls.all_fields()}
        return cls(**values)

    # --- verification ---------------------------------------------------------------------

    def verify_(self) -> None:
        parent = self.parent_op()
        if parent is not None and not isinstance(parent, CmdGroupOp):
            raise VerifyException(f"expected parent op bm1684x.cmd_group, got {parent.name}")
        values = self.values()
        for spec in self.all_fields():
            self._verify_field(spec, values[spec.key], values)
        self.verify_command(values)

    def _verify_field(self, spec: CmdField, value: _Value, values: Mapping[str, _Value]) -> None:
        if spec.kind is Kind.INTS:
            assert isinstance(value, tuple)
            if len(value) != len(spec.bits):
                raise VerifyException(
                    f"expected {len(spec.bits)} values in {spec.key}, got {len(value)}"
                )
            for i, ((_, width), v) in enumerate(zip(spec.bits, value, strict=True)):
                if not 0 <= v < 1 << width:
                    raise VerifyException(
                        f"expected {spec.key}[{i}] ({v}) to fit in {width} bits "
                        f"(0 <= value < {1 << width})"
                    )
                if spec.positive and v == 0 and not self.ignores_shape(spec.key):
                    raise VerifyException(f"expected {spec.key}[{i}] ({v}) to be positive")
            return
        if spec.kind in (Kind.INT, Kind.HEX):
            assert isinstance(value, int)
            width = spec.total_width
            if not 0 <= value < 1 << width:
                shown = spec.format_value(value, ", ")
                raise VerifyException(
                    f"expected {spec.key} ({shown}) to fit in {width} bits "
                    f"(0 <= value < {spec.format_value(1 << width, ', ')})"
                )
        if spec.kind is Kind.ENUM and spec.enum is Layout and value is Layout.T4 and not self.T4:
            raise VerifyException(f"expected {spec.key} to be a TIU layout, got t4 (SG only)")
        if spec.region is AddrSpace.LOCAL:
            assert isinstance(value, int)
            if spec.const_flag is not None and values[spec.const_flag]:
                return
            # TIU fields hold a local byte offset; larger values are absolute addresses, which
            # real streams use for the lookup tables in static memory (isa.md §7.2).
            if value >= LMEM_BYTES and _region_of(value) != "static":
                raise VerifyException(
                    f"expected {spec.key} ({value:#x}) to be a local offset below LMEM_BYTES "
                    f"({LMEM_BYTES:#x}) or a static memory address ({STATIC_MEM_BASE:#x}.."
                    f"{STATIC_MEM_BASE + STATIC_MEM_BYTES:#x})"
                )
        if spec.region is AddrSpace.GDMA:
            assert isinstance(value, int)
            if spec.key == "src_addr" and values["fill_constant_en"]:
                return
            if _region_of(value) is None:
                raise VerifyException(
                    f"expected {spec.key} ({value:#x}) in local ({LMEM_BASE:#x}), static "
                    f"({STATIC_MEM_BASE:#x}), L2 ({L2_SRAM_BASE:#x}) or global ({GMEM_BASE:#x}) "
                    "memory"
                )

    def ignores_shape(self, key: str) -> bool:
        """Whether the hardware ignores shape `key` (then it may hold zeros)."""
        return False

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        """Checks specific to the command class (after every field is in range)."""

    # --- custom syntax --------------------------------------------------------------------

    @classmethod
    def parse(cls, parser: Parser) -> InstructionOp:
        sub = cls.SUBOP
        assert sub.enum is not None
        start = parser.pos
        props: dict[str, Attribute] = {sub.key: sub.to_attr(parser.parse_str_enum(sub.enum))}
        parser.parse_keyword("id")
        props["cmd_id"] = IntAttr(parser.parse_integer(allow_boolean=False))
        parser.parse_keyword("wait")
        props["cmd_id_dep"] = IntAttr(parser.parse_integer(allow_boolean=False))
        specs = _SPECS[cls]

        def parse_entry() -> None:
            pos = parser.pos
            key = parser.parse_identifier(" (a property name)")
            spec = specs.get(key)
            if spec is None or key in (sub.key, "cmd_id", "cmd_id_dep"):
                parser.raise_error(f"{cls.name} has no property {key!r} here", pos, parser.pos)
            if key in props:
                parser.raise_error(f"property {key!r} given twice", pos, parser.pos)
            parser.parse_punctuation("=")
            props[key] = _parse_value(parser, spec)

        if parser.parse_optional_punctuation("{") is not None:
            if parser.parse_optional_punctuation("}") is None:
                parse_entry()
                while parser.parse_optional_punctuation(",") is not None:
                    parse_entry()
                parser.parse_punctuation("}")
        missing = [k for k, s in specs.items() if s.default is None and k not in props]
        if missing:
            parser.raise_error(f"{cls.name} needs {', '.join(missing)}", start, parser.pos)
        for key, spec in specs.items():
            if key not in props and (default := spec.default_attr()) is not None:
                props[key] = default
        attrs = parser.parse_optional_attr_dict_with_keyword()
        return cls.create(properties=props, attributes=dict(attrs.data) if attrs else {})

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_identifier_or_string_literal(self.subop.value)
        printer.print_string(f" id {self.id} wait {self.wait}")
        entries = [f"{key} = {text}" for key, text in self.field_texts(", ")]
        if entries:
            printer.print_string(" {" + ", ".join(entries) + "}")
        printer.print_op_attributes(self.attributes, print_keyword=True)

    def field_texts(self, sep: str) -> Iterator[tuple[str, str]]:
        """`(key, value text)` of the fields after id and wait that differ from defaults."""
        for spec in (*self.HEAD, *self.FIELDS):
            if spec.key in ("cmd_id", "cmd_id_dep"):
                continue
            value = self.value(spec.key)
            if spec.default is not None and value == spec.default:
                continue
            yield spec.key, _format_for_parser(spec, value, sep)

    # --- listing --------------------------------------------------------------------------

    def listing_name(self) -> str:
        """Vendor-style mnemonic, e.g. `conv.normal`, `arith.add`, `dma.tensor`."""
        return f"{self.LISTING_PREFIX}.{self.subop.value}"

    def assembly_line(self) -> str:
        """One listing line: `%B3 = conv.normal wait=%D2 key=value ...`."""
        me, other = self.ENGINE_TAG, self.OTHER_TAG
        parts = [f"%{me}{self.id} = {self.listing_name()} wait=%{other}{self.wait}"]
        parts += [f"{k}={v}" for k, v in self.field_texts(",")]
        return " ".join(parts)


def _format_for_parser(spec: CmdField, value: _Value, sep: str) -> str:
    text = spec.format_value(value, sep)
    # An enum name that is not an identifier (`4bank_copy`) needs quotes in the IR only.
    if spec.kind is Kind.ENUM and sep == ", " and not (text[:1].isalpha() or text[:1] == "_"):
        return f'"{text}"'
    return text


def _parse_value(parser: Parser, spec: CmdField) -> Attribute:
    if spec.kind is Kind.BOOL:
        return spec.to_attr(parser.parse_boolean())
    if spec.kind is Kind.INTS:
        values = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: parser.parse_integer(allow_boolean=False)
        )
        return spec.to_attr(values)
    if spec.kind is Kind.ENUM:
        assert spec.enum is not None
        return spec.to_attr(parser.parse_str_enum(spec.enum))
    return spec.to_attr(parser.parse_integer(allow_boolean=False))


class TiuOp(InstructionOp):
    """A TIU (BDC) command; `cmd_id_dep` is the GDMA command it waits for."""

    HEAD: ClassVar[tuple[CmdField, ...]] = _TIU_HEAD
    ENGINE: ClassVar[str] = "tiu"
    ENGINE_TAG: ClassVar[str] = "B"
    OTHER_TAG: ClassVar[str] = "D"


class GdmaOp(InstructionOp):
    """A GDMA command; `cmd_id_dep` is the TIU command it waits for."""

    HEAD: ClassVar[tuple[CmdField, ...]] = _GDMA_HEAD
    ENGINE: ClassVar[str] = "gdma"
    ENGINE_TAG: ClassVar[str] = "D"
    OTHER_TAG: ClassVar[str] = "B"


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise VerifyException(message)


def _check_strides(values: Mapping[str, _Value], keys: Sequence[str]) -> None:
    for key in keys:
        for i, v in enumerate(cast(tuple[int, ...], values[key])):
            _require(v >= 1, f"expected {key}[{i}] ({v}) to be at least 1")


# ---------------------------------------------------------------------------------------------
# TIU instructions (short forms)
# ---------------------------------------------------------------------------------------------

_PAD = ("opd0_up_pad", "opd0_dn_pad", "opd0_lf_pad", "opd0_rt_pad")
_WINDOW_FIELDS: tuple[CmdField, ...] = (
    _ints("pad", _PAD, 4, default=(0, 0, 0, 0)),
    _ints("stride", ("res_op_y_str", "res_op_x_str"), 4, default=(1, 1)),
    _ints("in_zero", ("opd0_y_ins0", "opd0_x_ins0"), 4, default=(0, 0)),
    _ints("ke_zero", ("opd1_y_ins0", "opd1_x_ins0"), 4, default=(0, 0)),
    _flag("kernel_rotate"),
    _int("pad_mode", "pad_mode", 2),
)


@irdl_op_definition
class ConvOp(TiuOp):
    """sCONV: convolution. opd0 input, opd1 weight (alignIC), opd2 bias / kernel zero-point,
    opd3 pad value; `kernel` = (opd1_h, opd1_w), `stride` = (y, x) (isa.md §9 CONV)."""

    name = "bm1684x.tiu.conv"
    CMD_CLASS: ClassVar[str] = "sCONV"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 0}
    LISTING_PREFIX: ClassVar[str] = "conv"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, ConvEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr", 26),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr"),
        _ints("opd0_shape", ("opd0_c", "opd0_h", "opd0_w"), 16, positive=True),
        _ints("opd0_stride", ("opd0_n_str", "opd0_c_str", "opd0_h_str", "opd0_w_str"), 16,
              default=(0, 0, 0, 0)),
        _prec("opd0_prec"),
        _layout("opd0_layout", "opd0_str"),
        _flag("opd0_sign"),
        _laddr("opd1_addr", const="opd1_const"),
        _ints("kernel", ("opd1_h", "opd1_w"), 16, positive=True),
        _flag("opd1_const"),
        _flag("opd1_sign"),
        _laddr("opd2_addr", const="opd2_const", required=False),
        _flag("opd2_const"),
        _flag("opd2_sign"),
        _laddr("opd3_addr", const="opd3_const", required=False),
        _flag("opd3_const"),
        _hex("res1_addr", "res1_addr", 32),
        *_WINDOW_FIELDS,
        _flag("res_add"),
    )  # fmt: skip

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        _check_strides(values, ("stride",))
        if values["tsk_eu_typ"] in (ConvEu.WRQ, ConvEu.WRQRELU):
            eu = values["tsk_eu_typ"]
            _require(
                values["opd0_prec"] is Precision.INT8,
                f"expected opd0_prec int8 for conv {eu}, got {values['opd0_prec']}",
            )
            for flag in ("opd2_const", "opd3_const"):
                _require(bool(values[flag]), f"expected {flag} = true for conv {eu}")


@irdl_op_definition
class PordOp(TiuOp):
    """sPorD: depthwise conv and pooling. opd1 per-channel kernel, opd2 bias, opd3 pad value;
    `round_mode` = opd2_n_str, res1_addr's low byte = shift (isa.md §9 PorD)."""

    name = "bm1684x.tiu.pord"
    CMD_CLASS: ClassVar[str] = "sPorD"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 1}
    LISTING_PREFIX: ClassVar[str] = "pord"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, PordEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr"),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr"),
        _ints("opd0_shape", ("opd0_h", "opd0_w"), 16, positive=True),
        _prec("opd0_prec"),
        _flag("opd0_sign"),
        _ints("kernel", ("opd1_h", "opd1_w"), 16, positive=True),
        _laddr("opd1_addr", const="opd1_const", required=False),
        _flag("opd1_const"),
        _flag("opd1_sign"),
        _laddr("opd2_addr", const="opd2_const", required=False),
        _flag("opd2_const"),
        _flag("opd2_sign"),
        _laddr("opd3_addr", const="opd3_const", required=False),
        _flag("opd3_const"),
        _hex("res1_addr", "res1_addr", 32),
        _int("round_mode", "opd2_n_str", 3),
        *_WINDOW_FIELDS,
    )

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        _check_strides(values, ("stride",))


@irdl_op_definition
class MmOp(TiuOp):
    """sMM: matrix multiply in matrix layout. Left (opd0_n rows, column blocks of opd0_w over
    opd0_c channels, the last one opd1_w wide), result (res0_c x res0_w) blocks (isa.md §9 MM)."""

    name = "bm1684x.tiu.mm"
    CMD_CLASS: ClassVar[str] = "sMM"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 2}
    LISTING_PREFIX: ClassVar[str] = "mm"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, MmEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr"),
        _int("res0_c", "res0_c", 16, None),
        _int("res0_w", "res0_w", 16, None),
        _prec("res0_prec"),
        _laddr("opd0_addr", const="opd0_const"),
        _int("opd0_n", "opd0_n", 16, None),
        _int("opd0_c", "opd0_c", 16, None),
        _int("opd0_w", "opd0_w", 16, None),
        _int("opd1_w", "opd1_w", 16, None),
        _prec("opd0_prec"),
        _flag("opd0_const"),
        _flag("opd0_sign"),
        _laddr("opd1_addr"),
        _flag("opd1_sign"),
        _laddr("opd2_addr", const="opd2_const", required=False),
        _flag("opd2_const"),
        _flag("opd2_sign"),
        _hex("opd3_addr", "opd3_addr", 32),
        _int("round_mode", "opd2_n_str", 3),
        _flag("left_tran"),
        _flag("res_add"),
    )

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        for key in ("res0_c", "res0_w", "opd0_n", "opd0_c", "opd0_w", "opd1_w"):
            _require(cast(int, values[key]) > 0, f"expected {key} ({values[key]}) to be positive")
        eu = values["tsk_eu_typ"]
        if eu in (MmEu.WRQ, MmEu.WRQRELU):
            _require(
                values["opd0_prec"] is Precision.INT8,
                f"expected opd0_prec int8 for mm {eu}, got {values['opd0_prec']}",
            )


@irdl_op_definition
class Mm2Op(TiuOp):
    """sMM2: matrix multiply in matrix2 layout (one row per lane): result (res0_c x res0_w),
    right matrix as stored (opd1_c x opd1_w), opd2 the int8 zero point (isa.md §9 MM2)."""

    name = "bm1684x.tiu.mm2"
    CMD_CLASS: ClassVar[str] = "sMM2"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 2}
    LISTING_PREFIX: ClassVar[str] = "mm2"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, Mm2Eu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr", 25),
        _ints("res0_shape", ("res0_c", "res0_w"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr", const="opd0_const"),
        _prec("opd0_prec"),
        _flag("opd0_const"),
        _flag("opd0_sign"),
        _laddr("opd1_addr", const="opd1_const"),
        _ints("opd1_shape", ("opd1_c", "opd1_w"), 16, positive=True),
        _flag("opd1_const"),
        _flag("opd1_sign"),
        _laddr("opd2_addr", const="opd2_const", required=False),
        _flag("opd2_const"),
        _flag("res_add"),
    )


_AR_STRIDE_WIDTHS = (16, 16, 20, 20)


@irdl_op_definition
class ArOp(TiuOp):
    """sAR: elementwise arithmetic on (res0_n, res0_c, res0_h, res0_w). opd2 per channel or an
    immediate; `round_mode` = opd2_n_str (the iteration count - 1 for div) (isa.md §9 AR)."""

    name = "bm1684x.tiu.ar"
    CMD_CLASS: ClassVar[str] = "sAR"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 3}
    LISTING_PREFIX: ClassVar[str] = "arith"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, ArEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _int("opd_num", "tsk_opd_num", 2, None),
        _laddr("res0_addr"),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _ints("res0_stride", ("res0_n_str", "res0_c_str", "res0_h_str", "res0_w_str"),
              _AR_STRIDE_WIDTHS, default=(0, 0, 0, 0)),
        _prec("res0_prec"),
        _layout("res0_layout", "res0_str"),
        _laddr("opd0_addr", const="opd0_const"),
        _ints("opd0_stride", ("opd0_n_str", "opd0_c_str", "opd0_h_str", "opd0_w_str"),
              _AR_STRIDE_WIDTHS, default=(0, 0, 0, 0)),
        _prec("opd0_prec"),
        _layout("opd0_layout", "opd0_str"),
        _flag("opd0_const"),
        _flag("opd0_sign"),
        _laddr("opd1_addr", const="opd1_const", required=False),
        _ints("opd1_stride", ("opd1_n_str", "opd1_c_str", "opd1_h_str", "opd1_w_str"),
              _AR_STRIDE_WIDTHS, default=(0, 0, 0, 0)),
        _enum("opd1_prec", "opd1_prec", 3, Precision, Precision.INT8),
        _layout("opd1_layout", "opd1_str"),
        _flag("opd1_const"),
        _flag("opd1_sign"),
        _laddr("opd2_addr", const="opd2_const", required=False),
        _enum("opd2_prec", "opd2_prec", 3, Precision, Precision.INT8),
        _flag("opd2_const"),
        _flag("opd2_sign"),
        _int("round_mode", "opd2_n_str", 3),
    )  # fmt: skip

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        n = cast(int, values["opd_num"])
        _require(1 <= n <= 3, f"expected opd_num ({n}) to be 1, 2 or 3")


@irdl_op_definition
class RqDqOp(TiuOp):
    """sRQ&sDQ: requantize / dequantize (n, c, h, w). Per-channel parameters at opd1_addr, or
    immediates packed into opd1_addr / opd2_addr when opd1_const (isa.md §9 RQ&DQ)."""

    name = "bm1684x.tiu.rq_dq"
    CMD_CLASS: ClassVar[str] = "sRQ_sDQ"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 4}
    LISTING_PREFIX: ClassVar[str] = "quant"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, RqDqEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr", 27),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr", 27),
        _prec("opd0_prec"),
        _flag("opd0_sign"),
        _laddr("opd1_addr", const="opd1_const"),
        _flag("opd1_const"),
        # In immediate mode opd2_addr holds the second parameter; opd1_const decides for both.
        _laddr("opd2_addr", const="opd1_const", required=False),
        _flag("opd2_sign"),
        _int("round_mode", "opd2_n_str", 6),
    )


@irdl_op_definition
class TransBcOp(TiuOp):
    """sTRANS&sBC: lane transposes, copies and broadcasts of res0 (n, c, h, w) typed
    `res0_prec`; the input is (opd0_c, opd0_w)-shaped per eu type (isa.md §9 TRANS&BC)."""

    name = "bm1684x.tiu.trans_bc"
    CMD_CLASS: ClassVar[str] = "sTRANS_sBC"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 5}
    LISTING_PREFIX: ClassVar[str] = "tsbc"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, TransBcEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr"),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr"),
        _ints("opd0_shape", ("opd0_c", "opd0_w"), 16, positive=True),
    )


@irdl_op_definition
class SgOp(TiuOp):
    """sSG: gather / scatter / mask-select / nonzero inside local memory. opd1 is the index
    tensor; `opd2_const` = fill with the value in opd2_addr, `opd3_const` = limit enable;
    opd3_addr and res1_addr depend on the eu type (isa.md §9 SG)."""

    name = "bm1684x.tiu.sg"
    CMD_CLASS: ClassVar[str] = "sSG"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 6}
    LISTING_PREFIX: ClassVar[str] = "sg"
    T4: ClassVar[bool] = True
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, SgEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr", 29),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr", 29),
        _ints("opd0_shape", ("opd0_h", "opd0_w"), 16, positive=True),
        _prec("opd0_prec"),
        _layout("opd0_layout", "opd0_str"),
        _laddr("opd1_addr", 29),
        _ints("opd1_shape", ("opd1_c", "opd1_w"), 16, positive=True),
        _enum("opd1_prec", "opd1_prec", 3, Precision, Precision.INT8),
        _hex("opd2_addr", "opd2_addr", 32),
        _flag("opd2_const"),
        _hex("opd3_addr", "opd3_addr", 32),
        _flag("opd3_const"),
        _hex("res1_addr", "res1_addr", 32),
    )


@irdl_op_definition
class SfuOp(TiuOp):
    """sSFU: special functions of res0 (n, c, h, w) from opd0, both EU-aligned. taylor and
    taylor_4x evaluate the polynomial whose `opd1_n` coefficients (f32, lowest order first) sit
    at opd1_addr, usually in static memory; rsqrt iterates `opd2_n_str` + 1 Newton steps
    (isa.md §9 SFU; the simulator's semantics are in docs/simulator.md)."""

    name = "bm1684x.tiu.sfu"
    CMD_CLASS: ClassVar[str] = "sSFU"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "tsk_typ": 9}
    LISTING_PREFIX: ClassVar[str] = "sfu"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, SfuEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _laddr("res0_addr"),
        _ints("res0_shape", _nchw("res0"), 16, positive=True),
        _prec("res0_prec"),
        _laddr("opd0_addr"),
        _prec("opd0_prec"),
        _laddr("opd1_addr", required=False),
        _int("opd1_n", "opd1_n", 16),
        _int("iterations", "opd2_n_str", 2),
    )

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        eu = values["tsk_eu_typ"]
        terms = cast(int, values["opd1_n"])
        if eu in (SfuEu.TAYLOR, SfuEu.TAYLOR_4X):
            _require(
                terms >= 1, f"expected opd1_n (the coefficient count) >= 1 for {eu}, got {terms}"
            )
        elif terms != 0:
            _require(False, f"expected opd1_n to be 0 for {eu} (no coefficient table), got {terms}")


@irdl_op_definition
class TiuSysOp(TiuOp):
    """SYSID: TIU system command; `end` closes the TIU queue of a command group."""

    name = "bm1684x.tiu.sys"
    CMD_CLASS: ClassVar[str] = "SYSID"
    CONSTANTS: ClassVar[dict[str, int]] = {"tsk_typ": 15}
    LISTING_PREFIX: ClassVar[str] = "sys"
    SUBOP: ClassVar[CmdField] = _enum("tsk_eu_typ", "tsk_eu_typ", 5, SysEu)
    FIELDS: ClassVar[tuple[CmdField, ...]] = (
        _int("cmd_id_eng1", "cmd_id_eng1", 20),
        _int("cmd_id_eng2", "cmd_id_eng2", 20),
        _int("cmd_id_eng3", "cmd_id_eng3", 20),
    )


# ---------------------------------------------------------------------------------------------
# GDMA instructions
# ---------------------------------------------------------------------------------------------

_ALL_LANES = (1 << 64) - 1


def _dma_fields(low: str, high: str, positive: bool) -> tuple[CmdField, ...]:
    """The fields DMA_tensor and DMA_matrix share (their address parts differ only by name)."""
    return (
        _gaddr("src_addr", f"src_start_addr_{low}", f"src_start_addr_{high}"),
        _ints("src_shape", ("src_nsize", "src_csize", "src_hsize", "src_wsize"), 16,
              positive=positive),
        _ints("src_stride", ("src_nstride", "src_cstride", "src_hstride", "src_wstride"), 32),
        _gaddr("dst_addr", f"dst_start_addr_{low}", f"dst_start_addr_{high}"),
        _ints("dst_shape", ("dst_nsize", "dst_csize", "dst_hsize", "dst_wsize"), 16,
              positive=positive),
        _ints("dst_stride", ("dst_nstride", "dst_cstride", "dst_hstride", "dst_wstride"), 32),
        CmdField("lane_mask", (("localmem_mask_l32", 32), ("localmem_mask_h32", 32)), Kind.HEX,
                 _ALL_LANES),
    )  # fmt: skip


class _DmaMoveOp(GdmaOp):
    """Shared behaviour of DMA_tensor and DMA_matrix."""

    @property
    def direction(self) -> tuple[str | None, str | None]:
        """Memory regions of source and destination, e.g. `("global", "local")` for a load;
        the source is None when it is the fill constant."""
        fill = self.value("fill_constant_en")
        src = None if fill else _region_of(cast(int, self.value("src_addr")))
        return src, _region_of(cast(int, self.value("dst_addr")))


@irdl_op_definition
class GdmaTensorOp(_DmaMoveOp):
    """DMA_tensor: strided 4-D move between any two memories. The direction follows from the
    addresses (local memory at LMEM_BASE); sizes (16 bits) and strides (32 bits, in elements)
    per side; with `nchw_copy` the destination sizes are ignored (isa.md §9 DMA_tensor)."""

    name = "bm1684x.gdma.tensor"
    CMD_CLASS: ClassVar[str] = "DMA_tensor"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 0, "cmd_type": 0}
    LISTING_PREFIX: ClassVar[str] = "dma.tensor"
    SUBOP: ClassVar[CmdField] = _enum(
        "cmd_special_function", "cmd_special_function", 3, DmaTensorSp
    )
    FIELDS: ClassVar[tuple[CmdField, ...]] = _dma_fields("l32", "h8", positive=True)

    def listing_name(self) -> str:
        sp = cast(DmaTensorSp, self.subop)
        return "dma.tensor" if sp is DmaTensorSp.PLAIN else f"dma.tensor.{sp.value}"

    def ignores_shape(self, key: str) -> bool:
        return key == "dst_shape" and bool(self.value("nchw_copy"))

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        sp = values["cmd_special_function"]
        src, dst = self.direction
        if sp is DmaTensorSp.COLLECT:
            _require(
                src == "local" and dst == "global",
                f"expected collect to move local -> global, got {src} -> {dst}",
            )
        if sp is DmaTensorSp.DISTRIBUTE:
            _require(
                src == "global" and dst == "local",
                f"expected distribute to move global -> local, got {src} -> {dst}",
            )
        if sp is DmaTensorSp.BROADCAST:
            c = cast(tuple[int, ...], values["src_shape"])[1]
            _require(c == 1, f"expected src_shape[1] (c) = 1 for broadcast, got {c}")


@irdl_op_definition
class GdmaMatrixOp(_DmaMoveOp):
    """DMA_matrix: a (H, W) matrix in global memory <-> matrix layout in local memory (rows on
    n, column blocks of the local side's w size on c). Exactly one side is local memory; the
    global side uses its h/w sizes and h stride (isa.md §9 DMA_matrix). The address fields are
    named `*_start_addr_h32` (low 32 bits) and `*_start_addr_l8` (high 8 bits) (isa.md §11.5)."""

    name = "bm1684x.gdma.matrix"
    CMD_CLASS: ClassVar[str] = "DMA_matrix"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 0, "cmd_type": 1}
    LISTING_PREFIX: ClassVar[str] = "dma.matrix"
    SUBOP: ClassVar[CmdField] = _enum(
        "cmd_special_function", "cmd_special_function", 3, DmaMatrixSp
    )
    FIELDS: ClassVar[tuple[CmdField, ...]] = _dma_fields("h32", "l8", positive=False)

    def listing_name(self) -> str:
        sp = cast(DmaMatrixSp, self.subop)
        return "dma.matrix" if sp is DmaMatrixSp.PLAIN else f"dma.matrix.{sp.value}"

    def verify_command(self, values: Mapping[str, _Value]) -> None:
        src, dst = self.direction
        _require(
            (src == "local") != (dst == "local"),
            f"expected exactly one side of a matrix move in local memory, got {src} -> {dst}",
        )
        for side, region in (("src", src), ("dst", dst)):
            shape = cast(tuple[int, ...], values[f"{side}_shape"])
            dims = (0, 1, 3) if region == "local" else (2, 3)
            for i in dims:
                _require(
                    shape[i] > 0,
                    f"expected {side}_shape[{i}] ({shape[i]}) to be positive "
                    f"on the {region or 'fill'} side",
                )


@irdl_op_definition
class GdmaSysOp(GdmaOp):
    """sDMA_sys: GDMA system command; `end` closes the GDMA queue of a command group."""

    name = "bm1684x.gdma.sys"
    CMD_CLASS: ClassVar[str] = "sDMA_sys"
    CONSTANTS: ClassVar[dict[str, int]] = {"cmd_short": 1, "cmd_type": 6}
    LISTING_PREFIX: ClassVar[str] = "dma.sys"
    SUBOP: ClassVar[CmdField] = _enum("cmd_special_function", "cmd_special_function", 3, DmaSysSp)
    FIELDS: ClassVar[tuple[CmdField, ...]] = ()

    def listing_name(self) -> str:
        return "dma.sys" if self.subop is DmaSysSp.END else "dma.sys.nop"


# ---------------------------------------------------------------------------------------------
# Command group
# ---------------------------------------------------------------------------------------------


def _sync_fields_valid(op: InstructionOp) -> bool:
    """Whether the sub-op, cmd_id and cmd_id_dep of `op` are present and in range."""
    sub = op.properties.get(op.SUBOP.key)
    if not isinstance(sub, op.SUBOP.constraint()):
        return False
    for key in ("cmd_id", "cmd_id_dep"):
        attr = op.properties.get(key)
        if not isinstance(attr, IntAttr) or not 0 <= attr.data < 1 << _ID_BITS:
            return False
    return True


def _is_end(op: Operation) -> bool:
    return (isinstance(op, TiuSysOp) and op.subop is SysEu.END) or (
        isinstance(op, GdmaSysOp) and op.subop is DmaSysSp.END
    )


@irdl_op_definition
class CmdGroupOp(IRDLOperation):
    """A bmodel command group: the TIU queue and the GDMA queue, each in stream order.

    Verified: each queue holds only its engine's instructions and ends with its end command
    (and has no other end); `cmd_id`s increase along each queue; every wait names an id the
    other queue reaches; the two queues, run as in-order engines waiting on each other, finish
    (no deadlock).
    """

    name = "bm1684x.cmd_group"
    tiu = region_def("single_block")
    gdma = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(
        self,
        tiu: Sequence[TiuOp] | Region | None = None,
        gdma: Sequence[GdmaOp] | Region | None = None,
    ) -> None:
        def region(x: Sequence[Operation] | Region | None) -> Region:
            return x if isinstance(x, Region) else Region(Block(list(x or ())))

        super().__init__(regions=[region(tiu), region(gdma)])

    @property
    def tiu_ops(self) -> list[TiuOp]:
        return [cast(TiuOp, op) for op in self.tiu.ops]

    @property
    def gdma_ops(self) -> list[GdmaOp]:
        return [cast(GdmaOp, op) for op in self.gdma.ops]

    @classmethod
    def parse(cls, parser: Parser) -> CmdGroupOp:
        attrs = parser.parse_optional_attr_dict_with_keyword()
        parser.parse_keyword("tiu")
        tiu = parser.parse_region()
        parser.parse_keyword("gdma")
        gdma = parser.parse_region()
        for region in (tiu, gdma):
            if not region.blocks:
                region.add_block(Block())
        op = cls(tiu, gdma)
        if attrs is not None:
            op.attributes.update(attrs.data)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_op_attributes(self.attributes, print_keyword=True)
        printer.print_string(" tiu ")
        printer.print_region(self.tiu, print_entry_block_args=False)
        printer.print_string(" gdma ")
        printer.print_region(self.gdma, print_entry_block_args=False)

    def verify_(self) -> None:
        queues: list[tuple[str, type[InstructionOp], list[Operation]]] = [
            ("tiu", TiuOp, list(self.tiu.ops)),
            ("gdma", GdmaOp, list(self.gdma.ops)),
        ]
        for engine, base, ops in queues:
            end_name = "bm1684x.tiu.sys end" if engine == "tiu" else "bm1684x.gdma.sys end"
            for op in ops:
                if not isinstance(op, base):
                    raise VerifyException(
                        f"expected only {engine} instructions in the {engine} queue, got {op.name}"
                    )
            # An instruction reports its own errors; the group rules below need valid sync
            # fields, and a driver may verify the group before its body.
            if not all(_sync_fields_valid(cast(InstructionOp, op)) for op in ops):
                return
            if not ops or not _is_end(ops[-1]):
                last = ops[-1].name if ops else "nothing"
                raise VerifyException(
                    f"expected the {engine} queue to end with {end_name}, got {last}"
                )
            for op in ops[:-1]:
                if _is_end(op):
                    raise VerifyException(
                        f"expected {end_name} only at the end of the {engine} queue, "
                        f"found it at cmd_id {cast(InstructionOp, op).id}"
                    )
            prev = 0
            for op in cast(list[InstructionOp], ops):
                if op.id <= prev:
                    raise VerifyException(
                        f"expected {engine} cmd_id ({op.id}) to be greater than the previous "
                        f"one ({prev})"
                    )
                prev = op.id
        tiu = self.tiu_ops
        gdma = self.gdma_ops
        for engine, ops, other, other_ops in (
            ("tiu", tiu, "gdma", gdma),
            ("gdma", gdma, "tiu", tiu),
        ):
            last = other_ops[-1].id
            for op in ops:
                if op.wait > last:
                    raise VerifyException(
                        f"{engine} cmd_id {op.id} waits for {other} cmd_id {op.wait}, but the "
                        f"{other} queue ends at cmd_id {last}"
                    )
        self._verify_no_deadlock(tiu, gdma)

    @staticmethod
    def _verify_no_deadlock(tiu: Sequence[TiuOp], gdma: Sequence[GdmaOp]) -> None:
        # Two in-order engines: a command starts once the other engine has completed the
        # command it waits for (ids increase, so "completed id >= wait").
        t = g = 0
        done_t = done_g = 0
        while t < len(tiu) or g < len(gdma):
            progressed = False
            while t < len(tiu) and tiu[t].wait <= done_g:
                done_t, t, progressed = tiu[t].id, t + 1, True
            while g < len(gdma) and gdma[g].wait <= done_t:
                done_g, g, progressed = gdma[g].id, g + 1, True
            if not progressed:
                bt, bg = tiu[t], gdma[g]
                raise VerifyException(
                    f"the queues deadlock: tiu cmd_id {bt.id} waits for gdma cmd_id {bt.wait} "
                    f"while gdma cmd_id {bg.id} waits for tiu cmd_id {bg.wait}"
                )

    def merged_order(self) -> list[InstructionOp]:
        """One serial order of both queues, as SOPHGO's debugger merges them (isa.md §3.1):
        GDMA commands keyed by cmd_id, TIU commands by cmd_id_dep, stable sort with GDMA first;
        the two end commands last (TIU then GDMA)."""
        tiu, gdma = self.tiu_ops, self.gdma_ops
        body: list[tuple[int, int, int, InstructionOp]] = []
        for i, op in enumerate(gdma[:-1]):
            body.append((op.id, 0, i, op))
        for i, op in enumerate(tiu[:-1]):
            body.append((op.wait, 1, i, op))
        body.sort(key=lambda x: x[:3])
        return [x[3] for x in body] + [tiu[-1], gdma[-1]]


# ---------------------------------------------------------------------------------------------
# The bmodel container: model, nets, stages, their tensors, weights and modules
# ---------------------------------------------------------------------------------------------
#
# A bmodel read into IR (`nntc.targets.bm1684x.bmodel_ir`) is one `bm1684x.model` holding
# everything its file holds, so that writing it back gives the same bytes:
#
#   bm1684x.model attributes {chip = "BM1684X", version = "2.2+...", time = "...", ...} {
#     bm1684x.kernel_module "libbm1684x_kernel_module.so" {weight_name = "kernel_module"}
#     bm1684x.cpuop_module "libbm1684x_kernel_module.so"
#     bm1684x.net "tiny_cnn" attributes {} {
#       bm1684x.stage attributes {ctx_addr = 4294987776 : i64, ctx_size = 20480 : i64, ...} {
#         bm1684x.input_tensor "input" {dtype = "float32", shape = array<i64: 1, 3, 32, 32>, ...}
#         bm1684x.output_tensor "output_Gemm_f32" {...}
#         bm1684x.coeff_mem {address = 4294967296 : i64, weight_name = "tiny_cnn.stage0.coeff"}
#         bm1684x.cmd_group tiu {...} gdma {...}
#       }
#     }
#   }
#
# Byte arrays (the kernel module, the coefficients) live in the side-car weight store under
# their `weight_name`, as a uint8 array, never inline. Values the bmodel derives from others
# (tensor `hidden` and `index`, command counts and sizes, the coefficient checksum, blob offsets)
# are not stored: the writer recomputes them.

_I64 = IntegerAttr[I64]


def _i64(value: int) -> IntegerAttr[I64]:
    return IntegerAttr(value, i64)


def _int_of(op: Operation, key: str) -> int:
    attr = op.properties.get(key)
    return cast(IntegerAttr[I64], attr).value.data if attr is not None else 0


def body_ops(op: Operation) -> list[Operation]:
    """The ops of a container's body; an empty body (`{}`) parses to a region without blocks."""
    region = op.regions[0]
    return list(region.block.ops) if region.blocks else []


def _only_children(op: Operation, allowed: tuple[type[Operation], ...]) -> None:
    blocks = len(op.regions[0].blocks)
    if blocks > 1:
        raise VerifyException(f"expected a body of at most one block, got {blocks}")
    names = ", ".join(a.name for a in allowed)
    for child in body_ops(op):
        if not isinstance(child, allowed):
            raise VerifyException(f"expected only {names} in the body, got {child.name}")


@irdl_op_definition
class ModelOp(IRDLOperation):
    """A whole bmodel: the `Model` root table (chip, version, creation time, ...), its kernel
    and cpuop modules and its nets. A missing `time` is stamped when the bmodel is written
    (`SOURCE_DATE_EPOCH` when set); a missing `version` is nntc's own."""

    name = "bm1684x.model"
    chip = prop_def(StringAttr, StringAttr("BM1684X"))
    model_type = prop_def(StringAttr, StringAttr("B"))
    version = opt_prop_def(StringAttr)
    time = opt_prop_def(StringAttr)
    neuron_size = prop_def(_I64, _i64(0))
    device_num = prop_def(_I64, _i64(0))
    bmodel_type = prop_def(_I64, _i64(0))
    lib_backend = opt_prop_def(UnitAttr)
    """Present: the model has an (empty) `lib_backend` binary."""
    body = region_def()
    traits = traits_def(NoTerminator())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict-with-keyword $body"

    def __init__(self, ops: Sequence[Operation] = (), **props: Attribute) -> None:
        super().__init__(properties=props, regions=[Region(Block(list(ops)))])

    @property
    def nets(self) -> list[NetOp]:
        return [op for op in body_ops(self) if isinstance(op, NetOp)]

    def verify_(self) -> None:
        for key in ("chip", "model_type"):
            if not cast(StringAttr, self.properties[key]).data:
                raise VerifyException(f"expected a non-empty {key}")
        for key in ("neuron_size", "device_num", "bmodel_type"):
            if _int_of(self, key) < 0:
                raise VerifyException(f"expected {key} ({_int_of(self, key)}) to be >= 0")
        _only_children(self, (KernelModuleOp, CpuopModuleOp, NetOp))
        for kind in (KernelModuleOp, CpuopModuleOp):
            count = sum(isinstance(op, kind) for op in body_ops(self))
            if count > 1:
                raise VerifyException(f"expected at most one {kind.name}, got {count}")
        names = [net.net_name.data for net in self.nets]
        for name in names:
            if names.count(name) > 1:
                raise VerifyException(f"expected unique net names, '{name}' is used twice")


@irdl_op_definition
class KernelModuleOp(IRDLOperation):
    """The kernel module library (`Model.kernel_module`); its bytes are the uint8 array
    `weight_name` of the weight store."""

    name = "bm1684x.kernel_module"
    file_name = prop_def(StringAttr)
    weight_name = prop_def(StringAttr)
    mode = prop_def(_I64, _i64(0))
    traits = traits_def(HasParent(ModelOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$file_name attr-dict"

    def verify_(self) -> None:
        if not self.weight_name.data:
            raise VerifyException("expected a non-empty weight_name")


@irdl_op_definition
class CpuopModuleOp(IRDLOperation):
    """The cpu-op library (`Model.cpuop_module`); without `weight_name` its binary is empty."""

    name = "bm1684x.cpuop_module"
    file_name = prop_def(StringAttr)
    weight_name = opt_prop_def(StringAttr)
    traits = traits_def(HasParent(ModelOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$file_name attr-dict"


@irdl_op_definition
class NetOp(IRDLOperation):
    """One net of the model (`Net`): its name, address mode and stages (one per input shape)."""

    name = "bm1684x.net"
    net_name = prop_def(StringAttr)
    addr_mode = prop_def(_I64, _i64(0))
    body = region_def()
    traits = traits_def(NoTerminator(), HasParent(ModelOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$net_name attr-dict-with-keyword $body"

    def __init__(self, net_name: str, stages: Sequence[Operation] = (), **props: Attribute):
        super().__init__(
            properties={"net_name": StringAttr(net_name), **props},
            regions=[Region(Block(list(stages)))],
        )

    @property
    def stages(self) -> list[StageOp]:
        return [op for op in body_ops(self) if isinstance(op, StageOp)]

    def verify_(self) -> None:
        if not self.net_name.data:
            raise VerifyException("expected a non-empty net name")
        _only_children(self, (StageOp,))


STAGE_INT_KEYS = (
    "ctx_addr",
    "ctx_size",
    "is_dynamic",
    "n_dynamic",
    "h_w_dynamic",
    "cpu_mem_size",
    "core_num",
    "io_addr",
    "io_size",
    "dynamic_ctx_addr",
    "dynamic_coeff_offset",
    "dynamic_combined_coeff_offset",
)
"""Integer fields of a stage (`NetParameter`), each a property of the same name."""

STAGE_IR_FIELDS = 5
"""`StageIR` has five integers; `stage_ir` holds them flattened."""


@irdl_op_definition
class StageOp(IRDLOperation):
    """One stage of a net (`NetParameter`): activation memory (`ctx_*`), its input and output
    tensors, its coefficients and its command groups.

    `subnet_run_core` present: the stage has one TPU subnet that repeats the stage's tensors
    and command groups (what TPU-MLIR writes for a static net), running on that core mask.
    `binary_ir` present: the stage has an empty dynamic-IR binary. `stage_ir` holds the
    `StageIR` tables flattened, five integers each.
    """

    name = "bm1684x.stage"
    ctx_addr = prop_def(_I64, _i64(0))
    ctx_size = prop_def(_I64, _i64(0))
    ctx_sizes = opt_prop_def(DenseArrayBase)
    is_dynamic = prop_def(_I64, _i64(0))
    n_dynamic = prop_def(_I64, _i64(0))
    h_w_dynamic = prop_def(_I64, _i64(0))
    cpu_mem_size = prop_def(_I64, _i64(0))
    core_num = prop_def(_I64, _i64(0))
    io_addr = prop_def(_I64, _i64(0))
    io_size = prop_def(_I64, _i64(0))
    dynamic_ctx_addr = prop_def(_I64, _i64(0))
    dynamic_coeff_offset = prop_def(_I64, _i64(0))
    dynamic_combined_coeff_offset = prop_def(_I64, _i64(0))
    stage_ir = opt_prop_def(DenseArrayBase)
    binary_ir = opt_prop_def(UnitAttr)
    subnet_run_core = opt_prop_def(_I64)
    body = region_def()
    traits = traits_def(NoTerminator(), HasParent(NetOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict-with-keyword $body"

    def __init__(self, ops: Sequence[Operation] = (), **props: Attribute) -> None:
        super().__init__(properties=props, regions=[Region(Block(list(ops)))])

    @property
    def inputs(self) -> list[InputTensorOp]:
        return [op for op in body_ops(self) if isinstance(op, InputTensorOp)]

    @property
    def outputs(self) -> list[OutputTensorOp]:
        return [op for op in body_ops(self) if isinstance(op, OutputTensorOp)]

    @property
    def coeff(self) -> CoeffMemOp | None:
        return next((op for op in body_ops(self) if isinstance(op, CoeffMemOp)), None)

    @property
    def groups(self) -> list[CmdGroupOp]:
        return [op for op in body_ops(self) if isinstance(op, CmdGroupOp)]

    def verify_(self) -> None:
        for key in STAGE_INT_KEYS:
            if _int_of(self, key) < 0:
                raise VerifyException(f"expected {key} ({_int_of(self, key)}) to be >= 0")
        for key in ("ctx_sizes", "stage_ir"):
            attr = self.properties.get(key)
            if attr is not None and cast(DenseArrayBase[Any], attr).elt_type != i64:
                raise VerifyException(f"expected {key} to be an array of i64")
        if self.ctx_sizes is not None:
            for i, size in enumerate(cast(DenseArrayBase[I64], self.ctx_sizes).get_values()):
                if size < 0:
                    raise VerifyException(f"expected ctx_sizes[{i}] ({size}) to be >= 0")
        if self.stage_ir is not None:
            count = len(cast(DenseArrayBase[I64], self.stage_ir).get_values())
            if count % STAGE_IR_FIELDS:
                raise VerifyException(
                    f"expected stage_ir to hold a multiple of {STAGE_IR_FIELDS} values "
                    f"(one StageIR each), got {count}"
                )
        _only_children(self, (InputTensorOp, OutputTensorOp, CoeffMemOp, CmdGroupOp))
        coeffs = sum(isinstance(op, CoeffMemOp) for op in body_ops(self))
        if coeffs > 1:
            raise VerifyException(f"expected at most one bm1684x.coeff_mem, got {coeffs}")


DTYPE_CODES: dict[str, int] = {name: code for code, name in DATA_TYPE_NAMES.items()}
_DTYPE_BITS: dict[str, int] = {
    "float32": 32,
    "float16": 16,
    "int8": 8,
    "uint8": 8,
    "int16": 16,
    "uint16": 16,
    "int32": 32,
    "uint32": 32,
    "bfloat16": 16,
    "int4": 4,
    "uint4": 4,
}


class IoTensorOp(IRDLOperation):
    """A net input or output (`Tensor`): name, data type (`model_tool`'s names: float32, int8,
    ...), shape, device address and size in bytes, quantization scale and zero point. `hidden`
    (1 input, 2 output) and `index` (position among its kind) follow from the op and its place."""

    tensor_name = prop_def(StringAttr)
    dtype = prop_def(StringAttr)
    shape = prop_def(DenseArrayBase)
    device_addr = prop_def(_I64)
    size = prop_def(_I64)
    mem_type = prop_def(_I64, _i64(0))
    scale = prop_def(FloatAttr[Float32Type], FloatAttr(1.0, f32))
    zero_point = prop_def(_I64, _i64(0))
    gmem_stmode = prop_def(_I64, _i64(0))
    cpu_addr = prop_def(_I64, _i64(0))
    pad_h = prop_def(_I64, _i64(0))
    traits = traits_def(HasParent(StageOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$tensor_name attr-dict"

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(cast(DenseArrayBase[I64], self.shape).get_values())

    def verify_(self) -> None:
        dtype = self.dtype.data
        if dtype not in DTYPE_CODES:
            known = ", ".join(DTYPE_CODES)
            raise VerifyException(f"expected dtype to be one of {known}, got '{dtype}'")
        if cast(DenseArrayBase[Any], self.shape).elt_type != i64:
            raise VerifyException("expected shape to be an array of i64")
        for i, dim in enumerate(self.dims):
            if dim < 0:
                raise VerifyException(f"expected shape[{i}] ({dim}) to be >= 0")
        for key in ("device_addr", "size", "mem_type", "cpu_addr", "pad_h"):
            if _int_of(self, key) < 0:
                raise VerifyException(f"expected {key} ({_int_of(self, key)}) to be >= 0")
        elements = 1
        for dim in self.dims:
            elements *= dim
        needed = (elements * _DTYPE_BITS[dtype] + 7) // 8
        if self.size.value.data < needed:
            raise VerifyException(
                f"expected size ({self.size.value.data}) to hold the {needed} bytes of shape "
                f"{list(self.dims)} in {dtype}"
            )


@irdl_op_definition
class InputTensorOp(IoTensorOp):
    """An input of its stage (`NetParameter.input_tensor`)."""

    name = "bm1684x.input_tensor"


@irdl_op_definition
class OutputTensorOp(IoTensorOp):
    """An output of its stage (`NetParameter.output_tensor`)."""

    name = "bm1684x.output_tensor"


@irdl_attr_definition
class CoeffLocationAttr(ParametrizedAttribute):
    """Where one named weight lies in the coefficient memory: `#bm1684x.loc<"w", 0, 4096>`
    (name, byte offset, byte size)."""

    name = "bm1684x.loc"
    weight: StringAttr
    offset: IntAttr
    size: IntAttr

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> tuple[StringAttr, IntAttr, IntAttr]:
        with parser.in_angle_brackets():
            weight = parser.parse_str_literal()
            parser.parse_punctuation(",")
            offset = parser.parse_integer(allow_boolean=False)
            parser.parse_punctuation(",")
            size = parser.parse_integer(allow_boolean=False)
        return StringAttr(weight), IntAttr(offset), IntAttr(size)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string_literal(self.weight.data)
            printer.print_string(f", {self.offset.data}, {self.size.data}")

    def verify(self) -> None:
        for key, value in (("offset", self.offset.data), ("size", self.size.data)):
            if value < 0:
                raise VerifyException(f"expected location {key} ({value}) to be >= 0")


@irdl_op_definition
class CoeffMemOp(IRDLOperation):
    """The coefficient memory of a stage (`CoeffMem`): its device address and its bytes (the
    uint8 array `weight_name` of the weight store); `locations` names the weights inside it.
    The checksum (`check_code`, SHA-256 of the bytes) is computed when the bmodel is written."""

    name = "bm1684x.coeff_mem"
    address = prop_def(_I64)
    weight_name = prop_def(StringAttr)
    locations = opt_prop_def(ArrayAttr[CoeffLocationAttr])
    encrypt_mode = prop_def(_I64, _i64(0))
    decrypt_size = prop_def(_I64, _i64(0))
    traits = traits_def(HasParent(StageOp))
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict"

    def verify_(self) -> None:
        if self.address.value.data < 0:
            raise VerifyException(f"expected address ({self.address.value.data}) to be >= 0")
        if not self.weight_name.data:
            raise VerifyException("expected a non-empty weight_name")
        end = 0
        for i, loc in enumerate(self.locations or ()):
            if loc.offset.data < end:
                raise VerifyException(
                    f"expected locations[{i}] ('{loc.weight.data}') to start at or after byte "
                    f"{end}, where the previous one ends, got {loc.offset.data}"
                )
            end = loc.offset.data + loc.size.data


CONTAINER_OPS: tuple[type[IRDLOperation], ...] = (
    ModelOp,
    KernelModuleOp,
    CpuopModuleOp,
    NetOp,
    StageOp,
    InputTensorOp,
    OutputTensorOp,
    CoeffMemOp,
)


INSTRUCTION_OPS: tuple[type[InstructionOp], ...] = (
    ConvOp,
    PordOp,
    MmOp,
    Mm2Op,
    ArOp,
    RqDqOp,
    TransBcOp,
    SgOp,
    SfuOp,
    TiuSysOp,
    GdmaTensorOp,
    GdmaMatrixOp,
    GdmaSysOp,
)

OP_BY_CMD_CLASS: dict[str, type[InstructionOp]] = {op.CMD_CLASS: op for op in INSTRUCTION_OPS}
"""Instruction op of each supported command class (CSV class name, e.g. `sAR`)."""


BM1684X = Dialect(
    "bm1684x",
    [CmdGroupOp, *INSTRUCTION_OPS, *CONTAINER_OPS],
    [*(cast(type[Attribute], a) for a in _ENUM_ATTRS.values()), CoeffLocationAttr],
)
