"""A mask value outside the label set is refused with advice that fits where the names came from:
``--labels`` when the user gave them (not a labels.json they never wrote), and a 0/255 hint for a
binary NIfTI mask saved as {0, 255} (only PNG masks are read that way)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.synthetic_seg import write_seg_folder


def _resave_first_mask(data: Path, change) -> None:  # noqa: ANN001
    import nibabel as nib

    first = sorted((data / "labels").iterdir())[0]
    img = nib.load(str(first))
    nib.save(nib.Nifti1Image(change(np.asarray(img.dataobj)).astype(np.uint8), img.affine), str(first))


def test_binary_mask_saved_as_255_names_labels_option_and_the_0_255_hint(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source

    data = write_seg_folder(tmp_path / "vols", n=4, spatial_dims=3, size=12, classes=2, seed=1)
    (data / "labels.json").unlink(missing_ok=True)
    _resave_first_mask(data, lambda m: (m > 0) * 255)
    source = load_seg_source(data, test_fraction=0, val_fraction=0, label_names=["background", "hippocampus"])
    index = source.split("train").ids.index(sorted(source.split("train").ids)[0])
    with pytest.raises(DataError, match=r"mask values \[255\] .*add the label to --labels \(label_names\); "
                                        r"a binary mask saved as 0/255\? store it as 0/1$"):
        source.load_case("train", index)


def test_stray_value_with_a_names_file_points_at_labels_json_without_the_255_hint(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source

    data = write_seg_folder(tmp_path / "vols", n=4, spatial_dims=3, size=12, classes=2, seed=1)
    (data / "labels.json").write_text(json.dumps(["background", "hippocampus"]), encoding="utf-8")
    _resave_first_mask(data, lambda m: np.where(m > 0, 3, 0))
    source = load_seg_source(data, test_fraction=0, val_fraction=0)
    index = source.split("train").ids.index(sorted(source.split("train").ids)[0])
    with pytest.raises(DataError, match=r"mask values \[3\] .*add the label to labels\.json$"):
        source.load_case("train", index)
