"""Validation AUC of multi-class and multi-label tasks, averaged over the classes it is defined for.

torchmetrics' macro AUROC counts a class (or label) with no positive validation case as AUC 0
(warning "No positive samples in targets"): a validation split carved from a small class can
lack it, and the run then logged, and recorded in ``trainer.json``, a ``val_auc`` of .667 for a
model whose evaluated validation AUC (``meddx.evaluation``, which skips such classes and says so)
was 1.0. This metric averages the per-class AUROC over the classes with both positive and
negative validation cases, as the evaluation does. A subclass rather than our own metric keeps
torchmetrics' state handling (several processes included).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torchmetrics.classification import MulticlassAUROC, MultilabelAUROC
from torchmetrics.utilities import dim_zero_cat


class _PresentClassesMean:
    """``compute``: the per-class AUROC (``average=None``) averaged over the classes with positive and
    negative cases among the accumulated targets (module-level classes: a task stays picklable)."""

    def compute(self) -> torch.Tensor:
        with warnings.catch_warnings():  # the absent classes' warning: they are left out below
            warnings.filterwarnings("ignore", message=".*(positive|negative) samples in targets.*")
            per_class = super().compute()  # type: ignore[misc]
        target = dim_zero_cat(self.target)  # type: ignore[attr-defined]
        if target.ndim == 1:  # multi-class: one-vs-rest columns
            target = torch.nn.functional.one_hot(target.long(), per_class.shape[0])
        positives = (target == 1).sum(dim=0)
        defined = (positives > 0) & (positives < target.shape[0])
        if not bool(defined.any()):
            return per_class.mean() * 0.0  # no class has both: nothing measured
        return per_class[defined].mean()


class PresentClassesMulticlassAUROC(_PresentClassesMean, MulticlassAUROC):
    """Multi-class one-vs-rest AUROC, mean over the classes present in the targets."""


class PresentClassesMultilabelAUROC(_PresentClassesMean, MultilabelAUROC):
    """Multi-label AUROC, mean over the labels with positive and negative targets."""


def present_classes_auroc(task: str, num_classes: int) -> Any:
    """The AUROC metric of ``task`` (``multiclass`` or ``multilabel``) averaged over the classes it
    is defined for."""
    if task == "multiclass":
        return PresentClassesMulticlassAUROC(num_classes=num_classes, average=None)
    return PresentClassesMultilabelAUROC(num_labels=num_classes, average=None)
