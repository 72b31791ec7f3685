"""``meddx data verify`` on a text file whose columns look swapped: the warning comes before the table,
and ``--fix`` that cannot help is refused in one line with nothing written.

- The warning was printed after the verify table, below class counts and conflicts that are notes
  read as labels: a user read those first.
- ``--fix drop-conflicting`` (or ``drop-duplicates``, ``merge``) on a truly swapped file wrote a
  header-only file (every row is a "conflicting duplicate": the few class names, each with another
  note), or, multi-label merge, each label set labelled with the union of its notes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"  # a planted patient name: must never reach a message or an output
_DEPTS = ("cardiology", "oncology", "neurology")
_SETS = ("cardiology", "oncology;renal", "neurology", "renal;pulmonary", "pulmonary")


def _note(i: int) -> str:
    return f"{CANARY} {i} presented with chest pain radiating to the left arm"


def _swapped(tmp_path: Path, multilabel: bool) -> tuple[Path, list[str]]:
    """A file whose notes are in 'text' and labels in 'label', and the flags that swap them."""
    if multilabel:
        rows = [(_note(i), _SETS[i % 5]) for i in range(30)]
        return (_write(tmp_path / "notes.csv", ["text", "label"], rows),
                ["--text-column", "label", "--label-column", "text", "--label-delimiter", ";"])
    rows = [(_note(i), _DEPTS[i % 3]) for i in range(30)]
    return _write(tmp_path / "notes.csv", ["text", "label"], rows), ["--text-column", "label", "--label-column", "text"]


def _verify(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path, *flags: str):  # type: ignore[no-untyped-def]
    from tests.integration.cli_helpers import run_cli

    return run_cli(["data", "verify", str(path), "--report", str(tmp_path / "report.json"), *flags], capsys)


def _terminal(tmp_path: Path, path: Path, *flags: str) -> str:
    """What a terminal shows of ``meddx data verify``: stdout and stderr interleaved as written (click's
    ``CliRunner`` output), where the order of the stderr warning and the stdout table can be read."""
    from typer.testing import CliRunner

    from meddx.cli.main import app

    result = CliRunner().invoke(app, ["data", "verify", str(path), "--report", str(tmp_path / "shown.json"), *flags])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("multilabel", [False, True])
def test_the_swapped_warning_comes_before_the_verify_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           multilabel: bool) -> None:
    path, flags = _swapped(tmp_path, multilabel)
    result = _verify(tmp_path, capsys, path, *flags)
    assert result.code == 0, result.err
    out, err = result.out, result.err  # the warning on stderr, the table on stdout
    assert "look swapped" in err and "undecodable files" in out
    shown = _terminal(tmp_path, path, *flags)
    assert shown.index("look swapped") < shown.index("verify notes") < shown.index("undecodable files")
    assert (out + err).count("look swapped") == 1 and CANARY not in out + result.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert "30 distinct" in report["summary"]["columns_look_swapped"]  # the JSON report says it, as before


@pytest.mark.parametrize(("multilabel", "policy"), [(False, "drop-conflicting"), (False, "merge"),
                                                    (False, "drop-duplicates"), (True, "drop-conflicting"),
                                                    (True, "merge")])
def test_fix_of_a_truly_swapped_file_is_refused_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], multilabel: bool, policy: str) -> None:
    path, flags = _swapped(tmp_path, multilabel)
    fixed = tmp_path / "fixed.csv"
    result = _verify(tmp_path, capsys, path, *flags, "--fix", policy, "--fixed-output", str(fixed))
    assert result.code == 2, (result.code, result.out, result.err)
    assert result.err.strip().count("\n") == 0 and f"--fix {policy}" in result.err  # one line (after the bar)
    assert "look swapped" in result.err and "nothing written" in result.err
    assert "--text-column text --label-column label" in result.err  # the way to swap them back
    assert not fixed.exists() and not (tmp_path / "report.json").exists()
    assert CANARY not in result.out + result.err and "cardiology" not in result.err


def test_merge_of_a_swapped_file_with_short_notes_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """6-word notes, 30 rows: merge kept 5 rows, each label set labelled with the union of its 6 notes;
    5 rows of 6-word names are too few to look swapped alone, but the file's 30 rows say they are."""
    rows = [(f"{CANARY} {i} seen for chest pain", _SETS[i % 5]) for i in range(30)]
    path = _write(tmp_path / "notes.csv", ["text", "label"], rows)
    fixed = tmp_path / "fixed.csv"
    result = _verify(tmp_path, capsys, path, "--text-column", "label", "--label-column", "text", "--label-delimiter",
                     ";", "--fix", "merge", "--fixed-output", str(fixed))
    assert result.code == 2, (result.code, result.out, result.err)
    assert "the 5 row(s) it would keep still look swapped" in result.err and not fixed.exists()
    assert CANARY not in result.out + result.err


def _coded(tmp_path: Path) -> Path:
    """Every row its own code set; one code set twice, a group for a fix to merge."""
    rows = [(f"{_note(i)} and treated with diuretics then discharged home in stable condition",
             f"I{i:02d}.9;E{i % 7:02d}.1") for i in range(30)]
    rows += [(f"{_note(99)} and sent home", rows[0][1])]
    return _write(tmp_path / "coded.csv", ["note", "codes"], rows)


_CODED_SWAPPED = ["--text-column", "codes", "--label-column", "note", "--label-delimiter", ";"]


def test_verify_warns_that_distinct_code_sets_read_swapped_look_swapped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: no warning (the rule missed distinct "documents"), and the notes were printed and
    reported as the labels of the duplicate group. Now warned first, labels numbered, and without the
    conflicting-duplicates reading, which does not fit distinct documents."""
    result = _verify(tmp_path, capsys, _coded(tmp_path), *_CODED_SWAPPED)
    assert result.code == 0, result.err
    shown = _terminal(tmp_path, _coded(tmp_path), *_CODED_SWAPPED)  # the warning (stderr) above the table (stdout)
    assert shown.index("look swapped") < shown.index("undecodable files")
    assert "nearly each in one row" in result.err and "carry different labels" not in result.out + result.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["source"]["label_names"][:2] == ["#1", "#2"] and CANARY not in result.out + result.err
    assert CANARY not in (tmp_path / "report.json").read_text()


def test_fix_of_distinct_code_sets_read_swapped_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Few duplicates, so the fix kept a swapped file."""
    fixed = tmp_path / "fixed.csv"
    result = _verify(tmp_path, capsys, _coded(tmp_path), *_CODED_SWAPPED, "--fix", "merge", "--fixed-output", str(fixed))
    assert result.code == 2, (result.code, result.out, result.err)
    assert "still look swapped" in result.err and "--text-column note --label-column codes" in result.err
    assert not fixed.exists() and CANARY not in result.out + result.err
