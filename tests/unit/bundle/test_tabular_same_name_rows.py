"""Rows of two table files with the same name in different folders get distinct names.

``meddx predict TABLE a/rows.csv b/rows.csv`` named the first row of both files ``rows.csv:row1``
(printed table, ``--json``, ``--explain`` ``explanations.json``), so a prediction could not be told
from the other file's. Now such a file is named by the shortest trailing part of its path that
tells it apart (``a/rows.csv:row1``, ``b/rows.csv:row1``; ``x/a/rows.csv`` against ``y/a/rows.csv``),
in the row names and in errors alike; a name no other input shares, or one file given twice, keeps
its bare name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.bundle.test_tabular_user_row_ids import bundle  # noqa: F401 (the module's fixture)


def _rows(path: Path, marker: str = "0.2") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"marker,bp\n0.1,120\n{marker},118\n")
    return path


def test_file_names_are_the_shortest_distinguishing_paths(tmp_path: Path) -> None:
    from meddx.bundle.tabular_predictor import file_names

    a, b = tmp_path / "x" / "a" / "rows.csv", tmp_path / "y" / "a" / "rows.csv"
    assert file_names([a, b, tmp_path / "t.csv"]) == ["x/a/rows.csv", "y/a/rows.csv", "t.csv"]
    assert file_names([a, a]) == ["rows.csv", "rows.csv"]  # one file given twice: nothing to tell apart
    assert file_names([a, tmp_path / "x" / "b" / ".." / "a" / "rows.csv"]) == ["rows.csv", "rows.csv"]
    assert file_names([tmp_path / "p" / "rows.csv", f"tabular:{tmp_path / 'q' / 'rows.csv'}"]) == \
        ["p/rows.csv", "q/rows.csv"]


def test_predict_files_names_same_named_files_rows_apart(bundle: Path, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.bundle import load_bundle

    monkeypatch.chdir(tmp_path)
    paths = [_rows(Path("a") / "rows.csv"), _rows(Path("b") / "rows.csv"), _rows(Path("other.csv"))]
    sources = [p.source for p in load_bundle(bundle).predict_files(paths)]
    assert sources == ["a/rows.csv:row1", "a/rows.csv:row2", "b/rows.csv:row1", "b/rows.csv:row2",
                       "other.csv:row1", "other.csv:row2"]


def test_the_cli_json_and_explanations_name_them_apart(bundle: Path, tmp_path: Path,  # noqa: F811
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    paths = [_rows(tmp_path / "site_a" / "rows.csv"), _rows(tmp_path / "site_b" / "rows.csv", "0.9")]
    predict_tabular(load_bundle(bundle), paths, tmp_path / "why", "auto", True)
    printed = [json.loads(line)["source"] for line in capsys.readouterr().out.splitlines()]
    expected = ["site_a/rows.csv:row1", "site_a/rows.csv:row2", "site_b/rows.csv:row1", "site_b/rows.csv:row2"]
    assert printed == expected
    assert [e["source"] for e in json.loads((tmp_path / "why" / "explanations.json").read_text())] == expected


def test_an_error_names_the_row_in_its_file_with_the_short_path(bundle: Path, tmp_path: Path) -> None:  # noqa: F811
    from meddx.bundle import load_bundle
    from meddx.core.errors import DataError

    paths = [_rows(tmp_path / "site_a" / "rows.csv"), _rows(tmp_path / "site_b" / "rows.csv", "1e39")]
    with pytest.raises(DataError) as info:
        load_bundle(bundle).predict_files(paths)
    assert str(info.value).startswith("column 'marker' (row 2 of site_b/rows.csv): 1e+39"), str(info.value)


def test_meddx_explain_names_same_named_files_rows_apart(bundle: Path, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """``meddx explain TABLE a/rows.csv b/rows.csv`` named both files' rows ``rows.csv:row1`` (it read
    each file without the distinguishing name predict uses)."""
    from meddx.explain.api import explain

    monkeypatch.chdir(tmp_path)
    paths = [str(_rows(Path("a") / "rows.csv")), str(_rows(Path("b") / "rows.csv"))]
    sources = [e.source for e in explain(bundle, paths, "auto")]
    assert sources == ["a/rows.csv:row1", "a/rows.csv:row2", "b/rows.csv:row1", "b/rows.csv:row2"]
