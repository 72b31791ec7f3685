"""A grouped validation carve is not one patient with many samples.

MIMIC-III demo ``ADMISSIONS.csv`` (129 admissions of 100 patients, one of whom has 15) carved a
validation split of that one patient: StratifiedGroupKFold places the largest group first, and
a group larger than a fold fills fold 1 alone. The carve now takes the first fold holding at least
3 patients (and a fraction of them); a bundle that recorded the older near-copy settings (version 1)
re-carves fold 1, the split it trained against.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.data.carve_groups import NEAR_COPY_SETTINGS
from meddx.data.sources import load_source
from tests.unit.data.csv_files import write_csv

OPTIONS = {"text_column": "diagnosis", "label_column": "admission_type", "patient_column": "subject_id"}
TYPES = ["EMERGENCY"] * 7 + ["ELECTIVE"] * 2 + ["URGENT"]


def _admissions(path: Path) -> Path:
    """The demo's shape: 100 patients with 1 (86), 2 (11), 3 (2) and 15 (1) admissions; 119
    EMERGENCY, 8 ELECTIVE and 2 URGENT, the 15 of the one patient all EMERGENCY."""
    sizes = [1] * 86 + [2] * 11 + [3] * 2
    rows = [[f"{10000 + p}", f"admitting diagnosis {p} {k} of this stay"] for p, n in enumerate(sizes) for k in range(n)]
    kinds = ["ELECTIVE"] * 8 + ["URGENT"] * 2 + ["EMERGENCY"] * (len(rows) - 10)
    rows = [[*row, kinds[(7 * i) % len(rows)]] for i, row in enumerate(rows)]  # 7 is prime to 114: a permutation
    rows += [["41976", f"repeat admission {k} for the same illness", "EMERGENCY"] for k in range(15)]
    return write_csv(path, ["subject_id", "diagnosis", "admission_type"], rows)


def test_a_patient_with_many_admissions_is_not_the_whole_carved_val(tmp_path: Path) -> None:
    source = load_source(_admissions(tmp_path / "ADMISSIONS.csv"), text_options=OPTIONS)
    train, val = source.splits["train"], source.splits["val"]
    patients = set(val.patient_ids)
    assert len(patients) >= 3 and "41976" not in patients
    assert 5 <= len(val) <= 25 and not patients & set(train.patient_ids)
    (carved,) = [n for n in source.notes if n.startswith("validation carved from train")]
    assert "grouped by patient (fold " in carved and "fold 1 of" not in carved and carved == source.notes[-2]


def test_a_bundle_of_the_older_carving_recarves_fold_one(tmp_path: Path) -> None:
    older = {**NEAR_COPY_SETTINGS, "version": 1}
    source = load_source(_admissions(tmp_path / "ADMISSIONS.csv"), text_options=OPTIONS, near_copies=older)
    assert set(source.splits["val"].patient_ids) == {"41976"}
    assert any("fold 1 of 10" in n for n in source.notes)
    assert any("1 patient(s) (fewer than 3)" in n for n in source.notes)  # and the warning says so


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sources_whose_first_fold_holds_enough_patients_carve_as_before(tmp_path: Path, seed: int) -> None:
    rows = [[f"{p}", f"note {p} {k} about the stay", TYPES[(p + k) % 10]] for p in range(100) for k in range(2)]
    path = write_csv(tmp_path / "even.csv", ["subject_id", "diagnosis", "admission_type"], rows)
    new = load_source(path, text_options=OPTIONS, seed=seed)
    old = load_source(path, text_options=OPTIONS, seed=seed, near_copies={**NEAR_COPY_SETTINGS, "version": 1})
    assert new.splits["val"].ids == old.splits["val"].ids and any("fold 1 of 10" in n for n in new.notes)
