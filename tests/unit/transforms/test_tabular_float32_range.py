"""A table value that standardises beyond float32 (the model's type) is an error naming its column.

Found serving a table bundle: ``{"row": {"marker": 1e39, ...}}`` (and the same row in a CSV for
``meddx predict``) became infinite in the float32 cast and failed as "probs must be finite
probabilities in [0, 1]; ... (apply softmax/sigmoid to logits first)", naming neither the column
nor the value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from meddx.core.errors import DataError
from meddx.transforms.tabular import TabularPreprocessor

TRAIN = pd.DataFrame({"marker": [0.1, -0.4, 0.9, 1.3], "bp": [120.0, 135.0, 110.0, 128.0], "site": list("nsns")})


def _fitted() -> TabularPreprocessor:
    return TabularPreprocessor(["marker", "bp"], ["site"]).fit(TRAIN)


@pytest.mark.parametrize("rows, where", [
    ({"marker": [1e39], "bp": [120.0], "site": ["n"]}, "column 'marker': 1e+39 is"),
    ({"marker": [0.2, 0.3], "bp": [120.0, -1e300], "site": ["n", "s"]}, "column 'bp' (row 2): -1e+300 is"),
])
def test_a_value_beyond_float32_after_scaling_names_its_column(rows: dict, where: str) -> None:
    with pytest.raises(DataError) as info:
        _fitted().transform(pd.DataFrame(rows))
    assert str(info.value).startswith(where) and "float32" in str(info.value)


def test_large_values_within_float32_and_missing_ones_still_transform() -> None:
    rows = pd.DataFrame({"marker": [1e30, np.nan], "bp": [120.0, 125.0], "site": ["n", "s"]})
    out = _fitted().transform(rows)
    assert np.isfinite(out).all() and out[0, 0] > 1e30
    plain = TabularPreprocessor(["marker", "bp"], ["site"], impute=False).fit(TRAIN).transform(rows)
    assert np.isnan(plain[1, 0]) and np.isfinite(plain[0, 0])
