"""DICOM VOI with known answers: projection X-ray (DX, CR...) is read through its window or VOI
LUT, as the viewer shows it, MONOCHROME1 inverted after it; CT keeps Hounsfield units whatever
window it records; an unusable window is a one-line error naming the file and its fields."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from meddx.core.errors import DataError
from meddx.data.io import read_image
from meddx.transforms.image import ImagePreprocessor

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def write_xray(path: Path, pixels: np.ndarray, *, modality: str = "DX", photometric: str = "MONOCHROME2",
               bits_stored: int = 12, **attrs: object) -> Path:
    """One unsigned 16-bit-container image of ``modality`` holding ``pixels``, with ``attrs``."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_STORAGE if modality == "CT" else DX_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID = modality, generate_uid()
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits_stored, bits_stored - 1, 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def _picture() -> np.ndarray:
    pic = np.tile(np.linspace(0, 255, 32).round().astype(np.uint8), (32, 1))
    pic[8:16, 8:16] = 200
    return pic


def _detector(pic: np.ndarray) -> np.ndarray:
    """Raw detector values: the picture's 0..255 in 1000..2000, far corners at 300 and 3500
    (outside the window: collimator and direct exposure)."""
    raw = np.round(1000 + pic.astype(np.float64) * 1000 / 255).astype(np.uint16)
    raw[0, 0], raw[-1, -1] = 300, 3500
    return raw


def test_dx_window_gives_the_viewer_picture_and_its_8_bit_png_model_input(tmp_path: Path) -> None:
    pic = _picture()
    path = write_xray(tmp_path / "cxr.dcm", _detector(pic), WindowCenter=1500, WindowWidth=1001)
    out = read_image(path).array
    assert out.dtype == np.uint16 and getattr(out, "value_max", None) == 4095.0
    assert int(out[0, 0, 0]) == 0 and int(out[0, -1, -1]) == 4095  # clipped by the window
    # LINEAR window (PS3.3 C.11.2.1.2.1): c = 1500, w = 1001 -> ((v - 1499.5) / 1000 + 0.5) * 4095
    v = _detector(pic)[1:, 1:-1].astype(np.float64)
    np.testing.assert_array_equal(out[0, 1:, 1:-1], np.round(np.clip(((v - 1499.5) / 1000 + 0.5) * 4095, 0, 4095)))
    png = tmp_path / "cxr.png"  # what a viewer exports at that window, 8 bits
    shown = pic.copy()
    shown[0, 0], shown[-1, -1] = 0, 255
    Image.fromarray(shown).save(png)
    pre = ImagePreprocessor((32, 32), 1).fit([read_image(png).array])  # 8-bit training images: /255
    np.testing.assert_allclose(pre.transform(out), pre.transform(read_image(png).array), atol=0.02)


def test_monochrome1_dx_is_inverted_after_its_window(tmp_path: Path) -> None:
    pic = _picture()
    m2 = read_image(write_xray(tmp_path / "m2.dcm", _detector(pic), WindowCenter=1500, WindowWidth=1001)).array
    m1 = read_image(write_xray(tmp_path / "m1.dcm", _detector(pic), photometric="MONOCHROME1",
                               WindowCenter=1500, WindowWidth=1001)).array
    np.testing.assert_array_equal(m1.astype(np.int64), 4095 - m2.astype(np.int64))
    assert int(m1[0, 0, 0]) == 4095  # below the window: white in MONOCHROME1


def test_dx_voi_lut_sequence_is_applied_in_its_bit_depth(tmp_path: Path) -> None:
    item = Dataset()
    item.add_new(0x00283002, "US", [4096, 0, 8])  # LUTDescriptor: 4096 entries from 0, 8 bits out
    item.add_new(0x00283006, "US", [int(v) for v in np.arange(4096) // 16])  # LUTData
    raw = np.array([[0, 15, 16, 4000], [100, 2048, 4095, 160]], dtype=np.uint16)
    path = write_xray(tmp_path / "lut.dcm", raw, modality="CR", VOILUTSequence=Sequence([item]),
                      WindowCenter=100, WindowWidth=10)  # both: the LUT wins, as in pydicom
    out = read_image(path).array
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0], raw // 16)


def test_ct_keeps_hounsfield_units_whatever_window_it_records(tmp_path: Path) -> None:
    raw = np.array([[0, 1024, 1064], [2024, 3000, 24]], dtype=np.uint16)
    path = write_xray(tmp_path / "ct.dcm", raw, modality="CT", RescaleSlope=1, RescaleIntercept=-1024,
                      WindowCenter=40, WindowWidth=80)
    np.testing.assert_array_equal(read_image(path).array[0], raw.astype(np.float32) - 1024)


def test_dx_with_an_unusable_window_is_refused_naming_the_file_and_fields(tmp_path: Path) -> None:
    path = write_xray(tmp_path / "bad.dcm", _detector(_picture()), WindowCenter=1500, WindowWidth=0)
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert "bad.dcm" in message and "WindowWidth '0" in message and "\n" not in message


def test_an_image_folder_of_dx_files_trains_on_the_windowed_picture(tmp_path: Path) -> None:
    from meddx.data.imagefolder import load_imagefolder

    for label in ("normal", "pneumonia"):
        (tmp_path / "cxr" / label).mkdir(parents=True)
        for k in range(3):
            write_xray(tmp_path / "cxr" / label / f"{k}.dcm", _detector(_picture()),
                       WindowCenter=1500, WindowWidth=1001)
    source = load_imagefolder(tmp_path / "cxr")
    image = source.get_image("train", 0)  # what training decodes; `meddx predict` calls the same read_image
    assert getattr(image, "value_max", None) == 4095.0
    assert (int(image[0, 0, 0]), int(image[0, -1, -1])) == (0, 4095)  # detector 300 and 3500, clipped by the window
    path = source.split("train").paths[0]  # type: ignore[index]
    np.testing.assert_array_equal(image, read_image(path).array)
