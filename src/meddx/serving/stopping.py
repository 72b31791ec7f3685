"""Run the app under uvicorn until SIGTERM or Ctrl-C, and say how it stopped.

uvicorn drains on SIGTERM and SIGINT: it stops accepting connections, lets the requests in flight
finish (their audit rows are written before each answer), runs the app's shutdown (the audit log
flushed and closed), and then raises the signal again so that the process dies of it. A service
manager stopping the server therefore saw exit status 143 (SIGTERM) for a clean stop, while Ctrl-C
gave 0 (``uvicorn.run`` swallows the KeyboardInterrupt). ``run_server`` keeps the drain and makes
the two agree: a stop that waited for every request in flight exits 0, with one line on stderr;
a forced stop (a second Ctrl-C, which cuts requests off) exits 130.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

FORCED = 128 + signal.SIGINT  # a second Ctrl-C: requests in flight were cut off


def run_server(app: Any, **config: Any) -> int:
    """``uvicorn.run(app, **config)`` until a signal stops it; the exit status: 0 after a graceful
    stop, ``FORCED`` when a second Ctrl-C cut requests off. (A server that never started exits 3
    inside ``uvicorn.run``, as before.)"""
    import uvicorn

    stops: list[int] = []

    def note(sig: int, frame: Any) -> None:
        # uvicorn restores this handler after its drain and raises each signal it caught again,
        # the last caught first. (A signal in the instant before uvicorn installs its own handlers
        # is noted, not acted on.)
        stops.append(sig)

    previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(app, **config)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return _report(stops)


def _report(stops: list[int]) -> int:
    """The exit status, and one stderr line naming the signal that stopped the server (none: it
    returned on its own). uvicorn forces the stop, without waiting, on a Ctrl-C after the first
    stop signal: raised again last-caught-first, that is a SIGINT before the last one noted."""
    if not stops:
        return 0
    name = signal.Signals(stops[-1]).name
    if signal.SIGINT in stops[:-1]:
        print(f"meddx serve: stopped by {name} then SIGINT, without waiting for the requests in flight",
              file=sys.stderr)
        return FORCED
    print(f"meddx serve: stopped by {name}; the requests in flight were answered and audited", file=sys.stderr)
    return 0
