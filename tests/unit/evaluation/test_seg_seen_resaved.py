"""Training cases re-saved under their own ids (other file bytes, same voxels) are not scored as
held out without a word: file digests alone miss them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from meddx.data.synthetic_seg import write_seg_folder


def test_resaved_training_cases_with_their_ids_are_warned_about(tmp_path: Path) -> None:
    import nibabel as nib

    from meddx.core.files import file_digest
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_seen import check_unseen

    data = write_seg_folder(tmp_path / "pairs", n=10, spatial_dims=3, size=16, seed=4)
    trained = load_seg_source(data, test_fraction=0.2, val_fraction=0.1, seed=0)
    cases = {s: {"ids": list(trained.split(s).ids), "image_sha256": [file_digest(p) for p in trained.split(s).images]}
             for s in ("train", "val")}
    bundle = SimpleNamespace(name="b3", config={"training": {"data": str(data), "cases": cases}})
    assert check_unseen(bundle, trained, "test", str(data)) == []  # its own test split: nothing to say
    copy = tmp_path / "resaved"  # the same volumes re-saved (uncompressed .nii): other bytes, same ids
    for sub in ("images", "labels"):
        (copy / sub).mkdir(parents=True)
        for f in sorted((data / sub).iterdir()):
            img = nib.load(str(f))
            nib.save(nib.Nifti1Image(img.get_fdata().astype(img.get_data_dtype()), img.affine),
                     str(copy / sub / f.name.replace(".nii.gz", ".nii")))
    other = load_seg_source(copy, test_fraction=0.5, val_fraction=0, seed=7)
    test_ids = set(other.split("test").ids)
    trained_ids = set(cases["train"]["ids"]) | set(cases["val"]["ids"])
    assert test_ids & trained_ids  # the carve put training cases into this test split
    warned = check_unseen(bundle, other, "test", str(copy))
    n = len(test_ids & trained_ids)
    assert len(warned) == 1 and f"{n} of 5 test cases" in warned[0] and "case ids of training cases of bundle 'b3' but other image files" in warned[0]
    assert "not held-out" in warned[0]
