"""Probabilities of exactly 0 or 1 tie their cases: evaluation says so (evaluate._saturation_warning)."""

from __future__ import annotations

import numpy as np
import torch

from meddx.evaluation.evaluate import SplitPredictions, _saturation_warning
from meddx.tasks.classification import probs_from_logits


def _preds(logits: np.ndarray) -> SplitPredictions:
    probs = probs_from_logits(torch.as_tensor(logits, dtype=torch.float64), "binary").numpy()
    return SplitPredictions(split="test", ids=[str(i) for i in range(len(logits))],
                            labels=np.arange(len(logits)) % 2, probs=probs)


def test_extreme_logits_are_named_as_ties_that_hide_the_ranking() -> None:
    """Found by an audit: a diverged 3D network (logits about ±2e4) read test AUC 0.500 while its
    logit margins ranked the cases at 0.701, and nothing said why."""
    margins = np.linspace(2e4, 3e4, 20)
    saturated = _saturation_warning(_preds(np.stack([-margins / 2, margins / 2], axis=1)), "binary")
    assert len(saturated) == 1 and "20 of 20 cases" in saturated[0] and "ties" in saturated[0]
    ordinary = np.linspace(-5, 5, 20)
    assert _saturation_warning(_preds(np.stack([-ordinary / 2, ordinary / 2], axis=1)), "binary") == []
