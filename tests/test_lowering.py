"""Unit tests of the lowering passes: DDR placement, sync ids, slicing decisions, errors."""

from __future__ import annotations

import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import tpu
from nntc.dialects.bm1684x import (
    BM1684X,
    ArEu,
    ArOp,
    CmdGroupOp,
    DmaTensorSp,
    GdmaTensorOp,
    Precision,
)
from nntc.dialects.top import Top
from nntc.dialects.tpu import Tpu
from nntc.passes.assign_gmem import AssignGmemPass, _Buffer, gmem_stats, place_first_fit
from nntc.passes.lower_to_bm1684x import LowerToBm1684xPass
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.passes.lowering.layers import ConvPlan, PordPlan, SoftmaxPlan, plan_conv, plan_softmax
from nntc.passes.lowering.lmem import Arena, LTensor
from nntc.passes.lowering.program import Program
from nntc.targets.bm1684x import chip


def _parse(text: str) -> ModuleOp:
    ctx = Context()
    for d in (Builtin, func.Func, Top, Tpu, BM1684X):
        ctx.load_dialect(d)
    return Parser(ctx, text).parse_module()


# --- assign-gmem ---------------------------------------------------------------------------


def test_first_fit_reuses_dead_buffers() -> None:
    a, b, c = _Buffer(100, 0, 1), _Buffer(5000, 1, 3), _Buffer(100, 2, 3)
    size = place_first_fit([a, b, c], 0)
    assert (a.addr, b.addr, c.addr) == (0, 4096, 0)  # c takes a's place: a died at 1
    assert size == 4096 + 8192


def test_first_fit_keeps_a_buffer_used_by_the_defining_op() -> None:
    # b is defined by the op that reads a last: they must not overlap
    a, b = _Buffer(10, 0, 1), _Buffer(10, 1, 2)
    place_first_fit([a, b], 0)
    assert a.addr != b.addr


def _chain(n: int) -> str:
    ops = []
    prev = "%arg0"
    for i in range(n):
        ops.append(f"%v{i} = tpu.relu {prev} : tensor<1x64x16x16xf32>")
        prev = f"%v{i}"
    body = "\n  ".join(ops)
    return (
        "func.func @main(%arg0: tensor<1x64x16x16xf32>) -> tensor<1x64x16x16xf32> {\n  "
        f"{body}\n  func.return {prev} : tensor<1x64x16x16xf32>\n}}"
    )


def test_assign_gmem_reports_reuse() -> None:
    module = _parse(_chain(6))
    AssignGmemPass().apply(Context(), module)
    stats = gmem_stats(module)
    size = 64 * 16 * 16 * 4
    # 5 intermediate activations, ping-pong in 2 buffers; input and output apart
    assert stats["activation_total_size"] == 5 * size
    assert stats["activation_region_size"] == 2 * size
    assert stats["io_size"] == 2 * size
    assert stats["ctx_addr"] == chip.GMEM_BASE  # no weights
    assert stats["ctx_size"] == 4 * size


# --- the program's sync ids ----------------------------------------------------------------


def _load(prog: Program, t: LTensor) -> int:
    return prog.add(
        GdmaTensorOp,
        writes=[t.range],
        cmd_special_function=DmaTensorSp.PLAIN,
        nchw_copy=True,
        dtype=Precision.FP32,
        src_addr=chip.GMEM_BASE,
        src_shape=t.shape,
        src_stride=(1, 1, 1, 1),
        dst_addr=t.gdma_addr(),
        dst_shape=(0, 0, 0, 0),
        dst_stride=t.strides,
    )


def _relu(prog: Program, t: LTensor) -> int:
    return prog.add(
        ArOp,
        reads=[t.range],
        writes=[t.range],
        tsk_eu_typ=ArEu.MAX,
        opd_num=2,
        res0_addr=t.addr(),
        res0_shape=t.shape,
        res0_prec=Precision.FP32,
        opd0_addr=t.addr(),
        opd0_prec=Precision.FP32,
        opd1_prec=Precision.FP32,
        opd1_addr=0,
        opd1_const=True,
    )


def test_program_waits_for_conflicts_only() -> None:
    prog = Program()
    a = LTensor(0, (1, 64, 4, 4))
    b = LTensor(4096, (1, 64, 4, 4))
    _load(prog, a)  # gdma 1
    _load(prog, b)  # gdma 2
    _relu(prog, a)  # tiu 1: needs gdma 1 only
    _relu(prog, b)  # tiu 2: needs gdma 2
    _load(prog, a)  # gdma 3: overwrites a, read by tiu 1
    _relu(prog, a)  # tiu 3
    group = prog.finish()
    group.verify()
    waits = [(op.id, op.wait) for op in group.tiu_ops[:-1]]
    assert waits == [(1, 1), (2, 2), (3, 3)]
    assert [op.wait for op in group.gdma_ops[:-1]] == [0, 0, 1]


def test_program_does_not_repeat_a_wait_already_covered() -> None:
    prog = Program()
    a = LTensor(0, (1, 1, 1, 16))
    _load(prog, a)
    _relu(prog, a)
    _relu(prog, a)  # same engine: ordered by the queue, no wait
    group = prog.finish()
    assert [op.wait for op in group.tiu_ops] == [1, 0, 0]


# --- slicing decisions ---------------------------------------------------------------------


def _conv_module(ic: int, oc: int, size: int, k: int = 3, stride: int = 1) -> ModuleOp:
    pad = k // 2
    out = (size + 2 * pad - k) // stride + 1
    return _parse(
        f"""func.func @main(%arg0: tensor<1x{ic}x{size}x{size}xf32>) -> tensor<1x{oc}x{out}x{out}xf32> {{
  %w = top.weight "w" dense<0.5> : tensor<{oc}x{ic}x{k}x{k}xf32>
  %c = tpu.conv2d %arg0, %w {{strides = array<i64: {stride}, {stride}>, pads = array<i64: {pad}, {pad}, {pad}, {pad}>}} : (tensor<1x{ic}x{size}x{size}xf32>, tensor<{oc}x{ic}x{k}x{k}xf32>) -> tensor<1x{oc}x{out}x{out}xf32>
  func.return %c : tensor<1x{oc}x{out}x{out}xf32>
}}"""
    )


def _plan(module: ModuleOp) -> ConvPlan | PordPlan:
    conv = next(op for op in module.walk() if op.name == "tpu.conv2d")
    return plan_conv(conv, "conv", Arena(0, chip.LMEM_BYTES_PER_LANE // 2), lambda v: 0)  # type: ignore[arg-type]


def test_small_conv_fits_whole() -> None:
    plan = _plan(_conv_module(16, 32, 16))
    assert isinstance(plan, ConvPlan)
    assert len(plan.slices) == 1 and plan.occ == 32


def test_big_input_is_sliced_along_h() -> None:
    plan = _plan(_conv_module(3, 64, 224, k=7, stride=2))
    assert isinstance(plan, ConvPlan)
    assert plan.occ == 64 and len(plan.slices) > 1
    assert all(s.n0 == 0 and s.nn == 1 for s in plan.slices)
    assert sum(s.hh for s in plan.slices) == 112


def test_big_weights_are_split_along_output_channels() -> None:
    plan = _plan(_conv_module(512, 512, 7))
    assert isinstance(plan, ConvPlan)
    assert plan.occ < 512 and plan.occ % chip.NPU_NUM == 0
    assert len(plan.slices) == 1


def _softmax_plan(shape: list[int], axis: int) -> SoftmaxPlan:
    ty = f"tensor<{'x'.join(map(str, shape))}xf32>"
    module = _parse(
        f"""func.func @main(%arg0: {ty}) -> {ty} {{
  %0 = tpu.softmax %arg0 {{axis = {axis} : i64}} : {ty}
  func.return %0 : {ty}
}}"""
    )
    op = next(op for op in module.walk() if isinstance(op, tpu.SoftmaxOp))
    return plan_softmax(op, "sm", Arena(0, chip.LMEM_BYTES_PER_LANE // 2), lambda v: 0)


def test_softmax_last_axis_spreads_rows_over_lanes() -> None:
    plan = _softmax_plan([4, 1000], 1)
    assert plan.shape == (1, 4, 1, 1000) and plan.ddr_strides == (4000, 1000, 1000, 1)
    assert len(plan.slices) == 1 and len(plan.bufs) == 1


def test_softmax_inner_axis_is_a_strided_view() -> None:
    plan = _softmax_plan([2, 8, 3, 5], 1)
    assert plan.shape == (2, 15, 1, 8) and plan.ddr_strides == (120, 1, 120, 15)


def test_softmax_rows_that_do_not_fit_are_sliced_by_lane_rows() -> None:
    plan = _softmax_plan([2048, 1000], 1)
    assert len(plan.slices) > 1 and len(plan.bufs) == 2
    assert all(s.cc % chip.NPU_NUM == 0 for s in plan.slices[:-1])
    assert sum(s.cc for s in plan.slices) == 2048


# --- errors ---------------------------------------------------------------------------------


def test_codegen_lists_what_it_cannot_lower() -> None:
    module = _parse(
        """func.func @main(%arg0: tensor<1x8xf32>) -> tensor<1x8xf16> {
  %0 = tpu.cast %arg0 : (tensor<1x8xf32>) -> tensor<1x8xf16>
  func.return %0 : tensor<1x8xf16>
}"""
    )
    AssignGmemPass().apply(Context(), module)
    with pytest.raises(DiagnosticException, match=r"1 op\(s\) cannot be lowered:\n  tpu.cast"):
        LowerToBm1684xPass().apply(Context(), module)


def test_codegen_needs_assigned_addresses() -> None:
    with pytest.raises(DiagnosticException, match="run assign-gmem first"):
        LowerToBm1684xPass().apply(Context(), _parse(_chain(1)))


def test_lower_to_tpu_rejects_unknown_mode() -> None:
    with pytest.raises(DiagnosticException, match="unsupported mode 'int4'"):
        LowerToTpuPass(mode="int4").apply(Context(), _parse(_chain(1)))


def test_codegen_output_is_a_verified_container() -> None:
    module = _conv_module(8, 8, 8)
    AssignGmemPass().apply(Context(), module)
    LowerToBm1684xPass(net="tiny").apply(Context(), module)
    module.verify()
    (group,) = [op for op in module.walk() if isinstance(op, CmdGroupOp)]
    assert [op.name for op in group.tiu_ops] == ["bm1684x.tiu.conv", "bm1684x.tiu.sys"]
    assert 'bm1684x.net "tiny"' in str(module)


# --- tpu.sub (added for the lowering of top.sub) ------------------------------------------


def test_tpu_sub_round_trips_and_verifies() -> None:
    text = """func.func @main(%a: tensor<1x4xf32>, %b: tensor<4xf32>) -> tensor<1x4xf32> {
  %0 = tpu.sub %a, %b {do_relu = true} : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}"""
    module = _parse(text)
    module.verify()
    assert "tpu.sub %a, %b {do_relu = true}" in str(module)


def test_tpu_sub_rejects_integers() -> None:
    module = _parse(
        """func.func @main(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %0 = tpu.sub %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  func.return %0 : tensor<4xi8>
}"""
    )
    with pytest.raises(
        Exception, match=r"expected a float element type \(f32, f16, bf16\), got i8"
    ):
        module.verify()
