"""Default output folders of ``meddx evaluate`` and ``meddx compare`` inside a bundle.

``<source name>-<split>`` alone collides for two different sources with the same folder or
file name (``site_a/images`` and ``site_b/images``): the second evaluation overwrote the
first. The name therefore ends with a short hash of the source's resolved location (and, for a
comparison, of the other bundle's), so different sources get different folders and the same
source, evaluated again, the same folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def location_key(*locations: str | Path) -> str:
    """8 hex digits of SHA-256 over the resolved paths (a spec that is no path, such as
    ``medmnist:pathmnist``, is hashed as written)."""
    digest = hashlib.sha256()
    for loc in locations:
        text = str(loc).strip()
        try:
            path = Path(text).expanduser()
            text = str(path.resolve()) if path.exists() else text
        except (OSError, RuntimeError):
            pass
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:8]


def evaluation_dir(bundle: Path, source_name: str, data: str | Path, split: str) -> Path:
    """``BUNDLE/evaluations/<source>-<split>-<hash of the source's location>``."""
    return Path(bundle) / "evaluations" / f"{source_name}-{split}-{location_key(data)}"


def comparison_dir(bundle_a: Path, bundle_b: Path, name_b: str, source_name: str, data: str | Path,
                   split: str) -> Path:
    """``A/comparisons/<B>-<source>-<split>-<hash of B's and the source's locations>``."""
    return Path(bundle_a) / "comparisons" / f"{name_b}-{source_name}-{split}-{location_key(bundle_b, data)}"


def check_out_folder(out: str | Path | None, flag: str = "--out") -> None:
    """Refuse an output folder that cannot be one (an existing file, or a path under a file) now,
    before predicting and resampling, not when the results are written (``ConfigError``)."""
    if out is None:
        return
    from meddx.core.errors import ConfigError

    path = Path(out).expanduser()
    for where in (path, *path.parents):
        if where.exists():
            if not where.is_dir():
                said = "a file exists there" if where == path else f"{where} is a file"
                raise ConfigError(f"{flag} {out}: {said}, and {flag} is the folder for the results; "
                                  "choose a folder (new or existing)")
            return
