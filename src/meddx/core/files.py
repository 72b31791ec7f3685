"""Atomic file writes: a reader never sees a half-written report, plan, manifest or metrics.

Each write goes to a uniquely named temporary file beside the target and is renamed over it
(``os.replace`` is atomic on one file system); the temporary file is removed on failure.

Permissions are those a plain ``open(path, "w")`` gives (``0o666`` less the process umask), or the
replaced file's own, so a team's shared folder reads a bundle's ``config.json`` as it reads its
weights (``tempfile.mkstemp`` alone made every such file ``0o600``). Files that hold note text
(explanation pages of a document, the rows ``data verify --fix`` keeps) are written ``private``:
``0o600`` whatever the umask, as PHI should be.

:func:`check_writable_folder` is the one check, before any work, that a destination folder can be
written (bundles, explanations, masks): tried with a probe, in one message format.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from meddx.core.errors import MeddxError


def write_text_atomic(path: str | Path, text: str, exclusive: bool = False, private: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically, creating the parent folder (see ``write_bytes_atomic``)."""
    return write_bytes_atomic(path, text.encode("utf-8"), exclusive=exclusive, private=private)


def write_bytes_atomic(path: str | Path, data: bytes, exclusive: bool = False, private: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temporary sibling, then rename), creating the parent
    folder: a reader never sees a half-written file, and an existing file survives a failure.

    ``exclusive``: never over an existing file, even one that appeared meanwhile (the sibling is
    hard-linked into place; where the file system has no hard links, an exclusive create, not
    atomic but never clobbering); ``FileExistsError`` when the name is taken.
    ``private``: mode ``0o600`` (note text); otherwise the mode :func:`file_mode` gives."""
    path = Path(path)
    mode = 0o600 if private else file_mode(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        # the OS error names the temporary sibling (ro/.n.txt._9xwxud2.tmp), a file the user never asked for
        reason = (exc.strerror or type(exc).__name__).lower()
        raise MeddxError(f"{path}: cannot write in {path.parent} ({reason}); expected a writable folder") from None
    try:
        if hasattr(os, "fchmod"):  # POSIX; elsewhere the platform's default stays
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if exclusive:
            _link_exclusive(tmp, path, data, mode)
        else:
            os.replace(tmp, path)
    except IsADirectoryError:
        raise MeddxError(f"{path}: is a folder; expected a file path to write") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _link_exclusive(tmp: str, path: Path, data: bytes, mode: int = 0o600) -> None:
    """Put ``tmp``'s content at ``path`` unless the name is taken (``FileExistsError``)."""
    try:
        os.link(tmp, path)  # atomic and exclusive; the link shares tmp's mode
    except FileExistsError:
        raise
    except OSError:  # no hard links here
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)


def check_writable_folder(folder: str | Path, flag: str, error: type[MeddxError] = MeddxError) -> None:
    """``error`` (one line naming ``flag`` and ``folder``) when nothing can be written in ``folder``, or,
    when it is not there yet, where it would be made: a part of it is a link to a folder that is not
    there, its nearest existing part is a file, or a folder that refuses a new entry. Checked before
    the work (training, attributions) so that a refusal costs nothing.

    Writability is tried, not asked: a probe folder is made and removed in the nearest existing folder.
    ``os.access`` and the permission bits answer for the kernel's own rule, which is not what an NFS
    server (root squash), an ACL or a read-only mount decides; the probe meets what the writes will."""
    folder = Path(folder)
    dangling = next((p for p in (folder, *folder.parents) if p.is_symlink() and not p.exists()), None)
    if dangling is not None:  # mkdir would fail after the work ("File exists")
        where = "" if dangling == folder else f"{dangling} is "
        raise error(f"{flag} {folder}: {where}a link to {os.readlink(dangling)}, which is not there; nothing "
                    "was written: make that folder, or choose another")
    where = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if where is None:
        return
    if not where.is_dir():
        raise error(f"{flag} {folder}: {where} is a file; expected a folder (or a new path under one)")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".meddx-probe-", dir=where))
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise error(f"{flag} {folder}: cannot write in {where} ({reason}); nothing was written: choose a "
                    "writable folder") from None


def file_mode(path: Path) -> int:
    """The permission bits a new write of ``path`` gets: the file's own when it exists (a user's
    ``chmod`` survives a rewrite), else what ``open(path, "w")`` would create (``0o666`` less the
    umask)."""
    import stat

    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where Linux shows it (``os.umask`` sets it too, a
    race with other threads creating files; used only where ``/proc`` has no ``Umask`` line)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


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
