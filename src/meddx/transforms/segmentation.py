"""Segmentation preprocessing: image and mask to the network's grid, and predictions back.

nnU-Net's scheme, reduced to what a CPU budget allows:

- 3D: resample to the plan's target spacing (trilinear for images, nearest for masks), skipped
  when the case already has it (within 1%);
- 2D: resize to the plan's fixed input size (images from one scanner differ little in size,
  and a fixed grid lets cases batch);
- intensities: ``zscore`` per image (MRI, ultrasound: scales differ between cases, as in
  msd-hippocampus where some volumes were rescaled to 8 bit), or ``ct``: clip to the training
  foreground's 0.5-99.5 percentiles and z-score with its mean and std (HU are absolute).

``inverse`` maps class probabilities from the network grid back onto the case's original
grid (same shape, hence same spacing and affine), so masks are written and measured there.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from meddx.core.errors import ConfigError, DataError

NORMALIZATIONS = ("zscore", "ct")


class SegPreprocessor:
    """Plain-data description of the network grid and intensity normalisation.

    Args:
        spatial_dims: 2 or 3.
        channels: input channels the network takes.
        size: 2D only, the fixed ``(H, W)`` every image is resized to.
        target_spacing: 3D only, the spacing (mm, array axis order) volumes are resampled to;
            ``None`` keeps each volume's grid.
        normalization: ``zscore`` or ``ct``.
        ct_stats: for ``ct``: ``{"lower", "upper", "mean", "std"}`` from the training foreground.
    """

    def __init__(self, spatial_dims: int, channels: int, *, size: Sequence[int] | None = None,
                 target_spacing: Sequence[float] | None = None, normalization: str = "zscore",
                 ct_stats: dict[str, float] | None = None) -> None:
        if normalization not in NORMALIZATIONS:
            raise ConfigError(f"normalization must be one of {', '.join(NORMALIZATIONS)}; got {normalization!r}")
        if normalization == "ct" and not ct_stats:
            raise ConfigError("normalization 'ct' needs ct_stats (lower, upper, mean, std) from the fingerprint")
        if spatial_dims == 2 and size is None:
            raise ConfigError("2D segmentation preprocessing needs a fixed size (H, W)")
        self.spatial_dims = int(spatial_dims)
        self.channels = int(channels)
        self.size = None if size is None else [int(s) for s in size]
        self.target_spacing = None if target_spacing is None else [float(s) for s in target_spacing]
        self.normalization = normalization
        self.ct_stats = dict(ct_stats) if ct_stats else None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "segmentation", "spatial_dims": self.spatial_dims, "channels": self.channels,
                "size": self.size, "target_spacing": self.target_spacing, "normalization": self.normalization,
                "ct_stats": self.ct_stats}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SegPreprocessor":
        return cls(data["spatial_dims"], data["channels"], size=data.get("size"),
                   target_spacing=data.get("target_spacing"), normalization=data.get("normalization", "zscore"),
                   ct_stats=data.get("ct_stats"))

    # -- forward ------------------------------------------------------------------------
    def grid_shape(self, shape: Sequence[int], spacing: Sequence[float] | None) -> list[int]:
        """Spatial shape of a case of ``shape`` (and ``spacing``) on the network grid."""
        if self.spatial_dims == 2:
            return list(self.size)  # type: ignore[arg-type]
        factors = self._zoom(spacing)
        if factors is None:
            return [int(s) for s in shape]
        return [max(1, int(round(s * f))) for s, f in zip(shape, factors)]

    def _zoom(self, spacing: Sequence[float] | None) -> list[float] | None:
        if self.target_spacing is None or spacing is None:
            return None
        factors = [float(s) / t for s, t in zip(spacing, self.target_spacing)]
        return None if all(abs(f - 1.0) < 0.01 for f in factors) else factors

    def image(self, image: np.ndarray, spacing: Sequence[float] | None = None) -> np.ndarray:
        """``(C, *spatial)`` raw image -> float32 ``(channels, *grid)`` normalised."""
        arr = self._channels(np.asarray(image), image_shape=image.shape)
        x = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
        target = self.grid_shape(arr.shape[1:], spacing)
        if list(x.shape[1:]) != target:
            mode = "bilinear" if self.spatial_dims == 2 else "trilinear"
            antialias = self.spatial_dims == 2 and any(t < s for t, s in zip(target, x.shape[1:]))
            x = F.interpolate(x[None], size=target, mode=mode, align_corners=False, antialias=antialias)[0]
        return self._normalize(x.numpy())

    def mask(self, mask: np.ndarray, spacing: Sequence[float] | None = None, num_classes: int | None = None) -> np.ndarray:
        """``(*spatial)`` label map -> int64 ``(*grid)``.

        Downsizing by interpolating the one-hot map and taking the argmax keeps thin
        structures and smooth boundaries that nearest-neighbour sampling would break.
        """
        target = self.grid_shape(mask.shape, spacing)
        if list(mask.shape) == target:
            return np.asarray(mask, dtype=np.int64)
        k = int(num_classes or int(mask.max()) + 1)
        onehot = F.one_hot(torch.from_numpy(np.asarray(mask, dtype=np.int64)), k).movedim(-1, 0).float()
        mode = "bilinear" if self.spatial_dims == 2 else "trilinear"
        out = F.interpolate(onehot[None], size=target, mode=mode, align_corners=False)[0]
        return out.argmax(0).numpy().astype(np.int64)

    def _channels(self, arr: np.ndarray, image_shape: Sequence[int]) -> np.ndarray:
        if arr.ndim != self.spatial_dims + 1:
            raise DataError(
                f"image of shape {tuple(image_shape)} has {arr.ndim - 1} spatial dimensions; "
                f"this model expects {self.spatial_dims}D input (channel first)"
            )
        c = arr.shape[0]
        if c == self.channels:
            return arr
        if self.channels == 1 and c in (3, 4):  # colour file of a grey model: luminance
            return (0.299 * arr[0] + 0.587 * arr[1] + 0.114 * arr[2])[None].astype(np.float32)
        if c == 1:
            return np.repeat(arr, self.channels, axis=0)
        raise DataError(f"image has {c} channels; this model expects {self.channels}")

    def _normalize(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32, copy=False)
        if self.normalization == "ct":
            s = self.ct_stats or {}
            return ((np.clip(x, s["lower"], s["upper"]) - s["mean"]) / max(s["std"], 1e-6)).astype(np.float32)
        flat = x.reshape(x.shape[0], -1)
        mean = flat.mean(axis=1).reshape((-1,) + (1,) * self.spatial_dims)
        std = flat.std(axis=1).reshape((-1,) + (1,) * self.spatial_dims)
        return ((x - mean) / np.maximum(std, 1e-6)).astype(np.float32)

    # -- inverse ------------------------------------------------------------------------
    def inverse(self, probs: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
        """Class probabilities ``(K, *grid)`` -> ``(K, *shape)`` on the case's original grid."""
        shape = [int(s) for s in shape]
        if list(probs.shape[1:]) == shape:
            return probs
        mode = "bilinear" if self.spatial_dims == 2 else "trilinear"
        return F.interpolate(probs[None].float(), size=shape, mode=mode, align_corners=False)[0]


def pad_to_multiple(x: torch.Tensor, multiple: Sequence[int], min_size: Sequence[int] | None = None) -> tuple[torch.Tensor, list[slice]]:
    """Pad the trailing spatial axes of ``x`` (``(..., *spatial)``) symmetrically with zeros so each
    is a multiple of ``multiple`` and at least ``min_size``; returns the padded tensor and the
    slices that crop it back."""
    spatial = list(x.shape[-len(multiple):])
    target = []
    for i, (s, m) in enumerate(zip(spatial, multiple)):
        t = max(s, int(min_size[i]) if min_size is not None else 0)
        target.append(int(np.ceil(t / m) * m))
    pads: list[int] = []
    crops: list[slice] = []
    for s, t in zip(spatial, target):
        before = (t - s) // 2
        crops.append(slice(before, before + s))
    for s, t in reversed(list(zip(spatial, target))):
        before = (t - s) // 2
        pads += [before, t - s - before]
    if any(pads):
        x = F.pad(x, pads)
    return x, crops
