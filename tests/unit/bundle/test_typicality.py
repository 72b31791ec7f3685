"""The input-typicality check (``bundle.typicality``): Mahalanobis distances with a known answer,
the quantile threshold, storage in the bundle, and bundles without the record."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.typicality import FILE, MAX_DIMS, fit_typicality, head_layer, load_typicality
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _gaussian(n: int, mean: np.ndarray, mix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal((n, len(mean))) @ mix.T + mean


@pytest.fixture(scope="module")
def fitted() -> dict:
    """Two classes with a shared (correlated) covariance in 12 dimensions."""
    rng = np.random.default_rng(0)
    dims = 12
    rotation = np.linalg.qr(rng.standard_normal((dims, dims)))[0]
    mix = rotation @ np.diag(rng.uniform(0.6, 1.6, dims))  # correlated axes, condition number ~7
    means = [np.zeros(dims), np.full(dims, 2.0)]
    train = np.concatenate([_gaussian(3000, m, mix, rng) for m in means])
    labels = np.repeat([0, 1], 3000)
    val = np.concatenate([_gaussian(1000, m, mix, rng) for m in means])
    check, summary = fit_typicality(train, labels, val, "binary", quantile=0.99)
    return {"check": check, "summary": summary, "mix": mix, "means": means, "rng": rng, "dims": dims}


def test_distance_is_the_mahalanobis_distance_to_the_nearest_class_mean(fitted) -> None:
    """Against scipy's mahalanobis with the true covariance: the Ledoit-Wolf fit on 6000 points
    (a shrinkage meant for features as wide as the training set is long) lies within a few per
    cent of it here."""
    from scipy.spatial.distance import mahalanobis

    mix, means = fitted["mix"], fitted["means"]
    inverse = np.linalg.inv(mix @ mix.T)
    points = _gaussian(200, means[1], mix, fitted["rng"]) + fitted["rng"].normal(0, 2, (200, fitted["dims"]))
    expected = [min(mahalanobis(p, m, inverse) for m in means) for p in points]
    assert fitted["check"].distances(points) == pytest.approx(expected, rel=0.05)


def test_points_from_the_fitted_gaussians_are_flagged_at_about_the_quantile_rate(fitted) -> None:
    check = fitted["check"]
    fresh = np.concatenate([_gaussian(10000, m, fitted["mix"], fitted["rng"]) for m in fitted["means"]])
    rate = float(np.mean(check.distances(fresh) > check.threshold))
    assert 0.004 < rate < 0.02  # 1 - quantile = 1%, threshold estimated from 2000 validation points
    assert fitted["summary"]["quantile"] == 0.99 and fitted["summary"]["threshold"] == pytest.approx(check.threshold)
    assert fitted["summary"]["fitted_on"] == "train" and fitted["summary"]["threshold_on"] == "val"


def test_far_points_are_flagged_and_judged_with_their_record(fitted) -> None:
    check = fitted["check"]
    far = _gaussian(50, np.full(fitted["dims"], 12.0), fitted["mix"], fitted["rng"])
    records = check.judge(far)
    assert all(not r["typical"] for r in records)
    assert all(r["distance"] > r["threshold"] and r["quantile"] == 0.99 for r in records)


def test_wide_features_are_projected_and_a_multilabel_check_has_one_gaussian() -> None:
    rng = np.random.default_rng(1)
    width = MAX_DIMS + 40
    train, val = rng.standard_normal((800, width)), rng.standard_normal((300, width))
    labels = (rng.random((800, 3)) < 0.5).astype(int)
    check, summary = fit_typicality(train, labels, val, "multilabel")
    assert summary["feature_dims"] == width and summary["dims"] == MAX_DIMS and check.components is not None
    assert check.class_means.shape == (1, MAX_DIMS)
    assert np.mean(check.distances(val) > check.threshold) <= 0.01
    assert np.all(check.distances(train[:5] + 10.0) > check.threshold)


def test_stored_arrays_give_the_same_distances(fitted, tmp_path: Path) -> None:
    check, summary = fitted["check"], fitted["summary"]
    (tmp_path / FILE).write_text(json.dumps(check.arrays_json()))
    loaded = load_typicality(tmp_path, {"typicality": summary})
    points = _gaussian(20, fitted["means"][0], fitted["mix"], fitted["rng"])
    assert loaded.distances(points) == pytest.approx(check.distances(points), rel=1e-4)
    assert loaded.threshold == pytest.approx(check.threshold, rel=1e-5)


@pytest.mark.parametrize("model,args", [("seed-cnn", {}), ("resnet18", {"width": 8}), ("densenet121", {}),
                                        ("efficientnet-b0", {})])
def test_every_image_classifier_has_a_head_whose_input_is_read(model, args) -> None:
    net = create_model(model, in_channels=1, num_classes=3, image_size=32, **args).eval()
    head = head_layer(net, 3)
    seen = []
    head.register_forward_pre_hook(lambda m, inputs: seen.append(inputs[0]))
    with torch.no_grad():
        net(torch.zeros(2, 1, 32, 32))
    assert head.out_features == 3 and seen and seen[0].shape[0] == 2 and seen[0].flatten(1).shape[1] == head.in_features


def seed_cnn_16() -> tuple[dict, torch.nn.Module, ImagePreprocessor]:
    """The config, network (seeded) and preprocessor of a 16 px seed-CNN binary bundle with flip TTA."""
    pre = ImagePreprocessor((16, 16), 1).fit([np.full((1, 16, 16), 128, np.uint8)])
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=16).eval()
    config = {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": ["hflip"]}
    return config, net, pre


def _bundle(root: Path, typicality: bool) -> Path:
    """A seed-CNN bundle (16 px); with ``typicality`` the check fitted on its features of a
    family of smooth images (the training family)."""
    rng = np.random.default_rng(0)
    config, net, pre = seed_cnn_16()
    extra = {}
    if typicality:
        from meddx.bundle.predictor import Predictor
        from meddx.bundle.typicality import fit_for_bundle

        def family(n: int) -> np.ndarray:
            base = rng.normal(128, 6, (n, 1, 1, 1)) + rng.normal(0, 3, (n, 1, 16, 16))
            return pre.transform_many(list(np.clip(base, 0, 255).astype(np.uint8)))

        predictor = Predictor(config, net)
        val_features: list = []
        predictor.predict_tensor(torch.from_numpy(family(200)), features=val_features)
        config["typicality"], data = fit_for_bundle(predictor, family(300), rng.integers(0, 2, 300), val_features,
                                                    "binary")
        extra = {FILE: data}
    return save_bundle(root / "b", net=net, config=config, metrics={}, model_card="", extra_files=extra)


def _png(path: Path, array: np.ndarray) -> str:
    from PIL import Image

    Image.fromarray(array).save(path)
    return str(path)


def test_predict_files_flags_an_unlike_image_and_passes_a_like_one(tmp_path: Path) -> None:
    predictor = load_bundle(_bundle(tmp_path, typicality=True))
    # one of the training family (a constant image is no longer "like": the intensity check flags it)
    like = _png(tmp_path / "like.png", np.clip(np.random.default_rng(5).normal(128, 3, (16, 16)), 0, 255).astype(np.uint8))
    stripes = _png(tmp_path / "stripes.png", ((np.arange(16) // 2 % 2) * 255).astype(np.uint8)[None].repeat(16, 0))
    rows = {p.source: p.extra for p in predictor.predict_files([like, stripes])}
    assert rows[like]["typical"] is True and "typicality_warning" not in rows[like]
    assert rows[stripes]["typical"] is False
    assert rows[stripes]["typicality"]["distance"] > rows[stripes]["typicality"]["threshold"]
    assert rows[stripes]["typicality_warning"].startswith(f"{stripes}: unlike the images bundle 't'")
    # the Python API's row holds what `meddx predict --json` writes (it dropped the check's fields)
    row = next(p for p in predictor.predict_files([stripes])).to_dict()
    assert row["typical"] is False and row["typicality_warning"] == rows[stripes]["typicality_warning"]


def test_a_copied_predictor_reads_its_own_features(tmp_path: Path) -> None:
    """The server's explanation twin is a deep copy: its passes fill its own list, not the original's."""
    predictor = load_bundle(_bundle(tmp_path, typicality=True))
    x = predictor.preprocess([np.full((1, 16, 16), 128, np.uint8)])
    mine: list = []
    predictor.predict_tensor(x, features=mine)
    twin = copy.deepcopy(predictor)
    theirs: list = []
    twin.predict_tensor(x, features=theirs)
    assert len(theirs) == 1 and len(mine) == 1 and torch.equal(theirs[0], mine[0])


def test_a_bundle_without_the_record_predicts_with_typicality_null(tmp_path: Path) -> None:
    predictor = load_bundle(_bundle(tmp_path, typicality=False))
    like = _png(tmp_path / "like.png", np.full((16, 16), 128, np.uint8))
    (row,) = predictor.predict_files([like])
    assert predictor.typicality is None and row.extra == {"typicality": None}


def test_a_recorded_check_whose_file_is_missing_is_a_bundle_error(tmp_path: Path) -> None:
    path = _bundle(tmp_path, typicality=True)
    (path / FILE).unlink()
    with pytest.raises(BundleError, match="typicality.json: cannot read the typicality check"):
        load_bundle(path)


def test_a_3d_classifier_is_checked_alike(tmp_path: Path) -> None:
    """Volumes: the features of a 3D network's head, fitted and judged as for 2D images."""
    from meddx.bundle.predictor import Predictor
    from meddx.bundle.typicality import fit_for_bundle

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([np.full((1, 12, 12, 12), 128, np.uint8)])
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, spatial_dims=3, image_size=12).eval()
    config = {"name": "v", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "spatial_dims": 3, "image_size": 12},
                        "num_classes": 2}, "preprocessing": pre.to_dict(), "tta": []}
    predictor = Predictor(config, net)

    def family(n: int) -> np.ndarray:
        base = rng.normal(128, 6, (n, 1, 1, 1, 1)) + rng.normal(0, 3, (n, 1, 12, 12, 12))
        return pre.transform_many(list(np.clip(base, 0, 255).astype(np.uint8)))

    val_features: list = []
    predictor.predict_tensor(torch.from_numpy(family(100)), features=val_features)
    summary, data = fit_for_bundle(predictor, family(150), rng.integers(0, 2, 150), val_features, "binary")
    (tmp_path / FILE).write_bytes(data)
    predictor.typicality = load_typicality(tmp_path, {"typicality": summary})
    stripes = np.zeros((1, 12, 12, 12), np.uint8)
    stripes[..., ::2] = 255
    features: list = []
    predictor.predict_tensor(predictor.preprocess([stripes]), features=features)
    (row,) = predictor.typicality_of(features, ["stripes.nii.gz"])
    assert summary["feature_dims"] == 64 and row["typical"] is False
