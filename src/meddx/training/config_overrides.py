"""The note ``meddx train CONFIG --flag`` writes when a flag replaces a value the config file sets.

A flag wins over the file (docs/training.md, "Flags and config fields"); without a note a run kept
as ``c.yaml`` saying ``epochs: 3`` silently trained 1 epoch because ``--epochs 1`` was on the command
line too, and nothing in the run folder said why the file was not followed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def note_overrides(in_file: dict[str, Any], given: dict[str, Any], path: str | Path, flags: dict[str, str]) -> None:
    """A note on stderr naming each flag that replaced a different value of ``path``
    (``--epochs 1 (c.yaml says 3)``): the flag wins, as documented, but silently a run trained 1
    epoch where the file the user kept said 3. Said once: not by the extra processes of a
    multi-process run, which re-read the same file and flags."""
    import os
    import sys

    from meddx.training.distributed import elastic_rank
    from meddx.training.run import RUN_DIR_ENV

    if elastic_rank() or os.environ.get(RUN_DIR_ENV):
        return
    replaced = [f"{k if isinstance(v, bool) else flags.get(k, k)} {_shown(v)} ({Path(path).name} says "
                f"{_shown(in_file[k])})" for k, v in given.items() if k in in_file and not _same_value(in_file[k], v)]
    if replaced:
        sys.stderr.write(f"meddx: note: {path}: flags override the file: {', '.join(replaced)}\n")


def _same_value(a: Any, b: Any) -> bool:
    """Equal as the config reads them (``lr: "1e-3"`` in YAML and ``--lr 0.001``)."""
    if a == b:
        return True
    try:
        return not isinstance(a, bool) and not isinstance(b, bool) and float(a) == float(b)
    except (TypeError, ValueError):
        return False


def _shown(value: Any) -> str:
    """A value as a flag takes it (``a,b`` for a list), a boolean as YAML writes it (``false``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
