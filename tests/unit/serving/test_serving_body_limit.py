"""BodyLimit: large bodies are cut off (with or without Content-Length), slow uploads time out."""

from __future__ import annotations

import asyncio
import json

from meddx.serving.problems import Problem
from meddx.serving.uploads import BodyLimit


async def _reader(scope: dict, receive, send) -> None:
    """An app that reads the whole body and answers its size (Problem -> its status, as the app's handler)."""
    total = 0
    try:
        while True:
            message = await receive()
            total += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        status, body = 200, {"bytes": total}
    except Problem as exc:
        status, body = exc.status, {"slug": exc.slug}
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def _call(chunks: list[bytes], headers: list[tuple[bytes, bytes]], delay: float = 0.0, **limits) -> tuple[int, dict]:
    sent: list[dict] = []

    async def main() -> None:
        queue = list(chunks)

        async def receive() -> dict:
            await asyncio.sleep(delay)
            body = queue.pop(0) if queue else b""
            return {"type": "http.request", "body": body, "more_body": bool(queue)}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "path": "/v1/x", "headers": headers}
        await BodyLimit(_reader, **limits)(scope, receive, send)

    asyncio.run(main())
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def test_small_bodies_pass_and_large_declared_ones_are_refused_unread() -> None:
    assert _call([b"a" * 10, b"b" * 10], [], max_bytes=100, timeout_s=5) == (200, {"bytes": 20})
    status, body = _call([b"x"], [(b"content-length", str(10**9).encode())], max_bytes=100, timeout_s=5)
    assert status == 413 and body["type"] == "urn:meddx:problem:upload-too-large"
    status, _ = _call([b"x"], [(b"content-length", b"12abc")], max_bytes=100, timeout_s=5)
    assert status == 413


def test_chunked_bodies_are_counted_while_streaming() -> None:
    chunks = [b"z" * 40_000] * 4  # 160 kB without a Content-Length; the limit is 1 kB (+64 kB multipart slack)
    assert _call(chunks, [], max_bytes=1000, timeout_s=5) == (413, {"slug": "upload-too-large"})


def test_a_slow_upload_times_out_with_408() -> None:
    assert _call([b"a", b"b", b"c"], [], delay=0.15, max_bytes=100, timeout_s=0.2) == (408, {"slug": "upload-timeout"})
