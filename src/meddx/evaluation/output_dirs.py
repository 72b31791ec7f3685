"""Default output folders of ``meddx evaluate`` and ``meddx compare`` inside a bundle.

``<source name>-<split>`` alone collides for two different sources with the same folder or
file name (``site_a/images`` and ``site_b/images``): the second evaluation overwrote the
first. The name therefore ends with a short hash of the source's resolved location (and, for a
comparison, of the other bundle's), so different sources get different folders and the same
source, evaluated again, the same folder.

Options that change what is written (bootstrap, level, seed, extra operating points, subgroups,
column overrides, ...) are hashed too, but only those that differ from the defaults: an evaluation
with other options no longer overwrites the first, the same options again refresh their folder, and
a default evaluation keeps the folder name it always had.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def location_key(*locations: str | Path, options: dict[str, Any] | None = None) -> str:
    """8 hex digits of SHA-256 over the resolved paths (a spec that is no path, such as
    ``medmnist:pathmnist``, is hashed as written) and, when there are any, the ``options`` that
    differ from the defaults (none: the key of the locations alone, as before options counted)."""
    digest = hashlib.sha256()
    for loc in locations:
        text = str(loc).strip()
        try:
            path = Path(text).expanduser()
            text = str(path.resolve()) if path.exists() else text
        except (OSError, RuntimeError):
            pass
        digest.update(text.encode() + b"\0")
    if options:
        digest.update(b"options\0" + json.dumps(options, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:8]


def changed_options(given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``given`` whose value is not ``defaults``' (a missing default: ``None``);
    ``None``, empty lists and empty dicts count as not given."""
    return {k: v for k, v in given.items() if v not in (None, [], {}) and v != defaults.get(k)}


RESAMPLING_DEFAULTS = {"n_resamples": 1000, "level": 0.95, "seed": 0}
"""``meddx compare``'s defaults (``--bootstrap``, ``--level``, ``--seed``), as ``EvalSettings``'."""


def comparison_options(n_resamples: int, level: float, seed: int,
                       columns: dict[str, str] | None = None) -> dict[str, Any]:
    """A comparison's options not at their defaults, for :func:`comparison_dir` (image and segmentation
    comparisons alike; ``columns``: the reader overrides, which segmentation has none of)."""
    return changed_options({"n_resamples": n_resamples, "level": level, "seed": seed, "columns": columns},
                           RESAMPLING_DEFAULTS)


def file_location(path: str | Path | None) -> str | None:
    """``path`` resolved (an options file such as ``--attributes``), so that the same file named
    from another folder hashes alike."""
    if path is None:
        return None
    try:
        return str(Path(path).expanduser().resolve())
    except (OSError, RuntimeError):
        return str(path)


def evaluation_dir(bundle: Path, source_name: str, data: str | Path, split: str,
                   options: dict[str, Any] | None = None) -> Path:
    """``BUNDLE/evaluations/<source>-<split>-<hash of the source's location and the options not at
    their defaults>``."""
    return Path(bundle) / "evaluations" / f"{source_name}-{split}-{location_key(data, options=options)}"


def comparison_dir(bundle_a: Path, bundle_b: Path, name_b: str, source_name: str, data: str | Path,
                   split: str, options: dict[str, Any] | None = None) -> Path:
    """``A/comparisons/<B>-<source>-<split>-<hash of B's and the source's locations and the options
    not at their defaults>``."""
    key = location_key(bundle_b, data, options=options)
    return Path(bundle_a) / "comparisons" / f"{name_b}-{source_name}-{split}-{key}"


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
