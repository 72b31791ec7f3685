"""The batch path of bootstrap_ci (``statistic.batch``: many resamples per call) gives the
intervals of the one-call-per-resample path bit for bit: same draws, same NaN/None semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from meddx.evaluation import bootstrap as bootstrap_module
from meddx.evaluation.bootstrap import bootstrap_ci
from meddx.evaluation.intervals import (
    _FastMetrics,
    _mix_dependent,
    _paired_statistic,
    _strata,
    metric_intervals,
    paired_difference_intervals,
)
from meddx.evaluation.metrics import _resolve_threshold, _validate
from tests.unit.evaluation.test_bootstrap import _data, _softmax


def _fast(y: np.ndarray, p: np.ndarray, task: str, threshold: object = None) -> _FastMetrics:
    y, p = _validate(y, p, task)
    _, cut, _ = _resolve_threshold(threshold, task, p.shape[1])
    return _FastMetrics(y, p, task, cut)


def _looped(statistic: object) -> object:
    """The same statistic without ``batch``: bootstrap_ci calls it once per resample."""
    return lambda idx: statistic(idx)  # type: ignore[operator]


def _assert_same(batched: dict, looped: dict) -> None:
    """Bit-identical entries (bounds, estimates, n_valid, fallbacks): BCa counts the resampled
    values equal to the estimate, so a last-bit difference there can move a bound."""
    assert batched.keys() == looped.keys()
    for name in looped:
        assert batched[name] == looped[name], (name, batched[name], looped[name])


CASES = [
    ("binary", 120, None, False, False),
    ("binary", 90, 0.3, True, True),  # ties in scores, patient groups
    ("multiclass", 60, None, False, False),
    ("multiclass", 80, None, True, True),
    ("multilabel", 70, None, False, False),
    ("multilabel", 70, 0.4, True, True),
]


@pytest.mark.parametrize(("task", "n", "threshold", "ties", "grouped"), CASES)
def test_batch_intervals_equal_per_resample_intervals(task: str, n: int, threshold: object, ties: bool,
                                                      grouped: bool) -> None:
    y, p = _data(task, n, ties=ties)
    fast = _fast(y, p, task, threshold)
    groups = np.arange(n) // 3 if grouped else None
    kwargs = dict(strata=_strata(np.asarray(y), task), groups=groups, n_resamples=200, seed=3,
                  max_jackknife=15, unstratified=_mix_dependent(fast.k))
    _assert_same(bootstrap_ci(fast, n, **kwargs), bootstrap_ci(_looped(fast), n, **kwargs))


def test_tied_scores_give_bit_identical_auprc_bca() -> None:
    """20 samples with scores rounded to one decimal: many resampled AUPRCs equal the estimate.
    Summing AP in another order than the one-resample path moved the lower BCa bound of the
    AUPRC from .8466 to .8463 and class 0's from .8058 to .8020 (a last-bit difference flipped
    "equal to the estimate", which BCa counts as half below)."""
    y, p = _data("binary", 20, seed=11, ties=True)
    fast = _fast(y, p, "binary")
    kwargs = dict(strata=y, n_resamples=200, seed=0, unstratified=_mix_dependent(2))
    _assert_same(bootstrap_ci(fast, 20, **kwargs), bootstrap_ci(_looped(fast), 20, **kwargs))


def test_rare_class_absent_from_many_resamples_gives_the_same_intervals() -> None:
    """A class with 2 samples is absent from about 1 in 7 unstratified resamples and from
    jackknife sets: n_valid, missing intervals and fallbacks match the per-resample path."""
    y, p = _data("multiclass", 30, k=3, seed=6)
    y[:2], y[2:][y[2:] == 3] = 3, 0
    p = _softmax(np.log(np.hstack([p, np.full((30, 1), 0.05)])) + 2.0 * np.eye(4)[y])
    fast = _fast(y, p, "multiclass")
    kwargs = dict(strata=y, groups=np.arange(30) // 2, n_resamples=300, seed=0, unstratified=_mix_dependent(4))
    batched = bootstrap_ci(fast, 30, **kwargs)
    assert batched["per_class/3/ppv"]["n_valid"] < 300  # undefined in some resamples
    _assert_same(batched, bootstrap_ci(_looped(fast), 30, **kwargs))


def test_batch_rows_equal_values_with_absent_classes() -> None:
    """Rows where a class is absent (or only that class): NaN exactly where ``values`` has NaN."""
    y, p = _data("multiclass", 40, k=5, seed=1)
    fast = _fast(y, p, "multiclass")
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 40, 40) for _ in range(30)]
    sets += [np.flatnonzero(y != 2), np.flatnonzero(y == 4), np.flatnonzero(y <= 1)]
    w = np.stack([np.bincount(s, minlength=40) for s in sets]).astype(float)
    rows = fast.batch(w)
    for r, idx in enumerate(sets):
        one = fast.values(fast.weights(idx))
        for name, value in one.items():
            got = rows[name][r]
            assert math.isnan(got) == math.isnan(value), (r, name)
            assert math.isnan(value) or got == value, (r, name, got, value)
    assert math.isnan(rows["per_class/2/sensitivity"][30])  # class 2 left out of that set
    assert math.isnan(rows["per_class/0/auc"][31])  # only class 4: class 0 has no positives


def test_paired_batch_equals_per_resample() -> None:
    y, p_a = _data("multiclass", 60, seed=2)
    _, p_b = _data("multiclass", 60, seed=5)
    stat = _paired_statistic(_fast(y, p_a, "multiclass"), _fast(y, p_b, "multiclass"))
    kwargs = dict(strata=y, groups=np.arange(60) // 2, n_resamples=150, seed=1, unstratified=_mix_dependent(4))
    _assert_same(bootstrap_ci(stat, 60, **kwargs), bootstrap_ci(_looped(stat), 60, **kwargs))


def test_chunked_batches_give_the_same_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks smaller than the resample count (a large evaluation) change nothing."""
    y, p = _data("binary", 50, seed=4)
    fast = _fast(y, p, "binary")
    kwargs = dict(strata=y, n_resamples=120, seed=2, unstratified=_mix_dependent(2))
    whole = bootstrap_ci(fast, 50, **kwargs)
    calls = []
    original = fast.batch
    monkeypatch.setattr(bootstrap_module, "BATCH_ELEMENTS", 50 * 7)  # 7 rows per chunk
    monkeypatch.setattr(fast, "batch", lambda w: calls.append(len(w)) or original(w))
    chunked = bootstrap_ci(fast, 50, **kwargs)
    assert max(calls) == 7 and len(calls) == 2 * math.ceil(120 / 7) + math.ceil(50 / 7)  # boot, free, jackknife
    assert chunked == whole


def test_metric_intervals_do_not_loop_over_resamples(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch path is used: ``values`` runs once (the estimate), not once per resample."""
    calls = []
    original = _FastMetrics.values
    monkeypatch.setattr(_FastMetrics, "values", lambda self, w: calls.append(1) or original(self, w))
    y, p = _data("multiclass", 80)
    metric_intervals(y, p, "multiclass", n_resamples=50, groups=np.arange(80) // 2)
    assert len(calls) == 1
    calls.clear()
    _, p_b = _data("multiclass", 80, seed=9)
    paired_difference_intervals(y, p, p_b, "multiclass", n_resamples=50)
    assert len(calls) == 2  # the estimates of A and B
