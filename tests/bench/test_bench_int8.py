"""INT8 benchmarks (pytest-benchmark): calibration + compile time, simulated INT8 latency.

- `nntc-cali` on ResNet-18 (224 x 224, He-initialised) with 32 images (the eleven colour photos
  bundled in scikit-image, each whole and two 75 % crops), default strategies, to the INT8
  `compilation.bmodel`. Goal: <= 20 s (not asserted: the machine is shared). Figures per phase
  are in docs/int8.md; the work is 24 FP32 runs for the statistics, 8 for the references (kept
  for the per-layer report), and six distinct threshold sets, each quantized and run by the
  fake-quant reference on the 8 held-out images (whose tensors the report reuses).
- Simulated INT8 latency of ResNet-18 and ResNet-50, batch 1, 224 x 224 (the simulator's
  timing-only run; TIU / GDMA busy fractions recorded in `extra_info` and printed).

In the normal suite (`--benchmark-disable`) each runs once as a test, and the calibration flow
on 8 of the images (6 calibrated, 2 held out): the same steps end to end, a quarter of the
interpreter work. Timings are recorded only with `--benchmark-enable` (`make bench`).
"""

from __future__ import annotations

from pathlib import Path

import models
import numpy as np
import pytest
from PIL import Image
from xdsl.dialects.builtin import ModuleOp

from nntc.cali import main as cali_main
from nntc.passes.import_calibration import attach_calibration
from nntc.passes.lowering.int8 import emit_int8_net, plan_int8_net
from nntc.passes.quantize import quantize_module
from nntc.targets.bm1684x.bmodel import bmodel_bytes
from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
from nntc.targets.bm1684x.simulator import Simulator
from nntc.targets.calibration import collect_statistics, compute_thresholds, table_from_statistics
from nntc.targets.onnx import import_onnx
from nntc.targets.weight_store import attach_weight_store, weight_store_of

PREPROCESS = (
    "resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;"
    "scale=0.0171:0.0175:0.0174;bgr2rgb=True"
)
CALI_GOAL_SECONDS = 20.0
CALI_IMAGES = 32
CALI_IMAGES_AS_TEST = 8


def _images(folder: Path, count: int) -> None:
    from models.photos import bundled_photos

    calibration, held_out = bundled_photos()
    written = 0
    for name, image in {**calibration, **held_out}.items():
        h, w = image.shape[:2]
        ch, cw = int(h * 0.75), int(w * 0.75)
        for index, (y, x, hh, ww) in enumerate(
            [(0, 0, h, w), (0, 0, ch, cw), (h - ch, w - cw, ch, cw)]
        ):
            if written < count:
                crop = np.ascontiguousarray(image[y : y + hh, x : x + ww])
                Image.fromarray(crop).save(folder / f"{name}_{index}.png")
                written += 1
    assert written == count


def test_cali_and_int8_compile_resnet18(benchmark, tmp_path: Path) -> None:
    pytest.importorskip("skimage")
    folder = tmp_path / "images"
    folder.mkdir()
    _images(folder, CALI_IMAGES_AS_TEST if benchmark.disabled else CALI_IMAGES)
    onnx_path = models.resnet18_onnx()
    runs = iter(range(100))

    def run() -> int:
        out = tmp_path / f"out{next(runs)}"
        return cali_main(
            ["--net_name", "resnet18", "--model", str(onnx_path), "--cali_image_path",
             str(folder), "--cali_image_preprocess", PREPROCESS, "--input_names", "input",
             "--input_shapes", "[1,3,224,224]", "--outdir", str(out)]
        )  # fmt: skip

    code = benchmark.pedantic(run, rounds=1)
    assert code == 0
    assert (tmp_path / "out0" / "resnet18_batch1" / "compilation.bmodel").is_file()
    if benchmark.disabled:
        return
    seconds = benchmark.stats["mean"]
    benchmark.extra_info["seconds"] = seconds
    benchmark.extra_info["goal_met"] = seconds <= CALI_GOAL_SECONDS
    print(
        f"\nresnet18: nntc-cali ({CALI_IMAGES} images) + INT8 compile {seconds:.1f} s "
        f"(goal {CALI_GOAL_SECONDS:.0f} s)"
    )


def _int8_bmodel(onnx_path: Path) -> bytes:
    """INT8 bmodel of a 224 x 224 model calibrated (max) on two synthetic inputs."""
    module, store = import_onnx(onnx_path)
    attach_weight_store(module, store)
    from xdsl.transforms.canonicalize import CanonicalizePass

    from nntc.ir_io import nntc_context

    CanonicalizePass().apply(nntc_context(), module)
    samples = [
        {"input": models.synthetic_image(224)},
        {"input": models.sample_input((1, 3, 224, 224), 1)},
    ]
    stats = collect_statistics(module, samples, store=store)
    attach_calibration(
        module, table_from_statistics(stats, compute_thresholds(stats, "max"), method="max")
    )
    quantize_module(module)
    net = plan_int8_net(module)
    store = weight_store_of(module)
    return bmodel_bytes(ir_to_bmodel(ModuleOp([emit_int8_net(net, store)]), store))


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_simulated_int8_latency(benchmark, name: str) -> None:
    build = {"resnet18": models.resnet18_onnx, "resnet50": models.resnet50_onnx}[name]
    sim = Simulator(_int8_bmodel(build()))
    result = benchmark.pedantic(sim.time_only, rounds=1 if benchmark.disabled else 3)
    report = result.report
    cycles = report["cycles"]
    tiu = report["tiu_busy_cycles"] / cycles
    gdma = report["gdma_busy_cycles"] / cycles
    assert cycles > 0 and 0 < tiu <= 1 and 0 < gdma <= 1
    summary = {
        "latency_ms": round(cycles / 1e6, 3),
        "tiu_busy_ms": round(report["tiu_busy_cycles"] / 1e6, 3),
        "gdma_busy_ms": round(report["gdma_busy_cycles"] / 1e6, 3),
    }
    benchmark.extra_info.update(summary)
    print(f"\n{name} INT8: {summary}")
