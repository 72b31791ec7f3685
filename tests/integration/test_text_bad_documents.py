"""``meddx predict`` / ``meddx explain`` on documents that cannot be read as text: one line, exit 2,
the document named and never quoted. Found by an audit: ``--text`` with bytes that are not UTF-8
(Python decodes argv with surrogateescape) ended in a tokenizers TypeError traceback, and
``meddx explain --text "  "`` (or an empty .txt) in a numpy ValueError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli

NAME = "Quetzalvander"


def _one_line_error(result: object, expected: str) -> None:
    assert result.code == 2, result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.err
    assert NAME not in result.err + result.out


def test_predict_refuses_text_that_was_not_utf8(text_run: dict, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    bad = f"Seen by {NAME} \udcff seizure noted"  # what `--text $'... \xff ...'` becomes in sys.argv
    result = run_cli(["predict", "notes:1", "--text", "seizure noted", "--text", bad], capsys)
    _one_line_error(result, "text2: character 23 is U+DCFF, a lone surrogate")


def test_explain_refuses_empty_and_non_utf8_documents(text_run: dict, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    out = str(tmp_path / "e")
    for text in ("", "   \n "):
        _one_line_error(run_cli(["explain", "notes:1", "--text", "seizure", "--text", text, "--out", out], capsys),
                        "text2: empty document")
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n")
    _one_line_error(run_cli(["explain", "notes:1", str(blank), "--out", out], capsys), "empty document")
    _one_line_error(run_cli(["explain", "notes:1", "--text", f"{NAME} \udcff", "--out", out], capsys),
                    "lone surrogate")
    # predict --explain on a good document still writes its page
    result = run_cli(["predict", "notes:1", "--text", "seizure noted", "--explain", out], capsys)
    assert result.code == 0 and (tmp_path / "e" / "document0001.html").is_file()


def test_explain_names_file_documents_as_predict_does(text_run: dict, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A .txt document is named by its file (it was ``text2``, the CLI dropped the file names)."""
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    note = tmp_path / "visit.txt"
    note.write_text("seizure noted today\n")
    result = run_cli(["explain", "notes:1", "--text", "seizure", str(note), "--out", str(tmp_path / "e"),
                      "--json"], capsys)
    assert result.code == 0, result.err
    sources = [line.split('"source": ')[1].split('"')[1] for line in result.out.splitlines() if '"source"' in line]
    assert sources[0] == "text1" and sources[-1] == str(note)
    assert any(p.name.endswith(".html") and "visit.txt" in p.name for p in (tmp_path / "e").iterdir())


def test_predict_and_explain_refuse_a_punctuation_only_note(text_run: dict, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Was answered with a class and probabilities: "..." encodes to three punctuation ids."""
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    for note in ("...", "--- ///"):
        _one_line_error(run_cli(["predict", "notes:1", "--text", "seizure noted", "--text", note], capsys),
                        "text2: document of only punctuation or symbols (no letter or digit); there is nothing to "
                        "classify")
    table = tmp_path / "notes.csv"
    table.write_text("note\nseizure noted\n...\n")
    _one_line_error(run_cli(["predict", "notes:1", str(table)], capsys),
                    f"{table}: row 2, column 'note': only punctuation or symbols (no letter or digit)")
    _one_line_error(run_cli(["explain", "notes:1", "--text", "?!", "--out", str(tmp_path / "e")], capsys),
                    "text1: document of only punctuation or symbols")


def test_a_damaged_baseline_json_is_refused_in_one_line_naming_it(text_run: dict, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Was a JSON parse error, or (one word changed, still valid JSON) different baseline scores."""
    import shutil

    bundle = tmp_path / "copy"
    shutil.copytree(text_run["bundle"], bundle)
    meta = bundle / "baseline.json"
    good = meta.read_bytes()
    for damaged in (good[: len(good) // 2], good.replace(b'"seizure"', b'"seizura"')):
        assert damaged != good
        meta.write_bytes(damaged)
        _one_line_error(run_cli(["predict", str(bundle), "--text", "seizure noted"], capsys),
                        f"{meta}: damaged: its SHA-256 is")
    meta.write_bytes(good)
    assert run_cli(["predict", str(bundle), "--text", "seizure noted"], capsys).code == 0
