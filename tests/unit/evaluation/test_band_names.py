"""Quartile bands of a whole-number attribute (age in years) are named '20-36', not '(19.999, 36.0]'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from meddx.evaluation.subgroups import _band_if_numeric


def _bands(values: list[str]) -> tuple[pd.Series, pd.Series]:
    """The banded column, and pandas' own quartile intervals of the same values."""
    column = pd.Series(values, dtype=object)
    numeric = pd.to_numeric(column.replace("", np.nan), errors="coerce")
    return _band_if_numeric(column), pd.qcut(numeric, 4, duplicates="drop")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_whole_number_bands_are_named_by_their_first_and_last_value(seed: int) -> None:
    """Found by a docs walk: ages 20..89 were grouped as '(19.999, 36.0]' in metrics.json, the
    report and the card. The names change; which rows fall in which band does not."""
    rng = np.random.default_rng(seed)
    ages = [str(a) for a in rng.integers(20, 90, 300)] + ["20", "89", ""]
    banded, intervals = _bands(ages)
    names = [n for n in banded.unique() if n]
    assert len(names) == 4 and all(n.replace("-", "").isdigit() for n in names), names
    for name in names:  # every row of a band lies between the ages its name gives ...
        lo, hi = (int(v) for v in name.split("-"))
        members = [int(a) for a, b in zip(ages, banded) if b == name]
        assert lo <= min(members) and max(members) <= hi
    # ... and the bands hold exactly the rows pandas' intervals hold (one name per interval)
    pairs = {(str(i), b) for i, b in zip(intervals, banded) if b}
    assert len(pairs) == 4 and len({i for i, _ in pairs}) == 4
    assert banded.iloc[-1] == ""  # an empty cell stays empty
    assert min(int(n.split("-")[0]) for n in names) == 20 and max(int(n.split("-")[1]) for n in names) == 89


def test_bands_of_fractional_or_negative_values_keep_readable_names() -> None:
    fractional, _ = _bands([f"{20 + i * 0.37:.2f}" for i in range(200)])
    assert all(n.startswith("(") and n.endswith("]") for n in fractional.unique()), fractional.unique()
    negative, _ = _bands([str(v) for v in range(-60, 60)])
    assert list(negative.unique()) == ["-60 to -31", "-30 to -1", "0-29", "30-59"]
