"""Clustered DeLong (Obuchowski 1997) and clustered McNemar (Durkalski et al. 2003).

- one sample per cluster: clustered DeLong equals DeLong exactly; clustered McNemar equals the
  uncorrected McNemar chi-square (b - c)^2 / (b + c);
- every sample repeated k times inside its own cluster: the clustered z, p and McNemar statistic
  do not move (the sample-level ones do: that was the defect);
- against an independent computation: Obuchowski's formulas written out with a pairwise kernel
  and the S10 / S01 / S11 covariance matrices, and Durkalski's statistic on a hand-worked table.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from meddx.evaluation.compare import _difference_variance, delong_per_class, mcnemar_test
from meddx.evaluation.compare_clustered import (
    CLUSTERED_DELONG_METHOD,
    clustered_delong_variance,
    clustered_mcnemar_test,
    is_clustered,
)


def _clustered_data(seed: int = 0, patients: int = 40) -> tuple[np.ndarray, ...]:
    """Patients with 1-3 samples; outcome per sample (mostly shared by a patient), two scorers."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, patients)
    groups = np.repeat(np.arange(patients), sizes)
    base = rng.random(patients) < 0.45
    y = np.where(rng.random(groups.size) < 0.85, base[groups], ~base[groups]).astype(int)
    shared = rng.normal(0, 1, patients)[groups]  # a patient effect both models see
    a = y * 1.0 + shared + rng.normal(0, 0.8, groups.size)
    b = y * 0.6 + shared + rng.normal(0, 0.8, groups.size)
    return y, a, b, np.array([f"P{g:03d}" for g in groups])


def _repeat(k: int, *arrays: np.ndarray) -> list[np.ndarray]:
    """Every sample repeated k times (the copies stay in the sample's own cluster)."""
    return [np.repeat(x, k, axis=0) for x in arrays]


def _probs(score: np.ndarray) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-score))
    return np.column_stack([1 - p, p])


def _brute_obuchowski(y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray) -> float:
    """Var(AUC_a - AUC_b) from Obuchowski (1997) written out: a pairwise kernel over all positive x
    negative samples, cluster loops, and the 2 x 2 S10 / S01 / S11 matrices of the two modalities."""
    clusters = sorted(set(groups.tolist()))
    pos, neg = y == 1, y == 0
    m, n, big_i = int(pos.sum()), int(neg.sum()), len(clusters)
    i10 = len({g for g, t in zip(groups, y) if t == 1})
    i01 = len({g for g, t in zip(groups, y) if t == 0})
    v10_c, v01_c, theta = [], [], []
    for s in (a, b):
        psi = (s[pos][:, None] > s[neg][None, :]) + 0.5 * (s[pos][:, None] == s[neg][None, :])
        theta.append(psi.mean())
        v10 = dict(zip(np.flatnonzero(pos), psi.mean(axis=1)))
        v01 = dict(zip(np.flatnonzero(neg), psi.mean(axis=0)))
        v10_c.append([sum(v10[j] for j in np.flatnonzero((groups == c) & pos)) for c in clusters])
        v01_c.append([sum(v01[j] for j in np.flatnonzero((groups == c) & neg)) for c in clusters])
    m_i = [int(((groups == c) & pos).sum()) for c in clusters]
    n_i = [int(((groups == c) & neg).sum()) for c in clusters]
    e10 = [[v10_c[r][i] - m_i[i] * theta[r] for i in range(big_i)] for r in range(2)]
    e01 = [[v01_c[r][i] - n_i[i] * theta[r] for i in range(big_i)] for r in range(2)]
    s10 = np.array([[i10 / ((i10 - 1) * m) * np.dot(e10[r], e10[s]) for s in range(2)] for r in range(2)])
    s01 = np.array([[i01 / ((i01 - 1) * n) * np.dot(e01[r], e01[s]) for s in range(2)] for r in range(2)])
    s11 = np.array([[big_i / (big_i - 1) * np.dot(e10[r], e01[s]) for s in range(2)] for r in range(2)])
    cov = s10 / m + s01 / n + (s11 + s11.T) / (m * n)
    return float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


# ----------------------------------------------------------------- (a) one sample per cluster


def test_clustered_delong_equals_delong_with_one_sample_per_cluster() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(80) < 0.4).astype(int)
    a, b = y + rng.normal(0, 1, 80), 0.5 * y + rng.normal(0, 1, 80)
    b[:10] = np.round(b[:10], 1)  # some ties
    assert clustered_delong_variance(y, a, b, np.arange(80)) == pytest.approx(_difference_variance(y, a, b),
                                                                            rel=1e-12)
    plain = delong_per_class(y, _probs(a), _probs(b), "binary", label_names=["n", "p"])["p"]
    clustered = delong_per_class(y, _probs(a), _probs(b), "binary", label_names=["n", "p"],
                                 groups=np.arange(80))["p"]
    assert clustered["method"] == CLUSTERED_DELONG_METHOD and clustered["n_clusters"] == 80
    for key in ("auc_a", "auc_b", "se", "z", "p_value"):
        assert clustered[key] == pytest.approx(plain[key], rel=1e-10)
    assert not is_clustered(np.arange(80)) and is_clustered(np.array([1, 1, 2]))


def test_clustered_mcnemar_with_one_sample_per_cluster_is_the_uncorrected_chi_square() -> None:
    rng = np.random.default_rng(4)
    ca, cb = rng.random(120) < 0.8, rng.random(120) < 0.7
    plain = mcnemar_test(ca, cb)
    b, c = plain["a_only"], plain["b_only"]
    clustered = clustered_mcnemar_test(ca, cb, np.arange(120))
    assert (clustered["a_only"], clustered["b_only"], clustered["n_clusters"]) == (b, c, 120)
    assert clustered["statistic"] == pytest.approx((b - c) ** 2 / (b + c), rel=1e-12)
    assert clustered["p_value"] == pytest.approx(stats.chi2.sf((b - c) ** 2 / (b + c), 1), rel=1e-12)


# ----------------------------------------------------------------- (b) duplicated samples


@pytest.mark.parametrize("k", [2, 5])
def test_duplicating_samples_inside_their_cluster_leaves_clustered_delong_unchanged(k: int) -> None:
    y, a, b, groups = _clustered_data(seed=1)
    one = delong_per_class(y, _probs(a), _probs(b), "binary", groups=groups)["1"]
    yk, ak, bk, gk = _repeat(k, y, a, b, groups)
    many = delong_per_class(yk, _probs(ak), _probs(bk), "binary", groups=gk)["1"]
    for key in ("difference", "se", "z", "p_value"):
        assert many[key] == pytest.approx(one[key], rel=1e-9)
    naive = delong_per_class(yk, _probs(ak), _probs(bk), "binary")["1"]  # the defect: samples as units
    assert naive["p_value"] < one["p_value"] / 2


@pytest.mark.parametrize("k", [2, 5])
def test_duplicating_samples_inside_their_cluster_leaves_clustered_mcnemar_unchanged(k: int) -> None:
    y, a, b, groups = _clustered_data(seed=2, patients=60)
    ca, cb = (a > 0.5) == y, (b > 0.3) == y
    one = clustered_mcnemar_test(ca, cb, groups)
    many = clustered_mcnemar_test(*_repeat(k, ca, cb, groups))
    assert many["statistic"] == pytest.approx(one["statistic"], rel=1e-12)
    assert many["p_value"] == pytest.approx(one["p_value"], rel=1e-12)
    assert many["n_clusters"] == one["n_clusters"] and many["a_only"] == k * one["a_only"]


# ----------------------------------------------------------------- (c) independent computation


def test_clustered_delong_matches_obuchowski_written_out() -> None:
    y, a, b, groups = _clustered_data(seed=5, patients=25)
    a = np.round(a, 1)  # ties count 1/2 in both
    codes = np.unique(groups, return_inverse=True)[1]
    auc_a, auc_b, var = clustered_delong_variance(y, a, b, codes)
    assert var == pytest.approx(_brute_obuchowski(y, a, b, groups), rel=1e-10)
    from sklearn.metrics import roc_auc_score

    assert (auc_a, auc_b) == pytest.approx((roc_auc_score(y, a), roc_auc_score(y, b)), rel=1e-12)


def test_clustered_mcnemar_on_a_hand_worked_table() -> None:
    # per cluster (A right & B wrong, B right & A wrong, concordant): (2,0,1) (1,1,0) (3,0,2) (0,1,1)
    rows = [("p1", 1, 0)] * 2 + [("p1", 1, 1)] + [("p2", 1, 0), ("p2", 0, 1)] + [("p3", 1, 0)] * 3 \
        + [("p3", 0, 0)] * 2 + [("p4", 0, 1), ("p4", 1, 1)]
    groups, ca, cb = (np.array(col) for col in zip(*rows))
    out = clustered_mcnemar_test(ca.astype(bool), cb.astype(bool), groups)
    # sum b_k = 6, sum c_k = 2, b_k - c_k = 2, 0, 3, -1: X2 = (6 - 2)^2 / (4 + 0 + 9 + 1) = 16 / 14
    assert (out["a_only"], out["b_only"], out["n_clusters"], out["discordant_clusters"]) == (6, 2, 4, 3)
    assert out["statistic"] == pytest.approx(16 / 14, rel=1e-12)
    # 3 discordant clusters (< 25): the exact sign-flip p-value, not the chi-square tail (0.285).
    # Sums of +-2 +-3 +-1: 6, 4, 0, -2, 2, 0, -4, -6; |sum| >= 4 in 4 of the 8 sign vectors.
    assert out["p_value"] == pytest.approx(0.5, abs=1e-15) and "exact" in out["method"]


def test_clustered_delong_skips_a_class_with_one_positive_patient() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    groups = np.array(["a", "a", "a", "b", "b", "c", "c", "d"])
    out = delong_per_class(y, _probs(np.arange(8.0)), _probs(np.arange(8.0)[::-1]), "binary", groups=groups)
    assert "1 patient(s) with a positive" in out["1"]["skipped"]


# ----------------------------------------------------------------- (d) multi-class and multi-label


def _multiclass_clustered(seed: int, patients: int = 30, k: int = 3) -> tuple[np.ndarray, ...]:
    """Patients with 1-4 samples, a class per sample (mostly the patient's), softmax scores of two models."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(patients), rng.integers(1, 5, patients))
    base = rng.integers(0, k, patients)
    y = np.where(rng.random(groups.size) < 0.8, base[groups], rng.integers(0, k, groups.size))
    shared = rng.normal(0, 1, (patients, k))[groups]
    logits_a = 1.5 * np.eye(k)[y] + shared + rng.normal(0, 1, (groups.size, k))
    logits_b = 0.7 * np.eye(k)[y] + shared + rng.normal(0, 1, (groups.size, k))
    soft = [np.exp(x) / np.exp(x).sum(axis=1, keepdims=True) for x in (logits_a, logits_b)]
    return y, soft[0], soft[1], np.array([f"P{g}" for g in groups])


def test_multiclass_clustered_delong_matches_obuchowski_per_class() -> None:
    """Each class one-vs-rest against Obuchowski written out; every sample copied 3 times inside its
    patient leaves every class's result unchanged; one sample per patient is plain DeLong."""
    y, pa, pb, groups = _multiclass_clustered(seed=7)
    names = ["a", "b", "c"]
    out = delong_per_class(y, pa, pb, "multiclass", label_names=names, groups=groups)
    z = stats.norm.ppf(0.975)
    for c, name in enumerate(names):
        yc = (y == c).astype(int)
        var = _brute_obuchowski(yc, pa[:, c], pb[:, c], groups)
        d = out[name]
        assert d["method"] == CLUSTERED_DELONG_METHOD and d["n_clusters"] == len(set(groups.tolist()))
        assert d["se"] == pytest.approx(np.sqrt(var), rel=1e-10)
        assert d["p_value"] == pytest.approx(2 * stats.norm.sf(abs(d["difference"]) / np.sqrt(var)), rel=1e-9)
        assert d["ci"] == pytest.approx([d["difference"] - z * np.sqrt(var), d["difference"] + z * np.sqrt(var)])
    y3, pa3, pb3, g3 = _repeat(3, y, pa, pb, groups)
    copied = delong_per_class(y3, pa3, pb3, "multiclass", label_names=names, groups=g3)
    for name in names:
        for key in ("difference", "se", "p_value"):
            assert copied[name][key] == pytest.approx(out[name][key], rel=1e-9)
    single = np.arange(len(y))
    plain = delong_per_class(y, pa, pb, "multiclass", label_names=names)
    one_each = delong_per_class(y, pa, pb, "multiclass", label_names=names, groups=single)
    for name in names:
        assert one_each[name]["se"] == pytest.approx(plain[name]["se"], rel=1e-10)


def test_multilabel_clustered_delong_matches_obuchowski_per_label() -> None:
    rng = np.random.default_rng(8)
    patients = 35
    groups = np.repeat(np.arange(patients), rng.integers(1, 4, patients))
    y = (rng.random((groups.size, 2)) < np.array([0.4, 0.3])).astype(int)
    y[:, 1] = np.where(rng.random(groups.size) < 0.7, (rng.random(patients) < 0.3)[groups], y[:, 1])
    shared = rng.normal(0, 1, (patients, 2))[groups]
    pa = 1 / (1 + np.exp(-(2 * y + shared + rng.normal(0, 1, y.shape))))
    pb = 1 / (1 + np.exp(-(1 * y + shared + rng.normal(0, 1, y.shape))))
    pb[:, 0] = np.round(pb[:, 0], 1)  # ties count 1/2
    out = delong_per_class(y, pa, pb, "multilabel", label_names=["x", "w"], groups=groups)
    for c, name in enumerate(["x", "w"]):
        var = _brute_obuchowski(y[:, c], pa[:, c], pb[:, c], groups)
        assert out[name]["se"] == pytest.approx(np.sqrt(var), rel=1e-10)
        assert out[name]["n_positive"] == int(y[:, c].sum())
    y2, pa2, pb2, g2 = _repeat(4, y, pa, pb, groups)
    copied = delong_per_class(y2, pa2, pb2, "multilabel", label_names=["x", "w"], groups=g2)
    for name in ("x", "w"):
        assert copied[name]["p_value"] == pytest.approx(out[name]["p_value"], rel=1e-9)


def test_multiclass_class_held_by_one_patient_is_skipped_not_raised() -> None:
    y, pa, pb, groups = _multiclass_clustered(seed=9)
    y = np.where(y == 2, 0, y)
    y[groups == groups[0]] = 2  # class 2: only the first patient
    out = delong_per_class(y, pa, pb, "multiclass", label_names=["a", "b", "c"], groups=groups)
    assert "1 patient(s) with a positive" in out["c"]["skipped"] and "se" in out["a"]


# ----------------------------------------------------------------- (e) exact clustered McNemar


def test_clustered_mcnemar_with_few_discordant_patients_is_exact() -> None:
    """Found by an audit: with few discordant patients the clustered McNemar used the chi-square
    tail anyway (only a note said it may be poor), while the sample-level test switches to the exact
    binomial. Now: the exact cluster sign-flip p-value; with one sample per patient it is the exact
    binomial McNemar p-value, and copying samples inside their patient leaves it unchanged."""
    rng = np.random.default_rng(11)
    ca, cb = rng.random(40) < 0.85, rng.random(40) < 0.75
    plain = mcnemar_test(ca, cb)
    assert plain["a_only"] + plain["b_only"] < 25 and "exact" in plain["method"]
    one_each = clustered_mcnemar_test(ca, cb, np.arange(40))
    assert one_each["p_value"] == pytest.approx(plain["p_value"], rel=1e-12) and "exact" in one_each["method"]
    groups = np.repeat(np.arange(20), 2)
    base = clustered_mcnemar_test(ca, cb, groups)
    copied = clustered_mcnemar_test(*_repeat(3, ca, cb, groups))
    assert copied["p_value"] == pytest.approx(base["p_value"], rel=1e-12)


@pytest.mark.parametrize("d", [[3, -1, 2, 2, 1, -4, 1], [1, 1, 1, 1, 1, 1], [5, -5], [2, 1, 1, 3, -1, 2, 1, 1, 2, 4]])
def test_sign_flip_p_value_matches_scipy_permutation_test(d: list[int]) -> None:
    from meddx.evaluation.compare_clustered import sign_flip_p_value

    values = np.array(d, dtype=float)
    ref = stats.permutation_test((values,), lambda x, axis: np.abs(np.sum(x, axis=axis)), permutation_type="samples",
                                 n_resamples=np.inf, alternative="greater", vectorized=True)
    assert sign_flip_p_value(np.array(d)) == pytest.approx(ref.pvalue, rel=1e-12)


def test_clustered_mcnemar_with_many_discordant_patients_keeps_the_chi_square() -> None:
    rng = np.random.default_rng(12)
    ca, cb = rng.random(300) < 0.8, rng.random(300) < 0.65
    out = clustered_mcnemar_test(ca, cb, np.repeat(np.arange(100), 3))
    assert out["discordant_clusters"] >= 25 and "chi-square" in out["method"]
    assert out["p_value"] == pytest.approx(stats.chi2.sf(out["statistic"], 1), rel=1e-12)


def test_delong_test_accepts_patient_ids_like_the_cli() -> None:
    """Found by an audit: ``meddx compare`` clusters DeLong by patient (``delong_per_class(groups=)``)
    but the public single-pair ``delong_test`` took no groups, so the Python API could only give the
    sample-level answer. Now ``delong_test(..., groups=)`` is the same clustered test."""
    from meddx.evaluation.compare import delong_test

    y, a, b, groups = _clustered_data(seed=13)
    out = delong_test(y, a, b, groups=groups)
    cli = delong_per_class(y, _probs(a), _probs(b), "binary", groups=groups)["1"]
    for key in ("auc_a", "auc_b", "se", "z", "p_value", "n_clusters"):
        assert out[key] == pytest.approx(cli[key], rel=1e-10)
    assert out["method"] == CLUSTERED_DELONG_METHOD
    assert out["se"] == pytest.approx(np.sqrt(_brute_obuchowski(y, a, b, groups)), rel=1e-10)
    assert "n_clusters" not in delong_test(y, a, b)
    from meddx.core.errors import DataError

    with pytest.raises(DataError, match="patient"):
        delong_test(np.array([1, 1, 1, 0, 0, 0]), np.arange(6.0), np.arange(6.0)[::-1],
                    groups=np.array(["p", "p", "p", "q", "r", "s"]))
