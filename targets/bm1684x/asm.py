"""`-t bm1684x-asm`: a BM1684X assembly listing of the `bm1684x` dialect, one line per command.

The listing reads like SOPHGO's `.dis.txt` (`%B3 = conv.normal ...`, `%D2 = dma.tensor ...`) but
every line has the same regular shape, so that a small grammar can read it back:

    // bm1684x assembly listing
    .net add_f32
    .input x dtype=float32 shape=[1,8,4,4] addr=0x100001000
    .output y dtype=float32 shape=[1,8,4,4] addr=0x100002000
    .coeff addr=0x100000000 size=0x40
    .weight w offset=0x0 hex=0000803f...
    group 0 tiu=9 gdma=11
      %D1 = dma.tensor wait=%B0 dtype=fp32 src_addr=0x100000000 src_shape=[1,16,1,1] ...
      %B1 = conv.normal wait=%D3 res0_addr=0x4000 res0_shape=[1,16,32,32] ...
      ...
      %B9 = sys.end wait=%D0 cmd_id_en=0
      %D11 = dma.sys wait=%B0

- `%B<id>` is TIU command `cmd_id` (B for BDC, the TIU's older name), `%D<id>` GDMA `cmd_id`;
  `wait=` names the other engine's command this one waits for (`cmd_id_dep`; 0 = no wait).
- The mnemonic is the vendor's `<class>.<sub-op>` name (`arith.add`, `pord.maxpooling`, ...).
- Then `key=value` pairs, one per op property that differs from its default (the same keys
  and defaults as the IR's custom syntax): integers in decimal, addresses and raw 32-bit values
  in hex, lists as `[a,b,c]` without spaces, enums and booleans as bare words.
- Directives (lines starting with `.`) describe the net around the commands, as the container
  ops of the dialect do (`bm1684x.net`, `stage`, `input_tensor`, `output_tensor`, `coeff_mem`):
  `.net`, `.stage`, `.input`, `.output`, `.coeff` with its `.weight` (a named entry of the
  bmodel's location table) and `.data` (unnamed bytes) lines. Each is printed only where it
  differs from the minimal bmodel that bare command groups make (net `main`, one stage, no
  tensors, no coefficients), so a listing without directives prints without them. The bytes
  of a coefficient memory up to `DIS_DATA_LIMIT` are printed in hex; a larger one is printed
  with its size and SHA-256 only (`nntc-model --to-mlir` keeps such bytes). The model header
  (version, creation time, kernel module) is not part of a listing. docs/assembly.md is the
  reference.

The listing reads back into IR with `asm_parser.parse_listing` (grammar `asm.lark`): nntc-opt
reads `.bmasm` files (or `-f bmasm`) that way, so assembly tests can be written by hand, and
`nntc-model --dis` prints a bmodel that way (`bmodel_listing`).

Order (option `order`): `merged` (default) interleaves the two queues the way SOPHGO's debugger
does (GDMA by cmd_id, TIU by the GDMA id it waits for; isa.md §3.1) and ends with the two end
commands; `queue` prints the TIU queue, then the GDMA queue.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, ClassVar, cast

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import DiagnosticException
from xdsl.utils.target import Target

from nntc.dialects.bm1684x import (
    STAGE_INT_KEYS,
    CmdGroupOp,
    CoeffMemOp,
    CpuopModuleOp,
    InstructionOp,
    IoTensorOp,
    KernelModuleOp,
    ModelOp,
    StageOp,
    body_ops,
)
from nntc.targets.bm1684x.bmodel_ir import DEFAULT_NET
from nntc.targets.weight_store import WeightStore, WeightStoreError, weight_store_of

if TYPE_CHECKING:
    from nntc.targets.bm1684x.bmodel import BModel

__all__ = [
    "DATA_TYPES",
    "DEFAULT_NET",
    "DIS_DATA_LIMIT",
    "Bm1684xAsmTarget",
    "bmodel_listing",
    "group_lines",
    "module_lines",
]

HEADER = "// bm1684x assembly listing"

DIS_DATA_LIMIT = 16 * 1024
"""Coefficient memories up to this many bytes are printed with their data."""
DATA_LINE_BYTES = 64
"""Bytes per `.data` line (bytes outside every named weight)."""

DATA_TYPES: dict[str, str] = {
    "int8": "<i1",
    "uint8": "<u1",
    "int16": "<i2",
    "uint16": "<u2",
    "int32": "<i4",
    "uint32": "<u4",
    "float16": "<f2",
    "float32": "<f4",
}
"""`.weight` value keys (`int8=[1,-2]`, `float32=[0.5]`) -> little-endian numpy type."""

TENSOR_INT_KEYS = ("mem_type", "gmem_stmode", "cpu_addr", "pad_h")
"""Integer fields of an input/output tensor beyond name, dtype, shape, address and size."""

TENSOR_DTYPE_BITS = {"float32": 32, "int32": 32, "uint32": 32, "int8": 8, "uint8": 8,
                     "int4": 4, "uint4": 4}  # fmt: skip
"""Bits of a tensor dtype (the others are 16-bit)."""

_KEYWORDS = {"group", "tiu", "gdma", "wait"}
_WORD = re.compile(r"-?[A-Za-z0-9_][A-Za-z0-9_.+\-]*")


def STAGE_DEFAULTS() -> dict[str, Attribute | None]:  # noqa: N802 - a constant's factory
    """Properties of a stage that a listing does not mention: those of the minimal bmodel
    (`bmodel_ir` wraps bare command groups in the same stage)."""
    return {
        "core_num": IntegerAttr(1, i64),
        "subnet_run_core": IntegerAttr(1, i64),
        "binary_ir": UnitAttr(),
    }


def MODEL_DEFAULTS() -> dict[str, Attribute]:  # noqa: N802 - a constant's factory
    """Properties of the `bm1684x.model` a listing with directives makes (as for bare groups)."""
    return {"device_num": IntegerAttr(1, i64)}


def coeff_weight_name(net: str, stage: int) -> str:
    """Weight-store name of a stage's coefficient bytes (the name `bmodel_to_ir` gives)."""
    return f"{net}.stage{stage}.coeff"


def tensor_bytes(dtype: str, shape: Sequence[int]) -> int:
    """Bytes of a dense tensor: the default `size=` of `.input` / `.output`."""
    elements = 1
    for dim in shape:
        elements *= dim
    return (elements * TENSOR_DTYPE_BITS.get(dtype, 16) + 7) // 8


def format_name(name: str) -> str:
    """A name as a bare word when the grammar reads it back as one, else a quoted string."""
    if _WORD.fullmatch(name) and name not in _KEYWORDS:
        return name
    return json.dumps(name, ensure_ascii=False)


def group_lines(group: CmdGroupOp, index: int, order: str = "merged") -> list[str]:
    """The listing lines of one command group: its header, then one line per command."""
    if order == "merged":
        ops: list[InstructionOp] = group.merged_order()
    elif order == "queue":
        ops = [*group.tiu_ops, *group.gdma_ops]
    else:
        raise ValueError(f"unknown order {order!r} (expected 'merged' or 'queue')")
    lines = [f"group {index} tiu={len(group.tiu_ops)} gdma={len(group.gdma_ops)}"]
    lines += [f"  {op.assembly_line()}" for op in ops]
    return lines


# --- directives -----------------------------------------------------------------------------


def _int(op: Operation, key: str) -> int:
    attr = op.properties.get(key)
    return 0 if attr is None else cast(IntegerAttr, attr).value.data


def _ints(attr: Attribute) -> str:
    return "[" + ",".join(str(v) for v in cast(DenseArrayBase, attr).get_values()) + "]"


def _stage_fields(stage: StageOp) -> list[str]:
    """`key=value` of every stage property that differs from `STAGE_DEFAULTS`."""
    fields = []
    defaults = STAGE_DEFAULTS()
    for key in STAGE_INT_KEYS:
        default = defaults.get(key)
        value = _int(stage, key)
        if value != (cast(IntegerAttr, default).value.data if default is not None else 0):
            fields.append(f"{key}={value:#x}" if key.endswith("addr") else f"{key}={value}")
    for key in ("ctx_sizes", "stage_ir"):
        if (attr := stage.properties.get(key)) is not None:
            fields.append(f"{key}={_ints(attr)}")
    run_core = stage.subnet_run_core
    if run_core is None:
        fields.append("subnet_run_core=none")
    elif run_core.value.data != 1:
        fields.append(f"subnet_run_core={run_core.value.data}")
    if stage.binary_ir is None:
        fields.append("binary_ir=false")
    return fields


def _tensor_line(op: IoTensorOp) -> str:
    kind = ".input" if op.name == "bm1684x.input_tensor" else ".output"
    dtype = op.dtype.data
    parts = [
        kind,
        format_name(op.tensor_name.data),
        f"dtype={dtype}",
        "shape=[" + ",".join(str(d) for d in op.dims) + "]",
        f"addr={_int(op, 'device_addr'):#x}",
    ]
    size = _int(op, "size")
    if size != tensor_bytes(dtype, op.dims):
        parts.append(f"size={size}")
    scale = cast(FloatAttr, op.scale).value.data
    if scale != 1.0:
        parts.append(f"scale={np.float32(scale)!s}")
    for key in ("zero_point", *TENSOR_INT_KEYS):
        if value := _int(op, key):
            parts.append(f"{key}={value}")
    return " ".join(parts)


def _coeff_lines(op: CoeffMemOp, store: WeightStore) -> list[str]:
    try:
        data = store[op.weight_name.data].tobytes()
    except WeightStoreError as err:
        raise DiagnosticException(f"bm1684x.coeff_mem: {err}") from None
    head = f".coeff addr={op.address.value.data:#x} size={len(data)}"
    locations = [(x.weight.data, x.offset.data, x.size.data) for x in op.locations or ()]
    if len(data) > DIS_DATA_LIMIT or any(off + size > len(data) for _, off, size in locations):
        lines = [f"{head} sha256={hashlib.sha256(data).hexdigest()}"]
        lines += [
            f".weight {format_name(n)} offset={off:#x} size={size}" for n, off, size in locations
        ]
        return lines
    lines = [head]
    covered = bytearray(len(data))  # 1 where a named weight holds the byte
    pieces: list[tuple[int, str]] = []
    for name, off, size in locations:
        covered[off : off + size] = b"\x01" * size
        chunk = data[off : off + size]
        value = f"hex={chunk.hex()}" if any(chunk) else f"size={size}"
        pieces.append((off, f".weight {format_name(name)} offset={off:#x} {value}"))
    for start in range(0, len(data), DATA_LINE_BYTES):
        # bytes outside the named weights, in lines of DATA_LINE_BYTES; zeros are implied
        end = min(start + DATA_LINE_BYTES, len(data))
        run_start = None
        for i in range(start, end + 1):
            outside = i < end and not covered[i]
            if outside and run_start is None:
                run_start = i
            elif not outside and run_start is not None:
                chunk = data[run_start:i]
                if any(chunk):
                    pieces.append((run_start, f".data offset={run_start:#x} hex={chunk.hex()}"))
                run_start = None
    lines += [line for _, line in sorted(pieces, key=lambda x: x[0])]
    return lines


def _not_listed(model: ModelOp) -> list[str]:
    """What a listing cannot show of a model (beyond version and time, always stamped)."""
    out = []
    for op in body_ops(model):
        if isinstance(op, KernelModuleOp | CpuopModuleOp):
            out.append(op.name.removeprefix("bm1684x."))
    for key in ("neuron_size", "bmodel_type"):
        if _int(model, key):
            out.append(key)
    if _int(model, "device_num") != 1:
        out.append("device_num")
    if model.lib_backend is not None:
        out.append("lib_backend")
    return out


def model_lines(model: ModelOp, store: WeightStore, order: str = "merged") -> list[str]:
    """The listing of a whole `bm1684x.model`: directives, then each stage's groups."""
    lines = []
    hidden = _not_listed(model)
    if hidden:
        lines.append(f"// not in the listing: {', '.join(hidden)}")
    nets = model.nets
    for net in nets:
        net_line = f".net {format_name(net.net_name.data)}"
        if _int(net, "addr_mode"):
            net_line += f" addr_mode={_int(net, 'addr_mode')}"
        if len(nets) > 1 or net.net_name.data != DEFAULT_NET or _int(net, "addr_mode"):
            lines.append(net_line)
        for stage in net.stages:
            fields = _stage_fields(stage)
            if fields or len(net.stages) > 1:
                lines.append(" ".join([".stage", *fields]))
            lines += [_tensor_line(t) for t in (*stage.inputs, *stage.outputs)]
            if stage.coeff is not None:
                lines += _coeff_lines(stage.coeff, store)
            for index, group in enumerate(stage.groups):
                lines += group_lines(group, index, order)
    return lines


def module_lines(module: ModuleOp, order: str = "merged") -> list[str]:
    """The listing of a module: of its `bm1684x.model` (weights from its store) when it has
    one, else of its command groups, numbered in order."""
    models = [op for op in module.ops if isinstance(op, ModelOp)]
    lines = [HEADER]
    if models:
        store = weight_store_of(module)
        for model in models:
            lines += model_lines(model, store, order)
        return lines
    groups = [op for op in module.walk() if isinstance(op, CmdGroupOp)]
    for index, group in enumerate(groups):
        lines += group_lines(group, index, order)
    return lines


def bmodel_listing(bm: BModel, order: str = "merged") -> str:
    """The listing of a bmodel (`nntc-model --dis`): with its directives when the bmodel reads
    into IR, else only its command groups, after a comment that says why."""
    from nntc.targets.bm1684x.bmodel_ir import BModelIRError, bmodel_to_ir, command_groups

    try:
        module = bmodel_to_ir(bm, WeightStore(), "bmodel")
    except BModelIRError as err:
        # e.g. a field the IR cannot represent, or queues that deadlock: the commands still list
        lines = [HEADER, f"// directives not shown: {err}"]
        for index, group in enumerate(command_groups(bm)):
            lines += group_lines(group, index, order)
        return "\n".join(lines) + "\n"
    return "\n".join(module_lines(module, order)) + "\n"


@dataclass(frozen=True)
class Bm1684xAsmTarget(Target):
    """Print a module as an assembly listing: its `bm1684x.model` with directives, or its
    bare `bm1684x.cmd_group`s."""

    name: ClassVar[str] = "bm1684x-asm"
    order: str = "merged"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write("\n".join(module_lines(module, self.order)) + "\n")
