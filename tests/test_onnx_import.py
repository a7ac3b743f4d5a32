"""The ONNX importer (`nntc.targets.onnx.import_onnx`) and the `nntc-translate` CLI.

Each op family is a small model built with `onnx.helper`; the imported module must verify, use
the expected top ops with ONNX attributes resolved into properties, keep node names as locations,
store its weights, and give every output the shape onnxruntime computes for the same model.
Numerics are checked later by the interpreter's conformance tests.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, StringAttr
from xdsl.ir import Operation

from nntc.dialects import top
from nntc.targets.onnx import (
    ONNX_NAME_ATTR,
    OnnxImportError,
    UnsupportedModelError,
    import_onnx,
    parse_shapes,
)
from nntc.targets.weight_store import WEIGHTS_ATTR, WeightStore

RNG = np.random.default_rng(0)

# --- helpers -------------------------------------------------------------------------------------


def const(name: str, array: np.ndarray | Sequence[float] | float, dtype: type = np.float32):
    return numpy_helper.from_array(np.asarray(array, dtype=dtype), name)


def rand(name: str, *shape: int) -> onnx.TensorProto:
    return const(name, RNG.standard_normal(shape))


def ints(name: str, values: Sequence[int] | int) -> onnx.TensorProto:
    return const(name, values, np.int64)


def model(
    nodes: Sequence[onnx.NodeProto],
    inputs: dict[str, Sequence[int | str]],
    outputs: Sequence[str],
    initializers: Sequence[onnx.TensorProto] = (),
    opset: int = 17,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        list(nodes),
        "test",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        list(initializers),
    )
    made = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    made.ir_version = 8
    # the checker wants typed outputs, as exporters write them: let shape inference fill them in
    try:
        made = onnx.shape_inference.infer_shapes(made)
    except onnx.shape_inference.InferenceError:
        pass  # custom domains: leave the outputs to the fallback below
    for output in made.graph.output:
        if not output.type.tensor_type.HasField("shape"):
            output.type.tensor_type.shape.dim.add()  # e.g. custom ops: one unknown dim
    return made


def ort_shapes(m: onnx.ModelProto) -> list[tuple[int, ...]]:
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {
        i.name: RNG.standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(
            np.float32
        )
        for i in session.get_inputs()
    }
    return [tuple(o.shape) for o in session.run(None, feeds)]


def main_func(module: ModuleOp) -> func.FuncOp:
    (function,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    return function


def result_shapes(module: ModuleOp) -> list[tuple[int, ...]]:
    return [tuple(t.get_shape()) for t in main_func(module).function_type.outputs.data]


def ops_of(module: ModuleOp, cls: type[Operation]) -> list[Operation]:
    return [op for op in module.walk() if isinstance(op, cls)]


def loc(op: Operation) -> str:
    assert isinstance(op.location, NameLoc)
    return op.location.desc.data


def check_against_ort(m: onnx.ModelProto) -> tuple[ModuleOp, WeightStore]:
    module, store = import_onnx(m)
    module.verify()
    assert result_shapes(module) == ort_shapes(m)
    return module, store


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str] = ("y",), **attrs):
    return helper.make_node(op_type, list(inputs), list(outputs), name=f"{op_type}_0", **attrs)


# --- op families ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "weight_shape", "expected"),
    [
        ({"pads": [1, 1, 1, 1], "strides": [2, 2]}, (8, 4, 3, 3), {"pads": (1, 1, 1, 1)}),
        ({"group": 4, "dilations": [2, 2]}, (4, 1, 3, 3), {"group": 4, "dilations": (2, 2)}),
        ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, (8, 4, 4, 4), {"pads": (1, 1, 2, 2)}),
        ({"auto_pad": "SAME_LOWER", "strides": [2, 2]}, (8, 4, 4, 4), {"pads": (2, 2, 1, 1)}),
        ({"auto_pad": "VALID"}, (8, 4, 3, 3), {"pads": (0, 0, 0, 0)}),
    ],
)
def test_conv(attrs: dict, weight_shape: tuple[int, ...], expected: dict) -> None:
    m = model(
        [node("Conv", ["x", "w", "b"], **attrs)],
        {"x": [1, 4, 9, 9]},
        ["y"],
        [rand("w", *weight_shape), rand("b", weight_shape[0])],
    )
    module, store = check_against_ort(m)
    (conv,) = ops_of(module, top.ConvOp)
    assert loc(conv) == "Conv_0"
    if "pads" in expected:
        assert conv.pads_values == expected["pads"]
    if "group" in expected:
        assert conv.group_value == expected["group"]
        assert conv.dilations_values == expected["dilations"]
    assert store.names() == ["b", "w"]
    assert store["w"].shape == weight_shape


@pytest.mark.parametrize(
    "attrs",
    [
        {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
        {"strides": [2, 2], "output_shape": [10, 10]},
        {"strides": [2, 2], "auto_pad": "SAME_UPPER", "group": 2},
    ],
)
def test_conv_transpose(attrs: dict) -> None:
    group = attrs.get("group", 1)
    m = model(
        [node("ConvTranspose", ["x", "w"], **attrs)],
        {"x": [1, 4, 5, 5]},
        ["y"],
        [rand("w", 4, 6 // group, 3, 3)],
    )
    module, _ = check_against_ort(m)
    assert len(ops_of(module, top.DeconvOp)) == 1


@pytest.mark.parametrize(
    ("op_type", "attrs", "cls"),
    [
        (
            "MaxPool",
            {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
            top.MaxPoolOp,
        ),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, top.MaxPoolOp),
        ("MaxPool", {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"}, top.MaxPoolOp),
        (
            "AveragePool",
            {"kernel_shape": [3, 3], "strides": [2, 2], "count_include_pad": 1, "pads": [1] * 4},
            top.AvgPoolOp,
        ),
        ("GlobalAveragePool", {}, top.GlobalAvgPoolOp),
        ("GlobalMaxPool", {}, top.GlobalMaxPoolOp),
    ],
)
def test_pools(op_type: str, attrs: dict, cls: type[Operation]) -> None:
    m = model([node(op_type, ["x"], **attrs)], {"x": [1, 3, 7, 7]}, ["y"])
    module, _ = check_against_ort(m)
    assert len(ops_of(module, cls)) == 1


def test_avgpool_count_include_pad_property() -> None:
    attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}
    m = model([node("AveragePool", ["x"], **attrs)], {"x": [1, 3, 7, 7]}, ["y"])
    (pool,) = ops_of(import_onnx(m)[0], top.AvgPoolOp)
    assert pool.count_include_pad_value is True


@pytest.mark.parametrize(
    ("op_type", "attrs", "cls"),
    [
        ("Relu", {}, top.ReluOp),
        ("Sigmoid", {}, top.SigmoidOp),
        ("Tanh", {}, top.TanhOp),
        ("Erf", {}, top.ErfOp),
        ("Exp", {}, top.ExpOp),
        ("Log", {}, top.LogOp),
        ("Sqrt", {}, top.SqrtOp),
        ("HardSwish", {}, top.HardSwishOp),
        ("Identity", {}, top.IdentityOp),
        ("LeakyRelu", {"alpha": 0.2}, top.LeakyReluOp),
        ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}, top.HardSigmoidOp),
        ("Softmax", {"axis": 1}, top.SoftmaxOp),
        ("LogSoftmax", {}, top.LogSoftmaxOp),
    ],
)
def test_unary(op_type: str, attrs: dict, cls: type[Operation]) -> None:
    m = model([node(op_type, ["x"], **attrs)], {"x": [2, 3, 4]}, ["y"])
    module, _ = check_against_ort(m)
    (op,) = ops_of(module, cls)
    assert loc(op) == f"{op_type}_0"
    if op_type == "LeakyRelu":
        assert op.alpha_value == pytest.approx(0.2)
    if op_type == "HardSigmoid":
        assert (op.alpha_value, op.beta_value) == pytest.approx((0.25, 0.4))


def test_gelu_opset_20() -> None:
    m = model([node("Gelu", ["x"], approximate="tanh")], {"x": [2, 8]}, ["y"], opset=20)
    (gelu,) = ops_of(import_onnx(m)[0], top.GeluOp)
    assert gelu.approximate.data == "tanh"


def test_clip_pow_prelu_dropout_cast() -> None:
    m = model(
        [
            helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="clip"),
            helper.make_node("Pow", ["c", "two"], ["p"], name="pow"),
            helper.make_node("PRelu", ["p", "slope"], ["r"], name="prelu"),
            helper.make_node("Dropout", ["r"], ["d"], name="dropout"),
            helper.make_node("Cast", ["d"], ["y"], name="cast", to=TensorProto.FLOAT),
        ],
        {"x": [1, 3, 4, 4]},
        ["y"],
        [const("lo", 0.0), const("hi", 6.0), const("two", 2.0), rand("slope", 3, 1, 1)],
    )
    module, store = check_against_ort(m)
    (clip,) = ops_of(module, top.ClipOp)
    assert (clip.min_value, clip.max_value) == (0.0, 6.0)
    (pow_op,) = ops_of(module, top.PowOp)
    assert pow_op.exponent_value == 2.0
    assert len(ops_of(module, top.PReluOp)) == 1
    assert [loc(op) for op in ops_of(module, top.IdentityOp)] == ["dropout", "cast"]
    assert store.names() == ["slope"]  # the scalar bounds and exponent became properties


def test_clip_opset_7_attributes() -> None:
    m = model([node("Clip", ["x"], min=-1.0)], {"x": [4]}, ["y"], opset=7)
    (clip,) = ops_of(import_onnx(m)[0], top.ClipOp)
    assert (clip.min_value, clip.max_value) == (-1.0, None)


@pytest.mark.parametrize(
    ("op_type", "cls"),
    [("Add", top.AddOp), ("Sub", top.SubOp), ("Mul", top.MulOp), ("Div", top.DivOp)],
)
def test_binary_broadcasting(op_type: str, cls: type[Operation]) -> None:
    m = model(
        [node(op_type, ["x", "c"], ["t"]), helper.make_node(op_type, ["t", "z"], ["y"])],
        {"x": [2, 3, 4, 5], "z": [4, 1]},
        ["y"],
        [rand("c", 3, 1, 1)],
    )
    module, store = check_against_ort(m)
    assert len(ops_of(module, cls)) == 2
    assert store.names() == ["c"]
    second = ops_of(module, cls)[1]
    assert loc(second) == "y"  # an unnamed node is known by its first output


def test_matmul_gemm_where_batchnorm_layernorm() -> None:
    m = model(
        [
            helper.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
            helper.make_node("Gemm", ["mm", "g", "gb"], ["gm"], name="gemm", alpha=0.5, transB=1),
            helper.make_node("Where", ["cond", "gm", "zero"], ["wh"], name="where"),
            helper.make_node(
                "LayerNormalization", ["wh", "ls", "lb"], ["y"], name="ln", epsilon=1e-6
            ),
        ],
        {"x": [3, 8]},
        ["y"],
        [
            rand("w", 8, 6),
            rand("g", 5, 6),
            rand("gb", 5),
            const("cond", [True, False, True, True, False], np.bool_),
            const("zero", 0.0),
            rand("ls", 5),
            rand("lb", 5),
        ],
    )
    module, store = check_against_ort(m)
    (gemm,) = ops_of(module, top.GemmOp)
    assert gemm.alpha_value == 0.5 and gemm.trans_b_value and not gemm.trans_a_value
    (ln,) = ops_of(module, top.LayerNormOp)
    assert ln.epsilon_value == pytest.approx(1e-6)
    assert store["cond"].dtype == np.float32
    assert store["cond"].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]


def test_batchnorm() -> None:
    m = model(
        [node("BatchNormalization", ["x", "s", "b", "m", "v"], epsilon=1e-3)],
        {"x": [1, 3, 4, 4]},
        ["y"],
        [rand("s", 3), rand("b", 3), rand("m", 3), const("v", [1.0, 2.0, 3.0])],
    )
    module, _ = check_against_ort(m)
    (bn,) = ops_of(module, top.BatchNormOp)
    assert bn.epsilon_value == pytest.approx(1e-3)


def test_shape_ops() -> None:
    m = model(
        [
            helper.make_node("Transpose", ["x"], ["t"], name="tr", perm=[0, 2, 3, 1]),
            helper.make_node("Slice", ["t", "st", "en", "ax", "sp"], ["s"], name="slice"),
            helper.make_node("Flatten", ["s"], ["f"], name="flatten", axis=2),
            helper.make_node("Unsqueeze", ["f", "ax0"], ["u"], name="unsq"),
            helper.make_node("Squeeze", ["u", "ax0"], ["q"], name="sq"),
            helper.make_node("Split", ["q", "parts"], ["a", "b"], name="split", axis=1),
            helper.make_node("Concat", ["b", "a"], ["y"], name="concat", axis=1),
        ],
        {"x": [1, 3, 8, 8]},
        ["y"],
        [
            ints("st", [7, 1]),
            ints("en", [-100, 1000]),
            ints("ax", [1, 2]),
            ints("sp", [-2, 3]),
            ints("ax0", [0]),
            ints("parts", [6, 3]),
        ],
    )
    module, store = check_against_ort(m)
    (slice_op,) = ops_of(module, top.SliceOp)
    assert slice_op.starts_values == (0, 7, 1, 0)
    assert slice_op.steps_values == (1, -2, 3, 1)
    assert tuple(slice_op.output.type.get_shape()) == (1, 4, 3, 3)
    assert [loc(op) for op in ops_of(module, top.ReshapeOp)] == ["flatten", "unsq", "sq"]
    (split,) = ops_of(module, top.SplitOp)
    assert split.split_values == (6, 3)
    assert store.names() == []  # every shape operand became a property


@pytest.mark.parametrize(
    ("op_type", "opset", "extra"),
    [("ReduceMean", 17, {"axes": [1]}), ("ReduceMax", 18, None), ("ReduceSum", 13, None)],
)
def test_reductions(op_type: str, opset: int, extra: dict | None) -> None:
    inputs = ["x"] if extra else ["x", "axes"]
    m = model(
        [node(op_type, inputs, keepdims=0, **(extra or {}))],
        {"x": [2, 3, 4]},
        ["y"],
        [] if extra else [ints("axes", [-1, 0])],
        opset=opset,
    )
    module, _ = check_against_ort(m)
    (op,) = ops_of(module, top.ReduceOp)
    assert op.keepdims_value is False


@pytest.mark.parametrize(
    ("mode", "pads"), [("constant", [0, 0, 1, 2, 0, 0, 3, 0]), ("reflect", [0, 0, 2, 2] * 2)]
)
def test_pad(mode: str, pads: list[int]) -> None:
    m = model(
        [node("Pad", ["x", "p", "v"], mode=mode)],
        {"x": [1, 2, 4, 4]},
        ["y"],
        [ints("p", pads), const("v", 1.5)],
    )
    module, _ = check_against_ort(m)
    (pad,) = ops_of(module, top.PadOp)
    assert pad.mode.data == mode and pad.pads_values == tuple(pads)


@pytest.mark.parametrize(
    ("attrs", "scales", "sizes"),
    [
        ({"mode": "nearest"}, [1, 1, 2, 2], None),
        ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, None, [1, 3, 7, 9]),
        ({"mode": "nearest", "nearest_mode": "floor"}, [1, 1, 0.5, 1.5], None),
    ],
)
def test_resize(attrs: dict, scales: list[float] | None, sizes: list[int] | None) -> None:
    inputs = ["x", "", "scales"] if scales else ["x", "", "", "sizes"]
    inits = [const("scales", scales)] if scales else [ints("sizes", sizes or [])]
    m = model([node("Resize", inputs, **attrs)], {"x": [1, 3, 4, 6]}, ["y"], inits)
    module, _ = check_against_ort(m)
    (resize,) = ops_of(module, top.ResizeOp)
    assert resize.mode.data == attrs["mode"]
    if sizes:
        assert resize.scales_values == pytest.approx([1, 1, 7 / 4, 9 / 6])


def test_upsample_opset_9() -> None:
    m = model(
        [node("Upsample", ["x", "s"], mode="nearest")],
        {"x": [1, 2, 3, 3]},
        ["y"],
        [const("s", [1, 1, 2, 2])],
        opset=9,
    )
    module, _ = import_onnx(m)
    (resize,) = ops_of(module, top.ResizeOp)
    assert result_shapes(module) == [(1, 2, 6, 6)]
    assert resize.coordinate_transformation_mode.data == "asymmetric"


def test_gather_and_expand() -> None:
    m = model(
        [
            helper.make_node("Gather", ["x", "idx"], ["g"], name="gather", axis=1),
            helper.make_node("Expand", ["g", "shape"], ["y"], name="expand"),
        ],
        {"x": [1, 5, 3]},
        ["y"],
        [ints("idx", [[4, -1]]), ints("shape", [2, 1, 1, 1, 3])],
    )
    module, _ = check_against_ort(m)
    (gather,) = ops_of(module, top.GatherOp)
    assert gather.indices_values == (4, -1) and gather.indices_shape == (1, 2)
    assert len(ops_of(module, top.ExpandOp)) == 1


def test_shape_plumbing_folds_to_constants() -> None:
    """PyTorch-style `x.view(x.size(0), -1)` with Shape/Gather/Unsqueeze/Concat and a
    ConstantOfShape/Range chain: everything but the reshape folds away."""
    m = model(
        [
            helper.make_node("Shape", ["x"], ["sh"], name="shape"),
            helper.make_node("Gather", ["sh", "zero"], ["n"], name="gather", axis=0),
            helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
            helper.make_node("Concat", ["n1", "m1"], ["target"], name="cat", axis=0),
            helper.make_node("Reshape", ["x", "target"], ["flat"], name="view"),
            helper.make_node("ConstantOfShape", ["n1"], ["ones"], name="cos"),
            helper.make_node("Range", ["start", "limit", "delta"], ["rng"], name="range"),
            helper.make_node("Cast", ["rng"], ["rngf"], name="castf", to=TensorProto.FLOAT),
            helper.make_node("Mul", ["ones", "rngf"], ["k"], name="mulc"),
            helper.make_node("Constant", [], ["c"], name="const", value=rand("cv", 1)),
            helper.make_node("Add", ["k", "c"], ["bias"], name="addc"),
            helper.make_node("Unsqueeze", ["bias", "ax1"], ["bias2"], name="unsq2"),
            helper.make_node("Add", ["flat", "bias2"], ["y"], name="add"),
        ],
        {"x": ["N", 3, 2, 2]},
        ["y"],
        [
            ints("zero", 0),
            ints("ax0", [0]),
            ints("ax1", [1]),
            ints("m1", [-1]),
            ints("start", 0),
            ints("limit", 2),
            ints("delta", 1),
        ],
    )
    module, store = import_onnx(m, shapes=[[2, 3, 2, 2]])
    kinds = [op.name for op in main_func(module).body.block.ops]
    assert kinds == ["top.input", "top.reshape", "top.weight", "top.add", "func.return"]
    (weight,) = ops_of(module, top.WeightOp)
    assert store[weight.weight_name.data].shape == (2, 1)
    assert result_shapes(module) == [(2, 12)]


def test_small_cnn_end_to_end() -> None:
    m = model(
        [
            helper.make_node("Conv", ["images", "w1", "b1"], ["c1"], name="conv1", pads=[1] * 4),
            helper.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["bn"], name="bn"),
            helper.make_node("Relu", ["bn"], ["r"], name="relu"),
            helper.make_node(
                "MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]
            ),
            helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
            helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
            helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], name="fc", transB=1),
            helper.make_node("Softmax", ["logits"], ["prob"], name="softmax"),
        ],
        {"images": ["batch", 3, 16, 16]},
        ["prob"],
        [
            rand("w1", 8, 3, 3, 3),
            rand("b1", 8),
            rand("s", 8),
            rand("b", 8),
            rand("m", 8),
            const("v", np.ones(8)),
            rand("fw", 10, 8),
            rand("fb", 10),
        ],
    )
    module, store = import_onnx(m, input_names=["images"], shapes=[[2, 3, 16, 16]])
    function = main_func(module)
    assert function.sym_name.data == "main"
    assert function.body.block.args[0].name_hint == "images"
    assert function.arg_attrs.data[0].data[ONNX_NAME_ATTR] == StringAttr("images")
    assert function.res_attrs.data[0].data[ONNX_NAME_ATTR] == StringAttr("prob")
    (inp,) = ops_of(module, top.InputOp)
    assert loc(inp) == "images"
    names = {
        loc(op)
        for op in module.walk()
        if op.dialect_name() == "top" and not isinstance(op, top.WeightOp)
    }
    assert names == {"images", "conv1", "bn", "relu", "pool", "gap", "flatten", "fc", "softmax"}
    assert store.names() == ["b", "b1", "fb", "fw", "m", "s", "v", "w1"]
    assert result_shapes(module) == [(2, 10)]


# --- inputs, shapes, outputs ---------------------------------------------------------------------


def two_branch_model() -> onnx.ModelProto:
    return model(
        [
            helper.make_node("Relu", ["a"], ["ra"], name="relu_a"),
            helper.make_node("Sigmoid", ["b"], ["sb"], name="sig_b"),
            helper.make_node("Add", ["ra", "sb"], ["sum"], name="add"),
            helper.make_node("NonZero", ["sum"], ["nz"], name="nonzero"),
        ],
        {"a": ["N", 4], "b": [1, 4]},
        ["sum", "nz"],
    )


def test_output_names_cut_the_graph() -> None:
    m = two_branch_model()
    module, _ = import_onnx(m, shapes=[[2, 4], [1, 4]], output_names=["sum"])
    assert result_shapes(module) == [(2, 4)]
    module, _ = import_onnx(m, input_names=["a"], shapes=[[3, 4]], output_names=["ra"])
    assert [op.name for op in main_func(module).body.block.ops] == [
        "top.input",
        "top.relu",
        "func.return",
    ]


def test_input_names_can_cut_at_an_intermediate_tensor() -> None:
    m = two_branch_model()
    module, _ = import_onnx(
        m, input_names=["ra", "b"], shapes=[[5, 4], [1, 4]], output_names=["sum"]
    )
    assert [loc(op) for op in ops_of(module, top.InputOp)] == ["ra", "b"]
    assert result_shapes(module) == [(5, 4)]


def test_unsupported_ops_are_all_listed() -> None:
    m = model(
        [
            helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
            helper.make_node("ConvTranspose", ["x", "w"], ["c"], name="deconv3d"),
            helper.make_node("MaxPool", ["c"], ["p", "idx"], name="pool", kernel_shape=[1, 1, 1]),
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
            helper.make_node("Custom", ["r"], ["y"], name="custom", domain="my.domain"),
            helper.make_node("Cast", ["idx"], ["idxf"], name="castf", to=TensorProto.FLOAT),
        ],
        {"x": [1, 2, 4, 4, 4]},
        ["y", "nz", "p", "idxf"],
        [rand("w", 2, 2, 1, 1, 1)],
    )
    m.opset_import.append(helper.make_opsetid("my.domain", 1))
    with pytest.raises(UnsupportedModelError) as info:
        import_onnx(m)
    problems = {(p.op_type, p.node) for p in info.value.problems}
    assert problems == {("NonZero", "nz"), ("ConvTranspose", "deconv3d"), ("Custom", "custom")}
    text = str(info.value)
    assert "3 unsupported constructs" in text
    assert "ConvTranspose 'deconv3d': only 1-D and 2-D transposed convolutions" in text
    assert "custom domain 'my.domain'" in text


def test_unsupported_attributes_are_reasons() -> None:
    m = model(
        [
            helper.make_node("Pad", ["x", "p"], ["a"], name="pad", mode="wrap"),
            helper.make_node("Reshape", ["x", "s"], ["b"], name="dyn_reshape"),
            helper.make_node("Add", ["a", "b"], ["y"], name="add"),
        ],
        {"x": [2, 4], "s": [2]},
        ["y"],
        [ints("p", [0, 1, 0, 1])],
    )
    with pytest.raises(UnsupportedModelError) as info:
        import_onnx(m)
    reasons = {p.node: p.reason for p in info.value.problems}
    assert "mode 'wrap' is not supported" in reasons["pad"]
    assert "target shape (input 1) must be a constant" in reasons["dyn_reshape"]
    assert len(reasons) == 2  # the add that consumes both is not reported


def test_shapes_fix_dynamic_dims_and_are_checked() -> None:
    m = two_branch_model()
    with pytest.raises(OnnxImportError, match=r"input 'a' has dynamic dimension\(s\) 0 \('N'\)"):
        import_onnx(m, output_names=["sum"])
    with pytest.raises(OnnxImportError, match=r"got 1 shape\(s\) for 2 input\(s\)"):
        import_onnx(m, shapes=[[1, 4]], output_names=["sum"])
    with pytest.raises(OnnxImportError, match="input 'b' has dimension 1 = 4 in the model, got 5"):
        import_onnx(m, shapes=[[1, 4], [1, 5]], output_names=["sum"])
    with pytest.raises(OnnxImportError, match="input 'b' has rank 2 in the model"):
        import_onnx(m, shapes=[[1, 4], [4]], output_names=["sum"])
    with pytest.raises(OnnxImportError, match="'nope' is not a tensor of the model"):
        import_onnx(m, input_names=["nope"])
    with pytest.raises(OnnxImportError, match="--output-names: 'nope'"):
        import_onnx(m, shapes=[[1, 4], [1, 4]], output_names=["nope"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[1,3,224,224]]", [[1, 3, 224, 224]]),
        ("[1, 3, 8, 8]", [[1, 3, 8, 8]]),
        (" [[1,3],[2, 5]] ", [[1, 3], [2, 5]]),
    ],
)
def test_parse_shapes(text: str, expected: list[list[int]]) -> None:
    assert parse_shapes(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[1,3,224,224]", "cannot parse"),
        ("[]", "non-empty list"),
        ("[[1,0]]", "shape 0 [1, 0] has a dimension < 1"),
        ('[[1,"a"]]', "shape 0 must be a list of integers"),
        ("[[1],[2.5]]", "shape 1 must be a list of integers"),
    ],
)
def test_parse_shapes_errors(text: str, message: str) -> None:
    with pytest.raises(OnnxImportError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_shapes(text)


# --- opsets --------------------------------------------------------------------------------------


def test_opset_9_model_imports_in_its_own_opset() -> None:
    m = model(
        [
            helper.make_node("Unsqueeze", ["x"], ["u"], name="unsq", axes=[0]),
            helper.make_node("Softmax", ["u"], ["s"], name="softmax", axis=2),
            helper.make_node("BatchNormalization", ["s", "g", "b", "m", "v"], ["y"], name="bn"),
        ],
        {"x": [3, 4, 5]},
        ["y"],
        [rand("g", 3), rand("b", 3), rand("m", 3), const("v", np.ones(3))],
        opset=9,
    )
    module, _ = check_against_ort(m)
    assert len(ops_of(module, top.SoftmaxOp)) == 1
    assert "softmax" in {loc(op) for op in module.walk() if op.dialect_name() == "top"}


def test_opset_21_model() -> None:
    m = model(
        [
            helper.make_node("Squeeze", ["x", "ax"], ["s"], name="sq"),
            helper.make_node("ReduceMean", ["s", "rax"], ["y"], name="mean", keepdims=1),
        ],
        {"x": [1, 4, 6]},
        ["y"],
        [ints("ax", [0]), ints("rax", [1])],
        opset=21,
    )
    module, _ = check_against_ort(m)
    (mean,) = ops_of(module, top.ReduceMeanOp)
    assert mean.axes_values == (1,)


def test_opsets_outside_7_to_21_go_through_the_version_converter() -> None:
    old = model([node("Clip", ["x"], min=-1.0)], {"x": [4]}, ["y"], opset=6)
    (clip,) = ops_of(import_onnx(old)[0], top.ClipOp)
    assert (clip.min_value, clip.max_value) == (-1.0, None)
    new = model([node("Relu", ["x"])], {"x": [4]}, ["y"], opset=22)
    (relu,) = ops_of(import_onnx(new)[0], top.ReluOp)
    assert loc(relu) == "Relu_0"
    future = model([node("Relu", ["x"])], {"x": [4]}, ["y"], opset=22)
    future.opset_import[0].version = 99
    with pytest.raises(OnnxImportError, match="opset 99 is outside the supported 7-21"):
        import_onnx(future)


# --- the CLI -------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nntc.translate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def cnn_file(tmp_path: Path) -> Path:
    m = model(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
            helper.make_node("Relu", ["c"], ["y"], name="relu"),
        ],
        {"x": ["N", 2, 5, 5]},
        ["y"],
        [rand("w", 3, 2, 3, 3)],
    )
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    return path


def test_cli_writes_ir_and_weights(cnn_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "m.mlir"
    out.parent.mkdir()
    result = run_cli(
        "--import-onnx", str(cnn_file), "--shapes", "[[1,2,5,5]]", "-o", str(out), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert f'{WEIGHTS_ATTR} = "m.npz"' in text
    assert 'loc("conv")' in text and 'loc("relu")' in text
    assert WeightStore(out.with_suffix(".npz")).names() == ["w"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.mlir", "m.npz"]


def test_cli_stdout_inline_or_weights_file(cnn_file: Path, tmp_path: Path) -> None:
    result = run_cli("--import-onnx", str(cnn_file), "--shapes", "[[1,2,5,5]]", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'top.weight "w" dense<' in result.stdout and WEIGHTS_ATTR not in result.stdout
    result = run_cli(
        "--import-onnx",
        str(cnn_file),
        "--shapes",
        "[[1,2,5,5]]",
        "--weights",
        "w.npz",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f'{WEIGHTS_ATTR} = "w.npz"' in result.stdout
    assert 'top.weight "w" : tensor<3x2x3x3xf32>' in result.stdout
    assert (tmp_path / "w.npz").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shapes", "[[1,2,5"], "--shapes: cannot parse"),
        ([], "input 'x' has dynamic dimension(s) 0 ('N'); fix them with --shapes"),
        (["--shapes", "[[1,2,5,5]]", "--output-names", "zz"], "'zz' is not a tensor"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(
    cnn_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "o.mlir"
    result = run_cli("--import-onnx", str(cnn_file), *args, "-o", str(out), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stderr.startswith("nntc-translate: error: ")
    assert "Traceback" not in result.stderr
    assert not out.exists() and not out.with_suffix(".npz").exists()


def test_cli_bad_files(tmp_path: Path) -> None:
    missing = run_cli("--import-onnx", "nope.onnx", "-o", "o.mlir", cwd=tmp_path)
    assert missing.returncode == 1 and "nope.onnx: no such file" in missing.stderr
    truncated = tmp_path / "t.onnx"
    truncated.write_bytes(b"\x08\x07\x12\x04garbage-bytes")
    bad = run_cli("--import-onnx", str(truncated), "-o", "o.mlir", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "o.mlir").exists() and not (tmp_path / "o.npz").exists()
    debug = run_cli("--import-onnx", str(truncated), "--debug", cwd=tmp_path)
    assert "Traceback" in debug.stderr


def test_cli_unsupported_model_exit_code_2(tmp_path: Path) -> None:
    onnx.save(two_branch_model(), tmp_path / "u.onnx")
    result = run_cli(
        "--import-onnx", "u.onnx", "--shapes", "[[1,4],[1,4]]", "-o", "u.mlir", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "NonZero 'nonzero': no converter for this op type" in result.stderr
    assert not (tmp_path / "u.mlir").exists() and not (tmp_path / "u.npz").exists()
