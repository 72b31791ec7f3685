"""The layout statistic of the intensity check (``bundle.typicality_layout``): an inverted image
(a MONOCHROME1 radiograph read as MONOCHROME2) keeps the contrast, brightness and clipping of the
training images, so only its layout, the correlation of its thumbnail with the training images'
mean thumbnail, shows it. Bundles fitted before the statistic keep scoring exactly as they did."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.typicality import FILE, fit_for_bundle
from meddx.bundle.typicality_inputs import STATISTICS, InputCheck, fit_inputs, input_statistics
from meddx.core.errors import BundleError
from meddx.models.ensemble import build_network
from meddx.tasks.ensemble import member_head
from meddx.transforms.image import ImagePreprocessor


def _radiographs(n: int, seed: int) -> np.ndarray:
    """``n`` 8-bit "radiographs" (1, 16, 16): a dark band (the lungs) across a bright middle, at a
    random position, brightness and contrast, with noise; their inverse has the same mean (128)."""
    rng = np.random.default_rng(seed)
    rows = np.arange(16)[:, None]
    out = np.empty((n, 1, 16, 16))
    for i in range(n):
        top = rng.integers(3, 6)
        band = ((rows >= top) & (rows < top + 8)).astype(float) * np.ones((1, 16))
        contrast = rng.uniform(30, 50)
        out[i, 0] = 128 + contrast * (1 - 2 * band) + rng.normal(0, 12, (16, 16))
    return np.clip(out, 0, 255).astype(np.uint8)


def _stats(images: np.ndarray) -> np.ndarray:
    return input_statistics(torch.from_numpy(images.astype(np.float32) / 255.0)).numpy()


def test_an_inverted_image_is_flagged_and_the_normal_ones_are_not() -> None:
    """Before the layout statistic, all 100 inverted images passed the intensity check: their
    contrast, brightness and clipping lie among the training images'."""
    check, summary = fit_inputs(_stats(_radiographs(400, 0)), _stats(_radiographs(300, 1)))
    test = _radiographs(100, 2)
    normal, _ = check.scores(_stats(test))
    inverted, which = check.scores(_stats(255 - test))
    assert (normal > check.threshold).mean() <= 0.03  # in domain: about the 99.9% quantile's share
    assert (inverted > check.threshold).all()
    assert {check.statistics[k] for k in which} == {"layout"}
    assert summary["statistics"] == [*STATISTICS, "layout"]


def test_layout_is_scored_on_its_lower_tail_only_and_a_flat_image_has_none() -> None:
    check, _ = fit_inputs(_stats(_radiographs(200, 0)), _stats(_radiographs(100, 1)))
    mean = check.layout_mean.reshape(8, 8)
    ideal = np.kron(mean, np.ones((2, 2)))[None, None]  # the mean image itself: correlation 1
    flat = np.full((1, 1, 16, 16), 0.5)
    values = check.values(input_statistics(torch.from_numpy(np.concatenate([ideal, flat]))).numpy())
    assert values[0, 3] == pytest.approx(1.0) and values[1, 3] == 0.0  # a constant image: no NaN
    score, which = check.scores(input_statistics(torch.from_numpy(ideal)).numpy())
    assert check.statistics[which[0]] != "layout" or score[0] == 0.0  # above Q3 is no fault


def test_each_statistic_has_its_own_tail_and_the_threshold_stays_outside_the_training_tails() -> None:
    """Scaled by its training tail (99.9% quantile of its fence multiples), each statistic has its own
    threshold; a validation split inside every tail still sets none below the tails (floor 1): at
    most 1 in 1000 training images lies beyond any one statistic's."""
    from meddx.bundle.typicality_inputs import SCALE_FLOOR

    train = _stats(_radiographs(1000, 0))
    probe, _ = fit_inputs(train, train[:50])
    calm = train[np.argsort(probe.scores(train)[0])[:40]]  # the 40 most ordinary training images as validation
    check, summary = fit_inputs(train, calm)
    assert check.threshold == 1.0 and summary["threshold"] == 1.0
    assert check.scale == pytest.approx(np.maximum(np.quantile(check.fences(train), 0.999, axis=0), SCALE_FLOOR))
    assert (check.scores(train)[0] > check.threshold).sum() <= 4  # one per statistic at most
    assert len(summary["scale"]) == 4 and InputCheck.from_json(check.to_json()).scale == pytest.approx(check.scale)


def test_3d_inputs_are_thumbnailed_on_a_4x4x4_grid() -> None:
    x = torch.zeros(2, 1, 12, 12, 12)
    x[0, 0, :6] = 1.0  # one half bright
    x[1, 0, 6:] = 1.0  # the other half
    stats = input_statistics(x).numpy()
    assert stats.shape == (2, len(STATISTICS) + 64)
    thumbs = stats[:, len(STATISTICS):].reshape(2, 4, 4, 4)
    assert thumbs[0, :2].min() == 1.0 and thumbs[0, 2:].max() == 0.0
    check, summary = fit_inputs(np.repeat(stats[:1], 30, axis=0) + np.random.default_rng(0).normal(0, .01, (30, 67)),
                                np.repeat(stats[:1], 30, axis=0))
    assert summary["statistics"][-1] == "layout"
    assert check.values(stats)[1, 3] == pytest.approx(-1.0, abs=1e-3)  # the mirrored volume: anti-correlated


def test_a_check_made_before_layout_scores_as_it_did() -> None:
    """A ``typicality.json`` of 3 statistics (older bundles) reads the first 3 of the appended columns."""
    rows = _stats(_radiographs(300, 0))
    old, summary = fit_inputs(rows[:200, :3], rows[200:, :3])
    again = InputCheck.from_json(json.loads(json.dumps(old.to_json())))
    assert again.layout_mean is None and again.statistics == STATISTICS and summary["statistics"] == list(STATISTICS)
    probe = _stats(255 - _radiographs(20, 5))
    assert again.scores(probe)[0] == pytest.approx(old.scores(probe[:, :3])[0])


def test_a_recorded_layout_must_be_64_numbers() -> None:
    check, _ = fit_inputs(_stats(_radiographs(100, 0)), _stats(_radiographs(60, 1)))
    data = check.to_json()
    assert InputCheck.from_json(data).layout_mean == pytest.approx(check.layout_mean)
    with pytest.raises(ValueError, match="layout_mean"):
        InputCheck.from_json({**data, "layout_mean": data["layout_mean"][:10]})
    with pytest.raises(KeyError):
        InputCheck.from_json({key: value for key, value in data.items() if key != "layout_mean"})


# ----------------------------------------------------------------------------- through a bundle


def _bundle(root: Path, layout: bool = True) -> tuple[Path, ImagePreprocessor]:
    """A seed-CNN bundle fitted as training fits it (``fit_for_bundle``); ``layout=False`` rewrites
    its record as bundles made before the layout statistic have it (3 statistics, their digest)."""
    from meddx.bundle.predictor import Predictor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((16, 16), 1).fit(list(_radiographs(50, 9)))
    config = {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    torch.manual_seed(0)
    net = build_network(config["model"], member_head(config["task"])).eval()
    predictor = Predictor(config, net)
    val: list = []
    predictor.predict_tensor(torch.from_numpy(pre.transform_many(list(_radiographs(300, 1)))), features=val)
    train = pre.transform_many(list(_radiographs(400, 0)))
    summary, data = fit_for_bundle(predictor, train, rng.integers(0, 2, 400), val, "binary")
    if not layout:
        record = json.loads(data)
        width = len(STATISTICS) + 64
        joined = torch.cat(val).numpy()
        tr: list = []
        predictor.predict_tensor(torch.from_numpy(train), features=tr)
        old, summary["inputs"] = fit_inputs(torch.cat(tr).numpy()[:, -width:-width + 3], joined[:, -width:-width + 3])
        record["inputs"] = old.to_json()
        data = json.dumps(record).encode("utf-8")
        summary["sha256"] = hashlib.sha256(data).hexdigest()
    config["typicality"] = summary
    return save_bundle(root / ("new" if layout else "old"), net=net, config=config, metrics={}, model_card="",
                       extra_files={FILE: data}), pre


def _judged(bundle: Path, images: np.ndarray) -> list[dict]:
    p = load_bundle(bundle)
    features: list = []
    p.predict_tensor(p.preprocess(list(images)), features=features)
    return p.typicality_of(features, [f"img{i}" for i in range(len(images))])


def test_predict_flags_an_inverted_radiograph_by_its_layout(tmp_path: Path) -> None:
    bundle, _ = _bundle(tmp_path)
    test = _radiographs(40, 3)
    normal, inverted = _judged(bundle, test), _judged(bundle, 255 - test)
    assert sum(not r["typical"] for r in normal) <= 2
    assert all(not r["typical"] for r in inverted)
    assert all(r["typicality"]["intensity_score"] > r["typicality"]["intensity_threshold"] for r in inverted)
    flagged = [r for r in inverted if r["typicality"]["intensity_statistic"] == "layout"]
    assert flagged and "layout (correlation of its thumbnail" in flagged[0]["typicality_warning"]
    record = flagged[0]["typicality"]  # its own threshold: the check's times the statistic's training tail
    assert record["intensity_scale"] >= 1.0 and "its threshold from the 99.9% quantile" in flagged[0]["typicality_warning"]
    config = json.loads((bundle / "config.json").read_text())
    assert config["typicality"]["inputs"]["statistics"][-1] == "layout"
    from meddx.bundle.typicality import card_limit

    assert "clipping, layout;" in card_limit(config["typicality"])[0]


def test_an_old_bundle_scores_and_says_as_before(tmp_path: Path) -> None:
    bundle, pre = _bundle(tmp_path, layout=False)
    rows = _judged(bundle, 255 - _radiographs(20, 3))
    assert {r["typicality"]["intensity_statistic"] for r in rows} <= set(STATISTICS)
    assert all("intensity_scale" not in r["typicality"] for r in rows)  # the fields and words of before
    blank = _judged(bundle, np.full((1, 1, 16, 16), 128, np.uint8))[0]  # flagged by its intensities, as before
    assert blank["typicality"]["intensity_score"] > blank["typicality"]["intensity_threshold"]
    assert ", above " in blank["typicality_warning"] and ", the 99.9% quantile of its validation images" in blank["typicality_warning"]
    data = json.loads((bundle / FILE).read_text())["inputs"]
    old = InputCheck.from_json(data)
    stats = input_statistics(torch.from_numpy(pre.transform_many(list(255 - _radiographs(20, 3))))).numpy()
    assert [r["typicality"]["intensity_score"] for r in rows] == pytest.approx(old.scores(stats[:, :3])[0], abs=1e-4)
    from meddx.bundle.typicality import card_limit

    card = card_limit(json.loads((bundle / "config.json").read_text())["typicality"])[0]
    assert "layout" not in card and "blank or saturated images" in card


def test_an_edited_layout_mean_is_refused(tmp_path: Path) -> None:
    bundle, _ = _bundle(tmp_path)
    record = json.loads((bundle / FILE).read_text())
    assert len(record["inputs"]["layout_mean"]) == 64  # recorded under the digest
    record["inputs"]["layout_mean"] = [0.0] * 64
    (bundle / FILE).write_text(json.dumps(record))
    with pytest.raises(BundleError, match="SHA-256"):
        load_bundle(bundle)
