"""``meddx cv``'s printed lines and the method of its pooled intervals (the cvwalk walk).

- The per-fold summary ``auc: 0.835 ± 0.043`` said nowhere that ± is the sd over folds, not an interval.
- ``cv.json``'s ``pooled`` block dropped the level, resamples and unit of its bootstrap intervals, and the
  terminal line named none of them: a paper could not say what ``0.802 (0.721–0.874)`` is.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import SplitData
from meddx.evaluation.cv_lines import cv_lines, interval_record, interval_text
from meddx.evaluation.intervals import metric_intervals


def _pooled(groups: np.ndarray | None, n_resamples: int = 50) -> dict:
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 30)
    p1 = np.clip(0.5 + 0.3 * (2 * y - 1) + rng.normal(0, 0.2, len(y)), 0.01, 0.99)
    intervals = metric_intervals(y, np.column_stack([1 - p1, p1]), "binary", groups=groups,
                                 n_resamples=n_resamples, seed=0)
    return {"auc": intervals["auc"], "auprc": intervals["auprc"], **interval_record(intervals)}


def _summary(pooled: dict) -> dict:
    folds = [{"fold": k, "n_test": 20, "auc": 0.8 + k / 100, "accuracy": 0.7} for k in range(3)]
    return {"how": "3 folds, ...", "folds": folds, "mean": {"auc": 0.81, "accuracy": 0.7},
            "sd": {"auc": 0.01, "accuracy": 0.0}, "mean_folds": {"auc": 3, "accuracy": 3}, "pooled": pooled}


def test_pooled_record_names_method_level_resamples_and_patients() -> None:
    pooled = _pooled(np.repeat(np.arange(30), 2))  # 30 patients, 2 samples each
    assert pooled["level"] == 0.95 and pooled["n_resamples"] == 50 and pooled["seed"] == 0
    assert pooled["unit"] == "patient" and pooled["n_units"] == 30 and "BCa bootstrap" in pooled["interval"]
    assert interval_text(pooled) == "95% BCa bootstrap CI, 30 patients resampled 50 times"
    assert interval_text(_pooled(None)) == "95% BCa bootstrap CI, 60 samples resampled 50 times"


def test_printed_lines_say_sd_over_folds_and_the_interval_method() -> None:
    pooled = _pooled(np.repeat(np.arange(30), 2))
    lines = cv_lines(_summary(pooled))
    header = next(i for i, line in enumerate(lines) if "mean ± sd" in line)
    assert "over the 3 folds" in lines[header] and "not a confidence interval" in lines[header]
    assert lines[header + 1] == "  auc: 0.810 ± 0.010"  # the metric lines follow their header
    lo, hi = pooled["auc"]["bca"]
    assert lines[-1] == (f"  pooled out-of-fold AUC {pooled['auc']['estimate']:.3f} ({lo:.3f}–{hi:.3f})  "
                         "(95% BCa bootstrap CI, 30 patients resampled 50 times)")


def test_no_intervals_print_no_method() -> None:
    pooled = _pooled(None, n_resamples=0)
    assert pooled["interval"].startswith("none") and interval_text(pooled) == ""
    assert cv_lines(_summary(pooled))[-1] == f"  pooled out-of-fold AUC {pooled['auc']['estimate']:.3f}"


def test_image_source_refuses_a_patient_column_it_does_not_read() -> None:
    from meddx.evaluation.cv_folds import check_patient_column

    images = SplitData(ids=["a", "b"], labels=np.array([0, 1]), paths=["a.png", "b.png"], patient_ids=["p", "q"])
    config = SimpleNamespace(patient_column="subject", data="m.csv", named=lambda field: "--patient-column")
    with pytest.raises(ConfigError, match=r"--patient-column 'subject': m.csv is an image source.*patient_id"):
        check_patient_column(config, images)
    check_patient_column(SimpleNamespace(**{**vars(config), "patient_column": "patient_id"}), images)  # its own
    texts = SplitData(ids=["a", "b"], labels=np.array([0, 1]), texts=["x", "y"], patient_ids=["p", "q"])
    check_patient_column(config, texts)  # documents read the column it names


def test_fold_warnings_are_said_before_training() -> None:
    from meddx.evaluation.cv_checks import fold_gaps
    from meddx.evaluation.cv_folds import ahead_of_training

    dev = SplitData(ids=[f"s{i}" for i in range(20)], labels=np.array([1, 1] + [0] * 18))
    folds = [np.arange(k, 20, 4) for k in range(4)]  # positives in folds 0 and 1 only
    gaps = fold_gaps(dev, folds, ["neg", "pos"])
    lines = ahead_of_training(dev, folds, gaps, ["neg", "pos"])
    assert len(lines) == 1 and lines[0].startswith("note: before fold 0 trains")
    assert "fold(s) 2, 3 of 4 holds no case of 'pos'" in lines[0]
    even = [np.arange(k, 20, 2) for k in range(2)]
    assert ahead_of_training(dev, even, fold_gaps(dev, even, ["neg", "pos"]), ["neg", "pos"]) == []
