"""``meddx deid`` picks a table's note column as ``meddx train`` does (``data.text_columns``).

Found by the README walk: ``meddx deid notes.csv --out ...`` on a file whose note column is ``note``
stopped with ``no column 'text' (--text-column)``, while ``train`` and ``data verify`` took ``note``
(the longest string column) with a note saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.deid.io import deid_path

NOTE = "Seen by Dr. John Smith on 03/14/2021 at Mercy Hospital; call 555-123-4567."


def test_a_csv_whose_note_column_is_note_is_scrubbed_with_a_note(tmp_path: Path) -> None:
    import pandas as pd

    src = tmp_path / "notes.csv"
    second = "Follow-up with Dr. Smith on 04/01/2021."
    src.write_text(f'id,label,note\n1,cardio,"{NOTE}"\n2,neuro,"{second}"\n')
    summary = deid_path(src, tmp_path / "out.csv")
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert list(out.columns) == ["id", "label", "note"] and list(out["label"]) == ["cardio", "neuro"]
    assert "555-123-4567" not in out["note"][0] and "03/14/2021" not in out["note"][0]
    assert summary.spans > 0
    assert summary.notes == ["notes.csv: no 'text' column; using 'note', the string column with the longest mean "
                             f"length ({(len(NOTE) + len(second)) / 2:.0f} characters); override with --text-column"]


def test_a_jsonl_note_key_is_chosen_and_a_text_column_still_wins(tmp_path: Path) -> None:
    src = tmp_path / "notes.jsonl"
    src.write_text(json.dumps({"pid": "p1", "body": NOTE}) + "\n" + json.dumps({"pid": "p2", "body": None}) + "\n")
    summary = deid_path(src, tmp_path / "out.jsonl")
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["pid"] == "p1" and "555-123-4567" not in first["body"]
    assert "using 'body'" in summary.notes[0]
    named = tmp_path / "named.csv"  # a 'Text' column (any case) is taken without a note
    named.write_text(f'summary,Text\n"{NOTE} {NOTE}","{NOTE}"\n')
    summary = deid_path(named, tmp_path / "named_out.csv")
    assert "555-123-4567" in (tmp_path / "named_out.csv").read_text()  # in 'summary', which is not scrubbed:
    assert summary.notes == ["named.csv: column(s) 'summary' copied unchanged, not scrubbed (only 'Text' is); if they "
                             "hold names, dates or other identifiers, drop them, or de-identify each with --text-column"]


def test_other_columns_left_unscrubbed_are_named_and_numbers_ids_and_labels_are_not(tmp_path: Path) -> None:
    """Only the note column is scrubbed; a name or date column beside it went out unchanged without a word."""
    src = tmp_path / "visits.csv"
    src.write_text(f'id,patient,name,seen,age,label,text\n1,p1,John Smith,2021-03-14,70,cardio,"{NOTE}"\n'
                   f'2,p2,,2021-04-01,8.5,neuro,"{NOTE}"\n')
    summary = deid_path(src, tmp_path / "out.csv", patient_column="patient")
    assert summary.notes == ["visits.csv: column(s) 'name', 'seen' copied unchanged, not scrubbed (only 'text' is); "
                             "if they hold names, dates or other identifiers, drop them, or de-identify each with "
                             "--text-column"]


def test_no_string_column_is_still_refused_and_a_named_column_must_exist(tmp_path: Path) -> None:
    src = tmp_path / "numbers.jsonl"
    src.write_text(json.dumps({"id": 1, "age": 70}) + "\n")
    with pytest.raises(DataError, match="no 'text' column and no other string column; available columns: id, age"):
        deid_path(src, tmp_path / "out.jsonl")
    csv = tmp_path / "notes.csv"
    csv.write_text(f'id,note\n1,"{NOTE}"\n')
    with pytest.raises(DataError, match=r"no column 'body' \(--text-column\); available columns: id, note"):
        deid_path(csv, tmp_path / "out.csv", text_column="body")
    assert not (tmp_path / "out.csv").exists()
