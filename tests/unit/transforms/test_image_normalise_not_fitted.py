"""The estimator contract (STYLE.md): every use of an ImagePreprocessor before ``fit`` is a
clear ``NotFittedError``, including ``normalise`` (which ``training/data.py`` calls directly)."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import NotFittedError
from meddx.transforms.image import ImagePreprocessor


def test_normalise_before_fit_is_not_fitted_error() -> None:
    pre = ImagePreprocessor([8, 8], 1)
    with pytest.raises(NotFittedError, match="call fit"):
        pre.normalise(np.zeros((1, 8, 8), np.float32))


def test_normalise_after_fit_uses_the_fitted_statistics() -> None:
    images = [np.full((1, 8, 8), v, np.float32) for v in (0.0, 1.0)]
    pre = ImagePreprocessor([8, 8], 1, scaling="none").fit(images)
    out = pre.normalise(np.ones((1, 8, 8), np.float32))
    np.testing.assert_allclose(out, 1.0, atol=1e-5)  # mean .5, std .5: (1 - .5) / .5
