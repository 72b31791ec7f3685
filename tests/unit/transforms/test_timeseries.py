"""SeriesPreprocessor and aggregate features: hand-computed arrays on a two-stay example, and
normalisation statistics that provably come from the training records only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from meddx.core.errors import DataError, NotFittedError
from meddx.data.series import SeriesRecord
from meddx.data.synthetic_series import make_threshold_series
from meddx.transforms.timeseries import SeriesPreprocessor, aggregate_feature_names, aggregate_features

A, B = 0, 1


def _rec(rid: str, rows: list[tuple[float, int, float]], static: list[float]) -> SeriesRecord:
    t, v, x = zip(*rows) if rows else ((), (), ())
    return SeriesRecord(id=rid, times=np.asarray(t, np.float32), variables=np.asarray(v, np.int16),
                        values=np.asarray(x, np.float32), static=np.asarray(static, np.float32))


def _pair() -> list[SeriesRecord]:
    r1 = _rec("r1", [(0.5, A, 1.0), (0.7, A, 3.0), (2.2, B, 10.0), (4.0, A, 5.0)], [2.0])
    r2 = _rec("r2", [(1.0, B, 20.0), (1.5, A, 2.0)], [np.nan])
    return [r1, r2]


def _z(p: SeriesPreprocessor, v: int, x: float) -> float:
    return (x - p.mean_[v]) / p.std_[v]


def test_hourly_values_mask_delta_by_hand() -> None:
    p = SeriesPreprocessor(["a", "b"], ["s"], window_hours=4, resample="hourly").fit(_pair())
    out = p.transform(_pair())
    assert out["values"].shape == (2, 4, 2) and p.steps_ == 4
    # r1: a in bin 0 twice (the later value 3.0 wins) and at t = 4.0 (window end -> last bin); b in bin 2
    np.testing.assert_array_equal(out["mask"][0], [[1, 0], [0, 0], [0, 1], [1, 0]])
    np.testing.assert_allclose(out["values"][0, :, A], [_z(p, A, 3.0), 0, 0, _z(p, A, 5.0)], rtol=1e-6)
    np.testing.assert_allclose(out["values"][0, :, B], [0, 0, _z(p, B, 10.0), 0], rtol=1e-6)
    # delta = step time - time of the latest earlier step observing the variable (0 if none), / 4 h
    np.testing.assert_allclose(out["delta"][0, :, A], np.array([0, 1, 2, 3]) / 4)
    np.testing.assert_allclose(out["delta"][0, :, B], np.array([0, 1, 2, 1]) / 4)
    np.testing.assert_allclose(out["delta"][1, :, A], np.array([0, 1, 1, 2]) / 4)
    np.testing.assert_allclose(out["times"][0], np.array([0, 1, 2, 3]) / 4)
    np.testing.assert_array_equal(out["step_mask"], np.ones((2, 4)))
    # static: r1 is the only observed value -> mean 2, std 1 -> 0; r2 missing -> 0 with mask 0
    np.testing.assert_array_equal(out["static"], [[0.0], [0.0]])
    np.testing.assert_array_equal(out["static_mask"], [[1.0], [0.0]])


def test_irregular_steps_and_truncation_by_hand() -> None:
    p = SeriesPreprocessor(["a", "b"], ["s"], window_hours=4, resample="irregular").fit(_pair())
    assert p.steps_ == 8  # 95th percentile of (4, 2) distinct times = 3.9 -> rounded up to 8
    out = p.transform(_pair())
    np.testing.assert_allclose(out["times"][0, :5], np.array([0.5, 0.7, 2.2, 4.0, 0]) / 4, rtol=1e-6)
    np.testing.assert_array_equal(out["step_mask"][0], [1, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(out["step_mask"][1], [1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(out["mask"][0, :4], [[1, 0], [1, 0], [0, 1], [1, 0]])
    np.testing.assert_allclose(out["values"][0, 1, A], _z(p, A, 3.0), rtol=1e-6)
    np.testing.assert_allclose(out["delta"][0, :4, A], np.array([0.5, 0.2, 1.5, 3.3]) / 4, rtol=1e-5)
    np.testing.assert_allclose(out["delta"][0, :4, B], np.array([0.5, 0.7, 2.2, 1.8]) / 4, rtol=1e-5)
    np.testing.assert_allclose(out["delta"][1, :2, A], np.array([1.0, 1.5]) / 4, rtol=1e-6)
    np.testing.assert_allclose(out["delta"][1, :2, B], np.array([1.0, 0.5]) / 4, rtol=1e-6)
    assert not out["values"][:, 4:].any() and not out["delta"][0, 4:].any()  # padding is zero
    short = SeriesPreprocessor(["a", "b"], ["s"], window_hours=4, resample="irregular", max_steps=2).fit(_pair())
    cut = short.transform(_pair())
    np.testing.assert_allclose(cut["times"][0], np.array([2.2, 4.0]) / 4, rtol=1e-6)  # the last 2 steps
    np.testing.assert_allclose(cut["delta"][0, 0, A], 1.5 / 4, rtol=1e-5)  # counts from the dropped step


def test_empty_stay_and_outside_window() -> None:
    recs = [*_pair(), _rec("empty", [], [1.0]), _rec("late", [(9.0, A, 7.0)], [3.0])]
    p = SeriesPreprocessor(["a", "b"], ["s"], window_hours=4, resample="irregular").fit(recs)
    out = p.transform(recs)
    assert out["step_mask"][2].tolist() == [1] + [0] * 7 and not out["mask"][2].any()
    assert not out["mask"][3].any()  # t = 9 h is outside the 4 h window: ignored
    assert p.n_observed_.tolist() == [4, 2]  # and not used for the statistics


def test_stats_come_from_train_only() -> None:
    src = make_threshold_series(60, seed=3)
    train, val = src.splits["train"].records, src.splits["val"].records
    p = SeriesPreprocessor(src.variables, src.static_names, window_hours=48).fit(train)
    before = json.dumps(p.to_dict())
    p.transform(val)
    assert json.dumps(p.to_dict()) == before  # transforming another split changes nothing
    # by hand from train: winsorise each variable's values at the 0.5/99.5 percentiles
    for v in range(len(src.variables)):
        x = np.concatenate([r.values[r.variables == v] for r in train]).astype(np.float64)
        lo, hi = np.percentile(x, [0.5, 99.5])
        c = np.clip(x, lo, hi)
        assert p.mean_[v] == pytest.approx(c.mean()) and p.std_[v] == pytest.approx(c.std())
    ages = np.array([r.static[0] for r in train], np.float64)
    assert p.static_mean_[0] == pytest.approx(np.nanmean(ages))
    both = SeriesPreprocessor(src.variables, src.static_names, window_hours=48).fit(train + val)
    assert not np.allclose(both.mean_, p.mean_)  # the check above can fail: val changes the stats
    shifted = [SeriesRecord(r.id, r.times, r.variables, r.values * 100, r.static) for r in val]
    q = SeriesPreprocessor(src.variables, src.static_names, window_hours=48).fit(train)
    q.transform(shifted)
    np.testing.assert_array_equal(q.mean_, p.mean_)


def test_round_trip_is_exact_and_clip() -> None:
    src = make_threshold_series(40, seed=1)
    recs = src.splits["train"].records
    for resample in ("hourly", "irregular"):
        p = SeriesPreprocessor(src.variables, src.static_names, 48, resample).fit(recs)
        q = SeriesPreprocessor.from_dict(json.loads(json.dumps(p.to_dict())))
        a, b = p.transform(recs), q.transform(recs)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
            assert a[key].dtype == np.float32
    outlier = [_rec("x", [(1.0, A, 1e6)], [0.0]), *_pair()]
    p = SeriesPreprocessor(["a", "b"], ["s"], window_hours=4, clip=3.0).fit(_pair())
    assert p.transform(outlier)["values"].max() == pytest.approx(3.0)


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        SeriesPreprocessor(["a"], []).transform(_pair())
    with pytest.raises(DataError, match="'r1'.*static"):
        SeriesPreprocessor(["a", "b"], ["s", "t"]).fit(_pair())
    with pytest.raises(DataError, match="variable index"):
        SeriesPreprocessor(["a"], ["s"]).fit(_pair())


def test_aggregate_features_by_hand() -> None:
    recs = [*_pair(), _rec("none", [], [4.0])]
    f = aggregate_features(recs, 2)
    names = aggregate_feature_names(["a", "b"], ["s"])
    assert f.shape == (3, 13) and len(names) == 13 and names[0] == "a:first" and names[-1] == "static:s"
    row = dict(zip(names, f[0]))
    assert [row[f"a:{k}"] for k in ("first", "last", "min", "max", "mean", "count")] == [1, 5, 1, 5, 3, 3]
    assert [row[f"b:{k}"] for k in ("first", "last", "min", "max", "mean", "count")] == [10, 10, 10, 10, 10, 1]
    assert row["static:s"] == 2.0
    assert dict(zip(names, f[1]))["a:first"] == 2.0 and np.isnan(f[1, -1])
    assert np.isnan(f[2, :5]).all() and f[2, 5] == 0 and f[2, 11] == 0 and f[2, 12] == 4.0
    assert aggregate_features(recs, 2, static=False).shape == (3, 12)


def test_aggregate_features_ignore_observations_outside_the_window() -> None:
    """Found by an audit: a stay read from another file with a longer window had its later values
    in the aggregates (evaluate) although predict read it with the bundle's window."""
    late = _rec("r1", [(0.5, A, 1.0), (0.7, A, 3.0), (2.2, B, 10.0), (4.0, A, 5.0), (9.0, A, 100.0)], [2.0])
    f = aggregate_features([late], 2, window_hours=4.0)
    names = aggregate_feature_names(["a", "b"], ["s"])
    row = dict(zip(names, f[0]))
    assert [row[f"a:{k}"] for k in ("first", "last", "min", "max", "mean", "count")] == [1, 5, 1, 5, 3, 3]
    np.testing.assert_array_equal(f, aggregate_features(_pair()[:1], 2))  # as if read with the 4 h window
    assert aggregate_features([late], 2)[0, 5] == 4  # without a window every observation counts


def test_rows_do_not_depend_on_the_batch() -> None:
    src = make_threshold_series(300, seed=7)
    recs = [_rec("empty", [], [50.0, 1.0])] + [r for d in src.splits.values() for r in d.records]
    for resample in ("hourly", "irregular"):
        p = SeriesPreprocessor(src.variables, src.static_names, 48, resample).fit(recs[:100])
        whole = p.transform(recs)  # 301 records: two chunks of the vectorised transform
        for i in (0, 1, 255, 256, 300):
            alone = p.transform([recs[i]])
            for key in whole:
                np.testing.assert_array_equal(whole[key][i], alone[key][0], err_msg=f"{resample} {key} row {i}")


def test_a_variable_or_descriptor_never_seen_in_train_reads_as_unobserved() -> None:
    """Train observes only variable A and no static value; a test stay with B = 50 and a static
    value must give exactly the arrays and aggregates of the same stay without them (before, B
    entered unnormalised, 50 clipped to 10, into weights that never learnt from it)."""
    train = [_rec("t1", [(0.5, A, 1.0), (3.0, A, 2.0)], [np.nan]), _rec("t2", [(1.0, A, 4.0)], [np.nan])]
    with_b = _rec("x", [(0.5, A, 3.0), (1.5, B, 50.0)], [70.0])
    without = _rec("x", [(0.5, A, 3.0)], [np.nan])
    for resample in ("hourly", "irregular"):
        p = SeriesPreprocessor(["a", "b"], ["age"], 4, resample).fit(train)
        assert p.trained_variables().tolist() == [True, False] and p.trained_static().tolist() == [False]
        got, want = p.transform([with_b]), p.transform([without])
        for key in want:
            np.testing.assert_array_equal(got[key], want[key], err_msg=f"{resample} {key}")
        q = SeriesPreprocessor.from_dict(json.loads(json.dumps(p.to_dict())))
        np.testing.assert_array_equal(q.transform([with_b])["values"], want["values"])
    used = dict(variables_used=p.trained_variables(), static_used=p.trained_static())
    np.testing.assert_array_equal(aggregate_features([with_b], 2, **used), aggregate_features([without], 2, **used))
    assert aggregate_features([with_b], 2)[0, 6 + 5] == 1  # without the masks B still counts (unchanged API)


def test_older_descriptions_without_observed_counts_keep_every_variable() -> None:
    p = SeriesPreprocessor(["a", "b"], ["age"], 4).fit(_pair())
    d = p.to_dict()
    del d["n_observed"], d["static_n_observed"]
    q = SeriesPreprocessor.from_dict(d)
    assert q.trained_variables().all() and q.trained_static().all()
