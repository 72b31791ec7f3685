"""McNemar's test of paired correctness (two models, same cases), sample-level.

Split from ``evaluation.compare`` (which re-exports ``mcnemar_test``); the clustered version,
several samples per patient, is ``evaluation.compare_clustered.clustered_mcnemar_test``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from meddx.core.errors import DataError

MCNEMAR_EXACT_BELOW = 25  # discordant pairs (clustered: discordant patients); below this the chi-square is poor


def _boolean_vector(x: np.ndarray, name: str) -> np.ndarray:
    """``x`` as a non-empty (N,) bool array; accepts bools and 0/1 numbers."""
    v = np.asarray(x)
    if v.ndim != 1 or v.size == 0:
        raise DataError(f"{name} must be a non-empty (N,) array of per-case booleans; got shape {v.shape}")
    if v.dtype != bool and not np.isin(v, (0, 1)).all():
        raise DataError(f"{name} must hold booleans or 0/1 (was each case classified correctly); "
                        f"found other values {sorted(set(np.unique(v).tolist()) - {0, 1})[:5]}")
    return v.astype(bool)


def mcnemar_test(correct_a: np.ndarray, correct_b: np.ndarray, groups: np.ndarray | None = None) -> dict[str, Any]:
    """McNemar's test: do models A and B have the same accuracy on the same (paired) cases?

    ``groups`` (N,) patient ids: when some patient has more than one case, the cases are not
    independent and the test is the clustered McNemar of Durkalski et al. (2003) with patients as
    units (``compare_clustered.clustered_mcnemar_test``; the result also holds ``n_clusters`` and
    ``discordant_clusters``), exactly what ``meddx compare`` reports; with one case per patient it
    is the sample-level test below, plus ``n_clusters``.

    Only discordant cases carry information: ``a_only`` (b: A right, B wrong) and ``b_only``
    (c: B right, A wrong). Under the null each discordant case is a fair coin.

    - fewer than 25 discordant pairs: exact two-sided binomial test of ``a_only`` out of
      ``a_only + b_only`` at p = 0.5 (``scipy.stats.binomtest``); ``statistic`` = min(b, c).
    - otherwise: chi-square with continuity correction (Edwards 1948),
      ``(|b - c| - 1)^2 / (b + c)`` on 1 df (as R's ``mcnemar.test``; statsmodels, which has
      it, is not a dependency here).
    - no discordant pairs: nothing to test; ``statistic`` 0 and ``p_value`` 1.0.
    """
    if groups is not None:
        return _with_groups(correct_a, correct_b, groups)
    a = _boolean_vector(correct_a, "correct_a")
    b_ = _boolean_vector(correct_b, "correct_b")
    if a.shape != b_.shape:
        raise DataError(f"correct_a and correct_b must be paired (same cases, same length); "
                        f"got {a.size} and {b_.size}")
    b = int((a & ~b_).sum())
    c = int((~a & b_).sum())
    statistic, p_value, method = _mcnemar_p(b, c)
    acc_a, acc_b = float(a.mean()), float(b_.mean())
    return {
        "n": int(a.size),
        "both_correct": int((a & b_).sum()),
        "a_only": b,
        "b_only": c,
        "both_wrong": int((~a & ~b_).sum()),
        "accuracy_a": acc_a,
        "accuracy_b": acc_b,
        "difference": acc_a - acc_b,
        "statistic": statistic,
        "p_value": p_value,
        "method": method,
    }


def _with_groups(correct_a: np.ndarray, correct_b: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    """``mcnemar_test`` with patient ids: clustered when a patient holds several cases (as ``meddx compare``)."""
    from meddx.evaluation.compare_clustered import cluster_codes, clustered_mcnemar_test

    codes = cluster_codes(groups, np.asarray(correct_a).reshape(-1).size)  # checks one id per case
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if n_clusters < codes.size:  # some patient holds several cases
        return clustered_mcnemar_test(correct_a, correct_b, groups)
    return {**mcnemar_test(correct_a, correct_b), "n_clusters": n_clusters}


def _mcnemar_p(b: int, c: int) -> tuple[float, float, str]:
    """``(statistic, p_value, method)`` for discordant counts ``b`` (A only) and ``c`` (B only)."""
    discordant = b + c
    if discordant == 0:
        return 0.0, 1.0, "McNemar: no discordant pairs (models agree on every case)"
    if discordant < MCNEMAR_EXACT_BELOW:
        p = stats.binomtest(b, discordant, 0.5, alternative="two-sided").pvalue
        return float(min(b, c)), float(min(1.0, p)), "McNemar exact (two-sided binomial test)"
    statistic = (abs(b - c) - 1.0) ** 2 / discordant
    p = stats.chi2.sf(statistic, df=1)
    return float(statistic), float(p), "McNemar chi-square with continuity correction"
