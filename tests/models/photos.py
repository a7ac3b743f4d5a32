"""The colour photos bundled in scikit-image, split into calibration and held-out sets.

The INT8 acceptance test and `make run` calibrate on the same six photos and look at the same
five held-out ones, so the split lives here once. Only images shipped inside the scikit-image
wheel are used (none of those it would download with pooch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def bundled_photos() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(calibration, held_out): name -> 8-bit RGB (H, W, 3). Raises ImportError without skimage."""
    from skimage import data

    left, right, _ = data.stereo_motorcycle()
    logo = data.logo().astype(np.float32)
    alpha = logo[..., 3:] / 255.0
    # RGBA on white, so that the transparent background is what a viewer shows
    logo_rgb = (logo[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    calibration = {
        "astronaut": data.astronaut(),
        "coffee": data.coffee(),
        "hubble": data.hubble_deep_field(),
        "ihc": data.immunohistochemistry(),
        "retina": data.retina(),
        "motorcycle_right": right,
    }
    held_out = {
        "chelsea": data.chelsea(),
        "rocket": data.rocket(),
        "motorcycle_left": left,
        "colorwheel": data.colorwheel(),
        "logo": logo_rgb,
    }
    return calibration, held_out


def write_photos(folder: Path) -> tuple[Path, Path]:
    """Writes `folder/calibration/*.png` and `folder/held_out/*.png`; returns both folders."""
    from PIL import Image

    calibration, held_out = bundled_photos()
    folders = (folder / "calibration", folder / "held_out")
    for images, target in zip((calibration, held_out), folders, strict=True):
        target.mkdir(parents=True, exist_ok=True)
        for name, pixels in images.items():
            Image.fromarray(pixels).save(target / f"{name}.png")
    return folders
