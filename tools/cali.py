"""`nntc-cali`: calibrate an ONNX model for INT8 on BM1684X, with the strategy searched for you.

    nntc-cali --net_name resnet18 --model m.onnx --cali_image_path DIR \\
        --cali_image_preprocess 'resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;
                                 scale=0.0171:0.0175:0.0174;bgr2rgb=True' \\
        --input_names input --input_shapes '[1,3,224,224]' --target BM1684X --outdir auto_cali_out

takes the flags of the NNTC guide's `python3 -m ufw.cali.cali_model` (also `python -m nntc.cali`;
dashed spellings work too) and runs, in one process:

1. import the model (`--input_names`, `--input_shapes`) and canonicalize it (the FP32 `top` IR);
2. the calibration dataset: `--cali_image_path` is converted once into an LMDB in
   `OUTDIR/cali_lmdb` (reuse it with `--cali_lmdb OUTDIR/cali_lmdb`), or `--cali_lmdb` /
   `--cali_npz` is read; `--input_num N` keeps the first N samples. The last quarter of the
   samples (`--holdout`, at least one) is held out for scoring, the rest is calibrated on (a
   single sample serves as both);
3. statistics with the FP32 reference interpreter (one pass);
4. candidate strategies: thresholds by max, percentile, KL and MSE (`--methods`), each with and
   without per-layer refinement (`nntc.targets.calibration.search`); each is quantized (with
   `--qtable`, the user's precision table) and run by the fake-quant reference on the held-out
   samples, and scored by output cosine and top-1 agreement with FP32 (an output that is all
   zero in FP32 has no direction and is left out; when every held-out output is, the run stops
   with exit code 2: the inputs give the net nothing to respond to, e.g. photos without text
   for a text detector). The best strategy is then tried once more with bias correction
   (`search.bias_corrections`: per conv and output channel, the mean error of its INT8 result
   on up to 8 calibration samples, taken out of its bias; the table's `#bias_correction`
   section) and kept if it scores better (`--no_bias_correction` skips this). The table of
   candidates goes to stdout;
5. mixed precision: while the best candidate's mean output cosine is below `--expected_cos`
   (default 0.99), INT8 layers move to F16, chosen by the measured score of moving each
   (`search.mixed_precision`: runs of consecutive layers, greedily, then back to INT8 the
   layers the target does not need);
6. `OUTDIR/<net_name>_batch1/` receives `<net>_cali_table` (TPU-MLIR's calibration table
   format), `<net>_qtable` (the precision table: the user's entries and the F16 layers),
   `<net>_top.mlir` + `.npz` (the FP32 IR) and `<net>_quant.mlir` + `.npz` (the quant-level IR;
   run in that folder, `nntc-opt <net>_top.mlir -p 'import-calibration{table="<net>_cali_table"},
   quantize{qtable="<net>_qtable"}'` reproduces it), and `<net>_layer_report.txt` / `.json` (cosine and SQNR of each
   tensor, FP32 vs INT8, plus the candidates and the mixed-precision rounds).

7. like the seed's tool, `<net>_batch1/compilation.bmodel`: the chosen quant-level module through
   `lower-int8-to-bm1684x` (net inputs and outputs float32), and exit code 0. Integer layers run
   in INT8; float layers (softmax, layers the precision table marks F16/BF16/F32, ops INT8 code
   generation lacks, which `quantize` keeps in float) run in F16/BF16 where their commands
   exist, otherwise in F32 with a warning naming them. Should a layer still be beyond code
   generation, `nntc-cali` prints "INT8 code generation is not available yet for this net;
   wrote calibration results to OUTDIR/<net>_batch1" and the ops it cannot lower, writes no
   bmodel, and exits with code 3, so that no script mistakes the run for a finished compile.

Exit codes: 0 with the bmodel; 3 as above; 2 for what the user can fix (flags, preprocess string (the message gives
the column), missing image folder or model, unsupported ops), reported as one line
`nntc-cali: error: ...` before anything is written; 1 for internal errors and when even with
every layer moved to F16 the expected cosine is not met (the results are still written, for
inspection). Progress (a bar per long step: live on a terminal, a line when done otherwise) goes to
stderr, results to stdout; `--debug` shows Python tracebacks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from nntc.targets.calibration.search import (
        Candidate,
        LayerStats,
        MixedPrecisionResult,
        Score,
    )
    from nntc.targets.calibration.statistics import TensorStatistics
    from nntc.targets.reference.quant_functions import StoredValues
    from nntc.targets.weight_store import WeightStore

PROG = "nntc-cali"
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_CODEGEN = 3
"""Calibration done and written; the INT8 bmodel cannot be generated yet."""
NO_CODEGEN_MESSAGE = (
    "INT8 code generation is not available yet for this net; wrote calibration results to {}"
)
DEFAULT_METHODS = ("max", "percentile", "kl", "mse")
REFERENCE_DUMP_BUDGET = 1 << 29
BIAS_CORRECTION_SAMPLES = 8
"""Calibration samples the bias correction measures on (the means settle with few)."""
"""Bytes of FP32 tensors (every layer, all held-out samples) kept for the per-layer report."""


class UserError(Exception):
    """A problem with the user's flags or files; the message is ready to print."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # one line, like every other error (argparse would print the usage first)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _argument_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Calibrate an ONNX model for INT8 on BM1684X (the NNTC guide's "
        "ufw.cali.cali_model): dataset, statistics, a search over quantization strategies, "
        "mixed precision, calibration and precision tables, and a per-layer report.",
    )
    add = parser.add_argument
    add("--model", required=True, help="the ONNX model file")
    add("--net_name", "--net-name", help="net name (default: the model file's stem)")
    add("--cali_image_path", "--cali-image-path", help="folder of calibration images")
    add(
        "--cali_image_preprocess",
        "--cali-image-preprocess",
        help="preprocessing, e.g. 'resize_h=224,resize_w=224;mean_value=123.675:116.28:103.53;"
        "scale=0.0171:0.0175:0.0174;bgr2rgb=True'",
    )
    add("--cali_lmdb", "--cali-lmdb", help="reuse an LMDB dataset folder")
    add("--cali_npz", "--cali-npz", help="ready input tensors: an .npz or a folder of .npz")
    add("--input_names", "--input-names", help="comma-separated input tensor names")
    add("--input_shapes", "--input-shapes", help="input shapes, e.g. '[1,3,224,224]'")
    add("--output_names", "--output-names", help="comma-separated output tensor names")
    add("--target", default="BM1684X", help="the chip (default and only choice: BM1684X)")
    add("--outdir", default="auto_cali_out", help="output folder (default: auto_cali_out)")
    add(
        "--expected_cos",
        "--expected-cos",
        type=float,
        default=0.99,
        help="output cosine with FP32 to reach, moving layers to F16 (default: 0.99)",
    )
    add("--qtable", help="precision table to start from (name INT8|F16|BF16|F32 per line)")
    add(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"threshold methods to try (default: {','.join(DEFAULT_METHODS)})",
    )
    add("--input_num", "--input-num", type=int, help="use the first N calibration samples")
    add("--holdout", type=int, help="samples held out for scoring (default: a quarter)")
    add(
        "--no_bias_correction",
        "--no-bias-correction",
        action="store_true",
        help="do not try the best strategy with bias correction",
    )
    add("--debug", action="store_true", help="show tracebacks on errors")
    return parser


# --- progress ------------------------------------------------------------------------------------


class Bar:
    """A progress bar on stderr: redrawn in place on a terminal, one summary line otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.live = stream.isatty()
        self.start = time.perf_counter()
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.live:
            if total:
                filled = self.WIDTH * done // total
                bar = "#" * filled + "." * (self.WIDTH - filled)
                self.stream.write(f"\r\x1b[K{self.label:<12} [{bar}] {done}/{total}")
            else:
                self.stream.write(f"\r\x1b[K{self.label:<12} {done}")
            self.stream.flush()

    def close(self) -> None:
        seconds = time.perf_counter() - self.start
        count = f"{self.done}/{self.total}" if self.total else str(self.done or "")
        line = f"{self.label:<12} {count:>9}  {seconds:7.2f} s"
        self.stream.write(f"\r\x1b[K{line}\n" if self.live else f"{line}\n")
        self.stream.flush()


# --- checks before anything is written -----------------------------------------------------------


@dataclass
class Plan:
    """The validated flags."""

    model: Path
    net: str
    outdir: Path
    input_names: list[str] | None
    shapes: list[list[int]] | None
    output_names: list[str] | None
    preprocess: object | None
    image_dir: Path | None
    lmdb_dir: Path | None
    npz: Path | None
    qtable: dict[str, str]
    methods: list[str]
    expected_cos: float

    @property
    def result_dir(self) -> Path:
        return self.outdir / f"{self.net}_batch1"


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def plan(args: argparse.Namespace) -> Plan:
    """Check every flag and input path; raises `UserError` (nothing has been written)."""
    from nntc.pipeline import PipelineError, check_net_name, check_target, default_net_name
    from nntc.targets.calibration.dataset import image_files
    from nntc.targets.calibration.preprocess import Preprocess, PreprocessError
    from nntc.targets.calibration.qtable import PrecisionTableError, read_precision_table
    from nntc.targets.calibration.thresholds import THRESHOLD_METHODS
    from nntc.targets.onnx import OnnxImportError, parse_shapes

    try:
        check_target(args.target)
        net = check_net_name(args.net_name) if args.net_name else default_net_name(args.model)
    except PipelineError as err:
        raise UserError(str(err)) from None
    if not (0.0 < args.expected_cos <= 1.0) or math.isnan(args.expected_cos):
        raise UserError(f"--expected_cos: expected a value in (0, 1], got {args.expected_cos}")
    methods = _names(args.methods) or []
    unknown = [m for m in methods if m not in THRESHOLD_METHODS]
    if unknown or not methods:
        raise UserError(
            f"--methods: unknown method(s) {', '.join(unknown) or '(none given)'} "
            f"(known: {', '.join(THRESHOLD_METHODS)})"
        )
    for flag, value in (("--input_num", args.input_num), ("--holdout", args.holdout)):
        if value is not None and value < (1 if flag == "--input_num" else 0):
            raise UserError(f"{flag}: expected a positive number, got {value}")
    try:
        shapes = None if args.input_shapes is None else parse_shapes(args.input_shapes)
    except OnnxImportError as err:
        raise UserError(str(err).replace("--shapes", "--input_shapes")) from None
    sources = [
        (flag, value)
        for flag, value in (
            ("--cali_image_path", args.cali_image_path),
            ("--cali_lmdb", args.cali_lmdb),
            ("--cali_npz", args.cali_npz),
        )
        if value
    ]
    if len(sources) != 1:
        given = ", ".join(flag for flag, _ in sources) or "none"
        raise UserError(
            f"give exactly one of --cali_image_path, --cali_lmdb, --cali_npz (given: {given})"
        )
    preprocess = None
    if args.cali_image_preprocess is not None:
        try:
            preprocess = Preprocess.parse(args.cali_image_preprocess)
        except PreprocessError as err:
            raise UserError(f"--cali_image_preprocess: {err}") from None
    image_dir = Path(args.cali_image_path) if args.cali_image_path else None
    lmdb_dir = Path(args.cali_lmdb) if args.cali_lmdb else None
    npz = Path(args.cali_npz) if args.cali_npz else None
    if image_dir is not None:
        from nntc.targets.calibration.dataset import DatasetError

        try:
            image_files(image_dir)
        except DatasetError as err:
            raise UserError(f"--cali_image_path: {err}") from None
    if lmdb_dir is not None and not lmdb_dir.is_dir():
        raise UserError(f"--cali_lmdb: '{lmdb_dir}' is not a folder")
    if npz is not None and not npz.exists():
        raise UserError(f"--cali_npz: '{npz}' does not exist")
    qtable: dict[str, str] = {}
    if args.qtable:
        try:
            qtable = dict(read_precision_table(args.qtable))
        except PrecisionTableError as err:
            raise UserError(f"--qtable: {err}") from None
    model = Path(args.model)
    if not model.is_file():
        raise UserError(f"--model: {model}: no such file")
    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise UserError(f"--outdir: '{outdir}' exists and is not a directory")
    return Plan(
        model,
        net,
        outdir,
        _names(args.input_names),
        shapes,
        _names(args.output_names),
        preprocess,
        image_dir,
        lmdb_dir,
        npz,
        qtable,
        methods,
        args.expected_cos,
    )


# --- the run -------------------------------------------------------------------------------------


def _import(p: Plan) -> tuple[ModuleOp, WeightStore]:
    from xdsl.transforms.canonicalize import CanonicalizePass

    from nntc.ir_io import nntc_context
    from nntc.targets.onnx import OnnxImportError, import_onnx
    from nntc.targets.weight_store import attach_weight_store

    try:
        module, store = import_onnx(p.model, p.input_names, p.shapes, p.output_names)
    except OnnxImportError as err:
        raise UserError(str(err)) from None
    attach_weight_store(module, store)
    CanonicalizePass().apply(nntc_context(), module)
    module.verify()
    return module, store


def _dataset(p: Plan, module: ModuleOp, limit: int | None, err: TextIO) -> list[dict]:
    from nntc.targets.calibration.dataset import DatasetError, calibration_dataset

    bar = Bar(err, "dataset")
    try:
        dataset = calibration_dataset(
            module,
            image_dir=p.image_dir,
            preprocess=p.preprocess,  # type: ignore[arg-type]
            lmdb_dir=p.lmdb_dir,
            npz=p.npz,
            out_dir=p.outdir,
            limit=limit,
            progress=bar,
        )
        samples = list(dataset)
    except DatasetError as error:
        raise UserError(str(error)) from None
    if limit is not None:
        samples = samples[:limit]
    bar(len(samples), len(samples))
    bar.close()
    if not samples:
        raise UserError("the calibration dataset is empty")
    return samples


def split(samples: Sequence[dict], holdout: int | None) -> tuple[list[dict], list[dict]]:
    """(calibration, held-out): the last `holdout` samples (default a quarter, at least one) are
    held out; with one sample it serves as both."""
    if len(samples) == 1:
        return list(samples), list(samples)
    count = max(1, len(samples) // 4) if holdout is None else holdout
    count = min(count, len(samples) - 1)
    if count == 0:
        return list(samples), list(samples)
    return list(samples[:-count]), list(samples[-count:])


@dataclass
class Outcome:
    statistics: dict[str, TensorStatistics]
    candidates: list[Candidate]
    best: Candidate
    mixed: MixedPrecisionResult
    report: list[LayerStats]
    calibrated: int
    held_out: int


def calibrate(p: Plan, args: argparse.Namespace, out: TextIO, err: TextIO) -> Outcome:
    from nntc.targets.calibration.search import (
        bias_corrections,
        calibration_table,
        candidate_thresholds,
        evaluate,
        layer_report,
        mixed_precision,
    )
    from nntc.targets.calibration.statistics import collect_statistics
    from nntc.targets.reference.interpreter import run_module

    bar = Bar(err, "import")
    module, store = _import(p)
    bar.close()
    samples = _dataset(p, module, args.input_num, err)
    calibration, held_out = split(samples, args.holdout)

    bar = Bar(err, "statistics")
    statistics = collect_statistics(module, calibration, store=store, progress=bar)
    bar.close()
    # the per-layer report compares every tensor with FP32 on the held-out samples: keep them
    # from this run when they fit in memory, instead of running FP32 again for the report
    keep = len(held_out) * _dump_bytes(module) <= REFERENCE_DUMP_BUDGET
    bar = Bar(err, "references")
    references: list[dict] = []
    dumps: list[dict] = []
    for index, sample in enumerate(held_out, start=1):
        run = run_module(module, sample, store=store, dump_all=keep)
        references.append(run.outputs)
        dumps.append(run.all_values or {})
        bar(index, len(held_out))
    bar.close()
    _check_references(references)

    candidates = candidate_thresholds(statistics, p.methods)
    bar = Bar(err, "strategies")
    evaluated: dict[str, tuple[ModuleOp, Candidate]] = {}
    # the best candidate's tensors so far (stored form), for the per-layer report
    leader: tuple[str, Score, list[StoredValues]] | None = None
    for index, candidate in enumerate(candidates, start=1):
        if candidate.same_as is None:
            table = calibration_table(statistics, candidate)
            stored: list[StoredValues] | None = [] if keep else None
            quantized, score = evaluate(
                module, store, table, p.qtable, held_out, references, stored
            )
            candidate.score = score
            evaluated[candidate.name] = (quantized, candidate)
            # strictly better, as `max` below keeps the first of equal candidates
            if stored is not None and (leader is None or score.key() > leader[1].key()):
                leader = (candidate.name, score, stored)
        bar(index, len(candidates))
    bar.close()
    best_name = max(evaluated, key=lambda n: evaluated[n][1].score.key())  # type: ignore[union-attr]
    best_module, best = evaluated[best_name]
    best_values = leader[2] if leader is not None and leader[0] == best_name else None
    del leader
    uncorrected: tuple[ModuleOp, Candidate, list[StoredValues] | None] | None = None
    if not args.no_bias_correction:
        # the best strategy again with its convs' mean errors taken out of their biases,
        # measured on (some of) the calibration samples; kept if the held-out score gains
        bar = Bar(err, "bias correction")
        corrections = bias_corrections(
            module,
            store,
            calibration_table(statistics, best),
            p.qtable,
            calibration[:BIAS_CORRECTION_SAMPLES],
        )
        if corrections:
            corrected = dataclasses.replace(
                best, name=f"{best.name}+bias", bias_corrections=corrections, score=None
            )
            stored = [] if keep else None
            table = calibration_table(statistics, corrected)
            quantized, corrected.score = evaluate(
                module, store, table, p.qtable, held_out, references, stored
            )
            candidates.append(corrected)
            assert best.score is not None
            if corrected.score.key() > best.score.key():
                uncorrected = (best_module, best, best_values)
                best_module, best, best_values = quantized, corrected, stored
        bar(1, 1)
        bar.close()
    _print_candidates(candidates, best, p.net, out)
    assert best.score is not None
    if uncorrected is not None and best.score.cosine < p.expected_cos:
        # the corrections fit the all-INT8 net: with layers in F16 they over-correct (PP-OCRv4
        # 96 x 96: 0.978 with corrections measured for the final mixed net against 0.990
        # without, and 104 layers moved instead of 63), so mixed precision starts without them
        best_module, best, best_values = uncorrected
        out.write(f"{p.net}: mixed precision starts from {best.name} (no bias correction)\n")

    bar = Bar(err, "precision")
    table = calibration_table(statistics, best, model=f"{p.net}_top.mlir")
    assert best.score is not None
    mixed = mixed_precision(
        module,
        store,
        table,
        p.qtable,
        held_out,
        references,
        p.expected_cos,
        start=(best_module, best.score),
        progress=bar,
    )
    bar.close()
    bar = Bar(err, "report")
    report = layer_report(
        module,
        mixed.module,
        held_out,
        best.thresholds,
        store,
        dumps if keep else None,
        best_values if mixed.module is best_module else None,
    )
    _write(p, module, store, statistics, best, mixed, report, candidates, len(calibration), out)
    bar.close()
    return Outcome(statistics, candidates, best, mixed, report, len(calibration), len(held_out))


def _dump_bytes(module: ModuleOp) -> int:
    """What `dump_all` keeps of one FP32 run of `module`: every op result but the weights'."""
    from xdsl.dialects.builtin import TensorType

    from nntc.dialects import top

    total = 0
    for op in module.walk():
        if isinstance(op, top.WeightOp):
            continue
        for result in op.results:
            if isinstance(result.type, TensorType):
                total += 4 * math.prod(result.type.get_shape())
    return total


def _check_references(references: Sequence[dict]) -> None:
    """Refuse held-out samples on which every FP32 output is all zero: no cosine can rank the
    strategies then (a text detector's probability map on photos without text is exactly 0)."""
    import numpy as np

    if references and not any(np.any(v) for r in references for v in r.values()):
        names = ", ".join(f"'{name}'" for name in references[0])
        raise UserError(
            f"the FP32 output(s) {names} are all zero on every held-out sample "
            f"({len(references)}), so quantization strategies cannot be scored: calibrate on "
            "inputs the net responds to (for a text detector, images with text)"
        )


def _fmt_score(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if percent else f"{value:.6f}"


def _print_candidates(candidates: Sequence[Candidate], best: Candidate, net: str, out: TextIO):
    out.write(f"{net}: quantization strategies (held-out samples, INT8 vs FP32)\n")
    out.write(f"  {'strategy':<24} {'cosine':>10} {'min cosine':>11} {'top-1':>7}\n")
    for c in candidates:
        if c.same_as is not None:
            out.write(f"  {c.name:<24} {'(same thresholds as ' + c.same_as + ')':>30}\n")
            continue
        assert c.score is not None
        mark = "  <- best" if c is best else ""
        out.write(
            f"  {c.name:<24} {_fmt_score(c.score.cosine):>10} "
            f"{_fmt_score(c.score.min_cosine):>11} {_fmt_score(c.score.top1, True):>7}{mark}\n"
        )


def _format_report(report: Sequence[LayerStats]) -> str:
    lines = [f"# {'tensor':<30} {'op':<20} {'precision':<9} {'threshold':>10} "]
    lines[0] += f"{'cosine':>10} {'SQNR dB':>8}\n"
    for layer in report:
        threshold = "-" if layer.threshold is None else f"{layer.threshold:.5g}"
        sqnr = "inf" if math.isinf(layer.sqnr_db) else f"{layer.sqnr_db:.2f}"
        lines.append(
            f"  {layer.name:<30} {layer.op:<20} {layer.precision:<9} {threshold:>10} "
            f"{layer.cosine:>10.6f} {sqnr:>8}\n"
        )
    return "".join(lines)


def _json_number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "inf" if value > 0 else "-inf"


def _write(
    p: Plan,
    module: ModuleOp,
    store: WeightStore,
    statistics: dict[str, TensorStatistics],
    best: Candidate,
    mixed: MixedPrecisionResult,
    report: Sequence[LayerStats],
    candidates: Sequence[Candidate],
    calibrated: int,
    out: TextIO,
) -> None:
    import io

    from xdsl.dialects.builtin import StringAttr
    from xdsl.printer import Printer

    from nntc.targets.atomic import write_atomically
    from nntc.targets.calibration.qtable import format_precision_table
    from nntc.targets.calibration.search import calibration_table
    from nntc.targets.calibration.table import format_calibration_table
    from nntc.targets.weight_store import (
        WEIGHTS_ATTR,
        attach_weight_store,
        weight_ops,
        weight_store_of,
    )

    net = p.net
    folder = p.result_dir
    folder.mkdir(parents=True, exist_ok=True)
    table = calibration_table(statistics, best, model=f"{net}_top.mlir")
    write_atomically(folder / f"{net}_cali_table", format_calibration_table(table))
    write_atomically(folder / f"{net}_qtable", format_precision_table(mixed.qtable))
    for stage, ir, weights in (
        ("top", module, store),
        ("quant", mixed.module, weight_store_of(mixed.module)),
    ):
        clone = ir.clone()
        attach_weight_store(clone, weights)
        clone.attributes[WEIGHTS_ATTR] = StringAttr(f"{net}_{stage}.npz")
        stream = io.StringIO()
        Printer(stream=stream, print_debuginfo=True).print_op(clone)
        stream.write("\n")
        write_atomically(folder / f"{net}_{stage}.mlir", stream.getvalue())
        names = {op.properties["weight_name"].data for op in weight_ops(clone)}  # type: ignore[union-attr]
        weights.save(folder / f"{net}_{stage}.npz", names)

    score = mixed.score
    header = (
        f"# {net}: per-layer report, FP32 vs quantized, over the held-out samples\n"
        f"# strategy: {best.name}; output cosine {score.cosine:.6f} (min {score.min_cosine:.6f})"
        f", top-1 agreement {_fmt_score(score.top1, True)}; "
        f"{len([v for v in mixed.qtable.values() if v != 'INT8'])} layer(s) in float\n"
    )
    from nntc.passes.quantize import kept_in_float

    kept = kept_in_float(mixed.module, mixed.qtable)
    header += f"# {len(kept)} layer(s) kept in float for INT8 code generation (not in the qtable)"
    header += "".join(f"\n#   {name}: {why}" for name, why in kept.items()) + "\n"
    write_atomically(folder / f"{net}_layer_report.txt", header + _format_report(report))
    document = {
        "net": net,
        "strategy": best.name,
        "calibration_samples": calibrated,
        "expected_cos": p.expected_cos,
        "expected_cos_met": mixed.met and score.cosine >= p.expected_cos,
        "score": {"cosine": score.cosine, "min_cosine": score.min_cosine, "top1": score.top1},
        "candidates": [
            {
                "name": c.name,
                "method": c.method,
                "refined": c.refined,
                "same_as": c.same_as,
                "score": None
                if c.score is None
                else {
                    "cosine": c.score.cosine,
                    "min_cosine": c.score.min_cosine,
                    "top1": c.score.top1,
                },
            }
            for c in candidates
        ],
        "mixed_precision": [
            {
                "moved_to_f16": r.moved,
                "back_to_int8": r.back,
                "cosine": r.score.cosine,
                "top1": r.score.top1,
            }
            for r in mixed.rounds
        ],
        "qtable": mixed.qtable,
        "kept_in_float": kept,
        "layers": [
            {
                "name": layer.name,
                "op": layer.op,
                "precision": layer.precision,
                "threshold": layer.threshold,
                "cosine": _json_number(layer.cosine),
                "sqnr_db": _json_number(layer.sqnr_db),
            }
            for layer in report
        ],
    }
    write_atomically(folder / f"{net}_layer_report.json", json.dumps(document, indent=2) + "\n")

    moved = [name for name, v in mixed.qtable.items() if p.qtable.get(name) != v]
    out.write(
        f"{net}: strategy {best.name}: output cosine {score.cosine:.6f}, top-1 agreement "
        f"{_fmt_score(score.top1, True)}"
        + (f"; moved to F16: {', '.join(moved)}" if moved else "")
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _argument_parser().parse_args(argv)
    try:
        p = plan(args)
        outcome = calibrate(p, args, sys.stdout, sys.stderr)
    except UserError as error:
        if args.debug:
            traceback.print_exc()
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"{PROG}: error: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    score = outcome.mixed.score
    if score.cosine < p.expected_cos:
        print(
            f"{PROG}: error: output cosine {score.cosine:.6f} is below --expected_cos "
            f"{p.expected_cos} even with every INT8 layer moved to F16; results written to "
            f"{p.result_dir} for inspection",
            file=sys.stderr,
        )
        return EXIT_FAILED
    try:
        bar = Bar(sys.stderr, "codegen")
        why_not = write_int8_bmodel(
            outcome.mixed.module, p.net, p.result_dir / "compilation.bmodel"
        )
        bar.close()
    except Exception as error:  # a bug in code generation: still one line unless --debug
        if args.debug:
            raise
        print(f"{PROG}: error: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if why_not is not None:
        print(f"{PROG}: {NO_CODEGEN_MESSAGE.format(p.result_dir)}", file=sys.stderr)
        print(f"{PROG}: {why_not}", file=sys.stderr)
        return EXIT_NO_CODEGEN
    print(f"{PROG}: wrote {p.result_dir / 'compilation.bmodel'}")
    return 0


def write_int8_bmodel(quant_module: ModuleOp, net: str, path: Path) -> str | None:
    """Lower the chosen quant-level module to BM1684X commands and write the bmodel.

    Returns None on success, else why the INT8 code generation cannot handle this net yet (it
    covers conv, depthwise conv, relu/relu6, maxpool, add, concat, lookup-table activations,
    global average pool and matmul in INT8, with no float layers inside the net); nothing is
    written then.
    """
    from xdsl.context import Context
    from xdsl.utils.exceptions import DiagnosticException

    from nntc.passes.lowering.int8 import LowerInt8ToBm1684xPass
    from nntc.targets.atomic import write_atomically
    from nntc.targets.bm1684x.bmodel import bmodel_bytes
    from nntc.targets.bm1684x.bmodel_ir import ir_to_bmodel
    from nntc.targets.weight_store import attach_weight_store, weight_store_of

    module = quant_module.clone()
    attach_weight_store(module, weight_store_of(quant_module))
    try:
        LowerInt8ToBm1684xPass(net=net).apply(Context(), module)
    except DiagnosticException as err:
        return " ".join(str(err).split())
    write_atomically(path, bmodel_bytes(ir_to_bmodel(module, weight_store_of(module))))
    return None


if __name__ == "__main__":
    sys.exit(main())
