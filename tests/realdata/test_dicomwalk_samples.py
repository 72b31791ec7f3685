"""The shared DICOM samples (pydicom's test files) and a real MR series, named as exports name them:
Siemens ``.IMA``, no extension, a picture's ``.png``, with and without the 128-byte preamble. Each
reads to the pixels (and spacing) of the file as published; the SEG and RTSTRUCT among them are
refused in one line naming the file when given for an image."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError

pytestmark = pytest.mark.realdata


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return path


@pytest.fixture
def samples(shared_data: Path) -> Path:
    return _need(shared_data / "dicom-samples")


def test_ct_small_reads_alike_under_any_name(samples: Path, tmp_path: Path) -> None:
    """CT_small (stored 128..2191, intercept -1024) is HU -896..1167 at 0.661 mm, whatever it is called."""
    from meddx.data.io import is_image_file, read_image

    raw = (samples / "CT_small.dcm").read_bytes()
    reference = read_image(samples / "CT_small.dcm")
    assert (float(reference.array.min()), float(reference.array.max())) == (-896.0, 1167.0)
    for name, data in {"ct.IMA": raw, "ct.png": raw, "IM0001": raw, "ct_bare.png": raw[132:]}.items():
        (tmp_path / name).write_bytes(data)
        assert is_image_file(tmp_path / name), name
        loaded = read_image(tmp_path / name)
        np.testing.assert_array_equal(loaded.array, reference.array)
        assert loaded.spacing == pytest.approx((0.661468, 0.661468))


def test_an_ima_export_is_an_image_folder(samples: Path, tmp_path: Path) -> None:
    """Class folders of ``.IMA`` files (a Siemens export) were "no class sub-folders with images"."""
    from meddx.data.sources import load_source

    for cls, name in (("ct", "CT_small.dcm"), ("mr", "MR_small.dcm")):
        for split in ("train", "val"):
            (tmp_path / split / cls).mkdir(parents=True)
            shutil.copy(samples / name, tmp_path / split / cls / f"{split}{cls}.IMA")
    source = load_source(tmp_path)
    assert {s: len(d) for s, d in source.splits.items() if len(d)} == {"train": 2, "val": 2}
    shapes = sorted(tuple(source.get_image("train", i).shape) for i in range(2))
    assert shapes == [(1, 64, 64), (1, 128, 128)]


def test_mr_small_encodings_read_to_one_array(samples: Path) -> None:
    """Guard: implicit VR, big endian, RLE and JPEG 2000 lossless copies of MR_small hold its pixels."""
    from meddx.data.io import read_image

    reference = read_image(samples / "MR_small.dcm").array
    assert reference.shape == (1, 64, 64) and (int(reference.min()), int(reference.max())) == (127, 2145)
    for name in ("MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm"):
        np.testing.assert_array_equal(read_image(samples / name).array, reference, err_msg=name)


@pytest.mark.parametrize(("sample", "name", "expected"), [
    ("liver_1frame.dcm", "liver.dcm", "(a DICOM Segmentation Storage object, modality SEG, not an image)"),
    ("liver_1frame.dcm", "liver.png", "(a DICOM Segmentation Storage object, modality SEG, not an image)"),
    ("rtstruct.dcm", "rt.png", "(DICOM without pixel data, modality RTSTRUCT)"),
])
def test_non_image_objects_are_refused_naming_the_file(samples: Path, tmp_path: Path, sample: str, name: str,
                                                        expected: str) -> None:
    from meddx.data.io import read_image

    path = tmp_path / name
    shutil.copy(samples / sample, path)
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot decode image {expected}") and "\n" not in message


def test_the_seg_still_reads_as_a_mask(samples: Path) -> None:
    """Guard: the SEG is a mask for a segmentation source, read by its own reader."""
    from meddx.data.masks import load_mask

    labels = np.asarray(load_mask(samples / "liver_1frame.dcm").array)
    assert labels.shape == (512, 512) and set(np.unique(labels).tolist()) == {0, 1}


def test_a_series_of_bare_slices_named_png_reads_as_the_series(shared_data: Path, tmp_path: Path) -> None:
    """Study1's HippoCrop series (32 slices, 1 mm) with its slices stripped of preamble and named ``.png``."""
    from meddx.data.io import read_image

    series = _need(shared_data / "dicom-mr-series" / "Study1" / "13_HCropVolume")
    reference = read_image(series)
    assert reference.array.shape == (1, 32, 51, 35) and reference.spacing == pytest.approx((1.0, 1.0, 1.0))
    for f in series.iterdir():
        if f.suffix == ".dcm":
            (tmp_path / f"{f.stem}.png").write_bytes(f.read_bytes()[132:])
    loaded = read_image(tmp_path)
    np.testing.assert_array_equal(loaded.array, reference.array)
    assert loaded.spacing == pytest.approx(reference.spacing)
