"""``config.json``'s ``format``: ``meddx-bundle/2`` only for bundles with one temperature per label.

Found at stop 44: a multi-label bundle with a list temperature, read by a meddx from before it, failed with
"calibration.temperature must be a number" instead of saying to upgrade. Bumping the format of every
bundle would have made all new bundles unreadable by those meddx, even the ones they read correctly; so a
bundle gets the newer format only when it needs it, and this meddx reads both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.integrity import format_for
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

NAMES = ["a", "b", "c"]


def _config(temperature: Any, **extra: Any) -> dict[str, Any]:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    return {**extra, "name": "m", "task": "multilabel", "label_names": NAMES, "spatial_dims": 2,
            "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 3},
            "preprocessing": pre.to_dict(), "tta": [], "calibration": {"temperature": temperature, "fitted_on": "val"},
            "decision": {"rule": "youden", "threshold": None, "class_thresholds": dict.fromkeys(NAMES, 0.5)}}


def _save(path: Path, config: dict[str, Any]) -> Path:
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=3, image_size=28)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")


def _format(path: Path) -> str:
    return json.loads((path / "config.json").read_text())["format"]


def _set_format(path: Path, value: str) -> None:
    config = json.loads((path / "config.json").read_text())
    config["format"] = value
    (path / "config.json").write_text(json.dumps(config))


def test_one_temperature_keeps_format_1_and_one_per_label_gets_format_2(tmp_path: Path) -> None:
    single = _save(tmp_path / "single", _config(1.7))
    per_label = _save(tmp_path / "per_label", _config([0.5, 1.0, 2.0]))
    assert (_format(single), _format(per_label)) == ("meddx-bundle/1", "meddx-bundle/2")
    assert load_bundle(single).temperature == 1.7
    assert load_bundle(per_label).temperature == [0.5, 1.0, 2.0]
    assert format_for({"calibration": None}) == format_for({}) == "meddx-bundle/1"


def test_bundles_written_before_load(tmp_path: Path) -> None:
    """Stop 44 wrote list temperatures as format 1; every older bundle is format 1 with one number."""
    path = _save(tmp_path / "stop44", _config([0.5, 1.0, 2.0]))
    _set_format(path, "meddx-bundle/1")
    assert load_bundle(path).temperature == [0.5, 1.0, 2.0]


def test_a_resaved_config_gets_the_format_it_needs_not_the_one_it_carried(tmp_path: Path) -> None:
    path = _save(tmp_path / "resaved", _config([0.5, 1.0, 2.0], format="meddx-bundle/1"))
    assert _format(path) == "meddx-bundle/2"
    assert list(json.loads((path / "config.json").read_text()))[0] == "format"


def test_an_even_newer_format_says_to_upgrade(tmp_path: Path) -> None:
    path = _save(tmp_path / "newer", _config([0.5, 1.0, 2.0]))
    _set_format(path, "meddx-bundle/3")
    with pytest.raises(BundleError, match=r"field 'format' is 'meddx-bundle/3': the bundle was written by a newer "
                                          r"meddx.*reads 'meddx-bundle/1' or 'meddx-bundle/2'; upgrade meddx"):
        load_bundle(path)
    _set_format(path, "something")
    with pytest.raises(BundleError, match=r"field 'format' must be 'meddx-bundle/1' or 'meddx-bundle/2'; found"):
        load_bundle(path)
