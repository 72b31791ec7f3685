"""Making folds with fewer cases of a class than folds prints no raw scikit-learn UserWarning ("The
least populated class in y has only 3 members"): cv's own warning names the folds, the class and a
--folds that works (evaluation.cv_checks), and stderr carried both."""

from __future__ import annotations

import warnings

import numpy as np

from meddx.data.base import SplitData
from meddx.evaluation.cv_folds import make_folds


def test_few_positives_make_folds_without_sklearns_warning() -> None:
    labels = np.array([1] * 3 + [0] * 77, dtype=np.int64)
    images = np.arange(80 * 4, dtype=np.uint16).reshape(80, 1, 2, 2)  # every sample its own content group
    split = SplitData(ids=[f"r{i}" for i in range(80)], labels=labels, images=images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        folds, _ = make_folds(split, "t.csv", 5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(80))
