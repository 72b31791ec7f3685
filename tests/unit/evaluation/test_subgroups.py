"""Subgroup metrics: reading attributes, known-answer gaps, small-group warnings, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.evaluation.subgroups import largest_gap, read_attributes, subgroup_metrics


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """400 samples: site A perfectly separated, site B random scores, site C only 15 samples."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 415)
    p = np.where(y == 1, 0.9, 0.1).astype(float)
    p[200:400] = rng.random(200)  # site B: useless model
    return y, np.column_stack([1 - p, p]), [f"s{i}" for i in range(415)]


def test_known_answer_gap_and_small_group_warning(tmp_path: Path) -> None:
    y, probs, ids = _data()
    sites = ["A"] * 200 + ["B"] * 200 + ["C"] * 15
    rows = "\n".join(f"{i},{s}" for i, s in zip(ids, sites))
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,site\n" + rows))
    result, warnings = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, threshold=0.5,
                                        label_names=["neg", "pos"], n_resamples=200)
    groups = result["site"]["groups"]
    assert groups["A"]["auc"]["estimate"] == 1.0 and groups["A"]["sensitivity"]["estimate"] == 1.0
    assert abs(groups["B"]["auc"]["estimate"] - 0.5) < 0.1
    assert groups["A"]["n"] == 200 and groups["C"]["n"] == 15
    assert groups["C"]["warning"] and "too small" in groups["C"]["warning"]
    assert any(w.startswith("site=C") for w in warnings)
    gap = result["site"]["largest_gap"]
    assert gap["between"] == ["A", "B"] and gap["gap"] > 0.35  # C is too small to count
    lo, hi = groups["B"]["auc"]["bca"]
    assert lo < 0.5 < hi


def test_numeric_attribute_is_banded_and_missing_values_grouped(tmp_path: Path) -> None:
    y, probs, ids = _data(1)
    ages = [str(20 + i % 60) for i in range(415)]
    ages[0] = ""
    rows = "\n".join(f"{i},{a}" for i, a in zip(ids, ages))
    attrs = read_attributes(_write(tmp_path / "a.csv", "sample_id,age\n" + rows))
    result, _ = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, n_resamples=50)
    names = set(result["age"]["groups"])
    assert "(missing)" in names and len(names) == 5  # four quartile bands + missing
    assert sum(g["n"] for g in result["age"]["groups"].values()) == 415


def test_quartile_bands_are_cut_on_the_evaluated_split(tmp_path: Path) -> None:
    """Found by an audit: the band edges came from the whole attributes file, so the evaluated
    split's "quartiles" were unequal. Ages 0..399 in the file; the split holds the 120 samples aged
    0..119: its quartile bands hold 30 each (the file's quartiles would give 100 and 20)."""
    y, probs, ids = _data(3)
    rows = "\n".join(f"s{i},{i}" for i in range(400))
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,age\n" + rows))
    result, _ = subgroup_metrics(y[:120], probs[:120], "binary", ids=ids[:120], attributes=attrs, n_resamples=20)
    groups = result["age"]["groups"]
    assert [g["n"] for g in groups.values()] == [30, 30, 30, 30], list(groups)
    assert "30-59" in groups  # the split's quartile edges show in the names (ages 30 to 59: (29.75, 59.5])


def test_unlisted_samples_are_counted_in_a_warning(tmp_path: Path) -> None:
    y, probs, ids = _data(2)
    rows = "\n".join(f"{i},A" for i in ids[:300])
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,site\n" + rows))
    _, warnings = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, n_resamples=50)
    assert any("115 of 415 samples have no row" in w for w in warnings)


def test_multiclass_subgroups() -> None:
    import pandas as pd

    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 3 * np.eye(3)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ids = [str(i) for i in range(300)]
    attrs = pd.DataFrame({"sex": ["F", "M"] * 150}, index=ids)
    result, _ = subgroup_metrics(y, probs, "multiclass", ids=ids, attributes=attrs, n_resamples=50)
    assert set(result["sex"]["groups"]) == {"F", "M"}
    assert result["sex"]["groups"]["F"]["sensitivity"] is None  # binary-only entries
    assert result["sex"]["groups"]["F"]["balanced_accuracy"]["estimate"] > 0.7


@pytest.mark.parametrize("text, message", [
    ("site\nA\n", "no sample id column"),
    ("id\ns0\n", "no attribute columns"),
    ("id,site\ns0,A\ns0,B\n", "listed twice"),
])
def test_bad_attribute_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_attributes(_write(tmp_path / "a.csv", text))
    with pytest.raises(DataError, match="not found"):
        read_attributes(tmp_path / "missing.csv")


def test_no_matching_ids_is_an_error(tmp_path: Path) -> None:
    y, probs, ids = _data()
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,site\nother-1,A\n"))
    with pytest.raises(DataError, match="no sample id of the evaluated split"):
        subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, n_resamples=10)


def test_largest_gap_needs_two_adequate_groups() -> None:
    interval = {"estimate": 0.9}
    assert largest_gap({"A": {"warning": None, "auc": interval}, "B": {"warning": "small", "auc": {"estimate": 0.5}}}) is None


def test_numeric_codes_with_few_values_stay_their_own_groups(tmp_path: Path) -> None:
    """Found by an audit: every column was re-cut into quartile bands per split (``frame[column]``
    is a new Series on each access, so every column looked banded), and a numeric code with few
    values was merged: sex coded 0/1 became one group '(-0.001, 1.0]', sites 1, 2, 3 two groups."""
    y, probs, ids = _data(2)
    rows = "\n".join(f"{s},{i % 2},{1 + i % 3},{20 + i % 60}" for i, s in enumerate(ids))
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,sex,site,age\n" + rows))
    result, _ = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, n_resamples=20)
    assert set(result["sex"]["groups"]) == {"0", "1"}
    assert set(result["site"]["groups"]) == {"1", "2", "3"}
    assert result["site"]["groups"]["1"]["n"] == sum(1 for i in range(415) if i % 3 == 0)
    assert len(result["age"]["groups"]) == 4  # a numeric column with many values is still banded


def test_bootstrap_0_gives_subgroup_estimates_without_intervals(tmp_path: Path) -> None:
    """Found by an audit: ``--bootstrap 0`` still resampled every subgroup 200 times (intervals the
    user did not ask for, and run time). Now: point estimates, null bounds, a warning saying so."""
    from types import SimpleNamespace

    from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess

    y, probs, ids = _data(4)
    sites = ["A"] * 200 + ["B"] * 215
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,site\n" + "\n".join(f"{i},{s}" for i, s in zip(ids, sites))))
    predictor = SimpleNamespace(task="binary", label_names=["neg", "pos"], decision_thresholds=0.5, temperature=1.0,
                                config={"decision": {"rule": "fixed:0.5", "threshold": 0.5}})
    preds = SplitPredictions(split="test", ids=ids, labels=y, probs=probs)
    metrics = assess(predictor, preds, EvalSettings(n_resamples=0), attributes=attrs)
    assert metrics["ci"] is None
    b = metrics["subgroups"]["site"]["groups"]["B"]
    yb, pb = y[200:], probs[200:, 1]
    assert b["sensitivity"]["estimate"] == ((pb >= 0.5) & (yb == 1)).sum() / (yb == 1).sum()
    for m in ("auc", "accuracy", "balanced_accuracy", "sensitivity", "specificity"):
        assert b[m]["bca"] == [None, None] and b[m]["percentile"] == [None, None] and b[m]["n_valid"] == 0
    assert any("no bootstrap" in w for w in metrics["subgroup_warnings"])
    with_n = assess(predictor, preds, EvalSettings(n_resamples=40), attributes=attrs)
    assert with_n["subgroups"]["site"]["groups"]["B"]["auc"]["n_valid"] == 40  # --bootstrap N: N resamples


@pytest.mark.parametrize("label, rate, undefined", [(1, "sensitivity", "specificity"), (0, "specificity", "sensitivity")])
def test_one_class_subgroup_says_so_and_reports_its_defined_rates(tmp_path: Path, label: int, rate: str,
                                                                  undefined: str) -> None:
    """Found by an audit: a subgroup of one class was reported as 'too small' (even with 60 cases);
    it is a one-class group: AUC undefined, but its sensitivity (all positive) or specificity
    (all negative) and accuracy are measured, with intervals."""
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 160)
    y[100:] = label  # site C: 60 cases, all of one class
    p = np.clip(0.3 * y + 0.7 * rng.random(160), 0, 1)
    ids = [f"s{i}" for i in range(160)]
    sites = ["A"] * 100 + ["C"] * 60
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,site\n" + "\n".join(f"{i},{s}" for i, s in zip(ids, sites))))
    result, warnings = subgroup_metrics(y, np.column_stack([1 - p, p]), "binary", ids=ids, attributes=attrs,
                                        threshold=0.5, label_names=["neg", "pos"], n_resamples=100)
    c = result["site"]["groups"]["C"]
    assert "one class only (AUC undefined)" in c["warning"] and "too small" not in c["warning"]
    assert rate in c["warning"] and any(w.startswith("site=C: one class only") for w in warnings)
    assert c["auc"]["estimate"] is None and c[undefined]["estimate"] is None
    correct = (p[100:] >= 0.5) == (label == 1)
    assert c[rate]["estimate"] == pytest.approx(correct.mean()) == c["accuracy"]["estimate"]
    lo, hi = c[rate]["bca"]
    assert lo <= c[rate]["estimate"] <= hi and c["n"] == 60


def test_one_sample_subgroup_still_reports_its_accuracy() -> None:
    import pandas as pd

    y, probs, ids = _data(6)
    attrs = pd.DataFrame({"site": ["A"] * 414 + ["Z"]}, index=ids)
    result, _ = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, threshold=0.5, n_resamples=20)
    z = result["site"]["groups"]["Z"]
    assert z["n"] == 1 and z["accuracy"]["estimate"] == float((probs[-1, 1] >= 0.5) == y[-1])
    assert "one class only" in z["warning"] and "too small" in z["warning"]


def test_subgroup_columns_of_a_data_csv(tmp_path: Path) -> None:
    """``meddx evaluate --subgroup site``: the column is read from the data CSV itself (a table whose
    features, split and label columns must not become subgroups); a missing column names the ones found."""
    from meddx.evaluation.subgroups import attributes_file

    data = _write(tmp_path / "table.csv", "id,x1,site,split,label\n"
                  + "\n".join(f"s{i},{i * 0.37:.2f},{'AB'[i % 2]},test,{i % 3 == 0:d}" for i in range(40)))
    attrs = read_attributes(attributes_file(None, str(data)), columns=["site"])
    assert list(attrs.columns) == ["site"] and attrs.loc["s3", "site"] == "B"
    y = np.array([i % 3 == 0 for i in range(40)], dtype=int)
    probs = np.column_stack([1 - 0.5 * np.ones(40), 0.5 * np.ones(40)])
    result, _ = subgroup_metrics(y, probs, "binary", ids=[f"s{i}" for i in range(40)], attributes=attrs, n_resamples=0)
    assert set(result) == {"site"} and {g: e["n"] for g, e in result["site"]["groups"].items()} == {"A": 20, "B": 20}
    with pytest.raises(DataError, match="no column 'sex'.*found columns: x1, site, split, label"):
        read_attributes(data, columns=["sex"])
    with pytest.raises(DataError, match="--attributes"):
        attributes_file(None, "medmnist:pneumoniamnist")


def test_band_names_carry_no_float_noise(tmp_path: Path) -> None:
    """Found by an audit: ages with one decimal were banded as '(32.699000000000005, 54.4]' (pandas'
    lowest edge, 0.1% below the minimum, written in full) in metrics.json, the report and the card."""
    y, probs, ids = _data(4)
    ages = [f"{32.7 + (i * 7.3) % 55:.1f}" for i in range(len(ids))]
    attrs = read_attributes(_write(tmp_path / "a.csv", "id,age\n" + "\n".join(f"{i},{a}" for i, a in zip(ids, ages))))
    result, _ = subgroup_metrics(y, probs, "binary", ids=ids, attributes=attrs, n_resamples=0)
    names = list(result["age"]["groups"])
    assert len(names) == 4 and sum(g["n"] for g in result["age"]["groups"].values()) == len(ids)
    for name in names:  # '(lo, hi]' with at most 6 significant digits each
        lo, hi = (float(v) for v in name.strip("(]").split(", "))
        assert name == f"({lo:.6g}, {hi:.6g}]" and len(name) < 20, name
    assert min(float(n.strip("(").split(",")[0]) for n in names) == pytest.approx(32.7, abs=0.1)
