"""A CSV manifest of DICOM files (``path,label[,patient_id][,split]``) without a patient_id column takes each
file's PatientID as its patient, as an image folder does: the carved validation split keeps a patient on one
side and ``data verify`` checks patients across the given splits; anonymised exports (one constant id,
placeholders) are not grouped, with the folder's notes. With a patient_id column the column wins, and a note
(counts, no id) says when it gives one DICOM patient several ids. An image folder reads each header once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.dicom_slices import write_ct_slice

pytest.importorskip("pydicom")


def _write_files(root: Path, pids: list[str]) -> list[Path]:
    """One small CT DICOM file per entry of ``pids`` (its PatientID), all different in content."""
    import pydicom
    from pydicom.uid import generate_uid

    root.mkdir(parents=True, exist_ok=True)
    template = write_ct_slice(root / "template.dcm", np.zeros((8, 8), np.int16), series="1.2.3", number=1,
                              position=[0.0, 0.0, 0.0], spacing=[1.0, 1.0])
    ds = pydicom.dcmread(template)
    template.unlink()
    rng = np.random.default_rng(len(pids))
    out = []
    for n, pid in enumerate(pids):
        ds.PatientID = pid
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.PixelData = rng.integers(0, 2000, (8, 8), dtype=np.int16).tobytes()  # no two files alike
        path = root / f"im{n:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        out.append(path)
    return out


def _manifest(root: Path, rows: list[tuple[str, ...]], header: str = "path,label") -> Path:
    csv = root / "manifest.csv"
    csv.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    return csv


def _patients(n_patients: int, per_patient: int) -> tuple[list[str], list[str]]:
    """PatientIDs and labels: ``per_patient`` images of each patient, label by patient (half benign)."""
    pids = [f"P{i:03d}" for i in range(n_patients) for _ in range(per_patient)]
    return pids, ["benign" if int(p[1:]) % 2 else "malignant" for p in pids]


def test_carved_validation_keeps_each_patient_on_one_side(tmp_path: Path) -> None:
    from meddx.data.sources import load_source

    pids, labels = _patients(20, 3)
    files = _write_files(tmp_path / "img", pids)
    csv = _manifest(tmp_path, [(f"img/{f.name}", y) for f, y in zip(files, labels)])
    source = load_source(csv, val_fraction=0.25, seed=0)
    train, val = source.splits["train"], source.splits["val"]
    assert train.patient_ids is not None and val.patient_ids is not None
    assert not set(train.patient_ids) & set(val.patient_ids)
    assert len(set(train.patient_ids)) + len(set(val.patient_ids)) == 20
    assert "patient ids read from DICOM PatientID (20 patients)" in source.notes
    carving = next(n for n in source.notes if n.startswith("validation carved from train"))
    assert "grouped by patient" in carving


def test_verify_reports_a_patient_on_two_given_splits(tmp_path: Path) -> None:
    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    files = _write_files(tmp_path / "img", ["P1", "P2", "P3", "P4", "P5", "P3"])
    rows = [(f"img/{f.name}", y, s) for f, y, s in zip(files, "ababab", ["train"] * 4 + ["test"] * 2)]
    source = load_source(_manifest(tmp_path, rows, "path,label,split"), carve_val=False)
    report = verify_source(source)
    assert [o["patient_id"] for o in report.patient_overlap] == ["P3"]
    assert report.has_leakage


@pytest.mark.parametrize("pids, why", [
    (["ANON-SAME"] * 6, "carries the same PatientID"),
    (["ANONYMOUS"] * 3 + ["", "0", "XXXX"], "a placeholder (an anonymised export) in all 6"),
])
def test_constant_or_placeholder_ids_are_not_used(tmp_path: Path, pids: list[str], why: str) -> None:
    from meddx.data.manifest import load_manifest

    files = _write_files(tmp_path / "img", pids)
    source = load_manifest(_manifest(tmp_path, [(f"img/{f.name}", y) for f, y in zip(files, "aaabbb")]))
    assert source.splits["train"].patient_ids is None
    note = next(n for n in source.notes if "PatientID" in n)
    assert why in note and "not grouped by patient" in note
    assert "ANON-SAME" not in " ".join(source.notes)


def test_png_rows_among_dicom_rows_give_no_ids(tmp_path: Path) -> None:
    from PIL import Image

    from meddx.data.manifest import load_manifest

    files = _write_files(tmp_path / "img", ["P1", "P2", "P3"])
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "img" / "extra.png")
    rows = [(f"img/{f.name}", y) for f, y in zip(files, "aab")] + [("img/extra.png", "b")]
    source = load_manifest(_manifest(tmp_path, rows))
    assert source.splits["train"].patient_ids is None
    assert any("1 of 4 images are not DICOM (first: extra.png)" in n for n in source.notes)


def test_a_column_that_agrees_is_used_without_a_note(tmp_path: Path) -> None:
    from meddx.data.manifest import load_manifest

    files = _write_files(tmp_path / "img", ["P1", "P1", "P2", "P2"])
    rows = [(f"img/{f.name}", y, c) for f, y, c in zip(files, "aabb", ["case-1", "case-1", "case-2", "case-2"])]
    source = load_manifest(_manifest(tmp_path, rows, "path,label,patient_id"))
    assert source.splits["train"].patient_ids == ["case-1", "case-1", "case-2", "case-2"]  # the column wins
    assert not any("PatientID" in n or "patient_id column" in n for n in source.notes), source.notes


def test_a_column_splitting_a_dicom_patient_is_said_in_counts(tmp_path: Path) -> None:
    from meddx.data.manifest import load_manifest

    files = _write_files(tmp_path / "img", ["MRN-1", "MRN-1", "MRN-2", "MRN-2", "MRN-3", "MRN-3"])
    # MRN-1 under two column ids across train and test; MRN-2 under an id and an empty cell (its own group)
    rows = [(f"img/{f.name}", y, c, s) for f, y, c, s in zip(
        files, "aabbab", ["A", "B", "C", "", "D", "D"], ["train", "test", "train", "train", "train", "test"])]
    source = load_manifest(_manifest(tmp_path, rows, "path,label,patient_id,split"))
    assert source.splits["train"].patient_ids[0] == "A"  # the column wins
    note = next(n for n in source.notes if "patient_id column" in n)
    assert note.startswith("manifest.csv: the patient_id column gives 2 DICOM patient(s) more than one id (4 rows")
    assert "1 of them have rows in more than one split" in note
    assert "MRN" not in " ".join(source.notes)  # counts only: an id may be a medical record number


def test_a_constant_dicom_id_under_a_column_is_no_split(tmp_path: Path) -> None:
    """An anonymised export (one PatientID everywhere) says nothing of the column's patients."""
    from meddx.data.manifest import load_manifest

    files = _write_files(tmp_path / "img", ["ANON-SAME"] * 4)
    rows = [(f"img/{f.name}", y, c) for f, y, c in zip(files, "aabb", ["1", "2", "3", "4"])]
    source = load_manifest(_manifest(tmp_path, rows, "path,label,patient_id"))
    assert source.splits["train"].patient_ids == ["1", "2", "3", "4"]
    assert not any("patient_id column" in n for n in source.notes), source.notes


def test_series_folder_rows_take_the_id_of_their_first_image(tmp_path: Path) -> None:
    from meddx.data.manifest import load_manifest

    rows = []
    for k, (pid, y) in enumerate([("P1", "a"), ("P1", "a"), ("P2", "b"), ("P3", "b")]):
        _write_files(tmp_path / f"series{k}", [pid, pid])
        rows.append((f"series{k}", y))
    source = load_manifest(_manifest(tmp_path, rows))
    assert source.splits["train"].patient_ids == ["P1", "P1", "P2", "P3"]
    assert "patient ids read from DICOM PatientID (3 patients)" in source.notes


def test_an_image_folder_reads_each_header_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SOP class (is it an image?) and the PatientID come from one partial header read a file: neither
    the file-meta check nor a second header read for the id happens."""
    import meddx.data.dicom_checks as checks
    import meddx.data.dicom_patients as patients
    from meddx.data.imagefolder import load_imagefolder

    for cls, pids in (("a", ["P1", "P2"]), ("b", ["P3", "P4"])):
        _write_files(tmp_path / "dcm" / cls, pids)

    def twice(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a second header read")

    monkeypatch.setattr(checks, "holds_no_image", twice)
    monkeypatch.setattr(patients, "read_patient_id", twice)
    source = load_imagefolder(tmp_path / "dcm")
    assert source.splits["train"].patient_ids == ["P1", "P2", "P3", "P4"]


def test_header_facts_tell_an_image_from_an_object(tmp_path: Path) -> None:
    """``header_facts`` answers "holds no image" as ``holds_no_image`` does (a report's SOP class, a DICOMDIR)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from meddx.data.dicom_checks import holds_no_image
    from meddx.data.dicom_patients import header_facts

    image = _write_files(tmp_path, ["P7"])[0]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.67"  # X-Ray Radiation Dose SR
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    report = Dataset()
    report.file_meta = meta
    report.SOPClassUID, report.PatientID = meta.MediaStorageSOPClassUID, "P7"
    report.save_as(tmp_path / "dose.dcm", enforce_file_format=True)
    assert header_facts(image) == (False, "P7") and holds_no_image(image) is False
    assert header_facts(tmp_path / "dose.dcm") == (True, "P7") and holds_no_image(tmp_path / "dose.dcm") is True
