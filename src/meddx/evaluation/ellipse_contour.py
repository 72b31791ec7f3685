"""A robust ellipse through the sub-pixel outline of a predicted region (fetal heads).

``ellipse_from_mask`` (moments) uses every pixel of the region, so a leak (the network also
taking in some amniotic fluid beside the skull) moves and enlarges its ellipse in proportion
to the leak's area. Here the ellipse is fitted to the region's *outline* instead, and outline
points far from the ellipse the rest agree on lose their weight (iteratively reweighted least
squares with Tukey's biweight on the radial distance, scale from the median absolute
deviation), so a leak that covers a minority of the outline barely moves the fit.

The outline is located to a fraction of a pixel: for every pair of neighbouring pixels with one
inside the region and one outside, the point where the probability crosses 0.5 is interpolated
linearly between their centres (the 0.5 contour of marching squares). Unlike pixel centres of
the boundary, which lie half a pixel inside the true outline on average, these points are not
biased inwards. A 0/1 mask has its crossings half-way between the pixel centres.

Our own code: scikit-image (``find_contours``, ``EllipseModel``, ``ransac``) is not a meddx
dependency, and these ~60 lines are all that is needed of it.
"""

from __future__ import annotations

import math

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.measure import Ellipse, _plane, ellipse_from_mask, fit_ellipse, largest_region

ELLIPSE_METHODS = ("moments", "contour")
_TUKEY_C = 4.685  # 95% efficiency at Gaussian residuals
_MIN_SCALE_PX = 0.5  # outline points are not located better than this; keeps the weights from collapsing


def outline_points(mask_or_prob: np.ndarray) -> np.ndarray | None:
    """(N, 2) ``(x, y)`` sub-pixel points where the largest region's probability crosses 0.5."""
    weights = _plane(mask_or_prob, "outline_points")
    region = largest_region(weights)
    if region is None:
        return None
    points = []
    for axis in (0, 1):  # neighbours along rows, then along columns
        lo = (slice(None, -1), slice(None)) if axis == 0 else (slice(None), slice(None, -1))
        hi = (slice(1, None), slice(None)) if axis == 0 else (slice(None), slice(1, None))
        edge = region[lo] != region[hi]
        rows, cols = np.nonzero(edge)
        lo_inside = region[lo][edge]
        p_lo, p_hi = weights[lo][edge], weights[hi][edge]
        p_in, p_out = np.where(lo_inside, p_lo, p_hi), np.where(lo_inside, p_hi, p_lo)
        step = p_in - p_out
        t = np.clip(np.where(step > 1e-6, (p_in - 0.5) / np.where(step > 1e-6, step, 1.0), 0.5), 0.0, 1.0)
        offset = np.where(lo_inside, t, 1.0 - t)  # from the lower-index pixel towards the higher one
        if axis == 0:
            points.append(np.column_stack([cols, rows + offset]))
        else:
            points.append(np.column_stack([cols + offset, rows]))
    return np.concatenate(points).astype(np.float64)


def radial_distance(points_xy: np.ndarray, ellipse: Ellipse) -> np.ndarray:
    """Signed distance (px) of each point from ``ellipse`` along the ray from its centre (> 0 outside)."""
    dx, dy = points_xy[:, 0] - ellipse.cx, points_xy[:, 1] - ellipse.cy
    cos, sin = math.cos(ellipse.theta), math.sin(ellipse.theta)
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos
    r = np.sqrt((u / ellipse.a) ** 2 + (v / ellipse.b) ** 2)
    return (r - 1.0) * np.hypot(u, v) / np.maximum(r, 1e-12)


def ellipse_from_contour(mask_or_prob: np.ndarray, iterations: int = 15) -> Ellipse | None:
    """The robust ellipse through the largest region's sub-pixel outline (None if empty).

    Starts from the plain least-squares fit through all outline points, then refits with Tukey
    weights ``(1 - (d / c)^2)^2`` (0 beyond ``c = 4.685 s``, ``s`` the MAD-scale of the radial
    distances ``d``, at least 0.5 px). Falls back to the moments ellipse when the outline has
    fewer than 5 points or fits no ellipse (a region of a few pixels).
    """
    points = outline_points(mask_or_prob)
    if points is None:
        return None
    try:
        ellipse = fit_ellipse(points)
        for _ in range(iterations):
            d = radial_distance(points, ellipse)
            scale = max(1.4826 * float(np.median(np.abs(d - np.median(d)))), _MIN_SCALE_PX)
            weights = np.clip(1.0 - (d / (_TUKEY_C * scale)) ** 2, 0.0, None) ** 2
            if np.count_nonzero(weights) < 5:
                break
            ellipse = fit_ellipse(points, weights)
    except DataError:
        return ellipse_from_mask(mask_or_prob)
    return ellipse


def head_ellipse(mask_or_prob: np.ndarray, method: str = "moments") -> Ellipse | None:
    """The head's ellipse by ``method``: ``moments`` (the region's area moments) or ``contour``
    (robust fit through its outline)."""
    if method == "moments":
        return ellipse_from_mask(mask_or_prob)
    if method == "contour":
        return ellipse_from_contour(mask_or_prob)
    raise ConfigError(f"unknown ellipse method {method!r}; expected one of {', '.join(ELLIPSE_METHODS)}")


def physical_ellipse(ellipse: Ellipse, spacing: tuple[float, float]) -> Ellipse:
    """``ellipse`` (pixel coordinates) in mm, for pixels of ``spacing`` = (row, column) mm.

    Scaling x by the column and y by the row spacing maps an ellipse to an ellipse; its axes
    are those of the quadratic form ``S^-1 R diag(a^-2, b^-2) R^T S^-1``. For the moments fit
    this equals scaling every pixel's coordinates before fitting (moments transform linearly).
    """
    sy, sx = float(spacing[0]), float(spacing[1])
    cos, sin = math.cos(ellipse.theta), math.sin(ellipse.theta)
    rot = np.array([[cos, -sin], [sin, cos]])
    form = rot @ np.diag([ellipse.a ** -2, ellipse.b ** -2]) @ rot.T
    inv = np.diag([1.0 / sx, 1.0 / sy])
    evals, evecs = np.linalg.eigh(inv @ form @ inv)  # ascending: the major axis first
    theta = math.atan2(evecs[1, 0], evecs[0, 0])
    theta = theta + math.pi if theta <= -math.pi / 2 else theta - math.pi if theta > math.pi / 2 else theta
    return Ellipse(cx=ellipse.cx * sx, cy=ellipse.cy * sy, a=float(evals[0] ** -0.5), b=float(evals[1] ** -0.5),
                   theta=theta)
