"""Bad text sources through the real CLI (``meddx data info``): each is one ``meddx: error:`` line,
exit 2, naming the file and the row/line/column, and no log record, stdout or stderr holds any
part of a note (a planted name stands for PHI)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli

NAME = "Quillfeather Osgood"


def _rows(n: int = 20) -> list[list[str]]:
    return [[f"Note {i}: {NAME} seen for chest pain and fever, plan follow up.", "ab"[i % 2]] for i in range(n)]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> bytes:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path.read_bytes()


def _make(kind: str, folder: Path) -> tuple[Path, list[str], list[str]]:
    """(file, extra CLI args, words the one-line message must hold)."""
    path = folder / ("notes.jsonl" if kind == "jsonl-list" else "notes.csv")
    rows = _rows()
    if kind == "no-text-column":
        _csv(path, ["text", "label"], rows)
        return path, ["--text-column", "body"], ["'body'", "available columns: text, label", "--text-column"]
    if kind == "no-label-column":
        _csv(path, ["text", "dx"], [[t, str(i)] for i, (t, _) in enumerate(rows)])
        return path, [], ["label", "--label-column"]
    if kind == "empty-cell":
        rows[6][0] = "   "
        _csv(path, ["text", "label"], rows)
        return path, [], ["column 'text'", "rows 7", "empty"]
    if kind == "not-utf8":
        data = _csv(path, ["text", "label"], rows).replace(b"chest pain", b"ch\xe9st pain", 1)
        path.write_bytes(data)
        return path, [], ["byte offset", "line 2", "--encoding"]
    if kind == "jsonl-list":
        lines = [json.dumps({"text": t, "label": y}) for t, y in rows]
        lines[3] = json.dumps([rows[3][0], rows[3][1]])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path, [], ["line 4", "a JSON list", "JSON object"]
    rows[8][1] = '["a", "b"]'  # kind == "label-list-in-binary"
    _csv(path, ["text", "label"], rows)
    return path, [], ["column 'label'", "rows 9", "--label-delimiter"]


KINDS = ["no-text-column", "no-label-column", "empty-cell", "not-utf8", "jsonl-list", "label-list-in-binary"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_text_source_is_one_line_naming_where_and_never_a_note(kind: str, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str],
                                                                     caplog: pytest.LogCaptureFixture,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    path, extra, expected = _make(kind, tmp_path)
    with caplog.at_level(logging.DEBUG):
        result = run_cli(["data", "info", str(path), *extra], capsys)
    assert result.code == 2, result.out + result.err
    assert result.err.startswith(f"meddx: error: {path}") and result.err.count("\n") == 1, result.err
    message = " ".join(result.err.split())
    assert all(word in message for word in expected), message
    logged = result.out + result.err + caplog.text
    assert "Quillfeather" not in logged and "chest pain" not in logged and "Traceback" not in logged
