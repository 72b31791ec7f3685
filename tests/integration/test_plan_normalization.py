"""Normalisation statistics: fitted on the training split only, and overridable from a plan file.

Found by an audit: the promised override of the normalisation statistics through ``--plan`` was
silently dropped (an edited ``normalization.mean``/``std`` trained and shipped with the fitted
values). The leakage check (val/test far brighter than train) passed before and guards the fit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.cli.main import main
from meddx.core.errors import ConfigError
from meddx.transforms.image import ImagePreprocessor


def _npz(path: Path) -> Path:
    rng = np.random.default_rng(0)

    def split(n: int, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(n) % 2
        images = rng.integers(low, high, (n, 16, 16)).astype(np.uint8)
        images[labels == 1, 4:12, 4:12] += 40
        return images, labels[:, None]

    (tr, ytr), (va, yva), (te, yte) = split(40, 0, 60), split(20, 150, 200), split(20, 180, 210)
    np.savez(path, train_images=tr, train_labels=ytr, val_images=va, val_labels=yva, test_images=te, test_labels=yte)
    return path


def _train(home: Path, *args: str) -> Path:
    try:
        main(["train", *args, "--model", "seed-cnn", "--epochs", "1", "--no-progress", "--augment", "none"])
    except SystemExit as exc:
        assert not exc.code, f"training failed with exit code {exc.code}"
    return max((home / "runs").iterdir(), key=lambda p: p.stat().st_mtime)


def test_statistics_come_from_train_only_and_a_plan_file_overrides_them(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = _npz(tmp_path / "shifted.npz")
    run = _train(tmp_path / "home", "--data", str(data), "--name", "fitted")
    plan = json.loads((run / "plan.json").read_text())
    train = np.load(data)["train_images"] / 255.0
    assert plan["normalization"]["mean"] == pytest.approx([train.mean()], abs=1e-6)  # val/test are far brighter
    assert plan["normalization"]["std"] == pytest.approx([train.std()], abs=1e-6)

    plan["normalization"].update(mean=[0.5], std=[0.25])
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps(plan))
    run = _train(tmp_path / "home", "--data", str(data), "--name", "given", "--plan", str(edited))
    used = json.loads((run / "plan.json").read_text())
    assert used["normalization"]["mean"] == [0.5] and used["normalization"]["std"] == [0.25]
    assert "plan file" in used["reasons"]["normalization"]
    bundle = json.loads((tmp_path / "home" / "bundles" / "given" / "v1" / "config.json").read_text())
    assert bundle["preprocessing"]["mean"] == [0.5] and bundle["preprocessing"]["std"] == [0.25]


def test_given_statistics_normalise_the_training_array_as_transform_does() -> None:
    """The training array under a plan file's statistics is, bit for bit, what ``transform`` (val,
    test, predict and a resumed run) gives each image; only the scaling is fitted on train."""
    from meddx.data.synthetic import make_lesion_source
    from meddx.training.data import fit_with_given_statistics

    source = make_lesion_source(12, 2, 2, size=16, seed=0)
    pre = ImagePreprocessor([16, 16], 1)
    x = fit_with_given_statistics(source, pre, {"mean": [0.3], "std": [0.7], "spatial_size": [9, 9]}, progress=False)
    assert pre.mean_ == [0.3] and pre.std_ == [0.7] and pre.to_dict()["scaling"] == "dtype"
    assert np.array_equal(x, np.stack([pre.transform(source.get_image("train", i)) for i in range(12)]))
    assert np.allclose(x, (source.split("train").images / 255.0 - 0.3) / 0.7, atol=1e-5)
    with pytest.raises(ConfigError, match="one per channel"):
        fit_with_given_statistics(source, ImagePreprocessor([16, 16], 1), {"mean": [0.5, 0.5], "std": [0.2, 0.2]})
    with pytest.raises(ConfigError, match="positive"):
        fit_with_given_statistics(source, ImagePreprocessor([16, 16], 1), {"mean": [0.5], "std": [0.0]})
