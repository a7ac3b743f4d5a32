"""Per-command numerics, timing and error handling of the BM1684X simulator.

Each numeric test encodes a tiny command stream with the codec (`make_command` ->
`encode_queue` -> `decode_queue`, so the simulator sees exactly what a bmodel would hold), places
its operands in memory with the helpers below -- written from isa.md §7.3 independently of the
simulator's own address arithmetic -- runs it, and compares with a plain numpy formula.
"""

from __future__ import annotations

import numpy as np
import pytest

from nntc.targets.bm1684x.chip import (
    GMEM_BASE,
    LMEM_BASE,
    LMEM_BYTES_PER_LANE,
    NPU_NUM,
    ChipTiming,
)
from nntc.targets.bm1684x.codec import Command, Engine, decode_queue, encode_queue, make_command
from nntc.targets.bm1684x.simulator.engine import CommandError, CommandGroup, run_groups
from nntc.targets.bm1684x.simulator.memory import Memory, SimulationError

LANE = LMEM_BYTES_PER_LANE
FP32 = 2
RNG = np.random.default_rng(1684)


# --- independent layout helpers -----------------------------------------------------------


def align16(x: int) -> int:
    return -(-x // 16) * 16


def put_local(mem: Memory, addr: int, arr: np.ndarray, c_stride: int, n_stride: int) -> None:
    """Store (n, c, h, w) with contiguous h*w per channel: lane (s+c)%64, row (s+c)//64."""
    s, base = divmod(addr, LANE)
    n, c = arr.shape[:2]
    k = arr.itemsize
    for ni in range(n):
        for ci in range(c):
            lane, row = (s + ci) % NPU_NUM, (s + ci) // NPU_NUM
            data = np.ascontiguousarray(arr[ni, ci]).reshape(-1).view(np.uint8)
            off = base + k * (ni * n_stride + row * c_stride)
            mem.lmem[lane, off : off + data.size] = data


def get_local(
    mem: Memory, addr: int, shape: tuple[int, ...], dtype, c_stride: int, n_stride: int
) -> np.ndarray:
    s, base = divmod(addr, LANE)
    n, c, h, w = shape
    k = np.dtype(dtype).itemsize
    out = np.zeros(shape, dtype=dtype)
    for ni in range(n):
        for ci in range(c):
            lane, row = (s + ci) % NPU_NUM, (s + ci) // NPU_NUM
            off = base + k * (ni * n_stride + row * c_stride)
            out[ni, ci] = mem.lmem[lane, off : off + k * h * w].view(dtype).reshape(h, w)
    return out


def aligned(addr: int, c: int, h: int, w: int) -> tuple[int, int]:
    """(c_stride, n_stride) of the EU-aligned f32 layout."""
    cs = align16(h * w)
    return cs, -(-(c + addr // LANE) // NPU_NUM) * cs


def f32_bits(x: float) -> int:
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


def run_tiu(mem: Memory, *cmds: Command, timing: ChipTiming | None = None):
    """Run TIU commands (ids 1..) followed by the end command, through encode and decode."""
    tiu = [make_command(c.name, {**c.fields, "cmd_id": i + 1}) for i, c in enumerate(cmds)]
    tiu.append(make_command("SYSID", {"tsk_eu_typ": 31, "cmd_id": len(tiu) + 1}))
    gdma = [make_command("sDMA_sys", {"cmd_id": 1})]
    group = CommandGroup(
        decode_queue(encode_queue(tiu), Engine.TIU), decode_queue(encode_queue(gdma), "GDMA")
    )
    return run_groups([group], mem, timing or ChipTiming())


def run_gdma(mem: Memory, *cmds: Command):
    gdma = [make_command(c.name, {**c.fields, "cmd_id": i + 1}) for i, c in enumerate(cmds)]
    gdma.append(make_command("sDMA_sys", {"cmd_id": len(gdma) + 1}))
    tiu = [make_command("SYSID", {"tsk_eu_typ": 31, "cmd_id": 1})]
    group = CommandGroup(
        decode_queue(encode_queue(tiu), "TIU"), decode_queue(encode_queue(gdma), "GDMA")
    )
    return run_groups([group], mem, ChipTiming())


def dma_tensor(src: int, dst: int, shape, src_strides, dst_strides, **extra) -> Command:
    fields = {
        "stride_enable": 1,
        "nchw_copy": 1,
        "cmd_id_en": 1,
        "src_data_format": FP32,
        "src_start_addr_l32": src & 0xFFFFFFFF,
        "src_start_addr_h8": src >> 32,
        "dst_start_addr_l32": dst & 0xFFFFFFFF,
        "dst_start_addr_h8": dst >> 32,
        "localmem_mask_l32": 0xFFFFFFFF,
        "localmem_mask_h32": 0xFFFFFFFF,
    }
    for d, size, ss, ds in zip("nchw", shape, src_strides, dst_strides, strict=True):
        fields[f"src_{d}size"] = size
        fields[f"src_{d}stride"] = ss
        fields[f"dst_{d}stride"] = ds
    fields.update(extra)
    return make_command("DMA_tensor", fields)


# --- TIU ----------------------------------------------------------------------------------


def conv_ref(x, w, b, stride, pad, pad_value=0.0):
    n, ic, ih, iw = x.shape
    oc, _, kh, kw = w.shape
    up, dn, lf, rt = pad
    xp = np.full((n, ic, ih + up + dn, iw + lf + rt), pad_value, dtype=np.float64)
    xp[:, :, up : up + ih, lf : lf + iw] = x
    oh = (ih + up + dn - kh) // stride[0] + 1
    ow = (iw + lf + rt - kw) // stride[1] + 1
    out = np.zeros((n, oc, oh, ow))
    for y in range(oh):
        for xx in range(ow):
            patch = xp[
                :, :, y * stride[0] : y * stride[0] + kh, xx * stride[1] : xx * stride[1] + kw
            ]
            out[:, :, y, xx] = np.einsum("nckl,ockl->no", patch, w)
    return out + b.reshape(1, oc, 1, 1)


@pytest.mark.parametrize("start_lane", [0, 60])
def test_conv_normal_f32(start_lane: int) -> None:
    """conv.normal, f32: 5 -> 7 channels, 3x3, stride 2, pads (1, 0, 1, 1), pad value 0.5."""
    mem = Memory()
    n, ic, ih, iw, oc, kh, kw = 1, 5, 7, 6, 7, 3, 3
    x = RNG.standard_normal((n, ic, ih, iw)).astype(np.float32)
    w = RNG.standard_normal((oc, ic, kh, kw)).astype(np.float32)
    b = RNG.standard_normal(oc).astype(np.float32)
    in_addr = start_lane * LANE
    w_addr, b_addr, out_addr = 4 * 16384 + start_lane * LANE, 5 * 16384, 6 * 16384
    put_local(mem, in_addr, x, *aligned(in_addr, ic, ih, iw))
    # alignIC for f32 (cube 1): per output channel ic*kh*kw contiguous, rows of oc//64
    put_local(mem, w_addr, w.reshape(1, oc, ic, kh * kw), ic * kh * kw, 0)
    put_local(mem, b_addr, b.reshape(1, oc, 1, 1), 1, 1)
    pads = (1, 0, 1, 1)
    oh, ow = (ih + 1 - kh) // 2 + 1, (iw + 2 - kw) // 2 + 1
    run_tiu(
        mem,
        make_command(
            "sCONV",
            {
                "res0_prec": FP32,
                "opd0_prec": FP32,
                "res0_addr": out_addr,
                "opd0_addr": in_addr,
                "opd1_addr": w_addr,
                "opd2_addr": b_addr,
                "opd3_const": 1,
                "opd3_addr": f32_bits(0.5),
                "res0_n": n,
                "res0_c": oc,
                "res0_h": oh,
                "res0_w": ow,
                "opd0_c": ic,
                "opd0_h": ih,
                "opd0_w": iw,
                "opd1_h": kh,
                "opd1_w": kw,
                "opd0_up_pad": pads[0],
                "opd0_dn_pad": pads[1],
                "opd0_lf_pad": pads[2],
                "opd0_rt_pad": pads[3],
                "res_op_y_str": 2,
                "res_op_x_str": 2,
            },
        ),  # fmt: skip
    )
    got = get_local(mem, out_addr, (n, oc, oh, ow), np.float32, *aligned(out_addr, oc, oh, ow))
    np.testing.assert_allclose(got, conv_ref(x, w, b, (2, 2), pads, 0.5), rtol=1e-5, atol=1e-5)


def ar(op_eu: int, shape, res: int, a: int, **extra) -> Command:
    n, c, h, w = shape
    fields = {
        "tsk_eu_typ": op_eu, "tsk_opd_num": 2, "res0_prec": FP32, "opd0_prec": FP32,
        "opd1_prec": FP32, "opd0_sign": 1, "opd1_sign": 1,
        "res0_n": n, "res0_c": c, "res0_h": h, "res0_w": w, "res0_addr": res, "opd0_addr": a,
    }  # fmt: skip
    fields.update(extra)
    return make_command("sAR", fields)


@pytest.mark.parametrize(
    ("eu", "formula"),
    [
        (4, np.maximum),  # arith.max
        (5, np.minimum),  # arith.min
        (2, np.add),  # arith.add
        (3, np.subtract),  # arith.sub
        (0, np.multiply),  # arith.mul
    ],
)
def test_arith_binary_f32(eu: int, formula) -> None:
    """AR binary ops on two aligned f32 tensors crossing lane 63 -> 0."""
    mem = Memory()
    shape = (2, 9, 3, 5)
    a = RNG.standard_normal(shape).astype(np.float32)
    b = RNG.standard_normal(shape).astype(np.float32)
    a_addr, b_addr, r_addr = 58 * LANE, 58 * LANE + 4096, 58 * LANE + 8192
    for addr, arr in ((a_addr, a), (b_addr, b)):
        put_local(mem, addr, arr, *aligned(addr, 9, 3, 5))
    run_tiu(mem, ar(eu, shape, r_addr, a_addr, opd1_addr=b_addr))
    got = get_local(mem, r_addr, shape, np.float32, *aligned(r_addr, 9, 3, 5))
    np.testing.assert_allclose(got, formula(a, b), rtol=1e-6)


def test_arith_max_with_immediate_is_relu() -> None:
    """arith.max(x, 0.0) with opd1_const: the vendor's f32 ReLU."""
    mem = Memory()
    shape = (1, 16, 4, 4)
    x = RNG.standard_normal(shape).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, 16, 4, 4))
    run_tiu(mem, ar(4, shape, 0, 0, opd1_const=1, opd1_addr=f32_bits(0.0)))
    np.testing.assert_array_equal(
        get_local(mem, 0, shape, np.float32, *aligned(0, 16, 4, 4)), np.maximum(x, 0)
    )


def test_arith_free_stride_broadcast() -> None:
    """opd1 with the free-stride layout and zero h/w strides broadcasts one value per channel."""
    mem = Memory()
    shape = (1, 4, 2, 3)
    x = RNG.standard_normal(shape).astype(np.float32)
    per_c = RNG.standard_normal((1, 4, 1, 1)).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, 4, 2, 3))
    put_local(mem, 1024, per_c, 1, 1)
    run_tiu(
        mem,
        ar(2, shape, 2048, 0, opd1_addr=1024, opd1_str=3, opd1_n_str=0, opd1_c_str=1,
           opd1_h_str=0, opd1_w_str=0),
    )  # fmt: skip
    got = get_local(mem, 2048, shape, np.float32, *aligned(2048, 4, 2, 3))
    np.testing.assert_allclose(got, x + per_c, rtol=1e-6)


def pord(eu: int, c: int, ih: int, iw: int, oh: int, ow: int, k, s, **extra) -> Command:
    fields = {
        "tsk_eu_typ": eu, "res0_prec": FP32, "opd0_prec": FP32, "res0_n": 1, "res0_c": c,
        "res0_h": oh, "res0_w": ow, "opd0_h": ih, "opd0_w": iw, "opd1_h": k[0], "opd1_w": k[1],
        "res_op_y_str": s[0], "res_op_x_str": s[1], "res0_addr": 32768, "opd0_addr": 0,
        "opd3_const": 1,
    }  # fmt: skip
    fields.update(extra)
    return make_command("sPorD", fields)


def test_maxpooling_f32_with_pad() -> None:
    mem = Memory()
    c, ih, iw = 70, 5, 6  # 70 channels: two channel rows on lanes 0..5
    x = RNG.standard_normal((1, c, ih, iw)).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, c, ih, iw))
    oh, ow = 3, 3
    run_tiu(
        mem,
        pord(4, c, ih, iw, oh, ow, (2, 2), (2, 2), opd0_dn_pad=1, opd3_addr=f32_bits(-np.inf)),
    )
    xp = np.full((1, c, ih + 1, iw), -np.inf, dtype=np.float32)
    xp[:, :, :ih] = x
    ref = xp.reshape(1, c, 3, 2, 3, 2).max(axis=(3, 5))
    got = get_local(mem, 32768, (1, c, oh, ow), np.float32, *aligned(32768, c, oh, ow))
    np.testing.assert_array_equal(got, ref)


def test_avgpooling_f32_scales_the_window_sum() -> None:
    mem = Memory()
    c, ih, iw = 8, 4, 6
    x = RNG.standard_normal((1, c, ih, iw)).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, c, ih, iw))
    run_tiu(mem, pord(1, c, ih, iw, 1, 1, (4, 6), (1, 1), opd1_const=1, opd1_addr=f32_bits(0.25)))
    got = get_local(mem, 32768, (1, c, 1, 1), np.float32, 16, 16)
    np.testing.assert_allclose(got, x.sum(axis=(2, 3), keepdims=True) * 0.25, rtol=1e-5)


def test_depthwise_f32() -> None:
    mem = Memory()
    c, ih, iw = 3, 4, 4
    x = RNG.standard_normal((1, c, ih, iw)).astype(np.float32)
    k = RNG.standard_normal((1, c, 3, 3)).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, c, ih, iw))
    put_local(mem, 65536, k, 9, 9)
    run_tiu(
        mem,
        pord(0, c, ih, iw, 4, 4, (3, 3), (1, 1), opd1_addr=65536, opd2_const=1,
             opd2_addr=f32_bits(1.5), opd0_up_pad=1, opd0_dn_pad=1, opd0_lf_pad=1,
             opd0_rt_pad=1, opd3_addr=0),
    )  # fmt: skip
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, c, 4, 4), dtype=np.float64)
    for i in range(3):
        for j in range(3):
            ref += xp[:, :, i : i + 4, j : j + 4] * k[:, :, i : i + 1, j : j + 1]
    got = get_local(mem, 32768, (1, c, 4, 4), np.float32, 16, 16)
    np.testing.assert_allclose(got, ref + 1.5, rtol=1e-5, atol=1e-6)


def test_mm_normal_f32() -> None:
    """(M=3, K=20) @ (20, N=12) + bias: left folded by w=8 (last block 4), right by w=5."""
    mem = Memory()
    m, k, nn, w0, wr = 3, 20, 12, 8, 5
    left = RNG.standard_normal((m, k)).astype(np.float32)
    right = RNG.standard_normal((k, nn)).astype(np.float32)
    bias = RNG.standard_normal((1, nn)).astype(np.float32)

    def put_matrix(addr: int, mat: np.ndarray, w: int) -> int:
        rows, cols = mat.shape
        chans = -(-cols // w)
        padded = np.zeros((rows, chans * w), dtype=np.float32)
        padded[:, :cols] = mat
        cs = align16(w)
        put_local(mem, addr, padded.reshape(rows, chans, 1, w), cs, -(-chans // NPU_NUM) * cs)
        return chans

    c0 = put_matrix(0, left, w0)
    rc = put_matrix(16384, right, wr)
    put_matrix(32768, bias, wr)
    run_tiu(
        mem,
        make_command(
            "sMM",
            {
                "tsk_eu_typ": 1,
                "res0_prec": FP32,
                "opd0_prec": FP32,
                "opd0_n": m,
                "opd0_c": c0,
                "opd0_w": w0,
                "opd1_w": k - w0 * (c0 - 1),
                "res0_c": rc,
                "res0_w": wr,
                "opd0_addr": 0,
                "opd1_addr": 16384,
                "opd2_addr": 32768,
                "res0_addr": 49152,
            },
        ),  # fmt: skip
    )
    got = get_local(mem, 49152, (m, rc, 1, wr), np.float32, 16, 16).reshape(m, rc * wr)[:, :nn]
    np.testing.assert_allclose(got, left @ right + bias, rtol=1e-5, atol=1e-5)


# --- GDMA ---------------------------------------------------------------------------------


def test_dma_tensor_global_to_local_and_back() -> None:
    mem = Memory(GMEM_BASE, 1 << 16)
    shape = (2, 66, 3, 4)  # 66 channels from lane 3: wraps into a second channel row
    x = RNG.standard_normal(shape).astype(np.float32)
    mem.gmem[: x.nbytes] = x.reshape(-1).view(np.uint8)
    local = LMEM_BASE + 3 * LANE + 256
    cs = 12
    ns = 2 * cs  # ceil((66 + 3) / 64) rows
    g_strides = (66 * 12, 12, 4, 1)
    run_gdma(
        mem,
        dma_tensor(GMEM_BASE, local, shape, g_strides, (ns, cs, 4, 1)),
        dma_tensor(local, GMEM_BASE + 32768, shape, (ns, cs, 4, 1), g_strides),
    )
    np.testing.assert_array_equal(get_local(mem, 3 * LANE + 256, shape, np.float32, cs, ns), x)
    back = mem.gmem[32768 : 32768 + x.nbytes].view(np.float32).reshape(shape)
    np.testing.assert_array_equal(back, x)


def test_dma_tensor_lane_mask_and_fill() -> None:
    """fill_constant_en writes constant_value; lanes off in the mask stay untouched."""
    mem = Memory(GMEM_BASE, 4096)
    shape = (1, 4, 1, 2)
    run_gdma(
        mem,
        dma_tensor(GMEM_BASE, LMEM_BASE, shape, (8, 2, 2, 1), (2, 2, 2, 1),
                   fill_constant_en=1, constant_value=f32_bits(7.0),
                   localmem_mask_l32=0b1011, localmem_mask_h32=0),
    )  # fmt: skip
    got = get_local(mem, 0, shape, np.float32, 2, 2)
    np.testing.assert_array_equal(got[0, :, 0, 0], [7.0, 7.0, 0.0, 7.0])


def test_dma_tensor_broadcast() -> None:
    mem = Memory(GMEM_BASE, 4096)
    row = np.arange(10, dtype=np.int32)
    mem.gmem[:40] = row.view(np.uint8)
    run_gdma(
        mem,
        dma_tensor(GMEM_BASE, LMEM_BASE + 128, (1, 1, 1, 10), (0, 0, 0, 1), (0, 0, 0, 1),
                   cmd_special_function=3, dst_csize=64, src_data_format=4, nchw_copy=0),
    )  # fmt: skip
    got = get_local(mem, 128, (1, 64, 1, 10), np.int32, 16, 16)
    np.testing.assert_array_equal(got, np.broadcast_to(row, (1, 64, 1, 10)))


def dma_matrix(src: int, dst: int, **fields) -> Command:
    base = {
        "stride_enable": 1, "cmd_id_en": 1, "src_data_format": FP32,
        "src_start_addr_h32": src & 0xFFFFFFFF, "src_start_addr_l8": src >> 32,
        "dst_start_addr_h32": dst & 0xFFFFFFFF, "dst_start_addr_l8": dst >> 32,
        "localmem_mask_l32": 0xFFFFFFFF, "localmem_mask_h32": 0xFFFFFFFF,
    }  # fmt: skip
    return make_command("DMA_matrix", {**base, **fields})


def test_dma_matrix_round_trip() -> None:
    """A (3, 37) matrix folded into 16-column channels (last one partial) and stored back."""
    mem = Memory(GMEM_BASE, 1 << 14)
    rows, cols, w = 3, 37, 16
    mat = RNG.standard_normal((rows, cols)).astype(np.float32)
    mem.gmem[: mat.nbytes] = mat.reshape(-1).view(np.uint8)
    chans = 3
    local = LMEM_BASE + 62 * LANE  # starts on lane 62: the third block wraps to lane 0, row 1
    ns, cs = 2 * 16, 16
    run_gdma(
        mem,
        dma_matrix(GMEM_BASE, local, src_hsize=rows, src_wsize=cols, src_hstride=cols,
                   dst_nsize=rows, dst_csize=chans, dst_wsize=w, dst_nstride=ns, dst_cstride=cs),
        dma_matrix(local, GMEM_BASE + 8192, src_nsize=rows, src_csize=chans, src_wsize=w,
                   src_nstride=ns, src_cstride=cs, dst_hsize=rows, dst_wsize=cols,
                   dst_hstride=cols),
    )  # fmt: skip
    blocks = get_local(mem, 62 * LANE, (rows, chans, 1, w), np.float32, cs, ns)
    np.testing.assert_array_equal(blocks.reshape(rows, chans * w)[:, :cols], mat)
    # the padding columns of the partial block are not written
    assert not blocks.reshape(rows, chans * w)[:, cols:].any()
    back = mem.gmem[8192 : 8192 + mat.nbytes].view(np.float32).reshape(rows, cols)
    np.testing.assert_array_equal(back, mat)


# --- timing ---------------------------------------------------------------------------------


def _timing_group(tiu_dep: int) -> CommandGroup:
    """One DMA (id 1) and one 64-channel elementwise op (id 1) waiting for GDMA id `tiu_dep`."""
    shape = (1, 64, 32, 32)
    tiu = [
        make_command("sAR", {**ar(4, shape, 0, 0, opd1_const=1).fields, "cmd_id": 1,
                             "cmd_id_dep": tiu_dep}),
        make_command("SYSID", {"tsk_eu_typ": 31, "cmd_id": 2}),
    ]  # fmt: skip
    gdma = [
        make_command("DMA_tensor", {**dma_tensor(GMEM_BASE, LMEM_BASE + 131072, shape,
                     (65536, 1024, 32, 1), (1024, 1024, 32, 1)).fields, "cmd_id": 1}),
        make_command("sDMA_sys", {"cmd_id": 2}),
    ]  # fmt: skip
    return CommandGroup(tiu, gdma)


def test_engines_overlap_without_dependency() -> None:
    t = run_groups([_timing_group(0)], None, ChipTiming())
    ar_rec = next(r for r in t.records if r.op == "arith.max")
    dma_rec = next(r for r in t.records if r.op == "dma.tensor")
    assert ar_rec.start == 0 and dma_rec.start == 0
    assert t.cycles < t.busy(Engine.TIU) + t.busy(Engine.GDMA)


def test_dependency_serialises_the_engines() -> None:
    t = run_groups([_timing_group(1)], None, ChipTiming())
    ar_rec = next(r for r in t.records if r.op == "arith.max")
    dma_rec = next(r for r in t.records if r.op == "dma.tensor")
    assert ar_rec.start == dma_rec.end
    assert t.cycles >= ar_rec.end


def test_gdma_cost_follows_bandwidth_and_small_transfer_penalty() -> None:
    from nntc.targets.bm1684x.chip import (
        GDMA_LATENCY_CYCLES,
        GDMA_SMALL_TRANSFER_PENALTY_CYCLES,
    )
    from nntc.targets.bm1684x.simulator.timing import gdma_cycles

    big = dma_tensor(GMEM_BASE, LMEM_BASE, (1, 64, 32, 32), (65536, 1024, 32, 1),
                     (1024, 1024, 32, 1))  # fmt: skip
    fast, slow = gdma_cycles(big, ChipTiming(64.0)), gdma_cycles(big, ChipTiming(32.0))
    assert fast == GDMA_LATENCY_CYCLES + 64 * 32 * 32 * 4 // 64  # 128-byte rows, 64 B/cycle
    assert slow - GDMA_LATENCY_CYCLES == 2 * (fast - GDMA_LATENCY_CYCLES)
    small = dma_tensor(GMEM_BASE, LMEM_BASE, (1, 1, 1, 4), (4, 4, 4, 1), (4, 4, 4, 1))
    assert gdma_cycles(small, ChipTiming()) == (
        GDMA_LATENCY_CYCLES + 1 + GDMA_SMALL_TRANSFER_PENALTY_CYCLES
    )


def test_conv_cost_counts_channel_rows() -> None:
    from nntc.targets.bm1684x.simulator.timing import tiu_cycles

    def conv(oc: int) -> Command:
        return make_command("sCONV", {"res0_prec": FP32, "opd0_prec": FP32, "res0_n": 1,
                                      "res0_c": oc, "res0_h": 8, "res0_w": 8, "opd0_c": 4,
                                      "opd1_h": 3, "opd1_w": 3})  # fmt: skip

    # 64 output channels fill one row of lanes; 65 need a second row: twice the work
    assert tiu_cycles(conv(1)) == tiu_cycles(conv(64))
    from nntc.targets.bm1684x.chip import TIU_STARTUP_CYCLES

    assert tiu_cycles(conv(65)) - TIU_STARTUP_CYCLES == 2 * (
        tiu_cycles(conv(64)) - TIU_STARTUP_CYCLES
    )


# --- errors -----------------------------------------------------------------------------------


def test_deadlock_on_an_id_that_never_comes() -> None:
    group = _timing_group(5)
    with pytest.raises(CommandError, match=r"group 0, TIU command 0 \(arith.max\): deadlock") as e:
        run_groups([group], None, ChipTiming())
    assert "GDMA id 5" in str(e.value)


def test_deadlock_on_mutual_wait() -> None:
    group = _timing_group(1)
    dma = group.gdma[0]
    group.gdma[0] = make_command("DMA_tensor", {**dma.fields, "cmd_id_dep": 1})
    with pytest.raises(CommandError, match="deadlock") as e:
        run_groups([group], None, ChipTiming())
    assert "waits for TIU id 1" in str(e.value)


def test_address_outside_global_memory() -> None:
    mem = Memory(GMEM_BASE, 4096)
    bad = dma_tensor(GMEM_BASE + 8192, LMEM_BASE, (1, 1, 1, 4), (4, 4, 4, 1), (4, 4, 4, 1))
    with pytest.raises(CommandError, match=r"group 0, GDMA command 0 \(dma.tensor\): address"):
        run_gdma(mem, bad)


def test_operand_overflowing_its_lane() -> None:
    mem = Memory()
    shape = (1, 1, 1, 64)
    with pytest.raises(CommandError, match=r"TIU command 0 \(arith.max\).*outside a lane"):
        run_tiu(mem, ar(4, shape, LANE - 128, 0, opd1_const=1))


def test_unimplemented_command_stops_the_run() -> None:
    mem = Memory()
    cmd = make_command("sSFU", {"tsk_eu_typ": 17, "res0_n": 1, "res0_c": 1, "res0_h": 1,
                                "res0_w": 1})  # fmt: skip
    with pytest.raises(CommandError, match=r"TIU command 0 \(sfu.rsqrt\): .*does not implement"):
        run_tiu(mem, cmd)


def test_memory_rejects_unmapped_address() -> None:
    with pytest.raises(SimulationError, match="in no memory region"):
        Memory().classify(0x2000_0000)


# --- lane moves, scatter, matrix2 (used by the vendor f16/bf16/int8 streams) -----------------


def tsbc(eu: int, shape, res: int, opd: int, prec: int = FP32, **extra) -> Command:
    n, c, h, w = shape
    fields = {"tsk_eu_typ": eu, "res0_prec": prec, "res0_n": n, "res0_c": c, "res0_h": h,
              "res0_w": w, "res0_addr": res, "opd0_addr": opd, **extra}  # fmt: skip
    return make_command("sTRANS_sBC", fields)


def test_tsbc_l_copy_moves_channels_to_other_lanes() -> None:
    mem = Memory()
    shape = (1, 9, 1, 9)
    x = RNG.standard_normal(shape).astype(np.float32)
    put_local(mem, 4096, x, 16, 16)
    dst = 60 * LANE + 4096  # lanes 60..63 then 0..4 (second channel row)
    run_tiu(mem, tsbc(2, shape, dst, 4096, opd0_c=9, opd0_w=9))
    np.testing.assert_array_equal(get_local(mem, dst, shape, np.float32, 16, 32), x)


def test_tsbc_l_bc_broadcasts_one_lane() -> None:
    mem = Memory()
    row = RNG.standard_normal((1, 1, 2, 8)).astype(np.float32)
    put_local(mem, 5 * LANE, row, 16, 16)
    run_tiu(mem, tsbc(3, (1, 7, 2, 8), 20 * LANE, 5 * LANE, opd0_c=1, opd0_w=8))
    got = get_local(mem, 20 * LANE, (1, 7, 2, 8), np.float32, 16, 16)
    np.testing.assert_array_equal(got, np.broadcast_to(row, (1, 7, 2, 8)))


def test_tsbc_s_distribute_reads_static_memory() -> None:
    from nntc.targets.bm1684x.chip import STATIC_MEM_BASE

    mem = Memory()
    vec = np.array([5, -3, 9, 12], dtype=np.int32)
    mem.static[64 : 64 + 16] = vec.view(np.uint8)
    run_tiu(mem, tsbc(5, (1, 4, 1, 1), 256, STATIC_MEM_BASE + 64, prec=4, opd0_c=4, opd0_w=1))
    np.testing.assert_array_equal(
        get_local(mem, 256, (1, 4, 1, 1), np.int32, 1, 1)[0, :, 0, 0], vec
    )


def test_default_static_image_holds_the_seq_table() -> None:
    from nntc.targets.bm1684x.simulator.memory import default_static_image

    image = np.frombuffer(default_static_image(), dtype=np.uint8)
    np.testing.assert_array_equal(image[0x5C0 : 0x5C0 + 256].view("<i4"), np.arange(64))


def test_sg_scatter_builds_one_hot_rows() -> None:
    """The vendor's one-hot kernel: row c gets opd0[c] at position index[c]."""
    mem = Memory()
    c, w = 9, 9
    index = RNG.permutation(w).astype(np.uint8).reshape(1, c, 1, 1)
    values = (np.arange(c, dtype=np.int8) + 1).reshape(1, c, 1, 1)
    put_local(mem, 0, index, 64, 64)
    put_local(mem, 64, values, 64, 64)
    run_tiu(
        mem,
        make_command("sSG", {"tsk_eu_typ": 14, "res0_n": 1, "res0_c": c, "res0_h": 1,
                             "res0_w": w, "opd0_h": 1, "opd0_w": 1, "opd1_c": c, "opd1_w": 1,
                             "res0_addr": 128, "opd0_addr": 64, "opd1_addr": 0}),
    )  # fmt: skip
    got = get_local(mem, 128, (1, c, 1, w), np.int8, 64, 64)[0, :, 0, :]
    ref = np.zeros((c, w), dtype=np.int8)
    ref[np.arange(c), index.ravel()] = values.ravel()
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("integer", [False, True])
def test_mm2_nn(integer: bool) -> None:
    """(M=3, K=40) @ (40, N=10): one matrix row per lane; int8 accumulates into int32."""
    mem = Memory()
    m, k, nn = 3, 40, 10
    if integer:
        left = RNG.integers(0, 255, (m, k)).astype(np.uint8)
        right = RNG.integers(-128, 127, (k, nn)).astype(np.int8)
        fields = {"opd0_prec": 0, "opd1_sign": 1, "res0_prec": 4, "opd2_const": 1}
        cs, out_type = 64, np.int32
    else:
        left = RNG.standard_normal((m, k)).astype(np.float32)
        right = RNG.standard_normal((k, nn)).astype(np.float32)
        fields = {"opd0_prec": FP32, "res0_prec": FP32}
        cs, out_type = 64, np.float32
    put_local(mem, 0, left.reshape(1, m, 1, k), cs, cs)
    put_local(mem, 1024, right.reshape(1, k, 1, nn), cs, cs)
    run_tiu(
        mem,
        make_command("sMM2", {"tsk_eu_typ": 4, "res0_c": m, "res0_w": nn, "opd1_c": k,
                              "opd1_w": nn, "opd0_addr": 0, "opd1_addr": 1024,
                              "res0_addr": 4096, **fields}),
    )  # fmt: skip
    got = get_local(mem, 4096, (1, m, 1, nn), out_type, 16, 16)[0, :, 0, :]
    ref = left.astype(np.float64) @ right.astype(np.float64)
    if integer:
        np.testing.assert_array_equal(got, ref.astype(np.int64))
    else:
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
