"""Messy hospital exports as a user meets them, each a one-line ``DataError`` naming the file.

Found by an audit: (1) a compressed DICOM (JPEG-LS, JPEG lossless) with no decoder installed gave
pydicom's first line, "all plugins are missing dependencies:", which names no package to install;
(2) a series folder without ImagePositionPatient whose slices repeat an InstanceNumber was stacked
in file-name order as if the two slices were neighbours; (3) a multi-frame DICOM (a cine clip)
in a 2D class folder stopped ``meddx train`` with a numpy traceback from the plan ("inhomogeneous
shape"), and ``data info``/``verify`` did not flag it; (4) DICOM files named by their UID
(``1.2.840...1``, suffix ``.1``) in a class folder were counted as non-image files and left out;
(5) a PALETTE COLOR DICOM was read as the grey image of its colour-table indices; (6) class
folders spelt two ways (``pneumonia``, ``Pneumonia``) surfaced only as a refusal at train time;
(7) a localizer of the series' size exported into its folder was stacked as one more slice;
(8) a phone's MPO JPEG was two "frames" (refused, or a 2-slice volume) and lost its EXIF rotation;
(9) a TIFF with a thumbnail page was refused in numpy's words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLSLossless

from meddx.core.errors import DataError
from meddx.data.imagefolder import load_imagefolder
from meddx.data.info import source_info
from meddx.data.io import read_image
from meddx.training.plan import native_geometry
from tests.unit.data.test_dicom_reading import _dataset, write_series, write_slice


def _jpeg_ls(path: Path) -> Path:
    """A DICOM whose transfer syntax is JPEG-LS lossless (the fragment need not decode: no
    decoder gets that far without its plugin)."""
    ds = _dataset(np.zeros((4, 5), np.uint16))
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + bytes(20)])
    ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


def _no_jpeg_ls_decoder() -> bool:
    from pydicom.pixels import get_decoder

    return not get_decoder(JPEGLSLossless).is_available


@pytest.mark.skipif(not _no_jpeg_ls_decoder(), reason="a JPEG-LS decoder is installed here")
def test_a_compressed_dicom_without_decoder_names_the_file_syntax_and_packages(tmp_path: Path) -> None:
    path = _jpeg_ls(tmp_path / "IM0001.dcm")
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "JPEG-LS" in message and "no decoder" in message
    assert 'pip install "pylibjpeg' in message and "pylibjpeg-libjpeg" in message
    assert '"python-gdcm' in message  # pip's name for GDCM, not the unrelated 'gdcm' package


@pytest.mark.skipif(not _no_jpeg_ls_decoder(), reason="a JPEG-LS decoder is installed here")
def test_a_compressed_slice_in_a_series_names_that_slice(tmp_path: Path) -> None:
    folder = tmp_path / "series"
    folder.mkdir()
    write_slice(folder / "0.dcm", np.zeros((4, 5), np.uint16), z=0.0)
    _jpeg_ls(folder / "1.dcm")
    with pytest.raises(DataError) as err:
        read_image(folder)
    assert str(err.value).startswith(str(folder / "1.dcm")) and "pip install" in str(err.value)


def _unplaced_series(folder: Path, numbers: list[int]) -> Path:
    """Slices without positions (secondary capture style), slice ``k`` all ``k``, InstanceNumber given."""
    folder.mkdir()
    for k, number in enumerate(numbers):
        ds = _dataset(np.full((4, 5), k, np.int16))
        ds.InstanceNumber = number
        ds.save_as(folder / f"{k}.dcm", enforce_file_format=True)
    return folder


def test_a_series_without_positions_is_stacked_by_instance_number(tmp_path: Path) -> None:
    vol = read_image(_unplaced_series(tmp_path / "s", [3, 1, 2])).array
    assert [int(vol[0, k, 0, 0]) for k in range(3)] == [1, 2, 0]


def test_a_repeated_instance_number_without_positions_is_refused_naming_the_files(tmp_path: Path) -> None:
    folder = _unplaced_series(tmp_path / "s", [1, 2, 2])
    with pytest.raises(DataError) as err:
        read_image(folder)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(folder))
    assert "repeated InstanceNumber" in message and "2: 1.dcm, 2.dcm" in message


def _folder_with_a_cine_clip(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for cls in ("normal", "pneumonia"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(root / cls / f"{i}.png")
    clip = _dataset(np.stack([np.full((8, 8), 100 * k, np.uint16) for k in range(3)]))
    clip.NumberOfFrames = 3
    clip.save_as(root / "normal" / "z_cine.dcm", enforce_file_format=True)
    return root


def test_a_multiframe_dicom_in_a_2d_folder_is_named_where_training_reads_it(tmp_path: Path) -> None:
    source = load_imagefolder(_folder_with_a_cine_clip(tmp_path / "xr"))
    assert source.spatial_dims == 2
    index = source.splits["train"].ids.index("normal/z_cine.dcm")
    with pytest.raises(DataError) as err:
        source.get_image("train", index)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "xr" / "normal" / "z_cine.dcm"))
    assert "3 frames" in message and "2D" in message
    with pytest.raises(DataError, match="z_cine.dcm"):  # the plan reads every file here: was a numpy ValueError
        native_geometry(source)
    info = source_info(source)["splits"]["train"]
    assert [u["id"] for u in info["undecodable"]] == ["normal/z_cine.dcm"] and info["decoded"] == 6


def test_a_one_slice_volume_in_a_2d_folder_reads_as_the_2d_image(tmp_path: Path) -> None:
    nib = pytest.importorskip("nibabel")
    root = _folder_with_a_cine_clip(tmp_path / "xr")
    (root / "normal" / "z_cine.dcm").unlink()
    plane = np.arange(40, dtype=np.int16).reshape(5, 8)
    nib.save(nib.Nifti1Image(plane.T[:, :, None], np.eye(4)), str(root / "pneumonia" / "z_slice.nii.gz"))
    source = load_imagefolder(root)
    image = source.get_image("train", source.splits["train"].ids.index("pneumonia/z_slice.nii.gz"))
    assert image.shape == (1, 5, 8)  # was (1, 1, 5, 8): a volume among 2D images
    np.testing.assert_array_equal(image[0], plane)
    # the first file a one-slice volume: the source is still 2D (it was 3D, and its bundle then
    # refused the very files it was trained on as "a volume of a single slice")
    nib.save(nib.Nifti1Image(plane.T[:, :, None], np.eye(4)), str(root / "normal" / "0-slice.nii.gz"))
    source = load_imagefolder(root)
    assert source.splits["train"].ids[0] == "normal/0-slice.nii.gz" and source.spatial_dims == 2
    assert source.get_image("train", 1).shape == (1, 8, 8)


def test_dicom_files_named_by_their_uid_are_images_of_their_class_folder(tmp_path: Path) -> None:
    """PACS exports name files by SOP instance UID: the "extension" is the UID's last number
    (``.1``). With and without the preamble they were counted as non-image files and left out."""
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(np.zeros((4, 5), np.uint8)).save(tmp_path / cls / "x.png")
    write_slice(tmp_path / "a" / "1.2.826.0.1.3680043.8.498.1", np.full((4, 5), 7, np.uint16))
    ds = _dataset(np.full((4, 5), 9, np.uint16))
    ds.save_as(tmp_path / "b" / "1.2.826.0.1.3680043.8.498.22", enforce_file_format=False)  # no preamble
    (tmp_path / "b" / "notes.2").write_text("not an image")
    source = load_imagefolder(tmp_path)
    train = source.splits["train"]
    assert train.ids == ["a/1.2.826.0.1.3680043.8.498.1", "a/x.png", "b/1.2.826.0.1.3680043.8.498.22", "b/x.png"]
    assert [int(source.get_image("train", i)[0, 0, 0]) for i in (0, 2)] == [7, 9]
    assert any("ignored 1 non-image file(s)" in n for n in source.notes)


def test_a_palette_colour_dicom_reads_as_its_colours(tmp_path: Path) -> None:
    """PALETTE COLOR (ultrasound, secondary captures) stores indices into a colour table: they
    were read as a grey image of the indices (0, 1, 2, 3 here)."""
    ds = _dataset(np.array([[0, 1, 2, 3]] * 2, np.uint8))
    ds.PhotometricInterpretation = "PALETTE COLOR"
    for colour, values in (("Red", [0, 255, 0, 10]), ("Green", [0, 0, 255, 10]), ("Blue", [0, 0, 0, 10])):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [4, 0, 8])
        setattr(ds, f"{colour}PaletteColorLookupTableData", bytes(values))
    ds.save_as(tmp_path / "us.dcm", enforce_file_format=True)
    image = read_image(tmp_path / "us.dcm").array
    assert image.shape == (3, 2, 4) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[:, 0], [[0, 255, 0, 10], [0, 0, 255, 10], [0, 0, 0, 10]])


def test_class_folders_differing_only_in_case_are_named_in_a_note(tmp_path: Path) -> None:
    """``train/pneumonia`` and ``test/Pneumonia`` (two exports): two classes, as written, but the
    user learnt it only from "class 'Pneumonia' has no training sample" when training (audit)."""
    layout = {"train": ("normal", "pneumonia", "no_tumor"), "test": ("normal", "Pneumonia", "No Tumor")}
    for split, classes in layout.items():
        for cls in classes:
            (tmp_path / split / cls).mkdir(parents=True)
            Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / split / cls / "0.png")
    source = load_imagefolder(tmp_path)
    assert source.label_names == ["No Tumor", "Pneumonia", "no_tumor", "normal", "pneumonia"]
    notes = [n for n in source.notes if "differ only in case" in n]
    assert len(notes) == 1 and "'No Tumor' and 'no_tumor'" in notes[0] and "'Pneumonia' and 'pneumonia'" in notes[0]
    assert "normal" not in notes[0]


def test_a_localizer_exported_into_the_series_folder_is_refused_naming_it(tmp_path: Path) -> None:
    """A scout of the series' size, same SeriesInstanceUID, another orientation (coronal): its
    position was projected on the axial normal, and it was stacked as one more axial slice when
    that fell one step on (as here), or refused as "a missing slice?" when not."""
    folder = write_series(tmp_path / "ct", [0.0, 1.0, 2.0, 3.0])
    scout = _dataset(np.full((4, 5), 9, np.int16))
    scout.PixelSpacing, scout.ImagePositionPatient = [0.5, 0.7], [0.0, 0.0, 4.0]
    scout.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
    scout.save_as(folder / "scout.dcm", enforce_file_format=True)
    with pytest.raises(DataError) as err:
        read_image(folder)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(folder))
    assert "2 orientations" in message and "1 at [1.0, 0.0, 0.0, 0.0, 0.0, -1.0] (first scout.dcm)" in message
    (folder / "scout.dcm").unlink()
    ds = _dataset(np.full((4, 5), 4, np.int16))  # rounding in the header is the same orientation
    ds.PixelSpacing, ds.ImagePositionPatient, ds.SliceThickness = [0.5, 0.7], [0.0, 0.0, 4.0], 3.0
    ds.ImageOrientationPatient = [0.9999996, 0.0, 0.0, 0.0, 1.0, 0.0004]
    ds.save_as(folder / "4.dcm", enforce_file_format=True)
    assert read_image(folder, None).array.shape == (1, 5, 4, 5)


def test_a_phone_photo_mpo_jpeg_reads_as_its_main_picture_upright(tmp_path: Path) -> None:
    """Phones write JPEGs as MPO with a preview image appended: it was a second "frame", so the
    photo of a film was refused ("all input arrays must have the same shape"), or read as a
    2-slice volume when the preview had the picture's size, and its EXIF rotation was skipped."""
    picture = np.zeros((16, 12), np.uint8)
    picture[0, 0] = 255
    img = Image.fromarray(picture)
    exif = img.getexif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    preview = Image.fromarray(np.zeros((8, 6), np.uint8))
    img.save(tmp_path / "film.jpg", format="MPO", save_all=True, append_images=[preview], exif=exif, quality=100)
    with Image.open(tmp_path / "film.jpg") as check:
        assert check.format == "MPO" and check.n_frames == 2
    image = read_image(tmp_path / "film.jpg").array
    assert image.shape == (1, 12, 16)  # upright: the stored 16 x 12 turned
    assert [tuple(p) for p in np.argwhere(image[0] > 128)] == [(0, 15)]
    img.save(tmp_path / "same.jpg", format="MPO", save_all=True, append_images=[img], quality=100)
    assert read_image(tmp_path / "same.jpg").array.shape == (1, 16, 12)  # not a 2-slice volume


def test_a_tiff_with_a_thumbnail_page_is_refused_saying_so(tmp_path: Path) -> None:
    """Was "cannot decode image (all input arrays must have the same shape)": numpy's words."""
    page, thumb = Image.fromarray(np.zeros((16, 16), np.uint8)), Image.fromarray(np.ones((4, 4), np.uint8))
    page.save(tmp_path / "slide.tif", save_all=True, append_images=[thumb])
    with pytest.raises(DataError) as err:
        read_image(tmp_path / "slide.tif")
    message = str(err.value)
    assert message.startswith(str(tmp_path / "slide.tif")) and "2 pages of different sizes (1x16x16, 1x4x4)" in message
    page.save(tmp_path / "stack.tif", save_all=True, append_images=[page])  # equal pages: a volume, as before
    assert read_image(tmp_path / "stack.tif").array.shape == (1, 2, 16, 16)
