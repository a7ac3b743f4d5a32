"""ONNX backend node tests through the chip: compile to a bmodel and run it on the simulator.

The same cases as the interpreter conformance (`conformance.select_cases()`), minus those the
importer rejects on purpose (`KNOWN_REJECTIONS`, which `tests/test_conformance.py` holds to
exactly that), go through the FP32 pipeline of `nntc-bmneto` in-process (`compile_onnx`: import
-> canonicalize -> fold-constants -> lower-to-tpu{mode=f32} -> assign-gmem -> lower-to-bm1684x
with layer groups, the default -> bmodel bytes, i.e. `--no-cmp`), and the bmodel runs on the
cycle-level simulator with each data set's inputs. `run_case_on_chip()` classifies a case:

- `passed`: every output of every data set matches the expected one (see `outputs_match`);
- `rejected`: `compile_onnx` raised `PipelineError`, the one clean message a user gets for a
  model the chip cannot run (the reason is the message without the op locations);
- `failed`: wrong numbers, a wrong shape, any other exception, or a rejection whose message
  leaks Python object reprs (not a message a user can act on).

`tests/test_conformance_chip.py` runs every case in CI; `scripts/conformance_table.py` writes
the chip columns of `docs/conformance.md` from the same function.
"""

from __future__ import annotations

import re

import numpy as np
import onnx

from conformance import FAILED, PASSED, REJECTED, Case, Outcome, _data_sets, _graph_inputs
from nntc.pipeline import COSINE_MIN, REL_ERR_MAX, PipelineError, compare, compile_onnx
from nntc.targets.bm1684x.simulator import Simulator

ABS_FLOOR = 1e-5
"""An output whose max abs error is at most this passes whatever its cosine: a reference that is
all zeros, or nearly, has no meaningful cosine (the interpreter conformance's atol)."""

TOLERANCE = (
    f"cosine >= {COSINE_MIN:g} and max abs error <= {REL_ERR_MAX:g} x max|ref|, "
    f"or max abs error <= {ABS_FLOOR:g}; non-finite values and non-float outputs exactly"
)


def _group(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


KNOWN_CHIP_REJECTIONS: dict[str, str] = {
    # the node tests feed scale/bias/mean/var, filters and bounds as graph inputs; the chip's
    # batchnorm, deconv and clip fold them into constants
    **_group(
        "top.batchnorm: a runtime (non-weight) scale",
        "test_batchnorm_epsilon",
        "test_batchnorm_example",
    ),
    "test_clip_default_inbounds": "top.clip: a lower bound other than 0",
    **_group(
        "top.deconv: a runtime (non-weight) filter",
        "test_convtranspose",
        "test_convtranspose_1d",
        "test_convtranspose_autopad_same",
        "test_convtranspose_dilations",
        "test_convtranspose_group_2",
        "test_convtranspose_group_2_image_3",
        "test_convtranspose_kernel_shape",
        "test_convtranspose_output_shape",
        "test_convtranspose_pad",
        "test_convtranspose_pads",
    ),
    # 3-D pooling as gathered windows (ops of rank 5 and more: elementwise ones run on views of
    # merged dims): flattening the windows overflows the commands' 16-bit shape fields
    **_group(
        "exceeds the 16-bit command fields",
        "test_averagepool_3d_default",
        "test_maxpool_3d_default",
    ),
    "test_MaxPool1d_stride_padding_dilation": "a dimension exceeds the 16-bit DMA fields",
}
"""Cases `compile_onnx` refuses with its clean `PipelineError`, with a substring of the reason.
A listed case that compiles, or an unlisted one that is rejected, fails the chip tests."""

KNOWN_CHIP_FAILURES: dict[str, str] = {}
"""Cases that compile but give wrong numbers or crash, or are rejected with a message that is
not clean: bugs, with what is known about each. `tests/test_conformance_chip.py` marks them
`xfail(strict=True)`, so that a fix or a different break is noticed."""

SLOW_CASES: dict[str, str] = {}
"""Cases the CI test skips for their compile time; `scripts/conformance_table.py` runs them."""

_LOCATION = re.compile(r' at loc\("[^"]*"\)')
_PYTHON_REPR = re.compile(r"<\w+\[|object at 0x[0-9a-f]+")


def rejection_reason(message: str) -> str:
    """The message of a `PipelineError` as one line without op locations (`at loc("y")`), so
    that cases rejected for the same reason read the same: `top.clip: a lower bound ...`."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    details = lines[1:] if len(lines) > 1 and lines[0].endswith(":") else lines
    seen: dict[str, None] = {}
    for line in details:
        seen.setdefault(_LOCATION.sub("", line))
    return "; ".join(seen)


def outputs_match(name: str, got: np.ndarray, want: np.ndarray) -> str | None:
    """Why the simulated output `got` does not match the expected `want`, or None when it does.

    Float outputs: the FP32 issue's check (`nntc.pipeline.compare`: cosine >= COSINE_MIN and
    max abs error <= REL_ERR_MAX x max|want|) on the finite elements, or a max abs error of at
    most ABS_FLOOR; NaN and +-inf must sit at the same places. Other dtypes: exactly."""
    if got.shape != want.shape:
        return f"output '{name}' has shape {list(got.shape)}, expected {list(want.shape)}"
    if not np.issubdtype(want.dtype, np.floating):
        if np.array_equal(got, want):
            return None
        wrong = int(np.count_nonzero(got != want))
        return f"output '{name}' differs in {wrong} of {want.size} elements (exact type)"
    finite = np.isfinite(want)
    if not np.array_equal(np.isfinite(got), finite) or not np.array_equal(
        got[~finite], want[~finite], equal_nan=True
    ):
        return f"output '{name}' has NaN/inf where the reference has not, or the reverse"
    result = compare(name, got[finite], want[finite])
    if result.max_abs_error <= ABS_FLOOR or result.passed:
        return None
    return (
        f"output '{name}' differs: cosine {result.cosine:.6f}, max abs error "
        f"{result.max_abs_error:.3g} (max |ref| {result.max_abs_ref:.3g})"
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def run_case_on_chip(case: Case, layer_group: bool = True) -> Outcome:
    """Compile `case` to a bmodel (one per distinct input shapes) and simulate every data set."""
    model = onnx.load(str(case.path / "model.onnx"))
    input_names = [vi.name for vi in _graph_inputs(model.graph)]
    output_names = [vi.name for vi in model.graph.output]
    simulators: dict[tuple[tuple[int, ...], ...], Simulator] = {}
    try:
        for inputs, expected in _data_sets(case, len(input_names), len(output_names)):
            key = tuple(tuple(x.shape) for x in inputs)
            if key not in simulators:
                try:
                    compiled = compile_onnx(
                        model,
                        input_names,
                        [list(shape) for shape in key],
                        net_name="case",
                        layer_group=layer_group,
                    )
                except PipelineError as err:
                    if _PYTHON_REPR.search(str(err)):
                        return Outcome(FAILED, f"unclean rejection: {_first_line(err)}")
                    return Outcome(REJECTED, rejection_reason(str(err)))
                layers = compiled.layer_map[0] if len(compiled.layer_map) == 1 else None
                simulators[key] = Simulator(compiled.bmodel, layers=layers)
            result = simulators[key].run(dict(zip(input_names, inputs, strict=True)))
            for name, want in zip(output_names, expected, strict=True):
                got = result.outputs.get(name)
                if got is None:
                    return Outcome(FAILED, f"no output '{name}' (got {sorted(result.outputs)})")
                why = outputs_match(name, np.asarray(got), want)
                if why is not None:
                    return Outcome(FAILED, why)
    except Exception as err:  # a crash is a failure, reported by its type and first line
        return Outcome(FAILED, f"{type(err).__name__}: {_first_line(err)}")
    return Outcome(PASSED)


__all__ = [
    "ABS_FLOOR",
    "KNOWN_CHIP_FAILURES",
    "KNOWN_CHIP_REJECTIONS",
    "SLOW_CASES",
    "TOLERANCE",
    "outputs_match",
    "rejection_reason",
    "run_case_on_chip",
]
