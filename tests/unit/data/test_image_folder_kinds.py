"""What an image folder makes of files of several kinds: a few 3D files among 2D ones (the majority
decides, the first file no longer alone), and pictures in formats meddx does not read (named, not
counted as non-image files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.imagefolder import load_imagefolder
from tests.unit.data.test_image_io import write_dicom


def _png(path: Path, value: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((6, 8), value, np.uint8)).save(path)


def test_a_cine_clip_sorted_first_does_not_make_a_folder_of_xrays_3d(tmp_path: Path) -> None:
    """One multi-frame DICOM named before the PNGs used to decide 3D, and every X-ray was undecodable."""
    for cls in ("a", "b"):
        for k in range(3):
            _png(tmp_path / cls / f"x{k}.png", k)
    write_dicom(tmp_path / "a" / "0000.dcm", np.zeros((4, 6, 8), np.int16))  # 4 frames
    source = load_imagefolder(tmp_path)
    assert source.spatial_dims == 2
    note = next(n for n in source.notes if "images of both kinds" in n)
    assert "3D: 1 (first " in note and "0000.dcm" in note and "2D: 6" in note and "reading 2D" in note


def test_a_folder_of_one_kind_reads_no_more_than_two_files_for_it(tmp_path: Path, monkeypatch) -> None:
    import meddx.data.imagefolder as imagefolder

    for cls in ("a", "b"):
        for k in range(4):
            _png(tmp_path / cls / f"x{k}.png", k)
    reads: list[str] = []
    real = imagefolder.read_image
    monkeypatch.setattr(imagefolder, "read_image", lambda p, *a, **k: reads.append(Path(p).name) or real(p, *a, **k))
    source = load_imagefolder(tmp_path)
    assert source.spatial_dims == 2 and not any("both kinds" in n for n in source.notes)
    assert len(reads) <= 2  # the first file, and the last to confirm it


def test_pictures_in_formats_not_read_are_named_not_counted_as_non_image_files(tmp_path: Path) -> None:
    """A GIF or WebP among the PNGs of a class folder is left out of training: the note used to count it
    among "non-image file(s)" beside the README, so a user missed that pictures were dropped."""
    for cls in ("a", "b"):
        _png(tmp_path / cls / "x.png")
    Image.fromarray(np.zeros((6, 8), np.uint8)).save(tmp_path / "a" / "clip.gif")
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(tmp_path / "b" / "photo.webp")
    (tmp_path / "a" / "README.txt").write_text("not an image")
    notes = load_imagefolder(tmp_path).notes
    assert any("ignored 2 image(s) in a format meddx does not read (.gif: 1, .webp: 1)" in n and "a/clip.gif" in n
               for n in notes), notes
    assert any("ignored 1 non-image file(s) inside class folders" in n for n in notes), notes


def test_a_folder_of_only_gifs_says_so(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(np.zeros((6, 8), np.uint8)).save(tmp_path / cls / "clip.gif")
    with pytest.raises(DataError, match=r"no class sub-folders with images.*found 2 image\(s\) in a format meddx "
                                        r"does not read \(\.gif: 2\).*convert them to PNG"):
        load_imagefolder(tmp_path)
