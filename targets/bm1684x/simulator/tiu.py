"""Functional semantics of the BM1684X TIU commands, on numpy.

Each `execute_*` reads its operands from `Memory` with the layouts of isa.md §6-7, computes the
result with vectorised numpy (loops only over kernel taps) and stores it. Floats are computed in
float32 and rounded to the result type (FP16/BF16 with the command's round_mode where it has
one, else to nearest even); integers exactly in int64 with the command's shifts, rounding mode
(TPU-MLIR's RoundingMode numbering) and saturation or wrap-around. `TIU_OPS` maps the vendor op name to its implementation;
a command whose op is not in it stops the run (`SimulationError`), it is never skipped.

What the vendor streams taught (beyond isa.md; see also docs/simulator.md):
- conv.normal with float input adds its opd2 bias (FP32, compact per output channel) even with
  no flag for it; the pad value is opd3 (an immediate in all vendor streams).
- pord.avgpooling multiplies the window *sum* by the opd1 immediate: the f32 stream pools 8x8 as
  a 4x1 window with scale 1.0 followed by a 1x16 window with scale 1/64.
- Immediates of every type sit in the low-order bytes of the 32-bit field, BF16 included.
- int8 (docs/simulator.md has the evidence): quant.rq1's per-channel shift word is negative
  for a right shift; integer avg pooling multiplies the window sum by opd1 and shifts right
  by opd2_addr; integer depthwise shifts by the low byte of res1_addr.
- mm.normal: left (M, K) with M = opd0_n, K = opd0_w * (opd0_c - 1) + opd1_w, folded across
  channels by opd0_w; right (K, N) and bias (1, N) folded by res0_w; all EU-aligned (c stride
  align_up(w, EU_NUM)); with float input the bias is always added.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nntc.targets.bm1684x.chip import NPU_NUM, cube_num, eu_num
from nntc.targets.bm1684x.codec import Command, DType, Layout
from nntc.targets.bm1684x.simulator.memory import (
    Memory,
    Prec,
    SimulationError,
    from_compute,
    immediate,
    prec,
    to_compute,
)

__all__ = ["TIU_OPS", "execute_tiu", "layout_strides", "round_float"]

Shape = tuple[int, int, int, int]

LANE_BITS = 18  # log2 of LMEM_BYTES_PER_LANE: start lane of a local address


def _align(x: int, a: int) -> int:
    return -(-x // a) * a


def _start_lane(addr: int) -> int:
    return (addr >> LANE_BITS) % NPU_NUM


def layout_strides(
    code: int,
    shape: Shape,
    addr: int,
    p: Prec,
    explicit: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> tuple[int, int, int, int]:
    """Element strides (n, c, h, w) of a local operand with layout `code` (isa.md §6)."""
    n, c, h, w = shape
    rows = -(-(c + _start_lane(addr)) // NPU_NUM)
    if code == Layout.ALIGN_EU:
        cs = _align(h * w, eu_num(p.bits))
        return (rows * cs, cs, w, 1)
    if code == Layout.COMPACT:
        return (rows * h * w, h * w, w, 1)
    if code == Layout.OFFSET:
        return (0, 1, 0, 0)
    if code == Layout.FREE_STRIDE:
        return explicit
    raise SimulationError(f"layout code {code} is not supported for this operand")


def round_float(x: np.ndarray, mode: int) -> np.ndarray:
    """Round float values to integers with a TPU rounding mode (TPU-MLIR's RoundingMode)."""
    if mode == 0:  # half to even
        return np.rint(x)
    if mode == 1:  # half away from zero
        return np.sign(x) * np.floor(np.abs(x) + 0.5)
    if mode == 2:  # towards zero
        return np.trunc(x)
    if mode == 3:  # down
        return np.floor(x)
    if mode == 4:  # up
        return np.ceil(x)
    if mode == 5:  # half up
        return np.floor(x + 0.5)
    if mode == 6:  # half down
        return np.ceil(x - 0.5)
    raise SimulationError(f"round mode {mode} is not one of 0..6")


def shift_round(x: np.ndarray, shift: np.ndarray | int, mode: int) -> np.ndarray:
    """Integer `x` arithmetically shifted right by `shift` (>= 0) with a TPU rounding mode.

    Exact on int64 (no float detour): the discarded bits `mant` decide against the half step,
    as TPU-MLIR's `RightShiftRound` does. A shift of 0 returns `x` unchanged.
    """
    x = np.asarray(x, dtype=np.int64)
    s = np.broadcast_to(np.asarray(shift, dtype=np.int64), x.shape)
    if (s < 0).any() or (s > 63).any():
        raise SimulationError(f"right shift {int(s.min())}..{int(s.max())} is not in 0..63")
    val = x >> s
    mant = x - (val << s)
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    nonzero = s > 0
    if mode == 0:  # half to even
        up = (mant > half) | ((mant == half) & (val & 1).astype(bool))
    elif mode == 1:  # half away from zero
        up = np.where(x >= 0, mant >= half, mant > half)
    elif mode == 2:  # towards zero
        up = (x < 0) & (mant != 0)
    elif mode == 3:  # down
        up = np.zeros(x.shape, dtype=bool)
    elif mode == 4:  # up
        up = mant != 0
    elif mode == 5:  # half up
        up = mant >= half
    elif mode == 6:  # half down
        up = mant > half
    else:
        raise SimulationError(f"round mode {mode} is not one of 0..6")
    return val + (up & nonzero)


def _apply_shift(x: np.ndarray, shift: np.ndarray | int, mode: int) -> np.ndarray:
    """`x` scaled by 2**shift: a negative shift is a rounding right shift, positive a left one."""
    s = np.asarray(shift, dtype=np.int64)
    if not s.any():
        return np.asarray(x, dtype=np.int64)
    right = shift_round(x, np.maximum(-s, 0), mode)
    return right << np.maximum(s, 0)


def _saturate(values: np.ndarray, p: Prec) -> np.ndarray:
    lo, hi = p.int_range
    return np.clip(values, lo, hi)


def _store(
    mem: Memory,
    addr: int,
    values: np.ndarray,
    p: Prec,
    strides: Shape,
    saturate: bool = True,
    mode: int = 0,
) -> None:
    """Round (float results: with TPU rounding mode `mode`) and saturate (or wrap, `saturate`
    False) compute values to `p` and write them."""
    if p.is_float:
        raw = from_compute(values.astype(np.float32), p, mode)
    else:
        if values.dtype.kind == "f":
            values = round_float(values, 0)
        values = values.astype(np.int64)
        raw = from_compute(_saturate(values, p) if saturate else values, p)
    mem.write(addr, raw, strides)


def _load(mem: Memory, addr: int, p: Prec, shape: Shape, strides: Shape) -> np.ndarray:
    return to_compute(mem.read(addr, p.storage, shape, strides), p)


class _Fields:
    """Field access that treats a field absent from the short form as 0."""

    def __init__(self, cmd: Command) -> None:
        self.f = cmd.fields

    def __getattr__(self, name: str) -> int:
        return self.f.get(name, 0)


def _operand(
    mem: Memory,
    f: _Fields,
    idx: int,
    p: Prec,
    shape: Shape,
    layout: int | None = None,
) -> np.ndarray:
    """opd<idx> as compute values broadcast to `shape`: an immediate or a local tensor."""
    if getattr(f, f"opd{idx}_const"):
        return np.broadcast_to(immediate(getattr(f, f"opd{idx}_addr"), p), shape)
    addr = getattr(f, f"opd{idx}_addr")
    code = getattr(f, f"opd{idx}_str") if layout is None else layout
    explicit = tuple(getattr(f, f"opd{idx}_{d}_str") for d in "nchw")
    strides = layout_strides(code, shape, addr, p, explicit)  # type: ignore[arg-type]
    return _load(mem, addr, p, shape, strides)


def _pad_canvas(
    x: np.ndarray,
    pad: np.ndarray,
    pads: tuple[int, int, int, int],
    ins: tuple[int, int],
) -> np.ndarray:
    """Input with (ins_y, ins_x) zeros inserted between pixels and borders of the pad value."""
    n, c, h, w = x.shape
    up, dn, lf, rt = pads
    iy, ix = ins
    hh, ww = (h - 1) * (iy + 1) + 1 if h else 0, (w - 1) * (ix + 1) + 1 if w else 0
    canvas = np.empty((n, c, hh + up + dn, ww + lf + rt), dtype=x.dtype)
    canvas[...] = pad.reshape(1, -1, 1, 1) if pad.ndim else pad
    inner = canvas[:, :, up : up + hh, lf : lf + ww]
    if iy or ix:
        inner[...] = 0
    inner[:, :, :: iy + 1, :: ix + 1] = x
    return canvas


def _windows(
    canvas: np.ndarray,
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
):
    """Yield (ky, kx, view) for each kernel tap: the (n, c, oh, ow) input pixels it meets."""
    oh, ow = out_hw
    kh, kw = kernel
    sy, sx = stride
    dy, dx = dilation
    need_h = (kh - 1) * dy + (oh - 1) * sy + 1
    need_w = (kw - 1) * dx + (ow - 1) * sx + 1
    if need_h > canvas.shape[2] or need_w > canvas.shape[3]:
        raise SimulationError(
            f"output {oh}x{ow} with kernel {kh}x{kw}, stride {sy}x{sx}, dilation {dy}x{dx} "
            f"needs a {need_h}x{need_w} padded input, the input gives "
            f"{canvas.shape[2]}x{canvas.shape[3]}"
        )
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dy, kx * dx
            yield (
                ky,
                kx,
                canvas[:, :, y0 : y0 + (oh - 1) * sy + 1 : sy, x0 : x0 + (ow - 1) * sx + 1 : sx],
            )


def _pad_value(mem: Memory, f: _Fields, p: Prec, c: int) -> np.ndarray:
    """opd3: the pad value, an immediate or per channel (1, c, 1, 2) compact (first word)."""
    if f.opd3_const:
        return immediate(f.opd3_addr, p)
    strides = layout_strides(Layout.COMPACT, (1, c, 1, 2), f.opd3_addr, p)
    return _load(mem, f.opd3_addr, p, (1, c, 1, 2), strides)[0, :, 0, 0]


def _int8_field(value: int) -> int:
    """The low byte of a field read as a signed 8-bit number (shift amounts)."""
    low = value & 0xFF
    return low - 256 if low >= 128 else low


def _int16_field(value: int) -> int:
    """The low 16 bits of a field read as a signed number (zero points)."""
    low = value & 0xFFFF
    return low - 65536 if low >= 32768 else low


def _check_pad_mode(f: _Fields) -> None:
    if f.pad_mode:
        raise SimulationError(f"pad_mode {f.pad_mode} is not supported (only 0, constant)")


def _conv_geometry(f: _Fields):
    stride = (f.res_op_y_str or 1, f.res_op_x_str or 1)
    dilation = (f.opd1_y_ins0 + 1, f.opd1_x_ins0 + 1)
    pads = (f.opd0_up_pad, f.opd0_dn_pad, f.opd0_lf_pad, f.opd0_rt_pad)
    ins = (f.opd0_y_ins0, f.opd0_x_ins0)
    return stride, dilation, pads, ins


def execute_conv(cmd: Command, mem: Memory) -> None:
    """conv.normal: res0 = conv(opd0, opd1) + bias (float) / with kernel zero point (int)."""
    f = _Fields(cmd)
    if cmd.op_name != "conv.normal":
        raise SimulationError(f"{cmd.op_name} is not supported")
    _check_pad_mode(f)
    n, ic, ih, iw = f.res0_n, f.opd0_c, f.opd0_h, f.opd0_w
    oc, oh, ow = f.res0_c, f.res0_h, f.res0_w
    kh, kw = f.opd1_h, f.opd1_w
    pin = prec(f.opd0_prec, f.opd0_sign)
    pw = prec(f.opd0_prec, f.opd1_sign)
    res_signed = f.opd0_sign or f.opd1_sign or f.opd2_sign or (not pin.is_float and f.opd2_addr)
    pout = prec(f.res0_prec, res_signed)
    x = _operand(mem, f, 0, pin, (n, ic, ih, iw))
    if f.opd1_const:
        weight = np.broadcast_to(immediate(f.opd1_addr, pw), (oc, ic, kh, kw))
    else:
        weight = _conv_weight(mem, f.opd1_addr, pw, oc, ic, kh, kw)
    if f.kernel_rotate:
        weight = weight[:, :, ::-1, ::-1]
    pad = _pad_value(mem, f, pin, ic)
    if pin.is_float:
        acc_type = np.float32
        x = x.astype(np.float32)
    else:
        acc_type = np.int64
        # int8 conv.normal: opd2 is a per-input-channel kernel zero point (isa.md §9)
        pz = Prec(DType.INT8, bool(f.opd2_sign))
        kzp = _operand(mem, f, 2, pz, (1, ic, 1, 1), Layout.COMPACT).reshape(1, ic, 1, 1)
        weight = weight - kzp
    stride, dilation, pads, ins = _conv_geometry(f)
    canvas = _pad_canvas(x, pad, pads, ins)
    w2 = np.asarray(weight, dtype=acc_type)
    out = np.zeros((oc, n, oh, ow), dtype=acc_type)
    for ky, kx, view in _windows(canvas, (oh, ow), (kh, kw), stride, dilation):
        out += np.tensordot(w2[:, :, ky, kx], view.astype(acc_type), axes=([1], [1]))
    out = out.transpose(1, 0, 2, 3)
    if pin.is_float:
        bias = _operand(mem, f, 2, Prec(DType.FP32), (1, oc, 1, 1), Layout.COMPACT)
        out = out + bias.reshape(1, oc, 1, 1)
    res_strides = layout_strides(Layout.ALIGN_EU, (n, oc, oh, ow), f.res0_addr, pout)
    if f.res_add:
        out = out + _load(mem, f.res0_addr, pout, (n, oc, oh, ow), res_strides)
    if f.relu:
        out = np.maximum(out, 0)
    _store(mem, f.res0_addr, out, pout, res_strides)


def _conv_weight(mem: Memory, addr: int, p: Prec, oc: int, ic: int, kh: int, kw: int) -> np.ndarray:
    """opd1 of a conv in the alignIC layout (isa.md §7.3) as (oc, ic, kh, kw)."""
    cube = cube_num(p.bits)
    blocks = -(-ic // cube)
    taps = kh * kw
    oc_stride = blocks * cube * taps
    # n axis = input-channel block, c axis = output channel, h = tap, w = channel in the block
    raw = _load(mem, addr, p, (blocks, oc, taps, cube), (cube * taps, oc_stride, cube, 1))
    w = raw.transpose(1, 0, 3, 2).reshape(oc, blocks * cube, taps)[:, :ic]
    return w.reshape(oc, ic, kh, kw)


def execute_pord(cmd: Command, mem: Memory) -> None:
    """pord.maxpooling / avgpooling / depthwise on EU-aligned (n, c, h, w) tensors."""
    f = _Fields(cmd)
    op = cmd.op_name
    _check_pad_mode(f)
    n, c, ih, iw = f.res0_n, f.res0_c, f.opd0_h, f.opd0_w
    oh, ow, kh, kw = f.res0_h, f.res0_w, f.opd1_h, f.opd1_w
    pin = prec(f.opd0_prec, f.opd0_sign)
    x = _load(
        mem,
        f.opd0_addr,
        pin,
        (n, c, ih, iw),
        layout_strides(Layout.ALIGN_EU, (n, c, ih, iw), f.opd0_addr, pin),
    )
    pad = _pad_value(mem, f, pin, c)
    stride, dilation, pads, ins = _conv_geometry(f)
    canvas = _pad_canvas(x, pad, pads, ins)
    taps = _windows(canvas, (oh, ow), (kh, kw), stride, dilation)
    if op == "pord.maxpooling":
        out = None
        for _, _, view in taps:
            out = view.copy() if out is None else np.maximum(out, view)
        pout = prec(f.res0_prec, f.opd0_sign)
    elif op == "pord.avgpooling":
        if not f.opd1_const:
            raise SimulationError("pord.avgpooling with a tensor opd1 (scale) is not supported")
        if pin.is_float:
            scale = immediate(f.opd1_addr, pin)
            acc = np.zeros((n, c, oh, ow), dtype=np.float32)
            for _, _, view in taps:
                acc += view
            out = acc * scale
        else:
            # integer: (window sum x opd1) >> opd2_addr, rounded with round_mode; the int8
            # vendor stream pools 8x8 with opd1 = 35, opd2_addr = 10 (35 / 2**10 = the
            # ReduceMean requant scale 0.0340 = 2.176 / 64) and matches the vendor bit for bit
            scale = immediate(f.opd1_addr, prec(f.opd0_prec, f.opd1_sign))
            acc = np.zeros((n, c, oh, ow), dtype=np.int64)
            for _, _, view in taps:
                acc += view
            out = shift_round(acc * np.int64(scale), _int8_field(f.opd2_addr), f.opd2_n_str)
        pout = prec(f.res0_prec, f.opd0_sign)
    elif op in ("pord.depthwise", "pord.depthwiserelu"):
        pk = prec(f.opd0_prec, f.opd1_sign)
        kernel = _operand(mem, f, 1, pk, (1, c, kh, kw), Layout.COMPACT)
        if f.kernel_rotate:
            kernel = kernel[:, :, ::-1, ::-1]
        if pin.is_float:
            bias = _operand(mem, f, 2, pin, (1, c, 1, 1), Layout.COMPACT).reshape(1, c, 1, 1)
            acc = np.zeros((n, c, oh, ow), dtype=np.float32)
            for ky, kx, view in taps:
                acc += view * kernel[:, :, ky, kx].reshape(1, c, 1, 1)
            out = acc + bias
            pout = prec(f.res0_prec, 1)
        else:
            # integer: int32 bias opd2, then a rounding right shift by the low byte of
            # res1_addr (int8) with round_mode, then saturation (isa.md §9 PorD)
            pb = Prec(DType.INT32, bool(f.opd2_sign))
            bias = _operand(mem, f, 2, pb, (1, c, 1, 1), Layout.COMPACT).reshape(1, c, 1, 1)
            acc = np.zeros((n, c, oh, ow), dtype=np.int64)
            for ky, kx, view in taps:
                acc += view * kernel[:, :, ky, kx].reshape(1, c, 1, 1)
            out = _apply_shift(acc + bias, -_int8_field(f.res1_addr), f.opd2_n_str)
            signed = f.opd0_sign or f.opd1_sign or f.opd2_sign
            if op == "pord.depthwiserelu":
                signed = f.res0_prec == DType.INT32
            pout = prec(f.res0_prec, signed)
        if op == "pord.depthwiserelu":
            out = np.maximum(out, 0)
    else:
        raise SimulationError(f"{op} is not supported")
    assert out is not None
    res_strides = layout_strides(Layout.ALIGN_EU, (n, c, oh, ow), f.res0_addr, pout)
    _store(mem, f.res0_addr, out, pout, res_strides, mode=f.opd2_n_str)


def _matrix(mem: Memory, addr: int, p: Prec, rows: int, chans: int, w: int) -> np.ndarray:
    """A matrix stored in the MM matrix layout: rows on n, column blocks of `w` on c."""
    shape = (rows, chans, 1, w)
    raw = _load(mem, addr, p, shape, layout_strides(Layout.ALIGN_EU, shape, addr, p))
    return raw.reshape(rows, chans * w)


def execute_mm(cmd: Command, mem: Memory) -> None:
    """mm.normal: res0 (M, N) = opd0 (M, K) @ opd1 (K, N) [+ opd2 bias] [+ res0]."""
    f = _Fields(cmd)
    if cmd.op_name != "mm.normal":
        raise SimulationError(f"{cmd.op_name} is not supported")
    if f.left_tran:
        raise SimulationError("mm.normal with left_tran = 1 is not supported")
    pin = prec(f.opd0_prec, f.opd0_sign)
    if not pin.is_float:
        raise SimulationError("integer mm.normal is not supported yet")
    m, c0, w0 = f.opd0_n, f.opd0_c, f.opd0_w
    k = w0 * (c0 - 1) + f.opd1_w
    rc, rw = f.res0_c, f.res0_w
    if c0 < 1 or not 0 < f.opd1_w <= w0:
        raise SimulationError(
            f"opd1_w ({f.opd1_w}) must be in 1..opd0_w ({w0}) with opd0_c ({c0}) >= 1"
        )
    if f.opd0_const:
        left = np.full((m, k), immediate(f.opd0_addr, pin), dtype=np.float32)
    else:
        left = _matrix(mem, f.opd0_addr, pin, m, c0, w0)[:, :k]
    pw = prec(f.opd0_prec, f.opd1_sign)
    right = _matrix(mem, f.opd1_addr, pw, k, rc, rw)
    out = left.astype(np.float32) @ right.astype(np.float32)
    if f.opd2_const:
        out = out + immediate(f.opd2_addr, pin)
    else:
        out = out + _matrix(mem, f.opd2_addr, pin, 1, rc, rw)
    pout = prec(f.res0_prec, 1)
    shape = (m, rc, 1, rw)
    res_strides = layout_strides(Layout.ALIGN_EU, shape, f.res0_addr, pout)
    out = out.reshape(shape)
    if f.res_add:
        out = out + _load(mem, f.res0_addr, pout, shape, res_strides)
    _store(mem, f.res0_addr, out, pout, res_strides)


# --- AR: elementwise ----------------------------------------------------------------------

_FLOAT_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "arith.add": np.add,
    "arith.sub": np.subtract,
    "arith.mul": np.multiply,
    "arith.max": np.maximum,
    "arith.min": np.minimum,
    "arith.div": np.divide,
    "arith.adds": np.add,
    "arith.subs": np.subtract,
    "arith.muls": np.multiply,
    "arith.fsubabs": lambda a, b: np.abs(a - b),
}
_INT_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "arith.add": np.add,
    "arith.sub": np.subtract,
    "arith.mul": np.multiply,
    "arith.max": np.maximum,
    "arith.min": np.minimum,
    "arith.adds": np.add,
    "arith.subs": np.subtract,
    "arith.muls": np.multiply,
    "arith.and": np.bitwise_and,
    "arith.or": np.bitwise_or,
    "arith.xor": np.bitwise_xor,
}
_UNARY = {"arith.copy", "arith.abs", "arith.cast", "arith.not"}


_SATURATING = {"arith.adds", "arith.subs", "arith.muls"}
"""Integer ops that clamp to the result type; the other integer ops wrap to its width."""


def _ar_shift(mem: Memory, f: _Fields, c: int) -> np.ndarray | int:
    """opd2 of an integer AR op with three operands: a right shift, int8, per channel or imm."""
    if f.tsk_opd_num < 3:
        return 0
    p = Prec(DType.INT8, True)
    if f.opd2_const:
        return _int8_field(f.opd2_addr)
    shape = (1, c, 1, 1)
    return _load(mem, f.opd2_addr, p, shape, layout_strides(Layout.COMPACT, shape, f.opd2_addr, p))


def execute_ar(cmd: Command, mem: Memory) -> None:
    """AR elementwise ops: res0 = op(opd0[, opd1]) on (n, c, h, w) with per-operand layouts.

    Floats compute in float32 and round to the result type. Integers compute exactly in int64:
    add/sub/mul then wrap to the result width, adds/subs/muls saturate; with a third operand
    (tsk_opd_num = 3) the result is first shifted right by opd2 with round_mode (opd2_n_str).
    arith.cast converts float -> int with round_mode and saturation, int -> int with
    saturation, and to a float type with round to nearest even.
    """
    f = _Fields(cmd)
    op = cmd.op_name
    shape = (f.res0_n, f.res0_c, f.res0_h, f.res0_w)
    p0 = prec(f.opd0_prec, f.opd0_sign)
    a = _operand(mem, f, 0, p0, shape)
    if op == "arith.cast":
        pout = prec(f.res0_prec, f.opd2_sign)
    else:
        pout = prec(f.res0_prec, f.opd0_sign or f.opd1_sign)
    # for div opd2_n_str is the iteration count - 1, not a round mode (isa.md §9 AR)
    round_mode = 0 if op == "arith.div" else f.opd2_n_str
    saturate = True
    if op in _UNARY:
        if op == "arith.abs":
            out = np.abs(a)
        elif op == "arith.not":
            if p0.is_float:
                raise SimulationError("arith.not needs an integer operand")
            out = ~a
        else:
            out = a
        if not pout.is_float and p0.is_float:
            out = round_float(np.asarray(out, dtype=np.float64), round_mode)
    else:
        p1 = prec(f.opd1_prec, f.opd1_sign)
        b = _operand(mem, f, 1, p1, shape)
        floating = p0.is_float or p1.is_float
        table = _FLOAT_BINARY if floating else _INT_BINARY
        fn = table.get(op)
        if fn is None:
            raise SimulationError(f"{op} is not supported")
        if floating:
            out = fn(a.astype(np.float32), b.astype(np.float32))
        else:
            out = fn(a.astype(np.int64), b.astype(np.int64))
            out = shift_round(out, _ar_shift(mem, f, shape[1]), round_mode)
            saturate = op in _SATURATING or op in ("arith.max", "arith.min")
    res_strides = layout_strides(
        f.res0_str, shape, f.res0_addr, pout, tuple(getattr(f, f"res0_{d}_str") for d in "nchw")
    )  # type: ignore[arg-type]
    _store(mem, f.res0_addr, np.asarray(out), pout, res_strides, saturate, round_mode)


def _aligned(mem: Memory, addr: int, p: Prec, shape: Shape) -> np.ndarray:
    return _load(mem, addr, p, shape, layout_strides(Layout.ALIGN_EU, shape, addr, p))


def _store_aligned(mem: Memory, addr: int, values: np.ndarray, p: Prec, mode: int = 0) -> None:
    shape: Shape = values.shape  # type: ignore[assignment]
    strides = layout_strides(Layout.ALIGN_EU, shape, addr, p)
    _store(mem, addr, values, p, strides, mode=mode)


def execute_tsbc(cmd: Command, mem: Memory) -> None:
    """tsbc.l_copy / l_bc / s_distribute: moves between lanes, type `res0_prec` (signless).

    - l_copy: (n, c, h, w) from opd0's lanes to res0's lanes, both EU-aligned;
    - l_bc: the single channel (n, 1, h, w) at opd0 to every one of res0's c channels;
    - s_distribute: element i of a vector of opd0_c words read from static memory to channel
      i of res0, (1, c, 1, 1) compact. The vendor streams distribute the "seq" table at
      static +0x5C0 (0, 1, 2, ...) to number the lanes when they build one-hot kernels.
    """
    f = _Fields(cmd)
    op = cmd.op_name
    p = prec(f.res0_prec, 1)
    n, c, h, w = f.res0_n, f.res0_c, f.res0_h, f.res0_w
    if op == "tsbc.l_copy":
        _store_aligned(mem, f.res0_addr, _aligned(mem, f.opd0_addr, p, (n, c, h, w)), p)
    elif op == "tsbc.l_bc":
        row = _aligned(mem, f.opd0_addr, p, (n, 1, h, w))
        _store_aligned(mem, f.res0_addr, np.broadcast_to(row, (n, c, h, w)), p)
    elif op == "tsbc.s_distribute":
        count = f.opd0_c or c
        vec = _load(mem, f.opd0_addr, p, (1, 1, 1, count), (0, 0, 0, 1))
        if count < c:
            raise SimulationError(f"opd0_c ({count}) is smaller than res0_c ({c})")
        out = vec[0, 0, 0, :c].reshape(1, c, 1, 1)
        shape = (1, c, 1, 1)
        _store(mem, f.res0_addr, out, p, layout_strides(Layout.COMPACT, shape, f.res0_addr, p))
    else:
        raise SimulationError(f"{op} is not supported")


def execute_sg(cmd: Command, mem: Memory) -> None:
    """sg.pe_s_scatter_hzd: per lane, res0[c, h, idx[c, i]] = opd0[c, h, i] (EU-aligned).

    opd1 holds opd1_w unsigned indices per channel; opd0 the (n, c, opd0_h, opd0_w) values;
    res0 (n, c, res0_h, res0_w) keeps its other elements. An index past res0_w stops the run.
    """
    f = _Fields(cmd)
    if cmd.op_name != "sg.pe_s_scatter_hzd":
        raise SimulationError(f"{cmd.op_name} is not supported")
    if f.opd2_const or f.opd3_const:
        raise SimulationError("sg.pe_s_scatter_hzd with fill or limit enabled is not supported")
    n, c, h, w = f.res0_n, f.res0_c, f.res0_h, f.res0_w
    pv = prec(f.opd0_prec, 1)
    pi = prec(f.opd1_prec, 0)
    pout = prec(f.res0_prec, 1)
    count = f.opd1_w
    values = _aligned(mem, f.opd0_addr, pv, (n, c, f.opd0_h or h, count))
    index = _aligned(mem, f.opd1_addr, pi, (1, c, 1, count))
    if (index >= w).any():
        raise SimulationError(f"a scatter index ({int(index.max())}) is not below res0_w ({w})")
    out = _aligned(mem, f.res0_addr, pout, (n, c, h, w))
    ni, ci, hi, ii = np.ix_(range(n), range(c), range(h), range(count))
    out[ni, ci, hi, index[0, ci, 0, ii]] = values[ni, ci, hi if values.shape[2] > 1 else 0, ii]
    _store_aligned(mem, f.res0_addr, out, pout)


def execute_mm2(cmd: Command, mem: Memory) -> None:
    """mm2.nn: res0 (M, N) = opd0 (M, K) @ opd1 (K, N), one matrix row per lane (matrix2).

    M = res0_c, K = opd1_c, N = res0_w; every operand EU-aligned (1, rows, 1, cols). Integer
    inputs subtract the right matrix's zero point opd2 and accumulate in int32.
    """
    f = _Fields(cmd)
    if cmd.op_name != "mm2.nn":
        raise SimulationError(f"{cmd.op_name} is not supported")
    m, k, nn = f.res0_c, f.opd1_c, f.res0_w
    if f.opd1_w and f.opd1_w != nn:
        raise SimulationError(f"opd1_w ({f.opd1_w}) must equal res0_w ({nn})")
    p0 = prec(f.opd0_prec, f.opd0_sign)
    p1 = prec(f.opd0_prec, f.opd1_sign)
    left = (
        np.full((1, m, 1, k), immediate(f.opd0_addr, p0))
        if f.opd0_const
        else _aligned(mem, f.opd0_addr, p0, (1, m, 1, k))
    )[0, :, 0, :]
    right = (
        np.full((1, k, 1, nn), immediate(f.opd1_addr, p1))
        if f.opd1_const
        else _aligned(mem, f.opd1_addr, p1, (1, k, 1, nn))
    )[0, :, 0, :]
    if p0.is_float:
        out = left.astype(np.float32) @ right.astype(np.float32)
        pout = prec(f.res0_prec, 1)
    else:
        if f.opd2_const:
            zp = immediate(f.opd2_addr, p1)
        else:
            zp = _aligned(mem, f.opd2_addr, p1, (1, NPU_NUM, 1, nn))[0, 0, 0, :]
        out = left.astype(np.int64) @ (right - zp).astype(np.int64)
        pout = prec(f.res0_prec, 1)
    out = out.reshape(1, m, 1, nn)
    if f.res_add:
        out = out + _aligned(mem, f.res0_addr, pout, (1, m, 1, nn))
    _store_aligned(mem, f.res0_addr, out, pout)


def _rq_params(mem: Memory, f: _Fields, c: int, kinds: tuple[Prec, ...]) -> list[np.ndarray]:
    """The per-channel words of RQ&DQ: word i of lane (s + ch) % 64 at opd1_addr + 4 i.

    Every channel holds len(kinds) consecutive 32-bit words (the vendor listing shows them as
    (1, c, 1, 1) tensors at +0, +4, +8 with the int32 EU-aligned c stride 16), read as `kinds`.
    """
    p32 = Prec(DType.INT32, True)
    shape = (1, c, 1, len(kinds))
    raw = _load(
        mem, f.opd1_addr, p32, shape, layout_strides(Layout.ALIGN_EU, shape, f.opd1_addr, p32)
    )
    words = raw.astype(np.int64)[0, :, 0, :]
    out = []
    for i, kind in enumerate(kinds):
        word = (words[:, i] & 0xFFFF_FFFF).astype(np.uint32)
        if kind.code is DType.FP32:
            value = word.view(np.float32).astype(np.float32)
        else:  # the low `bits` of the word, sign-extended when signed
            lo, hi = kind.int_range
            value = word.astype(np.int64) & (hi - lo)
            if kind.signed:
                value = np.where(value > hi, value - (hi - lo + 1), value)
        out.append(value.reshape(1, c, 1, 1))
    return out


def execute_rqdq(cmd: Command, mem: Memory) -> None:
    """quant.rq0 / rq1 / dq0 / dq1: (re)quantisation of an EU-aligned (n, c, h, w) tensor.

    - rq0: res = sat(round(float(x) * scale + offset)), FP32 scale and offset;
    - rq1: res = sat(shift(x * multiplier, shift) + zero_point): int32 multiplier, int8 shift
      (negative = rounding right shift, the vendor's convention), int16 zero point;
    - dq0: res = (x - zero_point) * scale in FP32, rounded to the float result type;
    - dq1: res = sat(shift((x - zero_point) * scale, shift)), int32 zp and scale, int16 shift.
    Parameters are per channel (opd1_const = 0, words at opd1_addr) or immediates packed as
    isa.md §9 RQ&DQ gives; the rounding mode is opd2_n_str, the result sign opd2_sign.
    """
    f = _Fields(cmd)
    op = cmd.op_name
    n, c, h, w = f.res0_n, f.res0_c, f.res0_h, f.res0_w
    shape = (n, c, h, w)
    pin = prec(f.opd0_prec, f.opd0_sign)
    pout = prec(f.res0_prec, f.opd2_sign)
    x = _aligned(mem, f.opd0_addr, pin, shape)
    mode = f.opd2_n_str
    i32, i16, i8 = Prec(DType.INT32), Prec(DType.INT16), Prec(DType.INT8)
    f32 = Prec(DType.FP32)
    per_channel = not f.opd1_const
    if op == "quant.rq0":
        if per_channel:
            scale, offset = _rq_params(mem, f, c, (f32, f32))
        else:
            scale, offset = immediate(f.opd1_addr, f32), immediate(f.opd2_addr, f32)
        out = x.astype(np.float32) * scale + offset
        if not pout.is_float:
            out = round_float(out.astype(np.float64), mode)
    elif op == "quant.rq1":
        if pin.is_float:
            raise SimulationError("quant.rq1 needs an integer input")
        if per_channel:
            mul, shift, zp = _rq_params(mem, f, c, (i32, i8, i16))
        else:
            mul = immediate(f.opd1_addr, i32).astype(np.int64)
            shift, zp = _int8_field(f.opd2_addr), _int16_field(f.opd2_addr >> 8)
        out = _apply_shift(x.astype(np.int64) * mul, shift, mode) + zp
    elif op == "quant.dq0":
        if per_channel:
            zp, scale = _rq_params(mem, f, c, (Prec(DType.INT32, pin.signed), f32))
        else:
            zp, scale = immediate(f.opd1_addr, i32), immediate(f.opd2_addr, f32)
        out = (x.astype(np.int64) - zp).astype(np.float32) * scale
    elif op == "quant.dq1":
        if per_channel:
            zp, scale, shift = _rq_params(mem, f, c, (i32, i32, i16))
        else:
            zp, shift = _int16_field(f.opd1_addr), _int16_field(f.opd1_addr >> 16)
            scale = immediate(f.opd2_addr, i32)
        out = _apply_shift((x.astype(np.int64) - zp) * scale, shift, mode)
    else:
        raise SimulationError(f"{op} is not supported")
    _store_aligned(mem, f.res0_addr, np.asarray(out), pout, mode)


SFU_MAX_TERMS = 64
"""Coefficients a Taylor command may read: the largest static table (isa.md §7.2) has 64."""


def execute_sfu(cmd: Command, mem: Memory) -> None:
    """sfu.taylor and sfu.rsqrt on (n, c, h, w), EU-aligned, f32 (docs/simulator.md).

    - taylor: res = sum_k coef[k] * x^k over the `opd1_n` f32 coefficients at opd1_addr
      (lowest order first, the same table for every lane), evaluated by Horner's rule in
      float32: one multiply and one add per coefficient after the first, 2 n - 1 operations,
      the count the vendor's profiler charges.
    - rsqrt: 1 / sqrt(x) refined by `opd2_n_str` + 1 Newton steps y <- y (1.5 - 0.5 x y^2)
      from the float32 estimate; the result is then the float32 1 / sqrt(x) (the refinement
      only matters on hardware, where the seed is a table lookup).
    There is no vendor ground truth for either: the semantics follow isa.md's description.
    """
    f = _Fields(cmd)
    op = cmd.op_name
    shape = (f.res0_n, f.res0_c, f.res0_h, f.res0_w)
    p0 = prec(f.opd0_prec, 1)
    pout = prec(f.res0_prec, 1)
    if not (p0.is_float and pout.is_float):
        raise SimulationError(f"{op} needs float operands, got opd0 {p0} and res0 {pout}")
    x = _aligned(mem, f.opd0_addr, p0, shape).astype(np.float32)
    if op == "sfu.taylor":
        terms = f.opd1_n
        if not 1 <= terms <= SFU_MAX_TERMS:
            raise SimulationError(f"sfu.taylor: opd1_n ({terms}) must be in [1, {SFU_MAX_TERMS}]")
        pc = prec(int(DType.FP32), 1)
        coef = _load(mem, f.opd1_addr, pc, (1, 1, 1, terms), (0, 0, 0, 1)).reshape(-1)
        out = np.full(shape, coef[-1], dtype=np.float32)
        for k in range(terms - 2, -1, -1):
            out = out * x + np.float32(coef[k])
    elif op == "sfu.rsqrt":
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.float32(1.0) / np.sqrt(x)
            for _ in range(f.opd2_n_str + 1):
                y = y * (np.float32(1.5) - np.float32(0.5) * x * y * y)
        out = y.astype(np.float32)
    else:
        raise SimulationError(f"{op} is not supported")
    _store_aligned(mem, f.res0_addr, out, pout)


def execute_sys(cmd: Command, mem: Memory) -> None:
    """sys.end / sys.nop: no data effect (the engine handles the end of the queue)."""
    if cmd.op_name not in ("sys.end", "sys.nop"):
        raise SimulationError(f"{cmd.op_name} is not supported")


TIU_OPS: dict[str, Callable[[Command, Memory], None]] = {
    "conv.normal": execute_conv,
    "pord.maxpooling": execute_pord,
    "pord.avgpooling": execute_pord,
    "pord.depthwise": execute_pord,
    "pord.depthwiserelu": execute_pord,
    "mm.normal": execute_mm,
    "mm2.nn": execute_mm2,
    "tsbc.l_copy": execute_tsbc,
    "tsbc.l_bc": execute_tsbc,
    "tsbc.s_distribute": execute_tsbc,
    "sg.pe_s_scatter_hzd": execute_sg,
    "quant.rq0": execute_rqdq,
    "quant.rq1": execute_rqdq,
    "quant.dq0": execute_rqdq,
    "quant.dq1": execute_rqdq,
    "sfu.taylor": execute_sfu,
    "sfu.rsqrt": execute_sfu,
    "sys.end": execute_sys,
    "sys.nop": execute_sys,
    **{name: execute_ar for name in (*_FLOAT_BINARY, *_INT_BINARY, *_UNARY)},
}


def execute_tiu(cmd: Command, mem: Memory) -> None:
    """Run one TIU command; an op the simulator does not implement raises SimulationError."""
    fn = TIU_OPS.get(cmd.op_name)
    if fn is None:
        raise SimulationError(f"the simulator does not implement {cmd.op_name}")
    fn(cmd, mem)
