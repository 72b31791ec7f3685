"""The warning a report carries when ``data verify`` found content or patients shared across splits.

Why a module of its own: what the leakage affects depends on where it is. Copies shared between train
and test make the test numbers optimistic; copies shared only between train and validation (18 samples
on PneumoniaMNIST) leave the test split held out, but the validation numbers are then optimistic, and
so are the threshold and the temperature chosen on them, which the test numbers inherit.
"""

from __future__ import annotations

from typing import Any


def leakage_warning(dataset: dict[str, Any]) -> str | None:
    """The warning for ``dataset`` (``evaluate.dataset_summary``) when ``data verify`` found content or
    patients shared across splits; ``None`` when it found none or did not run."""
    dup = dataset.get("duplicates") or {}
    if not dup.get("leakage"):
        return None
    found = []
    by_split = {str(k): v for k, v in (dup.get("cross_split_by_split") or {}).items()}
    if dup.get("cross_split"):
        where = ", ".join(f"{k} {v}" for k, v in by_split.items())
        found.append(f"{dup['cross_split']} samples{f' ({where})' if where else ''} whose content also appears on "
                     "another split")
    if dup.get("patients_across_splits"):
        found.append(f"{dup['patients_across_splits']} patients with samples on more than one split")
    from meddx.data.carve_groups import old_carving_hint

    hint = old_carving_hint(dataset)
    return (f"data verify found {' and '.join(found) or 'leakage across splits'}: {_affected(dup, by_split)} "
            "(`meddx data verify --clean-manifest` lists and removes them)" + (f"; {hint}" if hint else ""))


def _affected(dup: dict[str, Any], by_split: dict[str, Any]) -> str:
    """What the shared samples make optimistic: the validation numbers and what was chosen on them when
    the copies lie only between train and val (and no patient is shared: verify does not say where those
    lie); the test numbers otherwise."""
    sides = {k for k, v in by_split.items() if v}
    if dup.get("cross_split") and not dup.get("patients_across_splits") and sides and sides <= {"train", "val"}:
        return ("the validation numbers may be optimistic, and so may the threshold and temperature chosen on them "
                "(the test split shares no content with the others, but its decisions use that threshold and "
                "temperature)")
    return "test numbers may be optimistic"
