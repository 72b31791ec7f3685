"""A multi-label bundle stores one temperature per label (``calibration.temperature`` a list) and applies
each to its label; a bundle with one number (every one written before) predicts exactly as before; a
list of the wrong length, or on a binary/multi-class bundle, is refused naming config.json and the field."""

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

NAMES = ["rare", "half", "common"]
RAW = np.array([[0.5, 0.3, 0.2], [0.2, 0.7, 0.6], [0.9, 0.1, 0.999]])


def _bundle(tmp_path: Path, calibration: Any, task: str = "multilabel", names: list[str] = NAMES) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config: dict[str, Any] = {
        "name": "m", "task": task, "label_names": names, "spatial_dims": 2,
        "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": len(names)},
        "preprocessing": pre.to_dict(), "tta": [], "calibration": calibration,
        "decision": {"rule": "youden", "threshold": None, "class_thresholds": dict.fromkeys(names, 0.5)}}
    if task != "multilabel":
        config["decision"] = {"rule": "argmax" if task == "multiclass" else "youden",
                              "threshold": None if task == "multiclass" else 0.5, "class_thresholds": None}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=len(names), image_size=28)
    return save_bundle(tmp_path / f"m{len(list(tmp_path.iterdir()))}", net=net, config=config, metrics={},
                       model_card="")


def test_a_per_label_bundle_scales_each_label_by_its_own_temperature(tmp_path: Path) -> None:
    calibration = {"temperature": [3.0, 1.0, 0.6], "fitted_on": "val", "method": "m", "not_fitted": ["half"]}
    predictor = load_bundle(_bundle(tmp_path, calibration))
    assert predictor.temperature == [3.0, 1.0, 0.6]
    np.testing.assert_allclose(predictor.calibrate(RAW), expit(logit(RAW) / np.array([3.0, 1.0, 0.6])), rtol=1e-12)
    assert predictor.calibrate(RAW)[:, 1] == pytest.approx(RAW[:, 1], rel=1e-12)  # T = 1: unchanged
    card = render_model_card(predictor.config, {})
    assert "temperature-scaled with T per label: rare 3.000, half 1.000, common 0.600" in card
    assert "T = 1 (not fitted): half" in card
    unit = load_bundle(_bundle(tmp_path, {"temperature": [1.0, 1.0, 1.0], "fitted_on": "val"}))
    assert unit.calibrate(RAW) is RAW


def test_the_card_names_a_not_fitted_label_whose_shift_is_still_removed(tmp_path: Path) -> None:
    """The model card passed no label names, so it could only say "where the bundle records a loss's
    shift for such a label" instead of naming it."""
    calibration = {"temperature": [3.0, 1.0, 0.6], "bias": [-1.6, -0.7, 0.0], "fitted_on": "val", "method": "m",
                   "not_fitted": ["half"]}
    card = render_model_card(load_bundle(_bundle(tmp_path, calibration)).config, {})
    assert "its loss's shift is still removed for half." in card, card


def test_an_old_bundle_with_one_temperature_predicts_exactly_as_before(tmp_path: Path) -> None:
    """Not a regression test of a bug: it passes on the code before per-label temperatures too, by design."""
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 2.0, "fitted_on": "val", "method": "m"}))
    assert predictor.temperature == 2.0
    out = predictor.calibrate(RAW)
    np.testing.assert_array_equal(out, expit(logit(RAW) / 2.0))
    assert "temperature-scaled with T = 2.000 fitted on validation." in render_model_card(predictor.config, {})


@pytest.mark.parametrize(("task", "names", "temperature", "expected"), [
    ("multilabel", NAMES, [1.0, 2.0], "3 finite numbers > 0, one per label"),
    ("multilabel", NAMES, [1.0, 2.0, 0.0], "3 finite numbers > 0, one per label"),
    ("multilabel", NAMES, [1.0, "x", 2.0], "3 finite numbers > 0, one per label"),
    ("multilabel", NAMES, {"temperature": [1.0, 2.0, 3.0], "not_fitted": "rare"}, "a list of names from label_names"),
    ("binary", ["no", "yes"], [1.0, 2.0], "one temperature per label is for multi-label models"),
    ("multiclass", ["a", "b", "c"], [1.0, 2.0, 3.0], "one temperature per label is for multi-label models"),
])
def test_a_wrong_per_label_temperature_is_refused_naming_the_field(tmp_path: Path, task: str, names: list[str],
                                                                   temperature: Any, expected: str) -> None:
    path = _bundle(tmp_path, {"temperature": 1.0}, task, names)
    config = json.loads((path / "config.json").read_text())
    config["calibration"].update(temperature if isinstance(temperature, dict) else {"temperature": temperature})
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"config\.json: field 'calibration\.(temperature|not_fitted)' must be") as err:
        load_bundle(path)
    assert expected in str(err.value) and "\n" not in str(err.value)
