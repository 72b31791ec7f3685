"""info and verify on segmentation sources, through the Python API and ``meddx data``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.data.seg_verify import seg_source_info, verify_seg_source
from meddx.data.segmentation import load_seg_source


def png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)


def make_split_folders(root: Path) -> Path:
    """train: a0..a3, test: t0, t1 (2 classes, masks {0, 1}); t1 has an empty mask."""
    for offset, (split, names) in enumerate((("train", ["a0", "a1", "a2", "a3"]), ("test", ["t0", "t1"]))):
        for k, name in enumerate(names):
            rng = np.random.default_rng(10 * offset + k)
            png(root / split / "images" / f"{name}.png", rng.integers(0, 255, (16, 16)))
            m = np.zeros((16, 16))
            if name != "t1":
                m[2:6 + k, 3:9] = 1
            png(root / split / "labels" / f"{name}.png", m)
    return root


def test_info_counts_shapes_and_class_fractions(tmp_path: Path) -> None:
    src = load_seg_source(make_split_folders(tmp_path), val_fraction=0)
    info = seg_source_info(src)
    assert info["task"] == "segmentation" and info["num_classes"] == 2 and info["total"] == 6
    train, test = info["splits"]["train"], info["splits"]["test"]
    assert train["count"] == 4 and train["decoded"] == 4 and train["shape"]["median"] == [16.0, 16.0]
    assert train["mask_values"] == [0, 1] and train["empty_masks"] == 0 and test["empty_masks"] == 1
    fg = sum((4 + k) * 6 for k in range(4)) / (4 * 256)
    assert train["class_fraction"]["foreground"] == pytest.approx(fg)
    assert train["channels"] == [1] and train["spacing"] is None and train["cases_without_spacing"] == 4
    json.dumps(info)


def test_verify_clean_source_reports_only_the_empty_mask(tmp_path: Path) -> None:
    report = verify_seg_source(load_seg_source(make_split_folders(tmp_path), val_fraction=0))
    assert not report.has_leakage and not report.has_errors
    assert [e["id"] for e in report.empty_masks] == ["t1"]
    assert report.to_dict()["summary"]["empty_masks"] == 1


def test_verify_reports_cross_split_duplicate_and_broken_pairs(tmp_path: Path) -> None:
    root = make_split_folders(tmp_path)
    shutil.copy(root / "train" / "images" / "a1.png", root / "test" / "images" / "t0.png")  # leak
    png(root / "train" / "labels" / "a2.png", np.zeros((12, 16)))  # size mismatch
    m = np.zeros((16, 16))
    m[0, 0] = 5
    png(root / "train" / "labels" / "a3.png", m)  # value outside the label set
    (root / "train" / "images" / "a0.png").write_bytes(b"not a png")  # undecodable image
    report = verify_seg_source(load_seg_source(root, val_fraction=0, label_names=["background", "organ"]),
                               near_duplicates=False)
    assert report.has_leakage and report.has_errors
    cross = [g for g in report.exact_duplicates if g["cross_split"]]
    assert len(cross) == 1 and {(m["split"], m["id"]) for m in cross[0]["members"]} == {("train", "a1"),
                                                                                     ("test", "t0")}
    assert [(m["id"], m["kind"], m["image_shape"], m["mask_shape"]) for m in report.mismatches] == [
        ("a2", "shape", [16, 16], [12, 16])]
    assert [(b["id"], b["values"]) for b in report.bad_values] == [("a3", [5])]
    assert [(u["id"], u["file"]) for u in report.undecodable] == [("a0", "image")]
    s = report.to_dict()["summary"]
    assert s["exact_cross_split_samples"] == {"test": 1, "train": 1} and s["mismatched_pairs"] == 1


def test_verify_reports_nifti_affine_mismatch_and_patient_overlap(tmp_path: Path) -> None:
    import nibabel as nib

    rows = ["image,mask,patient_id,split"]
    for k, split in enumerate(["train", "train", "test"]):
        vol = np.random.default_rng(k).normal(size=(5, 5, 5)).astype(np.float32)
        lab = np.zeros((5, 5, 5), np.uint8)
        lab[1:3, 1:3, 1:3] = 1
        shifted = np.eye(4)
        shifted[0, 3] = 0.5 if k == 1 else 0.0
        nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp_path / f"i{k}.nii.gz"))
        nib.save(nib.Nifti1Image(lab, shifted), str(tmp_path / f"m{k}.nii.gz"))
        rows.append(f"i{k}.nii.gz,m{k}.nii.gz,{'P1' if k != 1 else 'P2'},{split}")
    (tmp_path / "cases.csv").write_text("\n".join(rows) + "\n")
    report = verify_seg_source(load_seg_source(tmp_path / "cases.csv", val_fraction=0))
    assert [(m["id"], m["kind"]) for m in report.mismatches] == [("i1", "affine")]
    assert report.mismatches[0]["max_difference"] == pytest.approx(0.5)
    assert [o["patient_id"] for o in report.patient_overlap] == ["P1"] and report.has_leakage


def test_cli_info_and_verify_dispatch_to_segmentation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.main import main

    root = make_split_folders(tmp_path / "src")

    def run(argv: list[str]) -> int:
        capsys.readouterr()
        try:
            main(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    assert run(["data", "info", str(root), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["task"] == "segmentation" and info["splits"]["test"]["count"] == 2
    # no val folder: info says what training will carve, not "val_fraction 0: none carved"
    assert "no val split: meddx train carves one from train (val_fraction, default 0.1, grouped by patient when " \
           "ids exist)" in info["notes"], info["notes"]
    assert not any("none carved" in note for note in info["notes"])
    assert run(["data", "verify", str(root), "--report", str(tmp_path / "ok.json")]) == 0
    assert json.loads((tmp_path / "ok.json").read_text())["summary"]["has_leakage"] is False
    shutil.copy(root / "train" / "images" / "a1.png", root / "test" / "images" / "t0.png")
    assert run(["data", "verify", str(root), "--report", str(tmp_path / "leak.json")]) == 1
    report = json.loads((tmp_path / "leak.json").read_text())
    assert report["summary"]["has_leakage"] is True and report["summary"]["exact_duplicate_groups_cross_split"] == 1


def test_verify_reports_a_mask_value_that_skips_labels_instead_of_stopping(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A stray value 7 in one {0, 1} mask: loading for training refuses it; verify loads the
    source with labels 0..1 and lists that mask among its findings (exit 1, report written)."""
    from meddx.cli.main import main
    from meddx.core.errors import DataError

    root = make_split_folders(tmp_path / "src")
    mask = np.asarray(Image.open(root / "train" / "labels" / "a2.png")).copy()
    mask[0, 0] = 7
    png(root / "train" / "labels" / "a2.png", mask)
    with pytest.raises(DataError, match="mask value 7"):
        load_seg_source(root, val_fraction=0)
    report = tmp_path / "r.json"
    with pytest.raises(SystemExit) as exc:
        main(["data", "verify", str(root), "--report", str(report)])
    assert exc.value.code == 1
    found = json.loads(report.read_text())
    assert found["summary"]["masks_with_values_outside_labels"] == 1
    assert "a2.png" in capsys.readouterr().out
