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


def _in_series(data: bytes, uid: str = "1.2.3.4") -> bytes:
    """A DICOM file's bytes with its SeriesInstanceUID set to ``uid``."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(data))
    ds.SeriesInstanceUID = uid
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_neutral_names_follow_the_name_order_and_the_folder_is_removed(tmp_path: Path) -> None:
    dcm = _in_series(dicom_bytes(np.zeros((4, 4))))  # in several folders: one series by its header
    entries = {"b/IM10.dcm": dcm, "a/IM2.DCM": dcm, "IM1": dcm, "__MACOSX/._IM1": b"\x00", ".hidden": b"x",
               "x/DICOMDIR": b"x", "notes.txt": b"hello"}
    with series_folder(_zip(entries), ZipLimits()) as extracted:
        folder = extracted.folder
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["00001", "00002.dcm", "00003.dcm", "00004.txt"]  # IM1, IM10, IM2 as str sorts them
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert not folder.exists()


def test_one_series_split_across_folders_is_one_series() -> None:
    """An export that splits a long series into folders: one series by header, read as one."""
    slices = {f"PAT_DOE/part{k % 2}/IM{k}.dcm": _in_series(dicom_bytes(np.full((4, 4), k))) for k in range(6)}
    with series_folder(_zip(slices), ZipLimits()) as extracted:
        assert len(extracted.names) == 6


def test_several_series_are_refused_naming_their_folders_by_rank() -> None:
    slices = {f"PAT_DOE/series_{'AB'[k % 2]}/IM{k}.dcm": _in_series(dicom_bytes(np.zeros((4, 4))), f"1.2.3.{k % 2}")
              for k in range(5)}
    problem = _refused(_zip(slices))
    assert (problem.status, problem.slug) == (422, "several-series"), problem.detail
    assert "3 in folder #1; 2 in folder #2" in problem.detail and "one series per request" in problem.detail
    assert "PAT_DOE" not in problem.detail and "series_" not in problem.detail and "1.2.3" not in problem.detail


def test_slices_without_a_series_uid_in_several_folders_are_refused() -> None:
    """``meddx predict`` reads each folder as a series: without UIDs, nothing shows them to be one."""
    slices = {"IM0.dcm": dicom_bytes(np.zeros((4, 4))), **{f"b/IM{k}.dcm": dicom_bytes(np.zeros((4, 4)))
                                                             for k in range(1, 3)}}
    problem = _refused(_zip(slices))
    assert (problem.status, problem.slug) == (422, "several-series"), problem.detail
    assert "sit in 2 folders (1 in the top level; 2 in folder #1)" in problem.detail, problem.detail
    with series_folder(_zip({f"b/IM{k}.dcm": dicom_bytes(np.zeros((4, 4))) for k in range(3)}), ZipLimits()):
        pass  # in one folder, as meddx predict reads that folder
