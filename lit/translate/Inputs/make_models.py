"""Write the small ONNX models the lit tests of `nntc-translate --import-onnx` read.

Usage: python make_models.py OUT_DIR. Weights come from a fixed seed, so the files are the same
on every run.
"""

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(0)


def weight(name: str, *shape: int) -> onnx.TensorProto:
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(np.float32), name)


def ints(name: str, values: list[int] | int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def save(path: Path, nodes, inputs, outputs, initializers, opset: int = 17) -> None:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, path)


def tensor(name: str, shape: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # A small CNN as PyTorch exports it: dynamic batch, names like /layer/Op, x.view(n, -1).
    save(
        out / "cnn.onnx",
        [
            helper.make_node(
                "Conv",
                ["input", "conv.w", "conv.b"],
                ["c"],
                name="/conv/Conv",
                pads=[1, 1, 1, 1],
                strides=[2, 2],
            ),
            helper.make_node(
                "BatchNormalization",
                ["c", "bn.s", "bn.b", "bn.m", "bn.v"],
                ["b"],
                name="/bn/BatchNormalization",
            ),
            helper.make_node("Relu", ["b"], ["r"], name="/relu/Relu"),
            helper.make_node(
                "MaxPool",
                ["r"],
                ["p"],
                name="/pool/MaxPool",
                kernel_shape=[3, 3],
                strides=[2, 2],
                pads=[1, 1, 1, 1],
                ceil_mode=1,
            ),
            helper.make_node("GlobalAveragePool", ["p"], ["g"], name="/gap/GlobalAveragePool"),
            helper.make_node("Shape", ["g"], ["shape"], name="/Shape"),
            helper.make_node("Gather", ["shape", "zero"], ["n"], name="/Gather", axis=0),
            helper.make_node("Unsqueeze", ["n", "axis0"], ["n1"], name="/Unsqueeze"),
            helper.make_node("Concat", ["n1", "minus1"], ["target"], name="/Concat", axis=0),
            helper.make_node("Reshape", ["g", "target"], ["flat"], name="/Reshape"),
            helper.make_node(
                "Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="/fc/Gemm", transB=1
            ),
            helper.make_node("Softmax", ["logits"], ["prob"], name="/Softmax"),
        ],
        [tensor("input", ["batch", 3, 16, 16])],
        [tensor("prob", ["batch", 10])],
        [
            weight("conv.w", 8, 3, 3, 3),
            weight("conv.b", 8),
            weight("bn.s", 8),
            weight("bn.b", 8),
            weight("bn.m", 8),
            numpy_helper.from_array(np.ones(8, np.float32), "bn.v"),
            ints("zero", 0),
            ints("axis0", [0]),
            ints("minus1", [-1]),
            weight("fc.w", 10, 8),
            weight("fc.b", 10),
        ],
    )
    # Unsupported constructs in three places.
    save(
        out / "unsupported.onnx",
        [
            helper.make_node("NonZero", ["x"], ["nz"], name="nonzero"),
            helper.make_node("Pad", ["x", "pads"], ["padded"], name="pad_wrap", mode="wrap"),
            helper.make_node("ConvTranspose", ["x3d", "w3d"], ["c3d"], name="deconv3d"),
        ],
        [tensor("x", [1, 2, 4, 4]), tensor("x3d", [1, 2, 4, 4, 4])],
        [
            helper.make_tensor_value_info("nz", TensorProto.INT64, [4, None]),
            tensor("padded", [1, 2, 6, 6]),
            tensor("c3d", [1, 2, 4, 4, 4]),
        ],
        [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), weight("w3d", 2, 2, 1, 1, 1)],
    )
    # An opset-9 model: Upsample and attribute-form Unsqueeze go through the version converter.
    save(
        out / "opset9.onnx",
        [
            helper.make_node("Upsample", ["x", "scales"], ["up"], name="upsample", mode="nearest"),
            helper.make_node("Unsqueeze", ["up"], ["y"], name="unsqueeze", axes=[0]),
        ],
        [tensor("x", [1, 2, 3, 3])],
        [tensor("y", [1, 1, 2, 6, 6])],
        [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")],
        opset=9,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
