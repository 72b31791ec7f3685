"""A segmentation run's carved val (and test) are read back, not carved again, by a resume and by
``meddx evaluate BUNDLE --split val``, while the cases are the same.

The carve depends on more than the recorded fractions and seed (here: scikit-learn's group shuffle,
patched to shuffle otherwise, as another version or a newer grouping would). Before the record, the
resume was refused ("differ from its data.json") and ``--split val`` scored other cases than the run
chose on.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def _shuffled_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """GroupShuffleSplit takes other groups for the same seed from now on."""
    import sklearn.model_selection as ms

    original = ms.GroupShuffleSplit

    class Other(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, random_state: int = 0, **kwargs: object) -> None:
            super().__init__(*args, random_state=random_state + 101, **kwargs)

    monkeypatch.setattr(ms, "GroupShuffleSplit", Other)


def test_seg_resume_and_evaluate_val_read_back_the_recorded_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.segmentation import load_seg_source
    from meddx.data.synthetic_seg import write_seg_folder

    home = tmp_path / "home"
    monkeypatch.setenv("MEDDX_HOME", str(home))
    data = write_seg_folder(tmp_path / "shapes", n=16, spatial_dims=2, size=32, classes=2, seed=1)
    trained = run_cli(["train", "--data", str(data), "--name", "carved", "--no-progress", "--seed", "0",
                       "--epochs", "1"], capsys)
    assert trained.code == 0, trained.err + trained.out
    run_dir = next((home / "runs").glob("carved-*"))
    started = json.loads((run_dir / "data.json").read_text())["splits"]
    started_val, started_test = started["val"]["ids"], started["test"]["ids"]

    _shuffled_otherwise(monkeypatch)
    now = load_seg_source(data)
    assert now.split("val").ids != started_val or now.split("test").ids != started_test  # the test means something

    (run_dir / "metrics.json").unlink()  # interrupted before its bundle was saved
    resumed = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert resumed.code == 0, resumed.err  # was: "not the data run ... differ from its data.json"
    v2 = json.loads((home / "bundles" / "carved" / "v2" / "config.json").read_text())["training"]
    assert v2["cases"]["val"]["ids"] == started_val

    out = tmp_path / "ev-val"
    ev = run_cli(["evaluate", str(home / "bundles" / "carved" / "v1"), "--data", str(data), "--split", "val",
                  "--out", str(out), "--bootstrap", "0"], capsys)
    assert ev.code == 0, ev.err
    with open(out / "cases.csv", newline="", encoding="utf-8") as fh:
        scored = [row["id"] for row in csv.DictReader(fh)]
    assert sorted(scored) == sorted(started_val)  # was: the val carved now
    notes = json.loads((out / "metrics.json").read_text())["notes"]
    assert any(n.startswith("val carved from train") and n.endswith("(not carved again)") for n in notes)
