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
    from nntc.targets.bm1684x.cost import gdma_cycles

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
    from nntc.targets.bm1684x.cost import tiu_cycles

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
    cmd = make_command("sSFU", {"tsk_eu_typ": 15, "res0_n": 1, "res0_c": 1, "res0_h": 1,
                                "res0_w": 1})  # fmt: skip
    with pytest.raises(
        CommandError, match=r"TIU command 0 \(sfu.normalize\): .*does not implement"
    ):
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


# --- integer path: rounding, saturation, requant (the vendor int8 stream's commands) ---------

INT8, INT16, INT32 = 0, 3, 4


def round_ref(num: int, den: int, mode: int) -> int:
    """num / den rounded with TPU-MLIR's RoundingMode, on exact rationals (den > 0)."""
    from fractions import Fraction
    from math import ceil, floor

    q = Fraction(num, den)
    lo, frac = floor(q), q - floor(q)
    half = Fraction(1, 2)
    if mode == 0:
        return lo + (frac > half or (frac == half and lo % 2 == 1))
    if mode == 1:
        return lo + (frac > half or (frac == half and q > 0))
    if mode == 2:
        return int(q)  # truncation
    if mode == 3:
        return lo
    if mode == 4:
        return ceil(q)
    if mode == 5:
        return lo + (frac >= half)
    return lo + (frac > half)


@pytest.mark.parametrize("mode", range(7))
def test_shift_round_matches_exact_rational_rounding(mode: int) -> None:
    from nntc.targets.bm1684x.simulator.tiu import shift_round

    values = np.array([-9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 5, 6, 7, 8, 9, 2**40 + 3])
    values = np.concatenate([values, RNG.integers(-(2**40), 2**40, 200)])
    for shift in (0, 1, 2, 3, 17):
        got = shift_round(values, shift, mode)
        ref = [round_ref(int(v), 2**shift, mode) for v in values]
        np.testing.assert_array_equal(got, ref, err_msg=f"shift {shift}")


def test_round_float_modes_on_halves() -> None:
    from nntc.targets.bm1684x.simulator.tiu import round_float

    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 1.7])
    for mode in range(7):
        ref = [round_ref(int(v * 10), 10, mode) for v in x]
        np.testing.assert_array_equal(round_float(x, mode), ref, err_msg=f"mode {mode}")


def test_bf16_and_f16_rounding_modes() -> None:
    """round_to_half against float64 neighbour search, on ties and random values."""
    from nntc.targets.bm1684x.codec import DType
    from nntc.targets.bm1684x.simulator.memory import Prec, round_to_half, to_compute

    bf = Prec(DType.BF16)
    # 1 + 2**-8 is a BF16 tie between 1 and 1 + 2**-7; 1 + 3 * 2**-8 a tie between odd/even
    ties = np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), -(1 + 3 * 2**-8)], np.float32)
    expect = {  # mode -> the BF16 results as float
        0: [1.0, 1 + 2**-6, -1.0, -(1 + 2**-6)],
        1: [1 + 2**-7, 1 + 2**-6, -(1 + 2**-7), -(1 + 2**-6)],
        2: [1.0, 1 + 2**-7, -1.0, -(1 + 2**-7)],
        3: [1.0, 1 + 2**-7, -(1 + 2**-7), -(1 + 2**-6)],
        4: [1 + 2**-7, 1 + 2**-6, -1.0, -(1 + 2**-7)],
        5: [1 + 2**-7, 1 + 2**-6, -1.0, -(1 + 2**-7)],
        6: [1.0, 1 + 2**-7, -(1 + 2**-7), -(1 + 2**-6)],
    }
    for mode, ref in expect.items():
        got = to_compute(round_to_half(ties, bf, mode), bf)
        np.testing.assert_array_equal(got, np.array(ref, np.float32), err_msg=f"mode {mode}")
    # random values: mode 2 truncates the low 16 bits, mode 1 adds half an ulp to the magnitude
    x = RNG.standard_normal(1000).astype(np.float32)
    bits = x.view(np.uint32)
    np.testing.assert_array_equal(round_to_half(x, bf, 2), (bits >> 16).astype(np.uint16))
    away = (((bits & 0x7FFFFFFF) + 0x8000) >> 16) | ((bits >> 16) & 0x8000)
    np.testing.assert_array_equal(round_to_half(x, bf, 1), away.astype(np.uint16))
    f16 = Prec(DType.FP16)
    np.testing.assert_array_equal(round_to_half(x, f16, 0), x.astype(np.float16))
    down = round_to_half(x, f16, 3).astype(np.float64)
    up = round_to_half(x, f16, 4).astype(np.float64)
    assert (down <= x).all() and (up >= x).all()
    assert ((up == down) | (np.nextafter(down.astype(np.float16), np.inf) == up)).all()


def int_ar(eu: int, shape, res: int, a: int, precs, signs, **extra) -> Command:
    return ar(eu, shape, res, a, res0_prec=precs[0], opd0_prec=precs[1], opd1_prec=precs[2],
              opd0_sign=signs[0], opd1_sign=signs[1], **extra)  # fmt: skip


def test_arith_cast_f32_to_int_rounds_and_saturates() -> None:
    """arith.cast f32 -> si32 (round_mode 1, the vendor's input quantiser) and si32 -> si8."""
    mem = Memory()
    shape = (1, 3, 4, 8)
    x = (RNG.standard_normal(shape) * 100).astype(np.float32)
    x.flat[:6] = [2.5, -2.5, 3.5, 300.0, -300.0, 0.5]
    put_local(mem, 0, x, *aligned(0, 3, 4, 8))
    cast = {"tsk_opd_num": 1, "opd2_sign": 1}
    run_tiu(
        mem,
        int_ar(14, shape, 4096, 0, (INT32, FP32, FP32), (1, 1), opd2_n_str=1, **cast),
        int_ar(14, shape, 8192, 4096, (INT8, INT32, INT32), (1, 1), **cast),
    )
    i32 = get_local(mem, 4096, shape, np.int32, *aligned(4096, 3, 4, 8))
    ref = np.sign(x) * np.floor(np.abs(x.astype(np.float64)) + 0.5)
    np.testing.assert_array_equal(i32, ref)
    i8 = get_local(mem, 8192, shape, np.int8, 64, 64)
    np.testing.assert_array_equal(i8, np.clip(ref, -128, 127))


@pytest.mark.parametrize(
    ("eu", "formula", "saturating"),
    [(15, np.add, True), (2, np.add, False), (16, np.subtract, True), (0, np.multiply, False)],
)
def test_arith_int8_saturating_and_wrapping(eu: int, formula, saturating: bool) -> None:
    """adds/subs clamp to the result type; add/mul keep the low bits (two's complement)."""
    mem = Memory()
    shape = (1, 5, 2, 32)
    a = RNG.integers(-128, 128, shape).astype(np.int8)
    b = RNG.integers(-128, 128, shape).astype(np.int8)
    put_local(mem, 0, a, 64, 64)
    put_local(mem, 1024, b, 64, 64)
    run_tiu(mem, int_ar(eu, shape, 2048, 0, (INT8, INT8, INT8), (1, 1), opd1_addr=1024))
    exact = formula(a.astype(np.int64), b.astype(np.int64))
    ref = np.clip(exact, -128, 127) if saturating else exact.astype(np.int8)
    np.testing.assert_array_equal(get_local(mem, 2048, shape, np.int8, 64, 64), ref)


def test_arith_adds_int32_bias_with_shift() -> None:
    """The vendor's conv bias add: si32 + per-channel si32 (free stride c=1), then a third
    operand shifts right by 2 with round half up."""
    mem = Memory()
    shape = (1, 6, 4, 4)
    x = RNG.integers(-(2**20), 2**20, shape).astype(np.int32)
    bias = RNG.integers(-5000, 5000, (1, 6, 1, 1)).astype(np.int32)
    put_local(mem, 0, x, 16, 16)
    put_local(mem, 4096, bias, 1, 1)
    run_tiu(
        mem,
        int_ar(15, shape, 8192, 4096, (INT32, INT32, INT32), (1, 1), opd0_str=3,
               opd0_c_str=1, opd1_addr=0),
        int_ar(15, shape, 16384, 8192, (INT32, INT32, INT32), (1, 1), opd1_const=1,
               opd1_addr=0, tsk_opd_num=3, opd2_const=1, opd2_addr=2, opd2_n_str=5),
    )  # fmt: skip
    np.testing.assert_array_equal(get_local(mem, 8192, shape, np.int32, 16, 16), x + bias)
    ref = np.floor((x.astype(np.int64) + bias) / 4 + 0.5)
    np.testing.assert_array_equal(get_local(mem, 16384, shape, np.int32, 16, 16), ref)


def test_arith_copy_int8_immediate() -> None:
    mem = Memory()
    run_tiu(
        mem,
        int_ar(19, (1, 9, 1, 9), 0, 0, (INT8, INT8, INT8), (1, 0), opd0_const=1,
               opd0_addr=0xFE, tsk_opd_num=1),
    )  # fmt: skip
    np.testing.assert_array_equal(get_local(mem, 0, (1, 9, 1, 9), np.int8, 64, 64), -2)


def test_depthwise_int8_bias_shift_saturation() -> None:
    """int8 depthwise: sum(x * k) + int32 bias, >> (res1_addr & 0xff) half up, clamp si8."""
    mem = Memory()
    c, ih, iw = 5, 6, 6
    x = RNG.integers(-128, 128, (1, c, ih, iw)).astype(np.int8)
    k = RNG.integers(-128, 128, (1, c, 3, 3)).astype(np.int8)
    bias = RNG.integers(-3000, 3000, (1, c, 1, 1)).astype(np.int32)
    put_local(mem, 0, x, 64, 64)
    put_local(mem, 65536, k, 9, 9)
    put_local(mem, 66560, bias, 1, 1)
    run_tiu(
        mem,
        pord(0, c, ih, iw, 3, 3, (3, 3), (2, 2), res0_prec=INT8, opd0_prec=INT8, opd0_sign=1,
             opd1_sign=1, opd2_sign=1, opd1_addr=65536, opd2_addr=66560, opd0_up_pad=1,
             opd0_lf_pad=1, opd3_addr=0xFD, res1_addr=6, opd2_n_str=5),
    )  # fmt: skip
    xp = np.full((1, c, ih + 1, iw + 1), -3, dtype=np.int64)
    xp[:, :, 1:, 1:] = x
    acc = np.zeros((1, c, 3, 3), dtype=np.int64)
    for i in range(3):
        for j in range(3):
            acc += xp[:, :, i : i + 5 : 2, j : j + 5 : 2] * k[:, :, i : i + 1, j : j + 1]
    ref = np.clip(np.floor((acc + bias) / 64 + 0.5), -128, 127)
    np.testing.assert_array_equal(get_local(mem, 32768, (1, c, 3, 3), np.int8, 64, 64), ref)


def test_depthwise_uint8_one_hot_kernel_copies() -> None:
    """The vendor's lane-gather trick: an unsigned one-hot 3x1 kernel selects one tap."""
    mem = Memory()
    c = 6
    x = RNG.integers(0, 256, (1, c, 8, 4)).astype(np.uint8)
    k = np.zeros((1, c, 3, 1), dtype=np.uint8)
    k[0, np.arange(c), np.arange(c) % 3, 0] = 1
    put_local(mem, 0, x, 64, 64)
    put_local(mem, 65536, k, 3, 3)
    run_tiu(
        mem,
        pord(0, c, 8, 4, 4, 4, (3, 1), (2, 1), res0_prec=INT8, opd0_prec=INT8,
             opd1_addr=65536, opd2_const=1, opd0_up_pad=1, opd0_dn_pad=1, opd3_addr=0),
    )  # fmt: skip
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    ref = np.stack([xp[0, ch, (ch % 3) : (ch % 3) + 7 : 2] for ch in range(c)])[None]
    np.testing.assert_array_equal(get_local(mem, 32768, (1, c, 4, 4), np.uint8, 64, 64), ref)


def test_avgpooling_uint8_multiplier_and_shift() -> None:
    """Integer avg pool: (window sum x opd1) >> opd2_addr with round half up, clamp ui8."""
    mem = Memory()
    c = 7
    x = RNG.integers(0, 256, (1, c, 8, 8)).astype(np.uint8)
    x[0, 0] = 255
    put_local(mem, 0, x, 64, 64)
    run_tiu(
        mem,
        pord(1, c, 8, 8, 1, 1, (8, 8), (1, 1), res0_prec=INT8, opd0_prec=INT8, opd1_const=1,
             opd1_addr=35, opd2_addr=10, opd2_n_str=5, opd3_addr=0),
    )  # fmt: skip
    total = x.astype(np.int64).sum(axis=(2, 3), keepdims=True)
    ref = np.clip(np.floor(total * 35 / 1024 + 0.5), 0, 255)
    np.testing.assert_array_equal(get_local(mem, 32768, (1, c, 1, 1), np.uint8, 64, 64), ref)


def test_maxpooling_uint8() -> None:
    mem = Memory()
    c = 66
    x = RNG.integers(0, 256, (1, c, 4, 4)).astype(np.uint8)
    put_local(mem, 0, x, 64, 128)
    run_tiu(mem, pord(4, c, 4, 4, 2, 2, (2, 2), (2, 2), res0_prec=INT8, opd0_prec=INT8))
    ref = x.reshape(1, c, 2, 2, 2, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(get_local(mem, 32768, (1, c, 2, 2), np.uint8, 64, 128), ref)


@pytest.mark.parametrize("signed_input", [True, False])
def test_conv_normal_int8_kernel_zero_point_and_pad(signed_input: bool) -> None:
    """int8 conv.normal -> si32: weights minus the per-input-channel zero point opd2,
    pad value opd3 (immediate), alignIC weights with cube 64."""
    mem = Memory()
    n, ic, ih, iw, oc, kh, kw = 1, 70, 5, 6, 4, 1, 3
    lo, hi = (-128, 128) if signed_input else (0, 256)
    x = RNG.integers(lo, hi, (n, ic, ih, iw)).astype(np.int8 if signed_input else np.uint8)
    w = RNG.integers(-128, 128, (oc, ic, kh, kw)).astype(np.int8)
    kzp = RNG.integers(-5, 6, (1, ic, 1, 1)).astype(np.int8)
    put_local(mem, 0, x, 64, 128)
    # alignIC, cube 64: per output channel, blocks of 64 input channels, taps, channel in block
    blocks = np.zeros((oc, 2, kh * kw, 64), dtype=np.int8)
    for b in range(2):
        part = w[:, b * 64 : (b + 1) * 64].reshape(oc, -1, kh * kw).transpose(0, 2, 1)
        blocks[:, b, :, : part.shape[2]] = part
    put_local(mem, 65536, blocks.reshape(1, oc, 1, -1), 2 * 64 * kh * kw, 0)
    put_local(mem, 131072, kzp, 1, 2)
    pad_value = 7
    ow = (iw + 2 - kw) // 2 + 1
    run_tiu(
        mem,
        make_command("sCONV", {"res0_prec": INT32, "opd0_prec": INT8,
                               "opd0_sign": int(signed_input), "opd1_sign": 1, "opd2_sign": 1,
                               "res0_addr": 196608, "opd0_addr": 0, "opd1_addr": 65536,
                               "opd2_addr": 131072, "opd3_const": 1, "opd3_addr": pad_value,
                               "res0_n": n, "res0_c": oc, "res0_h": ih, "res0_w": ow,
                               "opd0_c": ic, "opd0_h": ih, "opd0_w": iw, "opd1_h": kh,
                               "opd1_w": kw, "opd0_lf_pad": 1, "opd0_rt_pad": 1,
                               "res_op_y_str": 1, "res_op_x_str": 2}),
    )  # fmt: skip
    ref = conv_ref(x.astype(np.float64), w - kzp.reshape(1, ic, 1, 1).astype(np.float64),
                   np.zeros(oc), (1, 2), (0, 0, 1, 1), pad_value)  # fmt: skip
    got = get_local(mem, 196608, (n, oc, ih, ow), np.int32, 16, 16)
    np.testing.assert_array_equal(got, ref.astype(np.int64))


def rqdq(eu: int, shape, res: int, opd: int, **fields) -> Command:
    n, c, h, w = shape
    return make_command("sRQ_sDQ", {"tsk_eu_typ": eu, "res0_n": n, "res0_c": c, "res0_h": h,
                                    "res0_w": w, "res0_addr": res, "opd0_addr": opd,
                                    **fields})  # fmt: skip


def test_rq1_per_channel_multiplier_shift_zero_point() -> None:
    """quant.rq1: sat(round_half_up(x * m >> -s) + zp), words (m, s, zp) per channel."""
    mem = Memory()
    shape = (1, 67, 3, 5)
    x = RNG.integers(-(2**24), 2**24, shape).astype(np.int32)
    mul = RNG.integers(1, 2**22, 67)
    shift = RNG.integers(-30, -20, 67)
    zp = RNG.integers(-3, 4, 67)
    params = np.stack([mul, shift, zp], axis=1).astype(np.int32).reshape(1, 67, 1, 3)
    put_local(mem, 0, x, 16, 32)
    put_local(mem, 65536, params, 16, 32)
    run_tiu(mem, rqdq(1, shape, 131072, 0, opd0_prec=INT32, opd0_sign=1, opd1_addr=65536,
                      res0_prec=INT8, opd2_sign=1, opd2_n_str=5))  # fmt: skip
    r = (1, 67, 1, 1)
    exact = x.astype(np.int64) * mul.reshape(r)
    ref = np.floor(exact / 2.0 ** (-shift.reshape(r)) + 0.5) + zp.reshape(r)
    got = get_local(mem, 131072, shape, np.int8, 64, 128)
    np.testing.assert_array_equal(got, np.clip(ref, -128, 127))


def test_rq1_immediate_and_dq0_immediate() -> None:
    """The vendor's FC tail: rq1 with packed immediates (m, shift | zp << 8), half away from
    zero, to si8; then dq0 (x - zp) * scale to f32."""
    mem = Memory()
    shape = (1, 1, 10, 1)
    x = RNG.integers(-(2**17), 2**17, shape).astype(np.int32)
    x.flat[:2] = [1 << 9, -(1 << 9)]  # exact halves after >> 10 of x * 1
    put_local(mem, 0, x, 16, 16)
    packed = (-10 & 0xFF) | ((-3 & 0xFFFF) << 8)
    run_tiu(
        mem,
        rqdq(1, shape, 4096, 0, opd0_prec=INT32, opd0_sign=1, opd1_const=1, opd1_addr=3,
             opd2_addr=packed, res0_prec=INT8, opd2_sign=1, opd2_n_str=1),
        rqdq(3, shape, 8192, 4096, opd0_prec=INT8, opd0_sign=1, opd1_const=1, opd1_addr=2,
             opd2_addr=f32_bits(0.125), res0_prec=FP32, opd2_sign=1),
    )  # fmt: skip
    q = x.astype(np.float64) * 3 / 1024
    ref = np.clip(np.sign(q) * np.floor(np.abs(q) + 0.5) - 3, -128, 127)
    np.testing.assert_array_equal(get_local(mem, 4096, shape, np.int8, 64, 64), ref)
    got = get_local(mem, 8192, shape, np.float32, 16, 16)
    np.testing.assert_array_equal(got, ((ref - 2) * 0.125).astype(np.float32))


def test_rq0_and_dq0_per_channel() -> None:
    """rq0: round(x * scale + offset) per channel (f32 words); dq0 per channel (zp, scale)."""
    mem = Memory()
    shape = (1, 4, 2, 8)
    x = RNG.integers(-1000, 1000, shape).astype(np.int32)
    put_local(mem, 0, x, 16, 16)
    scale = np.array([0.1, 0.25, 0.5, 0.03], np.float32)
    offset = np.array([0.0, 1.0, -2.0, 0.5], np.float32)
    words = np.stack([scale, offset], axis=1).reshape(1, 4, 1, 2)
    put_local(mem, 65536, words, 16, 16)
    dq = np.stack([np.array([1, -2, 0, 3], np.int32).view(np.float32), scale], axis=1)
    put_local(mem, 98304, dq.reshape(1, 4, 1, 2), 16, 16)
    run_tiu(
        mem,
        rqdq(0, shape, 4096, 0, opd0_prec=INT32, opd0_sign=1, opd1_addr=65536,
             res0_prec=INT16, opd2_sign=1, opd2_n_str=0),
        rqdq(3, shape, 8192, 4096, opd0_prec=INT16, opd0_sign=1, opd1_addr=98304,
             res0_prec=FP32),
    )  # fmt: skip
    r = (1, 4, 1, 1)
    # The requant arithmetic is float32 (x * scale + offset, then round half to even).
    q = np.rint(x.astype(np.float32) * scale.reshape(r) + offset.reshape(r))
    np.testing.assert_array_equal(get_local(mem, 4096, shape, np.int16, 32, 32), q)
    zp = np.array([1, -2, 0, 3]).reshape(r)
    got = get_local(mem, 8192, shape, np.float32, 16, 16)
    np.testing.assert_array_equal(got, ((q - zp) * scale.reshape(r)).astype(np.float32))


# --- SFU -----------------------------------------------------------------------------------


def sfu(eu: int, shape, res: int, a: int, **extra) -> Command:
    n, c, h, w = shape
    fields = {
        "tsk_eu_typ": eu, "res0_prec": FP32, "opd0_prec": FP32,
        "res0_n": n, "res0_c": c, "res0_h": h, "res0_w": w, "res0_addr": res, "opd0_addr": a,
    }  # fmt: skip
    fields.update(extra)
    return make_command("sSFU", fields)


def test_sfu_taylor_evaluates_the_static_table_polynomial() -> None:
    """sfu.taylor: sum_k coef[k] x^k with opd1_n coefficients read from static memory, the
    same table for every lane (checked against numpy's polyval in float64)."""
    from nntc.targets.bm1684x.chip import STATIC_MEM_BASE

    mem = Memory()
    coef = RNG.uniform(-1.0, 1.0, 7).astype(np.float32)
    mem.static[0x800 : 0x800 + 28] = coef.view(np.uint8)
    shape = (2, 70, 3, 5)  # two channel rows: lanes 60..63 and 0.. (start lane 60)
    x = RNG.uniform(-1.5, 1.5, shape).astype(np.float32)
    a_addr, r_addr = 60 * LANE, 60 * LANE + 8192
    put_local(mem, a_addr, x, *aligned(a_addr, 70, 3, 5))
    run_tiu(mem, sfu(13, shape, r_addr, a_addr, opd1_addr=STATIC_MEM_BASE + 0x800, opd1_n=7))
    got = get_local(mem, r_addr, shape, np.float32, *aligned(r_addr, 70, 3, 5))
    want = np.polyval(coef[::-1].astype(np.float64), x.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sfu_taylor_of_the_exp_table_is_exp() -> None:
    """The default static image's exp table (1/k!) with 10 terms gives e^x on [0, ln 2)."""
    from nntc.targets.bm1684x.chip import STATIC_MEM_BASE
    from nntc.targets.bm1684x.simulator.memory import default_static_image

    mem = Memory()
    mem.static[:] = np.frombuffer(default_static_image(), np.uint8)
    shape = (1, 16, 4, 8)
    x = RNG.uniform(0.0, np.log(2.0), shape).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, 16, 4, 8))
    run_tiu(mem, sfu(13, shape, 0x4000, 0, opd1_addr=STATIC_MEM_BASE + 0x400, opd1_n=10))
    got = get_local(mem, 0x4000, shape, np.float32, *aligned(0x4000, 16, 4, 8))
    np.testing.assert_allclose(got, np.exp(x.astype(np.float64)), rtol=2e-7)


def test_sfu_rsqrt() -> None:
    mem = Memory()
    shape = (1, 8, 2, 8)
    x = RNG.uniform(0.01, 100.0, shape).astype(np.float32)
    put_local(mem, 0, x, *aligned(0, 8, 2, 8))
    run_tiu(mem, sfu(17, shape, 0x4000, 0, opd2_n_str=1))
    got = get_local(mem, 0x4000, shape, np.float32, *aligned(0x4000, 8, 2, 8))
    np.testing.assert_allclose(got, 1.0 / np.sqrt(x.astype(np.float64)), rtol=1e-6)


def test_sfu_taylor_cost_grows_with_the_terms() -> None:
    """The profiler's 2 n - 1 operations per element: 10 terms cost 19 times one EU pass."""
    from nntc.targets.bm1684x.cost import tiu_cycles

    shape = (1, 64, 16, 16)
    one = tiu_cycles(decode_queue(encode_queue([sfu(13, shape, 0x4000, 0, opd1_n=1)]), "TIU")[0])
    ten = tiu_cycles(decode_queue(encode_queue([sfu(13, shape, 0x4000, 0, opd1_n=10)]), "TIU")[0])
    from nntc.targets.bm1684x.chip import TIU_STARTUP_CYCLES

    assert ten - one == 18 * (one - TIU_STARTUP_CYCLES)


# --- scalar (rank-0) net inputs and outputs ------------------------------------------------


def _scalar_nets() -> tuple[bytes, bytes]:
    """Two compiled nets: `y = x[1, 4] * s` with a scalar input `s`, and `z = v . v` (MatMul of
    two vectors) with a scalar output `z`."""
    from onnx import TensorProto, helper

    from nntc.pipeline import compile_onnx

    def model(nodes, inputs, outputs):  # type: ignore[no-untyped-def]
        graph = helper.make_graph(
            nodes,
            "scalars",
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs],
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    scale = model([helper.make_node("Mul", ["x", "s"], ["y"])], [("x", [1, 4]), ("s", [])],
                  [("y", [1, 4])])  # fmt: skip
    dot = model([helper.make_node("MatMul", ["v", "v"], ["z"])], [("v", [4])], [("z", [])])
    return (
        compile_onnx(scale, net_name="scale").bmodel,
        compile_onnx(dot, net_name="dot").bmodel,
    )


def test_scalar_inputs_and_outputs() -> None:
    from nntc.targets.bm1684x.simulator import Simulator

    scale, dot = _scalar_nets()
    sim = Simulator(scale)
    assert [t.shape for t in sim.inputs] == [(1, 4), ()]
    # two batches of x; the scalar has no batch and every batch reads it
    x = RNG.standard_normal((2, 4)).astype(np.float32)
    s = np.float32(-1.5)
    out = sim.run({"x": x, "s": np.array(s)})
    np.testing.assert_array_equal(out.outputs["y"], x * s)
    assert out.report["batches"] == 2
    with pytest.raises(SimulationError, match="'s' has shape \\[1\\], the net expects a scalar"):
        sim.run({"x": x, "s": np.array([s])})

    sim = Simulator(dot)
    v = RNG.standard_normal(4).astype(np.float32)
    z = sim.run({"v": v}).outputs["z"]
    assert z.shape == ()
    np.testing.assert_allclose(z, np.dot(v.astype(np.float64), v), rtol=1e-6)
    # a scalar output cannot be concatenated over batches
    with pytest.raises(SimulationError, match="output 'z' is a scalar"):
        sim.run({"v": np.concatenate([v, v])})
