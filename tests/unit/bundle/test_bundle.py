"""Bundles: atomic save, load without training data, no pickles, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, read_bundle_config, save_bundle
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _config(pre: ImagePreprocessor) -> dict:
    return {
        "name": "unit", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
        "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
        "preprocessing": pre.to_dict(), "decision": {"threshold": 0.3, "rule": "youden"}, "tta": [],
    }


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, torch.nn.Module, list[np.ndarray]]:
    torch.manual_seed(0)
    images = [np.random.default_rng(i).integers(0, 255, (1, 32, 32), dtype=np.uint8) for i in range(6)]
    pre = ImagePreprocessor((28, 28), 1).fit(images)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval()
    path = save_bundle(tmp_path / "b", net=net, config=_config(pre), metrics={"val": {"auc": 0.9}}, model_card="# card")
    return path, net, images


def test_round_trip_gives_identical_predictions(saved) -> None:
    path, net, images = saved
    predictor = load_bundle(path)
    expected = torch.softmax(net(torch.from_numpy(predictor.preprocessor.transform_many(images))), -1).detach().numpy()
    assert np.allclose(predictor.predict_arrays(images), expected, atol=1e-6)
    assert predictor.threshold == 0.3 and predictor.label_names == ["neg", "pos"]
    probs = np.array([[0.75, 0.25], [0.65, 0.35]])
    assert predictor.decide(probs) == ["neg", "pos"]  # the stored threshold, not 0.5


def test_bundle_has_no_pickles(saved) -> None:
    path, _, _ = saved
    assert sorted(p.name for p in path.iterdir()) == sorted(
        ["weights.safetensors", "config.json", "metrics.json", "model_card.md", "meddx_version"])
    assert (path / "weights.safetensors").read_bytes()[8:9] == b"{"  # safetensors JSON header, not a pickle


def test_existing_bundle_is_not_overwritten(saved) -> None:
    path, net, _ = saved
    config = read_bundle_config(path)
    with pytest.raises(BundleError, match="already exists"):
        save_bundle(path, net=net, config=config, metrics={}, model_card="")
    before = (path / "weights.safetensors").read_bytes()
    save_bundle(path, net=net, config=config, metrics={"new": 1}, model_card="x", overwrite=True)
    assert (path / "weights.safetensors").read_bytes() == before
    assert json.loads((path / "metrics.json").read_text()) == {"new": 1}
    assert not list(path.parent.glob(".b-*"))  # no temporary folders left behind


@pytest.mark.parametrize("missing", ["weights.safetensors", "config.json", "model_card.md"])
def test_incomplete_bundle_names_the_missing_file(saved, missing: str) -> None:
    path, _, _ = saved
    (path / missing).unlink()
    with pytest.raises(BundleError, match=missing):
        load_bundle(path)


def test_weights_that_do_not_match_the_model(saved) -> None:
    from safetensors.torch import save_file

    path, _, _ = saved
    save_file({"fc.weight": torch.zeros(2, 3)}, str(path / "weights.safetensors"))
    with pytest.raises(BundleError, match="do not match"):
        load_bundle(path)


def test_corrupted_config(saved) -> None:
    path, _, _ = saved
    (path / "config.json").write_text("{not json")
    with pytest.raises(BundleError, match="config.json"):
        load_bundle(path)


class _Margins(torch.nn.Module):
    """A 'network' whose logit margin (positive minus negative) is the first pixel times 100."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        margin = x.reshape(len(x), -1)[:, 0] * 100
        return torch.stack([-margin / 2, margin / 2], dim=1)


def test_confident_outputs_keep_their_ranking_through_temperature_and_predictions_csv(tmp_path: Path) -> None:
    """Found by an audit: float32 softmax rounded P(positive) to 1.0 from a logit margin of about 17,
    and calibration clipped p at 1e-12, so margins 18-55 all became one value: AUC .500 for a
    network that ranks perfectly. Raw probabilities are float64 and written at full precision."""
    import csv

    from meddx.bundle.predictor import Predictor
    from meddx.evaluation.calibration import fit_temperature
    from meddx.evaluation.evaluate import SplitPredictions, write_predictions
    from sklearn.metrics import roc_auc_score

    pre = ImagePreprocessor((4, 4), 1).fit([np.random.default_rng(0).random((1, 4, 4))])  # unused by predict_tensor
    predictor = Predictor({**_config(pre), "calibration": {"temperature": 20.0}}, _Margins())
    margins = np.linspace(0.18, 0.55, 30)  # x100: logit margins 18-55, all confidently positive
    x = torch.from_numpy(np.repeat(margins[:, None, None, None], 16, axis=-1).reshape(30, 1, 4, 4).astype(np.float32))
    raw = predictor.predict_tensor(x, calibrated=False)
    labels = (np.arange(30) >= 10).astype(np.int64)  # the higher the margin, the more often positive
    assert raw.dtype == np.float64 and len(np.unique(np.log(raw[:, 0]))) == 30
    calibrated = predictor.calibrate(raw)
    assert roc_auc_score(labels, calibrated[:, 1]) == 1.0 and len(np.unique(calibrated[:, 1])) == 30
    assert 0.5 < calibrated[:, 1].min() < calibrated[:, 1].max() < 1.0  # margins / 20: 0.9 to 2.75
    assert fit_temperature(labels, raw, "binary") == pytest.approx(20.0)  # the bound: the data want softer
    path = write_predictions(tmp_path / "predictions.csv", SplitPredictions(
        "test", [str(i) for i in range(30)], labels, calibrated), ["neg", "pos"])
    written = np.array([float(r["p_pos"]) for r in csv.DictReader(path.open())])
    np.testing.assert_array_equal(written, calibrated[:, 1])
