"""A bundle walked as a hospital team would use it: shared with colleagues, its config.json edited by
hand. Values that loaded without a word but changed every prediction, and edits that ended the first
prediction in a torch or numpy traceback, are refused on load with one line naming the file and field;
the folder is readable by the team as a plain ``mkdir`` would make it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError, MeddxError


def _edit(bundle: Path, section: str | None, key: str, value: Any) -> None:
    config = json.loads((bundle / "config.json").read_text())
    (config.setdefault(section, {}) if section else config)[key] = value
    (bundle / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize(("section", "key", "value", "field"), [
    ("decision", "threshold", 50, "decision.threshold"),  # 50 % typed as a percentage: every case negative
    ("decision", "threshold", float("nan"), "decision.threshold"),  # every comparison false: every case negative
    ("decision", "threshold", -0.2, "decision.threshold"),
    ("calibration", "temperature", 0, "calibration.temperature"),  # was read as T = 1: uncalibrated output
    ("calibration", "temperature", float("inf"), "calibration.temperature"),
    (None, "tta", ["flip"], "tta"),  # a misspelt 'hflip' turned test-time averaging off
])
def test_value_that_would_change_every_prediction_is_refused(bundle: Path, section: str | None, key: str,
                                                              value: Any, field: str) -> None:
    _edit(bundle, section, key, value)
    with pytest.raises(BundleError) as err:
        load_bundle(bundle)
    message = str(err.value)
    assert "config.json" in message and f"'{field}'" in message and "\n" not in message


def test_threshold_just_above_one_from_a_rule_still_loads(bundle: Path) -> None:
    # evaluation.operating puts the cut at the next float after 1.0 when a score is exactly 1.0
    _edit(bundle, "decision", "threshold", float(np.nextafter(1.0, 2.0)))
    assert load_bundle(bundle).threshold > 1.0


@pytest.mark.parametrize(("key", "value", "field"), [
    ("channels", 3, "preprocessing.channels"),  # the network's first layer takes 1
    ("mean", [0.4, 0.4], "preprocessing.mean"),
    ("std", [0.0], "preprocessing.std"),
])
def test_preprocessing_the_network_cannot_take_is_refused_on_load(bundle: Path, key: str, value: Any,
                                                                  field: str) -> None:
    _edit(bundle, "preprocessing", key, value)
    with pytest.raises(BundleError, match=rf"config\.json: field '{field}'"):
        load_bundle(bundle)


def test_input_size_the_network_cannot_take_is_one_line_not_a_torch_traceback(bundle: Path, tmp_path: Path) -> None:
    _edit(bundle, "preprocessing", "spatial_size", [64, 64])  # the seed CNN's dense layer is sized for 28 px
    png = tmp_path / "x.png"
    Image.fromarray(np.full((40, 40), 128, np.uint8)).save(png)
    predictor = load_bundle(bundle)
    with pytest.raises(MeddxError) as err:
        predictor.predict_files([png])
    message = str(err.value)
    assert "config.json" in message and "'preprocessing'" in message and "'model'" in message


def test_bundle_folder_gets_the_permissions_of_a_plain_mkdir(bundle: Path, tmp_path: Path) -> None:
    from meddx.models.registry import create_model

    old = os.umask(0o022)
    try:
        config = json.loads((bundle / "config.json").read_text())
        net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
        shared = save_bundle(tmp_path / "team" / "cxr" / "v1", net=net, config=config, metrics={}, model_card="")
    finally:
        os.umask(old)
    # tempfile.mkdtemp made it 0o700: colleagues could not open the bundle in a shared folder
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert load_bundle(shared).label_names == ["neg", "pos"]
    assert not [p for p in shared.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left
