"""The micro-batcher: concurrent inputs share calls, answers stay with their request, failures stay local."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from meddx.serving.batching import MicroBatcher


class Recorder:
    """A batch function that doubles numbers, records batch sizes, and fails on negative inputs."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sizes: list[int] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, items: list[int]) -> list[int]:
        with self.lock:
            self.sizes.append(len(items))
        time.sleep(self.delay)
        if any(x < 0 for x in items):
            raise ValueError("negative input")
        return [2 * x for x in items]


def _run(coro):
    return asyncio.run(coro)


def test_concurrent_requests_are_batched_and_answers_kept_in_order() -> None:
    fn = Recorder(delay=0.01)
    pool = ThreadPoolExecutor(2)

    async def main() -> list[int]:
        batcher = MicroBatcher(fn, pool, max_batch=8, max_wait_ms=20)
        out = await asyncio.gather(*(batcher.submit(i) for i in range(40)))
        assert batcher.stats()["items"] == 40
        await batcher.close()
        return list(out)

    assert _run(main()) == [2 * i for i in range(40)]
    assert max(fn.sizes) == 8 and len(fn.sizes) < 40 and sum(fn.sizes) == 40


def test_a_lone_request_waits_at_most_max_wait() -> None:
    fn = Recorder()
    pool = ThreadPoolExecutor(1)

    async def main() -> float:
        batcher = MicroBatcher(fn, pool, max_batch=16, max_wait_ms=30)
        await batcher.submit(1)  # start the loop
        start = time.perf_counter()
        assert await batcher.submit(5) == 10
        elapsed = time.perf_counter() - start
        await batcher.close()
        return elapsed

    assert 0.025 <= _run(main()) < 0.5
    assert fn.sizes == [1, 1]


def test_batching_off_calls_once_per_request() -> None:
    fn = Recorder()

    async def main() -> list[int]:
        batcher = MicroBatcher(fn, ThreadPoolExecutor(2), max_batch=1)
        return list(await asyncio.gather(*(batcher.submit(i) for i in range(6))))

    assert _run(main()) == [0, 2, 4, 6, 8, 10]
    assert fn.sizes == [1] * 6


def test_a_failing_input_fails_only_its_own_request() -> None:
    fn = Recorder(delay=0.005)

    async def main() -> list:
        batcher = MicroBatcher(fn, ThreadPoolExecutor(1), max_batch=8, max_wait_ms=20)
        out = await asyncio.gather(*(batcher.submit(i) for i in (1, -1, 3, 4)), return_exceptions=True)
        await batcher.close()
        return list(out)

    out = _run(main())
    assert out[0] == 2 and out[2] == 6 and out[3] == 8
    assert isinstance(out[1], ValueError)


def test_close_fails_queued_inputs_and_refuses_new_ones() -> None:
    fn = Recorder(delay=0.2)

    async def main() -> None:
        batcher = MicroBatcher(fn, ThreadPoolExecutor(1), max_batch=1 + 1, max_wait_ms=0)
        first = asyncio.ensure_future(batcher.submit(1))
        await asyncio.sleep(0.05)  # the first batch is running
        queued = [asyncio.ensure_future(batcher.submit(i)) for i in range(2, 6)]
        await asyncio.sleep(0.01)
        await batcher.close()
        results = await asyncio.gather(first, *queued, return_exceptions=True)
        assert any(isinstance(r, RuntimeError) for r in results)
        with pytest.raises(RuntimeError, match="closed"):
            await batcher.submit(9)

    _run(main())
