"""End to end in FP32: ONNX -> top -> canonicalize -> lower-to-tpu -> assign-gmem ->
lower-to-bm1684x -> bmodel -> simulator, compared with onnxruntime.

Acceptance as in the issue: cosine >= 0.99999 and max abs error <= 1e-3 x max|ref|. The models
are built with `onnx.helper` here (one op kind each, then a small ResNet-like net), plus the
shared ResNet-18 / MobileNetV2 builders at a small input size.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects.bm1684x import BM1684X, CmdGroupOp
from nntc.dialects.top import Top
from nntc.dialects.tpu import Tpu
from nntc.passes.assign_gmem import AssignGmemPass
from nntc.passes.lower_to_bm1684x import LowerToBm1684xPass
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.onnx import import_onnx
from nntc.targets.weight_store import attach_weight_store, weight_store_of

ort = pytest.importorskip("onnxruntime")

COSINE_MIN = 0.99999
REL_ERR_MAX = 1e-3


def compile_onnx(model: onnx.ModelProto) -> tuple[ModuleOp, bytes]:
    """The pipeline in one process (no re-parsing); returns the final module and bmodel bytes."""
    module, store = import_onnx(model)
    attach_weight_store(module, store)
    ctx = Context()
    for dialect in (Builtin, func.Func, Top, Tpu, BM1684X):
        ctx.load_dialect(dialect)
    for p in (CanonicalizePass(), LowerToTpuPass(), AssignGmemPass(), LowerToBm1684xPass()):
        p.apply(ctx, module)
        module.verify()
    return module, bmodel_bytes(ir_to_bmodel(module, weight_store_of(module)))


def run_and_compare(model: onnx.ModelProto, x: np.ndarray) -> dict[str, object]:
    module, data = compile_onnx(model)
    result = Simulator(data).run({"input": x})
    (ref,) = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})
    (out,) = result.outputs.values()
    assert out.shape == ref.shape
    cos = float(np.dot(out.ravel(), ref.ravel()) / np.linalg.norm(out) / np.linalg.norm(ref))
    err = float(np.abs(out - ref).max())
    assert cos >= COSINE_MIN, f"cosine {cos}"
    assert err <= REL_ERR_MAX * float(np.abs(ref).max()), f"max error {err}"
    return result.report


def _model(
    nodes: list[onnx.NodeProto],
    in_shape: list[int],
    out_shape: list[int],
    weights: dict[str, np.ndarray],
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    return model


def _conv_out(size: int, k: int, stride: int, pad: int, dil: int) -> int:
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def conv_model(
    ic: int = 3,
    oc: int = 16,
    size: int = 16,
    k: int = 3,
    stride: int = 1,
    pad: int = 1,
    group: int = 1,
    dil: int = 1,
    n: int = 1,
    relu: bool = True,
    seed: int = 0,
) -> tuple[onnx.ModelProto, np.ndarray]:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((oc, ic // group, k, k)) * (2.0 / (ic // group * k * k)) ** 0.5
    b = rng.standard_normal(oc)
    out = "c" if relu else "output"
    nodes = [
        helper.make_node(
            "Conv",
            ["input", "W", "B"],
            [out],
            name="conv",
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pad] * 4,
            group=group,
            dilations=[dil, dil],
        )
    ]
    if relu:
        nodes.append(helper.make_node("Relu", ["c"], ["output"], name="relu"))
    o = _conv_out(size, k, stride, pad, dil)
    model = _model(nodes, [n, ic, size, size], [n, oc, o, o], {"W": w, "B": b})
    return model, rng.standard_normal((n, ic, size, size)).astype(np.float32)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="conv_relu"),
        pytest.param({"stride": 2, "size": 17, "relu": False}, id="conv_stride2"),
        pytest.param({"ic": 32, "oc": 32, "group": 32}, id="depthwise"),
        pytest.param({"ic": 96, "oc": 96, "group": 96, "stride": 2, "size": 15}, id="dw_96"),
        pytest.param({"ic": 16, "oc": 32, "group": 4}, id="grouped"),
        pytest.param({"dil": 2, "pad": 2, "size": 20}, id="dilated"),
        pytest.param({"n": 2, "ic": 8, "oc": 8}, id="batch2"),
        # 3x224x224 input does not fit half a lane: sliced along H with halos
        pytest.param({"oc": 64, "size": 224, "k": 7, "stride": 2, "pad": 3}, id="h_split"),
        # 512x512x3x3 weights (147 KB per lane) are streamed in output-channel chunks
        pytest.param({"ic": 512, "oc": 512, "size": 4}, id="oc_split"),
    ],
)
def test_conv(kwargs: dict[str, int]) -> None:
    model, x = conv_model(**kwargs)
    run_and_compare(model, x)


_RNG = np.random.default_rng(1)
_X = _RNG.standard_normal((1, 8, 12, 12)).astype(np.float32)
_SHAPE = [1, 8, 12, 12]


def _node(op: str, inputs: list[str], output: str = "output", **attrs: object):
    return helper.make_node(op, inputs, [output], **attrs)


OP_MODELS = {
    "maxpool": ([_node("MaxPool", ["input"], kernel_shape=[3, 3], strides=[2, 2],
                       pads=[1, 1, 1, 1])], [1, 8, 6, 6], {}),
    "maxpool_ceil": ([_node("MaxPool", ["input"], kernel_shape=[3, 3], strides=[2, 2],
                            ceil_mode=1)], [1, 8, 6, 6], {}),
    "avgpool": ([_node("AveragePool", ["input"], kernel_shape=[2, 2], strides=[2, 2])],
                [1, 8, 6, 6], {}),
    "avgpool_pad": ([_node("AveragePool", ["input"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                           count_include_pad=1)], _SHAPE, {}),
    "global_avgpool": ([_node("GlobalAveragePool", ["input"])], [1, 8, 1, 1], {}),
    "global_maxpool": ([_node("GlobalMaxPool", ["input"])], [1, 8, 1, 1], {}),
    "add_per_channel": ([_node("Add", ["input", "b"])], _SHAPE,
                        {"b": _RNG.standard_normal((1, 8, 1, 1))}),
    "add_last_axis": ([_node("Add", ["input", "b"])], _SHAPE, {"b": _RNG.standard_normal(12)}),
    "sub_hw": ([_node("Sub", ["input", "b"])], _SHAPE, {"b": _RNG.standard_normal((1, 1, 12, 12))}),
    "mul_per_channel": ([_node("Mul", ["input", "b"])], _SHAPE,
                        {"b": _RNG.standard_normal((1, 8, 1, 1))}),
    "relu6": ([_node("Clip", ["input", "lo", "hi"])], _SHAPE,
              {"lo": np.array(0.0), "hi": np.array(0.5)}),
    "gemm_transb": ([_node("Flatten", ["input"], "f"), _node("Gemm", ["f", "W", "B"], transB=1)],
                    [1, 10], {"W": _RNG.standard_normal((10, 1152)) * 0.05,
                              "B": _RNG.standard_normal(10)}),
    # right matrix of 9.2 MB: split along K, partial products accumulated with res_add
    "matmul_k_split": ([_node("Flatten", ["input"], "f"), _node("MatMul", ["f", "W"])],
                       [1, 2000], {"W": _RNG.standard_normal((1152, 2000)) * 0.05}),
    "concat_channels": ([_node("Relu", ["input"], "r"), _node("Concat", ["input", "r"], axis=1)],
                        [1, 16, 12, 12], {}),
    "concat_width": ([_node("Relu", ["input"], "r"), _node("Concat", ["input", "r"], axis=3)],
                     [1, 8, 12, 24], {}),
    "div_const": ([_node("Div", ["input", "d"])], _SHAPE, {"d": np.array([6.0])}),
    "div_tensor": ([_node("Relu", ["input"], "r"), _node("Add", ["r", "one"], "d"),
                    _node("Div", ["input", "d"])], _SHAPE, {"one": np.array([0.5])}),
    "batchnorm": ([_node("BatchNormalization", ["input", "s", "b", "m", "v"], epsilon=1e-3)],
                  _SHAPE, {"s": _RNG.standard_normal(8), "b": _RNG.standard_normal(8),
                           "m": _RNG.standard_normal(8), "v": _RNG.uniform(0.5, 2.0, 8)}),
    "hardsigmoid": ([_node("HardSigmoid", ["input"], alpha=0.3, beta=0.4)], _SHAPE, {}),
    # x * hardsigmoid(x) (alpha 1/6, beta 1/2): canonicalize recognises it as hard-swish
    "hardswish": ([_node("Mul", ["input", "k"], "t"),
                   _node("HardSigmoid", ["t"], "g", alpha=1.0 / 6.0, beta=0.5),
                   _node("Mul", ["t", "g"])], _SHAPE, {"k": np.array([4.0])}),
    "sigmoid": ([_node("Mul", ["input", "k"], "t"), _node("Sigmoid", ["t"])], _SHAPE,
                {"k": np.array([8.0])}),
    # arguments from about -25 to 25: many binades of the 2^n factor
    "exp": ([_node("Mul", ["input", "k"], "t"), _node("Exp", ["t"])], _SHAPE,
            {"k": np.array([6.0])}),
    "resize_nearest_x2": ([_node("Resize", ["input", "", "sc"], mode="nearest",
                                 coordinate_transformation_mode="asymmetric",
                                 nearest_mode="floor")],
                          [1, 8, 24, 24], {"sc": np.array([1.0, 1.0, 2.0, 2.0])}),
    "resize_nearest_x3x2": ([_node("Resize", ["input", "", "sc"], mode="nearest",
                                   coordinate_transformation_mode="asymmetric",
                                   nearest_mode="floor")],
                            [1, 8, 36, 24], {"sc": np.array([1.0, 1.0, 3.0, 2.0])}),
    "deconv_2x2": ([_node("ConvTranspose", ["input", "W", "B"], kernel_shape=[2, 2],
                          strides=[2, 2])], [1, 6, 24, 24],
                   {"W": _RNG.standard_normal((8, 6, 2, 2)) * 0.3, "B": _RNG.standard_normal(6)}),
    "deconv_to_one_channel": ([_node("ConvTranspose", ["input", "W"], kernel_shape=[3, 3],
                                     strides=[3, 3])], [1, 1, 36, 36],
                              {"W": _RNG.standard_normal((8, 1, 3, 3)) * 0.3}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OP_MODELS))
def test_op(name: str) -> None:
    nodes, out_shape, weights = OP_MODELS[name]
    run_and_compare(_model(nodes, _SHAPE, out_shape, weights), _X)


def small_resnet(seed: int = 0) -> onnx.ModelProto:
    """conv-BN-relu, max pool, two residual blocks (the second with a strided 1x1 downsample),
    global average pool, flatten, gemm; BN is folded by canonicalize."""
    rng = np.random.default_rng(seed)
    nodes: list[onnx.NodeProto] = []
    weights: dict[str, np.ndarray] = {}

    def conv_bn(x: str, name: str, ic: int, oc: int, k: int, stride: int, relu: bool) -> str:
        weights[f"{name}.w"] = rng.standard_normal((oc, ic, k, k)) * (2.0 / (ic * k * k)) ** 0.5
        nodes.append(helper.make_node("Conv", [x, f"{name}.w"], [f"{name}.c"], name=name,
                                      kernel_shape=[k, k], strides=[stride] * 2,
                                      pads=[k // 2] * 4))  # fmt: skip
        for p, v in (("g", 1 + 0.1 * rng.standard_normal(oc)), ("b", 0.1 * rng.standard_normal(oc)),
                     ("m", 0.1 * rng.standard_normal(oc)), ("v", 1 + 0.2 * rng.random(oc))):  # fmt: skip
            weights[f"{name}.{p}"] = v
        out = f"{name}.bn"
        nodes.append(helper.make_node("BatchNormalization",
                                      [f"{name}.c"] + [f"{name}.{p}" for p in "gbmv"], [out],
                                      name=f"{name}_bn"))  # fmt: skip
        if relu:
            nodes.append(helper.make_node("Relu", [out], [f"{name}.r"], name=f"{name}_relu"))
            out = f"{name}.r"
        return out

    x = conv_bn("input", "stem", 3, 16, 3, 1, True)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[3, 3], strides=[2, 2],
                                  pads=[1, 1, 1, 1], name="pool"))  # fmt: skip
    x = "pool"
    for i, (ic, oc, stride) in enumerate(((16, 16, 1), (16, 32, 2))):
        y = conv_bn(x, f"b{i}.1", ic, oc, 3, stride, True)
        y = conv_bn(y, f"b{i}.2", oc, oc, 3, 1, False)
        skip = x if stride == 1 else conv_bn(x, f"b{i}.down", ic, oc, 1, stride, False)
        nodes.append(helper.make_node("Add", [y, skip], [f"b{i}.sum"], name=f"b{i}_add"))
        nodes.append(helper.make_node("Relu", [f"b{i}.sum"], [f"b{i}.out"], name=f"b{i}_relu"))
        x = f"b{i}.out"
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    weights["fc.w"] = rng.standard_normal((10, 32)) * 0.2
    weights["fc.b"] = rng.standard_normal(10) * 0.1
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["output"], transB=1,
                                  name="fc"))  # fmt: skip
    return _model(nodes, [1, 3, 32, 32], [1, 10], weights)


def test_small_resnet() -> None:
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    report = run_and_compare(small_resnet(), x)
    assert 0 < report["tiu_busy_cycles"] <= report["cycles"]  # type: ignore[operator]


def test_compiling_twice_gives_identical_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the bmodel's creation time
    assert compile_onnx(small_resnet())[1] == compile_onnx(small_resnet())[1]


def test_layer_map_names_onnx_nodes() -> None:
    module, data = compile_onnx(small_resnet())
    (group,) = [op for op in module.walk() if isinstance(op, CmdGroupOp)]
    layers = group.attributes["nntc.layers"].data  # type: ignore[attr-defined]
    x = np.zeros((1, 3, 32, 32), np.float32)
    import json

    report = Simulator(data, layers=json.loads(layers)).run({"input": x}).report
    by_layer = report["by_layer"]
    assert "fc" in by_layer and "b1_relu" in by_layer  # type: ignore[operator]


@pytest.mark.parametrize("builder", ["resnet18", "mobilenetv2"])
def test_shared_cnn_builders_small(builder: str) -> None:
    cnn = pytest.importorskip("models.cnn")  # tests/models, on sys.path under pytest
    model = getattr(cnn, builder)(input_size=32)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    run_and_compare(model, x)


@pytest.mark.slow
def test_resnet18_full_size() -> None:
    """The seed's example at 1x3x224x224 (about 10 s: the simulation dominates)."""
    cnn = pytest.importorskip("models.cnn")
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    report = run_and_compare(cnn.resnet18(input_size=224), x)
    # one layer per group, weights prefetched: the TIU is busy most of the time
    assert report["tiu_busy_cycles"] > 0.5 * report["cycles"]  # type: ignore[operator]


@pytest.mark.slow
def test_ppocrv4_det_full_size_through_bmneto_pipeline() -> None:
    """The PP-OCRv4 detector at 1x3x640x640 through nntc-bmneto's pipeline: hard-swish as
    add/clip/div (div by 6 -> mul), SE blocks with hardsigmoid, nearest x2/x4/x8 resizes, the
    standalone batchnorm and the two stride-2 deconvolutions of the head, and the final sigmoid.
    About 30 s on the 2-core machine (25 s of it the simulation)."""
    models = pytest.importorskip("models")
    ppocr = pytest.importorskip("models.ppocr")
    pipeline = pytest.importorskip("nntc.pipeline")
    try:
        path = models.ppocrv4_det_onnx()
    except ppocr.MissingPackage as why:
        pytest.skip(str(why))
    result = pipeline.compile_onnx(path, ["x"], [[1, 3, 640, 640]])
    check = pipeline.check_against_onnxruntime(path, result)
    (out,) = check.outputs
    assert out.cosine >= COSINE_MIN, f"cosine {out.cosine}"
    assert out.max_abs_error <= REL_ERR_MAX * out.max_abs_ref, f"max error {out.max_abs_error}"


# --- softmax --------------------------------------------------------------------------------

SOFTMAX_CASES = {
    # (input shape, axis, input scale): the last axis of [N, C] and of NCHW, the channel axis
    # (a strided view), a middle axis of another shape, and rows that must be sliced (2048
    # rows of 1000 do not fit one layer's local memory at once).
    "nc_last": ([4, 1000], -1, 8.0),
    "nchw_last": ([2, 8, 12, 12], -1, 4.0),
    "nchw_channels": ([2, 8, 12, 12], 1, 4.0),
    "middle_axis": ([2, 3, 7, 5], 2, 4.0),
    "sliced_rows": ([2048, 1000], 1, 4.0),
}


@pytest.mark.parametrize("name", sorted(SOFTMAX_CASES))
def test_softmax(name: str) -> None:
    shape, axis, scale = SOFTMAX_CASES[name]
    model = _model([_node("Softmax", ["input"], axis=axis)], shape, shape, {})
    x = (np.random.default_rng(1).standard_normal(shape) * scale).astype(np.float32)
    run_and_compare(model, x)


def test_softmax_large_logits_do_not_overflow() -> None:
    # without the max subtraction exp(200) would be inf
    model = _model([_node("Softmax", ["input"], axis=1)], [3, 64], [3, 64], {})
    x = np.random.default_rng(2).uniform(150.0, 200.0, (3, 64)).astype(np.float32)
    run_and_compare(model, x)


def test_classifier_head_gemm_softmax() -> None:
    rng = np.random.default_rng(3)
    nodes = [
        _node("GlobalAveragePool", ["input"], "g"),
        _node("Flatten", ["g"], "f"),
        _node("Gemm", ["f", "W", "B"], "y", transB=1),
        _node("Softmax", ["y"], axis=1),
    ]
    weights = {"W": rng.standard_normal((1000, 512)) * 0.2, "B": rng.standard_normal(1000)}
    model = _model(nodes, [1, 512, 7, 7], [1, 1000], weights)
    run_and_compare(model, rng.standard_normal((1, 512, 7, 7)).astype(np.float32))
