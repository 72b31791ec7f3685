"""Table columns a model must not learn from silently: numbers written with a comma (thousands
separator or decimal comma) or a comparison sign (``<5``), which were read as one category per
value, and row identifiers
(a gapless run of integers, or text that differs in every row), which a model memorises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.tabular import load_tabular_source, trainless_allowed

N = 40


def _table(path: Path, header: str, row: "callable") -> Path:
    path.write_text("\n".join([header, *(row(i) for i in range(N))]) + "\n")
    return path


def _labels() -> np.ndarray:
    return (np.random.default_rng(0).random(N) < 0.5).astype(int)


@pytest.mark.parametrize("cell, shown", [(lambda i: f'"{1000 + 37 * i:,}"', "1,000"),
                                         (lambda i: f'"{36 + i % 4},{i % 10}"', "36,0")])
def test_a_number_written_with_a_comma_is_refused_not_made_a_category(tmp_path: Path, cell: "callable",
                                                                     shown: str) -> None:
    y = _labels()
    path = _table(tmp_path / "t.csv", "charges,x,label", lambda i: f"{cell(i)},{i % 7},{y[i]}")
    with pytest.raises(DataError, match=rf"row 1, column 'charges': '{shown}' looks like a number written with a comma"):
        load_tabular_source(path)


def test_values_below_a_detection_limit_are_refused_not_made_categories(tmp_path: Path) -> None:
    """A troponin column where a third of the cells read ``<0.01`` was silently categorical."""
    y = _labels()
    path = _table(tmp_path / "t.csv", "trop,x,label", lambda i: f"{'<0.01' if i % 3 == 0 else 0.02 * i},{i % 7},{y[i]}")
    with pytest.raises(DataError, match=r"row 1, column 'trop': '<0.01' is a number with a comparison sign .*14 such"):
        load_tabular_source(path)


def test_a_text_column_with_commas_stays_categorical(tmp_path: Path) -> None:
    y = _labels()
    path = _table(tmp_path / "t.csv", "site,x,label", lambda i: f'"Boston, MA",{i % 7},{y[i]}' if i % 2 else
                  f"Leeds,{i % 7},{y[i]}")
    assert load_tabular_source(path).categorical == ["site"]


@pytest.mark.parametrize("header, row", [
    ("record,x,label", lambda i, y: f"{(i * 7) % N + 1},{i % 5},{y}"),   # 1..40 shuffled
    ("code,x,label", lambda i, y: f"P{i:04d},{i % 5},{y}"),              # text unique per row
])
def test_a_row_identifier_is_refused_as_a_feature(tmp_path: Path, header: str, row: "callable") -> None:
    y = _labels()
    path = _table(tmp_path / "t.csv", header, lambda i: row(i, y[i]))
    name = header.split(",")[0]
    with pytest.raises(DataError, match=rf"column '{name}' holds a different value in every row .* --id-column {name}"):
        load_tabular_source(path)
    source = load_tabular_source(path, id_column=name)  # named as the id: not a feature, and accepted
    assert name not in source.feature_columns and len(source.split("train").ids) == N
    with trainless_allowed():  # evaluation reads a file with the bundle's columns, unchecked
        assert name in load_tabular_source(path).feature_columns


def test_measurements_that_differ_in_every_row_are_kept(tmp_path: Path) -> None:
    """Unique values with gaps (a lab value) or with decimals are measurements, not ids."""
    y = _labels()
    path = _table(tmp_path / "t.csv", "chol,bmi,label", lambda i: f"{150 + 3 * i},{20 + i / 7:.3f},{y[i]}")
    assert load_tabular_source(path).numeric == ["chol", "bmi"]


def test_a_stray_third_label_value_is_named_in_the_notes(tmp_path: Path) -> None:
    """0/1 outcomes with two rows labelled 2 make a 3-class source (as the file says); the notes
    name the nearly empty class, as the long-format series reader does."""
    y = _labels()
    path = _table(tmp_path / "t.csv", "x,label", lambda i: f"{i % 7},{2 if i in (3, 9) else y[i]}")
    source = load_tabular_source(path)
    assert source.task == "multiclass" and source.label_names == ["label=0", "label=1", "label=2"]
    assert any("3 classes, some nearly empty: 'label=2' (2 row(s))" in n for n in source.notes), source.notes
    assert not any("nearly empty" in n for n in load_tabular_source(path, positive_labels=["1", "2"]).notes)
