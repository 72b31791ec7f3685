"""Inference from a segmentation bundle: preprocessing, sliding window, original grid, clean-up.

A case goes to the network grid (``SegPreprocessor``), through sliding-window inference with
the training patch size (Gaussian-weighted overlapping windows, MONAI), back to the original
grid as class probabilities, then to a label map (argmax) with optional largest connected
component per class. Masks written by ``predict_files`` have the input's format and geometry.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from meddx.core.errors import BundleError, DataError, MeddxError


@dataclass
class SegOutput:
    """One case's prediction on its original grid."""

    labels: np.ndarray                 # (*spatial) uint8 label map after post-processing
    probs: np.ndarray                  # (K, *spatial) float32 class probabilities
    measurements: dict[str, Any] = field(default_factory=dict)


def largest_component(labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Keep, for each class in ``classes``, only its largest connected component (face
    connectivity); removed voxels become background.

    MONAI's ``KeepLargestConnectedComponent`` needs scikit-image or cuCIM, neither of which is a
    dependency here, so this uses ``scipy.ndimage.label`` directly.
    """
    from scipy import ndimage

    out = labels.copy()
    for c in classes:
        region = labels == c
        if not region.any():
            continue
        comp, n = ndimage.label(region)
        if n <= 1:
            continue
        sizes = np.bincount(comp.ravel())
        sizes[0] = 0
        out[region & (comp != int(sizes.argmax()))] = 0
    return out


def ellipse_method(value: str | bool | None) -> str | None:
    """A bundle's ``postprocess.ellipse`` as a method name: None/false (off), true (moments, as
    bundles written before the contour fit meant), or ``moments``/``contour``."""
    if value is None or value is False:
        return None
    if value is True:
        return "moments"
    from meddx.evaluation.ellipse_contour import ELLIPSE_METHODS

    if value not in ELLIPSE_METHODS:
        raise BundleError(f"postprocess.ellipse is {value!r}; expected true/false or one of {', '.join(ELLIPSE_METHODS)}")
    return str(value)


def soft_region(out: SegOutput, label: int, margin: int = 2) -> np.ndarray:
    """Probability map of ``label`` kept only near its post-processed region: sub-pixel for
    measurements by moments, without the faint responses elsewhere in the image."""
    from scipy import ndimage

    region = out.labels == label
    if not region.any():
        return region.astype(np.float32)
    near = ndimage.binary_dilation(region, iterations=margin)
    return out.probs[label] * near


def _axis_shift(n: int, patch: int, o: int) -> tuple[tuple[int, int], slice, slice, slice]:
    """How one axis of ``n`` voxels moves by ``o`` (0 or 1) against windows of ``patch`` voxels.

    Returns (padding before/after, crop of the padded input, slice of the prediction, where that
    slice goes on the original axis). Smaller than the patch: pad one voxel in total, ``o``
    before, so the window pads every offset alike and nothing is lost. Otherwise keep ``n``
    voxels (a padded axis of ``n + 1`` would need one more window per axis: 2**dims times the
    work for an image the size of the patch): the last ``o`` voxels fall off this pass and the
    other passes cover them.
    """
    if n < patch:
        return (o, 1 - o), slice(None), slice(o, o + n), slice(0, n)
    return (o, 0), slice(0, n), slice(o, n), slice(0, n - o)


def shift_average(predict: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                  patch_size: Sequence[int]) -> torch.Tensor:
    """Mean of ``predict`` over ``x`` moved by 0 or 1 voxels along every combination of axes.

    Each pass is moved back onto ``x``'s grid and every voxel is averaged over the passes that
    saw it. Each pass needs as many windows as ``x`` itself.
    """
    spatial = x.shape[2:]
    total: torch.Tensor | None = None  # (B, K, *spatial): K is known after the first pass
    count = torch.zeros(spatial, device=x.device)
    for offset in itertools.product((0, 1), repeat=len(spatial)):
        plans = [_axis_shift(int(n), int(p), o) for n, p, o in zip(spatial, patch_size, offset)]
        pads = [v for plan in reversed(plans) for v in plan[0]]  # F.pad lists the last axis first
        moved = F.pad(x, pads)[(slice(None), slice(None), *(plan[1] for plan in plans))]
        out = predict(moved)
        src = (slice(None), slice(None), *(plan[2] for plan in plans))
        dst = tuple(plan[3] for plan in plans)
        if total is None:
            total = torch.zeros((*out.shape[:2], *spatial), dtype=out.dtype, device=out.device)
        total[(slice(None), slice(None), *dst)] += out[src]
        count[dst] += 1
    assert total is not None
    return total / count.to(total.device, total.dtype)


class SegPredictor:
    """A segmentation bundle ready to predict; build it with ``meddx.bundle.load_bundle``."""

    task = "segmentation"

    def __init__(self, config: dict[str, Any], net: torch.nn.Module, path: Path | None = None,
                 metrics: dict | None = None) -> None:
        from meddx.transforms.segmentation import SegPreprocessor

        self.config = config
        self.net = net.eval()
        self.path = path
        self.metrics = metrics or {}
        self.label_names: list[str] = list(config["label_names"])
        self.preprocessor = SegPreprocessor.from_dict(config["preprocessing"])
        inference = config.get("inference", {})
        self.patch_size: list[int] = list(inference["patch_size"])
        self.overlap: float = float(inference.get("overlap", 0.5))
        self.mirror: bool = bool(inference.get("mirror", False))
        # Test-time shifts: the mean over the input moved by one voxel along every combination of
        # axes (2**dims passes). Strided U-Nets are not shift-equivariant, and averaging over
        # sub-patch shifts smooths the boundary errors that dominate small structures.
        self.shift: bool = bool(inference.get("shift", False))
        # Test-time zoom (bundle/seg_zoom.py): a second pass on a crop around the largest found region,
        # magnified to the grid; only for fixed-size (2D) grids, where magnifying means anything.
        self.zoom: bool = bool(inference.get("zoom", False)) and self.zoom_available
        axes = inference.get("mirror_axes")
        self.mirror_axes: list[int] = list(range(self.preprocessor.spatial_dims)) if axes is None else list(axes)
        self.largest_component: dict[str, bool] = dict(config.get("postprocess", {}).get("largest_component", {}))
        # Replace structure 1 by the ellipse fitted to it (fetal heads are elliptical by definition):
        # None (off), "moments" or "contour" (evaluation/ellipse_contour.py); bundles written
        # before the choice existed say true, which meant moments.
        self.ellipse: str | None = ellipse_method(config.get("postprocess", {}).get("ellipse"))
        self.measurement: str | None = config.get("measurement")
        # Volumes (images and masks) are read in this orientation ("RAS"); None for bundles trained
        # before reorientation existed, which read the stored voxel order and keep doing so.
        self.orientation: str | None = config.get("orientation")

    @property
    def name(self) -> str:
        return str(self.config.get("name", self.path.name if self.path else "bundle"))

    @property
    def hc_method(self) -> str:
        """How head circumference is measured: the bundle's ellipse fit, moments when it has none."""
        return self.ellipse or "moments"

    @property
    def spatial_dims(self) -> int:
        return self.preprocessor.spatial_dims

    @property
    def zoom_available(self) -> bool:
        """Whether test-time zoom applies: the plan resizes images to a fixed grid (2D)."""
        return self.preprocessor.size is not None

    @torch.inference_mode()
    def grid_probs(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities ``(B, K, *grid)`` for preprocessed inputs ``(B, C, *grid)``."""
        from monai.inferers import sliding_window_inference

        from meddx.tasks.heads import segmentation_probs

        def window(inp: torch.Tensor) -> torch.Tensor:
            logits = sliding_window_inference(inp, roi_size=self.patch_size, sw_batch_size=4, predictor=self.net,
                                              overlap=self.overlap, mode="gaussian")
            return segmentation_probs(logits)  # the task's head (DESIGN.md: consumers never re-implement it)

        def run(inp: torch.Tensor) -> torch.Tensor:
            if not self.shift:
                return window(inp)
            return shift_average(window, inp, self.patch_size)

        probs = run(x)
        if self.mirror:  # test-time mirroring along the axes training mirrored (nnU-Net's default)
            axes = [2 + a for a in self.mirror_axes]
            for axis in axes:
                probs = probs + torch.flip(run(torch.flip(x, dims=[axis])), dims=[axis])
            probs = probs / (1 + len(axes))
        return probs

    def predict_case(self, image: np.ndarray, spacing: Sequence[float] | None = None,
                     postprocess: bool = True) -> SegOutput:
        """Label map and probabilities of one raw channel-first image on its own grid."""
        self.check_dims(image)
        probs = self._probs(image, spacing)
        if self.zoom:
            from meddx.bundle.seg_zoom import crop_padded, paste_average, zoom_box

            box = zoom_box(probs.argmax(0), self.preprocessor.size)  # type: ignore[arg-type]
            if box is not None:
                probs = paste_average(probs, self._probs(crop_padded(image, *box), spacing), box[0])
        out = SegOutput(labels=probs.argmax(0).astype(np.uint8), probs=probs)
        return self.postprocess(out) if postprocess else out

    def check_dims(self, image: np.ndarray, source: str | Path | None = None) -> None:
        """``DataError`` (naming ``source`` when given) for an image of other dimensions than the bundle's."""
        if image.ndim - 1 != self.spatial_dims:
            where = f"{source}: " if source is not None else ""
            raise DataError(
                f"{where}image has {image.ndim - 1} spatial dimensions (shape {tuple(image.shape)}), but bundle "
                f"{self.name!r} segments {self.spatial_dims}D images"
            )

    def _probs(self, image: np.ndarray, spacing: Sequence[float] | None) -> np.ndarray:
        """Float32 class probabilities ``(K, *spatial)`` of a raw image on its own grid."""
        x = torch.from_numpy(self.preprocessor.image(image, spacing))[None]
        return self.preprocessor.inverse(self.grid_probs(x)[0], image.shape[1:]).numpy().astype(np.float32)

    def postprocess(self, out: SegOutput, largest: dict[str, bool] | None = None,
                    ellipse: str | bool | None = None) -> SegOutput:
        """Largest connected component for the configured classes, then (HC bundles) the
        ellipse fit; ``largest``/``ellipse`` override the bundle's choices (used to choose them:
        ``ellipse=False`` turns the fit off, a method name picks it)."""
        largest = self.largest_component if largest is None else largest
        ellipse = self.ellipse if ellipse is None else ellipse_method(ellipse)
        classes = [i for i, n in enumerate(self.label_names) if i > 0 and largest.get(n, False)]
        labels = largest_component(out.labels, classes) if classes else out.labels
        result = SegOutput(labels=labels, probs=out.probs)
        if ellipse and self.spatial_dims == 2:
            from meddx.evaluation.ellipse_contour import head_ellipse
            from meddx.evaluation.measure import fill_ellipse

            fitted = head_ellipse(soft_region(result, 1), ellipse)
            if fitted is not None:
                filled = fill_ellipse(fitted, labels.shape)
                labels = np.where(filled, 1, np.where(labels == 1, 0, labels)).astype(np.uint8)
                result = SegOutput(labels=labels, probs=out.probs)
        return result

    def measure(self, out: SegOutput, spacing: Sequence[float] | None) -> dict[str, Any]:
        """Clinical measurements of a prediction: head circumference (mm) for HC bundles, else
        the structure volumes (mL, 3D) with known spacing."""
        from meddx.evaluation import measure

        if self.measurement == "head_circumference":
            if spacing is None:
                return {"head_circumference_mm": None, "note": "pixel size unknown: pass --pixel-size"}
            # (row, column) spacing: non-square pixels are measured in mm per axis
            rows_cols = (float(spacing[-2]), float(spacing[-1])) if len(spacing) >= 2 else float(spacing[-1])
            return {"head_circumference_mm": measure.head_circumference_mm(soft_region(out, 1), rows_cols,
                                                                           self.hc_method)}
        if self.spatial_dims == 3:
            return {"volume_ml": measure.structure_volumes_ml(out.labels, spacing, self.label_names)}
        return {}

    def predict_files(self, paths: Sequence[str | Path], out_dir: str | Path | None = None, *,
                      pixel_size: float | None = None, overlays: bool = True,
                      overwrite: bool = False) -> list[dict[str, Any]]:
        """Segment image files, folders of them, or DICOM series folders (``data.inputs``); with
        ``out_dir`` write each mask in the input's format and geometry (``<stem>_mask.png`` /
        ``.nii.gz``, stems made unique; in the input file's own voxel order, whatever orientation
        the bundle reads in) and an overlay PNG. A file of those names already in ``out_dir`` (an
        earlier run's) is refused before anything is segmented, and never replaced, unless
        ``overwrite`` (``ConfigError`` naming it; ``bundle.seg_outputs``). ``masks.json`` then lists
        this run's inputs and files, and with ``overwrite`` the masks and overlays an earlier, longer
        run listed there that this run did not write again are removed. An input that fails mid-run
        keeps the masks written before it, and its error names them."""
        from meddx.bundle.seg_outputs import finish_seg_run, plan_seg_files, stale_seg_files
        from meddx.data.inputs import expand_image_inputs, unique_stems
        from meddx.data.io import image_suffix
        from meddx.data.orientation import reading_for

        paths = expand_image_inputs(paths, self.spatial_dims)
        stems = unique_stems(paths, lambda p: p.name[: -len(image_suffix(p))] if image_suffix(p) else p.name)
        plan = [None] * len(paths) if out_dir is None else plan_seg_files(paths, stems, Path(out_dir), overlays,
                                                                           overwrite)
        stale = [] if out_dir is None else stale_seg_files(Path(out_dir), plan, overwrite)  # type: ignore[arg-type]
        rows: list[dict[str, Any]] = []
        with reading_for(self):  # the reads and the mask writer's reference read alike, as training read them
            for p, files in zip(paths, plan):
                done = sum(k in r for r in rows for k in ("mask", "overlay"))
                try:
                    rows.append(self._predict_file(p, files, pixel_size, overwrite, done))
                except MeddxError as exc:  # the masks written so far stay: say so, and how to run again
                    from meddx.bundle.seg_outputs import written_before

                    raise written_before(exc, rows, Path(out_dir or ".")) from exc
        if out_dir is not None:  # the summary after every mask, the removals last
            finish_seg_run(Path(out_dir), rows, stale, overwrite)
        return rows

    def _predict_file(self, p: Path, files: Any, pixel_size: float | None, overwrite: bool,
                      done: int) -> dict[str, Any]:
        """One input of :meth:`predict_files`: segment, measure, and write mask and overlay
        (``files``: a ``bundle.seg_outputs.SegFiles``, or ``None`` to write nothing)."""
        from meddx.data.io import read_image

        loaded = read_image(p)
        self.check_dims(loaded.array, p)
        spacing = loaded.spacing or ((pixel_size,) * self.spatial_dims if pixel_size else None)
        out = self.predict_case(loaded.array, spacing)
        row: dict[str, Any] = {"source": str(p), "spacing": spacing, **self.measure(out, spacing)}
        row["voxels"] = {n: int((out.labels == i).sum()) for i, n in enumerate(self.label_names) if i > 0}
        if files is not None:
            from meddx.bundle.seg_outputs import write_seg_files

            row.update(write_seg_files(files, out.labels, Path(p), loaded.array, self.label_names, overwrite, done))
        return row
