"""``serving.series_zip`` on its own: what a DICOM series ZIP may hold, checked before and while it
is unpacked (the served answers are in tests/integration/test_serving_dicom_series.py)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from meddx.serving.problems import Problem
from meddx.serving.series_zip import ZipLimits, check_zip, series_folder
from tests.unit.serving.serving_samples import dicom_bytes


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _encrypted(data: bytes) -> bytes:
    """``data`` with its first entry flagged encrypted (general purpose bit 0) in its directory entry."""
    out = bytearray(data)
    central = out.find(b"PK\x01\x02")
    out[central + 8] |= 0x1
    return bytes(out)


def _refused(data: bytes, limits: ZipLimits | None = None) -> Problem:
    with pytest.raises(Problem) as caught:
        with series_folder(data, limits or ZipLimits()):
            pass
    return caught.value


def _multi_frame() -> bytes:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(np.zeros((4, 4)))))
    ds.NumberOfFrames = 3
    ds.PixelData = bytes(48)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _rtstruct() -> bytes:
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(np.zeros((4, 4)))))
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.Modality = "RTSTRUCT"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


@pytest.mark.parametrize(("entries", "status", "slug", "words"), [
    ({"inner.zip": _zip({"a.dcm": b"x"})}, 415, "unsupported-media-type", "1 ZIP archive file(s)"),
    ({}, 415, "unsupported-media-type", "no files"),
    ({"/".join(["d"] * 13) + "/a.dcm": b"x"}, 422, "unsafe-zip", "13 folders deep"),
    ({"mf.dcm": _multi_frame()}, 422, "multi-frame-in-zip", "3 frames"),
    ({"rt.dcm": _rtstruct()}, 422, "no-dicom-images", "modality RTSTRUCT"),
    ({"broken.dcm": b"\x00" * 128 + b"DICM" + b"\xff" * 8}, 422, "malformed-image", "file #1"),
])
def test_what_a_series_zip_may_not_hold_is_a_problem(entries: dict[str, bytes], status: int, slug: str,
                                                     words: str) -> None:
    problem = _refused(_zip(entries))
    assert (problem.status, problem.slug) == (status, slug) and words in problem.detail, problem.detail


def test_an_encrypted_entry_is_refused_from_the_directory() -> None:
    with pytest.raises(Problem) as caught:
        check_zip(_encrypted(_zip({"a.dcm": b"x"})), ZipLimits())
    assert caught.value.slug == "unsafe-zip" and "encrypted" in caught.value.detail


def test_the_series_voxels_count_against_the_limit_from_the_headers() -> None:
    slices = {f"s{i}.dcm": dicom_bytes(np.zeros((8, 8))) for i in range(4)}  # 4 x 8 x 8 = 256 voxels
    problem = _refused(_zip(slices), ZipLimits(max_voxels=255))
    assert (problem.status, problem.slug) == (413, "image-too-large") and "256" in problem.detail


def test_neutral_names_follow_the_name_order_and_the_folder_is_removed(tmp_path: Path) -> None:
    dcm = dicom_bytes(np.zeros((4, 4)))
    entries = {"b/IM10.dcm": dcm, "a/IM2.DCM": dcm, "IM1": dcm, "__MACOSX/._IM1": b"\x00", ".hidden": b"x",
               "x/DICOMDIR": b"x", "notes.txt": b"hello"}
    with series_folder(_zip(entries), ZipLimits()) as extracted:
        folder = extracted.folder
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["00001", "00002.dcm", "00003.dcm", "00004.txt"]  # IM1, IM10, IM2 as str sorts them
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert not folder.exists()
