"""bootstrap_ci against analytic and scipy intervals; resampling structure (strata, clusters,
jackknife); fast resample metrics against classification_metrics; paired differences."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.bootstrap import _bca, bootstrap_ci
from meddx.evaluation.intervals import (
    CLASS_METRICS,
    _FastMetrics,
    metric_intervals,
    paired_difference_intervals,
)
from meddx.evaluation.metrics import _resolve_threshold, _validate, classification_metrics


def _recorder(values: np.ndarray) -> tuple[list[np.ndarray], object]:
    """A mean statistic that remembers every index array it was called with."""
    calls: list[np.ndarray] = []

    def statistic(idx: np.ndarray) -> dict[str, float | None]:
        calls.append(np.asarray(idx).copy())
        return {"mean": float(values[idx].mean())}

    return calls, statistic


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _data(task: str, n: int = 150, k: int = 4, seed: int = 0, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Labels and informative probabilities; ``ties`` rounds probabilities to one decimal."""
    rng = np.random.default_rng(seed)
    if task == "multilabel":
        y = rng.integers(0, 2, (n, k))
        p = 1 / (1 + np.exp(-(rng.normal(size=(n, k)) + 1.5 * (2 * y - 1))))
    else:
        k = 2 if task == "binary" else k
        y = rng.integers(0, k, n)
        p = _softmax(rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y])
    return y, (np.round(p, 1) if ties else p)


# --- bootstrap_ci ------------------------------------------------------------------------


def test_mean_interval_matches_t_interval() -> None:
    x = np.random.default_rng(0).normal(10.0, 2.0, 400)
    res = bootstrap_ci(lambda i: {"mean": float(x[i].mean())}, 400, n_resamples=2000, seed=1)["mean"]
    lo, hi = stats.t.interval(0.95, 399, loc=x.mean(), scale=stats.sem(x))
    width = hi - lo
    assert res["estimate"] == pytest.approx(x.mean()) and res["n_valid"] == 2000
    for method in ("percentile", "bca"):
        assert res[method][0] == pytest.approx(lo, abs=0.1 * width)
        assert res[method][1] == pytest.approx(hi, abs=0.1 * width)
    assert res["bca_fallback"] is False


def test_bca_corrects_skew_like_scipy() -> None:
    """Variance of an exponential sample is right-skewed: BCa moves the interval up, agrees
    with scipy's BCa, and covers the true variance more often than the percentile interval."""
    x = np.random.default_rng(1).exponential(size=60)
    res = bootstrap_ci(lambda i: {"var": float(np.var(x[i]))}, 60, n_resamples=4000, seed=3)["var"]
    ref = stats.bootstrap((x,), np.var, method="BCa", n_resamples=20000, random_state=0).confidence_interval
    width = ref.high - ref.low
    assert res["bca"][0] > res["percentile"][0] and res["bca"][1] > res["percentile"][1]
    assert res["bca"][0] == pytest.approx(ref.low, abs=0.1 * width)
    assert res["bca"][1] == pytest.approx(ref.high, abs=0.1 * width)

    covered = {"percentile": 0, "bca": 0}
    for rep in range(150):
        xs = np.random.default_rng(100 + rep).exponential(size=25)  # true variance 1
        out = bootstrap_ci(lambda i, xs=xs: {"v": float(np.var(xs[i], ddof=1))}, 25, n_resamples=400, seed=rep)["v"]
        for method in covered:
            covered[method] += out[method][0] <= 1.0 <= out[method][1]
    assert covered["bca"] > covered["percentile"]


def test_bca_counts_ties_with_the_estimate_as_half() -> None:
    """A discrete statistic often equals its estimate exactly: with a symmetric bootstrap
    distribution and jackknife (no bias, no skew), BCa must equal the percentile interval;
    counting ties as 'not below' would shift it down."""
    boot = np.repeat([-2.0, -1.0, 0.0, 1.0, 2.0], [50, 150, 600, 150, 50])
    jack = np.array([-1.0, 0.0, 1.0])
    assert _bca(0.0, boot, jack, 0.9) == pytest.approx(np.quantile(boot, [0.05, 0.95]).tolist())
    assert _bca(0.0, boot + 0.5, jack, 0.9)[0] < np.quantile(boot + 0.5, 0.05)  # most values above the estimate: BCa shifts down


def test_call_order_and_leave_one_out_jackknife() -> None:
    x = np.arange(30, dtype=float)
    calls, statistic = _recorder(x)
    bootstrap_ci(statistic, 30, n_resamples=20)
    assert len(calls) == 1 + 20 + 30
    assert np.array_equal(calls[0], np.arange(30))
    assert all(len(c) == 30 for c in calls[1:21])
    left_out = [np.setdiff1d(np.arange(30), c) for c in calls[21:]]
    assert [lo.tolist() for lo in left_out] == [[i] for i in range(30)]


def test_delete_a_block_jackknife_partitions_units() -> None:
    n = 1000
    calls, statistic = _recorder(np.arange(n, dtype=float))
    bootstrap_ci(statistic, n, n_resamples=10, max_jackknife=50, seed=4)
    jack = calls[11:]
    assert len(jack) == 50
    left_out = [np.setdiff1d(np.arange(n), c) for c in jack]
    assert all(len(lo) == 20 for lo in left_out)  # 1000 units in 50 equal blocks
    assert np.array_equal(np.sort(np.concatenate(left_out)), np.arange(n))  # a partition
    assert not np.array_equal(left_out[0], np.arange(20))  # assigned at random, not in order


def test_stratified_resamples_keep_stratum_counts() -> None:
    strata = np.array([0] * 90 + [1] * 10 + [2] * 3)
    calls, statistic = _recorder(strata.astype(float))
    res = bootstrap_ci(statistic, len(strata), strata=strata, n_resamples=200)
    for idx in calls[1:201]:
        assert np.bincount(strata[idx], minlength=3).tolist() == [90, 10, 3]
    # without strata the rare stratum's count varies
    calls, statistic = _recorder(strata.astype(float))
    bootstrap_ci(statistic, len(strata), n_resamples=200)
    assert len({int(np.sum(strata[idx] == 2)) for idx in calls[1:201]}) > 1
    assert res["mean"]["n_valid"] == 200


def test_grouped_resampling_keeps_clusters_whole() -> None:
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 40, 200).astype(str)  # patient ids, 1-12 images each
    labels = rng.integers(0, 2, 200) * (rng.uniform(size=200) < 0.3)
    positive_patients = len(set(groups[labels == 1]))
    calls, statistic = _recorder(labels.astype(float))
    bootstrap_ci(statistic, 200, strata=labels, groups=groups, n_resamples=100, seed=2)
    patients = np.unique(groups)
    for idx in calls[1:101]:
        counts = np.bincount(idx, minlength=200)
        drawn = 0
        for g in patients:
            members = counts[groups == g]
            assert np.all(members == members[0]), "a patient's images must be drawn together"
            drawn += members[0]
        assert drawn == len(patients)  # as many patients as in the data
        # stratified by "has any positive": the number of positive patients is kept
        assert sum(counts[(groups == g)][0] for g in patients if labels[groups == g].max() == 1) == positive_patients
    # jackknife leaves out one whole patient at a time
    for idx, g in zip(calls[101:], patients):
        assert set(np.flatnonzero(np.bincount(idx, minlength=200) == 0)) == set(np.flatnonzero(groups == g))


def test_clustered_interval_is_wider_for_duplicated_patients() -> None:
    """5 identical images per patient carry the information of 1: grouped resampling sees
    that (interval about sqrt(5) wider); sample resampling does not."""
    x = np.repeat(np.random.default_rng(6).normal(size=80), 5)
    groups = np.repeat(np.arange(80), 5)
    mean = lambda i: {"m": float(x[i].mean())}  # noqa: E731
    flat = bootstrap_ci(mean, 400, n_resamples=1000)["m"]["percentile"]
    grouped = bootstrap_ci(mean, 400, groups=groups, n_resamples=1000)["m"]["percentile"]
    ratio = (grouped[1] - grouped[0]) / (flat[1] - flat[0])
    assert ratio == pytest.approx(math.sqrt(5), rel=0.15)


def test_undefined_values_are_skipped_or_give_no_interval() -> None:
    x = np.arange(40, dtype=float)

    def statistic(idx: np.ndarray) -> dict[str, float | None]:
        dup = len(idx) - len(np.unique(idx))
        return {"sometimes": float(x[idx].mean()) if dup % 4 else None,  # undefined in ~1/4
                "rarely": float(x[idx].mean()) if dup % 4 == 0 else None,  # defined in ~1/4
                "constant": 1.0, "never": None}

    res = bootstrap_ci(statistic, 40, n_resamples=200)
    assert 100 < res["sometimes"]["n_valid"] < 200 and res["sometimes"]["percentile"][0] is not None
    assert res["sometimes"]["estimate"] is None and res["sometimes"]["bca_fallback"] is True  # no estimate
    assert res["rarely"]["percentile"] == [None, None] and res["rarely"]["bca"] == [None, None]
    assert res["constant"]["percentile"] == [1.0, 1.0] and res["constant"]["bca"] == [1.0, 1.0]
    assert res["constant"]["bca_fallback"] is True
    assert res["never"] == {"estimate": None, "percentile": [None, None], "bca": [None, None],
                            "n_valid": 0, "bca_fallback": False}
    json.dumps(res, allow_nan=False)


def test_deterministic_under_seed() -> None:
    x = np.random.default_rng(7).exponential(size=500)
    stat = lambda i: {"m": float(x[i].mean())}  # noqa: E731
    a = bootstrap_ci(stat, 500, n_resamples=100, seed=11)
    assert bootstrap_ci(stat, 500, n_resamples=100, seed=11) == a
    assert bootstrap_ci(stat, 500, n_resamples=100, seed=12) != a


def test_bootstrap_ci_rejects_bad_statistic() -> None:
    with pytest.raises(ConfigError, match="non-empty dict"):
        bootstrap_ci(lambda i: {}, 10)
    with pytest.raises(ConfigError, match="non-empty dict"):
        bootstrap_ci(lambda i: 0.5, 10)  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 1}, DataError, "n >= 2"),
        ({"level": 95}, ConfigError, r"level must be a confidence level in \(0, 1\)"),
        ({"level": 0.0}, ConfigError, "level"),
        ({"n_resamples": 5}, ConfigError, "n_resamples must be an integer >= 10"),
        ({"max_jackknife": 1}, ConfigError, "max_jackknife"),
        ({"strata": np.zeros(9)}, DataError, r"strata must have shape \(10,\).*got shape \(9,\)"),
        ({"groups": np.zeros((10, 2))}, DataError, r"groups must have shape \(10,\)"),
        ({"groups": np.array([1.0, np.nan] * 5)}, DataError, "groups must not contain NaN"),
    ],
)
def test_bootstrap_ci_rejects_bad_inputs(kwargs: dict, error: type, match: str) -> None:
    args = {"n": 10, **kwargs}
    with pytest.raises(error, match=match):
        bootstrap_ci(lambda i: {"m": 0.0}, **args)


# --- fast resample metrics ---------------------------------------------------------------


def _fast_vs_reference(y: np.ndarray, p: np.ndarray, task: str, threshold: object, idx: np.ndarray) -> None:
    """The fast statistic on ``idx`` equals classification_metrics on the indexed data."""
    yv, pv = _validate(y, p, task)
    _, cut, _ = _resolve_threshold(threshold, task, pv.shape[1])
    fast = _FastMetrics(yv, pv, task, cut)(idx)
    ref = classification_metrics(yv[idx], pv[idx], task, threshold=threshold)
    expected = {m: ref[m] for m in ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1")}
    for c, name in enumerate(ref["label_names"]):
        expected.update({f"per_class/{c}/{m}": ref["per_class"][name][m] for m in CLASS_METRICS})
    assert fast.keys() == expected.keys()
    for key, value in expected.items():
        if value is None:
            assert fast[key] is None, key
        else:
            assert fast[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(
    ("task", "threshold"),
    [("binary", 0.4), ("multiclass", None), ("multiclass", [0.3, 0.2, 0.4, 0.25]),
     ("multilabel", 0.5), ("multilabel", [0.2, 0.5, 0.7, 0.5])],
)
def test_fast_metrics_equal_classification_metrics(task: str, threshold: object, ties: bool) -> None:
    y, p = _data(task, ties=ties)
    rng = np.random.default_rng(8)
    _fast_vs_reference(y, p, task, threshold, np.arange(len(y)))
    for _ in range(5):
        _fast_vs_reference(y, p, task, threshold, rng.integers(0, len(y), len(y)))


def test_fast_metrics_absent_class_gives_none() -> None:
    y, p = _data("multiclass", seed=9)
    keep = np.flatnonzero(y != 3)
    idx = np.random.default_rng(9).choice(keep, 100)  # class 3 never true in the resample
    fast = _FastMetrics(y, p, "multiclass", None)(idx)
    assert fast["per_class/3/sensitivity"] is None and fast["per_class/3/auc"] is None
    assert fast["per_class/3/auprc"] is None
    _fast_vs_reference(y, p, "multiclass", None, idx)
    # a multilabel label with no positives, and a never-predicted class
    y, p = _data("multilabel", seed=10)
    y[:, 2] = 0
    p[:, 1] = 0.1
    _fast_vs_reference(y, p, "multilabel", 0.5, np.random.default_rng(10).integers(0, len(y), len(y)))


# --- metric_intervals and paired differences ---------------------------------------------


@pytest.mark.parametrize(("task", "threshold"), [("binary", 0.3), ("multiclass", None), ("multilabel", [0.4, 0.5, 0.6, 0.5])])
def test_metric_intervals_estimates_equal_classification_metrics(task: str, threshold: object) -> None:
    y, p = _data(task, n=120)
    names = ["a", "b"] if task == "binary" else ["a", "b", "c", "d"]
    res = metric_intervals(y, p, task, threshold=threshold, label_names=names, n_resamples=100, seed=3)
    ref = classification_metrics(y, p, task, threshold=threshold, label_names=names)
    assert {k: res[k] for k in ("level", "n_resamples", "seed", "stratified", "unit", "n_units")} == {
        "level": 0.95, "n_resamples": 100, "seed": 3, "stratified": True, "unit": "sample", "n_units": 120}
    for m in ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1"):
        assert res[m]["estimate"] == pytest.approx(ref[m], rel=1e-12)
        assert res[m]["percentile"][0] <= res[m]["estimate"] <= res[m]["percentile"][1]
    assert list(res["per_class"]) == names
    for name in names:
        assert set(res["per_class"][name]) == set(CLASS_METRICS)
        for m in CLASS_METRICS:
            assert res["per_class"][name][m]["estimate"] == pytest.approx(ref["per_class"][name][m], rel=1e-12)
    json.dumps(res, allow_nan=False)


def test_metric_intervals_grouped_absent_class_and_validation() -> None:
    y, p = _data("multiclass", n=200, seed=11)
    y[y == 3] = 0  # class 3 absent: its sensitivity/auc have no estimate and no interval
    groups = np.arange(200) // 4
    res = metric_intervals(y, p, "multiclass", groups=groups, n_resamples=50)
    assert res["unit"] == "patient" and res["n_units"] == 50
    assert res["per_class"]["3"]["auc"] == {"estimate": None, "percentile": [None, None],
                                            "bca": [None, None], "n_valid": 0, "bca_fallback": False}
    assert any("class '3'" in n for n in res["notes"]) and any("whole patients" in n for n in res["notes"])
    with pytest.raises(DataError, match="class indices"):
        metric_intervals(np.array([0, 5]), np.full((2, 2), 0.5), "multiclass")
    with pytest.raises(ConfigError, match="binary threshold must be one probability"):
        metric_intervals(y[:10] % 2, p[:10, :2] / p[:10, :2].sum(1, keepdims=True), "binary", threshold=[0.5, 0.5])
    with pytest.raises(DataError, match=r"groups must have shape \(200,\)"):
        metric_intervals(y, p, "multiclass", groups=groups[:10])


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_paired_difference_of_model_with_itself_is_zero(task: str) -> None:
    y, p = _data(task, n=100)
    res = paired_difference_intervals(y, p, p.copy(), task, n_resamples=50)
    entries = [res[m] for m in ("auc", "auprc", "accuracy", "balanced_accuracy")]
    entries += [e for cls in res["per_class"].values() for e in cls.values()]
    for e in entries:
        assert e["estimate"] == 0.0 and e["percentile"] == [0.0, 0.0] and e["bca"] == [0.0, 0.0]
        assert e["bca_fallback"] is True


def test_paired_difference_estimates_and_direction() -> None:
    y, good = _data("binary", n=300, seed=12)
    noise = np.random.default_rng(12).uniform(size=300)
    bad = np.column_stack([1 - noise, noise])
    res = paired_difference_intervals(y, good, bad, "binary", threshold_b=0.6, n_resamples=200)
    a = classification_metrics(y, good, "binary")
    b = classification_metrics(y, bad, "binary", threshold=0.6)
    assert res["auc"]["estimate"] == pytest.approx(a["auc"] - b["auc"], rel=1e-12)
    assert res["per_class"]["1"]["npv"]["estimate"] == pytest.approx(
        a["per_class"]["1"]["npv"] - b["per_class"]["1"]["npv"], rel=1e-12)
    assert res["auc"]["bca"][0] > 0  # the informative model is better, clearly
    with pytest.raises(DataError, match="same shape"):
        paired_difference_intervals(np.array([0, 1, 2]), np.full((3, 3), 1 / 3), np.full((3, 4), 0.25), "multiclass")


def test_one_patient_falls_back_to_resampling_samples_with_a_note() -> None:
    """A validation split of one patient (meddx cv, small folds) must not abort training: samples
    are resampled instead, and every interval says so."""
    values = np.random.default_rng(5).normal(size=30)
    _, statistic = _recorder(values)
    one = bootstrap_ci(statistic, 30, groups=np.array(["p1"] * 30), n_resamples=100, seed=3)
    plain = bootstrap_ci(statistic, 30, n_resamples=100, seed=3)
    assert one["mean"]["percentile"] == plain["mean"]["percentile"] and one["mean"]["bca"] == plain["mean"]["bca"]
    assert "samples resampled instead of patients" in one["mean"]["note"] and "note" not in plain["mean"]
    y, p = _data("binary", n=40, seed=6)
    res = metric_intervals(y, p, "binary", groups=np.zeros(40), n_resamples=50)  # raised before
    assert res["auc"]["percentile"][0] is not None and "instead of patients" in res["auc"]["note"]
    assert res["unit"] == "sample" and res["n_units"] == 40 and any("instead of patients" in n for n in res["notes"])


@pytest.mark.slow
def test_ppv_intervals_cover_the_population_value() -> None:
    """Found by an audit: resampling stratified by class holds the prevalence fixed, so the intervals
    of PPV and NPV (which depend on it) left out its sampling variation: of 95% intervals on cohorts
    of 150 with prevalence 0.2, about 88% held the population PPV/NPV. They are now resampled without
    strata; sensitivity keeps its class-conditional (stratified) interval. Binormal scores: positives
    N(2, 1), negatives N(0, 1), cut at score 1.5, so the population values are known exactly."""
    from scipy import stats

    from meddx.evaluation.intervals import metric_intervals

    prev, n, sims = 0.2, 150, 160
    sens, spec = stats.norm.sf(1.5 - 2.0), stats.norm.cdf(1.5)
    truth = {"ppv": prev * sens / (prev * sens + (1 - prev) * (1 - spec)),
             "npv": (1 - prev) * spec / ((1 - prev) * spec + prev * (1 - sens)), "sensitivity": sens}
    held = dict.fromkeys(truth, 0)
    rng = np.random.default_rng(7)
    for s in range(sims):
        y = (rng.random(n) < prev).astype(int)
        p = 1.0 / (1.0 + np.exp(-rng.normal(2.0 * y, 1.0)))
        ci = metric_intervals(y, np.column_stack([1 - p, p]), "binary", threshold=1 / (1 + np.exp(-1.5)),
                              n_resamples=200, seed=s)["per_class"]["1"]
        for m, value in truth.items():
            lo, hi = ci[m]["bca"]
            held[m] += lo <= value <= hi
    coverage = {m: h / sims for m, h in held.items()}
    assert coverage["ppv"] >= 0.92 and coverage["npv"] >= 0.92, coverage
    assert coverage["sensitivity"] >= 0.92, coverage
