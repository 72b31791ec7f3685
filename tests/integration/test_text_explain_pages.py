"""``meddx predict BUNDLE --text ... --explain DIR`` never loses a page already written.

Pages are named ``document0001.html``...: a second run into the same folder replaced the first
run's pages (each showing another document) without a word. Now it is refused before anything is
predicted, in one line naming the page and the two ways on (another folder, or ``--overwrite``), as
``data verify`` treats its outputs; other files in the folder are never touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def _one_line(result: object) -> str:
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err
    return lines[0]


def test_a_second_predict_into_the_same_folder_keeps_the_first_pages(text_run: dict, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    out = tmp_path / "expl"
    first = run_cli(["predict", "notes:1", "--text", "seizure noted overnight", "--explain", str(out)], capsys)
    assert first.code == 0, first.err
    page = out / "document0001.html"
    before = page.read_bytes()
    (out / "my_notes.txt").write_text("the reviewer's own notes")  # another file in the folder

    again = run_cli(["predict", "notes:1", "--text", "tumour resected", "--text", "cough", "--explain", str(out)],
                    capsys)
    line = _one_line(again)
    assert str(page) in line and "--overwrite" in line and "already exists" in line
    assert page.read_bytes() == before and not (out / "document0002.html").exists()
    assert again.out.strip() == ""  # refused before predicting: no table

    replaced = run_cli(["predict", "notes:1", "--text", "tumour resected", "--text", "cough", "--explain", str(out),
                        "--overwrite"], capsys)
    assert replaced.code == 0, replaced.err
    assert page.read_bytes() != before and (out / "document0002.html").is_file()
    assert (out / "my_notes.txt").read_text() == "the reviewer's own notes"


def test_pages_that_do_not_collide_are_written_beside_other_files(text_run: dict, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    out = tmp_path / "expl"
    out.mkdir()
    (out / "index.html").write_text("kept")
    result = run_cli(["predict", "notes:1", "--text", "seizure noted", "--explain", str(out)], capsys)
    assert result.code == 0, result.err
    assert (out / "document0001.html").is_file() and (out / "index.html").read_text() == "kept"


def test_an_explain_path_that_is_a_file_is_refused_and_kept(text_run: dict, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    taken = tmp_path / "report.html"
    taken.write_text("an earlier report")
    line = _one_line(run_cli(["predict", "notes:1", "--text", "seizure noted", "--explain", str(taken)], capsys))
    assert str(taken) in line and "--explain" in line
    assert taken.read_text() == "an earlier report"


def test_overwrite_without_explain_is_refused(text_run: dict, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A flag that would change nothing is refused rather than ignored."""
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    line = _one_line(run_cli(["predict", "notes:1", "--text", "seizure noted", "--overwrite"], capsys))
    assert "--overwrite" in line and "--explain DIR" in line
