"""Dynamic micro-batching: concurrent requests to one model share one forward pass.

Each model has a ``MicroBatcher``. A request's input goes on an asyncio queue; the batcher's
loop takes the first waiting input, then collects more until ``max_batch`` inputs or
``max_wait_ms`` have passed, and runs the batch function once in a worker thread (the event
loop keeps accepting requests meanwhile). Batches for one model run one at a time, so inputs
arriving during a forward pass form the next batch: at low load a request waits at most
``max_wait_ms``, at high load batches grow and throughput follows.

Written here rather than taken from a serving framework (Triton, Ray Serve, TorchServe): those
are separate servers; this is ~100 lines inside the FastAPI process. If a batch fails, its
inputs are retried one by one so a single bad input fails only its own request.

Each input carries a flag set when its request gives up (``--timeout``, a cancelled client):
a batch runs watching those flags (``serving.cancel``), so work nobody waits for any more stops
at its next check instead of holding the worker thread to its end.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Executor
from typing import Any, Callable, Sequence

from meddx.serving.cancel import Abandoned, run_watched

log = logging.getLogger("meddx.serving")


class BatcherClosed(RuntimeError):
    """The model behind this batcher was unloaded (replaced or server stopping); retry the request."""


class MicroBatcher:
    """``await submit(x)`` returns ``fn([x, ...])[i]`` for this input; ``max_batch`` 1: no batching."""

    def __init__(self, fn: Callable[[list[Any]], Sequence[Any]], executor: Executor, *, max_batch: int = 16,
                 max_wait_ms: float = 2.0, name: str = "model") -> None:
        self.fn, self.executor, self.name = fn, executor, name
        self.max_batch = max(1, int(max_batch))
        self.max_wait = max(0.0, float(max_wait_ms)) / 1000
        self.batches = 0
        self.items = 0
        self._queue: asyncio.Queue[tuple[Any, asyncio.Future, threading.Event]] | None = None
        self._worker: asyncio.Task | None = None
        self._closed = False

    def stats(self) -> dict[str, Any]:
        return {"max_batch": self.max_batch, "max_wait_ms": self.max_wait * 1000, "batches": self.batches,
                "items": self.items, "mean_batch": round(self.items / self.batches, 2) if self.batches else None}

    async def submit(self, item: Any) -> Any:
        """The result for one input, computed alone or in a batch with others."""
        if self._closed:
            raise BatcherClosed(f"batcher {self.name} is closed")
        loop = asyncio.get_running_loop()
        flag = threading.Event()  # set when this request gives up: its work stops at the next check
        try:
            if self.max_batch == 1:
                self.batches += 1
                self.items += 1
                return (await loop.run_in_executor(self.executor, run_watched, self.fn, [flag], [item]))[0]
            if self._queue is None:
                self._queue = asyncio.Queue()
                self._worker = loop.create_task(self._loop(), name=f"batcher-{self.name}")
            future: asyncio.Future = loop.create_future()
            await self._queue.put((item, future, flag))
            return await future
        except asyncio.CancelledError:
            flag.set()
            raise

    async def _collect(self, batch: list[Any]) -> list[tuple[Any, asyncio.Future, threading.Event]]:
        assert self._queue is not None
        batch.append(await self._queue.get())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        while len(batch) < self.max_batch:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        return [(x, f, e) for x, f, e in batch if not f.done()]  # a cancelled request is not computed

    async def _loop(self) -> None:
        while True:
            batch: list[tuple[Any, asyncio.Future, threading.Event]] = []
            try:
                await self._run_batch(await self._collect(batch))
            except asyncio.CancelledError:  # closing: what was taken from the queue gets an error
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(BatcherClosed(f"model {self.name} was unloaded"))
                raise

    async def _run_batch(self, batch: list[tuple[Any, asyncio.Future, threading.Event]]) -> None:
        if not batch:
            return
        inputs, flags = [x for x, _, _ in batch], [e for _, _, e in batch]
        self.batches += 1
        self.items += len(batch)
        try:
            results = await asyncio.get_running_loop().run_in_executor(self.executor, run_watched, self.fn, flags,
                                                                       inputs)
            outcomes: list[tuple[bool, Any]] = [(True, r) for r in results]
        except Abandoned as exc:  # every request of the batch gave up: nothing to retry
            outcomes = [(False, exc)] * len(inputs)
        except Exception as exc:
            outcomes = await self._one_by_one(inputs, flags) if len(inputs) > 1 else [(False, exc)]
        for (_, future, _), (ok, value) in zip(batch, outcomes):
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    async def _one_by_one(self, inputs: list[Any], flags: list[threading.Event]) -> list[tuple[bool, Any]]:
        loop = asyncio.get_running_loop()
        out: list[tuple[bool, Any]] = []
        for x, flag in zip(inputs, flags):
            try:
                out.append((True, (await loop.run_in_executor(self.executor, run_watched, self.fn, [flag], [x]))[0]))
            except Exception as exc:
                out.append((False, exc))
        return out

    async def close(self) -> None:
        """Stop the loop; inputs still queued get an error (the model is being replaced or the server stops)."""
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
        while self._queue is not None and not self._queue.empty():
            _, future, _ = self._queue.get_nowait()
            if not future.done():
                future.set_exception(BatcherClosed(f"model {self.name} was unloaded"))
