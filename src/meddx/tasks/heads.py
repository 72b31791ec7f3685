"""The output heads: how each task kind turns a network's logits into probabilities.

DESIGN.md: every task's step returns ``{"loss", "logits", "probs"}``, and evaluation,
explanation and serving consume ``probs`` and never re-implement the head. These functions are
that head, one per task kind; the tasks' steps, the bundle predictors and the explainers all
call them, so a change of head (a temperature, a sigmoid for multi-label tables) changes every
consumer at once. The caller picks the precision (predictors pass float64 logits, the
explainers float32) and the head keeps it.

A module of its own, importing torch only: a bundle predicting in a server loads it without
Lightning, which the task modules import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from meddx.data.base import TaskType


def probs_from_logits(logits: torch.Tensor, task: TaskType) -> torch.Tensor:
    """Classification: softmax over classes (the last axis) for binary/multi-class (binary has 2
    columns, column 1 = positive), sigmoid per label for multi-label."""
    if task == "multilabel":
        return torch.sigmoid(logits)
    return torch.softmax(logits, dim=-1)


def segmentation_probs(logits: torch.Tensor) -> torch.Tensor:
    """Segmentation: softmax over the class axis (1) of ``(B, K, *spatial)`` logits, in float32
    (half-precision logits from mixed-precision training are widened first)."""
    return torch.softmax(logits.float(), dim=1)
