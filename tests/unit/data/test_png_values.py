"""PNG pixel values with known answers: transparency that would hide content is refused, an opaque
alpha channel is dropped without loss, and a 16-bit PNG of 12-bit values is divided by 4095 when
its sBIT chunk says 12 bits (as the same picture in 8 bits or as a 12-bit DICOM)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from meddx.core.errors import DataError
from meddx.data.io import read_image
from meddx.transforms.image import ImagePreprocessor


def _picture() -> np.ndarray:
    pic = np.tile(np.linspace(0, 255, 32).round().astype(np.uint8), (32, 1))
    pic[8:16, 8:16] = 200
    return pic


# ------------------------------------------------------------------------------ transparency
def test_rgba_png_whose_alpha_hides_content_is_refused(tmp_path: Path) -> None:
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[2:6, 2:10, :3] = 255  # burnt-in text...
    rgba[2:6, 2:10, 3] = 0  # ...masked by transparency: a viewer shows the background there
    Image.fromarray(rgba, "RGBA").save(tmp_path / "masked.png")
    with pytest.raises(DataError) as err:
        read_image(tmp_path / "masked.png")
    message = str(err.value)
    assert "masked.png" in message and "32 of 256 pixels" in message and "\n" not in message


def test_grey_alpha_and_palette_transparency_are_refused(tmp_path: Path) -> None:
    la = np.stack([np.full((8, 8), 120, np.uint8), np.full((8, 8), 255, np.uint8)], axis=-1)
    la[0, 0, 1] = 128  # one translucent pixel
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    pal = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) % 4, "L").convert("P")
    pal.save(tmp_path / "pal.png", transparency=0)  # palette entry 0 transparent: 16 pixels
    for name, count in (("la.png", "1 of 64 pixels"), ("pal.png", "16 of 64 pixels")):
        with pytest.raises(DataError, match=f"{name}: {count}"):
            read_image(tmp_path / name)


def test_opaque_rgba_png_reads_as_its_rgb(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    rgba = np.concatenate([rgb, np.full((8, 8, 1), 255, np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "opaque.png")
    np.testing.assert_array_equal(read_image(tmp_path / "opaque.png").array, rgb.transpose(2, 0, 1))


# ---------------------------------------------------------------------------- significant bits
def _png16(path: Path, values: np.ndarray, sbit: int | None) -> Path:
    info = PngImagePlugin.PngInfo()
    if sbit is not None:
        info.add(b"sBIT", bytes([sbit]))
    Image.fromarray(values.astype(np.uint16)).save(path, pnginfo=info)
    return path


def test_12_bit_png_with_sbit_gives_the_model_input_of_the_same_8_bit_png(tmp_path: Path) -> None:
    pic = _picture()
    Image.fromarray(pic).save(tmp_path / "pic8.png")
    v12 = np.round(pic.astype(np.float64) * 4095 / 255)
    png8 = read_image(tmp_path / "pic8.png").array
    png12 = read_image(_png16(tmp_path / "pic12.png", v12, sbit=12)).array
    assert png12.dtype == np.uint16 and int(png12.max()) == 4095 and getattr(png12, "value_max", None) == 4095.0
    pre = ImagePreprocessor((32, 32), 1).fit([png8])  # 8-bit training images: 'dtype' scaling, /255
    assert float(pre._scale(png12).max()) == pytest.approx(1.0)
    np.testing.assert_allclose(pre.transform(png12), pre.transform(png8), atol=2e-3)  # 12-bit rounding only


def test_16_bit_png_scaled_to_full_range_or_without_sbit_is_divided_by_65535(tmp_path: Path) -> None:
    pic = _picture()
    v12 = np.round(pic.astype(np.float64) * 4095 / 255).astype(np.uint16)
    scaled = (v12 << 4) | (v12 >> 8)  # 12 bits scaled to 16 by left bit replication, as the PNG spec asks
    full = read_image(_png16(tmp_path / "scaled.png", scaled, sbit=12)).array
    assert getattr(full, "value_max", None) is None and int(full.max()) == 65535
    bare = read_image(_png16(tmp_path / "bare.png", v12, sbit=None)).array  # nothing says 12 bits
    assert getattr(bare, "value_max", None) is None
    pre = ImagePreprocessor((32, 32), 1, scaling="dtype").fit([full])
    assert float(pre._scale(full).max()) == pytest.approx(1.0)
    assert float(pre._scale(bare).max()) == pytest.approx(4095 / 65535)


def test_16_bit_png_given_as_int32_by_an_older_pillow_becomes_uint16(tmp_path: Path) -> None:
    from meddx.data.pil_values import png_grey16

    values = np.array([[0, 4095], [65535, 1000]], np.uint16)
    path = _png16(tmp_path / "deep.png", values, sbit=None)
    as_old_pillow = values.astype(np.int32)[None]  # Pillow < 10.3 opens 16-bit grey PNG in mode "I"
    out = png_grey16(path, as_old_pillow)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out[0], values)
    Image.fromarray(values.astype(np.uint8)).save(tmp_path / "grey8.png")  # not a 16-bit PNG: unchanged
    assert png_grey16(tmp_path / "grey8.png", as_old_pillow).dtype == np.int32
