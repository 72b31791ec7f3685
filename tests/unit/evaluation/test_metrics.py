"""classification_metrics checked against scikit-learn called directly (thresholds: test_operating.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.metrics import classification_metrics

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
    assert res["auprc"] == 1.0
    assert res["macro"] == {"sensitivity": 1.0, "specificity": 1.0, "precision": 1.0, "f1": 1.0,
                            "ppv": 1.0, "npv": 1.0, "auprc": 1.0}


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


# --- auprc, ppv, npv and per-class thresholds ---------------------------------------------


def _npv(truth: np.ndarray, pred: np.ndarray) -> float:
    """NPV = precision of the negative class, by sklearn."""
    return precision_recall_fscore_support(1 - truth, 1 - pred, average="binary", zero_division=0)[0]


def _check_clinical(res: dict, truth: np.ndarray, pred: np.ndarray, probs: np.ndarray) -> None:
    """ppv, npv and auprc per class and in macro against sklearn on indicator matrices."""
    aps, npvs = [], []
    for c, name in enumerate(res["label_names"]):
        pc = res["per_class"][name]
        assert pc["ppv"] == pc["precision"]
        npvs.append(_npv(truth[:, c], pred[:, c]))
        aps.append(average_precision_score(truth[:, c], probs[:, c]))
        assert pc["npv"] == pytest.approx(npvs[-1])
        assert pc["auprc"] == pytest.approx(aps[-1])
    assert res["macro"]["ppv"] == res["macro"]["precision"]
    assert res["macro"]["npv"] == pytest.approx(np.mean(npvs))
    assert res["macro"]["auprc"] == pytest.approx(np.mean(aps))


@pytest.mark.parametrize("ties", [False, True])
def test_binary_auprc_npv_match_sklearn(ties: bool) -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, N)
    probs = _softmax_probs(rng, 2)
    if ties:  # one decimal: many equal scores, some exactly at the threshold
        probs = np.round(probs, 1)
    res = classification_metrics(y, probs, "binary", threshold=0.4)
    assert res["auprc"] == pytest.approx(average_precision_score(y, probs[:, 1]))
    assert res["auprc"] == res["per_class"]["1"]["auprc"]
    eye = np.eye(2, dtype=int)
    pred = (probs[:, 1] >= 0.4).astype(int)
    _check_clinical(res, eye[y], eye[pred], probs)
    _check_per_class(res, eye[y], eye[pred], probs)


@pytest.mark.parametrize("ties", [False, True])
def test_multiclass_auprc_matches_sklearn(ties: bool) -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 4, N)
    probs = _softmax_probs(rng, 4)
    if ties:
        probs = np.round(probs, 1)
    res = classification_metrics(y, probs, "multiclass")
    eye = np.eye(4, dtype=int)
    assert res["auprc"] == pytest.approx(average_precision_score(eye[y], probs, average="macro"))
    _check_clinical(res, eye[y], eye[probs.argmax(axis=1)], probs)


def test_multilabel_auprc_matches_sklearn() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, (N, 3))
    probs = np.round(rng.uniform(size=(N, 3)), 2)
    res = classification_metrics(y, probs, "multilabel", threshold=0.3)
    assert res["auprc"] == pytest.approx(average_precision_score(y, probs, average="macro"))
    _check_clinical(res, y, (probs >= 0.3).astype(int), probs)


def test_absent_class_auprc_none_and_noted() -> None:
    rng = np.random.default_rng(6)
    y = rng.integers(0, 3, N)  # class 3 never true
    probs = _softmax_probs(rng, 4)
    res = classification_metrics(y, probs, "multiclass", label_names=["a", "b", "c", "d"])
    assert res["per_class"]["d"]["auprc"] is None and res["per_class"]["d"]["auc"] is None
    eye = np.eye(4, dtype=int)
    aps = [average_precision_score(eye[y][:, c], probs[:, c]) for c in range(3)]
    assert res["auprc"] == pytest.approx(np.mean(aps))
    assert res["macro"]["auprc"] == pytest.approx(np.mean(aps))
    assert any(n.startswith("auprc is the mean over 3 of 4") and "d" in n for n in res["notes"])
    assert any("'d'" in n and "auprc undefined" in n for n in res["notes"])
    json.dumps(res, allow_nan=False)


def test_useless_model_auprc_is_prevalence_and_npv_undefined() -> None:
    y = np.array([0, 1, 1, 0, 0, 0, 1, 0])
    res = classification_metrics(y, np.full(8, 0.5), "binary")  # everyone predicted positive
    assert res["auc"] == 0.5 and res["auprc"] == pytest.approx(3 / 8)
    assert res["auprc"] == pytest.approx(average_precision_score(y, np.full(8, 0.5)))
    pos = res["per_class"]["1"]
    assert pos["npv"] is None and pos["ppv"] == pytest.approx(3 / 8)
    assert any("'1'" in n and "npv undefined" in n for n in res["notes"])
    assert res["macro"]["npv"] == res["per_class"]["0"]["npv"]  # the one defined value


def test_multilabel_per_label_thresholds() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, (N, 3))
    probs = rng.uniform(size=(N, 3))
    thr = [0.2, 0.5, 0.8]
    res = classification_metrics(y, probs, "multilabel", threshold=thr)
    pred = (probs >= np.array(thr)).astype(int)
    assert res["threshold"] == thr
    assert res["confusion_matrix"] == multilabel_confusion_matrix(y, pred).tolist()
    assert res["accuracy"] == pytest.approx(np.mean([accuracy_score(y[:, i], pred[:, i]) for i in range(3)]))
    _check_per_class(res, y, pred, probs)
    _check_clinical(res, y, pred, probs)
    # a tuple / numpy array reads the same; the reported threshold is a plain list
    assert classification_metrics(y, probs, "multilabel", threshold=np.array(thr)) == res


def test_multiclass_per_class_thresholds_one_vs_rest() -> None:
    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, N)
    probs = _softmax_probs(rng, 3)
    thr = (0.3, 0.4, 0.25)
    res = classification_metrics(y, probs, "multiclass", threshold=thr)
    argmax = classification_metrics(y, probs, "multiclass")
    eye = np.eye(3, dtype=int)
    pred = (probs >= np.array(thr)).astype(int)
    assert res["threshold"] == list(thr)
    for key in ("accuracy", "balanced_accuracy", "confusion_matrix", "auc", "auprc"):
        assert res[key] == argmax[key]
    assert res["per_class"] != argmax["per_class"]
    prec, rec, f1, _ = precision_recall_fscore_support(eye[y], pred, average=None, zero_division=0)
    for c in range(3):
        pc = res["per_class"][str(c)]
        assert pc["sensitivity"] == pytest.approx(rec[c]) and pc["f1"] == pytest.approx(f1[c])
        assert pc["specificity"] == pytest.approx(recall_score(eye[y][:, c], pred[:, c], pos_label=0))
    _check_clinical(res, eye[y], pred, probs)
    assert any("per-class thresholds" in n and "argmax" in n for n in res["notes"])


@pytest.mark.parametrize(
    ("task", "threshold", "match"),
    [
        ("binary", [0.5, 0.5], "binary threshold must be one probability"),
        ("multiclass", [0.5, 0.5], r"one value per class \(3"),
        ("multilabel", [0.5, 0.5, 0.5, 0.5], r"one value per class \(3"),
        ("multilabel", [0.5, 1.5, 0.5], r"threshold\[1\] must be a probability in \[0, 1\]; got 1.5"),
        ("multiclass", [0.5, "x", 0.5], "numbers in"),
        ("multilabel", 2.0, r"\[0, 1\]"),
    ],
)
def test_bad_thresholds_raise_config_error(task: str, threshold: object, match: str) -> None:
    if task == "multilabel":
        y, probs = np.array([[0, 1, 1], [1, 0, 0]]), np.full((2, 3), 0.5)
    else:
        y, probs = np.array([0, 1]), (np.full((2, 2), 0.5) if task == "binary" else np.full((2, 3), 1 / 3))
    with pytest.raises(ConfigError, match=match):
        classification_metrics(y, probs, task, threshold=threshold)  # type: ignore[arg-type]


def test_a_class_absent_from_y_true_but_predicted_has_f1_zero_in_macro_f1() -> None:
    """An audit once left such a class out (F1 undefined without positives); but its false alarms are
    errors, and a multi-label file with an absent label and 3 false alarms then scored macro-F1 1.000
    where scikit-learn gives 0.75. F1 = 2TP/(2TP+FP+FN) is 0 there; only 0/0 (never present, never
    predicted) is undefined and left out: scikit-learn's ``zero_division=nan``."""
    from sklearn.metrics import f1_score

    from meddx.evaluation.intervals import metric_intervals

    rng = np.random.default_rng(4)
    y = rng.choice([0, 2], size=80)  # class 1 never occurs
    p = rng.dirichlet([1, 1, 1], size=80)
    p[np.arange(80), y] += 0.6
    p /= p.sum(1, keepdims=True)
    m = classification_metrics(y, p, "multiclass", label_names=["a", "b", "c"])
    assert (p.argmax(1) == 1).any() and m["per_class"]["b"]["f1"] == 0.0  # predicted, never present
    assert m["macro_f1"] == pytest.approx(f1_score(y, p.argmax(1), labels=[0, 1, 2], average="macro",
                                                   zero_division=np.nan))
    assert any("'b'" in n and "f1 is 0" in n for n in m["notes"])
    ci = metric_intervals(y, p, "multiclass", label_names=["a", "b", "c"], n_resamples=50)
    assert ci["macro_f1"]["estimate"] == pytest.approx(m["macro_f1"])
    assert ci["per_class"]["b"]["f1"]["estimate"] == 0.0


def test_macro_f1_with_per_class_thresholds_is_of_the_argmax_predictions() -> None:
    """Found by an audit: with per-class thresholds the headline macro-F1 averaged the one-vs-rest
    thresholded F1s, while accuracy, the confusion matrix and predict use the argmax."""
    from sklearn.metrics import f1_score

    from meddx.evaluation.intervals import metric_intervals

    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 120)
    p = rng.dirichlet([1, 1, 1], size=120)
    p[np.arange(120), y] += 0.4
    p /= p.sum(1, keepdims=True)
    thresholds = [0.2, 0.5, 0.35]
    m = classification_metrics(y, p, "multiclass", threshold=thresholds)
    argmax_f1 = f1_score(y, p.argmax(1), average="macro")
    assert m["macro_f1"] == pytest.approx(argmax_f1)
    assert m["macro"]["f1"] == pytest.approx(np.mean([f1_score(y == c, p[:, c] >= t) for c, t in enumerate(thresholds)]))
    assert abs(m["macro"]["f1"] - m["macro_f1"]) > 0.01  # the two differ on this data
    ci = metric_intervals(y, p, "multiclass", threshold=thresholds, n_resamples=50)
    assert ci["macro_f1"]["estimate"] == pytest.approx(argmax_f1)


def test_interval_estimates_are_the_point_metrics_to_the_last_bit() -> None:
    """Found by an audit: the bootstrap's fast recomputation gave 0.9925 where the point metric was
    0.99249999..., so the same AUC printed as 0.992 after training and 0.993 from evaluate."""
    from meddx.evaluation.intervals import CLASS_METRICS, TOP_METRICS, metric_intervals

    rng = np.random.default_rng(9)
    for task, k in (("binary", 2), ("multiclass", 3), ("multilabel", 3)):
        y = rng.integers(0, 2, (150, k)) if task == "multilabel" else rng.integers(0, k, 150)
        p = rng.random((150, k)) if task == "multilabel" else rng.dirichlet([1] * k, 150)
        point = classification_metrics(y, p, task)
        ci = metric_intervals(y, p, task, n_resamples=20)
        for m in TOP_METRICS:
            assert ci[m]["estimate"] == point[m], (task, m)
        for name, values in point["per_class"].items():
            for m in CLASS_METRICS:
                assert ci["per_class"][name][m]["estimate"] == values[m], (task, name, m)
