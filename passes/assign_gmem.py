"""`assign-gmem`: global memory (DDR) addresses for every tensor of a tpu-level function.

The layout follows the vendor's bmodels (`tests/data/vendor/tiny_cnn/*.print.txt`):

    GMEM_BASE  coeff region: the weights, each at a 4 KiB boundary (`chip.GMEM_ALIGNMENT`)
    ctx_addr   context region: first the net inputs and outputs, each at its own address,
               then the activation region, where tensors whose lifetimes do not overlap share
               bytes

Results:
- every `top.weight` gets `nntc.gmem_addr` (equal names share one copy);
- every tpu op result and every function argument gets `nntc.gmem_addr` (an op attribute, an
  argument attribute); a `tpu.reshape` has its input's address (it moves no data);
- in a `tpu.group` (the `layer-group` pass, which runs before), every `tpu.load` gets the
  `global_addr` of the tensor it reads (a weight's, in the coeff region) and every `tpu.store`
  that of the group result it writes (a yielded value that is not stored gets `nntc.gmem_addr`
  on its op); a member result that only members read lives in local memory and gets no DDR;
- the module gets `nntc.gmem`, a dictionary: `coeff_addr`, `coeff_size`, `ctx_addr`,
  `ctx_size`, `io_size`, `activation_region_size` (bytes the activations occupy with reuse) and
  `activation_total_size` (the sum of every activation's size, what no reuse would cost).

Lifetimes are positions in the function's op order: a tensor lives from the op that defines it
to its last user, and a block is reused only by a tensor defined after that user (an op never
writes its result over one of its own inputs). A `tpu.group` is one position, as in TPU-MLIR:
its results are defined there and every value it reads (through a load or directly) lives until
there, i.e. until its last slice's stores. A sliced group stores slice i before it loads slice
i + 1, so a result placed over an input that dies inside the group would overwrite rows still
to be loaded; layer by layer that reuse would be allowed. Placement is first fit by offset, in
definition order, which is deterministic.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import top, tpu
from nntc.targets.bm1684x import chip

GMEM_ADDR_ATTR = "nntc.gmem_addr"
"""Attribute holding the absolute DDR address of an op's result or of a function argument."""
GMEM_STATS_ATTR = "nntc.gmem"
"""Module attribute: the memory map and the reuse statistics."""


def tensor_bytes(ty: Attribute) -> int:
    """Bytes of a static tensor as stored in DDR (dense, row major)."""
    assert isinstance(ty, TensorType)
    return math.prod(ty.get_shape()) * tpu.element_bytes(ty.get_element_type())


def _align(value: int) -> int:
    return tpu.align_up(value, chip.GMEM_ALIGNMENT)


def _addr_attr(addr: int) -> IntegerAttr:
    return IntegerAttr(addr, i64)


def gmem_addr(value: SSAValue) -> int:
    """The DDR address `assign-gmem` gave `value` (a weight, an op result or an argument)."""
    if isinstance(value, BlockArgument):
        owner = value.block.parent_op()
        assert isinstance(owner, func.FuncOp)
        attrs = owner.arg_attrs
        assert attrs is not None
        attr = attrs.data[value.index].data.get(GMEM_ADDR_ATTR)
    else:
        assert isinstance(value, OpResult)
        attr = value.op.attributes.get(GMEM_ADDR_ATTR)
    if not isinstance(attr, IntegerAttr):
        raise DiagnosticException(f"no {GMEM_ADDR_ATTR} on {value} (run assign-gmem first)")
    return attr.value.data


@dataclass
class _Buffer:
    """A DDR buffer: one tensor and the reshapes that alias it."""

    size: int
    first: int
    last: int
    values: list[SSAValue] = field(default_factory=list)
    io: bool = False
    addr: int = -1


def place_first_fit(buffers: list[_Buffer], base: int) -> int:
    """Give each buffer (in order of `first`) the lowest aligned address above `base` that no
    live buffer uses; returns the region's size.

    The free bytes are kept as sorted disjoint gaps, the last one open-ended, and the live
    buffers in a heap by `last`: a buffer costs a walk over the gaps (few: freed blocks merge
    with their neighbours), not over every live buffer, so that thousands of tensors alive at
    once (a pooling cut into per-tap slices) place in linear rather than quadratic time."""
    gaps: list[list[int]] = [[0, -1]]  # [start, end) offsets; end -1: unbounded
    expiry: list[tuple[int, int, int, int]] = []  # (last, order, offset, aligned size)
    end = 0

    def free(offset: int, size: int) -> None:
        i = bisect.bisect_left(gaps, [offset])
        gaps.insert(i, [offset, offset + size])
        if i + 1 < len(gaps) and gaps[i][1] == gaps[i + 1][0]:  # merge with the next gap
            gaps[i][1] = gaps[i + 1][1]
            del gaps[i + 1]
        if i > 0 and gaps[i - 1][1] == gaps[i][0]:  # and with the previous one
            gaps[i - 1][1] = gaps[i][1]
            del gaps[i]

    for order, buf in enumerate(sorted(buffers, key=lambda b: (b.first, b.last))):
        while expiry and expiry[0][0] < buf.first:
            _, _, offset, size = heapq.heappop(expiry)
            if size:
                free(offset, size)
        size = _align(buf.size)
        if size == 0:
            offset = 0  # an empty tensor takes no bytes: any address will do
        else:
            i = next(k for k, (lo, hi) in enumerate(gaps) if hi < 0 or hi - lo >= buf.size)
            offset = gaps[i][0]
            gaps[i][0] += size
            if gaps[i][0] == gaps[i][1]:
                del gaps[i]
        buf.addr = base + offset
        heapq.heappush(expiry, (buf.last, order, offset, size))
        end = max(end, offset + size)
    return end


def _top_level(op: Operation, block: Block) -> Operation:
    """The op of `block` that is `op` or holds it (a `tpu.group` for the ops inside it)."""
    while op.parent_block() is not block:
        parent = op.parent_op()
        assert parent is not None, "a use outside the function"
        op = parent
    return op


def _yielded(group: tpu.GroupOp) -> list[SSAValue]:
    last = group.body.block.last_op
    if not isinstance(last, tpu.YieldOp):
        raise DiagnosticException("assign-gmem: a tpu.group without its tpu.yield")
    return list(last.values)


def _annotate(value: SSAValue, addr: int, arg_attrs: list[DictionaryAttr]) -> None:
    """Record `addr` where the lowering reads it (`layer_group.resolve_addr`)."""
    if isinstance(value, BlockArgument):
        entries = dict(arg_attrs[value.index].data)
        entries[GMEM_ADDR_ATTR] = _addr_attr(addr)
        arg_attrs[value.index] = DictionaryAttr(entries)
        return
    assert isinstance(value, OpResult)
    owner = value.op
    if isinstance(owner, tpu.GroupOp):
        inner = _yielded(owner)[value.index]
        if isinstance(inner.owner, tpu.StoreOp):
            inner.owner.properties["global_addr"] = _addr_attr(addr)
        else:
            _annotate(inner, addr, arg_attrs)
        return
    owner.attributes[GMEM_ADDR_ATTR] = _addr_attr(addr)


def _output_name(fn: func.FuncOp, index: int) -> str:
    attrs = fn.res_attrs.data if fn.res_attrs is not None else ()
    name = attrs[index].data.get("onnx.name") if index < len(attrs) else None
    return name.data if isinstance(name, StringAttr) else f"#{index}"


def _the_function(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(funcs) != 1:
        raise DiagnosticException(
            f"assign-gmem: expected one func.func (the net), got {len(funcs)}"
        )
    return funcs[0]


@dataclass(frozen=True)
class AssignGmemPass(ModulePass):
    """Place weights, net inputs/outputs and activations in DDR (see the module docstring)."""

    name = "assign-gmem"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fn = _the_function(op)
        block = fn.body.block

        # --- weights --------------------------------------------------------------------
        weight_addr: dict[str, int] = {}
        coeff_end = 0
        for w in fn.walk():
            if not isinstance(w, top.WeightOp):
                continue
            name = w.weight_name.data
            if name not in weight_addr:
                weight_addr[name] = chip.GMEM_BASE + coeff_end
                coeff_end += _align(tensor_bytes(w.output.type))
            w.attributes[GMEM_ADDR_ATTR] = _addr_attr(weight_addr[name])
        coeff_size = coeff_end
        ctx_addr = chip.GMEM_BASE + coeff_size

        # --- buffers and lifetimes -------------------------------------------------------
        root: dict[SSAValue, _Buffer] = {}
        buffers: list[_Buffer] = []
        position = {o: i for i, o in enumerate(block.ops)}
        for arg in block.args:
            buf = _Buffer(tensor_bytes(arg.type), -1, -1, [arg], io=True)
            root[arg] = buf
            buffers.append(buf)
        for o in block.ops:
            if isinstance(o, top.WeightOp) or o.dialect_name() != "tpu":
                continue
            if isinstance(o, tpu.GroupOp):
                _yielded(o)
                for res in o.results:  # a group is one step: its results are defined there
                    buf = _Buffer(tensor_bytes(res.type), position[o], position[o], [res])
                    buffers.append(buf)
                    root[res] = buf
                continue
            if len(o.results) != 1:
                raise DiagnosticException(f"assign-gmem: expected one result of '{o.name}'")
            res = o.results[0]
            if isinstance(o, tpu.ReshapeOp) and o.input in root:
                buf = root[o.input]
                buf.values.append(res)
            else:
                buf = _Buffer(tensor_bytes(res.type), position[o], position[o], [res])
                buffers.append(buf)
            root[res] = buf
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        for i, v in enumerate(ret.arguments):
            if v not in root:
                what = v.owner.name if isinstance(v, OpResult) else "a value"
                raise DiagnosticException(
                    f"assign-gmem: net output '{_output_name(fn, i)}' is a {what}, not a tpu "
                    "tensor (lower-to-tpu gives a returned weight its own copy)"
                )
            if isinstance(v, BlockArgument) or root[v].first < 0:
                raise DiagnosticException(
                    "assign-gmem: a net output that is a net input is not supported"
                )
            root[v].io = True
        for v, buf in root.items():
            for use in v.uses:
                if use.operation is ret:
                    continue
                # a use inside a group (its load, or a member reading it whole) is the group's
                user = _top_level(use.operation, block)
                buf.last = max(buf.last, position.get(user, buf.last))

        # --- placement ------------------------------------------------------------------
        io = [b for b in buffers if b.io]
        io_size = 0
        for b in io:  # inputs first (arguments come first in `buffers`), then outputs
            b.addr = ctx_addr + io_size
            io_size += _align(b.size)
        acts = [b for b in buffers if not b.io]
        region = place_first_fit(acts, ctx_addr + io_size)
        total = sum(_align(b.size) for b in acts)

        # --- annotate ---------------------------------------------------------------------
        arg_attrs = list(fn.arg_attrs.data) if fn.arg_attrs is not None else []
        arg_attrs += [DictionaryAttr({})] * (len(block.args) - len(arg_attrs))
        for b in buffers:
            for v in b.values:
                _annotate(v, b.addr, arg_attrs)
        for o in block.ops:
            if not isinstance(o, tpu.GroupOp):
                continue
            for load in o.body.block.ops:
                if not isinstance(load, tpu.LoadOp):
                    continue
                source = load.input.owner
                if isinstance(source, top.WeightOp):
                    # a constant operand (an epsilon, a divisor map) is read in the coeff region
                    load.properties["global_addr"] = _addr_attr(
                        weight_addr[source.weight_name.data]
                    )
                    continue
                if load.input not in root:
                    what = source.name if isinstance(source, Operation) else "a block argument"
                    raise DiagnosticException(
                        f"assign-gmem: a tpu.load in a tpu.group reads a {what} result, which "
                        "is not a tensor of the function"
                    )
                load.properties["global_addr"] = _addr_attr(root[load.input].addr)
        fn.arg_attrs = ArrayAttr(arg_attrs)
        stats = {
            "coeff_addr": chip.GMEM_BASE,
            "coeff_size": coeff_size,
            "ctx_addr": ctx_addr,
            "ctx_size": io_size + region,
            "io_size": io_size,
            "activation_region_size": region,
            "activation_total_size": total,
        }
        op.attributes[GMEM_STATS_ATTR] = DictionaryAttr(
            {k: _addr_attr(v) for k, v in stats.items()}
        )


def gmem_stats(module: ModuleOp) -> dict[str, int]:
    """The `nntc.gmem` dictionary of a module as Python ints."""
    attr = module.attributes.get(GMEM_STATS_ATTR)
    if not isinstance(attr, DictionaryAttr):
        raise DiagnosticException(f"the module has no {GMEM_STATS_ATTR} (run assign-gmem first)")
    out: dict[str, int] = {}
    for key, value in attr.data.items():
        assert isinstance(value, IntegerAttr)
        out[key] = value.value.data
    return out


__all__ = [
    "GMEM_ADDR_ATTR",
    "GMEM_STATS_ATTR",
    "AssignGmemPass",
    "gmem_addr",
    "gmem_stats",
    "place_first_fit",
    "tensor_bytes",
]
