"""Test and val splits carved from a segmentation source's train, and the record of each carve.

A missing test split is carved from train, then a missing val split from what remains, whole
patients (cases when there are no patient ids) moving, by scikit-learn's ``GroupShuffleSplit``
with the run's seed. Which cases a carve takes also depends on things no setting records: the
grouping (a manifest that gained a ``patient_id`` column), scikit-learn's shuffle. So each carve is
recorded (:mod:`meddx.data.carve_record`: one bit per case, cases sorted by id, with a SHA-256 of the
ids), both records made on the train split as read, before any carve:

- ``data.json`` of a run and the bundle's ``training`` section hold them as ``test_membership`` and
  ``val_membership`` (the classification field; in a test record ``n_val`` counts its test cases);
- a resume (``training.seg_fit``) and ``meddx evaluate``/``compare`` of a bundle
  (``evaluation.seg_as_trained``) pass them back (``memberships``): while train holds the very cases
  the records were made on (in any order), the recorded cases are taken instead of carving again;
  other cases (one added, removed or renamed) are carved again, as before the records existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from meddx.core.errors import ConfigError, DataError

if TYPE_CHECKING:
    from meddx.data.segmentation import SegSource, SegSplit

CARVED_SPLITS = ("test", "val")
"""The splits a segmentation source may have carved from train, in carving order."""


def membership_key(split: str) -> str:
    """The field recording the carve of ``split``: ``val_membership`` (as classification runs record
    theirs, :data:`meddx.data.carve_record.MEMBERSHIP_KEY`) or ``test_membership``."""
    return f"{split}_membership"


def membership_fields(memberships: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{"test_membership": record, "val_membership": record}`` for ``data.json`` and the bundle, from a
    source's :attr:`~meddx.data.segmentation.SegSource.memberships` (nothing carved: empty)."""
    return {membership_key(s): dict(r) for s, r in memberships.items() if s in CARVED_SPLITS}


def recorded_memberships(recorded: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The carve records (split -> record) a run's ``data.json`` or a bundle's ``training`` section
    holds (:func:`membership_fields`); empty for runs and bundles written before the records."""
    if not isinstance(recorded, Mapping):
        return {}
    return {s: dict(recorded[membership_key(s)]) for s in CARVED_SPLITS
            if isinstance(recorded.get(membership_key(s)), Mapping)}


def none_carved_note(name: str) -> str:
    """The note of a source read without a ``name`` split and nothing carved for it."""
    return f"no {name} split and {name}_fraction 0: none carved"


def carve_splits(source: SegSource, *, val_fraction: float, test_fraction: float, seed: int,
                 memberships: Mapping[str, Mapping[str, Any]] | None = None) -> SegSource:
    """``source`` with test then val carved from train when missing (fraction 0: not carved).

    Whole patients move (cases when there are no patient ids); GroupShuffleSplit with ``seed``.
    ``memberships`` (split -> record, :func:`recorded_memberships`): a record made on the cases train
    holds now gives that split's cases instead of a carve. The new source's ``memberships`` record
    every carve (a record read back is recorded as it was)."""
    from meddx.data.carve_record import membership_record

    splits = dict(source.splits)
    notes = list(source.notes)
    first = splits.get("train")  # as read: the cases both records are made on
    remaining = np.arange(len(first)) if first is not None else np.zeros(0, dtype=np.int64)
    made: dict[str, dict[str, Any]] = {}
    for name, fraction in (("test", test_fraction), ("val", val_fraction)):
        if name in splits or first is None or fraction <= 0:
            if name not in splits and fraction <= 0:
                notes.append(none_carved_note(name))
            continue
        record = (memberships or {}).get(name)
        take = _read_back(first, remaining, record, name)
        if take is not None and record is not None:
            keep, made[name] = np.setdiff1d(remaining, take), dict(record)
            note = f"{record.get('note')}; read back from the recorded membership (not carved again)"
        else:
            local_keep, local_take, unit = _carve(first.subset(remaining), fraction, seed, source.origin, name)
            keep, take = remaining[local_keep], remaining[local_take]
            note = (f"{name} carved from train: fraction {fraction}, seed {seed}, grouped by {unit} "
                    f"(GroupShuffleSplit); train {len(keep)} / {name} {len(take)} cases")
            if first.patient_ids is not None:
                pats = np.asarray(first.patient_ids)
                note += f" ({len(set(pats[keep]))} / {len(set(pats[take]))} patients)"
            made[name] = membership_record(first, take, note)
        splits[name], remaining = first.subset(take), keep
        notes.append(note)
    if made and first is not None:
        splits["train"] = first.subset(remaining)
    known = ("train", "val", "test")
    order = [s for s in known if s in splits] + [s for s in splits if s not in known]
    return replace(source, splits={s: splits[s] for s in order}, notes=notes, memberships=made)


def _read_back(first: SegSplit, remaining: np.ndarray, record: Mapping[str, Any] | None,
               name: str) -> np.ndarray | None:
    """The indices into ``first`` (train as read) that ``record`` names for split ``name``; ``None``
    when there is no record or it was made on other cases (carve again then)."""
    from meddx.data.carve_record import MEMBERSHIP_KEY, recorded_val

    if record is None:
        return None
    key = membership_key(name)
    try:
        take = recorded_val(first, record)
    except ConfigError as exc:  # its message names the val field
        raise ConfigError(str(exc).replace(MEMBERSHIP_KEY, key, 1)) from None
    if take is None:
        return None
    if not len(take) or not np.isin(take, remaining).all() or len(take) == len(remaining):
        raise ConfigError(f"{key}: the recorded {name} cases ({len(take)}) are none, all of train or cases an "
                          "earlier carve took; expected the record meddx wrote: restore the run's data.json or the "
                          "bundle's config.json")
    return take


def _carve(train: SegSplit, fraction: float, seed: int, origin: str, name: str) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.model_selection import GroupShuffleSplit

    unit = "patient" if train.patient_ids is not None else "case"
    groups = np.asarray(train.patient_ids if train.patient_ids is not None else train.ids)
    if len(set(groups.tolist())) < 2:
        raise DataError(f"{origin}: train holds {len(set(groups.tolist()))} {unit}(s); at least 2 are needed to "
                        f"carve a {name} split: provide a {name} split or pass {name}_fraction=0")
    gss = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    keep, take = next(gss.split(np.zeros(len(groups)), groups=groups))
    return np.sort(keep), np.sort(take), unit
