"""What third-party libraries log while the server reads an upload, and what they log elsewhere.

python-multipart logs a WARNING quoting a byte of a malformed body ("Expected boundary character
45, got 137 at index 2"); pydicom logs a traceback per decoder that fails on a corrupt frame. An
upload may be PHI, so neither reaches the server log while a request is handled; but silencing
them must not change the libraries' logging for the rest of the process (a program embedding
the app, a user who turned pydicom's logger up): ``quiet_pydicom`` once set pydicom's logger to
CRITICAL+1 for the whole process when the server started.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest

from tests.unit.serving.test_serving_failures import _app_serving_an_image_model, _corrupt_jpeg_dicom

HEADERS = {"Authorization": "Bearer mdx_k1_x", "Content-Type": "multipart/form-data; boundary=XYZ"}
FIXED = "multipart body refused (400 malformed-multipart; the parser's message withheld: it quotes the body)"
# each fails python-multipart's parser at a different state, each of which logs the offending byte
MALFORMED = {
    "raw bytes": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "wrong boundary": b'--XYQ\r\nContent-Disposition: form-data; name="file"\r\n\r\nJane Roe\r\n--XYZ--\r\n',
    "bad header name": b"--XYZ\r\nJane Roe: MRN 4471\r\n\r\nscan\r\n--XYZ--\r\n",
    "header without LF": b'--XYZ\r\nContent-Disposition: form-data; name="file"\rJ\n\r\nscan\r\n--XYZ--\r\n',
    "no closing boundary": b"--XYZ\r\nno headers, no blank line, no closing boundary",
}


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(("asyncio", "httpx"))]  # the test client's own


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_multipart_body_leaves_one_fixed_line_and_no_body_byte_in_the_log(
        name: str, caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(_app_serving_an_image_model())
    with caplog.at_level(logging.DEBUG):
        r = client.post("/v1/models/lesions/predict", content=MALFORMED[name], headers=HEADERS)
    assert r.status_code == 400 and r.json()["type"].endswith("malformed-multipart")
    rid = r.headers["x-request-id"]
    logged = [(rec.name, rec.levelno, rec.getMessage(), rec.exc_info) for rec in _records(caplog)]
    assert logged == [("meddx.serving", logging.INFO, f"request {rid}: {FIXED}", None)]


def test_python_multipart_logs_as_before_outside_the_servers_requests(caplog: pytest.LogCaptureFixture) -> None:
    """The withholding is scoped to the server's parsing: a program that parses multipart itself
    (after the server handled a bad body) still gets the library's warnings."""
    from fastapi.testclient import TestClient
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser

    TestClient(_app_serving_an_image_model()).post("/v1/models/lesions/predict", content=MALFORMED["raw bytes"],
                                                   headers=HEADERS)
    caplog.clear()
    with caplog.at_level(logging.WARNING), pytest.raises(MultipartParseError):
        MultipartParser(b"XYZ").write(b"--XYQ\r\n")
    assert [r.name for r in caplog.records] == ["python_multipart.multipart"]


def _app_decoding_uploads() -> Any:
    """The stubbed image app with a worker pool and a predictor, so an upload goes through the
    real ``_prepare_image`` in a worker thread (a corrupt file never reaches the model)."""
    app = _app_serving_an_image_model()
    served = app.state.manager.get("lesions")
    served.predictor = SimpleNamespace(config={}, orientation=None)
    app.state.executor = ThreadPoolExecutor(1)
    return app


def test_a_corrupt_dicom_upload_leaves_no_pydicom_record_in_the_server_log(caplog: pytest.LogCaptureFixture) -> None:
    """Even with pydicom's logger turned up to DEBUG by the user: the request's records are withheld."""
    from fastapi.testclient import TestClient

    upload = _corrupt_jpeg_dicom()  # made (by pydicom) before the log is watched
    pydicom_logger = logging.getLogger("pydicom")
    level = pydicom_logger.level
    app = _app_decoding_uploads()
    try:
        pydicom_logger.setLevel(logging.DEBUG)
        with caplog.at_level(logging.DEBUG):
            r = TestClient(app).post("/v1/models/lesions/predict", files={"file": ("a.dcm", upload)},
                                     headers={"Authorization": "Bearer mdx_k1_x"})
    finally:
        pydicom_logger.setLevel(level)
        app.state.executor.shutdown()
    assert r.status_code == 422 and r.json()["type"].endswith("malformed-image"), r.text
    assert not [rec for rec in _records(caplog) if rec.name.startswith("pydicom") or rec.exc_info]


def test_starting_the_server_leaves_pydicom_logging_as_the_user_set_it(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """An app embedded in a program, started and stopped: pydicom's logger keeps the user's level,
    and a decoder failure outside a request is logged as pydicom logs it."""
    from fastapi.testclient import TestClient

    from meddx.serving import create_app, uploads
    from meddx.serving.problems import Problem
    from tests.integration.serve_helpers import test_settings

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    pydicom_logger = logging.getLogger("pydicom")
    level = pydicom_logger.level
    try:
        pydicom_logger.setLevel(logging.INFO)
        with TestClient(create_app(test_settings())):  # the lifespan: what `meddx serve` runs at start
            assert pydicom_logger.level == logging.INFO
            with caplog.at_level(logging.DEBUG), pytest.raises(Problem):
                uploads.decode_image("dicom", _corrupt_jpeg_dicom())  # the user's own call, not a request
        assert pydicom_logger.level == logging.INFO
    finally:
        pydicom_logger.setLevel(level)
    assert [r for r in caplog.records if r.name.startswith("pydicom") and r.exc_info]  # the plugin's traceback


def test_withholding_is_per_thread_and_ends_with_the_block(caplog: pytest.LogCaptureFixture) -> None:
    """A worker thread reading an upload withholds pydicom's records; another thread logging at the
    same moment (the embedding program, another library user) is not silenced, nor is anyone after."""
    import threading

    from meddx.serving.quiet_logs import PYDICOM, withheld_logs

    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with withheld_logs(PYDICOM):
            logging.getLogger("pydicom.pixels.decoders.base").error("from the request's thread")
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    with caplog.at_level(logging.INFO):
        thread.start()
        inside.wait(10)
        logging.getLogger("pydicom").warning("from another thread, meanwhile")
        release.set()
        thread.join()
        logging.getLogger("pydicom.pixels.utils").warning("after the block")
    assert [r.getMessage() for r in caplog.records] == ["from another thread, meanwhile", "after the block"]


def test_a_thread_arriving_while_another_still_attaches_the_filter_waits_for_it(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Found by review: the scan recorded its logger count before it had attached the filter to the
    loggers it found, so a second request thread arriving meanwhile took the count for done and its
    pydicom record (a logger created since the last scan, e.g. a decoder plugin's) reached the log."""
    import threading

    from meddx.serving.quiet_logs import PYDICOM, withheld_logs

    with withheld_logs(PYDICOM):  # the known loggers scanned
        pass
    late = logging.getLogger("pydicom.meddx_review_plugin")  # created after that scan
    attaching, release = threading.Event(), threading.Event()
    add_filter = logging.Logger.addFilter

    def slow_add(self: logging.Logger, f: Any) -> None:  # the first thread pauses mid-scan
        if self is late and threading.current_thread().name == "first":
            attaching.set()
            release.wait(10)
        add_filter(self, f)

    def first() -> None:
        with withheld_logs(PYDICOM):
            pass

    def second() -> None:
        with withheld_logs(PYDICOM):
            late.error("from the second request's thread")

    monkeypatch.setattr(logging.Logger, "addFilter", slow_add)
    one, two = threading.Thread(target=first, name="first"), threading.Thread(target=second, name="second")
    with caplog.at_level(logging.INFO):
        one.start()
        assert attaching.wait(10)
        two.start()
        two.join(1)  # the fixed scan holds it until the first thread's scan is done
        release.set()
        one.join(10)
        two.join(10)
    assert not one.is_alive() and not two.is_alive()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pydicom")] == []
