"""`meddx evaluate --bootstrap 0` (no bootstrap): estimates only, never intervals from a token number
of resamples."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, _extra_operating_points
from meddx.evaluation.intervals import metric_intervals


def _split(name: str, seed: int, n: int = 200) -> SplitPredictions:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + 0.65 * rng.random(n), 0.0, 1.0)
    return SplitPredictions(split=name, ids=[f"{name}{i}" for i in range(n)], labels=y,
                            probs=np.column_stack([1 - p, p]))


def test_metric_intervals_without_resamples_gives_estimates_and_null_bounds() -> None:
    s = _split("test", 0)
    ci = metric_intervals(s.labels, s.probs, "binary", threshold=0.5, n_resamples=0)
    with_boot = metric_intervals(s.labels, s.probs, "binary", threshold=0.5, n_resamples=50)
    assert ci["n_resamples"] == 0
    for m in ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1"):
        assert ci[m]["estimate"] == with_boot[m]["estimate"]
        assert ci[m]["percentile"] == [None, None] and ci[m]["bca"] == [None, None] and ci[m]["n_valid"] == 0
    sens = ci["per_class"]["1"]["sensitivity"]
    assert sens["estimate"] == with_boot["per_class"]["1"]["sensitivity"]["estimate"] and sens["bca"] == [None, None]
    assert any("no bootstrap" in note for note in ci["notes"])


def test_extra_operating_points_with_bootstrap_0_have_no_intervals() -> None:
    """Found by an audit: with --bootstrap 0 the extra operating points still got "95% CIs" from 10
    resamples (printed as e.g. 0.954 (0.921–0.980) where 1000 resamples give 0.894–0.988)."""
    predictor = SimpleNamespace(task="binary", label_names=["0", "1"])
    test, val = _split("test", 0), _split("val", 1)
    points = _extra_operating_points(predictor, test, val, EvalSettings(n_resamples=0,
                                                                        extra_rules=["sensitivity>=0.9"]))
    rates = points[0]["test"]["1"]
    y, p = test.labels, test.probs[:, 1]
    pred = p >= points[0]["threshold"]
    assert rates["sensitivity"]["estimate"] == (pred & (y == 1)).sum() / (y == 1).sum()
    for m in ("sensitivity", "specificity", "ppv", "npv"):
        assert rates[m]["bca"] == [None, None] and rates[m]["percentile"] == [None, None]
