"""cv.json records the thresholds that decided each fold's labels. Found by audit 56: a multi-label
cross-validation wrote ``"threshold": null`` for every fold, while each fold's bundle decided its
``oof_predictions.csv`` labels with one threshold per label (``decision.class_thresholds``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from meddx.data.base import ImageSource, SplitData
from meddx.evaluation.cv import _fold_entry


def _fold(task: str, names: list[str]) -> ImageSource:
    labels = np.zeros((4, len(names)), dtype=np.int64) if task == "multilabel" else np.array([0, 1, 0, 1])
    split = SplitData(ids=["a", "b", "c", "d"], labels=labels, images=np.zeros((4, 1, 8, 8), dtype=np.uint8))
    return ImageSource(name="f", origin="f.csv (fold 1/2)", task=task, label_names=names, spatial_dims=2,
                       splits={"train": split, "val": split, "test": split})


def _result(names: list[str]) -> SimpleNamespace:
    per_class = {n: {"sensitivity": 0.5, "specificity": 0.75} for n in names}
    test = {"n": 4, "auc": 0.8, "auprc": 0.7, "accuracy": 0.75, "balanced_accuracy": 0.7, "macro_f1": 0.6,
            "per_class": per_class}
    return SimpleNamespace(metrics={"test": test}, bundle_path="fold0")


def test_a_multilabel_fold_records_each_labels_threshold() -> None:
    names = ["corner", "lesion", "stripe"]
    thresholds = {"corner": 0.69, "lesion": 0.78, "stripe": 0.83}
    predictor = SimpleNamespace(task="multilabel", threshold=None, class_thresholds=thresholds, temperature=2.0)
    entry = _fold_entry(0, _fold("multilabel", names), _result(names), predictor)
    assert entry["threshold"] == thresholds


def test_a_binary_fold_records_its_threshold() -> None:
    names = ["healthy", "lesion"]
    predictor = SimpleNamespace(task="binary", threshold=0.42, class_thresholds=None, temperature=1.5)
    entry = _fold_entry(0, _fold("binary", names), _result(names), predictor)
    assert entry["threshold"] == 0.42 and entry["sensitivity"] == 0.5
