"""Atomic file writes: a reader never sees a half-written report, plan, manifest or metrics.

Each write goes to a uniquely named temporary file beside the target and is renamed over it
(``os.replace`` is atomic on one file system); the temporary file is removed on failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from meddx.core.errors import MeddxError


def write_text_atomic(path: str | Path, text: str, exclusive: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically, creating the parent folder (see ``write_bytes_atomic``)."""
    return write_bytes_atomic(path, text.encode("utf-8"), exclusive=exclusive)


def write_bytes_atomic(path: str | Path, data: bytes, exclusive: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temporary sibling, then rename), creating the parent
    folder: a reader never sees a half-written file, and an existing file survives a failure.

    ``exclusive``: never over an existing file, even one that appeared meanwhile (the sibling is
    hard-linked into place; where the file system has no hard links, an exclusive create, not
    atomic but never clobbering); ``FileExistsError`` when the name is taken."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise MeddxError(f"{path}: cannot write ({exc}); expected a writable folder") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if exclusive:
            _link_exclusive(tmp, path, data)
        else:
            os.replace(tmp, path)
    except IsADirectoryError:
        raise MeddxError(f"{path}: is a folder; expected a file path to write") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _link_exclusive(tmp: str, path: Path, data: bytes) -> None:
    """Put ``tmp``'s content at ``path`` unless the name is taken (``FileExistsError``)."""
    try:
        os.link(tmp, path)  # atomic and exclusive
    except FileExistsError:
        raise
    except OSError:  # no hard links here
        with path.open("xb") as out:
            out.write(data)


def to_json(data: Any) -> str:
    """Indented JSON that also accepts numpy scalars/arrays and paths."""
    return json.dumps(data, indent=2, default=_json_default)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    return write_text_atomic(path, to_json(data))


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes; for a folder (DICOM series), of its sorted files' bytes."""
    path = Path(path)
    h = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()
