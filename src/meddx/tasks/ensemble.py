"""The head an ensemble averages: each task's own probability head, for :class:`SoftmaxMean`.

DESIGN.md: evaluation, explanation and serving consume ``probs`` and never re-implement the
head. An ensemble (``--ensemble K``, segmentation and single-label text) averages its members'
probabilities, so it needs the head too; models cannot import tasks, so the bundle loader asks
here and passes it in (:func:`meddx.models.ensemble.build_network`). Torch only, like
:mod:`meddx.tasks.heads`: a predicting server loads it without Lightning.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

import torch

from meddx.tasks import heads

if TYPE_CHECKING:
    from meddx.data.base import TaskType


def member_head(task: TaskType) -> Callable[[torch.Tensor], torch.Tensor]:
    """The head applied to each member's ``(B, K, ...)`` logits before averaging (float32, as the
    predictors' ensembles always averaged). Looked up in :mod:`meddx.tasks.heads` at each call, so
    a change of head there changes ensembles too. Only softmax heads average into logits
    (``SoftmaxMean`` returns the log of the mean): a multi-label task is refused."""
    if task == "multilabel":
        raise ValueError("an ensemble averages softmax probabilities; a multi-label task has one sigmoid per label "
                         "(set model.ensemble to 1)")
    if task == "segmentation":
        return _segmentation
    return partial(_single_label, task=task)


def _segmentation(logits: torch.Tensor) -> torch.Tensor:
    return heads.segmentation_probs(logits)


def _single_label(logits: torch.Tensor, task: TaskType) -> torch.Tensor:
    """Binary or multi-class ``(B, K)`` logits: the class axis is also the last, as the head reads it."""
    return heads.probs_from_logits(logits.float(), task)
