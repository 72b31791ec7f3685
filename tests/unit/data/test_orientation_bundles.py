"""Bundles read volumes in the orientation they were trained on, and write masks back in each
file's own voxel order (see test_orientation.py for the reading itself).

A bundle with ``"orientation": "RAS"`` (every bundle trained now) gives every stored orientation
of one volume one prediction; a bundle without the field (trained before) reads the stored order
in predict, evaluate and serving, exactly as it did. A mask predicted on an LAS file is written
in the LAS order, so it overlays the input in a viewer.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError
from meddx.data.io import read_image
from tests.unit.data.test_orientation import _copies, _ras_volume

nib = pytest.importorskip("nibabel")

# ------------------------------------------------------------------------- bundles
def _classifier(tmp_path: Path, orientation: str | None) -> Path:
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    torch.manual_seed(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([_ras_volume().transpose(2, 1, 0)[None]])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "vol", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    if orientation is not None:
        config["orientation"] = orientation
    return save_bundle(tmp_path / f"b-{orientation}", net=net, config=config, metrics={}, model_card="# card")


def _probs(predictor, paths: list[Path]) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array([list(p.probabilities.values()) for p in predictor.predict_files(paths)])


def test_a_ras_bundle_predicts_every_stored_orientation_alike(tmp_path: Path) -> None:
    files = _copies(tmp_path)
    predictor = load_bundle(_classifier(tmp_path, "RAS"))
    assert predictor.orientation == "RAS"
    probs = _probs(predictor, list(files.values()))
    np.testing.assert_allclose(probs, np.repeat(probs[:1], len(files), axis=0), atol=1e-6)


def test_a_bundle_without_orientation_reads_the_stored_order_as_before(tmp_path: Path) -> None:
    files = _copies(tmp_path)
    old = load_bundle(_classifier(tmp_path, None))
    assert old.orientation is None
    got = _probs(old, [files["ras"], files["las"]])
    stored = [nib.load(str(files[n])).get_fdata().astype(np.int16).transpose(2, 1, 0)[None] for n in ("ras", "las")]
    np.testing.assert_allclose(got, old.predict_arrays(stored), atol=1e-6)  # exactly what the stored arrays give
    assert np.abs(got[0] - got[1]).max() > 1e-4  # the mirror image is another input to this network


def test_a_bundle_orientation_that_is_not_axis_codes_is_refused(tmp_path: Path) -> None:
    path = _classifier(tmp_path, "RAS")
    import json

    config = json.loads((path / "config.json").read_text())
    config["orientation"] = "RAR"
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"field 'orientation' must be .*'RAS'.*found 'RAR'"):
        load_bundle(path)


def test_new_image_and_segmentation_bundles_record_ras_and_the_dicom_voi() -> None:
    from meddx.training.finish import reading_fields
    from meddx.training.seg_finish import seg_bundle_config

    assert reading_fields(3) == reading_fields(2) == {"orientation": "RAS", "dicom_voi": True,
                                                      "dicom_presentation": 3}
    assert reading_fields(0) == {}
    split = SimpleNamespace(meta={})
    source = SimpleNamespace(split=lambda name: split, spatial_dims=3, label_names=["bg", "x"], num_classes=2,
                             mask_kind="labels")
    plan = SimpleNamespace(model="unet", model_args={}, ensemble=1, patch_size=[8, 8, 8], mirror_axes=[0],
                           reasons={}, model_dump=dict, preprocessor=lambda: SimpleNamespace(to_dict=dict))
    config = SimpleNamespace(data="d", seed=0, val_fraction=0.1, test_fraction=0.1, intended_use=None)
    seg = seg_bundle_config(config, source, plan, "n", Path("/nonexistent"))  # type: ignore[arg-type]
    assert seg["orientation"] == "RAS" and seg["dicom_voi"] is True and seg["dicom_presentation"] == 3


# --------------------------------------------------------------------- segmentation
def _segmenter(orientation: str | None):  # type: ignore[no-untyped-def]
    """A 3D segmentation predictor whose network is one fixed, asymmetric 3x3x3 convolution:
    not mirror-equivariant, as a trained network is not."""
    from meddx.bundle.seg_predictor import SegPredictor

    torch.manual_seed(3)
    net = torch.nn.Conv3d(1, 2, 3, padding=1)
    config = {"name": "seg", "task": "segmentation", "label_names": ["background", "x"],
              "model": {"name": "none", "num_classes": 2, "args": {}},
              "preprocessing": {"kind": "segmentation", "spatial_dims": 3, "channels": 1, "size": None,
                                "target_spacing": None, "normalization": "zscore", "ct_stats": None},
              "inference": {"patch_size": [6, 7, 8], "overlap": 0.5}}
    if orientation is not None:
        config["orientation"] = orientation
    return SegPredictor(config, net)


def test_a_mask_predicted_on_the_las_file_is_written_in_its_own_voxel_order(tmp_path: Path) -> None:
    files = _copies(tmp_path)
    predictor = _segmenter("RAS")
    rows = {r["source"]: r for r in predictor.predict_files([files["ras"], files["las"], files["perm"]],
                                                            tmp_path / "out", overlays=False)}
    ras_mask = nib.load(rows[str(files["ras"])]["mask"])
    las_mask = nib.load(rows[str(files["las"])]["mask"])
    ras_labels = np.asarray(ras_mask.dataobj)
    assert 0 < ras_labels.sum() < ras_labels.size  # a prediction with both classes
    # voxel by voxel in the LAS file's own order: the RAS prediction flipped along x
    np.testing.assert_array_equal(np.asarray(las_mask.dataobj), ras_labels[::-1])
    np.testing.assert_allclose(las_mask.affine, nib.load(str(files["las"])).affine)  # overlays the input
    perm_mask = nib.load(rows[str(files["perm"])]["mask"])
    assert perm_mask.shape == nib.load(str(files["perm"])).shape
    np.testing.assert_array_equal(np.asarray(nib.as_closest_canonical(perm_mask).dataobj), ras_labels)
    # read back through meddx, every mask is the RAS one
    for row in rows.values():
        np.testing.assert_array_equal(read_image(row["mask"]).array[0], ras_labels.transpose(2, 1, 0))


def test_a_segmentation_bundle_without_orientation_predicts_the_stored_order(tmp_path: Path) -> None:
    files = _copies(tmp_path)
    old = _segmenter(None)
    rows = old.predict_files([files["ras"], files["las"]], tmp_path / "out", overlays=False)
    las_stored = read_image(files["las"], None)
    expected = old.predict_case(las_stored.array, las_stored.spacing).labels.transpose(2, 1, 0)
    written = np.asarray(nib.load(rows[1]["mask"]).dataobj)
    np.testing.assert_array_equal(written, expected)  # as before: the network saw the stored array
    assert not np.array_equal(written, np.asarray(nib.load(rows[0]["mask"]).dataobj)[::-1])


def _seg_folder(tmp_path: Path) -> Path:
    """images/ + labels/ of the LAS copy (mask: the upper half of the intensities)."""
    files = _copies(tmp_path)
    root = tmp_path / "src"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    las = nib.load(str(files["las"]))
    data = np.asarray(las.dataobj)
    nib.save(las, str(root / "images" / "case.nii.gz"))
    nib.save(nib.Nifti1Image((data > np.median(data)).astype(np.uint8), las.affine), str(root / "labels" / "case.nii.gz"))
    return root


def test_an_image_and_its_mask_stored_in_different_orientations_line_up(tmp_path: Path) -> None:
    """Before, the LAS mask of a RAS image was read mirrored against it (and trained on so)."""
    from meddx.data.segmentation import load_seg_source

    files = _copies(tmp_path)
    root = tmp_path / "pair"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    nib.save(nib.load(str(files["ras"])), str(root / "images" / "case.nii.gz"))
    las = nib.load(str(files["las"]))
    data = np.asarray(las.dataobj)
    nib.save(nib.Nifti1Image((data > np.median(data)).astype(np.uint8), las.affine), str(root / "labels" / "case.nii.gz"))
    case = load_seg_source(root, test_fraction=0, val_fraction=0).load_case("train", 0)
    np.testing.assert_array_equal(case.mask, (case.image[0] > np.median(case.image)).astype(np.int64))


@pytest.mark.parametrize("orientation", [None, "RAS"])
def test_segmentation_evaluation_feeds_the_bundle_its_own_orientation(tmp_path: Path, orientation: str | None) -> None:
    from meddx.bundle.seg_predictor import SegOutput
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split

    root = _seg_folder(tmp_path)
    predictor, seen = _segmenter(orientation), []

    def record(image, spacing=None, postprocess=True):  # type: ignore[no-untyped-def]
        seen.append(np.asarray(image))
        labels = (image[0] > np.median(image)).astype(np.uint8)
        return SegOutput(labels=labels, probs=np.stack([1.0 - labels, labels]).astype(np.float32))

    predictor.predict_case = record  # type: ignore[method-assign]
    source = load_seg_source(root, test_fraction=0, val_fraction=0)
    metrics, _ = evaluate_split(predictor, source, "train", SegEvalSettings(n_resamples=10))
    np.testing.assert_array_equal(seen[0], read_image(root / "images" / "case.nii.gz", orientation).array)
    assert metrics["classes"]["x"]["dice"]["mean"] == pytest.approx(1.0)  # mask read the same way


@pytest.mark.parametrize("orientation", [None, "RAS"])
def test_classification_evaluation_feeds_the_bundle_its_own_orientation(tmp_path: Path,
                                                                         orientation: str | None) -> None:
    from meddx.data.base import ImageSource, SplitData
    from meddx.evaluation.evaluate import predict_split

    files = _copies(tmp_path)
    predictor, seen = load_bundle(_classifier(tmp_path, orientation)), []
    real = predictor.predict_arrays

    def record(images, **kw):  # type: ignore[no-untyped-def]
        seen.extend(np.asarray(i) for i in images)
        return real(images, **kw)

    predictor.predict_arrays = record  # type: ignore[method-assign]
    split = SplitData(ids=["a"], labels=np.array([1]), paths=[str(files["las"])])
    source = ImageSource("s", "s", "binary", ["neg", "pos"], 3, {"test": split})
    predict_split(predictor, source, "test")
    np.testing.assert_array_equal(seen[0], read_image(files["las"], orientation).array)


def test_serving_decodes_an_upload_in_the_bundles_orientation(tmp_path: Path) -> None:
    from meddx.serving.uploads import decode_image

    files = _copies(tmp_path)
    data = files["las"].read_bytes()
    np.testing.assert_array_equal(decode_image("nifti-gz", data, "RAS"), read_image(files["ras"]).array)
    np.testing.assert_array_equal(decode_image("nifti-gz", data, None), read_image(files["las"], None).array)


def test_evaluation_reads_in_the_bundles_orientation(tmp_path: Path) -> None:
    """``evaluate`` reads a source through the same switch: an old bundle sees the stored order."""
    from meddx.data.orientation import reading_for, reading_orientation

    files = _copies(tmp_path)
    with reading_for(_segmenter(None)):
        stored = read_image(files["las"]).array
    with reading_for(_segmenter("RAS")):
        ras = read_image(files["las"]).array
    np.testing.assert_array_equal(stored, read_image(files["las"], None).array)
    np.testing.assert_array_equal(ras, read_image(files["ras"]).array)
    with reading_orientation(None):
        assert read_image(files["las"]).reoriented is None
