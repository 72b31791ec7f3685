"""Bad input that once reached a 500: a note with an unpaired surrogate; and what any unexpected
failure leaves in the server log (its type and stack, never the message, which may quote the input)."""

from __future__ import annotations

import json
import logging

import pytest

from meddx.serving import uploads
from meddx.serving.problems import Problem

NOTE = "Patient Jane Roe, MRN 4471, chest pain \ud800 since Monday"


def test_a_note_with_an_unpaired_surrogate_is_a_422_naming_where() -> None:
    body = json.loads(json.dumps({"text": NOTE}))  # the JSON escape "\ud800" as a client sends it
    with pytest.raises(Problem) as info:
        uploads.json_payload(body, 100_000)
    problem = info.value
    assert (problem.status, problem.slug) == (422, "invalid-request")
    assert f"character {NOTE.index(chr(0xD800))}" in problem.detail and "\\ud800" in problem.detail
    assert "Jane" not in problem.detail and "chest" not in problem.detail


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    body = json.loads('{"text": "fever \\ud83d\\ude00 and cough"}')  # an emoji spelt as two escapes
    assert uploads.json_payload(body, 100_000).text == "fever \U0001F600 and cough"


@pytest.mark.parametrize("body, where", [
    ('{"row": {"age": 63, "site": "north\\ud800"}}', '"row".site'),
    ('{"record": {"id": "p1", "observations": [{"time": 1, "variable": "HR\\udc00", "value": 70}]}}',
     '"record".observations[0].variable'),
    ('{"row": {"si\\ud800te": "north"}}', 'a key of "row"'),
])
def test_a_row_or_record_with_an_unpaired_surrogate_is_a_422_naming_the_field(body: str, where: str) -> None:
    """A table row's category with "\ud800" once reached the answer (which echoes the row's values)
    and failed to serialise: a 500."""
    with pytest.raises(Problem) as info:
        uploads.json_payload(json.loads(body), 100_000)
    assert (info.value.status, info.value.slug) == (422, "invalid-request")
    assert info.value.detail.startswith(where + " holds an unpaired UTF-16 surrogate")
    assert "north" not in info.value.detail


def test_json_nested_too_deeply_is_a_400_not_a_500() -> None:
    """json.loads recurses once per level: 50,000 nested lists raised RecursionError, a 500."""
    import asyncio

    from meddx.serving.app import read_json

    class Body:
        async def body(self) -> bytes:
            return b'{"row": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"

    with pytest.raises(Problem) as info:
        asyncio.run(read_json(Body()))
    assert (info.value.status, info.value.slug) == (400, "invalid-json") and "deep" in info.value.detail


def _app_serving_an_image_model():  # noqa: ANN202
    """The real app and predict route, with an image model and a key store stubbed (no lifespan)."""
    from types import SimpleNamespace

    from meddx.serving import create_app
    from meddx.serving.auth import KeyRecord
    from tests.integration.serve_helpers import test_settings

    app = create_app(test_settings())
    served = SimpleNamespace(name="lesions", modality="image", inflight=0)
    app.state.manager = SimpleNamespace(get=lambda name: served, ready=True)
    app.state.keys = SimpleNamespace(verify=lambda token: KeyRecord("k1", "test", "viewer", 0.0))
    app.state.busy = 0
    return app


@pytest.mark.parametrize("body", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)),  # raw bytes under a multipart Content-Type
    b"--XYZ\r\nno headers, no blank line, no closing boundary",
])
def test_a_body_that_does_not_match_its_multipart_boundary_is_a_400(body: bytes) -> None:
    """python-multipart's parse error passed Starlette's form parser and became a 500."""
    from fastapi.testclient import TestClient

    client = TestClient(_app_serving_an_image_model())
    r = client.post("/v1/models/lesions/predict", content=body,
                    headers={"Authorization": "Bearer mdx_k1_x", "Content-Type": "multipart/form-data; boundary=XYZ"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("malformed-multipart") and 'field "file"' in r.json()["detail"]


def _app_that_fails(message: str):  # noqa: ANN202
    from meddx.serving import create_app
    from tests.integration.serve_helpers import test_settings

    app = create_app(test_settings())

    async def boom() -> None:
        raise ValueError(message)

    app.add_api_route("/v1/boom", boom, methods=["GET"])
    return app


def test_an_unexpected_failure_is_a_500_problem_and_its_message_stays_out_of_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    # raise_server_exceptions is TestClient's default: an exception that escapes the app (and
    # would reach uvicorn's "Exception in ASGI application" traceback) fails this test
    client = TestClient(_app_that_fails("could not parse 'Jane Roe MRN 4471'"))
    with caplog.at_level(logging.DEBUG):
        r = client.get("/v1/boom")
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith("internal-error") and body["request_id"] == r.headers["x-request-id"]
    assert "Jane" not in r.text and "Traceback" not in r.text
    logged = "\n".join(rec.getMessage() + (str(rec.exc_info) if rec.exc_info else "") for rec in caplog.records)
    assert body["request_id"] in logged and "ValueError" in logged and "boom" in logged  # enough to find the cause
    assert "Jane" not in logged and "4471" not in logged
    assert r.headers["x-content-type-options"] == "nosniff"  # the security headers still apply


def _corrupt_jpeg_dicom() -> bytes:
    """A small DICOM whose pixel data is a truncated baseline JPEG frame: a decoder is installed
    (Pillow), and fails on it."""
    import io

    import numpy as np
    import pydicom
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    from tests.unit.serving.serving_samples import dicom_bytes, jpeg_bytes, lesion_image

    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(lesion_image())))
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([jpeg_bytes(np.asarray(lesion_image()))[:120]])
    ds["PixelData"].VR = "OB"
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def test_a_corrupt_compressed_dicom_is_a_422_without_pydicom_tracebacks_in_the_server_log(
        caplog: pytest.LogCaptureFixture) -> None:
    """pydicom logs each decoder plugin that fails on a corrupt frame (ERROR, with a traceback)
    before raising; while the server reads an upload (``withheld_logs``, as ``_prepare_image``
    does), none of that reaches its log, and the client still gets the 422. (The request path and
    the user's own pydicom logging: test_serving_log_privacy.py.)"""
    from meddx.serving.quiet_logs import PYDICOM, withheld_logs

    with caplog.at_level(logging.DEBUG), withheld_logs(PYDICOM):
        with pytest.raises(Problem) as info:
            uploads.decode_image("dicom", _corrupt_jpeg_dicom())
    assert (info.value.status, info.value.slug) == (422, "malformed-image")
    assert not [r for r in caplog.records if r.name.startswith("pydicom") or r.exc_info]


def test_a_record_without_surrogates_is_not_walked_string_by_string(monkeypatch: pytest.MonkeyPatch) -> None:
    """The surrogate walk runs on the event loop: string by string it took 9 ms for a stay of
    3,000 observations, longer than parsing the body; one search over the record's JSON says
    whether there is anything to name, and only then is it walked."""
    searched: list[int] = []
    real = uploads._SURROGATE

    class Counting:
        def search(self, text: str):  # type: ignore[no-untyped-def]
            searched.append(len(text))
            return real.search(text)

    monkeypatch.setattr(uploads, "_SURROGATE", Counting())
    record = {"id": "p1", "observations": [{"time": k / 10, "variable": "HR", "value": 70} for k in range(3000)]}
    uploads.json_payload({"record": record}, 100_000)
    assert len(searched) <= 2  # was one per string and key: 12,002
    record["observations"][2999]["variable"] = "HR\udc00"
    with pytest.raises(Problem, match=r'^"record"\.observations\[2999\]\.variable holds an unpaired'):
        uploads.json_payload({"record": record}, 100_000)


def test_a_logged_failure_names_its_causes_types_without_their_messages(caplog: pytest.LogCaptureFixture) -> None:
    """An operator sees what the failure came from (``raise X from Y``) while no message reaches the log."""
    import logging

    from meddx.serving.problems import log_failure

    try:
        try:
            "Jane Roe \ud800".encode("utf-8")
        except UnicodeEncodeError as inner:
            raise RuntimeError("while answering Jane Roe") from inner
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="meddx.serving"):
            log_failure("abc123", exc)
    text = caplog.text
    assert "RuntimeError from UnicodeEncodeError" in text and "Jane" not in text


def test_an_image_sent_as_a_text_field_is_told_to_send_it_as_a_file() -> None:
    """``curl -F file=<scan.png`` sends the image as a text field (no filename): the answer said
    'send the image as the multipart/form-data field "file"', which the client had done."""
    from fastapi.testclient import TestClient

    client = TestClient(_app_serving_an_image_model())
    body = b'--XYZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--XYZ--\r\n'
    r = client.post("/v1/models/lesions/predict", content=body,
                    headers={"Authorization": "Bearer mdx_k1_x", "Content-Type": "multipart/form-data; boundary=XYZ"})
    assert r.status_code == 422 and r.json()["type"].endswith("missing-file")
    assert "came as text" in r.json()["detail"] and "file=@scan.png" in r.json()["detail"]
