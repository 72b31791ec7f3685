"""Validation carving and patient-overlap checks.

A validation split carved from train is stratified by label (so rare classes appear in it) and
grouped by patient when patient ids exist (so no patient sits on both sides, which would make
model selection optimistic), with exact and near copies of content kept on one side
(:mod:`meddx.data.carve_groups`). The choice is recorded in ``source.notes``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import SPLITS, ImageSource, SplitData

SPLIT_ALIASES = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val",
    "test": "test", "testing": "test",
}
"""Folder names and CSV ``split`` values (compared in lower case) and the split they mean."""

MIN_VAL_GROUPS = 3
"""A grouped carve whose first fold's val holds fewer groups than this (or than half of ``fraction``
of them; never more than ``fraction`` of them) takes the first fold that holds enough: one patient
with many admissions (MIMIC-III demo ``ADMISSIONS.csv``: 15 of 129 rows) filled fold 1 alone."""


def split_alias(name: str) -> str | None:
    """``"Training"`` -> ``"train"``; ``None`` for a name that is not a split name."""
    return SPLIT_ALIASES.get(name.strip().lower())


def carve_validation(source: ImageSource, fraction: float = 0.1, seed: int = 0,
                     near_copies: bool | Mapping[str, Any] = True,
                     membership: Mapping[str, Any] | None = None) -> ImageSource:
    """Return ``source`` with a ``val`` split carved from ``train`` when it has none.

    Stratified by label (multi-label: iteratively, each label's positives in proportion,
    :mod:`meddx.data.carve_split`; by label combination for carvings recorded before) and grouped by patient when the
    train split has patient ids; byte-identical samples always stay on one side (with patient
    ids, patients sharing such a copy form one group), and so do near copies (re-encoded or
    resized images, documents with a typo) as ``meddx data verify`` finds them, unless
    ``near_copies`` is false (how bundles written before that grouping were carved; a mapping
    gives recorded settings, see :mod:`meddx.data.carve_groups`); deterministic for a given
    ``seed``. ``membership``, a run's or bundle's record of its carve (:mod:`meddx.data.carve_record`), made on
    these very samples gives the val samples instead of a carve (so does one that ``near_copies`` carries,
    ``carve_record.with_membership``). The new source's ``notes`` end with a sentence saying how the split was
    made and the resulting counts, after a warning when val is small or lacks a class (:mod:`meddx.data.val_checks`;
    training goes on). A source that already has ``val`` (or has no ``train``) is returned unchanged.
    """
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"val_fraction: expected a number between 0 and 1 (exclusive); got {fraction}")
    if "val" in source.splits or "train" not in source.splits:
        return source
    train = source.splits["train"]
    n = len(train)
    if n < 2:
        raise DataError(
            f"{source.origin}: train has {n} sample(s); at least 2 are needed to carve a validation split"
        )
    from meddx.data.carve_record import membership_record, read_back_note, recorded_val, split_membership

    near_copies, packed = split_membership(near_copies)  # a run's or bundle's record: read back, not carved
    record = packed if membership is None else dict(membership)
    va = None if record is None else recorded_val(train, record)
    if va is not None and record is not None:
        tr = np.setdiff1d(np.arange(n), va)
        return _with_val(source, tr, va, read_back_note(train, va, record), near_copies, record)
    from meddx.data.carve_groups import stratifies_iteratively
    from meddx.data.carve_split import grouped_split, stratified_split

    iterative = stratifies_iteratively(near_copies)  # multi-label by each label's positives (settings version 4)
    new_carving = near_copies is not False and near_copies is not None
    few = _min_val_groups(near_copies)
    if new_carving and train.patient_ids is not None and not file_content(train):
        # Documents and table rows of different patients may be identical without being one sample (a
        # templated "No acute cardiopulmonary process." report): joining such patients made one group of
        # most of a cohort. Patients alone group them; files (images) shared by two ids are still joined.
        copies, near = None, None
        near_note = "; near copies (as data verify finds them): not joined across patients (documents, table rows)"
    else:
        copies = _content_groups(train, source.origin, by_size=train.patient_ids is not None)
        near, near_note = _near_copies(source, near_copies)
    content = "identical content" if near is None else "identical or near-identical content"
    if near is not None:  # near copies join the exact ones: one graph, one group per component
        copies = near if copies is None else _join_groups(copies, near)
    if train.patient_ids is not None:
        groups, unit = np.asarray(train.patient_ids), "patient"
        if copies is not None:  # one file under two patient ids (re-registered): both patients move together
            groups, unit = _join_groups(groups, copies), f"patient (patients sharing {content} joined)"
        tr, va, how = grouped_split(train.labels, groups, fraction, seed, source.origin, unit=unit,
                                    min_groups=few, iterative=iterative)
    elif copies is not None:  # byte-identical (and near-identical) samples stay on one side, as verify demands
        groups = copies
        tr, va, how = grouped_split(train.labels, copies, fraction, seed, source.origin, unit=content,
                                    min_groups=few, iterative=iterative)
    else:
        groups = None
        tr, va, how = stratified_split(train.labels, fraction, seed, iterative)
    # Carvings of bundles written before near copies were grouped (near_copies false) stay as they were
    kept: list[int] = []
    if near_copies is not False and near_copies is not None:
        tr, va, kept = _keep_classes_in_train(train.labels, tr, va, groups)
    if kept:  # a class of one group (all its samples near copies, or one patient): training needs it
        how += (f"; {', '.join(repr(source.label_names[k]) for k in kept)} kept in train whole (a class that would "
                "have no training sample: its samples form one group, so val has none of it)")
    note = (
        f"validation carved from train: fraction {fraction}, seed {seed}, {how}; "
        f"train {len(tr)} / val {len(va)} samples"
    )
    if train.patient_ids is not None:
        pats = np.asarray(train.patient_ids)
        note += f" ({len(set(pats[tr]))} / {len(set(pats[va]))} patients)"
    return _with_val(source, tr, va, note + near_note, near_copies, membership_record(train, va, note + near_note))


def _with_val(source: ImageSource, tr: np.ndarray, va: np.ndarray, note: str,
              near_copies: bool | Mapping[str, Any] | None, membership: dict[str, Any]) -> ImageSource:
    """``source`` with its train divided into ``tr`` and ``va``, the carving ``note`` last among its
    notes (after a small-validation warning), and the carving recorded (:func:`record_carving`)."""
    from meddx.data.val_checks import small_validation_note

    train = source.splits["train"]
    splits: dict[str, SplitData] = {"train": train.subset(tr), "val": train.subset(va)}
    splits.update({k: v for k, v in source.splits.items() if k not in splits})
    splits = {k: splits[k] for k in SPLITS if k in splits} | {k: v for k, v in splits.items() if k not in SPLITS}
    carved = replace(source, splits=splits, notes=list(source.notes))
    small = small_validation_note(carved)  # before the carving note, which stays last
    carved.notes += [small, note] if small else [note]
    record_carving(carved, near_copies, membership)
    return carved


def record_carving(source: ImageSource, near_copies: bool | Mapping[str, Any] | None,
                   membership: Mapping[str, Any] | None = None) -> None:
    """Keep on ``source`` (attribute ``val_near_copies``, :data:`meddx.data.carve_groups.NEAR_COPIES_KEY`) the
    near-copy settings its validation was carved with (``False``: without near-copy grouping), which a run's
    ``data.json`` records (``training.run.data_fingerprint``) so that a resume re-carves with them even after
    :data:`~meddx.data.carve_groups.NEAR_COPY_SETTINGS` changed, and its bundle records them; and (attribute
    ``val_membership``) which samples went to val (:mod:`meddx.data.carve_record`), which a resume and
    ``evaluate --split val`` read back instead of carving again. Attributes rather than fields: the source
    classes (and their ``replace``) stay as they are; a source copied by ``replace`` loses them, and a run
    then falls back to reading its carving note."""
    from meddx.data.carve_groups import NEAR_COPIES_KEY, near_copy_settings
    from meddx.data.carve_record import MEMBERSHIP_KEY

    setattr(source, NEAR_COPIES_KEY, near_copy_settings(near_copies) or False)
    if membership is not None:
        setattr(source, MEMBERSHIP_KEY, dict(membership))


def _min_val_groups(near_copies: bool | Mapping[str, Any] | None) -> int:
    """The fewest groups (patients) a grouped carve's val may hold before another fold is taken:
    ``MIN_VAL_GROUPS`` for carvings of near-copy settings version 2 and later, 0 (fold 1 whatever
    it holds) for older ones, so that a bundle re-carves the split it trained against."""
    from meddx.data.carve_groups import near_copy_settings

    settings = near_copy_settings(near_copies)
    return MIN_VAL_GROUPS if settings is not None and int(settings.get("version", 1)) >= 2 else 0


def file_content(split: SplitData) -> bool:
    """Whether ``split``'s samples are images (files or arrays), whose identical content under two
    patient ids is one sample filed twice, rather than documents or table rows, where it may be
    templated text or a common combination of values."""
    return split.texts is None and split.table is None and split.records is None


def _keep_classes_in_train(labels: np.ndarray, tr: np.ndarray, va: np.ndarray,
                           groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``tr``, ``va`` with the val samples (whole ``groups``) of every class (multi-label: label)
    that train had before carving but the carved train lacks moved back to train, and those
    classes; unchanged when there is none, or when that would leave val empty.

    Grouping can put all of a small class in val: its samples are near copies of one picture
    (grouped since near copies are), or come from one patient, and StratifiedGroupKFold then
    gives that one group to the validation fold. Training refuses a class without a training
    sample, so such a carving was never trained on: moving the group back changes no split a
    bundle was trained against, and the source trains (val then lacks that class, as it must
    when every sample of it is one group). Applied with near-copy grouping only: a bundle carved
    the old way (older code did not always refuse such a class) re-carves exactly as before."""
    y = np.asarray(labels)
    if y.ndim == 2:
        member = y > 0
    else:
        member = y.astype(np.int64)[:, None] == np.arange(int(y.max()) + 1 if len(y) else 0)[None]
    lost = np.flatnonzero(member.any(axis=0) & ~member[tr].any(axis=0))
    if not len(lost):
        return tr, va, []
    moving = va[member[va][:, lost].any(axis=1)]
    if groups is not None:  # whole groups: a near copy or a patient's other sample must not stay in val
        codes = np.asarray(groups)
        moving = va[np.isin(codes[va], codes[moving])]
    if len(moving) == len(va):
        return tr, va, []
    return np.sort(np.concatenate([tr, moving])), np.setdiff1d(va, moving), [int(k) for k in lost]


def _near_copies(source: ImageSource, near_copies: bool | Mapping[str, Any]) -> tuple[np.ndarray | None, str]:
    """Near-copy group codes of ``source``'s train split (``None``: none, or not searched) and the
    sentence the carving note ends with ("" when not searched: the note of the old carving)."""
    from meddx.data.carve_groups import near_copy_codes, near_copy_settings

    settings = near_copy_settings(near_copies)
    if settings is None:
        return None, ""
    codes, n_groups, n_samples = near_copy_codes(source, "train", settings)
    if codes is None:
        searched = getattr(source, "modality", None) not in ("tabular", "series")
        return None, "; near copies (as data verify finds them): none found" if searched else ""
    return codes, (f"; near copies (as data verify finds them): {n_groups} group(s) of {n_samples} samples "
                   "kept on one side")


def check_patient_overlap(source: ImageSource) -> list[dict]:
    """Patients present in more than one split, one dict each.

    Each dict: ``patient_id``, ``splits`` (split -> number of samples) and ``ids`` (split ->
    sample ids). Empty when no split has patient ids.
    """
    where: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for split, data in source.splits.items():
        if data.patient_ids is None:
            continue
        for sid, pid in zip(data.ids, data.patient_ids):
            where[pid][split].append(sid)
    overlaps = []
    for pid in sorted(where):
        per_split = where[pid]
        if len(per_split) > 1:
            overlaps.append({
                "patient_id": pid,
                "splits": {s: len(ids) for s, ids in per_split.items()},
                "ids": {s: list(ids) for s, ids in per_split.items()},
            })
    return overlaps


def _content_groups(split: SplitData, origin: str, by_size: bool = False) -> np.ndarray | None:
    """A group id per sample by SHA-256 of its file bytes (a series folder's files; or array bytes, or normalised text, so
    copies of a document that differ only in case or whitespace stay together); ``None`` when
    every sample is unique, so sources without duplicates keep the plain stratified split. With
    ``by_size`` only files whose size another file shares are hashed (a copy has the same size; the
    codes then only say who shares content, their order differs). Time-series records give
    ``None``: their sources always carry patient ids, and verify compares stays by its own digest."""
    import hashlib
    import os

    from meddx.core.files import file_digest

    if split.records is not None:
        return None
    if split.texts is not None:
        from meddx.data.text import text_digest

        digests = [text_digest(t) for t in split.texts]
        _, codes = np.unique(digests, return_inverse=True)
        return codes if len(digests) and codes.max() + 1 < len(digests) else None
    if split.table is not None:  # table rows: identical feature values
        from meddx.data.tabular_info import row_digests

        _, codes = np.unique(row_digests(split.table), return_inverse=True)
        return codes if len(codes) and codes.max() + 1 < len(codes) else None
    digests = []
    try:  # a folder (DICOM series) has no size of its own: always hashed
        sizes = [os.path.getsize(p) if os.path.isfile(p) else None for p in split.paths or []] if by_size else []
    except OSError as exc:
        raise DataError(f"{origin}: cannot read a file of the train split ({exc})") from None
    shared = Counter(sizes)
    for i in range(len(split)):
        if split.paths is not None:
            if by_size and sizes[i] is not None and shared[sizes[i]] == 1:
                digests.append(f"size-unique:{i}")
                continue
            try:  # a path may be a DICOM series folder: file_digest hashes its sorted files
                digests.append(file_digest(split.paths[i]))
            except OSError as exc:
                raise DataError(f"{origin}: cannot read {split.paths[i]} ({exc})") from None
        else:
            data = np.ascontiguousarray(split.images[i]).tobytes()  # type: ignore[index]
            digests.append(hashlib.sha256(data).hexdigest())
    _, codes = np.unique(digests, return_inverse=True)
    return codes if codes.max() + 1 < len(digests) else None


def _join_groups(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One code per sample such that samples sharing a value of ``first`` or of ``second`` (directly
    or through other samples) share a code: connected components of the sample-key graph."""
    n = len(first)
    _, a = np.unique(np.asarray(first).astype(str), return_inverse=True)
    _, b = np.unique(second, return_inverse=True)
    keys = n + np.concatenate([a, a.max() + 1 + b])  # key nodes after the n sample nodes
    labels = component_codes(int(keys.max()) + 1, np.column_stack([np.tile(np.arange(n), 2), keys]))
    _, codes = np.unique(labels[:n], return_inverse=True)
    return codes


def component_codes(n: int, pairs: np.ndarray | list[tuple[int, int]]) -> np.ndarray:
    """Connected-component code of each node ``0..n-1`` of the undirected graph whose edges are
    ``pairs`` (``(k, 2)`` node indices), numbered by each component's smallest node (scipy's
    ``connected_components``; the one grouping mechanism of splits, verify and text cleaning)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def code_groups(codes: np.ndarray) -> list[list[int]]:
    """Indices sharing a code (from :func:`component_codes`), for each code held at least twice:
    sorted indices, groups ordered by code."""
    codes = np.asarray(codes)
    order = np.argsort(codes, kind="stable")
    runs = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if len(codes) else []
    return [run.tolist() for run in runs if len(run) > 1]
