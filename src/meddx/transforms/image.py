"""Image preprocessing fitted on the training split, and train-time augmentation presets.

``ImagePreprocessor`` follows the scikit-learn estimator contract: ``__init__`` stores
parameters, ``fit`` learns the per-channel intensity statistics on training images only and
returns ``self``, learned attributes end in ``_``. Its ``to_dict``/``from_dict`` round trip
is what a bundle's ``config.json`` carries, so serving applies exactly the training-time
preprocessing. The work itself is done by MONAI transforms.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

import numpy as np

from meddx.core.errors import ConfigError, DataError, NotFittedError
from meddx.data.bit_depth import eight_bit, integer_max, pixel_kind

Scaling = Literal["auto", "dtype", "minmax", "percentile", "none"]
AUGMENT_PRESETS = ("none", "light", "strong", "shift")
SHIFT_FRACTION = 0.1  # preset "shift": largest translation per axis, as a fraction of the side


class ImagePreprocessor:
    """Channel handling, intensity scaling, resize and per-channel z-score normalisation.

    ``scaling='auto'`` divides 8-bit images by 255 (keeps absolute brightness, as MedMNIST
    baselines do) and maps anything else (CT in HU, 16-bit MR/X-ray) to [0, 1] by the 0.5 and
    99.5 intensity percentiles of each image. ``dtype`` divides every integer image by its own bit
    depth and a floating-point one by ``dtype_max_``, the largest bit depth of the training
    images (1.0 when all are floats); training images that mix integers and floats are refused
    (:class:`NoBitDepth`). "8-bit" is :func:`meddx.data.bit_depth.eight_bit`, which ``data info``
    uses too.
    """

    def __init__(
        self,
        spatial_size: Sequence[int],
        channels: int,
        scaling: Scaling = "auto",
        normalize: bool = True,
    ) -> None:
        self.spatial_size = tuple(int(s) for s in spatial_size)
        self.channels = int(channels)
        self.scaling = scaling
        self.normalize = normalize

    # -- estimator contract -------------------------------------------------------------
    def fit(self, images: Iterable[np.ndarray]) -> "ImagePreprocessor":
        """Learn per-channel mean and std of the scaled, resized training images.

        ``auto`` scaling is resolved here, from the training images' dtype, and frozen: a
        model trained on 8-bit PNGs then scales every image by its bit depth at prediction
        time (a 16-bit PNG of the same picture gives the same input), and a float NIfTI by 255.
        It does not depend on the order of the images: ``dtype`` when every one is 8-bit,
        ``percentile`` when none is, and :class:`MixedIntensities` (a ``DataError``) when they mix.
        Nor does an explicit ``dtype`` (:class:`NoBitDepth` for integers mixed with floats).
        """
        self._fit_stats(self._fitting(images))
        return self

    def fit_transform(self, images: Iterable[np.ndarray], fixed_statistics: bool = False) -> np.ndarray:
        """Fit on ``images`` and return them preprocessed as ``(N, channels, *size)`` float32.

        Each image is decoded, scaled and resized once (``fit`` then ``transform_many`` would
        do it twice: for 2,870 brain MRI JPEGs that is the larger part of the start-up time).
        With ``fixed_statistics`` (DP training: nothing computed across training images may be
        published) the scaled [0, 1] intensities map to [-1, 1] (mean and std 0.5) instead.
        """
        scaled = list(self._fitting(images))
        if fixed_statistics:
            self.mean_, self.std_ = [0.5] * self.channels, [0.5] * self.channels
        else:
            self._fit_stats(scaled)
        return self.normalise(np.stack(scaled)) if self.normalize else np.stack(scaled)

    def _fitting(self, images: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Each training image scaled and resized, with the scaling resolved on the first image and
        ``dtype_max_`` the largest bit depth of the integer images (1.0 when there are none).

        Nothing may depend on which file sorts first: a folder of 8-bit PNGs with one CT in HU got
        ``dtype`` (the CT divided by 255) or ``percentile`` (every PNG stretched) from ``auto`` by
        file order, and under an explicit ``dtype`` the CT was divided by the first integer image's
        bit depth (255: -3.4..3.2) or by 1 (HU as is). So every image is classed against the first
        (cheap): under ``auto``, 8-bit or not (:class:`MixedIntensities`); under ``dtype``, integer
        or float (:class:`NoBitDepth`: a float has no bit depth, and no divisor serves both). A mix
        is refused at once, before the rest is decoded, leaving the choice to the caller: training
        falls back to ``percentile`` under ``auto`` and names two files under ``dtype``
        (``training.scaling``). Homogeneous sources resolve exactly as before.
        """
        mix = {"auto": (eight_bit, MixedIntensities), "dtype": (_integer, NoBitDepth)}.get(str(self.scaling))
        first: dict[bool, tuple[int, str]] = {}  # the first image of each class, as (position, pixel kind)
        for i, image in enumerate(images):
            x = np.asanyarray(image)  # "any": keep a DICOM BitDepthArray's value_max
            if not hasattr(self, "scaling_"):
                self.scaling_, self.dtype_max_ = self._resolve_scaling(x)
            elif np.issubdtype(x.dtype, np.integer):
                self.dtype_max_ = max(self.dtype_max_, integer_max(x))  # the largest, not the first's
            if mix is not None:
                first.setdefault(bool(mix[0](x)), (i, pixel_kind(x)))
                if len(first) == 2:
                    del self.scaling_, self.dtype_max_  # not fitted: no half-decided scaling left behind
                    raise mix[1](*first[True], *first[False])
            yield self._scaled_resized(x)

    def _fit_stats(self, arrays: Iterable[np.ndarray]) -> None:
        total = np.zeros(self.channels, dtype=np.float64)
        total_sq = np.zeros(self.channels, dtype=np.float64)
        count = 0
        for x in arrays:
            flat = x.reshape(self.channels, -1).astype(np.float64)
            total += flat.sum(axis=1)
            total_sq += (flat**2).sum(axis=1)
            count += flat.shape[1]
        if count == 0:
            raise DataError("cannot fit preprocessing: the training split has no images")
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean**2, 1e-12))
        self.mean_ = [float(m) for m in mean]
        self.std_ = [float(max(s, 1e-6)) for s in std]

    def normalise(self, x: np.ndarray) -> np.ndarray:
        """Per-channel z-score with the fitted statistics; channel axis is -1 - spatial dims.
        Before ``fit`` it is a ``NotFittedError``, as ``transform`` is (it was an AttributeError)."""
        self._check_fitted()
        shape = (self.channels,) + (1,) * len(self.spatial_size)
        mean = np.asarray(self.mean_, dtype=np.float32).reshape(shape)
        std = np.asarray(self.std_, dtype=np.float32).reshape(shape)
        return ((x - mean) / std).astype(np.float32, copy=False)

    def transform(self, image: np.ndarray) -> np.ndarray:
        """Preprocess one channel-first image to a float32 array of ``(channels, *size)``."""
        self._check_fitted()
        x = self._scaled_resized(image)
        return self.normalise(x) if self.normalize else x

    def transform_many(self, images: Iterable[np.ndarray]) -> np.ndarray:
        """Stack preprocessed images into ``(N, channels, *size)`` float32."""
        arrays = [self.transform(img) for img in images]
        if not arrays:
            return np.zeros((0, self.channels, *self.spatial_size), dtype=np.float32)
        return np.stack(arrays)

    # -- (de)serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Parameters and fitted statistics, JSON-serialisable (goes into the bundle)."""
        self._check_fitted()
        return {
            "type": "image",
            "spatial_size": list(self.spatial_size),
            "channels": self.channels,
            "scaling": self.scaling_,
            "dtype_max": self.dtype_max_,
            "normalize": self.normalize,
            "mean": self.mean_,
            "std": self.std_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImagePreprocessor":
        """Rebuild a fitted preprocessor from ``to_dict`` output."""
        try:
            pre = cls(data["spatial_size"], data["channels"], data["scaling"], data["normalize"])
            pre.scaling_, pre.dtype_max_ = data["scaling"], float(data.get("dtype_max") or 1.0)
            pre.mean_ = [float(v) for v in data["mean"]]
            pre.std_ = [float(v) for v in data["std"]]
        except KeyError as exc:
            raise ConfigError(f"image preprocessing config lacks field {exc}") from exc
        return pre

    # -- internals ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise NotFittedError("ImagePreprocessor is not fitted: call fit(train_images) first")

    def _scaled_resized(self, image: np.ndarray) -> np.ndarray:
        x = np.asanyarray(image)  # "any": keep a DICOM BitDepthArray's value_max for _scale
        dims = len(self.spatial_size)
        if x.ndim == dims:  # no channel axis
            x = x[None]
        if x.ndim != dims + 1:
            raise DataError(
                f"expected a channel-first image with {dims} spatial dimensions, "
                f"got an array of shape {tuple(x.shape)}"
            )
        x = _match_channels(np.asarray(self._scale(x)), self.channels)
        if tuple(x.shape[1:]) != self.spatial_size:
            from monai.transforms import Resize

            shrinking = all(s <= o for s, o in zip(self.spatial_size, x.shape[1:]))
            resize = Resize(self.spatial_size, mode="area" if shrinking else "bilinear" if dims == 2 else "trilinear")
            x = np.asarray(resize(x), dtype=np.float32)
        return x

    def _resolve_scaling(self, x: np.ndarray) -> tuple[str, float]:
        mode = self.scaling
        if mode == "auto":
            mode = "dtype" if eight_bit(x) else "percentile"
        if mode not in ("dtype", "minmax", "percentile", "none"):
            raise ConfigError(
                f"unknown intensity scaling {self.scaling!r}; expected one of auto, dtype, minmax, percentile, none"
            )
        return mode, integer_max(x) if np.issubdtype(x.dtype, np.integer) else 1.0

    def _scale(self, x: np.ndarray) -> np.ndarray:
        mode, dtype_max = (self.scaling_, self.dtype_max_) if hasattr(self, "scaling_") else self._resolve_scaling(x)
        if mode == "dtype":
            # An integer image is scaled by its own bit depth: the same picture saved as 16-bit
            # (x257), or as a 12-bit DICOM, must not come out brighter or darker than the 8-bit one
            # the model saw. Floats (rescaled DICOM, NIfTI) carry no bit depth and keep the
            # training images' divisor.
            if np.issubdtype(x.dtype, np.integer):
                dtype_max = integer_max(x)
            return np.asarray(x, dtype=np.float32) / dtype_max
        if mode in ("minmax", "percentile"):
            from monai.transforms import ScaleIntensity, ScaleIntensityRangePercentiles

            xf = np.asarray(x, dtype=np.float32)
            if mode == "minmax":
                return np.asarray(ScaleIntensity(minv=0.0, maxv=1.0)(xf), dtype=np.float32)
            pct = ScaleIntensityRangePercentiles(0.5, 99.5, 0.0, 1.0, clip=True, channel_wise=True)
            return np.asarray(pct(xf), dtype=np.float32)
        return np.asarray(x, dtype=np.float32)  # "none"


class MixedIntensities(DataError):
    """``auto`` scaling met 8-bit and other training images (8-bit PNGs and a CT in HU, or 16-bit PNGs).

    No single ``auto`` mode serves both: ``dtype`` divides a float CT by 255 (-3.4..3.2 beside 0..1),
    and choosing by whichever image came first made the result depend on file order. ``eight_bit``
    and ``other`` are the positions (in the fitted order) of one example of each, so a caller that
    knows the files can name them; ``eight_bit_kind`` and ``other_dtype`` are their pixel kinds
    (:func:`meddx.data.bit_depth.pixel_kind`: ``uint8``, ``uint16 (values up to 255)``, ``float32``).
    """

    def __init__(self, eight_bit: int, eight_bit_kind: str, other: int, other_dtype: str) -> None:
        self.eight_bit, self.other, self.other_dtype = eight_bit, other, other_dtype
        self.eight_bit_kind = eight_bit_kind
        super().__init__(
            f"the training images mix 8-bit and other pixel values (image {eight_bit}: {eight_bit_kind}, image "
            f"{other}: {other_dtype}); 'auto' scaling has no one mode for both: set scaling='percentile' "
            "(each image by its own 0.5-99.5 percentiles) or convert the files to one kind")


class NoBitDepth(DataError):
    """``dtype`` scaling met integer and floating-point training images (8-bit PNGs and a CT in HU).

    ``dtype`` divides each integer image by its bit depth; a float image (a rescaled DICOM, a
    NIfTI) records none, and neither candidate divisor is defensible: the integer images' (255
    puts HU at -3.4..3.2 beside 0..1) or 1 (HU as is). ``integer`` and ``floating`` are the
    positions of one example of each, ``integer_kind`` and ``float_kind`` their pixel kinds.
    """

    def __init__(self, integer: int, integer_kind: str, floating: int, float_kind: str) -> None:
        self.integer, self.integer_kind, self.floating, self.float_kind = integer, integer_kind, floating, float_kind
        super().__init__(
            f"the training images mix integer and floating-point pixel values (image {integer}: {integer_kind}, "
            f"image {floating}: {float_kind}); 'dtype' scaling divides an integer image by its bit depth and a "
            "floating-point one records none: set scaling='percentile' (each image by its own 0.5-99.5 "
            "percentiles) or convert the files to one kind")


def _integer(x: np.ndarray) -> bool:
    return bool(np.issubdtype(x.dtype, np.integer))


def channels_convertible(c: int, channels: int) -> bool:
    """Whether an image with ``c`` channels converts to ``channels`` (see ``_match_channels``)."""
    return c == channels or channels == 1 or c == 1 or (c, channels) == (4, 3)


def _match_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Grey -> RGB by repetition, RGB -> grey by channel mean (luminance is not meaningful
    for medical greyscale stored as RGB, where the three channels are equal)."""
    c = x.shape[0]
    if c == channels:
        return x
    if channels == 1:
        return x.mean(axis=0, keepdims=True)
    if c == 1:
        return np.repeat(x, channels, axis=0)
    if not channels_convertible(c, channels):
        raise DataError(f"cannot convert an image with {c} channels to {channels} channels")
    return x[:3]  # RGBA -> RGB


def build_augmentation(preset: str, spatial_size: Sequence[int], seed: int | None = None,
                       voxel_mm: Sequence[float] | None = None) -> Callable[[Any], Any] | None:
    """MONAI random transforms for one channel-first tensor, run on plain tensors (``PlainTensors``:
    no metadata tracking, which costs more than the arithmetic on small images); ``None`` for ``none``.

    ``light``: flips and a mild affine. ``strong``: a wider affine plus noise, contrast and
    blur. ``shift``: flips and whole-pixel translations of up to 10% of each side (edge pixels
    repeated), with no resampling: at 28 px, bilinear resampling blurs what little detail there
    is (a hand-written PneumoniaMNIST loop lost about .006 test AUC with ``light`` instead of
    shifts; ``benchmarks/RESULTS.md``). Left-right flips are included because the benchmark
    sources are symmetric enough. Every preset but ``none`` flips, and no option turns the flip
    alone off: where laterality is the label, train with ``augment: none`` and ``tta: false``
    (evaluation averages over left-right flips too). MONAI's random transforms carry their own
    random state, seeded here from ``seed`` so that runs with the same seed augment identically.
    ``voxel_mm``: the size of one model-input voxel of a volume (:func:`rotation_range`): rotations
    in voxel space that mix axes of unequal voxel size shear the anatomy, so those are left out.
    """
    if preset not in AUGMENT_PRESETS:
        raise ConfigError(f"unknown augmentation preset {preset!r}; expected one of {', '.join(AUGMENT_PRESETS)}")
    if preset == "none":
        return None
    from monai.transforms import (
        Compose,
        RandAdjustContrast,
        RandAffine,
        RandFlip,
        RandGaussianNoise,
        RandGaussianSmooth,
    )

    spatial_dims = len(spatial_size)
    flip_axis = spatial_dims - 1  # the last axis: left-right in (H, W) and (D, H, W)
    if preset == "shift":
        return _seeded(Compose(_shift_steps(spatial_size, flip_axis)), seed)
    angle = np.deg2rad(10 if preset == "light" else 15)
    rotate = angle if spatial_dims == 2 else rotation_range(angle, voxel_mm)
    scale = 0.1 if preset == "light" else 0.15
    steps: list[Any] = [
        RandFlip(prob=0.5, spatial_axis=flip_axis),
        RandAffine(
            prob=0.7,
            rotate_range=rotate,
            scale_range=[scale] * spatial_dims,
            translate_range=[(0.06 if preset == "light" else 0.1) * s for s in spatial_size],
            padding_mode="border",
        ),
    ]
    if preset == "strong":
        steps += [
            RandGaussianNoise(prob=0.3, std=0.05),
            RandAdjustContrast(prob=0.3, gamma=(0.8, 1.25)),
            RandGaussianSmooth(prob=0.2),
        ]
    return _seeded(Compose(steps), seed)


ISOTROPY = 1.25
"""Largest ratio of two axes' voxel sizes within which a rotation in their plane is kept (10 degrees then
shears a right angle by under 2 degrees); a CT of 2.5 mm slices and 0.8 mm pixels rotates in-plane only."""


def rotation_range(angle: float, voxel_mm: Sequence[float] | None) -> tuple[float, float, float]:
    """MONAI's 3D ``rotate_range`` (about axis 0, 1, 2 of ``(D, H, W)``): ``angle`` about each axis whose
    plane has voxels of near-equal size (:data:`ISOTROPY`), else 0. A rotation in voxel space is a
    rotation of the anatomy only where both axes have the same voxel size; about a slice axis of 2.5 mm
    against 0.8 mm pixels it is a shear of about 30 degrees (nnU-Net rotates such data in-plane too).
    No ``voxel_mm`` (spacing unknown): all three, as voxels are then taken as cubes."""
    if voxel_mm is None or len(voxel_mm) != 3 or not all(float(v) > 0 for v in voxel_mm):
        return (angle, angle, angle)
    mm = [float(v) for v in voxel_mm]
    planes = ((1, 2), (0, 2), (0, 1))  # the two axes each rotation mixes
    return tuple(angle if max(mm[i], mm[j]) <= ISOTROPY * min(mm[i], mm[j]) else 0.0  # type: ignore[return-value]
                 for i, j in planes)


def model_voxel_mm(spacing: Sequence[float] | None, native_size: Sequence[int],
                   spatial_size: Sequence[int]) -> list[float] | None:
    """The size (mm) of one model-input voxel of a volume of ``spacing`` and ``native_size`` resized
    to ``spatial_size`` (``transforms.image`` resizes without resampling, so each axis is stretched
    by its own factor); ``None`` without a spacing or for 2D."""
    if spacing is None or len(spacing) != 3 or len(native_size) != 3 or len(spatial_size) != 3:
        return None
    return [float(s) * int(n) / int(m) for s, n, m in zip(spacing, native_size, spatial_size)]


def _shift_steps(spatial_size: Sequence[int], flip_axis: int) -> list[Any]:
    """Flip, then pad every side by the largest shift and crop back at a random offset: a uniform
    whole-pixel translation per axis (MONAI has no random integer shift without resampling)."""
    from monai.transforms import BorderPad, RandFlip, RandSpatialCrop

    border = [max(1, round(SHIFT_FRACTION * s)) for s in spatial_size]
    return [RandFlip(prob=0.5, spatial_axis=flip_axis), BorderPad(spatial_border=border, mode="replicate"),
            RandSpatialCrop(roi_size=list(spatial_size), random_size=False)]


def _seeded(compose: Any, seed: int | None) -> Any:
    """``compose`` seeded when ``seed`` is given, run on plain tensors (``PlainTensors``)."""
    from meddx.transforms.plain import PlainTensors

    wrapped = PlainTensors(compose)
    return wrapped if seed is None else wrapped.set_random_state(seed=seed)
