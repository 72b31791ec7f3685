"""Paired statistical comparison of two models scored on the same test cases.

Two questions, two tests, both paired because both models saw the same cases:

- Is one model's ROC AUC higher? ``delong_test`` (and ``delong_per_class`` for each class or
  label): the DeLong, DeLong & Clarke-Pearson (1988) test for correlated AUCs.
- Does one model classify more cases correctly at its operating point? ``mcnemar_test`` on the
  per-case ``correctness`` of each model. Several samples per patient: ``compare_clustered``.

Conventions follow ``meddx.evaluation.metrics``: probs are (N, K), binary column 1 is the
positive class, and every result is JSON-serialisable (plain floats/ints/lists, ``None`` never
NaN). Bad input raises ``DataError`` (data) or ``ConfigError`` (settings) with a message that
names the field, what was expected and what was found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.mcnemar import MCNEMAR_EXACT_BELOW, mcnemar_test  # noqa: F401  (re-exported)
from meddx.evaluation.metrics import _check_threshold, _label_names, _ranking_scores, _validate

DELONG_METHOD = "DeLong (Sun & Xu 2014 fast algorithm)"
MIN_PER_CLASS = 2  # DeLong's variance needs >= 2 positives and >= 2 negatives (ddof=1)


# --------------------------------------------------------------------------- DeLong


def _check_level(level: float) -> float:
    """Confidence level as a float strictly inside (0, 1)."""
    try:
        lv = float(level)
    except (TypeError, ValueError):
        lv = math.nan
    if not 0.0 < lv < 1.0:
        raise ConfigError(f"level must be a confidence level strictly between 0 and 1 (e.g. 0.95); got {level!r}")
    return lv


def _binary_outcome(y_true: np.ndarray) -> np.ndarray:
    """``y_true`` as a (N,) int array of 0/1; (N, 1) and booleans are accepted."""
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size == 0:
        raise DataError(f"y_true must be a non-empty (N,) array of 0/1 outcomes; got shape {y.shape}")
    if not np.isin(y, (0, 1)).all():
        found = sorted(set(np.unique(y).tolist()) - {0, 1})[:5]
        raise DataError(f"y_true must hold binary outcomes 0/1 (1 = positive); found other values {found}")
    return y.astype(int)


def _score_vector(scores: np.ndarray, name: str, n: int) -> np.ndarray:
    """``scores`` as a finite (n,) float array; ``name`` is the argument named in errors."""
    s = np.asarray(scores, dtype=float)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.shape != (n,):
        raise DataError(f"{name} must have shape ({n},) to match y_true (one score per case); got {s.shape}")
    if not np.isfinite(s).all():
        raise DataError(f"{name} must be finite; found {int((~np.isfinite(s)).sum())} NaN/inf value(s)")
    return s


def _class_count_problem(y: np.ndarray) -> str | None:
    """Why DeLong cannot run on outcome vector ``y`` (too few of a class), or ``None``."""
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        present = "positive (1)" if n_neg == 0 else "negative (0)"
        return (f"y_true has only one class ({y.size} {present} cases); an AUC needs both "
                "positive and negative cases")
    if n_pos < MIN_PER_CLASS or n_neg < MIN_PER_CLASS:
        return (f"y_true has {n_pos} positive and {n_neg} negative cases; the DeLong variance "
                f"needs at least {MIN_PER_CLASS} of each")
    return None


def _auc_placements(pos: np.ndarray, neg: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong placement values (structural components) from midranks.

    Hand-written because no maintained library provides DeLong's test (scikit-learn has none,
    and there is no well-kept PyPI package). This is the midrank algorithm of Sun & Xu (2014),
    "Fast implementation of DeLong's algorithm for comparing the areas under correlated
    receiver operating characteristic curves", IEEE Signal Processing Letters 21(11):1389-1393,
    which gives DeLong et al.'s (1988, Biometrics 44:837-845) components in O(N log N):

    - ``v10[i]`` = fraction of negatives scored below positive ``i`` (ties count 1/2)
      = (midrank of ``pos[i]`` among all cases - midrank among positives) / n_neg;
    - ``v01[j]`` = fraction of positives scored above negative ``j`` (ties count 1/2)
      = 1 - (midrank of ``neg[j]`` among all cases - midrank among negatives) / n_pos;
    - AUC = mean(v10) = mean(v01) (the Mann-Whitney statistic).

    Midranks (``rankdata(method="average")``) are what make ties count 1/2.
    """
    m, n = pos.size, neg.size
    tx = stats.rankdata(pos, method="average")
    ty = stats.rankdata(neg, method="average")
    tz = stats.rankdata(np.concatenate([pos, neg]), method="average")
    auc = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    return float(auc), v10, v01


def _difference_variance(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """``(auc_a, auc_b, var(auc_a - auc_b))`` under DeLong's paired covariance estimate.

    DeLong's Var(A - B) = S10[aa] + S10[bb] - 2 S10[ab] over n_pos plus the same for S01 over
    n_neg, written here as var(v10_a - v10_b) / n_pos + var(v01_a - v01_b) / n_neg (ddof=1):
    algebraically identical, never negative, and exactly 0 when the two scores are identical.
    """
    pos, neg = y == 1, y == 0
    auc_a, v10_a, v01_a = _auc_placements(a[pos], a[neg])
    auc_b, v10_b, v01_b = _auc_placements(b[pos], b[neg])
    var = np.var(v10_a - v10_b, ddof=1) / pos.sum() + np.var(v01_a - v01_b, ddof=1) / neg.sum()
    return auc_a, auc_b, float(var)


def delong_test(
    y_true: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, level: float = 0.95,
    groups: np.ndarray | None = None,
) -> dict[str, Any]:
    """Paired DeLong test for two correlated ROC AUCs on the same cases (DeLong, DeLong &
    Clarke-Pearson 1988), computed with the fast midrank algorithm of Sun & Xu (2014).

    Args:
        y_true: (N,) 0/1 outcomes (1 = positive).
        scores_a, scores_b: (N,) scores of model A and model B for the same cases (higher =
            more likely positive); any monotone scale (probabilities, logits).
        level: confidence level of the interval for the difference.
        groups: (N,) patient ids, for several samples per patient: the clustered DeLong of
            Obuchowski (1997) with patients as units, as ``meddx compare`` uses (and as
            ``delong_per_class(groups=...)``); the result then also holds ``n_clusters``. With one
            sample per patient it equals the unclustered test.

    Returns:
        ``auc_a``, ``auc_b``, ``difference`` (a - b), ``se``, ``z``, ``p_value`` (two-sided),
        ``ci`` ([lo, hi], normal approximation at ``level``), ``n_positive``, ``n_negative``,
        ``method``. When the variance of the difference is 0 (e.g. identical scores) ``z`` is
        ``None``; ``p_value`` is then 1.0 if the difference is 0, else ``None`` with a
        ``note`` (the normal approximation says nothing for a degenerate variance).

    Raises:
        DataError: y_true not 0/1, only one class present (or fewer than 2 of a class; with
            ``groups``, fewer than 2 patients with a positive or with a negative case), scores or
            groups of the wrong length, scores not finite.
        ConfigError: ``level`` outside (0, 1).
    """
    from meddx.evaluation.compare_clustered import (
        CLUSTERED_DELONG_METHOD, cluster_codes, cluster_count_problem, clustered_delong_variance)

    lv = _check_level(level)
    y = _binary_outcome(y_true)
    a = _score_vector(scores_a, "scores_a", y.size)
    b = _score_vector(scores_b, "scores_b", y.size)
    codes = None if groups is None else cluster_codes(groups, y.size)
    problem = _class_count_problem(y) or (None if codes is None else cluster_count_problem(y, codes))
    if problem:
        raise DataError(problem)
    if codes is None:
        return _delong_result(*_difference_variance(y, a, b), lv, int(y.sum()), int(y.size - y.sum()))
    result = _delong_result(*clustered_delong_variance(y, a, b, codes), lv, int(y.sum()), int(y.size - y.sum()))
    return {**result, "method": CLUSTERED_DELONG_METHOD, "n_clusters": int(codes.max()) + 1}


def _delong_result(
    auc_a: float, auc_b: float, var: float, level: float, n_pos: int, n_neg: int
) -> dict[str, Any]:
    """Assemble the JSON-serialisable DeLong result from the AUCs and Var(a - b)."""
    diff = auc_a - auc_b
    se = math.sqrt(max(var, 0.0))
    half = float(stats.norm.ppf(0.5 + level / 2.0)) * se
    out: dict[str, Any] = {
        "auc_a": auc_a,
        "auc_b": auc_b,
        "difference": diff,
        "se": se,
        "z": None,
        "p_value": None,
        "ci": [diff - half, diff + half],
        "n_positive": n_pos,
        "n_negative": n_neg,
        "method": DELONG_METHOD,
    }
    if se > 0.0:
        z = diff / se
        out["z"] = z
        out["p_value"] = float(min(1.0, 2.0 * stats.norm.sf(abs(z))))
    elif diff == 0.0:
        out["p_value"] = 1.0
    else:
        out["note"] = ("the DeLong variance of the difference is 0 although the AUCs differ; "
                       "z and p_value are undefined (use a permutation or bootstrap test)")
    return out


def delong_per_class(
    y_true: np.ndarray,
    probs_a: np.ndarray,
    probs_b: np.ndarray,
    task: str,
    label_names: list[str] | None = None,
    level: float = 0.95,
    groups: np.ndarray | None = None,
    scores_a: np.ndarray | None = None,
    scores_b: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """DeLong test per class, keyed by class name, so a report can compare AUCs class by class.

    Binary: one entry, for the positive class (column 1). Multiclass: one-vs-rest per class
    (``y == c`` against ``probs[:, c]``), as in the MedMNIST macro AUC. Multilabel: per label.
    A class whose outcome vector lacks positives or negatives (fewer than 2 of either) gets
    ``{"skipped": reason}`` instead of raising, so one rare class does not sink the report.
    ``groups`` (patient ids): the clustered DeLong of Obuchowski (1997) with patients as units
    (``evaluation.compare_clustered``); each entry then also holds ``n_clusters``.
    ``scores_a``/``scores_b``: what is ranked instead of each model's probabilities (``SplitPredictions.ranking``:
    the same order without ties at exactly 1.0; ``classification_metrics(scores=)``).
    """
    from meddx.evaluation.compare_clustered import (
        CLUSTERED_DELONG_METHOD, cluster_codes, cluster_count_problem, clustered_delong_variance)

    lv = _check_level(level)
    y, pa = _validate(y_true, probs_a, task)
    _, pb = _validate(y_true, probs_b, task)
    if pa.shape != pb.shape:
        raise DataError(f"probs_a and probs_b must have the same shape (same cases, same classes); "
                        f"got {pa.shape} and {pb.shape}")
    names = _label_names(label_names, pa.shape[1])
    pa, pb = _ranking_scores(scores_a, pa, task), _ranking_scores(scores_b, pb, task)
    columns = [1] if task == "binary" else range(pa.shape[1])
    codes = None if groups is None else cluster_codes(groups, len(pa))
    out: dict[str, dict[str, Any]] = {}
    for c in columns:
        yc = y[:, c] if task == "multilabel" else (y == c).astype(int)
        problem = _class_count_problem(yc) or (None if codes is None else cluster_count_problem(yc, codes))
        if problem:
            out[names[c]] = {"skipped": f"class {names[c]!r}: {problem}"}
            continue
        if codes is None:
            auc_a, auc_b, var = _difference_variance(yc, pa[:, c], pb[:, c])
        else:
            auc_a, auc_b, var = clustered_delong_variance(yc, pa[:, c], pb[:, c], codes)
        out[names[c]] = _delong_result(auc_a, auc_b, var, lv, int(yc.sum()), int(yc.size - yc.sum()))
        if codes is not None:
            out[names[c]].update(method=CLUSTERED_DELONG_METHOD, n_clusters=int(codes.max()) + 1)
    return out


# McNemar's test lives in ``evaluation.mcnemar``; imported above so ``compare.mcnemar_test`` still works.


# --------------------------------------------------------------------------- correctness


def _thresholds(threshold: float | Sequence[float] | None, task: str, k: int) -> np.ndarray | float:
    """One threshold (binary; multilabel broadcast) or K per-label thresholds (multilabel)."""
    if threshold is None or np.ndim(threshold) == 0:
        return _check_threshold(None if threshold is None else float(threshold))
    values = list(threshold)
    if task == "binary" and len(values) == 1:
        return _check_threshold(values[0])
    if task != "multilabel" or len(values) != k:
        expected = "one threshold" if task == "binary" else f"one threshold or {k} (one per label)"
        raise ConfigError(f"threshold for a {task} task must be {expected}; got {len(values)} values")
    return np.array([_check_threshold(t) for t in values])


def correctness(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: str,
    threshold: float | Sequence[float] | None,
) -> np.ndarray:
    """Per-case correctness (N,) bool, the input of ``mcnemar_test``.

    Binary: ``(probs[:, 1] >= threshold) == y``. Multiclass: ``argmax == y`` (``threshold`` is
    ignored unless it is a ``WeightedArgmax``: argmax p_k·w_k, ``evaluation.decision``).
    Multilabel: exact match, i.e. every label right at its threshold (a scalar, or one per label).
    ``threshold=None`` means 0.5, as in ``classification_metrics``.
    """
    y, p = _validate(y_true, probs, task)
    if task == "multiclass":
        from meddx.evaluation.decision import decided_class, decision_weights

        return decided_class(p, decision_weights(threshold, p.shape[1])) == y
    thr = _thresholds(threshold, task, p.shape[1])
    if task == "binary":
        return (p[:, 1] >= thr).astype(int) == y
    return ((p >= thr).astype(int) == y).all(axis=1)


# --------------------------------------------------------------------------- two bundles


def compare_bundles(
    bundle_a: str,
    bundle_b: str,
    data: str,
    split: str = "test",
    out: str | None = None,
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    columns: dict[str, str] | None = None,
) -> tuple[dict[str, Any], Any]:
    """``meddx compare``: both bundles on the same split; DeLong, McNemar and paired bootstrap CIs
    (segmentation bundles: paired per-case Dice differences, ``evaluation.seg_compare``).

    Each bundle reads ``data`` as its own training read it (``evaluation.compare_pair``) and decides
    at its own operating point (chosen on its own validation split). With patient ids and several
    samples per patient, DeLong and McNemar are clustered (patients as units). Two bundles with the same
    labels in another order are compared in ``a``'s order (``compare_pair.in_label_order``), said in ``notes``.
    Writes ``comparison.json`` to ``out`` (default: ``BUNDLE_A/comparisons/<B>-<source>-<split>-<hash>``, the hash
    also of the options not at their defaults)
    and returns ``(result, path)``. ``columns`` as for ``evaluate_bundle``.
    """
    from pathlib import Path

    from meddx.bundle.bundle import load_bundle
    from meddx.core.files import write_json_atomic
    from meddx.evaluation.compare_pair import (
        order_note, paired_tests, patient_groups, predict_both, refusal, thresholds_in_order)
    from meddx.evaluation.intervals import paired_difference_intervals
    from meddx.registry.store import resolve_bundle_path

    from meddx.evaluation.output_dirs import check_out_folder

    check_out_folder(out, "out")  # before any prediction
    paths = [resolve_bundle_path(b) for b in (bundle_a, bundle_b)]
    a, b = (load_bundle(p) for p in paths)
    mismatch = refusal(a, b)  # another task or other labels; the same labels in another order are aligned
    if mismatch:
        raise DataError(mismatch)
    if a.task == "segmentation":  # paired Dice differences instead of DeLong/McNemar
        from meddx.evaluation.seg_compare import compare_segmentation

        return compare_segmentation(a, b, paths, data, split, out, n_resamples=n_resamples, level=level, seed=seed)
    pa, pb, source_name = predict_both(a, b, data, split, columns)  # each read as trained; b's in a's cases, labels
    y, names, task, threshold_b = pa.labels, a.label_names, a.task, thresholds_in_order(b, a.label_names)
    result = {
        "bundle_a": str(paths[0]), "bundle_b": str(paths[1]), "data": str(data), "split": split, "n": len(y),
        "task": task, "label_names": names,
        "operating_points": {"a": a.config.get("decision"), "b": b.config.get("decision")},
        **paired_tests(y, pa, pb, a, b, level, threshold_b=threshold_b),
        "difference": paired_difference_intervals(
            y, pa.probs, pb.probs, task, threshold_a=a.decision_thresholds, threshold_b=threshold_b,
            label_names=names, groups=patient_groups(pa), n_resamples=n_resamples, level=level, seed=seed,
            scores_a=pa.scores, scores_b=pb.scores),
        "note": "difference = A - B on the same cases, each bundle reading the data as it was trained; each "
                "decides at its own validation-chosen threshold",
        "warnings": split_use_warnings(a, b, data, split),
        "notes": [n for n in (order_note(a, b),) if n],
    }
    from meddx.evaluation.output_dirs import comparison_dir, comparison_options  # <B>-<source>-<split>-<hash>

    options = comparison_options(n_resamples, level, seed, columns)  # other options: their own folder
    out_dir = Path(out) if out else comparison_dir(paths[0], paths[1], b.name, source_name, data, split, options)
    return result, write_json_atomic(out_dir / "comparison.json", result)


def split_use_warnings(a: Any, b: Any, data: str, split: str) -> list[str]:
    """Each bundle's warning when ``split`` of ``data`` is one it was fitted or chosen on
    (``evaluation.split_use``): a comparison there favours the bundle that chose on it."""
    from meddx.evaluation.split_use import split_use_warning

    found = (split_use_warning(a.config, data, split, role="bundle A"),
             split_use_warning(b.config, data, split, role="bundle B"))
    return [w for w in found if w]
