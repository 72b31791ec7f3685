"""``--overwrite`` removes only files meddx wrote, even when ``explanations.json`` was edited by hand.

Found by review of the stale-file removal: any ``{"source", "method"}`` pair in the earlier
summary made ``0001-<source>-<method>.png|html`` (and ``-methods.png``) a candidate, so a summary
edited to list ``{"source": "ward", "method": "notes"}`` had ``--overwrite`` delete a user's
``0001-ward-notes.html``. Now a candidate needs a method meddx has (and several of them for the
comparison figure); a text ``predict --explain`` summary names its pages, which must be
``documentNNNN.html`` inside the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.explain.outputs import SUMMARY, earlier_files, stale_files


def _summary(folder: Path, entries: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SUMMARY).write_text(json.dumps(entries))


def test_a_method_meddx_has_not_names_no_candidate(tmp_path: Path) -> None:
    _summary(tmp_path, [{"source": "ward", "method": "notes"}, {"source": "x.png", "method": "gradcam"}])
    for name in ("0001-ward-notes.html", "0001-ward-notes.png", "0001-ward-methods.png", "0002-x.png-methods.png"):
        (tmp_path / name).write_text("the user's own file")
    (tmp_path / "0002-x.png-gradcam.png").write_bytes(b"meddx's overlay")
    assert [p.name for p in stale_files(tmp_path, [])] == ["0002-x.png-gradcam.png"]


def test_the_comparison_figure_is_a_candidate_only_for_several_methods(tmp_path: Path) -> None:
    _summary(tmp_path, [{"source": "a.png", "method": "gradcam"}, {"source": "a.png", "method": "saliency"}])
    for name in ("0001-a.png-gradcam.png", "0001-a.png-saliency.png", "0001-a.png-methods.png"):
        (tmp_path / name).write_bytes(b"png")
    assert {p.name for p in earlier_files(tmp_path)} == {"0001-a.png-gradcam.png", "0001-a.png-saliency.png",
                                                          "0001-a.png-methods.png"}


@pytest.mark.parametrize("page", ["../outside.html", "/ABS/outside.html", "notes.txt", "document0001.html/x",
                                  "sub/document0002.html", 7])
def test_a_page_that_is_no_page_of_meddxs_is_never_a_candidate(tmp_path: Path, page: object) -> None:
    folder = tmp_path / "expl"
    outside = tmp_path / "outside.html"
    outside.write_text("outside the folder")
    page = page.replace("/ABS", str(tmp_path)) if isinstance(page, str) else page
    _summary(folder, [{"source": "text1", "method": "attention", "page": page},
                      {"source": "text2", "method": "attention", "page": "document0002.html"}])
    (folder / "notes.txt").write_text("mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "document0002.html").write_text("mine")
    (folder / "document0002.html").write_text("meddx's page")
    assert [p.name for p in stale_files(folder, [])] == ["document0002.html"]
    assert outside.read_text() == "outside the folder"
