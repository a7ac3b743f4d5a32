"""`lower-to-bm1684x`: a placed tpu-level net -> the bm1684x bmodel container with its commands.

Input: the function `lower-to-tpu` and `assign-gmem` produce (tpu ops and `top.weight`s, every
tensor with its `nntc.gmem_addr`, the module's `nntc.gmem` memory map). Output: the module holds
one `bm1684x.model` (the form `nntc.targets.bm1684x.bmodel_ir` writes with `-t bmodel`):

    bm1684x.model {
      bm1684x.net "<net>" {
        bm1684x.stage {ctx_addr, ctx_size, ...} {
          bm1684x.input_tensor "<onnx input name>" {dtype = "float32", shape, device_addr, size}
          bm1684x.output_tensor "<onnx output name>" {...}
          bm1684x.coeff_mem {address = GMEM_BASE, weight_name = "<net>.coeff", locations}
          bm1684x.cmd_group tiu {...} gdma {...}
        }
      }
    }

The coefficient bytes (every weight at its assigned address, in the layout its command reads)
go to the side-car store as the uint8 array `<net>.coeff`.

Code generation is one layer per tpu op, in program order (`nntc.passes.lowering.layers`):
each layer loads what it needs into its half of local memory, computes and stores, sliced
along output channels, N and H when it does not fit, software-pipelined within the layer, and
its weights prefetched while the previous layer computes. All commands form one command group
whose sync ids come from `nntc.passes.lowering.program`. The cmd_group carries the simulator's
layer map (which commands belong to which ONNX node) as the JSON string attribute
`nntc.layers`.

With `layer-group=true` (`nntc.passes.layer_group`), runs of consecutive layers become one
unit, a layer group: their weights are prefetched together and stay resident, a result only
read inside the group stays in local memory (no store, no reload), and a group that does not
fit runs slice by slice (N and H, halos recomputed), software-pipelined. The `layer-group`
pass makes the same choice ahead of time, before `assign-gmem`, and records it as `tpu.group`
ops, which this pass runs as given (whether or not `layer-group=true`), at the DDR addresses of
their loads and stores. That is the order `nntc-bmneto` uses: `assign-gmem` then keeps every
value a group reads alive across the group, so that any group may be sliced; with
`layer-group=true` alone, groups are chosen after a layer-by-layer placement and one whose
result shares DDR with one of its inputs runs whole. Each group's decision is recorded on the
cmd_group as the JSON attribute `nntc.groups`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    Float32Type,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top, tpu
from nntc.dialects.bm1684x import (
    ArEu,
    CoeffLocationAttr,
    CoeffMemOp,
    InputTensorOp,
    ModelOp,
    NetOp,
    OutputTensorOp,
    StageOp,
)
from nntc.passes.assign_gmem import gmem_addr, gmem_stats, tensor_bytes
from nntc.passes.layer_group import GroupPlan, group_plan_of, grow_group, op_name, resolve_addr
from nntc.passes.lowering.deconv import plan_deconv
from nntc.passes.lowering.layers import (
    CannotLower,
    Emitter,
    LayerPlan,
    NoOpPlan,
    plan_concat,
    plan_conv,
    plan_depth_to_space,
    plan_eltwise,
    plan_matmul,
    plan_pool,
    plan_softmax,
    plan_unary,
    plan_upsample,
)
from nntc.passes.lowering.lmem import Arena, LmemOverflow
from nntc.passes.lowering.movement import MOVE_OPS, plan_move
from nntc.passes.lowering.program import LayerSpan, Program
from nntc.passes.lowering.unary import FUNCTION_OPS, plan_function
from nntc.targets.bm1684x import chip
from nntc.targets.weight_store import WeightStore, weight_store_of, weight_value

LAYERS_ATTR = "nntc.layers"
"""cmd_group attribute: the simulator's layer map (`simulator/layers.py`) as JSON."""
GROUPS_ATTR = "nntc.groups"
"""cmd_group attribute, where there are layer groups: each group's decision as JSON, its
members, `n_slices`, `h_slices`, estimated cost and saving in cycles."""

ARENA_BYTES = chip.LMEM_BYTES_PER_LANE // 2
"""Each layer gets half of every lane, alternating, so that the next layer's weights can be
loaded while this one computes."""


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _relu_of(op: Operation) -> tuple[bool, float | None]:
    do = op.properties.get("do_relu")
    limit = op.properties.get("relu_limit")
    return (
        bool(do.value.data) if isinstance(do, IntegerAttr) else False,
        limit.value.data if limit is not None else None,  # type: ignore[attr-defined]
    )


def make_plan(op: Operation, name: str, arena: Arena, addr: Callable[[SSAValue], int]) -> LayerPlan:
    """The layer plan of one tpu op (raises CannotLower)."""
    if isinstance(op, tpu.Conv2dOp):
        return plan_conv(op, name, arena, addr)
    if isinstance(op, tpu.MaxPoolOp | tpu.AvgPoolOp):
        return plan_pool(op, name, arena, addr)
    if isinstance(op, tpu.MatMulOp):
        return plan_matmul(op, name, arena, addr)
    if isinstance(op, tpu.AddOp):
        return plan_eltwise(op, name, arena, addr, ArEu.ADD, op.inputs, *_relu_of(op))
    if isinstance(op, tpu.SubOp):
        return plan_eltwise(op, name, arena, addr, ArEu.SUB, (op.lhs, op.rhs), *_relu_of(op))
    if isinstance(op, tpu.MulOp):
        return plan_eltwise(op, name, arena, addr, ArEu.MUL, (op.lhs, op.rhs), *_relu_of(op))
    if isinstance(op, tpu.ReluOp):
        limit = None if op.relu_limit is None else op.relu_limit.value.data
        return plan_eltwise(op, name, arena, addr, ArEu.MAX, (op.input,), True, limit)
    if isinstance(op, tpu.DivOp):
        return plan_eltwise(op, name, arena, addr, ArEu.DIV, (op.lhs, op.rhs), *_relu_of(op))
    if isinstance(op, tpu.ExpOp | tpu.SigmoidOp | tpu.HardSigmoidOp):
        return plan_unary(op, name, arena, addr)
    if isinstance(op, tpu.UpsampleOp):
        return plan_upsample(op, name, addr)
    if isinstance(op, tpu.DepthToSpaceOp):
        return plan_depth_to_space(op, name, addr)
    if isinstance(op, tpu.Deconv2dOp):
        return plan_deconv(op, name, arena, addr)
    if isinstance(op, tpu.ReshapeOp):
        return NoOpPlan(name)
    if isinstance(op, tpu.ConcatOp):
        return plan_concat(op, name, addr)
    if isinstance(op, tpu.SoftmaxOp):
        return plan_softmax(op, name, arena, addr)
    if isinstance(op, MOVE_OPS):
        return plan_move(op, name, addr)
    if isinstance(op, FUNCTION_OPS):
        return plan_function(op, name, arena, addr)
    raise CannotLower(f"no BM1684X code generation for '{op.name}' yet")


def _the_function(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(funcs) != 1:
        raise DiagnosticException(
            f"lower-to-bm1684x: expected one func.func (the net), got {len(funcs)}"
        )
    return funcs[0]


def _io_name(fn: func.FuncOp, index: int, output: bool) -> str:
    attrs = fn.res_attrs if output else fn.arg_attrs
    if attrs is not None and index < len(attrs.data):
        name = attrs.data[index].data.get("onnx.name")
        if isinstance(name, StringAttr):
            return name.data
    return f"{'output' if output else 'input'}{index}"


def _io_tensor(cls: type[InputTensorOp] | type[OutputTensorOp], name: str, value: SSAValue):
    ty = value.type
    assert isinstance(ty, TensorType)
    if ty.get_element_type() != Float32Type():
        raise DiagnosticException(f"lower-to-bm1684x: net tensor '{name}' is not f32")
    return cls.create(
        properties={
            "tensor_name": StringAttr(name),
            "dtype": StringAttr("float32"),
            "shape": DenseArrayBase.from_list(i64, list(ty.get_shape())),
            "device_addr": _i64(resolve_addr(value)),
            "size": _i64(tensor_bytes(ty)),
            "mem_type": _i64(1),
        }
    )


def _coeff_blob(
    fn: func.FuncOp, store: WeightStore, size: int
) -> tuple[np.ndarray, list[Attribute]]:
    blob = np.zeros(size, np.uint8)
    locations: list[Attribute] = []
    seen: set[int] = set()
    weights = [w for w in fn.walk() if isinstance(w, top.WeightOp)]
    for w in sorted(weights, key=lambda w: gmem_addr(w.output)):
        addr = gmem_addr(w.output)
        if addr in seen:
            continue
        seen.add(addr)
        data = np.ascontiguousarray(weight_value(w, store), np.float32).view(np.uint8).ravel()
        offset = addr - chip.GMEM_BASE
        blob[offset : offset + data.size] = data
        locations.append(CoeffLocationAttr(w.weight_name, IntAttr(offset), IntAttr(data.size)))
    return blob, locations


@dataclass(frozen=True)
class LowerToBm1684xPass(ModulePass):
    """Generate the BM1684X commands and the bmodel container (see the module docstring)."""

    name = "lower-to-bm1684x"

    net: str | None = None
    """Net name in the bmodel; the function's name by default."""

    layer_group: bool = False
    """Run consecutive layers as LMEM-resident groups (`nntc.passes.layer_group`)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fn = _the_function(op)
        stats = gmem_stats(op)
        store = weight_store_of(op)
        net = self.net or fn.sym_name.data

        ops: list[tuple[Operation, str]] = [
            (o, op_name(o, index))
            for index, o in enumerate(fn.body.block.ops)
            if not isinstance(o, top.WeightOp | func.ReturnOp)
        ]

        units: list[list[LayerPlan]] = []
        groups: list[GroupPlan] = []
        alone: dict[int, int | None] = {}
        problems: list[str] = []
        lmem_layers = 0
        i = 0
        while i < len(ops):
            o, name = ops[i]
            arena = Arena((lmem_layers % 2) * ARENA_BYTES, ARENA_BYTES)
            if isinstance(o, tpu.GroupOp):
                try:
                    grouped = group_plan_of(o, (arena.base, arena.size), resolve_addr)
                except DiagnosticException as why:
                    problems.append(f"  {why}")
                    i += 1
                    continue
                units.append([grouped])
                groups.append(grouped)
                lmem_layers += 1
                i += 1
                continue
            if self.layer_group:
                best = grow_group(ops, i, (arena.base, arena.size), alone)
                if best is not None:
                    units.append([best])
                    groups.append(best)
                    lmem_layers += 1
                    i += len(best.members)
                    continue
            try:
                if o.dialect_name() != "tpu":
                    raise CannotLower(f"expected a tpu op, got '{o.name}' (run lower-to-tpu)")
                plan = make_plan(o, name, arena, resolve_addr)
            except (CannotLower, LmemOverflow) as why:
                problems.append(f'  {o.name} at loc("{name}"): {why}')
                i += 1
                continue
            units.append([plan])
            lmem_layers += plan.uses_lmem
            i += 1
        if problems:
            raise DiagnosticException(
                f"lower-to-bm1684x: {len(problems)} op(s) cannot be lowered:\n"
                + "\n".join(problems)
            )

        prog = Program()
        em = Emitter(prog)
        spans: list[list[LayerSpan]] = []
        for unit in units:
            spans.append([])
            for p in unit:
                if isinstance(p, GroupPlan):
                    p.spans = [prog.new_layer(name) for name in p.names]
                spans[-1].append(p.spans[0] if isinstance(p, GroupPlan) else prog.new_layer(p.name))
        prefetched: set[int] = set()

        def prefetch(j: int) -> Callable[[], None]:
            def run() -> None:
                previous = prog.attribute_to(None)
                for plan, span in zip(units[j], spans[j], strict=True):
                    prog.attribute_to(span)
                    plan.prefetch(em)
                prog.attribute_to(previous)
                prefetched.add(j)

            return run

        for i, unit in enumerate(units):
            if i not in prefetched:
                prefetch(i)()
            nxt = next(
                (j for j in range(i + 1, len(units)) if any(p.uses_lmem for p in units[j])), None
            )
            em.defer_prefetch(prefetch(nxt) if nxt is not None else None)
            for plan, span in zip(unit, spans[i], strict=True):
                prog.attribute_to(span)
                plan.body(em)
                # a group stores little: the next group's weights go in once its first member
                # has issued its loads, not only at its first store
                prog.attribute_to(span)
                em.flush_prefetch()
        group = prog.finish()
        group.attributes[LAYERS_ATTR] = StringAttr(json.dumps(prog.layer_map()))
        if groups:
            group.attributes[GROUPS_ATTR] = StringAttr(json.dumps([g.summary() for g in groups]))

        blob, locations = _coeff_blob(fn, store, stats["coeff_size"])
        coeff_name = f"{net}.coeff"
        store[coeff_name] = blob
        block = fn.body.block
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        ios: list[Operation] = [
            _io_tensor(InputTensorOp, _io_name(fn, i, False), a) for i, a in enumerate(block.args)
        ]
        ios += [
            _io_tensor(OutputTensorOp, _io_name(fn, i, True), v)
            for i, v in enumerate(ret.arguments)
        ]
        coeff = CoeffMemOp.create(
            properties={
                "address": _i64(stats["coeff_addr"]),
                "weight_name": StringAttr(coeff_name),
                "locations": ArrayAttr(locations),
            }
        )
        ctx_addr, ctx_size = stats["ctx_addr"], stats["ctx_size"]
        stage = StageOp(
            [*ios, coeff, group],
            ctx_addr=_i64(ctx_addr),
            ctx_size=_i64(ctx_size),
            ctx_sizes=DenseArrayBase.from_list(i64, [ctx_size]),
            core_num=_i64(1),
            dynamic_ctx_addr=_i64(ctx_addr),
            dynamic_coeff_offset=_i64(stats["coeff_size"]),
            dynamic_combined_coeff_offset=_i64(stats["coeff_size"]),
            stage_ir=DenseArrayBase.from_list(i64, [0] * 5),
            binary_ir=UnitAttr(),
            subnet_run_core=_i64(1),
        )
        model = ModelOp([NetOp(net, [stage])], neuron_size=_i64(ctx_size), device_num=_i64(1))
        fn.detach()
        fn.erase()
        op.body.block.add_op(model)


__all__ = ["GROUPS_ATTR", "LAYERS_ATTR", "LowerToBm1684xPass", "make_plan"]
