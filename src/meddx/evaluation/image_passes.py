"""The forward passes ``meddx evaluate`` predicts a split of images in: never a pass of one image
when the split has more than one.

Byte-identical images got probabilities a float32 step apart (5e-8) when one of them was predicted
alone: a CPU convolution or linear layer on a batch of one runs another kernel (oneDNN's/BLAS's
matrix-vector path) than on a batch of two or more, which sums in another order (and wide linear
layers differ again for passes of 2-3 rows: ``bundle.pass_rows`` pads every pass the predictor runs
to a multiple of 4, which is what makes evaluate, predict and serve agree to the bit). The lone pass was the split's last one whenever its size left a
remainder of one (129 images of 28 px: 128 + 1), or every 512-image chunk's last one when the pass
size left one of 512 (7 or 73 images a pass). The twins' ranks then broke a tie, and a positive and a
negative copy of one image (duplicates with conflicting labels, which ``data verify`` reports) counted 0
or 1 in the AUC instead of the ½ of a tie; on a small split that moves the printed AUC.

So the passes are planned over the whole split: full passes of the predictor's size, and a last image
that would be alone joins the pass before it (one image over the memory budget, never a pass of one).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pass_bounds(n: int, per_pass: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each pass over ``n`` samples: ``per_pass`` at a time, the last pass taking
    a remaining single sample along (``n`` = 129, ``per_pass`` = 128: one pass of 129). With
    ``per_pass`` 1 every pass is of one sample, all computed alike."""
    per_pass = max(1, int(per_pass))
    bounds = [(start, min(start + per_pass, n)) for start in range(0, n, per_pass)]
    if per_pass > 1 and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def predict_images(predictor: Any, source: Any, split: str, n: int, batch_size: int | None = None) -> np.ndarray:
    """Raw (uncalibrated) probabilities ``(n, K)`` of a split's images, read and predicted one pass at a
    time (``batch_size`` ``None``: the predictor's own for their size, ``batch_size_for``)."""
    if n == 0:
        return np.zeros((0, len(predictor.label_names)), dtype=np.float64)
    first = source.get_image(split, 0)
    if batch_size is None:
        from meddx.bundle.predictor import batch_size_for

        batch_size = batch_size_for(tuple(predictor.preprocess([first]).shape))
    chunks = []
    for start, stop in pass_bounds(n, batch_size):
        images = [first if i == 0 else source.get_image(split, i) for i in range(start, stop)]
        chunks.append(predictor.predict_arrays(images, batch_size=len(images), calibrated=False))
    return np.concatenate(chunks)
