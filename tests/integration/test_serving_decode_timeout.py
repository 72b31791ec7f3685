"""``--timeout`` covers decoding an upload, and decoding stops when its request gave up.

Decoding an image upload (a PNG, a NIfTI volume, a DICOM series ZIP) ran in a worker thread
before the timeout started, so a slow or huge upload held a worker without limit and got its
answer however long it took; and a series read inside a segmentation job could not be stopped
between slices. Slow stand-ins: a decoder that takes 20 steps of 0.1 s (checking the request's
cancel flag between steps, as the real reader does between a ZIP's files and a series' slices),
and a DICOM slice decoder that takes 0.15 s per slice; one worker thread, a 0.6 s timeout.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.dicom_slices import write_ct_slice
from tests.integration.bundle_helpers import tiny_image_bundle, tiny_seg_bundle
from tests.integration.serve_helpers import async_client, auth, data_root, test_settings

TIMEOUT_S = 0.6


@pytest.fixture()
def home(tmp_path: Path) -> Any:
    from meddx.registry.store import register_bundle
    from meddx.serving.auth import create_key

    with data_root(tmp_path / "home") as root:
        register_bundle(tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "abnormal"],
                                          decision={"threshold": 0.5}, training={}))
        register_bundle(tiny_seg_bundle(tmp_path / "vol3d", "vol3d", dims=3, size=[16, 16, 16], patch=[16, 16, 16],
                                        channels=[4, 8]))
        viewer, _ = create_key("viewer", "decode-timeouts")
        yield {"root": root, "viewer": viewer}


def _app() -> Any:
    from meddx.serving.app import create_app

    return create_app(test_settings(worker_threads=1, warmup=True, predict_timeout_s=TIMEOUT_S))


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (28, 28), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _series_zip(folder: Path, n: int = 16) -> bytes:
    folder.mkdir(parents=True)
    volume = np.random.default_rng(0).integers(0, 400, (n, 16, 16)).astype(np.int16)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, plane in enumerate(volume):
            f = write_ct_slice(folder / f"IM{k + 1:04d}.dcm", plane, series="1.2.3.4", number=k + 1,
                               position=[0.0, 0.0, 1.5 * k], spacing=[0.8, 0.8], thickness=1.5)
            zf.write(f, "SE1/" + f.name)
    return buf.getvalue()


def test_a_slow_decode_gets_the_timeout_and_stops_at_its_next_check(home: dict,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.serving.uploads as uploads
    from meddx.serving.cancel import check

    real, steps = uploads.decode_upload, []

    def slow_decode(*args: Any) -> Any:  # 2 s of decoding, checking between steps as the series reader does
        for _ in range(20):
            check()
            steps.append(time.monotonic())
            time.sleep(0.1)
        return real(*args)

    app = _app()
    png = _png()

    async def main() -> tuple[Any, float, float, Any]:
        async with async_client(app) as client:
            async def post() -> Any:
                return await client.post("/v1/models/cxr/predict", headers=auth(home["viewer"]),
                                         files={"file": ("x.png", png, "image/png")})

            monkeypatch.setattr(uploads, "decode_upload", slow_decode)
            sent = time.monotonic()
            slow = await post()
            answered = time.monotonic()
            await asyncio.sleep(1.5)  # what the abandoned decode would still have run
            monkeypatch.setattr(uploads, "decode_upload", real)
            return slow, sent, answered, await post()

    slow, sent, answered, normal = asyncio.run(main())
    assert slow.status_code == 503 and slow.json()["type"].endswith(":timeout"), (slow.status_code, slow.text)
    assert answered - sent < TIMEOUT_S + 1.0, f"the 503 came {answered - sent:.2f} s after the request"
    late = [t for t in steps if t > answered]
    assert len(late) <= 1, f"{len(late)} decoding steps ran after the 503 (of {len(steps)})"
    assert normal.status_code == 200 and normal.json()["label"] in ("normal", "abnormal"), normal.text


def test_a_series_read_stops_between_slices_when_its_request_timed_out(home: dict, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.data.dicom as dicom

    real, decoded = dicom.dicom_pixels, []

    def slow_pixels(ds: Any) -> Any:  # 16 slices: 2.4 s of decoding
        decoded.append(time.monotonic())
        time.sleep(0.15)
        return real(ds)

    app = _app()
    data = _series_zip(tmp_path / "SE1")

    async def main() -> tuple[Any, float]:
        async with async_client(app) as client:
            monkeypatch.setattr(dicom, "dicom_pixels", slow_pixels)
            r = await client.post("/v1/models/vol3d/predict?mask=none", headers=auth(home["viewer"]),
                                  files={"file": ("series.zip", data, "application/zip")})
            answered = time.monotonic()
            await asyncio.sleep(16 * 0.15)  # what the abandoned read would still have run
            return r, answered

    r, answered = asyncio.run(main())
    assert r.status_code == 503 and r.json()["type"].endswith(":timeout"), (r.status_code, r.text)
    late = [t for t in decoded if t > answered]
    assert len(late) <= 1, f"{len(late)} slices were decoded after the 503 (of {len(decoded)})"
