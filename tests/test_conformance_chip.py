"""ONNX conformance on the chip: the backend node tests compiled to bmodels and simulated.

Every case of `tests/test_conformance.py` that the importer accepts (all of them but
`KNOWN_REJECTIONS`) goes through `nntc-bmneto`'s FP32 pipeline in-process, layer groups on, and
the cycle-level simulator, on each of its data sets (helpers in `tests/conformance/chip.py`).
Outputs must match the expected ones at the FP32 issue's tolerance (`chip.TOLERANCE`). A case
must pass, or be one of `KNOWN_CHIP_REJECTIONS` refused with its clean error, or be one of the
`KNOWN_CHIP_FAILURES` (strict xfail: a fix or another kind of break is noticed). `SLOW_CASES`
are skipped here (minutes of compile time) and run by `scripts/conformance_table.py`.
"""

from __future__ import annotations

import numpy as np
import pytest
from conformance import KNOWN_REJECTIONS, Case, check_outcome, select_cases
from conformance.chip import (
    KNOWN_CHIP_FAILURES,
    KNOWN_CHIP_REJECTIONS,
    SLOW_CASES,
    outputs_match,
    rejection_reason,
    run_case_on_chip,
)

CASES = [case for case in select_cases() if case.name not in KNOWN_REJECTIONS]


def _param(case: Case) -> object:
    marks = []
    if case.name in SLOW_CASES:
        marks.append(pytest.mark.skip(reason=SLOW_CASES[case.name]))
    elif case.name in KNOWN_CHIP_FAILURES:
        marks.append(pytest.mark.xfail(reason=KNOWN_CHIP_FAILURES[case.name], strict=True))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_backend_case_on_chip(case: Case) -> None:
    check_outcome(case, run_case_on_chip(case), KNOWN_CHIP_REJECTIONS, "KNOWN_CHIP_REJECTIONS")


def test_known_lists_name_selected_cases_once() -> None:
    names = {case.name for case in CASES}
    listed = [*KNOWN_CHIP_REJECTIONS, *KNOWN_CHIP_FAILURES]
    assert not set(listed) - names, f"not selected: {sorted(set(listed) - names)}"
    assert len(listed) == len(set(listed)), "a case is both a known rejection and a failure"
    assert set(SLOW_CASES) <= set(KNOWN_CHIP_REJECTIONS)
    # a fair share of the cases must run on the chip, so that the lists cannot grow unnoticed
    assert len(names) - len(listed) >= 220


def test_outputs_match_tolerance() -> None:
    want = np.array([1.0, -2.0, 4.0], np.float32)
    assert outputs_match("y", want + np.float32(3e-3), want) is None  # 0.75e-3 x max|ref|
    assert "differs" in outputs_match("y", want + np.float32(5e-3), want)  # type: ignore[operator]
    assert "shape" in outputs_match("y", want[:2], want)  # type: ignore[operator]
    # an all-zero reference: any error up to the absolute floor passes, cosine or not
    zeros = np.zeros(4, np.float32)
    assert outputs_match("y", zeros + np.float32(1e-6), zeros) is None
    assert outputs_match("y", zeros + np.float32(1e-4), zeros) is not None
    # non-finite values must be at the same places; exact types must be equal
    inf = np.array([np.inf, 1.0, np.nan], np.float32)
    assert outputs_match("y", inf.copy(), inf) is None
    assert outputs_match("y", np.array([np.inf, 1.0, 0.0], np.float32), inf) is not None
    ints = np.array([1, 2, 3], np.int64)
    assert outputs_match("y", ints.copy(), ints) is None
    assert outputs_match("y", ints + 1, ints) is not None


def test_rejection_reason_drops_locations() -> None:
    message = (
        "lower-to-tpu: 2 op(s) cannot be lowered to the BM1684X:\n"
        '  top.matmul at loc("a"): only a 2-D right operand is supported, got [3]\n'
        '  top.matmul at loc("b"): only a 2-D right operand is supported, got [3]'
    )
    assert rejection_reason(message) == "top.matmul: only a 2-D right operand is supported, got [3]"
    assert rejection_reason("assign-gmem: a net output is an input") == (
        "assign-gmem: a net output is an input"
    )
