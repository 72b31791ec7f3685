"""What predict reads from the paths a user names: folders expand to images or DICOM series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.uid import RTStructureSetStorage

from meddx.core.errors import DataError
from meddx.data.inputs import expand_image_inputs, unique_stems
from tests.unit.data.test_image_io import write_dicom
from tests.unit.data.test_seg_masks import _dicom_file


def _png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((6, 8), np.uint8)).save(path)
    return path


def test_a_folder_is_its_image_files_sorted_and_recursive_for_2d(tmp_path: Path) -> None:
    b, a = _png(tmp_path / "day" / "b.png"), _png(tmp_path / "day" / "sub" / "a.png")
    dcm = write_dicom(tmp_path / "day" / "c.dcm", np.zeros((6, 8), np.int16))
    (tmp_path / "day" / "notes.txt").write_text("not an image")
    (tmp_path / "day" / ".hidden.png").write_bytes(b"")
    _dicom_file(tmp_path / "day" / "structures.dcm", RTStructureSetStorage, Modality="RTSTRUCT")
    single = _png(tmp_path / "one.png")
    got = expand_image_inputs([single, tmp_path / "day"], spatial_dims=2)
    assert got == [single, b, dcm, a]  # the file as given, then the folder sorted; no text, hidden or RTSTRUCT


def test_for_3d_a_folder_of_slices_is_one_series_and_series_below_are_found(tmp_path: Path) -> None:
    for study in ("s1", "s2"):
        uid = f"1.2.3.{len(study)}{study[-1]}"
        (tmp_path / "export" / study).mkdir(parents=True)
        for z in range(3):
            write_dicom(tmp_path / "export" / study / f"{z}.dcm", np.zeros((6, 8), np.int16), position=float(z),
                        series=uid)
    volume = tmp_path / "export" / "v.nii.gz"
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)), volume)
    got = expand_image_inputs([tmp_path / "export"], spatial_dims=3)
    assert got == [tmp_path / "export" / "s1", tmp_path / "export" / "s2", volume]
    assert expand_image_inputs([tmp_path / "export" / "s1"], spatial_dims=3) == [tmp_path / "export" / "s1"]


def test_a_folder_without_images_names_itself(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("x")
    with pytest.raises(DataError, match="empty: a folder with no image files"):
        expand_image_inputs([tmp_path / "empty"], spatial_dims=2)
    missing = tmp_path / "nowhere.png"
    assert expand_image_inputs([missing], spatial_dims=2) == [missing]  # the reader reports it


def test_output_stems_are_unique_with_their_folders() -> None:
    paths = [Path("d/glioma/image1.jpg"), Path("d/meningioma/image1.jpg"), Path("d/x/image2.jpg"),
             Path("a/same/k.png"), Path("b/same/k.png")]
    stems = unique_stems(paths, lambda p: p.stem)
    assert stems[:3] == ["glioma_image1", "meningioma_image1", "image2"]
    assert stems[3:] == ["a_same_k", "b_same_k"]  # one parent is not enough: two
    twice = unique_stems([Path("x.png"), Path("x.png")], lambda p: p.stem)
    assert len(set(twice)) == 2


def test_a_file_named_twice_is_predicted_twice_one_row_per_argument(tmp_path: Path) -> None:
    """``meddx predict b a.png a.png`` and ``meddx predict b day a.png`` (a.png inside day): one
    row per input a user named, in order, as a shell loop over the arguments would give; rows are
    never merged, so a script can zip its arguments with the output."""
    from meddx.bundle.bundle import load_bundle, save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    a = _png(tmp_path / "day" / "a.png")
    assert expand_image_inputs([a, a, tmp_path / "day"], 2) == [a, a, a]
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2, "tta": [],
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict()}
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    predictor = load_bundle(save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card=""))
    rows = predictor.predict_files([a, str(a), tmp_path / "day"])
    assert [r.source for r in rows] == [str(a)] * 3
    assert rows[0].probabilities == rows[1].probabilities == rows[2].probabilities


def test_a_quoted_glob_pattern_is_expanded_sorted_and_one_matching_nothing_is_named(tmp_path: Path) -> None:
    # `meddx predict NAME 'xrays/*.png'` (quoted, or from a Windows shell) and predict(["xrays/*.png"]) in
    # Python reach meddx unexpanded; they were refused as "no such file"
    b, a = _png(tmp_path / "xrays" / "b.png"), _png(tmp_path / "xrays" / "a.png")
    deep = _png(tmp_path / "xrays" / "day2" / "c.png")
    (tmp_path / "xrays" / "notes.txt").write_text("not an image")
    assert expand_image_inputs([str(tmp_path / "xrays" / "*.png")], spatial_dims=2) == [a, b]
    assert expand_image_inputs([str(tmp_path / "xrays" / "**" / "*.png")], spatial_dims=2) == [a, b, deep]
    assert expand_image_inputs([str(tmp_path / "xrays" / "day*")], spatial_dims=2) == [deep]  # a matched folder expands
    literal = _png(tmp_path / "scan[1].png")  # an existing file whose name holds glob characters is itself
    assert expand_image_inputs([literal], spatial_dims=2) == [literal]
    _png(tmp_path / "scan2.png")  # a missing name with brackets is no pattern: the reader reports it missing
    assert expand_image_inputs([tmp_path / "scan[2].png"], spatial_dims=2) == [tmp_path / "scan[2].png"]
    assert expand_image_inputs([str(tmp_path / "scan[12]*.png")], spatial_dims=2) == [tmp_path / "scan2.png"]
    with pytest.raises(DataError, match=r"\*\.jpg: the pattern matches no file"):
        expand_image_inputs([str(tmp_path / "xrays" / "*.jpg")], spatial_dims=2)
