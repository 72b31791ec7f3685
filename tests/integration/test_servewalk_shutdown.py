"""`meddx serve` stopped by SIGTERM (a service manager, `docker stop`) or Ctrl-C while a request is in
flight: the request is answered, its audit row is whole, the port is released and the process
exits 0 with one line saying how it stopped.

The server runs as a real subprocess (signals cannot be sent to an in-process app). The request
in flight is an upload sent in two halves: the signal arrives between them, so the drain must
wait for the client, whatever the machine's speed.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.integration.serve_helpers import auth, data_root, free_port
from tests.unit.serving.serving_samples import lesion_image, png_bytes, tiny_bundle

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
pytestmark = pytest.mark.slow  # each test starts `meddx serve` (imports torch and MONAI, loads, warms up)
BOUNDARY = "servewalk0boundary"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A data root with one tiny registered bundle ('unit') and a viewer key."""
    from meddx.registry.store import register_bundle
    from meddx.serving.auth import create_key

    root = tmp_path_factory.mktemp("servewalk_home")
    with data_root(root):
        register_bundle(tiny_bundle(root / "bundles" / "unit" / "v1"))
        key, _ = create_key("viewer", "shutdown test")
    return {"home": root, "key": key}


@pytest.fixture()
def server(home: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``meddx serve`` in a subprocess on a free port, ready; killed if a test leaves it running."""
    port = free_port()
    env = {**os.environ, "MEDDX_HOME": str(home["home"])}
    proc = subprocess.Popen([sys.executable, "-m", "meddx", "serve", "--port", str(port), "--workers-threads", "1",
                             "--torch-threads", "1", "--log-level", "warning"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"meddx serve exited {proc.returncode}: {proc.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, "meddx serve was not ready within 180 s"
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield {"proc": proc, "url": url, "port": port, **home}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _upload_in_two_halves(url: str, key: str, png: bytes, halfway: threading.Event, go_on: threading.Event,
                          answer: dict[str, Any]) -> None:
    """POST ``png`` to the 'unit' model as multipart, pausing after half the body until ``go_on``."""
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{BOUNDARY}--\r\n".encode()

    def halves() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        halfway.set()
        go_on.wait(60)
        yield body[len(body) // 2:]

    headers = {**auth(key), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
               "Content-Length": str(len(body))}
    try:
        response = httpx.post(url + "/v1/models/unit/predict", content=halves(), headers=headers, timeout=60)
        answer["status"], answer["json"] = response.status_code, response.json()
    except Exception as exc:  # noqa: BLE001 - reported by the test's assertions
        answer["error"] = repr(exc)


def _audit_rows(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "serving.db") as conn:
        return conn.execute("SELECT request_id, output FROM audit").fetchall()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_drains_the_request_in_flight_and_exits_0(server: dict[str, Any], sig: signal.Signals) -> None:
    before = _audit_rows(server["home"])
    halfway, go_on, answer = threading.Event(), threading.Event(), {}
    client = threading.Thread(target=_upload_in_two_halves, args=(server["url"], server["key"],
                                                                 png_bytes(lesion_image(3)), halfway, go_on, answer))
    client.start()
    assert halfway.wait(30), "the upload did not start"
    time.sleep(0.3)  # the server is reading the body
    server["proc"].send_signal(sig)
    time.sleep(0.5)  # the server is draining: it must wait for the rest of the body
    assert server["proc"].poll() is None, "the server exited with a request in flight"
    go_on.set()
    client.join(60)
    _, stderr = server["proc"].communicate(timeout=60)

    assert answer.get("status") == 200, answer
    assert answer["json"]["label"] in ("neg", "pos")
    assert server["proc"].returncode == 0, f"exit status {server['proc'].returncode}; stderr: {stderr[-1500:]}"
    assert f"meddx serve: stopped by {sig.name}; the requests in flight were answered" in stderr
    assert "Traceback" not in stderr
    rows = _audit_rows(server["home"])
    assert len(rows) == len(before) + 1
    assert rows[-1][0] == answer["json"]["request_id"]  # the drained request's row, whole
    assert '"label": "' + answer["json"]["label"] + '"' in rows[-1][1]
    assert _port_free(server["port"])
