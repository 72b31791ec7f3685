"""Bundles read X-ray DICOM as their training did: since the VOI window is applied, new bundles
record ``"dicom_voi": true`` and read through it; a bundle written before has no such field and
keeps reading the raw detector values it was trained on (predict, evaluate, explain, serve)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError
from meddx.data.dicom_voi import reading_voi
from meddx.data.io import read_image
from meddx.data.orientation import reading_for
from tests.unit.data.test_dicom_voi import _detector, _picture, write_xray


def _dx(tmp_path: Path) -> Path:
    return write_xray(tmp_path / "dx.dcm", _detector(_picture()), WindowCenter=1500, WindowWidth=1001)


def _with_field(bundle: Path, value: object) -> Path:
    config = json.loads((bundle / "config.json").read_text())
    (bundle / "config.json").write_text(json.dumps({**config, "dicom_voi": value}))
    return bundle


def test_a_bundle_without_the_field_reads_the_raw_values_it_was_trained_on(bundle: Path, tmp_path: Path) -> None:
    dx = _dx(tmp_path)
    with reading_voi(False):
        raw = read_image(dx).array
    windowed = read_image(dx).array  # what a new training run reads
    assert not np.array_equal(raw, windowed)
    old = load_bundle(bundle)
    np.testing.assert_array_equal(old.read(dx), raw)
    with reading_for(old):  # evaluate and explain --evaluate read the source under the bundle's reading
        np.testing.assert_array_equal(read_image(dx).array, raw)
    new = load_bundle(_with_field(bundle, True))
    np.testing.assert_array_equal(new.read(dx), windowed)
    with reading_for(new):
        np.testing.assert_array_equal(read_image(dx).array, windowed)


def test_a_served_bundle_decodes_uploads_as_its_training_read_them(bundle: Path, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from meddx.serving.inputs import _prepare_image
    from meddx.serving.settings import ServeSettings

    dx = _dx(tmp_path)
    settings = ServeSettings(max_pixels=10**7, max_voxels=10**8)
    images = {}
    for name, value in (("old", None), ("new", True)):
        predictor = load_bundle(_with_field(bundle, value) if value else bundle)
        served = SimpleNamespace(predictor=predictor, config=predictor.config)
        try:
            _, (image, _) = _prepare_image(served, dx.read_bytes(), settings)
        except (AttributeError, TypeError) as exc:  # the served wrapper's other fields
            pytest.skip(f"serving wrapper needs more than this stand-in: {exc}")
        images[name] = image
    with reading_voi(False):
        np.testing.assert_array_equal(images["old"], load_bundle(bundle).readable_image(read_image(dx).array, "x"))
    assert not np.array_equal(images["old"], images["new"])


def test_a_dicom_voi_field_that_is_not_true_or_false_is_refused(bundle: Path) -> None:
    with pytest.raises(BundleError, match=r"dicom_voi.*true or false"):
        load_bundle(_with_field(bundle, "yes"))
