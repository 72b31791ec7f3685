"""A ``.jsonl`` that is one JSON array of records (``json.dump(rows, f)``, the most common way to get
JSON lines wrong) is refused by what it is, with the conversion to run; it was refused as "line 1:
not valid JSON ... fix or drop that line" (pretty-printed) or "line 1: a JSON list", though no
line is wrong. The message counts records and never quotes one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

CANARY = "CANARYPHI4417"
ROWS = [{"text": f"Patient {i} {CANARY} seen with finding {i}.", "label": "a" if i % 2 else "b"} for i in range(6)]


@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "pretty"])
def test_a_json_array_file_is_named_as_such(tmp_path: Path, indent: int | None) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps(ROWS, indent=indent), encoding="utf-8")
    with pytest.raises(DataError, match=r"one JSON array of 6 records, not JSON lines") as info:
        load_text_source(path)
    assert "jq -c '.[]' notes.jsonl" in str(info.value) and CANARY not in str(info.value)


def test_a_list_on_a_later_line_is_still_that_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    lines = [json.dumps(r) for r in ROWS[:3]] + [json.dumps([ROWS[3]])] + [json.dumps(r) for r in ROWS[4:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 4: a JSON list, expected one JSON object per line"):
        load_text_source(path)
    path.write_text("[1, 2]\n" + "\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 1: a JSON list"):  # not an array of records: the line
        load_text_source(path)
