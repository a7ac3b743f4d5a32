"""Inputs and independent checks for the hand-written programs of lit/sim (run by their RUN lines).

    sim_check.py inputs PROGRAM IN.npz
        write the program's inputs (fixed seeds)
    sim_check.py check PROGRAM IN.npz OUT.npz REPORT.json [LISTING.bmasm] [TRACE.json]
        compare the simulated outputs with a numpy formula written out here (weights are read
        from the listing's `.weight` lines with a regex, not with nntc's assembler), check the
        report's invariants and the trace's shape; timing programs also print how the cycles
        compare with the engines' busy time
    sim_check.py unverified LISTING.bmasm OUT.bmodel IN.npz
        assemble a listing without the command groups' synchronisation checks (for the
        simulator's own deadlock detection) and write inputs for it

Every failure is an AssertionError with the differing values; success prints `outputs match`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

_WEIGHT = re.compile(r"^\.weight (\w+) offset=\S+ (int8|int32|float32)=\[([^\]]*)\]", re.M)


def make_inputs(program: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    if program == "add_f32":
        return {
            "a": rng.standard_normal((1, 8, 4, 4)).astype(np.float32),
            "b": rng.standard_normal((1, 8, 4, 4)).astype(np.float32),
        }
    if program == "conv_f32":
        return {"x": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)}
    if program == "conv_int8":
        return {"x": rng.integers(-20, 21, (1, 3, 6, 6)).astype(np.int8)}
    if program == "timing":
        return {
            "p": rng.standard_normal((1, 64, 16, 16)).astype(np.float32),
            "q": rng.standard_normal((1, 64, 16, 16)).astype(np.float32),
        }
    if program == "deadlock":
        return {"x": np.ones((1, 4, 2, 2), np.float32)}
    raise SystemExit(f"sim_check.py: unknown program {program!r}")


def weights(listing: str) -> dict[str, np.ndarray]:
    out = {}
    for name, dtype, values in _WEIGHT.findall(Path(listing).read_text()):
        out[name] = np.array([float(v) for v in values.split(",")]).astype(dtype)
    return out


def conv2d(x: np.ndarray, w: np.ndarray, pad: int) -> np.ndarray:
    """Direct NCHW convolution, stride 1, exact in the input's numpy type (int64 / float64)."""
    n, c, h, width = x.shape
    oc, ic, kh, kw = w.shape
    assert c == ic
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, width + 2 * pad - kw + 1
    out = np.zeros((n, oc, oh, ow), dtype=x.dtype)
    for o in range(oc):
        for i in range(ic):
            for dy in range(kh):
                for dx in range(kw):
                    out[:, o] += w[o, i, dy, dx] * xp[:, i, dy : dy + oh, dx : dx + ow]
    return out


def pool2x2(x: np.ndarray, reduce: str) -> np.ndarray:
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return windows.max(axis=(3, 5)) if reduce == "max" else windows.sum(axis=(3, 5))


def round_shift_half_away(v: np.ndarray, shift: int) -> np.ndarray:
    """v / 2**shift rounded half away from zero (round_mode 1), on int64."""
    half = 1 << (shift - 1)
    return np.sign(v) * ((np.abs(v) + half) >> shift)


def expected(program: str, inputs: dict[str, np.ndarray], listing: str | None):
    if program == "add_f32":
        return {"y": inputs["a"] + inputs["b"]}, True
    if program.startswith("timing"):
        return {"y1": inputs["p"] + inputs["p"], "y2": inputs["q"] + inputs["q"]}, True
    assert listing is not None, f"{program} needs its listing for the weights"
    wt = weights(listing)
    if program == "conv_f32":
        w = wt["w"].astype(np.float64).reshape(4, 3, 3, 3)
        y = conv2d(inputs["x"].astype(np.float64), w, 1) + wt["b"].reshape(1, 4, 1, 1)
        return {"y": pool2x2(np.maximum(y, 0.0), "max")}, False
    if program == "conv_int8":
        w = wt["w"].astype(np.int64).reshape(4, 3, 3, 3)
        acc = conv2d(inputs["x"].astype(np.int64), w, 1) + wt["bias"].reshape(1, 4, 1, 1)
        rq = wt["rq"].astype(np.int64).reshape(4, 3)
        q = np.empty_like(acc)
        for o, (mult, shift, zp) in enumerate(rq):
            assert shift < 0, "the listing's shifts are right shifts"
            q[:, o] = round_shift_half_away(acc[:, o] * mult, -shift) + zp
        q = np.clip(q, -128, 127)
        avg = np.clip(round_shift_half_away(pool2x2(q, "sum"), 2), -128, 127)
        return {"ymax": pool2x2(q, "max").astype(np.int8), "yavg": avg.astype(np.int8)}, True
    raise SystemExit(f"sim_check.py: unknown program {program!r}")


def check_report(report: dict) -> None:
    for key in ("cycles", "latency_ms", "tiu_busy_cycles", "gdma_busy_cycles", "commands"):
        assert key in report, f"the report lacks {key}"
    cycles, tiu, gdma = report["cycles"], report["tiu_busy_cycles"], report["gdma_busy_cycles"]
    assert max(tiu, gdma) <= cycles <= tiu + gdma, (cycles, tiu, gdma)
    assert report["tiu_idle_cycles"] == cycles - tiu
    assert report["gdma_idle_cycles"] == cycles - gdma
    assert abs(report["latency_ms"] - cycles / 1e6) < 1e-12


def trace_overlaps(trace: dict, report: dict) -> tuple[int, int]:
    """(slices, TIU/GDMA slice pairs that overlap in time), after checking the trace's shape."""
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(slices) == report["commands"]
    threads = {e["tid"]: e["args"]["name"].lower() for e in trace["traceEvents"] if e["ph"] == "M"
               and e["name"] == "thread_name"}  # fmt: skip
    assert sorted(threads.values()) == ["gdma", "tiu"], threads
    by_engine: dict[str, list[tuple[float, float]]] = {"tiu": [], "gdma": []}
    for e in slices:
        assert e["dur"] >= 0 and e["ts"] >= 0 and isinstance(e["name"], str)
        by_engine[threads[e["tid"]]].append((e["ts"], e["ts"] + e["dur"]))
    end = max(b for spans in by_engine.values() for _, b in spans)
    assert abs(end - report["cycles"] / 1e3) < 1e-6, "ts/dur are microseconds at 1 GHz"
    eps = 1e-9  # microseconds: slices that only touch (one ends as the other starts) don't overlap
    overlaps = sum(
        1
        for a0, a1 in by_engine["tiu"]
        for b0, b1 in by_engine["gdma"]
        if a0 < b1 - eps and b0 < a1 - eps
    )
    return len(slices), overlaps


def check(args: list[str]) -> None:
    program, in_path, out_path, report_path, *rest = args
    listing = next((p for p in rest if p.endswith(".bmasm")), None)
    trace_path = next((p for p in rest if p.endswith(".json")), None)
    with np.load(in_path) as f:
        inputs = {k: f[k] for k in f.files}
    with np.load(out_path) as f:
        outputs = {k: f[k] for k in f.files}
    want, exact = expected(program, inputs, listing)
    assert sorted(outputs) == sorted(want), (sorted(outputs), sorted(want))
    for name, value in want.items():
        got = outputs[name]
        assert got.shape == value.shape, (name, got.shape, value.shape)
        if exact:
            assert got.dtype == value.dtype, (name, got.dtype, value.dtype)
            diff = np.argwhere(got != value)
            assert diff.size == 0, f"{name}: {len(diff)} values differ, first at {diff[0]}"
        else:
            np.testing.assert_allclose(got, value, rtol=1e-5, atol=1e-5, err_msg=name)
    print("outputs match")
    report = json.loads(Path(report_path).read_text())
    check_report(report)
    if trace_path is None:
        return
    slices, overlaps = trace_overlaps(json.loads(Path(trace_path).read_text()), report)
    cycles, tiu, gdma = report["cycles"], report["tiu_busy_cycles"], report["gdma_busy_cycles"]
    if program == "timing_overlap":
        assert cycles < tiu + gdma and overlaps > 0, (cycles, tiu, gdma, overlaps)
        print(f"cycles {cycles} < tiu_busy_cycles {tiu} + gdma_busy_cycles {gdma}: "
              "the engines overlap")  # fmt: skip
    elif program == "timing_serial":
        assert cycles == tiu + gdma and overlaps == 0, (cycles, tiu, gdma, overlaps)
        print(f"cycles {cycles} == tiu_busy_cycles {tiu} + gdma_busy_cycles {gdma}: "
              "the engines never overlap")  # fmt: skip
    print(f"trace: {slices} slices, {overlaps} TIU/GDMA overlaps")


def unverified(args: list[str]) -> None:
    from nntc.targets.bm1684x.asm_parser import parse_listing_file
    from nntc.targets.bm1684x.bmodel import write_bmodel
    from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel

    listing, bmodel, in_path = args
    write_bmodel(ir_to_bmodel(parse_listing_file(listing, verify_sync=False)), bmodel)
    np.savez(in_path, **make_inputs(Path(listing).stem))  # type: ignore[arg-type]


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "inputs":
        program, path = args
        np.savez(path, **make_inputs(program))  # type: ignore[arg-type]
    elif command == "check":
        check(args)
    elif command == "unverified":
        unverified(args)
    else:
        raise SystemExit(f"sim_check.py: unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
