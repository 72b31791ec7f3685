"""The served API on the trained synthetic-lesion bundle: keys, predictions, uploads, audit, batching.

Known answers: the bundle separates lesion from normal images (AUC ~1), so served labels must
match the images' true classes, and the served probabilities must equal the Python API's.
"""

from __future__ import annotations

import asyncio
import base64
import io
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.serve_helpers import async_client, auth, data_root, make_home, test_settings
from tests.unit.serving.serving_samples import (
    broken_dicom, dicom_bytes, huge_png, jpeg_bytes, nifti_bytes, png_bytes,
)

PREDICT = "/v1/models/lesions/predict"


@pytest.fixture(scope="module")
def home(trained: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_home(trained["bundle"], tmp_path_factory.mktemp("serve_home"))


@pytest.fixture(autouse=True)
def _served_root(home: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(home["home"]))


@pytest.fixture(scope="module")
def client(home: dict) -> Any:
    from fastapi.testclient import TestClient

    from meddx.serving.app import create_app

    with data_root(home["home"]), TestClient(create_app(test_settings())) as c:
        yield c


def _images(folder: Path, cls: str, n: int) -> list[Path]:
    return sorted((folder / "test" / cls).glob("*.png"))[:n]


def _post_png(client: Any, key: str, data: bytes, name: str = "scan.png", query: str = "") -> Any:
    return client.post(PREDICT + query, headers=auth(key), files={"file": (name, data, "image/png")})


# ----------------------------------------------------------------------------- authorisation
def _keys(home: dict) -> dict[str, dict[str, str]]:
    return {"none": {}, "wrong": auth("mdx_0123456789_" + "x" * 43), "garbage": {"Authorization": "Basic abc"},
            "revoked": auth(home["revoked"]), "viewer": auth(home["viewer"]), "viewer-header": {"X-API-Key": home["viewer"]},
            "admin": auth(home["admin"])}


ENDPOINTS = [  # method, path, who may call it
    ("GET", "/healthz", "public"), ("GET", "/readyz", "public"), ("GET", "/", "public"),
    ("GET", "/openapi.json", "public"), ("GET", "/v1/models", "viewer"), ("GET", "/v1/models/lesions", "viewer"),
    ("POST", PREDICT, "viewer"), ("POST", "/v1/models/lesions/promote", "admin"),
    ("POST", "/v1/models/lesions/rollback", "admin"), ("GET", "/v1/audit", "admin"),
]
EXPECTED = {"public": dict.fromkeys(["none", "wrong", "garbage", "revoked", "viewer", "viewer-header", "admin"], 200),
            "viewer": {"none": 401, "wrong": 401, "garbage": 401, "revoked": 401, "viewer": 200, "viewer-header": 200,
                       "admin": 200},
            "admin": {"none": 401, "wrong": 401, "garbage": 401, "revoked": 401, "viewer": 403, "viewer-header": 403,
                      "admin": 200}}


@pytest.mark.parametrize("method, path, role", ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_authorisation_matrix(client: Any, home: dict, trained: dict, method: str, path: str, role: str) -> None:
    png = _images(trained["folder"], "lesion", 1)[0].read_bytes()
    for who, headers in _keys(home).items():
        if path.endswith("/rollback") and who == "admin":  # something to roll back to
            for v in (1, 2):
                assert client.post("/v1/models/lesions/promote", json={"version": v}, headers=auth(home["admin"])).status_code == 200
        kwargs: dict[str, Any] = {"headers": headers}
        if path == PREDICT:
            kwargs["files"] = {"file": ("a.png", png, "image/png")}
        elif path.endswith("/promote"):
            kwargs["json"] = {"version": 2}
        response = client.request(method, path, **kwargs)
        assert response.status_code == EXPECTED[role][who], (who, response.text[:300])
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["status"] == response.status_code and body["type"].startswith("urn:meddx:problem:")
        if response.status_code == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")


# ----------------------------------------------------------------------------- predictions
def test_served_predictions_match_the_python_api_and_the_truth(client: Any, home: dict, trained: dict) -> None:
    from meddx.bundle.bundle import load_bundle

    predictor = load_bundle(home["v2"])
    correct = 0
    for cls in ("lesion", "normal"):
        for path in _images(trained["folder"], cls, 8):
            r = _post_png(client, home["viewer"], path.read_bytes())
            assert r.status_code == 200, r.text
            body = r.json()
            expected = predictor.predict_files([path])[0]
            assert body["label"] == expected.label and body["version"] in (1, 2)  # same weights in both versions
            for name, p in expected.probabilities.items():
                assert body["probabilities"][name] == p  # full precision, as `predict --json` (audit)
            assert (body["calibrated_probability"] >= predictor.threshold) == (body["label"] == "lesion")
            assert body["threshold"] == pytest.approx(predictor.threshold)
            assert sum(body["uncalibrated_probabilities"].values()) == pytest.approx(1, abs=1e-4)
            correct += body["label"] == cls
    assert correct >= 14  # of 16; the bundle's test accuracy is ~0.95


def test_dicom_and_nifti_of_the_same_pixels_give_the_same_answer(client: Any, home: dict, trained: dict) -> None:
    from PIL import Image

    path = _images(trained["folder"], "lesion", 1)[0]
    pixels = np.asarray(Image.open(path))
    reference = _post_png(client, home["viewer"], png_bytes(pixels)).json()["probabilities"]
    for name, data in [("x.dcm", dicom_bytes(pixels)), ("x.nii", nifti_bytes(pixels.T.astype(np.float32))),
                       ("x.nii.gz", nifti_bytes(pixels.T.astype(np.float32), gz=True)),
                       # x * y * 1, as `meddx predict` reads it: the 2D image (it was a 422, "3 dimensions")
                       ("slice.nii", nifti_bytes(pixels.T[:, :, None].astype(np.float32)))]:
        r = client.post(PREDICT, headers=auth(home["viewer"]), files={"file": (name, data, "application/octet-stream")})
        assert r.status_code == 200, r.text
        assert r.json()["probabilities"] == pytest.approx(reference, abs=1e-5)
    r = client.post(PREDICT, headers=auth(home["viewer"]), files={"file": ("x.jpg", jpeg_bytes(pixels), "image/jpeg")})
    assert r.status_code == 200 and r.json()["input"]["kind"] == "jpeg"


def test_gradcam_overlay_is_a_png_at_a_readable_size(client: Any, home: dict, trained: dict) -> None:
    from PIL import Image

    r = _post_png(client, home["viewer"], _images(trained["folder"], "lesion", 1)[0].read_bytes(), query="?explain=gradcam")
    assert r.status_code == 200
    e = r.json()["explanation"]
    assert e["method"] == "gradcam" and e["target"] == r.json()["label"] and e["milliseconds"] > 0
    overlay = Image.open(io.BytesIO(base64.b64decode(e["overlay_png_base64"])))
    assert overlay.format == "PNG" and overlay.size == (224, 224) and overlay.mode in ("RGB", "RGBA")
    bad = _post_png(client, home["viewer"], b"x", query="?explain=attention")
    assert bad.status_code in (415, 422)
    assert _post_png(client, home["viewer"], png_bytes(np.zeros((28, 28))), query="?explain=nope").status_code == 422


# ----------------------------------------------------------------------------- malformed input
def _tiny_text_png() -> bytes:
    return b"Patient: Jane Doe\nnot an image\n"


MALFORMED = {
    "zero bytes": (b"", 400),
    "truncated png": (None, 422),
    "text named .png": (_tiny_text_png(), 415),
    "20000x20000 png": (huge_png(20_000, 20_000), 413),
    "wrong dicom": (broken_dicom(), 422),
    "dicom without pixels": (dicom_bytes(np.zeros((28, 28), np.uint8), with_pixels=False), 422),
    "3d nifti for a 2d model": (nifti_bytes(np.zeros((28, 28, 5), np.float32)), 422),
    # x * y * 1 * 5 time points: now read as a 5-channel slice, which must still be refused, not averaged
    "5 time points for a grey model": (nifti_bytes(np.random.default_rng(0).random((28, 28, 1, 5))), 422),
    "over the size limit": (b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 + 70_000), 413),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_uploads_are_4xx_problems_and_the_server_stays_healthy(client: Any, home: dict, trained: dict,
                                                                         case: str) -> None:
    data, status = MALFORMED[case]
    good = _images(trained["folder"], "lesion", 1)[0].read_bytes()
    if data is None:
        data = good[: len(good) // 2]
    r = _post_png(client, home["viewer"], data, name="Jane-Doe-MRN123.png")
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in r.text and "File \"" not in r.text and "Jane-Doe" not in r.text
    assert client.get("/readyz").status_code == 200
    assert _post_png(client, home["viewer"], good).status_code == 200


@pytest.mark.parametrize("kwargs, status", [
    ({"json": {"text": "a note"}}, 415),  # JSON to an image model
    ({"files": {"image": ("a.png", b"\x89PNG", "image/png")}}, 422),  # wrong field name
    ({"content": b"raw bytes", "headers": {"Content-Type": "application/octet-stream"}}, 415),
    ({"files": {"file": ("a.png", b"x", "image/png"), "other": ("b.png", b"y", "image/png")}}, 400),  # two files
])
def test_wrong_request_shapes(client: Any, home: dict, kwargs: dict, status: int) -> None:
    headers = {**auth(home["viewer"]), **kwargs.pop("headers", {})}
    r = client.post(PREDICT, headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_unknown_model_and_cors_closed_and_security_headers(client: Any, home: dict) -> None:
    r = client.get("/v1/models/nope", headers=auth(home["viewer"]))
    assert r.status_code == 404 and "lesions" in r.json()["detail"]
    r = client.get("/v1/models", headers={**auth(home["viewer"]), "Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    r = client.options("/v1/models", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-request-id"]
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"] and "<title>" in page.text


# ----------------------------------------------------------------------------- audit
def test_audit_log_holds_one_row_per_prediction_and_no_content(client: Any, home: dict, trained: dict) -> None:
    import hashlib

    app = client.app
    app.state.audit.flush()
    before = app.state.audit.count()
    sent = [p.read_bytes() for p in _images(trained["folder"], "normal", 5)]
    ids = []
    for i, data in enumerate(sent):
        r = _post_png(client, home["viewer"], data, name="Jane-Doe-MRN123.png", query="?explain=gradcam" if i == 0 else "")
        ids.append(r.json()["request_id"])
        served = r.json()["version"]
    assert _post_png(client, home["viewer"], b"").status_code == 400  # a refused request is not a prediction
    rows = client.get("/v1/audit?limit=5", headers=auth(home["admin"])).json()["rows"]
    assert app.state.audit.count() == before + len(sent)
    assert [r["request_id"] for r in rows] == ids[::-1]
    for row, data in zip(rows[::-1], sent):
        assert row["input_sha256"] == hashlib.sha256(data).hexdigest() and row["input_bytes"] == len(data)
        assert row["model"] == "lesions" and row["version"] == served and len(row["key_id"]) == 10
        assert set(row["output"]) == {"label", "calibrated_probability", "probabilities"}
    assert rows[-1]["explain"] == "gradcam"
    db = home["home"] / "serving.db"
    raw = b"".join(p.read_bytes() for p in db.parent.glob("serving.db*"))
    assert not any(d[40:200] in raw for d in sent)  # no image content
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "Jane-Doe" not in dump and home["viewer"].split("_", 2)[2] not in dump


# ----------------------------------------------------------------------------- concurrency
def test_concurrent_requests_give_the_sequential_answers_and_are_batched(home: dict, trained: dict) -> None:
    from meddx.serving.app import create_app

    images = [p.read_bytes() for c in ("lesion", "normal") for p in _images(trained["folder"], c, 12)]
    headers = auth(home["viewer"])

    async def main() -> tuple[list, list, dict]:
        app = create_app(test_settings(max_batch=8, max_wait_ms=30))
        async with async_client(app) as c:
            async def one(data: bytes) -> dict:
                r = await c.post(PREDICT, headers=headers, files={"file": ("a.png", data, "image/png")})
                assert r.status_code == 200, r.text
                return r.json()
            sequential = [await one(d) for d in images]
            concurrent = await asyncio.gather(*(one(d) for d in images))
            stats = (await c.get("/v1/models/lesions", headers=headers)).json()["batching"]
        return sequential, list(concurrent), stats

    sequential, concurrent, stats = asyncio.run(main())
    for s, c in zip(sequential, concurrent):
        assert c["label"] == s["label"] and c["input"]["sha256"] == s["input"]["sha256"]
        # exactly, not approximately: an answer must not depend on its batch mates (a shared
        # forward pass moved probabilities by ~1e-7, so one image had two audited outputs)
        assert c["probabilities"] == s["probabilities"]
        assert c["uncalibrated_probabilities"] == s["uncalibrated_probabilities"]
        assert c["calibrated_probability"] == s["calibrated_probability"]
    assert stats["items"] == 2 * len(images) and stats["batches"] < stats["items"]  # batching happened
    assert stats["batches"] >= len(images)  # sequential ones ran alone
