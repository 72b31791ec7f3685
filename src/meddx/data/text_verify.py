"""Duplicate, label-conflict and leakage checks for a text source, and cleaning what they find.

``verify_text_source`` returns the same :class:`~meddx.data.verify.VerifyReport` (same summary
keys) as image verify, so ``meddx data verify`` and evaluation's dataset summary read it alike:

- exact duplicates: documents equal after :func:`~meddx.data.text.normalize_text` (Unicode
  NFKC, case, whitespace), within and across splits;
- near duplicates: MinHash signatures of each distinct document's word ``shingle``-grams (words:
  letters and digits, and signs other than sentence punctuation, see ``_shingles``), candidates
  sharing a band of MinHashLSH's banding (at a threshold a little below ``threshold`` so that pairs
  just above it are rarely missed), confirmed by the exact Jaccard similarity of the shingle sets
  (``>= threshold``), grouped by connected components (``_Linker``: a pair already joined is not
  compared again);
- groups whose members carry different labels, and patients on two splits.

Reports hold ids, splits and labels only, never the documents (they may hold protected health
information). ``clean_text_source`` removes or merges what a report found; ``write_text_source``
writes the result as CSV or JSONL that :func:`~meddx.data.text.load_text_source` reads back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.core.extras import needs_extra
from meddx.data.base import TextSource
from meddx.data.splits import check_patient_overlap, code_groups, component_codes
from meddx.data.text import normalize_text, text_digest
from meddx.data.text_fix_patients import FIXING_POLICIES, left_on_two_splits, shared_patient_rows
from meddx.data.verify import VerifyReport, _group, _Item, _label, _summary, conflict_entries, exact_groups

POLICIES = ("drop-conflicting", "drop-duplicates", "merge")
_LSH_MARGIN = 0.1
# a word, or one sign that is not sentence punctuation (dropped: . , ; : ! ? quotes, brackets)
_WORD = re.compile(r"\w+|[^\w\s.,;:!?'\"()\[\]{}\u2018\u2019\u201c\u201d]")


def verify_text_source(source: TextSource, *, near_duplicates: bool = True, threshold: float = 0.8,
                       num_perm: int = 128, shingle: int = 5, progress: Callable[[int, int], None] | None = None,
                       max_distance: int | None = None) -> VerifyReport:
    """Check ``source`` for exact and near-duplicate documents, label conflicts and leakage.

    ``threshold`` is the Jaccard similarity of word ``shingle``-gram sets from which two
    documents are near duplicates (0.8 with 5-grams: a 200-word abstract with about three words
    changed); ``num_perm`` is the MinHash signature length. ``max_distance`` (an image-hash
    setting) is accepted so callers can treat every source alike, and ignored.
    ``progress(done, total)`` is called as documents are hashed. A source whose columns look
    swapped (``columns["looks_swapped"]``, read by ``data verify``) is reported with its labels
    as ``#1``, ``#2``, ... in the order of its label names, never their values (they may be notes),
    and the reason in ``summary["columns_look_swapped"]``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"near threshold: expected a Jaccard similarity in (0, 1]; got {threshold}")
    if shingle < 1:
        raise ConfigError(f"shingle: expected at least 1 word; got {shingle}")
    start = time.perf_counter()
    swapped = source.columns.get("looks_swapped")
    if swapped:  # the "labels" may be notes (PHI): the report and what is printed name them by number
        source = replace(source, label_names=[f"#{k + 1}" for k in range(len(source.label_names))])
    items: list[_Item] = []
    undecodable: list[dict] = []
    shingles: dict[str, set[str]] = {}
    total = sum(len(d) for d in source.splits.values())
    for split, data in source.splits.items():
        texts = data.texts or []
        for i, sid in enumerate(data.ids):
            item = _Item(split, sid, None, _label(source, data.labels[i]))
            norm = normalize_text(texts[i]) if i < len(texts) and texts[i] is not None else ""
            if not norm:
                undecodable.append({"split": split, "id": sid, "path": None, "reason": "empty or whitespace-only text"})
            else:
                item.digest = text_digest(texts[i])
                if near_duplicates and item.digest not in shingles:
                    shingles[item.digest] = _shingles(norm, shingle)
            items.append(item)
            if progress is not None:
                progress(len(items), total)

    by_digest, exact = exact_groups(items)
    near: list[dict] = []
    notes: list[str] = []
    if near_duplicates and len(shingles) > 1:
        near = [_group(items, members, max_similarity=round(hi, 4), min_similarity=round(lo, 4))
                for members, hi, lo in _near_groups(shingles, by_digest, threshold, num_perm)]
    elif not near_duplicates:
        notes.append("near-duplicate search skipped")
    conflicts = conflict_entries(exact, near)
    overlap = check_patient_overlap(source)
    summary = _summary(source, items, undecodable, exact, near, overlap)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    if swapped:
        summary["columns_look_swapped"] = swapped
    return VerifyReport(
        source={"name": source.name, "origin": source.origin, "task": source.task, "kind": "text",
                "label_names": list(source.label_names), "spatial_dims": 0, "columns": dict(source.columns)},
        settings={"near_duplicates": near_duplicates, "threshold": threshold, "num_perm": num_perm,
                  "shingle": shingle, "lsh_threshold": round(max(0.05, threshold - _LSH_MARGIN), 4),
                  "normalisation": "NFKC, casefold, whitespace collapsed"},
        summary=summary, undecodable=undecodable, exact_duplicates=exact, near_duplicates=near,
        conflicting_labels=conflicts, patient_overlap=overlap, notes=[*source.notes, *notes],
    )


def _shingles(norm: str, size: int) -> set[str]:
    """Word ``size``-grams of a normalised document (the whole document when it is shorter).

    Words are runs of letters and digits, and each other sign that is not sentence punctuation
    (``+``, ``-``, ``/``, ``%``, ``<``...) on its own: an export that dropped or re-spaced the
    punctuation (``fever, cough.`` / ``fever cough`` / ``fever , cough .``) shares every shingle
    with the original, where whitespace-split words shared almost none. A document of punctuation
    alone is its own single shingle."""
    words = _WORD.findall(norm) or norm.split(" ")
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def _near_groups(shingles: dict[str, set[str]], by_digest: dict[str, list[int]], threshold: float,
                 num_perm: int, margin: float = _LSH_MARGIN) -> list[tuple[list[int], float, float]]:
    """Components of distinct documents linked by Jaccard >= ``threshold``, as sorted sample
    indices with the largest and smallest similarity of the links that joined the component;
    candidates from MinHashLSH banded for ``threshold - margin`` (a carving records its margin)."""
    with needs_extra("the near-duplicate search of documents (skip it: --no-near, near_duplicates=False)"):
        from datasketch import MinHash, MinHashLSH

    digests = list(shingles)
    signatures = MinHash.bulk([[s.encode("utf-8") for s in shingles[d]] for d in digests], num_perm=num_perm)
    # MinHashLSH's banding (b bands of r signature values; a candidate pair shares one band exactly), read
    # bucket by bucket instead of one query per document: a query returns every document of every bucket
    # it shares, so templated notes (all near copies of each other) cost n queries of n results each.
    bands = MinHashLSH(threshold=max(0.05, threshold - margin), num_perm=num_perm).hashranges
    values = np.stack([sig.hashvalues for sig in signatures])
    link = _Linker(lambda a, b: _jaccard(shingles[digests[a]], shingles[digests[b]]), threshold, len(digests))
    for start, end in bands:
        _, bucket = np.unique(values[:, start:end], axis=0, return_inverse=True)
        bucket = bucket.ravel()
        order = np.argsort(bucket, kind="stable")
        for members in np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1):
            if len(members) > 1:
                link.bucket(members.tolist())
    edges = link.edges
    if not edges:
        return []
    codes = component_codes(len(digests), [(a, b) for a, b, _ in edges])
    sims: dict[int, list[float]] = defaultdict(list)
    for a, _, jaccard in edges:
        sims[int(codes[a])].append(jaccard)
    out = []
    for members in code_groups(codes):
        rows = sorted(k for c in members for k in by_digest[digests[c]])
        found = sims[int(codes[members[0]])]
        out.append((rows, max(found), min(found)))
    return sorted(out)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


class _Linker:
    """Documents joined by confirmed links (Jaccard >= ``threshold``), bucket by bucket.

    Within a bucket each document is compared with the earlier documents of each other group until
    one confirms, so every confirmed pair of a bucket ends in one group (the groups are those of all
    confirmed pairs) while a pair already joined is never compared: templated notes cost one Jaccard
    per note (3,000 of them: 130 s before, comparing every candidate pair; 10,000 took 61 s with one LSH
    query per note). ``edges`` are the links that joined groups, with their similarity."""

    def __init__(self, similarity, threshold: float, n: int) -> None:  # type: ignore[no-untyped-def]
        self.similarity, self.threshold = similarity, threshold
        self.root = list(range(n))
        self.edges: list[tuple[int, int, float]] = []

    def find(self, k: int) -> int:
        root = self.root
        while root[k] != k:
            root[k] = root[root[k]]
            k = root[k]
        return k

    def bucket(self, members: list[int]) -> None:
        groups: dict[int, list[int]] = {}  # the bucket's earlier documents by group (its root)
        for m in members:
            for key in list(groups):  # groups joined since (here or in another bucket) become one
                root = self.find(key)
                if root != key:
                    groups.setdefault(root, []).extend(groups.pop(key))
            mine = self.find(m)
            for key, seen in groups.items():
                if key == mine:
                    continue
                for p in seen:
                    sim = self.similarity(p, m)
                    if sim >= self.threshold:
                        self.root[key] = mine  # key stays a root until the next document files it under mine
                        self.edges.append((p, m, sim))
                        break
            groups.setdefault(mine, []).append(m)


# ------------------------------------------------------------------------------ cleaning
def clean_text_source(source: TextSource, report: dict[str, Any] | VerifyReport,
                      policy: str) -> tuple[TextSource, dict[str, Any]]:
    """A new source without what ``report`` (from :func:`verify_text_source`) found, and a summary.

    Exact and near groups sharing a document are cleaned as one group. ``drop-conflicting``
    removes every row of each group whose labels differ; ``drop-duplicates`` also keeps only
    the first row (in split order train, val, test, then file order) of every other group, which
    removes cross-split copies; ``merge`` keeps one row per group: for multi-label the union of
    the group's labels, else the label held by a strict majority of the group (the first row
    carrying it is kept); a group without a strict majority is dropped. ``drop-duplicates`` and
    ``merge`` also remove a patient's rows from every split after the earliest one holding them
    (:mod:`meddx.data.text_fix_patients`; ``patients_separated``); ``drop-conflicting`` leaves them
    and says so (``left_on_two_splits``). The summary says, per split, which ids were removed (and,
    for merge, relabelled).
    """
    if policy not in POLICIES:
        raise ConfigError(f"--fix {policy!r}: expected one of {', '.join(POLICIES)}")
    if isinstance(report, VerifyReport):
        report = report.to_dict()
    position = {(split, sid): (split, i) for split, data in source.splits.items() for i, sid in enumerate(data.ids)}
    groups = _merged_groups(report, position, source.origin)
    labels = {split: data.labels.copy() for split, data in source.splits.items()}
    drop: dict[str, set[int]] = defaultdict(set)
    relabelled: dict[str, list[str]] = defaultdict(list)
    conflicting = no_majority = 0
    for members in groups:
        rows = [position[m] for m in members]
        values = [tuple(np.atleast_1d(labels[s][i]).tolist()) for s, i in rows]
        conflict = len(set(values)) > 1
        conflicting += conflict
        if policy == "drop-conflicting" and not conflict:
            continue  # copies that agree stay as they are
        keep: tuple[str, int] | None = None if conflict else rows[0]
        if policy == "merge" and source.task == "multilabel":
            keep = rows[0]
            if conflict:
                labels[keep[0]][keep[1]] = np.max(np.stack([labels[s][i] for s, i in rows]), axis=0)
                relabelled[keep[0]].append(source.splits[keep[0]].ids[keep[1]])
        elif policy == "merge":
            (top, count), = Counter(values).most_common(1)
            keep = rows[values.index(top)] if count * 2 > len(values) else None
            no_majority += keep is None
        for row in rows:
            if row != keep:
                drop[row[0]].add(row[1])
    separated = _separate_patients(report, position, policy, drop)
    splits = {}
    for split, data in source.splits.items():
        kept = [i for i in range(len(data)) if i not in drop[split]]
        if kept:
            splits[split] = replace(data, labels=labels[split]).subset(kept)
    removed = {s: [source.splits[s].ids[i] for i in sorted(drop[s])] for s in source.splits if drop[s]}
    summary = {
        "policy": policy, "groups": len(groups), "conflicting_groups": conflicting,
        "removed_rows": sum(len(v) for v in removed.values()), "removed": removed,
        "kept": {s: len(d) for s, d in splits.items()},
    }
    if separated is not None:
        summary["patients_separated"] = separated
    left = left_on_two_splits(report, policy)
    if left:
        summary["left_on_two_splits"] = left
    if policy == "merge":
        summary["relabelled"] = dict(relabelled)
        summary["dropped_without_majority"] = no_majority
    note = f"cleaned with {policy}: removed {summary['removed_rows']} row(s) from {len(groups)} duplicate group(s)"
    if separated:
        note += f" and {separated} patient(s) on two splits (kept in their earliest split)"
    cleaned = replace(source, splits=splits, notes=[*source.notes, note])
    return cleaned, summary


def _separate_patients(report: dict[str, Any], position: dict, policy: str, drop: dict[str, set[int]]) -> int | None:
    """Add to ``drop`` the rows of patients on two splits outside their earliest split, for the
    policies that promise no cross-split leakage (:mod:`meddx.data.text_fix_patients`); the number
    of such patients, None for a policy that leaves them."""
    if policy not in FIXING_POLICIES:
        return None
    shared = shared_patient_rows(report, list(dict.fromkeys(split for split, _ in position)))
    for split, ids in shared.items():
        drop[split].update(position[(split, sid)][1] for sid in ids if (split, sid) in position)
    return len(report.get("patient_overlap") or [])


def _merged_groups(report: dict[str, Any], position: dict, origin: str) -> list[list[tuple[str, str]]]:
    """Exact and near groups that share a member joined into one, members in source order."""
    order = {key: n for n, key in enumerate(position)}
    edges = []
    for kind in ("exact_duplicates", "near_duplicates"):
        for group in report.get(kind, []):
            keys = [(m["split"], m["id"]) for m in group["members"]]
            for key in keys:
                if key not in position:
                    raise DataError(f"{origin}: the verify report names {key[0]}:{key[1]}, which this source does "
                                    "not hold; expected the report of this very source: run verify again")
                edges.append((order[keys[0]], order[key]))
    keys_in_order = list(position)
    return [[keys_in_order[k] for k in members] for members in code_groups(component_codes(len(order), edges))]


def check_fix_not_swapped(source: TextSource, cleaned: TextSource, policy: str) -> None:
    """Refuse to write ``cleaned`` (``--fix``) when ``source``'s columns look swapped and cleaning cannot
    help: it keeps no row, or the rows it keeps still look swapped. Swapped, the "documents" are the
    few class names (or label sets), each repeated with another note as its "label", so nearly every
    row is a conflicting duplicate: ``drop-conflicting`` wrote a header-only file, ``merge`` a file of
    label sets each labelled with the union of its notes (a few rows, which look swapped by the
    file's row count). A file of conflicting duplicates that only looks swapped keeps rows that do
    not, and is written. The message names columns, never a value."""
    import shlex

    from meddx.data.text_columns import looks_swapped

    if not source.columns.get("looks_swapped"):
        return
    text, label = source.columns["text"], source.columns["label"]
    texts, rows = _rows(cleaned)
    total = sum(len(d) for d in source.splits.values())  # the file's rows back what its kept rows hold
    if texts and not looks_swapped((text, label), texts, rows, cleaned.task == "multilabel", evidence_rows=total,
                                   delimiter=source.columns.get("label_delimiter")):
        return
    found = "it would keep no row" if not texts else f"the {len(texts)} row(s) it would keep still look swapped"
    raise DataError(f"{source.origin}: --fix {policy}: the document column {text!r} and the label column {label!r} "
                    f"look swapped, and {found}; nothing written: if they are swapped, run again with --text-column "
                    f"{shlex.quote(label)} --label-column {shlex.quote(text)} (or fix the header's order)")


def _rows(source: TextSource) -> tuple[list[str], list[str]]:
    """Every split's documents, and each row's label as text (a multi-label set as names joined by
    newlines), as :func:`~meddx.data.text_columns.looks_swapped` takes them."""
    texts: list[str] = []
    labels: list[str] = []
    for data in source.splits.values():
        texts += [t or "" for t in data.texts or []]
        labels += ["\n".join(source.label_names[j] for j in np.flatnonzero(y)) if source.task == "multilabel"
                   else source.label_names[int(y)] for y in data.labels]
    return texts, labels


def write_text_source(source: TextSource, path: str | Path) -> Path:
    """Write ``source`` to ``path`` (``.csv`` or ``.jsonl``/``.ndjson``) atomically.

    Columns ``id,text,label[,patient_id],split``; a multi-label row's label is a JSON list.
    The file reads back with :func:`~meddx.data.text.load_text_source` to the same source.
    """
    from meddx.core.files import write_text_atomic

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise DataError(f"{path}: unsupported output type {suffix or '(no extension)'!r}; expected .csv or .jsonl")
    with_patients = bool(source.splits) and all(d.patient_ids is not None for d in source.splits.values())
    fields = ["id", "text", "label", *(["patient_id"] if with_patients else []), "split"]
    records = []
    for split, data in source.splits.items():
        for i, sid in enumerate(data.ids):
            y = data.labels[i]
            label: Any = ([n for n, v in zip(source.label_names, y) if v] if source.task == "multilabel"
                          else source.label_names[int(y)])
            record = {"id": sid, "text": data.texts[i], "label": label}  # type: ignore[index]
            if with_patients:
                record["patient_id"] = data.patient_ids[i]  # type: ignore[index]
            record["split"] = split
            records.append(record)
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        for r in records:
            writer.writerow({**r, "label": json.dumps(r["label"]) if isinstance(r["label"], list) else r["label"]})
        return write_text_atomic(path, buffer.getvalue(), private=True)  # note text
    return write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), private=True)
