"""A resume refuses data edited in place: the same sample ids and labels, other contents.

Found walking issue 2's training item as a user: ``data.json`` hashed only the (id, label) pairs of
each split, so after a PNG of the training folder was overwritten (or a ``.npz`` regenerated with the
same labels, a notes CSV edited) ``meddx train --resume RUN`` trained on silently, with the
normalisation and class weights fitted on the first data. ``data.json`` now also records a hash of
each split's contents, and a resume compares it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.sources import load_source
from meddx.training import run as runlib


def _started(tmp_path: Path, data: Path) -> Path:
    """A run folder whose ``data.json`` is the fingerprint of ``data`` as a run records it."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data.json").write_text(json.dumps(runlib.data_fingerprint(load_source(data))))
    runlib.check_same_data(run_dir, load_source(data))  # unchanged data resumes
    return run_dir


def _refused(run_dir: Path, data: Path, split: str) -> None:
    with pytest.raises(ConfigError, match=rf"not the data run run started on: the same samples and labels, but the "
                                          rf"contents of split\(s\) {split} differ from its data.json"):
        runlib.check_same_data(run_dir, load_source(data))


def test_an_overwritten_image_file_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    from meddx.data.synthetic import make_lesion_source, write_image_folder

    root = write_image_folder(make_lesion_source(n_train=12, n_val=6, n_test=6, size=16), tmp_path / "folder")
    run_dir = _started(tmp_path, root)
    png = sorted((root / "train").rglob("*.png"))[0]
    pixels = np.asarray(Image.open(png))
    Image.fromarray(255 - pixels).save(png)  # same file name, same class folder
    _refused(run_dir, root, "train")


def test_a_regenerated_npz_with_the_same_labels_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {f"{s}_images": rng.integers(0, 255, (n, 16, 16), dtype=np.uint8) for s, n in
              (("train", 20), ("val", 8), ("test", 8))}
    labels = {f"{s}_labels": (np.arange(n) % 2).reshape(-1, 1) for s, n in (("train", 20), ("val", 8), ("test", 8))}
    npz = tmp_path / "data.npz"
    np.savez(npz, **arrays, **labels)
    run_dir = _started(tmp_path, npz)
    arrays["val_images"] = arrays["val_images"] // 2
    np.savez(npz, **arrays, **labels)
    _refused(run_dir, npz, "val")


def test_an_older_data_json_without_content_hashes_still_resumes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    npz = tmp_path / "data.npz"
    splits = {"train": 20, "val": 8, "test": 8}
    np.savez(npz, **{f"{s}_images": rng.integers(0, 255, (n, 16, 16), dtype=np.uint8) for s, n in splits.items()},
             **{f"{s}_labels": (np.arange(n) % 2).reshape(-1, 1) for s, n in splits.items()})
    run_dir = _started(tmp_path, npz)
    record = json.loads((run_dir / "data.json").read_text())
    for split in record["splits"].values():
        split.pop("sha256_content")
    (run_dir / "data.json").write_text(json.dumps(record))
    np.savez(npz, **{f"{s}_images": rng.integers(0, 255, (n, 16, 16), dtype=np.uint8) for s, n in splits.items()},
             **{f"{s}_labels": (np.arange(n) % 2).reshape(-1, 1) for s, n in splits.items()})
    runlib.check_same_data(run_dir, load_source(npz))  # ids and labels alone, as before


def test_an_edited_note_or_table_cell_is_refused(tmp_path: Path) -> None:
    import pandas as pd

    rng = np.random.default_rng(2)
    n = 40
    split = ["train"] * 24 + ["val"] * 8 + ["test"] * 8
    labels = ["yes", "no"] * (n // 2)
    words = ["fever cough", "no acute distress", "chest pain today", "routine review"]
    notes = pd.DataFrame({"text": [f"{words[i % 4]} visit {i}" for i in range(n)], "label": labels, "split": split})
    table = pd.DataFrame({"age": rng.integers(20, 90, n), "bp": rng.normal(120, 10, n).round(1),
                          "label": labels, "split": split})
    for name, frame, column in (("notes.csv", notes, "text"), ("table.csv", table, "bp")):
        path = tmp_path / name
        frame.to_csv(path, index=False)
        (tmp_path / path.stem).mkdir()
        run_dir = _started(tmp_path / path.stem, path)
        frame = frame.copy()
        frame.loc[2, column] = frame.loc[3, column]  # row 2 (train) edited, its id and label kept
        frame.to_csv(path, index=False)
        _refused(run_dir, path, "train")
