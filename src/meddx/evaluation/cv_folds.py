"""The folds of ``meddx cv``: which samples must share a fold, and why a fold cannot train.

Folds are made with scikit-learn's ``StratifiedGroupKFold`` (multi-label: by iterative stratification,
:mod:`meddx.data.multilabel_strata`, each label's positives spread over the folds), stratified by label and grouped as the
validation carve groups (:func:`meddx.data.splits.carve_validation`): by patient (patients sharing
a byte-identical image joined), or by identical content without patient ids, and, given the source,
with near copies (an image re-encoded, resized or brightened; a document with a typo) joined to
those groups, found as ``meddx data verify`` finds them (:mod:`meddx.data.carve_groups`, the same
functions and pinned settings). A near copy in a fold's training part and in its held-out part
would make that fold's metrics optimistic, as an exact copy would. ``cv.json`` records the settings
(``fold_near_copies``). ``meddx cv --resume`` re-makes a run's folds and checks them against its
``cv_plan.json`` (:mod:`meddx.evaluation.cv_plan`); a source in which the search finds nothing gets the
folds older versions made.
"""

from __future__ import annotations

import warnings

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import ImageSource, SplitData


def make_folds(split: SplitData, origin: str, k: int, seed: int = 0, source: ImageSource | None = None,
               near_copies: bool | Mapping[str, Any] = True, iterative: bool = True) -> tuple[list[np.ndarray], str]:
    """Test indices of each of ``k`` folds, and a sentence saying how they were made.

    Stratified by label and grouped by patient (patients sharing a byte-identical image joined) or,
    without patient ids, by identical content; given the ``source`` the split comes from, near copies
    (re-encoded or resized images, documents with a typo) are joined to those groups as the
    validation carve joins them (:mod:`meddx.data.carve_groups`, verify's search and settings), so
    no near copy sits in a fold's training part and in its held-out part. Without ``source`` (or
    with ``near_copies`` false) near copies are not searched: the folds of older meddx versions.
    Multi-label labels are stratified iteratively (:mod:`meddx.data.multilabel_strata`: each label's
    positives spread over the folds, groups kept whole); ``iterative`` false stratifies them by label
    combination, the folds of a run started before (:func:`recorded_iterative`)."""
    from sklearn.model_selection import StratifiedGroupKFold

    from meddx.data.carve_split import label_strata

    if k < 2:
        raise ConfigError(f"--folds must be at least 2; got {k}")
    groups, unit, near_note = fold_groups(split, origin, source, near_copies)
    n_groups = len(np.unique(groups))
    if n_groups < k:
        raise DataError(f"{origin}: {n_groups} {unit} group(s) cannot make {k} folds; use --folds {max(2, n_groups)}")
    if unit == "patient" and n_groups == len(split):  # say so: no two samples were kept together
        unit = "patient, one sample per patient id (no patient column, or one sample each)"
    if iterative and np.asarray(split.labels).ndim == 2:
        from meddx.data.multilabel_strata import HOW, iterative_folds

        folds = iterative_folds(split.labels, k, seed, groups)
        return folds, f"{k} folds, {HOW} and grouped by {unit} (iterative stratification, seed {seed}){near_note}"
    strata = label_strata(np.asarray(split.labels))
    with warnings.catch_warnings():  # "least populated class has only 3 members": cv_checks says it per fold
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        folds = [test for _, test in StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
                 .split(np.zeros(len(split)), strata, groups)]
    return folds, f"{k} folds, stratified by label and grouped by {unit} (StratifiedGroupKFold, seed {seed}){near_note}"


def recorded_iterative(plan: Mapping[str, Any] | None) -> bool:
    """``make_folds``'s ``iterative`` for a ``meddx cv --resume`` of ``plan`` (its ``cv_plan.json``): false
    when the plan's fold sentence (``how``) says multi-label folds stratified by label without "iteratively"
    (a run started before iterative stratification), so its folds are made again as it made them; true for
    a new run (``plan`` ``None``) and for every other plan (single-label folds do not depend on it)."""
    from meddx.data.multilabel_strata import HOW

    how = str((plan or {}).get("how") or "")
    return plan is None or HOW in how or "stratified by label" not in how


def fold_groups(split: SplitData, origin: str, source: ImageSource | None,
                near_copies: bool | Mapping[str, Any] = True) -> tuple[np.ndarray, str, str]:
    """The group code of each sample of ``split`` for :func:`make_folds`, the unit the groups are
    named by, and the sentence on near copies the fold note ends with ("" when not searched). The
    rules are the validation carve's (``splits.carve_validation``): documents and table rows of two
    patients are not joined by content (a templated report is not one sample), images are."""
    from meddx.data.splits import _content_groups, _join_groups, file_content

    near, near_note = (None, "") if source is None else _near_codes(source, split, near_copies)
    if split.patient_ids is not None:
        groups, unit = np.unique(np.asarray(split.patient_ids), return_inverse=True)[1], "patient"
        if not file_content(split):  # identical documents or table rows of two patients are templated
            return groups, unit, near_note
        copies = _content_groups(split, origin, by_size=True)
        if near is not None:
            copies = near if copies is None else _join_groups(copies, near)
        if copies is not None:  # one file under two patient ids: both patients in one fold, as the val carve does
            content = "identical content" if near is None else "identical or near-identical content"
            groups, unit = _join_groups(np.asarray(split.patient_ids), copies), f"patient (patients sharing {content} joined)"
        return groups, unit, near_note
    copies = _content_groups(split, origin)
    if near is not None:
        return (near if copies is None else _join_groups(copies, near)), "identical or near-identical content", near_note
    if copies is not None:
        return copies, "identical content", near_note
    return np.arange(len(split)), "sample", near_note


def _near_codes(source: ImageSource, split: SplitData,
                near_copies: bool | Mapping[str, Any]) -> tuple[np.ndarray | None, str]:
    """Near-copy group codes of ``split`` (``None``: none found, or not searched) and the fold
    note's sentence on them ("" when not searched: tables, series, ``near_copies`` false)."""
    from meddx.data.carve_groups import near_copy_codes
    from meddx.data.splits import file_content

    settings = fold_near_copies(source, split, near_copies)
    if settings is None:
        if split.patient_ids is not None and not file_content(split) and _searchable(source, near_copies):
            return None, "; near copies (as data verify finds them): not joined across patients (documents)"
        return None, ""
    # the search reads samples through their source (decoding, orientation): the split stands as its train
    codes, n_groups, n_samples = near_copy_codes(replace(source, splits={"train": split}), "train", settings)
    if codes is None:
        return None, "; near copies (as data verify finds them): none found"
    return codes, (f"; near copies (as data verify finds them): {n_groups} group(s) of {n_samples} samples "
                   "kept in one fold")


def fold_near_copies(source: ImageSource | None, split: SplitData,
                     near_copies: bool | Mapping[str, Any] = True) -> dict[str, Any] | None:
    """The near-copy settings :func:`make_folds` groups ``split`` by, recorded in ``cv.json``
    (``fold_near_copies``, as a bundle records ``training.val_near_copies``); ``None`` when near
    copies are not searched: no source, tables and series (verify has no search for them), and
    documents with patient ids (patients alone group them, as in the validation carve)."""
    from meddx.data.carve_groups import near_copy_settings
    from meddx.data.splits import file_content

    if not _searchable(source, near_copies) or (split.patient_ids is not None and not file_content(split)):
        return None
    return near_copy_settings(near_copies)


def _searchable(source: ImageSource | None, near_copies: bool | Mapping[str, Any]) -> bool:
    return source is not None and near_copies not in (None, False) and \
        getattr(source, "modality", None) not in ("tabular", "series")


def grouping_hint(dev: SplitData, test_idx: np.ndarray, how: str) -> str:
    """Why a fold's training part lacks a class (or a label's positives or negatives), when the
    folds' grouping is the cause: every sample holding it sits in the fold's held-out part although
    there are two or more (sample-wise stratified folds keep one in each training part), because
    they are one patient's or copies of one another. "" when the dev split has none of it in the
    fold's training part for another reason (a class with a single sample)."""
    y = np.asarray(dev.labels)
    if y.ndim == 2:  # multi-label: positives and negatives of each label
        member = np.concatenate([y > 0, y <= 0], axis=1)
    else:
        member = y.astype(np.int64)[:, None] == np.arange(int(y.max()) + 1 if len(y) else 0)[None]
    train = np.setdiff1d(np.arange(len(y)), test_idx)
    lost = np.flatnonzero(member.any(axis=0) & ~member[train].any(axis=0))
    counts = member[:, lost].sum(axis=0)
    if not len(lost) or counts.max() < 2:
        return ""
    head = how.split(" (")[0]
    if dev.patient_ids is not None:
        holders = np.asarray(dev.patient_ids)[member[:, lost[np.argmax(counts)]]]
        return (f"; with {head}, a class (or label) held by too few patients (or samples) leaves some fold's training "
                f"part without it (here {counts.max()} samples of {len(set(holders.tolist()))} patient(s)): use fewer "
                "folds (--folds) if it has several, or add cases of it")
    return (f"; with {head}, a class (or label) whose samples are copies of one another (identical or near-identical "
            f"content, {counts.max()} samples kept in one fold) leaves some fold's training part without it: add "
            "distinct cases of it")


def development_split(source: ImageSource) -> SplitData:
    """Train and val pooled into one split (the data cross-validation may use)."""
    parts = [source.splits[s] for s in ("train", "val") if s in source.splits]
    if not parts:
        raise DataError(f"{source.origin}: no train split to cross-validate")
    if len(parts) == 1:
        return parts[0]
    a, b = parts
    both = (a.patient_ids is not None) and (b.patient_ids is not None)
    images = None if a.images is None or b.images is None else np.concatenate([a.images, b.images])
    paths = None if a.paths is None or b.paths is None else [*a.paths, *b.paths]
    texts = None if a.texts is None or b.texts is None else [*a.texts, *b.texts]
    records = None if a.records is None or b.records is None else [*a.records, *b.records]
    table = None
    if a.table is not None and b.table is not None:  # table rows (pandas)
        import pandas as pd

        table = pd.concat([a.table, b.table], ignore_index=True)
    return SplitData(ids=[*a.ids, *b.ids], labels=np.concatenate([a.labels, b.labels]),
                     patient_ids=[*a.patient_ids, *b.patient_ids] if both else None,  # type: ignore[misc]
                     images=images, paths=paths, texts=texts, records=records, table=table)


def check_patient_column(config: Any, dev: SplitData) -> None:
    """Refuse ``--patient-column`` (config ``patient_column``) for an image source, before the folds are made:
    documents, tables and series read their patient ids from the column it names, but an image manifest
    reads them from its ``patient_id`` column (a DICOM file from its PatientID), whatever the option says.
    Ignored without a word, the folds were grouped otherwise than the user asked (by sample, or by the
    manifest's own column) and the ``how`` line was the only hint."""
    column = getattr(config, "patient_column", None)
    if column is None or str(column).strip().lower() == "patient_id":  # the manifest's own column: what it reads
        return
    if dev.texts is not None or dev.table is not None or dev.records is not None:
        return
    named = config.named("patient_column") if hasattr(config, "named") else "patient_column"
    raise ConfigError(f"{named} {column!r}: {config.data} is an image source, whose patient ids come from a "
                      "manifest's patient_id column (or each DICOM file's PatientID), not from a column this option "
                      f"names, so the folds would not be grouped by it; name that manifest column patient_id, or "
                      f"leave {named} out")


def ahead_of_training(dev: SplitData, fold_index: list[np.ndarray], gaps: list[list[str]],
                      label_names: list[str]) -> list[str]:
    """The warnings about the folds themselves (a fold testing no case of a class; unequal folds), as
    ``note:`` lines said before fold 0 trains: they are known from the folds alone, and before they came
    only with the results, after every fold had trained (hours, for images), when a user could no longer
    choose other ``--folds``. ``cv.json`` and the end of the run still give them as warnings."""
    from meddx.evaluation.cv_checks import gap_warning, size_warning

    found = [w for w in (gap_warning(gaps, dev, label_names), size_warning(dev, fold_index)) if w]
    return [f"note: before fold 0 trains (Ctrl-C now to change --folds; this is said again at the end): {w}"
            for w in found]


def unused_test_note(source: ImageSource, dev: SplitData) -> str | None:
    """A ``note:`` line when the source has a test split of its own: the folds are cut from train and val
    only, so those samples are in no fold, and nothing said so (a paper would report K-fold results "on"
    the whole file, ``cv.json``'s ``n`` aside). ``None`` without a test split."""
    test = source.splits.get("test")
    if test is None or not len(test):
        return None
    return (f"note: {source.origin}'s own test split ({len(test)} samples) is not used: the folds are cut from its "
            f"{len(dev)} train and val samples, and it stays held out (cv.json: n_test_unused); evaluate a fold's "
            "bundle, or a model trained with meddx train, on it")
