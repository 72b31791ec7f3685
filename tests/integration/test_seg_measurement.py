"""Head-circumference measurement through the evaluation path, on an HC18-layout folder with
drawn ellipse rings whose circumference is known (Ramanujan) and a predictor that returns the
reference mask: the reported HC error must be (near) zero, and a predictor that shrinks the
head by a known factor must show the matching error."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.seg_predictor import SegPredictor
from meddx.evaluation.measure import Ellipse, ellipse_perimeter, fill_ellipse


def _write_hc18(root: Path, n: int = 12, seed: int = 0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = root / "training_set"
    folder.mkdir(parents=True)
    rows = []
    for i in range(n):
        a, b = rng.uniform(50, 70), rng.uniform(30, 45)
        cx, cy, theta = rng.uniform(90, 110), rng.uniform(70, 90), rng.uniform(0, np.pi)
        outer = fill_ellipse(Ellipse(cx, cy, a + 1.5, b + 1.5, theta), (160, 200))
        inner = fill_ellipse(Ellipse(cx, cy, a - 1.5, b - 1.5, theta), (160, 200))
        ring = (outer & ~inner).astype(np.uint8) * 255
        image = (rng.normal(60, 10, (160, 200)) + 80 * fill_ellipse(Ellipse(cx, cy, a, b, theta), (160, 200))).clip(0, 255)
        stem = f"{i:03d}_HC"
        Image.fromarray(image.astype(np.uint8)).save(folder / f"{stem}.png")
        Image.fromarray(ring).save(folder / f"{stem}_Annotation.png")
        pixel = rng.uniform(0.1, 0.3)
        rows.append([f"{stem}.png", pixel, ellipse_perimeter(a, b) * pixel])
    with open(root / "training_set_pixel_size_and_HC.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["filename", "pixel size(mm)", "head circumference (mm)"])
        writer.writerows(rows)
    return root


class _TruthPredictor:
    """Returns the reference mask (optionally eroded) as its prediction."""

    measurement = "head_circumference"
    label_names = ["background", "head"]
    spatial_dims = 2
    hc_method = "moments"

    def __init__(self, source, split: str, erode: int = 0) -> None:  # type: ignore[no-untyped-def]
        self.masks = {}
        for i in range(len(source.split(split))):
            case = source.load_case(split, i)
            self.masks[case.image.tobytes()] = case.mask
        self.erode = erode

    def predict_case(self, image: np.ndarray, spacing=None, postprocess: bool = True):  # type: ignore[no-untyped-def]
        from scipy import ndimage

        from meddx.bundle.seg_predictor import SegOutput

        mask = self.masks[image.tobytes()].astype(bool)
        if self.erode:
            mask = ndimage.binary_erosion(mask, iterations=self.erode)
        probs = torch.nn.functional.one_hot(torch.from_numpy(mask.astype(np.int64)), 2).movedim(-1, 0).float().numpy()
        return SegOutput(labels=mask.astype(np.uint8), probs=probs)


def test_hc_error_is_zero_for_the_reference_and_grows_with_erosion(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split

    source = load_seg_source(_write_hc18(tmp_path / "hc"), test_fraction=0.25, val_fraction=0.1)
    assert source.mask_kind == "outline"
    settings = SegEvalSettings(n_resamples=50, overlays=1)
    metrics, rows = evaluate_split(_TruthPredictor(source, "test"), source, "test", settings, tmp_path / "out")
    hc = metrics["measurement"]["head_circumference"]
    assert hc["unit"] == "mm" and hc["n"] == metrics["n"] == 3
    assert hc["mean_abs"] < 0.3, hc  # moments of the filled reference give back the ring's ellipse
    assert metrics["classes"]["head"]["dice"]["mean"] == pytest.approx(1.0)
    assert all(r["hc_reference_mm"] is not None for r in rows)
    assert len(metrics["overlays"]["worst"]) == 1

    eroded, _ = evaluate_split(_TruthPredictor(source, "test", erode=3), source, "test", settings)
    err = eroded["measurement"]["head_circumference"]
    # 3 px erosion shrinks both semi-axes by ~3 px: HC falls by ~2*pi*3 px, i.e. ~19 px * pixel size
    assert err["mean_signed"] < -2.0 and err["mean_abs"] > 2.0
    assert eroded["classes"]["head"]["dice"]["mean"] < 0.97


class _LeakyPredictor(_TruthPredictor):
    """The reference head plus a blob of 'fluid' attached to its left side (a fifth of the
    outline), post-processed by the real ``SegPredictor.postprocess``."""

    postprocess = SegPredictor.postprocess
    mirror_axes: list[int] = []
    zoom_available = False

    def __init__(self, source, split: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(source, split)
        self.mirror = self.shift = self.zoom = False
        self.largest_component: dict[str, bool] = {}
        self.ellipse = None

    def predict_case(self, image: np.ndarray, spacing=None, postprocess: bool = True):  # type: ignore[no-untyped-def]
        from meddx.bundle.seg_predictor import SegOutput

        mask = self.masks[image.tobytes()].astype(bool)
        rows, cols = np.nonzero(mask)
        cx, cy = cols.mean(), rows.mean()
        a = (cols.max() - cols.min()) / 2
        mask = mask | fill_ellipse(Ellipse(cx - 0.9 * a, cy, 0.35 * a, 0.3 * a, 0.0), mask.shape)
        probs = torch.nn.functional.one_hot(torch.from_numpy(mask.astype(np.int64)), 2).movedim(-1, 0).float().numpy()
        out = SegOutput(labels=mask.astype(np.uint8), probs=probs)
        return self.postprocess(out) if postprocess else out


def test_validation_picks_the_outline_fit_when_the_network_leaks(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split
    from meddx.evaluation.seg_postprocess import choose_postprocessing

    source = load_seg_source(_write_hc18(tmp_path / "hc", n=16), test_fraction=0.25, val_fraction=0.25)
    predictor = _LeakyPredictor(source, "val")
    chosen, evidence = choose_postprocessing(predictor, source, "val", try_ellipse=True)
    fits = evidence["ellipse"]
    assert chosen["ellipse"] == "contour" and fits["applied"] == "contour"
    assert fits["dice_contour"] > 0.99 > fits["dice_without"] and fits["dice_contour"] > fits["dice_moments"] + 0.01

    settings = SegEvalSettings(n_resamples=20, overlays=0)
    test = _LeakyPredictor(source, "test")
    results = {}
    for method in ("moments", "contour"):
        test.ellipse = test.hc_method = method
        results[method], _ = evaluate_split(test, source, "test", settings)
    hc = {m: r["measurement"]["head_circumference"]["mean_abs"] for m, r in results.items()}
    assert results["contour"]["classes"]["head"]["dice"]["mean"] > 0.99
    assert hc["contour"] < 0.5 < hc["moments"], hc  # mm: the leak inflates the moments ellipse
