"""ONNX conformance: the onnx package's backend node tests through import -> canonicalize -> the
reference interpreter (one pytest case per test folder; see `tests/conformance/`).

Selected: every case of `node/` and `pytorch-converted/` whose graph inputs and outputs are
float32 and whose op types all have an importer converter. Each must either match the expected
outputs (rtol 1e-3, atol 1e-5) on every data set, or be one of `KNOWN_REJECTIONS`, refused by the
importer with its clean error and the listed reason. Anything else (a crash, a wrong number, an
unexpected rejection, a known rejection that now passes) fails. `scripts/conformance_table.py`
writes the per-op table in `docs/conformance.md` from the same cases.
"""

from __future__ import annotations

import pytest
from conformance import (
    KNOWN_REJECTIONS,
    SUPPORTED_OP_TYPES,
    Case,
    check_outcome,
    run_case,
    select_cases,
)

CASES = select_cases()
PASS_GOAL = 0.90
"""The issue's goal: at least 90 % of the selected cases pass (the rest are clean rejections)."""


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_backend_case(case: Case) -> None:
    check_outcome(case, run_case(case), KNOWN_REJECTIONS, "KNOWN_REJECTIONS")


def test_selection_covers_the_suites() -> None:
    names = {case.name for case in CASES}
    # a few cases of each kind, so that a broken selection cannot pass by selecting nothing
    assert {"test_conv_with_strides_padding", "test_relu", "test_Conv2d_groups"} <= names
    assert {"test_softmax_example_expanded", "test_layer_normalization_4d_axis1"} <= names
    assert len(CASES) >= 300
    assert all(set(case.op_types) <= SUPPORTED_OP_TYPES for case in CASES)
    # int64 inputs (Gather indices as graph inputs) are outside the float32 selection
    assert "test_gather_0" not in names


def test_known_rejections_are_selected_and_within_the_goal() -> None:
    names = {case.name for case in CASES}
    stale = sorted(set(KNOWN_REJECTIONS) - names)
    assert not stale, f"KNOWN_REJECTIONS names cases that are not selected: {stale}"
    passing = len(CASES) - len(KNOWN_REJECTIONS)
    assert passing / len(CASES) >= PASS_GOAL, (
        f"{passing} of {len(CASES)} cases pass ({passing / len(CASES):.1%}), "
        f"below the goal of {PASS_GOAL:.0%}"
    )
