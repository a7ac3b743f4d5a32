"""bmodel <-> IR: a whole bmodel as a `bm1684x.model` op, and back, byte for byte.

`bmodel_to_ir(bmodel)` turns the container (`targets/bm1684x/bmodel.py`) into IR of the
`bm1684x` dialect: the model header fields, every net and stage with its input and output
tensors, activation memory and coefficient memory, and every command group decoded into
`bm1684x.cmd_group` ops (`targets/bm1684x/codec.py`). Byte arrays (the kernel module, the
coefficients, a non-empty cpuop module) go to the side-car weight store
(`nntc.targets.weight_store`) as uint8 arrays; the ops name them with `weight_name`.

`ir_to_bmodel(module, store)` is the inverse. It recomputes what the bmodel derives (command
counts and byte sizes, tensor `hidden`/`index`, the coefficient SHA-256, blob offsets) and lays
the blob out as TPU-MLIR's writer does: kernel module, cpuop module, then per stage its
coefficients, its command buffers (TIU then GDMA, per group) and its empty dynamic-IR binary,
each piece 4 KiB-aligned. So `bmodel -> IR -> bmodel` gives the same bytes; `bmodel_to_ir`
proves it for every file it converts (it converts back and compares), so a field the IR cannot
represent yet is an error naming that field, never a silent loss.

A module that holds bare `bm1684x.cmd_group`s (hand-written assembly, `.bmasm`) becomes a
minimal bmodel: one net `main` with one stage holding the groups, no tensors, no weights.

`-t bmodel` (`BModelTarget`) writes the bytes; nntc-opt requires `-o FILE` for it and writes
the file atomically.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import IO, Any, ClassVar, cast

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    Builtin,
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
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError
from xdsl.utils.target import Target

from nntc.dialects.bm1684x import (
    BM1684X,
    DTYPE_CODES,
    OP_BY_CMD_CLASS,
    STAGE_INT_KEYS,
    STAGE_IR_FIELDS,
    CmdGroupOp,
    CoeffLocationAttr,
    CoeffMemOp,
    CpuopModuleOp,
    GdmaOp,
    InputTensorOp,
    InstructionOp,
    IoTensorOp,
    KernelModuleOp,
    ModelOp,
    NetOp,
    OutputTensorOp,
    StageOp,
    TiuOp,
    body_ops,
)
from nntc.targets.atomic import write_atomically
from nntc.targets.bm1684x import codec
from nntc.targets.bm1684x.bmodel import (
    DATA_TYPE_NAMES,
    SUBNET_MODE_TPU,
    Binary,
    BlobBuilder,
    BModel,
    BModelError,
    CmdGroup,
    CoeffMem,
    CpuopModule,
    KernelModule,
    Location,
    Model,
    Net,
    NetParameter,
    Shape,
    StageIR,
    SubNet,
    Tensor,
    bmodel_bytes,
    read_bmodel,
    write_bmodel,
)
from nntc.targets.weight_store import (
    WEIGHTS_ATTR,
    WeightStore,
    WeightStoreError,
    attach_weight_store,
    load_weight_store,
    weight_store_of,
)

__all__ = [
    "BModelIRError",
    "BModelTarget",
    "bmodel_to_ir",
    "command_groups",
    "encode_group",
    "group_to_ir",
    "ir_to_bmodel",
    "mlir_to_bmodel_file",
    "bmodel_file_to_mlir",
    "parse_ir",
]

KERNEL_WEIGHT = "kernel_module"
CPUOP_WEIGHT = "cpuop_module"
DEFAULT_NET = "main"
"""Net name of the bmodel made from bare command groups."""


class BModelIRError(Exception):
    """A bmodel the IR cannot represent, or IR that does not make a bmodel; one line."""


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _ints(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def _int(op: Operation, key: str) -> int:
    attr = op.properties.get(key)
    return 0 if attr is None else cast(IntegerAttr, attr).value.data


# --- bmodel -> IR ---------------------------------------------------------------------------


def group_to_ir(bdc: bytes, gdma: bytes, where: str = "command group") -> CmdGroupOp:
    """Decode one command group's TIU and GDMA buffers into a `bm1684x.cmd_group`."""
    queues: dict[str, list[InstructionOp]] = {}
    for engine, data in (("tiu", bdc), ("gdma", gdma)):
        try:
            commands = codec.decode_queue(data, engine)
        except codec.CodecError as err:
            raise BModelIRError(f"{where}: {engine} queue: {err}") from None
        ops: list[InstructionOp] = []
        for index, cmd in enumerate(commands):
            op_cls = OP_BY_CMD_CLASS.get(cmd.name)
            if op_cls is None:
                raise BModelIRError(
                    f"{where}: {engine} command {index} is a {cmd.name} ({cmd.op_name}), "
                    "which has no bm1684x op yet"
                )
            try:
                ops.append(op_cls.from_fields(cmd.fields))
            except ValueError as err:
                raise BModelIRError(f"{where}: {engine} command {index}: {err}") from None
        queues[engine] = ops
    return CmdGroupOp(cast(list[TiuOp], queues["tiu"]), cast(list[GdmaOp], queues["gdma"]))


def command_groups(bm: BModel) -> list[CmdGroupOp]:
    """Every command group of every net and stage, decoded, in file order (for listings; unlike
    `bmodel_to_ir` this needs only the commands to be representable)."""
    out = []
    for net in bm.model.net:
        for j, p in enumerate(net.parameter or []):
            groups = p.cmd_group or [g for s in p.sub_net or [] for g in s.cmd_group or []]
            for g, group in enumerate(groups):
                where = f"net '{net.name}' stage {j} command group {g}"
                if group.binary_bdc is None or group.binary_gdma is None:
                    raise BModelIRError(f"{where} lacks a command buffer")
                try:
                    bdc, gdma = bm.binary(group.binary_bdc), bm.binary(group.binary_gdma)
                except BModelError as err:
                    raise BModelIRError(f"{where}: {err}") from None
                out.append(group_to_ir(bdc, gdma, where))
    return out


def _require_absent(value: object, what: str) -> None:
    if value is not None:
        raise BModelIRError(f"{what} is not representable in IR yet")


def _tensor_op(t: Tensor, output: bool, where: str) -> IoTensorOp:
    if t.shape is None or len(t.shape) != 1 or t.shape[0].dim is None:
        count = "no" if not t.shape else len(t.shape)
        raise BModelIRError(
            f"{where}: tensor '{t.name}' has {count} shapes; only one shape is representable"
        )
    if t.data_type not in DATA_TYPE_NAMES:
        raise BModelIRError(f"{where}: tensor '{t.name}' has unknown data_type {t.data_type}")
    props: dict[str, Attribute] = {
        "tensor_name": StringAttr(t.name),
        "dtype": StringAttr(DATA_TYPE_NAMES[t.data_type]),
        "shape": _ints(t.shape[0].dim),
        "device_addr": _i64(t.device_addr),
        "size": _i64(t.size),
    }
    for key in ("mem_type", "zero_point", "gmem_stmode", "cpu_addr", "pad_h"):
        if getattr(t, key):
            props[key] = _i64(getattr(t, key))
    if t.scale != 1.0:
        props["scale"] = FloatAttr(t.scale, f32)
    cls = OutputTensorOp if output else InputTensorOp
    return cls.create(properties=props)


def _check_subnets(p: NetParameter, where: str) -> int | None:
    """The run_core of the one TPU subnet that mirrors the stage, None without subnets."""
    if p.sub_net is None:
        return None
    if len(p.sub_net) != 1:
        raise BModelIRError(
            f"{where}: {len(p.sub_net)} subnets; only one TPU subnet is representable in IR yet"
        )
    s = p.sub_net[0]
    if s.subnet_mode != SUBNET_MODE_TPU:
        raise BModelIRError(f"{where}.sub_net[0]: a CPU subnet is not representable in IR yet")
    for key in ("cpu_param", "merge_param", "switch_param", "core_commands"):
        _require_absent(getattr(s, key), f"{where}.sub_net[0].{key}")
    return s.run_core


def _stage_op(bm: BModel, p: NetParameter, net: str, j: int, store: WeightStore) -> StageOp:
    where = f"net '{net}' stage {j}"
    for key in ("net_profile", "net_stat", "tensor_loc"):
        _require_absent(getattr(p, key), f"{where}: {key}")
    if p.binary_ir is not None and p.binary_ir.size:
        raise BModelIRError(f"{where}: a dynamic-IR binary is not representable in IR yet")
    run_core = _check_subnets(p, where)
    props: dict[str, Attribute] = {
        key: _i64(getattr(p, key)) for key in STAGE_INT_KEYS if getattr(p, key)
    }
    if p.ctx_sizes is not None:
        props["ctx_sizes"] = _ints(p.ctx_sizes)
    if p.stage_ir is not None:
        flat = [getattr(s, f.name) for s in p.stage_ir for f in dataclasses.fields(StageIR)]
        props["stage_ir"] = _ints(flat)
    if p.binary_ir is not None:
        props["binary_ir"] = UnitAttr()
    if run_core is not None:
        props["subnet_run_core"] = _i64(run_core)

    ops: list[Operation] = [_tensor_op(t, False, where) for t in p.input_tensor]
    ops += [_tensor_op(t, True, where) for t in p.output_tensor]
    c = p.coeff_mem
    if c is not None:
        data = bm.binary(c.binary_coeff) if c.binary_coeff is not None else b""
        if c.binary_coeff is None:
            raise BModelIRError(f"{where}: coeff_mem without binary_coeff is not representable")
        if c.check_code != hashlib.sha256(data).digest():
            raise BModelIRError(
                f"{where}: coeff_mem.check_code is not the SHA-256 of the coefficients; "
                "only that checksum is representable"
            )
        name = f"{net}.stage{j}.coeff"
        store[name] = np.frombuffer(data, dtype=np.uint8)
        coeff_props: dict[str, Attribute] = {
            "address": _i64(c.address),
            "weight_name": StringAttr(name),
        }
        if c.location is not None:
            coeff_props["locations"] = ArrayAttr(
                [CoeffLocationAttr(StringAttr(x.name), IntAttr(x.offset), IntAttr(x.size))
                 for x in c.location]
            )  # fmt: skip
        for key in ("encrypt_mode", "decrypt_size"):
            if getattr(c, key):
                coeff_props[key] = _i64(getattr(c, key))
        ops.append(CoeffMemOp.create(properties=coeff_props))
    for g, group in enumerate(p.cmd_group or []):
        if group.binary_bdc is None or group.binary_gdma is None:
            raise BModelIRError(f"{where}: command group {g} lacks a command buffer")
        ops.append(
            group_to_ir(
                bm.binary(group.binary_bdc),
                bm.binary(group.binary_gdma),
                f"{where} command group {g}",
            )
        )
    return StageOp(ops, **props)


def _model_op(bm: BModel, store: WeightStore) -> ModelOp:
    m = bm.model
    props: dict[str, Attribute] = {"chip": StringAttr(m.chip), "model_type": StringAttr(m.type)}
    if m.version is not None:
        props["version"] = StringAttr(m.version)
    if m.time is not None:
        props["time"] = StringAttr(m.time)
    for key in ("neuron_size", "device_num", "bmodel_type"):
        if getattr(m, key):
            props[key] = _i64(getattr(m, key))
    if m.lib_backend is not None:
        if m.lib_backend.size:
            raise BModelIRError("model.lib_backend: a non-empty backend library is not "
                                "representable in IR yet")  # fmt: skip
        props["lib_backend"] = UnitAttr()
    ops: list[Operation] = []
    if m.kernel_module is not None:
        k = m.kernel_module
        store[KERNEL_WEIGHT] = np.frombuffer(bm.binary(k.binary), dtype=np.uint8)
        kprops: dict[str, Attribute] = {
            "file_name": StringAttr(k.file_name),
            "weight_name": StringAttr(KERNEL_WEIGHT),
        }
        if k.mode:
            kprops["mode"] = _i64(k.mode)
        ops.append(KernelModuleOp.create(properties=kprops))
    if m.cpuop_module is not None:
        cpu = m.cpuop_module
        cprops: dict[str, Attribute] = {"file_name": StringAttr(cpu.file_name)}
        if cpu.binary.size:
            store[CPUOP_WEIGHT] = np.frombuffer(bm.binary(cpu.binary), dtype=np.uint8)
            cprops["weight_name"] = StringAttr(CPUOP_WEIGHT)
        ops.append(CpuopModuleOp.create(properties=cprops))
    for n in m.net:
        for key in ("net_static", "net_dynamic", "cascade"):
            _require_absent(getattr(n, key), f"net '{n.name}': {key}")
        if n.parameter is None:
            raise BModelIRError(f"net '{n.name}' has no stages, which is not representable")
        stages = [_stage_op(bm, p, n.name, j, store) for j, p in enumerate(n.parameter)]
        extra = {"addr_mode": _i64(n.addr_mode)} if n.addr_mode else {}
        ops.append(NetOp(n.name, stages, **extra))
    return ModelOp(ops, **props)


def bmodel_to_ir(bm: BModel, store: WeightStore | None = None, label: str = "bmodel") -> ModuleOp:
    """The IR of a whole bmodel; its byte arrays go to `store` (attached to the module).

    Raises `BModelIRError` when the bmodel holds something the IR cannot represent: the IR is
    converted back and compared with `bm`, field by field and byte by byte.
    """
    store = store if store is not None else WeightStore()
    try:
        module = ModuleOp([_model_op(bm, store)])
    except BModelError as err:
        raise BModelIRError(f"{label}: {err}") from None
    except BModelIRError as err:
        raise BModelIRError(f"{label}: {err}") from None
    attach_weight_store(module, store)
    try:
        module.verify()
    except DiagnosticException as err:
        raise BModelIRError(f"{label}: the IR of this bmodel does not verify: {err}") from None
    back = ir_to_bmodel(module, store)
    difference = _first_difference(bm.model, back.model, "model")
    if difference is None and back.blob != bm.blob:
        at = next(
            (i for i, (a, b) in enumerate(zip(bm.blob, back.blob, strict=False)) if a != b),
            min(len(bm.blob), len(back.blob)),
        )
        difference = f"the blob differs from byte {at} (its layout is not TPU-MLIR's)"
    if difference is not None:
        raise BModelIRError(f"{label}: not representable in IR: {difference}")
    return module


def _first_difference(a: Any, b: Any, path: str) -> str | None:
    """Where two bmodel dataclass trees differ first (None if they are equal)."""
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        for f in dataclasses.fields(a):
            diff = _first_difference(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if diff is not None:
                return diff
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path} has {len(a)} entries, the IR gives back {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = _first_difference(x, y, f"{path}[{i}]")
            if diff is not None:
                return diff
        return None
    if a != b:
        return f"{path} is {a!r}, the IR gives back {b!r}"
    return None


# --- IR -> bmodel ---------------------------------------------------------------------------


def encode_group(group: CmdGroupOp) -> tuple[bytes, bytes]:
    """The TIU and GDMA command buffers of one group (with the vendor's end padding)."""
    out = []
    for ops in (group.tiu_ops, group.gdma_ops):
        commands = [codec.Command(op.CMD_CLASS, op.to_fields()) for op in ops]
        try:
            out.append(codec.encode_queue(commands))
        except codec.CodecError as err:
            raise BModelIRError(f"cannot encode a command: {err}") from None
    return out[0], out[1]


def _bytes_of(store: WeightStore, name: str, what: str) -> bytes:
    try:
        array = store[name]
    except WeightStoreError as err:
        raise BModelIRError(f"{what}: {err}") from None
    if array.dtype != np.uint8 or array.ndim != 1:
        raise BModelIRError(
            f"{what}: weight '{name}' must be a 1-D uint8 array of bytes, got {array.dtype} "
            f"with shape {list(array.shape)}"
        )
    return array.tobytes()


def _tensor(op: IoTensorOp, hidden: int, index: int) -> Tensor:
    return Tensor(
        name=op.tensor_name.data,
        data_type=DTYPE_CODES[op.dtype.data],
        gmem_stmode=_int(op, "gmem_stmode"),
        device_addr=_int(op, "device_addr"),
        size=_int(op, "size"),
        shape=[Shape(dim=list(op.dims))],
        mem_type=_int(op, "mem_type"),
        scale=cast(FloatAttr, op.scale).value.data,
        cpu_addr=_int(op, "cpu_addr"),
        pad_h=_int(op, "pad_h"),
        zero_point=_int(op, "zero_point"),
        hidden=hidden,
        index=index,
    )


def _stage(stage: StageOp, blob: BlobBuilder, store: WeightStore, where: str) -> NetParameter:
    inputs = [_tensor(t, 1, i) for i, t in enumerate(stage.inputs)]
    outputs = [_tensor(t, 2, i) for i, t in enumerate(stage.outputs)]
    coeff = None
    if (c := stage.coeff) is not None:
        data = _bytes_of(store, c.weight_name.data, f"{where} coeff_mem")
        locations = None
        if c.locations is not None:
            locations = [
                Location(loc.weight.data, loc.offset.data, loc.size.data) for loc in c.locations
            ]
        coeff = CoeffMem(
            address=_int(c, "address"),
            check_code=hashlib.sha256(data).digest(),
            binary_coeff=blob.add(data),
            location=locations,
            encrypt_mode=_int(c, "encrypt_mode"),
            decrypt_size=_int(c, "decrypt_size"),
        )
    groups = []
    for group in stage.groups:
        bdc, gdma = encode_group(group)
        groups.append(
            CmdGroup(
                bdc_num=len(group.tiu_ops),
                gdma_num=len(group.gdma_ops),
                binary_bdc=blob.add(bdc),
                binary_gdma=blob.add(gdma),
                bdc_cmd_byte=len(bdc),
                gdma_cmd_byte=len(gdma),
            )
        )
    stage_ir = None
    if stage.stage_ir is not None:
        flat = list(cast(DenseArrayBase, stage.stage_ir).get_values())
        stage_ir = [
            StageIR(*flat[i : i + STAGE_IR_FIELDS]) for i in range(0, len(flat), STAGE_IR_FIELDS)
        ]
    sub_net = None
    if stage.subnet_run_core is not None:
        sub_net = [
            SubNet(
                subnet_mode=SUBNET_MODE_TPU,
                cmd_group=list(groups),
                input_tensor=list(inputs),
                output_tensor=list(outputs),
                id=0,
                next_subnet_ids=[-1],
                run_core=_int(stage, "subnet_run_core"),
            )
        ]
    ctx_sizes = None
    if stage.ctx_sizes is not None:
        ctx_sizes = list(cast(DenseArrayBase, stage.ctx_sizes).get_values())
    ints = {key: _int(stage, key) for key in STAGE_INT_KEYS}
    return NetParameter(
        input_tensor=inputs,
        output_tensor=outputs,
        coeff_mem=coeff,
        cmd_group=groups,
        stage_ir=stage_ir,
        # TPU-MLIR writes the (empty) dynamic IR of a stage after its command buffers.
        binary_ir=Binary(len(blob.getvalue()), 0) if stage.binary_ir is not None else None,
        sub_net=sub_net,
        ctx_sizes=ctx_sizes,
        **ints,
    )


def _model_of(module: ModuleOp) -> ModelOp:
    """The module's `bm1684x.model`, or one made around its bare command groups."""
    models = [op for op in module.ops if isinstance(op, ModelOp)]
    groups = [op for op in module.ops if isinstance(op, CmdGroupOp)]
    if len(models) > 1:
        raise BModelIRError(f"expected one bm1684x.model in the module, got {len(models)}")
    if models and groups:
        raise BModelIRError(
            "expected either a bm1684x.model or bare bm1684x.cmd_groups in the module, not both"
        )
    if models:
        return models[0]
    if not groups:
        raise BModelIRError("the module has no bm1684x.model and no bm1684x.cmd_group to write")
    stage = StageOp(
        [g.clone() for g in groups], core_num=_i64(1), subnet_run_core=_i64(1), binary_ir=UnitAttr()
    )
    return ModelOp([NetOp(DEFAULT_NET, [stage])], device_num=_i64(1))


def ir_to_bmodel(module: ModuleOp, store: WeightStore | None = None) -> BModel:
    """The bmodel of a module holding a `bm1684x.model` (or bare command groups)."""
    store = store if store is not None else weight_store_of(module)
    model_op = _model_of(module)
    blob = BlobBuilder()
    kernel = cpuop = None
    for op in body_ops(model_op):
        if isinstance(op, KernelModuleOp):
            data = _bytes_of(store, op.weight_name.data, "kernel_module")
            kernel = KernelModule(op.file_name.data, blob.add(data), _int(op, "mode"))
        elif isinstance(op, CpuopModuleOp):
            binary = Binary(0, 0)
            if op.weight_name is not None:
                binary = blob.add(_bytes_of(store, op.weight_name.data, "cpuop_module"))
            cpuop = CpuopModule(op.file_name.data, binary)
    nets = []
    for net in model_op.nets:
        stages = [
            _stage(s, blob, store, f"net '{net.net_name.data}' stage {j}")
            for j, s in enumerate(net.stages)
        ]
        nets.append(Net(name=net.net_name.data, parameter=stages, addr_mode=_int(net, "addr_mode")))
    version = model_op.version
    time = model_op.time
    model = Model(
        type=model_op.model_type.data,
        time=time.data if time is not None else None,
        chip=model_op.chip.data,
        net=nets,
        neuron_size=_int(model_op, "neuron_size"),
        kernel_module=kernel,
        device_num=_int(model_op, "device_num"),
        cpuop_module=cpuop,
        bmodel_type=_int(model_op, "bmodel_type"),
        lib_backend=Binary(0, 0) if model_op.lib_backend is not None else None,
    )
    if version is not None:
        model.version = version.data
    return BModel(model, blob.getvalue())


# --- files ----------------------------------------------------------------------------------


def ir_context() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(BM1684X)
    return ctx


def parse_ir(text: str, name: str) -> ModuleOp:
    """Parse and verify bm1684x IR; errors are one `file:line:col: message` line."""
    try:
        module = Parser(ir_context(), text, name).parse_module()
    except ParseError as err:
        loc = err.span.get_location()
        raise BModelIRError(f"{name}:{loc.line}:{loc.col}: {err.msg}") from None
    try:
        module.verify()
    except DiagnosticException as err:
        message = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        raise BModelIRError(f"{name}: {message}") from None
    return module


def bmodel_file_to_mlir(bmodel_path: str | Path, mlir_path: str | Path) -> None:
    """Write the IR of a bmodel file to `mlir_path`, its byte arrays beside it (`.npz`)."""
    bm = read_bmodel(bmodel_path)
    store = WeightStore()
    module = bmodel_to_ir(bm, store, str(bmodel_path))
    mlir_path = Path(mlir_path)
    npz = mlir_path.with_suffix(".npz")
    store.save(npz)
    module.attributes[WEIGHTS_ATTR] = StringAttr(npz.name)
    text = StringIO()
    Printer(stream=text).print_op(module)
    write_atomically(mlir_path, text.getvalue() + "\n")


def mlir_to_bmodel_file(mlir_path: str | Path, bmodel_path: str | Path) -> None:
    """Write the bmodel of an IR file (and its weight store) to `bmodel_path`, atomically."""
    mlir_path = Path(mlir_path)
    try:
        text = mlir_path.read_text()
    except OSError as err:
        raise BModelIRError(f"{mlir_path}: cannot read: {err.strerror or err}") from None
    module = parse_ir(text, str(mlir_path))
    try:
        store = load_weight_store(module, mlir_path)
    except WeightStoreError as err:
        raise BModelIRError(str(err)) from None
    write_bmodel(ir_to_bmodel(module, store), bmodel_path)


@dataclasses.dataclass(frozen=True)
class BModelTarget(Target):
    """`-t bmodel`: the module as bmodel bytes. nntc-opt calls `emit_bytes` and writes them
    to `-o` atomically; through a text stream (plain xdsl-opt) it refuses to write binary."""

    name: ClassVar[str] = "bmodel"

    def emit_bytes(self, ctx: Context, module: ModuleOp) -> bytes:
        try:
            return bmodel_bytes(ir_to_bmodel(module))
        except (BModelIRError, BModelError) as err:
            raise DiagnosticException(f"-t bmodel: {err}") from None

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        raise DiagnosticException(
            "-t bmodel writes a binary file: run nntc-opt with -o FILE.bmodel"
        )
