"""A split on which the model gives every case the same risk gets a warning: its AUC ranks float rounding.

Found by the evaluation walk: a table bundle on 150 rows whose features were all equal gave probabilities
.34562193 ± 1e-9 (a float32 network computes identical rows a rounding step apart), and metrics.json
reported AUC 0.507 (0.422-0.586) and subgroup AUCs from .43 to .62 without a word.
"""

from __future__ import annotations

import numpy as np

from meddx.evaluation.evaluate import SplitPredictions
from meddx.evaluation.split_warnings import collapsed_warning


def _preds(probs: np.ndarray, labels: np.ndarray, raw: np.ndarray | None = None) -> SplitPredictions:
    return SplitPredictions("test", [f"s{i}" for i in range(len(labels))], labels, probs, raw_probs=raw)


def test_rounding_steps_apart_is_collapsed() -> None:
    p1 = 0.34562193 + np.where(np.arange(150) % 2 == 0, 1.9e-9, 0.0)
    labels = np.arange(150) % 3 == 0
    (warning,) = collapsed_warning(_preds(np.column_stack([1 - p1, p1]), labels.astype(int)), "binary", ["neg", "pos"])
    assert warning.startswith("test: every case has the same probability of 'pos' 0.3456")
    assert "AUC and AUPRC rank float rounding" in warning


def test_a_ranking_model_and_one_flat_label_of_several() -> None:
    rng = np.random.default_rng(0)
    p1 = rng.random(60)
    labels = (rng.random(60) < p1).astype(int)
    assert collapsed_warning(_preds(np.column_stack([1 - p1, p1]), labels), "binary", ["neg", "pos"]) == []
    probs = np.column_stack([p1, np.full(60, 0.2), rng.random(60)])  # multi-label: label 'b' flat
    (warning,) = collapsed_warning(_preds(probs, np.zeros((60, 3), dtype=int)), "multilabel", ["a", "b", "c"])
    assert "probability of 'b' 0.2000 " in warning and "'a'" not in warning and "'c'" not in warning


def test_checked_on_the_networks_own_probabilities() -> None:
    """A temperature of 0.05 multiplies a rounding step by 20; the check reads the network's own spread
    and names the calibrated value."""
    raw1 = 0.5 + np.where(np.arange(40) % 2 == 0, 5e-8, 0.0)
    cal1 = np.full(40, 0.9)
    (warning,) = collapsed_warning(_preds(np.column_stack([1 - cal1, cal1]), np.arange(40) % 2,
                                          raw=np.column_stack([1 - raw1, raw1])), "binary", ["neg", "pos"])
    assert "'pos' 0.9000" in warning
