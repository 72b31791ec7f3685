"""A multi-class bundle whose class-weighted loss was removed from its probabilities records
``calibration.bias`` (one per class) and ``decision.class_weights``; it decides by argmax p_k·w_k.
Bundles without the record (every one written before) read exactly as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.model_card import render_model_card
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

WEIGHTS = [0.5, 1.5, 4.0]
NAMES = ["common", "rarer", "rarest"]


def _bundle(tmp_path: Path, calibration: Any = None, decision: Any = None, task: str = "multiclass") -> Path:
    k = 3 if task == "multiclass" else 2
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config: dict[str, Any] = {
        "name": "m", "task": task, "label_names": NAMES[:k], "spatial_dims": 2,
        "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": k},
        "preprocessing": pre.to_dict(), "tta": [],
        "decision": {"rule": "argmax", "threshold": None, **(decision or {})}}
    if calibration is not None:
        config["calibration"] = calibration
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=k, image_size=28)
    return save_bundle(tmp_path / f"m{len(list(tmp_path.iterdir()))}", net=net, config=config, metrics={},
                       model_card="")


def test_a_weighted_bundle_corrects_its_probabilities_and_keeps_its_decisions(tmp_path: Path) -> None:
    bias = [-float(np.log(w)) for w in WEIGHTS]
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 2.0, "bias": bias, "fitted_on": "val"},
                                    {"class_weights": WEIGHTS}))
    raw = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1]])
    out = predictor.calibrate(raw)
    expected = np.exp(np.log(raw) / 2.0 + bias)
    np.testing.assert_allclose(out, expected / expected.sum(axis=1, keepdims=True), rtol=1e-12)
    assert out[1].argmax() == 0  # the correction moves this row's argmax; the decision stays the model's:
    assert predictor.decide(out) == [NAMES[int(i)] for i in raw.argmax(axis=1)] == ["common", "rarest", "common"]
    threshold = predictor.decision_thresholds
    assert tuple(threshold.weights) == tuple(WEIGHTS) and threshold.class_thresholds is None
    card = render_model_card(predictor.config, {})
    assert "after removing the class-weighted loss's shifts" in card and "p_k·w_k" in card


def test_a_bundle_without_the_record_reads_as_before(tmp_path: Path) -> None:
    for calibration in (None, {"temperature": 1.0}, {"temperature": 1.0, "bias": 0}):
        predictor = load_bundle(_bundle(tmp_path, calibration))
        raw = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
        assert predictor.calibrate(raw) is raw
        assert predictor.decide(raw) == ["common", "rarest"] and predictor.decision_thresholds is None


@pytest.mark.parametrize(("calibration", "decision", "task", "field"), [
    ({"temperature": 1.0, "bias": [0.1, 0.2]}, None, "multiclass", "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, float("nan"), 0.2]}, None, "multiclass", "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, "x", 0.2]}, None, "multiclass", "'calibration.bias'"),
    ({"temperature": 1.0, "bias": 0.5}, None, "multiclass", "'calibration.bias'"),
    (None, {"class_weights": [1.0, -1.0, 2.0]}, "multiclass", "'decision.class_weights'"),
    (None, {"class_weights": [1.0, 2.0]}, "multiclass", "'decision.class_weights'"),
    (None, {"class_weights": [1.0, 2.0]}, "binary", "'decision.class_weights'"),
    ({"temperature": 1.0, "bias": [0.1, 0.2]}, None, "binary", "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, 0.2, 0.3]}, None, "multiclass", "'decision.class_weights'"),  # not decided
    ({"temperature": 1.0}, {"class_weights": [1.0, 2.0, 3.0]}, "multiclass", "'decision.class_weights'"),  # twice
])
def test_a_damaged_weighting_record_is_named(tmp_path: Path, calibration: Any, decision: Any, task: str,
                                             field: str) -> None:
    path = _bundle(tmp_path, {"temperature": 1.0}, None, task)
    config = json.loads((path / "config.json").read_text())
    if calibration is not None:
        config["calibration"] = calibration
    config["decision"].update(decision or {})
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=field):
        load_bundle(path)
