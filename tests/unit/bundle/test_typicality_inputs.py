"""The intensity half of the input-typicality check (``bundle.typicality_inputs``): Tukey fences
with a known answer, flat and clipped images flagged whatever their intensity, a threshold that
config.json cannot silently change, and bundles that say why they have no check."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.typicality import FILE, card_limit, fit_for_bundle
from meddx.core.errors import BundleError
from meddx.models.ensemble import build_network
from meddx.tasks.ensemble import member_head
from meddx.transforms.image import ImagePreprocessor


def test_scores_are_tukey_fence_multiples_on_both_tails() -> None:
    """Quartiles from train (numpy's percentiles), score = ranges below Q1 or above Q3, 0 inside."""
    from meddx.bundle.typicality_inputs import STATISTICS, fit_inputs

    rng = np.random.default_rng(0)
    train = rng.normal([0.0, 1.0, -5.0], [1.0, 2.0, 0.5], (4000, 3))
    check, summary = fit_inputs(train, rng.normal([0.0, 1.0, -5.0], [1.0, 2.0, 0.5], (2000, 3)))
    q1, q3 = np.percentile(train, 25, axis=0), np.percentile(train, 75, axis=0)
    assert check.q1 == pytest.approx(q1) and check.q3 == pytest.approx(q3)
    probe = np.array([[q3[0] + 3 * (q3[0] - q1[0]), 1.0, -5.0],  # 3 ranges above on the first statistic
                      [0.0, q1[1] - 7 * (q3[1] - q1[1]), -5.0],  # 7 ranges below on the second
                      [0.0, 1.0, -5.0]])  # inside every middle half
    scores, which = check.scores(probe)
    assert scores == pytest.approx([3.0, 7.0, 0.0]) and list(which[:2]) == [0, 1]
    fresh = rng.normal([0.0, 1.0, -5.0], [1.0, 2.0, 0.5], (20000, 3))
    assert float(np.mean(check.scores(fresh)[0] > check.threshold)) < 0.005  # 99.9% quantile of 2000
    assert summary["quantile"] == 0.999 and summary["statistics"] == list(STATISTICS)


def test_a_constant_image_has_no_contrast_and_all_its_pixels_at_its_extremes() -> None:
    from meddx.bundle.typicality_inputs import input_statistics

    x = torch.stack([torch.full((1, 8, 8), 0.3), torch.linspace(-1, 1, 64).reshape(1, 8, 8)])
    stats = input_statistics(x).numpy()
    assert stats[0, 0] == pytest.approx(np.log(1e-6)) and stats[0, 2] == pytest.approx(0.0)  # log 1: every pixel
    assert stats[1, 0] == pytest.approx(np.log(np.linspace(-1, 1, 64).std() + 1e-6))
    assert stats[1, 1] == pytest.approx(0.0, abs=1e-6) and stats[1, 2] == pytest.approx(np.log(2 / 64))


def _family(pre: ImagePreprocessor, rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.normal(128, 6, (n, 1, 1, 1)) + rng.normal(0, 10, (n, 1, 16, 16))
    return pre.transform_many(list(np.clip(base, 0, 255).astype(np.uint8)))


def _config(pre: ImagePreprocessor) -> dict:
    return {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
            "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
            "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}


def _bundle(root: Path, checked: bool = True, **extra: object) -> Path:
    """A seed-CNN bundle (16 px) fitted as training fits it (``fit_for_bundle``) on noisy grey images."""
    from meddx.bundle.predictor import Predictor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((16, 16), 1).fit(list(np.clip(rng.normal(128, 10, (20, 1, 16, 16)), 0, 255)
                                                  .astype(np.uint8)))
    config = {**_config(pre), **extra}
    torch.manual_seed(0)
    net = build_network(config["model"], member_head(config["task"])).eval()  # an ensemble when config says so
    files = {}
    if checked:
        predictor = Predictor(config, net)
        val: list = []
        predictor.predict_tensor(torch.from_numpy(_family(pre, rng, 300)), features=val)
        fitted = fit_for_bundle(predictor, _family(pre, rng, 400), rng.integers(0, 2, 400), val, "binary")
        assert fitted is not None
        config["typicality"], files[FILE] = fitted
    return save_bundle(root / "b", net=net, config=config, metrics={}, model_card="", extra_files=files)


def _png(path: Path, array: np.ndarray) -> str:
    from PIL import Image

    Image.fromarray(array.astype(np.uint8)).save(path)
    return str(path)


def test_flat_and_clipped_images_are_flagged_whatever_their_intensity(tmp_path: Path) -> None:
    """Before: a flat image near the training images' mean passed (its features lie among theirs);
    now every constant image, and one whose pixels mostly sit at its extremes, is flagged."""
    predictor = load_bundle(_bundle(tmp_path))
    rng = np.random.default_rng(7)
    flat = [_png(tmp_path / f"flat{v}.png", np.full((16, 16), v)) for v in (0, 100, 128, 140, 255)]
    clipped = _png(tmp_path / "clipped.png", np.clip((rng.normal(128, 10, (16, 16)) - 128) * 40 + 128, 0, 255))
    like = [_png(tmp_path / f"like{i}.png", np.clip(rng.normal(128, 10, (16, 16)) + rng.normal(0, 6), 0, 255))
            for i in range(20)]
    rows = {p.source: p.extra for p in predictor.predict_files([*flat, clipped, *like])}
    assert {path: rows[path]["typical"] for path in [*flat, clipped]} == {path: False for path in [*flat, clipped]}
    for path in [*flat, clipped]:
        record = rows[path]["typicality"]
        assert record["intensity_score"] > record["intensity_threshold"] and record["intensity_quantile"] == 0.999
        assert "interquartile ranges outside the training images'" in rows[path]["typicality_warning"]
    assert rows[flat[2]]["typicality"]["intensity_statistic"] == "log_std"  # no contrast at all
    assert sum(not rows[p]["typical"] for p in like) <= 2  # the training family itself passes


def _rewrite_config(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    config = json.loads((path / "config.json").read_text())
    edit(config["typicality"])
    (path / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("field", ["threshold", "quantile", "inputs.threshold"])
def test_an_edited_threshold_in_config_json_is_refused(tmp_path: Path, field: str) -> None:
    """config.json is not digest-checked: a threshold of 1e9 written there used to switch the
    check off silently (every input typical); the digest-checked typicality.json is the authority."""
    path = _bundle(tmp_path)

    def edit(summary: dict) -> None:
        if field == "inputs.threshold":
            summary["inputs"]["threshold"] = 1e9
        else:
            summary[field] = 1e9 if field == "threshold" else 0.5

    _rewrite_config(path, edit)
    with pytest.raises(BundleError, match="typicality.json: cannot read .*config.json was edited"):
        load_bundle(path)


def _as_old_file(path: Path) -> None:
    """The bundle as meddx wrote it before the intensity check: no thresholds in typicality.json."""
    data = json.loads((path / FILE).read_text())
    for key in ("threshold", "quantile", "inputs"):
        data.pop(key)
    raw = json.dumps(data).encode()
    (path / FILE).write_bytes(raw)

    def edit(summary: dict) -> None:
        summary.pop("inputs")
        summary["sha256"] = hashlib.sha256(raw).hexdigest()

    _rewrite_config(path, edit)


def test_an_old_bundle_checks_features_only_and_an_impossible_threshold_is_refused(tmp_path: Path) -> None:
    path = _bundle(tmp_path)
    _as_old_file(path)
    predictor = load_bundle(path)
    assert predictor.typicality.inputs is None
    (row,) = predictor.predict_files([_png(tmp_path / "flat.png", np.full((16, 16), 128))])
    assert set(row.extra["typicality"]) == {"distance", "threshold", "quantile"}  # no intensity_* fields
    _rewrite_config(path, lambda s: s.update(threshold=1e9))  # above the validation maximum it was the quantile of
    with pytest.raises(BundleError, match="is not a quantile of the validation distances"):
        load_bundle(path)


def test_predict_says_once_that_an_old_bundle_checks_features_only(tmp_path: Path, capsys) -> None:
    from tests.integration.cli_helpers import run_cli

    path = _bundle(tmp_path)
    _as_old_file(path)
    files = [_png(tmp_path / f"f{i}.png", np.full((16, 16), 60 * i)) for i in range(3)]
    result = run_cli(["predict", str(path), *files, "--json"], capsys)
    assert result.code == 0, result.err
    assert result.err.count("records the feature check only") == 1 and "no typicality record" not in result.err


@pytest.mark.parametrize("extra,words", [
    ({"privacy": {"mechanism": "DP-SGD"}}, "differential privacy (--dp)"),
    ({"federated": {"strategy": "fedavg"}}, "trained federated"),
    ({"model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2, "ensemble": 2}},
     "an ensemble of 2 networks"),
])
def test_a_bundle_that_cannot_have_a_check_says_why(tmp_path: Path, capsys, extra: dict, words: str) -> None:
    """--dp and federated runs fit no check (it would release statistics of private training
    images): predict, its --json and the model card say so instead of staying silent."""
    from tests.integration.cli_helpers import run_cli

    path = _bundle(tmp_path, checked=False, **extra)
    image = _png(tmp_path / "x.png", np.full((16, 16), 128))
    result = run_cli(["predict", str(path), image, "--json"], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out.splitlines()[0])
    assert row["typicality"] is None and "typical" not in row and words in row["typicality_reason"]
    assert result.err.count(f"checks no inputs: {row['typicality_reason'][:20]}") == 1
    (line,) = card_limit(None, json.loads((path / "config.json").read_text()))
    assert line.startswith("Inputs unlike the training images are not flagged") and words in line


def test_bundles_of_other_inputs_get_no_reason() -> None:
    assert card_limit(None, {"task": "binary", "preprocessing": {"type": "tokenizer"}, "privacy": {"x": 1}}) == []


def test_the_card_names_both_checks_and_their_combined_rate(tmp_path: Path) -> None:
    """300 validation images: 0.5% from the feature quantile plus 1/301 for the intensity check's
    99.9% quantile (no finer than 1/(n+1))."""
    summary = json.loads((_bundle(tmp_path) / "config.json").read_text())["typicality"]
    (line,) = card_limit(summary, {})
    assert "a feature-distance check and an intensity check" in line and "at most about 0.8%" in line
