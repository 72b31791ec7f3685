"""CSV rows whose field count differs from the header's are refused, naming the line, not the cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.csv_rows import check_field_counts
from meddx.data.text import load_text_source

NOTE = "Dr. Zebulon Quixley, SSN 123-45-6789"


@pytest.mark.parametrize(("text", "line", "fields"), [
    (f'id,text\n1,"{NOTE}",extra\n2,b\n', 2, 3),  # pandas would shift every column: the note lands in "id"
    ('id,text\n1,a\n2\n3,c\n', 3, 1),  # pandas would pad it: the note silently vanishes
    ('id,text\n1,"two\nlines"\n\n2,b,c\n', 5, 3),  # a quoted line break is one cell; a blank line is no row
])
def test_the_first_row_with_another_field_count_is_named(text: str, line: int, fields: int) -> None:
    with pytest.raises(DataError, match=rf"f\.csv: line {line} has {fields} field\(s\) but the header has 2") as err:
        check_field_counts("f.csv", text)
    assert "Quixley" not in str(err.value) and "123-45" not in str(err.value)


def test_well_formed_files_pass_whatever_their_quoting(tmp_path: Path) -> None:
    check_field_counts("f.csv", 'id,text\n1,"a, b"\n2,"say ""hi"", then\nleave"\n\n')
    check_field_counts("f.tsv", "id\ttext\n1\ta, b\n", delimiter="\t")
    path = tmp_path / "m.csv"
    path.write_text('path,label\nimg.png, "a,b"\n')  # a space before the quote: as pandas' skipinitialspace reads it
    check_field_counts(path, skipinitialspace=True)


def test_the_text_reader_refuses_a_shifted_first_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(f'text,label\n"{NOTE}",a,extra\n' + "".join(f"doc {i},{'ab'[i % 2]}\n" for i in range(10)))
    with pytest.raises(DataError, match="line 2 has 3 field"):
        load_text_source(path)
