"""The warning a report carries when ``data verify`` found content or patients shared across splits.

Why a module of its own: what the leakage affects depends on where it is. Copies shared between train
and test make the test numbers optimistic; copies shared only between train and validation (18 samples
on PneumoniaMNIST) leave the test split held out, but the validation numbers are then optimistic, and
so are the threshold and the temperature chosen on them, which the test numbers inherit.

The remedy depends on the source's kind (:func:`source_kind`): ``data verify --clean-manifest`` writes a
manifest of image files, and refuses an ``.npz`` ("this source holds arrays"), a table, a series and a
text source, which the warning used to send there too.
"""

from __future__ import annotations

from typing import Any


KINDS = ("images", "arrays", "table", "series", "text")


def source_kind(source: Any) -> str:
    """What ``data verify`` can clean in ``source``, one of :data:`KINDS`: ``images`` (files: folders,
    manifests, DICOM), ``arrays`` (an ``.npz``), ``table``, ``series`` or ``text``; the ``kind`` that
    :func:`leakage_warning` reads from a dataset summary."""
    modality = getattr(source, "modality", None)
    if modality == "tabular":
        return "table"
    if modality == "series":
        return "series"
    from meddx.data.base import is_text_source

    if is_text_source(source):
        return "text"
    splits = getattr(source, "splits", None) or {}
    return "arrays" if any(getattr(d, "paths", None) is None for d in splits.values()) else "images"


def leakage_warning(dataset: dict[str, Any], kind: str | None = None) -> str | None:
    """The warning for ``dataset`` (``evaluate.dataset_summary``) when ``data verify`` found content or
    patients shared across splits; ``None`` when it found none or did not run. ``kind`` (else the
    summary's ``kind``, :func:`source_kind`) chooses the remedy it names; without either, an ``.npz``
    origin reads as arrays and any other source gets the advice of every kind."""
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

    kind = kind or dataset.get("kind") or ("arrays" if str(dataset.get("source") or "").endswith(".npz") else None)
    hint = old_carving_hint(dataset, kind)  # worded per kind (--clean-manifest for image files only)
    return (f"data verify found {' and '.join(found) or 'leakage across splits'}: {_affected(dup, by_split)} "
            f"({_remedy(kind, dup)})" + (f"; {hint}" if hint else ""))


def _remedy(kind: str | None, dup: dict[str, Any]) -> str:
    """What removes the shared samples for a source of ``kind``, as ``meddx data verify`` offers it."""
    listed = "`meddx data verify` lists them in its report (verify-report.json)"
    if kind == "images":
        return "`meddx data verify --clean-manifest` lists and removes them"
    if kind == "arrays":
        return (f"{listed}; --clean-manifest cannot remove them from an .npz, which holds arrays, not files: drop "
                "those samples from its arrays (SplitData.subset)")
    patients = dup.get("patients_across_splits")
    if kind == "table":
        return (f"{listed}: remove those rows from the file"
                + (", or put each patient's rows on one split" if patients else "") + ", and retrain")
    if kind == "series":
        return (f"{listed}: remove those stays (their files, or their rows of the labels file)"
                + (", or put each patient's stays on one split" if patients else "") + ", and retrain")
    if kind == "text":
        fix = "`meddx data verify --fix drop-duplicates --fixed-output FILE` writes the source without the copies"
        if patients:
            fix += "; its report (verify-report.json) lists the shared patients: put each patient's rows on one split"
        return fix
    return (f"{listed}; for image files --clean-manifest also removes them, for text --fix drop-duplicates "
            "--fixed-output FILE; tables, series and .npz arrays: remove the rows, stays or samples it lists")


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
