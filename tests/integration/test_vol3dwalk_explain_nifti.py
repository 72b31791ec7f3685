"""``meddx explain`` on a 3D bundle writes each volume's attribution map as NIfTI on the input's own
voxel grid and geometry (the NIfTI file's affine and stored voxel order; a DICOM series' affine from
its headers), so it opens aligned on the input in a viewer; the PNG shows only three slices."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import torch

from meddx.bundle.bundle import save_bundle
from meddx.data.io import read_image
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor
from tests.dicom_slices import write_ct_slice
from tests.integration.cli_helpers import run_cli

# stored with x and y flipped (LPS-like), anisotropic, shifted: read as RAS, so the map must be turned back
AFFINE = np.array([[-0.8, 0, 0, 40.0], [0, -0.8, 0, 30.0], [0, 0, 2.5, -20.0], [0, 0, 0, 1]])


def _bundle(tmp_path):
    torch.manual_seed(0)
    pre = ImagePreprocessor((10, 10, 10), 1).fit([np.random.default_rng(1).random((1, 10, 12, 14)).astype(np.float32)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=10, spatial_dims=3).eval()
    config = {"name": "vol", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3, "orientation": "RAS",
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 10, "spatial_dims": 3},
                        "num_classes": 2}, "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="# card")


def _series(folder, rng):
    folder.mkdir()
    for k in range(11):  # 11 axial slices 3 mm apart, 0.7 mm pixels, origin away from 0
        write_ct_slice(folder / f"s{k}.dcm", rng.integers(0, 400, (12, 14)).astype(np.int16), series="1.2.3.4",
                       number=k + 1, position=[-50.0, -60.0, 10.0 + 3 * k], spacing=[0.7, 0.7], thickness=3.0)
    return folder


def test_explain_writes_each_volumes_map_as_nifti_aligned_on_its_input(tmp_path, capsys):
    rng = np.random.default_rng(0)
    bundle = _bundle(tmp_path)
    volume = tmp_path / "v.nii.gz"
    nib.save(nib.Nifti1Image(rng.random((16, 14, 12)).astype(np.float32), AFFINE), volume)  # (x, y, z)
    series = _series(tmp_path / "series", rng)
    out = tmp_path / "out"
    result = run_cli(["explain", str(bundle), str(volume), str(series), "-m", "saliency", "--out", str(out)], capsys)
    assert result.code == 0, result.err
    rows = json.loads((out / "explanations.json").read_text())

    nifti_map = nib.load(str(out / "0001-v.nii.gz-saliency.nii.gz"))
    assert nifti_map.shape == (16, 14, 12)  # the input's stored grid, not the model's 10^3
    np.testing.assert_allclose(nifti_map.affine, AFFINE, atol=1e-5)
    assert np.asarray(nifti_map.dataobj).dtype == np.float32 and np.abs(np.asarray(nifti_map.dataobj)).max() > 0

    from meddx.explain.api import as_predictor, explain
    from meddx.explain.figures import _resize

    predictor = as_predictor(str(bundle))
    for name, source, row in [("0001-v.nii.gz-saliency.nii.gz", volume, rows[0]),
                              ("0002-series-saliency.nii.gz", series, rows[1])]:
        written, given = read_image(out / name), read_image(source)  # both read as RAS: one grid
        assert written.array.shape == given.array.shape
        if given.affine is not None:
            np.testing.assert_allclose(written.affine, given.affine, atol=1e-5)
        attribution = explain(predictor, [str(source)], "saliency")[0].attribution
        assert list(np.shape(attribution)) == row["shape"]
        # voxel for voxel the explanation's map, resized to the input's grid as the PNG draws it
        np.testing.assert_allclose(written.array[0], _resize(attribution, written.array.shape[1:]), atol=1e-6)

    from meddx.data.seg_dicom import dicom_affine

    dicom_map = nib.load(str(out / "0002-series-saliency.nii.gz"))
    assert dicom_map.shape == (14, 12, 11)  # columns, rows, slices
    np.testing.assert_allclose(dicom_map.affine, dicom_affine(series), atol=1e-4)
    # the DICOM corner voxel (LPS -50, -60, 10) is RAS (50, 60, 10)
    np.testing.assert_allclose(dicom_map.affine @ [0, 0, 0, 1], [50.0, 60.0, 10.0, 1.0], atol=1e-4)

    again = run_cli(["explain", str(bundle), str(series), "-m", "saliency", "--out", str(out), "--overwrite"], capsys)
    assert again.code == 0, again.err
    assert (out / "0001-series-saliency.nii.gz").is_file()
    assert not (out / "0001-v.nii.gz-saliency.nii.gz").exists()  # the earlier run's map, removed as its PNG is
    assert not (out / "0002-series-saliency.nii.gz").exists()


def test_a_second_run_into_the_same_folder_refuses_before_replacing_a_map(tmp_path, capsys):
    bundle = _bundle(tmp_path)
    volume = tmp_path / "v.nii"
    nib.save(nib.Nifti1Image(np.random.default_rng(2).random((16, 14, 12)).astype(np.float32), AFFINE), volume)
    out = tmp_path / "out"
    assert run_cli(["explain", str(bundle), str(volume), "-m", "saliency", "--out", str(out)], capsys).code == 0
    (out / "0001-v.nii-saliency.png").unlink()  # only the map is left of the first run's files
    (out / "explanations.json").unlink()
    second = run_cli(["explain", str(bundle), str(volume), "-m", "saliency", "--out", str(out)], capsys)
    assert second.code == 2 and "0001-v.nii-saliency.nii.gz already exists" in second.err
