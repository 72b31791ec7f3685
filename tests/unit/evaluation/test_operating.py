"""Operating-point rules: known answers, constraints honoured, midpoints, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.operating import (
    candidate_table,
    choose_operating_point,
    choose_threshold,
    describe_rule,
    parse_rule,
    rates_at,
    thresholds_of,
)


def test_youden_known_answer_is_a_midpoint() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    # J = 1 only between 0.3 (highest negative) and 0.35 (lowest positive): the midpoint.
    assert choose_threshold(y, np.array([0.1, 0.2, 0.3, 0.35, 0.8, 0.9]), "youden-empirical") == pytest.approx(0.325)
    # J = 2/3 at 0.3 (between 0.2|0.4) and at 0.65 (0.6|0.7); the tie goes to the one closer to 0.5.
    assert choose_threshold(y, np.array([0.1, 0.2, 0.6, 0.4, 0.7, 0.9]), "youden-empirical") == pytest.approx(0.65)


def test_youden_and_accuracy_ties() -> None:
    y, p = np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.6, 0.55, 0.7, 0.8])
    assert choose_threshold(y, p, "youden-empirical") == pytest.approx(0.65)  # J 2/3 between 0.6 and 0.7
    # accuracy 4/5 at 0.65 and at 0.325 (0.1|0.55): the tie goes to 0.65, nearer 0.5
    assert choose_threshold(y, p, "accuracy-empirical") == pytest.approx(0.65)


def test_separable_validation_puts_threshold_in_the_middle_of_the_gap() -> None:
    y = np.array([0] * 50 + [1] * 50)
    p = np.concatenate([np.linspace(0.01, 0.2, 50), np.linspace(0.8, 0.99, 50)])
    for rule in ("youden-empirical", "accuracy-empirical"):
        assert choose_threshold(y, p, rule) == pytest.approx(0.5)
    for rule in ("youden", "accuracy"):  # resamples drop the edge scores symmetrically: still mid-gap
        assert choose_threshold(y, p, rule) == pytest.approx(0.5, abs=0.01)


def _binormal(rng: np.random.Generator, n: int, shift: float = 2.9) -> tuple[np.ndarray, np.ndarray]:
    """Half negatives N(0, 1), half positives N(shift, 1) on the logit scale (AUC about .98)."""
    y = np.repeat([0, 1], n // 2)
    return y, 1.0 / (1.0 + np.exp(-(rng.normal(size=n) + shift * y)))


def _youden_on_the_population(threshold: float, shift: float = 2.9) -> float:
    from scipy.stats import norm

    z = np.log(threshold / (1.0 - threshold))
    return float(norm.cdf(z) - norm.cdf(z - shift))  # specificity + sensitivity - 1


def test_resampled_youden_is_closer_to_the_best_cut_on_new_data() -> None:
    """On 120 validation splits of 200 binormal scores, the threshold averaged over bootstrap
    resamples reaches a higher and steadier Youden index on the population than the single best cut
    (cutpointr's finding, Thiele & Hirschfeld 2021). A rule that ignored the resamples, or averaged
    them wrongly, would not."""
    rng = np.random.default_rng(0)
    single, resampled = [], []
    for _ in range(120):
        y, p = _binormal(rng, 200)
        single.append(_youden_on_the_population(choose_threshold(y, p, "youden-empirical")))
        resampled.append(_youden_on_the_population(choose_threshold(y, p, "youden")))
    best = _youden_on_the_population(1.0 / (1.0 + np.exp(-1.45)))  # the optimal cut: halfway, logit 1.45
    assert np.mean(resampled) > np.mean(single) + 0.002
    assert np.std(resampled) < 0.75 * np.std(single)  # about half the spread (.56)
    assert best - np.mean(resampled) < 0.7 * (best - np.mean(single))  # about half the shortfall (.51)


def test_resampled_rules_are_deterministic_and_constraint_rules_are_not_resampled() -> None:
    rng = np.random.default_rng(3)
    y, p = _binormal(rng, 150)
    assert choose_threshold(y, p) == choose_threshold(y, p, "youden") == choose_threshold(y.copy(), p.copy())
    assert choose_threshold(y, p, "youden") != choose_threshold(y, p, "youden-empirical")
    assert parse_rule("youden").resampled and parse_rule("accuracy").resampled
    assert not parse_rule("youden-empirical").resampled and parse_rule("accuracy-empirical").kind == "accuracy"
    assert not parse_rule("sensitivity>=0.9").resampled  # its target must hold on validation itself
    assert rates_at(y, p, choose_threshold(y, p, "sensitivity>=0.9"))["sensitivity"] >= 0.9
    assert "once" in describe_rule("accuracy-empirical")
    assert describe_rule("youden-empirical-empirical") == "youden-empirical-empirical"  # words, never an error
    # The operating point records the resamples; a "youden" record without them (a bundle made before
    # averaging) is described without claiming any.
    point = choose_operating_point(y, np.column_stack([1 - p, p]), "binary")
    assert point["resamples"] == 100 and point["threshold"] == choose_threshold(y, p)
    assert "resamples" not in choose_operating_point(y, np.column_stack([1 - p, p]), "binary", "youden-empirical")
    assert "averaged over 100 bootstrap" in describe_rule("youden", point["resamples"])
    assert describe_rule("youden") == "maximising sensitivity + specificity − 1, Youden's J"


def test_constraint_rules_honour_their_target_and_are_optimal() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.clip(0.5 + 0.25 * (y - 0.5) + rng.normal(0, 0.2, 500), 0, 1).round(2)  # many ties
    fpr, tpr, _ = roc_curve(y, p)
    for target in (0.8, 0.9, 0.95):
        t = choose_threshold(y, p, f"sensitivity>={target}")
        r = rates_at(y, p, t)
        assert r["sensitivity"] >= target
        # No ROC point with sensitivity >= target has a better specificity.
        assert r["specificity"] == pytest.approx((1 - fpr[tpr >= target]).max())
        t = choose_threshold(y, p, f"specificity>={target}")
        r = rates_at(y, p, t)
        assert r["specificity"] >= target
        assert r["sensitivity"] == pytest.approx(tpr[(1 - fpr) >= target].max())
    t = choose_threshold(y, p, "ppv>=0.8")
    assert rates_at(y, p, t)["ppv"] >= 0.8
    with pytest.raises(DataError, match="highest PPV available"):
        choose_threshold(np.array([0, 1, 0, 1]), np.array([0.9, 0.1, 0.8, 0.2]), "ppv>=0.9")


def test_candidate_table_counts_match_direct_counting() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)
    p = rng.integers(0, 10, 60) / 10
    table = candidate_table(y, p)
    for t, tp, fp in zip(table["threshold"], table["tp"], table["fp"]):
        assert tp == ((p >= t) & (y == 1)).sum() and fp == ((p >= t) & (y == 0)).sum()
    assert table["tp"][0] == 0 and table["tp"][-1] == y.sum()
    assert not np.isin(table["threshold"], p).any()  # never on a validation score


def test_fixed_degenerate_and_bad_rules() -> None:
    assert choose_threshold(np.array([0, 1]), np.array([0.2, 0.8]), "fixed:0.3") == 0.3
    assert choose_threshold(np.zeros(4), np.array([0.1, 0.9, 0.4, 0.6])) == 0.5  # one class only
    assert parse_rule(" sensitivity >= 0.95 ").text == "sensitivity>=0.95"
    for bad in ("yuden", "youden-empiric", "sensitivity>=0.9-empirical", "fixed:2", "fixed:x", "sensitivity>0.9", "npv>=0.9", "specificity>=1.5"):
        with pytest.raises(ConfigError, match="valid rules"):
            parse_rule(bad)
    with pytest.raises(DataError, match="same length"):
        choose_threshold(np.array([0, 1, 1]), np.array([0.2, 0.8]))


def test_operating_point_per_task() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 2 * np.eye(3)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = ["a", "b", "c"]
    assert choose_operating_point(y, probs, "multiclass", label_names=names)["rule"] == "argmax"
    point = choose_operating_point(y, probs, "multiclass", "sensitivity>=0.9", per_class=True, label_names=names)
    assert set(point["class_thresholds"]) == set(names)
    assert all(point["val"][n]["sensitivity"] >= 0.9 for n in names)
    assert len(thresholds_of(point, names)) == 3
    binary = choose_operating_point((y == 1).astype(int), np.column_stack([1 - probs[:, 1], probs[:, 1]]), "binary")
    assert binary["chosen_on"] == "val" and 0 < binary["threshold"] < 1 and binary["val"]["sensitivity"] is not None
    multilabel = (rng.random((300, 3)) < probs).astype(int)
    point = choose_operating_point(multilabel, probs, "multilabel", "specificity>=0.8", label_names=names)
    assert all(point["val"][n]["specificity"] >= 0.8 for n in names)


def test_constraint_rules_never_pick_a_dominated_cut() -> None:
    """Found by an audit: ties on the optimised rate went to the cut nearest 0.5 even when another
    tied cut was better on the constrained rate. 'specificity>=0.9' took 0.475 (sensitivity 1,
    specificity 0.96 on validation) although 0.775 reaches sensitivity 1 and specificity 1."""
    y = np.r_[np.zeros(50), np.ones(50)].astype(int)
    negatives = np.r_[np.linspace(0.02, 0.3, 45), [0.35, 0.4, 0.45, 0.5, 0.75]]
    p = np.r_[negatives, np.linspace(0.8, 0.99, 50)]
    for rule in ("specificity>=0.9", "sensitivity>=0.9", "ppv>=0.9"):
        t = choose_threshold(y, p, rule)
        assert t == pytest.approx(0.775), rule
        assert rates_at(y, p, t) == {"sensitivity": 1.0, "specificity": 1.0, "ppv": 1.0, "npv": 1.0}
