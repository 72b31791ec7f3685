"""A multi-label plan weighs up the positives of rare labels only: a label positive in most training
cases keeps ``pos_weight`` 1.

Found by a review: the plan gave every label ``pos_weight`` = negatives per positive, so a label 90%
positive got about 0.11 (its whole loss shrunk about 5x against an unweighted label). Calibration
removes the shift (its mean predicted probability .76 -> .93 on test at prevalence .905) but not the
lost signal: on 3 synthetic image labels at 5% / 90% / 50% (seed-cnn, 8 epochs, 15 seeds;
docs/training-notes.md, Class weights) the 90% label's test AUC was .929 with 0.11 and .967 with 1
(every seed), its calibrated log-loss .202 and .161; the rare label (weight about 18) kept AUC
.947/.945.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData
from meddx.training.config import TrainConfig
from meddx.training.plan import _class_weights


def _source(prevalences: tuple[float, ...], n: int = 400) -> ImageSource:
    labels = np.zeros((n, len(prevalences)), dtype=np.int64)
    for j, p in enumerate(prevalences):
        labels[: int(round(p * n)), j] = 1
        np.random.default_rng(j).shuffle(labels[:, j])
    data = SplitData(ids=[f"c{i}" for i in range(n)], labels=labels, images=np.zeros((n, 1, 4, 4), np.uint8))
    return ImageSource(name="ml", origin="ml.csv", task="multilabel", label_names=[f"l{j}" for j in
                       range(len(prevalences))], spatial_dims=2, splits={"train": data})


def test_a_label_positive_in_most_cases_keeps_weight_one() -> None:
    weights, why = _class_weights(TrainConfig(data="ml.csv"), _source((0.05, 0.90, 0.50)))
    assert weights == pytest.approx([380 / 20, 1.0, 1.0])  # before: [19, 0.111, 1]
    assert "pos_weight" in why and "at least 1" in why, why


def test_weights_stay_off_when_only_common_labels_are_imbalanced() -> None:
    weights, why = _class_weights(TrainConfig(data="ml.csv"), _source((0.90, 0.50)))
    assert weights is None
    assert "classes balanced" not in why and "positive in most cases" in why, why  # a 90% label is no balance
    chosen, _ = _class_weights(TrainConfig(data="ml.csv", class_weights=True), _source((0.90, 0.20)))
    assert chosen == pytest.approx([1.0, 4.0])  # --class-weights: the rarer-than-not label only
