"""Segmentation metrics on shapes with known answers (overlaps, shifted discs, concentric squares
and cubes), the empty-structure conventions, and the bootstrap summary over cases."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.seg_metrics import (
    case_metrics,
    case_table,
    metric_units,
    summarize_cases,
    worst_and_best,
    write_case_table,
)

NAMES = ["background", "lesion"]


def _disc(shape: tuple[int, int], cy: float, cx: float, r: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    return ((rows - cy) ** 2 + (cols - cx) ** 2 <= r * r).astype(np.int64)


def _square(size: int, centre: int, half: int) -> np.ndarray:
    out = np.zeros((size, size), dtype=np.int64)
    out[centre - half: centre + half + 1, centre - half: centre + half + 1] = 1
    return out


def test_dice_iou_of_overlapping_squares() -> None:
    truth = np.zeros((30, 30), dtype=np.int64)
    pred = np.zeros((30, 30), dtype=np.int64)
    truth[0:10, 0:10] = 1
    pred[5:15, 0:10] = 1  # overlap 50 px of 100 each
    m = case_metrics(pred, truth, NAMES)["lesion"]
    assert m["dice"] == pytest.approx(0.5, rel=1e-6)
    assert m["iou"] == pytest.approx(50 / 150, rel=1e-6)
    assert m["volume_true"] == 100 and m["volume_pred"] == 100
    assert m["hd95"] == pytest.approx(5.0)


def test_hd95_of_shifted_disc_in_voxels_and_mm() -> None:
    truth = _disc((64, 64), 32, 30, 15)
    pred = _disc((64, 64), 32, 33, 15)
    assert case_metrics(pred, truth, NAMES)["lesion"]["hd95"] == pytest.approx(3.0)
    m = case_metrics(pred, truth, NAMES, spacing=(2.0, 2.0))["lesion"]
    assert m["hd95"] == pytest.approx(6.0)
    assert m["volume_true"] == pytest.approx(truth.sum() * 4.0)  # mm^2 in 2D
    assert case_metrics(pred, truth, NAMES, spacing=2.0)["lesion"]["hd95"] == pytest.approx(6.0)


def _ring(half: int) -> list[tuple[int, int]]:
    """Offsets of the boundary pixels of a (2 half + 1)^2 square (Chebyshev radius ``half``)."""
    return [(i, j) for i in range(-half, half + 1) for j in range(-half, half + 1) if max(abs(i), abs(j)) == half]


def _analytic_asd(outer: int, inner: int) -> float:
    """Symmetric ASD of concentric squares: every inner boundary pixel is ``outer - inner``
    from the outer boundary; an outer pixel beside the inner square is too, and one in a corner
    region is ``hypot(|i| - inner, |j| - inner)`` from the inner square's corner."""
    gap = outer - inner
    inner_sum = len(_ring(inner)) * gap
    outer_sum = sum(math.hypot(max(abs(i) - inner, 0), max(abs(j) - inner, 0)) for i, j in _ring(outer))
    return (inner_sum + outer_sum) / (len(_ring(inner)) + len(_ring(outer)))


@pytest.mark.parametrize(("outer", "inner"), [(10, 6), (12, 11), (9, 3)])
def test_asd_of_concentric_squares(outer: int, inner: int) -> None:
    truth, pred = _square(41, 20, outer), _square(41, 20, inner)
    expected = _analytic_asd(outer, inner)
    assert case_metrics(pred, truth, NAMES)["lesion"]["asd"] == pytest.approx(expected, rel=1e-5)
    assert case_metrics(truth, pred, NAMES)["lesion"]["asd"] == pytest.approx(expected, rel=1e-5)
    half = case_metrics(pred, truth, NAMES, spacing=(0.5, 0.5))["lesion"]["asd"]
    assert half == pytest.approx(expected / 2, rel=1e-5)


def test_cube_3d_with_spacing() -> None:
    truth = np.zeros((20, 20, 20), dtype=np.int64)
    pred = np.zeros_like(truth)
    truth[5:15, 5:15, 5:15] = 1  # 1000 voxels
    pred[6:14, 6:14, 6:14] = 1  # 512 voxels inside
    m = case_metrics(pred, truth, NAMES, spacing=(2.0, 1.0, 1.0))["lesion"]
    assert m["dice"] == pytest.approx(2 * 512 / 1512, rel=1e-6)
    assert m["iou"] == pytest.approx(512 / 1000, rel=1e-6)
    assert m["volume_true"] == pytest.approx(2.0) and m["volume_pred"] == pytest.approx(1.024)  # mL
    assert 1.0 <= m["hd95"] <= math.sqrt(6.0) + 1e-6  # one voxel inward on every axis: 1 to 2 mm per axis
    v = case_metrics(pred, truth, NAMES)["lesion"]
    assert v["volume_true"] == 1000 and 1.0 <= v["hd95"] <= math.sqrt(3) + 1e-6 and 1.0 <= v["asd"] <= math.sqrt(3)
    assert metric_units(3, (2.0, 1.0, 1.0)) == {"dice": "", "iou": "", "hd95": "mm", "asd": "mm", "volume": "mL"}
    assert metric_units(2, None)["hd95"] == "voxels"


def test_empty_conventions() -> None:
    empty = np.zeros((16, 16), dtype=np.int64)
    some = _square(16, 8, 3)
    names = ["bg", "a", "b"]
    both = case_metrics(empty, empty, names)
    for cls in ("a", "b"):
        assert both[cls] == {"dice": 1.0, "iou": 1.0, "hd95": None, "asd": None, "volume_true": 0.0,
                             "volume_pred": 0.0}
    missed = case_metrics(empty, some, names)["a"]
    assert (missed["dice"], missed["iou"], missed["hd95"], missed["asd"]) == (0.0, 0.0, None, None)
    false_positive = case_metrics(some * 2, empty, names)["b"]
    assert (false_positive["dice"], false_positive["iou"], false_positive["hd95"]) == (0.0, 0.0, None)
    for metrics in (both, case_metrics(empty, some, names), case_metrics(some * 2, empty, names)):
        for values in metrics.values():
            assert all(v is None or math.isfinite(v) for v in values.values())


def test_case_metrics_errors() -> None:
    with pytest.raises(DataError, match=r"\(8, 8\).*\(8, 9\)"):
        case_metrics(np.zeros((8, 8), int), np.zeros((8, 9), int), NAMES)
    with pytest.raises(DataError, match="label_names"):
        case_metrics(np.full((8, 8), 3), np.zeros((8, 8), int), NAMES)
    with pytest.raises(DataError, match="probabilities"):
        case_metrics(np.full((8, 8), 0.3), np.zeros((8, 8), int), NAMES)
    with pytest.raises(DataError, match="spacing"):
        case_metrics(np.zeros((8, 8), int), np.zeros((8, 8), int), NAMES, spacing=(1.0, 1.0, 1.0))


def _rows(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        d1, d2 = rng.beta(8, 2, 2)
        rows.append({"id": f"case{i:03d}", "metrics": {
            "liver": {"dice": d1, "iou": d1 / (2 - d1), "hd95": rng.gamma(2, 2), "asd": rng.gamma(2, 0.5),
                      "volume_true": 1.5, "volume_pred": 1.4},
            "tumour": {"dice": d2, "iou": d2 / (2 - d2), "hd95": None if i % 4 == 0 else rng.gamma(2, 3),
                       "asd": None if i % 4 == 0 else 1.0, "volume_true": 0.1, "volume_pred": 0.2}}})
    return rows


LABELS = ["background", "liver", "tumour"]


def test_summary_values_and_ci() -> None:
    rows = _rows(40, 0)
    s = summarize_cases(rows, LABELS, n_resamples=300)
    dice = np.array([r["metrics"]["liver"]["dice"] for r in rows])
    liver = s["classes"]["liver"]["dice"]
    assert s["n"] == 40 and s["resamples"] == 300 and s["level"] == 0.95 and not s["clustered"]
    assert liver["mean"] == pytest.approx(dice.mean()) and liver["median"] == pytest.approx(np.median(dice))
    assert liver["std"] == pytest.approx(dice.std(ddof=1)) and liver["n_valid"] == 40
    assert liver["ci"][0] < liver["mean"] < liver["ci"][1]
    assert s["classes"]["tumour"]["hd95"]["n_valid"] == 30
    per_case = [(r["metrics"]["liver"]["dice"] + r["metrics"]["tumour"]["dice"]) / 2 for r in rows]
    assert s["mean_foreground"]["dice"]["mean"] == pytest.approx(np.mean(per_case))
    fg_hd = [np.mean([v for v in (r["metrics"]["liver"]["hd95"], r["metrics"]["tumour"]["hd95"]) if v is not None])
             for r in rows]
    assert s["mean_foreground"]["hd95"]["mean"] == pytest.approx(np.mean(fg_hd))
    assert s["unit"]["hd95"] == "mm" and summarize_cases(rows, LABELS, n_resamples=0,
                                                         distance_unit="voxels")["unit"]["asd"] == "voxels"


def test_summary_ci_narrows_with_more_cases() -> None:
    small = summarize_cases(_rows(10, 1), LABELS, n_resamples=400)["classes"]["liver"]["dice"]["ci"]
    large = summarize_cases(_rows(300, 1), LABELS, n_resamples=400)["classes"]["liver"]["dice"]["ci"]
    assert (large[1] - large[0]) < 0.5 * (small[1] - small[0])


def test_summary_groups_no_ci_and_errors() -> None:
    rows = _rows(30, 2)
    groups = np.repeat(np.arange(10), 3)
    s = summarize_cases(rows, LABELS, groups=groups, n_resamples=200, seed=3)
    assert s["clustered"] and "patients" in s["ci_method"]
    assert s["classes"]["liver"]["dice"]["ci"] is not None
    plain = summarize_cases(rows, LABELS, n_resamples=200, seed=3)
    assert plain["classes"]["liver"]["dice"]["ci"] != s["classes"]["liver"]["dice"]["ci"]
    none = summarize_cases(rows, LABELS, n_resamples=0)
    assert none["classes"]["liver"]["dice"]["ci"] is None and none["ci_method"] == "none"
    with pytest.raises(DataError, match="groups"):
        summarize_cases(rows, LABELS, groups=groups[:5], n_resamples=50)
    with pytest.raises(ConfigError):
        summarize_cases(rows, LABELS, n_resamples=5)


def test_summary_from_real_case_metrics() -> None:
    truth = _disc((48, 48), 24, 24, 10)
    rows = [{"id": f"c{s}", "metrics": case_metrics(np.roll(truth, s, axis=1), truth, NAMES)} for s in range(6)]
    out = summarize_cases(rows, NAMES, n_resamples=100)
    assert out["classes"]["lesion"]["dice"]["mean"] == pytest.approx(
        np.mean([r["metrics"]["lesion"]["dice"] for r in rows]))
    assert "mean_foreground" in out and out["classes"]["lesion"]["hd95"]["n_valid"] == 6


def test_case_table_csv_and_worst_best(tmp_path) -> None:
    rows = _rows(8, 4)
    table = case_table(rows, LABELS)
    assert table[0]["id"] == "case000" and "dice_liver" in table[0] and "hd95_tumour" in table[0]
    assert table[0]["hd95_tumour"] is None
    assert table[1]["mean_dice"] == pytest.approx(
        (rows[1]["metrics"]["liver"]["dice"] + rows[1]["metrics"]["tumour"]["dice"]) / 2)
    path = write_case_table(tmp_path / "cases.csv", rows, LABELS)
    with path.open() as fh:
        read = list(csv.DictReader(fh))
    assert len(read) == 8 and read[0]["hd95_tumour"] == "" and float(read[1]["dice_liver"]) == pytest.approx(
        rows[1]["metrics"]["liver"]["dice"], rel=1e-5)
    worst, best = worst_and_best(rows, k=2)
    means = {r["id"]: t["mean_dice"] for r, t in zip(rows, table)}
    ranked = sorted(means, key=means.get)
    assert worst == ranked[:2] and best == ranked[::-1][:2]
    worst_hd, _ = worst_and_best(rows, k=1, metric="hd95")
    hd = {r["id"]: np.mean([v["hd95"] for v in r["metrics"].values() if v["hd95"] is not None]) for r in rows}
    assert worst_hd == [max(hd, key=hd.get)]
    with pytest.raises(ConfigError):
        worst_and_best(rows, metric="accuracy")
