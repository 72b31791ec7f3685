"""NUL characters (U+0000) in the label, id and patient columns of a notes table: ``cardio\\0`` was a
class of its own beside ``cardio``, ``p7\\0`` another patient than ``p7`` (so one patient's notes could
land in train and test), ``n1\\0`` an id unlike ``n1``. They are removed as they are from documents,
with a note naming the column and rows (never a cell)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

CANARY = "CANARYPHI6604"


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(n: int = 8) -> list[dict]:
    return [{"id": f"n{i}", "patient_id": f"p{i // 2}", "text": f"{CANARY} chest pain and cough, visit {i}.",
             "label": "cardio" if i % 2 else "pulmo"} for i in range(n)]


def test_a_label_with_nul_is_its_class_with_a_note(tmp_path: Path) -> None:
    rows = _rows()
    rows[3]["label"] = "cardio\0"
    rows[4]["label"] = "pul\0mo \0"  # the NUL before the end: stripped after its removal
    source = load_text_source(_write(tmp_path / "n.jsonl", rows))
    assert source.label_names == ["cardio", "pulmo"]  # was three classes
    note = [n for n in source.notes if "NUL" in n]
    assert note == ["n.jsonl: column 'label': removed 3 NUL character(s) (U+0000) from 2 label(s) (rows 4, 5): "
                    "bytes of a binary export, which made each label differ from the same label without them"]


def test_a_multilabel_list_with_nul(tmp_path: Path) -> None:
    rows = _rows()
    for i, r in enumerate(rows):
        r["label"] = ["cardio", "pulmo"] if i % 3 == 0 else ["cardio"] if i % 2 else ["pulmo"]
    rows[2]["label"] = ["cardio\0", "pulmo"]
    source = load_text_source(_write(tmp_path / "m.jsonl", rows))
    assert source.task == "multilabel" and source.label_names == ["cardio", "pulmo"]
    assert any("from 1 label(s) (rows 3)" in n for n in source.notes)


def test_ids_and_patients_with_nul(tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["id"] = "n1\0"
    rows[1]["patient_id"] = "p0\0"  # the same patient as row 1
    source = load_text_source(_write(tmp_path / "i.jsonl", rows), id_column="id")
    ids = [i for d in source.splits.values() for i in d.ids]
    patients = [p for d in source.splits.values() for p in d.patient_ids or []]
    assert "n1" in ids and not any("\0" in i for i in ids)
    assert sorted(set(patients)) == ["p0", "p1", "p2", "p3"]  # was also p0\0: another patient
    notes = [n for n in source.notes if "NUL" in n]
    assert any(n.startswith("i.jsonl: column 'id': removed 1 NUL character(s) (U+0000) from 1 id(s) (rows 2)")
               for n in notes), notes
    assert any(n.startswith("i.jsonl: column 'patient_id': removed 1 NUL character(s) (U+0000) from 1 patient id(s)")
               for n in notes), notes
    assert CANARY not in " ".join(source.notes)


def test_an_id_equal_to_another_once_its_nul_is_gone_is_a_repeated_id(tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["id"] = "n0\0"
    path = _write(tmp_path / "d.jsonl", rows)
    with pytest.raises(DataError) as err:
        load_text_source(path, id_column="id")
    assert str(err.value) == (f"{path}: row 2: column 'id' holds the same id as row 1; expected a unique id in every "
                              "row (or leave out --id-column to number the rows)")


def test_predict_names_rows_by_their_ids_without_nul(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_text import read_documents

    rows = _rows(3)
    rows[1]["id"] = "n1\0"
    path = _write(tmp_path / "p.jsonl", rows)
    _, names = read_documents([path], None, id_column="id")
    assert names == [f"{path}:n0", f"{path}:n1", f"{path}:n2"]  # was "n1\0" in predict's output
    err = capsys.readouterr().err
    assert "note: p.jsonl: column 'id': removed 1 NUL character(s) (U+0000) from 1 id(s) (rows 2)" in err
    assert CANARY not in err
