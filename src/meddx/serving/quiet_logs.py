"""Log records of third-party libraries withheld while the server handles a request's upload.

Two libraries log what an upload holds before they raise, and the server log holds ids, sizes,
hashes and timings only:

- python-multipart logs a WARNING per malformed body, quoting a byte of it and its offset
  (``Expected boundary character 45, got 137 at index 2``, ``Found invalid character 74 in
  header``); the client gets a 400 from ``inputs._form``, and the server one fixed line instead.
- pydicom logs an ERROR with a full traceback for each decoder plugin that fails on a corrupt
  compressed frame, and (when a user turns its logger up to DEBUG) header values as it reads.

Neither library offers a per-call switch, and changing its logger's level (as ``quiet_pydicom``
did at start-up) silences it for the whole process, also for a program that embeds the app.
Hand-written here for that reason: one ``logging.Filter``, attached to the libraries' loggers,
drops a record only while :func:`withheld_logs` is active in the *current* context (a
``ContextVar``: the request's task, or the worker thread that decodes its upload), and lets every
other record through, so levels, handlers and the library's use elsewhere stay as the user set them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from contextvars import ContextVar
from typing import Iterator

MULTIPART = "python_multipart"
PYDICOM = "pydicom"
# modules whose loggers (named after them) log while parsing or decoding: imported, and their
# loggers created, before the filter is attached, so that none is created without it in the middle
# of a request (python-multipart creates its logger when a parser is built, not on import)
_KNOWN = {PYDICOM: ("pydicom.config", "pydicom.pixels.utils", "pydicom.pixels.decoders.base"),
          MULTIPART: ("python_multipart.multipart",)}
_ACTIVE: ContextVar[frozenset[str]] = ContextVar("meddx_withheld_logs", default=frozenset())


class _WithheldHere(logging.Filter):
    """Drops a record of a library whose records :func:`withheld_logs` withholds in this context."""

    def filter(self, record: logging.LogRecord) -> bool:
        active = _ACTIVE.get()
        return not active or not any(record.name == lib or record.name.startswith(lib + ".") for lib in active)


_FILTER = _WithheldHere("meddx-withheld")
_scanned: dict[str, int] = {}  # library -> how many loggers existed when its loggers were last scanned
# One scan at a time, and a scan's count recorded only once its loggers hold the filter: a request
# thread that saw the count of a scan still attaching returned at once and logged unfiltered.
_SCAN_LOCK = threading.Lock()


def _attach(library: str) -> None:
    """Attach the filter to ``library``'s logger and each of its children (a filter on a logger
    applies only to records logged on that logger, not to those its children propagate)."""
    if _scanned.get(library) == len(logging.Logger.manager.loggerDict):  # no logger created since (never removed)
        return
    import importlib

    with _SCAN_LOCK:
        if library not in _scanned:
            for module in _KNOWN.get(library, ()):
                with contextlib.suppress(ImportError):
                    importlib.import_module(module)
                logging.getLogger(module)
        existing = list(logging.Logger.manager.loggerDict)
        if _scanned.get(library) == len(existing):  # another thread's scan did it meanwhile
            return
        for name in [library, *(n for n in existing if n.startswith(library + "."))]:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
        _scanned[library] = len(existing)  # a logger created during the scan makes the next call scan again


@contextlib.contextmanager
def withheld_logs(*libraries: str) -> Iterator[None]:
    """Within the block, in this context only, drop the log records of ``libraries`` (logger
    name prefixes, e.g. ``"pydicom"``); outside it (other requests' threads included, and the
    user's own use of the library) their records pass as before."""
    for library in libraries:
        _attach(library)
    token = _ACTIVE.set(_ACTIVE.get() | frozenset(libraries))
    try:
        yield
    finally:
        _ACTIVE.reset(token)
