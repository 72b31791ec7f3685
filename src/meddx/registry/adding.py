"""``meddx registry add``: index a bundle folder that is not in the registry yet.

A bundle saved with ``add_to_registry: false`` or ``--output``, copied from another machine, or
saved by a run that could not write the registry (locked, damaged) is a complete folder that
``predict``/``evaluate`` take by path but ``serve`` and ``registry`` cannot see. Adding it checks
that it loads (config, weights, no pickles) before the registry points at it, and never adds the
same folder twice.
"""

from __future__ import annotations

from pathlib import Path

from meddx.core.errors import BundleError
from meddx.registry.store import BundleRecord, list_bundles, register_bundle


def add_bundle(path: str | Path) -> tuple[BundleRecord, bool]:
    """Register the bundle folder ``path`` under its config name at the next version; returns the
    record and whether it was added (``False``: the folder was registered already, its record)."""
    from meddx.bundle.bundle import load_bundle

    folder = Path(path)
    if not folder.is_dir():
        raise BundleError(f"{folder}: no such bundle folder; expected a folder holding config.json, "
                          "weights.safetensors and metrics.json")
    folder = folder.resolve()
    for record in list_bundles():
        if Path(record.path) == folder:
            return record, False
    load_bundle(folder)  # every check a user of the name would meet (files, fields, weights, no pickles)
    return register_bundle(folder), True
