"""Clustered versions of the paired tests in ``evaluation.compare`` (several samples per patient).

Samples of one patient are not independent: counting them one by one makes DeLong's and
McNemar's variances too small (five copies of every row turn p = 3e-4 into 2e-16). With patient
ids (``groups``), the patient is the unit:

- ``clustered_delong_variance``: Obuchowski (1997), "Nonparametric analysis of clustered ROC
  curve data", Biometrics 53:567-578. DeLong's structural components (placement values) are
  summed per cluster and their between-cluster variation gives the variance. Its small-sample
  factors use I10 / I01 = clusters with at least one positive / negative sample, so with one
  sample per cluster it equals DeLong's variance exactly.
- ``clustered_mcnemar_test``: Durkalski, Palesch, Lipsitz & Rust (2003), "Analysis of clustered
  matched-pair data", Stat Med 22:2417-2428 (the method Obuchowski 1998 also derives from
  between-cluster variation): per cluster k the discordant counts b_k (A right, B wrong) and c_k,
  ``X2 = (sum b_k - sum c_k)^2 / sum (b_k - c_k)^2`` on 1 df. With one sample per cluster this
  is the uncorrected McNemar chi-square ``(b - c)^2 / (b + c)``. With fewer than 25 discordant
  clusters (d_k = b_k - c_k != 0) the chi-square is unreliable, so the p-value is exact instead:
  the cluster sign-flip permutation test (under H0 the labels A/B are exchangeable within a
  patient, so each d_k is +d_k or -d_k with probability 1/2; X2's denominator is invariant under
  flips, so the test is on |sum d_k|), its null distribution computed exactly. With one sample
  per cluster it is the exact binomial McNemar test that ``mcnemar_test`` uses below 25 pairs.

Both are unchanged when every sample is repeated k times inside its own cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from meddx.core.errors import DataError
from meddx.evaluation.mcnemar import MCNEMAR_EXACT_BELOW

CLUSTERED_DELONG_METHOD = "clustered DeLong (Obuchowski 1997), patients as units"
CLUSTERED_MCNEMAR_METHOD = "clustered McNemar (Durkalski et al. 2003), chi-square on 1 df, patients as units"
CLUSTERED_MCNEMAR_NONE_METHOD = ("clustered McNemar (Durkalski et al. 2003), patients as units: no test (no patient "
                                 "has more cases right by one model than by the other)")
CLUSTERED_MCNEMAR_EXACT_METHOD = ("clustered McNemar (Durkalski et al. 2003), exact cluster sign-flip permutation "
                                  "p-value (fewer than 25 discordant patients), patients as units")
MIN_CLUSTERS = 2


def cluster_codes(groups: np.ndarray, n: int) -> np.ndarray:
    """(n,) cluster index 0..I-1 per sample from the patient ids ``groups``."""
    g = np.asarray(groups)
    if g.shape != (n,):
        raise DataError(f"groups must have shape ({n},), one patient id per case; got shape {g.shape}")
    return np.unique(g, return_inverse=True)[1].reshape(-1)


def is_clustered(groups: np.ndarray | None) -> bool:
    """Whether ``groups`` (patient ids) put more than one sample under some patient."""
    if groups is None:
        return False
    g = np.asarray(groups)
    return g.size > 0 and len(np.unique(g)) < g.size


def cluster_count_problem(y: np.ndarray, codes: np.ndarray) -> str | None:
    """Why the clustered DeLong variance cannot be estimated (too few clusters of a kind), or ``None``."""
    with_pos = len(np.unique(codes[y == 1]))
    with_neg = len(np.unique(codes[y == 0]))
    if with_pos < MIN_CLUSTERS or with_neg < MIN_CLUSTERS:
        return (f"{with_pos} patient(s) with a positive and {with_neg} with a negative case; the clustered DeLong "
                f"variance needs at least {MIN_CLUSTERS} of each")
    return None


def clustered_delong_variance(y: np.ndarray, a: np.ndarray, b: np.ndarray,
                              codes: np.ndarray) -> tuple[float, float, float]:
    """``(auc_a, auc_b, var(auc_a - auc_b))`` with clusters (``codes``) as the units.

    Obuchowski (1997): with V10 / V01 the per-sample placement values of DeLong, cluster sums
    V10_i, V01_i, and m_i / n_i the positives / negatives of cluster i (M, N in all),
    S10 = I10 / ((I10 - 1) M) sum_i (V10_i - m_i AUC)^2, S01 likewise with I01 and N,
    S11 = I / (I - 1) sum_i (V10_i - m_i AUC)(V01_i - n_i AUC), and
    Var(AUC) = S10 / M + S01 / N + 2 S11 / (M N). For the difference of two paired AUCs the
    same formula is applied to the differences of the centred cluster sums (the covariance
    terms S_ab follow by bilinearity).
    """
    from meddx.evaluation.compare import _auc_placements

    pos, neg = y == 1, y == 0
    m, n, clusters = int(pos.sum()), int(neg.sum()), int(codes.max()) + 1
    auc_a, v10_a, v01_a = _auc_placements(a[pos], a[neg])
    auc_b, v10_b, v01_b = _auc_placements(b[pos], b[neg])
    d10 = _centred_sums(v10_a - v10_b, auc_a - auc_b, codes[pos], clusters)
    d01 = _centred_sums(v01_a - v01_b, auc_a - auc_b, codes[neg], clusters)
    i10, i01 = len(np.unique(codes[pos])), len(np.unique(codes[neg]))
    s10 = i10 / (i10 - 1) * float((d10**2).sum()) / m
    s01 = i01 / (i01 - 1) * float((d01**2).sum()) / n
    s11 = clusters / (clusters - 1) * float((d10 * d01).sum())
    return auc_a, auc_b, s10 / m + s01 / n + 2.0 * s11 / (m * n)


def _centred_sums(values: np.ndarray, mean: float, codes: np.ndarray, clusters: int) -> np.ndarray:
    """Per cluster: sum of ``values`` minus (its number of samples) x ``mean``."""
    sums = np.bincount(codes, weights=values, minlength=clusters)
    return sums - np.bincount(codes, minlength=clusters) * mean


def clustered_mcnemar_test(correct_a: np.ndarray, correct_b: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    """Durkalski et al. (2003) clustered McNemar test; same keys as ``mcnemar_test`` plus ``n_clusters``.

    ``a_only`` / ``b_only`` are the total discordant counts; ``statistic`` is
    ``(sum b_k - sum c_k)^2 / sum (b_k - c_k)^2`` over clusters k, chi-square on 1 df (no
    continuity correction; with one sample per cluster it is the uncorrected McNemar
    ``(b - c)^2 / (b + c)``). Fewer than 25 discordant clusters: ``p_value`` is the exact sign-flip
    permutation p-value (``method`` says so). No discordant cluster: ``statistic`` 0, ``p_value`` 1.0.
    """
    from meddx.evaluation.mcnemar import _boolean_vector

    a = _boolean_vector(correct_a, "correct_a")
    b_ = _boolean_vector(correct_b, "correct_b")
    if a.shape != b_.shape:
        raise DataError(f"correct_a and correct_b must be paired (same cases, same length); got {a.size} and {b_.size}")
    codes = cluster_codes(groups, a.size)
    clusters = int(codes.max()) + 1
    bk = np.bincount(codes, weights=(a & ~b_).astype(float), minlength=clusters)
    ck = np.bincount(codes, weights=(~a & b_).astype(float), minlength=clusters)
    statistic, p_value, method, note = _durkalski(bk, ck)
    acc_a, acc_b = float(a.mean()), float(b_.mean())
    out: dict[str, Any] = {
        "n": int(a.size), "n_clusters": clusters, "both_correct": int((a & b_).sum()), "a_only": int(bk.sum()),
        "b_only": int(ck.sum()), "both_wrong": int((~a & ~b_).sum()), "accuracy_a": acc_a, "accuracy_b": acc_b,
        "difference": acc_a - acc_b, "statistic": statistic, "p_value": p_value,
        "method": method,
        "discordant_clusters": int(((bk - ck) != 0).sum()),
    }
    if note:
        out["note"] = note
    return out


def _durkalski(bk: np.ndarray, ck: np.ndarray) -> tuple[float, float, str, str | None]:
    """``(statistic, p_value, method, note)`` from per-cluster discordant counts; the p-value is exact
    (``sign_flip_p_value``) below ``MCNEMAR_EXACT_BELOW`` discordant clusters, else chi-square."""
    d = np.rint(bk - ck).astype(np.int64)
    denominator = float((d**2).sum())
    if denominator == 0.0:
        # no test was made: the method says so (``meddx compare`` prints the method, not the note), as the
        # sample-level test's "no discordant pairs" does; it named the chi-square before
        return 0.0, 1.0, CLUSTERED_MCNEMAR_NONE_METHOD, ("no cluster with more discordant cases one way than the "
                                                         "other: nothing to test")
    statistic = float(d.sum() ** 2 / denominator)
    if int((d != 0).sum()) < MCNEMAR_EXACT_BELOW:
        return statistic, sign_flip_p_value(d), CLUSTERED_MCNEMAR_EXACT_METHOD, None
    return statistic, float(stats.chi2.sf(statistic, df=1)), CLUSTERED_MCNEMAR_METHOD, None


def sign_flip_p_value(d: np.ndarray) -> float:
    """Exact two-sided p-value of ``|sum d_k|`` when each integer ``d_k`` flips sign with probability 1/2.

    Hand-written because scipy's ``permutation_test`` enumerates all 2^D sign vectors (D = clusters
    with d_k != 0: 16 million arrays at D = 24); here the null distribution of ``sum s_k d_k`` is
    built by convolving the D two-point distributions {-d_k, +d_k} on the integer grid, O(D * sum|d_k|),
    counting sign vectors exactly in int64 (2^D of them; meant for D below 25).
    """
    d = np.asarray(d, dtype=np.int64)
    d = d[d != 0]
    observed = abs(int(d.sum()))
    total = int(np.abs(d).sum())
    counts = np.zeros(2 * total + 1, dtype=np.int64)  # counts[total + s]: sign vectors whose sum is s
    counts[total] = 1
    for value in np.abs(d).tolist():
        counts = np.roll(counts, value) + np.roll(counts, -value)  # never wraps: |partial sum| <= total
    sums = np.arange(-total, total + 1)
    return float(counts[np.abs(sums) >= observed].sum() / 2.0 ** d.size)
