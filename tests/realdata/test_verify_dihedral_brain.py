"""Flipped/rotated copies on real brain MRI (../shared/data/brain-tumor-mri).

The folder itself holds none at verify's defaults: looked at by eye, the closest mirrored pairs
(hash 4-8 bits apart, thumbnails correlated 0.90-0.94, found only with looser settings) are
different patients' slices at the same level. So the search must report none there, and must
find real images turned, resized and re-encoded as JPEG, as a re-export would store them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.sources import load_source
from meddx.data.verify import verify_source

pytestmark = pytest.mark.realdata


def _brain(shared_data: Path) -> Path:
    folder = shared_data / "brain-tumor-mri"
    if not (folder / "Training").is_dir():
        pytest.skip(f"{folder} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return folder


@pytest.mark.timeout(300)
def test_turned_real_images_in_test_are_found_with_their_transform(shared_data: Path, tmp_path: Path) -> None:
    from PIL import Image

    folder = _brain(shared_data)
    T = Image.Transpose
    turns = {("pituitary_tumor", "p (10).jpg"): ("rot90", T.ROTATE_90),
             ("pituitary_tumor", "p (100).jpg"): ("flip_ud", T.FLIP_TOP_BOTTOM),
             ("glioma_tumor", "gg (10).jpg"): ("transpose", T.TRANSPOSE)}
    for cls, prefix in (("pituitary_tumor", "p"), ("glioma_tumor", "gg")):
        for split in ("train", "test"):
            (tmp_path / split / cls).mkdir(parents=True)
        for k in (10, 100, 11, 12, 13, 14):
            name = f"{prefix} ({k}).jpg"
            original = folder / "Training" / cls / name
            (tmp_path / "train" / cls / name).write_bytes(original.read_bytes())
            if (cls, name) in turns:  # turned, resized and re-encoded, as a re-export stores it
                image = Image.open(original).convert("L").transpose(turns[cls, name][1])
                image.resize((256, 256), Image.BILINEAR).save(tmp_path / "test" / cls / f"turned {name}", quality=85)
        unrelated = sorted((folder / "Testing" / cls).iterdir())[0]
        (tmp_path / "test" / cls / unrelated.name).write_bytes(unrelated.read_bytes())

    report = verify_source(load_source(tmp_path, carve_val=False))
    found = {m["id"]: m["transform"] for g in report.flipped_rotated_copies for m in g["members"]
             if m["split"] == "test"}
    assert found == {f"test/{cls}/turned {name}": t for (cls, name), (t, _) in turns.items()}
    assert all(g["cross_split"] and g["size"] == 2 for g in report.flipped_rotated_copies)
    assert report.has_leakage and not report.near_duplicates


@pytest.mark.timeout(600)
def test_the_real_folder_holds_no_flipped_or_rotated_copy_at_the_defaults(shared_data: Path) -> None:
    report = verify_source(load_source(_brain(shared_data), carve_val=False))
    assert report.settings["flips_rotations"]
    assert report.summary["flipped_rotated_groups"] == 0
    assert report.summary["near_duplicate_groups"] == 173  # the search that runs before it is unchanged
    assert np.isclose(report.settings["min_correlation"], 0.98)
