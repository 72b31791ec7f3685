"""Remove what ``verify`` found from the evaluation splits, as a new CSV manifest.

Training data is left as it is; from the evaluation splits (val, test) we drop every sample
whose content (exact or near duplicate, or a flipped/rotated copy) or patient also appears in an
earlier split (train, then val: a test image copied in val leaves test), and keep one copy of
exact duplicates within a split.
The result is an ordinary CSV manifest (``path,label,split``), so any meddx command can use it
and the original folder is never touched.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError
from meddx.core.files import write_text_atomic
from meddx.data.base import ImageSource

EVAL_SPLITS = ("val", "test")


@dataclass
class DedupeResult:
    """Where the manifest went and what was removed from which split."""

    manifest: Path
    removed: dict[str, list[str]]
    kept: dict[str, int]


def leaked_ids(report: dict[str, Any], eval_splits: tuple[str, ...] = EVAL_SPLITS) -> dict[str, set[str]]:
    """Per evaluation split, ids to drop: copies of content, and samples of patients, that an
    earlier split (train, then the evaluation splits in ``eval_splits`` order) holds, and
    redundant copies within a split."""
    drop: dict[str, set[str]] = {s: set() for s in eval_splits}
    order = ("train", *eval_splits)
    for kind in ("exact_duplicates", "near_duplicates", "flipped_rotated_copies"):
        for group in report.get(kind, []):
            members = group["members"]
            keeper = next((s for s in order if any(m["split"] == s for m in members)), None)
            for m in members:
                if m["split"] in drop and m["split"] != keeper:
                    drop[m["split"]].add(m["id"])
            if kind == "exact_duplicates":  # one copy per evaluation split survives
                for split in eval_splits:
                    copies = sorted(m["id"] for m in members if m["split"] == split)
                    drop[split].update(copies[1:])
    for patient in report.get("patient_overlap", []):  # a patient stays on the earliest split holding them
        keeper = next((s for s in order if s in patient["ids"]), None)
        for split, ids in patient["ids"].items():
            if split in drop and split != keeper:
                drop[split].update(ids)
    return drop


def write_clean_manifest(source: ImageSource, report: dict[str, Any], out: str | Path) -> DedupeResult:
    """Write ``out`` (CSV) listing the source without the leaked evaluation samples, and without
    the files ``verify`` could not decode (in any split: the manifest must train as it is)."""
    out = Path(out)
    drop = leaked_ids(report)
    for bad in report.get("undecodable", []):
        drop.setdefault(bad["split"], set()).add(bad["id"])
    rows, removed, kept = [], {s: sorted(ids) for s, ids in drop.items() if ids}, {}
    with_patients = all(d.patient_ids for d in source.splits.values())
    for split, data in source.splits.items():
        if data.paths is None:
            raise DataError(
                f"{source.origin}: a clean manifest lists files, but this source holds arrays "
                "(e.g. an .npz); filter it in Python with SplitData.subset instead"
            )
        n = 0
        for i, sid in enumerate(data.ids):
            if sid in drop.get(split, set()):
                continue
            label = data.labels[i]
            text = "|".join(n for n, v in zip(source.label_names, label) if v) if source.task == "multilabel" \
                else source.label_names[int(label)]
            patient = [data.patient_ids[i]] if with_patients and data.patient_ids else []
            rows.append([os.path.abspath(data.paths[i]), text, *patient, split])
            n += 1
        kept[split] = n
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["path", "label", *(["patient_id"] if with_patients else []), "split"])
    writer.writerows(rows)
    write_text_atomic(out, buffer.getvalue())
    return DedupeResult(manifest=out, removed=removed, kept=kept)
