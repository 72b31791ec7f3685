"""The reporting half of ``verify`` (split from ``data/verify.py``): duplicate groups, label
conflicts and the summary counts shared by image, text, table and time-series reports.

Label conflicts are counted so that no row is counted twice. A near-duplicate group always holds
every exact copy of its contents, so a conflicting exact group either lies inside one near group
or stands alone; the summary counts:

- ``conflicting_label_groups`` / ``conflicting_label_rows``: clusters of copies whose labels differ
  (a near group, or an exact group outside any near group) and the rows in them, each row once;
- ``conflicting_exact_groups`` / ``conflicting_exact_rows``: identical copies (exact groups) whose
  labels differ, and their rows;
- ``conflicting_near_groups``: near groups whose labels differ (they may hold a conflicting exact
  group); ``conflicting_near_rows``: the rows of those groups that are not already counted as
  exact conflicts, so ``conflicting_exact_rows + conflicting_near_rows == conflicting_label_rows``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from meddx.data.base import ImageSource
from meddx.data.info import classes_without_training


@dataclass
class _Item:
    split: str
    id: str
    path: str | None
    label: str
    digest: str | None = None


def exact_groups(items: list[_Item]) -> tuple[dict[str, list[int]], list[dict]]:
    """Sample indices per content digest, and one group (``_group``) per digest that several
    samples share; shared by image, segmentation and text verify."""
    by_digest: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        if item.digest is not None:
            by_digest[item.digest].append(k)
    return by_digest, [_group(items, members, digest=d) for d, members in by_digest.items() if len(members) > 1]


def conflict_entries(exact: list[dict], near: list[dict]) -> list[dict]:
    """One entry per exact or near group whose members carry different labels (ids, no content).

    A near entry that holds a conflicting exact group repeats its ids; ``exact_groups`` lists
    those exact entries' ``group`` numbers (see the module docstring for how rows are counted)."""
    exact_of = {(m["split"], m["id"]): n for n, g in enumerate(exact) if g["conflicting_labels"] for m in g["members"]}
    entries = []
    for kind, groups in (("exact", exact), ("near", near)):
        for n, g in enumerate(groups):
            if not g["conflicting_labels"]:
                continue
            entry = {"kind": kind, "group": n, "size": g["size"], "labels": g["labels"], "splits": g["splits"],
                     "ids": [m["id"] for m in g["members"]]}
            if kind == "near":
                entry["exact_groups"] = sorted({exact_of[k] for k in _keys(g) if k in exact_of})
            entries.append(entry)
    return entries


def conflict_counts(exact: list[dict], near: list[dict]) -> dict[str, int]:
    """The label-conflict counts of the summary, each row counted once (module docstring)."""
    conflicting_exact = [g for g in exact if g["conflicting_labels"]]
    exact_rows = sum(g["size"] for g in conflicting_exact)  # exact groups never share a sample
    exact_keys = {k for g in conflicting_exact for k in _keys(g)}
    conflicting_near = [g for g in near if g["conflicting_labels"]]
    near_rows = len({k for g in conflicting_near for k in _keys(g)} - exact_keys)
    in_near = {k for g in near for k in _keys(g)}
    alone = [g for g in conflicting_exact if not set(_keys(g)) & in_near]
    return {
        "conflicting_label_groups": len(alone) + len(conflicting_near),
        "conflicting_label_rows": exact_rows + near_rows,
        "conflicting_exact_groups": len(conflicting_exact),
        "conflicting_exact_rows": exact_rows,
        "conflicting_near_groups": len(conflicting_near),
        "conflicting_near_rows": near_rows,
    }


def _keys(group: dict) -> list[tuple[str, str]]:
    return [(m["split"], m["id"]) for m in group["members"]]


def _group(items: list[_Item], members: list[int], **extra: object) -> dict:
    rows = [items[k] for k in members]
    splits = sorted({r.split for r in rows})
    labels = sorted({r.label for r in rows})
    return {
        **extra,
        "size": len(rows),
        "splits": splits,
        "cross_split": len(splits) > 1,
        "labels": labels,
        "conflicting_labels": len(labels) > 1,
        "members": [{"split": r.split, "id": r.id, "path": r.path, "label": r.label} for r in rows],
    }


def duplicate_counts(exact: list[dict], near: list[dict], turned: list[dict] | None = None) -> dict[str, object]:
    """The summary counts of exact and near duplicate groups that image and segmentation verify share;
    with ``turned`` (image verify's flipped/rotated copies) their counts too, and their samples among
    ``any_cross_split_samples``."""
    flipped = {} if turned is None else {
        "flipped_rotated_groups": len(turned),
        "flipped_rotated_groups_cross_split": sum(g["cross_split"] for g in turned),
        "flipped_rotated_cross_split_samples": _cross_split_samples(turned),
    }
    return {
        "exact_duplicate_groups": len(exact),
        "exact_duplicate_groups_cross_split": sum(g["cross_split"] for g in exact),
        "exact_redundant_copies": sum(g["size"] - 1 for g in exact),
        "exact_cross_split_samples": _cross_split_samples(exact),
        "near_duplicate_groups": len(near),
        "near_duplicate_groups_cross_split": sum(g["cross_split"] for g in near),
        "near_cross_split_samples": _cross_split_samples(near),
        **flipped,
        "any_cross_split_samples": _cross_split_samples(exact + near + (turned or [])),
    }


def _cross_split_samples(groups: list[dict]) -> dict[str, int]:
    """Per split: samples whose group also has a member in another split (each counted once)."""
    seen = {(m["split"], m["id"]) for g in groups if g["cross_split"] for m in g["members"]}
    counts: dict[str, int] = defaultdict(int)
    for split, _ in seen:
        counts[split] += 1
    return dict(sorted(counts.items()))


def _summary(source: ImageSource, items: list[_Item], undecodable: list[dict], exact: list[dict],
             near: list[dict], overlap: list[dict], turned: list[dict] | None = None) -> dict:
    """The summary every verify report shares (counts only; the groups are in the report);
    ``turned``: image verify's flipped/rotated copies (other kinds have none, and no such keys)."""
    redundant_within: dict[str, int] = defaultdict(int)
    for g in exact:
        per_split: dict[str, int] = defaultdict(int)
        for m in g["members"]:
            per_split[m["split"]] += 1
        for split, k in per_split.items():
            redundant_within[split] += k - 1
    return {
        "samples": len(items),
        "samples_per_split": {s: len(d) for s, d in source.splits.items()},
        "undecodable": len(undecodable),
        "distinct_contents": len({i.digest for i in items if i.digest is not None}),
        **duplicate_counts(exact, near, turned),
        "exact_duplicate_groups_within_split": sum(not g["cross_split"] for g in exact),
        "exact_redundant_copies_within_split": dict(redundant_within),
        **conflict_counts(exact, near),
        # a class with no training sample: `meddx train` refuses the source (class -> samples per other split)
        "classes_without_training_samples": classes_without_training(source),
        "patients_across_splits": len(overlap),
        # False: no split names patients, so patient overlap could not be checked (0 above means nothing)
        "patient_ids_known": any(d.patient_ids is not None for d in source.splits.values()),
    }
