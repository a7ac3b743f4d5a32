"""`lower-to-bm1684x{layer-group=true}`: the grouping decisions and end-to-end results.

Numerics go through the simulator and are compared with onnxruntime exactly as in
`test_e2e_f32` (same acceptance); the decisions are read from the layer map and the DMA
commands (a resident intermediate is neither stored nor loaded)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import helper
from test_e2e_f32 import COSINE_MIN, REL_ERR_MAX, _model, small_resnet
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects.bm1684x import BM1684X, CmdGroupOp, GdmaTensorOp
from nntc.dialects.top import Top
from nntc.dialects.tpu import Tpu
from nntc.passes.assign_gmem import AssignGmemPass
from nntc.passes.layer_group import dma_cycles
from nntc.passes.lower_to_bm1684x import LowerToBm1684xPass
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.onnx import import_onnx
from nntc.targets.weight_store import attach_weight_store, weight_store_of

ort = pytest.importorskip("onnxruntime")


def compile_onnx(model: onnx.ModelProto, group: bool) -> tuple[ModuleOp, bytes]:
    module, store = import_onnx(model)
    attach_weight_store(module, store)
    ctx = Context()
    for dialect in (Builtin, func.Func, Top, Tpu, BM1684X):
        ctx.load_dialect(dialect)
    passes = (CanonicalizePass(), LowerToTpuPass(), AssignGmemPass(),
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
