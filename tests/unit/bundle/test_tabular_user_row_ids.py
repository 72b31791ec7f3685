"""An overflowing row to predict is named by its row in the file, never by a user's id read as meddx's numbering.

Found by a review: rows to predict are named ``FILE:ID`` (the file's id column) or ``FILE:rowN``
(meddx's numbering, without one), and the float32-overflow error read the row number back from that
name: a user's id ``row5`` on the file's first row was reported as "row 5 of b.csv" (the file has 3
rows), and an id holding ``:`` was split at it. The fix (bundle/tabular_predictor.py ``row_labels``,
cli/predict_tabular.py) counts each file's rows where they are read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ids")
    return tiny_table_bundle(folder)


def _files(folder: Path) -> list[Path]:
    (folder / "a.csv").write_text("id,marker,bp\nrow2,0.3,118\nP:7,0.1,121\n")
    (folder / "b.csv").write_text("id,marker,bp\nrow5,1e39,120\nP2,0.1,121\nP3,0.2,119\n")
    (folder / "c.csv").write_text("id,marker,bp\nrow1,0.3,118\nP:7,1e39,121\n")
    return [folder / "a.csv", folder / "b.csv", folder / "c.csv"]


def test_predict_files_names_the_files_row_and_the_users_id(bundle: Path, tmp_path: Path) -> None:
    from meddx.bundle import load_bundle

    a, b, c = _files(tmp_path)
    predictor = load_bundle(bundle)
    with pytest.raises(DataError) as info:
        predictor.predict_files([a, b])
    assert str(info.value).startswith("column 'marker' (row 1 of b.csv (id 'row5')): 1e+39"), str(info.value)
    with pytest.raises(DataError) as info:
        predictor.predict_files([c])
    assert str(info.value).startswith("column 'marker' (row 2 of c.csv (id 'P:7')): 1e+39"), str(info.value)
    assert [p.source for p in predictor.predict_files([a])] == ["a.csv:row2", "a.csv:P:7"]  # names unchanged


def test_meddx_predict_names_the_files_row(bundle: Path, tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    a, b, _ = _files(tmp_path)
    with pytest.raises(DataError) as info:
        predict_tabular(load_bundle(bundle), [a, b], None, "auto", True)
    assert str(info.value).startswith("column 'marker' (row 1 of b.csv (id 'row5')): 1e+39"), str(info.value)
