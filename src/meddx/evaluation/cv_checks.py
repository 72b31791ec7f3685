"""What the folds of ``meddx cv`` cannot measure, said before their numbers are averaged.

Two shapes of data make K folds unequal, and ``meddx cv`` reported them as if they were not:

- A class (or a multi-label label's positives or negatives) held by fewer samples, or patients,
  than there are folds: some folds' held-out parts hold none of it. Their AUC and AUPRC are
  undefined and their balanced accuracy and macro-F1 average the classes they hold (a fold of
  negatives alone scores balanced accuracy 1.0), so the mean ± sd over folds mixed those in.
  Those folds are now left out of the mean ± sd of the class-averaged metrics, ``cv.json``
  records how many folds each mean is over (``mean_folds``) and each fold's ``missing_classes``,
  and a warning names the folds. The pooled out-of-fold metrics count every case once and are
  unaffected.
- One patient (or a group of copies) holding a large share of the samples: the fold holding them
  tests far more cases with a model trained on far fewer. A warning gives the fold sizes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from meddx.data.base import SplitData

CLASS_METRICS = ("auc", "auprc", "balanced_accuracy", "macro_f1")  # averages over the classes a fold holds
UNEQUAL = 1.5  # a held-out part above 1.5x (or below 1/1.5 of) n / K is called unequal


def missing_classes(labels: np.ndarray, test_idx: np.ndarray, label_names: list[str]) -> list[str]:
    """The classes (multi-label: ``'name' (positives)`` / ``(negatives)``) absent from one fold's held-out part."""
    y = np.asarray(labels)[np.asarray(test_idx, dtype=np.int64)]
    if y.ndim == 2:
        return [f"{name} ({kind})" for j, name in enumerate(label_names)
                for kind, present in (("positives", (y[:, j] > 0).any()), ("negatives", (y[:, j] <= 0).any()))
                if not present]
    held = set(y.astype(np.int64).tolist())
    return [name for k, name in enumerate(label_names) if k not in held]


def fold_gaps(dev: SplitData, fold_index: list[np.ndarray], label_names: list[str]) -> list[list[str]]:
    """Per fold, the classes its held-out part lacks (empty lists when every fold holds every class)."""
    return [missing_classes(dev.labels, test_idx, label_names) for test_idx in fold_index]


def fold_stats(per_fold: list[dict[str, Any]], gaps: list[list[str]],
               names: list[str]) -> tuple[dict[str, float | None], dict[str, float | None], dict[str, int]]:
    """Mean, sd (ddof 1) and number of folds of each metric in ``names``; a fold whose held-out part
    lacks a class is left out of the class-averaged metrics (``CLASS_METRICS``), and any fold whose
    value is null (undefined) out of that metric."""
    mean: dict[str, float | None] = {}
    sd: dict[str, float | None] = {}
    count: dict[str, int] = {}
    for m in names:
        values = [f[m] for f, gap in zip(per_fold, gaps) if f.get(m) is not None and not (gap and m in CLASS_METRICS)]
        count[m] = len(values)
        mean[m] = float(np.mean(values)) if values else None
        sd[m] = float(np.std(values, ddof=1)) if len(values) >= 2 else None
    return mean, sd, count


def gap_warning(gaps: list[list[str]], dev: SplitData, label_names: list[str]) -> str | None:
    """One line naming the folds whose held-out part lacks a class, and what that leaves out; ``None`` if none."""
    k = len(gaps)
    short = [i for i, gap in enumerate(gaps) if gap]
    if not short:
        return None
    lacking = Counter(name for gap in gaps for name in gap)  # class -> folds whose held-out part lacks it
    which = "; ".join(f"{name!r} ({_sample_count(dev.labels, name, label_names)} sample(s), in {k - absent} of "
                      f"the {k} folds)" for name, absent in lacking.items())
    usable = max(2, k - max(lacking.values()))
    return (f"the held-out part of fold(s) {', '.join(map(str, short))} of {k} holds no case of {which}: there AUC "
            "and AUPRC are undefined and balanced accuracy and macro-F1 average the classes present, so the mean "
            f"± sd of those is over the other {k - len(short)} fold(s) (cv.json: mean_folds); the pooled "
            f"out-of-fold metrics use every case; --folds {usable} (or more cases of it) gives every fold some")


def _sample_count(labels: np.ndarray, name: str, label_names: list[str]) -> int:
    y = np.asarray(labels)
    if y.ndim == 2:  # 'label (positives)' / 'label (negatives)'
        base, _, kind = name.rpartition(" (")
        column = y[:, label_names.index(base)]
        return int((column > 0).sum() if kind.startswith("positives") else (column <= 0).sum())
    return int((y.astype(np.int64) == label_names.index(name)).sum())


def size_warning(dev: SplitData, fold_index: list[np.ndarray]) -> str | None:
    """One line when the held-out parts are far from n / K samples each (a patient, or a group of
    copies, holding many samples); ``None`` when they are about equal."""
    sizes = [len(t) for t in fold_index]
    n, k = sum(sizes), len(sizes)
    if not n or (max(sizes) <= UNEQUAL * n / k and min(sizes) >= n / k / UNEQUAL):
        return None
    biggest = int(np.argmax(sizes))
    largest = ""
    if dev.patient_ids is not None:
        top = Counter(str(p) for p in dev.patient_ids).most_common(1)[0][1]
        largest = f"; the largest patient holds {top} of the {n} samples"
    return (f"the folds' held-out parts are unequal ({min(sizes)} to {max(sizes)} samples, against {n / k:.0f} "
            f"each for equal folds{largest}): fold {biggest} tests {max(sizes)} cases with a model trained on the "
            f"other {n - max(sizes)}, because folds keep grouped samples together; the mean ± sd weighs each fold "
            "equally, the pooled out-of-fold metrics weigh each case once")
