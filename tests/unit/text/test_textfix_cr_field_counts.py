"""The field-count check reads a CSV whose lines end in a bare CR: a short row is named by its line as
in an LF file (the check hit ``csv.Error`` on such a file and silently let pandas pad the row)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.csv_rows import check_field_counts
from meddx.data.text import load_text_source

CANARY = "CANARYPHI7731"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_a_short_row_is_named_whatever_the_line_ending(tmp_path: Path, ending: str) -> None:
    rows = ["text,label"] + [f"note {i} seen today,{'ab'[i % 2]}" for i in range(10)]
    rows[4] = f"{CANARY} short row"
    path = tmp_path / "notes.csv"
    path.write_bytes(ending.join(rows + [""]).encode())
    expected = r"notes.csv: line 5 has 1 field\(s\) but the header has 2"
    with pytest.raises(DataError, match=expected) as direct:
        check_field_counts(path)
    with pytest.raises(DataError, match=expected) as loaded:  # as `meddx data info|train` read it
        load_text_source(path)
    assert CANARY not in str(direct.value) + str(loaded.value)


def test_a_quoted_line_break_in_a_cr_file_is_no_short_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_bytes(b'text,label\r"first line\r\nsecond line",a\rnext note,b\r')
    check_field_counts(path)  # no error: the quoted cell holds its line break
