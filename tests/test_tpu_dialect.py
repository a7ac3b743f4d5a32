"""The `tpu` dialect from Python: element-type helpers, op builders and their verifiers."""

import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Builtin,
    IntegerType,
    ModuleOp,
    Signedness,
    TensorType,
    bf16,
    f16,
    f32,
    f64,
    i8,
    i16,
    i32,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from nntc.dialects import tpu
from nntc.targets.bm1684x import chip

si8 = IntegerType(8, Signedness.SIGNED)
ui8 = IntegerType(8, Signedness.UNSIGNED)


def T(elem: Attribute, *shape: int) -> TensorType:
    return TensorType(elem, shape)


def args(*types: Attribute) -> tuple[SSAValue, ...]:
    """Fresh SSA values of the given types (block arguments of a detached block)."""
    return Block(arg_types=types).args


def rejects(op: Operation, message: str, nested: bool = True) -> None:
    with pytest.raises(VerifyException) as info:
        op.verify(verify_nested_ops=nested)
    assert message in str(info.value), str(info.value)


# --- element-type helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elem", "bits", "is_int", "is_flt"),
    [(f32, 32, False, True), (f16, 16, False, True), (bf16, 16, False, True),
     (i8, 8, True, False), (si8, 8, True, False), (ui8, 8, True, False),
     (i16, 16, True, False), (i32, 32, True, False)],
)  # fmt: skip
def test_element_helpers(elem: Attribute, bits: int, is_int: bool, is_flt: bool) -> None:
    assert tpu.element_bits(elem) == bits
    assert tpu.element_bytes(elem) == bits // 8
    assert tpu.is_integer(elem) is is_int
    assert tpu.is_float(elem) is is_flt
    assert tpu.is_supported_element_type(elem)
    assert tpu.storage_type(elem) == elem
    assert not tpu.is_quantized(elem)


def test_unsupported_element_types() -> None:
    for elem in (f64, IntegerType(1), IntegerType(64)):
        assert not tpu.is_supported_element_type(elem)
    with pytest.raises(ValueError, match="no tpu element width for f64"):
        tpu.element_bits(f64)


def test_window_and_lmem_arithmetic() -> None:
    assert tpu.conv_output_size(224, 7, 2, 3, 3) == 112
    assert tpu.conv_output_size(8, 3, 1, 0, 0, dilation=2) == 4
    assert tpu.align_up(17, 16) == 32 and tpu.align_up(32, 16) == 32
    # 64 channels on 64 lanes from lane 0: one channel per lane; 9 f32 elements round up to the
    # 16 of an f32 EU (64 bytes).
    assert tpu.local_bytes_per_lane(1, 64, 3, 3, 32) == 16 * 4
    assert tpu.local_bytes_per_lane(1, 64, 3, 3, 32, eu_align=False) == 9 * 4
    # Starting on lane 1, channel 63 wraps round to lane 0: two channels on that lane.
    assert tpu.local_bytes_per_lane(2, 64, 3, 3, 8, start_lane=1) == 2 * 2 * 64


def test_enum_attributes_print() -> None:
    assert str(tpu.RoundModeAttr(tpu.RoundMode.HALF_TO_EVEN)) == "#tpu<round half_to_even>"
    assert str(tpu.RequantModeAttr(tpu.RequantMode.ONLY_SHIFT)) == "#tpu<requant only_shift>"


# --- compute ops ----------------------------------------------------------------------------------


def test_conv2d_float_builds_and_verifies() -> None:
    x, w, b = args(T(f32, 1, 3, 224, 224), T(f32, 64, 3, 7, 7), T(f32, 64))
    op = tpu.Conv2dOp(x, w, b, T(f32, 1, 64, 112, 112), strides=(2, 2), pads=(3, 3, 3, 3),
                      do_relu=True)  # fmt: skip
    op.verify()
    assert op.bias is b
    assert op.strides.get_values() == (2, 2)
    assert op.group.value.data == 1
    assert op.round_mode.data == tpu.RoundMode.HALF_AWAY_FROM_ZERO
    assert op.multiplier is None and op.rshift is None

    rejects(
        tpu.Conv2dOp(x, w, b, T(f32, 1, 64, 112, 112), strides=(2, 2)),
        "expected result shape 1x64x109x109, got 1x64x112x112",
    )
    rejects(
        tpu.Conv2dOp(x, w, None, T(f32, 1, 64, 109, 109), strides=(2, 2), rshift=[8]),
        "'rshift' is only valid when the op computes in integers, but the result element type "
        "is f32",
    )


def test_conv2d_int8_per_channel() -> None:
    x, w, b = args(T(si8, 1, 8, 8, 8), T(si8, 16, 4, 3, 3), T(i32, 16))
    out = T(si8, 1, 16, 8, 8)
    ok = tpu.Conv2dOp(x, w, b, out, pads=(1, 1, 1, 1), group=2, multiplier=range(1, 17),
                      rshift=[7] * 16, round_mode=tpu.RoundMode.HALF_TO_EVEN)  # fmt: skip
    ok.verify()
    assert ok.multiplier is not None and len(ok.multiplier) == 16

    def conv(**kw: object) -> tpu.Conv2dOp:
        return tpu.Conv2dOp(x, w, b, out, pads=(1, 1, 1, 1), group=2, **kw)  # type: ignore[arg-type]

    rejects(conv(multiplier=[1] * 16), "integer op with an 8-bit result (si8) requires 'rshift'")
    rejects(
        conv(rshift=[7] * 15),
        "expected 'rshift' to have 1 or 16 (output channels) elements, got 15",
    )
    rejects(conv(rshift=[64]), "expected 'rshift' values in [0, 63], got 64 at index 0")
    rejects(conv(rshift=[-1]), "expected 'rshift' values in [0, 63], got -1 at index 0")
    rejects(conv(rshift=[3], relu_limit=6.0), "'relu_limit' requires do_relu = true")
    rejects(
        tpu.Conv2dOp(x, w, b, out, pads=(1, 1, 1, 1), rshift=[3]),
        "expected filter input channels x group (4) to equal input channels (8)",
    )
    # An int32 result is the raw accumulator: no rescale needed.
    tpu.Conv2dOp(x, w, b, T(i32, 1, 16, 8, 8), pads=(1, 1, 1, 1), group=2).verify()


def test_matmul() -> None:
    a, r, b = args(T(f16, 2, 5, 32), T(f16, 2, 32, 8), T(f32, 8))
    tpu.MatMulOp(a, r, b, T(f16, 2, 5, 8)).verify()
    rejects(tpu.MatMulOp(a, r, b, T(f16, 2, 5, 9)), "expected result shape 2x5x8, got 2x5x9")
    qa, qr = args(T(i8, 4, 32), T(i8, 32, 8))
    tpu.MatMulOp(qa, qr, None, T(i8, 4, 8), multiplier=[5] * 8, rshift=[9]).verify()
    rejects(
        tpu.MatMulOp(qa, qr, None, T(i8, 4, 8), multiplier=[5] * 4, rshift=[9]),
        "expected 'multiplier' to have 1 or 8 (output columns) elements, got 4",
    )


def test_elementwise_ops() -> None:
    a, b, c = args(T(i8, 1, 4, 2, 2), T(ui8, 1, 4, 2, 2), T(i8, 4, 1, 1))
    tpu.AddOp([a, b, a], T(i8, 1, 4, 2, 2), multiplier=[1, 2, 3], rshift=[2]).verify()
    rejects(
        tpu.AddOp([a, b], T(i8, 1, 4, 2, 2), multiplier=[1, 2, 3], rshift=[2]),
        "expected 'multiplier' to have 2 (one per input) elements, got 3",
    )
    tpu.MulOp(a, c, T(i8, 1, 4, 2, 2), multiplier=[3], rshift=[4]).verify()
    rejects(
        tpu.MulOp(a, c, T(i8, 1, 4, 2, 3), multiplier=[3], rshift=[4]),
        "expected result (the broadcast input shape) shape 1x4x2x2, got 1x4x2x3",
    )
    (x,) = args(T(bf16, 3, 4))
    relu = tpu.ReluOp(x, relu_limit=6.0)
    relu.verify()
    assert relu.output.type == x.type
    rejects(tpu.ReluOp(x, relu_limit=-1.0), "expected 'relu_limit' to be >= 0, got -1.0")


def test_pools_reshape_concat_softmax() -> None:
    (x,) = args(T(f32, 1, 8, 7, 7))
    gap = tpu.AvgPoolOp(x, T(f32, 1, 8, 1, 1), kernel_shape=(7, 7))
    gap.verify()
    assert not gap.count_include_pad.value.data
    tpu.MaxPoolOp(x, T(f32, 1, 8, 4, 4), kernel_shape=(3, 3), strides=(2, 2),
                  pads=(1, 1, 1, 1)).verify()  # fmt: skip
    rejects(
        tpu.MaxPoolOp(x, T(f32, 1, 8, 4, 4), kernel_shape=(3, 3), strides=(2, 2)),
        "expected result shape 1x8x3x3, got 1x8x4x4",
    )
    (q,) = args(T(si8, 1, 8, 7, 7))
    tpu.AvgPoolOp(
        q, T(si8, 1, 8, 1, 1), kernel_shape=(7, 7), multiplier=[167], rshift=[13]
    ).verify()
    rejects(
        tpu.AvgPoolOp(q, T(si8, 1, 8, 1, 1), kernel_shape=(7, 7)),
        "integer op with an 8-bit result (si8) requires 'rshift'",
    )
    flat = tpu.ReshapeOp(x, T(f32, 1, 392))
    flat.verify()
    cat = tpu.ConcatOp([flat, flat], T(f32, 2, 392), axis=0)
    cat.verify()
    rejects(tpu.ConcatOp([flat, flat], T(f32, 1, 392), axis=0),
            "expected result dim 0 to be 2 (the sum of the inputs'), got 1")  # fmt: skip
    sm = tpu.SoftmaxOp(cat, axis=1)
    sm.verify()
    assert sm.output.type == T(f32, 2, 392)
    rejects(tpu.SoftmaxOp(cat, axis=2), "expected 'axis' in [0, 2), got 2")


def test_requant_and_cast() -> None:
    (acc,) = args(T(i32, 1, 3, 4, 4))
    rq = tpu.RequantOp(acc, T(si8, 1, 3, 4, 4), multiplier=[1, 2, 3], rshift=[30, 31, 32])
    rq.verify()
    assert rq.quant_mode.data == tpu.RequantMode.MULTIPLIER_SHIFT
    tpu.RequantOp(acc, T(si8, 1, 3, 4, 4), multiplier=None, rshift=[4],
                  quant_mode=tpu.RequantMode.ONLY_SHIFT).verify()  # fmt: skip
    rejects(
        tpu.RequantOp(acc, T(si8, 1, 3, 4, 4), multiplier=None, rshift=[4]),
        "quant_mode multiplier_shift requires 'multiplier'",
    )
    (x,) = args(T(f32, 2, 3))
    tpu.CastOp(x, T(si8, 2, 3), scale=0.25).verify()
    tpu.CastOp(x, T(bf16, 2, 3)).verify()
    rejects(tpu.CastOp(x, T(f32, 2, 3)), "expected different input and result element types")
    rejects(
        tpu.CastOp(x, T(bf16, 2, 3), scale=2.0),
        "'scale' is only valid between a float and a plain integer type, got f32 -> bf16",
    )


# --- groups, loads and stores ---------------------------------------------------------------------


def _slices(n: int, h: int, n_slices: int, h_slices: int) -> dict[str, list[int]]:
    """Even N and H slicing: {n_idx, n_slice, h_idx, h_slice}."""
    ns, hs = n // n_slices, h // h_slices
    return {
        "n_idx": [i * ns for i in range(n_slices)],
        "n_slice": [ns] * n_slices,
        "h_idx": [i * hs for i in range(h_slices)],
        "h_slice": [hs] * h_slices,
    }


def _group(body_ops: list[Operation], n_slices: int, h_slices: int) -> tpu.GroupOp:
    last = body_ops[-1]
    assert isinstance(last, tpu.YieldOp)
    return tpu.GroupOp(
        [v.type for v in last.values],
        Region(Block(body_ops)),
        n_slices=n_slices,
        h_slices=h_slices,
    )


def test_group_with_load_compute_store() -> None:
    ty = T(f16, 4, 32, 16, 16)
    (x,) = args(ty)
    load = tpu.LoadOp(x, local_addr=0, global_addr=chip.GMEM_BASE, **_slices(4, 16, 2, 2))
    relu = tpu.ReluOp(load)
    store = tpu.StoreOp(relu, local_addr=3 * chip.LMEM_BYTES_PER_LANE + 0x100,
                        **_slices(4, 16, 2, 2))  # fmt: skip
    group = _group([load, relu, store, tpu.YieldOp(store)], 2, 2)
    group.verify()
    assert group.outputs[0].type == ty
    assert group.swpipl_stage_num.value.data == 3
    assert load.lane == 0 and store.lane == 3
    # 2 images x 1 channel per lane (32 channels from lane 3) x (8 x 16 f16 = 128 = 4 EU of 32).
    assert store.local_bytes_per_lane() == 2 * 1 * 128 * 2

    # Round trip through the text form.
    ctx = Context()
    for dialect in (Builtin, func.Func, tpu.Tpu):
        ctx.load_dialect(dialect)
    fn = func.FuncOp("g", ((ty,), (ty,)))
    module = ModuleOp([fn])
    body = fn.body.block
    inner_load = tpu.LoadOp(body.args[0], local_addr=0, **_slices(4, 16, 2, 2))
    inner_store = tpu.StoreOp(inner_load, local_addr=0x2000, **_slices(4, 16, 2, 2))
    grp = _group([inner_load, inner_store, tpu.YieldOp(inner_store)], 2, 2)
    body.add_ops([grp, func.ReturnOp(grp.outputs[0])])
    module.verify()
    text = str(module)
    assert "tpu.group slices(2, 2) -> (tensor<4x32x16x16xf16>) {" in text
    assert "tpu.load %0 lmem(0) {n_idx = array<i64: 0, 2>" in text
    assert str(Parser(ctx, text).parse_module()) == text


def test_group_verifier() -> None:
    ty = T(f32, 2, 4, 8, 8)
    (x,) = args(ty)
    empty = tpu.GroupOp([ty], Region(Block()), n_slices=1, h_slices=1)
    # xDSL's own checks of the body come first when nested ops are verified (as
    # `ModuleOp.verify` does); nntc-opt verifies an op before its body, as MLIR does.
    rejects(empty, "contains empty block in single-block region")
    rejects(empty, "expected the body to end with 'tpu.yield', got no op", nested=False)
    no_yield = tpu.GroupOp([ty], Region(Block([tpu.ReluOp(x)])), n_slices=1, h_slices=1)
    rejects(no_yield, "expected the body to end with 'tpu.yield', got 'tpu.relu'", nested=False)
    rejects(_group([tpu.YieldOp(x)], 0, 1), "expected 'n_slices' >= 1, got 0")
    bad_yield = tpu.GroupOp([T(f16, 2, 4, 8, 8)], Region(Block([tpu.YieldOp(x)])),
                            n_slices=1, h_slices=1)  # fmt: skip
    rejects(bad_yield, "expected yielded value #0 of type tensor<2x4x8x8xf16>, got")


def test_load_store_verifier() -> None:
    ty = T(i8, 2, 4, 8, 8)
    (x,) = args(ty)

    def in_group(op: Operation, n_slices: int = 2, h_slices: int = 2) -> Operation:
        _group([op, tpu.YieldOp(op)], n_slices, h_slices)
        return op

    in_group(tpu.LoadOp(x, local_addr=0, **_slices(2, 8, 2, 2))).verify()
    # A tensor loaded whole (one slice) in a sliced group: e.g. a weight.
    in_group(tpu.LoadOp(x, local_addr=0, **_slices(2, 8, 1, 1))).verify()
    rejects(
        in_group(tpu.LoadOp(x, local_addr=0, **_slices(2, 8, 2, 2)), n_slices=1),
        "expected 1 n slices (the group's n_slices), got 2",
    )
    rejects(
        in_group(tpu.LoadOp(x, local_addr=chip.LMEM_BYTES, **_slices(2, 8, 2, 2))),
        "expected 'local_addr' in [0, 0x1000000) (local memory), got 0x1000000",
    )
    rejects(
        in_group(tpu.StoreOp(x, local_addr=0, global_addr=chip.GMEM_BASE + 64,
                             **_slices(2, 8, 2, 2))),
        "expected 'global_addr' 0x100000040 aligned to 0x1000 bytes",
    )  # fmt: skip
    rejects(
        in_group(tpu.StoreOp(x, local_addr=0, n_idx=[0, 1], n_slice=[1, 2], h_idx=[0, 4],
                             h_slice=[4, 4])),
        "n slice #1 [1, 3) is not a non-empty range within the tensor's N = 2",
    )  # fmt: skip
    # Outside a group a load has no meaning.
    fn = func.FuncOp("f", ((ty,), ()))
    fn.body.block.add_ops(
        [tpu.LoadOp(fn.args[0], local_addr=0, **_slices(2, 8, 1, 1)), func.ReturnOp()]
    )
    rejects(fn.body.block.first_op, "'tpu.load' expects parent op 'tpu.group'")  # type: ignore[arg-type]
    big = T(f32, 1, 64, 256, 256)
    (y,) = args(big)

    # One f32 channel of 256 x 256 per lane fills a lane exactly: only lane offset 0 fits, and
    # only from lane 0 (from lane 5 the 64 channels wrap round: two on lanes 5 .. 63).
    def load_at(addr: int) -> Operation:
        op = tpu.LoadOp(y, local_addr=addr, **_slices(1, 256, 1, 1))
        _group([op, tpu.YieldOp(op)], 1, 1)
        return op

    load_at(0).verify()
    rejects(load_at(0x100), "local copy of 262144 bytes per lane at lane offset 0x100 overflows")
    rejects(
        load_at(5 * chip.LMEM_BYTES_PER_LANE),
        "local copy of 524288 bytes per lane at lane offset 0x0 overflows",
    )


# --- quant element types --------------------------------------------------------------------------


def test_quant_element_types() -> None:
    quant = pytest.importorskip("nntc.dialects.quant")
    q8 = quant.UniformQuantType(i8, f32, 0.05, -3)
    assert tpu.is_quantized(q8) and tpu.is_integer(q8) and not tpu.is_float(q8)
    assert tpu.element_bits(q8) == 8
    assert isinstance(tpu.storage_type(q8), IntegerType)

    x, b = args(T(q8, 1, 2, 4, 4), T(i32, 3))
    w_ok, w_bad = args(
        T(quant.UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2, 0.3], [0, 0, 0]), 3, 2, 1, 1),
        T(quant.UniformQuantPerAxisType(i8, f32, 0, [0.1, 0.2], [0, 0]), 3, 2, 1, 1),
    )
    out = T(quant.UniformQuantType(i8, f32, 0.1, 0), 1, 3, 4, 4)
    tpu.Conv2dOp(x, w_ok, b, out, multiplier=[3, 4, 5], rshift=[8]).verify()
    rejects(
        tpu.Conv2dOp(x, w_bad, b, out, multiplier=[3, 4, 5], rshift=[8]),
        "expected 2 scales in filter element type to equal the size 3 of its dimension 0",
    )
    (f,) = args(T(f32, 1, 2, 4, 4))
    tpu.CastOp(f, T(q8, 1, 2, 4, 4)).verify()
    rejects(
        tpu.CastOp(f, T(q8, 1, 2, 4, 4), scale=0.05),
        "'scale' is only valid between a float and a plain integer type",
    )
