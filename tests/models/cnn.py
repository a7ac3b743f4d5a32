"""ResNet-18, ResNet-50 and MobileNetV2 written with `onnx.helper`, with fixed random weights.

The graphs are what `torch.onnx.export` makes of torchvision's models in eval mode, at opset 13:
Conv (no bias) + BatchNormalization + Relu / Clip(0, 6), residual Add, MaxPool,
GlobalAveragePool, Flatten, Gemm. Node and tensor names follow that exporter's style
(`/layer1/layer1.0/conv1/Conv`, `layer1.0.bn1.running_mean`), so locations in the IR read like
the ones users see. Nothing needs torch, and every byte is fixed by the seed.

Weights are He-normal (std = sqrt(2 / fan_in)), which keeps activations near unit scale through
the depth. BatchNormalization gets statistics of the kind a trained network has: scales around 1,
small shifts, running means and variances away from 0 and 1, and small scales on the last
BatchNormalization of each residual branch (trained ResNets learn those), so that the residual
sum does not double the variance block after block. The weights do not depend on the input size
or batch, which only change the graph's input and output shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
# IR version 7 is the one that introduced opset 13; pinning it keeps the bytes independent of
# the installed onnx version's default.
IR_VERSION = 7
PRODUCER = "nntc-tests"
NUM_CLASSES = 1000
INPUT_NAME = "input"
OUTPUT_NAME = "output"
BN_EPSILON = 1e-5


@dataclass
class _GraphBuilder:
    """Collects nodes and initializers in creation order, naming them as torch.onnx does."""

    rng: np.random.Generator
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)

    def weight(self, name: str, array: np.ndarray) -> str:
        if name in self._names:
            raise ValueError(f"duplicate tensor name {name}")
        self._names.add(name)
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op_type: str, scope: str, inputs: list[str], **attrs: object) -> str:
        """Adds `op_type` named `<scope>/<op_type>`; returns its output tensor's name."""
        name = f"{scope}/{op_type}"
        if name in self._names:
            raise ValueError(f"duplicate node name {name}")
        self._names.add(name)
        output = f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    def conv(
        self,
        x: str,
        module: str,
        c_in: int,
        c_out: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
    ) -> str:
        """A bias-free `kernel`x`kernel` conv with 'same'-style padding kernel // 2."""
        fan_in = c_in // groups * kernel * kernel
        w = self.rng.standard_normal((c_out, c_in // groups, kernel, kernel)) * np.sqrt(2 / fan_in)
        weight = self.weight(f"{module}.weight", w)
        pad = kernel // 2
        return self.node(
            "Conv",
            _scope(module),
            [x, weight],
            dilations=[1, 1],
            group=groups,
            kernel_shape=[kernel, kernel],
            pads=[pad, pad, pad, pad],
            strides=[stride, stride],
        )

    def batch_norm(self, x: str, module: str, channels: int, residual_end: bool = False) -> str:
        scale_range = (0.1, 0.4) if residual_end else (0.5, 1.5)
        gamma = self.rng.uniform(*scale_range, channels)
        beta = self.rng.normal(0.0, 0.1, channels)
        mean = self.rng.normal(0.0, 0.2, channels)
        var = self.rng.uniform(0.5, 2.0, channels)
        inputs = [
            x,
            self.weight(f"{module}.weight", gamma),
            self.weight(f"{module}.bias", beta),
            self.weight(f"{module}.running_mean", mean),
            self.weight(f"{module}.running_var", var),
        ]
        return self.node(
            "BatchNormalization", _scope(module), inputs, epsilon=BN_EPSILON, momentum=0.9
        )

    def relu(self, x: str, module: str) -> str:
        return self.node("Relu", _scope(module), [x])

    def relu6(self, x: str, module: str) -> str:
        # torch exports ReLU6 as Clip with constant min/max inputs (opset >= 11).
        if "relu6.min" not in self._names:
            self.weight("relu6.min", np.array(0.0))
            self.weight("relu6.max", np.array(6.0))
        return self.node("Clip", _scope(module), [x, "relu6.min", "relu6.max"])

    def classifier(self, x: str, module: str, features: int) -> str:
        pooled = self.node("GlobalAveragePool", "/avgpool", [x])
        flat = self.node("Flatten", "", [pooled], axis=1)
        # std 1/sqrt(fan_in): logits of order 1, so a softmax over them is not degenerate.
        w = self.rng.standard_normal((NUM_CLASSES, features)) / np.sqrt(features)
        b = self.rng.normal(0.0, 0.01, NUM_CLASSES)
        inputs = [flat, self.weight(f"{module}.weight", w), self.weight(f"{module}.bias", b)]
        return self.node("Gemm", _scope(module), inputs, alpha=1.0, beta=1.0, transB=1)

    def model(self, graph_name: str, batch: int, size: int) -> onnx.ModelProto:
        """The model whose output is the last node's, renamed to OUTPUT_NAME."""
        self.nodes[-1].output[0] = OUTPUT_NAME
        graph = helper.make_graph(
            self.nodes,
            graph_name,
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [batch, 3, size, size])],
            [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [batch, NUM_CLASSES])],
            self.initializers,
        )
        return helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            ir_version=IR_VERSION,
            producer_name=PRODUCER,
        )


def _scope(module: str) -> str:
    """`layer1.0.conv1` -> `/layer1/layer1.0/conv1`, the torch exporter's scope naming.

    A numeric part (an index into a Sequential) is named after its parent: `features.0.0` ->
    `/features/features.0/features.0.0`.
    """
    scopes: list[str] = []
    for part in module.split("."):
        scopes.append(f"{scopes[-1]}.{part}" if part.isdigit() and scopes else part)
    return "/" + "/".join(scopes)


def _check_shape(batch: int, input_size: int, minimum: int) -> None:
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    if input_size < minimum:
        raise ValueError(f"input_size must be >= {minimum}, got {input_size}")


def resnet18(input_size: int = 224, batch: int = 1, seed: int = 0) -> onnx.ModelProto:
    """torchvision's resnet18 (BasicBlock, [2, 2, 2, 2]) at NCHW `batch`x3x`input_size`^2."""
    _check_shape(batch, input_size, 32)
    g = _GraphBuilder(np.random.default_rng(seed))
    x = g.conv(INPUT_NAME, "conv1", 3, 64, 7, stride=2)
    x = g.relu(g.batch_norm(x, "bn1", 64), "relu")
    x = g.node("MaxPool", "/maxpool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    channels = 64
    for stage, (width, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        for block in range(2):
            m = f"layer{stage}.{block}"
            s = stride if block == 0 else 1
            y = g.conv(x, f"{m}.conv1", channels, width, 3, stride=s)
            y = g.relu(g.batch_norm(y, f"{m}.bn1", width), f"{m}.relu")
            y = g.conv(y, f"{m}.conv2", width, width, 3)
            y = g.batch_norm(y, f"{m}.bn2", width, residual_end=True)
            if s != 1 or channels != width:
                x = g.conv(x, f"{m}.downsample.0", channels, width, 1, stride=s)
                x = g.batch_norm(x, f"{m}.downsample.1", width)
            x = g.node("Add", _scope(m), [y, x])
            x = g.relu(x, f"{m}.relu_1")
            channels = width
    g.classifier(x, "fc", channels)
    return g.model("resnet18", batch, input_size)


def resnet50(input_size: int = 224, batch: int = 1, seed: int = 0) -> onnx.ModelProto:
    """torchvision's resnet50 (Bottleneck, [3, 4, 6, 3], ResNet v1.5: the stride is on the 3x3
    conv) at NCHW `batch`x3x`input_size`^2; 25,557,032 parameters as torchvision counts them
    (conv and fc weights, fc bias, BN scales and shifts; not the BN running statistics)."""
    _check_shape(batch, input_size, 32)
    g = _GraphBuilder(np.random.default_rng(seed))
    x = g.conv(INPUT_NAME, "conv1", 3, 64, 7, stride=2)
    x = g.relu(g.batch_norm(x, "bn1", 64), "relu")
    x = g.node("MaxPool", "/maxpool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    channels = 64
    stages = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
    for stage, (width, blocks, stride) in enumerate(stages, start=1):
        out = width * BOTTLENECK_EXPANSION
        for block in range(blocks):
            m = f"layer{stage}.{block}"
            s = stride if block == 0 else 1
            y = g.conv(x, f"{m}.conv1", channels, width, 1)
            y = g.relu(g.batch_norm(y, f"{m}.bn1", width), f"{m}.relu")
            y = g.conv(y, f"{m}.conv2", width, width, 3, stride=s)
            y = g.relu(g.batch_norm(y, f"{m}.bn2", width), f"{m}.relu_1")
            y = g.conv(y, f"{m}.conv3", width, out, 1)
            y = g.batch_norm(y, f"{m}.bn3", out, residual_end=True)
            if s != 1 or channels != out:
                x = g.conv(x, f"{m}.downsample.0", channels, out, 1, stride=s)
                x = g.batch_norm(x, f"{m}.downsample.1", out)
            x = g.node("Add", _scope(m), [y, x])
            x = g.relu(x, f"{m}.relu_2")
            channels = out
    g.classifier(x, "fc", channels)
    return g.model("resnet50", batch, input_size)


BOTTLENECK_EXPANSION = 4
"""A bottleneck block's output has 4x the channels of its 3x3 conv."""


# torchvision's MobileNetV2 settings: expansion t, output channels c, repeats n, first stride s.
_MOBILENETV2_SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def mobilenetv2(input_size: int = 224, batch: int = 1, seed: int = 0) -> onnx.ModelProto:
    """torchvision's mobilenet_v2 (width 1.0) at NCHW `batch`x3x`input_size`^2.

    Inverted residual blocks: 1x1 expansion + BN + ReLU6 (when t > 1), 3x3 depthwise + BN + ReLU6,
    1x1 linear projection + BN, and a residual Add when the stride is 1 and the widths agree.
    """
    _check_shape(batch, input_size, 32)
    g = _GraphBuilder(np.random.default_rng(seed))
    x = g.conv(INPUT_NAME, "features.0.0", 3, 32, 3, stride=2)
    x = g.relu6(g.batch_norm(x, "features.0.1", 32), "features.0.2")
    channels = 32
    index = 1
    for expand, width, repeats, first_stride in _MOBILENETV2_SETTINGS:
        for r in range(repeats):
            stride = first_stride if r == 0 else 1
            m = f"features.{index}.conv"
            hidden = channels * expand
            y = x
            layer = 0
            if expand != 1:
                y = g.conv(y, f"{m}.{layer}.0", channels, hidden, 1)
                y = g.relu6(g.batch_norm(y, f"{m}.{layer}.1", hidden), f"{m}.{layer}.2")
                layer += 1
            y = g.conv(y, f"{m}.{layer}.0", hidden, hidden, 3, stride=stride, groups=hidden)
            y = g.relu6(g.batch_norm(y, f"{m}.{layer}.1", hidden), f"{m}.{layer}.2")
            residual = stride == 1 and channels == width
            y = g.conv(y, f"{m}.{layer + 1}", hidden, width, 1)
            y = g.batch_norm(y, f"{m}.{layer + 2}", width, residual_end=residual)
            x = g.node("Add", _scope(f"features.{index}"), [x, y]) if residual else y
            channels = width
            index += 1
    x = g.conv(x, f"features.{index}.0", channels, 1280, 1)
    x = g.relu6(g.batch_norm(x, f"features.{index}.1", 1280), f"features.{index}.2")
    g.classifier(x, "classifier.1", 1280)
    return g.model("mobilenetv2", batch, input_size)
