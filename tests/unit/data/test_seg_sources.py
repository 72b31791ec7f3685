"""Segmentation sources: layouts, pairing, label names, spacing order and patient-grouped carving."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import ConfigError, DataError
from meddx.data.segmentation import SegSplit, is_segmentation_source, load_seg_source


def png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)
    return path


def pair_2d(image: Path, mask: Path, seed: int, values: tuple[int, ...] = (0, 255), shape=(12, 16)) -> None:
    rng = np.random.default_rng(seed)
    png(image, rng.integers(0, 255, shape))
    m = np.full(shape, values[0])
    m[2:6, 3:9] = values[-1]
    png(mask, m)


def nifti(path: Path, array: np.ndarray, affine: np.ndarray) -> Path:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(array, affine), str(path))
    return path


def oblique_affine(zooms=(0.5, 1.0, 2.0)) -> np.ndarray:
    """Rotated about z by 30 degrees, with an offset; NIfTI zooms (x, y, z) = ``zooms``."""
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag(zooms)
    affine[:3, 3] = [-10.0, 22.5, 7.0]
    return affine


def test_flat_folder_with_mask_suffix(tmp_path: Path) -> None:
    for i in range(6):
        pair_2d(tmp_path / f"case{i}.png", tmp_path / f"case{i}_mask.png", i)
    (tmp_path / "previews").mkdir()  # a sub-folder is not an image without a mask
    (tmp_path / "README.txt").write_text("masks: 255 = lesion")
    assert is_segmentation_source(tmp_path)
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0)
    train = src.split("train")
    assert train.ids == [f"case{i}" for i in range(6)]
    assert [Path(m).name for m in train.masks] == [f"case{i}_mask.png" for i in range(6)]
    assert src.label_names == ["background", "foreground"] and src.num_classes == 2 and src.spatial_dims == 2
    case = src.load_case("train", 2)
    assert case.image.shape == (1, 12, 16) and case.mask.shape == (12, 16) and case.mask.dtype == np.int64
    assert set(np.unique(case.mask).tolist()) == {0, 1} and case.spacing is None and case.affine is None
    assert any("test_fraction 0" in n for n in src.notes)


def test_images_and_labels_folders_with_split_folders(tmp_path: Path) -> None:
    for split, n in (("Training", 4), ("val", 2)):
        for i in range(n):
            pair_2d(tmp_path / split / "images" / f"{split}{i}.png", tmp_path / split / "labels" / f"{split}{i}.png",
                    i, values=(0, 2))
    (tmp_path / "labels.json").write_text(json.dumps({"0": "background", "1": "liver", "2": "tumour"}))
    src = load_seg_source(tmp_path, test_fraction=0)
    assert list(src.splits) == ["train", "val"] and len(src.split("train")) == 4 and len(src.split("val")) == 2
    assert src.label_names == ["background", "liver", "tumour"]
    assert src.split("val").ids == ["val0", "val1"]
    assert set(np.unique(src.load_case("val", 1).mask).tolist()) == {0, 2}
    with pytest.raises(DataError, match="available splits: train, val"):
        src.split("test")


def test_nifti_pairs_spacing_in_array_order_and_msd_dataset_json(tmp_path: Path) -> None:
    affine = oblique_affine()
    for i in range(5):
        vol = np.random.default_rng(i).normal(size=(6, 7, 8)).astype(np.float32)  # (x, y, z) on disk
        lab = np.zeros((6, 7, 8), np.uint8)
        lab[1:3, 2:5, 1:4] = 1
        lab[4, 5, 6] = 2
        nifti(tmp_path / "imagesTr" / f"hip_{i:03d}.nii.gz", vol, affine)
        nifti(tmp_path / "labelsTr" / f"hip_{i:03d}.nii.gz", lab, affine)
    (tmp_path / "dataset.json").write_text(json.dumps({"labels": {"0": "background", "1": "Anterior",
                                                                  "2": "Posterior"}}))
    src = load_seg_source(tmp_path, test_fraction=0.2, val_fraction=0.25, seed=3)
    assert src.spatial_dims == 3 and src.label_names == ["background", "Anterior", "Posterior"]
    assert sorted(i for s in src.splits.values() for i in s.ids) == [f"hip_{i:03d}" for i in range(5)]
    case = src.load_case("train", 0)
    assert case.image.shape == (1, 8, 7, 6) and case.mask.shape == (8, 7, 6)  # (z, y, x)
    assert case.spacing == pytest.approx((2.0, 1.0, 0.5))
    np.testing.assert_allclose(case.affine, affine, atol=1e-5)
    assert case.mask[6, 5, 4] == 2 and case.mask.sum() == 2 * 3 * 3 + 2


def test_carving_groups_patients_and_is_deterministic(tmp_path: Path) -> None:
    rows = ["image,mask,patient_id"]
    for p in range(10):
        for k in range(3):
            name = f"p{p}_{k}"
            pair_2d(tmp_path / f"{name}.png", tmp_path / f"{name}_seg.png", 10 * p + k)
            rows.append(f"{name}.png,{name}_seg.png,P{p}")
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    a = load_seg_source(tmp_path / "m.csv", seed=1)
    b = load_seg_source(tmp_path / "m.csv", seed=1)
    assert list(a.splits) == ["train", "val", "test"]
    assert {k: v.ids for k, v in a.splits.items()} == {k: v.ids for k, v in b.splits.items()}
    patients = {k: set(v.patient_ids) for k, v in a.splits.items()}
    assert not patients["train"] & patients["val"] and not patients["train"] & patients["test"]
    assert not patients["val"] & patients["test"]
    assert sum(len(v) for v in a.splits.values()) == 30 and len(patients["test"]) == 2
    assert all(len(v) % 3 == 0 for v in a.splits.values())  # whole patients moved
    assert any("test carved from train" in n and "grouped by patient" in n for n in a.notes)
    others = [load_seg_source(tmp_path / "m.csv", seed=s).split("test").ids for s in range(2, 6)]
    assert any(ids != a.split("test").ids for ids in others)
    no_test = load_seg_source(tmp_path / "m.csv", test_fraction=0.0)
    assert "test" not in no_test.splits and len(no_test.split("val")) > 0
    with pytest.raises(ConfigError, match="val_fraction"):
        load_seg_source(tmp_path / "m.csv", val_fraction=1.5)


def test_manifest_split_patient_and_meta_columns(tmp_path: Path) -> None:
    rows = ["image,mask,patient_id,split,pixel size(mm),head circumference (mm),site"]
    for i in range(4):
        pair_2d(tmp_path / "img" / f"c{i}.png", tmp_path / "msk" / f"c{i}.png", i)
        split = "training" if i < 3 else "test"
        rows.append(f"img/c{i}.png,msk/c{i}.png,P{i},{split},0.{i + 1},{100 + i},{'' if i == 1 else 'A'}")
    csv_path = tmp_path / "cases.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    assert is_segmentation_source(csv_path)
    src = load_seg_source(csv_path, val_fraction=0.34, seed=0)
    assert set(src.splits) == {"train", "val", "test"} and src.split("test").ids == ["c3"]
    test = src.split("test")
    assert test.meta == {"pixel_size_mm": [0.4], "reference_hc_mm": [103.0], "site": ["A"]}
    assert test.patient_ids == ["P3"]
    allmeta = {i: (s.meta["pixel_size_mm"][k], s.meta["site"][k]) for s in src.splits.values()
               for k, i in enumerate(s.ids)}
    assert allmeta == {"c0": (0.1, "A"), "c1": (0.2, None), "c2": (0.3, "A"), "c3": (0.4, "A")}
    case = src.load_case("test", 0)
    assert case.spacing == (0.4, 0.4) and case.meta["reference_hc_mm"] == 103.0


def test_subset_keeps_meta_and_labels_are_zeros() -> None:
    split = SegSplit(ids=["a", "b", "c"], images=["a.png", "b.png", "c.png"], masks=None,
                     patient_ids=["1", "1", "2"], meta={"x": [1.0, 2.0, 3.0]})
    sub = split.subset([2, 0])
    assert sub.ids == ["c", "a"] and sub.meta == {"x": [3.0, 1.0]} and sub.patient_ids == ["2", "1"]
    assert sub.masks is None and split.labels.tolist() == [0, 0, 0] and split.labels.dtype == np.int64


def test_mask_value_outside_label_set_names_the_file(tmp_path: Path) -> None:
    for i in range(3):
        pair_2d(tmp_path / "images" / f"c{i}.png", tmp_path / "labels" / f"c{i}.png", i, values=(0, 1))
    png(tmp_path / "labels" / "c2.png", np.where(np.arange(12 * 16).reshape(12, 16) < 20, 3, 0))
    (tmp_path / "labels.json").write_text(json.dumps(["background", "lesion"]))
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0)
    src.load_case("train", 0)
    with pytest.raises(DataError, match=r"c2\.png.*values \[3\].*0\.\.1"):
        src.load_case("train", 2)
    (tmp_path / "labels.json").unlink()  # inferred names: 0, 1, 3 are not consecutive
    with pytest.raises(DataError, match=r"c2\.png: mask value 3 but no mask holds value\(s\) \[2\]"):
        load_seg_source(tmp_path)


def test_shape_mismatch_names_both_files(tmp_path: Path) -> None:
    pair_2d(tmp_path / "images" / "a.png", tmp_path / "masks" / "a_mask.png", 0)
    pair_2d(tmp_path / "images" / "b.png", tmp_path / "masks" / "b_mask.png", 1)
    png(tmp_path / "masks" / "b_mask.png", np.zeros((10, 16)))
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0)
    with pytest.raises(DataError, match=r"b_mask\.png: mask shape \(10, 16\) differs from image .*b\.png.*\(12, 16\)"):
        src.load_case("train", 1)


def test_mask_on_another_grid_is_refused_and_a_mask_stored_in_another_orientation_lines_up(tmp_path: Path) -> None:
    """Found by an audit: a NIfTI mask whose affine put it 5 mm beside its image trained and scored
    silently (only ``data verify`` listed it); a mask stored flipped (LAS vs RAS) of the same grid is fine."""
    affine = oblique_affine()
    lab = np.zeros((6, 7, 8), np.uint8)
    lab[1:3, 2:5, 1:4] = 1
    vol = np.where(lab > 0, 100.0, 0.0).astype(np.float32)
    shifted = affine.copy()
    shifted[0, 3] += 5.0
    flipped = affine @ np.array([[-1.0, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])  # x reversed, same grid
    nifti(tmp_path / "imagesTr" / "a.nii.gz", vol, affine)
    nifti(tmp_path / "labelsTr" / "a.nii.gz", lab, shifted)
    nifti(tmp_path / "imagesTr" / "b.nii.gz", vol[::-1].copy(), flipped)
    nifti(tmp_path / "labelsTr" / "b.nii.gz", lab, affine)
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0, label_names=["background", "lesion"])
    with pytest.raises(DataError, match=r"labelsTr/a\.nii\.gz: mask affine differs from image .*a\.nii\.gz by up to 5 mm"):
        src.load_case("train", 0)
    case = src.load_case("train", 1)
    assert case.mask.sum() == 18 and np.all(case.image[0][case.mask == 1] == 100.0)


def test_masks_empty_everywhere_are_refused_at_load_and_listed_by_verify(tmp_path: Path) -> None:
    """Found by an audit: with every mask 0 the inferred label set was just ``background`` and
    training failed with "model 'unet' needs ... num_classes >= 2", blaming the network."""
    for i in range(3):
        pair_2d(tmp_path / "images" / f"c{i}.png", tmp_path / "labels" / f"c{i}.png", i, values=(0, 0))
    with pytest.raises(DataError, match=r"labels: all 3 training mask\(s\) are 0 everywhere"):
        load_seg_source(tmp_path, test_fraction=0, val_fraction=0)
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0, lenient_labels=True)  # data verify
    assert src.label_names == ["background"]


def test_images_without_masks_and_non_segmentation_sources(tmp_path: Path) -> None:
    for i in range(8):
        pair_2d(tmp_path / "seg" / "images" / f"c{i}.png", tmp_path / "seg" / "labels" / f"c{i}.png", i)
    for i in range(7):
        (tmp_path / "seg" / "labels" / f"c{i}.png").unlink()
    with pytest.raises(DataError, match=r"7 image\(s\) without a mask .*c0\.png, c1\.png.* and 2 more"):
        load_seg_source(tmp_path / "seg")
    for cls in ("normal", "tumour"):
        png(tmp_path / "cls" / cls / "x.png", np.zeros((4, 4)))
    (tmp_path / "plain.csv").write_text("path,label\ncls/normal/x.png,normal\n")
    assert not is_segmentation_source(tmp_path / "cls")
    assert not is_segmentation_source(tmp_path / "plain.csv")
    assert not is_segmentation_source("medmnist:pneumoniamnist")
    with pytest.raises(DataError, match="not a segmentation source"):
        load_seg_source(tmp_path / "cls")
    with pytest.raises(DataError, match="no such file"):
        load_seg_source(tmp_path / "absent")


def test_hc18_layout_subjects_and_meta(tmp_path: Path) -> None:
    folder = tmp_path / "training_set"
    names = ["000_HC", "001_HC", "001_2HC", "002_HC", "003_HC", "003_3HC"]
    for k, n in enumerate(names):
        pair_2d(folder / f"{n}.png", folder / f"{n}_Annotation.png", k)
    (tmp_path / "training_set_pixel_size_and_HC.csv").write_text(
        "filename,pixel size(mm),head circumference (mm)\n"
        + "".join(f"{n}.png,0.{k + 1},{50 + k}\n" for k, n in enumerate(names)))
    for spec in (tmp_path, folder):
        assert is_segmentation_source(spec)
    src = load_seg_source(folder, test_fraction=0.25, val_fraction=0, seed=0)
    assert src.mask_kind == "outline" and src.label_names == ["background", "head"] and src.origin == str(tmp_path)
    rows = {i: (p, ps, hc) for s in src.splits.values()
            for i, p, ps, hc in zip(s.ids, s.patient_ids, s.meta["pixel_size_mm"], s.meta["reference_hc_mm"])}
    assert rows["001_2HC"] == ("001", 0.3, 52.0) and rows["003_3HC"] == ("003", 0.6, 55.0)
    by_split = {k: set(v.patient_ids) for k, v in src.splits.items()}
    assert not by_split["train"] & by_split["test"]


def test_hc18_without_its_csv_is_still_an_outline_source(tmp_path: Path) -> None:
    for k, n in enumerate(["000_HC", "001_2HC"]):
        pair_2d(tmp_path / "training_set" / f"{n}.png", tmp_path / "training_set" / f"{n}_Annotation.png", k)
    src = load_seg_source(tmp_path / "training_set", test_fraction=0, val_fraction=0)
    assert src.mask_kind == "outline" and src.split("train").meta["pixel_size_mm"] == [None, None]
    assert any("no pixel size for 2 image(s)" in n for n in src.notes)
