"""``verify`` for sources whose samples compare by one content digest each (time-series stays,
table rows): the shared part of their reports (split from ``data/verify.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from meddx.data.base import ImageSource
from meddx.data.splits import check_patient_overlap
from meddx.data.verify import VerifyReport, _Item, _label, _summary, conflict_entries, exact_groups


def verify_by_digest(source: ImageSource, digests: Callable[[Any], Any], note: str,
                     progress: Callable[[int, int], None] | None = None) -> tuple[VerifyReport, list[_Item]]:
    """The report of a source whose samples compare by one content digest each (time-series stays,
    table rows): exact duplicates, label conflicts among them and patients on two splits; no
    near-duplicate search. ``digests(split_data)`` yields one digest per sample; ``note`` says what
    the digest compares. The items are returned for source-specific additions to the summary."""
    start = time.perf_counter()
    items: list[_Item] = []
    total = sum(len(d) for d in source.splits.values())
    for split, data in source.splits.items():
        for sid, label, digest in zip(data.ids, data.labels, digests(data)):
            items.append(_Item(split, sid, None, _label(source, label), digest))
        if progress is not None:
            progress(len(items), total)
    _, exact = exact_groups(items)
    conflicts = conflict_entries(exact, [])
    overlap = check_patient_overlap(source)
    summary = _summary(source, items, [], exact, [], overlap)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    report = VerifyReport(
        source={"name": source.name, "origin": source.origin, "task": source.task,
                "label_names": list(source.label_names), "spatial_dims": 0},
        settings={"near_duplicates": False, "hash_size": None, "max_distance": None, "min_correlation": None},
        summary=summary, exact_duplicates=exact, conflicting_labels=conflicts, patient_overlap=overlap,
        notes=[*source.notes, note],
    )
    return report, items
