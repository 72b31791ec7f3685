"""Near copies (re-encoded or resized images, documents with a typo) stay on one side of a carved
validation split, found as ``meddx data verify`` finds them; bundles re-carve as they trained."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from meddx.data.sources import load_source

SEEDS = range(10)


def _smooth(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A smooth random grey image (uint8): distinct images are far apart for verify's hash."""
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.standard_normal((size, size)), sigma=4)
    field = (field - field.min()) / (field.max() - field.min())
    return (field * 255).astype(np.uint8)


def _image_folder(root: Path, n: int = 20) -> tuple[Path, list[tuple[str, str]]]:
    """Class folders ``a``/``b`` of ``n`` PNGs each (no split folders: all train), plus a JPEG
    re-encoding of ``a/0.png`` and a copy of ``b/0.png`` resized by one pixel; returns the
    folder and the (original, copy) sample ids as the reader names them."""
    from PIL import Image

    rng = np.random.default_rng(7)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(_smooth(rng)).save(root / label / f"{i}.png")
    Image.open(root / "a" / "0.png").save(root / "a" / "0-copy.jpg", quality=70)
    Image.open(root / "b" / "0.png").resize((63, 63), Image.BILINEAR).save(root / "b" / "0-small.png")
    ids = load_source(root, carve_val=False).splits["train"].ids
    pairs = [tuple(next(i for i in ids if i.endswith(stem)) for stem in (a, b))
             for a, b in (("a/0.png", "a/0-copy.jpg"), ("b/0.png", "b/0-small.png"))]
    return root, pairs  # type: ignore[return-value]


def _documents(path: Path, n: int = 60) -> tuple[Path, tuple[str, str]]:
    """A CSV of ``n`` documents (no split column: all train) and a copy of ``doc0`` with one
    character changed; returns the file and the (original, copy) ids."""
    from meddx.data.synthetic_text import keyword_documents

    texts, labels = keyword_documents(n, seed=3, length=(60, 90))
    typo = texts[0].replace("e", "a", 1)
    assert typo != texts[0]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        for i, (text, y) in enumerate(zip(texts, labels)):
            writer.writerow([f"doc{i}", text, f"class{y}"])
        writer.writerow(["doc0-typo", typo, f"class{labels[0]}"])
    return path, ("doc0", "doc0-typo")


def _together(source, pair: tuple[str, str]) -> bool:  # type: ignore[no-untyped-def]
    val = set(source.split("val").ids)
    return (pair[0] in val) == (pair[1] in val)


def test_an_image_and_its_reencoded_or_resized_copy_land_in_one_split(tmp_path: Path) -> None:
    root, pairs = _image_folder(tmp_path / "images")
    for seed in SEEDS:
        source = load_source(root, val_fraction=0.2, seed=seed)
        assert all(_together(source, pair) for pair in pairs), f"seed {seed}: a near copy straddles train/val"
    note = next(n for n in source.notes if n.startswith("validation carved"))
    assert "near-identical content" in note and "near copies (as data verify finds them): 2 group(s) of 4" in note


def test_a_document_and_its_one_character_edit_land_in_one_split(tmp_path: Path) -> None:
    path, pair = _documents(tmp_path / "notes.csv")
    for seed in SEEDS:
        source = load_source(path, val_fraction=0.2, seed=seed)
        assert _together(source, pair), f"seed {seed}: the edited copy straddles train/val"
    note = next(n for n in source.notes if n.startswith("validation carved"))
    assert "1 group(s) of 2 samples kept on one side" in note


def test_a_volume_and_its_brightened_copy_land_in_one_split() -> None:
    """3D: verify compares volumes by their middle slice along each axis; carving does too."""
    from dataclasses import replace

    from meddx.data.splits import carve_validation
    from meddx.data.synthetic import make_lesion_source

    source = make_lesion_source(n_train=60, n_val=0, n_test=4, size=(16, 16, 16), seed=5)
    del source.splits["val"]
    train = source.splits["train"]
    images = train.images.copy()
    images[1] = np.clip(images[0].astype(np.int32) + 1, 0, 255).astype(images.dtype)  # +1 brightness
    source.splits["train"] = replace(train, images=images)
    for seed in SEEDS:
        carved = carve_validation(source, 0.2, seed)
        assert _together(carved, ("train-0", "train-1")), f"seed {seed}: the brightened volume straddles train/val"


def test_a_source_without_near_copies_is_carved_as_before(tmp_path: Path) -> None:
    """No near copy found: the same split as the old carving, the note saying none was found."""
    from meddx.data.splits import carve_validation

    root, _ = _image_folder(tmp_path / "images")
    for copy in ("a/0-copy.jpg", "b/0-small.png"):
        (root / copy).unlink()
    raw = load_source(root, carve_val=False)
    new, old = carve_validation(raw, 0.2, 4), carve_validation(raw, 0.2, 4, near_copies=False)
    assert new.split("val").ids == old.split("val").ids
    assert new.notes[-1] == old.notes[-1] + "; near copies (as data verify finds them): none found"


def _bundle(source, training: dict) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    return SimpleNamespace(task=source.task, label_names=list(source.label_names), name="b",
                           config={"modality": "image", "training": training})


def test_old_bundles_re_carve_the_old_split_and_new_bundles_the_new_one(tmp_path: Path) -> None:
    """A bundle config without ``val_near_copies`` (written before near copies were grouped)
    re-carves exactly the split it trained against, near copies straddling included; a new one
    re-carves the grouped split. ``evaluate --split val``, compare, explain and audit read alike."""
    from meddx.data.splits import carve_validation
    from meddx.evaluation.as_trained import load_source_as_trained

    root, pairs = _image_folder(tmp_path / "images")
    raw = load_source(root, carve_val=False)
    straddled = 0
    for seed in SEEDS:
        old_cfg = {"data": str(root), "seed": seed, "val_fraction": 0.2}
        new_cfg = {**old_cfg, "val_near_copies": {"version": 1}}  # what a new bundle records (settings: defaults)
        old = load_source_as_trained(_bundle(raw, old_cfg), str(root), carve_val=True)
        new = load_source_as_trained(_bundle(raw, new_cfg), str(root), carve_val=True)
        assert all(_together(new, pair) for pair in pairs), f"seed {seed}: the new bundle's val split a near copy"
        straddled += not all(_together(old, pair) for pair in pairs)
        assert old.split("val").ids == carve_validation(raw, 0.2, seed, near_copies=False).split("val").ids
        assert new.split("val").ids == carve_validation(raw, 0.2, seed).split("val").ids
    assert straddled  # the old carving did split a near copy for some seed: the two really differ


def test_new_bundles_record_the_near_copy_settings_and_compare_tells_the_readings_apart() -> None:
    from meddx.data.carve_groups import carving_options
    from meddx.evaluation.compare_pair import _reading_key
    from meddx.training.finish import NEAR_COPY_SETTINGS, bundle_config

    split = SimpleNamespace(meta={})
    source = SimpleNamespace(task="binary", label_names=["a", "b"], spatial_dims=2, num_classes=2, notes=[],
                             splits={}, split=lambda name: split)
    plan = SimpleNamespace(model="m", model_args={}, epochs=1, reasons={}, model_dump=lambda **_: {})
    config = SimpleNamespace(data="d", seed=3, val_fraction=0.2, threshold_rule="youden", tta=False,
                             intended_use=None, outcome=None, augment=False, lr=1e-3, weight_decay=0.0,
                             precision="32", label_smoothing=0.0)
    training = bundle_config(config, source, plan, {}, "n", Path("/nonexistent"))["training"]  # type: ignore[arg-type]
    assert training["val_near_copies"] == NEAR_COPY_SETTINGS
    assert carving_options(training) == {"val_fraction": 0.2, "seed": 3, "near_copies": NEAR_COPY_SETTINGS}
    old = {k: v for k, v in training.items() if k != "val_near_copies"}
    assert carving_options(old)["near_copies"] is False
    as_bundle = [SimpleNamespace(config={"training": t}) for t in (training, old)]
    assert _reading_key(as_bundle[0], True) != _reading_key(as_bundle[1], True)


def test_leakage_warning_of_an_old_carving_says_clean_manifest_cannot_help() -> None:
    """Re-reading an old bundle's data carves val without near-copy grouping; verify's val copies
    may then be near copies of train, which --clean-manifest (on-disk splits) cannot remove."""
    from meddx.evaluation.evaluate import leakage_warning

    old_note = "validation carved from train: fraction 0.1, seed 0, stratified by label; train 90 / val 10 samples"
    dataset = {"notes": [old_note], "duplicates": {"leakage": True, "near_groups": 3, "cross_split": 4,
                                                   "cross_split_by_split": {"train": 2, "val": 2}}}
    assert "retrain to carve val anew" in (leakage_warning(dataset) or "")
    new = {**dataset, "notes": [old_note + "; near copies (as data verify finds them): none found"]}
    assert "retrain" not in (leakage_warning(new) or "") and "--clean-manifest" in (leakage_warning(new) or "")
    on_disk = {**dataset, "notes": []}  # val on disk: --clean-manifest does remove its copies
    assert "retrain" not in (leakage_warning(on_disk) or "")
