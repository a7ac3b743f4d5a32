"""PP-OCRv4 detector in INT8 (issue 7, item 7): `nntc-cali` meets output cosine >= 0.99 with FP32
on text it was not calibrated on, by mixed precision.

Calibration: 21 crops of 96 x 96 from scikit-image's `page` (a scanned text page, gray to RGB,
ImageNet normalisation as PaddleOCR's) on a 3 x 7 grid, in a seeded random order so that the
quarter nntc-cali holds out for its own score is spread over the page. The test runs the INT8
bmodel in the simulator on three other crops, between the grid's rows and columns, and compares
the probability maps with onnxruntime's.

All-INT8 this net scores 0.89 (0.94 with bias correction); the early backbone (per-tensor
activations whose channels span 4 to 150) and the weights (0.987 with 8-bit weights alone) are
where it loses. So nntc-cali moves runs of layers to F16 until its held-out score reaches
`--expected_cos`, 0.995 here: the margin that carries 0.99 over to other crops (with 0.99 on
its own held-out crops, other crops gave 0.961-0.994). docs/int8.md has the figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import models
import numpy as np
import pytest

from nntc.cali import main

SIZE = 96
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
EXPECTED_COS = 0.995
MIN_MEAN_COSINE = 0.99
"""The issue's goal, on the mean over the crops the test runs."""
MIN_COSINE = 0.98
"""Each crop: the sparsest text crop measured 0.987-0.995 over runs (docs/int8.md)."""


def _crop(page: np.ndarray, y: int, x: int) -> np.ndarray:
    gray = page[y : y + SIZE, x : x + SIZE].astype(np.float32)
    rgb = np.stack([gray] * 3)
    return ((rgb - MEAN[:, None, None]) / STD[:, None, None])[None].astype(np.float32)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)))


@pytest.mark.slow
def test_ppocrv4_det_int8_bmodel_on_held_out_text_crops(tmp_path: Path) -> None:
    data = pytest.importorskip("skimage.data")
    ppocr = pytest.importorskip("models.ppocr")
    from nntc.targets.bm1684x.simulator import Simulator

    try:
        onnx_path = models.ppocrv4_det_onnx()
    except ppocr.MissingPackage as why:
        pytest.skip(str(why))
    page = data.page()
    height, width = page.shape
    rows = np.linspace(0, height - SIZE, 3).astype(int)
    columns = np.linspace(0, width - SIZE, 7).astype(int)
    grid = [(int(y), int(x)) for y in rows for x in columns]
    folder = tmp_path / "cali"
    folder.mkdir()
    for i, j in enumerate(np.random.default_rng(0).permutation(len(grid))):
        np.savez(folder / f"s{i:02d}.npz", x=_crop(page, *grid[j]))
    out = tmp_path / "out"
    code = main(
        [
            "--net_name", "ppocr", "--model", str(onnx_path), "--cali_npz", str(folder),
            "--input_names", "x", "--input_shapes", f"[1,3,{SIZE},{SIZE}]", "--methods", "percentile",
            "--expected_cos", str(EXPECTED_COS), "--outdir", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    result = out / "ppocr_batch1"
    report = json.loads((result / "ppocr_layer_report.json").read_text())
    assert report["expected_cos_met"] and report["score"]["cosine"] >= EXPECTED_COS
    precisions = [layer["precision"] for layer in report["layers"]]
    # mixed precision, not everything in float: measured 94 F16, 69 INT8/UINT8, 19 F32 (the
    # layers INT8 code generation lacks) of 182
    integer = sum(1 for p in precisions if "INT" in p)
    assert integer >= 50 and precisions.count("F16") < len(precisions) - 50
    text = (result / "ppocr_layer_report.txt").read_text()
    assert "kept in float for INT8 code generation" in text

    simulator = Simulator(result / "compilation.bmodel")
    between_rows = (rows[:-1] + rows[1:]) // 2
    between_columns = (columns[:-1] + columns[1:]) // 2
    cosines = {}
    for y, x in ((between_rows[0], between_columns[0]), (between_rows[0], between_columns[2]),
                 (between_rows[1], between_columns[4])):  # fmt: skip
        sample = _crop(page, int(y), int(x))
        fp32 = models.reference_output(onnx_path, sample)["sigmoid_0.tmp_0"]
        assert fp32.max() > 0.5, "a held-out crop without text tells nothing"
        int8 = simulator.run({"x": sample}).outputs["sigmoid_0.tmp_0"]
        cosines[(int(y), int(x))] = _cosine(fp32, int8)
    assert np.mean(list(cosines.values())) >= MIN_MEAN_COSINE, f"output cosines {cosines}"
    assert min(cosines.values()) >= MIN_COSINE, f"output cosines {cosines}"
