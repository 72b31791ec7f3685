"""DICOM intensities and geometry with known answers: bit depth, MONOCHROME1, series gaps and
repeats, non-image objects in a series folder, enhanced multi-frame functional groups,
extension-less files without a preamble, and validation carving over series folders."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from meddx.core.errors import DataError
from meddx.data.io import detect_kind, is_image_file, read_image
from meddx.transforms.image import ImagePreprocessor

RT_STRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
ENHANCED_MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"


def _dataset(pixels: np.ndarray, sop_class: str = MRImageStorage, series: str = "1.2.3.4.5") -> Dataset:
    """A minimal image dataset holding ``pixels`` (``(H, W)`` or frames first) at full bit depth."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID = "MR", series
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = pixels.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    ds.PixelData = pixels.tobytes()
    return ds


def write_slice(path: Path, pixels: np.ndarray, *, z: float | None = None, photometric: str = "MONOCHROME2",
                bits_stored: int | None = None, series: str = "1.2.3.4.5") -> Path:
    """One slice of series ``series`` at position ``(0, 0, z)`` (axial), 0.5 x 0.7 mm pixels."""
    ds = _dataset(pixels, series=series)
    ds.PhotometricInterpretation = photometric
    ds.PixelSpacing = [0.5, 0.7]
    if bits_stored is not None:
        ds.BitsStored, ds.HighBit = bits_stored, bits_stored - 1
    if z is not None:
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.ImagePositionPatient = [0.0, 0.0, float(z)]
        ds.SliceThickness = 3.0
    ds.save_as(path, enforce_file_format=True)
    return path


def write_series(folder: Path, zs: list[float], **kwargs: object) -> Path:
    """Slice ``k`` (file ``k.dcm``, all pixels ``k``) at position ``zs[k]``."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, z in enumerate(zs):
        write_slice(folder / f"{k}.dcm", np.full((4, 5), k, np.int16), z=z, **kwargs)  # type: ignore[arg-type]
    return folder


def _picture() -> np.ndarray:
    pic = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (32, 1))
    pic[8:16, 8:16] = 200
    return pic


# ------------------------------------------------------------------------------ intensities
def test_12_bit_dicom_gives_the_model_input_of_the_same_8_bit_png(tmp_path: Path) -> None:
    pic = _picture()
    Image.fromarray(pic).save(tmp_path / "pic.png")
    v12 = np.round(pic.astype(np.float64) * 4095 / 255).astype(np.uint16)
    write_slice(tmp_path / "pic12.dcm", v12, bits_stored=12)
    png, dcm = read_image(tmp_path / "pic.png").array, read_image(tmp_path / "pic12.dcm").array
    assert dcm.dtype == np.uint16 and int(dcm.max()) == 4095
    pre = ImagePreprocessor((32, 32), 1).fit([png])  # 8-bit training images: 'dtype' scaling, /255
    assert pre.scaling_ == "dtype"
    assert float(pre._scale(dcm).max()) == pytest.approx(1.0)
    np.testing.assert_allclose(pre.transform(dcm), pre.transform(png), atol=2e-3)  # 12-bit rounding only


def test_rescaled_dicom_keeps_float_scaling_and_full_depth_integers_their_dtype(tmp_path: Path) -> None:
    pic = _picture()
    ds = _dataset(pic.astype(np.uint16))
    ds.BitsStored, ds.HighBit, ds.RescaleSlope, ds.RescaleIntercept = 12, 11, 2.0, -100.0
    ds.save_as(tmp_path / "ct.dcm", enforce_file_format=True)
    ct = read_image(tmp_path / "ct.dcm").array
    assert ct.dtype == np.float32 and not hasattr(ct, "value_max")  # HU-like values: no bit depth
    np.testing.assert_allclose(ct[0], pic * 2.0 - 100)
    write_slice(tmp_path / "full.dcm", (pic.astype(np.uint16) * 257))  # BitsStored 16: the dtype's max
    pre = ImagePreprocessor((32, 32), 1).fit([pic[None]])
    full = read_image(tmp_path / "full.dcm").array
    np.testing.assert_allclose(pre.transform(full), pre.transform(pic[None]), atol=1e-5)


def test_monochrome1_8_bit_file_reads_as_the_picture(tmp_path: Path) -> None:
    pic = np.tile(np.linspace(10, 200, 32).astype(np.uint8), (32, 1))
    out = read_image(write_slice(tmp_path / "m1.dcm", (255 - pic).astype(np.uint8), photometric="MONOCHROME1"))
    assert out.array.dtype == np.uint8
    np.testing.assert_array_equal(out.array[0], pic)


def test_monochrome1_series_inverts_every_slice_with_one_constant(tmp_path: Path) -> None:
    folder = tmp_path / "series"
    folder.mkdir()
    for k in range(3):
        a = np.full((4, 5), 100, np.uint16)
        a[0, 0] = 100 + 20 * k  # a different range per slice
        write_slice(folder / f"{k}.dcm", a, z=float(k), photometric="MONOCHROME1", bits_stored=12)
    vol = read_image(folder, None).array[0]  # stored order: row 0, column 0 as written (RAS flips both)
    assert [int(vol[k, 1, 1]) for k in range(3)] == [4095 - 100] * 3
    assert [int(vol[k, 0, 0]) for k in range(3)] == [3995, 3975, 3955]


# ----------------------------------------------------------------------------- series geometry
def test_series_with_a_missing_slice_is_refused_naming_the_gap(tmp_path: Path) -> None:
    folder = write_series(tmp_path / "gap", [0, 1, 2, 4, 5])
    with pytest.raises(DataError) as err:
        read_image(folder)
    message = str(err.value)
    assert "\n" not in message and str(folder) in message
    assert "uneven slice positions" in message and "from 2 to 4" in message and "2.dcm and 3.dcm" in message


def test_series_with_a_repeated_position_is_refused_naming_the_duplicates(tmp_path: Path) -> None:
    folder = write_series(tmp_path / "dup", [0, 1, 1, 2])
    with pytest.raises(DataError) as err:
        read_image(folder)
    message = str(err.value)
    assert "\n" not in message and str(folder) in message
    assert "repeated slice position" in message and "1.dcm and 2.dcm at 1 mm" in message


def test_series_tolerates_float_jitter_in_positions(tmp_path: Path) -> None:
    out = read_image(write_series(tmp_path / "jitter", [0.0, 2.5000004, 4.9999997, 7.5, 10.0000002]))
    assert out.array.shape == (1, 5, 4, 5)
    assert out.spacing is not None and out.spacing[0] == pytest.approx(2.5, abs=1e-5)


def test_series_folder_skips_a_structure_set_exported_with_it(tmp_path: Path) -> None:
    folder = write_series(tmp_path / "series", [0, 1, 2])
    rt = Dataset()
    rt.file_meta = FileMetaDataset()
    rt.file_meta.MediaStorageSOPClassUID = RT_STRUCT_STORAGE
    rt.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    rt.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    rt.SOPClassUID, rt.SOPInstanceUID = RT_STRUCT_STORAGE, rt.file_meta.MediaStorageSOPInstanceUID
    rt.Modality, rt.SeriesInstanceUID = "RTSTRUCT", "9.9.9"  # its own series, as exports have it
    rt.save_as(folder / "zz_rtstruct.dcm", enforce_file_format=True)
    out = read_image(folder)
    assert out.array.shape == (1, 3, 4, 5)
    assert [int(out.array[0, k, 0, 0]) for k in range(3)] == [0, 1, 2]


# --------------------------------------------------------------------------- enhanced multi-frame
def test_enhanced_multiframe_reads_functional_groups_and_sorts_frames(tmp_path: Path) -> None:
    stored = np.stack([np.full((4, 5), 10 * (k + 1), np.int16) for k in range(3)])  # frame k at z = 4 - 2k
    ds = _dataset(stored, sop_class=ENHANCED_MR_STORAGE)
    ds.NumberOfFrames = 3
    pm = Dataset()
    pm.PixelSpacing, pm.SliceThickness, pm.SpacingBetweenSlices = [0.5, 0.7], 2.0, 2.0
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = 2.0, -100.0, "US"
    po = Dataset()
    po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PixelValueTransformationSequence = Sequence([pvt])
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames = []
    for k in range(3):
        pp = Dataset()
        pp.ImagePositionPatient = [0, 0, 4.0 - 2 * k]
        fg = Dataset()
        fg.PlanePositionSequence = Sequence([pp])
        frames.append(fg)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.save_as(tmp_path / "mf.dcm", enforce_file_format=True)
    out = read_image(tmp_path / "mf.dcm")
    assert out.array.shape == (1, 3, 4, 5)
    np.testing.assert_allclose(out.array[0].mean(axis=(1, 2)), [-40, -60, -80])  # ascending z, rescaled
    assert out.spacing == pytest.approx((2.0, 0.5, 0.7))  # (dz, dy, dx)


# ------------------------------------------------------------------------ extension-less, no preamble
def test_dicom_without_preamble_or_extension_is_recognised(tmp_path: Path) -> None:
    px = np.arange(20, dtype=np.int16).reshape(4, 5)
    src = write_slice(tmp_path / "with_preamble.dcm", px)
    raw = src.read_bytes()
    assert raw[128:132] == b"DICM"
    (tmp_path / "IM0001").write_bytes(raw[132:])  # starts directly with group 0002
    assert detect_kind(tmp_path / "IM0001") == "dicom"
    assert is_image_file(tmp_path / "IM0001")
    np.testing.assert_array_equal(read_image(tmp_path / "IM0001").array[0], px)
    (tmp_path / "README").write_text("not an image\n")
    (tmp_path / "BLOB").write_bytes(b"\x02\x00" + bytes(range(200)))  # right first bytes, no DICOM
    assert detect_kind(tmp_path / "README") is None and not is_image_file(tmp_path / "README")
    assert not is_image_file(tmp_path / "BLOB")
    assert pydicom.dcmread(tmp_path / "IM0001", force=True).SOPClassUID == MRImageStorage


# ------------------------------------------------------------------------ carving over series folders
def test_validation_is_carved_from_a_manifest_of_series_folders(tmp_path: Path) -> None:
    import meddx

    rows, rng = [], np.random.default_rng(0)
    for i in range(8):  # each series its own content: identical volumes would all be near copies of one another
        (tmp_path / f"s{i}").mkdir()
        for k in range(3):
            write_slice(tmp_path / f"s{i}" / f"{k}.dcm", rng.integers(0, 1000, (4, 5)).astype(np.int16), z=k,
                        series=f"1.9.{i}")
        rows.append((f"s{i}", "ab"[i % 2]))
    for k in range(3):  # s7 becomes a byte-identical copy of s6: the two must stay in one split
        (tmp_path / "s7" / f"{k}.dcm").write_bytes((tmp_path / "s6" / f"{k}.dcm").read_bytes())
    with open(tmp_path / "series.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("path", "label"), *rows])
    source = meddx.load_source(str(tmp_path / "series.csv"))  # no val split: carved from train
    split_of = {Path(p).name: name for name in ("train", "val") for p in source.split(name).paths}
    assert sorted(split_of) == [f"s{i}" for i in range(8)]
    assert len(source.split("val")) >= 1 and split_of["s6"] == split_of["s7"]
