"""Python builders, shape functions, printing and canonicalization of the `top` dialect.

Output shapes are checked against independent references: numpy for matmul and broadcasting,
onnxruntime for convolution and pooling.
"""

import io
from collections.abc import Callable, Sequence

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Builtin,
    DenseIntOrFPElementsAttr,
    ModuleOp,
    NameLoc,
    TensorType,
    f32,
    i32,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import VerifyException

from nntc.dialects import top


def tensor(*shape: int) -> TensorType:
    return TensorType(f32, list(shape))


def make_module(
    arg_types: Sequence[TensorType], build: Callable[..., list[Operation]]
) -> tuple[ModuleOp, list[Operation]]:
    """A module with one function `f(args)` whose body is `build(*args)`, returning the last op."""
    block = Block(arg_types=arg_types)
    ops = build(*block.args)
    result = ops[-1].results[0]
    block.add_ops([*ops, func.ReturnOp(result)])
    function = func.FuncOp("f", (list(arg_types), [result.type]), Region(block))
    return ModuleOp([function]), ops


def context() -> Context:
    ctx = Context()
    for dialect in (Builtin, func.Func, top.Top):
        ctx.load_dialect(dialect)
    return ctx


def print_module(module: ModuleOp, *, generic: bool = False, debuginfo: bool = False) -> str:
    stream = io.StringIO()
    Printer(stream=stream, print_generic_format=generic, print_debuginfo=debuginfo).print_op(module)
    return stream.getvalue()


def parse_module(text: str) -> ModuleOp:
    module = Parser(context(), text).parse_module()
    module.verify()
    return module


# --- conv ----------------------------------------------------------------------------------------


def test_conv_builder_infers_shape_verifies_and_round_trips() -> None:
    module, (weight, bias, conv) = make_module(
        [tensor(1, 3, 224, 224)],
        lambda x: [
            w := top.WeightOp("conv1.weight", tensor(64, 3, 7, 7)),
            b := top.WeightOp("conv1.bias", tensor(64)),
            top.ConvOp(x, w, b, strides=(2, 2), pads=(3, 3, 3, 3), do_relu=True, location="conv1"),
        ],
    )
    module.verify()
    assert isinstance(conv, top.ConvOp)
    assert conv.output.type == tensor(1, 64, 112, 112)
    assert conv.strides_values == (2, 2)
    assert conv.pads_values == (3, 3, 3, 3)
    assert conv.dilations_values == (1, 1)  # absent property reads as ones
    assert conv.dilations is None
    assert conv.group_value == 1
    assert conv.kernel_shape_values == (7, 7)
    assert conv.do_relu_value is True
    assert conv.relu_limit_value is None
    assert isinstance(conv.location, NameLoc) and conv.location.desc.data == "conv1"

    text = print_module(module)
    assert (
        "top.conv %0, %1, %2 {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>, "
        "do_relu = true} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) "
        "-> tensor<1x64x112x112xf32>" in text
    )
    assert print_module(parse_module(text)) == text
    generic = print_module(module, generic=True, debuginfo=True)
    assert 'loc("conv1")' in generic
    reparsed = parse_module(generic)
    assert print_module(reparsed, generic=True, debuginfo=True) == generic


def test_conv_builder_rejects_inconsistent_operands() -> None:
    x = Block(arg_types=[tensor(1, 4, 8, 8), tensor(8, 3, 3, 3)]).args
    with pytest.raises(VerifyException, match=r"filter input channels x group \(3 x 1 = 3\)"):
        top.ConvOp(x[0], x[1])


def test_builders_reject_non_tensor_operands() -> None:
    x, w = Block(arg_types=[i32, tensor(4, 3, 3, 3)]).args
    with pytest.raises(VerifyException, match="expected a tensor for input, got i32"):
        top.ConvOp(x, w)


def test_conv_verifier_rejects_wrong_result_type() -> None:
    module, (conv,) = make_module(
        [tensor(1, 3, 8, 8), tensor(4, 3, 3, 3)],
        lambda x, w: [top.ConvOp(x, w, pads=(1, 1, 1, 1), result_type=tensor(1, 4, 6, 6))],
    )
    with pytest.raises(VerifyException, match=r"expected result shape \[1, 4, 8, 8\]"):
        conv.verify()


def test_relu_limit_needs_do_relu() -> None:
    _, (conv,) = make_module(
        [tensor(1, 3, 8, 8), tensor(4, 3, 3, 3)],
        lambda x, w: [top.ConvOp(x, w, relu_limit=6.0)],
    )
    with pytest.raises(VerifyException, match=r"expected do_relu = true when relu_limit \(6.0\)"):
        conv.verify()


def _onnxruntime_output_shape(
    node: onnx.NodeProto, inputs: dict[str, Sequence[int]]
) -> tuple[int, ...]:
    """The shape onnxruntime produces for `node`, the numeric reference of end-to-end tests.

    Not ONNX shape inference: for ceil-mode pooling it keeps a last window that starts in the end
    padding, which onnxruntime and PyTorch drop (e.g. MaxPool 11 -> 5 instead of 4 below).
    """
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # ONNX's inferred shape may differ (see above); not a failure
    session = ort.InferenceSession(model.SerializeToString(), options)
    feeds = {n: np.zeros(s, np.float32) for n, s in inputs.items()}
    return tuple(session.run(None, feeds)[0].shape)


@pytest.mark.parametrize(
    ("input_shape", "filter_shape", "strides", "pads", "dilations", "group"),
    [
        ((1, 3, 224, 224), (64, 3, 7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1),
        ((2, 16, 15, 17), (32, 4, 3, 5), (2, 3), (0, 1, 2, 2), (2, 1), 4),
        ((1, 32, 10, 10), (32, 1, 3, 3), (1, 1), (1, 1, 1, 1), (3, 3), 32),
        ((1, 8, 9, 9), (4, 8, 1, 1), (4, 4), (0, 0, 0, 0), (1, 1), 1),
    ],
)
def test_conv_output_shape_matches_onnxruntime(
    input_shape: tuple[int, ...],
    filter_shape: tuple[int, ...],
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    dilations: tuple[int, ...],
    group: int,
) -> None:
    node = helper.make_node(
        "Conv", ["x", "w"], ["y"], strides=strides, pads=pads, dilations=dilations, group=group
    )
    expected = _onnxruntime_output_shape(node, {"x": input_shape, "w": filter_shape})
    actual = top.conv_output_shape(
        input_shape, filter_shape, strides=strides, pads=pads, dilations=dilations, group=group
    )
    assert actual == expected


# --- pooling -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_shape", "kernel", "strides", "pads", "ceil_mode"),
    [
        ((1, 64, 112, 112), (3, 3), (2, 2), (1, 1, 1, 1), False),
        ((1, 16, 7, 7), (2, 2), (2, 2), (0, 0, 0, 0), True),
        ((1, 16, 7, 7), (2, 2), (2, 2), (0, 0, 0, 0), False),
        ((1, 8, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1), True),
        ((2, 4, 11, 5), (3, 2), (3, 2), (1, 0, 2, 1), True),  # last window would start in padding
    ],
)
def test_pool_output_shape_matches_onnxruntime(
    input_shape: tuple[int, ...],
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    ceil_mode: bool,
) -> None:
    for onnx_op, op_class in (("MaxPool", top.MaxPoolOp), ("AveragePool", top.AvgPoolOp)):
        node = helper.make_node(
            onnx_op,
            ["x"],
            ["y"],
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
            ceil_mode=int(ceil_mode),
        )
        expected = _onnxruntime_output_shape(node, {"x": input_shape})
        x = Block(arg_types=[tensor(*input_shape)]).args[0]
        op = op_class(x, kernel_shape=kernel, strides=strides, pads=pads, ceil_mode=ceil_mode)
        op.verify()
        assert op.output.type == tensor(*expected), onnx_op


def test_avgpool_builder_properties() -> None:
    x = Block(arg_types=[tensor(1, 16, 8, 8)]).args[0]
    op = top.AvgPoolOp(x, kernel_shape=(2, 2), count_include_pad=True, do_relu=True)
    op.verify()
    assert op.output.type == tensor(1, 16, 7, 7)
    assert op.strides_values == (1, 1)
    assert op.pads_values == (0, 0, 0, 0)
    assert op.kernel_shape_values == (2, 2)
    assert op.count_include_pad_value is True
    assert op.ceil_mode_value is False
    assert op.do_relu_value is True


def test_global_avgpool_builder() -> None:
    x = Block(arg_types=[tensor(2, 512, 7, 7)]).args[0]
    op = top.GlobalAvgPoolOp(x)
    op.verify()
    assert op.output.type == tensor(2, 512, 1, 1)


# --- matmul and broadcasting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        ((1, 512), (512, 1000)),
        ((2, 1, 4, 8), (3, 8, 5)),
        ((8,), (8, 3)),
        ((4, 8), (8,)),
        ((8,), (8,)),
    ],
)
def test_matmul_output_shape_matches_numpy(lhs: tuple[int, ...], rhs: tuple[int, ...]) -> None:
    expected = np.matmul(np.zeros(lhs, np.float32), np.zeros(rhs, np.float32)).shape
    assert top.matmul_output_shape(lhs, rhs) == expected


def test_matmul_builder_with_bias() -> None:
    a, w, b = Block(arg_types=[tensor(1, 512), tensor(512, 10), tensor(10)]).args
    op = top.MatMulOp(a, w, b, do_relu=True, relu_limit=6.0)
    op.verify()
    assert op.output.type == tensor(1, 10)
    assert op.relu_limit_value == 6.0


@pytest.mark.parametrize(
    "shapes", [[(1, 64, 56, 56), (1, 64, 1, 1)], [(3, 1), (4,)], [(5,), (2, 1, 5), (1, 3, 1)]]
)
def test_broadcast_shapes_matches_numpy(shapes: list[tuple[int, ...]]) -> None:
    assert top.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_broadcast_shapes_names_the_clash() -> None:
    with pytest.raises(VerifyException, match=r"got \[2, 3\] and \[4\]"):
        top.broadcast_shapes((2, 3), (4,))


def test_add_and_mul_builders() -> None:
    a, b = Block(arg_types=[tensor(1, 64, 56, 56), tensor(1, 64, 1, 1)]).args
    add = top.AddOp([a, b], coeff=(1.0, -1.0))
    mul = top.MulOp([a, b])
    for op in (add, mul):
        op.verify()
        assert op.output.type == tensor(1, 64, 56, 56)
    assert add.coeff_values == (1.0, -1.0)
    assert top.AddOp([a, b]).coeff_values == (1.0, 1.0)


# --- the other ops -------------------------------------------------------------------------------


def test_weight_builder_inline_value_and_constant_value() -> None:
    value = DenseIntOrFPElementsAttr.from_list(tensor(2), [1.0, 2.0])
    op = top.WeightOp("b", value=value)
    op.verify()
    assert op.output.type == tensor(2)
    assert op.weight_name.data == "b"
    assert ConstantLike.get_constant_value(op.output) == value
    assert ConstantLike.get_constant_value(top.WeightOp("w", tensor(2)).output) is None
    with pytest.raises(ValueError, match="result_type or an inline value"):
        top.WeightOp("w")


def test_weight_custom_syntax_round_trips() -> None:
    text = """builtin.module {
  func.func @f() -> (tensor<2xf32>, tensor<3x3xf32>) {
    %b = top.weight "b" dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
    %w = top.weight "layer.w" {note = "x"} : tensor<3x3xf32>
    func.return %b, %w : tensor<2xf32>, tensor<3x3xf32>
  }
}"""
    module = parse_module(text)
    assert print_module(module) == text
    weights = [op for op in module.walk() if isinstance(op, top.WeightOp)]
    assert [w.weight_name.data for w in weights] == ["b", "layer.w"]
    assert weights[0].value is not None and weights[1].value is None


def test_input_builder_preprocessing() -> None:
    x = Block(arg_types=[tensor(1, 3, 224, 224)]).args[0]
    op = top.InputOp(
        x,
        pixel_format="rgb",
        resize_dims=(256, 256),
        mean=(123.675, 116.28, 103.53),
        scale=(0.0171, 0.0175, 0.0174),
        location="images",
    )
    op.verify()
    assert op.output.type == x.type
    assert op.mean_values == (123.675, 116.28, 103.53)
    assert op.resize_dims_values == (256, 256)
    assert op.channel_format_value == "nchw"
    bad = top.InputOp(x, channel_format="nhwc", mean=(0.0, 0.0, 0.0))
    with pytest.raises(VerifyException, match=r"expected 224 mean values \(one per channel\)"):
        bad.verify()


def test_softmax_reshape_concat_builders() -> None:
    a, b = Block(arg_types=[tensor(1, 8, 4, 4), tensor(1, 24, 4, 4)]).args
    softmax = top.SoftmaxOp(a, axis=-3)
    concat = top.ConcatOp([a, b], axis=1)
    reshape = top.ReshapeOp(concat, (1, 512))
    for op in (softmax, concat, reshape):
        op.verify()
    assert softmax.axis_value == -3 and softmax.normalized_axis == 1
    assert concat.output.type == tensor(1, 32, 4, 4)
    assert reshape.output.type == tensor(1, 512)
    with pytest.raises(VerifyException, match=r"expected axis in \[-4, 4\), got 4"):
        top.SoftmaxOp(a, axis=4).verify()


# --- canonicalization ----------------------------------------------------------------------------


def test_canonicalize_fuses_relu_and_moves_its_name() -> None:
    def build(x: SSAValue, w: SSAValue) -> list[Operation]:
        conv = top.ConvOp(x, w, location="conv")
        return [conv, top.ReluOp(conv, relu_limit=6.0, location="relu")]

    module, (conv, _) = make_module([tensor(1, 3, 8, 8), tensor(4, 3, 3, 3)], build)
    CanonicalizePass().apply(context(), module)
    module.verify()
    assert not any(isinstance(op, top.ReluOp) for op in module.walk())
    assert isinstance(conv, top.ConvOp)
    assert conv.do_relu_value and conv.relu_limit_value == 6.0
    assert isinstance(conv.location, NameLoc) and conv.location.desc.data == "relu"


# --- ops added for the ONNX importer -------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_shape", "filter_shape", "strides", "pads", "dilations", "output_padding", "group"),
    [
        ((1, 4, 5, 5), (4, 3, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1),
        ((1, 4, 5, 5), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (2, 2), (0, 0), 2),
        ((2, 6, 4, 7), (6, 1, 4, 2), (3, 2), (1, 0, 2, 1), (1, 1), (2, 1), 6),
    ],
)
def test_deconv_output_shape_matches_onnxruntime(
    input_shape: tuple[int, ...],
    filter_shape: tuple[int, ...],
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    dilations: tuple[int, ...],
    output_padding: tuple[int, ...],
    group: int,
) -> None:
    node = helper.make_node(
        "ConvTranspose",
        ["x", "w"],
        ["y"],
        strides=strides,
        pads=pads,
        dilations=dilations,
        output_padding=output_padding,
        group=group,
    )
    expected = _onnxruntime_output_shape(node, {"x": input_shape, "w": filter_shape})
    x, w = Block(arg_types=[tensor(*input_shape), tensor(*filter_shape)]).args
    op = top.DeconvOp(
        x,
        w,
        strides=strides,
        pads=pads,
        dilations=dilations,
        output_padding=output_padding,
        group=group,
    )
    op.verify()
    assert op.output.type == tensor(*expected)
    assert op.output_padding_values == output_padding


def test_new_op_builders_infer_shapes_verify_and_round_trip() -> None:
    def build(x: SSAValue, v: SSAValue, m: SSAValue) -> list[Operation]:
        split = top.SplitOp(x, axis=1, split=(1, 2), location="split")
        return [
            u := top.HardSigmoidOp(x, alpha=0.25, location="hs"),
            g := top.GeluOp(u, approximate="tanh"),
            c := top.ClipOp(g, min=0.0),
            p := top.PowOp(c, exponent=0.5),
            s := top.SubOp(p, v),
            d := top.DivOp(s, v, do_relu=True),
            top.PReluOp(d, v),
            w := top.WhereOp(v, d, x),
            bn := top.BatchNormOp(w, m, m, m, m, epsilon=1e-3),
            ln := top.LayerNormOp(bn, v, v, axis=-1),
            t := top.TransposeOp(ln, perm=(0, 2, 3, 1)),
            sl := top.SliceOp(t, starts=(0, 3, 0, 0), steps=(1, -1, 2, 1), sizes=(1, 4, 2, 3)),
            pad := top.PadOp(sl, pads=(0, 1, 0, 0, 0, 1, 0, 0), mode="edge"),
            e := top.ExpandOp(pad, (2, 1, 1, 1)),
            ga := top.GatherOp(e, indices=(0, -1), axis=3),
            r := top.ResizeOp(ga, mode="linear", scales=(1.0, 2.0, 1.0, 1.0)),
            top.ReduceMeanOp(r, axes=(1, 2), keepdims=False),
            split,
            gm := top.ReshapeOp(split.outputs[1], (2, 16)),
            top.LogSoftmaxOp(gm, axis=0),
        ]

    module, ops = make_module([tensor(1, 3, 4, 4), tensor(4), tensor(3)], build)
    module.verify()
    shapes = {op.name: tuple(op.results[0].type.get_shape()) for op in ops}
    assert shapes["top.slice"] == (1, 4, 2, 3)
    assert shapes["top.pad"] == (1, 6, 2, 3)
    assert shapes["top.expand"] == (2, 6, 2, 3)
    assert shapes["top.gather"] == (2, 6, 2, 2)
    assert shapes["top.resize"] == (2, 12, 2, 2)
    assert shapes["top.reduce_mean"] == (2, 2)
    assert [tuple(r.type.get_shape()) for r in ops[17].results] == [(1, 1, 4, 4), (1, 2, 4, 4)]
    text = print_module(module)
    assert print_module(parse_module(text)) == text
    generic = print_module(module, generic=True, debuginfo=True)
    assert 'loc("split")' in generic and 'loc("hs")' in generic
    assert print_module(parse_module(generic), generic=True, debuginfo=True) == generic


def test_gemm_builder_and_shape_function() -> None:
    a, b, c = Block(arg_types=[tensor(8, 3), tensor(5, 8), tensor(5)]).args
    op = top.GemmOp(a, b, c, alpha=2.0, trans_a=True, trans_b=True)
    op.verify()
    assert op.output.type == tensor(3, 5)
    assert (op.alpha_value, op.beta_value, op.trans_a_value, op.trans_b_value) == (
        2.0,
        1.0,
        True,
        True,
    )
    with pytest.raises(VerifyException, match=r"got K = 3 for a \(trans_a = false\)"):
        top.gemm_output_shape((8, 3), (5, 8), trans_a=False, trans_b=True)


@pytest.mark.parametrize(
    ("shape", "axes", "keepdims"),
    [((2, 3, 4), (1,), True), ((2, 3, 4), (-1, 0), False), ((5,), (0,), False)],
)
def test_reduce_output_shape_matches_numpy(
    shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool
) -> None:
    expected = np.zeros(shape).mean(axis=axes, keepdims=keepdims).shape
    assert top.reduce_output_shape(shape, axes, keepdims) == expected


def test_split_and_slice_builders_reject_bad_options() -> None:
    (x,) = Block(arg_types=[tensor(2, 8)]).args
    with pytest.raises(VerifyException, match=r"expected split sizes \[3, 4\] to sum"):
        top.SplitOp(x, axis=1, split=(3, 4))
    op = top.SliceOp(x, starts=(0, 8), steps=(1, 1), sizes=(2, 1))
    with pytest.raises(VerifyException, match=r"slice indices 8..8 \(step 1\) along dimension 1"):
        op.verify()
