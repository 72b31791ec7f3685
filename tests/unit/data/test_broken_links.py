"""Symbolic links whose target is gone (an unmounted share, a moved export) among image files.

Before: ``meddx predict FOLDER`` left them out without a word (one prediction fewer), and a class
folder counted them among "non-image file(s)"; a link named on the command line read as "no such
file" although the link is there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.imagefolder import load_imagefolder
from meddx.data.inputs import expand_image_inputs
from meddx.data.io import read_image


def _png(path: Path, value: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), value, np.uint8)).save(path)
    return path


def test_predict_folder_keeps_a_broken_link_for_the_reader_to_name(tmp_path: Path) -> None:
    _png(tmp_path / "day" / "a.png", 10)
    (tmp_path / "day" / "b.png").symlink_to(tmp_path / "pacs" / "b.png")  # the share is not mounted
    assert [p.name for p in expand_image_inputs([tmp_path / "day"], 2)] == ["a.png", "b.png"]
    with pytest.raises(DataError, match=r"b\.png: a symbolic link to .*pacs/b\.png, which does not exist"):
        read_image(tmp_path / "day" / "b.png")


def test_class_folder_names_broken_links_in_its_notes(tmp_path: Path) -> None:
    for cls in ("normal", "pneumonia"):
        for i in range(3):
            _png(tmp_path / cls / f"{i}.png", 40 * i)
    (tmp_path / "normal" / "9.png").symlink_to(tmp_path / "gone" / "9.png")
    source = load_imagefolder(tmp_path)
    notes = " ".join(source.notes)
    assert "1 symbolic link(s) whose target does not exist (first: normal/9.png ->" in notes
    assert "non-image" not in notes
