"""``meddx.cli.streams``: the one place a command's notes and warnings are printed, on stderr, as
written (no rich markup read, no wrapping, no colour codes when captured or piped)."""

from __future__ import annotations

import pytest


def test_notes_and_warnings_go_to_stderr_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli import streams

    long = "x.csv: " + "word " * 40 + "[y] (kept)"  # a rich tag and 200+ characters: printed as they are
    streams.note(long)
    streams.warning("val is not held out [b]")
    streams.notes(["a", "b"])
    streams.warnings(None)
    streams.notice("warning: made elsewhere")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [f"note: {long}", "warning: val is not held out [b]", "note: a", "note: b",
                                         "warning: made elsewhere"]
    assert "\x1b" not in captured.err


def test_the_progress_console_writes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.streams import stderr_console

    stderr_console().print("verifying")
    captured = capsys.readouterr()
    assert captured.out == "" and "verifying" in captured.err
