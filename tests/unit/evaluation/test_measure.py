"""Ellipse fitting, perimeter, filling and moments against analytic ellipses; structure sizes;
measurement error statistics on arrays with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from meddx.core.errors import DataError
from meddx.evaluation.measure import (
    Ellipse,
    ellipse_from_mask,
    ellipse_perimeter,
    fill_ellipse,
    fit_ellipse,
    head_circumference_mm,
    measurement_errors,
    outline_to_mask,
    structure_areas_mm2,
    structure_volumes_ml,
)


def _points(e: Ellipse, n: int, rng: np.random.Generator, noise: float = 0.0) -> np.ndarray:
    t = rng.uniform(0, 2 * np.pi, n)
    c, s = math.cos(e.theta), math.sin(e.theta)
    x = e.cx + e.a * np.cos(t) * c - e.b * np.sin(t) * s
    y = e.cy + e.a * np.cos(t) * s + e.b * np.sin(t) * c
    return np.column_stack([x, y]) + rng.normal(0, noise, (n, 2)) if noise else np.column_stack([x, y])


def _ring(e: Ellipse, shape: tuple[int, int], half_width: float = 1.5) -> np.ndarray:
    """Pixels within ``half_width`` px (first-order distance) of the outline: a ~3 px ring."""
    rows, cols = np.indices(shape, dtype=float)
    c, s = math.cos(e.theta), math.sin(e.theta)
    u = (cols - e.cx) * c + (rows - e.cy) * s
    v = -(cols - e.cx) * s + (rows - e.cy) * c
    r = np.sqrt((u / e.a) ** 2 + (v / e.b) ** 2)
    grad = np.sqrt((u / e.a**2) ** 2 + (v / e.b**2) ** 2) / np.maximum(r, 1e-12)
    return (np.abs(r - 1) / np.maximum(grad, 1e-12) <= half_width).astype(np.uint8) * 255


def _angle_diff(a: float, b: float) -> float:
    """Difference of two axis angles modulo pi."""
    d = (a - b) % math.pi
    return min(d, math.pi - d)


ELLIPSES = [Ellipse(400.3, 270.7, 120.0, 70.0, 0.6), Ellipse(200.0, 150.5, 90.0, 85.0, -1.2),
            Ellipse(250.2, 260.9, 180.0, 60.0, 1.5)]


@pytest.mark.parametrize("e", ELLIPSES)
def test_fit_ellipse_recovers_exact_parameters(e: Ellipse) -> None:
    fit = fit_ellipse(_points(e, 60, np.random.default_rng(1)))
    assert fit.cx == pytest.approx(e.cx, abs=1e-6) and fit.cy == pytest.approx(e.cy, abs=1e-6)
    assert fit.a == pytest.approx(e.a, rel=1e-8) and fit.b == pytest.approx(e.b, rel=1e-8)
    assert _angle_diff(fit.theta, e.theta) < 1e-6
    assert fit.a >= fit.b and -math.pi / 2 < fit.theta <= math.pi / 2


@pytest.mark.parametrize("e", ELLIPSES)
def test_fit_ellipse_with_noise(e: Ellipse) -> None:
    fit = fit_ellipse(_points(e, 400, np.random.default_rng(2), noise=0.5))
    assert abs(fit.cx - e.cx) < 0.3 and abs(fit.cy - e.cy) < 0.3
    assert abs(fit.a - e.a) < 0.5 and abs(fit.b - e.b) < 0.5
    assert _angle_diff(fit.theta, e.theta) < 0.02


def test_fit_ellipse_errors() -> None:
    with pytest.raises(DataError, match="at least 5"):
        fit_ellipse(np.zeros((4, 2)))
    with pytest.raises(DataError):
        fit_ellipse(np.column_stack([np.arange(20.0), 2 * np.arange(20.0) + 1]))  # collinear
    with pytest.raises(DataError, match=r"\(N, 2\)"):
        fit_ellipse(np.zeros((10, 3)))


@pytest.mark.parametrize("ratio", [1.0, 0.8, 0.5, 0.3, 0.2, 0.1])
def test_ellipse_perimeter_ramanujan_and_exact(ratio: float) -> None:
    a, b = 37.0, 37.0 * ratio
    h = ((a - b) / (a + b)) ** 2
    ramanujan = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    exact = 4 * a * special.ellipe(1 - (b / a) ** 2)
    assert ellipse_perimeter(a, b) == pytest.approx(ramanujan, rel=1e-14)
    assert ellipse_perimeter(a, b) == pytest.approx(exact, rel=1e-4)
    assert Ellipse(0, 0, a, b, 0).perimeter == ellipse_perimeter(a, b)


def test_ellipse_perimeter_circle_and_bad_input() -> None:
    assert ellipse_perimeter(5, 5) == pytest.approx(10 * math.pi, rel=1e-15)
    assert ellipse_perimeter(0, 0) == 0.0
    with pytest.raises(DataError):
        ellipse_perimeter(-1, 2)


def test_fill_ellipse_pixel_centres() -> None:
    e = Ellipse(5.0, 4.0, 3.0, 2.0, 0.0)
    m = fill_ellipse(e, (9, 11))
    assert m.dtype == bool and m.shape == (9, 11)
    assert m[4, 5] and m[4, 8] and not m[4, 9]  # (x=8,y=4) on the a axis end; x=9 outside
    assert m[6, 5] and not m[7, 5]  # b axis end at y=6
    rotated = fill_ellipse(Ellipse(5.0, 5.0, 3.0, 1.0, math.pi / 2), (11, 11))
    assert rotated[8, 5] and not rotated[5, 8]  # a axis now along rows
    big = fill_ellipse(ELLIPSES[0], (540, 800))
    assert big.sum() == pytest.approx(ELLIPSES[0].area, rel=2e-3)


@pytest.mark.parametrize("e", ELLIPSES)
def test_outline_to_mask_from_drawn_ring(e: Ellipse) -> None:
    ring = _ring(e, (540, 800))
    mask = outline_to_mask(ring)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1} and mask.shape == ring.shape
    assert mask.sum() == pytest.approx(math.pi * e.a * e.b, rel=3e-3)
    assert mask[int(round(e.cy)), int(round(e.cx))] == 1
    # gaps in the ring (where a flood fill would leak) do not matter to the fit
    gapped = ring.copy()
    gapped[:, int(e.cx) - 15: int(e.cx) + 15] = 0
    assert outline_to_mask(gapped).sum() == pytest.approx(math.pi * e.a * e.b, rel=5e-3)


def test_outline_to_mask_errors() -> None:
    with pytest.raises(DataError, match="outline"):
        outline_to_mask(np.zeros((20, 20)))
    with pytest.raises(DataError):
        outline_to_mask(np.zeros((2, 20, 20)))


@pytest.mark.parametrize("e", ELLIPSES + [Ellipse(60.4, 50.2, 30.0, 18.0, 0.4)])
def test_ellipse_from_mask_recovers_axes(e: Ellipse) -> None:
    mask = fill_ellipse(e, (540, 800)).astype(np.uint8)
    fit = ellipse_from_mask(mask)
    assert fit is not None
    assert abs(fit.a - e.a) < 0.5 and abs(fit.b - e.b) < 0.5
    assert abs(fit.cx - e.cx) < 0.1 and abs(fit.cy - e.cy) < 0.1
    if e.a - e.b > 10:
        assert _angle_diff(fit.theta, e.theta) < 0.01


def test_ellipse_from_mask_largest_component_and_empty() -> None:
    e = ELLIPSES[0]
    mask = fill_ellipse(e, (540, 800)).astype(np.uint8)
    mask[5:15, 5:15] = 1  # a small false positive far away
    fit = ellipse_from_mask(mask)
    assert abs(fit.a - e.a) < 0.5 and abs(fit.cx - e.cx) < 0.1
    assert ellipse_from_mask(np.zeros((30, 30))) is None
    assert head_circumference_mm(np.zeros((30, 30)), 0.1) is None


def test_ellipse_from_probability_map_is_sub_pixel() -> None:
    e = Ellipse(100.37, 80.61, 40.3, 25.7, 0.3)
    ss = 8  # supersampled fill, averaged into a soft map
    fine = fill_ellipse(Ellipse(e.cx * ss + (ss - 1) / 2, e.cy * ss + (ss - 1) / 2, e.a * ss, e.b * ss, e.theta),
                        (160 * ss, 200 * ss))
    prob = fine.reshape(160, ss, 200, ss).mean(axis=(1, 3))
    fit = ellipse_from_mask(prob)
    assert abs(fit.a - e.a) < 0.05 and abs(fit.b - e.b) < 0.05
    assert abs(fit.cx - e.cx) < 0.02 and abs(fit.cy - e.cy) < 0.02
    with pytest.raises(DataError, match="probabilities"):
        ellipse_from_mask(prob * 3)


@pytest.mark.parametrize("e", ELLIPSES)
def test_head_circumference_of_drawn_ellipse(e: Ellipse) -> None:
    pixel = 0.154
    hc = head_circumference_mm(fill_ellipse(e, (540, 800)), pixel)
    assert hc == pytest.approx(ellipse_perimeter(e.a, e.b) * pixel, rel=5e-3)
    with pytest.raises(DataError, match="pixel_size_mm"):
        head_circumference_mm(fill_ellipse(e, (540, 800)), 0.0)


def test_structure_volumes_ml_cube_with_spacing() -> None:
    label = np.zeros((20, 20, 20), dtype=np.int64)
    label[2:12, 2:12, 2:12] = 1  # 1000 voxels
    label[15:17, 15:17, 15:17] = 2  # 8 voxels
    vols = structure_volumes_ml(label, (2.0, 1.0, 1.0), ["background", "liver", "tumour"])
    assert vols == {"liver": pytest.approx(2.0, abs=1e-12), "tumour": pytest.approx(0.016, abs=1e-12)}
    assert structure_volumes_ml(label[None], (2.0, 1.0, 1.0), ["bg", "liver", "tumour"])["liver"] == pytest.approx(2.0)
    assert structure_volumes_ml(label, None, ["bg", "liver", "tumour"]) == {"liver": None, "tumour": None}
    with pytest.raises(DataError, match="spacing"):
        structure_volumes_ml(label, (1.0, 1.0), ["bg", "liver", "tumour"])
    with pytest.raises(DataError, match="3D"):
        structure_volumes_ml(label[0], (1.0, 1.0, 1.0), ["bg", "liver", "tumour"])


def test_structure_areas_mm2() -> None:
    label = np.zeros((10, 10), dtype=np.int64)
    label[:3, :4] = 1
    assert structure_areas_mm2(label, (0.5, 2.0), ["bg", "head"]) == {"head": pytest.approx(12.0)}


def test_measurement_errors_exact_statistics() -> None:
    reference = [100.0] * 21 + [50.0, None]
    predicted = [100.0 + d * (1 if d % 2 else -1) for d in range(21)] + [None, 10.0]
    out = measurement_errors(predicted, reference, unit="mm", n_resamples=200)
    assert out["unit"] == "mm" and out["n"] == 21 and out["n_missing"] == 1 and out["n_no_reference"] == 1
    assert out["mean_abs"] == pytest.approx(10.0) and out["median_abs"] == pytest.approx(10.0)
    assert out["p95_abs"] == pytest.approx(19.0) and out["max_abs"] == pytest.approx(20.0)
    signed = np.array([d * (1 if d % 2 else -1) for d in range(21)], dtype=float)
    assert out["mean_signed"] == pytest.approx(signed.mean())
    assert out["sd"] == pytest.approx(signed.std(ddof=1))
    lo, hi = out["ci"]["mean_abs"]["bca"]
    assert lo < 10.0 < hi


def test_measurement_errors_groups_and_no_ci() -> None:
    pred = np.arange(10.0) + 1.0
    ref = np.arange(10.0)
    groups = np.repeat(np.arange(5), 2)
    out = measurement_errors(pred, ref, unit="mm", groups=groups, n_resamples=100)
    assert out["mean_abs"] == pytest.approx(1.0) and out["ci"]["mean_abs"]["bca"] == [1.0, 1.0]
    assert measurement_errors(pred, ref, unit="mm", n_resamples=0)["ci"] is None
    with pytest.raises(DataError, match="one prediction per reference"):
        measurement_errors(pred[:3], ref, unit="mm")
    with pytest.raises(DataError, match="groups"):
        measurement_errors(pred, ref, unit="mm", groups=groups[:3])
    empty = measurement_errors([None, None], [1.0, 2.0], unit="mm")
    assert empty["n"] == 0 and empty["n_missing"] == 2 and empty["mean_abs"] is None
