"""A DICOM file cut off inside its header (an interrupted copy) read as "DICOM without pixel data":
pydicom returns the elements before the cut without a word, and the user went looking for a dose
report instead of a broken copy. A cut inside the file meta, inside the dataset header, inside or
just before the pixel data element, is now named as a truncation, in one line naming the file;
whole files (every shared sample and series slice) are not. Cut copies are written to tmp_path."""

from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.io import read_image
from tests.unit.data.test_image_io import write_dicom

TRUNCATED = r"cannot decode image \(truncated: {size} bytes, the {part} ends mid-element"


def _offsets(data: bytes) -> dict[str, int]:
    """Byte offsets in a DICOM file with a preamble: where its file meta ends, where its first
    dataset element's value starts, where the PixelData element starts."""
    import pydicom
    from pydicom.filereader import data_element_generator

    meta_end = 144 + int.from_bytes(data[140:144], "little")
    syntax = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).file_meta.TransferSyntaxUID
    fp = io.BytesIO(data)
    fp.seek(meta_end)
    elements = list(data_element_generator(fp, syntax.is_implicit_VR, syntax.is_little_endian, defer_size=64))
    pixel = next(e for e in elements if int(e.tag) == 0x7FE00010)
    header = 8 if syntax.is_implicit_VR else 12  # tag, (VR, reserved,) length of an OB/OW element
    return {"meta_end": meta_end, "first_value": elements[2].value_tell, "pixel_tag": pixel.value_tell - header}


def _read(path: Path) -> str:
    with warnings.catch_warnings(), pytest.raises(DataError) as err:
        warnings.simplefilter("ignore")
        read_image(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def test_a_synthetic_file_cut_in_each_part_is_named_truncated(tmp_path: Path) -> None:
    whole = write_dicom(tmp_path / "whole.dcm", np.arange(64, dtype=np.int16).reshape(8, 8)).read_bytes()
    at = _offsets(whole)
    cuts = {"meta": (at["meta_end"] - 10, "file meta"), "header": (at["first_value"] + 3, "header"),
            "before_pixels": (at["pixel_tag"] - 2, "header"),  # inside the element before PixelData
            "pixel_tag": (at["pixel_tag"] + 6, "header"),  # inside PixelData's own tag and length
            "pixels": (len(whole) - 20, "pixel data")}
    for name, (size, part) in cuts.items():
        path = tmp_path / f"{name}.dcm"
        path.write_bytes(whole[:size])
        message = _read(path)
        assert "without pixel data" not in message, name
        assert re.search(TRUNCATED.format(size=size, part=part), message), (name, message)
        assert message.endswith("expected a whole DICOM file: copy or export it again")
    path = tmp_path / "after_meta.dcm"
    path.write_bytes(whole[:at["meta_end"]])
    assert f"(truncated: {at['meta_end']} bytes, the file ends after its file meta" in _read(path)


def test_a_header_ending_exactly_before_its_pixels_says_both_causes(tmp_path: Path) -> None:
    whole = write_dicom(tmp_path / "whole.dcm", np.zeros((4, 4), np.int16)).read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(whole[:_offsets(whole)["pixel_tag"]])
    message = _read(path)
    assert "DICOM without pixel data, modality MR, although its header describes a 4x4 image: cut off just " \
           f"before its pixels at {path.stat().st_size} bytes, or exported without them" in message


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm"])
def test_shared_samples_cut_in_the_meta_the_header_and_before_the_pixels(shared_data: Path, tmp_path: Path,
                                                                         name: str) -> None:
    whole = (shared_data / "dicom-samples" / name).read_bytes()
    at = _offsets(whole)
    for size, part in ((at["meta_end"] - 7, "file meta"), (at["first_value"] + 1, "header"),
                       (at["pixel_tag"] - 1, "header"), (at["pixel_tag"] + 4, "header")):
        path = tmp_path / f"{size}.dcm"
        path.write_bytes(whole[:size])
        message = _read(path)
        assert f"(truncated: {size} bytes, the {part} ends mid-element" in message, message


@pytest.mark.realdata
def test_every_shared_file_whole_is_not_called_truncated(shared_data: Path) -> None:
    from meddx.data.dicom_cut import cut_reason

    files = sorted((shared_data / "dicom-samples").glob("*.dcm")) + sorted(
        (shared_data / "dicom-mr-series").rglob("*.dcm"))
    assert len(files) > 30
    assert [f.name for f in files if cut_reason(f)] == []


@pytest.mark.realdata
def test_a_series_slice_cut_before_its_series_uid_is_not_called_a_second_series(shared_data: Path,
                                                                                tmp_path: Path) -> None:
    source = next(p.parent for p in sorted((shared_data / "dicom-mr-series").rglob("*.dcm")))
    folder = tmp_path / "series"
    shutil.copytree(source, folder)
    victim = sorted(folder.glob("*.dcm"))[3]
    victim.chmod(0o644)
    whole = victim.read_bytes()
    victim.write_bytes(whole[:_offsets(whole)["meta_end"] + 40])  # was: "holds 2 DICOM series"
    with warnings.catch_warnings(), pytest.raises(DataError) as err:
        warnings.simplefilter("ignore")
        read_image(folder)
    assert str(err.value).startswith(f"{victim}: cannot decode image (truncated: ")
    victim.write_bytes(whole[:len(whole) - 100])  # inside the pixels: was pydicom's multi-clause message
    with warnings.catch_warnings(), pytest.raises(DataError, match=r"\(truncated: \d+ bytes, the pixel data ends"):
        warnings.simplefilter("ignore")
        read_image(folder)
