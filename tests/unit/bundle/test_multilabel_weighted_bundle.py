"""A multi-label bundle whose ``pos_weight`` shifts were removed from its probabilities records
``calibration.bias`` (one per label, −log w_j) and no decision weights; it decides per label at its
thresholds. Bundles without the record (every one written before) read exactly as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from scipy.special import expit, logit

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.model_card import render_model_card
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

POS_WEIGHTS = [19.0, 4.0, 1.0]
NAMES = ["rare", "uncommon", "half"]
THRESHOLDS = {"rare": 0.1, "uncommon": 0.3, "half": 0.5}


def _bundle(tmp_path: Path, calibration: Any = None, decision: Any = None) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config: dict[str, Any] = {
        "name": "m", "task": "multilabel", "label_names": NAMES, "spatial_dims": 2,
        "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 3},
        "preprocessing": pre.to_dict(), "tta": [],
        "decision": {"rule": "youden", "threshold": None, "class_thresholds": THRESHOLDS, **(decision or {})}}
    if calibration is not None:
        config["calibration"] = calibration
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=3, image_size=28)
    return save_bundle(tmp_path / f"m{len(list(tmp_path.iterdir()))}", net=net, config=config, metrics={},
                       model_card="")


def test_a_pos_weighted_bundle_corrects_each_labels_probabilities(tmp_path: Path) -> None:
    bias = [-float(np.log(w)) for w in POS_WEIGHTS]
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 2.0, "bias": bias, "fitted_on": "val"}))
    raw = np.array([[0.5, 0.3, 0.2], [0.2, 0.7, 0.6], [0.9, 0.1, 0.5]])
    out = predictor.calibrate(raw)
    np.testing.assert_allclose(out, expit(logit(raw) / 2.0 + bias), rtol=1e-12)
    assert predictor.decision_thresholds == [0.1, 0.3, 0.5]  # per label, no decision weights
    assert predictor.decide(out) == [[n for n, p, t in zip(NAMES, row, THRESHOLDS.values()) if p >= t] for row in out]
    card = render_model_card(predictor.config, {})
    assert "after removing the class-weighted loss's shifts" in card


def test_a_multilabel_bundle_without_the_record_reads_as_before(tmp_path: Path) -> None:
    for calibration in (None, {"temperature": 1.0}, {"temperature": 1.0, "bias": 0}):
        predictor = load_bundle(_bundle(tmp_path, calibration))
        raw = np.array([[0.5, 0.3, 0.2], [0.2, 0.7, 0.6]])
        assert predictor.calibrate(raw) is raw
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 2.0}))
    np.testing.assert_allclose(predictor.calibrate(raw), expit(logit(raw) / 2.0), rtol=1e-12)


@pytest.mark.parametrize(("calibration", "decision", "field"), [
    ({"temperature": 1.0, "bias": [0.1, 0.2]}, None, "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, float("nan"), 0.2]}, None, "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, "x", 0.2]}, None, "'calibration.bias'"),
    ({"temperature": 1.0, "bias": 0.5}, None, "'calibration.bias'"),
    ({"temperature": 1.0, "bias": [0.1, 0.2, 0.3]}, {"class_weights": [1.0, 2.0, 3.0]}, "'decision.class_weights'"),
])
def test_a_damaged_multilabel_record_is_named(tmp_path: Path, calibration: Any, decision: Any, field: str) -> None:
    path = _bundle(tmp_path, {"temperature": 1.0})
    config = json.loads((path / "config.json").read_text())
    config["calibration"] = calibration
    config["decision"].update(decision or {})
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=field):
        load_bundle(path)
