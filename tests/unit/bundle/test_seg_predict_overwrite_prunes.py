"""``predict_files(..., out_dir, overwrite=True)`` into a folder of an earlier, longer run.

Found by the stop-43 review: ``meddx predict SEG a.png b.png c.png --output DIR`` then ``meddx
predict SEG a.png --output DIR --overwrite`` left ``b``'s and ``c``'s masks and overlays in DIR, so
the folder mixed two runs and nothing said which files were this run's. Now each run lists its
inputs and files in ``DIR/masks.json``, and ``--overwrite`` removes the masks and overlays an
earlier run listed there that this run did not write again, as explanations and text pages are
pruned (``explain.outputs``). The order is safe: new masks, then the summary (atomic), then the
removals, so a run that stops before its end removes nothing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.unit.bundle.test_seg_predict_inputs import _predictor_2d
from tests.unit.bundle.test_seg_predict_kept import _png, _snapshot

SUMMARY = "masks.json"  # the summary of a run (bundle.seg_outputs.SUMMARY)


def _inputs(tmp_path: Path, *names: str) -> list[Path]:
    return [_png(tmp_path / f"{n}.png", 10 + 3 * i) for i, n in enumerate(names)]


def test_overwrite_after_a_longer_run_leaves_only_this_runs_files(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    predictor = _predictor_2d()
    a, b, c = _inputs(tmp_path, "a", "b", "c")
    out = tmp_path / "out"
    predictor.predict_files([a, b, c], out)
    (out / "notes.txt").write_text("mine")  # not meddx's: never touched
    with caplog.at_level(logging.WARNING):
        rows = predictor.predict_files([a], out, overwrite=True)
    assert sorted(_snapshot(out)) == ["a_mask.png", "a_overlay.png", SUMMARY, "notes.txt"]
    listed = json.loads((out / SUMMARY).read_text())
    assert [(e["source"], e["mask"], e["overlay"]) for e in listed] == [(str(a), "a_mask.png", "a_overlay.png")]
    assert Path(rows[0]["mask"]) == out / "a_mask.png"  # the rows returned keep their full paths
    said = [r.getMessage() for r in caplog.records if "removed" in r.getMessage()]
    assert len(said) == 1 and "4 files" in said[0] and str(out) in said[0] and "\n" not in said[0]


def test_without_overlays_the_earlier_overlay_of_a_rewritten_mask_is_removed(tmp_path: Path) -> None:
    predictor = _predictor_2d()
    a, b = _inputs(tmp_path, "a", "b")
    out = tmp_path / "out"
    predictor.predict_files([a, b], out)
    predictor.predict_files([a], out, overlays=False, overwrite=True)
    assert sorted(_snapshot(out)) == ["a_mask.png", SUMMARY]


def test_only_files_the_earlier_summary_lists_by_meddxs_names_are_removed(tmp_path: Path) -> None:
    predictor = _predictor_2d()
    a, b = _inputs(tmp_path, "a", "b")
    out = tmp_path / "out"
    predictor.predict_files([a, b], out)
    (out / "other_mask.png").write_bytes(b"a mask this run's summary never listed")
    (tmp_path / "outside_mask.png").write_bytes(b"outside the folder")
    (out / "keep.csv").write_bytes(b"x")
    listed = json.loads((out / SUMMARY).read_text())  # a hand-edited summary names other files
    listed.append({"source": "x", "mask": "../outside_mask.png", "overlay": "keep.csv"})
    (out / SUMMARY).write_text(json.dumps(listed))
    predictor.predict_files([a], out, overwrite=True)
    assert sorted(_snapshot(out)) == ["a_mask.png", "a_overlay.png", "keep.csv", SUMMARY, "other_mask.png"]
    assert (tmp_path / "outside_mask.png").is_file()


def test_a_run_stopped_before_its_summary_removes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the masks, before ``masks.json``: the earlier run's files and summary stay."""
    import meddx.core.files as files

    predictor = _predictor_2d()
    a, b = _inputs(tmp_path, "a", "b")
    out = tmp_path / "out"
    predictor.predict_files([a, b], out)
    earlier = (out / SUMMARY).read_bytes()
    original = files.write_text_atomic

    def interrupted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == SUMMARY:
            raise KeyboardInterrupt
        return original(path, *args, **kwargs)

    monkeypatch.setattr(files, "write_text_atomic", interrupted)
    with pytest.raises(KeyboardInterrupt):
        predictor.predict_files([a], out, overwrite=True)
    assert sorted(_snapshot(out)) == ["a_mask.png", "a_overlay.png", "b_mask.png", "b_overlay.png", SUMMARY]
    assert (out / SUMMARY).read_bytes() == earlier


def test_a_second_run_without_overwrite_is_refused_by_the_summary(tmp_path: Path) -> None:
    """Another input into the same folder would have mixed two runs; refused before any work."""
    from meddx.core.errors import ConfigError

    predictor = _predictor_2d()
    a, b = _inputs(tmp_path, "a", "b")
    out = tmp_path / "out"
    predictor.predict_files([a], out)
    before = _snapshot(out)
    with pytest.raises(ConfigError, match=r"masks\.json.*--overwrite"):
        predictor.predict_files([b], out)
    assert _snapshot(out) == before
