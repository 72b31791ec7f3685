"""``write_explanations(..., overwrite=True)`` leaves no file of an earlier, longer run behind.

Run 1 explained three images, run 2 (``--overwrite``) one: ``0002-...`` and ``0003-...`` stayed
beside the new ``explanations.json``, looking as if they belonged to it. Now the files the earlier
``explanations.json`` lists and this run does not write again are removed, after the new files are
written; files it does not list (the user's own, or an ``explanations.json`` that is not meddx's)
are never touched, and a hand-edited summary cannot name a file outside the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from meddx.explain.api import Explanation, write_explanations

IMAGE = SimpleNamespace(name="i", config={}, preprocessor=SimpleNamespace(spatial_size=(8, 8)))


def _image(source: str, method: str) -> Explanation:
    e = Explanation(source=source, method=method, target="lesion", probability=0.9,
                    attribution=np.random.default_rng(0).random((8, 8)).astype(np.float32), seconds=0.0)
    e.image = np.random.default_rng(1).random((1, 8, 8)).astype(np.float32)
    return e


def _run(folder: Path, sources: list[str], methods: list[str], overwrite: bool = False) -> list[Path]:
    return write_explanations(IMAGE, [_image(s, m) for s in sources for m in methods], sources, folder,
                              overwrite=overwrite)


def test_a_shorter_overwrite_removes_the_earlier_runs_other_files_only(tmp_path: Path) -> None:
    _run(tmp_path, ["a.png", "b.png", "c.png"], ["gradcam", "saliency"])
    assert (tmp_path / "0003-c.png-methods.png").is_file()
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "0004-d.png-gradcam.png").write_bytes(b"not listed in the summary")  # meddx-like, but not its
    written = _run(tmp_path, ["z.png"], ["gradcam"], overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in written] + ["notes.txt", "0004-d.png-gradcam.png"])
    assert [e["source"] for e in json.loads((tmp_path / "explanations.json").read_text())] == ["z.png"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_without_a_summary_nothing_is_removed(tmp_path: Path) -> None:
    (tmp_path / "0002-b.png-gradcam.png").write_bytes(b"an overlay with no summary listing it")
    _run(tmp_path, ["a.png"], ["gradcam"], overwrite=True)
    assert (tmp_path / "0002-b.png-gradcam.png").read_bytes() == b"an overlay with no summary listing it"


def test_a_summary_that_is_not_meddxs_removes_nothing(tmp_path: Path) -> None:
    (tmp_path / "explanations.json").write_text(json.dumps({"0002-b.png-gradcam.png": "someone else's"}))
    (tmp_path / "0002-b.png-gradcam.png").write_bytes(b"kept")
    from meddx.explain.outputs import stale_files

    assert stale_files(tmp_path, []) == []
    _run(tmp_path, ["a.png"], ["gradcam"], overwrite=True)
    assert (tmp_path / "0002-b.png-gradcam.png").read_bytes() == b"kept"


def test_a_method_naming_a_path_outside_the_folder_is_no_candidate(tmp_path: Path) -> None:
    folder = tmp_path / "expl"
    folder.mkdir()
    outside = tmp_path / "x.png"
    outside.write_bytes(b"outside the folder")
    (folder / "explanations.json").write_text(json.dumps([{"source": "a", "method": "../../x"}]))
    from meddx.explain.outputs import stale_files

    assert stale_files(folder, []) == []
    _run(folder, ["b.png"], ["gradcam"], overwrite=True)
    assert outside.read_bytes() == b"outside the folder"


def test_files_this_run_writes_again_are_replaced_not_removed(tmp_path: Path) -> None:
    _run(tmp_path, ["a.png", "b.png"], ["gradcam"])
    from meddx.explain.outputs import stale_files

    assert [p.name for p in stale_files(tmp_path, [tmp_path / "0001-a.png-gradcam.png"])] == \
        ["0002-b.png-gradcam.png"]
    _run(tmp_path, ["a.png", "b.png"], ["gradcam"], overwrite=True)
    assert {p.name for p in tmp_path.iterdir()} == {"0001-a.png-gradcam.png", "0002-b.png-gradcam.png",
                                                    "explanations.json"}
