"""Abandoned work stops early: a request that timed out (``--timeout``) or was cancelled frees
its inference thread within one forward pass, instead of holding it to the end of the job.

``asyncio.wait_for`` answers a slow request with 503 ``timeout``, but cannot stop the worker
thread computing it: a segmentation case (many sliding windows, test-time passes) or an
occlusion explanation ran on to its end, holding one of the few inference threads, so under load
timed-out work piled up in front of the requests still waiting. Now each job carries one flag per
request (a ``threading.Event``), set when its request is cancelled; the worker thread
:func:`watching` those flags stops with :class:`Abandoned`:

- before a job starts (queued work whose requests all gave up is never computed);
- between the inputs of a micro-batch (each input's answer is its own forward pass), skipping
  the inputs whose requests gave up;
- between the stages of a segmentation (read, segment, encode the mask), and before every call of
  the network (a forward pre-hook: each sliding-window batch, each test-time pass), through
  :func:`stop_when_abandoned`.

A job runs on while any of its requests still waits, so a normal request is never cut short, and
the checks cost one thread-local lookup per forward pass. Outside a watched job (warm-up,
``meddx predict``) nothing is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Executor
from typing import Any, Callable, Iterator, Sequence

_local = threading.local()


class Abandoned(Exception):
    """Every request waiting for this job has given up (timed out or cancelled): stop computing."""


@contextlib.contextmanager
def watching(flags: Sequence[threading.Event]) -> Iterator[None]:
    """Inside the block, this thread's job is abandoned when every flag in ``flags`` is set."""
    previous = getattr(_local, "flags", None)
    _local.flags = list(flags)
    try:
        yield
    finally:
        _local.flags = previous


def abandoned(index: int | None = None) -> bool:
    """Whether this thread's job (``index``: its ``index``-th input) was given up; False outside a job."""
    flags = getattr(_local, "flags", None)
    if not flags:
        return False
    if index is not None:
        return index < len(flags) and flags[index].is_set()
    return all(flag.is_set() for flag in flags)


def check() -> None:
    """:class:`Abandoned` when this thread's job was given up by every request waiting for it."""
    if abandoned():
        raise Abandoned("the request was abandoned (timed out or cancelled) before its work ended")


def run_watched(fn: Callable[..., Any], flags: Sequence[threading.Event], *args: Any) -> Any:
    """``fn(*args)`` in this (worker) thread, watching ``flags``; not started when already abandoned."""
    with watching(flags):
        check()
        return fn(*args)


async def in_executor(executor: Executor, fn: Callable[..., Any], *args: Any) -> Any:
    """``loop.run_in_executor(executor, fn, *args)`` whose work stops at its next check when the
    awaiting request is cancelled (a pending job is dropped by asyncio itself)."""
    flag = threading.Event()
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, run_watched, fn, [flag], *args)
    except asyncio.CancelledError:
        flag.set()
        raise


def stop_when_abandoned(net: Any) -> None:
    """Check before every forward pass of the torch module ``net`` (a pre-hook; once per module)."""
    register = getattr(net, "register_forward_pre_hook", None)
    if register is None or getattr(net, "_meddx_abandon_hook", False):
        return
    register(lambda module, args: check())
    net._meddx_abandon_hook = True
