"""Blank (constant) images are not joined as near copies by the validation carve nor by ``meddx cv``
folds, although ``meddx data verify`` calls any two of them near duplicates; byte-identical blanks
are joined (exact content), as every exact copy is.

Why (a decision, recorded in carve_groups' docstring and docs/training-notes.md, Validation
carving): a blank image is a copy of no sample; it carries no information a model could memorise
from one side and recall on the other, only a data-quality problem that verify reports for removal.
Joined, every blank image of every label would be one group, which stratification cannot split: all
of them land in one fold (or in val), and a class made mostly of blanks vanishes from the other
training parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from meddx.data.carve_groups import NEAR_COPY_SETTINGS, near_copy_codes
from meddx.data.sources import load_source
from meddx.data.verify import verify_source
from meddx.evaluation import cv
from tests.unit.data.test_carve_near_copies import _smooth


def _folder(root: Path) -> tuple[Path, list[str]]:
    """Classes a and b: 12 smooth images each, 3 blank images each of different bytes (black PNGs of
    several sizes, a black JPEG), and a byte-identical copy of ``a/blank0.png``."""
    from PIL import Image

    rng = np.random.default_rng(11)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for i in range(12):
            Image.fromarray(_smooth(rng)).save(root / label / f"{i}.png")
        for j, size in enumerate((64, 48, 40)):
            name = f"blank{j}.jpg" if (label, j) == ("b", 2) else f"blank{j}.png"
            Image.fromarray(np.zeros((size, size + j), dtype=np.uint8)).save(root / label / name)
    (root / "a" / "blank0-copy.png").write_bytes((root / "a" / "blank0.png").read_bytes())
    return root, [i for i in load_source(root, carve_val=False).splits["train"].ids if "blank" in i]


def test_blank_images_are_verify_near_copies_but_not_grouped(tmp_path: Path) -> None:
    root, blanks = _folder(tmp_path / "images")
    source = load_source(root, carve_val=False)
    ids = source.splits["train"].ids
    near = [{ids[i] for i in g} for g in _verify_groups(source)]
    assert any(set(blanks) <= g for g in near), "verify no longer joins blank images: revisit this decision"
    codes, n_groups, _ = near_copy_codes(source, "train", NEAR_COPY_SETTINGS)
    assert codes is None and n_groups == 0


def test_cv_folds_spread_blank_images_and_keep_byte_identical_ones_together(tmp_path: Path) -> None:
    root, blanks = _folder(tmp_path / "images")
    source = load_source(root, carve_val=False)
    dev = cv.development_split(source)
    folds, how = cv.make_folds(dev, source.origin, 3, seed=0, source=source)
    fold_of = {dev.ids[i]: k for k, test in enumerate(folds) for i in test}
    assert "near copies (as data verify finds them): none found" in how
    assert len({fold_of[b] for b in blanks}) > 1  # not one group
    original, copy = (next(b for b in blanks if b.endswith(stem)) for stem in ("a/blank0.png", "a/blank0-copy.png"))
    assert fold_of[original] == fold_of[copy]


def _verify_groups(source) -> list[list[int]]:  # type: ignore[no-untyped-def]
    report = verify_source(source)
    index = {sid: i for i, sid in enumerate(source.splits["train"].ids)}
    return [[index[m["id"]] for m in g["members"]] for g in report.near_duplicates]
