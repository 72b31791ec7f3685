"""Files a PACS or CD export puts beside its images: a DICOMDIR, reports, key objects. They hold no
image, so folder readers skip them (a predict folder, an image folder's class folders) instead of
stopping on them; and an empty file says it is empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MediaStorageDirectoryStorage, generate_uid

from meddx.core.errors import DataError
from meddx.data.imagefolder import load_imagefolder
from meddx.data.inputs import expand_image_inputs
from meddx.data.io import read_image
from tests.unit.data.test_image_io import write_dicom
from tests.unit.data.test_seg_masks import _dicom_file

KEY_OBJECT = "1.2.840.10008.5.1.4.1.1.88.59"  # Key Object Selection Document Storage
DOSE_REPORT = "1.2.840.10008.5.1.4.1.1.88.67"  # X-Ray Radiation Dose SR Storage


def _dicomdir(path: Path) -> Path:
    """A DICOMDIR as a CD export writes it: its SOP class only in the file meta, no pixel data."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.FileSetID = "EXPORT"
    ds.DirectoryRecordSequence = []
    ds.save_as(path, enforce_file_format=True)
    return path


def test_predict_on_a_cd_export_skips_its_dicomdir(tmp_path: Path) -> None:
    export = tmp_path / "cd"
    (export / "PAT1").mkdir(parents=True)
    _dicomdir(export / "DICOMDIR")
    image = write_dicom(export / "PAT1" / "IM0001", np.zeros((6, 8), np.int16))
    assert expand_image_inputs([export], spatial_dims=2) == [image]


def test_predict_skips_a_renamed_dicomdir_by_its_file_meta(tmp_path: Path) -> None:
    (tmp_path / "day").mkdir()
    _dicomdir(tmp_path / "day" / "INDEX.dcm")
    image = write_dicom(tmp_path / "day" / "IM0001", np.zeros((6, 8), np.int16))
    assert expand_image_inputs([tmp_path / "day"], spatial_dims=2) == [image]


def test_class_folders_leave_out_dicom_files_without_an_image(tmp_path: Path) -> None:
    for cls in ("normal", "pneumonia"):
        (tmp_path / cls).mkdir()
        for k in range(2):
            write_dicom(tmp_path / cls / f"IM{k}", np.full((6, 8), k, np.int16))
    _dicomdir(tmp_path / "DICOMDIR")  # at the root, beside the class folders
    _dicomdir(tmp_path / "normal" / "DICOMDIR")
    _dicom_file(tmp_path / "normal" / "ko.dcm", KEY_OBJECT, Modality="KO")
    _dicom_file(tmp_path / "pneumonia" / "dose", DOSE_REPORT, Modality="SR")
    bare = Dataset()  # no preamble, no file meta: its header is read
    bare.SOPClassUID, bare.SOPInstanceUID, bare.Modality = KEY_OBJECT, generate_uid(), "KO"
    bare.save_as(tmp_path / "pneumonia" / "KO0001", implicit_vr=True, little_endian=True, enforce_file_format=False)
    source = load_imagefolder(tmp_path)
    assert source.splits["train"].ids == ["normal/IM0", "normal/IM1", "pneumonia/IM0", "pneumonia/IM1"]
    assert [n for n in source.notes if "outside class folders" in n] == []  # the root DICOMDIR is no stray image
    assert any("ignored 4 DICOM file(s) without an image" in n and "normal/DICOMDIR" in n for n in source.notes)


@pytest.mark.parametrize("name", ["empty.png", "IM0001.dcm", "scan.nii.gz"])
def test_an_empty_file_says_it_is_empty(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.png|IM0001\.dcm|scan\.nii\.gz") as err:
        read_image(tmp_path / name)
    assert "empty file, 0 bytes" in str(err.value) and "\n" not in str(err.value)



def test_a_dicom_cut_inside_its_compressed_pixels_is_named_truncated(tmp_path: Path) -> None:
    """pydicom only warns (several lines) when encapsulated pixel data stops before its end marker,
    and returns no pixels: the file was reported as "DICOM without pixel data"."""
    import warnings

    from pydicom import dcmread
    from pydicom.encaps import encapsulate
    from pydicom.uid import RLELossless

    whole = write_dicom(tmp_path / "whole.dcm", np.zeros((6, 8), np.int16))
    ds = dcmread(whole)
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.PixelData = encapsulate([bytes(200)])
    ds["PixelData"].VR = "OB"
    ds.save_as(whole, enforce_file_format=True)
    raw = whole.read_bytes()
    (tmp_path / "cut.dcm").write_bytes(raw[: len(raw) - 120])  # inside its one fragment
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning reaches the terminal beside the one-line error
        with pytest.raises(DataError, match=r"cut\.dcm: cannot decode image \(the file ends inside its pixel data: "
                                            r"truncated") as err:
            read_image(tmp_path / "cut.dcm")
    assert "\n" not in str(err.value)


def test_a_picture_over_pillows_size_guard_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    """Pillow refuses pictures above twice MAX_IMAGE_PIXELS as "could be decompression bomb DOS attack."
    with no remedy; the error keeps the size and limit and says to downsample."""
    from PIL import Image

    Image.fromarray(np.zeros((6, 8), np.uint8)).save(tmp_path / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # 48 pixels is above twice 10: as 400 MP is above 2 x 89 MP
    with pytest.raises(DataError, match=r"huge\.png: cannot decode image \(Image size \(48 pixels\) exceeds limit of "
                                        r"20 pixels, a guard against decompression bombs\).*downsample it") as err:
        read_image(tmp_path / "huge.png")
    assert "DOS attack" not in str(err.value)
