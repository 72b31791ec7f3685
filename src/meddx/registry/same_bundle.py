"""A registry row names a bundle and points at its folder; the folder is the truth, so a row whose
folder now holds another bundle (an admin's ``rm -r v1 && cp -r incoming/ v1`` to "update" it) made
``lesion:1`` predict, evaluate and promote a bundle that is not lesion v1, while ``registry list`` and
``show`` went on naming the model and metrics of the one registered. Resolving a reference compares
what the row recorded with the folder's ``config.json``: name (the config's own name for a version filed
under another with ``registry add --name``), task, model and labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from meddx.registry.store import StaleEntryError


class ReplacedEntryError(StaleEntryError):
    """A registered version whose folder now holds another bundle (stale as a deleted one is)."""


def check_same_bundle(record: Any, config: Any = None) -> None:
    """Refuse ``record`` when its folder's ``config.json`` (``config``: as the caller read it, else read
    here) names another bundle than the one registered. An unreadable or incomplete config is left to
    loading, which names what is wrong with it."""
    folder = Path(record.path)
    if config is None:
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
    if not isinstance(config, dict):
        return
    model = config.get("model")
    found = (str(config.get("name") or folder.name), config.get("task"),  # as register_bundle records them
             model.get("name") if isinstance(model, dict) else None, config.get("label_names"))
    own = getattr(record, "config_name", None) or record.name  # filed under another name: the folder's own
    if found == (own, record.task, record.model, list(record.labels)):
        return
    what = f"{found[2]} {found[1]} {found[0]!r}, labels {found[3]}"
    rename = f" --name {record.name}" if own != record.name else ""
    raise ReplacedEntryError(
        f"{record.name} v{record.version} is registered at {record.path} ({record.model} {record.task}, labels "
        f"{list(record.labels)}), but that folder now holds another bundle ({what}); put the registered bundle "
        f"back, or index the folder anew: `meddx registry remove {record.name} --version {record.version}`, "
        f"then `meddx registry add {record.path}{rename}`")
