"""paired_dice: per-case Dice differences of two segmentations of the same cases."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.evaluation.seg_compare import paired_dice

NAMES = ["background", "anterior", "posterior"]


def _rows(dice: np.ndarray) -> list[dict]:
    """case_metrics-shaped rows from an (N, 2) Dice array (NaN: structure absent in both)."""
    return [{"id": f"case{i}", "metrics": {n: {"dice": None if np.isnan(v) else float(v)} for n, v in zip(NAMES[1:], row)}}
            for i, row in enumerate(dice)]


def test_a_constant_gain_is_found_with_a_tight_interval_and_a_small_p() -> None:
    rng = np.random.default_rng(0)
    b = rng.uniform(0.7, 0.9, size=(40, 2))
    out = paired_dice(_rows(b + 0.05), _rows(b), NAMES, n_resamples=200)
    for name in ("anterior", "posterior", "mean_foreground"):
        assert out[name]["difference"] == pytest.approx(0.05)
        assert out[name]["ci"] == pytest.approx([0.05, 0.05], abs=1e-9)
        assert out[name]["wilcoxon_p"] < 1e-6 and out[name]["n"] == 40
    assert out["anterior"]["a"] == pytest.approx(b[:, 0].mean() + 0.05)


def test_identical_segmentations_differ_by_zero_with_p_one() -> None:
    b = np.random.default_rng(1).uniform(0.5, 0.9, size=(12, 2))
    out = paired_dice(_rows(b), _rows(b), NAMES, n_resamples=50)
    assert all(v["difference"] == 0.0 and v["wilcoxon_p"] == 1.0 for v in out.values())


def test_noise_without_a_gain_is_not_significant_and_its_interval_covers_zero() -> None:
    rng = np.random.default_rng(2)
    b = rng.uniform(0.7, 0.9, size=(60, 2))
    a = b + rng.normal(0, 0.02, size=b.shape)
    out = paired_dice(_rows(a), _rows(b), NAMES, n_resamples=300)
    lo, hi = out["mean_foreground"]["ci"]
    assert lo < out["mean_foreground"]["difference"] < hi
    assert out["mean_foreground"]["wilcoxon_p"] > 0.01 and lo < 0.01 and hi > -0.01


def test_absent_structures_are_skipped_and_unpaired_rows_refused() -> None:
    b = np.array([[0.8, np.nan], [0.9, 0.7], [0.7, 0.6]])
    out = paired_dice(_rows(b + 0.1), _rows(b), NAMES, n_resamples=0)
    assert out["posterior"]["n"] == 2 and out["anterior"]["n"] == 3 and out["anterior"]["ci"] is None
    with pytest.raises(DataError, match="same cases"):
        paired_dice(_rows(b), _rows(b)[::-1], NAMES, n_resamples=0)
