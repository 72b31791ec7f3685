"""Synthetic medical-like images with a known answer: lesion-like blobs on textured tissue.

In the spirit of MONAI's ``create_test_image_2d/3d``, but for classification: label 1 means
one or more bright, irregular blobs are present; label 0 means tissue texture only (with
faint distractor spots). Lesion masks are returned too, so explanation methods can be
scored against the true location. Everything is deterministic for a seed and offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from meddx.data.base import ImageSource, SplitData


@dataclass
class SyntheticImages:
    """Images ``(N, 1, *size)`` uint8, labels ``(N,)`` int64, lesion masks ``(N, *size)`` bool."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(rng.standard_normal(shape), sigma)
    return (field - field.mean()) / (field.std() + 1e-8)


def _blob(rng: np.random.Generator, shape: tuple[int, ...], radius: float) -> np.ndarray:
    """A soft, irregular blob centred away from the border; values in [0, 1]."""
    grids = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shape], indexing="ij")
    centre = [rng.uniform(0.25 * s, 0.75 * s) for s in shape]
    axes = [radius * rng.uniform(0.7, 1.3) for _ in shape]
    dist = sum(((g - c) / a) ** 2 for g, c, a in zip(grids, centre, axes))
    wobble = 0.25 * _smooth_noise(rng, shape, sigma=max(shape) / 8)
    return np.clip(1.5 - (dist + wobble), 0.0, 1.0) ** 0.7


def make_lesion_images(
    n: int,
    size: int | tuple[int, ...] = 28,
    *,
    prevalence: float = 0.5,
    contrast: float = 0.9,
    seed: int = 0,
) -> SyntheticImages:
    """Make ``n`` images (2D when ``size`` is an int or a pair, 3D for a triple).

    ``contrast`` scales lesion brightness relative to the texture; lower is harder.
    """
    shape = (size, size) if isinstance(size, int) else tuple(size)
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < prevalence).astype(np.int64)
    images = np.empty((n, 1, *shape), dtype=np.uint8)
    masks = np.zeros((n, *shape), dtype=bool)
    radius = min(shape) / 7
    for i in range(n):
        tissue = 0.45 + 0.12 * _smooth_noise(rng, shape, sigma=1.2) + 0.08 * _smooth_noise(rng, shape, sigma=4)
        # Faint distractor spots on every image so brightness alone does not give the answer.
        for _ in range(rng.integers(1, 3)):
            tissue += 0.12 * _blob(rng, shape, radius * 0.6)
        lesion = np.zeros(shape)
        if labels[i]:
            for _ in range(rng.integers(1, 3)):
                lesion = np.maximum(lesion, _blob(rng, shape, radius))
            tissue += contrast * 0.35 * lesion
            masks[i] = lesion > 0.5
        # Random global brightness, then remove the lesion's share of the mean: the class is in
        # the shape and local contrast, not in the overall brightness.
        tissue += rng.uniform(-0.08, 0.08) - (contrast * 0.35 * lesion.mean() if labels[i] else 0.0)
        tissue += 0.04 * rng.standard_normal(shape)
        images[i, 0] = np.clip(tissue * 255, 0, 255).astype(np.uint8)
    return SyntheticImages(images=images, labels=labels, masks=masks)


LABEL_NAMES = ["normal", "lesion"]


def make_lesion_source(
    n_train: int = 600, n_val: int = 150, n_test: int = 250, size: int | tuple[int, ...] = 28, seed: int = 0,
    contrast: float = 0.9,
) -> ImageSource:
    """An in-memory binary ``ImageSource`` with train/val/test splits drawn independently."""
    splits = {}
    for offset, (name, n) in enumerate((("train", n_train), ("val", n_val), ("test", n_test))):
        data = make_lesion_images(n, size, contrast=contrast, seed=seed * 1000 + offset)
        splits[name] = SplitData(
            ids=[f"{name}-{i}" for i in range(n)], labels=data.labels, images=data.images
        )
    dims = 2 if isinstance(size, int) or len(size) == 2 else 3
    return ImageSource(
        name="synthetic-lesions",
        origin="meddx.data.synthetic",
        task="binary",
        label_names=list(LABEL_NAMES),
        spatial_dims=dims,
        splits=splits,
    )


FINDINGS = ("bright", "dark")


def make_findings_source(
    task: str = "multilabel", n_train: int = 300, n_val: int = 100, n_test: int = 200, size: int = 28,
    seed: int = 0, contrast: float = 2.0,
) -> ImageSource:
    """Two findings, a bright blob and a dark blob, on tissue texture.

    ``multilabel``: each finding present independently (labels ``bright``, ``dark``).
    ``multiclass``: exactly one of ``bright``, ``dark`` or ``none`` per image.
    """
    if task not in ("multilabel", "multiclass"):
        raise ValueError("task must be 'multilabel' or 'multiclass'")
    shape = (size, size)
    splits = {}
    for offset, (name, n) in enumerate((("train", n_train), ("val", n_val), ("test", n_test))):
        rng = np.random.default_rng(seed * 1000 + offset)
        if task == "multilabel":
            labels = (rng.random((n, 2)) < 0.5).astype(np.int64)
            present = labels.astype(bool)
        else:
            labels = rng.integers(0, 3, n).astype(np.int64)  # 0 bright, 1 dark, 2 none (names sorted)
            present = np.stack([labels == 0, labels == 1], axis=1)
        images = np.empty((n, 1, *shape), dtype=np.uint8)
        for i in range(n):
            tissue = 0.5 + 0.1 * _smooth_noise(rng, shape, sigma=1.2)
            for k, sign in enumerate((1.0, -1.0)):
                if present[i, k]:
                    tissue += sign * contrast * 0.15 * _blob(rng, shape, min(shape) / 7)
            images[i, 0] = np.clip((tissue + 0.03 * rng.standard_normal(shape)) * 255, 0, 255).astype(np.uint8)
        splits[name] = SplitData(ids=[f"{name}-{i}" for i in range(n)], labels=labels, images=images)
    names = list(FINDINGS) if task == "multilabel" else [*FINDINGS, "none"]
    return ImageSource(name=f"synthetic-findings-{task}", origin="meddx.data.synthetic", task=task,  # type: ignore[arg-type]
                       label_names=names, spatial_dims=2, splits=splits)


def write_manifest(source: ImageSource, root: str | Path) -> Path:
    """Write a 2D source as PNG files plus ``root/manifest.csv`` (``path,label,split``)."""
    import csv

    from PIL import Image

    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    manifest = root / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "split"])
        for split, data in source.splits.items():
            for sid, label, image in zip(data.ids, data.labels, data.images):  # type: ignore[arg-type]
                rel = f"images/{sid}.png"
                Image.fromarray(image[0]).save(root / rel)
                if source.task == "multilabel":
                    text = "|".join(n for n, v in zip(source.label_names, label) if v)
                else:
                    text = source.label_names[int(label)]
                writer.writerow([rel, text, split])
    return manifest


def write_image_folder(source: ImageSource, root: str | Path) -> Path:
    """Write a 2D source as PNG files in ``root/<split>/<label>/<id>.png`` (an image folder)."""
    from PIL import Image

    root = Path(root)
    for split, data in source.splits.items():
        if data.images is None:
            raise ValueError("write_image_folder needs a source holding arrays")
        for sid, label, image in zip(data.ids, data.labels, data.images):
            folder = root / split / source.label_names[int(label)]
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[0]).save(folder / f"{sid}.png")
    return root
