"""The strategy search of `nntc-cali`: candidate threshold sets, their scores, mixed precision.

Given a top-level module, its calibration statistics and held-out calibration inputs:

1. Candidates (`candidate_thresholds`): one threshold set per method (max, percentile, KL, MSE),
   each with and without per-layer refinement. Refinement (`refine_thresholds`) looks at every
   tensor on its own: when the method's threshold gives an expected INT8 quantization error (from
   the tensor's histogram, as `thresholds.mse_errors` computes it) more than `REFINE_MARGIN_DB`
   worse than the best of the four methods' thresholds for that tensor, the tensor takes that
   best threshold. This keeps a method's choice where it is sound and repairs the layers where
   it is not (KL on a sparse tensor, max on a tensor with one far outlier). Identical threshold
   sets are evaluated once.
2. Scores (`evaluate`): the candidate's table is attached to a clone of the module, `quantize`
   runs (with the precision table), and the fake-quant reference executes the held-out inputs.
   Against the FP32 reference outputs: per sample, the cosine of each output (the worst output
   counts); the score's `cosine` is the mean over samples, `min_cosine` the worst sample, and
   `top1` the fraction of rows of the [N, C] outputs (C > 1) whose argmax agrees with FP32
   (None when the net has no such output). Candidates are ranked by cosine, then top-1.
   Outputs whose FP32 value is all zero are left out of the cosines (they have no direction, so
   one quantization step of noise would score 0: a text detector's probability map on a photo
   without text is exactly zero); when every output of every held-out sample is zero,
   `ScoringError`.
3. Per-layer report (`layer_report`): every tensor the FP32 and the quantized module both
   produce (by location, the ONNX node name), its cosine and SQNR (10 log10 of signal power over
   error power, in dB) over all held-out samples, and its precision.
4. Mixed precision (`mixed_precision`): while the score is below the expected cosine, INT8
   layers move to F16, chosen by measured score, not by an estimate. The unit of the search is
   a run of consecutive layers, not a single layer: a tensor stops being quantized only when
   its producer and all its consumers are float (a layer moved alone mostly hands its rounding
   to its INT8 consumer), and errors made early grow through the net. So the movable layers,
   in program order, are cut into `MIXED_PRECISION_BLOCKS` runs; greedy steps move the run
   that, on top of those moved so far, scores best, while that improves the score and the
   target is not met (if no run improves it, all remaining runs move at once: a net that needs
   everything in F16 ends there). Once the target is met, the moved layers are tried back in
   INT8, last run first: a run's moved layers together, else each half of them, down to single
   layers, and stay there when the score still meets the target; this leaves the layers that
   matter. On the PP-OCRv4 detector (96 x 96 text crops) this needs 13 to 63 F16 layers (by
   crop set) where ranking single layers needed 167. Ties go to program order, so the result
   is deterministic. Entries of the user's precision table are kept as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from nntc.dialects import top
from nntc.targets.calibration.statistics import TensorStatistics
from nntc.targets.calibration.table import (
    CalibrationTable,
    format_calibration_table,
    parse_calibration_table,
    table_from_statistics,
)
from nntc.targets.calibration.thresholds import (
    MIN_THRESHOLD,
    THRESHOLD_METHODS,
    compute_thresholds,
    mse_errors,
)
from nntc.targets.weight_store import WeightStore, attach_weight_store, weight_store_of

if TYPE_CHECKING:
    from xdsl.interpreter import Interpreter

    from nntc.targets.reference.quant_functions import StoredValues

REFINE_MARGIN_DB = 1.0
"""Refinement replaces a threshold whose expected error is this much worse than the best."""
MIXED_PRECISION_BLOCKS = 16
"""Mixed precision cuts the movable layers into this many runs of consecutive layers."""

Inputs = Mapping[str, np.ndarray]
Progress = Callable[[int, int], None]


class ScoringError(ValueError):
    """The held-out samples cannot score a candidate (every FP32 output is all zero)."""


@dataclass(frozen=True)
class Score:
    """Agreement of a quantized module with FP32 on the held-out inputs."""

    cosine: float
    min_cosine: float
    top1: float | None

    def key(self) -> tuple[float, float]:
        """Sort key, larger is better."""
        return (self.cosine, -1.0 if self.top1 is None else self.top1)


@dataclass
class Candidate:
    """One strategy: a threshold set, its name (`kl`, `kl+refine`) and, once evaluated, a score."""

    name: str
    method: str
    refined: bool
    thresholds: dict[str, float]
    score: Score | None = None
    same_as: str | None = None
    """The earlier candidate with identical thresholds (then not evaluated again)."""
    bias_corrections: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Per conv, the values `quantize` subtracts from its bias (`bias_corrections`)."""


@dataclass(frozen=True)
class LayerStats:
    """One tensor of the per-layer report."""

    name: str
    op: str
    precision: str
    cosine: float
    sqnr_db: float
    threshold: float | None


@dataclass
class MixedPrecisionRound:
    """One round of `mixed_precision`: the layers moved to F16 and the score after it."""

    moved: list[str]
    score: Score
    back: list[str] = field(default_factory=list)
    """Layers of earlier rounds returned to INT8 in this round (the final pruning)."""


@dataclass
class MixedPrecisionResult:
    qtable: dict[str, str]
    score: Score
    module: ModuleOp
    rounds: list[MixedPrecisionRound] = field(default_factory=list)
    met: bool = True


# --- candidates ----------------------------------------------------------------------------------


def expected_sqnr_db(stats: TensorStatistics, thresholds: Sequence[float]) -> list[float]:
    """The expected INT8 SQNR (dB) of symmetric quantization at each threshold, from the
    histogram (the mean square of the tensor taken from the bin centres)."""
    hist = stats.histogram
    if stats.abs_max <= 0.0 or hist.sum() == 0.0:
        return [math.inf for _ in thresholds]
    width = stats.bin_width
    centres = (np.arange(hist.size) + 0.5) * width
    power = float((hist * centres**2).sum() / hist.sum())
    bins = np.clip(np.rint(np.asarray(thresholds) / width), 1, hist.size).astype(np.int64)
    _, errors = mse_errors(hist, stats.abs_max, candidates=bins)
    return [10 * math.log10(power / e) if e > 0 else math.inf for e in errors]


def refine_thresholds(
    statistics: Mapping[str, TensorStatistics],
    thresholds: Mapping[str, float],
    alternatives: Mapping[str, Mapping[str, float]],
) -> dict[str, float]:
    """Per tensor, the threshold of `thresholds` unless one of `alternatives` (by method) is
    expected to be more than `REFINE_MARGIN_DB` better; see the module docstring."""
    refined = dict(thresholds)
    for name, stats in statistics.items():
        options = [thresholds[name]] + [alt[name] for alt in alternatives.values()]
        sqnr = expected_sqnr_db(stats, options)
        best = int(np.argmax(sqnr))
        if sqnr[best] > sqnr[0] + REFINE_MARGIN_DB:
            refined[name] = options[best]
    return refined


def candidate_thresholds(
    statistics: Mapping[str, TensorStatistics],
    methods: Sequence[str] = tuple(THRESHOLD_METHODS),
    refine: bool = True,
) -> list[Candidate]:
    """The candidate threshold sets, in `methods` order, each followed by its refined form."""
    by_method = {method: compute_thresholds(statistics, method) for method in methods}
    every = {
        m: by_method[m] if m in by_method else compute_thresholds(statistics, m)
        for m in THRESHOLD_METHODS
    }
    candidates: list[Candidate] = []
    for method in methods:
        candidates.append(Candidate(method, method, False, by_method[method]))
        if refine:
            refined = refine_thresholds(statistics, by_method[method], every)
            refined = {name: max(MIN_THRESHOLD, t) for name, t in refined.items()}
            candidates.append(Candidate(f"{method}+refine", method, True, refined))
    for index, candidate in enumerate(candidates):
        for earlier in candidates[:index]:
            if earlier.same_as is None and earlier.thresholds == candidate.thresholds:
                candidate.same_as = earlier.name
                break
    return candidates


def calibration_table(
    statistics: Mapping[str, TensorStatistics],
    candidate: Candidate,
    model: str | None = None,
) -> CalibrationTable:
    """The candidate's table as its text reads back: thresholds rounded to the 7 decimals the file
    holds, so that quantizing with the written table (the expert path) gives the same IR."""
    table = table_from_statistics(
        statistics, candidate.thresholds, method=candidate.name, model=model
    )
    table.bias_corrections = dict(candidate.bias_corrections)
    return parse_calibration_table(format_calibration_table(table))


# --- bias correction -----------------------------------------------------------------------------


def bias_corrections(
    module: ModuleOp,
    store: WeightStore,
    table: CalibrationTable,
    qtable: Mapping[str, str],
    samples: Sequence[Inputs],
) -> dict[str, tuple[float, ...]]:
    """Per INT8 conv, per output channel, the mean error of its result before rounding to 8 bits
    (INT8 minus FP32) on `samples`, for `quantize` to subtract from its bias.

    Rounding weights to 8 bits shifts a conv's mean output whenever its input's mean is not
    zero (the error of each weight times the input's mean), and so do the errors of the layers
    before it; in a net of depthwise convs with few weights per channel the shifts add up
    (empirical bias correction, Nagel et al., "Data-Free Quantization Through Weight
    Equalization and Bias Correction", 2019). The quantized net runs op by op on all samples
    at once; at each INT8 conv the error is measured and its bias corrected before the conv
    runs, so that later convs see the corrected net (measured all at once, each conv would
    also correct the shifts its predecessors already remove, and in a chain of convs that
    overshoots). The error is taken before the result is rounded to its 8-bit type: after
    rounding, a channel whose values span less than a quantization step shows its rounding as
    a shift, and correcting that moves the values onto other steps rather than closer. Where a
    fused ReLU zeroes either value the element is left out. Values are rounded to the 9
    significant digits the table file holds.
    """
    from xdsl.dialects import func
    from xdsl.interpreter import Interpreter

    from nntc.targets.reference.interpreter import (
        TopFunctions,
        function_inputs,
        main_function,
        run_module,
    )
    from nntc.targets.reference.quant_functions import reference_functions, to_float

    quantized = quantized_module(module, store, table, qtable)
    precisions = layer_precisions(quantized)
    convs = {
        name: op
        for op in module.walk()
        if isinstance(op, top.ConvOp)
        and (name := _location(op)) is not None
        and "INT" in precisions.get(name, "")
    }
    if not convs:
        return {}

    reference: list[dict[str, np.ndarray]] = []

    class _Fp32(Interpreter.Listener):
        def did_interpret_op(self, op: Operation, results: tuple) -> None:
            name = _location(op)
            if isinstance(op, top.ConvOp) and name in convs:
                reference[-1][name] = np.asarray(results[0], np.float64)

    for sample in samples:
        reference.append({})
        run_module(module, sample, store=store, listeners=(_Fp32(),))

    linear = Interpreter(ModuleOp([]))  # the FP32 convs' kernels, on the INT8 net's values
    linear.register_implementations(TopFunctions(store))
    interpreter = Interpreter(quantized)
    interpreter.register_implementations(reference_functions(quantized, weight_store_of(quantized)))
    fn = main_function(quantized)
    envs: list[dict[SSAValue, Any]] = [
        dict(zip(fn.body.block.args, function_inputs(fn, s), strict=True)) for s in samples
    ]
    corrections: dict[str, np.ndarray] = {}
    for op in fn.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        args = [[env[v] for v in op.operands] for env in envs]
        name = _location(op)
        if isinstance(op, top.ConvOp) and name in convs and op.bias is not None:
            error = _mean_conv_error(convs[name], op, args, [r[name] for r in reference], linear)
            corrections[name] = error
            steps = to_float(np.ones(error.shape, np.int32), op.bias.type)
            # a channel whose filter is all zero has a zero bias scale: nothing to correct
            delta = np.round(np.divide(error, steps, out=np.zeros_like(error), where=steps > 0))
            for a in args:
                info = np.iinfo(a[2].dtype)
                a[2] = np.clip(a[2] - delta, info.min, info.max).astype(a[2].dtype)
        for env, a in zip(envs, args, strict=True):
            results = interpreter.run_op(op, tuple(a))
            env.update(zip(op.results, results, strict=True))
    return _rounded(corrections)


def _mean_conv_error(
    fp32_op: top.ConvOp,
    int8_op: Operation,
    args: Sequence[Sequence[np.ndarray]],
    reference: Sequence[np.ndarray],
    kernel: Interpreter,
) -> np.ndarray:
    """Per output channel, the mean of INT8 minus FP32 over the samples, before rounding."""
    from xdsl.dialects.builtin import BoolAttr

    from nntc.targets.reference.quant_functions import to_float

    # the FP32 conv without its ReLU, on the INT8 net's real values (the INT8 net's bias may be
    # one the FP32 conv lacks: added after the kernel); the ReLU's range is left out below
    plain = fp32_op.clone()
    plain.properties["do_relu"] = BoolAttr.from_bool(False)
    plain.properties.pop("relu_limit", None)
    sums: np.ndarray | float = 0.0
    counts: np.ndarray | float = 0.0
    for sample_args, f in zip(args, reference, strict=True):
        real = [to_float(a, v.type) for a, v in zip(sample_args, int8_op.operands, strict=True)]
        (y,) = kernel.run_op(plain, tuple(real[: len(fp32_op.operands)]))
        q = np.asarray(y, np.float64)
        if len(real) > len(fp32_op.operands):
            q = q + np.asarray(real[2], np.float64).reshape(1, -1, *([1] * (q.ndim - 2)))
        keep = np.ones(f.shape, bool)
        if fp32_op.do_relu_value:
            keep &= (f > 0) & (q > 0)
            if (limit := fp32_op.relu_limit_value) is not None:
                keep &= (f < limit) & (q < limit)
        axes = (0, *range(2, f.ndim))
        sums = sums + np.where(keep, q - f, 0.0).sum(axis=axes)
        counts = counts + keep.sum(axis=axes)
    plain.erase()
    return np.asarray(sums) / np.maximum(np.asarray(counts), 1.0)


def _rounded(corrections: Mapping[str, np.ndarray]) -> dict[str, tuple[float, ...]]:
    return {
        name: tuple(float(f"{v:.9g}") for v in np.atleast_1d(values))
        for name, values in corrections.items()
    }


# --- scoring -------------------------------------------------------------------------------------


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity; two all-zero tensors agree (1), one all-zero tensor does not (0)."""
    x, y = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    if nx == 0.0 or ny == 0.0:
        return 1.0 if nx == ny else 0.0
    return float(x @ y / (nx * ny))


def _top1_rows(reference: np.ndarray, got: np.ndarray) -> tuple[int, int] | None:
    if reference.ndim != 2 or reference.shape[1] < 2:
        return None
    same = np.argmax(reference, axis=1) == np.argmax(got, axis=1)
    return int(same.sum()), int(same.size)


def score_outputs(
    references: Sequence[Mapping[str, np.ndarray]], outputs: Sequence[Mapping[str, np.ndarray]]
) -> Score:
    """The score of `outputs` against FP32 `references`, sample by sample (module docstring)."""
    per_sample = []
    agree = rows = 0
    for reference, got in zip(references, outputs, strict=True):
        # an all-zero FP32 output has no direction: any quantization noise on it scores 0
        informative = [name for name, value in reference.items() if np.any(value)]
        if informative:
            per_sample.append(min(cosine(got[name], reference[name]) for name in informative))
        for name, value in reference.items():
            counted = _top1_rows(value, got[name])
            if counted is not None:
                agree, rows = agree + counted[0], rows + counted[1]
    if not per_sample:
        raise ScoringError(
            "the FP32 outputs are all zero on every held-out sample, so no cosine can be "
            "scored: calibrate on inputs the net responds to"
        )
    return Score(
        float(np.mean(per_sample)), float(np.min(per_sample)), agree / rows if rows else None
    )


def quantized_module(
    module: ModuleOp,
    store: WeightStore,
    table: CalibrationTable,
    qtable: Mapping[str, str],
) -> ModuleOp:
    """A quantized clone of top-level `module`; `module` and `store` are left as they are (the
    clone gets its own store holding the same arrays plus the quantized weights)."""
    from nntc.passes.import_calibration import attach_calibration
    from nntc.passes.quantize import quantize_module

    clone = module.clone()
    attach_weight_store(clone, WeightStore(arrays={name: store[name] for name in store.names()}))
    attach_calibration(clone, table)
    quantize_module(clone, qtable=dict(qtable))
    return clone


def run_outputs(
    module: ModuleOp, samples: Sequence[Inputs], stored: list[StoredValues] | None = None
) -> list[dict[str, np.ndarray]]:
    """The fake-quant reference's outputs of a quantized module on each sample; when `stored`
    is a list, it receives each sample's every tensor (`QuantRunner.run`'s `keep_stored`)."""
    from nntc.targets.reference.quant_functions import QuantRunner

    runner = QuantRunner(module)
    outputs = []
    for sample in samples:
        result = runner.run(sample, keep_stored=stored is not None)
        outputs.append(result.outputs)
        if stored is not None and result.stored is not None:
            stored.append(result.stored)
    return outputs


def evaluate(
    module: ModuleOp,
    store: WeightStore,
    table: CalibrationTable,
    qtable: Mapping[str, str],
    samples: Sequence[Inputs],
    references: Sequence[Mapping[str, np.ndarray]],
    stored: list[StoredValues] | None = None,
) -> tuple[ModuleOp, Score]:
    """Quantize with `table` and `qtable`, run the held-out `samples`, score against FP32;
    `stored` as in `run_outputs`."""
    quantized = quantized_module(module, store, table, qtable)
    return quantized, score_outputs(references, run_outputs(quantized, samples, stored))


# --- the per-layer report ------------------------------------------------------------------------


def _location(op: Operation) -> str | None:
    from nntc.targets.reference.interpreter import location_name

    return location_name(op)


_CASTS = frozenset(("quant.qcast", "quant.dcast", "quant.requant", "arith.extf", "arith.truncf"))


def layer_precisions(module: ModuleOp) -> dict[str, str]:
    """The precision each named op of a quantized module computes in (its first result)."""
    from nntc.dialects.quant import QuantizedType

    result: dict[str, str] = {}
    for op in module.walk():
        name = _location(op)
        if name is None or not op.results or isinstance(op, top.WeightOp) or name in result:
            continue
        if op.name in _CASTS:
            continue  # casts inserted by quantize carry the location of the op they serve
        element = getattr(op.results[0].type, "get_element_type", lambda: None)()
        if isinstance(element, QuantizedType):
            result[name] = f"{'' if element.is_signed else 'U'}INT{element.storage_width}"
        elif element is not None:
            result[name] = str(element).upper()
    return result


def layer_report(
    fp32: ModuleOp,
    quantized: ModuleOp,
    samples: Sequence[Inputs],
    thresholds: Mapping[str, float] | None = None,
    store: WeightStore | None = None,
    references: Sequence[Mapping[str, np.ndarray]] | None = None,
    quantized_values: Sequence[StoredValues] | None = None,
) -> list[LayerStats]:
    """Cosine and SQNR of every tensor, FP32 vs quantized, over all `samples` (program order).

    `references`, when given, are the FP32 module's `dump_all` values on `samples` (one mapping
    per sample), and `quantized_values` the quantized module's tensors on them (`run_outputs`'
    `stored`): each spares running that module again.
    """
    from nntc.targets.reference.interpreter import run_module
    from nntc.targets.reference.quant_functions import QuantRunner

    for given in (references, quantized_values):
        if given is not None and len(given) != len(samples):
            raise ValueError(f"{len(given)} sets of tensors for {len(samples)} samples")
    runner = QuantRunner(quantized)
    sums: dict[str, list[float]] = {}  # name -> [x.y, x.x, y.y, (x-y)^2]
    for index, sample in enumerate(samples):
        if references is not None:
            reference = references[index]
        else:
            reference = run_module(fp32, sample, store=store, dump_all=True).all_values or {}
        if quantized_values is not None:
            got = quantized_values[index].real()
        else:
            got = runner.run(sample, dump_all=True).all_values or {}
        for name, value in reference.items():
            if name not in got or got[name].shape != value.shape:
                continue
            x = value.astype(np.float64).ravel()
            y = got[name].astype(np.float64).ravel()
            acc = sums.setdefault(name, [0.0, 0.0, 0.0, 0.0])
            acc[0] += float(x @ y)
            acc[1] += float(x @ x)
            acc[2] += float(y @ y)
            acc[3] += float(((x - y) ** 2).sum())
    precisions = layer_precisions(quantized)
    ops = {name: op for op in fp32.walk() if (name := _location(op)) is not None}
    report = []
    for name, (xy, xx, yy, err) in sums.items():
        if xx == 0.0 or yy == 0.0:
            cos = 1.0 if xx == yy else 0.0
        else:
            cos = xy / math.sqrt(xx * yy)
        sqnr = math.inf if err == 0.0 else (10 * math.log10(xx / err) if xx > 0 else -math.inf)
        op = ops.get(name)
        report.append(
            LayerStats(
                name,
                op.name if op is not None else "?",
                precisions.get(name, "F32"),
                float(cos),
                float(sqnr),
                None if thresholds is None else thresholds.get(name),
            )
        )
    return report


# --- mixed precision -----------------------------------------------------------------------------


def _never_moved(op: Operation) -> bool:
    # data movement (reshape, max pooling) is kept: it adds no error of its own while its input
    # is INT8, and when its input has moved to float the noise it adds ranks it like any layer
    from nntc.passes.quantize import FLOAT_BY_DEFAULT

    return isinstance(op, (top.WeightOp, top.InputOp, *FLOAT_BY_DEFAULT))


def movable_layers(fp32: ModuleOp, quantized: ModuleOp, kept: Mapping[str, str]) -> list[str]:
    """The layers mixed precision may move to F16, in program order: those `quantized` computes
    in INT8, less data movement and the entries of the precision table `kept`."""
    precisions = layer_precisions(quantized)
    names: list[str] = []
    for op in fp32.walk():
        name = _location(op)
        if name is None or name in kept or name in names or _never_moved(op):
            continue
        # a layer absent from `quantized` was folded into another (a scalar mul into the
        # preceding table): it is INT8 there, and reappears on its own once that layer moves
        if "INT" in precisions.get(name, "INT8"):
            names.append(name)
    return names


def _runs(layers: Sequence[str], count: int) -> list[list[str]]:
    """`layers` cut into at most `count` runs of consecutive layers, as even as possible."""
    count = max(1, min(count, len(layers)))
    return [
        list(layers[i * len(layers) // count : (i + 1) * len(layers) // count])
        for i in range(count)
    ]


def mixed_precision(
    module: ModuleOp,
    store: WeightStore,
    table: CalibrationTable,
    qtable: Mapping[str, str],
    samples: Sequence[Inputs],
    references: Sequence[Mapping[str, np.ndarray]],
    expected_cosine: float,
    start: tuple[ModuleOp, Score] | None = None,
    progress: Progress | None = None,
    blocks: int = MIXED_PRECISION_BLOCKS,
) -> MixedPrecisionResult:
    """Move layers to F16 until the score's cosine reaches `expected_cosine`: runs of
    consecutive layers, greedily, then back to INT8 those the target does not need (see the
    module docstring); `start` is the already evaluated (module, score) of `qtable`.
    `progress` receives (evaluations done, 0)."""
    current = dict(qtable)
    quantized, score = start or evaluate(module, store, table, current, samples, references)
    result = MixedPrecisionResult(current, score, quantized)
    if score.cosine >= expected_cosine:
        return result
    evaluations = 0

    def trial(f16: Sequence[str]) -> tuple[ModuleOp, Score]:
        nonlocal evaluations
        evaluations += 1
        out = evaluate(module, store, table, dict(qtable) | dict.fromkeys(f16, "F16"), samples,
                       references)  # fmt: skip
        if progress is not None:
            progress(evaluations, 0)
        return out

    moved: list[str] = []

    def accept(f16: list[str], found: tuple[ModuleOp, Score], back: Sequence[str] = ()) -> None:
        nonlocal quantized, score, moved
        moved = f16
        quantized, score = found
        result.rounds.append(
            MixedPrecisionRound([n for n in f16 if n not in current], score, list(back))
        )
        current.clear()
        current.update(dict(qtable) | dict.fromkeys(f16, "F16"))

    runs = _runs(movable_layers(module, quantized, qtable), blocks)
    waiting = list(range(len(runs)))
    # 1. greedy over runs of consecutive layers
    while score.cosine < expected_cosine and waiting:
        tried = [(i, trial(moved + runs[i])) for i in waiting]
        best, found = max(tried, key=lambda item: (item[1][1].key(), -item[0]))
        if found[1].key() > score.key():
            waiting.remove(best)
            accept(moved + runs[best], found)
            continue
        everything = moved + [name for i in waiting for name in runs[i]]
        accept(everything, trial(everything))
        waiting = []

    # 2. back to INT8, last run first, what the target does not need: a run's layers together,
    # else each half of them (the later half first), down to single layers
    def back(group: list[str]) -> None:
        fewer = [n for n in moved if n not in group]
        found = trial(fewer)
        if found[1].cosine >= expected_cosine:
            accept(fewer, found, back=group)
        elif len(group) > 1:
            back(group[len(group) // 2 :])
            back(group[: len(group) // 2])

    if score.cosine >= expected_cosine:
        for run in reversed(runs):
            if group := [n for n in run if n in moved]:
                back(group)
    result.met = score.cosine >= expected_cosine
    result.qtable, result.score, result.module = current, score, quantized
    return result


__all__ = [
    "MIXED_PRECISION_BLOCKS",
    "REFINE_MARGIN_DB",
    "Candidate",
    "LayerStats",
    "MixedPrecisionResult",
    "MixedPrecisionRound",
    "Score",
    "ScoringError",
    "bias_corrections",
    "calibration_table",
    "candidate_thresholds",
    "cosine",
    "evaluate",
    "expected_sqnr_db",
    "layer_precisions",
    "layer_report",
    "mixed_precision",
    "movable_layers",
    "quantized_module",
    "refine_thresholds",
    "score_outputs",
]
