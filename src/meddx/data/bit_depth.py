"""What a decoded image's integers can reach: its bit depth, and whether it holds 8-bit values.

One definition for the two places that ask: ``auto`` intensity scaling
(:class:`~meddx.transforms.image.ImagePreprocessor`, which divides 8-bit images by 255 and refuses a
mix of 8-bit and other images) and ``meddx data info`` (which warns of that mix before training).
They used to ask differently (the dtype ``uint8`` in one, the dtype's name in the other); a reader
can record a narrower depth than the dtype (``value_max``: a DICOM ``BitDepthArray``, a 16-bit PNG
whose sBIT says 8, a 16-bit TIFF whose MaxSampleValue says 255), and such an image is scaled exactly
as a uint8 one, so both count it as 8-bit.
"""

from __future__ import annotations

import numpy as np

EIGHT_BIT_MAX = 255.0


def integer_max(x: np.ndarray) -> float:
    """The largest value an integer image can hold: its stored bit depth when the reader recorded
    one (``value_max`` of a DICOM ``BitDepthArray``: 4095 for 12 bits in uint16), else its dtype's."""
    value_max = getattr(x, "value_max", None)
    return float(value_max) if value_max else float(np.iinfo(x.dtype).max)


def eight_bit(x: np.ndarray) -> bool:
    """Whether ``x`` holds 8-bit values: an unsigned integer image whose largest value
    (:func:`integer_max`) is at most 255, so ``dtype`` scaling divides it by its depth as it does a
    uint8 one (uint8; a uint16 recording 8 bits). Signed images (int8) are not, as they never were."""
    return x.dtype.kind == "u" and integer_max(x) <= EIGHT_BIT_MAX


def pixel_kind(x: np.ndarray) -> str:
    """``x``'s dtype for a message, with its recorded depth when narrower (``uint16 (values up to 255)``)."""
    value_max = getattr(x, "value_max", None)
    narrower = value_max and np.issubdtype(x.dtype, np.integer) and value_max < np.iinfo(x.dtype).max
    return f"{x.dtype} (values up to {value_max:g})" if narrower else str(x.dtype)
