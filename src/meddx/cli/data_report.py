"""Where ``meddx data verify`` writes its JSON report, without destroying an earlier one.

- No ``--report``: ``./verify-report.json``. An earlier report of the same source there is
  replaced (verify run again after a fix). Any other file of that name (say, the report of another
  source verified earlier in the same folder) makes verify refuse before reading anything, naming
  the file and the two ways on (``--report PATH`` or ``--overwrite``); the final write then creates
  the file without ever replacing one that appeared meanwhile.
- ``--report PATH``: the user chose the name, so an earlier verify report there is replaced; any
  other existing file (a CSV, notes, a model's metrics...) is refused unless ``--overwrite``.
- Every write is atomic (temporary file beside the target, then rename or link): a reader never
  sees half a report, and an interrupted run leaves the old file as it was.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError

DEFAULT_REPORT = "verify-report.json"
_REPORT_KEYS = {"source", "settings", "summary"}


def report_destination(report: Path | None, overwrite: bool, source: str) -> tuple[Path, bool]:
    """The report path and whether an existing file there may be replaced; refuses, before
    anything is read, a destination whose current content would be lost (``source`` as typed)."""
    if report is not None and report.is_dir():
        raise ConfigError(f"--report {report}: is a folder; expected a file path such as {report / DEFAULT_REPORT}")
    if report is None:
        path = Path(DEFAULT_REPORT)
        again = path.exists() and _same_source_report(path, source)
        if path.exists() and not overwrite and not again:
            raise ConfigError(f"{path.resolve()} already exists (an earlier verify report, perhaps of another source); "
                              "pass --report PATH to write elsewhere, or --overwrite to replace it")
        return path, overwrite or again
    if report.exists() and not overwrite and not _is_verify_report(report):
        raise ConfigError(f"--report {report}: the file exists and is not a meddx verify report; choose another path, "
                          "or pass --overwrite to replace it")
    return report, True


def write_report(path: Path, report: dict[str, Any], replace: bool) -> Path:
    """Write ``report`` as JSON atomically; with ``replace`` false never over an existing file."""
    from meddx.core.files import to_json, write_text_atomic

    try:
        return write_text_atomic(path, to_json(report), exclusive=not replace)
    except FileExistsError:
        raise ConfigError(f"{path.resolve()} appeared while verify ran; nothing was written: pass --report PATH "
                          "to write elsewhere, or --overwrite to replace it") from None


def _read_verify_report(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path`` when it has a verify report's top-level keys, else None."""
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and _REPORT_KEYS <= set(data) else None


def _is_verify_report(path: Path) -> bool:
    """True when ``path`` holds a JSON object with a verify report's top-level keys."""
    return _read_verify_report(path) is not None


def _same_source_report(path: Path, source: str) -> bool:
    """True when ``path`` is a verify report of ``source`` (its recorded origin is the same path)."""
    data = _read_verify_report(path)
    origin = (data or {}).get("source", {}).get("origin") if isinstance((data or {}).get("source"), dict) else None
    if not isinstance(origin, str):
        return False
    try:
        return origin == source or Path(origin).resolve() == Path(source).resolve()
    except (OSError, ValueError):
        return False
