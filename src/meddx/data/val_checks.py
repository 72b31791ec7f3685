"""A warning for a validation split too small, or too narrow, to choose on.

Training picks the early-stopping epoch, the temperature (calibration) and the decision threshold
on ``val``. A validation split of a handful of samples or patients (a 6-row CSV carves one
document), or one without a class that training has, makes those choices rest on a few cases: the
run trains (it is not refused), but its notes say so, and :func:`note_small_validation` puts that
sentence in ``source.notes``, which ``meddx data info`` and ``meddx train`` print and a run's
``data.json`` and its bundle's model card record. Every kind of source (images, documents, tables,
series) gets it from the validation carve (:func:`meddx.data.splits.carve_validation`); a ``val``
split the source gives gets it from its reader (the text, table and series readers; the image readers
through ``meddx.data.sources``), so one load computes it once.
"""

from __future__ import annotations

import numpy as np

from meddx.data.base import ImageSource

MIN_VAL_SAMPLES = 10
"""A validation split with fewer samples than this gets the warning."""

MIN_VAL_PATIENTS = 3
"""A validation split with patient ids and fewer distinct patients than this gets the warning."""

NOTE_START = "small validation split:"
"""How the warning starts (one per source: a second call does not repeat it)."""


def small_validation_note(source: ImageSource) -> str | None:
    """The warning for ``source``'s ``val`` split, or ``None`` when it is large enough and holds
    every class (multi-label: every label) that ``train`` holds, or when either split is absent."""
    val, train = source.splits.get("val"), source.splits.get("train")
    if val is None or train is None:
        return None
    problems = []
    if len(val) < MIN_VAL_SAMPLES:
        problems.append(f"{len(val)} sample(s) (fewer than {MIN_VAL_SAMPLES})")
    if val.patient_ids is not None:
        n_patients = len(set(val.patient_ids))
        if n_patients < MIN_VAL_PATIENTS:
            problems.append(f"{n_patients} patient(s) (fewer than {MIN_VAL_PATIENTS})")
    missing = _missing_classes(source, np.asarray(train.labels), np.asarray(val.labels))
    if missing:
        what = "label(s)" if np.asarray(train.labels).ndim == 2 else "class(es)"
        problems.append(f"no sample of {_named(source, missing, what)} that train has")
    if not problems:
        return None
    return (f"{NOTE_START} val has {' and '.join(problems)}: the early-stopping epoch, the temperature and the "
            "decision threshold chosen on it rest on these cases alone (training goes on); give a larger val split "
            "(a split column; when val is carved, a larger val_fraction config field) or more data")


def note_small_validation(source: ImageSource) -> ImageSource:
    """``source`` with :func:`small_validation_note` appended to its notes (in place; once)."""
    note = small_validation_note(source)
    if note and not any(str(n).startswith(NOTE_START) for n in source.notes):
        source.notes.append(note)
    return source


def _missing_classes(source: ImageSource, train: np.ndarray, val: np.ndarray) -> list[str]:
    """Names of the classes (multi-label: labels) with a sample in ``train`` and none in ``val``."""
    names = list(source.label_names)
    if train.ndim == 2:  # an empty (0, L) val has no label present
        lost = (train > 0).any(axis=0) & ~(val.reshape(-1, train.shape[1]) > 0).any(axis=0)
        return [names[k] for k in np.flatnonzero(lost) if k < len(names)]
    in_train = set(train.astype(np.int64).tolist())
    in_val = set(val.astype(np.int64).tolist())
    return [names[k] if 0 <= k < len(names) else str(k) for k in sorted(in_train - in_val)]


def _named(source: ImageSource, missing: list[str], what: str) -> str:
    """``class(es) 'a', 'b'`` (at most 5 named), or a count alone for a text source read although its
    columns look swapped (``data verify``): its class names may then be note text."""
    if (getattr(source, "columns", None) or {}).get("looks_swapped"):
        return f"{len(missing)} {what} (not named: the text and label columns look swapped)"
    more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
    return f"{what} {', '.join(repr(m) for m in missing[:5])}{more}"
