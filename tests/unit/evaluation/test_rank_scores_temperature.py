"""Ranking metrics do not depend on a bundle's temperature (evaluate.SplitPredictions.scores).

Found at stop 44: with T = 0.05 (the fit's lower bound) a calibrated probability rounds to exactly 1.0
once the network's log-odds pass ~1.84, so AUC, AUPRC, their intervals, DeLong and subgroup AUCs tied
cases the network ranks apart (a synthetic case read AUC .8326 instead of .8344).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.special import expit, logsumexp, softmax
from sklearn.metrics import average_precision_score, roc_auc_score

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.evaluation.calibration import apply_temperature, log_calibrated
from meddx.evaluation.compare import delong_per_class
from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess, predictions_from_raw
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

N = 300


def _predictor(tmp_path: Path, task: str, k: int, temperature: Any) -> Any:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    rule = {"binary": ("youden", 0.5), "multiclass": ("argmax", None), "multilabel": ("youden", 0.5)}[task]
    config = {"name": "m", "task": task, "label_names": list("abcd")[:k], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": k},
              "preprocessing": pre.to_dict(), "tta": [],
              "calibration": {"temperature": temperature, "fitted_on": "val"},
              "decision": {"rule": rule[0], "threshold": rule[1]}}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=k, image_size=28)
    return load_bundle(save_bundle(tmp_path / task, net=net, config=config, metrics={}, model_card=""))


def _data(labels: np.ndarray) -> Any:
    return SimpleNamespace(ids=[f"s{i}" for i in range(len(labels))], labels=labels, patient_ids=None)


def _assess(predictor: Any, labels: np.ndarray, raw: np.ndarray, attributes: Any = None) -> tuple[dict, Any]:
    preds = predictions_from_raw(predictor, "test", _data(labels), raw)
    return assess(predictor, preds, EvalSettings(n_resamples=20), attributes=attributes), preds


def test_binary_auc_at_a_tiny_temperature_is_the_auc_of_the_logits(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, N)
    logits = rng.normal(0, 3, N) + 1.5 * labels
    raw = np.column_stack([expit(-logits), expit(logits)])
    predictor = _predictor(tmp_path, "binary", 2, 0.05)
    sex = pd.DataFrame({"sex": np.where(np.arange(N) % 2, "F", "M")}, index=[f"s{i}" for i in range(N)])
    metrics, preds = _assess(predictor, labels, raw, attributes=sex)
    assert (preds.probs[:, 1] == 1.0).sum() > 50  # the ties the probabilities hold
    assert metrics["auc"] == roc_auc_score(labels, logits)
    assert metrics["auprc"] == average_precision_score(labels, logits)
    assert metrics["ci"]["auc"]["estimate"] == metrics["auc"]
    women = np.arange(N) % 2 == 1
    assert metrics["subgroups"]["sex"]["groups"]["F"]["auc"]["estimate"] == roc_auc_score(labels[women],
                                                                                            logits[women])


def test_multilabel_per_label_auc_with_per_label_temperatures(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, (N, 3))
    logits = rng.normal(0, 3, (N, 3)) + 1.5 * labels
    predictor = _predictor(tmp_path, "multilabel", 3, [0.05, 0.05, 1.0])
    metrics, _ = _assess(predictor, labels, expit(logits))
    for j, name in enumerate("abc"):
        assert metrics["per_class"][name]["auc"] == roc_auc_score(labels[:, j], logits[:, j])
        assert metrics["ci"]["per_class"][name]["auc"]["estimate"] == metrics["per_class"][name]["auc"]


def test_multiclass_one_vs_rest_auc_ranks_the_calibrated_probabilities_without_ties(tmp_path: Path) -> None:
    """A multi-class temperature can reorder cases one-vs-rest, so the AUC is that of the calibrated
    probabilities; here computed exactly as -log sum_j exp((z_j - z_k) / T), which never rounds to 0."""
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, (N, 3))
    labels = np.argmax(logits + rng.normal(0, 3, (N, 3)), axis=1)
    predictor = _predictor(tmp_path, "multiclass", 3, 0.05)
    metrics, preds = _assess(predictor, labels, softmax(logits, axis=1))
    assert (preds.probs == 1.0).sum() > 50
    for k, name in enumerate("abc"):
        others = np.delete(logits, k, axis=1) - logits[:, [k]]
        assert metrics["per_class"][name]["auc"] == roc_auc_score(labels == k, -logsumexp(others / 0.05, axis=1))


def test_delong_ranks_the_scores() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, N)
    a, b = rng.normal(0, 3, N) + 1.5 * labels, rng.normal(0, 3, N) + labels
    raw_a, raw_b = (np.column_stack([expit(-x), expit(x)]) for x in (a, b))
    scores = [log_calibrated(r, 0.05, "binary") for r in (raw_a, raw_b)]
    probs = [np.exp(s) for s in scores]
    result = delong_per_class(labels, probs[0], probs[1], "binary", scores_a=scores[0], scores_b=scores[1])["1"]
    assert (result["auc_a"], result["auc_b"]) == (roc_auc_score(labels, a), roc_auc_score(labels, b))


def test_pooled_folds_rank_on_one_scale() -> None:
    """cv pools folds with and without a temperature: all as log-probabilities, never probs beside logs."""
    from meddx.evaluation.cv import _pool

    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    part = SplitPredictions(split="test", ids=["a", "b"], labels=np.array([0, 1]), probs=p)
    scaled = SplitPredictions(split="test", ids=["c", "d"], labels=np.array([0, 1]),
                              probs=apply_temperature(p, 0.5, "binary"), scores=log_calibrated(p, 0.5, "binary"))
    pooled = _pool([part, scaled])
    assert np.allclose(pooled.scores, np.log(pooled.probs)) and _pool([part, part]).scores is None
