"""``meddx predict TEXT_BUNDLE ... --explain DIR`` lists its pages in ``explanations.json``.

Before, the pages (``document0001.html``...) had no summary: ``--overwrite`` after a 5-document run
left ``document0003.html`` to ``document0005.html`` beside the new run's 2 pages, showing other
documents as if they belonged to it, and nothing said which page was which document. Now the pages
are listed (name, method, class, probability, page; never the text) as ``meddx explain`` lists its
files, and ``--overwrite`` removes the earlier run's listed pages this run does not write again,
only once the new pages and summary are written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.cli.predict_text import predict_text
from meddx.core.errors import ConfigError
from tests.unit.bundle.test_text_predictor_inputs import _predictor

DOCS = ["history of seizure", "carcinoma of the liver", "cough and fever", "fracture of the femur",
        "Zyxwvutsrq seizure overnight"]


def _run(folder: Path, docs: list[str], overwrite: bool = False) -> None:
    predict_text(_predictor(), [], docs, folder, "integrated-gradients", None, as_json=False, overwrite=overwrite)


def test_overwrite_after_a_longer_run_leaves_only_this_runs_pages(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "expl"
    _run(out, DOCS)
    first = json.loads((out / "explanations.json").read_text())
    assert [e["page"] for e in first] == [f"document{i:04d}.html" for i in range(1, 6)]
    assert [e["source"] for e in first] == [f"text{i}" for i in range(1, 6)]
    assert "Zyxwvutsrq" not in (out / "explanations.json").read_text()  # names and numbers, never the text
    assert all(set(e) == {"source", "method", "target", "probability", "page"} for e in first)
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()

    _run(out, DOCS[:2], overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["document0001.html", "document0002.html", "explanations.json",
                                                     "notes.txt"]
    assert [e["source"] for e in json.loads((out / "explanations.json").read_text())] == ["text1", "text2"]
    printed = capsys.readouterr().out
    assert "removed: 3 files" in printed and "document0003.html" in printed and "Zyxwvutsrq" not in printed


def test_a_folder_holding_an_earlier_summary_is_refused_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "expl"
    out.mkdir()
    (out / "explanations.json").write_text("[]")  # e.g. an earlier `meddx explain --out` run's
    with pytest.raises(ConfigError, match="explanations.json already exists"):
        _run(out, DOCS[:1])
    assert (out / "explanations.json").read_text() == "[]" and not (out / "document0001.html").exists()


def test_a_run_that_stops_midway_removes_none_of_the_earlier_pages(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "expl"
    _run(out, DOCS)
    summary = (out / "explanations.json").read_text()
    import meddx.explain.text as text

    real, calls = text.token_attributions, []

    def interrupted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(text, "token_attributions", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(out, DOCS[:2], overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["document0001.html", "document0002.html", "document0003.html",
                                                     "document0004.html", "document0005.html", "explanations.json"]
    assert (out / "explanations.json").read_text() == summary  # still the earlier run's list


def test_with_json_the_removal_is_said_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Pages removed are never removed silently; stdout stays one JSON line per document."""
    out = tmp_path / "expl"
    _run(out, DOCS[:3])
    capsys.readouterr()
    predict_text(_predictor(), [], DOCS[:1], out, "integrated-gradients", None, as_json=True, overwrite=True)
    captured = capsys.readouterr()
    assert [json.loads(line)["source"] for line in captured.out.splitlines()] == ["text1"]
    assert "removed: 2 files" in captured.err and "document0002.html" in captured.err
