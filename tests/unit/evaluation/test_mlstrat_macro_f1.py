"""Macro-F1 counts a class with no positives but with false positives as 0, as scikit-learn does.

With a label absent from a multi-label test file and 3 false alarms for it, meddx reported macro-F1
1.000; scikit-learn's ``f1_score(average="macro", zero_division=0)`` gives 0.75. F1 = 2TP/(2TP+FP+FN)
is defined there (0). Only 0/0 (no positives, never predicted) is undefined and left out:
``zero_division=nan``. The same rule holds for binary, multi-class, the per-class thresholds' argmax
headline and the bootstrap's fast path.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from meddx.evaluation.intervals import _FastMetrics
from meddx.evaluation.intervals_batch import batch_values
from meddx.evaluation.metrics import _resolve_threshold, classification_metrics


def _multilabel(false_alarms: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random((40, 4)) < 0.4).astype(int)
    y[:, 3] = 0  # label 3 absent from the file
    p = np.where(y > 0, 0.9, 0.1)  # labels 0-2 predicted perfectly
    p[:false_alarms, 3] = 0.8
    return y, p


def test_an_absent_label_with_false_alarms_scores_zero_as_scikit_learn() -> None:
    y, p = _multilabel(3)
    m = classification_metrics(y, p, "multilabel", threshold=0.5)
    expected = f1_score(y, (p >= 0.5).astype(int), average="macro", zero_division=0)
    assert expected == 0.75 and m["macro_f1"] == expected and m["macro"]["f1"] == expected
    assert m["per_class"]["3"]["f1"] == 0.0
    assert any("'3'" in n and "f1 is 0 (3 false positive(s))" in n for n in m["notes"])


def test_an_absent_label_never_predicted_is_left_out_as_zero_division_nan() -> None:
    y, p = _multilabel(0)
    m = classification_metrics(y, p, "multilabel", threshold=0.5)
    pred = (p >= 0.5).astype(int)
    assert m["macro_f1"] == f1_score(y, pred, average="macro", zero_division=np.nan) == 1.0
    assert m["per_class"]["3"]["f1"] is None
    assert any("f1 undefined (never predicted either)" in n for n in m["notes"])


def test_multiclass_argmax_and_binary_follow_the_same_rule() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])  # class 2 absent
    p = np.eye(3)[[0, 2, 1, 1, 0, 2, 0, 1]] * 0.8 + 0.2 / 3
    m = classification_metrics(y, p, "multiclass")
    pred = p.argmax(axis=1)
    assert np.isclose(m["macro_f1"], f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=np.nan))
    assert m["per_class"]["2"]["f1"] == 0.0
    # per-class thresholds: the headline is still of the argmax decisions, by the same rule
    t = classification_metrics(y, p, "multiclass", threshold=[0.5, 0.5, 0.5])
    assert np.isclose(t["macro_f1"], m["macro_f1"])
    yb, pb = np.zeros(10, dtype=int), np.full(10, 0.2)
    pb[:2] = 0.9  # a test set of negatives only, two false alarms
    b = classification_metrics(yb, pb, "binary")
    assert b["per_class"]["1"]["f1"] == 0.0 == f1_score(yb, (pb >= 0.5).astype(int), zero_division=np.nan)


def test_the_bootstrap_fast_path_gives_the_point_values() -> None:
    for task, y, p, thr in (("multilabel", *_multilabel(3), 0.5), ("multilabel", *_multilabel(0), 0.5),
                            ("multiclass", np.array([0, 0, 1, 1, 0, 1]), np.eye(3)[[0, 2, 1, 1, 0, 2]] * 0.7 + 0.1, None)):
        point = classification_metrics(y, p, task, threshold=thr)
        _, cut, _ = _resolve_threshold(thr, task, p.shape[1])
        fast = _FastMetrics(y, p, task, cut)
        one = fast.values(np.ones(len(y)))
        rows = batch_values(fast, np.ones((2, len(y))))
        assert np.isclose(one["macro_f1"], point["macro_f1"]) and np.allclose(rows["macro_f1"], point["macro_f1"])
        for c, name in enumerate(point["label_names"]):
            f1 = point["per_class"][name]["f1"]
            assert (np.isnan(one[f"per_class/{c}/f1"]) if f1 is None else np.isclose(one[f"per_class/{c}/f1"], f1))
