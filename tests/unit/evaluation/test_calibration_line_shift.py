"""``meddx evaluate``'s printed calibration line names the class-weight shift a bundle removes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.cli.evaluate import headline
from meddx.evaluation.evaluate import EvalSettings, assess, predictions_from_raw
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

WEIGHTS = [0.5, 1.5, 4.0]


def _predictor(tmp_path: Path, k: int, calibration: dict[str, Any], decision: dict[str, Any]) -> Any:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": "m", "task": "multiclass" if k > 2 else "binary", "label_names": list("abc")[:k],
              "spatial_dims": 2, "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28},
                                           "num_classes": k},
              "preprocessing": pre.to_dict(), "tta": [], "calibration": calibration,
              "decision": {"rule": "argmax" if k > 2 else "youden", "threshold": None if k > 2 else 0.5, **decision}}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=k, image_size=28)
    return load_bundle(save_bundle(tmp_path / f"b{k}", net=net, config=config, metrics={}, model_card=""))


def _calibration_line(predictor: Any, k: int) -> str:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, k, 60)
    raw = rng.dirichlet(np.ones(k), 60)
    data = SimpleNamespace(ids=[f"s{i}" for i in range(60)], labels=labels, patient_ids=None)
    metrics = assess(predictor, predictions_from_raw(predictor, "test", data, raw), EvalSettings(n_resamples=0))
    return next(line for line in headline(metrics) if line.startswith("calibration:"))


def test_multiclass_line_names_the_per_class_shifts(tmp_path: Path) -> None:
    """Found by a docs walk: a class-weighted 3-class bundle printed "after temperature 2.00" only,
    though its probabilities are softmax(log p / T - log w_k): the shift moves the ECE as well."""
    bias = [-float(np.log(w)) for w in WEIGHTS]
    predictor = _predictor(tmp_path, 3, {"temperature": 2.0, "bias": bias, "fitted_on": "val"},
                           {"class_weights": WEIGHTS})
    line = _calibration_line(predictor, 3)
    assert "after temperature 2.00 and biases (+0.693, -0.405, -1.386" in line, line


@pytest.mark.parametrize(("bias", "words"), [(-1.0986, "and log-odds shift -1.099"), (None, None)])
def test_binary_line_names_the_log_odds_shift_when_there_is_one(tmp_path: Path, bias: Any, words: Any) -> None:
    calibration = {"temperature": 1.5, "fitted_on": "val", **({"bias": bias} if bias is not None else {})}
    line = _calibration_line(_predictor(tmp_path, 2, calibration, {}), 2)
    assert "after temperature 1.50" in line, line
    if words:
        assert words in line, line
    else:
        assert "shift" not in line, line
