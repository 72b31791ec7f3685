"""Bad uploads to a served 2D image model, as a hospital's systems send them: each is a 4xx problem
(``application/problem+json``) naming what was wrong and what was expected, never a 500 nor a
traceback, the client's file name never in the answer nor the log, and the server answers a good
image after all of them, as ``meddx predict`` does.

One in-process app (the real routes, lifespan and a registered tiny bundle) for the module.
"""

from __future__ import annotations

import gzip
import io
import logging
import zipfile
from typing import Any, Iterator

import numpy as np
import pytest

from tests.integration.serve_helpers import auth, data_root, test_settings
from tests.unit.serving.serving_samples import (
    broken_dicom, dicom_bytes, huge_png, jpeg_bytes, lesion_image, nifti_bytes, png_bytes, tiny_bundle,
)

pytest.importorskip("fastapi")
PREDICT = "/v1/models/unit/predict"
CANARY = "ROE^JANE_19570312"  # a file name that is patient data: never echoed, never logged


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key

    home = tmp_path_factory.mktemp("servewalk_uploads")
    with data_root(home):
        bundle = register_bundle(tiny_bundle(home / "bundles" / "unit" / "v1"))
        key, _ = create_key("viewer", "uploads test")
        with TestClient(create_app(test_settings(max_upload_mb=4))) as client:
            yield {"client": client, "key": key, "home": home, "bundle": bundle.path}


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def _pillow(mode: str, fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, (28, 28)).save(buf, format=fmt)
    return buf.getvalue()


def _multiframe_dicom() -> bytes:
    """A 5-frame 28 x 28 DICOM (a cine loop or a volume in one file) for a 2D model."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(lesion_image(1))))
    ds.NumberOfFrames = 5
    ds.PixelData = np.random.default_rng(0).integers(0, 255, (5, 28, 28), dtype=np.uint8).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


GOOD = png_bytes(lesion_image(0))
VOLUME = np.random.default_rng(1).integers(0, 255, (28, 28, 6)).astype(np.float32)
BAD = {  # name: (body, status, words the detail must hold)
    "zero bytes": (b"", 400, "empty"),
    "truncated PNG": (GOOD[: len(GOOD) // 2], 422, "truncated"),
    "PNG header only": (GOOD[:40], 422, "expected"),
    "truncated JPEG": (jpeg_bytes(lesion_image(2))[:200], 422, "JPEG"),
    "text called .png": (b"patient ROE, Jane: chest pain since Tuesday", 415, "not the file name"),
    "GIF": (_pillow("P", "GIF"), 415, "PNG, JPEG, DICOM"),
    "undecodable DICOM": (broken_dicom(), 422, "DICOM"),
    "truncated DICOM": (dicom_bytes(lesion_image(3))[:-300], 422, "truncated"),
    "DICOM without pixels": (dicom_bytes(lesion_image(3), with_pixels=False), 422, "without pixel data"),
    "multi-frame DICOM": (_multiframe_dicom(), 422, "expects 2D"),
    "NIfTI volume": (nifti_bytes(VOLUME), 422, "expects 2D"),
    "truncated NIfTI": (nifti_bytes(VOLUME)[:-1000], 422, "expected"),
    "truncated NIfTI-gz": (nifti_bytes(VOLUME, gz=True)[:-100], 422, "expected"),
    "gzip of text": (gzip.compress(b"not an image" * 50), 415, "PNG, JPEG, DICOM"),
    "20,000 px PNG bomb": (huge_png(), 413, "downsample"),
    "truncated ZIP": (_zip({"s/1.dcm": dicom_bytes(lesion_image(4))})[:60], 422, "ZIP"),
    "ZIP of 5,000 entries": (_zip({f"{i}.dcm": b"" for i in range(5000)}), 413, "max_zip_entries"),
    "ZIP of a series": (_zip({f"s/{i}.dcm": dicom_bytes(lesion_image(i)) for i in range(3)}), 422, "reads 2D images"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_upload_is_a_4xx_problem_naming_what_was_expected(served: dict[str, Any], name: str,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """Guard: every kind the docs list, broken each way a clinic's systems break it."""
    body, status, words = BAD[name]
    with caplog.at_level(logging.DEBUG):
        r = served["client"].post(PREDICT, headers=auth(served["key"]), files={"file": (CANARY + ".png", body)})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert words in problem["detail"] and problem["instance"] == PREDICT
    assert "Traceback" not in r.text and CANARY not in r.text
    assert not [rec for rec in caplog.records if CANARY in rec.getMessage() or "ROE, Jane" in rec.getMessage()]
    assert not [rec for rec in caplog.records if rec.levelno >= logging.ERROR and rec.name.startswith("meddx")]


def test_a_zip_of_pictures_to_a_2d_model_is_not_called_a_dicom_series(served: dict[str, Any]) -> None:
    """The refusal came before unpacking, and said 'the upload is a ZIP of a DICOM series' of a ZIP
    holding PNGs: it may say what the archive is (a ZIP), not what it was never checked to hold."""
    r = served["client"].post(PREDICT, headers=auth(served["key"]), files={"file": ("x.zip", _zip({"a.png": GOOD}))})
    assert r.status_code == 422 and r.json()["type"].endswith("wrong-dimensions")
    assert "is a ZIP of a DICOM series" not in r.json()["detail"]
    assert "ZIP archive" in r.json()["detail"] and "reads 2D images" in r.json()["detail"]


def test_a_multipart_body_cut_off_before_its_closing_boundary_is_not_called_a_missing_field(
        served: dict[str, Any]) -> None:
    """The client sent the field "file", but the body stopped before its closing boundary (a proxy
    or a client that cut the upload): the answer told it to send the field "file", which it had."""
    body = b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n\r\n' + GOOD
    r = served["client"].post(PREDICT, content=body, headers={**auth(served["key"]),
                                                              "Content-Type": "multipart/form-data; boundary=XYZ"})
    assert r.status_code == 422 and r.json()["type"].endswith("missing-file")
    assert "closing boundary" in r.json()["detail"] and "cut off" in r.json()["detail"]


def test_after_every_bad_upload_a_good_image_gets_what_meddx_predict_gives(served: dict[str, Any],
                                                                            tmp_path: Any) -> None:
    """Guard: the server keeps serving, and its answer equals the Python API's for the same file."""
    from meddx.bundle.bundle import load_bundle

    client, key = served["client"], served["key"]
    for body, _, _ in BAD.values():
        client.post(PREDICT, headers=auth(key), files={"file": ("x", body)})
    r = client.post(PREDICT, headers=auth(key), files={"file": ("x.png", GOOD)})
    assert r.status_code == 200, r.text
    path = tmp_path / "good.png"
    path.write_bytes(GOOD)
    expected = load_bundle(served["bundle"]).predict_files([str(path)])[0]
    assert r.json()["label"] == expected.label
    assert r.json()["probabilities"] == expected.probabilities
