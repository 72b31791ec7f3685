"""A bundle trained before 16-bit PNGs were scaled by their sBIT depth keeps dividing them by 65535.

sBIT came in the same change as reading X-ray DICOM through its VOI, so the bundle field that marks
the one (``"dicom_voi": true``) marks the other: a bundle without it saw a 12-bit PNG (sBIT 12,
values 0..4095) divided by 65535 in training and must predict and evaluate it that way; a bundle
written since divides it by 4095, as its training did.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from meddx.bundle.bundle import load_bundle
from meddx.data.io import read_image
from meddx.data.orientation import reading_for
from tests.unit.data.test_png_values import _png16


def _twelve_bit_png(tmp_path: Path) -> Path:
    values = np.tile(np.linspace(0, 4095, 28).round(), (28, 1))
    values[6:12, 6:12] = 3000
    return _png16(tmp_path / "x12.png", values, sbit=12)


def _with_voi_field(bundle: Path) -> Path:
    config = json.loads((bundle / "config.json").read_text())
    (bundle / "config.json").write_text(json.dumps({**config, "dicom_voi": True}))
    return bundle


def test_a_bundle_without_the_field_reads_a_sbit_png_as_it_was_trained(bundle: Path, tmp_path: Path) -> None:
    png = _twelve_bit_png(tmp_path)
    now = read_image(png).array  # a training run today: divided by 4095
    assert getattr(now, "value_max", None) == 4095
    old = load_bundle(bundle)
    assert getattr(old.read(png), "value_max", None) is None  # dtype scaling: 65535, as before sBIT was read
    np.testing.assert_array_equal(np.asarray(old.read(png)), np.asarray(now))  # the same integers
    with reading_for(old):  # evaluate / explain --evaluate read the source under the bundle's reading
        assert getattr(read_image(png).array, "value_max", None) is None
    assert getattr(read_image(png).array, "value_max", None) == 4095  # the context does not leak
    trained = old.preprocess([np.asarray(now)])  # the values as a plain uint16 array: divided by 65535
    np.testing.assert_array_equal(old.preprocess([old.read(png)]), trained)
    assert not np.allclose(old.preprocess([now]), trained)  # divided by 4095: another network input


def test_a_bundle_with_the_field_reads_a_sbit_png_by_its_depth(bundle: Path, tmp_path: Path) -> None:
    png = _twelve_bit_png(tmp_path)
    new = load_bundle(_with_voi_field(bundle))
    assert getattr(new.read(png), "value_max", None) == 4095
    with reading_for(new):
        assert getattr(read_image(png).array, "value_max", None) == 4095
