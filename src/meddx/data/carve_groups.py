"""Near copies kept on one side when a validation split is carved from train.

A copy of a training image re-encoded, resized by a pixel or slightly brightened (an abstract
with a typo) is not byte-identical, so the exact-content grouping of
:func:`meddx.data.splits.carve_validation` lets it land on both sides of a carved split: the
validation metrics, and the epoch, temperature and threshold chosen on them, become optimistic,
and ``meddx data verify --clean-manifest`` cannot help (it only cleans the splits on disk).
Carving therefore finds near copies exactly as ``meddx data verify`` does (the same functions
with the same settings: perceptual hash plus thumbnail correlation for 2D images and 3D
volumes, MinHash plus exact Jaccard for documents) and joins them with the patient and
exact-content groups. From settings version 3 a 2D image's flipped or rotated copy
(:mod:`meddx.data.verify_dihedral`) is kept with it too: a mirror of a training image in
validation is as much a copy as a re-encoded one. One difference: verify also calls any two blank (constant) images near
copies; carving does not group those (byte-identical blanks are still grouped as exact copies):
a blank image is a copy of no sample and carries nothing a model could memorise on one side and
recall on the other (verify reports it for removal), while joining them would make one group of
every blank image of every label, which stratification cannot split (all of it in val or in one
fold, and a class made mostly of blanks gone from training). Tables and time series have no
near-copy search in verify, so none here. ``meddx cv`` folds group with the same codes
(:mod:`meddx.evaluation.cv_folds`; ``cv.json`` records the settings as ``fold_near_copies``).

The settings are recorded in a run's ``data.json`` (``val_near_copies``, so that a resume re-carves
with them after :data:`NEAR_COPY_SETTINGS` changed; a ``data.json`` without them: as its carving note
shows, :func:`carving_from_notes`) and in its bundle (``training.val_near_copies``) so that
``meddx evaluate --split val`` re-carves exactly the split a bundle trained against; a bundle
without the field (written before this grouping) is re-carved the old way. Runs and bundles also
record the membership itself (:mod:`meddx.data.carve_record`), read back instead of carving again
while the samples are the same; the settings serve runs and bundles written before that record.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

NEAR_COPIES_KEY = "val_near_copies"
"""The field of a bundle's ``training`` section holding the near-copy settings its carving used."""

NEAR_COPY_SETTINGS: dict[str, Any] = {
    # version 2: a grouped carve whose fold 1 holds too few groups (patients; splits.MIN_VAL_GROUPS) takes
    # a fold that holds enough; bundles recording version 1 re-carve fold 1 as they trained
    # version 3: flipped/rotated copies of 2D images (meddx.data.verify_dihedral) are grouped too, when
    # "flips_rotations"; records of versions 1 and 2 re-carve without them (whatever that key says)
    # version 4: multi-label labels are stratified iteratively (each label's positives in proportion,
    # meddx.data.multilabel_strata) rather than by label combination; records of versions 1-3 re-carve by combination
    "version": 4,
    # image verify's defaults (meddx.data.verify.verify_source): 64-bit perceptual hash, 2 bits
    # per 64 apart at most (max_distance None), thumbnails correlated at >= 0.98
    "hash_size": 8, "max_distance": None, "min_correlation": 0.98, "flips_rotations": True,
    # text verify's defaults (meddx.data.text_verify.verify_text_source): Jaccard of word 5-grams, MinHash
    # signatures of 128 values banded for Jaccard threshold - lsh_margin
    "threshold": 0.8, "shingle": 5, "num_perm": 128, "lsh_margin": 0.1,
}
"""Near-copy settings of a carving: verify's defaults, pinned here (not read from verify's
signature) so that a recorded carving re-carves the same way even if verify's defaults change."""


def groups_flips(settings: Mapping[str, Any]) -> bool:
    """Whether a carving of ``settings`` groups flipped/rotated copies: version 3 and later, when
    ``flips_rotations`` (a version-1/2 record merged over today's defaults carries it, yet never did)."""
    return bool(settings.get("flips_rotations")) and int(settings.get("version", 1)) >= 3


def stratifies_iteratively(near_copies: bool | Mapping[str, Any] | None) -> bool:
    """Whether a carving of ``near_copies`` (``True``, recorded settings, ``False``) stratifies multi-label
    labels iteratively (:mod:`meddx.data.multilabel_strata`): settings version 4 and later. A carving
    without near-copy grouping (``False``: bundles written before it) or of an older version stratifies
    by label combination, as it did when it was made, so it re-carves the split it trained against."""
    settings = near_copy_settings(near_copies)
    return settings is not None and int(settings.get("version", 1)) >= 4


def near_copy_settings(near_copies: bool | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The settings a carving uses: ``True`` -> :data:`NEAR_COPY_SETTINGS`, a mapping (a bundle's
    record) -> those settings over the defaults, ``False``/``None`` -> no near-copy grouping."""
    from meddx.data.carve_record import split_membership

    near_copies = split_membership(near_copies)[0]  # settings that carry a membership record: the settings
    if near_copies is None or near_copies is False:
        return None
    if near_copies is True:
        return dict(NEAR_COPY_SETTINGS)
    return {**NEAR_COPY_SETTINGS, **dict(near_copies)}


def carving_options(training: Mapping[str, Any]) -> dict[str, Any]:
    """``load_source`` keyword arguments that re-carve validation as a bundle's training did:
    its recorded fraction, seed and near-copy settings; a bundle written before near copies were
    grouped (no ``val_near_copies``) re-carves without them, i.e. the split it trained against. A
    bundle that records its validation membership (``val_membership``, :mod:`meddx.data.carve_record`)
    passes it as ``membership``: the carve reads those samples back when the data holds the samples it
    was made on (no ``membership`` key for a bundle without the record)."""
    from meddx.data.carve_record import MEMBERSHIP_KEY

    record = training.get(MEMBERSHIP_KEY)
    return {"val_fraction": training.get("val_fraction", 0.1), "seed": training.get("seed", 0),
            "near_copies": training.get(NEAR_COPIES_KEY) or False,
            **({"membership": dict(record)} if isinstance(record, Mapping) else {})}


def carving_from_notes(notes: Sequence[str]) -> bool | dict[str, Any]:
    """``near_copies`` that re-carves the validation split of a run whose ``data.json`` records no
    carving settings (written before they were recorded), read from its carving note: ``True``
    when nothing was carved (there is nothing to re-carve).

    - a note showing another fold than the first (``fold 2 of 10``): version 2 or later, since only
      :data:`NEAR_COPY_SETTINGS` version 2 takes another fold; version 2 itself (the only such
      version without a record);
    - a note with the near-copy sentence, or with classes kept in train whole (done only with near
      copies grouped), on fold 1 (or with no fold: not grouped into folds, or not stratified):
      version 1. Such a run started with version 1 (before version 2) or with version 2 when fold
      1 held enough patients; version 1 takes fold 1 whatever it holds and is otherwise the same,
      so it re-carves both exactly, whereas version 2 would move a version-1 run whose fold 1 held
      too few patients to another fold (refused as "not the data run started on");
    - any other note: ``False``, carved before near copies were grouped. A table without patient
      ids carved with near copies grouped has no near-copy sentence either (no search for tables),
      but on fold 1 and without classes kept in train its split is the one ``False`` carves (the
      other differences of a near-copy carving are that fold choice and those classes).
    """
    import re

    carved = [n for n in notes if isinstance(n, str) and n.startswith("validation carved from train")]
    if not carved:
        return True
    note = carved[-1]
    fold = re.search(r"\(fold (\d+) of \d+ of StratifiedGroupKFold\)", note)
    if fold and int(fold.group(1)) > 1:
        return {**NEAR_COPY_SETTINGS, "version": 2}
    if "near copies" in note or "kept in train whole" in note:
        return {**NEAR_COPY_SETTINGS, "version": 1}
    return False


def near_copy_codes(source: Any, split: str, settings: Mapping[str, Any]) -> tuple[np.ndarray | None, int, int]:
    """A group code per sample of ``split`` joining near copies, the number of near-copy groups
    and the samples they hold; codes ``None`` when there is no group (or no search for this kind
    of source). Groups link samples of distinct content only (byte-identical copies are the exact
    grouping's business), as verify's ``near_duplicates`` report them."""
    from meddx.data.base import is_text_source
    from meddx.data.splits import component_codes

    modality = getattr(source, "modality", None)
    if modality in ("tabular", "series"):
        return None, 0, 0
    groups = _text_groups(source, split, settings) if is_text_source(source) else _image_groups(source, split, settings)
    if not groups:
        return None, 0, 0
    edges = [(members[0], m) for members in groups for m in members[1:]]
    codes = component_codes(len(source.splits[split]), edges)
    return codes, len(groups), sum(len(g) for g in groups)


def _image_groups(source: Any, split: str, settings: Mapping[str, Any]) -> list[list[int]]:
    """Near-copy groups (sample indices) of an image split, and from settings version 3 its
    flipped/rotated copy groups, read and fingerprinted as verify reads them
    (``verify.read_fingerprint``: file digest, decoded array, fingerprint, kept for the verify
    that follows in training and evaluation, :mod:`meddx.data.fingerprints`);
    undecodable files (training reports them in its own way) and blank images are left out."""
    from meddx.data.verify import near_duplicate_members, read_fingerprint
    from meddx.data.verify_summary import _Item

    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    data = source.splits[split]
    hash_size = int(settings["hash_size"])

    def read(i: int) -> tuple[str | None, tuple[np.ndarray, np.ndarray] | None]:
        item = _Item(split, data.ids[i], data.paths[i] if data.paths else None, "")
        fingerprint = read_fingerprint(source, split, i, item, [], hash_size)  # kept: verify does not decode again
        if fingerprint is None:
            return None, None
        bits, thumb = fingerprint
        # A blank image (flat thumbnail) is verify's near copy of every other blank one: a
        # data-quality finding, not a copy of one sample; left out here, so that blank images of
        # any label (and toy sources of constant images) do not become one giant group.
        return (None, None) if thumb.min() == thumb.max() else (item.digest, (bits, thumb))

    # Decoding and resizing dominate (about 8 ms a 512 px JPEG) and release the GIL: threads
    # share them. Results are taken in sample order, so the groups do not depend on the thread
    # count; each read runs in a copy of the caller's context (the reading orientation of
    # meddx.data.orientation is a ContextVar, which pool threads would not see otherwise).
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, read, i) for i in range(len(data))]
        read_all = [f.result() for f in futures]
    prints: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    by_digest: dict[str, list[int]] = {}
    for i, (digest, fingerprint) in enumerate(read_all):
        if digest is None or fingerprint is None:
            continue
        by_digest.setdefault(digest, []).append(i)
        prints.setdefault(digest, fingerprint)
    if len(prints) < 2:
        return []
    found, _ = near_duplicate_members(prints, by_digest, settings["max_distance"], float(settings["min_correlation"]))
    groups = [members for members, _ in found]
    if groups_flips(settings):  # version 3: a mirror or rotation of a training image stays with it
        from meddx.data.verify_dihedral import flipped_rotated_members

        groups += [members for members, _, _ in flipped_rotated_members(
            prints, by_digest, groups, settings["max_distance"], float(settings["min_correlation"]))]
    return groups


def _text_groups(source: Any, split: str, settings: Mapping[str, Any]) -> list[list[int]]:
    """Near-copy groups (sample indices) of a document split, by text verify's MinHash search."""
    from meddx.data.text import normalize_text, text_digest
    from meddx.data.text_verify import _near_groups, _shingles

    data = source.splits[split]
    shingles: dict[str, set[str]] = {}
    by_digest: dict[str, list[int]] = {}
    for i, text in enumerate(data.texts or []):
        norm = normalize_text(text) if text is not None else ""
        if not norm:  # an empty document: verify lists it as undecodable
            continue
        digest = text_digest(text)
        by_digest.setdefault(digest, []).append(i)
        if digest not in shingles:
            shingles[digest] = _shingles(norm, int(settings["shingle"]))
    if len(shingles) < 2:
        return []
    return [rows for rows, _, _ in _near_groups(shingles, by_digest, float(settings["threshold"]),
                                                int(settings["num_perm"]), float(settings.get("lsh_margin", 0.1)))]


def old_carving_hint(dataset: Mapping[str, Any], kind: str | None = None) -> str | None:
    """A sentence for the leakage warning of a dataset summary (``evaluate.dataset_summary``)
    whose val was carved without near-copy grouping (a bundle trained before it, re-read as it
    trained) while verify found near copies and val samples sharing content with another split:
    some of those may be near copies of training samples that no cleaning of the files on disk
    separates (val is carved from train), so retraining is the remedy. ``kind`` (else the summary's
    ``kind``: ``images``, ``text``, ...) words it: ``--clean-manifest`` is named for image files only
    (it refuses documents; before, an old text carving was sent there too); documents are told of
    ``--fix drop-duplicates``; a summary without a kind (written before it was recorded) names no flag."""
    dup = dataset.get("duplicates") or {}
    carved = [n for n in dataset.get("notes") or [] if str(n).startswith("validation carved from train")]
    if not carved or "near copies" in carved[-1] or not dup.get("near_groups"):
        return None
    if not (dup.get("cross_split_by_split") or {}).get("val"):
        return None
    kind = kind or dataset.get("kind")
    start = "val was carved without keeping near copies together (the bundle predates that grouping), so some val "
    if kind == "images":
        return (f"{start}samples may be near copies of training samples that --clean-manifest cannot remove: retrain "
                "to carve val anew")
    if kind == "text":
        return (f"{start}documents may be near copies of training documents: retrain to carve val anew (near copies "
                "then stay on one side), or first write the file without them with `meddx data verify --fix "
                "drop-duplicates --fixed-output FILE`")
    return (f"{start}samples may be near copies of training samples, which cleaning the files on disk does not "
            "separate (val is carved from train): retrain to carve val anew")
