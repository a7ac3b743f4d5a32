"""Image preprocessing for calibration: the `--cali_image_preprocess` string and its transform.

The string is NNTC's (`resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;
scale=0.0171:0.0175:0.0174;bgr2rgb=True`), parsed with the lark grammar `preprocess.lark`, plus
the keys of TPU-MLIR's `model_transform` options so that users of either tool find theirs:

| key | value | meaning |
|---|---|---|
| `resize_h`, `resize_w` | int | resize the image to this size (both or neither) |
| `resize_dims` | `h:w` | the same, TPU-MLIR's name |
| `crop_h`, `crop_w` | int | crop this window out of the resized image (both or neither) |
| `crop_method` | `center` | where the crop window sits (only the centre, as TPU-MLIR) |
| `mean_value` (`mean`) | `a:b:c` or one number | subtracted per channel |
| `scale` | `a:b:c` or one number | multiplied per channel after the mean |
| `bgr2rgb` | bool | NNTC: the net takes RGB (the default is BGR, what OpenCV loads) |
| `gray` | bool | NNTC: the net takes one gray channel |
| `pixel_format` | `rgb`, `bgr`, `gray`, `rgba` | TPU-MLIR's spelling of the two above |
| `channel_format` | `nchw`, `nhwc` | layout of the tensor the net takes |
| `keep_aspect_ratio` | bool | letterbox resize: scale to fit, pad the rest |
| `pad_value` | number | the value of the letterbox padding (in pixel units, before the mean) |
| `pad_type` | `center`, `normal` | image centred in the padding, or at the top-left |

Booleans are `True`/`False` in any case, or `1`/`0`. A bad key or value raises `PreprocessError`
with the 1-based column of the offending token in the string.

`Preprocess.apply` does exactly this, in this order (the order of TPU-MLIR's `preprocess.py`):
1. load: the image is converted to RGB (or gray `L`, or `RGBA`) 8-bit pixels;
2. resize to `resize` (h, w) with bilinear interpolation (Pillow's, antialiased when shrinking);
   with `keep_aspect_ratio` the image is scaled by `min(h / ih, w / iw)` (sizes truncated to
   int), and placed on a canvas of `pad_value` at the centre (`(h - rh) // 2`, `(w - rw) // 2`)
   or at the top-left (`pad_type=normal`); without `resize` the image keeps its size;
3. crop: the window `crop` (h, w) starting at `(H // 2 - h // 2, W // 2 - w // 2)`;
4. to float32, channels reordered to BGR when `pixel_format` is `bgr`;
5. `(x - mean) * scale` per channel, in the net's channel order;
6. layout: (C, H, W) for `nchw`, (H, W, C) for `nhwc`.

`Preprocess.for_input(shape)` completes a parsed string against the net input it feeds (the size
to resize to when the string gives none, one mean/scale value per channel) and checks that they
agree. `Preprocess.from_input_op` and `to_input_attrs` convert from and to the preprocessing
properties of `top.input`, in TPU-MLIR's convention that a `resize_dims` different from the
input's size means "resize, then centre-crop to the input's size".
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from PIL import Image

if TYPE_CHECKING:
    from nntc.dialects.top import InputOp

PIXEL_FORMATS: dict[str, int] = {"rgb": 3, "bgr": 3, "gray": 1, "rgba": 4}
"""Pixel formats and the channel count each gives (the same as `top.input`'s)."""
CHANNEL_FORMATS: tuple[str, ...] = ("nchw", "nhwc")
PAD_TYPES: tuple[str, ...] = ("center", "normal")
CROP_METHODS: tuple[str, ...] = ("center",)
_PIL_MODES: dict[str, str] = {"rgb": "RGB", "bgr": "RGB", "gray": "L", "rgba": "RGBA"}


class PreprocessError(ValueError):
    """A preprocessing string or setting that cannot be used; the message names the culprit.

    `key` is the key concerned (if any) and `column` its 1-based column in the parsed string.
    """

    def __init__(self, message: str, *, key: str | None = None, column: int | None = None):
        super().__init__(message)
        self.key = key
        self.column = column


@dataclass(frozen=True)
class Preprocess:
    """How one image becomes one net input tensor; see the module docstring for the exact steps.

    `resize` and `crop` are (height, width). `mean` and `scale` hold one value for all channels
    or one per channel, in the net's channel order.
    """

    resize: tuple[int, int] | None = None
    crop: tuple[int, int] | None = None
    mean: tuple[float, ...] = (0.0,)
    scale: tuple[float, ...] = (1.0,)
    pixel_format: str = "bgr"
    channel_format: str = "nchw"
    keep_aspect_ratio: bool = False
    pad_value: float = 0.0
    pad_type: str = "center"

    def __post_init__(self) -> None:
        for name, size in (("resize", self.resize), ("crop", self.crop)):
            if size is not None and (len(size) != 2 or min(size) < 1):
                raise PreprocessError(f"{name} must be two sizes >= 1, got {list(size)}", key=name)
        _check_choice("pixel_format", self.pixel_format, tuple(PIXEL_FORMATS))
        _check_choice("channel_format", self.channel_format, CHANNEL_FORMATS)
        _check_choice("pad_type", self.pad_type, PAD_TYPES)
        for name, values in (("mean", self.mean), ("scale", self.scale)):
            if len(values) not in (1, self.channels):
                raise PreprocessError(
                    f"expected 1 or {self.channels} {name} values (pixel_format "
                    f"{self.pixel_format}), got {len(values)}",
                    key=name,
                )
            if not all(math.isfinite(v) for v in values):
                raise PreprocessError(f"{name} values must be finite, got {list(values)}", key=name)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Preprocess:
        """Parse a `--cali_image_preprocess` string (the syntax in the module docstring)."""
        return parse_preprocess(text)

    @classmethod
    def from_input_op(cls, op: InputOp) -> Preprocess:
        """The preprocessing a `top.input` records, completed for its result shape."""
        shape = tuple(op.output.type.get_shape())  # type: ignore[attr-defined]
        channel_format = op.channel_format_value
        if len(shape) != 4:
            raise PreprocessError(
                f"expected a 4-D image input, got shape {list(shape)}", key="input shape"
            )
        channels, size = _channels_and_size(shape, channel_format)
        if op.pixel_format is not None:
            pixel_format = op.pixel_format.data
        else:
            pixel_format = {1: "gray", 4: "rgba"}.get(channels, "bgr")
        dims = op.resize_dims_values
        resize, crop = size, None
        if dims is not None and tuple(dims) != size:
            resize, crop = (dims[0], dims[1]), size
        pad_value = 0.0 if op.pad_value is None else float(op.pad_value.value.data)
        return cls(
            resize=resize,
            crop=crop,
            mean=op.mean_values or (0.0,),
            scale=op.scale_values or (1.0,),
            pixel_format=pixel_format,
            channel_format=channel_format,
            keep_aspect_ratio=bool(op.keep_aspect_ratio.value.data),
            pad_value=pad_value,
        ).for_input(shape)

    def for_input(self, shape: Sequence[int], name: str = "input") -> Preprocess:
        """This preprocessing completed and checked against the net input `name` of `shape`.

        Without `resize` (and `crop`) the image is resized to the input's size; otherwise the
        final size (the crop, else the resize) must be the input's. Mean and scale get one value
        per channel.
        """
        if len(shape) != 4:
            raise PreprocessError(
                f"input '{name}' has shape {list(shape)}; image preprocessing needs a 4-D input",
                key="input shape",
            )
        channels, size = _channels_and_size(tuple(shape), self.channel_format)
        if channels != self.channels:
            raise PreprocessError(
                f"pixel_format {self.pixel_format} gives {self.channels} channel(s), input "
                f"'{name}' of shape {list(shape)} ({self.channel_format}) takes {channels}",
                key="pixel_format",
            )
        resize, crop = self.resize, self.crop
        if crop is not None:
            if crop != size:
                raise PreprocessError(
                    f"crop {crop[0]}x{crop[1]} does not give input '{name}' its size "
                    f"{size[0]}x{size[1]}",
                    key="crop",
                )
        elif resize is not None:
            if resize != size:
                raise PreprocessError(
                    f"resize {resize[0]}x{resize[1]} does not give input '{name}' its size "
                    f"{size[0]}x{size[1]} (add crop_h/crop_w to crop it)",
                    key="resize",
                )
        else:
            resize = size
        return replace(
            self,
            resize=resize,
            crop=crop,
            mean=self.mean_values(),
            scale=self.scale_values(),
        )

    # --- views ----------------------------------------------------------------------------------

    @property
    def channels(self) -> int:
        return PIXEL_FORMATS[self.pixel_format]

    @property
    def output_size(self) -> tuple[int, int] | None:
        """(height, width) of the result, or None when it is the image's own size."""
        return self.crop or self.resize

    def mean_values(self) -> tuple[float, ...]:
        """One mean per channel."""
        return _per_channel(self.mean, self.channels)

    def scale_values(self) -> tuple[float, ...]:
        """One scale per channel."""
        return _per_channel(self.scale, self.channels)

    def to_string(self) -> str:
        """The preprocessing string that parses back to this object."""
        parts: list[str] = []
        if self.resize is not None:
            parts.append(f"resize_h={self.resize[0]},resize_w={self.resize[1]}")
        if self.crop is not None:
            parts.append(f"crop_h={self.crop[0]},crop_w={self.crop[1]}")
        parts.append("mean_value=" + ":".join(repr(float(v)) for v in self.mean))
        parts.append("scale=" + ":".join(repr(float(v)) for v in self.scale))
        parts.append(f"pixel_format={self.pixel_format}")
        parts.append(f"channel_format={self.channel_format}")
        if self.keep_aspect_ratio:
            parts.append(f"keep_aspect_ratio=True,pad_value={self.pad_value!r}")
            parts.append(f"pad_type={self.pad_type}")
        return ";".join(parts)

    def to_input_attrs(self) -> dict[str, Any]:
        """Keyword arguments of `top.InputOp(...)` that record this preprocessing.

        Call it on a preprocessing completed by `for_input`. `top.input` has no pad type and
        crops only after a resize, so `pad_type=normal` and a crop without resize are refused.
        """
        if self.pad_type != "center":
            raise PreprocessError(
                f"pad_type={self.pad_type} cannot be recorded in top.input (only center)",
                key="pad_type",
            )
        if self.crop is not None and self.resize is None:
            raise PreprocessError(
                "a crop without resize cannot be recorded in top.input (its crop follows "
                "resize_dims)",
                key="crop",
            )
        return {
            "pixel_format": self.pixel_format,
            "channel_format": self.channel_format,
            "resize_dims": None if self.resize is None else list(self.resize),
            "keep_aspect_ratio": self.keep_aspect_ratio,
            "pad_value": self.pad_value if self.keep_aspect_ratio else None,
            "mean": list(self.mean_values()),
            "scale": list(self.scale_values()),
        }

    # --- the transform --------------------------------------------------------------------------

    def apply(self, image: Image.Image | np.ndarray) -> np.ndarray:
        """Preprocess one image into a float32 (C, H, W) array ((H, W, C) for `nhwc`).

        An ndarray is an 8-bit image: (H, W) gray, or (H, W, 3|4) RGB/RGBA.
        """
        pil = _to_pil(image).convert(_PIL_MODES[self.pixel_format])
        pixels = self._resized(pil)
        if self.crop is not None:
            pixels = _center_crop(pixels, self.crop)
        if self.pixel_format == "bgr":
            pixels = pixels[:, :, ::-1]
        mean = np.asarray(self.mean_values(), dtype=np.float32)
        scale = np.asarray(self.scale_values(), dtype=np.float32)
        result = (pixels - mean) * scale
        if self.channel_format == "nchw":
            result = result.transpose(2, 0, 1)
        return np.ascontiguousarray(result, dtype=np.float32)

    def _resized(self, image: Image.Image) -> np.ndarray:
        """Steps 1-2: float32 (H, W, C) pixels after the (letterbox) resize."""
        if self.resize is None:
            return _hwc(image)
        height, width = self.resize
        if not self.keep_aspect_ratio:
            return _hwc(image.resize((width, height), Image.Resampling.BILINEAR))
        ratio = min(width / image.width, height / image.height)
        inner_w = max(1, int(image.width * ratio))
        inner_h = max(1, int(image.height * ratio))
        inner = _hwc(image.resize((inner_w, inner_h), Image.Resampling.BILINEAR))
        canvas = np.full((height, width, inner.shape[2]), self.pad_value, dtype=np.float32)
        top, left = 0, 0
        if self.pad_type == "center":
            top, left = (height - inner_h) // 2, (width - inner_w) // 2
        canvas[top : top + inner_h, left : left + inner_w] = inner
        return canvas


# --- parsing -------------------------------------------------------------------------------------


@functools.cache
def _parser() -> Lark:
    grammar = resources.files(__package__).joinpath("preprocess.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_BOOLS: dict[str, bool] = {"true": True, "1": True, "false": False, "0": False}


@dataclass
class _Entry:
    key: str
    column: int
    atoms: list[Token] = field(default_factory=list)

    def fail(self, message: str, token: Token | None = None) -> PreprocessError:
        column = self.column if token is None else token.column
        return PreprocessError(f"column {column}: {message}", key=self.key, column=column)

    def single(self) -> Token:
        if len(self.atoms) != 1:
            raise self.fail(f"expected one value for '{self.key}', got a list of {len(self.atoms)}")
        return self.atoms[0]

    def integer(self) -> int:
        token = self.single()
        try:
            value = int(token)
        except ValueError:
            raise self.fail(f"expected an integer for '{self.key}', got '{token}'", token) from None
        if value < 1:
            raise self.fail(f"expected '{self.key}' >= 1, got {value}", token)
        return value

    def number(self, token: Token) -> float:
        try:
            value = float(token)
        except ValueError:
            raise self.fail(f"expected a number for '{self.key}', got '{token}'", token) from None
        if not math.isfinite(value):
            raise self.fail(f"expected a finite number for '{self.key}', got '{token}'", token)
        return value

    def numbers(self) -> tuple[float, ...]:
        return tuple(self.number(token) for token in self.atoms)

    def boolean(self) -> bool:
        token = self.single()
        try:
            return _BOOLS[token.lower()]
        except KeyError:
            raise self.fail(
                f"expected True or False for '{self.key}', got '{token}'", token
            ) from None

    def choice(self, allowed: Sequence[str]) -> str:
        token = self.single()
        value = token.lower()
        if value not in allowed:
            raise self.fail(
                f"expected '{self.key}' to be one of {', '.join(allowed)}, got '{token}'", token
            )
        return value


def _entries(text: str) -> list[_Entry]:
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    entries = []
    for entry in tree.children:
        assert isinstance(entry, Tree)
        if not entry.children:
            continue
        key, value = entry.children
        assert isinstance(key, Token) and isinstance(value, Tree)
        atoms = [atom for atom in value.children if isinstance(atom, Token)]
        entries.append(_Entry(str(key), key.column or 1, atoms))
    return entries


def _syntax_error(text: str, err: UnexpectedInput) -> PreprocessError:
    at_end = isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    )
    if at_end:
        column = len(text) + 1
        return PreprocessError(f"column {column}: expected a value, got the end", column=column)
    column = err.column if isinstance(err.column, int) and err.column > 0 else 1
    if isinstance(err, UnexpectedToken):
        found = str(err.token)
    elif isinstance(err, UnexpectedCharacters):
        found = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
    else:
        found = ""
    return PreprocessError(
        f"column {column}: syntax error at '{found}' (expected key=value entries separated by "
        f"',' or ';', list values separated by ':')",
        column=column,
    )


_KEYS: tuple[str, ...] = (
    "resize_h",
    "resize_w",
    "resize_dims",
    "crop_h",
    "crop_w",
    "crop_method",
    "mean_value",
    "mean",
    "scale",
    "bgr2rgb",
    "gray",
    "pixel_format",
    "channel_format",
    "keep_aspect_ratio",
    "pad_value",
    "pad_type",
)
_ALIASES: dict[str, str] = {"mean": "mean_value"}


def parse_preprocess(text: str) -> Preprocess:
    """Parse a `--cali_image_preprocess` string into a `Preprocess` (not yet `for_input`)."""
    seen: dict[str, _Entry] = {}
    for entry in _entries(text):
        if entry.key not in _KEYS:
            raise entry.fail(f"unknown preprocessing key '{entry.key}' (known: {', '.join(_KEYS)})")
        canonical = _ALIASES.get(entry.key, entry.key)
        if canonical in seen:
            raise entry.fail(
                f"'{entry.key}' is given twice (first at column {seen[canonical].column})"
            )
        seen[canonical] = entry
    values: dict[str, Any] = {}

    def pair(first: str, second: str) -> tuple[int, int] | None:
        a, b = seen.get(first), seen.get(second)
        if a is None and b is None:
            return None
        if a is None or b is None:
            given, missing = (a or b), (first if a is None else second)
            assert given is not None
            raise given.fail(f"'{given.key}' needs '{missing}' too")
        return (a.integer(), b.integer())

    resize = pair("resize_h", "resize_w")
    if (dims := seen.get("resize_dims")) is not None:
        if resize is not None:
            raise dims.fail("'resize_dims' and 'resize_h'/'resize_w' say the same; give one")
        if len(dims.atoms) != 2:
            raise dims.fail(f"expected 'resize_dims' as h:w, got {len(dims.atoms)} value(s)")
        height, width = (_Entry(dims.key, dims.column, [atom]).integer() for atom in dims.atoms)
        resize = (height, width)
    values["resize"] = resize
    values["crop"] = pair("crop_h", "crop_w")
    if (method := seen.get("crop_method")) is not None:
        method.choice(CROP_METHODS)

    pixel_format = None
    if (entry := seen.get("pixel_format")) is not None:
        pixel_format = entry.choice(tuple(PIXEL_FORMATS))
    for key, implied in (("bgr2rgb", "rgb"), ("gray", "gray")):
        entry = seen.get(key)
        if entry is None or not entry.boolean():
            continue
        if pixel_format is not None and pixel_format != implied:
            raise entry.fail(f"'{key}=True' contradicts pixel_format {pixel_format}")
        pixel_format = implied
    values["pixel_format"] = pixel_format or "bgr"
    channels = PIXEL_FORMATS[values["pixel_format"]]

    for key, target in (("mean_value", "mean"), ("scale", "scale")):
        if (entry := seen.get(key)) is None:
            continue
        numbers = entry.numbers()
        if len(numbers) not in (1, channels):
            raise entry.fail(
                f"expected 1 or {channels} values for '{entry.key}' (pixel_format "
                f"{values['pixel_format']}), got {len(numbers)}"
            )
        values[target] = numbers
    if (entry := seen.get("channel_format")) is not None:
        values["channel_format"] = entry.choice(CHANNEL_FORMATS)
    if (entry := seen.get("keep_aspect_ratio")) is not None:
        values["keep_aspect_ratio"] = entry.boolean()
    if (entry := seen.get("pad_value")) is not None:
        values["pad_value"] = entry.number(entry.single())
    if (entry := seen.get("pad_type")) is not None:
        values["pad_type"] = entry.choice(PAD_TYPES)
    return Preprocess(**values)


# --- helpers -------------------------------------------------------------------------------------


def _check_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise PreprocessError(
            f"expected {name} to be one of {', '.join(allowed)}, got '{value}'", key=name
        )


def _per_channel(values: tuple[float, ...], channels: int) -> tuple[float, ...]:
    return values * channels if len(values) == 1 else values


def _channels_and_size(shape: tuple[int, ...], channel_format: str) -> tuple[int, tuple[int, int]]:
    if channel_format == "nchw":
        return shape[1], (shape[2], shape[3])
    return shape[3], (shape[1], shape[2])


def _to_pil(image: Image.Image | np.ndarray) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise PreprocessError(f"expected an 8-bit image array, got dtype {array.dtype}")
    if array.ndim == 2:
        return Image.fromarray(array, mode="L")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(array, mode="RGB" if array.shape[2] == 3 else "RGBA")
    raise PreprocessError(
        f"expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {list(array.shape)}"
    )


def _hwc(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float32)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _center_crop(pixels: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    height, width = pixels.shape[:2]
    crop_h, crop_w = crop
    if crop_h > height or crop_w > width:
        raise PreprocessError(
            f"crop {crop_h}x{crop_w} is larger than the resized image {height}x{width}", key="crop"
        )
    top, left = height // 2 - crop_h // 2, width // 2 - crop_w // 2
    return pixels[top : top + crop_h, left : left + crop_w]


__all__ = [
    "CHANNEL_FORMATS",
    "PAD_TYPES",
    "PIXEL_FORMATS",
    "Preprocess",
    "PreprocessError",
    "parse_preprocess",
]
