"""An image folder of DICOM files groups by the PatientID (0010,0020) each file carries: the carved
validation split keeps each patient on one side, ``data verify`` reports a patient on two splits, and
an anonymised export (one constant id, placeholders) or a folder mixing PNG and DICOM is not grouped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.dicom_slices import write_ct_slice

pytest.importorskip("pydicom")


def _write_folder(root: Path, layout: dict[str, dict[str, list[str]]]) -> Path:
    """``layout``: split folder ('' for none) -> class -> PatientID of each file (one file per entry)."""
    import pydicom
    from pydicom.uid import generate_uid

    root.mkdir(parents=True, exist_ok=True)
    template = write_ct_slice(root / "template.dcm", np.zeros((8, 8), np.int16), series="1.2.3", number=1,
                              position=[0.0, 0.0, 0.0], spacing=[1.0, 1.0])
    ds = pydicom.dcmread(template)
    template.unlink()
    rng = np.random.default_rng(0)
    n = 0
    for split, classes in layout.items():
        for cls, pids in classes.items():
            folder = root / split / cls if split else root / cls
            folder.mkdir(parents=True, exist_ok=True)
            for pid in pids:
                n += 1
                ds.PatientID = pid
                ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
                ds.PixelData = rng.integers(0, 2000, (8, 8), dtype=np.int16).tobytes()  # no two files alike
                ds.save_as(folder / f"im{n:04d}.dcm", enforce_file_format=True)
    return root


def _patients_by_class(n_patients: int, per_patient: int) -> dict[str, list[str]]:
    """Half the patients in each class, ``per_patient`` images each."""
    pids = [f"P{i:03d}" for i in range(n_patients)]
    return {"benign": [p for p in pids[::2] for _ in range(per_patient)],
            "malignant": [p for p in pids[1::2] for _ in range(per_patient)]}


def test_carved_validation_keeps_each_patient_on_one_side(tmp_path: Path) -> None:
    from meddx.data.sources import load_source

    root = _write_folder(tmp_path / "dcm", {"": _patients_by_class(20, 3)})
    source = load_source(root, val_fraction=0.25, seed=0)
    train, val = source.splits["train"], source.splits["val"]
    assert train.patient_ids is not None and val.patient_ids is not None
    assert not set(train.patient_ids) & set(val.patient_ids)
    assert len(set(train.patient_ids)) + len(set(val.patient_ids)) == 20
    assert "patient ids read from DICOM PatientID (20 patients)" in source.notes
    carving = next(n for n in source.notes if n.startswith("validation carved from train"))
    assert "grouped by patient" in carving and "(15 / 5 patients)" in carving


def test_verify_reports_a_patient_on_two_splits(tmp_path: Path) -> None:
    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    root = _write_folder(tmp_path / "dcm", {
        "train": {"a": ["P1", "P2"], "b": ["P3", "P4"]},
        "test": {"a": ["P5"], "b": ["P3"]},  # P3 on both sides
    })
    source = load_source(root, carve_val=False)
    report = verify_source(source)
    assert [o["patient_id"] for o in report.patient_overlap] == ["P3"]
    assert report.has_leakage


@pytest.mark.parametrize("pids, why", [
    (["ANON-SAME"] * 6, "carries the same PatientID"),
    (["ANONYMOUS"] * 3 + ["", "0", "XXXX"], "a placeholder (an anonymised export) in all 6"),
])
def test_constant_or_placeholder_ids_are_not_used(tmp_path: Path, pids: list[str], why: str) -> None:
    from meddx.data.sources import load_source

    root = _write_folder(tmp_path / "dcm", {"": {"a": pids[:3], "b": pids[3:]}})
    source = load_source(root, carve_val=False)
    assert source.splits["train"].patient_ids is None
    note = next(n for n in source.notes if "PatientID" in n)
    assert why in note and "not grouped by patient" in note
    assert "ANON-SAME" not in " ".join(source.notes)  # the id itself (an MRN, perhaps) is never shown


def test_png_beside_dicom_gives_no_ids(tmp_path: Path) -> None:
    from PIL import Image

    from meddx.data.sources import load_source

    root = _write_folder(tmp_path / "dcm", {"": {"a": ["P1", "P2"], "b": ["P3", "P4"]}})
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "a" / "extra.png")
    source = load_source(root, carve_val=False)
    assert source.splits["train"].patient_ids is None
    assert any("1 of 5 images are not DICOM (first: extra.png)" in n for n in source.notes)


def test_png_folder_gets_no_patient_note(tmp_path: Path) -> None:
    from PIL import Image

    from meddx.data.sources import load_source

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            Image.fromarray(np.full((8, 8), i * 50 + (cls == "b") * 7, np.uint8)).save(tmp_path / cls / f"{i}.png")
    source = load_source(tmp_path, carve_val=False)
    assert source.splits["train"].patient_ids is None
    assert not any("PatientID" in n for n in source.notes)


def test_a_file_without_preamble_gives_its_id(tmp_path: Path) -> None:
    """A DICOM file written without its 128-byte preamble and file meta (``headerless_dicom``) is read too."""
    import pydicom

    from meddx.data.dicom_patients import read_patient_id

    root = _write_folder(tmp_path / "dcm", {"": {"a": ["P9"]}})
    ds = pydicom.dcmread(next(root.rglob("*.dcm")))
    ds.preamble = None
    del ds.file_meta
    bare = tmp_path / "bare.dcm"
    ds.save_as(bare, implicit_vr=False, little_endian=True, enforce_file_format=False)
    assert bare.read_bytes()[128:132] != b"DICM"
    assert read_patient_id(bare) == "P9"
