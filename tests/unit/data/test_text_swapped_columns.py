"""Swapped text and label columns are refused whatever the notes' length; real label sets are not.

A file of short notes (one sentence, at most 12 words, no inner full stop) with ``--text-column label
--label-column text`` (or a header in the other order than the data) was read as one class per note,
the class names trained on as documents: the wording test only refuses notes that read as prose. The
structural test: the label column has fewer than 2 rows per class, the text column repeats (at most
half its rows distinct), and the label column is the longer on average.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"  # a planted patient name: must never reach a message
_DEPTS = ("cardiology", "oncology", "neurology")


def _short_notes(n: int) -> list[tuple[str, str]]:
    """(note, department): one sentence of at most 12 words, no inner stop, distinct per row."""
    return [(f"{CANARY} {i} presented with chest pain radiating to the left arm", _DEPTS[i % 3]) for i in range(n)]


@pytest.mark.parametrize("n", [6, 30, 50, 200])
def test_swapped_flags_on_short_notes_are_refused_without_quoting_a_note(tmp_path: Path, n: int) -> None:
    path = _write(tmp_path / "notes.csv", ["text", "label"], _short_notes(n))
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="label", label_column="text")
    message = str(err.value)
    assert str(path) in message and "swapped" in message and "--text-column" in message
    assert f"{n} distinct values in {n} rows" in message
    assert CANARY not in message and "cardiology" not in message and "\n" not in message


def test_a_header_in_the_other_order_than_the_data_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", ["label", "text"], _short_notes(20))  # data rows are note, label
    with pytest.raises(DataError) as err:
        load_text_source(path)
    assert "column 'label' (the labels) holds 20 distinct values" in str(err.value)
    assert CANARY not in str(err.value)


def test_the_same_short_notes_the_right_way_round_are_read(tmp_path: Path) -> None:
    source = load_text_source(_write(tmp_path / "notes.csv", ["text", "label"], _short_notes(30)))
    assert source.task == "multiclass" and source.label_names == sorted(_DEPTS)
    assert sorted(source.splits["train"].texts)[0].startswith(CANARY)


def test_small_multi_word_label_sets_are_labels(tmp_path: Path) -> None:
    names = ["heart failure", "chronic kidney disease stage 3", "no finding"]
    rows = [(f"Seen today {i}", names[i % 3]) for i in range(12)]  # notes shorter than some labels
    source = load_text_source(_write(tmp_path / "small.csv", ["text", "label"], rows))
    assert source.task == "multiclass" and sorted(source.label_names) == sorted(names)


def test_forty_short_phrase_classes_in_few_rows_are_labels(tmp_path: Path) -> None:
    """Nearly one row per class and labels longer than the notes: the notes are distinct, so it stays."""
    kinds = ["acute", "chronic", "benign", "malignant", "congenital", "traumatic", "infective", "idiopathic"]
    organs = ["heart disease", "lung disease", "liver disease", "kidney disease", "skin disease"]
    names = [f"{k} {o}" for k in kinds for o in organs]  # 40 two- and three-word classes
    rows = [(f"case {i}", names[i % 40]) for i in range(45)]
    source = load_text_source(_write(tmp_path / "forty.csv", ["text", "label"], rows))
    assert source.task == "multiclass" and len(source.label_names) == 40


def test_repeated_short_complaints_with_few_categories_are_read(tmp_path: Path) -> None:
    """Chief complaints repeat (the text column has few distinct values) but so do their categories."""
    pairs = [("cp", "cardiovascular complaint"), ("sob", "respiratory complaint"), ("ha", "neurological complaint")]
    rows = [pairs[i % 3] for i in range(30)]
    source = load_text_source(_write(tmp_path / "complaints.csv", ["text", "label"], rows))
    assert source.task == "multiclass" and len(source.label_names) == 3


def test_the_cli_refuses_a_small_swapped_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    path = _write(tmp_path / "notes.csv", ["text", "label"], _short_notes(24))
    result = run_cli(["data", "info", str(path), "--label-column", "text", "--text-column", "label"], capsys)
    assert result.code == 2, result.err
    assert "swapped" in result.err and result.err.count("\n") == 1
    assert CANARY not in result.out + result.err


def test_repeated_documents_with_many_labels_are_told_about_conflicting_duplicates(tmp_path) -> None:
    """A file whose few templated notes carry many labels (not swapped, but unlearnable as it is)
    trips the same rule: the message names that reading too and the command that finds them."""
    import csv

    from meddx.core.errors import DataError
    from meddx.data.text import load_text_source

    path = tmp_path / "templated.csv"
    labels = ["I50.9 Heart failure, unspecified", "I21.4 Non-ST elevation myocardial infarction",
              "J18.9 Pneumonia, unspecified organism", "N18.3 Chronic kidney disease, stage 3",
              "I10 Essential (primary) hypertension", "E11.9 Type 2 diabetes without complications",
              "J44.1 COPD with acute exacerbation"]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for i in range(10):
            writer.writerow(["No acute findings." if i % 2 else "Chest pain.", labels[i % len(labels)]])
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="text", label_column="label")
    assert "conflicting duplicates" in str(err.value) and "meddx data verify" in str(err.value)


def test_data_verify_lists_and_drops_conflicting_duplicates_that_look_swapped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The command the message names must work on that file: verify reports the conflicting groups
    (before, it stopped on the same 'swapped' error) and ``--fix drop-conflicting`` writes a clean file."""
    import json

    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    names = ["I50.9 Heart failure, unspecified", "I21.4 Non-ST elevation myocardial infarction",
             "J18.9 Pneumonia, unspecified organism", "N18.3 Chronic kidney disease, stage 3",
             "I10 Essential (primary) hypertension", "E11.9 Type 2 diabetes without complications",
             "J44.1 COPD with acute exacerbation"]
    rows = [("No acute findings." if i % 2 else "Chest pain.", names[i % len(names)]) for i in range(10)]
    rows += [(f"{CANARY} {i} seen in clinic with stable angina", names[i % 2]) for i in range(3)]
    path = _write(tmp_path / "templated.csv", ["text", "label"], rows)
    report, fixed = tmp_path / "report.json", tmp_path / "fixed.csv"
    result = run_cli(["data", "verify", str(path), "--report", str(report), "--fix", "drop-conflicting",
                      "--fixed-output", str(fixed)], capsys)
    assert result.code == 0, result.err
    said = "".join(x for x in result.err.splitlines(True) if not x.startswith("warning: "))  # the warning: stderr now
    assert "swapped" not in said and CANARY not in result.out + result.err
    summary = json.loads(report.read_text())["summary"]
    assert summary["conflicting_label_groups"] == 2 and summary["conflicting_label_rows"] == 10
    kept = load_text_source(fixed)
    assert len(kept.splits["train"].texts) == 3 and all(t.startswith(CANARY) for t in kept.splits["train"].texts)
