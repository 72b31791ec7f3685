"""What happened to an input on its way into a bundle that the user should hear about.

A colour picture given to a grey bundle is averaged to grey, and a grey one given to a colour
bundle is copied into R, G and B: both are read (``Predictor.readable_image``) rather than
refused, since medical greyscale is often stored as RGB. Where the conversion loses colour (a
picture whose channels differ) or invents it (grey to a colour model), predict says so once per
file, in its output and on stderr, as the server does in its answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def channels_note(image: np.ndarray, channels: int, where: str) -> dict[str, Any]:
    """For a channel-first ``image`` whose channel count differs from the bundle's ``channels``:
    ``{"channels": {"file": c, "bundle": channels, "read_as": how}}`` and, when colour is lost or
    made up, a one-line ``channels_warning`` naming ``where`` (none when the conversion loses
    nothing: grey stored as RGB(A), an opaque alpha dropped); ``{}`` when nothing is converted."""
    c = int(image.shape[0])
    if c == channels:
        return {}
    if channels == 1:
        how = "the mean of its channels (grey)"
    elif c == 1:
        how = f"its grey copied into {channels} channels"
    else:
        how = f"its first {channels} channels"
    out: dict[str, Any] = {"channels": {"file": c, "bundle": channels, "read_as": how}}
    if channels == 1 and c >= 3 and not _grey(image[:3]):
        out["channels_warning"] = (f"{where}: a colour picture ({c} channels) given to a greyscale bundle: read as "
                                   f"{how}, so its colour is lost; the model was trained on grey images")
    elif c == 1 and channels > 1:
        out["channels_warning"] = (f"{where}: a greyscale picture given to a colour ({channels}-channel) bundle: "
                                   f"read as {how}; the model was trained on colour images and has no colour to "
                                   "read here")
    return out


GREY_SPREAD = 0.01  # mean (max - min over R, G, B) per pixel, as a share of the value range


def _grey(rgb: np.ndarray) -> bool:
    """Whether the three channels hold (about) the same values: greyscale saved as colour, also
    through a lossy JPEG, whose chroma artefacts move a channel by a level or two; a colour
    photograph differs by far more than ``GREY_SPREAD`` of its range."""
    x = rgb.astype(np.float64)
    span = float(np.iinfo(rgb.dtype).max) if np.issubdtype(rgb.dtype, np.integer) else float(x.max() - x.min())
    spread = float((x.max(axis=0) - x.min(axis=0)).mean())
    return spread <= GREY_SPREAD * max(span, 1e-12)
