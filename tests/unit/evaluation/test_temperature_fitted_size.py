"""A bundle records how many validation cases its temperature was fitted on (``calibration.n_val``), and the
warning about a temperature on a bound of its fit names that number on every split.

Found at stop 44: the number was not recorded, so evaluating a test split said "fitted on the validation
split", and ``meddx evaluate`` named the size of the validation split it carved from the evaluated data,
which for another data set is not the split T was fitted on. Bundles without the record keep the old words.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError
from meddx.evaluation.evaluate import EvalSettings, assess, predictions_from_raw
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _bundle(tmp_path: Path, calibration: dict[str, Any]) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": "m", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "tta": [], "calibration": calibration,
              "decision": {"rule": "youden", "threshold": 0.5}}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="")


def _bound_warning(predictor: Any, split: str, n: int, **kwargs: Any) -> str:
    rng = np.random.default_rng(0)
    p1 = rng.uniform(0.05, 0.95, n)
    data = SimpleNamespace(ids=[f"s{i}" for i in range(n)], labels=np.arange(n) % 2, patient_ids=None)
    preds = predictions_from_raw(predictor, split, data, np.stack([1 - p1, p1], axis=1))
    warnings = assess(predictor, preds, EvalSettings(n_resamples=0), **kwargs)["warnings"]
    found = [w for w in warnings if "lower bound" in w]
    assert len(found) == 1, warnings
    return found[0]


def test_a_recorded_size_is_named_on_every_split(tmp_path: Path) -> None:
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 0.05, "fitted_on": "val", "n_val": 13}))
    assert "fitted on 13 validation cases" in _bound_warning(predictor, "test", 30)
    # the validation split carved from other data is not the one T was fitted on
    assert "fitted on 13 validation cases" in _bound_warning(predictor, "test", 30, n_val=40)
    assert "fitted on 13 validation cases" in _bound_warning(predictor, "val", 20)


def test_an_old_bundle_without_the_record_loads_and_keeps_the_old_words(tmp_path: Path) -> None:
    predictor = load_bundle(_bundle(tmp_path, {"temperature": 0.05, "fitted_on": "val"}))
    assert "fitted on the validation split" in _bound_warning(predictor, "test", 30)
    assert "fitted on 40 validation cases" in _bound_warning(predictor, "test", 30, n_val=40)


@pytest.mark.parametrize("bad", [0, 2.5, "13", True])
def test_a_hand_edited_size_that_is_no_count_is_refused(tmp_path: Path, bad: Any) -> None:
    path = _bundle(tmp_path, {"temperature": 1.5, "fitted_on": "val", "n_val": 13})
    config = json.loads((path / "config.json").read_text())
    config["calibration"]["n_val"] = bad
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"config.json: field 'calibration.n_val' must be the number of validation"):
        load_bundle(path)


def test_training_records_the_validation_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit
    from tests.unit.training.test_epochs_and_budget_raised import _table

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    result = fit(TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=1, seed=0, ci_resamples=0,
                             name="nval", add_to_registry=False), progress=False)
    calibration = json.loads((Path(result.bundle_path) / "config.json").read_text())["calibration"]
    assert calibration["n_val"] == len(result.predictions["val"].ids) > 0
