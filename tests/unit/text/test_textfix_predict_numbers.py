"""``meddx predict`` reads a JSON number or boolean in the text field as its text, as training reads the
same file (it refused it as "empty or not text", so a file that trained could not be predicted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.cli.predict_text import read_documents
from meddx.core.errors import DataError
from meddx.data.text import _read_table
from meddx.data.text_columns import text_values


def test_numbers_in_the_text_field_are_read_as_training_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    values = [12345, 1.5, True, "chest pain on exertion"]
    path.write_text("".join(json.dumps({"text": v, "label": "a"}) + "\n" for v in values))
    texts, names = read_documents([path], None)
    trained = text_values(path, _read_table(path, "utf-8")["text"], "text", [1, 2, 3, 4])
    assert texts == trained == ["12345", "1.5", "True", "chest pain on exertion"]
    assert names == [f"{path}:row{i}" for i in range(1, 5)]


def test_a_null_text_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps({"text": "a note"}) + "\n" + json.dumps({"text": None}) + "\n")
    with pytest.raises(DataError, match="row 2, column 'text': empty or not text"):
        read_documents([path], None)
