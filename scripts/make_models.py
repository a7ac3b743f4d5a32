"""Build the acceptance models into the model cache and describe them.

    .venv/bin/python scripts/make_models.py [--only resnet18,ppocrv4-det] [--repeat 10]

For each model: its path, file size, opset, build time (0 when it was cached), a histogram of op
types, and onnxruntime's median time per inference on the sample input (the figures the README
quotes). A model whose packages are missing is reported and skipped; the exit code is 1 then, 0
when all were built.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import models  # noqa: E402  (the cache and builders live beside the tests)
import onnx  # noqa: E402


def describe(spec: models.ModelSpec, repeat: int) -> str:
    start = time.perf_counter()
    path = spec.build()
    build_s = time.perf_counter() - start
    model = onnx.load(path, load_external_data=False)
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    ops = Counter(node.op_type for node in model.graph.node)
    histogram = ", ".join(
        f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    params = _weight_values(model)

    sample = models.sample_input(spec.input_shape, seed=0)
    models.reference_output(path, sample)  # warm-up: session creation and first-run allocation
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        models.reference_output(path, sample)
        times.append(time.perf_counter() - start)
    shape = "x".join(map(str, spec.input_shape))
    return "\n".join(
        [
            f"{spec.name}: {path}",
            f"  size {path.stat().st_size / 2**20:.1f} MiB, {params:,} weight values, opset {opsets}",
            f"  ready in {build_s:.2f} s (about 0 on a cache hit), {len(model.graph.node)} nodes: {histogram}",
            f"  onnxruntime {shape}: {statistics.median(times) * 1e3:.1f} ms per inference "
            f"(median of {repeat})",
        ]
    )


def _weight_values(model: onnx.ModelProto) -> int:
    """Elements in initializers and in Constant nodes (Paddle's export keeps weights in the latter)."""
    tensors = list(model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            tensors += [a.t for a in node.attribute if a.name == "value"]
    total = 0
    for tensor in tensors:
        count = 1
        for d in tensor.dims:
            count *= d
        total += count
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(models.MODELS)}"
    )
    parser.add_argument("--repeat", type=int, default=10, help="timed inferences per model")
    parser.add_argument(
        "--copy-to", type=Path, help="also copy each model to DIR/<name>.onnx (a stable path)"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(models.MODELS)
    unknown = [n for n in names if n not in models.MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(models.MODELS)}")
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    print(f"cache: {models.cache_dir()}")
    skipped = 0
    for name in names:
        spec = models.MODELS[name]
        missing = spec.missing()
        if missing:
            print(f"{name}: skipped, needs {spec.needs} (missing {', '.join(missing)})")
            skipped += 1
            continue
        print(describe(spec, args.repeat), flush=True)
        if args.copy_to is not None:
            args.copy_to.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(spec.build(), args.copy_to / f"{name}.onnx")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
