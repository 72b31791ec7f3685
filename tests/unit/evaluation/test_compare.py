"""Paired model comparison (meddx.evaluation.compare) checked against independent references.

- AUCs against scikit-learn's ``roc_auc_score`` (with ties).
- The fast (Sun & Xu 2014) DeLong variance against a direct O(n_pos * n_neg) computation of
  DeLong et al.'s (1988) structural components, written out below by pairwise comparison.
- DeLong p-values against a seeded paired permutation test, and the null rejection rate by
  simulation.
- McNemar against ``scipy.stats.binomtest`` and the textbook chi-square formula.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.compare import correctness, delong_per_class, delong_test, mcnemar_test

# ----------------------------------------------------------------- helpers (independent refs)


def _brute_delong_var(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """DeLong et al. (1988) written out directly: placement values by explicit pairwise
    comparison of every positive with every negative (psi = 1 if x > y, 1/2 if tied, 0 else),
    then S = S10 / m + S01 / n and Var(A - B) = S_aa + S_bb - 2 S_ab."""
    pos, neg = y == 1, y == 0
    m, n = int(pos.sum()), int(neg.sum())
    v10, v01 = [], []
    for s in (a, b):
        x, w = s[pos][:, None], s[neg][None, :]
        psi = (x > w).astype(float) + 0.5 * (x == w)  # (m, n)
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    cov = np.cov(np.vstack(v10)) / m + np.cov(np.vstack(v01)) / n
    return float(v10[0].mean()), float(v10[1].mean()), float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


def _permutation_p(y: np.ndarray, a: np.ndarray, b: np.ndarray, n_perm: int = 5000, seed: int = 0) -> float:
    """Two-sided paired permutation p-value for AUC(a) - AUC(b): under the null the two
    models are exchangeable per case, so swap each case's pair of scores with probability 1/2."""
    rng = np.random.default_rng(seed)
    pos = y == 1
    m, n = int(pos.sum()), int((~pos).sum())

    def auc(s: np.ndarray) -> np.ndarray:  # Mann-Whitney AUC per row, midranks for ties
        r = stats.rankdata(s, axis=1)
        return (r[:, pos].sum(axis=1) - m * (m + 1) / 2) / (m * n)

    observed = roc_auc_score(y, a) - roc_auc_score(y, b)
    swap = rng.random((n_perm, y.size)) < 0.5
    diffs = auc(np.where(swap, b, a)) - auc(np.where(swap, a, b))
    return float((1 + np.sum(np.abs(diffs) >= abs(observed) - 1e-12)) / (n_perm + 1))


def _two_models(seed: int, n: int, noise_a: float, noise_b: float) -> tuple[np.ndarray, ...]:
    """Outcome and two correlated scorers of one latent signal (noise sets each one's quality)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    signal = y + rng.normal(0.0, 1.0, n)
    return y, signal + rng.normal(0.0, noise_a, n), signal + rng.normal(0.0, noise_b, n)


# ----------------------------------------------------------------- DeLong


def test_delong_aucs_match_sklearn_with_ties():
    y, a, b = _two_models(1, 150, 0.5, 1.0)
    a, b = np.round(a, 1), np.round(b, 0)  # heavy ties, including ties across classes
    r = delong_test(y, a, b)
    assert r["auc_a"] == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert r["auc_b"] == pytest.approx(roc_auc_score(y, b), abs=1e-12)
    assert r["difference"] == pytest.approx(r["auc_a"] - r["auc_b"], abs=1e-15)
    assert (r["n_positive"], r["n_negative"]) == (int(y.sum()), int(y.size - y.sum()))
    assert r["method"] == "DeLong (Sun & Xu 2014 fast algorithm)"
    json.dumps(r)


@pytest.mark.parametrize("decimals", [None, 1, 0])
def test_delong_variance_matches_direct_structural_components(decimals):
    y, a, b = _two_models(2, 120, 0.4, 0.9)
    if decimals is not None:  # ties: only midranks reproduce the 1/2 credit of the direct form
        a, b = np.round(a, decimals), np.round(b, decimals)
    auc_a, auc_b, var = _brute_delong_var(y, a, b)
    r = delong_test(y, a, b)
    assert r["auc_a"] == pytest.approx(auc_a, abs=1e-12)
    assert r["auc_b"] == pytest.approx(auc_b, abs=1e-12)
    assert r["se"] ** 2 == pytest.approx(var, abs=1e-10, rel=1e-8)
    assert r["z"] == pytest.approx((auc_a - auc_b) / np.sqrt(var), rel=1e-8)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(r["z"])), rel=1e-10)
    half = stats.norm.ppf(0.975) * np.sqrt(var)
    assert r["ci"] == pytest.approx([auc_a - auc_b - half, auc_a - auc_b + half], abs=1e-10)


def test_delong_p_agrees_with_paired_permutation_test():
    y, a, b = _two_models(7, 300, 0.6, 1.0)
    r = delong_test(y, a, b)
    assert 0.05 < r["p_value"] < 0.5, "setting should give a moderate p (precondition)"
    p_perm = _permutation_p(y, a, b, n_perm=5000, seed=11)
    assert abs(r["p_value"] - p_perm) < 0.05, (r["p_value"], p_perm)


def test_delong_null_rejection_rate_is_nominal():
    rng = np.random.default_rng(2024)
    rejections = 0
    for _ in range(200):
        y = (rng.random(100) < 0.5).astype(int)
        signal = y + rng.normal(0.0, 1.0, 100)  # two exchangeable noisy scorers of one signal
        a, b = signal + rng.normal(0.0, 1.0, 100), signal + rng.normal(0.0, 1.0, 100)
        rejections += delong_test(y, a, b)["p_value"] < 0.05
    assert 0.01 <= rejections / 200 <= 0.10, rejections


def test_delong_identical_scores():
    y, a, _ = _two_models(3, 80, 0.5, 0.5)
    r = delong_test(y, a, a.copy())
    assert r["difference"] == 0.0 and r["se"] == 0.0
    assert r["z"] is None and r["p_value"] == 1.0
    assert r["ci"] == [0.0, 0.0]
    json.dumps(r, allow_nan=False)


def test_delong_level_widens_interval():
    y, a, b = _two_models(4, 200, 0.5, 1.0)
    r90, r99 = delong_test(y, a, b, level=0.90), delong_test(y, a, b, level=0.99)
    assert r99["ci"][0] < r90["ci"][0] < r90["ci"][1] < r99["ci"][1]
    with pytest.raises(ConfigError, match="level"):
        delong_test(y, a, b, level=95)


def test_delong_bad_inputs():
    y, a, b = _two_models(5, 60, 0.5, 1.0)
    with pytest.raises(DataError, match="only one class"):
        delong_test(np.ones(60, dtype=int), a, b)
    with pytest.raises(DataError, match="only one class"):
        delong_test(np.zeros(60, dtype=int), a, b)
    with pytest.raises(DataError, match="at least 2"):
        delong_test(np.r_[1, np.zeros(59, dtype=int)], a, b)
    with pytest.raises(DataError, match=r"scores_b must have shape \(60,\)"):
        delong_test(y, a, b[:-1])
    with pytest.raises(DataError, match="y_true must hold binary outcomes 0/1"):
        delong_test(np.where(y == 1, 2, 0), a, b)
    with pytest.raises(DataError, match="scores_a must be finite"):
        delong_test(y, np.where(y == 1, np.nan, a), b)


# ----------------------------------------------------------------- DeLong per class


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_delong_per_class_binary_uses_positive_column():
    y, a, b = _two_models(6, 150, 0.5, 1.0)
    pa = np.column_stack([1 - stats.norm.cdf(a), stats.norm.cdf(a)])
    pb = np.column_stack([1 - stats.norm.cdf(b), stats.norm.cdf(b)])
    out = delong_per_class(y, pa, pb, "binary", label_names=["benign", "malignant"])
    assert list(out) == ["malignant"]
    assert out["malignant"] == delong_test(y, pa[:, 1], pb[:, 1])


def test_delong_per_class_multiclass_one_vs_rest_and_skips_absent_class():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, 200)  # class 3 never occurs
    onehot = np.eye(4)[y]
    pa = _softmax(2.0 * onehot + rng.normal(0, 1, (200, 4)))
    pb = _softmax(1.0 * onehot + rng.normal(0, 1, (200, 4)))
    out = delong_per_class(y, pa, pb, "multiclass")
    assert list(out) == ["0", "1", "2", "3"]
    for c in range(3):
        assert out[str(c)] == delong_test((y == c).astype(int), pa[:, c], pb[:, c])
        assert out[str(c)]["auc_a"] == pytest.approx(roc_auc_score(y == c, pa[:, c]))
    assert set(out["3"]) == {"skipped"} and "only one class" in out["3"]["skipped"]
    json.dumps(out, allow_nan=False)


def test_delong_per_class_multilabel_per_label():
    rng = np.random.default_rng(9)
    y = (rng.random((160, 3)) < 0.3).astype(int)
    y[:, 2] = 0
    y[0, 2] = 1  # one positive: too few for a variance, skipped rather than raising
    pa = 1 / (1 + np.exp(-(2 * y + rng.normal(0, 1, y.shape) - 1)))
    pb = 1 / (1 + np.exp(-(y + rng.normal(0, 1, y.shape) - 1)))
    out = delong_per_class(y, pa, pb, "multilabel", label_names=["a", "b", "c"])
    for c, name in enumerate("ab"):
        assert out[name] == delong_test(y[:, c], pa[:, c], pb[:, c])
    assert "skipped" in out["c"] and "at least 2" in out["c"]["skipped"]


def test_delong_per_class_shape_mismatch():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 3, 50)
    with pytest.raises(DataError, match="probs_a and probs_b must have the same shape"):
        delong_per_class(y, _softmax(rng.normal(size=(50, 3))), _softmax(rng.normal(size=(50, 4))), "multiclass")


# ----------------------------------------------------------------- McNemar


def _paired(both: int, a_only: int, b_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.array([True] * both + [True] * a_only + [False] * b_only + [False] * neither)
    b = np.array([True] * both + [False] * a_only + [True] * b_only + [False] * neither)
    return a, b


def test_mcnemar_exact_small_table_equals_binomtest():
    a, b = _paired(40, 9, 2, 5)
    r = mcnemar_test(a, b)
    assert (r["n"], r["both_correct"], r["a_only"], r["b_only"], r["both_wrong"]) == (56, 40, 9, 2, 5)
    assert r["p_value"] == pytest.approx(stats.binomtest(9, 11, 0.5).pvalue, rel=1e-12)
    assert "exact" in r["method"]
    assert r["accuracy_a"] == pytest.approx(49 / 56) and r["accuracy_b"] == pytest.approx(42 / 56)
    assert r["difference"] == pytest.approx(7 / 56)
    json.dumps(r, allow_nan=False)


def test_mcnemar_chi_square_large_table_equals_textbook_formula():
    a, b = _paired(300, 40, 22, 38)
    r = mcnemar_test(a, b)
    stat = (abs(40 - 22) - 1) ** 2 / (40 + 22)
    assert r["statistic"] == pytest.approx(stat, rel=1e-12)
    assert r["p_value"] == pytest.approx(stats.chi2.sf(stat, df=1), rel=1e-12)
    assert "chi-square" in r["method"]


@pytest.mark.parametrize("table", [(40, 9, 2, 5), (300, 40, 22, 38), (10, 12, 12, 3)])
def test_mcnemar_symmetric_in_models(table):
    a, b = _paired(*table)
    ab, ba = mcnemar_test(a, b), mcnemar_test(b, a)
    assert ab["p_value"] == pytest.approx(ba["p_value"], rel=1e-12)
    assert ab["statistic"] == pytest.approx(ba["statistic"], rel=1e-12)
    assert (ab["a_only"], ab["b_only"]) == (ba["b_only"], ba["a_only"])
    assert ab["difference"] == pytest.approx(-ba["difference"])


def test_mcnemar_no_discordant_pairs():
    a, b = _paired(30, 0, 0, 7)
    r = mcnemar_test(a, b)
    assert r["p_value"] == 1.0 and r["statistic"] == 0
    assert r["difference"] == 0.0


def test_mcnemar_bad_inputs():
    with pytest.raises(DataError, match="paired"):
        mcnemar_test(np.ones(5, bool), np.ones(6, bool))
    with pytest.raises(DataError, match="correct_b must hold booleans or 0/1"):
        mcnemar_test(np.ones(3, bool), np.array([0, 1, 2]))
    with pytest.raises(DataError, match="non-empty"):
        mcnemar_test(np.array([], bool), np.array([], bool))


# ----------------------------------------------------------------- correctness


def test_correctness_binary_threshold_inclusive():
    y = np.array([1, 1, 0, 0, 1])
    p1 = np.array([0.7, 0.5, 0.5, 0.2, 0.1])
    probs = np.column_stack([1 - p1, p1])
    assert correctness(y, probs, "binary", 0.5).tolist() == [True, True, False, True, False]
    assert correctness(y, probs, "binary", None).tolist() == [True, True, False, True, False]
    assert correctness(y, probs, "binary", 0.6).tolist() == [True, False, True, True, False]
    assert correctness(y, p1, "binary", [0.6]).tolist() == [True, False, True, True, False]


def test_correctness_multiclass_argmax_ignores_threshold():
    y = np.array([0, 2, 1])
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1]])
    assert correctness(y, probs, "multiclass", None).tolist() == [True, False, True]
    assert correctness(y, probs, "multiclass", 0.9).tolist() == [True, False, True]


def test_correctness_multilabel_exact_match():
    y = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]])
    probs = np.array([[0.9, 0.1, 0.6], [0.2, 0.4, 0.3], [0.7, 0.6, 0.2]])
    assert correctness(y, probs, "multilabel", 0.5).tolist() == [True, False, True]
    assert correctness(y, probs, "multilabel", [0.5, 0.3, 0.25]).tolist() == [True, False, True]
    assert correctness(y, probs, "multilabel", [0.5, 0.7, 0.25]).tolist() == [True, True, False]
    with pytest.raises(ConfigError, match="3 \\(one per label\\)"):
        correctness(y, probs, "multilabel", [0.5, 0.5])


def test_correctness_feeds_mcnemar():
    y, a, b = _two_models(12, 100, 0.3, 1.5)
    pa, pb = stats.norm.cdf(a - 0.5), stats.norm.cdf(b - 0.5)
    ca, cb = correctness(y, pa, "binary", 0.5), correctness(y, pb, "binary", 0.5)
    r = mcnemar_test(ca, cb)
    assert r["accuracy_a"] == pytest.approx(np.mean((pa >= 0.5) == y))
    assert r["a_only"] + r["b_only"] == int(np.sum(ca != cb))


def test_correctness_bad_inputs():
    probs = np.column_stack([np.full(4, 0.4), np.full(4, 0.6)])
    with pytest.raises(DataError, match=r"y_true must have shape \(4,\)"):
        correctness(np.array([0, 1, 1]), probs, "binary", 0.5)
    with pytest.raises(DataError, match="class indices 0..1"):
        correctness(np.array([0, 1, 2, 1]), probs, "binary", 0.5)
    with pytest.raises(ConfigError, match="threshold must be a probability"):
        correctness(np.array([0, 1, 1, 0]), probs, "binary", 1.5)
    with pytest.raises(ConfigError, match="task must be one of"):
        correctness(np.array([0, 1, 1, 0]), probs, "regression", 0.5)
