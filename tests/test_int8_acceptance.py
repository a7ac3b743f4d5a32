"""INT8 acceptance measurements of issue 7 (item 7): `nntc-cali` bmodels in the simulator vs FP32.

- EfficientNet-Lite0 (ImageNet weights) calibrated on six colour photos bundled in scikit-image,
  written as PNG; five other bundled images are held out, and six crops of each (the whole image,
  four corners and the centre at 75 % of each side) are run by the INT8 bmodel in the simulator
  and by onnxruntime in FP32: top-1 agreement >= 90 % and FP32 top-1 within the INT8 top-5 for
  every crop (the issue's goals; onnxruntime's own static PTQ reaches 81.7 % on such a set).
- A small CNN trained here with torch on sklearn's digits (8x8 gray), written as ONNX with
  onnx.helper, calibrated on 64 training images: INT8 accuracy on the test split within 0.5
  points of FP32.

- ResNet-18 (`models.resnet18_onnx()`, He-initialised, 224 x 224) calibrated on the same six
  photos (`--methods percentile`): output cosine against FP32 >= 0.99 on the five held-out photos,
  INT8 bmodel in the simulator.

The PP-OCRv4 detector is not measured here: see docs/int8.md for its status. Numbers measured and
timings are in docs/int8.md too; the tests skip, saying what to install, when torch,
the EfficientNet wheels, scikit-image or scikit-learn are absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import models
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

from nntc.cali import main

# ImageNet normalisation, as the model package's own example transform (mean/std of torchvision);
# bgr2rgb because nntc-cali, like the seed's tool, treats loaded images as BGR.
IMAGENET_PREPROCESS = (
    "resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;"
    "scale=0.0171:0.0175:0.0174;bgr2rgb=True"
)
# Digits pixels are 0..16; the PNGs hold 15x that (exact in 8 bits) and the scale maps back to
# the 0..1 range the net was trained on.
DIGITS_SCALE = 15
DIGITS_PREPROCESS = "resize_h=8,resize_w=8;mean_value=0;scale=0.0041666667;gray=True"


def _cali(net: str, model: Path, images: Path, preprocess: str, shape: str, out: Path) -> Path:
    """Runs nntc-cali with the seed's flags; returns the written bmodel."""
    code = main(
        [
            "--net_name",
            net,
            "--model",
            str(model),
            "--cali_image_path",
            str(images),
            "--cali_image_preprocess",
            preprocess,
            "--input_names",
            "input",
            "--input_shapes",
            shape,
            "--target",
            "BM1684X",
            "--outdir",
            str(out),
            *(
                {"efficientnet": ["--methods", "max"], "resnet18": ["--methods", "percentile"]}.get(
                    net, []
                )
            ),
        ]
    )
    assert code == 0, f"nntc-cali exited with {code}"
    bmodel = out / f"{net}_batch1" / "compilation.bmodel"
    assert bmodel.is_file()
    return bmodel


def _photos() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Calibration and held-out colour images of scikit-image (`models.photos`, as `make run`)."""
    pytest.importorskip("skimage.data")
    from models.photos import bundled_photos

    return bundled_photos()


def _crops(image: np.ndarray) -> Iterator[np.ndarray]:
    """The whole image, then its four corners and centre at 75 % of each side."""
    h, w = image.shape[:2]
    ch, cw = int(h * 0.75), int(w * 0.75)
    yield image
    for y, x in [
        (0, 0),
        (0, w - cw),
        (h - ch, 0),
        (h - ch, w - cw),
        ((h - ch) // 2, (w - cw) // 2),
    ]:
        yield np.ascontiguousarray(image[y : y + ch, x : x + cw])


def test_efficientnet_lite0_int8_agrees_with_fp32_on_held_out_crops(tmp_path: Path) -> None:
    from nntc.targets.bm1684x.simulator import Simulator
    from nntc.targets.calibration.preprocess import parse_preprocess

    spec = models.MODELS["efficientnet-lite0"]
    if spec.missing():
        pytest.skip(f"EfficientNet-Lite0 needs {spec.needs}")
    calibration, held_out = _photos()
    folder = tmp_path / "cali"
    folder.mkdir()
    for name, pixels in calibration.items():
        Image.fromarray(pixels).save(folder / f"{name}.png")
    onnx_path = spec.build()
    bmodel = _cali(
        "efficientnet", onnx_path, folder, IMAGENET_PREPROCESS, "[1,3,224,224]", tmp_path / "out"
    )

    simulator = Simulator(bmodel)
    preprocess = parse_preprocess(IMAGENET_PREPROCESS).for_input(spec.input_shape)
    agree: list[bool] = []
    in_top5: list[str] = []
    cosines: list[float] = []
    for name, image in held_out.items():
        for index, crop in enumerate(_crops(image)):
            x = preprocess.apply(crop)[None].astype(np.float32)
            fp32 = models.reference_output(onnx_path, x)[spec.output_name].ravel()
            int8 = simulator.run({spec.input_name: x}).outputs[spec.output_name].ravel()
            agree.append(int(fp32.argmax()) == int(int8.argmax()))
            if int(fp32.argmax()) not in np.argsort(int8)[-5:]:
                in_top5.append(f"{name}[{index}]")
            cosines.append(float(fp32 @ int8 / (np.linalg.norm(fp32) * np.linalg.norm(int8))))
    assert len(agree) == 30
    top1 = float(np.mean(agree))
    # measured: 28 of 30 (93.3 %); in both misses (whole colour wheel, a logo crop) INT8 ranks
    # the FP32 class second
    assert top1 >= 0.90, f"top-1 agreement {top1:.1%} ({sum(agree)} of {len(agree)})"
    assert not in_top5, f"FP32 top-1 not in INT8 top-5 for {in_top5}"
    # measured minimum 0.951 (colour wheel crops); the photos are 0.986-0.997
    assert min(cosines) >= 0.94, f"output cosines {np.round(cosines, 4)}"


def _digits_onnx(weights: list[np.ndarray]) -> onnx.ModelProto:
    """conv-relu, conv-relu, maxpool, conv-relu, global average pool, gemm, 1x1x8x8 -> 1x10."""
    names = ["w1", "b1", "w2", "b2", "w3", "b3", "wf", "bf"]
    pads = [1, 1, 1, 1]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=pads, name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=pads, name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node(
            "MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"
        ),
        helper.make_node("Conv", ["p2", "w3", "b3"], ["c3"], pads=pads, name="conv3"),
        helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
        helper.make_node("GlobalAveragePool", ["r3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [
            numpy_helper.from_array(w.astype(np.float32), n)
            for w, n in zip(weights, names, strict=True)
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _train_digits(images: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """15 epochs of Adam on the training split, from a fixed seed; returns the weights."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    x = torch.tensor(images[:, None] / 16.0, dtype=torch.float32)
    y = torch.tensor(labels)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(15):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 32):
            batch = order[start : start + 32]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
            optimizer.step()
    return [p.detach().numpy() for p in net.parameters()]


def test_digits_cnn_int8_accuracy_within_half_a_point_of_fp32(tmp_path: Path) -> None:
    import onnxruntime as ort

    from nntc.targets.bm1684x.simulator import Simulator
    from nntc.targets.calibration.preprocess import parse_preprocess

    datasets = pytest.importorskip("sklearn.datasets")
    selection = pytest.importorskip("sklearn.model_selection")
    digits = datasets.load_digits()
    images = digits.images.astype(np.uint8)
    train_x, test_x, train_y, test_y = selection.train_test_split(
        images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    model = _digits_onnx(_train_digits(train_x, train_y))
    onnx_path = tmp_path / "digits.onnx"
    onnx.save(model, onnx_path)
    folder = tmp_path / "cali"
    folder.mkdir()
    for i, pixels in enumerate(train_x[:64]):
        Image.fromarray(pixels * DIGITS_SCALE).save(folder / f"digit{i:03d}.png")
    bmodel = _cali("digits", onnx_path, folder, DIGITS_PREPROCESS, "[1,1,8,8]", tmp_path / "out")

    preprocess = parse_preprocess(DIGITS_PREPROCESS).for_input([1, 1, 8, 8])
    session = ort.InferenceSession(onnx_path.read_bytes(), providers=["CPUExecutionProvider"])
    simulator = Simulator(bmodel)
    fp32_pred: list[int] = []
    int8_pred: list[int] = []
    for pixels in test_x:
        x = preprocess.apply(pixels * DIGITS_SCALE)[None].astype(np.float32)
        (fp32,) = session.run(None, {"input": x})
        fp32_pred.append(int(fp32.argmax()))
        int8_pred.append(int(simulator.run({"input": x}).outputs["logits"].argmax()))
    fp32_acc = float(np.mean(np.array(fp32_pred) == test_y))
    int8_acc = float(np.mean(np.array(int8_pred) == test_y))
    assert fp32_acc >= 0.95, f"the FP32 net did not learn: accuracy {fp32_acc:.1%}"
    assert abs(int8_acc - fp32_acc) <= 0.005, f"FP32 {fp32_acc:.2%}, INT8 {int8_acc:.2%}"


def test_resnet18_int8_output_cosine_on_held_out_photos(tmp_path: Path) -> None:
    from nntc.targets.bm1684x.simulator import Simulator
    from nntc.targets.calibration.preprocess import parse_preprocess

    calibration, held_out = _photos()
    folder = tmp_path / "cali"
    folder.mkdir()
    for name, pixels in calibration.items():
        Image.fromarray(pixels).save(folder / f"{name}.png")
    onnx_path = models.resnet18_onnx()
    bmodel = _cali(
        "resnet18", onnx_path, folder, IMAGENET_PREPROCESS, "[1,3,224,224]", tmp_path / "out"
    )
    simulator = Simulator(bmodel)
    preprocess = parse_preprocess(IMAGENET_PREPROCESS).for_input([1, 3, 224, 224])
    cosines = {}
    for name, image in held_out.items():
        x = preprocess.apply(image)[None].astype(np.float32)
        fp32 = models.reference_output(onnx_path, x)["output"].ravel().astype(np.float64)
        int8 = simulator.run({"input": x}).outputs["output"].ravel().astype(np.float64)
        cosines[name] = float(fp32 @ int8 / (np.linalg.norm(fp32) * np.linalg.norm(int8)))
    assert min(cosines.values()) >= 0.99, f"output cosines {cosines}"
