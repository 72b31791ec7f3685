"""NIfTI files and folders as ``meddx predict`` reads them for a 3D (or 2D) classifier.

Found by an audit: (1) an RGB NIfTI (structured RGB24 voxels) crashed prediction with a numpy
traceback; (2) a complex NIfTI lost its imaginary part with only a numpy warning; (3) a gzipped
NIfTI named ``.nii``, a plain one named ``.nii.gz`` or one without extension was recognised by
its content and then refused by nibabel, which decodes by name; (4) a folder's hidden
sub-folders (``.git``, ``.ipynb_checkpoints``) were expanded into inputs; (5) a 3D bundle
classified a single slice (``x*y*1`` NIfTI) stretched into a volume; (6) a 4D NIfTI's time points
or modalities were silently averaged into a 1-channel bundle's input.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import DataError
from meddx.data.inputs import expand_image_inputs
from meddx.data.io import read_image
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor

nib = pytest.importorskip("nibabel")


def _volume() -> np.ndarray:
    """(D, H, W) = (5, 6, 7) with distinct values, so that any axis mix-up shows."""
    return np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)


def _save(data: np.ndarray, path: Path) -> Path:
    nib.save(nib.Nifti1Image(data, np.diag([0.5, 0.6, 2.0, 1.0])), str(path))
    return path


def test_an_rgb_nifti_gives_three_channels_in_the_volume_layout(tmp_path: Path) -> None:
    vol = _volume().astype(np.uint8)
    rgb = np.zeros(vol.transpose(2, 1, 0).shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    rgb["R"], rgb["G"], rgb["B"] = vol.transpose(2, 1, 0), 0, 255
    loaded = read_image(_save(rgb, tmp_path / "rgb.nii.gz"))
    assert loaded.array.shape == (3, 5, 6, 7) and loaded.array.dtype == np.uint8
    assert np.array_equal(loaded.array[0], vol) and (loaded.array[2] == 255).all()
    assert loaded.spacing == pytest.approx((2.0, 0.6, 0.5))


def test_a_complex_nifti_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _save(_volume().transpose(2, 1, 0).astype(np.complex64), tmp_path / "phase.nii.gz")
    with pytest.raises(DataError, match="phase.nii.gz: complex-valued"):
        read_image(path)


def test_a_nifti_named_against_its_content_is_read_by_its_content(tmp_path: Path) -> None:
    vol = _volume()
    gz = _save(vol.transpose(2, 1, 0), tmp_path / "v.nii.gz")
    plain = _save(vol.transpose(2, 1, 0), tmp_path / "v.nii")
    gz_as_nii = tmp_path / "gz" / "scan.nii"
    gz_as_nii.parent.mkdir()
    shutil.copy(gz, gz_as_nii)
    plain_as_gz = tmp_path / "plain.nii.gz"
    shutil.copy(plain, plain_as_gz)
    no_extension = tmp_path / "IM0001"
    no_extension.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (gz_as_nii, plain_as_gz, no_extension):
        loaded = read_image(path)
        assert np.array_equal(loaded.array[0], vol), path
        assert loaded.spacing == pytest.approx((2.0, 0.6, 0.5))


def test_hidden_folders_are_not_expanded(tmp_path: Path) -> None:
    vol = _volume().transpose(2, 1, 0)
    (tmp_path / "day").mkdir()
    kept = _save(vol, tmp_path / "day" / "a.nii.gz")
    for hidden in (".git", ".ipynb_checkpoints", "sub/.cache"):
        (tmp_path / "day" / hidden).mkdir(parents=True)
        _save(vol, tmp_path / "day" / hidden / "copy.nii.gz")
    (tmp_path / "day" / "sub" / "b.nii.gz").write_bytes((tmp_path / "day" / "a.nii.gz").read_bytes())
    for dims in (2, 3):
        assert expand_image_inputs([tmp_path / "day"], spatial_dims=dims) == [kept, tmp_path / "day" / "sub" / "b.nii.gz"]


@pytest.fixture
def bundle3d(tmp_path: Path):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    volumes = [np.random.default_rng(i).integers(0, 255, (1, 5, 6, 7), dtype=np.uint8) for i in range(4)]
    pre = ImagePreprocessor((12, 12, 12), 1).fit(volumes)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "vol", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="# card")


def test_a_3d_bundle_refuses_a_single_slice(bundle3d: Path, tmp_path: Path) -> None:
    predictor = load_bundle(bundle3d)
    one = _save(_volume()[:1].transpose(2, 1, 0), tmp_path / "one_slice.nii.gz")
    with pytest.raises(DataError, match="one_slice.nii.gz: a volume of a single slice"):
        predictor.predict_files([one])
    whole = _save(_volume().transpose(2, 1, 0), tmp_path / "whole.nii.gz")
    probs = predictor.predict_files([whole])[0].probabilities
    assert sum(probs.values()) == pytest.approx(1.0)


def test_extra_channels_of_a_4d_nifti_are_refused_not_averaged(bundle3d: Path, tmp_path: Path) -> None:
    predictor = load_bundle(bundle3d)
    vol = _volume().transpose(2, 1, 0)
    for t in (2, 5):
        path = _save(np.stack([vol] * t, axis=-1), tmp_path / f"t{t}.nii.gz")
        with pytest.raises(DataError, match=f"t{t}.nii.gz: {t} channels, but bundle 'vol' reads 1-channel"):
            predictor.predict_files([path])
    grey_4d = _save(vol[..., None], tmp_path / "t1.nii.gz")  # a 4th axis of one: still grey
    rgb = np.repeat(vol.transpose(2, 1, 0)[None], 3, axis=0)  # colour converts, as for PNGs
    p_grey, p_rgb = predictor.predict_files([grey_4d])[0], predictor.predict_arrays([rgb])
    assert list(p_grey.probabilities.values()) == pytest.approx(list(p_rgb[0]), abs=1e-6)
    # training told to read 5-channel images as grey (``channels`` set in the config): so does predict
    predictor.config["training"] = {"plan_reasons": {"channels": "set in config"}}
    assert predictor.readable_image(np.zeros((5, 5, 6, 7), np.float32), "x").shape == (5, 5, 6, 7)



def test_three_or_four_volumes_of_a_4d_nifti_are_modalities_not_colours(bundle3d: Path, tmp_path: Path) -> None:
    """T1/T2/FLAIR (3 volumes) or 4 time points given to a grey bundle were averaged to grey with a
    warning calling them "a colour picture"; a 4th axis never converts as colour does. An RGB NIfTI
    (structured voxels) still converts, as a colour PNG does."""
    predictor = load_bundle(bundle3d)
    vol = _volume().transpose(2, 1, 0)
    for t in (3, 4):
        path = _save(np.stack([vol, vol + 1, vol * 2][:t] + [vol] * (t - 3), axis=-1), tmp_path / f"m{t}.nii.gz")
        assert read_image(path).fourth_axis
        with pytest.raises(DataError, match=f"m{t}.nii.gz: {t} channels, but bundle 'vol' reads 1-channel"):
            predictor.predict_files([path])
    rgb = np.zeros(vol.shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    rgb["R"] = rgb["G"] = rgb["B"] = (vol % 256).astype(np.uint8)
    path = _save(rgb, tmp_path / "rgb.nii.gz")
    assert not read_image(path).fourth_axis
    assert sum(predictor.predict_files([path])[0].probabilities.values()) == pytest.approx(1.0)


def test_a_folder_of_volumes_is_not_held_in_memory_at_full_resolution(bundle3d: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file is preprocessed to the bundle's size as it is read: a folder of 100 CT volumes
    (150 MB each) would otherwise need 15 GB before the first prediction."""
    import gc
    import weakref

    import meddx.data.io as io

    for i in range(4):
        _save(_volume().transpose(2, 1, 0), tmp_path / f"v{i}.nii.gz")
    alive: list[weakref.ref] = []
    real = io.read_image

    def tracked(path, *args):  # type: ignore[no-untyped-def]
        gc.collect()
        assert sum(ref() is not None for ref in alive) <= 1, "earlier raw volumes are still held"
        loaded = real(path, *args)
        alive.append(weakref.ref(loaded.array))
        return loaded

    monkeypatch.setattr(io, "read_image", tracked)
    predictions = load_bundle(bundle3d).predict_files([tmp_path])
    assert len(predictions) == 4 and len(alive) == 4


def test_for_3d_a_multi_frame_dicom_in_a_folder_is_a_volume_of_its_own(bundle3d: Path, tmp_path: Path) -> None:
    """Enhanced CT/MR exports hold one volume per file: a folder of them was taken for one series
    ("holds 2 DICOM series") and a folder of one for a series of multi-frame slices (refused)."""
    from tests.unit.data.test_image_io import write_dicom

    export = tmp_path / "export"
    (export / "one").mkdir(parents=True)
    volumes = [write_dicom(export / f"vol{i}.dcm", np.full((6, 12, 12), 10 * i, np.int16)) for i in range(2)]
    alone = write_dicom(export / "one" / "vol.dcm", np.zeros((6, 12, 12), np.int16))
    (export / "series").mkdir()
    slices = [write_dicom(export / "series" / f"{z}.dcm", np.zeros((12, 12), np.int16), position=float(z),
                          series="1.2.3.4") for z in range(3)]
    got = expand_image_inputs([export], spatial_dims=3)
    assert got == [alone, slices[0].parent, *volumes]
    assert expand_image_inputs([export], spatial_dims=2) == [alone, *slices, *volumes]  # 2D: files as found
    predictions = load_bundle(bundle3d).predict_files([export / "one", *volumes])
    assert [p.source for p in predictions] == [str(alone), *map(str, volumes)]
