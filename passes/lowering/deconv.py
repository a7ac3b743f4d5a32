"""The layer plan of `tpu.deconv2d`: conv.normal with zeros inserted into its input.

A transposed convolution with stride s is the stride-1 convolution of the equivalent filter
(which `lower-to-tpu` writes) over the input with s - 1 zeros between neighbouring pixels and
`dilation * (k - 1) - pad` rows/columns of padding. The conv command does the insertion itself
(its `opd0_y_ins0` / `opd0_x_ins0` fields, `in_zero` in the bm1684x dialect), so the plan is
`ConvPlan` with a window that maps output rows to the input rows they read through the
inserted zeros: no zero-filled copy of the input ever exists in memory.

Output rows are cut into slices, as for a convolution; each slice loads only the input rows
its window meets, with the padding and the zeros before/after them as the command's top and
bottom pads. Slices are at least `stride` rows tall so that each meets at least one input row
(the command reads at least one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

from nntc.dialects import tpu
from nntc.passes.lowering.layers import (
    CannotLower,
    ConvPlan,
    Slice,
    Window,
    build_conv_plan,
    conv_weight_bytes,
    search_conv_slicing,
    shape4,
)
from nntc.passes.lowering.lmem import NPU, Arena
from nntc.targets.bm1684x.codec import COMMAND_CLASSES

_CONV = COMMAND_CLASSES["CONV"]
CONV_MAX_PAD = _CONV.field("opd0_up_pad").mask
"""The most padding rows/columns one side of a conv command takes (a 4-bit field)."""
CONV_MAX_INSERT = _CONV.field("opd0_y_ins0").mask
"""The most zeros a conv command inserts between two input pixels (a 4-bit field)."""


@dataclass
class InsertedWindow(Window):
    """A stride-1 window over the input with (ins_h, ins_w) zeros between its pixels.

    `pt, pl, pb, pr` are the padding of the zero-inserted input; input row i sits at row
    `pt + i * (ins_h + 1)` of that canvas.
    """

    ins_h: int = 0
    ins_w: int = 0

    def in_rows(self, oh0: int, ohh: int) -> tuple[int, int, int, int]:
        step = self.ins_h + 1
        start = oh0 - self.pt  # first canvas row read, with input row 0 at 0
        end = start + ohh - 1 + (self.kh - 1) * self.dh + 1
        first = max(0, -(-start // step))
        last = min(self.ih - 1, (end - 1) // step)
        if last < first:
            raise CannotLower(f"output rows [{oh0}, {oh0 + ohh}) read no input row")
        return first, last - first + 1, first * step - start, end - (last * step + 1)

    def max_in_rows(self, ohh: int) -> int:
        span = ohh + (self.kh - 1) * self.dh
        return min(self.ih, -(-span // (self.ins_h + 1)))

    def window_fields(self, up: int, dn: int) -> dict[str, object]:
        if max(up, dn) > CONV_MAX_PAD:
            raise CannotLower(f"conv pads ({up}, {dn}) above {CONV_MAX_PAD}")
        return super().window_fields(up, dn) | {"in_zero": (self.ins_h, self.ins_w)}


def deconv_window(op: tpu.Deconv2dOp) -> InsertedWindow:
    n, ic, ih, iw = shape4(op.input.type)
    _, oc, oh, ow = shape4(op.output.type)
    fshape = op.filter.type
    assert isinstance(fshape, TensorType)
    kh, kw = fshape.get_shape()[2:]
    sh, sw = (int(v) for v in op.strides.get_values())
    dh, dw = (int(v) for v in op.dilations.get_values())
    pt, pl, pb, pr = (int(v) for v in op.pads.get_values())
    oph, opw = (int(v) for v in op.output_padding.get_values())
    canvas_pads = (
        dh * (kh - 1) - pt,
        dw * (kw - 1) - pl,
        dh * (kh - 1) - pb + oph,
        dw * (kw - 1) - pr + opw,
    )
    if min(canvas_pads) < 0 or max(canvas_pads) > CONV_MAX_PAD:
        raise CannotLower(
            f"deconv pads {[pt, pl, pb, pr]} need conv pads {list(canvas_pads)}, outside "
            f"[0, {CONV_MAX_PAD}]"
        )
    if max(sh, sw) - 1 > CONV_MAX_INSERT:
        raise CannotLower(f"strides {[sh, sw]} above {CONV_MAX_INSERT + 1}")
    cpt, cpl, cpb, cpr = canvas_pads
    return InsertedWindow(
        n, ic, ih, iw, oc, oh, ow, kh, kw, 1, 1, dh, dw, cpt, cpl, cpb, cpr, sh - 1, sw - 1
    )


def _balanced(total: int, most: int) -> list[tuple[int, int]]:
    """`[(start, count), ...]` covering `range(total)` in equal pieces of at most `most`."""
    k = -(-total // most)
    bounds = [total * i // k for i in range(k + 1)]
    return [(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


def plan_deconv(
    op: tpu.Deconv2dOp, name: str, arena: Arena, addr: Callable[[SSAValue], int]
) -> ConvPlan:
    """`plan_conv`'s slicing search and plan on the inserted window, in balanced slices."""
    win = deconv_window(op)
    group = op.group.value.data
    bias = op.bias is not None
    # slices of at least two strides of rows (all rows, if fewer): each meets an input row
    min_rows = min(win.oh, 2 * (win.ins_h + 1))
    cut = search_conv_slicing(win, group, arena.size, bias, min_rows=min_rows, first_fit=False)
    if cut is None:
        wbytes = conv_weight_bytes(min(win.oc, NPU), win.ic // group, win.kh * win.kw, bias)
        raise CannotLower(
            f"deconv {name}: no slicing fits local memory (weights {wbytes} "
            f"bytes per lane for 64 output channels, at least {min_rows} output rows)"
        )
    slices = [
        Slice(n0, a, 0, 1, h0, d)
        for n0, a in _balanced(win.n, cut.nn)
        for h0, d in _balanced(win.oh, cut.hh)
    ]
    for s in slices:
        win.in_rows(s.h0, s.hh)  # every slice meets an input row (raises otherwise)
    return build_conv_plan(op, name, win, cut, slices, arena, addr)


__all__ = ["CONV_MAX_INSERT", "CONV_MAX_PAD", "InsertedWindow", "deconv_window", "plan_deconv"]
