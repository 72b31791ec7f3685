"""Privately released image statistics: exact without noise, close with it, array re-normalised."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from meddx.privacy.statistics import private_image_statistics


def _fixed(scaled: np.ndarray) -> np.ndarray:
    return ((scaled - 0.5) / 0.5).astype(np.float32)  # what fit_transform(fixed_statistics=True) gives


def test_without_noise_the_release_is_the_pixel_mean_and_std() -> None:
    rng = np.random.default_rng(0)
    scaled = rng.beta(2, 5, size=(50, 2, 8, 8))
    pre = SimpleNamespace(mean_=[0.5, 0.5], std_=[0.5, 0.5])
    out, released = private_image_statistics(pre, _fixed(scaled), seed=0, noise=1e-12)
    np.testing.assert_allclose(pre.mean_, scaled.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(pre.std_, scaled.std(axis=(0, 2, 3)), rtol=1e-4)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-3)
    assert released["sensitivity"] == pytest.approx(2.0)  # sqrt(2 * 2 channels)


def test_with_the_default_noise_a_few_thousand_images_stay_close() -> None:
    rng = np.random.default_rng(1)
    scaled = rng.beta(5, 3, size=(4000, 1, 6, 6))
    pre = SimpleNamespace(mean_=[0.5], std_=[0.5])
    _, released = private_image_statistics(pre, _fixed(scaled), seed=3)
    assert released["noise"] == 10.0
    assert pre.mean_[0] == pytest.approx(scaled.mean(), abs=0.02)
    assert pre.std_[0] == pytest.approx(scaled.std(), abs=0.03)
    assert pre.mean_[0] != pytest.approx(scaled.mean(), abs=1e-9)  # noise was added
