"""DICOM is told by its content, never its name (PACS exports name files ``IM0001``, ``.IMA`` or a
picture's ``.png``): a DICOM without preamble named ``scan.png`` is read as DICOM, a file written
without file meta decodes its pixels, a Siemens ``.IMA`` is an image file, a folder or manifest of
DICOM files named ``.png`` gives its PatientIDs (and skips a SEG among them), and a SEG given where
an image is expected is refused in one line naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from tests.dicom_slices import write_ct_slice

pydicom = pytest.importorskip("pydicom")

PLANE = (np.arange(64, dtype=np.int16).reshape(8, 8) * 7 + 100)
HU = PLANE.astype(np.float32) - 1024  # write_ct_slice's rescale: intercept -1024


def _slice(path: Path, plane: np.ndarray = PLANE, patient: str | None = None) -> Path:
    out = write_ct_slice(path, plane, series="1.2.3", number=1, position=[0.0, 0.0, 0.0], spacing=[0.5, 0.5])
    if patient is not None:
        ds = pydicom.dcmread(out)
        ds.PatientID = patient
        ds.save_as(out, enforce_file_format=True)
    return out


def _bare(src: Path, dst: Path, *, implicit: bool) -> Path:
    """``src`` written again without preamble and file meta (no transfer syntax recorded)."""
    ds = pydicom.dcmread(src)
    ds.preamble = None
    del ds.file_meta
    ds.save_as(dst, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
    assert dst.read_bytes()[128:132] != b"DICM" and dst.read_bytes()[:2] == b"\x08\x00"
    return dst


def _seg(path: Path) -> Path:
    """A one-frame DICOM segmentation (SOP class Segmentation Storage) whose frame is a 0/1 mask."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SegmentationStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = SegmentationStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = SegmentationStorage, meta.MediaStorageSOPInstanceUID, "SEG"
    ds.PatientID = "P-SEG"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 8, 8, 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = (PLANE > 300).astype(np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


# ------------------------------------------------------------------------------ single files
@pytest.mark.parametrize("name", ["scan.png", "scan.jpg", "scan.tif"])
def test_dicom_without_preamble_named_as_a_picture_is_read_as_dicom(tmp_path: Path, name: str) -> None:
    from meddx.data.io import detect_kind, is_image_file, read_image

    raw = _slice(tmp_path / "full.dcm").read_bytes()
    (tmp_path / name).write_bytes(raw[132:])  # a viewer's export: no preamble, group 0002 first
    assert detect_kind(tmp_path / name) == "dicom" and is_image_file(tmp_path / name)
    loaded = read_image(tmp_path / name)
    np.testing.assert_array_equal(loaded.array[0], HU)
    assert loaded.spacing == pytest.approx((0.5, 0.5))


@pytest.mark.parametrize("implicit", [True, False])
@pytest.mark.parametrize("name", ["IM0001", "scan.png"])
def test_a_file_without_file_meta_decodes_its_pixels(tmp_path: Path, implicit: bool, name: str) -> None:
    """No preamble and no group 0002: the transfer syntax is the encoding the file was parsed with."""
    from meddx.data.io import read_image

    bare = _bare(_slice(tmp_path / "full.dcm"), tmp_path / name, implicit=implicit)
    np.testing.assert_array_equal(read_image(bare).array[0], HU)


@pytest.mark.parametrize("parsed", [False, True])
def test_a_series_of_slices_without_file_meta_reads_as_a_volume(tmp_path: Path, parsed: bool) -> None:
    """Slices written without file meta and named ``.png``, read from disk or from datasets a caller parsed
    (the server's series ZIP passes those), stack to the series."""
    from meddx.data.io import read_image

    (tmp_path / "series").mkdir()
    for k in range(3):
        src = write_ct_slice(tmp_path / f"{k}.dcm", PLANE + 100 * k, series="1.2.3", number=k + 1,
                             position=[0.0, 0.0, 2.0 * k], spacing=[0.5, 0.5])
        _bare(src, tmp_path / "series" / f"slice{k}.png", implicit=k % 2 == 0)
    headers = {f.name: pydicom.dcmread(f, force=True) for f in (tmp_path / "series").iterdir()} if parsed else None
    loaded = read_image(tmp_path / "series", None, headers=headers)
    np.testing.assert_array_equal(loaded.array[0], np.stack([HU + 100 * k for k in range(3)]))
    assert loaded.spacing == pytest.approx((2.0, 0.5, 0.5))


@pytest.mark.parametrize("name", ["IM0001.IMA", "export.img", "1.2.840.113619.2.55.3.dcm.bak"])
def test_dicom_under_any_extension_is_an_image_file(tmp_path: Path, name: str) -> None:
    from meddx.data.io import is_image_file, read_image

    path = tmp_path / name
    path.write_bytes(_slice(tmp_path / "full.dcm").read_bytes())
    assert is_image_file(path)
    np.testing.assert_array_equal(read_image(path).array[0], HU)


def test_other_files_under_other_extensions_stay_out(tmp_path: Path) -> None:
    """Guard: a picture under a backup name, a text file and a headerless file of other bytes are no inputs."""
    from PIL import Image

    from meddx.data.io import is_image_file

    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "scan.png")
    (tmp_path / "scan.png.bak").write_bytes((tmp_path / "scan.png").read_bytes())
    (tmp_path / "notes.txt").write_text("not an image\n")
    (tmp_path / "blob.ima").write_bytes(b"\x08\x00" + bytes(range(200)))
    assert [is_image_file(tmp_path / n) for n in ("scan.png.bak", "notes.txt", "blob.ima")] == [False] * 3


def test_a_png_named_dcm_and_a_text_named_png_keep_their_answers(tmp_path: Path) -> None:
    """Guard: the content decides the other way too, and a file that is neither gives today's one line."""
    from PIL import Image

    from meddx.data.io import read_image

    Image.fromarray(PLANE.astype(np.uint8)).save(tmp_path / "x.png")
    (tmp_path / "x.dcm").write_bytes((tmp_path / "x.png").read_bytes())
    np.testing.assert_array_equal(read_image(tmp_path / "x.dcm").array[0], PLANE.astype(np.uint8))
    (tmp_path / "t.png").write_text("Patient: Jane Doe\n")
    with pytest.raises(DataError) as err:
        read_image(tmp_path / "t.png")
    assert str(err.value).startswith(f"{tmp_path / 't.png'}: cannot decode image") and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["seg.dcm", "seg.png", "SEG0001"])
def test_a_segmentation_given_for_an_image_is_refused_naming_the_file(tmp_path: Path, name: str) -> None:
    from meddx.data.io import read_image

    path = _seg(tmp_path / name)
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot decode image (a DICOM Segmentation Storage object, modality SEG")
    assert "give the image it was drawn on" in message and "\n" not in message and "P-SEG" not in message


# ------------------------------------------------------------------------------ folders and manifests
def _png_named_folder(root: Path) -> Path:
    """train/val/test x {a,b} of DICOM slices (random content) named ``.png``, one patient each but
    P00, on train and test."""
    k, rng = 0, np.random.default_rng(0)
    for split, n in (("train", 2), ("val", 2), ("test", 2)):
        for cls in ("a", "b"):
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                k += 1
                plane = rng.integers(0, 2000, (8, 8)).astype(np.int16)
                patient = "P00" if (split, cls, i) in (("train", "a", 0), ("test", "b", 0)) else f"P{k:02d}"
                src = _slice(root / "tmp.dcm", plane, patient=patient)
                src.rename(root / split / cls / f"im{k}.png")
    return root


def test_a_folder_of_dicoms_named_png_gives_patient_ids_and_skips_a_seg(tmp_path: Path) -> None:
    from meddx.data.sources import load_source

    root = _png_named_folder(tmp_path / "export")
    _seg(root / "train" / "a" / "mask.png")
    source = load_source(root)
    ids = [pid for data in source.splits.values() for pid in (data.patient_ids or [])]
    assert len(ids) == 12 and "P00" in ids
    assert not any("mask.png" in str(p) for data in source.splits.values() for p in data.paths)
    assert any(n.startswith("patient ids read from DICOM PatientID") for n in source.notes)
    assert not any("P00" in n or "P01" in n for n in source.notes)  # notes count, never name


def test_a_manifest_of_dicoms_named_png_gives_patient_ids(tmp_path: Path) -> None:
    from meddx.data.dicom_patients import dicom_patient_ids

    root = _png_named_folder(tmp_path / "export")
    paths = sorted(str(p) for p in root.rglob("*.png"))
    ids, note = dicom_patient_ids(paths)
    assert ids is not None and len(ids) == 12 and ids.count("P00") == 2
    assert note == "patient ids read from DICOM PatientID (11 patients)"


def test_a_manifest_of_real_pngs_opens_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard (cost): once one PNG-named file is a PNG, the others named so are counted by their name."""
    from PIL import Image

    import meddx.data.io as io
    from meddx.data.dicom_patients import dicom_patient_ids

    paths = []
    for i in range(30):
        Image.fromarray(np.full((8, 8), i, np.uint8)).save(tmp_path / f"x{i}.png")
        paths.append(str(tmp_path / f"x{i}.png"))
    calls = []
    real = io.detect_kind
    monkeypatch.setattr(io, "detect_kind", lambda p: calls.append(p) or real(p))
    assert dicom_patient_ids(paths) == (None, None)
    assert calls == [paths[0]]
