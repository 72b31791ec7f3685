"""``meddx cv``'s baseline block resamples whole patients when the source has patient ids, as the
network's pooled intervals do (it resampled samples before)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from meddx.evaluation.cv import _baseline_summary
from meddx.evaluation.evaluate import SplitPredictions
from meddx.evaluation.intervals import metric_intervals, paired_difference_intervals


def _fold(seed: int, patients: list[str], quality: float) -> SplitPredictions:
    rng = np.random.default_rng(seed)
    y = (rng.random(len(patients)) < 0.5).astype(int)
    score = 1.0 / (1.0 + np.exp(-(quality * (2 * y - 1) + rng.normal(0, 1, len(patients)))))
    return SplitPredictions(split="test", ids=[f"s{seed}_{i}" for i in range(len(patients))], labels=y,
                            probs=np.column_stack([1 - score, score]), patient_ids=patients)


def test_baseline_intervals_resample_patients() -> None:
    folds = [[f"f{k}p{i // 3}" for i in range(60)] for k in range(2)]  # 20 patients x 3 samples per fold
    network = [_fold(k, folds[k], 1.5) for k in range(2)]
    baseline = [SplitPredictions(split="test", ids=n.ids, labels=n.labels, patient_ids=n.patient_ids,
                                 probs=_fold(10 + k, folds[k], 0.5).probs) for k, n in enumerate(network)]
    pooled_net = SplitPredictions(split="oof", ids=[i for n in network for i in n.ids],
                                  labels=np.concatenate([n.labels for n in network]),
                                  probs=np.concatenate([n.probs for n in network]),
                                  patient_ids=[p for n in network for p in n.patient_ids])
    per_fold = [{"baseline": {"auc": 0.7, "auprc": 0.7}, "baseline_model": "logreg"} for _ in range(2)]
    source = SimpleNamespace(task="binary", label_names=["0", "1"])
    config = SimpleNamespace(ci_resamples=200, seed=0)
    out = _baseline_summary(per_fold, baseline, pooled_net, source, config)  # type: ignore[arg-type]

    groups = np.asarray(pooled_net.patient_ids)
    base_probs = np.concatenate([b.probs for b in baseline])
    common = dict(label_names=["0", "1"], n_resamples=200, seed=0)
    by_patient = metric_intervals(pooled_net.labels, base_probs, "binary", groups=groups, **common)
    by_sample = metric_intervals(pooled_net.labels, base_probs, "binary", **common)
    assert out["pooled"]["auc"] == by_patient["auc"] and out["pooled"]["auc"] != by_sample["auc"]
    diff = paired_difference_intervals(pooled_net.labels, pooled_net.probs, base_probs, "binary", groups=groups,
                                       **common)
    assert out["difference"]["auc"] == diff["auc"]
    assert (out["unit"], out["n_units"]) == ("patient", 40)


def test_ci_resamples_0_gives_estimates_without_intervals() -> None:
    """Found by an audit: ``ci_resamples: 0`` (documented as "0: none") gave ``meddx cv``'s pooled and
    baseline intervals from a token 10 resamples; now estimates with null bounds, as ``evaluate``."""
    network = _fold(0, [f"p{i}" for i in range(80)], 1.5)
    baseline = _fold(1, network.patient_ids, 0.5)
    baseline = SplitPredictions(split="test", ids=network.ids, labels=network.labels, probs=baseline.probs)
    per_fold = [{"baseline": {"auc": 0.7, "auprc": 0.7}, "baseline_model": "logreg"} for _ in range(2)]
    source = SimpleNamespace(task="binary", label_names=["0", "1"])
    out = _baseline_summary(per_fold, [baseline], network, source, SimpleNamespace(ci_resamples=0, seed=0))
    from sklearn.metrics import roc_auc_score

    y = network.labels
    assert out["pooled"]["auc"]["estimate"] == roc_auc_score(y, baseline.probs[:, 1])
    assert out["difference"]["auc"]["estimate"] == pytest.approx(
        roc_auc_score(y, network.probs[:, 1]) - roc_auc_score(y, baseline.probs[:, 1]), abs=1e-12)
    for block in (out["pooled"], out["difference"]):
        assert block["auc"]["bca"] == [None, None] and block["auc"]["n_valid"] == 0
