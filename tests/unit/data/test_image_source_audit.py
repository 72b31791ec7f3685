"""Image sources and `meddx data verify`: defects found by an audit with known-answer inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.dedupe import leaked_ids, write_clean_manifest
from meddx.data.imagefolder import load_imagefolder
from meddx.data.manifest import load_manifest
from meddx.data.medmnist import load_medmnist_file
from meddx.data.sources import load_source
from meddx.data.verify import verify_source


def smooth(seed: int, size: int = 64) -> Image.Image:
    """A distinct, smooth grey image (random 8x8 pattern upsampled)."""
    small = np.random.default_rng(seed).integers(0, 255, (8, 8), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.BICUBIC)


def class_folders(root: Path, splits: tuple[str, ...], per_class: int = 3) -> Path:
    seed = 0
    for split in splits:
        for cls in ("a", "b"):
            (root / split / cls).mkdir(parents=True)
            for i in range(per_class):
                seed += 1
                smooth(seed).save(root / split / cls / f"{i}.png")
    return root


def test_verify_a_folder_mixing_2d_images_and_a_volume(tmp_path: Path) -> None:
    """A multi-page TIFF (a volume: three hashes) beside 2D PNGs (one hash) crashed the near-duplicate
    search with numpy's 'all input arrays must have the same shape'; each kind is now compared within itself."""
    root = class_folders(tmp_path / "src", ("train", "test"))
    frames = [smooth(100 + k) for k in range(4)]
    frames[0].save(root / "train" / "a" / "stack.tif", save_all=True, append_images=frames[1:])
    smooth(1).save(root / "test" / "a" / "copy.jpg", quality=90)  # train/a/0.png re-encoded
    d = verify_source(load_imagefolder(root)).to_dict()
    near = [[m["id"] for m in g["members"]] for g in d["near_duplicates"]]
    assert near == [["train/a/0.png", "test/a/copy.jpg"]]
    assert d["settings"]["max_distance"] == 2 and d["summary"]["has_leakage"]


@pytest.mark.parametrize("shape", [(28, 28, 1), (1, 28, 28)])
def test_npz_with_a_channel_axis_of_one_is_2d(tmp_path: Path, shape: tuple[int, ...]) -> None:
    """A custom npz (unknown name) of (N,H,W,1) images read as 3D volumes of shape (1,28,28,1),
    and (N,1,H,W) as (1,1,28,28); an axis of length 1 is a channel, not one slice."""
    rng = np.random.default_rng(0)
    path = tmp_path / "xrays.npz"
    np.savez(path, train_images=rng.integers(0, 255, (6, *shape), dtype=np.uint8), train_labels=np.arange(6) % 2)
    src = load_medmnist_file(path)
    assert src.spatial_dims == 2
    assert src.split("train").images.shape == (6, 1, 28, 28)


def test_npz_that_is_no_zip_archive_is_named_as_such(tmp_path: Path) -> None:
    """numpy calls any non-zip file 'pickled (object) data' and suggests allow_pickle; the message now
    says the file is no .npz archive."""
    path = tmp_path / "pneumoniamnist.npz"
    path.write_text("<html>download failed</html>")
    with pytest.raises(DataError, match="not a .npz archive") as info:
        load_medmnist_file(path)
    assert "pickle" not in str(info.value)


def test_clean_manifest_drops_test_copies_of_val_content(tmp_path: Path) -> None:
    """A val image copied into test (not in train) stayed in both: the clean manifest still failed
    verify with leakage. Content kept in an earlier split (train, then val) now leaves later ones."""
    root = class_folders(tmp_path / "src", ("train", "val", "test"))
    shutil.copy(root / "val" / "a" / "0.png", root / "test" / "a" / "dup.png")
    src = load_imagefolder(root)
    report = verify_source(src).to_dict()
    assert report["summary"]["has_leakage"]
    assert leaked_ids(report) == {"val": set(), "test": {"test/a/dup.png"}}
    result = write_clean_manifest(src, report, tmp_path / "clean.csv")
    assert result.kept == {"train": 6, "val": 6, "test": 6}
    assert not verify_source(load_manifest(tmp_path / "clean.csv")).has_leakage


@pytest.mark.parametrize("content", ["", "\n \n"])
def test_empty_csv_is_a_one_line_error(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty CSV raised IndexError (a traceback) while routing; now the manifest reader names it."""
    from meddx.cli.main import main

    path = tmp_path / "manifest.csv"
    path.write_text(content)
    with pytest.raises(DataError, match="manifest.csv"):
        load_source(path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "verify", str(path), "--report", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("meddx: error:") and len(err.strip().splitlines()) == 1


def test_info_sample_reaches_every_class(tmp_path: Path) -> None:
    """With 40 + 2 + 40 files and --max-decode 10 the evenly spread sample missed the two 16-bit
    16x16 images of class b, so info showed one shape and dtype although its docstring promised every
    class folder represented."""
    from meddx.data.info import source_info

    for cls, n in (("a", 40), ("b", 2), ("c", 40)):
        (tmp_path / cls).mkdir()
        for i in range(n):
            if cls == "b":
                deep = np.random.default_rng(i).integers(0, 4000, (16, 16)).astype(np.uint16)
                Image.fromarray(deep).save(tmp_path / cls / f"{i:03d}.png")
            else:
                smooth(i, size=32).save(tmp_path / cls / f"{i:03d}.png")
    train = source_info(load_imagefolder(tmp_path), max_decode=10)["splits"]["train"]
    assert train["sampled"] and train["decoded"] == 11
    assert {tuple(s["shape"]) for s in train["shapes"]} == {(1, 32, 32), (1, 16, 16)}
    assert train["dtypes"] == ["uint16", "uint8"] and train["intensity"]["max"] > 255


def test_empty_class_folder_is_noted(tmp_path: Path) -> None:
    """A class folder without images vanished from the source without a word."""
    root = class_folders(tmp_path / "src", ("train", "test"))
    (root / "train" / "c").mkdir()
    src = load_imagefolder(root)
    assert src.label_names == ["a", "b"]
    assert "ignored 1 class folder(s) without images: train/c" in src.notes


def test_images_outside_class_folders_are_noted(tmp_path: Path) -> None:
    """An image dropped into the root or a split folder (no class) was left out without a word."""
    root = class_folders(tmp_path / "src", ("Training", "Testing"))
    smooth(50).save(root / "Testing" / "loose.png")
    smooth(51).save(root / "loose_root.png")
    src = load_imagefolder(root)
    assert sum(len(d) for d in src.splits.values()) == 12
    assert any(n.startswith("ignored 2 image(s) outside class folders (first: loose_root.png)") for n in src.notes)


def test_verify_says_patient_overlap_was_not_checked_without_patient_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An image folder has no patient ids, yet verify printed 'patients in more than one split: 0' and
    'no ... shared patients found', as if patient leakage had been ruled out."""
    import json

    from meddx.cli.main import main

    root = class_folders(tmp_path / "src", ("train", "test"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "verify", str(root), "--report", str(tmp_path / "r.json")])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not checked (no patient ids)" in out and "shared patients found" not in out
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["patient_ids_known"] is False
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label,patient_id,split\n" + "".join(
        f"{root}/{split}/{cls}/{i}.png,{cls},{split}{cls}{i},{split}\n"
        for split in ("train", "test") for cls in ("a", "b") for i in range(3)))
    assert verify_source(load_manifest(manifest)).to_dict()["summary"]["patient_ids_known"] is True


def test_carved_val_keeps_a_file_filed_under_two_patients_on_one_side(tmp_path: Path) -> None:
    """With patient ids the carve grouped by patient only: an image filed under two patient ids (a
    re-registered patient) went to train under one and to val under the other, the very content
    overlap verify calls leakage. Patients sharing identical content now move together."""
    from meddx.core.files import file_digest
    from meddx.data.splits import carve_validation

    (tmp_path / "img").mkdir()
    rows = []
    for p in range(40):
        label = "pos" if p % 4 == 0 else "neg"
        smooth(5000 + p).save(tmp_path / "img" / f"p{p}.png")
        shutil.copy(tmp_path / "img" / f"p{p}.png", tmp_path / "img" / f"p{p ^ 1}_copy_of_{p}.png")
        rows += [f"img/p{p}.png,{label},P{p}\n", f"img/p{p ^ 1}_copy_of_{p}.png,{label},P{p ^ 1}\n"]
    (tmp_path / "m.csv").write_text("path,label,patient_id\n" + "".join(rows))
    for seed in range(3):
        src = carve_validation(load_manifest(tmp_path / "m.csv"), seed=seed)
        train, val = src.split("train"), src.split("val")
        assert len(val) == 8 and not set(train.patient_ids) & set(val.patient_ids)
        assert not {file_digest(p) for p in train.paths} & {file_digest(p) for p in val.paths}
        assert "patients sharing identical content joined" in src.notes[-1]
