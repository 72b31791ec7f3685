"""Abandoned work (``serving.cancel``): a job whose request gave up stops at its next check."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest


def test_a_cancelled_explanation_stops_at_its_next_pass() -> None:
    """``cancel.in_executor``: the job watching a request that gave up stops at its next check."""
    from meddx.serving.cancel import Abandoned, check, in_executor

    steps: list[int] = []
    stopped = threading.Event()

    def passes() -> None:
        try:
            for k in range(40):
                check()
                steps.append(k)
                time.sleep(0.02)
        except Abandoned:
            stopped.set()
            raise

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(in_executor(ThreadPoolExecutor(1), passes), 0.1)

    asyncio.run(main())
    assert stopped.wait(1.0) and len(steps) < 15, steps
    check()  # outside a watched job nothing is abandoned


def test_a_job_stops_only_when_every_request_gave_up() -> None:
    """The network's pre-hook stops a watched job once all its requests left; a batch mate still
    waiting keeps it running, and outside a watched job (warm-up, the CLI) nothing is checked."""
    import torch

    from meddx.serving.cancel import Abandoned, abandoned, stop_when_abandoned, watching

    net = torch.nn.Linear(2, 2)
    stop_when_abandoned(net)
    stop_when_abandoned(net)  # installed once
    assert len(net._forward_pre_hooks) == 1
    first, second = threading.Event(), threading.Event()
    with watching([first, second]):
        first.set()
        net(torch.zeros(1, 2))
        assert abandoned(0) and not abandoned(1) and not abandoned()
        second.set()
        with pytest.raises(Abandoned):
            net(torch.zeros(1, 2))
    net(torch.zeros(1, 2))
