"""A DICOM header value quoted in a decoding error is withheld in either quotes: Python quotes a
value holding an apostrophe (``O'BRIEN^PAT``) in double quotes, and that name reached the one-line
error of ``predict``, ``train`` and the server whole. An apostrophe inside a word (pydicom's "the
dataset's 'file_meta'") no longer garbles the rest of the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from tests.dicom_slices import write_ct_slice

pytest.importorskip("pydicom")


def _with_slope(path: Path, slope: bytes) -> Path:
    """A CT slice whose RescaleSlope (0028,1053), a DS, holds ``slope`` (any bytes: a misfiled name)."""
    write_ct_slice(path, np.zeros((4, 4), np.int16), series="1.2", number=1, position=[0.0, 0.0, 0.0],
                   spacing=[1.0, 1.0])
    raw = path.read_bytes()
    at = raw.index(b"\x28\x00\x53\x10DS")
    length = int.from_bytes(raw[at + 6:at + 8], "little")
    value = slope + b" " * (len(slope) % 2)
    path.write_bytes(raw[:at + 6] + len(value).to_bytes(2, "little") + value + raw[at + 8 + length:])
    return path


@pytest.mark.parametrize("name", [b"O'BRIEN^PAT", b"DOE^JOHN", b"D'ANGELO\"X"])
def test_a_header_value_in_a_decoding_error_is_withheld(tmp_path: Path, name: bytes) -> None:
    from meddx.data.io import read_image

    path = _with_slope(tmp_path / "slice.dcm", name)
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot decode image (") and "(value withheld)" in message
    assert not any(part in message for part in ("BRIEN", "DOE", "JOHN", "ANGELO")), message


def test_an_apostrophe_inside_a_word_opens_no_quote() -> None:
    from meddx.data.io import _reason

    text = _reason(AttributeError("Unable to decode the pixel data as the dataset's 'file_meta' has no "
                                  "(0002,0010) 'Transfer Syntax UID' element"))
    assert text == ("Unable to decode the pixel data as the dataset's (value withheld) has no "
                    "(0002,0010) 'Transfer Syntax UID' element")
