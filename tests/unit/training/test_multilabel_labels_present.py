"""A multi-label training split must hold positive and negative examples of every label.

Found by an audit: a label never positive in train trained without a word (``pos_weight`` = the
whole split, 120) and the bundle reported a validation AUC of .12 for it; the single-label rule
(``check_classes_present``: every class in train) had no multi-label counterpart.
"""

from __future__ import annotations

import pytest

from meddx.core.errors import DataError
from meddx.data.synthetic import make_findings_source
from meddx.training.plan import check_classes_present


def test_a_label_never_or_always_positive_in_train_is_refused_naming_it() -> None:
    source = make_findings_source("multilabel", n_train=60, n_val=20, n_test=20, size=16, seed=0)
    check_classes_present(source)  # both labels vary: accepted
    source.splits["train"].labels[:, 1] = 0
    expected_val = int(source.splits["val"].labels[:, 1].sum())
    with pytest.raises(DataError, match=rf"label 'dark' is never positive in the training split \(60 samples; "
                                        rf"{expected_val} positive in val"):
        check_classes_present(source)
    source.splits["train"].labels[:, 1] = 1
    with pytest.raises(DataError, match="label 'dark' is always positive"):
        check_classes_present(source)
