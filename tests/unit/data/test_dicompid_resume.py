"""A run started before an image folder's DICOM PatientID was read (its validation carved without patient
grouping) still resumes: its recorded val membership is read back, and the carving note then says how many
patients sit on both sides, since that validation split is optimistic."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.data.test_dicompid_folder import _patients_by_class, _write_folder

pytest.importorskip("pydicom")


def test_resume_of_a_run_carved_without_patients_reads_its_val_back(tmp_path: Path) -> None:
    from meddx.data.carve_record import MEMBERSHIP_KEY, split_membership
    from meddx.data.imagefolder import load_imagefolder
    from meddx.data.sources import load_source
    from meddx.data.splits import carve_validation
    from meddx.training import run as runlib

    root = _write_folder(tmp_path / "dcm", {"": _patients_by_class(12, 4)})
    source = load_imagefolder(root)
    # the run as meddx carved it before PatientID was read: the same samples, no patient ids
    before = replace(source, splits={k: replace(v, patient_ids=None) for k, v in source.splits.items()},
                     notes=[n for n in source.notes if "PatientID" not in n])
    carved = carve_validation(before, fraction=0.25, seed=0)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data.json").write_text(json.dumps(runlib.data_fingerprint(carved), default=str))
    assert MEMBERSHIP_KEY in json.loads((run_dir / "data.json").read_text())

    near_copies, membership = split_membership(runlib.carving_of(run_dir))
    resumed = load_source(root, val_fraction=0.25, seed=0, near_copies=near_copies, membership=membership)
    runlib.check_same_data(run_dir, resumed)  # the same train and val: the resume goes on
    assert resumed.splits["val"].ids == carved.splits["val"].ids
    train_p, val_p = set(resumed.splits["train"].patient_ids), set(resumed.splits["val"].patient_ids)
    mixed = len(train_p & val_p)
    assert mixed  # 4 images per patient, carved one by one: some patients straddle the split
    note = next(n for n in resumed.notes if n.startswith("validation carved from train"))
    assert f"; {mixed} patient(s) have samples in both train and val (carved before patient ids were read)" in note
