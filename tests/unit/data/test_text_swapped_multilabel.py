"""Swapped text and label columns of a multi-label file are refused; real multi-label files are read;
``meddx data verify`` says when a file it reads looks swapped, and never prints or writes its "labels".

Multi-label (``--label-delimiter ';'``) with ``--text-column labels --label-column text`` read each note
as a one-row label and the label sets as documents: the swapped check ran for single-label tasks only.
The structural rule for multi-label counts each row's label SET as one value: the label column has
more distinct sets than half the rows, is longer on average, and the text column has at most two
thirds as many distinct values as there are label sets (a real file's label set is a function of its
document). ``data verify`` skips the refusal (its file may be conflicting duplicates, which look the
same) but printed every note as a label and wrote them into the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"  # a planted patient name: must never reach a message or the report
_LABELS = ("cardiology", "oncology", "neurology", "renal", "pulmonary")


def _note(i: int) -> str:
    return f"{CANARY} {i} presented with chest pain radiating to the left arm"


def _multilabel_rows(n: int, sets: int = 5) -> list[tuple[str, str]]:
    """(note, label set): distinct one-sentence notes, ``sets`` label sets of 1-2 labels repeating."""
    combos = [";".join(_LABELS[j % 5] for j in range(k, k + 1 + k % 2)) for k in range(sets)]
    return [(_note(i), combos[i % sets]) for i in range(n)]


@pytest.mark.parametrize("n", [8, 40, 200])
def test_swapped_flags_on_a_multilabel_file_are_refused_without_quoting_a_note(tmp_path: Path, n: int) -> None:
    path = _write(tmp_path / "notes.csv", ["text", "labels"], _multilabel_rows(n))
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="labels", label_column="text", label_delimiter=";")
    message = str(err.value)
    assert str(path) in message and "swapped" in message and "--text-column" in message
    assert f"{n} distinct label sets in {n} rows" in message
    assert CANARY not in message and "cardiology" not in message and "\n" not in message


def test_a_multilabel_header_in_the_other_order_than_the_data_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", ["labels", "text"], _multilabel_rows(30))  # rows are note, label set
    with pytest.raises(DataError) as err:
        load_text_source(path, label_delimiter=";")
    assert "column 'labels' (the labels) holds 30 distinct label sets" in str(err.value)
    assert CANARY not in str(err.value)


def test_a_small_swapped_file_with_many_label_combinations_is_refused(tmp_path: Path) -> None:
    """12 rows whose label sets are 7 of the combinations of 5 labels: more than half the rows are
    distinct "documents", but there are far fewer of them than the 12 one-row "labels"."""
    combos = ["cardiology", "oncology", "renal", "cardiology;renal", "oncology;renal", "neurology", "pulmonary"]
    rows = [(_note(i), combos[i % len(combos)]) for i in range(12)]
    path = _write(tmp_path / "small.csv", ["text", "labels"], rows)
    with pytest.raises(DataError, match="swapped"):
        load_text_source(path, text_column="labels", label_column="text", label_delimiter=";")


def test_the_same_multilabel_file_the_right_way_round_is_read(tmp_path: Path) -> None:
    source = load_text_source(_write(tmp_path / "notes.csv", ["text", "labels"], _multilabel_rows(40)),
                              label_delimiter=";")
    assert source.task == "multilabel" and source.label_names == sorted(_LABELS)
    assert "looks_swapped" not in source.columns


def test_short_repeated_documents_with_repeating_label_sets_are_read(tmp_path: Path) -> None:
    """Chief complaints repeat, and so do their label sets (each a function of the complaint)."""
    pairs = [("cp", "cardiovascular complaint;chest pain"), ("sob", "respiratory complaint;dyspnoea"),
             ("ha", "neurological complaint;headache")]
    rows = [pairs[i % 3] for i in range(30)]
    source = load_text_source(_write(tmp_path / "complaints.csv", ["text", "labels"], rows), label_delimiter=";")
    assert source.task == "multilabel" and len(source.label_names) == 6


def test_distinct_short_notes_with_nearly_unique_code_sets_are_read(tmp_path: Path) -> None:
    """ICD coding: every note has its own set of long code titles (longer than the note); the notes are
    distinct, so the file is read."""
    codes = [f"I{k:02d}.9 chronic disease of organ system number {k}, unspecified" for k in range(20)]
    rows = [(f"Seen {i}", ";".join(codes[(i + j * 7) % 20] for j in range(3))) for i in range(30)]
    source = load_text_source(_write(tmp_path / "icd.csv", ["text", "labels"], rows), label_delimiter=";")
    assert source.task == "multilabel" and len(source.label_names) == 20


def test_a_json_list_multilabel_file_swapped_is_refused(tmp_path: Path) -> None:
    """Label sets as JSON lists: swapped, the lists are the documents and the notes plain labels."""
    rows = [(_note(i), json.dumps(list(_LABELS[i % 3:i % 3 + 2]))) for i in range(20)]
    path = _write(tmp_path / "notes.csv", ["text", "labels"], rows)
    with pytest.raises(DataError, match="swapped") as err:
        load_text_source(path, text_column="labels", label_column="text")
    assert CANARY not in str(err.value)


# ------------------------------------------------------------------------------- data verify
def _verify(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
            path: Path, *flags: str) -> tuple[object, dict, str]:
    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    report = tmp_path / "report.json"
    result = run_cli(["data", "verify", str(path), "--report", str(report), *flags], capsys)
    return result, json.loads(report.read_text()), report.read_text()


@pytest.mark.parametrize("multilabel", [False, True])
def test_data_verify_says_a_swapped_file_looks_swapped_and_never_shows_its_notes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, multilabel: bool) -> None:
    """Before: verify listed every note as a label ("train:row1 (Quillfeather 0 presented ...)") and
    wrote them into the report's label names, without a word about the columns."""
    if multilabel:
        path = _write(tmp_path / "notes.csv", ["text", "labels"], _multilabel_rows(24))
        flags = ["--text-column", "labels", "--label-column", "text", "--label-delimiter", ";"]
    else:
        rows = [(_note(i), ("cardiology", "oncology", "neurology")[i % 3]) for i in range(24)]
        path = _write(tmp_path / "notes.csv", ["text", "label"], rows)
        flags = ["--text-column", "label", "--label-column", "text"]
    result, report, raw = _verify(tmp_path, capsys, monkeypatch, path, *flags)
    assert result.code == 0, result.err
    printed = result.out + result.err
    assert CANARY not in printed and CANARY not in raw
    assert "look swapped" in printed and "--text-column" in printed
    assert "24 distinct" in report["summary"]["columns_look_swapped"]
    assert report["source"]["label_names"][:2] == ["#1", "#2"]
    assert report["summary"]["conflicting_label_groups"] > 0  # the repeated "documents" are still listed


def test_data_verify_of_a_file_that_is_not_swapped_prints_its_labels(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a file whose columns look swapped has its labels numbered."""
    rows = [(_note(i), ("cardiology", "oncology")[i % 2]) for i in range(10)] + [(_note(0), "oncology")]
    result, report, _ = _verify(tmp_path, capsys, monkeypatch, _write(tmp_path / "n.csv", ["text", "label"], rows))
    assert result.code == 0, result.err
    assert "swapped" not in result.out + result.err and "columns_look_swapped" not in report["summary"]
    assert report["source"]["label_names"] == ["cardiology", "oncology"] and "(oncology)" in result.out


def test_fix_of_a_file_that_looks_swapped_writes_the_real_labels(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The numbers are for showing only: the rows --fix keeps are written with their own labels."""
    names = ["I50.9 Heart failure, unspecified", "I21.4 Non-ST elevation myocardial infarction",
             "J18.9 Pneumonia, unspecified organism", "N18.3 Chronic kidney disease, stage 3",
             "I10 Essential (primary) hypertension", "E11.9 Type 2 diabetes without complications",
             "J44.1 COPD with acute exacerbation"]
    rows = [("No acute findings." if i % 2 else "Chest pain.", names[i % len(names)]) for i in range(10)]
    rows += [(_note(i), names[i % 2]) for i in range(3)]
    fixed = tmp_path / "fixed.jsonl"  # another format than the input: written in meddx's own layout
    result, report, _ = _verify(tmp_path, capsys, monkeypatch, _write(tmp_path / "t.csv", ["text", "label"], rows),
                                "--fix", "drop-conflicting", "--fixed-output", str(fixed))
    assert result.code == 0, result.err
    assert "columns_look_swapped" in report["summary"]
    kept = [json.loads(line) for line in fixed.read_text().splitlines()]
    assert [r["label"] for r in kept] == [names[0], names[1], names[0]]
