"""``meddx explain --out DIR`` never loses an earlier run's files without ``--overwrite``.

The files have fixed names (``0001-<input>-<method>.png|html``, ``explanations.json``): a second
run into the same folder replaced the first run's overlays, pages and summary without a word. Now it
is refused before anything is computed, in one line naming the file and the two ways on (another
folder, or ``--overwrite``), as ``predict --explain`` does for text pages; other files in the folder
are never touched. ``predict --overwrite`` on an image bundle, where it means nothing, is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import one_line, run_cli, snapshot



def test_a_second_image_explain_into_the_same_folder_keeps_the_first_files(
        trained: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[:2]
    out = tmp_path / "expl"
    out.mkdir()
    (out / "my_notes.txt").write_text("the reviewer's own notes")  # another file: written beside it
    first = run_cli(["explain", str(trained["bundle"]), str(a), "-m", "gradcam", "--out", str(out)], capsys)
    assert first.code == 0, first.err
    assert (out / f"0001-{a.name}-gradcam.png").is_file() and (out / "my_notes.txt").read_text().startswith("the")
    before = snapshot(out)

    again = run_cli(["explain", str(trained["bundle"]), str(b), "-m", "gradcam", "--out", str(out)], capsys)
    line = one_line(again)
    assert str(out / "explanations.json") in line and "--overwrite" in line and "already exists" in line
    assert snapshot(out) == before  # the first run's overlay and summary, byte for byte; nothing added

    replaced = run_cli(["explain", str(trained["bundle"]), str(b), "-m", "gradcam", "--out", str(out),
                        "--overwrite"], capsys)
    assert replaced.code == 0, replaced.err
    assert [e["source"] for e in json.loads((out / "explanations.json").read_text())] == [str(b)]
    assert (out / f"0001-{b.name}-gradcam.png").is_file() and (out / "my_notes.txt").read_text().startswith("the")


def test_a_colliding_overlay_is_named_and_kept(trained: dict, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Only an overlay of the same name is there (no summary): it alone is refused and kept."""
    a = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0]
    out = tmp_path / "expl"
    out.mkdir()
    taken = out / f"0001-{a.name}-gradcam.png"
    taken.write_bytes(b"an earlier overlay")
    line = one_line(run_cli(["explain", str(trained["bundle"]), str(a), "-m", "gradcam", "-m", "saliency",
                             "--out", str(out)], capsys))
    assert str(taken) in line
    assert snapshot(out) == {taken.name: b"an earlier overlay"}


def test_predict_overwrite_on_an_image_bundle_is_refused(trained: dict, capsys: pytest.CaptureFixture[str]) -> None:
    """It writes no explanation files there: the flag would be silently ignored."""
    a = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0]
    line = one_line(run_cli(["predict", str(trained["bundle"]), str(a), "--overwrite"], capsys))
    assert line.count("--overwrite") == 1 and "meddx explain" in line and "lesions" in line


def test_a_second_text_explain_into_the_same_folder_keeps_the_first_pages(
        text_run: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    out = tmp_path / "pages"
    first = run_cli(["explain", "notes:1", "--text", "seizure noted overnight", "-m", "attention", "--out", str(out)],
                    capsys)
    assert first.code == 0, first.err
    page = out / "0001-text1-attention.html"
    assert page.is_file()
    before = snapshot(out)
    line = one_line(run_cli(["explain", "notes:1", "--text", "tumour resected", "-m", "attention", "--out", str(out)],
                            capsys))
    assert str(page) in line and "2 files to write" in line and "--overwrite" in line
    assert snapshot(out) == before
    replaced = run_cli(["explain", "notes:1", "--text", "tumour resected", "-m", "attention", "--out", str(out),
                        "--overwrite"], capsys)
    assert replaced.code == 0, replaced.err
    assert page.read_bytes() != before[page.name]


def test_overwrite_with_evaluate_is_refused(text_run: dict, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    line = one_line(run_cli(["explain", "notes:1", "--evaluate", "--data", "x.csv", "--overwrite"], capsys))
    assert "--overwrite" in line
