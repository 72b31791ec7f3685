"""Segmentation sources on the real shared data: MSD hippocampus (3D NIfTI) and HC18 (2D outlines).

../shared/data/msd-hippocampus/SOURCE.md: 260 image/label pairs, labels {0, 1, 2}, identical
shapes and affines. ../shared/data/hc18/SOURCE.md: 373 training images of subjects 000-299;
the reference HC is the perimeter of the least-squares ellipse through the outline ring
(within 0.005 mm on average), and frames of one subject must stay on one split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.segmentation import is_segmentation_source, load_seg_source, read_mask

pytestmark = pytest.mark.realdata


def _folder(shared_data: Path, name: str, inner: str) -> Path:
    folder = shared_data / name
    if not (folder / inner).exists():
        pytest.skip(f"{folder / inner} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return folder


@pytest.mark.timeout(300)
def test_msd_hippocampus_loads_260_3d_cases(shared_data: Path) -> None:
    folder = _folder(shared_data, "msd-hippocampus", "labels")
    assert is_segmentation_source(folder)
    src = load_seg_source(folder, seed=0)
    assert src.spatial_dims == 3 and src.num_classes == 3 and src.label_names[0] == "background"
    ids = [i for s in src.splits.values() for i in s.ids]
    assert len(ids) == len(set(ids)) == 260 and list(src.splits) == ["train", "val", "test"]
    assert len(src.split("test")) == 52  # 20 % of 260 cases
    case = src.load_case("test", 0)
    assert case.image.ndim == 4 and case.mask.shape == case.image.shape[1:]
    assert set(np.unique(case.mask).tolist()) == {0, 1, 2} and case.spacing == (1.0, 1.0, 1.0)
    assert case.affine is not None and case.affine.shape == (4, 4)


@pytest.mark.timeout(300)
def test_hc18_subject_grouped_and_outlines_filled(shared_data: Path) -> None:
    folder = _folder(shared_data, "hc18", "training_set")
    pytest.importorskip("meddx.evaluation.measure")
    from meddx.evaluation.measure import fit_ellipse

    src = load_seg_source(folder, seed=0)
    assert src.mask_kind == "outline" and src.label_names == ["background", "head"] and src.spatial_dims == 2
    assert sum(len(s) for s in src.splits.values()) == 373
    subjects = {k: set(s.patient_ids) for k, s in src.splits.items()}
    assert set().union(*subjects.values()) == {f"{i:03d}" for i in range(300)}
    assert not subjects["train"] & subjects["val"] and not subjects["train"] & subjects["test"]
    assert not subjects["val"] & subjects["test"]
    train = src.split("train")
    for index in (0, 7, len(train) - 1):
        case = src.load_case("train", index)
        assert case.mask.shape == case.image.shape[1:] and case.mask.dtype == np.int64
        ring = read_mask(case.mask_path)
        assert case.mask.sum() > ring.sum() > 0  # the filled head, not the ring
        rows, cols = np.nonzero(ring)
        hc = fit_ellipse(np.column_stack([cols, rows])).perimeter * case.meta["pixel_size_mm"]
        assert abs(hc - case.meta["reference_hc_mm"]) < 0.1, (case.id, hc, case.meta)
        assert case.spacing == (case.meta["pixel_size_mm"],) * 2
