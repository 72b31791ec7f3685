"""A segmentation manifest's missing path says why, where that can be seen, as the image manifest does.

The image manifest names a Windows drive/UNC path and a path written from the current folder
rather than the CSV's (``manifest.missing_path_hint``); the segmentation manifest said "not found"
alone for the same two exports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.segmentation import load_seg_source


def _project(root: Path) -> Path:
    """``root/data`` with two image/mask pairs, and an empty ``root/lists`` for the manifest."""
    (root / "data").mkdir(parents=True)
    (root / "lists").mkdir()
    for i in range(2):
        Image.fromarray(np.full((8, 8), 40 * (i + 1), np.uint8)).save(root / "data" / f"{i}.png")
        mask = np.zeros((8, 8), np.uint8)
        mask[2:5, 2:5] = 255
        Image.fromarray(mask).save(root / "data" / f"{i}_mask.png")
    return root / "lists"


def test_a_path_from_the_current_folder_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("image,mask\ndata/0.png,data/0_mask.png\ndata/1.png,data/1_mask.png\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load_seg_source(Path("lists/m.csv"))
    msg = str(err.value)
    assert msg.startswith("lists/m.csv: line 2: image 'data/0.png' not found"), msg
    assert msg.endswith(f": the file is there relative to the current folder ({tmp_path}), but paths are read "
                        "relative to the CSV's folder, not the one meddx runs in: write them relative to lists, or "
                        "move the CSV"), msg


def test_a_windows_drive_path_is_named_as_such(tmp_path: Path) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("image,mask\n../data/0.png,C:\\export\\0_mask.png\n")
    with pytest.raises(DataError, match=r"^.*line 2: mask 'C:\\\\export\\\\0_mask.png' not found .* it is a Windows "
                                        r"drive or network path, which this machine cannot open; write the paths "
                                        r"relative to the CSV$"):
        load_seg_source(lists / "m.csv")


def test_a_plainly_missing_file_gets_no_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lists = _project(tmp_path)
    (lists / "m.csv").write_text("image,mask\n../data/0.png,../data/9_mask.png\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as err:
        load_seg_source(lists / "m.csv")
    assert str(err.value).endswith(f"expected paths relative to {lists} or absolute"), str(err.value)


def test_windows_separators_read_as_the_image_manifest_reads_them(tmp_path: Path) -> None:
    """``data\\0.png`` relative to the CSV: the image manifest retried it with ``/``; the
    segmentation manifest refused it as not found."""
    (tmp_path / "lists").mkdir(parents=True)
    _project(tmp_path / "lists")
    (tmp_path / "lists" / "m.csv").write_text("image,mask,split\ndata\\0.png,data\\0_mask.png,train\n"
                                              "data\\1.png,data\\1_mask.png,val\n")
    source = load_seg_source(tmp_path / "lists" / "m.csv", test_fraction=0)
    assert sorted(Path(p).name for split in source.splits.values() for p in split.images) == ["0.png", "1.png"]
