"""A file of another kind given to a table bundle (an image, a volume, a UTF-16 export) is refused
naming what it is.

Found by a walk through docs/tabular.md as a hospital user (helper "walk", stop 48): ``meddx
predict TABLE_BUNDLE x.png`` said "x.png: byte offset 0 (line 1) is not valid UTF-8; re-encode the
file as UTF-8 (e.g. iconv -f latin1 -t utf-8)", and so did a UTF-16 export, which that iconv
command would garble. (Parquet files and workbooks: test_tabular_binary_rows.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from meddx.bundle import load_bundle
    return load_bundle(tiny_table_bundle(tmp_path_factory.mktemp("other_files")))


@pytest.mark.parametrize("name,data,what", [
    ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x1c", "a PNG image"),
    ("x.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\xff", "a JPEG image"),
    ("x.dcm", b"\x00" * 128 + b"DICM\x02\x00\x00\x00UL\xff", "a DICOM file"),
    ("x.nii", b"\x5c\x01\x00\x00" + b"\x00" * 340 + b"n+1\x00" + b"\xff" * 8, "a NIfTI volume"),
    ("x.npz", b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\xff" * 20, "a NumPy .npz archive"),
])
def test_an_image_or_volume_is_refused_naming_what_it_is(  # type: ignore[no-untyped-def]
        predictor, tmp_path: Path, name: str, data: bytes, what: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        predictor.predict_files([path])
    message = str(info.value)
    assert message.startswith(f"{path}: {what}, not a text table") and "CSV/TSV text" in message, message
    assert "UTF-8" not in message and "iconv" not in message


def test_a_utf16_table_is_refused_asking_for_utf8_from_utf16(predictor, tmp_path: Path) -> None:  # type: ignore
    path = tmp_path / "rows.csv"
    path.write_bytes("id,marker,bp\nx,0.3,118\n".encode("utf-16"))
    with pytest.raises(DataError, match=r"rows\.csv: UTF-16 text .*iconv -f utf-16 -t utf-8\)$"):
        predictor.predict_files([path])


def test_a_text_table_with_dicm_at_byte_128_is_still_a_table(predictor, tmp_path: Path) -> None:  # type: ignore
    path = tmp_path / "rows.csv"
    header = "id,marker,bp\n"
    row = "x" * (128 - len(header)) + "DICM,0.3,118\n"  # text, no DICOM preamble of zero bytes
    path.write_text(header + row)
    assert len(predictor.predict_files([path])) == 1
