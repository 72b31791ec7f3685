"""Patients on two splits, for ``meddx data verify --fix`` of a text source.

Cleaning duplicate groups (:func:`meddx.data.text_verify.clean_text_source`) removes copies of a
document, but a patient whose notes sit in train and in test leaks just as much: the model learns
that patient's wording, history and label. ``drop-duplicates`` and ``merge`` promise a file without
cross-split copies, so they also take each such patient's rows out of every split after the earliest
one holding the patient (train, then val, then test: the rule of the image clean manifest,
:func:`meddx.data.dedupe.leaked_ids`). ``drop-conflicting`` removes conflicting labels only and
keeps every other row where it is; it reports the patients it leaves on two splits instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FIXING_POLICIES = ("drop-duplicates", "merge")
"""The ``--fix`` policies that also separate patients on two splits."""


def shared_patient_rows(report: Mapping[str, Any], splits: Sequence[str]) -> dict[str, set[str]]:
    """Per split, the ids of rows whose patient an earlier split of ``splits`` (their order) also
    holds, from a verify report's ``patient_overlap``."""
    drop: dict[str, set[str]] = {}
    for patient in report.get("patient_overlap") or []:
        where = patient.get("ids") or {}
        keeper = next((s for s in splits if s in where), None)
        for split, ids in where.items():
            if split != keeper:
                drop.setdefault(split, set()).update(ids)
    return drop


def left_on_two_splits(report: Mapping[str, Any], policy: str) -> str | None:
    """What a ``policy`` that does not separate patients leaves behind, as a sentence (None: nothing)."""
    shared = len(report.get("patient_overlap") or [])
    if policy in FIXING_POLICIES or not shared:
        return None
    return (f"{shared} patient(s) still have rows on two splits ({policy} removes conflicting labels only): "
            "use --fix drop-duplicates or merge, or put each patient's rows on one split")
