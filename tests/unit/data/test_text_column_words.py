"""A --text-column that names a word of a column (a plural aside) is suggested: ``notes`` for
``note_text``, as docs/text.md promises; unrelated names are not."""

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from meddx.data.text_columns import close_columns


def test_a_plural_word_of_a_column_is_suggested():
    assert close_columns(["id", "note_text", "label"], "notes") == ["note_text"]
    assert close_columns(["id", "Report_Body", "label"], "report") == ["Report_Body"]


def test_unrelated_names_are_not_suggested():
    assert close_columns(["report_date", "label", "patient_id"], "notes") == []
    assert close_columns(["id", "note_text", "label"], "txt") == []


def test_the_error_names_the_meant_column(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("note_text,label\n" + "".join(f"fever {i},a\nrash {i},b\n" for i in range(5)), encoding="utf-8")
    with pytest.raises(DataError, match="did you mean 'note_text'"):
        load_text_source(path, text_column="notes")
