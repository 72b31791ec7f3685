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
    parse_rule,
    rates_at,
    thresholds_of,
)


def test_youden_known_answer_is_a_midpoint() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    # J = 1 only between 0.3 (highest negative) and 0.35 (lowest positive): the midpoint.
    assert choose_threshold(y, np.array([0.1, 0.2, 0.3, 0.35, 0.8, 0.9])) == pytest.approx(0.325)
    # J = 2/3 at 0.3 (between 0.2|0.4) and at 0.65 (0.6|0.7); the tie goes to the one closer to 0.5.
    assert choose_threshold(y, np.array([0.1, 0.2, 0.6, 0.4, 0.7, 0.9])) == pytest.approx(0.65)


def test_youden_and_accuracy_ties() -> None:
    y, p = np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.6, 0.55, 0.7, 0.8])
    assert choose_threshold(y, p, "youden") == pytest.approx(0.65)  # J 2/3 between 0.6 and 0.7
    # accuracy 4/5 at 0.65 and at 0.325 (0.1|0.55): the tie goes to 0.65, nearer 0.5
    assert choose_threshold(y, p, "accuracy") == pytest.approx(0.65)


def test_separable_validation_puts_threshold_in_the_middle_of_the_gap() -> None:
    y = np.array([0] * 50 + [1] * 50)
    p = np.concatenate([np.linspace(0.01, 0.2, 50), np.linspace(0.8, 0.99, 50)])
    assert choose_threshold(y, p, "youden") == pytest.approx(0.5)
    assert choose_threshold(y, p, "accuracy") == pytest.approx(0.5)


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
    for bad in ("yuden", "fixed:2", "fixed:x", "sensitivity>0.9", "npv>=0.9", "specificity>=1.5"):
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
