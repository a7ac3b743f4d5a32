"""INT8 at the quant level: weight and bias quantization, lookup tables, the precision table,
`import-calibration`, the top element-type rule, and a small CNN end to end (ONNX -> top ->
calibration -> quantize -> fake-quant execution) against the float reference."""

from __future__ import annotations

import math
from pathlib import Path

import models
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from xdsl.dialects.builtin import ModuleOp, TensorType, f32
from xdsl.parser import Parser
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import VerifyException

from nntc.dialects import quant, top
from nntc.dialects.quant import CALIBRATION_ATTR, CalibrationAttr, UniformQuantType
from nntc.ir_io import nntc_context
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.quantize import (
    SI8,
    activation_type,
    check_quantized_op,
    lut_inputs,
    quantize_bias,
    quantize_module,
    quantize_weight_per_channel,
)
from nntc.targets.calibration import (
    collect_statistics,
    compute_thresholds,
    table_from_statistics,
)
from nntc.targets.calibration.qtable import (
    PrecisionTableError,
    parse_precision_table,
    read_precision_table,
)
from nntc.targets.calibration.table import parse_calibration_table
from nntc.targets.onnx import import_onnx
from nntc.targets.reference.interpreter import run_module
from nntc.targets.reference.quant_functions import run_quant_module
from nntc.targets.weight_store import attach_weight_store, weight_store_of

# --- weights and biases --------------------------------------------------------------------------


def test_weights_are_symmetric_int8_per_output_channel() -> None:
    rng = np.random.default_rng(1)
    w = (
        rng.standard_normal((6, 3, 3, 3))
        * np.array([1e-3, 0.1, 1.0, 10.0, 0.0, 3.0])[:, None, None, None]
    )
    q, qtype = quantize_weight_per_channel(w, axis=0)
    assert q.dtype == np.int8 and qtype.axis == 0 and qtype.zero_points == (0,) * 6
    for c in range(6):
        abs_max = np.abs(w[c]).max()
        if abs_max == 0.0:
            assert (q[c] == 0).all()  # an all-zero channel stays exactly zero
            continue
        assert qtype.scales[c] == abs_max / 127  # the scale is exactly max|w_oc| / 127
        assert np.abs(q[c]).max() == 127  # the largest weight uses the whole range
        assert np.abs(q[c] * qtype.scales[c] - w[c]).max() <= qtype.scales[c] / 2 * (1 + 1e-12)
    assert q.min() >= -127  # symmetric: -128 is never used


def test_matmul_weights_are_per_column() -> None:
    w = np.array([[1.0, -20.0], [0.5, 4.0], [-2.0, 0.0]])
    q, qtype = quantize_weight_per_channel(w, axis=1)
    assert qtype.scales == (2.0 / 127, 20.0 / 127)
    assert q.tolist() == [[64, -127], [32, 25], [-127, 0]]  # 63.5 rounds away from zero


def test_bias_is_int32_at_input_times_weight_scale() -> None:
    bias = np.array([0.5, -1.25, 1000.0, 0.0])
    w_scales = (0.01, 0.02, 0.5, 1.0)
    q, qtype = quantize_bias(bias, 0.03, w_scales)
    assert q.dtype == np.int32 and qtype.storage_dtype == np.int32
    assert qtype.scales == pytest.approx([0.03 * s for s in w_scales], rel=1e-15)
    assert q.tolist() == [round(0.5 / 3e-4), -round(1.25 / 6e-4), round(1000.0 / 0.015), 0]


def test_activation_types() -> None:
    calib = CalibrationAttr(2.54, -2.0, 2.54)
    signed = activation_type(calib)
    assert (signed.storage_dtype, signed.scale) == (np.int8, 2.54 / 127)
    relu = activation_type(calib, non_negative=True)  # a relu'd tensor uses the sign bit too
    assert (relu.storage_dtype, relu.scale) == (np.uint8, 2.54 / 255)
    assert activation_type(CalibrationAttr(3.0, 0.0, 3.0)).storage_dtype == np.uint8
    asym = activation_type(CalibrationAttr(3.0, -1.0, 3.0), asymmetric=True)
    assert (asym.storage_dtype, asym.scale, asym.zero_point) == (np.uint8, 4.0 / 255, 64)
    assert quant.dequantize(np.array([0, 255], np.uint8), asym).tolist() == pytest.approx(
        [-1.0039, 2.996], abs=1e-3
    )


# --- lookup tables -------------------------------------------------------------------------------

ACTIVATIONS = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "silu": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "hardswish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "exp": np.exp,
}


def parse(text: str) -> ModuleOp:
    module = Parser(nntc_context(), text).parse_module()
    module.verify()
    return module


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_lookup_table_matches_the_float_function(name: str) -> None:
    out_max = {"exp": 20.1, "sigmoid": 1.0, "hardswish": 3.0, "silu": 3.0, "gelu": 3.0}.get(
        name, 1.0
    )
    module = parse(
        f"""
        func.func @main(%a: tensor<2x8xf32>) -> tensor<2x8xf32> {{
          %x = top.input %a {{calib = #quant.calibration<threshold = 3.0, min = -3.0, max = 3.0>}} : tensor<2x8xf32> loc("x")
          %y = top.{name} %x {{calib = #quant.calibration<threshold = {out_max}, min = -1.0, max = {out_max}>}} : tensor<2x8xf32> loc("y")
          func.return %y : tensor<2x8xf32>
        }}"""
    )
    quantize_module(module)
    module.verify()
    (lut,) = [op for op in module.walk() if isinstance(op, quant.LutOp)]
    in_t = lut.input.type.get_element_type()
    out_t = lut.output.type.get_element_type()
    assert (in_t.scale, in_t.storage_dtype) == (3.0 / 127, np.int8)
    table = weight_store_of(module)[lut.table.owner.weight_name.data]
    assert table.shape == (256,) and table.dtype == out_t.storage_dtype
    x = quant.dequantize(lut_inputs(in_t), in_t).astype(np.float64)
    expected = ACTIVATIONS[name](x)
    got = quant.dequantize(table, out_t)
    inside = (expected >= quant.dequantize(np.array(out_t.storage_min), out_t)) & (
        expected <= quant.dequantize(np.array(out_t.storage_max), out_t)
    )
    # within the output range every entry is the float function rounded to the nearest step
    assert np.abs(got - expected)[inside].max() <= out_t.scale / 2 + 1e-6
    assert inside.sum() > 100
    # entry 255 is the input byte 0xFF, i.e. q = -1 for i8 input
    assert x[255] == pytest.approx(-in_t.scale)
    # and the interpreter's lookup agrees with the table
    xs = np.linspace(-3, 3, 16, dtype=np.float32).reshape(2, 8)
    y = run_quant_module(module, {"x": xs}).outputs["y"]
    qx = quant.quantize(xs, in_t)
    assert np.array_equal(y, quant.dequantize(table[quant.lut_index(qx)], out_t))


# --- precision table -----------------------------------------------------------------------------


def test_precision_table_reads_modes_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("# op_name mode\n\nconv1 F16   # sensitive\n/head/Softmax bf16\nfc INT8\n")
    table = read_precision_table(path)
    assert dict(table) == {"conv1": "F16", "/head/Softmax": "BF16", "fc": "INT8"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a F16\nb F8\n",
            "q.txt:2: unknown precision 'F8' for 'b', expected one of INT8, F16, BF16, F32",
        ),
        ("# x\na F16 extra\n", "q.txt:2: expected 'name precision', got 3 field(s)"),
        ("a F16\n\na F32\n", "q.txt:3: 'a' appears twice (first on line 1)"),
        ("lonely\n", "q.txt:1: expected 'name precision', got 1 field(s)"),
    ],
)
def test_precision_table_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(PrecisionTableError) as err:
        parse_precision_table(text, "q.txt")
    assert str(err.value) == message


# --- import-calibration and the element-type rule ------------------------------------------------

SMALL = """
func.func @main(%a: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %x = top.input %a : tensor<1x4xf32> loc("x")
  %r = top.relu %x : tensor<1x4xf32> loc("r")
  func.return %r : tensor<1x4xf32>
}"""


def test_import_calibration_attaches_and_warns() -> None:
    module = parse(SMALL)
    table = parse_calibration_table(
        "# op_name threshold min max\nx 1.5 -1.0 1.5\nghost 1.0 0.0 1.0\n"
    )
    result = attach_calibration(module, table)
    assert [op.name for op in result.annotated] == ["top.input"]
    assert result.unknown == ["ghost"]
    assert result.warnings == ["calibration table entry 'ghost' names no op in the module"]
    (x,) = [op for op in module.walk() if isinstance(op, top.InputOp)]
    assert x.attributes[CALIBRATION_ATTR] == CalibrationAttr(1.5, -1.0, 1.5)


def test_top_ops_reject_mixed_float_and_quantized_tensors() -> None:
    with pytest.raises(VerifyException, match="expected every tensor of the op to be quantized"):
        parse(
            """
            func.func @main(%a: tensor<4x!quant.uniform<i8:f32, 0.1>>, %b: tensor<4xf32>) {
              %s = top.add %a, %b : (tensor<4x!quant.uniform<i8:f32, 0.1>>, tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.1>>
              func.return
            }"""
        )


def test_quantized_conv_checks_its_bias_scales() -> None:
    module = parse(
        """
        func.func @main(%x: tensor<1x1x2x2x!quant.uniform<i8:f32, 0.5>>,
                        %w: tensor<2x1x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2}>>,
                        %b: tensor<2x!quant.uniform<i32:f32:0, {0.05, 0.2}>>) {
          %c = top.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x2x!quant.uniform<i8:f32, 0.5>>, tensor<2x1x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2}>>, tensor<2x!quant.uniform<i32:f32:0, {0.05, 0.2}>>) -> tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1>>
          func.return
        }"""
    )
    (conv,) = [op for op in module.walk() if isinstance(op, top.ConvOp)]
    with pytest.raises(
        VerifyException,
        match=r"expected bias scales to be input scale x filter scales \[0.05, 0.1\]",
    ):
        check_quantized_op(conv)


# --- end to end ----------------------------------------------------------------------------------


def small_cnn() -> onnx.ModelProto:
    """conv-relu, maxpool, a residual conv-add, concat, sigmoid, global pool, gemm, softmax."""
    rng = np.random.default_rng(3)

    init = models.he_initializer(rng)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"
        ),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Add", ["c2", "p1"], ["a2"], name="add2"),
        helper.make_node("Relu", ["a2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3"], ["c3"], name="conv3"),
        helper.make_node("Sigmoid", ["c3"], ["s3"], name="sig3"),
        helper.make_node("Concat", ["r2", "s3"], ["cat"], axis=1, name="cat"),
        helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1, name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10])],
        [
            init("w1", 8, 3, 3, 3),
            init("b1", 8),
            init("w2", 8, 8, 3, 3),
            init("b2", 8),
            init("w3", 4, 8, 1, 1),
            init("wf", 10, 12),
            init("bf", 10),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("method", ["max", "percentile"])
@pytest.mark.parametrize("asymmetric", [False, True])
def test_small_cnn_int8_agrees_with_float(method: str, asymmetric: bool) -> None:
    module, store = import_onnx(small_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    rng = np.random.default_rng(11)
    calibration = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(8)]
    held_out = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(8)]
    statistics = collect_statistics(module, calibration, store=store)
    table = table_from_statistics(statistics, compute_thresholds(statistics, method), method=method)
    reference = [run_module(module, x, store=store).outputs for x in held_out]
    assert attach_calibration(module, table).unknown == []

    quantize_module(module, asymmetric=asymmetric)
    module.verify()
    names = {op.name for op in module.walk()}
    assert {"quant.qcast", "quant.dcast", "quant.lut", "quant.requant"} <= names
    (fc,) = [op for op in module.walk() if isinstance(op, top.MatMulOp)]
    assert isinstance(fc.output.type.get_element_type(), UniformQuantType)
    (softmax,) = [op for op in module.walk() if isinstance(op, top.SoftmaxOp)]
    assert softmax.output.type == TensorType(f32, [1, 10])  # kept in float by default

    for x, expected in zip(held_out, reference, strict=True):
        got = run_quant_module(module, x).outputs
        assert got.keys() == expected.keys()
        for name in expected:
            assert got[name].dtype == np.float32  # net outputs stay f32
            assert cosine(got[name], expected[name]) >= 0.99


def test_precision_table_keeps_layers_in_f16() -> None:
    module, store = import_onnx(small_cnn())
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    rng = np.random.default_rng(5)
    data = [{"x": rng.standard_normal((1, 3, 16, 16)).astype(np.float32)} for _ in range(4)]
    statistics = collect_statistics(module, data, store=store)
    table = table_from_statistics(statistics, compute_thresholds(statistics, "max"), method="max")
    attach_calibration(module, table)
    warnings = quantize_module(module, qtable={"conv2": "F16", "nothing": "BF16"})
    module.verify()
    assert warnings == ["precision table entry 'nothing' names no op in the module"]
    (conv1, conv2, _) = [op for op in module.walk() if isinstance(op, top.ConvOp)]
    assert str(conv2.output.type.get_element_type()) == "f16"
    assert str(conv2.filter.type.get_element_type()) == "f16"
    assert weight_store_of(module)[conv2.filter.owner.weight_name.data].dtype == np.float16
    assert conv1.filter.type.get_element_type().storage_type == SI8
    y = run_quant_module(module, data[0]).outputs["prob"]
    assert cosine(y, run_module_float(data[0])) >= 0.99


def run_module_float(inputs: dict[str, np.ndarray]) -> np.ndarray:
    module, store = import_onnx(small_cnn())
    return run_module(module, inputs, store=store).outputs["prob"]
