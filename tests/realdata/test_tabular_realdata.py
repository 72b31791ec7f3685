"""The two public tables read with the documented counts (UCI Cleveland heart disease, Pima diabetes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.sources import load_source

pytestmark = pytest.mark.realdata

CLEVELAND = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak", "slope", "ca",
             "thal", "num"]
PIMA_ZEROS = {"Glucose": 5, "BloodPressure": 35, "SkinThickness": 227, "Insulin": 374, "BMI": 11}


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def test_cleveland(shared_data: Path) -> None:
    path = _need(shared_data / "uci-heart-disease" / "processed.cleveland.data")
    src = load_source(path, carve_val=False, options={"columns": CLEVELAND, "positive_labels": ["1", "2", "3", "4"]})
    train = src.split("train")
    assert list(src.splits) == ["train"] and len(train) == 303
    assert src.label_names == ["num=0", "num in {1,2,3,4}"] and int(train.labels.sum()) == 139
    assert int(train.table.isna().sum().sum()) == 6  # the six '?' cells
    assert train.table.isna().sum()[["ca", "thal"]].tolist() == [4, 2]
    assert src.feature_columns == CLEVELAND[:-1] and src.numeric == CLEVELAND[:-1]


def test_pima(shared_data: Path) -> None:
    path = _need(shared_data / "pima-diabetes" / "diabetes.csv")
    src = load_source(path, carve_val=False, options={"zero_as_missing": list(PIMA_ZEROS)})
    train = src.split("train")
    assert len(train) == 768 and int(train.labels.sum()) == 268
    assert src.label_names == ["Outcome=0", "Outcome=1"]
    assert train.table.isna().sum()[list(PIMA_ZEROS)].to_dict() == PIMA_ZEROS
    raw = load_source(path, carve_val=False)  # without the option zeros stay values
    assert int(raw.split("train").table.isna().sum().sum()) == 0
    headerless = load_source(_need(shared_data / "pima-diabetes" / "pima-indians-diabetes.data.csv"), carve_val=False,
                             options={"columns": [*src.feature_columns, "Outcome"]})
    assert np.array_equal(headerless.split("train").labels, train.labels)
    assert np.allclose(headerless.split("train").table.to_numpy(float), raw.split("train").table.to_numpy(float))
