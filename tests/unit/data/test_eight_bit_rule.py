"""One definition of "8-bit" for ``auto`` scaling and ``meddx data info`` (``data.bit_depth.eight_bit``).

Found by a review: training compared the dtype with uint8, ``data info`` the dtype's name, and
neither looked at the bit depth a reader records (``value_max``). A 16-bit PNG whose sBIT says 8,
or a DICOM ``BitDepthArray`` of 8 stored bits in uint16, is divided by 255 under ``dtype`` exactly
as a uint8 image is; among 8-bit PNGs it made ``auto`` give up on absolute brightness (every image
by its percentiles) and ``data info`` warn of a mix. Both now count it as 8-bit, and a 12-bit one
as other, alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from meddx.data.bit_depth import eight_bit
from meddx.data.dicom import with_bit_depth
from meddx.data.info import source_info
from meddx.data.io import read_image
from meddx.data.sources import load_source
from meddx.transforms.image import ImagePreprocessor, MixedIntensities

RNG = np.random.default_rng(0)
PICTURES = [RNG.integers(0, 256, (16, 16), dtype=np.uint8) for _ in range(3)]


def _png16(path: Path, values: np.ndarray, sbit: int) -> None:
    info = PngImagePlugin.PngInfo()
    info.add(b"sBIT", bytes([sbit]))
    Image.fromarray(values.astype(np.uint16)).save(path, pnginfo=info)


def _folder(root: Path, sbit: int) -> Path:
    for cls in ("normal", "pneumonia"):
        (root / cls).mkdir(parents=True)
        for i, picture in enumerate(PICTURES):
            Image.fromarray(picture).save(root / cls / f"{i}.png")
    scale = (2**sbit - 1) / 255
    _png16(root / "normal" / "wide.png", np.round(PICTURES[0] * scale), sbit)
    return root


def test_the_definition() -> None:
    assert eight_bit(PICTURES[0]) and eight_bit(with_bit_depth(PICTURES[0].astype(np.uint16), 255))
    assert eight_bit(with_bit_depth(PICTURES[0], 127))  # a uint8 stayed 8-bit whatever it records
    assert not eight_bit(with_bit_depth(PICTURES[0].astype(np.uint16), 4095))
    assert not eight_bit(PICTURES[0].astype(np.uint16)) and not eight_bit(PICTURES[0].astype(np.int8))
    assert not eight_bit(PICTURES[0].astype(np.float32))


def test_a_dicom_of_8_stored_bits_in_uint16_is_scaled_as_its_uint8_picture() -> None:
    stored = with_bit_depth(PICTURES[0][None].astype(np.uint16), 255)  # BitsStored 8, BitsAllocated 16
    pre = ImagePreprocessor((16, 16), 1, normalize=False).fit([PICTURES[1][None], stored])  # was: refused
    assert (pre.scaling_, pre.dtype_max_) == ("dtype", 255.0)
    np.testing.assert_allclose(pre.transform(stored), pre.transform(PICTURES[0][None]), atol=1e-6)


@pytest.mark.parametrize("sbit, mixed", [(8, False), (12, True)])
def test_training_and_data_info_count_a_16_bit_png_by_its_sbit_alike(tmp_path: Path, sbit: int, mixed: bool) -> None:
    source = load_source(str(_folder(tmp_path / f"sbit{sbit}", sbit)))
    info = source_info(source)
    assert bool(info["dtype_mix"]) is mixed
    images = [source.get_image(split, i) for split, data in source.splits.items() for i in range(len(data))]
    pre = ImagePreprocessor((16, 16), 1, normalize=False)
    if mixed:
        assert "uint16 (1), uint8 (6)" in info["dtype_mix"]
        with pytest.raises(MixedIntensities, match=r"uint16 \(values up to 4095\)"):
            pre.fit(images)
        return
    assert pre.fit(images).scaling_ == "dtype"  # absolute brightness kept, as for the 8-bit PNGs
    wide = read_image(tmp_path / f"sbit{sbit}" / "normal" / "wide.png").array
    np.testing.assert_allclose(pre.transform(wide), pre.transform(PICTURES[0][None]), atol=1e-6)
