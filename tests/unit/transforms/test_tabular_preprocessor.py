"""TabularPreprocessor: statistics from train only, missing indicators, unseen categories, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from meddx.core.errors import DataError, NotFittedError
from meddx.transforms.tabular import TabularPreprocessor

NAN = float("nan")


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    train = pd.DataFrame({"age": [40.0, 50.0, NAN, 70.0], "bmi": [20.0, 22.0, 24.0, 26.0],
                          "sex": pd.Series(["f", "m", "m", None], dtype=object)})
    other = pd.DataFrame({"age": [1000.0, NAN], "bmi": [NAN, 30.0], "sex": pd.Series(["x", "f"], dtype=object)})
    return train, other


def test_statistics_come_from_train_only() -> None:
    train, other = frames()
    pre = TabularPreprocessor(["age", "bmi"], ["sex"]).fit(train)
    assert pre.medians_["age"] == 50.0  # median of 40, 50, 70 (train), not influenced by 1000
    filled = np.array([40.0, 50.0, 50.0, 70.0])
    assert pre.means_["age"] == pytest.approx(filled.mean()) and pre.sds_["age"] == pytest.approx(filled.std())
    x = pre.transform(other)
    names = pre.feature_names
    assert names == ["age", "bmi", "age_missing", "sex=f", "sex=m", "sex=other", "sex_missing"]
    assert x.dtype == np.float32 and x.shape == (2, len(names))
    assert x[0, 0] == pytest.approx((1000.0 - filled.mean()) / filled.std(), rel=1e-6)
    assert x[1, 0] == pytest.approx((50.0 - filled.mean()) / filled.std(), rel=1e-6)  # imputed with the train median
    assert x[1, names.index("age_missing")] == 1.0 and x[0, names.index("age_missing")] == 0.0
    # bmi had no missing value in train: no indicator, but a missing cell is still imputed (train median 23)
    assert "bmi_missing" not in names and x[0, 1] == pytest.approx((23.0 - 23.0) / pre.sds_["bmi"])
    # the training rows come out standardised: mean 0, sd 1
    xt = pre.transform(train)
    assert np.allclose(xt[:, :2].mean(axis=0), 0, atol=1e-6) and np.allclose(xt[:, :2].std(axis=0), 1, atol=1e-5)


def test_unseen_category_goes_to_other_and_missing_to_its_indicator() -> None:
    train, other = frames()
    pre = TabularPreprocessor(["age", "bmi"], ["sex"]).fit(train)
    names = pre.feature_names
    x = pre.transform(other)
    block = [names.index(n) for n in ("sex=f", "sex=m", "sex=other", "sex_missing")]
    assert x[0, block].tolist() == [0, 0, 1, 0]  # "x" never seen in train
    assert x[1, block].tolist() == [1, 0, 0, 0]
    assert pre.transform(train)[3, block].tolist() == [0, 0, 0, 1]


def test_whole_number_categories_match_across_types() -> None:
    train = pd.DataFrame({"cp": pd.Series(["1", "2", "4"], dtype=object)})
    pre = TabularPreprocessor([], ["cp"]).fit(train)
    x = pre.transform(pd.DataFrame({"cp": [2.0, 3.0]}))  # floats from another reader: 2.0 is category "2"
    assert pre.feature_names == ["cp=1", "cp=2", "cp=4", "cp=other"]
    assert x.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]


def test_json_round_trip_is_exact() -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"a": rng.normal(size=50) * 1e3 / 7, "b": np.where(rng.random(50) < 0.2, NAN, rng.random(50)),
                          "c": pd.Series(rng.choice(["u", "v", "w"], 50), dtype=object)})
    pre = TabularPreprocessor(["a", "b"], ["c"]).fit(train)
    back = TabularPreprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    assert back.to_dict() == pre.to_dict()
    assert np.array_equal(back.transform(train), pre.transform(train))


def test_pass_through_keeps_nan_for_trees() -> None:
    train, other = frames()
    pre = TabularPreprocessor(["age", "bmi"], ["sex"], impute=False).fit(train)
    assert "age_missing" not in pre.feature_names
    x = pre.transform(other)
    assert np.isnan(x[1, 0]) and np.isnan(x[0, 1])
    assert pre.means_["age"] == pytest.approx(np.mean([40.0, 50.0, 70.0]))


def test_errors_name_the_problem() -> None:
    train, _ = frames()
    with pytest.raises(NotFittedError, match="not fitted"):
        TabularPreprocessor(["age"], []).transform(train)
    pre = TabularPreprocessor(["age", "bmi"], ["sex"]).fit(train)
    with pytest.raises(DataError, match="'bmi'"):
        pre.transform(train.drop(columns=["bmi"]))
    with pytest.raises(DataError, match="every training row"):
        TabularPreprocessor(["age"], []).fit(pd.DataFrame({"age": [NAN, NAN]}))
