"""The feature check's training pass: a seeded, stratified sample of a large training split, one
unflipped pass per image, and the intensity check still on every training image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.bundle import typicality
from meddx.bundle.typicality import feature_sample, fit_for_bundle
from meddx.transforms.image import ImagePreprocessor
from tests.unit.bundle.test_typicality import seed_cnn_16


def _predictor() -> tuple[object, ImagePreprocessor]:
    from meddx.bundle.predictor import Predictor

    config, net, pre = seed_cnn_16()
    return Predictor(config, net), pre


def _family(pre: ImagePreprocessor, rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.normal(128, 6, (n, 1, 1, 1)) + rng.normal(0, 3, (n, 1, 16, 16))
    return pre.transform_many(list(np.clip(base, 0, 255).astype(np.uint8)))


def test_sample_is_seeded_stratified_and_keeps_rare_classes() -> None:
    labels = np.array([0] * 9000 + [1] * 950 + [2] * 50)
    rows = feature_sample(labels, "multiclass", limit=1000)
    assert np.array_equal(rows, feature_sample(labels, "multiclass", limit=1000))  # seeded
    assert np.all(np.diff(rows) > 0)  # sorted, no repeats
    counts = np.bincount(labels[rows], minlength=3)
    assert counts[0] == 900 and counts[1] == 100 and counts[2] == 50  # proportional; a rare class whole
    assert np.array_equal(feature_sample(labels[:800], "binary", limit=1000), np.arange(800))  # small: all
    multi = feature_sample(np.zeros((5000, 3)), "multilabel", limit=1000)
    assert len(multi) == 1000 and len(set(multi.tolist())) == 1000


def test_fit_reads_at_most_the_sample_once_each_and_records_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A split above the limit: the network sees only the sampled images, each once (no flipped
    pass: its features are never read), and the summary says how many of how many; the intensity
    check is fitted on every training image."""
    monkeypatch.setattr(typicality, "FEATURE_SAMPLE", 120)
    monkeypatch.setattr(typicality, "MIN_PER_CLASS", 10)
    predictor, pre = _predictor()
    rng = np.random.default_rng(0)
    val_features: list = []
    predictor.predict_tensor(torch.from_numpy(_family(pre, rng, 100)), features=val_features)
    seen: list[int] = []
    predictor.net.register_forward_hook(lambda module, inputs, output: seen.append(len(inputs[0])))
    summary, _ = fit_for_bundle(predictor, _family(pre, rng, 400), rng.integers(0, 2, 400), val_features, "binary")
    assert 110 <= sum(seen) <= 130  # the sample, one pass each (before: 800, both passes of all 400)
    assert summary["n_train"] == sum(seen)
    assert summary["train_sample"] == {"n": sum(seen), "of": 400, "seed": 0, "stratified": True}
    assert summary["inputs"]["n_train"] == 400
    assert predictor.tta == ["hflip"]  # restored for predictions


def test_a_small_split_is_fitted_whole_and_records_no_sample() -> None:
    predictor, pre = _predictor()
    rng = np.random.default_rng(1)
    val_features: list = []
    predictor.predict_tensor(torch.from_numpy(_family(pre, rng, 100)), features=val_features)
    summary, _ = fit_for_bundle(predictor, _family(pre, rng, 300), rng.integers(0, 2, 300), val_features, "binary")
    assert summary["n_train"] == 300 and summary["inputs"]["n_train"] == 300 and "train_sample" not in summary
