"""A resume and ``evaluate --split val`` read back the validation samples a run carved, whatever the
near-copy search does now.

The near-copy groups depend on image decoding and the search's margins, which the recorded settings
do not cover: a change there (here: the grouping monkeypatched to find nothing) re-carved another
split, so the resume was refused ("the carving changed") and a bundle's ``--split val`` scored
another validation set. ``data.json`` and the bundle now record which samples went to val.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.data.sources import load_source
from meddx.training import run as runlib
from tests.unit.data.test_carve_near_copies import _image_folder
from tests.unit.training.test_resume_carve_settings import _bundle_training


def _started_run(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """An image folder with near copies, a run folder whose ``data.json`` is its carved fingerprint,
    and the val ids the run started with."""
    root, _ = _image_folder(tmp_path / "images")
    source = load_source(root)
    assert any("near copies (as data verify finds them): 2 group(s)" in n for n in source.notes)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data.json").write_text(json.dumps(runlib.data_fingerprint(source)))
    return root, run_dir, list(source.split("val").ids)


def _grouping_changed(monkeypatch: pytest.MonkeyPatch, root: Path, started_val: list[str]) -> None:
    """The near-copy search finds nothing from now on (another decoder, another margin), which carves
    another val from the same samples with the same settings."""
    import meddx.data.carve_groups as carve_groups

    monkeypatch.setattr(carve_groups, "_image_groups", lambda *args, **kwargs: [])
    assert list(load_source(root).split("val").ids) != started_val  # the test means something


def _carving_note(notes: list[str]) -> str:
    return next(n for n in notes if n.startswith("validation carved from train"))


def test_a_resume_reads_back_the_recorded_val(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, run_dir, started_val = _started_run(tmp_path)
    _grouping_changed(monkeypatch, root, started_val)
    resumed = load_source(root, near_copies=runlib.carving_of(run_dir))  # as training.fit reads a resume
    runlib.check_same_data(run_dir, resumed)  # was: "the carving changed"
    assert list(resumed.split("val").ids) == started_val
    note = _carving_note(resumed.notes)
    assert note.endswith("; read back from the recorded membership (not carved again)")
    assert "near copies (as data verify finds them): 2 group(s)" in note  # the carving's own note
    again = runlib.data_fingerprint(resumed)  # a resumed run records the same membership
    assert again["val_membership"] == json.loads((run_dir / "data.json").read_text())["val_membership"]


def test_evaluate_split_val_scores_the_recorded_val(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.carve_groups import carving_options

    root, run_dir, started_val = _started_run(tmp_path)
    training = json.loads(json.dumps(_bundle_training(run_dir)))  # the bundle's config.json
    _grouping_changed(monkeypatch, root, started_val)
    val = load_source(root, **carving_options(training)).split("val")  # as evaluation.as_trained reads it
    assert list(val.ids) == started_val
    assert training["val_membership"]["n_val"] == len(started_val)


def test_changed_samples_are_carved_again_and_refused(tmp_path: Path) -> None:
    """Other samples (an image renamed) do not take the record: carved again with the recorded settings,
    and a resume refuses data that changed, as before."""
    from meddx.core.errors import ConfigError

    root, run_dir, _ = _started_run(tmp_path)
    (root / "a" / "1.png").rename(root / "a" / "1-renamed.png")
    changed = load_source(root, near_copies=runlib.carving_of(run_dir))
    assert not _carving_note(changed.notes).endswith("(not carved again)")
    with pytest.raises(ConfigError, match="not the data run .* differ from its data.json"):
        runlib.check_same_data(run_dir, changed)
