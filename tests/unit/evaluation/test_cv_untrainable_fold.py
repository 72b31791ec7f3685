"""``meddx cv`` refuses, before fold 0 trains, folds whose training part lacks a class: a class held
by one patient sits in one fold only, and that fold's ``fit`` refused it only after the folds
before it had trained (audit 56)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.evaluation import cv
from meddx.training.config import TrainConfig


def _manifest(tmp_path: Path, lesion_patients: int) -> Path:
    """24 healthy images of 12 patients; 8 lesion images spread over ``lesion_patients`` patients."""
    rng = np.random.default_rng(0)
    rows = ["path,label,patient_id"]
    for i in range(32):
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(tmp_path / f"{i}.png")
        lesion = i >= 24
        patient = f"L{(i - 24) % lesion_patients}" if lesion else f"H{i // 2}"
        rows.append(f"{i}.png,{'lesion' if lesion else 'healthy'},{patient}")
    path = tmp_path / "m.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_class_of_one_patient_is_refused_before_any_fold_trains(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    trained: list[str] = []

    def fake_fit(config, **kwargs):  # type: ignore[no-untyped-def]
        trained.append(config.name)
        raise RuntimeError("a fold trained")

    monkeypatch.setattr("meddx.training.fit.fit", fake_fit)
    config = TrainConfig(data=str(_manifest(tmp_path, lesion_patients=1)), epochs=1)
    with pytest.raises(DataError, match=r"one class only .*grouped by patient.*fewer folds"):
        cv.cross_validate(config, folds=3, out=tmp_path / "cv")
    assert trained == []
    assert not (tmp_path / "cv").exists()


def test_folds_holding_every_class_pass_the_check(tmp_path: Path) -> None:
    from meddx.data.sources import load_source

    source = load_source(str(_manifest(tmp_path, lesion_patients=4)), carve_val=False)
    dev = cv.development_split(source)
    folds, how = cv.make_folds(dev, source.origin, 2, seed=0)
    cv.check_folds_trainable(source, dev, folds, how, TrainConfig(data="unused", epochs=1))
