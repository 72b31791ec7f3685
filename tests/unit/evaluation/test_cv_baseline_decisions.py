"""cv's pooled baseline argmax metrics count the decisions the baseline's folds made.

A multi-class text baseline with its balanced weights' shift removed decides by argmax p_k·w_k
(``decision.class_weights``); the plain argmax of its pooled probabilities is another rule (the
Bayes decision for the training priors), so pooled accuracy and macro-F1 read off it described
decisions no fold made."""

from types import SimpleNamespace

import numpy as np

from meddx.evaluation.cv import _baseline_summary, _deciding_scores, _pool
from meddx.evaluation.evaluate import SplitPredictions


def _part(k: int, labels: np.ndarray, probs: np.ndarray) -> SplitPredictions:
    return SplitPredictions(split="test", ids=[f"f{k}-{i}" for i in range(len(labels))], labels=labels, probs=probs)


def test_pooled_baseline_accuracy_is_that_of_its_folds_weighted_decisions() -> None:
    rng = np.random.default_rng(0)
    weights = [0.5, 2.0, 3.0]  # balanced weights: class 0 common, 1 and 2 rare
    parts, network, deciding = [], [], []
    for k in range(2):
        labels = rng.choice(3, size=200, p=[.7, .2, .1])
        logits = rng.normal(size=(200, 3)) + 1.5 * np.eye(3)[labels]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        parts.append(_part(k, labels, probs))
        network.append(_part(k, labels, np.eye(3)[labels] * .8 + .2 / 3))
        deciding.append(_deciding_scores(probs, weights))
    pooled_base = _pool(parts)
    decided = np.argmax(np.concatenate(deciding), axis=1)
    plain = np.argmax(pooled_base.probs, axis=1)
    assert (decided != plain).sum() > 20  # the two rules differ on these cases
    base_decisions = SplitPredictions(split="oof", ids=pooled_base.ids, labels=pooled_base.labels,
                                      probs=np.concatenate(deciding))
    rows = [{"baseline": {"accuracy": .5, "auc": .7}, "baseline_model": "tfidf-logreg"}] * 2
    summary = _baseline_summary(rows, parts, _pool(network), SimpleNamespace(task="multiclass", label_names=["a", "b", "c"]),
                                SimpleNamespace(ci_resamples=50, seed=0), base_decisions=base_decisions)
    truth = pooled_base.labels
    assert abs(summary["pooled"]["accuracy"]["estimate"] - float(np.mean(decided == truth))) < 1e-12
    assert abs(summary["pooled"]["accuracy"]["estimate"] - float(np.mean(plain == truth))) > .01
    # the network (always right here) minus the baseline's own decisions
    assert abs(summary["difference"]["accuracy"]["estimate"] - (1 - float(np.mean(decided == truth)))) < 1e-12
    assert "each fold's own decisions" in summary["note"]
