"""``meddx predict`` and ``meddx evaluate`` on table files name an overflowing row as the file numbers it.

Found by a review: training named a value beyond float32 by its row in the user's file, but
predicting two files numbered their rows in one run (the 2nd row of the second of two 10-row files
was "row 12"), and evaluating a file with a split column named the row's place in the test split
("row 2" for the file's 8th row).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.tiny_table import tiny_table_bundle


def _rows(rng: np.random.Generator, n: int, overflow: int | None = None, split: bool = False) -> str:
    lines = ["marker,bp" + (",split,label" if split else "")]
    for r in range(1, n + 1):
        marker = "1e39" if r == overflow else f"{rng.normal():.3f}"
        tail = f",{'test' if r % 4 == 0 else 'train'},{int(rng.random() > 0.5)}" if split else ""
        lines.append(f"{marker},{120 + 5 * rng.normal():.1f}{tail}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rows")
    return tiny_table_bundle(folder)


def test_predicting_two_files_names_the_row_of_its_own_file(bundle: Path, tmp_path: Path) -> None:
    from meddx.bundle import load_bundle

    rng = np.random.default_rng(1)
    (tmp_path / "a.csv").write_text(_rows(rng, 10))
    (tmp_path / "b.csv").write_text(_rows(rng, 10, overflow=2))
    predictor = load_bundle(bundle)
    with pytest.raises(DataError) as info:
        predictor.predict_files([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert str(info.value).startswith("column 'marker' (row 2 of b.csv): 1e+39 is"), str(info.value)
    ok = predictor.predict_files([tmp_path / "a.csv"])  # a guard: rows without an overflow predict
    assert [p.source for p in ok][:2] == ["a.csv:row1", "a.csv:row2"]


def test_evaluating_a_file_with_a_split_column_names_the_files_row(bundle: Path, tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.data.sources import load_source
    from meddx.evaluation.evaluate import predict_split

    table = tmp_path / "t.csv"
    table.write_text(_rows(np.random.default_rng(2), 40, overflow=8, split=True))  # the test split's 2nd row
    source = load_source(table, carve_val=False)
    with pytest.raises(DataError) as info:
        predict_split(load_bundle(bundle), source, "test")
    assert str(info.value).startswith("column 'marker' (row 8 of t.csv, in the test split): 1e+39"), str(info.value)
