"""The float tpu reference (`targets/reference/tpu_interpreter.py`) against independent numbers.

- ONNX backend node tests: every case of the interpreter conformance that the importer accepts
  goes through import -> canonicalize -> fold-constants -> lower-to-tpu{mode=f32}; the tpu IR
  the BM1684X lowering accepts runs on the tpu reference and must give each data set's expected
  outputs (the node tests' own, the conformance tolerance rtol 1e-3, atol 1e-5). A case
  `lower-to-tpu` refuses must be one of `KNOWN_TPU_REJECTIONS` with its reason (the chip
  conformance refuses the same ones, `conformance.chip.KNOWN_CHIP_REJECTIONS`).
- ResNet-18 at 64 x 64 from `build/models`, tpu IR with and without layer groups, against
  onnxruntime.
- Single ops on f16 / bf16 tensors (rounded results), integer ops refused, `nntc-run` on tpu IR.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import ml_dtypes
import models
import numpy as np
import onnx
import pytest
from conformance import (
    KNOWN_REJECTIONS,
    Case,
    Outcome,
    check_outcome,
    run_case,
    select_cases,
)
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType, bf16, f16, f32, i8, i32
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Attribute, Block, Region
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.utils.exceptions import DiagnosticException

from nntc.dialects import tpu
from nntc.ir_io import nntc_context
from nntc.passes.fold_constants import FoldConstantsPass
from nntc.passes.layer_group import LayerGroupPass
from nntc.passes.lower_to_tpu import LowerToTpuPass
from nntc.targets.onnx import OnnxImportError, UnsupportedModelError, import_onnx
from nntc.targets.reference.tpu_interpreter import (
    FLOAT_KERNELS,
    TpuInterpreterError,
    evaluate_tpu_op,
    run_tpu_module,
)
from nntc.targets.weight_store import WeightStore, attach_weight_store

KNOWN_TPU_REJECTIONS: dict[str, str] = {
    # the node tests feed scale/bias/mean/var, filters and bounds as graph inputs; the BM1684X
    # lowering folds them into constants
    **dict.fromkeys(
        ("test_batchnorm_epsilon", "test_batchnorm_example"),
        "top.batchnorm: a runtime (non-weight) scale",
    ),
    "test_clip_default_inbounds": "top.clip: a lower bound other than 0",
    **dict.fromkeys(
        (
            "test_convtranspose",
            "test_convtranspose_1d",
            "test_convtranspose_autopad_same",
            "test_convtranspose_dilations",
            "test_convtranspose_group_2",
            "test_convtranspose_group_2_image_3",
            "test_convtranspose_kernel_shape",
            "test_convtranspose_output_shape",
            "test_convtranspose_pad",
            "test_convtranspose_pads",
        ),
        "top.deconv: a runtime (non-weight) filter",
    ),
}
"""Cases `lower-to-tpu{mode=f32}` refuses, with a substring of its reason."""

CASES = [case for case in select_cases() if case.name not in KNOWN_REJECTIONS]
_LOCATION = re.compile(r' at loc\("[^"]*"\)')


def _context() -> Context:
    return nntc_context()


def to_tpu(model: onnx.ModelProto, shapes: list[list[int]], layer_group: bool = False) -> ModuleOp:
    """ONNX -> tpu IR by the FP32 pipeline's first passes; raises `DiagnosticException` when
    lower-to-tpu refuses an op."""
    module, store = import_onnx(model, shapes=shapes)
    attach_weight_store(module, store)
    ctx = _context()
    passes = [CanonicalizePass(), FoldConstantsPass(), LowerToTpuPass(chip="bm1684x", mode="f32")]
    for pass_ in [*passes, *([LayerGroupPass()] if layer_group else [])]:
        pass_.apply(ctx, module)
    module.verify()
    return module


def _reason(err: Exception) -> str:
    """A lower-to-tpu message as one line without locations: `top.clip: a lower bound ...`."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    details = lines[1:] if len(lines) > 1 and lines[0].endswith(":") else lines
    return "; ".join(dict.fromkeys(_LOCATION.sub("", line) for line in details))


def _tpu_rejection(err: Exception) -> str | None:
    if isinstance(err, UnsupportedModelError | OnnxImportError | DiagnosticException):
        return _reason(err)
    return None


def run_case_on_tpu_reference(case: Case) -> Outcome:
    """Lower `case` to tpu IR (one module per distinct input shapes) and run every data set."""
    return run_case(case, to_tpu, run_tpu_module, _tpu_rejection)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_backend_case_on_tpu_reference(case: Case) -> None:
    check_outcome(
        case, run_case_on_tpu_reference(case), KNOWN_TPU_REJECTIONS, "KNOWN_TPU_REJECTIONS"
    )


def test_selection_runs_most_cases() -> None:
    # a broken selection or a lowering that starts refusing much cannot pass by running nothing
    assert len(CASES) >= 300
    assert not set(KNOWN_TPU_REJECTIONS) - {case.name for case in CASES}
    assert len(CASES) - len(KNOWN_TPU_REJECTIONS) >= 290


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)))


@pytest.mark.parametrize("layer_group", [False, True], ids=["layers", "groups"])
def test_resnet18_tpu_ir_matches_onnxruntime(layer_group: bool) -> None:
    path = models.resnet18_onnx(input_size=64)
    x = models.sample_input((1, 3, 64, 64), seed=3)
    module = to_tpu(onnx.load(str(path)), [[1, 3, 64, 64]], layer_group=layer_group)
    names = {op.name for op in module.walk()}
    assert ("tpu.group" in names) == layer_group and "top.conv" not in names
    result = run_tpu_module(module, {"input": x}, dump_all=True)
    want = models.reference_output(path, x)["output"]
    got = result.outputs["output"]
    assert got.shape == want.shape == (1, 1000)
    assert _cosine(got, want) >= 0.99999
    assert np.abs(got - want).max() <= 1e-3 * np.abs(want).max()
    # every layer is in the dump under its ONNX node name, the last one being the output
    assert result.all_values is not None
    assert np.array_equal(result.all_values[_last_location(module)], got)


def _last_location(module: ModuleOp) -> str:
    (fn,) = [op for op in module.ops if isinstance(op, FuncOp)]
    ret = fn.body.block.last_op
    assert isinstance(ret, ReturnOp)
    owner = ret.arguments[0].owner
    loc = owner.location  # type: ignore[union-attr]
    return loc.desc.data  # type: ignore[union-attr]


# --- single ops: what the node tests do not reach ----------------------------------------------


def _onnx_model(node: onnx.NodeProto, x_shape: list[int], y_shape: list[int], *inits):
    graph = onnx.helper.make_graph(
        [node],
        "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x_shape)],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, y_shape)],
        list(inits),
    )
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 13)])


def _run_both(model: onnx.ModelProto, x: np.ndarray, expect_op: str, tmp: Path) -> None:
    """The tpu IR of `model` (which must hold `expect_op`) against onnxruntime."""
    module = to_tpu(model, [list(x.shape)])
    assert expect_op in {op.name for op in module.walk()}
    got = run_tpu_module(module, {"x": x}).outputs["y"]
    onnx.save_model(model, tmp / "model.onnx")
    want = models.reference_output(tmp / "model.onnx", x)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_deconv_kernel_equal_stride_is_conv_and_depth_to_space(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    w = onnx.numpy_helper.from_array(rng.standard_normal((3, 2, 2, 3), np.float32), "w")
    b = onnx.numpy_helper.from_array(rng.standard_normal(2, np.float32), "b")
    node = onnx.helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 3])
    model = _onnx_model(node, [1, 3, 4, 5], [1, 2, 8, 15], w, b)
    _run_both(model, rng.standard_normal((1, 3, 4, 5), np.float32), "tpu.depth_to_space", tmp_path)


def test_grouped_deconv_with_pads(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    w = onnx.numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3), np.float32), "w")
    node = onnx.helper.make_node(
        "ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], pads=[1, 0, 0, 1], group=2,
        output_padding=[1, 0],
    )  # fmt: skip
    model = _onnx_model(node, [1, 4, 5, 4], [1, 6, 11, 8], w)
    _run_both(model, rng.standard_normal((1, 4, 5, 4), np.float32), "tpu.deconv2d", tmp_path)


def test_nearest_resize_by_integer_factors_is_upsample(tmp_path: Path) -> None:
    scales = onnx.numpy_helper.from_array(np.array([1, 1, 2, 3], np.float32), "scales")
    roi = onnx.numpy_helper.from_array(np.zeros(0, np.float32), "roi")
    node = onnx.helper.make_node(
        "Resize", ["x", "roi", "scales"], ["y"], mode="nearest",
        coordinate_transformation_mode="asymmetric", nearest_mode="floor",
    )  # fmt: skip
    model = _onnx_model(node, [1, 2, 3, 4], [1, 2, 6, 12], roi, scales)
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4), np.float32)
    _run_both(model, x, "tpu.upsample", tmp_path)


def _values(shape: tuple[int, ...], elem: Attribute) -> tuple[TensorType, Block]:
    """A tensor type and a block with two arguments of it, for ops built outside a module."""
    ty = TensorType(elem, list(shape))
    return ty, Block(arg_types=[ty, ty])


@pytest.mark.parametrize(
    ("elem", "round_to"),
    [
        (f16, lambda v: v.astype(np.float16).astype(np.float32)),
        (bf16, lambda v: v.astype(ml_dtypes.bfloat16).astype(np.float32)),
    ],
    ids=["f16", "bf16"],
)
def test_16_bit_ops_round_their_result(
    elem: Attribute, round_to: Callable[[np.ndarray], np.ndarray]
) -> None:
    ty, block = _values((1, 2, 3, 4), elem)
    rng = np.random.default_rng(4)
    a, b = (round_to(rng.standard_normal((1, 2, 3, 4), np.float32)) for _ in range(2))
    add = tpu.AddOp(block.args, ty, do_relu=True, relu_limit=1.5)
    (got,) = evaluate_tpu_op(add, [a, b])
    want = round_to(np.clip(a.astype(np.float64) + b, 0.0, 1.5).astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got, np.clip(a + b, 0, 1.5))  # the rounding did happen
    exp = tpu.ExpOp(block.args[0])
    (got,) = evaluate_tpu_op(exp, [a])
    np.testing.assert_array_equal(got, round_to(np.exp(a.astype(np.float64)).astype(np.float32)))
    cast = tpu.CastOp(block.args[0], TensorType(f32, [1, 2, 3, 4]))
    np.testing.assert_array_equal(evaluate_tpu_op(cast, [a])[0], a)


def test_integer_ops_and_groups_are_refused_one_line() -> None:
    x = Block(arg_types=[TensorType(i32, [1, 4]), TensorType(f32, [1, 4])])
    requant = tpu.RequantOp(x.args[0], TensorType(i8, [1, 4]), multiplier=[3], rshift=[2])
    with pytest.raises(TpuInterpreterError, match=r"^tpu.requant: an integer tpu op;[^\n]*$"):
        evaluate_tpu_op(requant, [np.zeros((1, 4), np.int32)])
    cast = tpu.CastOp(x.args[1], TensorType(i8, [1, 4]), scale=0.5)
    with pytest.raises(TpuInterpreterError, match="integer tpu op"):
        evaluate_tpu_op(cast, [np.zeros((1, 4), np.float32)])
    relu = tpu.ReluOp(x.args[1])
    np.testing.assert_array_equal(
        evaluate_tpu_op(relu, [np.array([[-1, 2, -3, 4]], np.float32)])[0], [[0, 2, 0, 4]]
    )
    group = tpu.GroupOp(
        [relu.output.type], Region(Block([tpu.YieldOp(x.args[1])])), n_slices=1, h_slices=1
    )
    with pytest.raises(TpuInterpreterError, match=r"^tpu.group: a layer group runs as a whole"):
        evaluate_tpu_op(group, [])


def test_module_with_integer_ops_is_refused() -> None:
    block = Block(arg_types=[TensorType(f32, [1, 4])])
    cast = tpu.CastOp(block.args[0], TensorType(i8, [1, 4]), scale=0.5)
    back = tpu.CastOp(cast.output, TensorType(f32, [1, 4]), scale=0.5)
    block.add_ops([cast, back, ReturnOp(back.output)])
    fn = FuncOp("main", ([TensorType(f32, [1, 4])], [TensorType(f32, [1, 4])]), Region(block))
    module = ModuleOp([fn])
    with pytest.raises(TpuInterpreterError, match=r"integer tpu ops .*tpu.cast; tpu.cast$"):
        run_tpu_module(module, {"input0": np.zeros((1, 4), np.float32)}, store=WeightStore())


def test_every_float_tpu_op_has_a_reference() -> None:
    # a tpu op added to the dialect without a reference here fails this test
    integer_or_structure = {tpu.RequantOp, tpu.LutOp, tpu.GroupOp, tpu.YieldOp}
    missing = [
        op.name
        for op in tpu.Tpu.operations
        if op not in integer_or_structure and op not in FLOAT_KERNELS
    ]
    assert not missing, f"no float reference for {missing}"
