"""The calibration preprocessing string (lark grammar, errors with columns) and its transform."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from xdsl.dialects.builtin import TensorType, f32
from xdsl.ir import Block

from nntc.dialects import top
from nntc.ir_io import read_ir
from nntc.targets.calibration.preprocess import Preprocess, PreprocessError, parse_preprocess

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "resnet_block.mlir"
SEED = (
    "resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;"
    "scale=0.0171:0.0175:0.0174;bgr2rgb=True"
)


def image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_seed_string() -> None:
    p = parse_preprocess(SEED)
    assert p.resize == (224, 224)
    assert p.crop is None
    assert p.mean == (123.675, 116.28, 103.53)
    assert p.scale == (0.0171, 0.0175, 0.0174)
    assert p.pixel_format == "rgb"
    assert p.channel_format == "nchw" and not p.keep_aspect_ratio


def test_every_key() -> None:
    p = parse_preprocess(
        "resize_dims=256:320; crop_h=224, crop_w=288; crop_method=center; mean=0.5; scale=2; "
        "gray=TRUE; channel_format=NHWC; keep_aspect_ratio=1; pad_value=114; pad_type=normal;;"
    )
    assert p == Preprocess(
        resize=(256, 320),
        crop=(224, 288),
        mean=(0.5,),
        scale=(2.0,),
        pixel_format="gray",
        channel_format="nhwc",
        keep_aspect_ratio=True,
        pad_value=114.0,
        pad_type="normal",
    )
    assert parse_preprocess("") == Preprocess()
    assert parse_preprocess("pixel_format=rgba").channels == 4
    assert parse_preprocess("bgr2rgb=False").pixel_format == "bgr"


@pytest.mark.parametrize(
    "text",
    [
        SEED,
        "resize_h=256,resize_w=256;crop_h=224,crop_w=224;mean_value=1;scale=0.5;gray=True",
        "keep_aspect_ratio=True;pad_value=114;pad_type=normal;resize_h=64,resize_w=32",
        "pixel_format=rgba;channel_format=nhwc;mean=1:2:3:4",
    ],
)
def test_to_string_parses_back(text: str) -> None:
    p = parse_preprocess(text)
    assert parse_preprocess(p.to_string()) == p


@pytest.mark.parametrize(
    ("text", "key", "column", "message"),
    [
        ("resize_h=224,resize_x=3", "resize_x", 14, "unknown preprocessing key 'resize_x'"),
        ("resize_h=224,resize_w=2a4", "resize_w", 23, "expected an integer for 'resize_w'"),
        ("resize_h=0,resize_w=4", "resize_h", 10, "expected 'resize_h' >= 1, got 0"),
        ("resize_h=224", "resize_h", 1, "'resize_h' needs 'resize_w' too"),
        ("mean_value=1:2;scale=1", "mean_value", 1, "expected 1 or 3 values for 'mean_value'"),
        ("scale=1:x:3", "scale", 9, "expected a number for 'scale', got 'x'"),
        ("scale=1:inf:3", "scale", 9, "expected a finite number for 'scale'"),
        ("bgr2rgb=yes", "bgr2rgb", 9, "expected True or False for 'bgr2rgb', got 'yes'"),
        ("pad_type=left", "pad_type", 10, "expected 'pad_type' to be one of center, normal"),
        ("crop_method=right", "crop_method", 13, "expected 'crop_method' to be one of center"),
        ("pixel_format=yuv", "pixel_format", 14, "one of rgb, bgr, gray, rgba, got 'yuv'"),
        ("bgr2rgb=True;gray=True", "gray", 14, "'gray=True' contradicts pixel_format rgb"),
        ("mean=1;mean_value=2", "mean_value", 8, "'mean_value' is given twice (first at column 1)"),
        ("resize_dims=1:2:3", "resize_dims", 1, "expected 'resize_dims' as h:w, got 3 value(s)"),
        ("pad_value=1:2", "pad_value", 1, "expected one value for 'pad_value', got a list of 2"),
        ("resize_h=1 resize_w=2", None, 12, "syntax error at 'resize_w'"),
        ("a==b", None, 3, "syntax error at '='"),
        ("resize_h=", None, 10, "expected a value, got the end"),
    ],
)
def test_errors_name_the_key_and_column(
    text: str, key: str | None, column: int, message: str
) -> None:
    with pytest.raises(PreprocessError) as info:
        parse_preprocess(text)
    assert message in str(info.value)
    assert str(info.value).startswith(f"column {column}: ")
    assert info.value.column == column and info.value.key == key


def test_apply_normalises_in_the_nets_channel_order() -> None:
    pixels = image(5, 7)
    mean, scale = (10.0, 20.0, 30.0), (0.5, 0.25, 2.0)
    rgb = Preprocess(mean=mean, scale=scale, pixel_format="rgb").apply(pixels)
    expected = ((pixels.astype(np.float32) - mean) * np.float32(scale)).transpose(2, 0, 1)
    assert rgb.dtype == np.float32 and rgb.shape == (3, 5, 7)
    np.testing.assert_allclose(rgb, expected, rtol=1e-6)
    bgr = Preprocess(mean=mean, scale=scale, pixel_format="bgr").apply(Image.fromarray(pixels))
    expected = ((pixels[:, :, ::-1].astype(np.float32) - mean) * np.float32(scale)).transpose(
        2, 0, 1
    )
    np.testing.assert_allclose(bgr, expected, rtol=1e-6)
    nhwc = Preprocess(pixel_format="rgb", channel_format="nhwc").apply(pixels)
    np.testing.assert_array_equal(nhwc, pixels.astype(np.float32))


def test_gray_uses_the_itu_601_luma() -> None:
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    out = parse_preprocess("gray=True").apply(red)
    assert out.shape == (1, 4, 4)
    assert (out == 76).all()  # round(255 * 0.299)


def test_stretch_resize() -> None:
    flat = np.full((30, 50, 3), (10, 20, 30), np.uint8)
    out = parse_preprocess("resize_h=16,resize_w=8;bgr2rgb=True").apply(flat)
    assert out.shape == (3, 16, 8)
    assert (out[0] == 10).all() and (out[1] == 20).all() and (out[2] == 30).all()


@pytest.mark.parametrize(("pad_type", "rows"), [("center", (16, 48)), ("normal", (0, 32))])
def test_letterbox_resize(pad_type: str, rows: tuple[int, int]) -> None:
    wide = np.full((50, 100, 3), 200, np.uint8)  # 100 wide, 50 high -> 64 x 32 inside 64 x 64
    p = parse_preprocess(
        f"resize_h=64,resize_w=64;keep_aspect_ratio=True;pad_value=7;pad_type={pad_type}"
    )
    out = p.apply(wide)
    assert out.shape == (3, 64, 64)
    inside = np.zeros((64, 64), bool)
    inside[rows[0] : rows[1], :] = True
    assert (out[:, inside] == 200).all()
    assert (out[:, ~inside] == 7).all()


def test_center_crop_follows_tpu_mlir() -> None:
    pixels = image(9, 12, seed=3)
    out = Preprocess(crop=(4, 5), pixel_format="rgb", channel_format="nhwc").apply(pixels)
    top_, left = 9 // 2 - 4 // 2, 12 // 2 - 5 // 2
    np.testing.assert_array_equal(out, pixels[top_ : top_ + 4, left : left + 5].astype(np.float32))
    with pytest.raises(PreprocessError, match="crop 10x5 is larger than the resized image 9x12"):
        Preprocess(crop=(10, 5)).apply(pixels)


def test_apply_refuses_non_images() -> None:
    with pytest.raises(PreprocessError, match="8-bit image array, got dtype float64"):
        Preprocess().apply(np.zeros((4, 4, 3)))
    with pytest.raises(PreprocessError, match=r"got \[4, 4, 2\]"):
        Preprocess().apply(np.zeros((4, 4, 2), np.uint8))


def test_for_input_completes_and_checks() -> None:
    p = parse_preprocess("mean_value=1;bgr2rgb=True").for_input((1, 3, 32, 48))
    assert p.resize == (32, 48) and p.mean == (1.0, 1.0, 1.0) and p.scale == (1.0, 1.0, 1.0)
    assert p.apply(image(100, 60)).shape == (3, 32, 48)
    with pytest.raises(PreprocessError, match=r"pixel_format rgb gives 3 channel\(s\), input"):
        parse_preprocess("bgr2rgb=True").for_input((1, 1, 32, 32), "x")
    with pytest.raises(PreprocessError, match="resize 64x64 does not give input 'x' its size"):
        parse_preprocess("resize_h=64,resize_w=64").for_input((1, 3, 32, 32), "x")
    with pytest.raises(PreprocessError, match="crop 30x30 does not give input 'x' its size"):
        parse_preprocess("resize_dims=64:64;crop_h=30,crop_w=30").for_input((1, 3, 32, 32), "x")
    with pytest.raises(PreprocessError, match="needs a 4-D input"):
        Preprocess().for_input((1, 3, 32), "x")


def test_from_the_example_input_op() -> None:
    module = read_ir(EXAMPLE)
    (op,) = [o for o in module.walk() if isinstance(o, top.InputOp)]
    p = Preprocess.from_input_op(op)
    assert p == parse_preprocess(SEED).for_input((1, 3, 224, 224))


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        (SEED, (1, 3, 224, 224)),
        ("resize_h=256,resize_w=256;crop_h=224,crop_w=224;gray=True;scale=0.5", (1, 1, 224, 224)),
        ("keep_aspect_ratio=True;pad_value=114;channel_format=nhwc", (2, 48, 64, 3)),
    ],
)
def test_input_op_attributes_round_trip(text: str, shape: tuple[int, ...]) -> None:
    p = parse_preprocess(text).for_input(shape)
    arg = Block(arg_types=[TensorType(f32, list(shape))]).args[0]
    op = top.InputOp(arg, **p.to_input_attrs())
    op.verify()
    assert Preprocess.from_input_op(op) == p


def test_input_op_cannot_record_every_setting() -> None:
    with pytest.raises(PreprocessError, match="pad_type=normal cannot be recorded"):
        parse_preprocess("pad_type=normal").for_input((1, 3, 8, 8)).to_input_attrs()
    with pytest.raises(PreprocessError, match="crop without resize cannot be recorded"):
        Preprocess(crop=(8, 8)).to_input_attrs()
