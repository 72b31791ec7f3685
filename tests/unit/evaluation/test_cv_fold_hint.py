"""The hint ``check_folds_trainable`` adds to a fold it refuses ("a class held by too few patients
... use fewer folds") appears only when the folds' grouping is the cause. Before, it was added to
any error of any fold: to a class with a single sample and no patient ids at all, and to the
validation carve's own refusal of a fold's training part, neither of which fewer folds can mend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.sources import load_source
from meddx.evaluation import cv
from meddx.training.config import TrainConfig

PATIENT_HINT = "held by too few patients"


def _manifest(tmp_path: Path, rows: list[tuple[str, str | None]]) -> Path:
    """One random 12 px PNG per row (label, patient id or None for no patient column)."""
    rng = np.random.default_rng(0)
    patients = rows[0][1] is not None
    lines = ["path,label" + (",patient_id" if patients else "")]
    for i, (label, patient) in enumerate(rows):
        Image.fromarray(rng.integers(0, 255, (12, 12), dtype=np.uint8)).save(tmp_path / f"{i}.png")
        lines.append(f"{i}.png,{label}" + (f",{patient}" if patients else ""))
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _check(path: Path, k: int) -> None:
    source = load_source(str(path), carve_val=False)
    dev = cv.development_split(source)
    folds, how = cv.make_folds(dev, source.origin, k, seed=0)
    cv.check_folds_trainable(source, dev, folds, how, TrainConfig(data="unused", epochs=1))


def test_a_class_of_one_patient_gets_the_patient_hint(tmp_path: Path) -> None:
    rows = [("healthy", f"H{i // 2}") for i in range(24)] + [("lesion", "L0")] * 8
    with pytest.raises(DataError, match=r"grouped by patient, a class \(or label\) held by too few patients .*"
                                        r"here 8 samples of 1 patient\(s\).*fewer folds") as caught:
        _check(_manifest(tmp_path, rows), 3)
    assert str(caught.value).count(PATIENT_HINT) == 1


def test_a_class_of_one_sample_without_patient_ids_gets_no_patient_hint(tmp_path: Path) -> None:
    rows = [("healthy", None)] * 12 + [("lesion", None)] * 12 + [("rare", None)]
    with pytest.raises(DataError, match="class 'rare' has no training sample") as caught:
        _check(_manifest(tmp_path, rows), 3)
    assert PATIENT_HINT not in str(caught.value) and "fewer folds" not in str(caught.value)


def test_a_carve_refusal_of_a_fold_keeps_its_own_message(tmp_path: Path) -> None:
    """Two patients, two folds: each fold's training part is one patient, from which no validation
    split grouped by patient can be carved; the carve says so, with no word about classes."""
    rows = [("healthy", "A"), ("lesion", "A")] * 4 + [("healthy", "B"), ("lesion", "B")] * 4
    with pytest.raises(DataError, match="single patient group") as caught:
        _check(_manifest(tmp_path, rows), 2)
    assert PATIENT_HINT not in str(caught.value)


def test_a_class_of_near_copies_without_patient_ids_names_the_copies(tmp_path: Path) -> None:
    """No patient ids: the grouping that keeps a class out of a training part is by content."""
    rows = [("healthy", None)] * 12 + [("lesion", None)] * 12 + [("rare", None)] * 3
    path = _manifest(tmp_path, rows)
    for i in (25, 26):  # the 'rare' images: byte-identical copies of the first
        (tmp_path / f"{i}.png").write_bytes((tmp_path / "24.png").read_bytes())
    with pytest.raises(DataError, match="class 'rare' has no training sample") as caught:
        _check(path, 3)
    assert PATIENT_HINT not in str(caught.value) and "copies of one another" in str(caught.value)
