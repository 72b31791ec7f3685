"""Rows to predict given as a Parquet file or a spreadsheet workbook are refused naming the format.

Found by a review of the table-predict row numbering (1669bc0): ``meddx predict BUNDLE rows.parquet``
said "rows.parquet: byte offset 20 (line 1) is not valid UTF-8; re-encode the file as UTF-8 (e.g.
iconv -f latin1 -t utf-8)", advice that cannot help. A table bundle reads CSV/TSV text, as its
training file was read; the error now says what the file is and how to write it as CSV
(``data.tabular_read.refuse_binary_table``, used by ``read_lines``: training, predict, ``--explain`` and explain).

Also checked here: the row an error names is counted as the reader counts rows in its own errors
(data rows from 1; the header and blank lines not counted; a quoted cell's line break stays in its row).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from meddx.bundle import load_bundle
    folder = tmp_path_factory.mktemp("binary_rows")
    return load_bundle(tiny_table_bundle(folder))


def _refusal(predictor, path: Path) -> str:  # type: ignore[no-untyped-def]
    from meddx.cli.predict_tabular import predict_tabular

    with pytest.raises(DataError) as info:
        predictor.predict_files([path])
    with pytest.raises(DataError) as cli:
        predict_tabular(predictor, [path], None, "auto", True)
    assert str(cli.value) == str(info.value)
    return str(info.value)


def test_a_parquet_file_is_refused_naming_the_format(predictor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "rows.parquet"  # Parquet's magic opens and closes the file; its pages are binary
    rows.write_bytes(b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00\x08\x1c\xff\xfe\x00\x00PAR1")
    message = _refusal(predictor, rows)
    assert message.startswith(f"{rows}: a Parquet file, not a text table") and "to_csv" in message, message
    assert "UTF-8" not in message and "\n" not in message


def test_a_workbook_is_refused_naming_the_format(predictor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "rows.xlsx"  # an .xlsx is a zip archive
    rows.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4\x00\x00\x00L\x02\x00\x00")
    message = _refusal(predictor, rows)
    assert message.startswith(f"{rows}: a zip archive (an .xlsx workbook is one), not a text table"), message
    assert "Save As CSV" in message and "UTF-8" not in message


def test_a_text_table_whose_header_starts_like_parquet_is_read(predictor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "rows.csv"
    rows.write_text("PAR1,marker,bp\nx,0.3,118\ny,-0.4,121\n")  # a column named PAR1: text, not Parquet
    assert len(predictor.predict_files([rows])) == 2


def test_an_overflow_names_the_row_as_the_readers_own_errors_do(predictor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A blank line and a cell holding a line break before the bad row: the overflow error and the
    reader's infinite-cell error name the same row of the same file."""
    body = 'id,marker,bp,note\nP1,0.3,118,"two\nlines"\n\nP2,{},121,x\n'
    named = []
    for value, name in (("1e39", "overflow.csv"), ("inf", "infinite.csv")):
        (tmp_path / name).write_text(body.format(value))
        with pytest.raises(DataError) as info:
            predictor.predict_files([tmp_path / name])
        named.append(str(info.value))
    assert "(row 2 of overflow.csv (id 'P2'))" in named[0], named[0]
    assert "infinite.csv: row 2, column 'marker'" in named[1], named[1]


def test_training_on_a_parquet_table_is_refused_naming_the_format(tmp_path: Path) -> None:
    """``tabular:PATH`` forces the table reader, which training shares with predict: same refusal."""
    from meddx.data.tabular import load_tabular_source

    table = tmp_path / "train.parquet"
    table.write_bytes(b"PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00\x08\x1c\xff\xfe\x00\x00PAR1")
    with pytest.raises(DataError) as info:
        load_tabular_source(f"tabular:{table}")
    assert str(info.value).startswith(f"{table}: a Parquet file, not a text table"), info.value
    assert "UTF-8" not in str(info.value)
