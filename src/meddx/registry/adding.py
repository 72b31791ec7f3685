"""``meddx registry add``: index a bundle folder that is not in the registry yet.

A bundle saved with ``add_to_registry: false`` or ``--output``, copied from another machine, or
saved by a run that could not write the registry (locked, damaged) is a complete folder that
``predict``/``evaluate`` take by path but ``serve`` and ``registry`` cannot see. Adding it checks
that it loads (config, weights, no pickles) before the registry points at it, and never adds the
same folder twice. ``name`` files it under a name of the team's own (a bundle received from another
site as ``pneumonia`` filed as ``pneumonia-siteB``) without rewriting the folder: the registry row
holds the name, and remembers the folder's own so that a replaced folder is still recognised.
"""

from __future__ import annotations

from pathlib import Path

from meddx.core.errors import BundleError, ConfigError
from meddx.registry.store import BundleRecord, list_bundles, register_bundle


def add_bundle(path: str | Path, name: str | None = None) -> tuple[BundleRecord, bool]:
    """Register the bundle folder ``path`` under ``name`` (default: its config name) at that name's
    next version; returns the record and whether it was added (``False``: the folder was registered
    already under that name, its record). A folder registered under another name than ``name`` is
    refused, naming both: one folder is one registry entry, so its stage and audit history stay one."""
    from meddx.bundle.bundle import load_bundle
    from meddx.core.names import name_problem

    problem = None if name is None else name_problem(name)
    if problem:
        raise ConfigError(problem)
    folder = Path(path)
    if not folder.is_dir():
        raise BundleError(f"{folder}: no such bundle folder; expected a folder holding config.json, "
                          "weights.safetensors and metrics.json")
    folder = folder.resolve()
    for record in list_bundles():
        if Path(record.path) != folder:
            continue
        if name is None or name == record.name:
            return record, False
        raise BundleError(f"{folder} is already registered as {record.name}:{record.version}, not as {name}; a folder "
                          f"is filed under one name: `meddx registry remove {record.name} --version "
                          f"{record.version}`, then `meddx registry add {folder} --name {name}`")
    load_bundle(folder)  # every check a user of the name would meet (files, fields, weights, no pickles)
    return register_bundle(folder, name=name), True
