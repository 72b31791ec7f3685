"""A segmentation training case re-saved (float32, uncompressed, another header) under a new case id
has other file bytes and another id; its decoded voxels give it away: ``evaluate`` and ``compare``
refuse it on test and warn about it on train/val, naming both ids. The bundle is untrained
(``bundle_helpers``) with the training records a trained run writes (``seg_fit.data_summary``,
``seg_finish.training_cases``): the answer does not depend on training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import LeakageError
from meddx.data.synthetic_seg import write_seg_folder
from tests.integration.bundle_helpers import tiny_seg_bundle


def _bundle_trained_on(tmp_path: Path, name: str, data: Path, *, voxels: bool = True) -> tuple[Path, list[str]]:
    """A tiny bundle recording the train/val cases of ``data`` as training records them; returns
    it and its train case ids."""
    from meddx.core.files import write_json_atomic
    from meddx.data.segmentation import load_seg_source
    from meddx.training.seg_finish import training_cases
    from meddx.training.seg_fit import data_summary
    from meddx.training.seg_voxels import DigestingReader

    source = load_seg_source(str(data), val_fraction=0.2, test_fraction=0.2, seed=0)
    reader = DigestingReader(source)
    for split in ("train", "val"):  # as preprocess_cases decodes them
        for i in range(len(source.split(split))):
            reader.load_case(split, i)
    run_dir = tmp_path / f"run-{name}"
    run_dir.mkdir()
    write_json_atomic(run_dir / "data.json", data_summary(source, reader.digests() if voxels else None))
    path = tiny_seg_bundle(tmp_path / name, name, dims=3, size=[16, 16, 16], patch=[16, 16, 16], channels=[4, 8],
                           orientation="RAS")
    config = json.loads((path / "config.json").read_text())
    config["training"] = {"data": str(data), "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2,
                          "cases": training_cases(run_dir)}
    (path / "config.json").write_text(json.dumps(config))
    return path, list(source.split("train").ids)


def _resaved_source(tmp_path: Path, data: Path, case: str) -> Path:
    """imagesTr/Ts + labelsTr/Ts: fresh cases, and training case ``case`` re-saved as uncompressed
    float32 NIfTI with another description under the new id ``fresh_copy`` in the test split."""
    import nibabel as nib

    fresh = write_seg_folder(tmp_path / "fresh", n=6, spatial_dims=3, size=16, seed=9)
    root = tmp_path / "other"
    for i, f in enumerate(sorted((fresh / "images").iterdir())):
        part = "Ts" if i < 2 else "Tr"
        for kind, src in (("images", f), ("labels", fresh / "labels" / f.name)):
            (root / f"{kind}{part}").mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / f"{kind}{part}" / f"new_{i:03d}.nii.gz")
    img = nib.load(str(data / "images" / f"{case}.nii.gz"))
    copy = nib.Nifti1Image(np.asarray(img.dataobj).astype(np.float32), img.affine)
    copy.header["descrip"] = b"exported again"
    nib.save(copy, str(root / "imagesTs" / "fresh_copy.nii"))
    shutil.copy(data / "labels" / f"{case}.nii.gz", root / "labelsTs" / "fresh_copy.nii.gz")
    return root


def test_training_case_resaved_under_a_new_id_is_refused_on_test_and_warned_about_on_train(tmp_path: Path) -> None:
    from meddx.core.files import file_digest
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_seg_bundle

    data = write_seg_folder(tmp_path / "pairs", n=10, spatial_dims=3, size=16, seed=4)
    bundle, train_ids = _bundle_trained_on(tmp_path, "b3", data)
    case = train_ids[0]
    other = _resaved_source(tmp_path, data, case)
    assert file_digest(other / "imagesTs" / "fresh_copy.nii") != file_digest(data / "images" / f"{case}.nii.gz")
    settings = SegEvalSettings(n_resamples=0, overlays=0)
    with pytest.raises(LeakageError) as refused:
        evaluate_seg_bundle(bundle, str(other), "test", tmp_path / "out", settings=settings, report=False)
    message = str(refused.value)
    assert f"test case 'fresh_copy' of {other} has the same decoded voxels as train case '{case}' of bundle 'b3'" \
        in message and "\n" not in message

    # the same copy in a train split, scored knowingly: a warning naming both ids
    shutil.move(str(other / "imagesTs" / "fresh_copy.nii"), other / "imagesTr" / "fresh_copy.nii")
    shutil.move(str(other / "labelsTs" / "fresh_copy.nii.gz"), other / "labelsTr" / "fresh_copy.nii.gz")
    from meddx.data.segmentation import load_seg_source

    carved = load_seg_source(str(other), val_fraction=0.2, test_fraction=0.2, seed=0)  # val is carved from Tr
    split = next(s for s in ("train", "val") if "fresh_copy" in carved.split(s).ids)
    metrics, _ = evaluate_seg_bundle(bundle, str(other), split, tmp_path / "out2", settings=settings, report=False)
    voxel = [w for w in metrics["warnings"] if "decoded voxels" in w]
    assert len(voxel) == 1 and f"1 of {len(carved.split(split))} {split} cases" in voxel[0], metrics["warnings"]
    assert f"fresh_copy = train case {case}" in voxel[0] and "not held-out" in voxel[0]


def test_compare_refuses_either_bundles_resaved_training_case_and_old_bundles_keep_working(tmp_path: Path) -> None:
    from meddx.bundle.bundle import load_bundle
    from meddx.evaluation.seg_compare import compare_segmentation

    data = write_seg_folder(tmp_path / "pairs", n=10, spatial_dims=3, size=16, seed=4)
    old, _ = _bundle_trained_on(tmp_path, "old", write_seg_folder(tmp_path / "p2", n=10, spatial_dims=3, size=16,
                                                                    seed=5), voxels=False)
    new, train_ids = _bundle_trained_on(tmp_path, "new", data)
    other = _resaved_source(tmp_path, data, train_ids[1])
    a, b = load_bundle(old), load_bundle(new)
    with pytest.raises(LeakageError, match=r"'fresh_copy' .* same decoded voxels as train case .* of bundle B 'new'"):
        compare_segmentation(a, b, [old, new], str(other), "test", str(tmp_path / "cmp"), n_resamples=0)
    (other / "imagesTs" / "fresh_copy.nii").unlink()
    (other / "labelsTs" / "fresh_copy.nii.gz").unlink()
    result, _ = compare_segmentation(a, b, [old, new], str(other), "test", str(tmp_path / "cmp"), n_resamples=0)
    assert result["n"] == 2 and not [w for w in result["warnings"] if "decoded voxels" in w]


def test_meddx_train_records_voxel_digests_and_evaluate_refuses_a_reencoded_png(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: ``meddx train`` (one tiny epoch) records each train/val case's voxel digest
    in ``data.json`` and the bundle; a training PNG re-encoded as 16-bit with other compression under
    a new id in another source's test split makes ``meddx evaluate`` exit with one line."""
    from PIL import Image

    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = write_seg_folder(tmp_path / "small", n=10, spatial_dims=2, size=32, seed=3)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"patch_size": [32, 32], "batch_size": 4, "augment": "none", "samples_per_epoch": 8}))
    trained = run_cli(["train", "--data", str(data), "--name", "tiny", "--no-progress", "--seed", "0", "--epochs", "1",
                       "--plan", str(plan)], capsys)
    assert trained.code == 0, trained.err
    bundle = tmp_path / "home" / "bundles" / "tiny" / "v1"
    cases = json.loads((bundle / "config.json").read_text())["training"]["cases"]
    assert all(len(cases[s]["voxel_sha256"]) == len(cases[s]["ids"]) for s in ("train", "val"))
    case = cases["train"]["ids"][0]

    other, fresh = tmp_path / "other", write_seg_folder(tmp_path / "fresh", n=3, spatial_dims=2, size=32, seed=8)
    for part, names in (("Tr", ["case_001", "case_002"]), ("Ts", [])):
        for kind in ("images", "labels"):
            (other / f"{kind}{part}").mkdir(parents=True)
            for n in names:  # fresh cases of another synthetic source
                shutil.copy(fresh / kind / f"{n}.png", other / f"{kind}{part}" / f"new_{n}.png")
    pixels = np.asarray(Image.open(data / "images" / f"{case}.png")).astype(np.uint16)
    Image.fromarray(pixels).save(other / "imagesTs" / "resaved.png", compress_level=0)  # 16-bit, uncompressed
    shutil.copy(data / "labels" / f"{case}.png", other / "labelsTs" / "resaved.png")
    result = run_cli(["evaluate", str(bundle), "--data", str(other), "--out", str(tmp_path / "out")], capsys)
    assert result.code != 0 and "Traceback" not in result.err, result.out + result.err
    assert f"test case 'resaved' of {other} has the same decoded voxels as train case '{case}'" in result.err
    assert len(result.err.strip().splitlines()) == 1 and not (tmp_path / "out" / "metrics.json").exists()


def test_a_refused_evaluation_leaves_no_output_folder(tmp_path: Path) -> None:
    """The refusal comes while the cases are scored: the folder for metrics.json must not be made
    before it (an empty evaluation folder reads as an evaluation that ran)."""
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_seg_bundle

    data = write_seg_folder(tmp_path / "pairs", n=10, spatial_dims=3, size=16, seed=4)
    bundle, train_ids = _bundle_trained_on(tmp_path, "b3", data)
    other = _resaved_source(tmp_path, data, train_ids[0])
    with pytest.raises(LeakageError):
        evaluate_seg_bundle(bundle, str(other), "test", tmp_path / "out",
                            settings=SegEvalSettings(n_resamples=0, overlays=2), report=False)
    assert not (tmp_path / "out").exists()
