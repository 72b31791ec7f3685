"""A multi-label bundle's operating point, one binary decision per label: ``meddx evaluate`` prints one
line per label (threshold, sensitivity, specificity, PPV, NPV with intervals) and ``metrics.json`` holds
it as ``operating_point.measured``; ``--operating-point`` rules are chosen per label on validation.

Found by the evaluation walk (task "evalml"): for a multi-label bundle the summary printed no line for
the bundle's own thresholds at all, and the extra rules' lines named neither their threshold nor PPV/NPV.
Every number is checked against scikit-learn on a synthetic set whose counts are known by construction.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from meddx.cli.evaluate import headline
from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess
from meddx.evaluation.operating import choose_threshold, thresholds_of

NAMES = ["edema", "effusion"]
THRESHOLDS = {"edema": 0.5, "effusion": 0.6}


class _Predictor:
    """What ``assess`` reads of a loaded bundle: task, names, decision record, temperature 1."""

    temperature = 1.0
    calibration_bias = None

    def __init__(self, task: str, names: list[str], decision: dict[str, Any]) -> None:
        self.task, self.label_names = task, names
        self.config = {"decision": decision}

    @property
    def decision_thresholds(self) -> Any:
        return thresholds_of(self.config["decision"], self.label_names)


def _test_split() -> SplitPredictions:
    """20 cases. edema at 0.5: tp 8, fn 2, fp 3, tn 7; effusion at 0.6: tp 5, fn 0, fp 1, tn 14."""
    edema_y = [1] * 10 + [0] * 10
    edema_p = [0.8] * 8 + [0.2] * 2 + [0.7] * 3 + [0.3] * 7
    effusion_y = [1] * 5 + [0] * 15
    effusion_p = [0.9] * 5 + [0.65] + [0.1] * 14
    return SplitPredictions("test", [f"t{i}" for i in range(20)], np.column_stack([edema_y, effusion_y]),
                            np.column_stack([edema_p, effusion_p]).astype(float))


def _val_split() -> SplitPredictions:
    """edema: positives 0.9..0.4, negatives 0.5..0.05; ``sensitivity>=0.8`` keeps 4 of 5 positives and
    no negative at the cut midway between 0.6 and 0.5 (0.55)."""
    y = np.array([[1, 1], [1, 0], [1, 1], [1, 0], [1, 1], [0, 0], [0, 1], [0, 0], [0, 0], [0, 0]])
    p = np.array([[0.9, 0.8], [0.8, 0.3], [0.7, 0.7], [0.6, 0.2], [0.4, 0.9],
                  [0.5, 0.1], [0.3, 0.6], [0.2, 0.4], [0.1, 0.5], [0.05, 0.05]])
    return SplitPredictions("val", [f"v{i}" for i in range(10)], y, p)


def _sklearn_rates(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    tn, fp, fn, tp = confusion_matrix(y, (p >= threshold).astype(int), labels=[0, 1]).ravel()
    return {"sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp), "ppv": tp / (tp + fp), "npv": tn / (tn + fn)}


def _assessed(n_resamples: int = 200, rules: tuple[str, ...] = ("sensitivity>=0.8",)) -> dict[str, Any]:
    predictor = _Predictor("multilabel", NAMES, {"rule": "youden", "threshold": None,
                                                 "class_thresholds": THRESHOLDS, "chosen_on": "val"})
    metrics = assess(predictor, _test_split(), EvalSettings(n_resamples=n_resamples, extra_rules=list(rules)),
                     val=_val_split())
    return metrics


def test_measured_rates_per_label_match_known_counts_and_sklearn() -> None:
    metrics = _assessed()
    measured = metrics["operating_point"]["measured"]
    assert list(measured) == NAMES
    known = {"edema": {"sensitivity": 0.8, "specificity": 0.7, "ppv": 8 / 11, "npv": 7 / 9},
             "effusion": {"sensitivity": 1.0, "specificity": 14 / 15, "ppv": 5 / 6, "npv": 1.0}}
    test = _test_split()
    for k, name in enumerate(NAMES):
        assert measured[name]["threshold"] == THRESHOLDS[name]
        expected = _sklearn_rates(test.labels[:, k], test.probs[:, k], THRESHOLDS[name])
        for rate, value in expected.items():
            entry = measured[name][rate]
            assert entry["estimate"] == pytest.approx(value) == pytest.approx(known[name][rate])
            assert entry == metrics["ci"]["per_class"][name][rate]  # the same interval as ci, grouped by decision
        lo, hi = measured[name]["sensitivity"]["bca"]
        if name == "edema":
            assert lo < 0.8 < hi


def test_summary_prints_one_line_per_label_with_threshold_and_four_rates() -> None:
    metrics = _assessed()
    lines = headline(metrics)
    head = lines.index("operating point per label (youden, chosen on val):")
    test = _test_split()
    for k, name in enumerate(NAMES):
        line = lines[head + 1 + k]
        assert line.startswith(f"  {name}: threshold {THRESHOLDS[name]:.3f}  sensitivity ")
        rates = _sklearn_rates(test.labels[:, k], test.probs[:, k], THRESHOLDS[name])
        for shown, rate in (("sensitivity", "sensitivity"), ("specificity", "specificity"), ("PPV", "ppv"),
                            ("NPV", "npv")):
            interval = metrics["operating_point"]["measured"][name][rate]
            lo, hi = interval["bca"]
            assert f"{shown} {rates[rate]:.3f} ({lo:.3f}–{hi:.3f})" in line


def test_extra_rule_is_chosen_per_label_on_validation_and_printed_with_its_threshold() -> None:
    metrics = _assessed()
    (point,) = metrics["operating_points"]
    val, test = _val_split(), _test_split()
    assert point["class_thresholds"]["edema"] == pytest.approx(0.55)  # known: midway between 0.6 and 0.5
    lines = headline(metrics)
    for k, name in enumerate(NAMES):
        threshold = point["class_thresholds"][name]
        assert threshold == choose_threshold(val.labels[:, k], val.probs[:, k], "sensitivity>=0.8")
        assert _sklearn_rates(val.labels[:, k], val.probs[:, k], threshold)["sensitivity"] >= 0.8
        for rate, value in _sklearn_rates(test.labels[:, k], test.probs[:, k], threshold).items():
            assert point["test"][name][rate]["estimate"] == pytest.approx(value)
        (line,) = [x for x in lines if x.startswith(f"  sensitivity>=0.8 ({name}): ")]
        assert f"threshold {threshold:.3f}  sensitivity {point['test'][name]['sensitivity']['estimate']:.3f}" in line
        assert "  PPV " in line and "  NPV " in line


def test_without_bootstrap_the_lines_carry_estimates_only() -> None:
    metrics = _assessed(n_resamples=0, rules=())
    assert metrics["ci"] is None
    line = next(x for x in headline(metrics) if x.startswith("  edema: "))
    assert line == "  edema: threshold 0.500  sensitivity 0.800  specificity 0.700  PPV 0.727  NPV 0.778"
    assert metrics["operating_point"]["measured"]["edema"]["npv"]["bca"] == [None, None]


def test_binary_line_is_unchanged_and_argmax_has_no_per_class_block() -> None:
    """Guards: the binary bundle line keeps its form; an argmax multi-class bundle has no thresholds."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p1 = np.clip(0.3 * y + 0.7 * rng.random(60), 0, 1)
    binary = SplitPredictions("test", [f"b{i}" for i in range(60)], y, np.column_stack([1 - p1, p1]))
    predictor = _Predictor("binary", ["neg", "pos"], {"rule": "fixed:0.5", "threshold": 0.5, "chosen_on": "val"})
    metrics = assess(predictor, binary, EvalSettings(n_resamples=0))
    assert metrics["operating_point"]["measured"]["pos"]["threshold"] == 0.5
    sens, spec = _sklearn_rates(y, p1, 0.5)["sensitivity"], _sklearn_rates(y, p1, 0.5)["specificity"]
    assert headline(metrics)[1] == (f"operating point (fixed:0.5, threshold 0.500, chosen on val): "
                                    f"sensitivity {sens:.3f}  specificity {spec:.3f}")
    yk = rng.integers(0, 3, 60)
    pk = rng.dirichlet(np.ones(3), 60)
    multiclass = SplitPredictions("test", [f"m{i}" for i in range(60)], yk, pk)
    predictor = _Predictor("multiclass", ["a", "b", "c"], {"rule": "argmax", "threshold": None, "chosen_on": "val"})
    metrics = assess(predictor, multiclass, EvalSettings(n_resamples=0))
    assert "measured" not in metrics["operating_point"]
    assert not any(line.startswith("operating point") for line in headline(metrics))


def test_multiclass_with_per_class_thresholds_prints_one_vs_rest_lines() -> None:
    """A multi-class bundle trained with ``per_class_thresholds``: each class's one-vs-rest threshold and
    rates, under a heading that says the predicted class is still the argmax."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    p = rng.dirichlet(np.ones(3), 90) * 0.5 + np.eye(3)[y] * 0.5
    thresholds = {"a": 0.4, "b": 0.5, "c": 0.6}
    predictor = _Predictor("multiclass", ["a", "b", "c"], {"rule": "argmax; one-vs-rest youden per class",
                                                           "threshold": None, "class_thresholds": thresholds,
                                                           "chosen_on": "val"})
    metrics = assess(predictor, SplitPredictions("test", [f"m{i}" for i in range(90)], y, p),
                     EvalSettings(n_resamples=0))
    lines = headline(metrics)
    head = lines.index("one-vs-rest threshold per class (youden one-vs-rest, chosen on val; the predicted class "
                       "is the argmax):")
    for k, name in enumerate(["a", "b", "c"]):
        r = _sklearn_rates((y == k).astype(int), p[:, k], thresholds[name])
        assert lines[head + 1 + k] == (f"  {name}: threshold {thresholds[name]:.3f}  sensitivity {r['sensitivity']:.3f}  "
                                       f"specificity {r['specificity']:.3f}  PPV {r['ppv']:.3f}  NPV {r['npv']:.3f}")
