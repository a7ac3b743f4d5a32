"""Per-layer command generation for `lower-to-bm1684x`: one plan per tpu op.

Every layer runs out of its own share of local memory (an `Arena`): it loads its inputs and
weights, computes, and stores its result to DDR. A plan first decides how to cut the layer so
that its buffers fit (`plan_*`): along output channels when the weights are too big (chunks of
whole lane rows, 64 channels), along N and H (with the halo a window needs) when the
activations are. Then it emits its commands (`body`), software-pipelined: the load of slice
i + 1 is issued before the computation of slice i and the store of slice i - 1 follows it,
into double buffers, so the GDMA and the TIU overlap; the `Program` adds the waits.

A layer's weights (or its first chunk of them) do not depend on the previous layer, so its
`prefetch` is emitted just before the previous layer's first store: the GDMA loads them while
the TIU still computes (layers alternate between two arenas so this never overwrites what the
previous layer is using).

The command patterns are those of the vendor's f32 stream (`tests/data/vendor/tiny_cnn`):
conv.normal (bias always added, pad value an immediate), arith.max / min with an immediate for
ReLU and its clip, pord pooling (window sum times an immediate for average pooling),
mm.normal with dma.matrix moves for matrix products. Conv, pooling, depthwise, elementwise and
matmul plans take an element type (`dt`, FP32 by default): F16/BF16 layers of INT8 nets run the
same commands on 2-byte elements (f16 conv filters in the alignIC layout of the vendor's f16
stream with an f32 bias; depthwise kernels, matmul operands and their biases in `dt`).
Softmax (`SoftmaxPlan`) puts its axis in
the W of a local tensor and reduces it with 1 x A pord windows (max, then sum), around the
SFU exp sequence of `emit_exp`. In 16 bits, softmax, the 16-bit layernorm (`LayerNormPlan`)
and the exp / SFU sequences of elementwise plans (`unary_f32`) load and store `dt` but compute
in f32 between two `arith.cast`s in local memory.
"""

from __future__ import annotations

import math
import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import TensorType
from xdsl.ir import BlockArgument, Operation, SSAValue

from nntc.dialects import top, tpu
from nntc.dialects.bm1684x import (
    ArEu,
    ArOp,
    ConvEu,
    ConvOp,
    DmaMatrixSp,
    DmaTensorSp,
    GdmaMatrixOp,
    GdmaTensorOp,
    Layout,
    MmEu,
    MmOp,
    PordEu,
    PordOp,
    Precision,
    SfuEu,
    SfuOp,
)
from nntc.passes.lowering.lmem import (
    EU_F32,
    F32_BYTES,
    NPU,
    Arena,
    LTensor,
    Shape4,
    elem_bytes,
    eu_of,
    rows,
    size_per_lane,
)
from nntc.passes.lowering.program import Program
from nntc.targets.bm1684x import chip

FP32 = Precision.FP32
NEG_FLT_MAX = 0xFF7FFFFF
"""-3.4028235e38 as f32 bits: the pad value of max pooling (the vendor's opd3)."""
NEG_MAX_BITS = {FP32: NEG_FLT_MAX, Precision.FP16: 0xFBFF, Precision.BF16: 0xFF7F}
"""The pad value of max pooling per type: the most negative finite value, in the immediate's
low-order bytes (the vendor's f16 and bf16 streams, docs/simulator.md)."""
MAX_DIM = (1 << 16) - 1
"""Shape fields of TIU and GDMA commands are 16 bits wide."""


class CannotLower(Exception):
    """A tpu op this code generator does not handle (yet); the pass reports it."""


def f32_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def float_bits(value: float, dtype: Precision) -> int:
    """The immediate field of a float `value` of type `dtype` (rounded to nearest even)."""
    if dtype is Precision.FP16:
        return struct.unpack("<H", struct.pack("<e", value))[0]
    if dtype is Precision.BF16:
        bits = f32_bits(value)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF
    return f32_bits(value)


def dense_strides(shape: Shape4) -> Shape4:
    """Element strides of a row-major (n, c, h, w) tensor in DDR."""
    _, c, h, w = shape
    return (c * h * w, h * w, w, 1)


def shape4(ty: object) -> Shape4:
    """A rank <= 4 tensor type as (n, c, h, w), leading dims padded with 1."""
    assert isinstance(ty, TensorType)
    dims = list(ty.get_shape())
    if len(dims) > 4:
        raise CannotLower(f"tensors of rank {len(dims)} (more than 4) are not supported")
    full = [1] * (4 - len(dims)) + dims
    if max(full) > MAX_DIM:
        raise CannotLower(f"a dimension of {dims} exceeds the 16-bit command fields")
    return (full[0], full[1], full[2], full[3])


def chunks(total: int, size: int) -> list[tuple[int, int]]:
    """`[(start, count), ...]` covering `range(total)` in pieces of at most `size`."""
    return [(s, min(size, total - s)) for s in range(0, total, size)]


# =============================================================================================
# Emitter: GDMA and TIU command helpers over a Program
# =============================================================================================


@dataclass
class Emitter:
    """Emits commands into `prog`; holds the next layer's prefetch until the first store."""

    prog: Program
    _prefetch: Callable[[], None] | None = None

    def defer_prefetch(self, fn: Callable[[], None] | None) -> None:
        self._prefetch = fn

    def flush_prefetch(self) -> None:
        if self._prefetch is not None:
            fn, self._prefetch = self._prefetch, None
            fn()

    # --- GDMA -------------------------------------------------------------------------------

    def load(self, dst: LTensor, src_addr: int, src_strides: Sequence[int]) -> None:
        """DDR -> local: `dst.shape` elements read with `src_strides` (0 = broadcast)."""
        self.prog.add(
            GdmaTensorOp,
            writes=[dst.range],
            cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True,
            nchw_copy=True,
            dtype=dst.dtype,
            src_addr=src_addr,
            src_shape=dst.shape,
            src_stride=tuple(src_strides),
            dst_addr=dst.gdma_addr(),
            dst_shape=(0, 0, 0, 0),
            dst_stride=dst.strides,
        )

    def store(self, src: LTensor, dst_addr: int, dst_strides: Sequence[int]) -> None:
        """Local -> DDR."""
        self.flush_prefetch()
        self.prog.add(
            GdmaTensorOp,
            reads=[src.range],
            cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True,
            nchw_copy=True,
            dtype=src.dtype,
            src_addr=src.gdma_addr(),
            src_shape=src.shape,
            src_stride=src.strides,
            dst_addr=dst_addr,
            dst_shape=(0, 0, 0, 0),
            dst_stride=tuple(dst_strides),
        )

    def copy_global(
        self, shape: Shape4, src: int, src_strides: Shape4, dst: int, dst_strides: Shape4
    ) -> None:
        """DDR -> DDR (concatenation)."""
        self.flush_prefetch()
        self.prog.add(
            GdmaTensorOp,
            cmd_special_function=DmaTensorSp.PLAIN,
            stride_enable=True,
            nchw_copy=True,
            dtype=FP32,
            src_addr=src,
            src_shape=shape,
            src_stride=src_strides,
            dst_addr=dst,
            dst_shape=(0, 0, 0, 0),
            dst_stride=dst_strides,
        )

    def load_matrix(self, dst: LTensor, gaddr: int, nrows: int, ncols: int, row_stride: int):
        """A (nrows, ncols) DDR matrix -> local matrix layout `dst` (rows, chans, 1, w)."""
        _, chans, _, w = dst.shape
        ns, cs, _, _ = dst.strides
        self.prog.add(
            GdmaMatrixOp,
            writes=[dst.range],
            cmd_special_function=DmaMatrixSp.PLAIN,
            stride_enable=True,
            dtype=dst.dtype,
            src_addr=gaddr,
            src_shape=(0, 0, nrows, ncols),
            src_stride=(0, 0, row_stride, 0),
            dst_addr=dst.gdma_addr(),
            dst_shape=(nrows, chans, 0, w),
            dst_stride=(ns, cs, 0, 0),
        )

    def store_matrix(self, src: LTensor, gaddr: int, nrows: int, ncols: int, row_stride: int):
        self.flush_prefetch()
        _, chans, _, w = src.shape
        ns, cs, _, _ = src.strides
        self.prog.add(
            GdmaMatrixOp,
            reads=[src.range],
            cmd_special_function=DmaMatrixSp.PLAIN,
            stride_enable=True,
            dtype=src.dtype,
            src_addr=src.gdma_addr(),
            src_shape=(nrows, chans, 0, w),
            src_stride=(ns, cs, 0, 0),
            dst_addr=gaddr,
            dst_shape=(0, 0, nrows, ncols),
            dst_stride=(0, 0, row_stride, 0),
        )

    # --- TIU --------------------------------------------------------------------------------

    def ar(
        self,
        eu: ArEu,
        res: LTensor,
        a: LTensor | float,
        b: LTensor | float | None,
        *,
        res_prec: Precision | None = None,
        a_prec: Precision | None = None,
        b_prec: Precision | None = None,
        round_mode: int = 0,
    ) -> None:
        """res = a <eu> b, EU-aligned; a and b tensors of res's shape or immediates (floats, or
        int for integer precisions), b None for one-operand ops (cast: the result is signed).
        A precision left out is the tensor's own (res's for an immediate)."""
        reads: list[tuple[int, int]] = []
        fields: dict[str, object] = {}
        res_prec = res.dtype if res_prec is None else res_prec
        for i, (x, given) in enumerate(((a, a_prec), (b, b_prec))):
            if x is None:
                continue
            p = given if given is not None else x.dtype if isinstance(x, LTensor) else res_prec
            if isinstance(x, LTensor):
                reads.append(x.range)
                fields[f"opd{i}_addr"] = x.addr()
            elif p in (FP32, Precision.FP16, Precision.BF16):
                fields |= {f"opd{i}_addr": float_bits(x, p), f"opd{i}_const": True}
            else:
                bits = int(x) & 0xFFFFFFFF
                fields |= {f"opd{i}_addr": bits, f"opd{i}_const": True}
            fields |= {f"opd{i}_prec": p, f"opd{i}_sign": True}
        if eu is ArEu.CAST:
            fields |= {"opd2_sign": True}
        self.prog.add(
            ArOp,
            reads=reads,
            writes=[res.range],
            tsk_eu_typ=eu,
            opd_num=1 if b is None else 2,
            res0_addr=res.addr(),
            res0_shape=res.shape,
            res0_prec=res_prec,
            round_mode=round_mode,
            **fields,
        )

    def sfu_taylor(self, res: LTensor, x: LTensor, table: int, terms: int) -> None:
        """res = sum_k table[k] x^k (k < terms), f32, EU-aligned."""
        self.prog.add(
            SfuOp,
            reads=[x.range],
            writes=[res.range],
            tsk_eu_typ=SfuEu.TAYLOR,
            res0_addr=res.addr(),
            res0_shape=res.shape,
            res0_prec=FP32,
            opd0_addr=x.addr(),
            opd0_prec=FP32,
            opd1_addr=table,
            opd1_n=terms,
        )

    def activation(self, t: LTensor, do_relu: bool, limit: float | None) -> None:
        """In-place ReLU (`max(x, 0)`) and its clip (`min(x, limit)`), as the vendor does."""
        if do_relu:
            self.ar(ArEu.MAX, t, t, 0.0)
        if do_relu and limit is not None:
            self.ar(ArEu.MIN, t, t, limit)


def pipeline(
    count: int,
    load: Callable[[int], None],
    compute: Callable[[int], None],
    store: Callable[[int], None],
) -> None:
    """Emit `count` steps so that load i+1 precedes compute i (double buffers assumed)."""
    if count == 0:
        return
    load(0)
    for i in range(count):
        if i + 1 < count:
            load(i + 1)
        compute(i)
        store(i)


# =============================================================================================
# Plans
# =============================================================================================


@dataclass
class LayerPlan(ABC):
    """What one tpu op emits; `prefetch` holds only weight loads (no activation inputs)."""

    name: str
    uses_lmem: bool = True

    def prefetch(self, em: Emitter) -> None:  # noqa: B027 (optional hook: most plans have none)
        """Weight loads that may run while the previous layer computes."""

    @abstractmethod
    def body(self, em: Emitter) -> None:
        """The layer's commands: loads of its inputs, compute, store of its result."""


@dataclass
class NoOpPlan(LayerPlan):
    """A tpu.reshape: its result shares its input's DDR bytes."""

    uses_lmem: bool = False

    def body(self, em: Emitter) -> None:
        return


@dataclass
class Window:
    """Geometry of a windowed op (conv, depthwise, pool) on NCHW."""

    n: int
    ic: int
    ih: int
    iw: int
    oc: int
    oh: int
    ow: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pl: int
    pb: int
    pr: int

    def in_rows(self, oh0: int, ohh: int) -> tuple[int, int, int, int]:
        """Input rows [ih0, ih0 + ihh) and the (top, bottom) padding for output rows."""
        start = oh0 * self.sh - self.pt
        end = (oh0 + ohh - 1) * self.sh - self.pt + (self.kh - 1) * self.dh + 1
        up, dn = max(0, -start), max(0, end - self.ih)
        ih0, ih1 = max(start, 0), min(end, self.ih)
        return ih0, ih1 - ih0, up, dn

    def max_in_rows(self, ohh: int) -> int:
        return min(self.ih, (ohh - 1) * self.sh + (self.kh - 1) * self.dh + 1)

    def window_fields(self, up: int, dn: int) -> dict[str, object]:
        return {
            "kernel": (self.kh, self.kw),
            "stride": (self.sh, self.sw),
            "ke_zero": (self.dh - 1, self.dw - 1),
            "pad": (up, dn, self.pl, self.pr),
        }


def _window(op: tpu.Conv2dOp | tpu.MaxPoolOp | tpu.AvgPoolOp) -> Window:
    n, ic, ih, iw = shape4(op.input.type)
    _, oc, oh, ow = shape4(op.output.type)
    if isinstance(op, tpu.Conv2dOp):
        fshape = op.filter.type
        assert isinstance(fshape, TensorType)
        kh, kw = fshape.get_shape()[2:]
        dh, dw = (int(v) for v in op.dilations.get_values())
    else:
        kh, kw = (int(v) for v in op.kernel_shape.get_values())
        dh = dw = 1
    sh, sw = (int(v) for v in op.strides.get_values())
    pt, pl, pb, pr = (int(v) for v in op.pads.get_values())
    return Window(n, ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr)


@dataclass(frozen=True)
class Slice:
    """Output slice: batch [n0, n0 + nn), channels [c0, c0 + cc), rows [h0, h0 + hh)."""

    n0: int
    nn: int
    c0: int
    cc: int
    h0: int
    hh: int


def _slices(n: int, nn: int, c: int, cc: int, h: int, hh: int) -> list[Slice]:
    return [
        Slice(n0, a, c0, b, h0, d)
        for c0, b in chunks(c, cc)
        for n0, a in chunks(n, nn)
        for h0, d in chunks(h, hh)
    ]


def _fit_rows(total: int, budget: int, need: Callable[[int], int], minimum: int = 1) -> int | None:
    """The largest row count in [minimum, total] whose `need` fits `budget`, else None."""
    lo, hi, best = minimum, total, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if need(mid) <= budget:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


# --- convolution ---------------------------------------------------------------------------


@dataclass
class ConvPlan(LayerPlan):
    """conv.normal (groups: one command per group on lane-shifted addresses)."""

    win: Window = field(default=None)  # type: ignore[assignment]
    group: int = 1
    do_relu: bool = False
    limit: float | None = None
    in_addr: int = 0
    w_addr: int = 0
    b_addr: int | None = None
    out_addr: int = 0
    occ: int = 0
    in_resident: bool = False
    """The input is already in `inbuf[0]`, whole (a layer group): no load."""
    store_out: bool = True
    """False when the result stays in local memory only (a layer group)."""
    slices: list[Slice] = field(default_factory=list)
    wbuf: list[LTensor] = field(default_factory=list)
    bbuf: list[LTensor] = field(default_factory=list)
    inbuf: list[LTensor] = field(default_factory=list)
    outbuf: list[LTensor] = field(default_factory=list)
    dt: Precision = FP32
    """Element type of the input, filter and result (the bias stays FP32)."""

    @property
    def icg(self) -> int:
        return self.win.ic // self.group

    @property
    def taps(self) -> int:
        return self.win.kh * self.win.kw

    @property
    def oc_chunks(self) -> list[tuple[int, int]]:
        return chunks(self.win.oc, self.occ)

    def _wview(self, k: int, occ: int) -> LTensor:
        shape = conv_filter_shape(occ, self.icg, self.taps, self.dt)
        return self.wbuf[k % len(self.wbuf)].view(shape)

    def _load_weights(self, em: Emitter, k: int) -> None:
        oc0, occ = self.oc_chunks[k]
        w = self._wview(k, occ)
        per_oc = w.shape[2] * w.shape[3]
        src = self.w_addr + oc0 * per_oc * elem_bytes(self.dt)
        em.load(w, src, (0, per_oc, w.shape[3], 1))
        if self.b_addr is not None:
            b = self.bbuf[k % len(self.bbuf)].view((1, occ, 1, 1))
            em.load(b, self.b_addr + oc0 * F32_BYTES, (0, 1, 1, 1))

    def prefetch(self, em: Emitter) -> None:
        self._load_weights(em, 0)

    def _load_input(self, em: Emitter, s: Slice, buf: LTensor) -> LTensor:
        win = self.win
        if self.in_resident:
            return buf
        ih0, ihh, _, _ = win.in_rows(s.h0, s.hh)
        t = buf.view((s.nn, win.ic, ihh, win.iw))
        src = self.in_addr + ((s.n0 * win.ic) * win.ih + ih0) * win.iw * elem_bytes(self.dt)
        em.load(t, src, dense_strides((win.n, win.ic, win.ih, win.iw)))
        return t

    def _compute(self, em: Emitter, s: Slice, k: int, inp: LTensor, out: LTensor) -> LTensor:
        win = self.win
        _, _, up, dn = win.in_rows(s.h0, s.hh)
        # a resident input holds all rows, maybe one more than the window reaches (stride): the
        # extra rows are never read, and its layout is that of its full height
        ihh = inp.shape[2]
        oc0, occ = self.oc_chunks[k]
        w = self._wview(k, occ)
        res = out.view((s.nn, occ, s.hh, win.ow))
        reads = [inp.range, w.range]
        b = None
        if self.b_addr is not None:
            b = self.bbuf[k % len(self.bbuf)].view((1, occ, 1, 1))
            reads.append(b.range)
        ocg = win.oc // self.group
        for g in range(self.group if self.group > 1 else 1):
            cin, cout = (g * self.icg, g * ocg) if self.group > 1 else (0, 0)
            count = ocg if self.group > 1 else occ
            bias = (
                {"opd2_addr": b.addr(cout)}
                if b is not None
                else {"opd2_addr": 0, "opd2_const": True}
            )
            em.prog.add(
                ConvOp,
                reads=reads,
                writes=[res.range],
                tsk_eu_typ=ConvEu.NORMAL,
                res0_addr=res.addr(cout),
                res0_shape=(s.nn, count, s.hh, win.ow),
                res0_prec=self.dt,
                opd0_addr=inp.addr(cin),
                opd0_shape=(self.icg, ihh, win.iw),
                opd0_prec=self.dt,
                opd1_addr=w.addr(cout),
                opd3_const=True,
                **bias,
                **win.window_fields(up, dn),
            )
        em.activation(res, self.do_relu, self.limit)
        return res

    def _store(self, em: Emitter, s: Slice, k: int, res: LTensor) -> None:
        win = self.win
        if not self.store_out:
            return
        oc0, _ = self.oc_chunks[k]
        dst = self.out_addr + ((s.n0 * win.oc + oc0) * win.oh + s.h0) * win.ow * elem_bytes(self.dt)
        em.store(res, dst, dense_strides((win.n, win.oc, win.oh, win.ow)))

    def body(self, em: Emitter) -> None:
        nk = len(self.oc_chunks)
        if len(self.slices) == 1 and nk > 1:
            # input resident, weight chunks streamed (double-buffered)
            s = self.slices[0]
            inp = self._load_input(em, s, self.inbuf[0])
            results: dict[int, LTensor] = {}

            def load(k: int) -> None:
                if k > 0:
                    self._load_weights(em, k)

            def compute(k: int) -> None:
                results[k] = self._compute(em, s, k, inp, self.outbuf[k % len(self.outbuf)])

            def store(k: int) -> None:
                self._store(em, s, k, results.pop(k))

            if len(self.wbuf) > 1:
                pipeline(nk, load, compute, store)
            else:  # one weight buffer: chunk k + 1 may only be loaded once chunk k is done
                for k in range(nk):
                    load(k)
                    compute(k)
                    store(k)
            return
        for k in range(nk):
            if k > 0:
                self._load_weights(em, k)
            self._slice_pipeline(em, k)

    def _slice_pipeline(self, em: Emitter, k: int) -> None:
        """Every N x H slice of output-channel chunk `k`, software-pipelined."""
        inputs: dict[int, LTensor] = {}
        results: dict[int, LTensor] = {}

        def load(i: int) -> None:
            inputs[i] = self._load_input(em, self.slices[i], self.inbuf[i % len(self.inbuf)])

        def compute(i: int) -> None:
            out = self.outbuf[i % len(self.outbuf)]
            results[i] = self._compute(em, self.slices[i], k, inputs.pop(i), out)

        def store(i: int) -> None:
            self._store(em, self.slices[i], k, results.pop(i))

        pipeline(len(self.slices), load, compute, store)


def conv_filter_shape(occ: int, icg: int, taps: int, dt: Precision) -> Shape4:
    """The local (compact) shape of `occ` output channels' filters: (ic, taps) per lane for f32;
    for 16-bit types the alignIC layout (isa.md §7.3, the vendor's f16 stream): input channels
    in blocks of `chip.cube_num(16)`, zero-padded, taps x block channels per block."""
    if dt is FP32:
        return (1, occ, icg, taps)
    cube = chip.cube_num(8 * elem_bytes(dt))
    return (1, occ, 1, -(-icg // cube) * cube * taps)


def conv_weight_bytes(occ: int, icg: int, taps: int, bias: bool, dt: Precision = FP32) -> int:
    """Bytes per lane of one weight buffer: `occ` output channels' filters and their biases."""
    return size_per_lane(conv_filter_shape(occ, icg, taps, dt), True, dt) + (
        size_per_lane((1, occ, 1, 1), True) if bias else 0
    )


@dataclass(frozen=True)
class ConvSlicing:
    """How a convolution is cut: `occ` output channels per weight chunk, held in `wbufs` weight
    buffers (2 stream the chunks), `nn` images and `hh` output rows per slice."""

    hh: int
    occ: int
    nn: int
    wbufs: int


def search_conv_slicing(
    win: Window,
    group: int,
    budget: int,
    bias: bool,
    dt: Precision = FP32,
    min_rows: int = 1,
    first_fit: bool = True,
) -> ConvSlicing | None:
    """The slicing of a convolution over `win` whose double buffers fit `budget` bytes per lane,
    None if none does (at least `min_rows` output rows a slice).

    Output-channel chunks are tried from all channels down to one lane row; for each chunk,
    two weight buffers then one, the whole batch then one image, each with the most rows that
    fit. The first chunk size that reaches min(oh, 8) rows ends the search. With `first_fit`
    the first (buffers, batch) option to reach it is taken, else the tallest of that chunk
    size's options (`plan_deconv`). A grouped conv runs one command per group on lane-shifted
    addresses: all output channels, N = 1.
    """
    icg, taps = win.ic // group, win.kh * win.kw
    occ_options = (
        [win.oc] if group > 1 else [win.oc] + [NPU * r for r in range(rows(win.oc) - 1, 0, -1)]
    )
    nn_options = [1] if group > 1 else sorted({win.n, 1}, reverse=True)
    enough = min(win.oh, 8)
    best: ConvSlicing | None = None
    for occ in occ_options:
        nk = -(-win.oc // occ)
        wbytes = conv_weight_bytes(occ, icg, taps, bias, dt)
        for wbufs in (1,) if nk == 1 else (2, 1):
            for nn in nn_options:

                def need(
                    hh: int,
                    nn: int = nn,
                    occ: int = occ,
                    weights: int = wbufs * wbytes,
                    nk: int = nk,
                ) -> int:
                    nslices = -(-win.n // nn) * -(-win.oh // hh)
                    bufs = 1 if nslices == 1 else 2
                    obufs = 2 if nslices > 1 or nk > 1 else 1
                    inb = size_per_lane((nn, win.ic, win.max_in_rows(hh), win.iw), False, dt)
                    outb = size_per_lane((nn, occ, hh, win.ow), False, dt)
                    return weights + bufs * inb + obufs * outb + 4 * Arena.ALIGN

                hh = _fit_rows(win.oh, budget, need, min_rows)
                if hh is not None and (best is None or hh > best.hh):
                    best = ConvSlicing(hh, occ, nn, wbufs)
                    if first_fit and hh >= enough:
                        return best
        if best is not None and best.hh >= enough:
            return best
    return best


def build_conv_plan(
    op: tpu.Conv2dOp | tpu.Deconv2dOp,
    name: str,
    win: Window,
    cut: ConvSlicing,
    slices: list[Slice],
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> ConvPlan:
    """The `ConvPlan` of `op` cut as `cut` into `slices`, its buffers allocated in `arena`."""
    group = op.group.value.data
    nk = -(-win.oc // cut.occ)
    nbufs = 1 if len(slices) == 1 else 2
    plan = ConvPlan(
        name,
        win=win,
        group=group,
        do_relu=bool(op.do_relu.value.data),
        limit=None if op.relu_limit is None else op.relu_limit.value.data,
        in_addr=addr(op.input),
        w_addr=addr(op.filter),
        b_addr=None if op.bias is None else addr(op.bias),
        out_addr=addr(op.output),
        occ=cut.occ,
        slices=slices,
        dt=dt,
    )
    wshape = conv_filter_shape(cut.occ, win.ic // group, win.kh * win.kw, dt)
    plan.wbuf = [arena.alloc(wshape, True, dt) for _ in range(cut.wbufs)]
    if op.bias is not None:
        plan.bbuf = [arena.alloc((1, cut.occ, 1, 1), compact=True) for _ in range(cut.wbufs)]
    inshape = (cut.nn, win.ic, win.max_in_rows(cut.hh), win.iw)
    plan.inbuf = [arena.alloc(inshape, False, dt) for _ in range(nbufs)]
    obufs = 2 if len(slices) > 1 or nk > 1 else 1
    plan.outbuf = [arena.alloc((cut.nn, cut.occ, cut.hh, win.ow), False, dt) for _ in range(obufs)]
    return plan


def plan_conv(
    op: tpu.Conv2dOp,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
):
    win = _window(op)
    group = op.group.value.data
    if group > 1 and group == win.ic == win.oc:
        return plan_depthwise(op, name, arena, addr, dt)
    if group > 1 and dt is not FP32:
        raise CannotLower(f"conv {name}: grouped {dt.value} conv (group {group})")
    bias = op.bias is not None
    cut = search_conv_slicing(win, group, arena.size, bias, dt)
    if cut is None:
        wbytes = conv_weight_bytes(min(win.oc, NPU), win.ic // group, win.kh * win.kw, bias, dt)
        raise CannotLower(
            f"conv {name}: no slicing fits local memory (weights {wbytes} "
            f"bytes per lane for 64 output channels)"
        )
    slices = _slices(win.n, cut.nn, 1, 1, win.oh, cut.hh)
    return build_conv_plan(op, name, win, cut, slices, arena, addr, dt)


# --- depthwise convolution and pooling (pord) ----------------------------------------------


@dataclass
class PordPlan(LayerPlan):
    """pord.depthwise / maxpooling / avgpooling over channel chunks x N x H slices."""

    kind: PordEu = PordEu.MAXPOOLING
    win: Window = field(default=None)  # type: ignore[assignment]
    do_relu: bool = False
    limit: float | None = None
    scale: float = 1.0
    in_addr: int = 0
    out_addr: int = 0
    k_addr: int | None = None
    b_addr: int | None = None
    in_resident: bool = False
    """The input is already in `inbuf[0]`, whole (a layer group): no load."""
    store_out: bool = True
    """False when the result stays in local memory only (a layer group)."""
    slices: list[Slice] = field(default_factory=list)
    kbuf: LTensor | None = None
    bbuf: LTensor | None = None
    inbuf: list[LTensor] = field(default_factory=list)
    outbuf: list[LTensor] = field(default_factory=list)
    dt: Precision = FP32
    """Element type of every operand (depthwise kernels and biases included)."""

    def prefetch(self, em: Emitter) -> None:
        taps = self.win.kh * self.win.kw
        if self.kbuf is not None and self.k_addr is not None:
            em.load(self.kbuf, self.k_addr, (0, taps, self.win.kw, 1))
        if self.bbuf is not None and self.b_addr is not None:
            em.load(self.bbuf, self.b_addr, (0, 1, 1, 1))

    def emit(self, em: Emitter, inp: LTensor, res: LTensor, up: int, dn: int, c0: int = 0) -> None:
        """The pord command of `res` from `inp`, whose first row is the window's first with `up`
        and `dn` rows of padding (`Window.in_rows`), then the activation; the kernel and bias
        are read from channel `c0` of `kbuf` and `bbuf` (a depthwise conv's channel chunk)."""
        reads = [inp.range]
        fields: dict[str, object] = {"opd3_const": True}
        kind = self.kind
        if kind is PordEu.MAXPOOLING:
            fields["opd3_addr"] = NEG_MAX_BITS[self.dt]
        elif kind is PordEu.AVGPOOLING:
            scale = float_bits(self.scale, self.dt)
            fields |= {"opd1_addr": scale, "opd1_const": True, "round_mode": 5}
        else:
            assert self.kbuf is not None
            k = self.kbuf
            reads.append(k.range)
            fields["opd1_addr"] = k.addr(c0)
            if self.bbuf is not None:
                reads.append(self.bbuf.range)
                fields["opd2_addr"] = self.bbuf.addr(c0)
            else:
                fields |= {"opd2_addr": 0, "opd2_const": True}
            if self.do_relu and self.limit is None:
                kind = PordEu.DEPTHWISERELU
        em.prog.add(
            PordOp,
            reads=reads,
            writes=[res.range],
            tsk_eu_typ=kind,
            res0_addr=res.addr(),
            res0_shape=res.shape,
            res0_prec=self.dt,
            opd0_addr=inp.addr(),
            opd0_shape=(inp.shape[2], self.win.iw),
            opd0_prec=self.dt,
            **self.win.window_fields(up, dn),
            **fields,
        )
        if kind is not PordEu.DEPTHWISERELU:
            em.activation(res, self.do_relu, self.limit)

    def body(self, em: Emitter) -> None:
        win = self.win
        eb = elem_bytes(self.dt)
        inputs: dict[int, tuple[LTensor, int, int]] = {}
        results: dict[int, LTensor] = {}

        def load(i: int) -> None:
            s = self.slices[i]
            ih0, ihh, up, dn = win.in_rows(s.h0, s.hh)
            if self.in_resident:
                inputs[i] = (self.inbuf[0], up, dn)
                return
            t = self.inbuf[i % len(self.inbuf)].view((s.nn, s.cc, ihh, win.iw))
            src = self.in_addr + ((s.n0 * win.ic + s.c0) * win.ih + ih0) * win.iw * eb
            em.load(t, src, dense_strides((win.n, win.ic, win.ih, win.iw)))
            inputs[i] = (t, up, dn)

        def compute(i: int) -> None:
            s = self.slices[i]
            inp, up, dn = inputs.pop(i)
            res = self.outbuf[i % len(self.outbuf)].view((s.nn, s.cc, s.hh, win.ow))
            self.emit(em, inp, res, up, dn, s.c0)
            results[i] = res

        def store(i: int) -> None:
            s = self.slices[i]
            if not self.store_out:
                results.pop(i)
                return
            dst = self.out_addr + ((s.n0 * win.oc + s.c0) * win.oh + s.h0) * win.ow * eb
            em.store(results.pop(i), dst, dense_strides((win.n, win.oc, win.oh, win.ow)))

        pipeline(len(self.slices), load, compute, store)


def _plan_pord(
    name: str,
    win: Window,
    arena: Arena,
    kind: PordEu,
    extra: Callable[[int], int],
    make: Callable[[list[Slice], int], PordPlan],
    dt: Precision = FP32,
) -> PordPlan:
    """Choose channel chunk, batch and rows so that double buffers fit next to `extra(cc)`."""
    best: tuple[int, int, int] | None = None
    for cc in [win.ic] + [NPU * r for r in range(rows(win.ic) - 1, 0, -1)]:
        for nn in sorted({win.n, 1}, reverse=True):

            def need(hh: int, nn: int = nn, cc: int = cc) -> int:
                single = win.n == nn and win.ic == cc and hh == win.oh
                bufs = 1 if single else 2
                inb = size_per_lane((nn, cc, win.max_in_rows(hh), win.iw), False, dt)
                outb = size_per_lane((nn, cc, hh, win.ow), False, dt)
                return extra(cc) + bufs * (inb + outb) + 256

            hh = _fit_rows(win.oh, arena.size, need)
            if hh is not None and (best is None or hh > best[0]):
                best = (hh, cc, nn)
            if hh is not None and hh >= min(win.oh, 8):
                break
        if best is not None and best[0] >= min(win.oh, 8):
            break
    if best is None:
        raise CannotLower(f"{kind.value} {name}: no slicing fits local memory")
    hh, cc, nn = best
    slices = _slices(win.n, nn, win.ic, cc, win.oh, hh)
    return make(slices, cc)


def plan_depthwise(
    op: tpu.Conv2dOp,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
):
    win = _window(op)
    has_bias = op.bias is not None

    def extra(cc: int) -> int:
        return size_per_lane((1, win.ic, win.kh, win.kw), True, dt) + (
            size_per_lane((1, win.ic, 1, 1), True, dt) if has_bias else 0
        )

    def make(slices: list[Slice], cc: int) -> PordPlan:
        plan = PordPlan(
            name,
            kind=PordEu.DEPTHWISE,
            win=win,
            do_relu=bool(op.do_relu.value.data),
            limit=None if op.relu_limit is None else op.relu_limit.value.data,
            in_addr=addr(op.input),
            out_addr=addr(op.output),
            k_addr=addr(op.filter),
            b_addr=addr(op.bias) if op.bias is not None else None,
            slices=slices,
            dt=dt,
        )
        plan.kbuf = arena.alloc((1, win.ic, win.kh, win.kw), True, dt)
        if has_bias:
            plan.bbuf = arena.alloc((1, win.ic, 1, 1), True, dt)
        _alloc_io(plan, arena, slices, win)
        return plan

    return _plan_pord(name, win, arena, PordEu.DEPTHWISE, extra, make, dt)


def _alloc_io(plan: PordPlan, arena: Arena, slices: list[Slice], win: Window) -> None:
    s0 = slices[0]
    nbufs = 1 if len(slices) == 1 else 2
    inshape = (s0.nn, s0.cc, win.max_in_rows(s0.hh), win.iw)
    plan.inbuf = [arena.alloc(inshape, False, plan.dt) for _ in range(nbufs)]
    plan.outbuf = [arena.alloc((s0.nn, s0.cc, s0.hh, win.ow), False, plan.dt) for _ in range(nbufs)]


def plan_pool(
    op: tpu.MaxPoolOp | tpu.AvgPoolOp,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> PordPlan:
    win = _window(op)
    kind = PordEu.MAXPOOLING if isinstance(op, tpu.MaxPoolOp) else PordEu.AVGPOOLING

    def make(slices: list[Slice], cc: int) -> PordPlan:
        plan = PordPlan(
            name,
            kind=kind,
            win=win,
            do_relu=bool(op.do_relu.value.data),
            limit=None if op.relu_limit is None else op.relu_limit.value.data,
            scale=1.0 / (win.kh * win.kw),
            in_addr=addr(op.input),
            out_addr=addr(op.output),
            slices=slices,
            dt=dt,
        )
        _alloc_io(plan, arena, slices, win)
        return plan

    return _plan_pord(name, win, arena, kind, lambda cc: 0, make, dt)


# --- elementwise ---------------------------------------------------------------------------


@dataclass
class EltwisePlan(LayerPlan):
    """arith add / sub / mul (a chain for more inputs) with broadcasting loads, then ReLU."""

    eu: ArEu = ArEu.ADD
    shape: Shape4 = (1, 1, 1, 1)
    inputs: list[tuple[int, Shape4]] = field(default_factory=list)
    """(DDR address, DDR strides with 0 on broadcast dims) per input."""
    do_relu: bool = False
    limit: float | None = None
    out_addr: int = 0
    resident: list[bool] = field(default_factory=list)
    """Per input: already whole in `bufs[0][j]` (a layer group), no load."""
    store_out: bool = True
    """False when the result stays in local memory only (a layer group)."""
    slices: list[Slice] = field(default_factory=list)
    bufs: list[list[LTensor]] = field(default_factory=list)
    """bufs[i % 2][j]: input j of slice i, then the scratch tensors; the result is written over
    input 0."""
    unary: Callable[[Emitter, LTensor, list[LTensor]], None] | None = None
    """For a one-input function: emits it in place on the input, given the scratch tensors."""
    dt: Precision = FP32
    """Element type of the inputs and the result."""
    unary_f32: bool = False
    """A 16-bit `unary` computed in f32: the slice is cast into the first (f32) scratch tensor,
    the sequence runs there on f32 scratch and the result is cast back (nearest even)."""

    def body(self, em: Emitter) -> None:
        loaded: dict[int, list[LTensor]] = {}
        eb = elem_bytes(self.dt)

        def load(i: int) -> None:
            s = self.slices[i]
            views = []
            for j, (gaddr, st) in enumerate(self.inputs):
                if j < len(self.resident) and self.resident[j]:
                    views.append(self.bufs[0][j])
                    continue
                t = self.bufs[i % len(self.bufs)][j].view((s.nn, s.cc, s.hh, self.shape[3]))
                em.load(t, gaddr + (s.n0 * st[0] + s.c0 * st[1] + s.h0 * st[2]) * eb, st)
                views.append(t)
            loaded[i] = views

        def compute(i: int) -> None:
            views = loaded[i]
            acc = views[0]
            if self.unary is not None:
                bufs = self.bufs[i % len(self.bufs)][len(self.inputs) :]
                tmp = [b.view(acc.shape) for b in bufs]
                if self.unary_f32:
                    em.ar(ArEu.CAST, tmp[0], acc, None)
                    self.unary(em, tmp[0], tmp[1:])
                    em.ar(ArEu.CAST, acc, tmp[0], None)
                else:
                    self.unary(em, acc, tmp)
            for other in views[1:]:
                em.ar(self.eu, acc, acc, other)
            em.activation(acc, self.do_relu, self.limit)

        def store(i: int) -> None:
            s = self.slices[i]
            acc = loaded.pop(i)[0]
            if not self.store_out:
                return
            dst = (
                self.out_addr
                + (s.n0 * self.shape[1] * self.shape[2] + s.c0 * self.shape[2] + s.h0)
                * self.shape[3]
                * eb
            )
            em.store(acc, dst, dense_strides(self.shape))

        pipeline(len(self.slices), load, compute, store)


def _broadcast_strides(operand: Shape4, out: Shape4) -> Shape4:
    dense = dense_strides(operand)
    return tuple(0 if operand[d] == 1 and out[d] != 1 else dense[d] for d in range(4))  # type: ignore[return-value]


def plan_eltwise(
    op: Operation,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    eu: ArEu,
    operands: Sequence[SSAValue],
    do_relu: bool,
    limit: float | None,
    unary: Callable[[Emitter, LTensor, list[LTensor]], None] | None = None,
    scratch: int = 0,
    dt: Precision = FP32,
    unary_f32: bool = False,
) -> EltwisePlan:
    """`unary_f32`: a 16-bit (`dt`) `unary` computes in f32 (`EltwisePlan.unary_f32`)."""
    out = shape4(op.results[0].type)
    ranks = {len(v.type.get_shape()) for v in operands}  # type: ignore[attr-defined]
    if max(ranks) > 4:
        raise CannotLower(f"{op.name} {name}: operands of rank > 4 are not supported")
    ins = []
    for v in operands:
        s = shape4(v.type)
        ins.append((addr(v), _broadcast_strides(s, out)))
    # a 16-bit unary computed in f32 needs one more (f32) scratch tensor, for the cast slice
    sdt, nscratch = (FP32, scratch + 1) if unary_f32 else (dt, scratch)
    n, c, h, w = out
    best: tuple[int, int, int] | None = None
    for cc in [c] + [NPU * r for r in range(rows(c) - 1, 0, -1)]:
        for nn in sorted({n, 1}, reverse=True):

            def need(hh: int, nn: int = nn, cc: int = cc) -> int:
                bufs = 1 if (nn == n and cc == c and hh == h) else 2
                part = (nn, cc, hh, w)
                return bufs * (
                    len(ins) * (size_per_lane(part, False, dt) + Arena.ALIGN)
                    + nscratch * (size_per_lane(part, False, sdt) + Arena.ALIGN)
                )

            hh = _fit_rows(h, arena.size, need)
            if hh is not None and (best is None or hh > best[0]):
                best = (hh, cc, nn)
            if hh is not None and hh >= min(h, 8):
                break
        if best is not None and best[0] >= min(h, 8):
            break
    if best is None:
        raise CannotLower(f"{op.name} {name}: rows of {w} elements do not fit local memory")
    hh, cc, nn = best
    slices = _slices(n, nn, c, cc, h, hh)
    nbufs = 1 if len(slices) == 1 else 2
    plan = EltwisePlan(
        name,
        eu=eu,
        shape=out,
        inputs=ins,
        do_relu=do_relu,
        limit=limit,
        out_addr=addr(op.results[0]),
        slices=slices,
        unary=unary,
        dt=dt,
        unary_f32=unary_f32,
    )
    part = (nn, cc, hh, w)
    plan.bufs = [
        [arena.alloc(part, False, dt) for _ in ins]
        + [arena.alloc(part, False, sdt) for _ in range(nscratch)]
        for _ in range(nbufs)
    ]
    return plan


# --- float conversion ----------------------------------------------------------------------


@dataclass
class CastPlan(LayerPlan):
    """A DDR tensor converted between float types (f32 <-> f16 / bf16): load, `arith.cast`
    (round to nearest even), store, in N x C x H slices."""

    shape: Shape4 = (1, 1, 1, 1)
    src_addr: int = 0
    dst_addr: int = 0
    src_dt: Precision = FP32
    dst_dt: Precision = FP32
    slices: list[Slice] = field(default_factory=list)
    bufs: list[tuple[LTensor, LTensor]] = field(default_factory=list)

    def body(self, em: Emitter) -> None:
        _, c, h, w = self.shape
        views: dict[int, tuple[LTensor, LTensor]] = {}

        def first(s: Slice) -> int:
            return (s.n0 * c * h + s.c0 * h + s.h0) * w

        def load(i: int) -> None:
            s = self.slices[i]
            src, dst = self.bufs[i % len(self.bufs)]
            part = (s.nn, s.cc, s.hh, w)
            views[i] = (src.view(part), dst.view(part))
            addr = self.src_addr + first(s) * elem_bytes(self.src_dt)
            em.load(views[i][0], addr, dense_strides(self.shape))

        def compute(i: int) -> None:
            src, dst = views[i]
            em.ar(ArEu.CAST, dst, src, None)

        def store(i: int) -> None:
            s = self.slices[i]
            _, dst = views.pop(i)
            addr = self.dst_addr + first(s) * elem_bytes(self.dst_dt)
            em.store(dst, addr, dense_strides(self.shape))

        pipeline(len(self.slices), load, compute, store)


def plan_cast(
    name: str,
    shape: Shape4,
    src: tuple[int, Precision],
    dst: tuple[int, Precision],
    arena: Arena,
) -> CastPlan:
    """Convert the dense (n, c, h, w) tensor at DDR address `src[0]` of type `src[1]` into one
    of type `dst[1]` at `dst[0]`, sliced (as elementwise layers are) to fit `arena`."""
    n, c, h, w = shape
    best: tuple[int, int, int] | None = None
    for cc in [c] + [NPU * r for r in range(rows(c) - 1, 0, -1)]:
        for nn in sorted({n, 1}, reverse=True):

            def need(hh: int, nn: int = nn, cc: int = cc) -> int:
                bufs = 1 if (nn == n and cc == c and hh == h) else 2
                part = (nn, cc, hh, w)
                each = size_per_lane(part, False, src[1]) + size_per_lane(part, False, dst[1])
                return bufs * (each + 2 * Arena.ALIGN)

            hh = _fit_rows(h, arena.size, need)
            if hh is not None and (best is None or hh > best[0]):
                best = (hh, cc, nn)
        if best is not None and best[0] >= min(h, 8):
            break
    if best is None:
        raise CannotLower(f"cast {name}: rows of {w} elements do not fit local memory")
    hh, cc, nn = best
    slices = _slices(n, nn, c, cc, h, hh)
    plan = CastPlan(
        name,
        shape=shape,
        src_addr=src[0],
        dst_addr=dst[0],
        src_dt=src[1],
        dst_dt=dst[1],
        slices=slices,
    )
    part = (nn, cc, hh, w)
    plan.bufs = [
        (arena.alloc(part, False, src[1]), arena.alloc(part, False, dst[1]))
        for _ in range(1 if len(slices) == 1 else 2)
    ]
    return plan


# --- matrix product ------------------------------------------------------------------------


@dataclass
class MatMulPlan(LayerPlan):
    """mm.normal: left (M, K) x right (K, N) + bias, in the vendor's matrix layout.

    Rows of the left matrix are sliced by `mc`, the reduction by `kc` (partial products are
    accumulated with `res_add`); the right matrix and the bias are resident when K fits."""

    m: int = 0
    k: int = 0
    n: int = 0
    w0: int = EU_F32
    rw: int = EU_F32
    mc: int = 0
    kc: int = 0
    do_relu: bool = False
    limit: float | None = None
    a_addr: int = 0
    b_addr: int = 0
    bias_addr: int | None = None
    out_addr: int = 0
    left: list[LTensor] = field(default_factory=list)
    right: list[LTensor] = field(default_factory=list)
    bias: LTensor | None = None
    out: list[LTensor] = field(default_factory=list)
    early_right: bool = True
    """The right matrix and the bias are weights or net inputs, in DDR before the net starts, so
    they may be loaded while the previous layer runs; a computed one is loaded in `body`."""
    dt: Precision = FP32
    """Element type of both matrices, the bias and the result."""

    @property
    def rc(self) -> int:
        return -(-self.n // self.rw)

    def _load_right(self, em: Emitter, j: int, step: int) -> None:
        k0, kk = chunks(self.k, self.kc)[j]
        t = self.right[step % len(self.right)].view((kk, self.rc, 1, self.rw))
        em.load_matrix(t, self.b_addr + k0 * self.n * elem_bytes(self.dt), kk, self.n, self.n)

    def prefetch(self, em: Emitter) -> None:
        if self.early_right:
            self._load_resident(em)

    def _load_resident(self, em: Emitter) -> None:
        self._load_right(em, 0, 0)
        if self.bias is not None and self.bias_addr is not None:
            em.load_matrix(self.bias, self.bias_addr, 1, self.n, self.n)

    def body(self, em: Emitter) -> None:
        if not self.early_right:
            self._load_resident(em)
        kchunks = chunks(self.k, self.kc)
        mchunks = chunks(self.m, self.mc)
        steps = [(mi, kj) for mi in range(len(mchunks)) for kj in range(len(kchunks))]
        lefts: dict[int, LTensor] = {}

        def load(i: int) -> None:
            mi, kj = steps[i]
            m0, mm = chunks(self.m, self.mc)[mi]
            k0, kk = kchunks[kj]
            if len(kchunks) > 1 and i > 0:
                self._load_right(em, kj, i)
            c0 = -(-kk // self.w0)
            t = self.left[i % len(self.left)].view((mm, c0, 1, self.w0))
            src = self.a_addr + (m0 * self.k + k0) * elem_bytes(self.dt)
            em.load_matrix(t, src, mm, kk, self.k)
            lefts[i] = t

        def compute(i: int) -> None:
            mi, kj = steps[i]
            _, mm = chunks(self.m, self.mc)[mi]
            _, kk = kchunks[kj]
            left = lefts.pop(i)
            c0 = left.shape[1]
            right = self.right[i % len(self.right)].view((kk, self.rc, 1, self.rw))
            res = self.out[mi % len(self.out)].view((mm, self.rc, 1, self.rw))
            reads = [left.range, right.range]
            fields: dict[str, object] = {}
            if self.bias is not None and kj == 0:
                reads.append(self.bias.range)
                fields["opd2_addr"] = self.bias.addr()
            else:
                fields |= {"opd2_addr": 0, "opd2_const": True}
            em.prog.add(
                MmOp,
                reads=reads + ([res.range] if kj > 0 else []),
                writes=[res.range],
                tsk_eu_typ=MmEu.NORMAL,
                res0_addr=res.addr(),
                res0_c=self.rc,
                res0_w=self.rw,
                res0_prec=self.dt,
                opd0_addr=left.addr(),
                opd0_n=mm,
                opd0_c=c0,
                opd0_w=self.w0,
                opd1_w=kk - self.w0 * (c0 - 1),
                opd0_prec=self.dt,
                opd1_addr=right.addr(),
                res_add=kj > 0,
                **fields,
            )
            if kj == len(kchunks) - 1:
                em.activation(res, self.do_relu, self.limit)

        def store(i: int) -> None:
            mi, kj = steps[i]
            if kj != len(kchunks) - 1:
                return
            m0, mm = chunks(self.m, self.mc)[mi]
            res = self.out[mi % len(self.out)].view((mm, self.rc, 1, self.rw))
            dst = self.out_addr + m0 * self.n * elem_bytes(self.dt)
            em.store_matrix(res, dst, mm, self.n, self.n)

        pipeline(len(steps), load, compute, store)


def plan_matmul(
    op: tpu.MatMulOp,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> MatMulPlan:
    a_shape = op.input.type.get_shape()  # type: ignore[attr-defined]
    k = a_shape[-1]
    m = math.prod(a_shape[:-1])
    n = op.right.type.get_shape()[-1]  # type: ignore[attr-defined]
    if max(m, k, n) > MAX_DIM:
        raise CannotLower(f"matmul {name}: M, K or N above {MAX_DIM}")
    eu = eu_of(dt)
    rw = max(eu, tpu.align_up(-(-n // NPU), eu))
    rc = -(-n // rw)
    best: tuple[int, int] | None = None
    for kc in [k] + [c for c in (4096, 2048, 1024, 512, 256, 128, 64, 32, 16) if c < k]:
        w0 = max(eu, tpu.align_up(-(-kc // NPU), eu))
        c0 = -(-kc // w0)
        for mc in sorted({m, *[c for c in (1024, 256, 64, 16, 4, 1) if c < m]}, reverse=True):
            nk, nm = -(-k // kc), -(-m // mc)
            rb = (1 if nk == 1 else 2) * size_per_lane((kc, rc, 1, rw), False, dt)
            lb = (1 if nk * nm == 1 else 2) * size_per_lane((mc, c0, 1, w0), False, dt)
            ob = (1 if nm == 1 else 2) * size_per_lane((mc, rc, 1, rw), False, dt)
            bb = size_per_lane((1, rc, 1, rw), False, dt) if op.bias is not None else 0
            if rb + lb + ob + bb + 5 * Arena.ALIGN <= arena.size:
                best = (kc, mc)
                break
        if best is not None:
            break
    if best is None:
        raise CannotLower(f"matmul {name}: no slicing fits local memory")
    kc, mc = best
    w0 = max(eu, tpu.align_up(-(-kc // NPU), eu))
    c0 = -(-kc // w0)
    nk, nm = -(-k // kc), -(-m // mc)
    plan = MatMulPlan(
        name,
        m=m,
        k=k,
        n=n,
        w0=w0,
        rw=rw,
        mc=mc,
        kc=kc,
        do_relu=bool(op.do_relu.value.data),
        limit=None if op.relu_limit is None else op.relu_limit.value.data,
        a_addr=addr(op.input),
        b_addr=addr(op.right),
        bias_addr=addr(op.bias) if op.bias is not None else None,
        out_addr=addr(op.output),
        early_right=all(
            isinstance(v, BlockArgument) or isinstance(v.owner, top.WeightOp)
            for v in (op.right, op.bias)
            if v is not None
        ),
        dt=dt,
    )
    plan.right = [arena.alloc((kc, rc, 1, rw), False, dt) for _ in range(1 if nk == 1 else 2)]
    plan.left = [arena.alloc((mc, c0, 1, w0), False, dt) for _ in range(1 if nk * nm == 1 else 2)]
    plan.out = [arena.alloc((mc, rc, 1, rw), False, dt) for _ in range(1 if nm == 1 else 2)]
    if op.bias is not None:
        plan.bias = arena.alloc((1, rc, 1, rw), False, dt)
    return plan


# --- concatenation -------------------------------------------------------------------------


@dataclass
class ConcatPlan(LayerPlan):
    """DDR -> DDR copies of each input into its place in the result."""

    uses_lmem: bool = False
    copies: list[tuple[Shape4, int, Shape4, int, Shape4]] = field(default_factory=list)

    def body(self, em: Emitter) -> None:
        for shape, src, sst, dst, dstr in self.copies:
            em.copy_global(shape, src, sst, dst, dstr)


def plan_concat(op: tpu.ConcatOp, name: str, addr: Callable[[SSAValue], int]) -> ConcatPlan:
    out = op.output.type.get_shape()  # type: ignore[attr-defined]
    axis = op.axis.value.data
    outer = math.prod(out[:axis])
    inner = math.prod(out[axis + 1 :])
    last = out[-1] if axis < len(out) - 1 else 1
    plan = ConcatPlan(name)
    offset = 0
    dst_base = addr(op.output)
    for v in op.inputs:
        mid = v.type.get_shape()[axis]  # type: ignore[attr-defined]
        shape = (outer, mid, inner // last, last)
        if max(shape) > MAX_DIM:
            raise CannotLower(f"concat {name}: a dimension exceeds the 16-bit DMA fields")
        src_st = dense_strides(shape)
        dst_st = (out[axis] * inner, inner, last, 1)
        plan.copies.append((shape, addr(v), src_st, dst_base + offset * inner * F32_BYTES, dst_st))
        offset += mid
    return plan


# --- elementwise functions (AR chains and the SFU) -----------------------------------------

LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
EXP_TAYLOR_ADDR = chip.STATIC_MEM_BASE + chip.STATIC_EXP_TAYLOR_OFFSET
"""The exp Taylor coefficients 1 / k! in static memory (isa.md §7.2)."""
EXP_TAYLOR_TERMS = 10
"""Terms of the series on [0, ln 2): the truncation error ln(2)^10 / 10! is below 1e-8."""
EXP_ARG_MIN, EXP_ARG_MAX = -126.0, 127.0
"""log2 range kept so that 2^n is a normal f32 (exp below 2^-126 reads as 2^-126 * e^f)."""
F32_MANTISSA_SCALE = 1 << 23
"""Multiplying a biased exponent by this puts it in the exponent bits of an f32."""
F32_EXPONENT_BIAS = 127


def emit_exp(em: Emitter, t: LTensor, s1: LTensor, s2: LTensor, scale: float = 1.0) -> None:
    """In place: t = exp(scale * t), with two scratch tensors of t's shape.

    exp(x) = 2^n * e^(f ln 2) with x log2(e) = n + f, n = floor: n goes into the exponent bits
    of an f32 with integer AR ops (the bits of (n + 127) * 2^23 are exactly 2^n), and e^(f ln 2)
    on [0, ln 2) is the SFU Taylor series over the static-memory table of 1 / k!.
    """
    i32 = Precision.INT32
    em.ar(ArEu.MUL, t, t, scale * LOG2E)
    em.ar(ArEu.MAX, t, t, EXP_ARG_MIN)
    em.ar(ArEu.MIN, t, t, EXP_ARG_MAX)
    em.ar(ArEu.CAST, s1, t, None, res_prec=i32, round_mode=3)  # n = floor, as int32
    em.ar(ArEu.CAST, s2, s1, None, a_prec=i32)  # n as f32
    em.ar(ArEu.SUB, t, t, s2)  # f in [0, 1)
    em.ar(ArEu.MUL, t, t, LN2)
    em.sfu_taylor(s2, t, EXP_TAYLOR_ADDR, EXP_TAYLOR_TERMS)  # e^(f ln 2) = 2^f
    em.ar(ArEu.ADD, s1, s1, F32_EXPONENT_BIAS, res_prec=i32, a_prec=i32, b_prec=i32)
    em.ar(ArEu.MUL, s1, s1, F32_MANTISSA_SCALE, res_prec=i32, a_prec=i32, b_prec=i32)
    em.ar(ArEu.MUL, t, s2, s1)  # s1's bits read as f32 are 2^n


def emit_sigmoid(em: Emitter, t: LTensor, s1: LTensor, s2: LTensor) -> None:
    """In place: t = 1 / (1 + exp(-t))."""
    emit_exp(em, t, s1, s2, scale=-1.0)
    em.ar(ArEu.ADD, t, t, 1.0)
    em.ar(ArEu.DIV, t, 1.0, t)


def emit_hardsigmoid(em: Emitter, t: LTensor, alpha: float, beta: float) -> None:
    """In place: t = max(0, min(1, alpha * t + beta))."""
    em.ar(ArEu.MUL, t, t, alpha)
    em.ar(ArEu.ADD, t, t, beta)
    em.ar(ArEu.MAX, t, t, 0.0)
    em.ar(ArEu.MIN, t, t, 1.0)


def plan_unary(
    op: Operation,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> EltwisePlan:
    """tpu.exp / sigmoid / hardsigmoid: one input, an in-place AR (and SFU) sequence. With a
    16-bit `dt` the hard sigmoid's AR ops run in `dt`, while exp and sigmoid compute in f32
    between two casts (the exp sequence builds 2^n in the exponent bits of an f32)."""
    if isinstance(op, tpu.HardSigmoidOp):
        alpha, beta = op.alpha.value.data, op.beta.value.data
        return plan_eltwise(
            op, name, arena, addr, ArEu.ADD, (op.input,), False, None,
            unary=lambda em, t, s: emit_hardsigmoid(em, t, alpha, beta), dt=dt,
        )  # fmt: skip
    fn = emit_exp if isinstance(op, tpu.ExpOp) else emit_sigmoid
    return plan_eltwise(
        op, name, arena, addr, ArEu.ADD, (op.input,), False, None,
        unary=lambda em, t, s: fn(em, t, s[0], s[1]), scratch=2, dt=dt, unary_f32=dt is not FP32,
    )  # fmt: skip


# --- data movement in DDR: nearest upsampling, depth to space ------------------------------


def _move_plan(name: str, copies: list[tuple[Shape4, int, Shape4, int, Shape4]]) -> ConcatPlan:
    for shape, *_ in copies:
        if max(shape) > MAX_DIM:
            raise CannotLower(f"{name}: a dimension of {list(shape)} exceeds the 16-bit DMA fields")
    plan = ConcatPlan(name)
    plan.copies = copies
    return plan


def plan_upsample(op: tpu.UpsampleOp, name: str, addr: Callable[[SSAValue], int]) -> ConcatPlan:
    """One DDR -> DDR copy per output row phase: input (n*c, h, w) read with a 0 stride that
    repeats each element scale_w times, written every scale_h-th row."""
    n, c, h, w = shape4(op.input.type)
    sh, sw = (int(v) for v in op.scales.get_values())
    ow = w * sw
    src, dst = addr(op.input), addr(op.output)
    copies = [
        ((n * c, h, w, sw), src, (h * w, w, 1, 0), dst + a * ow * F32_BYTES, (h * sh * ow, sh * ow, sw, 1))
        for a in range(sh)
    ]  # fmt: skip
    return _move_plan(name, copies)


def plan_depth_to_space(
    op: tpu.DepthToSpaceOp, name: str, addr: Callable[[SSAValue], int]
) -> ConcatPlan:
    """One DDR -> DDR copy per (a, b) phase: channel group a*bw + b to rows bh*i + a and columns
    bw*j + b of the result."""
    n, cin, h, w = shape4(op.input.type)
    _, c, oh, ow = shape4(op.output.type)
    bh, bw = (int(v) for v in op.block.get_values())
    src, dst = addr(op.input), addr(op.output)
    copies = []
    for a in range(bh):
        for b in range(bw):
            at = src + (a * bw + b) * c * h * w * F32_BYTES
            to = dst + (a * ow + b) * F32_BYTES
            copies.append(((n, c, h, w), at, (cin * h * w, h * w, w, 1), to, (c * oh * ow, oh * ow, bh * ow, bw)))  # fmt: skip
    return _move_plan(name, copies)


# --- softmax and layer normalisation: rows reduced along W ---------------------------------


def _row_pool(em: Emitter, kind: PordEu, res: LTensor, x: LTensor, scale: float = 1.0) -> None:
    """res (n, c, 1, 1) = the max, or `scale` times the sum, of each (n, c) row of the f32
    tensor x (n, c, 1, A): a pord pool with a 1 x A window."""
    a = x.shape[3]
    fields: dict[str, object]
    if kind is PordEu.MAXPOOLING:
        fields = {"opd3_addr": NEG_FLT_MAX, "opd3_const": True}
    else:  # a window sum times the average pool's scale
        fields = {
            "opd1_addr": f32_bits(scale),
            "opd1_const": True,
            "opd3_const": True,
            "round_mode": 5,
        }
    em.prog.add(
        PordOp,
        reads=[x.range],
        writes=[res.range],
        tsk_eu_typ=kind,
        res0_addr=res.addr(),
        res0_shape=res.shape,
        res0_prec=FP32,
        opd0_addr=x.addr(),
        opd0_shape=(1, a),
        opd0_prec=FP32,
        kernel=(1, a),
        stride=(1, 1),
        ke_zero=(0, 0),
        pad=(0, 0, 0, 0),
        **fields,
    )


def _row_broadcast(em: Emitter, eu: ArEu, t: LTensor, row: LTensor) -> None:
    """t = t <eu> row (f32), `row` (n, c, 1, 1) read with W stride 0."""
    ns, cs, _, _ = row.strides
    em.prog.add(
        ArOp,
        reads=[t.range, row.range],
        writes=[t.range],
        tsk_eu_typ=eu,
        opd_num=2,
        res0_addr=t.addr(),
        res0_shape=t.shape,
        res0_prec=FP32,
        opd0_addr=t.addr(),
        opd0_prec=FP32,
        opd0_sign=True,
        opd1_addr=row.addr(),
        opd1_prec=FP32,
        opd1_sign=True,
        opd1_layout=Layout.FREE,
        opd1_stride=(ns, cs, 0, 0),
    )


RSQRT_NEWTON_STEPS = 1
"""Newton steps the SFU applies after its table seed (opd2_n_str + 1)."""


def emit_rsqrt(em: Emitter, res: LTensor, x: LTensor) -> None:
    """res = 1 / sqrt(x) by the SFU, f32."""
    em.prog.add(
        SfuOp,
        reads=[x.range],
        writes=[res.range],
        tsk_eu_typ=SfuEu.RSQRT,
        res0_addr=res.addr(),
        res0_shape=res.shape,
        res0_prec=FP32,
        opd0_addr=x.addr(),
        opd0_prec=FP32,
        opd1_n=0,
        iterations=RSQRT_NEWTON_STEPS - 1,
    )


@dataclass
class SoftmaxPlan(LayerPlan):
    """Softmax along one axis, laid out so that the axis is the W of a local (n, c, 1, A) tensor:
    the rows to normalise spread over the lanes (c) and the batch (n), each row's A elements in
    one lane. Per slice: max over W (a pord max pool with a 1 x A window), subtract it broadcast
    along W (an AR whose second operand has W stride 0), exp (`emit_exp`), sum over W (a 1 x A
    average pool with scale 1) and a broadcast division. A 16-bit softmax (`dt` F16/BF16, in
    INT8 nets) loads and stores 16-bit rows and computes in f32 between two `arith.cast`s, as
    the vendor's half-precision softmax kernels do (f32 local copies of the rows)."""

    shape: Shape4 = (1, 1, 1, 1)
    """The local view (n, c, 1, A) of the whole tensor."""
    ddr_strides: Shape4 = (0, 0, 0, 0)
    """DDR element strides of that view (the axis need not be contiguous)."""
    in_addr: int = 0
    out_addr: int = 0
    slices: list[Slice] = field(default_factory=list)
    bufs: list[LTensor] = field(default_factory=list)
    scratch: list[LTensor] = field(default_factory=list)
    """Two exp scratch tensors and the (n, c, 1, 1) row reduction."""
    dt: Precision = FP32
    """Element type of the DDR tensors and of `bufs`."""
    work: LTensor | None = None
    """The f32 copy of a 16-bit slice (None in f32: the sequence runs on `bufs`)."""

    def _offset(self, s: Slice) -> int:
        return (s.n0 * self.ddr_strides[0] + s.c0 * self.ddr_strides[1]) * elem_bytes(self.dt)

    def body(self, em: Emitter) -> None:
        a = self.shape[3]
        loaded: dict[int, LTensor] = {}

        def load(i: int) -> None:
            s = self.slices[i]
            t = self.bufs[i % len(self.bufs)].view((s.nn, s.cc, 1, a))
            em.load(t, self.in_addr + self._offset(s), self.ddr_strides)
            loaded[i] = t

        def compute(i: int) -> None:
            t = loaded[i]
            x = t if self.work is None else self.work.view(t.shape)
            if x is not t:
                em.ar(ArEu.CAST, x, t, None)
            s1, s2 = (b.view(x.shape) for b in self.scratch[:2])
            row = self.scratch[2].view((x.shape[0], x.shape[1], 1, 1))
            _row_pool(em, PordEu.MAXPOOLING, row, x)
            _row_broadcast(em, ArEu.SUB, x, row)  # exp of (x - max) cannot overflow
            emit_exp(em, x, s1, s2)
            _row_pool(em, PordEu.AVGPOOLING, row, x)
            _row_broadcast(em, ArEu.DIV, x, row)
            if x is not t:
                em.ar(ArEu.CAST, t, x, None)  # to nearest even

        def store(i: int) -> None:
            s = self.slices[i]
            em.store(loaded.pop(i), self.out_addr + self._offset(s), self.ddr_strides)

        pipeline(len(self.slices), load, compute, store)


def plan_softmax(
    op: tpu.SoftmaxOp,
    name: str,
    arena: Arena,
    addr: Callable[[SSAValue], int],
    dt: Precision = FP32,
) -> SoftmaxPlan:
    """Any axis of any rank: (outer, A, inner) becomes the local view (1, outer, 1, A) when the
    axis is the last one (contiguous rows), else (outer, inner, 1, A) read with W stride
    `inner` (a strided, slower DMA). `dt`: the DDR element type (f32 inside)."""
    dims = list(op.input.type.get_shape())  # type: ignore[attr-defined]
    axis = op.axis.value.data
    outer, a, inner = math.prod(dims[:axis]), dims[axis], math.prod(dims[axis + 1 :])
    if inner == 1:
        shape: Shape4 = (1, outer, 1, a)
        strides: Shape4 = (outer * a, a, a, 1)
    else:
        shape = (outer, inner, 1, a)
        strides = (a * inner, 1, a * inner, inner)
    if max(shape) > MAX_DIM:
        raise CannotLower(f"softmax {name}: view {list(shape)} exceeds the 16-bit command fields")
    n, c, _, _ = shape
    f32_tensors = 2 if dt is FP32 else 3  # exp scratch (+ the f32 work copy)
    best: tuple[int, int] | None = None  # (cc, nn)
    for cc in [c] + [NPU * r for r in range(rows(c) - 1, 0, -1)]:
        for nn in sorted({n, 1}, reverse=True):
            bufs = 1 if (nn == n and cc == c) else 2
            part = (nn, cc, 1, a)
            need = (
                bufs * (size_per_lane(part, False, dt) + Arena.ALIGN)
                + f32_tensors * (size_per_lane(part) + Arena.ALIGN)
                + size_per_lane((nn, cc, 1, 1))
            )
            if need + Arena.ALIGN <= arena.size:
                best = (cc, nn)
                break
        if best is not None:
            break
    if best is None:
        raise CannotLower(f"softmax {name}: rows of {a} elements do not fit local memory")
    cc, nn = best
    slices = _slices(n, nn, c, cc, 1, 1)
    plan = SoftmaxPlan(
        name,
        shape=shape,
        ddr_strides=strides,
        in_addr=addr(op.input),
        out_addr=addr(op.output),
        slices=slices,
        dt=dt,
    )
    plan.bufs = [
        arena.alloc((nn, cc, 1, a), False, dt) for _ in range(1 if len(slices) == 1 else 2)
    ]
    plan.scratch = [arena.alloc((nn, cc, 1, a)) for _ in range(2)]
    plan.scratch.append(arena.alloc((nn, cc, 1, 1)))
    if dt is not FP32:
        plan.work = arena.alloc((nn, cc, 1, a))
    return plan


@dataclass
class LayerNormPlan(LayerPlan):
    """Layer normalisation of 16-bit rows (F16/BF16 layers of INT8 nets), computed in f32 in
    local memory, as the vendor's half-precision layernorm kernels do (they cast to f32 for
    the pooling). The
    normalized dims are the W of a local (1, rows, 1, A) view, one row per lane. Per slice:
    load (`dt`), `arith.cast` to f32, mean (a 1 x A average pool with scale 1 / A), subtract
    it broadcast along W, square, variance (average pool), + epsilon, SFU rsqrt, multiply
    broadcast, times the scale and plus the bias (f32 rows loaded once into every lane with a
    zero DDR channel stride), `arith.cast` back, store. (F32 layernorms run `lower-to-tpu`'s
    pools and elementwise ops instead.)"""

    shape: Shape4 = (1, 1, 1, 1)
    """The local view (1, rows, 1, A) of the whole tensor."""
    in_addr: int = 0
    out_addr: int = 0
    affine_addrs: list[int] = field(default_factory=list)
    """DDR addresses of the f32 scale row and then the bias row, those the layer has."""
    has_scale: bool = False
    eps: float = 1e-5
    dt: Precision = FP32
    slices: list[Slice] = field(default_factory=list)
    bufs: list[LTensor] = field(default_factory=list)
    """The `dt` slices (double-buffered when there are several)."""
    work: list[LTensor] = field(default_factory=list)
    """f32: the slice, its square, the (1, c, 1, 1) row statistic."""
    affine: list[LTensor] = field(default_factory=list)

    def prefetch(self, em: Emitter) -> None:
        for gaddr, t in zip(self.affine_addrs, self.affine, strict=True):
            em.load(t, gaddr, (0, 0, 0, 1))

    def body(self, em: Emitter) -> None:
        a = self.shape[3]
        c = self.shape[1]
        loaded: dict[int, LTensor] = {}

        def load(i: int) -> None:
            s = self.slices[i]
            t = self.bufs[i % len(self.bufs)].view((1, s.cc, 1, a))
            em.load(t, self.in_addr + s.c0 * a * elem_bytes(self.dt), (c * a, a, a, 1))
            loaded[i] = t

        def compute(i: int) -> None:
            t = loaded[i]
            x, sq = (b.view(t.shape) for b in self.work[:2])
            row = self.work[2].view((1, t.shape[1], 1, 1))
            em.ar(ArEu.CAST, x, t, None)
            _row_pool(em, PordEu.AVGPOOLING, row, x, 1.0 / a)  # mean
            _row_broadcast(em, ArEu.SUB, x, row)
            em.ar(ArEu.MUL, sq, x, x)
            _row_pool(em, PordEu.AVGPOOLING, row, sq, 1.0 / a)  # variance
            em.ar(ArEu.ADD, row, row, self.eps)
            emit_rsqrt(em, row, row)
            _row_broadcast(em, ArEu.MUL, x, row)
            for j, w in enumerate(self.affine):
                scale = j == 0 and self.has_scale
                em.ar(ArEu.MUL if scale else ArEu.ADD, x, x, w.view(x.shape))
            em.ar(ArEu.CAST, t, x, None)  # to nearest even

        def store(i: int) -> None:
            s = self.slices[i]
            dst = self.out_addr + s.c0 * a * elem_bytes(self.dt)
            em.store(loaded.pop(i), dst, (c * a, a, a, 1))

        pipeline(len(self.slices), load, compute, store)


def plan_layernorm(
    name: str,
    dims: Sequence[int],
    axis: int,
    eps: float,
    arena: Arena,
    addrs: tuple[int, int, int | None, int | None],
    dt: Precision,
) -> LayerNormPlan:
    """Normalise the dense `dims` tensor over its dims from `axis` on: `addrs` = DDR input,
    output, f32 scale and bias rows of the normalized size (None: absent). Slices of whole
    lane rows; a row must fit local memory (else CannotLower)."""
    outer, a = math.prod(dims[:axis]), math.prod(dims[axis:])
    if max(outer, a) > MAX_DIM:
        raise CannotLower(
            f"layernorm {name}: view {[1, outer, 1, a]} exceeds the 16-bit command fields"
        )
    in_addr, out_addr, scale_addr, bias_addr = addrs
    affine_addrs = [x for x in (scale_addr, bias_addr) if x is not None]
    best: int | None = None
    for cc in [outer] + [NPU * r for r in range(rows(outer) - 1, 0, -1)]:
        bufs = 1 if cc == outer else 2
        part = (1, cc, 1, a)
        need = (
            bufs * (size_per_lane(part, False, dt) + Arena.ALIGN)
            + (2 + len(affine_addrs)) * (size_per_lane(part) + Arena.ALIGN)
            + size_per_lane((1, cc, 1, 1))
        )
        if need + Arena.ALIGN <= arena.size:
            best = cc
            break
    if best is None:
        raise CannotLower(f"layernorm {name}: rows of {a} elements do not fit local memory")
    slices = _slices(1, 1, outer, best, 1, 1)
    plan = LayerNormPlan(
        name,
        shape=(1, outer, 1, a),
        in_addr=in_addr,
        out_addr=out_addr,
        affine_addrs=affine_addrs,
        has_scale=scale_addr is not None,
        eps=eps,
        dt=dt,
        slices=slices,
    )
    part = (1, best, 1, a)
    plan.bufs = [arena.alloc(part, False, dt) for _ in range(1 if len(slices) == 1 else 2)]
    plan.work = [arena.alloc(part), arena.alloc(part), arena.alloc((1, best, 1, 1))]
    plan.affine = [arena.alloc(part) for _ in affine_addrs]
    return plan
