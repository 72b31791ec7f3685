"""``"dicom_presentation"`` is the level of X-ray presentation steps a bundle was trained with
(meddx.data.dicom_voi.PRESENTATION_READING): ``true`` (level 1: PresentationLUTShape INVERSE and
enhanced frame VOIs), 2 (the PresentationLUTSequence too). A loaded bundle reads a file with a
Presentation LUT at its own level, so one trained before the LUT was applied predicts as it did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError
from meddx.data.dicom_voi import PRESENTATION_READING, bundle_reads_presentation, voi_reading
from meddx.data.io import read_image
from meddx.data.orientation import reading_for
from tests.unit.data.test_dicom_presentation_lut import C, W, _gamma, _plut, _window_out
from tests.unit.data.test_dicom_voi import _detector, _picture, write_xray


def _with(bundle: Path, fields: dict) -> Path:
    config = json.loads((bundle / "config.json").read_text())
    config = {k: v for k, v in config.items() if k not in ("dicom_voi", "dicom_presentation")}
    (bundle / "config.json").write_text(json.dumps({**config, **fields}))
    return bundle


@pytest.mark.parametrize("fields,level", [
    ({"dicom_voi": True, "dicom_presentation": 2}, 2),  # bundles written with the LUT
    ({"dicom_voi": True, "dicom_presentation": True}, 1),  # INVERSE and frame VOIs, before the LUT
    ({"dicom_voi": True}, 0),  # the VOI alone
    ({}, 0),  # before the VOI: raw values
])
def test_each_bundle_reads_a_presentation_lut_as_its_training_did(bundle: Path, tmp_path: Path, fields: dict,
                                                                  level: int) -> None:
    raw = _detector(_picture())
    table = _gamma(4096, 12)
    path = write_xray(tmp_path / "p.dcm", raw, WindowCenter=C, WindowWidth=W, PresentationLUTSequence=_plut(table, 12))
    predictor = load_bundle(_with(bundle, fields))
    assert bundle_reads_presentation(predictor.config) == level
    window = np.rint(_window_out(raw)).astype(int)
    expected = {2: table[window], 1: window, 0: window if fields else raw}[level]
    np.testing.assert_array_equal(predictor.read(path)[0], expected)
    with reading_for(predictor):  # evaluate, explain and serve read the source under the bundle's reading
        np.testing.assert_array_equal(read_image(path).array[0], expected)


def test_bundle_less_reads_apply_todays_level() -> None:
    assert PRESENTATION_READING == 3  # 3: a 16-bit TIFF's MaxSampleValue (tests/unit/data/test_tiff_max_sample.py)
    assert voi_reading() == (True, PRESENTATION_READING)
    with reading_for(object()):  # a predictor without a config (arrays)
        assert voi_reading() == (True, PRESENTATION_READING)


@pytest.mark.parametrize("value", [4, "2", -1, 1.5])
def test_a_presentation_level_meddx_does_not_know_is_refused(bundle: Path, value: object) -> None:
    with pytest.raises(BundleError, match=r"dicom_presentation.*level 0 to 3"):
        load_bundle(_with(bundle, {"dicom_voi": True, "dicom_presentation": value}))
