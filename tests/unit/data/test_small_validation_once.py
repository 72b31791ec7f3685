"""The small-validation note is computed once per load of a source.

The text, table and series readers check a val split the file gives, and ``load_source`` then
checked every given val split again (for the image readers, which do not): each documents, table
or series load computed the note twice. Now the image readers' sources are checked where they are
read, so every load checks its val split once (a carved val: in the carve), with the same note.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import meddx.data.val_checks as val_checks
from meddx.data.sources import load_source
from tests.unit.data.csv_files import write_csv


def _documents(tmp_path: Path, given: bool) -> Path:
    rows = [[f"note {i} about the stay", "cardiac" if i % 2 == 0 else "other", "val" if i >= 36 else "train"]
            for i in range(40)]
    header = ["text", "label", "split"] if given else ["text", "label"]
    return write_csv(tmp_path / "docs.csv", header, [r if given else r[:2] for r in rows])


def _text(tmp_path: Path) -> Path:
    return _documents(tmp_path, given=True)


def _carved_text(tmp_path: Path) -> Path:  # 40 documents: val 4, carved
    return _documents(tmp_path, given=False)


def _table(tmp_path: Path) -> Path:
    rows = [[f"{i}", f"{60 + i % 7}", f"{1.5 * (i % 5):.1f}", "yes" if i % 2 == 0 else "no",
             "val" if i >= 36 else "train"] for i in range(40)]
    return write_csv(tmp_path / "t.csv", ["id", "age", "lactate", "label", "split"], rows)


def _series(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    series, labels = write_long_csv(make_threshold_series(20, seed=4), tmp_path)
    return str(series), {"labels_file": str(labels), "patient_column": "subject_id"}


def _images(tmp_path: Path) -> Path:
    from PIL import Image

    for split, n in (("train", 12), ("val", 2)):
        for cls in ("normal", "lesion"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(np.full((8, 8), (40 * i + 7 * len(cls)) % 255, np.uint8)).save(
                    tmp_path / split / cls / f"{i}.png")
    return tmp_path


@pytest.mark.parametrize("make", [_text, _carved_text, _table, _series, _images], ids=lambda f: f.__name__[1:])
def test_the_small_validation_check_runs_once_per_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       make: Any) -> None:
    made = make(tmp_path)
    spec, options = made if isinstance(made, tuple) else (made, None)
    checks = []
    missing = val_checks._missing_classes

    def counted(*args: Any) -> list[str]:  # reached once per check of a source holding train and val
        checks.append(1)
        return missing(*args)

    monkeypatch.setattr(val_checks, "_missing_classes", counted)
    source = load_source(spec, options=options)
    assert len(checks) == 1
    (note,) = [n for n in source.notes if n.startswith(val_checks.NOTE_START)]
    assert "sample(s) (fewer than 10)" in note
