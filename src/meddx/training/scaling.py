"""Intensity scaling for image training when the training images are of mixed pixel types.

``ImagePreprocessor`` refuses to resolve ``auto`` scaling over 8-bit and other training images
(:class:`~meddx.transforms.image.MixedIntensities`): one divisor cannot serve both, and deciding
by the first file made the model depend on file order. Training can decode the split again, so
it falls back to per-image percentiles and says why in ``plan.json``. An explicit ``dtype`` over
integer and floating-point images (:class:`~meddx.transforms.image.NoBitDepth`) is the user's
choice, which training does not overrule: it stops with a one-line error naming two files.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import ImageSource
from meddx.training.plan import Plan
from meddx.transforms.image import ImagePreprocessor, MixedIntensities, NoBitDepth


def scaled_fit(source: ImageSource, plan: Plan, scaling: str,
               fit_split: Callable[[ImagePreprocessor], np.ndarray]) -> tuple[ImagePreprocessor, np.ndarray]:
    """A new ``ImagePreprocessor`` and the training array ``fit_split(pre)`` fitted it on.

    When ``auto`` scaling meets 8-bit and other training images (8-bit PNGs and a CT in HU),
    the split is fitted again with ``percentile`` and the reason goes into ``plan.json``.
    Per-image percentiles are the one mode that brings every image to 0..1 with its
    contrast kept, so the model sees the PNGs and the CT on one scale, and prediction does the
    same for each new file; dividing by 255 put the CT at -3.4..3.2, and refusing would stop a
    clinician's folder that legitimately mixes exports. What is lost (absolute brightness of
    the 8-bit images) is said in the reason, with two example files. When an explicit ``dtype``
    meets integer and floating-point images, a ``DataError`` names one of each and the way out.
    """
    try:
        pre = ImagePreprocessor(plan.image_size, plan.channels, scaling)
        return pre, fit_split(pre)
    except MixedIntensities as mixed:
        names = _names(source)
        plan.reasons["scaling"] = (
            f"percentile (auto): the training images mix 8-bit and other pixel values (e.g. {names[mixed.eight_bit]}: "
            f"{mixed.eight_bit_kind}, {names[mixed.other]}: {mixed.other_dtype}); each image is scaled by its own "
            "0.5-99.5 percentiles, so 8-bit images lose their absolute brightness; set scaling in the config to choose "
            "another mode, or convert the files to one kind")
        pre = ImagePreprocessor(plan.image_size, plan.channels, "percentile")
        return pre, fit_split(pre)
    except NoBitDepth as mixed:
        names = _names(source)
        raise DataError(
            f"scaling 'dtype' divides each integer image by its bit depth, and a floating-point image (CT in HU, a "
            f"NIfTI) records none, so the training images have no common scale (e.g. {names[mixed.integer]}: "
            f"{mixed.integer_kind}, {names[mixed.floating]}: {mixed.float_kind}); set 'scaling: percentile' in the "
            "config (each image by its own 0.5-99.5 percentiles) or convert the files to one kind") from None


def _names(source: ImageSource) -> list[str]:
    """The training images' paths (ids for in-memory arrays), in the order they were fitted."""
    train = source.split("train")
    return list(train.paths if train.paths is not None else train.ids)
