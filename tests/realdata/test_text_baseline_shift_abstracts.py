"""The class-balanced TF-IDF baseline on the real Medical Abstracts, as 5 one-vs-rest labels (multi-label).

../shared/data/medical-abstracts-tc/medical_tc_test.csv (2,888 abstracts, 5 classes of prevalence .10 to
.33): half fitted, a third of the rest held as validation, the other 963 scored. ``class_weight="balanced"``
pulls every label's mean probability to about .37 (prevalence .20 on average); with the balanced weights'
shift removed (``settings["shift"]``) the mean is .16, and per label the ECE falls (mean of 3 splits .179 ->
.085), so do Brier (.145 -> .127) and log-loss (.464 -> .390), while each label's AUC is the same and the
Youden thresholds chosen on validation change 23 of 14 445 test decisions (a threshold sits midway between
two validation scores, and the midpoint moves): benchmarks/text_baseline_calibration.py, docs/evaluation-notes.md
("The bundled text baseline").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.evaluation.calibration import expected_calibration_error
from meddx.evaluation.text_baseline import TfidfBaseline

pytestmark = pytest.mark.realdata


@pytest.mark.timeout(300)
def test_removing_the_balanced_shift_calibrates_the_baselines_labels_without_moving_auc(shared_data: Path) -> None:
    import pandas as pd
    from sklearn.metrics import log_loss, roc_auc_score

    path = shared_data / "medical-abstracts-tc" / "medical_tc_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    frame = pd.read_csv(path)
    texts, y = frame["medical_abstract"].tolist(), np.eye(5, dtype=int)[frame["condition_label"].to_numpy() - 1]
    order = np.random.default_rng(0).permutation(len(texts))
    train, test = order[:len(order) // 2], order[len(order) // 2:][len(order) // 6:]
    base = TfidfBaseline.fit([texts[i] for i in train], y[train], "multilabel")
    as_fitted = TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, "multilabel",
                              {k: v for k, v in base.settings.items() if k != "shift"})
    documents, truth = [texts[i] for i in test], y[test]
    after, before = base.predict_proba(documents).astype(float), as_fitted.predict_proba(documents).astype(float)
    assert before.mean() > 0.3 and abs(after.mean() - truth.mean()) < 0.06  # prevalence .20
    for j in range(5):
        assert roc_auc_score(truth[:, j], after[:, j]) == pytest.approx(roc_auc_score(truth[:, j], before[:, j]),
                                                                         abs=1e-6)
        assert expected_calibration_error(after[:, j], truth[:, j], 15) < expected_calibration_error(
            before[:, j], truth[:, j], 15)
        assert log_loss(truth[:, j], after[:, j]) < log_loss(truth[:, j], before[:, j])
