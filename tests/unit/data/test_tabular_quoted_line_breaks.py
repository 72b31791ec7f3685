"""A quoted cell's blank lines and line breaks are read as written; only blank rows are skipped.

``data.tabular_read.read_lines`` cut the file into lines (at any Unicode line break) and dropped the
blank ones before the csv module parsed them: a quoted cell ``"first\\n\\nthird"`` was read as
``first\\nthird``, and a carriage return or a Unicode line separator inside a quoted cell became a
newline, so a category read at training and the same cell read to predict could differ from the
file. Now the csv module parses the whole text and only rows that are entirely blank are left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.tabular_read import read_rows


def test_a_quoted_cells_blank_line_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('note,age,label\n"first\n\nthird",50,1\n\n"x",60,0\n   \n', encoding="utf-8")
    header, rows, had_header = read_rows(path)
    assert header == ["note", "age", "label"] and had_header
    assert rows == [["first\n\nthird", "50", "1"], ["x", "60", "0"]]  # the blank rows between are no rows


def test_crlf_files_keep_a_cells_own_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes('note;age\r\n"a\r\n\r\nb";1\r\n\r\n"c\u2028d";2\r\n"e\rf";3'.encode())
    _, rows, _ = read_rows(path)
    assert rows == [["a\r\n\r\nb", "1"], ["c\u2028d", "2"], ["e\rf", "3"]]


def test_rows_are_counted_past_a_multi_line_cell(tmp_path: Path) -> None:
    """"row N" counts data rows, not lines: the short row after a three-line cell is row 2."""
    path = tmp_path / "t.csv"
    path.write_text('note,age,label\n"a\n\nb",50,1\n\n"c",60\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2 has 2 cells but the header has 3 columns"):
        read_rows(path)


def test_an_all_blank_file_is_still_empty(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("\n  \r\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_rows(path)


def test_predict_reads_the_cell_as_training_did(tmp_path: Path) -> None:
    """Row names and values to predict: the blank rows are no rows, the quoted cell stays whole."""
    from meddx.data.tabular import read_feature_table

    path = tmp_path / "rows.csv"
    path.write_text('id,marker,site\n\nP1,0.5,"north\n\nwing"\n\nP2,0.1,south\n', encoding="utf-8")
    ids, table = read_feature_table(path, {}, ["marker"], ["site"])
    assert ids == ["rows.csv:P1", "rows.csv:P2"]
    assert list(table["site"]) == ["north\n\nwing", "south"]
