"""A hash of what each split's samples hold, so a resume notices data edited in place.

``data.json`` hashed only the (id, label) pairs of each split: an image folder whose PNGs were
overwritten, or a ``.npz`` regenerated with the same labels, resumed silently, training on with
normalisation statistics (and class weights) fitted on other data. The content hash covers the
arrays of an in-memory source, the bytes of each file (a DICOM series folder: its files), the
documents of a text source and the cells of a table; time-series records are not hashed (their
files are read into records whose order and types the readers decide).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError

CONTENT_KEY = "sha256_content"
"""The per-split ``data.json`` field holding :func:`content_digest`."""


def content_digest(split: Any) -> str | None:
    """SHA-256 of a split's sample contents in order; ``None`` for time-series records or an
    unreadable file (a resume then compares the ids and labels alone, as before)."""
    h = hashlib.sha256()
    if getattr(split, "images", None) is not None:
        import numpy as np

        images = np.ascontiguousarray(split.images)
        h.update(f"{images.dtype.str}{images.shape}".encode())
        h.update(memoryview(images).cast("B"))
    elif getattr(split, "paths", None) is not None:
        from meddx.core.files import file_digest

        try:
            for path in split.paths:
                h.update(file_digest(Path(path)).encode())
        except OSError:
            return None
    elif getattr(split, "texts", None) is not None:
        for text in split.texts:
            h.update(hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).digest())
    elif getattr(split, "table", None) is not None:
        import pandas as pd

        h.update(",".join(map(str, split.table.columns)).encode())
        h.update(pd.util.hash_pandas_object(split.table, index=False).to_numpy().tobytes())
    else:
        return None
    return h.hexdigest()


def check_same_content(run_dir: Path, origin: str, recorded: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse a resume whose split contents differ from the run's ``data.json`` (same ids and
    labels, checked before); a split either side lacks a hash for (older runs) is not compared."""
    changed = sorted(s for s, rec in recorded.items()
                     if isinstance(rec, dict) and rec.get(CONTENT_KEY) and (now.get(s) or {}).get(CONTENT_KEY)
                     and rec[CONTENT_KEY] != now[s][CONTENT_KEY])
    if changed:
        raise ConfigError(f"{origin}: not the data run {run_dir.name} started on: the same samples and labels, but "
                          f"the contents of split(s) {', '.join(changed)} differ from its data.json (a file edited "
                          "or replaced); restore that data, or start a new run")
