"""The membership of a carved validation split, recorded so that it is read back rather than carved again.

A carved split (:func:`meddx.data.splits.carve_validation`) depends on more than its recorded settings:
the near-copy groups come from image decoding (PIL, pydicom versions), perceptual hashes and the
MinHash/LSH margin of text search, and the folds from scikit-learn. Any change there made an old run
unresumable ("the carving changed") and made ``meddx evaluate BUNDLE --split val`` score another
validation set without saying so. The record says which samples went to validation, so a resume and
``evaluate --split val`` (``compare``, ``explain``, ``audit``: every reading through
:func:`meddx.data.carve_groups.carving_options`) take exactly those while the samples are the same.

The record (``val_membership`` in a run's ``data.json`` and in a bundle's ``training`` section)::

    {"scheme": 1, "n": 1000, "n_val": 100, "sha256": "<hash of the sorted sample keys and labels>",
     "val": "<base64 of zlib of the packed bit per sample, samples sorted by key>", "note": "<carving note>"}

It is order-independent (samples are sorted by key, so a reader that lists them in another order
reads the same membership) and compact: one bit per sample, compressed (100,000 samples with 10% in
val: about 9.7 kB of JSON). The ``sha256`` covers every key and label, so a record is applied only to
the very samples it was made on; other samples (an edited file, other reader options) are carved again
with the recorded settings, as before the record existed, and a resume then refuses data that changed.

The key of a sample (:func:`sample_keys`) is its id and, where the id does not pin the content, a digest
of the content:

- image files (folders, manifests, DICOM series): the id alone, the file path relative to the source's
  root (a folder) or as the manifest writes it (relative to the CSV): stable across machines and
  checkouts, unique within a split, and hashing every file's bytes would read the whole data set
  again for each resume and evaluation;
- arrays held in memory (MedMNIST ``.npz``, synthetic sources): the id is an array index
  (``train-17``), which another ``.npz`` shares, so the SHA-256 of the array is added;
- documents and table rows: the id is a row number unless an id column names the rows, so the digest
  of the normalised text (``text_digest``) or of the row's values (``row_digests``) is added;
- time-series stays: the record or ICU stay id, which names the stay in its database;
- segmentation cases (:mod:`meddx.data.seg_carve`, which records its carved test split the same way): the
  case id, the image's file stem, unique within a split (the readers refuse two cases of one stem).
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.data.base import SplitData

if TYPE_CHECKING:
    from meddx.data.segmentation import SegSplit

MEMBERSHIP_KEY = "val_membership"
"""The field of a run's ``data.json`` and of a bundle's ``training`` section holding the record."""

SCHEME = 1
"""How keys are made and the bitmap packed; a record of another scheme is not applied (carved again)."""

_SETTINGS = "near_copies"
"""The key of the near-copy settings inside a ``near_copies`` argument that carries a record (:func:`with_membership`)."""


def sample_keys(split: SplitData | SegSplit) -> list[str]:
    """One key per sample of ``split``: its id, plus a content digest where the id does not pin the
    content (arrays in memory, documents, table rows); see the module docstring for why."""
    from meddx.data.segmentation import SegSplit

    ids = [str(i) for i in split.ids]
    if isinstance(split, SegSplit):  # image and mask paths; the id is the image's file stem
        return ids
    if split.images is not None:
        tags = [hashlib.sha256(np.ascontiguousarray(img).tobytes()).hexdigest()[:16] for img in split.images]
    elif split.texts is not None:
        from meddx.data.text import text_digest

        tags = [text_digest(t or "")[:16] for t in split.texts]
    elif split.table is not None:
        from meddx.data.tabular_info import row_digests

        tags = [d[:16] for d in row_digests(split.table)]
    else:  # file paths relative to the source root, or stay ids
        return ids
    return [f"{i}\x1f{t}" for i, t in zip(ids, tags)]


def _sorted_lines(split: SplitData | SegSplit) -> tuple[np.ndarray, str]:
    """The order that sorts ``split``'s samples by key and label (stable: ties keep reading order), and
    the SHA-256 of those sorted lines."""
    lines = [f"{k}\t{np.asarray(y).tolist()}\n" for k, y in zip(sample_keys(split), split.labels)]
    order = np.asarray(sorted(range(len(lines)), key=lines.__getitem__), dtype=np.int64)
    digest = hashlib.sha256("".join(lines[i] for i in order).encode("utf-8")).hexdigest()
    return order, digest


def membership_record(train: SplitData | SegSplit, val_index: np.ndarray, note: str) -> dict[str, Any]:
    """The record of a carve of ``train`` (the split before carving) that put ``val_index`` in val,
    with the carving ``note`` that a read-back repeats."""
    order, digest = _sorted_lines(train)
    member = np.zeros(len(train), dtype=bool)
    member[np.asarray(val_index, dtype=np.int64)] = True
    packed = zlib.compress(np.packbits(member[order]).tobytes(), 9)
    return {"scheme": SCHEME, "n": len(train), "n_val": int(member.sum()), "sha256": digest,
            "val": base64.b64encode(packed).decode("ascii"), "note": note}


def recorded_val(train: SplitData | SegSplit, record: Mapping[str, Any]) -> np.ndarray | None:
    """The val indices of ``train`` (the split before carving) that ``record`` names, sorted; ``None``
    when the record was made on other samples (or by another scheme): carve again then.

    Raises:
        ConfigError: the record matches these samples but its bitmap cannot be read (edited by hand).
    """
    if not isinstance(record, Mapping) or record.get("scheme") != SCHEME or record.get("n") != len(train):
        return None
    order, digest = _sorted_lines(train)
    if record.get("sha256") != digest:
        return None
    try:
        bits = np.frombuffer(zlib.decompress(base64.b64decode(str(record["val"]), validate=True)), dtype=np.uint8)
        member_sorted = np.unpackbits(bits)[: len(train)].astype(bool)
    except (KeyError, ValueError, zlib.error) as exc:
        raise ConfigError(f"{MEMBERSHIP_KEY}: the recorded validation membership cannot be read ({exc}); expected "
                          "the record meddx wrote: restore the run's data.json or the bundle's config.json") from None
    if len(member_sorted) != len(train) or int(member_sorted.sum()) != record.get("n_val"):
        raise ConfigError(f"{MEMBERSHIP_KEY}: the recorded validation membership holds {int(member_sorted.sum())} "
                          f"val samples, expected n_val {record.get('n_val')}: restore the run's data.json or the "
                          "bundle's config.json")
    member = np.zeros(len(train), dtype=bool)
    member[order] = member_sorted
    return np.flatnonzero(member)


def read_back_note(train: SplitData | SegSplit, val_index: np.ndarray, record: Mapping[str, Any]) -> str:
    """The carving note of a val read back from ``record``; it names the patients on both sides when ``train``
    now has patient ids the carve did not group by (an image folder whose DICOM PatientID was read after the run
    started: ``data.dicom_patients``), since the resumed run keeps that optimistic validation split."""
    note = f"{record.get('note')}; read back from the recorded membership (not carved again)"
    pids = getattr(train, "patient_ids", None)
    if pids is None:
        return note
    member = np.zeros(len(train), dtype=bool)
    member[np.asarray(val_index, dtype=np.int64)] = True
    both = {p for p, m in zip(pids, member) if m} & {p for p, m in zip(pids, member) if not m}
    if both:
        note += (f"; {len(both)} patient(s) have samples in both train and val (carved before patient ids were "
                 "read): validation metrics and the val-chosen threshold are optimistic; start a new run for a "
                 "validation split grouped by patient")
    return note


def with_membership(near_copies: Any, record: Mapping[str, Any] | None) -> Any:
    """``near_copies`` (settings, ``True`` or ``False``) and a membership ``record`` as one value, the way
    ``training.run.carving_of`` returns a run's carving; ``near_copies`` itself when there is no record (runs
    and bundles written before it). ``load_source`` and ``carve_validation`` take the record as their own
    ``membership`` argument (:func:`split_membership` parts such a value); a ``near_copies`` carrying one is
    still read the same way."""
    if not isinstance(record, Mapping):
        return near_copies
    return {_SETTINGS: near_copies, MEMBERSHIP_KEY: dict(record)}


def split_membership(near_copies: Any) -> tuple[Any, dict[str, Any] | None]:
    """The near-copy settings and the membership record (``None``: none) of a value that may carry one
    (:func:`with_membership`): ``load_source``'s ``near_copies`` and ``membership`` arguments."""
    if isinstance(near_copies, Mapping) and MEMBERSHIP_KEY in near_copies:
        return near_copies.get(_SETTINGS, True), dict(near_copies[MEMBERSHIP_KEY])
    return near_copies, None
