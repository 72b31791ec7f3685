"""The fields a bundle's ``config.json`` may hold: an unknown one is refused, not silently ignored.

A hand edit with a typo (``"decision": {"threshhold": 0.2}``) used to load as if the edit had not
been made: predictions at the old threshold, with nothing to say so. Now an unknown field in the
parts of ``config.json`` that decide predictions (the top level, ``model``, ``decision``,
``calibration``) is a ``BundleError`` naming it and the closest known field.

Forward compatibility: a meddx that writes a new optional field keeps the format
``meddx-bundle/1`` (a change older readers cannot honour bumps the format of the bundles that use
it, which older meddx refuses with "upgrade meddx": ``integrity.format_for``). So a bundle whose
``meddx_version`` file names a newer meddx than this one loads with its unknown fields ignored and a
logged warning; one written by this or an older meddx is refused. The lists hold every field any meddx has written (fields no longer
written are kept, so old bundles still load); a new field must be added here when it is written.
Sections whose content varies by modality or is provenance only (``preprocessing``, ``training``,
``privacy``, ``federated``, ``inference``, ...) are not checked key by key.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path
from typing import Any

from meddx.core.errors import BundleError

KNOWN: dict[str, frozenset[str]] = {
    "": frozenset({
        "format", "name", "task", "label_names", "modality", "spatial_dims", "model", "preprocessing",
        "decision", "calibration", "tta", "orientation", "dicom_voi", "dicom_presentation", "card", "training",
        "baseline", "typicality",  # classifiers
        "features", "series",  # tables, series
        "inference", "postprocess", "measurement", "intended_use",  # segmentation
        "privacy", "federated",  # differentially private, federated runs
    }),
    "model": frozenset({"name", "args", "num_classes", "ensemble", "opacus_substitutions"}),
    "decision": frozenset({"rule", "threshold", "class_thresholds", "chosen_on", "val", "resamples", "class_weights"}),
    "calibration": frozenset({"temperature", "bias", "fitted_on", "n_val", "method", "not_fitted"}),
}


def check_known_fields(bundle: Path, config: dict[str, Any]) -> None:
    """Refuse fields of ``config`` (``bundle/config.json``) that this meddx does not know, naming
    each with its closest known field, unless a newer meddx wrote the bundle (then warn)."""
    unknown = [(section, key) for section, keys in KNOWN.items()
               for key in _keys(config, section) if key not in keys]
    if not unknown:
        return
    from meddx import __version__

    where = bundle / "config.json"
    names = ", ".join(_describe(section, key) for section, key in unknown)
    written = _written_by(bundle)
    if written is not None and _newer(written, __version__):
        logging.getLogger(__name__).warning(
            "%s: field(s) %s unknown to this meddx (%s) ignored; the bundle was written by meddx %s, "
            "upgrade meddx to use them", where, names, __version__, written)
        return
    raise BundleError(f"{where}: unknown field(s) {names}; this meddx ({__version__}) would ignore them, so the "
                      "bundle would not behave as written: correct or remove them")


def _keys(config: dict[str, Any], section: str) -> list[str]:
    value = config if not section else config.get(section)
    return [str(k) for k in value] if isinstance(value, dict) else []


def _describe(section: str, key: str) -> str:
    """``'decision.threshhold' (did you mean 'decision.threshold'?)``."""
    prefix = f"{section}." if section else ""
    close = difflib.get_close_matches(key, sorted(KNOWN[section]), n=1, cutoff=0.6)
    return repr(prefix + key) + (f" (did you mean {prefix + close[0]!r}?)" if close else "")


def _written_by(bundle: Path) -> str | None:
    """The version in the bundle's ``meddx_version`` file, or ``None`` when it cannot be read."""
    try:
        return (bundle / "meddx_version").read_text(encoding="utf-8").strip() or None
    except (OSError, ValueError):
        return None


def _newer(written: str, running: str) -> bool:
    """Whether version ``written`` is later than ``running`` (PEP 440; unreadable: not newer)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(written) > Version(running)
    except InvalidVersion:
        return False
