"""Infinite, out-of-range and true/false cells among numbers: one precise error, the same in
training, in a file to predict and in a served JSON row; NaN is missing in all three."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.tabular import feature_row_from_json, load_tabular_source, read_feature_table
from meddx.data.tabular_info import print_table_info, table_source_info

CASES = [("Infinity", "is not a finite number (infinite)"), ("-inf", "is not a finite number (infinite)"),
         ("1e400", "is not a finite number (beyond the float64 range"),
         ("true", "is a true/false value, not a number (write 1 or 0)")]


def _table(path: Path, cell: str, rows: int) -> Path:
    lines = ["age,sex,label"] + [f"{20 + i},{'m' if i % 2 else 'f'},{i % 2}" for i in range(rows)]
    lines[3] = f"{cell},m,0"  # data row 3
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("rows", [30, 4])
@pytest.mark.parametrize(("cell", "words"), CASES)
def test_training_table_names_the_row_column_and_what_was_expected(tmp_path: Path, cell: str, words: str,
                                                                   rows: int) -> None:
    """Found by a docs walk: 'Infinity' or '1e400' (float overflow) among ages was "not a number"
    with advice to pass --categorical, and in a small table the age column silently became
    categories (one per value)."""
    with pytest.raises(DataError) as info:
        load_tabular_source(_table(tmp_path / "t.csv", cell, rows))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 't.csv'}: row 3, column 'age': '{cell}' {words}"), message
    assert "expected a finite number, or an empty cell for missing" in message and "--categorical" not in message


@pytest.mark.parametrize(("cell", "words"), CASES)
def test_rows_to_predict_and_served_rows_say_the_same(tmp_path: Path, cell: str, words: str) -> None:
    """Found by a docs walk: the same cells in a served `{"row": ...}` or a file to predict gave
    "column 'age' holds text, but the model was trained on it as numbers", naming no row or value."""
    path = tmp_path / "p.csv"
    path.write_text(f"age,sex\n{cell},m\n")
    with pytest.raises(DataError, match=rf"p\.csv: row 1, column 'age': '{cell}' {re.escape(words)}.*finite number"):
        read_feature_table(path, {}, ["age"], ["sex"])
    with pytest.raises(DataError, match=rf"^row: column 'age': '{cell}' {re.escape(words)}.*finite number, or null"):
        feature_row_from_json({"age": cell, "sex": "m"}, {}, ["age"], ["sex"])


@pytest.mark.parametrize("body", ['{"age": Infinity}', '{"age": -Infinity}', '{"age": 1e400}', '{"age": true}'])
def test_json_numbers_that_are_not_finite_are_refused(body: str) -> None:
    """JSON Infinity and 1e400 decode to an infinite float, true to a bool: each named, not "holds text"."""
    with pytest.raises(DataError, match=r"^row: column 'age': .*(not a finite number|true/false).*null") as info:
        feature_row_from_json(json.loads(body), {}, ["age"], [])
    assert "holds text" not in str(info.value)


def test_nan_is_missing_everywhere_and_data_info_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """NaN (as pandas writes a missing value) is read as missing in training, prediction and serving alike."""
    source = load_tabular_source(_table(tmp_path / "t.csv", "NaN", 30))
    assert source.numeric == ["age"] and int(np.isnan(source.split("train").table["age"]).sum()) == 1
    _, table = read_feature_table(_table(tmp_path / "p.csv", "nan", 30), {}, ["age"], ["sex"])
    assert np.isnan(table["age"][2]) and table["age"].notna().sum() == 29
    for value in ("NaN", float("nan"), None):
        assert np.isnan(feature_row_from_json({"age": value}, {}, ["age"], []).iloc[0, 0])
    info = table_source_info(source)
    assert "NaN" in info["missing_values"] and [c["missing"] for c in info["columns"] if c["name"] == "age"] == [1]
    print_table_info(info)
    assert "missing cells (counted above): empty, ?, N/A, NA, NaN" in capsys.readouterr().out


def test_a_column_of_true_false_words_is_still_categories(tmp_path: Path) -> None:
    lines = ["smoker,age,label"] + [f"{'true' if i % 3 else 'false'},{20 + i % 10},{i % 2}" for i in range(30)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    assert load_tabular_source(tmp_path / "t.csv").categorical == ["smoker"]
