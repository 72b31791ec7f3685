"""A file meddx does not read as an image says what it is, not only "unrecognised".

``meddx predict BUNDLE photo.gif`` (or a WebP/HEIC from a phone, a GIF renamed ``.dat``) said
"cannot decode image (unrecognised content and extension)", which reads as a damaged file; the
image folder reader already named such files by format. A document, a table or a NumPy array
given to an image bundle (``meddx predict BUNDLE note.txt``) is named as such; a file of no known
kind stays "unrecognised".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.io import read_image, unread_format


@pytest.mark.parametrize(("name", "fmt", "pil"), [("x.gif", "GIF", "GIF"), ("x.webp", "WebP", "WEBP"),
                                                  ("x.pgm", "PGM", "PPM"), ("scan.dat", "GIF", "GIF")])
def test_unread_picture_is_named_by_format(tmp_path: Path, name: str, fmt: str, pil: str) -> None:
    path = tmp_path / name
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(path, format=pil)
    assert unread_format(path) == fmt
    with pytest.raises(DataError) as err:
        read_image(path)
    assert str(err.value) == (f"{path}: cannot decode image (a {fmt} picture, a format meddx does not read); "
                              "expected PNG/JPEG/DICOM/NIfTI: convert it to PNG")


def test_heic_named_by_its_box_and_text_stays_unrecognised(tmp_path: Path) -> None:
    heic = tmp_path / "IMG_0001.bin"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32)
    assert unread_format(heic) == "HEIC"
    note = tmp_path / "P2 note.md"
    note.write_text("P2 was seen on the ward\n")  # starts like a PGM header's magic, but is text
    assert unread_format(note) is None
    with pytest.raises(DataError, match=r"unrecognised content and extension"):
        read_image(note)


@pytest.mark.parametrize(("name", "why"), [
    ("note.txt", "unrecognised as an image: a .txt file holds text or a table, which a text or table bundle reads"),
    ("labs.CSV", "unrecognised as an image: a .csv file holds text or a table, which a text or table bundle reads"),
    ("pneumoniamnist.npz",
     "a NumPy .npz array file, not an image file: give a MedMNIST .npz as a data source, -d FILE"),
])
def test_document_or_array_given_as_an_image_is_named(tmp_path: Path, name: str, why: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"text,label\nfever,a\n")
    with pytest.raises(DataError) as err:
        read_image(path)
    assert str(err.value) == f"{path}: cannot decode image ({why}); expected PNG/JPEG/DICOM/NIfTI"
