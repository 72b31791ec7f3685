"""What the folds of ``meddx cv`` cannot measure, said before their numbers are averaged.

Two shapes of data make K folds unequal, and ``meddx cv`` reported them as if they were not:

- A class (or a multi-label label's positives or negatives) held by fewer samples, or patients,
  than there are folds: some folds' held-out parts hold none of it. Their AUC and AUPRC are
  undefined and their balanced accuracy and macro-F1 average the classes they hold or predict (a fold of
  negatives alone scores balanced accuracy 1.0), so the mean ± sd over folds mixed those in.
  Those folds are now left out of the mean ± sd of the class-averaged metrics, ``cv.json``
  records how many folds each mean is over (``mean_folds``) and each fold's ``missing_classes``,
  and a warning names the folds. The pooled out-of-fold metrics count every case once and are
  unaffected.
- One patient (or a group of copies) holding a large share of the samples: the fold holding them
  tests far more cases with a model trained on far fewer. A warning gives the fold sizes.

What a fold's own training found reaches ``cv.json`` too: a fold whose carved validation part lacks a
class keeps threshold 0.5 (no rule can choose one there; its bundle still says ``chosen_on: val``), so
its decisions are not the rule's. Each such fold records ``threshold_fallback`` and one warning names
them all; a fold's metrics.json warnings are passed on once each, less those of the whole source.
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
            "and AUPRC are undefined and balanced accuracy and macro-F1 average the classes present or predicted, so the mean "
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


def threshold_fallback(decision: dict[str, Any] | None, label_names: list[str]) -> list[str]:
    """What one fold's validation part lacked for its threshold rule, per threshold that fell back to
    0.5 instead of being chosen there (``evaluation.operating.choose_threshold``: a rule needs both
    classes); empty when every threshold was chosen on val, for a ``fixed:`` rule and for multi-class
    argmax. Read from the bundle's ``decision``: its ``val`` rates are null where val held no
    positive (sensitivity) or no negative (specificity)."""
    decision = decision or {}
    rule, rates = str(decision.get("rule") or ""), decision.get("val")
    if not rates or rule.startswith("fixed:") or rule.startswith("argmax"):
        return []
    if decision.get("threshold") is not None and len(label_names) == 2:  # binary: one threshold on P(positive)
        lacking = [name for name, key in ((label_names[1], "sensitivity"), (label_names[0], "specificity"))
                   if rates.get(key) is None]
        return [f"no {name!r} sample" for name in lacking[:1]]
    per_label = decision.get("class_thresholds") or {}  # multi-label: each label's own threshold
    return [f"no {kind} of label {name!r}" for name, r in rates.items() if name in per_label and isinstance(r, dict)
            for kind, key in (("positives", "sensitivity"), ("negatives", "specificity")) if r.get(key) is None][:5]


def fallback_warning(per_fold: list[dict[str, Any]]) -> str | None:
    """One line naming the folds whose threshold was not chosen on validation (their ``threshold_fallback``
    in cv.json) and why, folds with the same reason together; ``None`` when every fold chose its own."""
    short = [f for f in per_fold if f.get("threshold_fallback")]
    if not short:
        return None
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for f in short:
        by_reason.setdefault(", ".join(f["threshold_fallback"]), []).append(f)
    why = "; ".join(f"{reason} in the val of fold(s) {', '.join(str(f['fold']) for f in fs)} "
                    f"({', '.join(str(f.get('n_val')) for f in fs)} samples)" for reason, fs in by_reason.items())
    return (f"the decision threshold of fold(s) {', '.join(str(f['fold']) for f in short)} of {len(per_fold)} fell "
            "back to 0.5 instead of being chosen on validation, since the threshold rule needs both classes there: "
            f"{why}. Their sensitivity, specificity and accuracy are at that default (AUC and AUPRC are "
            "threshold-free); a larger val_fraction (or more cases of the rare class) gives each fold's val both")


def fold_warnings(per_fold: list[list[str]], shared: list[str]) -> list[str]:
    """The folds' own training warnings (metrics.json ``warnings``), each once with the folds that raised it;
    those of the whole source (``shared``, e.g. a table's zero codes, said once already) are left out."""
    folds: dict[str, list[int]] = {}
    for k, warnings in enumerate(per_fold):
        for w in warnings:
            if w and w not in shared and k not in folds.setdefault(w, []):
                folds[w].append(k)
    return [f"fold(s) {', '.join(map(str, ks))} of {len(per_fold)}: {w}" for w, ks in folds.items()]
