"""Zeros that look like a missing-value code are named (never refused) when a table is read.

Found by an audit: a site that writes a missing measurement as 0 (UCI heart disease: ``chol`` is 0
in all 123 rows of the Switzerland file and in 49 of the VA file; Pima: glucose, blood pressure,
skin thickness, insulin, BMI) was read as a real 0 without a word unless the user already knew
to pass ``--zero-as-missing``. Now the reader warns, naming the file, column, count and option.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from meddx.data.tabular import load_tabular_source

HEART_COLUMNS = "age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,num".split(",")


def write_synthetic(path: Path, n: int = 200, seed: int = 0) -> Path:
    """A table with a known answer: ``chol`` (a measurement near 220) has 20 zeros standing for
    missing and ``ldl`` is 0 in every row; ``pregnancies`` (counts), ``oldpeak`` (a continuous
    value from 0), ``smoker`` (a flag), ``stage`` (a code 0-3) and ``delta`` (signed) hold real zeros."""
    rng = np.random.default_rng(seed)
    chol = np.round(rng.normal(220, 40, n)).clip(120)
    chol[rng.choice(n, 20, replace=False)] = 0
    columns = {
        "chol": chol, "ldl": np.zeros(n), "pregnancies": rng.poisson(3, n),
        "oldpeak": np.round(rng.exponential(1.0, n) * (rng.random(n) < 0.6), 1),
        "smoker": rng.integers(0, 2, n), "stage": rng.integers(0, 4, n), "delta": np.round(rng.normal(0, 2, n)),
        "label": rng.integers(0, 2, n),
    }
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(columns))
        writer.writerows(zip(*(list(map(lambda v: f"{v:g}", c)) for c in columns.values())))
    return path


def test_the_zero_coded_columns_of_a_synthetic_table_are_named(tmp_path: Path) -> None:
    source = load_tabular_source(write_synthetic(tmp_path / "site.csv"))
    named = {w.split("'")[1]: w for w in source.warnings}
    assert set(named) == {"chol", "ldl"}, source.warnings
    assert named["chol"].startswith("site.csv: column 'chol': 20 of 200 filled cells are 0, far below")
    assert "--zero-as-missing chol" in named["chol"] and "0 in all 200 filled cells" in named["ldl"]
    assert (source.split("train").table["chol"] == 0).sum() == 20  # warned, not changed


def test_zero_as_missing_silences_the_warning_for_its_columns(tmp_path: Path) -> None:
    source = load_tabular_source(write_synthetic(tmp_path / "site.csv"), zero_as_missing=["chol"])
    assert [w.split("'")[1] for w in source.warnings] == ["ldl"]


@pytest.mark.parametrize(("values", "flagged"), [
    ([0, 0, 96, 100, 104, 110, 112, 120, 124, 130, 140, 150], True),  # blood pressure with two zeros
    ([0] * 12, True),  # a constant 0
    ([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], False),  # counts continue from 0
    ([0, 0, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.2, 1.4, 2.0, 3.1], False),  # a continuous value from 0
    ([0, 1] * 6, False),  # a flag
    ([0, 0, 96, 100, 104, 110, 112, -120, 124, 130, 140, 150], False),  # signed: 0 is inside the range
    ([0, 96, 100, 104, 110, 112, 120, 124, 130], False),  # 9 filled cells: too few to judge
    ([1, 96, 100, 104, 110, 112, 120, 124, 130, 140], False),  # no zero
])
def test_which_zeros_look_like_a_code(values: list[float], flagged: bool) -> None:
    from meddx.data.tabular_zeros import suspected_zero_code

    assert (suspected_zero_code(np.asarray(values, dtype=np.float64)) is not None) is flagged


@pytest.mark.realdata
def test_real_sites_that_code_missing_as_zero_are_named(shared_data: Path) -> None:
    heart = shared_data / "uci-heart-disease"
    pima = shared_data / "pima-diabetes" / "diabetes.csv"
    if not heart.is_dir() or not pima.is_file():
        pytest.skip("uci-heart-disease or pima-diabetes is absent from the shared data")

    def warned(path: Path, **options: object) -> dict[str, str]:
        return {w.split("'")[1]: w for w in load_tabular_source(path, **options).warnings}

    swiss = warned(heart / "processed.switzerland.data", columns=HEART_COLUMNS)
    assert list(swiss) == ["chol"] and "0 in all 123 filled cells" in swiss["chol"], swiss
    va = warned(heart / "processed.va.data", columns=HEART_COLUMNS)
    assert set(va) == {"trestbps", "chol"} and "49 of 193 filled cells are 0" in va["chol"], va
    assert warned(heart / "processed.cleveland.data", columns=HEART_COLUMNS) == {}
    # the five columns pima-indians-diabetes.names documents as zero for missing; not Pregnancies
    assert set(warned(pima)) == {"Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"}
    assert warned(pima, zero_as_missing=["Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"]) == {}
