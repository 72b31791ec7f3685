"""Review of 6cbf7fb: ``meddx predict TEXT_BUNDLE --explain DIR --json`` names each document's own page.

Found by review: the ``explanation`` of each JSON line was looked up by the document's name, and two
documents of a CSV whose id column repeats an id (``7`` twice) share a name, so both lines named the
second document's page (``document0002.html``): a reader opened the wrong document's attributions.
Also: ``--explain LINK`` where LINK is a symbolic link to a folder that is not there was refused only
after every document was predicted and explained ("cannot write ... File exists"); now before any work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import meddx.explain.text as text
from meddx.cli.predict_text import predict_text
from meddx.core.errors import ConfigError
from tests.unit.bundle.test_text_predictor_inputs import _predictor

CANARY = "Qzcanaryname"


def test_each_json_line_names_its_own_page_when_ids_repeat(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    predictor = _predictor()
    predictor.config["training"] = {"text_options": {"id_column": "id"}}
    table = tmp_path / "notes.csv"
    table.write_text(f"id,text\n7,history of seizure {CANARY}\n7,carcinoma of the liver\n8,cough and fever\n")
    out = tmp_path / "expl"
    predict_text(predictor, [table], [], out, "integrated-gradients", None, as_json=True)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [Path(line["explanation"]).name for line in lines] == [f"document{i:04d}.html" for i in (1, 2, 3)]
    assert [line["source"] for line in lines] == [f"{table}:7", f"{table}:7", f"{table}:8"]
    summary = json.loads((out / "explanations.json").read_text())
    assert [e["page"] for e in summary] == [Path(line["explanation"]).name for line in lines]
    assert CANARY in (out / "document0001.html").read_text()  # the page shows the note; nothing else does
    for said in (captured.out, captured.err, (out / "explanations.json").read_text()):
        assert CANARY not in said


def test_a_link_to_a_missing_folder_is_refused_before_any_work(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "expl"
    link.symlink_to(tmp_path / "gone")

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("explained before the folder was checked")

    monkeypatch.setattr(text, "token_attributions", never)
    with pytest.raises(ConfigError, match=r"^--explain .*expl: a link to .*gone, which is not there; nothing was "):
        predict_text(_predictor(), [], ["history of seizure"], link, "integrated-gradients", None, as_json=False)
    with pytest.raises(ConfigError, match=r"^--explain .*expl/sub: .*expl is a link to .*gone, which is not there"):
        predict_text(_predictor(), [], ["history of seizure"], link / "sub", "integrated-gradients", None,
                     as_json=False)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_folder_named_as_a_page_is_refused_before_any_work_even_with_overwrite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: with --overwrite, document0001.html replaced, then 'is a folder' at document0002.html,
    after the work, leaving the earlier summary beside a half-replaced set of pages."""
    out = tmp_path / "expl"
    predict_text(_predictor(), [], ["history of seizure", "cough and fever"], out, "integrated-gradients", None,
                 as_json=False)
    (out / "document0002.html").unlink()
    (out / "document0002.html").mkdir()
    before = (out / "document0001.html").read_text()
    monkeypatch.setattr(text, "token_attributions", lambda *a, **k: pytest.fail("explained before the check"))
    with pytest.raises(ConfigError, match=r"document0002\.html is a folder, where this run writes a file; nothing "):
        predict_text(_predictor(), [], ["carcinoma of the liver", "fracture"], out, "integrated-gradients", None,
                     as_json=False, overwrite=True)
    assert (out / "document0001.html").read_text() == before
