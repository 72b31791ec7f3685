"""Per-label calibration of multi-label models (``calibration.per_label``): each label scored as its own
binary problem, so one badly calibrated label no longer hides in the pooled numbers.

Known answer: 2 independent labels of prevalence .3; label j's score x_j ~ N(1.5·y_j, 1), so its true
log-odds are logit(.3) + 1.5·x_j − 1.125. The simulated network reports label "fine" exactly (calibrated)
and label "sharp" with its log-odds multiplied by 3 (over-confident: calibration slope about 1/3).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import expit, logit

from meddx.evaluation.calibration import calibration_summary
from meddx.evaluation.label_calibration import KEPT, per_label_calibration, per_label_lines

NAMES = ["fine", "sharp"]


def _network(n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 2)) < 0.3).astype(int)
    true_logit = logit(0.3) + 1.5 * (1.5 * y + rng.normal(size=(n, 2))) - 1.125
    return y, expit(true_logit * np.array([1.0, 3.0]))


def test_per_label_ece_separates_a_calibrated_label_from_an_over_confident_one() -> None:
    y, p = _network()
    per = per_label_calibration(y, p, None, NAMES)
    fine, sharp = per["fine"]["before"], per["sharp"]["before"]
    assert per["fine"]["after"] is None  # no temperature applied: nothing to show after it
    assert fine["ece"] < 0.015 and sharp["ece"] > 0.05 and sharp["ece"] > 5 * fine["ece"]
    assert fine["slope"] == pytest.approx(1.0, abs=0.08) and sharp["slope"] == pytest.approx(1 / 3, abs=0.05)
    pooled = calibration_summary(y, p, "multilabel")["ece"]
    assert fine["ece"] < pooled < sharp["ece"]  # the pool blends them: neither label reads as it is
    for j, name in enumerate(NAMES):  # exactly the binary summary of that label's column
        binary = calibration_summary(y[:, j], p[:, j], "binary")
        assert {k: per[name]["before"][k] for k in KEPT if k in binary} == {k: binary[k] for k in KEPT if k in binary}
        assert per[name]["n_positive"] == int(y[:, j].sum()) and per[name]["n"] == len(y)
        assert per[name]["observed_rate"] == pytest.approx(y[:, j].mean())
        assert per[name]["before"]["mean_predicted"] == pytest.approx(p[:, j].mean())


def test_after_is_computed_on_the_temperature_scaled_probabilities() -> None:
    from meddx.evaluation.calibration import apply_temperature

    y, raw = _network()
    scaled = apply_temperature(raw, [1.0, 3.0], "multilabel")  # the right T per label
    per = per_label_calibration(y, scaled, raw, NAMES)
    assert per["sharp"]["before"]["ece"] > 0.05 and per["sharp"]["after"]["ece"] < 0.015
    assert per["sharp"]["after"]["slope"] == pytest.approx(1.0, abs=0.08)
    assert per["fine"]["after"]["ece"] == pytest.approx(per["fine"]["before"]["ece"])


def test_a_label_with_one_class_has_ece_but_no_slope() -> None:
    y, p = _network(200)
    y[:, 1] = 0
    per = per_label_calibration(y, p, None, NAMES)
    assert per["sharp"]["n_positive"] == 0 and per["sharp"]["before"]["slope"] is None
    assert "one outcome" in per["sharp"]["before"]["slope_note"] and per["sharp"]["before"]["ece"] > 0


def _predictor(task: str, names: list[str]) -> SimpleNamespace:
    return SimpleNamespace(task=task, label_names=names, decision_thresholds=[0.5] * len(names) if
                           task == "multilabel" else 0.5, config={"calibration": {}}, temperature=None)


def test_assess_adds_per_label_for_multilabel_only_and_keeps_the_pooled_numbers() -> None:
    from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess

    y, p = _network(400)
    ids = [str(i) for i in range(len(y))]
    cal = assess(_predictor("multilabel", NAMES), SplitPredictions("test", ids, y, p),
                 EvalSettings(n_resamples=0))["calibration"]
    assert list(cal["per_label"]) == NAMES
    assert cal["per_label"]["sharp"]["before"]["ece"] == calibration_summary(y[:, 1], p[:, 1], "binary")["ece"]
    assert cal["before"]["ece"] == calibration_summary(y, p, "multilabel")["ece"]  # pooled, as before
    binary = assess(_predictor("binary", ["neg", "pos"]), SplitPredictions("test", ids, y[:, 1], np.column_stack([1 - p[:, 1], p[:, 1]])),
                    EvalSettings(n_resamples=0))["calibration"]
    assert "per_label" not in binary


def test_evaluate_prints_one_short_line_per_label_and_report_has_a_table() -> None:
    from meddx.cli.evaluate import headline
    from meddx.evaluation.report import render_report

    y, raw = _network(2000)
    from meddx.evaluation.calibration import apply_temperature

    scaled = apply_temperature(raw, [1.0, 3.0], "multilabel")
    per = per_label_calibration(y, scaled, raw, NAMES)
    lines = per_label_lines(per)
    assert lines[0].startswith("calibration per label") and len(lines) == 3
    sharp = per["sharp"]
    assert lines[2].startswith(f"  sharp: ECE {sharp['before']['ece']:.3f} -> {sharp['after']['ece']:.3f}  "
                               f"in the large {sharp['before']['in_the_large']:+.2f} -> ")
    assert f"({sharp['n_positive']} of 2000 positive)" in lines[2] and all(len(line) < 120 for line in lines)
    metrics = {"split": "test", "n": 2000, "task": "multilabel", "label_names": NAMES,
               "calibration": {"temperature": [1.0, 3.0], "before": calibration_summary(y, raw, "multilabel"),
                               "after": calibration_summary(y, scaled, "multilabel"), "per_label": per}}
    assert lines == [line for line in headline(metrics) if line in lines]
    html = render_report(metrics, y, scaled)
    assert "<h3>Per label (before → after temperature)</h3>" in html
    assert f"<td class=l>sharp</td><td>{sharp['n_positive']}</td>" in html
    assert f"{sharp['before']['ece']:.3f} → {sharp['after']['ece']:.3f}" in html


def test_many_labels_print_at_most_twenty_lines() -> None:
    entry = {"n": 10, "n_positive": 1, "observed_rate": 0.1,
             "before": {"ece": 0.1, "in_the_large": 0.2, "mean_predicted": 0.1}, "after": None}
    lines = per_label_lines({f"l{i}": entry for i in range(25)})
    assert len(lines) == 22 and "5 more labels in metrics.json" in lines[-1]
    assert lines[1] == "  l0: ECE 0.100  in the large +0.20  mean P 0.100 vs rate 0.100 (1 of 10 positive)"
