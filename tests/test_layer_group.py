"""Layer groups (the `layer-group` pass before `assign-gmem`, and
`lower-to-bm1684x{layer-group=true}`): the grouping decisions and end-to-end results.

Numerics go through the simulator and are compared with onnxruntime exactly as in
`test_e2e_f32` (same acceptance); the decisions are read from the layer map and the DMA
commands (a resident intermediate is neither stored nor loaded)."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import onnx
import pytest
from onnx import helper
from test_e2e_f32 import COSINE_MIN, REL_ERR_MAX, _model, small_resnet
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp, StringAttr
from xdsl.ir import SSAValue
from xdsl.parser import Parser
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects.bm1684x import BM1684X, CmdGroupOp, ConvOp, GdmaTensorOp, PordOp
from nntc.dialects.top import Top
from nntc.dialects.tpu import GroupOp, LoadOp, StoreOp, Tpu
from nntc.passes.assign_gmem import AssignGmemPass
from nntc.passes.layer_group import (
    LayerGroupPass,
    NotGroupable,
    _members,
    dma_cycles,
    plan_slicing,
)
from nntc.passes.lower_to_bm1684x import GROUPS_ATTR, LowerToBm1684xPass
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.passes.lowering.lmem import LiveArena, LmemOverflow, banks, size_per_lane
from nntc.targets.bm1684x import chip
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.onnx import import_onnx
from nntc.targets.weight_store import attach_weight_store, weight_store_of

ort = pytest.importorskip("onnxruntime")


def compile_onnx(
    model: onnx.ModelProto, group: bool, as_pass: bool = False
) -> tuple[ModuleOp, bytes]:
    """With `as_pass`, the `layer-group` pass decides (before `assign-gmem`, which places each
    group as one step) and the lowering follows its tpu.groups."""
    module, store = import_onnx(model)
    attach_weight_store(module, store)
    ctx = Context()
    for dialect in (Builtin, func.Func, Top, Tpu, BM1684X):
        ctx.load_dialect(dialect)
    grouping = [LayerGroupPass()] if as_pass else []
    passes = (CanonicalizePass(), LowerToTpuPass(), *grouping, AssignGmemPass(),
              LowerToBm1684xPass(layer_group=group))  # fmt: skip
    for p in passes:
        p.apply(ctx, module)
        module.verify()
    return module, bmodel_bytes(ir_to_bmodel(module, weight_store_of(module)))


def _cmd_group(module: ModuleOp) -> CmdGroupOp:
    (group,) = [op for op in module.walk() if isinstance(op, CmdGroupOp)]
    return group


def run_and_compare(model: onnx.ModelProto, x: np.ndarray) -> dict[str, object]:
    module, data = compile_onnx(model, True)
    layers = json.loads(_cmd_group(module).attributes["nntc.layers"].data)  # type: ignore[attr-defined]
    result = Simulator(data, layers=layers).run({"input": x})
    (ref,) = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})
    (out,) = result.outputs.values()
    assert out.shape == ref.shape
    cos = float(np.dot(out.ravel(), ref.ravel()) / np.linalg.norm(out) / np.linalg.norm(ref))
    err = float(np.abs(out - ref).max())
    assert cos >= COSINE_MIN, f"cosine {cos}"
    assert err <= REL_ERR_MAX * float(np.abs(ref).max()), f"max error {err}"
    return result.report


def test_small_resnet_grouped_matches_onnxruntime() -> None:
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    run_and_compare(small_resnet(), x)


@pytest.mark.parametrize("builder", ["resnet18", "mobilenetv2"])
def test_shared_cnn_builders_grouped(builder: str) -> None:
    cnn = pytest.importorskip("models.cnn")
    model = getattr(cnn, builder)(input_size=32)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    run_and_compare(model, x)


def _conv(
    x: str, out: str, ic: int, oc: int, k: int, stride: int, group: int = 1
) -> onnx.NodeProto:
    return helper.make_node("Conv", [x, f"{out}.w", f"{out}.b"], [out], name=out,
                            kernel_shape=[k, k], strides=[stride] * 2, pads=[k // 2] * 4,
                            group=group)  # fmt: skip


def _weights(rng: np.random.Generator, name: str, ic: int, oc: int, k: int) -> dict[str, object]:
    w = rng.standard_normal((oc, ic, k, k)) * (2.0 / (ic * k * k)) ** 0.5
    return {f"{name}.w": w, f"{name}.b": 0.1 * rng.standard_normal(oc)}


def mixed_model(n: int = 2) -> onnx.ModelProto:
    """Every kind of member, with N = 2: in-place operands that are read again later (add and
    mul swap theirs, sub ends the group), a depthwise conv, a pool and a 1x1 stride-2 conv
    whose resident input holds one row more than its window reaches."""
    rng = np.random.default_rng(5)
    c = 8
    weights: dict[str, object] = {}
    weights |= _weights(rng, "a", c, c, 3)
    weights |= _weights(rng, "b", c, c, 3)
    weights |= _weights(rng, "dw", 1, c, 3)
    weights |= _weights(rng, "down", c, 16, 1)
    nodes = [
        _conv("input", "a", c, c, 3, 1),
        _conv("a", "b", c, c, 3, 1),
        helper.make_node("Add", ["a", "b"], ["s"], name="s"),
        helper.make_node("Mul", ["a", "s"], ["t"], name="t"),
        helper.make_node("Sub", ["t", "a"], ["u"], name="u"),
        helper.make_node("Relu", ["u"], ["r"], name="r"),
        helper.make_node("MaxPool", ["r"], ["p"], name="p", kernel_shape=[2, 2], strides=[2, 2]),
        _conv("p", "dw", c, c, 3, 1, group=c),
        _conv("dw", "down", c, 16, 1, 2),
        helper.make_node("Relu", ["down"], ["output"], name="out"),
    ]
    return _model(nodes, [n, c, 12, 12], [n, 16, 3, 3], weights)  # type: ignore[arg-type]


def test_mixed_members_with_batch_2_match_onnxruntime() -> None:
    x = np.random.default_rng(1).standard_normal((2, 8, 12, 12)).astype(np.float32)
    run_and_compare(mixed_model(), x)


def test_grouping_removes_intermediate_dmas() -> None:
    alone, _ = compile_onnx(mixed_model(), False)
    grouped, _ = compile_onnx(mixed_model(), True)
    count = [
        sum(isinstance(op, GdmaTensorOp) for op in _cmd_group(m).regions[1].block.ops)
        for m in (alone, grouped)
    ]
    # alone: every layer loads its inputs and stores its result; grouped: far fewer
    assert count[1] < count[0] // 2, count


def split_chain() -> onnx.ModelProto:
    """Four 64-channel 3x3 convs on 96x96: two fit one arena, not three (two groups)."""
    rng = np.random.default_rng(2)
    weights: dict[str, object] = {}
    nodes = []
    x = "input"
    for i in range(4):
        weights |= _weights(rng, f"c{i}", 64, 64, 3)
        nodes.append(_conv(x, f"c{i}", 64, 64, 3, 1))
        x = f"c{i}"
    nodes.append(helper.make_node("Relu", [x], ["output"], name="out"))
    return _model(nodes, [1, 64, 96, 96], [1, 64, 96, 96], weights)  # type: ignore[arg-type]


def test_split_groups_match_onnxruntime() -> None:
    x = np.random.default_rng(4).standard_normal((1, 64, 96, 96)).astype(np.float32)
    report = run_and_compare(split_chain(), x)
    assert report["cycles"] > 0  # type: ignore[operator]


def test_compiling_twice_gives_identical_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert compile_onnx(small_resnet(), True)[1] == compile_onnx(small_resnet(), True)[1]


def test_dma_estimate_follows_the_simulator_cost_model() -> None:
    # latency plus whole 64-byte bursts at the DDR bandwidth: monotonic, latency-dominated
    # for tiny tensors
    assert dma_cycles(4) == dma_cycles(64) > 256
    assert dma_cycles(1 << 20) > dma_cycles(1 << 16) > dma_cycles(64)


def _groups(module: ModuleOp) -> list[dict[str, object]]:
    return json.loads(_cmd_group(module).attributes[GROUPS_ATTR].data)  # type: ignore[attr-defined]


def bottleneck(n: int = 2) -> onnx.ModelProto:
    """A ResNet-50 downsampling bottleneck (1x1, 3x3 stride 2, 1x1, and a 1x1 stride-2 shortcut
    of the same input) then a 3x3 max pool, on 64x64 maps: big enough that the cost model cuts
    it into slices of rows."""
    rng = np.random.default_rng(7)
    weights: dict[str, object] = {}
    weights |= _weights(rng, "c1", 32, 32, 1)
    weights |= _weights(rng, "c2", 32, 32, 3)
    weights |= _weights(rng, "c3", 32, 64, 1)
    weights |= _weights(rng, "down", 32, 64, 1)
    nodes = [
        _conv("input", "c1", 32, 32, 1, 1),
        helper.make_node("Relu", ["c1"], ["r1"], name="r1"),
        _conv("r1", "c2", 32, 32, 3, 2),
        helper.make_node("Relu", ["c2"], ["r2"], name="r2"),
        _conv("r2", "c3", 32, 64, 1, 1),
        _conv("input", "down", 32, 64, 1, 2),
        helper.make_node("Add", ["c3", "down"], ["s"], name="s"),
        helper.make_node("Relu", ["s"], ["r3"], name="r3"),
        helper.make_node(
            "MaxPool",
            ["r3"],
            ["output"],
            name="pool",
            kernel_shape=[3, 3],
            strides=[1, 1],
            pads=[1, 1, 1, 1],
        ),  # fmt: skip
    ]
    return _model(nodes, [n, 32, 64, 64], [n, 64, 32, 32], weights)  # type: ignore[arg-type]


def test_row_sliced_bottleneck_matches_onnxruntime() -> None:
    model = bottleneck()
    module, _ = compile_onnx(model, True)
    sliced = [g for g in _groups(module) if g["h_slices"] > 1]  # type: ignore[operator]
    assert sliced, _groups(module)
    # the shortcut reads its input rows from a later row of the buffer conv c1 reads: a
    # free-stride view
    tiu = _cmd_group(module).regions[0].block.ops
    assert any(isinstance(op, ConvOp) and "opd0_layout" in op.properties for op in tiu)
    x = np.random.default_rng(8).standard_normal((2, 32, 64, 64)).astype(np.float32)
    run_and_compare(model, x)


def batch_chain() -> onnx.ModelProto:
    """Depthwise 1x3 conv + relu, then a 1x2 max pool, on 4x64x1x6144 (the N lit test)."""
    rng = np.random.default_rng(9)
    weights = _weights(rng, "dw", 1, 64, 3)
    weights["dw.w"] = weights["dw.w"][:, :, 1:2, :]  # type: ignore[index]
    nodes = [
        helper.make_node(
            "Conv",
            ["input", "dw.w", "dw.b"],
            ["dw"],
            name="dw",
            kernel_shape=[1, 3],
            pads=[0, 1, 0, 1],
            group=64,
        ),  # fmt: skip
        helper.make_node("Relu", ["dw"], ["r"], name="r"),
        helper.make_node(
            "MaxPool", ["r"], ["output"], name="pool", kernel_shape=[1, 2], strides=[1, 2]
        ),  # fmt: skip
    ]
    return _model(nodes, [4, 64, 1, 6144], [4, 64, 1, 3072], weights)  # type: ignore[arg-type]


def test_batch_sliced_group_matches_onnxruntime() -> None:
    model = batch_chain()
    module, _ = compile_onnx(model, True)
    (group,) = _groups(module)
    # one element at a time: the whole batch, or two elements double-buffered, do not fit
    assert (group["n_slices"], group["h_slices"]) == (4, 1), group
    x = np.random.default_rng(10).standard_normal((4, 64, 1, 6144)).astype(np.float32)
    run_and_compare(model, x)


def _local_banks(addr: int, nbytes: int) -> frozenset[int]:
    off = addr % chip.LMEM_BYTES_PER_LANE
    return frozenset(
        range(off // chip.LMEM_BANK_BYTES, (off + nbytes - 1) // chip.LMEM_BANK_BYTES + 1)
    )


@pytest.mark.parametrize("model", [small_resnet, mixed_model, bottleneck])
def test_group_results_avoid_the_banks_their_inputs_are_in(
    model: Callable[[], onnx.ModelProto],
) -> None:
    """Every conv and pool of a group writes banks its input is not in (these groups leave room
    for it), in every slice."""
    module, _ = compile_onnx(model(), True)
    members = {name for g in _groups(module) for name in g["members"]}  # type: ignore[attr-defined]
    layers = json.loads(_cmd_group(module).attributes["nntc.layers"].data)  # type: ignore[attr-defined]
    grouped = {
        i for e in layers if e["name"] in members and "tiu" in e
        for i in range(e["tiu"][0], e["tiu"][1] + 1)
    }  # fmt: skip
    checked = 0
    for i, op in enumerate(_cmd_group(module).regions[0].block.ops):
        if i not in grouped or not isinstance(op, ConvOp | PordOp):
            continue
        n, c, h, w = op.properties["res0_shape"].get_values()  # type: ignore[attr-defined]
        *ic, ih, iw = op.properties["opd0_shape"].get_values()  # type: ignore[attr-defined]
        # pord reads as many channels as it writes
        out, inp = size_per_lane((n, c, h, w)), size_per_lane((n, ic[0] if ic else c, ih, iw))
        res_addr = op.properties["res0_addr"].data  # type: ignore[attr-defined]
        in_addr = op.properties["opd0_addr"].data  # type: ignore[attr-defined]
        assert not _local_banks(res_addr, out) & _local_banks(in_addr, inp), op
        checked += 1
    assert checked


def test_live_arena_prefers_other_banks_and_falls_back() -> None:
    bank = chip.LMEM_BANK_BYTES
    arena = LiveArena(0, 3 * bank)
    x = arena.alloc((1, 64, 1, bank // 8))  # half a bank per lane, bank 0
    y = arena.alloc_live((1, 64, 1, bank // 8), False, 0, 1, banks(x.off, x.bytes))
    assert y.off == bank  # not right after x (still bank 0): the next bank
    # a buffer dead before `z` is born lends it its bytes: z spans x's free half bank and y's
    z = arena.alloc_live((1, 64, 1, bank // 4), False, 2, 3)
    assert (z.off, z.off + z.bytes) == (x.bytes, y.off + y.bytes)
    # no room outside banks 0-2: placed anyway, at the first free place
    full = arena.alloc_live((1, 64, 1, bank // 4), False, 0, 3, frozenset({0, 1, 2}))
    assert full.off == y.off + y.bytes
    with pytest.raises(LmemOverflow):
        arena.alloc_live((1, 64, 1, bank // 4), False, 0, 3)


@pytest.mark.parametrize("model", [bottleneck, batch_chain, split_chain])
def test_cost_estimate_tracks_the_simulator(model: Callable[[], onnx.ModelProto]) -> None:
    """Each of these nets is one group: its estimated cost (the simulator's per-command cost
    model, summed without simulating) stays within 30 % of the simulated cycles."""
    module, data = compile_onnx(model(), True)
    (group,) = _groups(module)
    layers = json.loads(_cmd_group(module).attributes["nntc.layers"].data)  # type: ignore[attr-defined]
    cycles = Simulator(data, layers=layers).time_only().report["cycles"]
    assert abs(group["cost"] - cycles) <= 0.3 * cycles, (group, cycles)  # type: ignore[operator]


@pytest.mark.parametrize("model", [small_resnet, mixed_model, bottleneck, batch_chain])
def test_layer_group_pass_then_lowering_makes_the_same_decisions(
    model: Callable[[], onnx.ModelProto],
) -> None:
    """`layer-group` records the decisions as tpu.groups (verified IR); the lowering runs them
    as given. Where no group's result shares DDR with its input under a layer-by-layer
    placement, they are the decisions of `lower-to-bm1684x{layer-group=true}` alone; the DDR
    map differs (results only members read get none), the numbers do not."""
    built = model()
    alone, _ = compile_onnx(built, True)
    staged, data = compile_onnx(built, False, as_pass=True)
    # (the saving is the choice's, which a given tpu.group does not repeat)
    decided = [{k: v for k, v in g.items() if k != "saved"} for g in _groups(alone)]
    assert [{k: v for k, v in g.items() if k != "saved"} for g in _groups(staged)] == decided
    shape = [d.dim_value for d in built.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(11).standard_normal(shape).astype(np.float32)
    layers = json.loads(_cmd_group(staged).attributes["nntc.layers"].data)  # type: ignore[attr-defined]
    (out,) = Simulator(data, layers=layers).run({"input": x}).outputs.values()
    (ref,) = ort.InferenceSession(built.SerializeToString()).run(None, {"input": x})
    cos = float(np.dot(out.ravel(), ref.ravel()) / np.linalg.norm(out) / np.linalg.norm(ref))
    assert cos >= COSINE_MIN, f"cosine {cos}"
    assert float(np.abs(out - ref).max()) <= REL_ERR_MAX * float(np.abs(ref).max())


def dying_input_chain() -> onnx.ModelProto:
    """sigmoid -> 3x3 conv + relu -> 3x3 conv -> sigmoid on 1x64x96x96: the two convs are a
    group whose input (the first sigmoid's result) dies in it; placed layer by layer, the group's
    result reuses that input's DDR (lit/passes/layer-group-ddr-apart.mlir)."""
    rng = np.random.default_rng(12)
    weights: dict[str, object] = {}
    weights |= _weights(rng, "a", 64, 64, 3)
    weights |= _weights(rng, "c", 64, 64, 3)
    nodes = [
        helper.make_node("Sigmoid", ["input"], ["y"], name="y"),
        _conv("y", "a", 64, 64, 3, 1),
        helper.make_node("Relu", ["a"], ["r"], name="r"),
        _conv("r", "c", 64, 64, 3, 1),
        helper.make_node("Sigmoid", ["c"], ["output"], name="z"),
    ]
    return _model(nodes, [1, 64, 96, 96], [1, 64, 96, 96], weights)  # type: ignore[arg-type]


def test_a_group_over_a_dying_input_is_placed_apart_and_sliced() -> None:
    """Through `nntc.pipeline` (layer-group, then assign-gmem): the group is sliced by rows,
    its load and its store are at DDR addresses that do not overlap, and the bmodel matches
    onnxruntime. Grouped after a layer-by-layer placement, the same convs are not sliced."""
    from nntc.pipeline import check_against_onnxruntime
    from nntc.pipeline import compile_onnx as pipeline_compile

    model = dying_input_chain()
    alone, _ = compile_onnx(model, True)
    assert not any(g["h_slices"] > 1 for g in json.loads(  # type: ignore[operator]
        _cmd_group(alone).attributes.get(GROUPS_ATTR, StringAttr("[]")).data))  # type: ignore[attr-defined]  # fmt: skip

    result = pipeline_compile(model)
    (group,) = [op for op in result.stages["tpu"].module.walk() if isinstance(op, GroupOp)]
    assert group.h_slices.value.data > 1
    (load,) = [op for op in group.body.block.ops if isinstance(op, LoadOp)]
    (store,) = [op for op in group.body.block.ops if isinstance(op, StoreOp)]
    assert load.global_addr is not None and store.global_addr is not None
    size = 64 * 96 * 96 * 4
    lo, st = load.global_addr.value.data, store.global_addr.value.data
    assert lo + size <= st or st + size <= lo, (lo, st)
    check = check_against_onnxruntime(model, result)
    assert check.passed, check.outputs


RESIDUAL = """
func.func @main(%x: tensor<1x64x96x96xf32>) -> tensor<1x64x96x96xf32> {
  %w = top.weight "w" dense<0.01> : tensor<64x64x3x3xf32>
  %a = tpu.conv2d %x, %w {do_relu = true, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32>
  %b = tpu.conv2d %a, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x64x96x96xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x96x96xf32>
  %s = tpu.add %b, %x {do_relu = true} : (tensor<1x64x96x96xf32>, tensor<1x64x96x96xf32>) -> tensor<1x64x96x96xf32>
  func.return %s : tensor<1x64x96x96xf32>
}
"""  # noqa: E501


def test_a_result_stored_over_an_input_is_never_sliced() -> None:
    """Slice i's store precedes slice i + 1's load: if the result's DDR overlaps the input's
    (assign-gmem may reuse a buffer that dies in the group), only the whole group is valid."""
    ctx = Context()
    for dialect in (Builtin, func.Func, Top, Tpu):
        ctx.load_dialect(dialect)
    module = Parser(ctx, RESIDUAL).parse_module()
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    ops = [op for op in fn.body.block.ops if op.dialect_name() == "tpu"]
    names = ["a", "b", "s"]
    arena = (0, chip.LMEM_BYTES_PER_LANE // 2)

    slots: dict[SSAValue, int] = {}

    def apart(v: SSAValue) -> int:  # every value its own 16 MiB
        return chip.GMEM_BASE + slots.setdefault(v, len(slots)) * (1 << 24)

    def shared(v: SSAValue) -> int:  # the sum written where the input was
        return chip.GMEM_BASE

    members = _members(ops, names, apart)
    assert plan_slicing(ops, members, arena, apart, 1, 32).h_slices == 3
    with pytest.raises(NotGroupable, match="DDR"):
        plan_slicing(ops, members, arena, shared, 1, 32)
    assert plan_slicing(ops, members, arena, shared, 1, 96).h_slices == 1


def mixed_batch_model() -> onnx.ModelProto:
    """`test_mvn_expanded` reduced: `Sub(x[3,3,3,1], s[1,3,1,1])` and the independent
    `Add(s, eps)` of batch 1, then `Div` of the two (the divisor broadcast over the batch)."""
    eps = helper.make_tensor("eps", onnx.TensorProto.FLOAT, [], [1e-3])
    nodes = [
        helper.make_node("Sub", ["x", "s"], ["d"], name="d"),
        helper.make_node("Add", ["s", "eps"], ["e"], name="e"),
        helper.make_node("Div", ["d", "e"], ["y"], name="y"),
    ]
    graph = helper.make_graph(
        nodes,
        "mixed_batch",
        [
            helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [3, 3, 3, 1]),
            helper.make_tensor_value_info("s", onnx.TensorProto.FLOAT, [1, 3, 1, 1]),
        ],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 3, 3, 1])],
        [eps],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("as_pass", [False, True])
def test_members_of_another_batch_size_are_not_grouped(as_pass: bool) -> None:
    """A group slices the batch of its last member: grouping the Sub (N = 3) with the Add
    (N = 1) computed and stored the Sub for the first image only (cosine 0.6)."""
    model = mixed_batch_model()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 3, 3, 1)).astype(np.float32)
    s = rng.uniform(0.5, 2.0, (1, 3, 1, 1)).astype(np.float32)
    module, data = compile_onnx(model, True, as_pass=as_pass)
    out = Simulator(data).run({"x": x, "s": s}).outputs["y"]
    (ref,) = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x, "s": s})
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    groups = _groups(module) if GROUPS_ATTR in _cmd_group(module).attributes else []
    for group in groups:
        assert not {"d", "e"} <= set(group["members"]), group  # type: ignore[arg-type]
