"""classification_metrics and choose_threshold checked against scikit-learn called directly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.metrics import choose_threshold, classification_metrics

N = 200


def _softmax_probs(rng: np.random.Generator, k: int) -> np.ndarray:
    z = rng.normal(size=(N, k))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _check_per_class(res: dict, truth: np.ndarray, pred: np.ndarray, probs: np.ndarray) -> None:
    """Per-class one-vs-rest values against sklearn on (N, K) indicator matrices."""
    prec, rec, f1, sup = precision_recall_fscore_support(truth, pred, average=None, zero_division=0)
    for c, name in enumerate(res["label_names"]):
        pc = res["per_class"][name]
        assert pc["sensitivity"] == pytest.approx(rec[c])
        assert pc["specificity"] == pytest.approx(recall_score(truth[:, c], pred[:, c], pos_label=0))
        assert pc["precision"] == pytest.approx(prec[c])
        assert pc["f1"] == pytest.approx(f1[c])
        assert pc["support"] == sup[c]
        assert pc["auc"] == pytest.approx(roc_auc_score(truth[:, c], probs[:, c]))
    assert res["macro"]["f1"] == pytest.approx(f1.mean())
    assert res["macro"]["sensitivity"] == pytest.approx(rec.mean())
    assert res["notes"] == []
    json.dumps(res, allow_nan=False)


def test_binary_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, N)
    probs = _softmax_probs(rng, 2)
    res = classification_metrics(y, probs, "binary", threshold=0.4, label_names=["normal", "pneumonia"])
    pred = (probs[:, 1] >= 0.4).astype(int)
    assert res["n"] == N and res["task"] == "binary" and res["threshold"] == 0.4
    assert res["auc"] == pytest.approx(roc_auc_score(y, probs[:, 1]))
    assert res["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert res["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert res["confusion_matrix"] == confusion_matrix(y, pred).tolist()
    eye = np.eye(2, dtype=int)
    _check_per_class(res, eye[y], eye[pred], probs)
    # (N,) P(positive) and (N, 1) labels (MedMNIST layout) give the same answer
    assert classification_metrics(y[:, None], probs[:, 1], "binary", threshold=0.4,
                                  label_names=["normal", "pneumonia"]) == res


def test_multiclass_matches_sklearn() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, N)
    probs = _softmax_probs(rng, 4)
    res = classification_metrics(y, probs, "multiclass")
    pred = probs.argmax(axis=1)
    assert res["auc"] == pytest.approx(roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    assert res["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert res["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert res["confusion_matrix"] == confusion_matrix(y, pred).tolist()
    assert res["threshold"] is None and res["label_names"] == ["0", "1", "2", "3"]
    eye = np.eye(4, dtype=int)
    _check_per_class(res, eye[y], eye[pred], probs)
    # a threshold (e.g. a bundle's default) does not change multiclass results; a note says so
    with_thr = classification_metrics(y, probs, "multiclass", threshold=0.3)
    assert with_thr["accuracy"] == res["accuracy"] and with_thr["threshold"] is None
    assert any("ignored" in n for n in with_thr["notes"])


def test_multilabel_matches_sklearn() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, (N, 3))
    probs = rng.uniform(size=(N, 3))
    res = classification_metrics(y, probs, "multilabel")
    pred = (probs >= 0.5).astype(int)
    assert res["auc"] == pytest.approx(roc_auc_score(y, probs, average="macro"))
    per_label_acc = [accuracy_score(y[:, i], pred[:, i]) for i in range(3)]
    assert res["accuracy"] == pytest.approx(np.mean(per_label_acc))
    assert res["balanced_accuracy"] == pytest.approx(
        np.mean([balanced_accuracy_score(y[:, i], pred[:, i]) for i in range(3)])
    )
    assert res["confusion_matrix"] == multilabel_confusion_matrix(y, pred).tolist()
    _check_per_class(res, y, pred, probs)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_perfect_predictions(task: str) -> None:
    y = np.array([0, 1, 2, 1, 0, 2]) if task == "multiclass" else np.array([0, 1, 1, 0, 1, 0])
    if task == "multilabel":
        y = np.column_stack([y, 1 - y])
        probs = y * 0.9 + 0.05
    else:
        probs = np.eye(3 if task == "multiclass" else 2)[y] * 0.9 + 0.05
    res = classification_metrics(y, probs, task)
    assert res["auc"] == 1.0 and res["accuracy"] == 1.0 and res["balanced_accuracy"] == 1.0
    assert res["macro"] == {"sensitivity": 1.0, "specificity": 1.0, "precision": 1.0, "f1": 1.0}


def test_class_never_predicted_and_absent_class() -> None:
    y = np.array([0, 1, 2, 2, 1, 0])
    probs = np.array([[.7, .1, .1, .1], [.1, .7, .1, .1], [.1, .1, .7, .1],
                      [.1, .5, .3, .1], [.2, .2, .5, .1], [.6, .2, .1, .1]])
    res = classification_metrics(y, probs, "multiclass", label_names=["a", "b", "c", "d"])
    d = res["per_class"]["d"]  # never predicted and never true
    assert d["precision"] is None and d["sensitivity"] is None and d["auc"] is None
    assert d["specificity"] == 1.0 and d["support"] == 0
    assert any("'d'" in n and "never predicted" in n for n in res["notes"])
    assert any("auc" in n and "d" in n for n in res["notes"])
    assert res["auc"] == pytest.approx(np.mean([res["per_class"][c]["auc"] for c in "abc"]))
    text = json.dumps(res, allow_nan=False)
    assert "NaN" not in text and "null" in text


def test_bad_inputs_raise_clear_errors() -> None:
    y, probs = np.array([0, 1]), np.array([[0.3, 0.7], [0.6, 0.4]])
    with pytest.raises(ConfigError, match="binary, multiclass, multilabel"):
        classification_metrics(y, probs, "regression")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="softmax/sigmoid"):
        classification_metrics(y, probs * 5 - 2, "binary")
    with pytest.raises(DataError, match="shape"):
        classification_metrics(np.array([0, 1, 1]), probs, "binary")
    with pytest.raises(DataError, match="class indices"):
        classification_metrics(np.array([0, 2]), probs, "multiclass")
    with pytest.raises(ConfigError, match="label_names"):
        classification_metrics(y, probs, "binary", label_names=["one"])


def test_choose_threshold_youden_known_answer() -> None:
    y = np.array([0, 0, 0, 1, 1, 1])
    assert choose_threshold(y, np.array([0.1, 0.2, 0.3, 0.35, 0.8, 0.9])) == 0.35  # J = 1 only there
    # J = 2/3 at both 0.4 and 0.7: the tie goes to the threshold closest to 0.5
    assert choose_threshold(y, np.array([0.1, 0.2, 0.6, 0.4, 0.7, 0.9])) == 0.4


def test_choose_threshold_accuracy_fixed_and_degenerate() -> None:
    y, p = np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.6, 0.55, 0.7, 0.8])
    assert choose_threshold(y, p, "youden") == 0.7  # J: 0.667 at 0.7, 0.5 at 0.55
    assert choose_threshold(y, p, "accuracy") == 0.55  # 4/5 at 0.55 and 0.7; 0.55 closer to 0.5
    assert choose_threshold(y, p, "fixed:0.3") == 0.3
    assert choose_threshold(np.zeros(4), np.array([0.1, 0.9, 0.4, 0.6])) == 0.5  # one class only


@pytest.mark.parametrize("rule", ["f1", "fixed:abc", "fixed:1.5"])
def test_choose_threshold_bad_rule(rule: str) -> None:
    with pytest.raises(ConfigError, match="youden, accuracy, fixed"):
        choose_threshold(np.array([0, 1]), np.array([0.2, 0.8]), rule)
