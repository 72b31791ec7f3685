"""A 16-bit TIFF of 8-bit values is scaled by the MaxSampleValue it records, not by 65535.

Found by a review: 8-bit content saved as a 16-bit TIFF (0..255 in uint16) was divided by 65535 by
``dtype`` scaling (a model trained on 8-bit PNGs), so the model saw a near-black picture and the
typicality check flagged it. TIFF records the range in MaxSampleValue (tag 281) or a BitsPerSample
below 16 (tag 258); without either nothing is guessed (``data info`` warns about such files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin, TiffImagePlugin

from meddx.data.dicom_voi import reading_voi
from meddx.data.io import read_image
from meddx.transforms.image import ImagePreprocessor

PICTURE = (np.arange(256).reshape(16, 16)).astype(np.uint8)


def _tiff(path: Path, values: np.ndarray, max_sample: int | None) -> Path:
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    if max_sample is not None:
        tags[281] = max_sample
    Image.fromarray(values.astype(np.uint16)).save(path, tiffinfo=tags)
    return path


def test_a_16_bit_tiff_recording_max_sample_255_predicts_as_its_8_bit_png(tmp_path: Path) -> None:
    png = tmp_path / "picture.png"
    Image.fromarray(PICTURE).save(png)
    tiff = _tiff(tmp_path / "picture.tif", PICTURE, 255)
    loaded = read_image(tiff).array
    assert loaded.dtype == np.uint16 and getattr(loaded, "value_max", None) == 255
    pre = ImagePreprocessor((16, 16), 1).fit([read_image(png).array])  # trained on 8-bit: dtype
    assert pre.scaling_ == "dtype"
    np.testing.assert_allclose(pre.transform(loaded), pre.transform(read_image(png).array), atol=1e-6)


def test_without_the_tag_or_with_values_above_it_the_bit_depth_is_kept(tmp_path: Path) -> None:
    untagged = read_image(_tiff(tmp_path / "untagged.tif", PICTURE, None)).array
    assert getattr(untagged, "value_max", None) is None  # nothing guessed: divided by 65535
    wrong = read_image(_tiff(tmp_path / "wrong.tif", PICTURE.astype(np.uint16) * 4, 255)).array
    assert getattr(wrong, "value_max", None) is None  # values above the tag: the tag is wrong
    full = read_image(_tiff(tmp_path / "full.tif", PICTURE.astype(np.uint16) * 257, 65535)).array
    assert getattr(full, "value_max", None) is None


def test_a_bundle_trained_before_bit_depths_were_read_keeps_dividing_by_65535(tmp_path: Path) -> None:
    tiff = _tiff(tmp_path / "picture.tif", PICTURE, 255)
    with reading_voi(False):
        assert getattr(read_image(tiff).array, "value_max", None) is None


def test_data_info_notes_16_bit_files_that_record_no_depth_and_hold_only_8_bit_values(tmp_path: Path) -> None:
    from meddx.data.info import source_info
    from meddx.data.sources import load_source

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for cls in ("normal", "pneumonia"):
            (tmp_path / "src" / split / cls).mkdir(parents=True)
            for i in range(3):
                picture = rng.integers(0, 256, (16, 16), dtype=np.uint8)
                Image.fromarray(picture).save(tmp_path / "src" / split / cls / f"{i}.png")
    _tiff(tmp_path / "src" / "train" / "normal" / "dark.tif", PICTURE, None)
    _tiff(tmp_path / "src" / "train" / "normal" / "tagged.tif", PICTURE, 255)
    notes = [n for n in source_info(load_source(str(tmp_path / "src")))["notes"] if "16-bit" in n]
    assert len(notes) == 1 and notes[0].startswith("1 decoded 16-bit file(s)") and "dark.tif" in notes[0]
    assert "tagged.tif" not in notes[0]


def test_a_bundle_trained_before_the_tiff_tags_were_read_keeps_dividing_by_65535(tmp_path: Path) -> None:
    """Found by a review: tag 281 was read for every bundle, so one trained with ``scaling: dtype``
    (or on 8-bit images) before it was read saw such a TIFF 257 times brighter than in training.
    The tags came with presentation level 3 (``data.dicom_voi.TIFF_DEPTH_READING``)."""
    from types import SimpleNamespace

    from meddx.data.dicom_voi import PRESENTATION_READING, TIFF_DEPTH_READING
    from meddx.data.orientation import reading_for

    tiff = _tiff(tmp_path / "picture.tif", PICTURE, 255)
    png16 = tmp_path / "sbit.png"
    info = PngImagePlugin.PngInfo()
    info.add(b"sBIT", bytes([8]))
    Image.fromarray(PICTURE.astype(np.uint16)).save(png16, pnginfo=info)
    pre = ImagePreprocessor.from_dict({"spatial_size": [16, 16], "channels": 1, "scaling": "dtype", "dtype_max": 255,
                                       "normalize": False, "mean": [0.0], "std": [1.0]})
    assert PRESENTATION_READING >= TIFF_DEPTH_READING == 3
    for level, divisor in ((2, 65535.0), (True, 65535.0), (3, 255.0)):
        with reading_for(SimpleNamespace(config={"dicom_voi": True, "dicom_presentation": level})):
            loaded = read_image(tiff).array
            assert getattr(read_image(png16).array, "value_max", None) == 255  # sBIT: read since "dicom_voi"
        np.testing.assert_allclose(pre.transform(loaded)[0], PICTURE / divisor, rtol=1e-6)
    with reading_for(SimpleNamespace(config={"orientation": "RAS", "dicom_voi": True, "dicom_presentation": 3})):
        assert getattr(read_image(tiff).array, "value_max", None) == 255
