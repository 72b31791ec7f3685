"""A quoted glob given to ``meddx predict`` reads its matches as a folder's files are read.

A hospital export folder holds Windows' ``Thumbs.db`` and ``desktop.ini`` beside the images:
``meddx predict BUNDLE export/`` skipped them, but ``meddx predict BUNDLE 'export/*'`` stopped on
the first with "cannot decode image".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.inputs import expand_image_inputs


def _export(root: Path) -> tuple[Path, Path]:
    root.mkdir(parents=True)
    a, b = root / "a.png", root / "b.JPG"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(a)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(b, format="JPEG")
    (root / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    (root / "desktop.ini").write_text("[.ShellClassInfo]\r\n")
    return a, b


def test_glob_skips_non_images_as_a_folder_does(tmp_path: Path) -> None:
    a, b = _export(tmp_path / "export")
    assert expand_image_inputs([tmp_path / "export"], spatial_dims=2) == [a, b]
    assert expand_image_inputs([str(tmp_path / "export" / "*")], spatial_dims=2) == [a, b]


def test_glob_matching_no_image_names_the_pattern(tmp_path: Path) -> None:
    _export(tmp_path / "export")
    pattern = str(tmp_path / "export" / "*.db")
    with pytest.raises(DataError, match=r"\*\.db: the pattern matches no image file \(1 other file\(s\): Thumbs.db\)"):
        expand_image_inputs([pattern], spatial_dims=2)


def test_a_file_named_on_purpose_is_still_an_input(tmp_path: Path) -> None:
    _export(tmp_path / "export")
    thumbs = tmp_path / "export" / "Thumbs.db"
    assert expand_image_inputs([thumbs], spatial_dims=2) == [thumbs]  # the reader then names it


def test_glob_keeps_folders_and_broken_links(tmp_path: Path) -> None:
    a, b = _export(tmp_path / "day" / "ward1")
    gone = tmp_path / "day" / "scan.png"
    gone.symlink_to(tmp_path / "moved.png")
    got = expand_image_inputs([str(tmp_path / "day" / "*")], spatial_dims=2)
    assert got == [gone, a, b]
