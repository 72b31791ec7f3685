"""Clinical measurements from segmentations: ellipses (fetal head circumference), volumes, errors.

- ``Ellipse``, ``fit_ellipse``, ``ellipse_perimeter``, ``fill_ellipse``, ``outline_to_mask``:
  the ellipse geometry used for HC18-style head circumference (HC) measurement. An HC18
  annotation is an ellipse *outline*; ``outline_to_mask`` turns it into the filled region a
  segmentation network is trained on.
- ``ellipse_from_mask``, ``head_circumference_mm``: the measurement from a predicted mask or
  probability map (the robust outline fit is in ``ellipse_contour``).
- ``structure_volumes_ml``, ``structure_areas_mm2``: size of each labelled structure.
- ``measurement_errors``: agreement of predicted with reference measurements, with a bootstrap
  interval for the mean absolute error (clustered by patient when ids are given).

The ellipse code is our own because scikit-image (``EllipseModel``) and OpenCV
(``cv2.fitEllipse``) are not dependencies of meddx, and neither is worth adding for ~60 lines.

Coordinates: ``x`` is the column and ``y`` the row of a pixel, both at the pixel centre, in
pixels; angles go from +x towards +y (clockwise on screen, since rows grow downwards).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError


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


# --- measurement from a predicted mask ----------------------------------------------------------


def _plane(mask_or_prob: np.ndarray, where: str) -> np.ndarray:
    """The (H, W) float weights in [0, 1] of a 2D mask or probability map (leading 1-dims dropped)."""
    arr = np.asarray(mask_or_prob)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise DataError(f"{where}: expected a 2D (H, W) mask or probability map (optionally (1, H, W)); "
                        f"got shape {np.shape(mask_or_prob)}")
    if arr.dtype == bool or arr.dtype.kind in "iu":
        return (arr > 0).astype(np.float64)
    if arr.dtype.kind != "f":
        raise DataError(f"{where}: expected a numeric mask or probability map; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise DataError(f"{where}: a float input must be probabilities in [0, 1] without NaN; found values in "
                        f"[{np.nanmin(arr):.3g}, {np.nanmax(arr):.3g}]. Apply softmax/sigmoid first, or pass 0/1 ints.")
    return arr


def largest_region(weights: np.ndarray) -> np.ndarray | None:
    """Boolean mask of the largest connected component of ``weights >= 0.5`` (None if empty)."""
    from scipy import ndimage

    labels, count = ndimage.label(weights >= 0.5)
    return None if count == 0 else labels == int(np.argmax(np.bincount(labels.ravel())[1:])) + 1


def ellipse_from_mask(mask_or_prob: np.ndarray) -> Ellipse | None:
    """The ellipse with the same zeroth, first and second moments as the region, or None if empty.

    The region is the largest connected component of ``mask_or_prob >= 0.5``. A 0/1 mask
    weighs its pixels equally; for a probability map the pixels within 2 px of that component's
    edge, inside or outside, are weighted by their probability and those deeper inside count 1
    ("soft" moments). The band is symmetric so that a blurred edge's deficit inside and excess
    outside cancel (the whole interior by probability but only 2 px outside biased HC low: -0.5%
    at a 5 px blur on a 1360 px head). Each pixel is a unit square (+1/12 per axis). A filled
    ellipse's covariance eigenvalues are ``a^2/4`` and ``b^2/4``: ``a = 2 sqrt(l1)``, ``b = 2 sqrt(l2)``.

    Not a fit through the boundary pixels: their centres lie half a pixel inside the outline
    (``pi`` px of perimeter too small); moments integrate the region, whose edge errors cancel.
    """
    from scipy import ndimage

    weights = _plane(mask_or_prob, "ellipse_from_mask")
    component = largest_region(weights)
    if component is None:
        return None
    if np.all((weights == 0) | (weights == 1)):
        w = component.astype(np.float64)
    else:
        core = ndimage.binary_erosion(component, iterations=2)
        w = np.where(core, 1.0, weights * ndimage.binary_dilation(component, iterations=2))
    total = float(w.sum())
    rows, cols = np.indices(w.shape, dtype=np.float64)
    cx, cy = float((w * cols).sum() / total), float((w * rows).sum() / total)
    dx, dy = cols - cx, rows - cy
    cov = np.array([[(w * dx * dx).sum(), (w * dx * dy).sum()],
                    [(w * dx * dy).sum(), (w * dy * dy).sum()]]) / total + np.eye(2) / 12.0
    evals, evecs = np.linalg.eigh(cov)  # ascending
    a, b = 2.0 * math.sqrt(max(evals[1], 0.0)), 2.0 * math.sqrt(max(evals[0], 0.0))
    theta = math.atan2(evecs[1, 1], evecs[0, 1])
    if theta <= -math.pi / 2:
        theta += math.pi
    elif theta > math.pi / 2:
        theta -= math.pi
    return Ellipse(cx=cx, cy=cy, a=a, b=b, theta=theta)


def head_circumference_mm(mask_or_prob: np.ndarray, pixel_size_mm: float | Sequence[float],
                          method: str = "moments") -> float | None:
    """Head circumference in mm: perimeter of ``ellipse_contour.head_ellipse`` in physical units.

    ``pixel_size_mm``: one number (square pixels) or the (row, column) spacing; the ellipse is
    mapped to mm per axis (``physical_ellipse``). None for an empty mask (no head found)."""
    from meddx.evaluation.ellipse_contour import head_ellipse, physical_ellipse

    sizes = [float(pixel_size_mm)] * 2 if np.isscalar(pixel_size_mm) else [float(v) for v in pixel_size_mm]  # type: ignore[arg-type]
    if len(sizes) != 2 or not all(math.isfinite(v) and v > 0 for v in sizes):
        raise DataError(f"head_circumference_mm: pixel_size_mm must be a positive number or (row, column) "
                        f"positive numbers; got {pixel_size_mm!r}")
    ellipse = head_ellipse(mask_or_prob, method)
    return None if ellipse is None else physical_ellipse(ellipse, (sizes[0], sizes[1])).perimeter


# --- sizes of structures ------------------------------------------------------------------------


def _class_counts(label_map: np.ndarray, spacing: tuple[float, ...] | None, label_names: list[str],
                  ndim: int, where: str) -> tuple[dict[str, int], float | None]:
    arr = np.asarray(label_map)
    if arr.ndim == ndim + 1 and arr.shape[0] == 1:
        arr = arr[0]  # (1, *spatial) channel-first label map
    if arr.ndim != ndim:
        raise DataError(f"{where}: expected a {ndim}D label map (optionally with a leading channel of 1); "
                        f"got shape {np.shape(label_map)}")
    if len(label_names) < 2:
        raise DataError(f"{where}: label_names must list the background and at least one structure; got {label_names}")
    size = None
    if spacing is not None:
        sp = [float(s) for s in spacing]
        if len(sp) != ndim or not all(math.isfinite(s) and s > 0 for s in sp):
            raise DataError(f"{where}: spacing must be {ndim} positive numbers (mm per voxel along each axis); "
                            f"got {tuple(spacing)}")
        size = float(np.prod(sp))
    counts = np.bincount(arr.astype(np.int64).ravel().clip(0), minlength=len(label_names))
    return {name: int(counts[i]) for i, name in enumerate(label_names) if i > 0}, size


def structure_volumes_ml(label_map: np.ndarray, spacing: tuple[float, ...] | None,
                         label_names: list[str]) -> dict[str, float | None]:
    """Volume in mL of each foreground structure of a 3D label map.

    Label ``i`` is ``label_names[i]`` (0 = background, not reported). Volume is voxel count
    times the voxel volume ``prod(spacing)`` mm^3, divided by 1000 (1 mL = 1000 mm^3). Every
    value is None when ``spacing`` is unknown, since a voxel count is no volume.
    """
    counts, voxel = _class_counts(label_map, spacing, label_names, 3, "structure_volumes_ml")
    return {name: None if voxel is None else n * voxel / 1000.0 for name, n in counts.items()}


def structure_areas_mm2(label_map: np.ndarray, spacing: tuple[float, ...] | None,
                        label_names: list[str]) -> dict[str, float | None]:
    """Area in mm^2 of each foreground structure of a 2D label map (None without spacing)."""
    counts, pixel = _class_counts(label_map, spacing, label_names, 2, "structure_areas_mm2")
    return {name: None if pixel is None else n * pixel for name, n in counts.items()}


# --- agreement with reference measurements ------------------------------------------------------


def _optional_floats(values: Sequence[float | None], field: str) -> np.ndarray:
    out = np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    if np.isinf(out).any():
        raise DataError(f"measurement_errors: {field} contains infinite values; use None for a missing value")
    return out


def measurement_errors(predicted: Sequence[float | None], reference: Sequence[float | None], *, unit: str,
                       groups: Sequence[Any] | np.ndarray | None = None, n_resamples: int = 1000,
                       level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Agreement of predicted with reference measurements (e.g. HC in mm).

    Differences are ``predicted - reference`` over the cases where both are known. A predicted
    None (nothing segmented) is counted in ``n_missing``; a reference None (no ground truth) in
    ``n_no_reference``; neither enters the statistics.

    Returns:
        ``{"unit", "n", "n_missing", "n_no_reference", "mean_abs", "median_abs", "p95_abs",
        "max_abs", "mean_signed" (bias), "sd" (of the signed differences), "loa" (bias +- 1.96
        sd, Bland-Altman limits of agreement), "ci": {"mean_abs": bootstrap_ci entry,
        "mean_signed": ...} or None, "ci_method", "resamples", "level"}``. The intervals are
        BCa (percentile where BCa is undefined), resampling whole patients when ``groups``
        (patient ids, one per case) is given; none with ``n_resamples=0`` or fewer than 2
        cases (or 2 patients).
    """
    from meddx.evaluation.bootstrap import bootstrap_ci

    pred = _optional_floats(predicted, "predicted")
    ref = _optional_floats(reference, "reference")
    if pred.shape != ref.shape:
        raise DataError(f"measurement_errors: predicted has {len(pred)} values and reference {len(ref)}; "
                        "expected one prediction per reference case")
    ok = ~np.isnan(pred) & ~np.isnan(ref)
    diff = (pred - ref)[ok]
    absd = np.abs(diff)
    n = int(ok.sum())
    out: dict[str, Any] = {
        "unit": unit, "n": n, "n_missing": int((np.isnan(pred) & ~np.isnan(ref)).sum()),
        "n_no_reference": int(np.isnan(ref).sum()),
        "mean_abs": None, "median_abs": None, "p95_abs": None, "max_abs": None, "mean_signed": None,
        "sd": None, "loa": None, "ci": None, "ci_method": "BCa bootstrap (percentile where BCa is undefined)",
        "resamples": int(n_resamples), "level": float(level),
    }
    if n == 0:
        return out
    out.update(mean_abs=float(absd.mean()), median_abs=float(np.median(absd)),
               p95_abs=float(np.percentile(absd, 95)), max_abs=float(absd.max()), mean_signed=float(diff.mean()))
    if n >= 2:
        sd = float(diff.std(ddof=1))
        out.update(sd=sd, loa=[out["mean_signed"] - 1.96 * sd, out["mean_signed"] + 1.96 * sd])
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != pred.shape:
            raise DataError(f"measurement_errors: groups must hold one patient id per case ({len(pred)}); "
                            f"got shape {g.shape}")
        g = g[ok]
    else:
        g = None
    if n_resamples and n >= 2 and (g is None or len(np.unique(g)) >= 2):
        if n_resamples < 10:
            raise ConfigError(f"n_resamples must be 0 (no intervals) or >= 10; got {n_resamples}")

        def statistic(idx: np.ndarray) -> dict[str, float]:
            return {"mean_abs": float(absd[idx].mean()), "mean_signed": float(diff[idx].mean())}

        out["ci"] = bootstrap_ci(statistic, n, groups=g, n_resamples=int(n_resamples), level=level, seed=seed)
    return out
