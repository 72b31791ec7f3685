"""The monitored ``val_auc`` of multi-class and multi-label tasks averages the classes it is defined for.

Found by an audit: a validation split carved from 2 training cases of a third class held none of
them; torchmetrics' macro AUROC counted that class as 0 (with a "No positive samples" warning in
the user's terminal), so ``trainer.json`` recorded a best ``val_auc`` of .667 for a model whose
evaluated validation AUC (classes without cases skipped, as the metrics note says) was 1.0.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from sklearn.metrics import roc_auc_score

from meddx.tasks.classification import _auroc


def test_a_class_absent_from_validation_is_left_out_of_the_mean() -> None:
    probs = torch.softmax(torch.randn(12, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    y = torch.tensor([0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1])  # class 2 never occurs
    metric = _auroc("multiclass", 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing reaches the user's terminal
        metric.update(probs, y)
        value = float(metric.compute())
    expected = sum(roc_auc_score((y == k).numpy(), probs[:, k].numpy()) for k in (0, 1)) / 2
    assert value == pytest.approx(expected, abs=1e-6)


def test_a_label_without_positives_is_left_out_of_the_multilabel_mean() -> None:
    target = torch.tensor([[1, 0, 1], [0, 0, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]])
    probs = torch.tensor([[.9, .1, .2], [.2, .3, .6], [.4, .5, .7], [.6, .2, .8], [.7, .1, .1]])
    metric = _auroc("multilabel", 3)
    metric.update(probs, target)
    expected = (roc_auc_score(target[:, 0], probs[:, 0]) + roc_auc_score(target[:, 2], probs[:, 2])) / 2
    assert float(metric.compute()) == pytest.approx(expected)
    full = _auroc("multiclass", 3)  # every class present: the plain macro average
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    p = torch.softmax(torch.arange(18, dtype=torch.float32).reshape(6, 3).sin(), dim=1)
    full.update(p, y)
    assert float(full.compute()) == pytest.approx(
        sum(roc_auc_score((y == k).numpy(), p[:, k].numpy()) for k in range(3)) / 3, abs=1e-6)
