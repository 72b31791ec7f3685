"""A request that times out (``--timeout``) stops its work within one forward pass, so the next
request waits at most that long for the inference thread it held.

Slow stand-ins: untrained bundles (a 2D U-Net segmenter, the tiny seed-CNN classifier) whose
network, once served, sleeps in every call; one inference thread, so timed-out work that ran on
would sit in front of the next request. Before the fix, the timed-out case ran every remaining
sliding-window batch (and a timed-out micro-batch every remaining input) to its end.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle, tiny_seg_bundle
from tests.integration.serve_helpers import async_client, auth, data_root, test_settings

PASS_S = 0.25  # one slow network call


class SlowNet:
    """Wraps a served network's forward: every call sleeps ``PASS_S`` while ``slow``, and is timed."""

    def __init__(self, net: Any) -> None:
        self.calls: list[float] = []
        self.slow = True
        self.forward = net.forward
        net.forward = self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(time.monotonic())
        if self.slow:
            time.sleep(PASS_S)
        return self.forward(*args, **kwargs)


def _png(seed: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (64, 64), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture()
def home(tmp_path: Path) -> Any:
    from meddx.registry.store import register_bundle
    from meddx.serving.auth import create_key

    with data_root(tmp_path / "home") as root:
        for name in ("slowseg", "quickseg"):  # a 64 px grid in 16 px windows: 13 network calls per case
            register_bundle(tiny_seg_bundle(tmp_path / name, name, dims=2, size=[64, 64], patch=[16, 16],
                                            structure="spot", channels=[4, 8]))
        register_bundle(tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "abnormal"],
                                          decision={"threshold": 0.5}, training={}))
        viewer, _ = create_key("viewer", "timeouts")
        yield {"root": root, "viewer": viewer}


def _settings(**overrides: Any) -> Any:
    return test_settings(**{"worker_threads": 1, "warmup": False, "predict_timeout_s": 0.6, **overrides})


def test_a_timed_out_segmentation_stops_and_the_next_request_waits_one_pass(home: dict) -> None:
    from meddx.serving.app import create_app

    app = create_app(_settings())

    async def main() -> tuple[Any, float, float, list[float], int]:
        async with async_client(app) as client:
            slow = SlowNet(app.state.manager.models["slowseg"].predictor.net)
            files = {"file": ("scan.png", _png(0), "image/png")}
            first = await client.post("/v1/models/slowseg/predict?mask=none", headers=auth(home["viewer"]),
                                      files=files)
            answered = time.monotonic()
            second = await client.post("/v1/models/quickseg/predict?mask=none", headers=auth(home["viewer"]),
                                       files=files)
            waited = time.monotonic() - answered
            await asyncio.sleep(13 * PASS_S)  # what the abandoned case would still have run
            return first, waited, answered, slow.calls, second.status_code

    first, waited, answered, calls, second = asyncio.run(main())
    assert first.status_code == 503 and first.json()["type"].endswith(":timeout"), first.text
    assert second == 200
    late = [t for t in calls if t > answered]
    assert len(late) <= 1, f"{len(late)} network calls of the timed-out case ran after its 503 (of {len(calls)})"
    assert waited < 2 * PASS_S + 1.5, f"the next request waited {waited:.2f} s behind the timed-out one"


def test_a_timed_out_micro_batch_skips_the_inputs_nobody_waits_for(home: dict) -> None:
    from meddx.serving.app import create_app

    app = create_app(_settings(max_batch=8, max_wait_ms=100, warmup=True))
    png = _classifier_png()

    async def main() -> tuple[list[int], list[float], float, int]:
        async with async_client(app) as client:
            slow = SlowNet(app.state.manager.models["cxr"].predictor.net)

            async def one() -> int:
                r = await client.post("/v1/models/cxr/predict", headers=auth(home["viewer"]),
                                      files={"file": ("x.png", png, "image/png")})
                return r.status_code

            codes = await asyncio.gather(*(one() for _ in range(6)))  # one batch of 6 passes; all give up
            answered = time.monotonic()
            await asyncio.sleep(6 * PASS_S)  # what the abandoned batch would still have run
            slow.slow = False
            late = [t for t in slow.calls if t > answered]
            return list(codes), late, len(slow.calls), await one()

    codes, late, calls, after = asyncio.run(main())
    assert codes == [503] * 6
    assert len(late) <= 1, f"{len(late)} passes of timed-out inputs ran after their 503 ({calls} in all)"
    assert after == 200  # a normal request is answered as before


def _classifier_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (28, 28), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()
