"""``write_explanations`` never replaces a file already in the folder unless ``overwrite=True``.

Checked twice: before anything is written (the names the run will write, one ``ConfigError`` naming
the first taken), and at each write (exclusive), so a file that appears while the maps are computed
(another run into the same folder) is kept too, PNGs included.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.explain.api import Explanation, write_explanations


def _row(source: str) -> Explanation:
    return Explanation(source=source, method="ablation", target="yes", probability=0.7,
                       attribution=np.array([0.5, -0.1], dtype=np.float32), seconds=0.0,
                       extra={"columns": ["a", "b"]})


def _image(source: str, method: str) -> Explanation:
    e = Explanation(source=source, method=method, target="lesion", probability=0.9,
                    attribution=np.random.default_rng(0).random((8, 8)).astype(np.float32), seconds=0.0)
    e.image = np.random.default_rng(1).random((1, 8, 8)).astype(np.float32)
    return e


TABLE = SimpleNamespace(name="t", config={"modality": "tabular"})
IMAGE = SimpleNamespace(name="i", config={}, preprocessor=SimpleNamespace(spatial_size=(8, 8)))


def test_an_earlier_summary_is_kept_and_named(tmp_path: Path) -> None:
    (tmp_path / "explanations.json").write_text("[]")
    with pytest.raises(ConfigError) as err:
        write_explanations(TABLE, [_row("rows.csv:a")], [], tmp_path)
    assert str(tmp_path / "explanations.json") in str(err.value) and "--overwrite" in str(err.value)
    assert (tmp_path / "explanations.json").read_text() == "[]"
    write_explanations(TABLE, [_row("rows.csv:a")], [], tmp_path, overwrite=True)
    assert json.loads((tmp_path / "explanations.json").read_text())[0]["source"] == "rows.csv:a"


def test_files_of_other_names_are_written_beside_others(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    written = write_explanations(IMAGE, [_image("a.png", "gradcam"), _image("a.png", "saliency")], ["a.png"],
                                 tmp_path)
    assert sorted(p.name for p in written) == ["0001-a.png-gradcam.png", "0001-a.png-methods.png",
                                               "0001-a.png-saliency.png", "explanations.json"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_overlay_that_appears_during_the_run_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check before the work passed (it ran before the file appeared); the write still refuses."""
    import meddx.explain.outputs as outputs

    monkeypatch.setattr(outputs, "refuse_taken", lambda *a, **k: None)
    late = tmp_path / "0001-a.png-gradcam.png"
    late.write_bytes(b"another run's overlay")
    with pytest.raises(ConfigError) as err:
        write_explanations(IMAGE, [_image("a.png", "gradcam")], ["a.png"], tmp_path)
    assert str(late) in str(err.value) and "appeared" in str(err.value)
    assert late.read_bytes() == b"another run's overlay" and not (tmp_path / "explanations.json").exists()


def test_the_folder_may_be_given_as_a_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/explanations.md's `write_explanations(predictor, explanations, inputs, out)` with a
    folder name as a string raised a TypeError (``str / str``) before writing anything."""
    monkeypatch.chdir(tmp_path)
    written = write_explanations(TABLE, [_row("rows.csv:a")], [], "expl")
    assert written == [Path("expl") / "explanations.json"] and (tmp_path / "expl" / "explanations.json").is_file()
