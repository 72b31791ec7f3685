"""A warning for a validation split too small, or too narrow, to choose on.

Training picks the early-stopping epoch, the temperature (calibration) and the decision threshold
on ``val``. A validation split of a handful of samples or patients (a 6-row CSV carves one
document), or one without a class that training has, or with only one or two cases of it (multi-label: one
or two positives of a label, or fewer than three negatives), makes those choices rest on a few cases: the
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

MIN_VAL_CASES = 3
"""A class (multi-label: a label's positives, or its negatives) that train has and val holds fewer times than this
is named: a threshold or temperature chosen on one or two positives rests on them alone, as fragile as on none."""

NOTE_START = "small validation split:"
"""How the warning starts (one per source: a second call does not repeat it)."""


def small_validation_note(source: ImageSource) -> str | None:
    """The warning for ``source``'s ``val`` split, or ``None`` when it is large enough and holds
    every class (multi-label: every label's positives and negatives) that ``train`` holds at least
    :data:`MIN_VAL_CASES` times, or when either split is absent."""
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
    what = "label(s)" if np.asarray(train.labels).ndim == 2 else "class(es)"
    if missing:
        problems.append(f"no sample of {_named(source, missing, what)} that train has")
    for kind, few in _few_cases(np.asarray(train.labels), np.asarray(val.labels)).items():
        problems.append(f"fewer than {MIN_VAL_CASES} {kind} of {_counted(source, few, what)}")
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


def _few_cases(train: np.ndarray, val: np.ndarray) -> dict[str, list[tuple[int, int]]]:
    """``(class, count in val)`` of each class that train has and val holds once or twice (``"samples"``), or
    for multi-label, of each label whose positives train has and val holds once or twice (``"positives"``: none
    is :func:`_missing_classes`' finding) and of each whose negatives train has and val holds fewer than
    :data:`MIN_VAL_CASES` times, none included (``"negatives"``: a label positive in almost all of val);
    only the kinds that have one."""
    if train.ndim == 2:
        y = val.reshape(-1, train.shape[1]) > 0
        held = {"positives": ((train > 0).any(axis=0), y.sum(axis=0), 1),
                "negatives": ((train <= 0).any(axis=0), (~y).sum(axis=0), 0)}
        found = {kind: [(int(k), int(count[k])) for k in np.flatnonzero(has & (count >= least) & (count < MIN_VAL_CASES))]
                 for kind, (has, count, least) in held.items()}
        return {kind: few for kind, few in found.items() if few}
    in_train = sorted(set(train.astype(np.int64).tolist()))
    counts = np.bincount(val.astype(np.int64), minlength=(max(in_train) + 1) if in_train else 0)
    few = [(k, int(counts[k])) for k in in_train if 0 < counts[k] < MIN_VAL_CASES]
    return {"samples": few} if few else {}


def _counted(source: ImageSource, few: list[tuple[int, int]], what: str) -> str:
    """``label(s) 'a' (1), 'b' (2)`` (at most 5 named), or a count alone when the columns look swapped."""
    names = list(source.label_names)
    if (getattr(source, "columns", None) or {}).get("looks_swapped"):
        return f"{len(few)} {what} (not named: the text and label columns look swapped)"
    shown = ", ".join(f"{(names[k] if 0 <= k < len(names) else str(k))!r} ({n})" for k, n in few[:5])
    return f"{what} {shown}{f' (and {len(few) - 5} more)' if len(few) > 5 else ''}"


def _named(source: ImageSource, missing: list[str], what: str) -> str:
    """``class(es) 'a', 'b'`` (at most 5 named), or a count alone for a text source read although its
    columns look swapped (``data verify``): its class names may then be note text."""
    if (getattr(source, "columns", None) or {}).get("looks_swapped"):
        return f"{len(missing)} {what} (not named: the text and label columns look swapped)"
    more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
    return f"{what} {', '.join(repr(m) for m in missing[:5])}{more}"
