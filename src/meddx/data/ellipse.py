"""Ellipse geometry: the shape of an HC18 head-circumference annotation and of its measurement.

- ``Ellipse``, ``ellipse_perimeter``: the ellipse and its perimeter (Ramanujan's approximation).
- ``fit_ellipse``: direct least-squares fit through points (Fitzgibbon / Halir & Flusser).
- ``fill_ellipse``, ``outline_to_mask``: the filled region of an ellipse, and of the ellipse fitted
  to an HC18 outline ring (what a segmentation network is trained on).

Here in ``data`` because reading an HC18 source fills its outline rings (``data/segmentation.py``),
and data imports no stage to its right; evaluation (``evaluation/measure.py``, which re-exports
these names) and the segmentation bundle's post-processing use the same geometry. Our own code
because scikit-image (``EllipseModel``) and OpenCV (``cv2.fitEllipse``) are not dependencies of
meddx, and neither is worth adding for ~60 lines.

Coordinates: ``x`` is the column and ``y`` the row of a pixel, both at the pixel centre, in
pixels; angles go from +x towards +y (clockwise on screen, since rows grow downwards).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from meddx.core.errors import DataError


@dataclass(frozen=True)
class Ellipse:
    """An ellipse in image coordinates.

    Attributes:
        cx, cy: centre in pixels (``cx`` = column, ``cy`` = row).
        a, b: semi-axes in pixels, ``a >= b > 0``.
        theta: angle of the ``a`` axis from +x in radians, in ``(-pi/2, pi/2]``.
    """

    cx: float
    cy: float
    a: float
    b: float
    theta: float

    @property
    def perimeter(self) -> float:
        """Perimeter in pixels (Ramanujan's second approximation)."""
        return ellipse_perimeter(self.a, self.b)

    @property
    def area(self) -> float:
        """Area in square pixels, ``pi * a * b``."""
        return math.pi * self.a * self.b


def ellipse_perimeter(a: float, b: float) -> float:
    """Perimeter of an ellipse with semi-axes ``a`` and ``b`` (Ramanujan's second approximation).

    ``pi (a + b) (1 + 3h / (10 + sqrt(4 - 3h)))`` with ``h = ((a - b) / (a + b))^2``. Its
    relative error is below 1e-9 for b/a >= 0.5 and below 4e-4 even for a degenerate ellipse,
    far below annotation error; the HC18 challenge uses the same formula for its reference HC.
    """
    a, b = float(a), float(b)
    if a < 0 or b < 0 or not (math.isfinite(a) and math.isfinite(b)):
        raise DataError(f"ellipse_perimeter: semi-axes must be finite and >= 0; got a={a}, b={b}")
    if a + b == 0:
        return 0.0
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1.0 + 3.0 * h / (10.0 + math.sqrt(4.0 - 3.0 * h)))


def _conic_to_ellipse(conic: np.ndarray) -> Ellipse | None:
    """Geometric parameters of ``A x^2 + B xy + C y^2 + D x + E y + F = 0``; None if not a real ellipse."""
    A, B, C, D, E, F = (float(v) for v in conic)
    det = 4.0 * A * C - B * B
    if not det > 0:
        return None
    cx = (B * E - 2.0 * C * D) / det
    cy = (B * D - 2.0 * A * E) / det
    f0 = F + 0.5 * (D * cx + E * cy)  # value of the conic at the centre
    evals, evecs = np.linalg.eigh(np.array([[A, B / 2.0], [B / 2.0, C]]))
    with np.errstate(divide="ignore", invalid="ignore"):
        squares = -f0 / evals
    if not np.all(np.isfinite(squares)) or np.any(squares <= 0):
        return None  # imaginary ellipse
    axes = np.sqrt(squares)
    major = int(np.argmax(axes))
    vx, vy = evecs[:, major]
    theta = math.atan2(vy, vx)
    if theta <= -math.pi / 2:
        theta += math.pi
    elif theta > math.pi / 2:
        theta -= math.pi
    return Ellipse(cx=cx, cy=cy, a=float(axes[major]), b=float(axes[1 - major]), theta=theta)


def fit_ellipse(points_xy: np.ndarray, weights: np.ndarray | None = None) -> Ellipse:
    """Direct least-squares ellipse fit through points (Fitzgibbon, Pilu & Fisher 1999).

    Uses the numerically stable form of Halir & Flusser (1998): the design matrix is split into
    quadratic and linear parts, the linear part is eliminated, and the ellipse-specific
    constraint ``4AC - B^2 = 1`` picks the one eigenvector that is an ellipse. Points are
    centred and scaled first, so the fit is the same for coordinates near 0 or near 1000.
    Always returns an ellipse when the points allow one (it never returns a hyperbola), which is
    why it suits noisy annotation rings.

    Args:
        points_xy: (N, 2) array of ``(x, y)`` = ``(column, row)`` coordinates, N >= 5.
        weights: optional (N,) weights >= 0 (weighted least squares; 0 ignores a point).

    Raises:
        DataError: fewer than 5 finite points, or points (e.g. collinear) that fit no ellipse.
    """
    pts = np.asarray(points_xy, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise DataError(f"fit_ellipse: expected an (N, 2) array of (x, y) points; got shape {pts.shape}")
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(w) != len(pts) or not np.all(np.isfinite(w) & (w >= 0)):
        raise DataError(f"fit_ellipse: weights must be {len(pts)} finite values >= 0; got shape {w.shape}")
    keep = np.all(np.isfinite(pts), axis=1) & (w > 0)
    pts, w = pts[keep], w[keep] / w[keep].max() if keep.any() else w[keep]
    if len(pts) < 5:
        raise DataError(f"fit_ellipse: an ellipse needs at least 5 finite points; got {len(pts)}. "
                        "Check that the outline or mask is not empty.")
    mean = (pts * w[:, None]).sum(axis=0) / w.sum()
    scale = float(np.sqrt((w * ((pts - mean) ** 2).sum(axis=1)).sum() / w.sum()))
    if not scale > 0:
        raise DataError(f"fit_ellipse: all {len(pts)} points coincide; no ellipse fits them")
    x, y = ((pts - mean) / scale).T
    d1, d2 = np.column_stack([x * x, x * y, y * y]), np.column_stack([x, y, np.ones_like(x)])
    d1, d2 = d1 * np.sqrt(w)[:, None], d2 * np.sqrt(w)[:, None]
    s1, s2, s3 = d1.T @ d1, d1.T @ d2, d2.T @ d2
    try:
        t = -np.linalg.solve(s3, s2.T)
        m = s1 + s2 @ t
        m = np.array([m[2] / 2.0, -m[1], m[0] / 2.0])  # premultiply by inverse of the constraint matrix
        evals, evecs = np.linalg.eig(m)
    except np.linalg.LinAlgError:
        raise DataError(f"fit_ellipse: the {len(pts)} points are degenerate (collinear?); "
                        "no ellipse fits them") from None
    evecs = np.real(evecs)
    cond = 4.0 * evecs[0] * evecs[2] - evecs[1] ** 2
    candidates = np.flatnonzero(cond > 0)
    ellipse = None
    if len(candidates):
        # Exactly one eigenvector satisfies the constraint in exact arithmetic; with noise take
        # the one with the smallest |eigenvalue| (smallest algebraic residual).
        best = candidates[np.argmin(np.abs(np.real(evals[candidates])))]
        a1 = evecs[:, best]
        ellipse = _conic_to_ellipse(np.concatenate([a1, t @ a1]))
    if ellipse is None:
        raise DataError(f"fit_ellipse: the best conic through the {len(pts)} points is not an ellipse; "
                        "expected points on a closed elliptical outline")
    return Ellipse(cx=float(mean[0] + scale * ellipse.cx), cy=float(mean[1] + scale * ellipse.cy),
                   a=scale * ellipse.a, b=scale * ellipse.b, theta=ellipse.theta)


def fill_ellipse(ellipse: Ellipse, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of the pixels whose centres lie inside (or on) ``ellipse``."""
    if len(shape) != 2:
        raise DataError(f"fill_ellipse: shape must be (H, W); got {shape}")
    if not (ellipse.a > 0 and ellipse.b > 0):
        return np.zeros(shape, dtype=bool)
    rows, cols = np.ogrid[: int(shape[0]), : int(shape[1])]
    dx, dy = cols - ellipse.cx, rows - ellipse.cy
    cos, sin = math.cos(ellipse.theta), math.sin(ellipse.theta)
    u = dx * cos + dy * sin
    v = -dx * sin + dy * cos
    return (u / ellipse.a) ** 2 + (v / ellipse.b) ** 2 <= 1.0


def outline_to_mask(ring: np.ndarray) -> np.ndarray:
    """Filled 0/1 ``uint8`` ellipse region from an HC18 outline annotation.

    ``ring`` is an (H, W) image whose values > 0 mark the outline (a ring one to a few pixels
    wide). An ellipse is fitted by least squares through the ring pixel centres
    (``x`` = column, ``y`` = row) and filled; a least-squares ellipse through the ring pixels
    reproduces the HC18 reference HC to about 0.005 mm, while flood-filling the ring would
    depend on gaps in it and on which side of the ring is counted.

    Raises:
        DataError: ``ring`` is not 2D, or its ring pixels fit no ellipse (e.g. it is empty).
    """
    ring = np.asarray(ring)
    if ring.ndim == 3 and ring.shape[-1] in (3, 4):
        ring = ring[..., 0]  # RGB(A) annotation with equal channels
    if ring.ndim != 2:
        raise DataError(f"outline_to_mask: expected an (H, W) outline image; got shape {ring.shape}")
    rows, cols = np.nonzero(ring > 0)
    if len(rows) < 5:
        raise DataError(f"outline_to_mask: the outline has {len(rows)} pixels > 0; expected an ellipse ring. "
                        "Is this the annotation image (not the ultrasound image)?")
    ellipse = fit_ellipse(np.column_stack([cols, rows]))
    return fill_ellipse(ellipse, ring.shape).astype(np.uint8)
