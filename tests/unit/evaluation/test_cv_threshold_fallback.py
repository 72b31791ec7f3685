"""Which thresholds of a fold fell back to 0.5 (its val lacked a class), read from the bundle's
``decision``, and a fold's own warnings passed on once each without those of the whole source."""

from __future__ import annotations

from meddx.evaluation.cv_checks import fallback_warning, fold_warnings, threshold_fallback

NAMES = ["healthy", "lesion"]


def _binary(sensitivity: float | None, specificity: float | None, rule: str = "youden") -> dict:
    return {"rule": rule, "threshold": 0.5, "class_thresholds": None, "chosen_on": "val",
            "val": {"sensitivity": sensitivity, "specificity": specificity, "ppv": None, "npv": None}}


def test_binary_fallback_names_the_class_val_lacked() -> None:
    assert threshold_fallback(_binary(None, 1.0), NAMES) == ["no 'lesion' sample"]
    assert threshold_fallback(_binary(1.0, None), NAMES) == ["no 'healthy' sample"]
    assert threshold_fallback(_binary(0.8, 0.9), NAMES) == []
    assert threshold_fallback(_binary(None, 1.0, rule="fixed:0.5"), NAMES) == [], "a fixed threshold is not chosen"
    assert threshold_fallback(None, NAMES) == []


def test_multilabel_fallback_names_each_label() -> None:
    decision = {"rule": "youden", "threshold": None, "class_thresholds": {"a": 0.5, "b": 0.31, "c": 0.5},
                "val": {"a": {"sensitivity": None, "specificity": 1.0}, "b": {"sensitivity": 0.5, "specificity": 0.7},
                        "c": {"sensitivity": 1.0, "specificity": None}}}
    assert threshold_fallback(decision, ["a", "b", "c"]) == ["no positives of label 'a'", "no negatives of label 'c'"]


def test_multiclass_argmax_has_no_threshold_to_fall_back() -> None:
    decision = {"rule": "argmax; one-vs-rest youden per class", "threshold": None,
                "class_thresholds": {"x": 0.5, "y": 0.5, "z": 0.5}, "val": {"x": {"sensitivity": None}}}
    assert threshold_fallback(decision, ["x", "y", "z"]) == []


def test_warning_groups_folds_by_reason_and_is_absent_without_fallbacks() -> None:
    folds = [{"fold": 0, "n_val": 9, "threshold_fallback": ["no 'lesion' sample"]},
             {"fold": 1, "n_val": 8, "threshold_fallback": []},
             {"fold": 2, "n_val": 9, "threshold_fallback": ["no 'lesion' sample"]}]
    line = fallback_warning(folds)
    assert line is not None and "\n" not in line
    assert "fold(s) 0, 2 of 3 fell back to 0.5" in line and "in the val of fold(s) 0, 2 (9, 9 samples)" in line
    assert fallback_warning([{**f, "threshold_fallback": []} for f in folds]) is None


def test_fold_warnings_once_each_without_the_sources() -> None:
    shared = ["t.csv: column 'code' zeros"]
    per_fold = [[shared[0], "leak A"], [shared[0]], [shared[0], "leak A", "other"]]
    assert fold_warnings(per_fold, shared) == ["fold(s) 0, 2 of 3: leak A", "fold(s) 2 of 3: other"]
    assert fold_warnings([[shared[0]]] * 3, shared) == []
