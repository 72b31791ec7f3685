"""``scoring_seconds``: what evaluating costs whatever the test-time passes (distances, intervals),
timed on a few cases so that ``--time-budget`` can count it before any option is tried."""

from __future__ import annotations

from typing import Any

import pytest

from meddx.evaluation import seg_evaluate
from meddx.evaluation.seg_evaluate import SegEvalSettings, scoring_seconds


class _Predictor:
    def postprocess(self, out: Any) -> Any:
        return out


@pytest.mark.parametrize(("n_cases", "per_case"), [(4, 2.0), (1, 7.0)])
def test_the_first_case_warms_up_untimed_and_the_summary_is_timed_on_a_split_of_n_rows(
        monkeypatch: pytest.MonkeyPatch, n_cases: int, per_case: float) -> None:
    now = [0.0]
    summarised: list[int] = []

    def score_case(predictor: Any, case: Any, out: Any) -> dict:
        now[0] += 7.0 if case == 0 else 2.0  # the first call imports and warms up
        return {"id": case}

    def summarize_split(predictor: Any, dims: int, rows: list, groups: Any, spaced: bool, settings: Any) -> dict:
        summarised.append(len(rows))
        now[0] += 0.01 * len(rows)  # the bootstrap grows with the rows
        return {}

    monkeypatch.setattr(seg_evaluate, "score_case", score_case)
    monkeypatch.setattr(seg_evaluate, "summarize_split", summarize_split)

    class _Case(int):
        spacing = None

    cases = [_Case(i) for i in range(n_cases)]
    seconds = scoring_seconds(_Predictor(), 3, cases, cases, 50, SegEvalSettings(), clock=lambda: now[0])
    assert seconds == pytest.approx((per_case, 0.5))  # 1 case alone: timed with its warm-up
    assert summarised == [50]
