"""``plan.native_geometry`` reads the split it is given (default: train).

A federation's coordinator may hold held-out splits only (``--eval-data`` of ``val``/``test``);
``federated.spec`` used to disguise such a split as "train" for it. The geometry now comes from the
named split itself, of file sources (sampled files) and array sources (the array's shape) alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.base import ImageSource, SplitData
from meddx.training.plan import native_geometry


def _pngs(folder: Path, n: int, shape: tuple[int, ...]) -> list[str]:
    from PIL import Image

    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    paths = []
    for i in range(n):
        path = folder / f"{i}.png"
        Image.fromarray(rng.integers(0, 255, size=shape, dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _split(paths: list[str] | None = None, images: np.ndarray | None = None) -> SplitData:
    n = len(paths) if paths is not None else len(images)  # type: ignore[arg-type]
    return SplitData(ids=[str(i) for i in range(n)], labels=np.arange(n) % 2, paths=paths, images=images)


def _source(splits: dict[str, SplitData]) -> ImageSource:
    return ImageSource(name="x", origin="x", task="binary", label_names=["a", "b"], spatial_dims=2, splits=splits)


def test_a_file_source_without_train_gives_the_named_splits_geometry(tmp_path: Path) -> None:
    source = _source({"val": _split(_pngs(tmp_path / "val", 3, (20, 30))),
                      "test": _split(_pngs(tmp_path / "test", 4, (24, 40, 3)))})  # RGB with unequal channels
    assert native_geometry(source, split="test") == ([24, 40], 3, "median of 4 files")
    assert native_geometry(source, split="val") == ([20, 30], 1, "median of 3 files")
    with pytest.raises(DataError, match="no split 'train'"):  # the default is still the training split
        native_geometry(source)


def test_an_array_source_answers_from_the_named_splits_shape() -> None:
    source = _source({"train": _split(images=np.zeros((4, 1, 28, 28), np.uint8)),
                      "val": _split(images=np.zeros((2, 3, 64, 32), np.uint8))})
    assert native_geometry(source) == ([28, 28], 1, "array shape")
    assert native_geometry(source, split="val") == ([64, 32], 3, "array shape")
