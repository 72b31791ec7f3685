"""Atomic writes get the permissions a plain ``open(path, "w")`` gives, or the replaced file's own;
files holding note text are ``0o600`` whatever the umask.

Before, every atomic write (a bundle's ``config.json``, ``metrics.json``, reports) was ``0o600``
(``tempfile.mkstemp``), while the weights beside it followed the umask: a team's shared folder
could read a bundle's weights but not its config.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from meddx.core.files import write_bytes_atomic, write_json_atomic, write_text_atomic

pytestmark = pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("exclusive", [False, True])
def test_a_new_file_follows_the_umask(tmp_path: Path, umask_022: None, exclusive: bool) -> None:
    path = write_text_atomic(tmp_path / "metrics.json", "{}", exclusive=exclusive)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert _mode(path) == _mode(plain) == 0o644


def test_another_umask_is_followed(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert _mode(write_json_atomic(tmp_path / "config.json", {"a": 1})) == 0o640
    finally:
        os.umask(old)


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")
    path.chmod(0o640)
    write_text_atomic(path, "new")
    assert path.read_text() == "new" and _mode(path) == 0o640


@pytest.mark.parametrize("exclusive", [False, True])
def test_note_text_is_private_whatever_the_umask(tmp_path: Path, umask_022: None, exclusive: bool) -> None:
    path = write_bytes_atomic(tmp_path / "document0001.html", b"<p>note</p>", exclusive=exclusive, private=True)
    assert _mode(path) == 0o600
    wide = tmp_path / "kept.csv"
    wide.write_text("old")
    wide.chmod(0o644)
    assert _mode(write_text_atomic(wide, "text,label\n", private=True)) == 0o600  # never widened by the old file


def test_no_temporary_file_is_left(tmp_path: Path, umask_022: None) -> None:
    write_text_atomic(tmp_path / "a.json", "{}")
    write_text_atomic(tmp_path / "a.json", "{}", private=True)
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_verify_fix_writes_the_notes_it_keeps_privately(tmp_path: Path, umask_022: None) -> None:
    from meddx.data.text import load_text_source
    from meddx.data.text_rows import write_kept_rows
    from meddx.data.text_verify import write_text_source

    notes = tmp_path / "notes.csv"
    notes.write_text("text,label\n" + "".join(f"note number {i} about the chest,{'ab'[i % 2]}\n" for i in range(20)))
    source = load_text_source(notes)
    kept = write_kept_rows(source, source, tmp_path / "kept.csv")
    assert kept is not None and _mode(kept) == 0o600
    assert _mode(write_text_source(source, tmp_path / "own.jsonl")) == 0o600


@pytest.mark.parametrize("name", ["note.txt", "notes.csv", "notes.jsonl"])
def test_deid_output_stays_private_and_its_report_follows_the_umask(tmp_path: Path, umask_022: None,
                                                                     name: str) -> None:
    """Scrubbed notes may still hold what a rule missed: ``0o600``; the span report holds no text."""
    from meddx.deid.io import deid_path

    note = "Seen by Dr Alice Whitcombe on 03/04/2023, MRN 4471233."
    src = tmp_path / name
    src.write_text({"note.txt": note, "notes.csv": f"text\n\"{note}\"\n",
                    "notes.jsonl": '{"text": "' + note + '"}\n'}[name])
    out, report = tmp_path / f"out-{name}", tmp_path / "spans.jsonl"
    deid_path(src, out, report=report)
    assert _mode(out) == 0o600 and "Whitcombe" not in out.read_text()
    assert _mode(report) == 0o644


def test_text_explanation_pages_are_private_and_their_summary_is_not(tmp_path: Path, umask_022: None) -> None:
    """The pages show the note; ``explanations.json`` holds names and numbers only."""
    from meddx.cli.predict_text import predict_text
    from meddx.explain.outputs import write_explanations
    from tests.unit.bundle.test_text_predictor_inputs import _predictor

    out = tmp_path / "pages"
    predict_text(_predictor(), [], ["history of seizure", "cough and fever"], out, "integrated-gradients", None,
                 as_json=True)
    assert {p.name: _mode(p) for p in out.iterdir()} == {"document0001.html": 0o600, "document0002.html": 0o600,
                                                         "explanations.json": 0o644}

    from meddx.explain.api import explain

    predictor = _predictor()
    predictor.config["modality"] = "text"  # the helper's config leaves it out (an image bundle to explain())
    notes = ["history of seizure"]
    files = write_explanations(predictor, explain(predictor, notes, "integrated-gradients"), notes, tmp_path / "ex")
    assert {p.name: _mode(p) for p in files} == {"0001-text1-integrated-gradients.html": 0o600,
                                                 "explanations.json": 0o644}
