"""The top reference interpreter (`TopFunctions`, `run_module`) against onnxruntime.

Every op family is a small ONNX model built with `onnx.helper`: it is imported, canonicalized and
run by the interpreter, and onnxruntime runs the same model on the same inputs. A second set of
tests builds top IR directly for what the importer never emits by itself (fused relus with a
limit on every fusible op, `top.silu`). The example ResNet block is checked the same way.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp, TensorType, f32
from xdsl.dialects.func import Func
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.transforms.canonicalize import CanonicalizePass

from nntc.dialects import top
from nntc.dialects.top import Top
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import InterpreterError, TopFunctions, run_module
from nntc.targets.weight_store import WeightStore, attach_weight_store, load_weight_store

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"


def parse(path: Path):
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    module = Parser(ctx, path.read_text(), str(path)).parse_module()
    load_weight_store(module, path)
    return module


def onnx_resnet_block(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    def conv(x, w, b, out, stride, pad):
        return helper.make_node(
            "Conv", [x, w, b], [out], strides=[stride] * 2, pads=[pad] * 4, name=out
        )

    nodes = [
        conv("input", "conv1.weight", "conv1.bias", "c1", 2, 3),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        ),
        conv("p1", "layer1.0.conv1.weight", "layer1.0.conv1.bias", "c2", 1, 1),
        helper.make_node("Relu", ["c2"], ["r2"]),
        conv("r2", "layer1.0.conv2.weight", "layer1.0.conv2.bias", "c3", 1, 1),
        helper.make_node("Add", ["c3", "p1"], ["sum"]),
        helper.make_node("Relu", ["sum"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["fc"]),
        helper.make_node("Softmax", ["fc"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "resnet_block",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(array, name) for name, array in weights.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_resnet_block_matches_onnxruntime() -> None:
    module = parse(EXAMPLE)
    weights = dict(np.load(EXAMPLE.with_suffix(".npz")))
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    session = ort.InferenceSession(onnx_resnet_block(weights).SerializeToString())
    (expected,) = session.run(None, {"input": x})

    result = run_module(module, {"input": x}, dump_all=True)
    (name, got), *_ = result.outputs.items()
    assert name == "softmax"
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    # every op's value is kept under its ONNX-style name
    assert result.all_values is not None
    assert {"conv1", "maxpool", "layer1.0.add", "fc", "softmax"} <= set(result.all_values)
    assert result.all_values["maxpool"].shape == (1, 64, 56, 56)


def test_wrong_inputs_are_named() -> None:
    module = parse(EXAMPLE)
    with pytest.raises(InterpreterError, match=r"missing input\(s\) \['input'\]"):
        run_module(module, {"image": np.zeros((1, 3, 224, 224), np.float32)})
    with pytest.raises(InterpreterError, match=r"input 'input' has shape \[1, 3, 8, 8\]"):
        run_module(module, {"input": np.zeros((1, 3, 8, 8), np.float32)})


# --- one-node ONNX models against onnxruntime ----------------------------------------------------

RNG = np.random.default_rng(7)


def context() -> Context:
    ctx = Context()
    for dialect in (Builtin, Func, Top):
        ctx.load_dialect(dialect)
    return ctx


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def const(name: str, array: np.ndarray | Sequence[float] | float, dtype: type = np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def one_node_model(
    op_type: str,
    inputs: dict[str, np.ndarray],
    *,
    initializers: Sequence[onnx.TensorProto] = (),
    outputs: Sequence[str] = ("y",),
    opset: int = 17,
    **attributes: object,
) -> onnx.ModelProto:
    """A model of one node reading the runtime `inputs` then the `initializers`, in order."""
    node = helper.make_node(
        op_type,
        [*inputs, *(init.name for init in initializers)],
        list(outputs),
        name=f"{op_type.lower()}_node",
        **attributes,
    )
    graph = helper.make_graph(
        [node],
        op_type,
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape))
            for n, a in inputs.items()
        ],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        list(initializers),
    )
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    made.ir_version = 8
    return onnx.shape_inference.infer_shapes(made)


def check_against_onnxruntime(
    model: onnx.ModelProto,
    feeds: dict[str, np.ndarray],
    *,
    expect_ops: Sequence[type[Operation]] = (),
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> ModuleOp:
    """Import + canonicalize + interpret `model`; every output must match onnxruntime's."""
    module, store = import_onnx(model)
    attach_weight_store(module, store)
    CanonicalizePass().apply(context(), module)
    module.verify()
    present = {type(op) for op in module.walk()}
    missing = [cls.name for cls in expect_ops if cls not in present]
    assert not missing, f"expected {missing} in the canonicalized module:\n{module}"
    got = run_module(module, feeds).outputs
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    for name, expected in zip(names, session.run(None, feeds), strict=True):
        assert got[name].shape == expected.shape, name
        np.testing.assert_allclose(got[name], expected, rtol=rtol, atol=atol, err_msg=name)
    return module


UNARY_CASES: list[tuple[str, type[Operation], dict[str, object], int]] = [
    ("Sigmoid", top.SigmoidOp, {}, 17),
    ("Tanh", top.TanhOp, {}, 17),
    ("Erf", top.ErfOp, {}, 17),
    ("Exp", top.ExpOp, {}, 17),
    ("HardSwish", top.HardSwishOp, {}, 17),
    ("LeakyRelu", top.LeakyReluOp, {"alpha": 0.3}, 17),
    ("HardSigmoid", top.HardSigmoidOp, {"alpha": 0.25, "beta": 0.4}, 17),
    ("Gelu", top.GeluOp, {}, 20),
    ("Gelu", top.GeluOp, {"approximate": "tanh"}, 20),
    ("Relu", top.ReluOp, {}, 17),
    ("Softmax", top.SoftmaxOp, {"axis": 1}, 17),
    ("LogSoftmax", top.LogSoftmaxOp, {"axis": -1}, 17),
    ("GlobalMaxPool", top.GlobalMaxPoolOp, {}, 17),
    ("GlobalAveragePool", top.GlobalAvgPoolOp, {}, 17),
]


@pytest.mark.parametrize(
    ("op_type", "op_class", "attributes", "opset"),
    UNARY_CASES,
    ids=[
        f"{case[0]}{'-' + '-'.join(map(str, case[2].values())) if case[2] else ''}"
        for case in UNARY_CASES
    ],
)
def test_unary_family(
    op_type: str, op_class: type[Operation], attributes: dict[str, object], opset: int
) -> None:
    x = randn(2, 3, 4, 5) * 3
    model = one_node_model(op_type, {"x": x}, opset=opset, **attributes)
    check_against_onnxruntime(model, {"x": x}, expect_ops=[op_class])


@pytest.mark.parametrize("op_type", ["Log", "Sqrt"])
def test_unary_of_positive_inputs(op_type: str) -> None:
    x = np.abs(randn(3, 7)) + 0.1
    model = one_node_model(op_type, {"x": x})
    check_against_onnxruntime(model, {"x": x}, expect_ops=[getattr(top, f"{op_type}Op")])


def test_identity_dropout_and_cast_pass_values_through() -> None:
    x = randn(2, 5)
    for op_type, attributes in (("Identity", {}), ("Cast", {"to": TensorProto.FLOAT})):
        model = one_node_model(op_type, {"x": x}, **attributes)
        module, store = import_onnx(model)
        assert [type(op) for op in module.walk() if isinstance(op, top.IdentityOp)]
        np.testing.assert_array_equal(run_module(module, {"x": x}, store=store).outputs["y"], x)


@pytest.mark.parametrize(("low", "high"), [(-0.5, 0.7), (None, 0.2), (-0.1, None)])
def test_clip(low: float | None, high: float | None) -> None:
    x = randn(4, 6)
    bounds = [
        const("lo", low) if low is not None else None,
        const("hi", high) if high is not None else None,
    ]
    names = ["lo" if low is not None else "", "hi" if high is not None else ""]
    node = helper.make_node("Clip", ["x", *names], ["y"], name="clip")
    graph = helper.make_graph(
        [node],
        "clip",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6])],
        [b for b in bounds if b is not None],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.ClipOp])


def test_clip_with_runtime_bounds() -> None:
    x, lo, hi = randn(3, 5), np.array(-0.3, np.float32), np.array(0.4, np.float32)
    model = one_node_model("Clip", {"x": x, "lo": lo, "hi": hi})
    check_against_onnxruntime(model, {"x": x, "lo": lo, "hi": hi}, expect_ops=[top.SubOp])


@pytest.mark.parametrize("exponent", [2.0, 0.5, -1.0, 3.0])
def test_pow_with_a_constant_exponent(exponent: float) -> None:
    x = np.abs(randn(2, 8)) + 0.5
    model = one_node_model("Pow", {"x": x}, initializers=[const("e", exponent)])
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.PowOp])


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div"])
def test_binary_family_with_broadcasting(op_type: str) -> None:
    a, b = randn(2, 3, 4, 5), randn(3, 1, 5) + 2.5  # b away from 0 for Div
    model = one_node_model(op_type, {"a": a, "b": b})
    module = check_against_onnxruntime(model, {"a": a, "b": b})
    assert any(op.name == f"top.{op_type.lower()}" for op in module.walk())


def test_binary_ops_with_a_weight_operand() -> None:
    x = randn(2, 4)
    model = one_node_model("Sub", {"x": x}, initializers=[const("w", randn(4))])
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.SubOp, top.WeightOp])


@pytest.mark.parametrize("slope_shape", [(1,), (3, 1, 1), (5,)])
def test_prelu(slope_shape: tuple[int, ...]) -> None:
    x = randn(2, 3, 4, 5)
    model = one_node_model("PRelu", {"x": x}, initializers=[const("slope", randn(*slope_shape))])
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.PReluOp])


def test_where_with_a_constant_condition() -> None:
    x, y = randn(3, 4), randn(1, 4)
    condition = numpy_helper.from_array(RNG.random((3, 4)) > 0.5, "cond")
    node = helper.make_node("Where", ["cond", "x", "b"], ["y"], name="where")
    graph = helper.make_graph(
        [node],
        "where",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
        [condition],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    check_against_onnxruntime(model, {"x": x, "b": y}, expect_ops=[top.WhereOp])


def test_batchnorm() -> None:
    x = randn(2, 3, 5, 5)
    params = [
        const("scale", randn(3)),
        const("bias", randn(3)),
        const("mean", randn(3)),
        const("var", np.abs(randn(3)) + 0.5),
    ]
    model = one_node_model("BatchNormalization", {"x": x}, initializers=params, epsilon=1e-3)
    check_against_onnxruntime(model, {"x": x}, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, 1])
def test_layernorm(axis: int) -> None:
    x = randn(2, 3, 8)
    shape = (8,) if axis == -1 else (3, 8)
    params = [const("scale", randn(*shape)), const("bias", randn(*shape))]
    model = one_node_model(
        "LayerNormalization", {"x": x}, initializers=params, axis=axis, epsilon=1e-4
    )
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.LayerNormOp], atol=1e-5)


@pytest.mark.parametrize(
    "attributes",
    [
        {"strides": [2, 2], "pads": [1, 1, 1, 1]},
        {"strides": [2, 1], "output_padding": [1, 0], "group": 2},
        {"dilations": [2, 2], "pads": [0, 1, 2, 0]},
    ],
    ids=["strided", "grouped-output-padding", "dilated"],
)
def test_deconv(attributes: dict[str, object]) -> None:
    x = randn(1, 4, 5, 6)
    group = int(attributes.get("group", 1))  # type: ignore[call-overload]
    w = const("w", randn(4, 6 // group, 3, 3))
    model = one_node_model(
        "ConvTranspose", {"x": x}, initializers=[w, const("b", randn(6))], **attributes
    )
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.DeconvOp], atol=1e-5)


@pytest.mark.parametrize(("trans_a", "trans_b"), [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm(trans_a: int, trans_b: int) -> None:
    a = randn(*((5, 3) if trans_a else (3, 5)))
    b = const("b", randn(*((4, 5) if trans_b else (5, 4))))
    model = one_node_model(
        "Gemm",
        {"a": a},
        initializers=[b, const("c", randn(4))],
        alpha=0.5,
        beta=2.0,
        transA=trans_a,
        transB=trans_b,
    )
    check_against_onnxruntime(model, {"a": a}, atol=1e-5)


def test_matmul_batched() -> None:
    a, b = randn(2, 3, 4, 5), randn(5, 6)
    model = one_node_model("MatMul", {"a": a, "b": b})
    check_against_onnxruntime(model, {"a": a, "b": b}, expect_ops=[top.MatMulOp], atol=1e-5)


def test_transpose() -> None:
    x = randn(2, 3, 4, 5)
    model = one_node_model("Transpose", {"x": x}, perm=[0, 2, 3, 1])
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.TransposeOp])


@pytest.mark.parametrize(
    ("starts", "ends", "axes", "steps"),
    [
        ([1, 0], [3, 5], [0, 2], [1, 2]),
        ([-1], [-1000], [1], [-1]),  # reversed through index 0
        ([4, 1], [0, 100], [3, 2], [-2, 3]),
    ],
    ids=["strided", "reversed", "mixed"],
)
def test_slice(starts: list[int], ends: list[int], axes: list[int], steps: list[int]) -> None:
    x = randn(3, 4, 5, 6)
    params = [
        const(name, values, np.int64)
        for name, values in (("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps))
    ]
    model = one_node_model("Slice", {"x": x}, initializers=params)
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.SliceOp])


def test_split_has_several_results() -> None:
    x = randn(2, 7, 3)
    model = one_node_model(
        "Split",
        {"x": x},
        initializers=[const("split", [2, 4, 1], np.int64)],
        outputs=("a", "b", "c"),
        axis=1,
    )
    module = check_against_onnxruntime(model, {"x": x}, expect_ops=[top.SplitOp])
    (split,) = [op for op in module.walk() if isinstance(op, top.SplitOp)]
    assert len(split.results) == 3


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad(mode: str) -> None:
    x = randn(1, 2, 4, 5)
    pads = const("pads", [0, 0, 1, 2, 0, 0, 3, 1], np.int64)
    initializers = [pads, const("value", 1.5)] if mode == "constant" else [pads]
    model = one_node_model("Pad", {"x": x}, initializers=initializers, mode=mode)
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.PadOp])


def test_expand() -> None:
    x = randn(3, 1)
    model = one_node_model("Expand", {"x": x}, initializers=[const("shape", [2, 3, 4], np.int64)])
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.ExpandOp])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_with_constant_indices(axis: int) -> None:
    x = randn(4, 5, 6)
    indices = const("idx", [[0, -1], [2, 1]], np.int64)
    model = one_node_model("Gather", {"x": x}, initializers=[indices], axis=axis)
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.GatherOp])


@pytest.mark.parametrize(
    ("mode", "transform", "scales", "sizes"),
    [
        ("nearest", "asymmetric", [1, 1, 2, 3], None),
        ("nearest", "half_pixel", None, [1, 2, 7, 5]),
        ("linear", "half_pixel", [1, 1, 0.5, 1.5], None),
        ("linear", "align_corners", None, [1, 2, 9, 3]),
        ("cubic", "pytorch_half_pixel", [1, 1, 1.7, 0.6], None),
    ],
)
def test_resize(
    mode: str, transform: str, scales: list[float] | None, sizes: list[int] | None
) -> None:
    x = randn(1, 2, 4, 6)
    initializers = [const("roi", np.zeros(0, np.float32))]
    if scales is not None:
        initializers.append(const("scales", scales))
    else:
        initializers += [const("scales", np.zeros(0, np.float32)), const("sizes", sizes, np.int64)]
    model = one_node_model(
        "Resize",
        {"x": x},
        initializers=initializers,
        mode=mode,
        coordinate_transformation_mode=transform,
    )
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.ResizeOp], atol=1e-5)


def test_resize_keeps_the_rounded_size_of_a_keep_aspect_ratio_policy() -> None:
    x = randn(1, 1, 5, 7)
    initializers = [
        const("roi", np.zeros(0, np.float32)),
        const("scales", np.zeros(0, np.float32)),
        const("sizes", [3, 3], np.int64),
    ]
    model = one_node_model(
        "Resize",
        {"x": x},
        initializers=initializers,
        opset=18,
        mode="linear",
        axes=[2, 3],
        keep_aspect_ratio_policy="not_larger",
    )
    check_against_onnxruntime(model, {"x": x}, expect_ops=[top.ResizeOp], atol=1e-5)


@pytest.mark.parametrize("op_type", ["ReduceMean", "ReduceSum", "ReduceMax"])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reductions(op_type: str, keepdims: int) -> None:
    x = randn(2, 3, 4, 5)
    model = one_node_model(
        op_type,
        {"x": x},
        initializers=[const("axes", [1, -1], np.int64)],
        opset=18,
        keepdims=keepdims,
    )
    check_against_onnxruntime(model, {"x": x}, atol=1e-5)


@pytest.mark.parametrize("op_type", ["MaxPool", "AveragePool"])
@pytest.mark.parametrize(
    "attributes",
    [
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
        {"kernel_shape": [2, 3], "strides": [2, 2], "ceil_mode": 1},
        {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 2, 2, 1]},
    ],
    ids=["padded", "ceil", "dilated"],
)
def test_pools(op_type: str, attributes: dict[str, object]) -> None:
    x = randn(1, 3, 9, 10)
    model = one_node_model(op_type, {"x": x}, opset=19, **attributes)  # AveragePool dilations
    check_against_onnxruntime(model, {"x": x}, atol=1e-5)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "attributes"),
    [
        ((1, 4, 11), (6, 2, 3), {"group": 2, "pads": [1, 2], "strides": [2]}),
        ((1, 2, 5, 6, 7), (4, 2, 3, 2, 3), {"pads": [1, 0, 1, 0, 1, 1], "strides": [2, 1, 2]}),
        ((1, 4, 5, 5, 5), (4, 2, 2, 2, 2), {"group": 2, "dilations": [2, 1, 2]}),
    ],
    ids=["conv1d", "conv3d", "conv3d-grouped-dilated"],
)
def test_conv_of_other_ranks(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], attributes: dict[str, object]
) -> None:
    x = randn(*x_shape)
    model = one_node_model(
        "Conv",
        {"x": x},
        initializers=[const("w", randn(*w_shape)), const("b", randn(w_shape[0]))],
        **attributes,
    )
    check_against_onnxruntime(model, {"x": x}, atol=1e-5)


def test_layernorm_mean_and_inverse_std_dev_outputs() -> None:
    x = randn(2, 3, 6)
    params = [const("scale", randn(6)), const("bias", randn(6))]
    model = one_node_model(
        "LayerNormalization",
        {"x": x},
        initializers=params,
        outputs=("y", "mean", "inv_std"),
        axis=-1,
    )
    check_against_onnxruntime(model, {"x": x}, atol=1e-5)


def test_silu_is_recognised_or_runs_as_mul_and_sigmoid() -> None:
    x = randn(2, 8) * 3
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
        helper.make_node("Mul", ["x", "s"], ["y"], name="mul"),
    ]
    graph = helper.make_graph(
        nodes,
        "silu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    check_against_onnxruntime(model, {"x": x})


# --- top IR built directly: fused relus and ops the importer does not emit ----------------------


def run_top(build, *inputs: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Run `build(*block_args) -> result value` as `@main` of a fresh module."""
    block = Block(arg_types=[TensorType(f32, list(x.shape)) for x in inputs])
    ops: list[Operation] = []

    def emit(op: Operation) -> SSAValue:
        ops.append(op)
        return op.results[0]

    result = build(emit, *block.args)
    block.add_ops([*ops, func.ReturnOp(result)])
    function = func.FuncOp("main", ([a.type for a in block.args], [result.type]), Region(block))
    module = ModuleOp([function])
    module.verify()
    names = {f"input{i}": x for i, x in enumerate(inputs)}
    return run_module(module, names, store=WeightStore()).outputs["output0"]


@pytest.mark.parametrize("limit", [None, 0.5])
def test_fused_relu_on_every_fusible_op_family(limit: float | None) -> None:
    x, w = randn(1, 2, 5, 5), randn(2, 2, 3, 3)

    def activation(y: np.ndarray) -> np.ndarray:
        return np.maximum(y, 0) if limit is None else np.clip(y, 0, limit)

    def fused(make):  # type: ignore[no-untyped-def]
        def build(emit, a, b):  # type: ignore[no-untyped-def]
            op = make(a, b)
            op.set_relu(limit)
            return emit(op)

        return build

    cases = [
        (lambda a, b: top.SubOp(a, b), x, x[:, :, :1], x - x[:, :, :1]),
        (lambda a, b: top.DivOp(a, b), x, np.abs(x) + 1, x / (np.abs(x) + 1)),
        (lambda a, b: top.MulOp([a, b]), x, x, x * x),
        (lambda a, b: top.AddOp([a, b], coeff=[2.0, -1.0]), x, x[:1], 2 * x - x[:1]),
        (
            lambda a, b: top.DeconvOp(a, b, strides=[1, 1], pads=[0, 0, 0, 0]),
            x,
            w,
            None,
        ),
    ]
    for make, a, b, expected in cases:
        got = run_top(fused(make), a, b)
        if expected is None:  # the deconv: the unfused kernel result is the reference
            from nntc.targets.reference import kernels

            expected = kernels.conv_transpose(a, b)
        np.testing.assert_allclose(got, activation(expected), rtol=1e-5, atol=1e-6)


def test_fused_relu_does_not_overwrite_an_operand() -> None:
    """A 1x1 pool of stride 1 may hand back its input: the relu must not clobber it."""
    x = randn(1, 2, 3, 3)

    def build(emit, a):  # type: ignore[no-untyped-def]
        pool = top.MaxPoolOp(a, kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0])
        pool.set_relu(None)
        pooled = emit(pool)
        return emit(top.AddOp([pooled, a]))

    np.testing.assert_allclose(run_top(build, x), np.maximum(x, 0) + x, rtol=1e-6)


def test_silu_op() -> None:
    x = randn(3, 4) * 4
    got = run_top(lambda emit, a: emit(top.SiLUOp(a)), x)
    np.testing.assert_allclose(got, x / (1 + np.exp(-x)), rtol=1e-5, atol=1e-6)


def test_every_top_op_has_an_implementation() -> None:
    implemented = {op_class for op_class, _ in TopFunctions._impls()}
    missing = [op.name for op in Top.operations if op not in implemented]
    assert not missing, f"top ops without an interpreter implementation: {missing}"


def test_dump_all_keeps_every_result_of_a_split() -> None:
    x = randn(2, 6)
    model = one_node_model(
        "Split",
        {"x": x},
        initializers=[const("split", [1, 5], np.int64)],
        outputs=("a", "b"),
        axis=1,
    )
    module, store = import_onnx(model)
    result = run_module(module, {"x": x}, store=store, dump_all=True)
    assert result.all_values is not None
    np.testing.assert_array_equal(result.all_values["split_node"], x[:, :1])
    np.testing.assert_array_equal(result.all_values["split_node:1"], x[:, 1:])
    assert list(result.outputs) == ["a", "b"]
