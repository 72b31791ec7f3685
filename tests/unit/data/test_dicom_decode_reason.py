"""A corrupt compressed DICOM names the decoder's actual error, not pydicom's bare heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.io import _reason, read_image


def _corrupt(path: Path, syntax: str) -> Path:
    """An 8x8 8-bit image whose encapsulated pixel data is garbage, in the given transfer syntax."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Rows = ds.Columns = 8
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PatientName = "Doe^Jane"
    ds.PixelData = encapsulate([b"\xff\xd8\xff\x00garbage" * 3])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize(("syntax", "plugin"), [("1.2.840.10008.1.2.4.50", "pillow: cannot identify image file"),
                                                ("1.2.840.10008.1.2.5", "pydicom: The RLE header")])
def test_corrupt_compressed_dicom_names_the_plugin_error(tmp_path: Path, syntax: str, plugin: str) -> None:
    """Found by a docs walk: the message ended "(Unable to decode as exceptions were raised by all
    available plugins:)", pydicom's heading with the plugin's error cut off after the colon."""
    with pytest.raises(DataError) as info:
        read_image(_corrupt(tmp_path / "bad.dcm", syntax))
    message = str(info.value)
    assert f"plugins: {plugin}" in message, message
    assert "\n" not in message and ":)" not in message and "object at 0x" not in message
    assert "Doe" not in message


def test_only_the_first_informative_line_is_kept() -> None:
    """Lines after the first plugin error are dropped: they may quote header values."""
    exc = RuntimeError("Unable to decode as exceptions were raised by all available plugins:\n"
                       "  pillow: cannot identify image file <_io.BytesIO object at 0x7f00ab12>\n"
                       "  other: PatientName 'Doe^Jane' is odd")
    assert _reason(exc) == ("Unable to decode as exceptions were raised by all available plugins: pillow: cannot "
                            "identify image file")
    assert _reason(RuntimeError("one line\nsecond line")) == "one line"
    assert _reason(RuntimeError("")) == "RuntimeError"


def test_dicom_seg_decode_errors_name_the_plugins_error_too() -> None:
    """DICOM-SEG decoding kept its own copy of the old one-line reason, which ended at the colon."""
    from meddx.data.seg_dicom import _reason as seg_reason

    exc = RuntimeError("Unable to decode as exceptions were raised by all available plugins:\n"
                       "  pydicom: The RLE header can only be 64 bytes long\n  PatientName: DOE^JANE")
    assert seg_reason(exc) == _reason(exc)
    assert "RLE header" in seg_reason(exc) and "DOE" not in seg_reason(exc)
