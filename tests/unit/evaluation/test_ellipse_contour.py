"""The robust outline ellipse against drawn ellipses: unbiased on clean regions (0/1 and soft),
nearly unmoved by a leak that shifts the moments ellipse, weighted fits, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.ellipse_contour import ellipse_from_contour, head_ellipse, outline_points, radial_distance
from meddx.evaluation.measure import Ellipse, ellipse_from_mask, fill_ellipse, fit_ellipse, head_circumference_mm

E = Ellipse(180.4, 130.7, 80.0, 55.0, 0.5)
SHAPE = (270, 400)


def _soft(e: Ellipse, shape: tuple[int, int], ss: int = 8) -> np.ndarray:
    """Anti-aliased fill: the fraction of each pixel inside ``e`` (supersampled ``ss`` x ``ss``)."""
    fine = fill_ellipse(Ellipse(e.cx * ss + (ss - 1) / 2, e.cy * ss + (ss - 1) / 2, e.a * ss, e.b * ss, e.theta),
                        (shape[0] * ss, shape[1] * ss))
    return fine.reshape(shape[0], ss, shape[1], ss).mean(axis=(1, 3))


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def test_outline_points_lie_on_the_drawn_ellipse() -> None:
    hard = outline_points(fill_ellipse(E, SHAPE))
    soft = outline_points(_soft(E, SHAPE))
    # A 0/1 mask: crossings half-way between pixel centres, within about half a pixel of the outline.
    assert np.abs(radial_distance(hard, E)).max() < 0.75
    assert abs(float(np.mean(radial_distance(hard, E)))) < 0.05  # no inward bias on average
    # A soft (anti-aliased) map locates the outline to a small fraction of a pixel.
    assert np.abs(radial_distance(soft, E)).max() < 0.2
    assert outline_points(np.zeros((20, 20))) is None


@pytest.mark.parametrize("soft", [False, True])
def test_contour_ellipse_recovers_a_clean_region(soft: bool) -> None:
    region = _soft(E, SHAPE) if soft else fill_ellipse(E, SHAPE).astype(np.uint8)
    fit = ellipse_from_contour(region)
    tol = 0.05 if soft else 0.25
    assert abs(fit.a - E.a) < tol and abs(fit.b - E.b) < tol
    assert abs(fit.cx - E.cx) < tol and abs(fit.cy - E.cy) < tol
    assert abs(fit.theta - E.theta) < 0.01


def test_a_leak_moves_the_moments_ellipse_but_not_the_contour_ellipse() -> None:
    """A blob of 'fluid' attached to one side (a fifth of the outline, 9% of the head's area):
    the moments ellipse swells towards it, the robust outline fit stays on the head. (Beyond
    about a quarter of the outline the first, unweighted fit already follows the leak.)"""
    truth = fill_ellipse(E, SHAPE)
    leak = fill_ellipse(Ellipse(E.cx - 75, E.cy - 20, 30.0, 25.0, 0.0), SHAPE)
    predicted = (truth | leak).astype(np.uint8)
    moments, contour = ellipse_from_mask(predicted), ellipse_from_contour(predicted)
    dice_moments = _dice(fill_ellipse(moments, SHAPE), truth)
    dice_contour = _dice(fill_ellipse(contour, SHAPE), truth)
    assert dice_moments < 0.93
    assert dice_contour > 0.99 and dice_contour > dice_moments + 0.03
    assert abs(contour.a - E.a) < 0.1 and abs(contour.b - E.b) < 0.1


def test_weighted_fit_ignores_zero_weight_points() -> None:
    t = np.linspace(0, 2 * np.pi, 80, endpoint=False)
    on = np.column_stack([50 + 30 * np.cos(t), 40 + 20 * np.sin(t)])
    outliers = np.array([[0.0, 0.0], [100.0, 5.0], [90.0, 90.0]])
    points = np.concatenate([on, outliers])
    weights = np.concatenate([np.ones(len(on)), np.zeros(len(outliers))])
    fit = fit_ellipse(points, weights)
    assert fit.a == pytest.approx(30, abs=1e-6) and fit.b == pytest.approx(20, abs=1e-6)
    assert fit.cx == pytest.approx(50, abs=1e-6) and fit.cy == pytest.approx(40, abs=1e-6)
    assert fit_ellipse(points).a != pytest.approx(30, abs=0.5)  # unweighted, the outliers pull it
    with pytest.raises(DataError, match="weights must be"):
        fit_ellipse(points, np.ones(3))
    with pytest.raises(DataError, match="weights must be"):
        fit_ellipse(points, -np.ones(len(points)))


def test_method_dispatch_tiny_regions_and_circumference() -> None:
    region = fill_ellipse(E, SHAPE)
    assert head_ellipse(region, "moments") == ellipse_from_mask(region)
    assert head_ellipse(region, "contour") == ellipse_from_contour(region)
    with pytest.raises(ConfigError, match="unknown ellipse method 'hough'"):
        head_ellipse(region, "hough")
    tiny = np.zeros((10, 10), dtype=np.uint8)
    tiny[4, 4] = 1  # 4 outline points: too few for a fit, the moments ellipse stands in
    assert ellipse_from_contour(tiny) == ellipse_from_mask(tiny)
    assert ellipse_from_contour(np.zeros((10, 10))) is None
    hc = head_circumference_mm(_soft(E, SHAPE), 0.1, method="contour")
    perimeter = math.pi * (3 * (E.a + E.b) - math.sqrt((3 * E.a + E.b) * (E.a + 3 * E.b)))
    assert hc == pytest.approx(perimeter * 0.1, rel=1e-3)


def test_bundle_ellipse_setting_old_and_new() -> None:
    from meddx.bundle.seg_predictor import ellipse_method
    from meddx.core.errors import BundleError

    assert ellipse_method(True) == "moments"  # bundles written before the choice existed
    assert ellipse_method(False) is None and ellipse_method(None) is None
    assert ellipse_method("contour") == "contour"
    with pytest.raises(BundleError, match="postprocess.ellipse is 'circle'"):
        ellipse_method("circle")
