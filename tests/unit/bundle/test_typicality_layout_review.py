"""Review of the layout statistic's records (``bundle.typicality_inputs``): a check with layout is
read only with the scale it was fitted with and a threshold of at least 1, a check made before it
still without; a damaged mean thumbnail is named as such; a scaled warning names both tails its
threshold comes from."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.bundle.typicality_inputs import STATISTICS, InputCheck, fit_inputs, input_statistics, warning_part


def _images(n: int, seed: int) -> np.ndarray:
    """``n`` images (1, 16, 16): a bright top half and a dark bottom one, with noise, in [0, 1]."""
    rng = np.random.default_rng(seed)
    base = np.where(np.arange(16)[:, None] < 8, 0.7, 0.3) * np.ones((16, 16))
    return (base[None, None] + rng.normal(0, 0.1, (n, 1, 16, 16))).astype(np.float32)


def _check() -> InputCheck:
    stats = input_statistics(torch.from_numpy(_images(200, 0))).numpy()
    return fit_inputs(stats, input_statistics(torch.from_numpy(_images(60, 1))).numpy())[0]


def test_a_layout_check_without_its_scale_is_refused() -> None:
    """Read without its scale, a layout check compared raw fence multiples with its threshold of
    about 1 and flagged images of the training kind."""
    data = _check().to_json()
    assert InputCheck.from_json(data).scale is not None
    with pytest.raises(ValueError, match="scale"):
        InputCheck.from_json({k: v for k, v in data.items() if k != "scale"})


def test_a_check_made_before_layout_is_read_without_a_scale_but_not_with_one() -> None:
    stats = input_statistics(torch.from_numpy(_images(200, 0))).numpy()[:, :3]
    old, _ = fit_inputs(stats, stats[:60])
    data = old.to_json()
    assert "scale" not in data and InputCheck.from_json(data).statistics == STATISTICS
    with pytest.raises(ValueError, match="scale"):
        InputCheck.from_json({**data, "scale": [2.0, 2.0, 2.0]})


def test_a_scaled_threshold_below_1_is_refused_and_1_is_read() -> None:
    data = _check().to_json()
    assert InputCheck.from_json({**data, "threshold": 1.0}).threshold == 1.0
    with pytest.raises(ValueError, match="threshold"):
        InputCheck.from_json({**data, "threshold": 0.5})


def test_a_non_finite_layout_mean_is_called_so() -> None:
    data = _check().to_json()
    mean = list(data["layout_mean"])
    mean[3] = float("inf")
    with pytest.raises(ValueError, match="1 not finite"):
        InputCheck.from_json({**data, "layout_mean": mean})
    with pytest.raises(ValueError, match=r"shape \(10,\)"):
        InputCheck.from_json({**data, "layout_mean": mean[:10]})


def test_a_scaled_warning_names_the_training_tail_and_an_old_one_does_not() -> None:
    """A scaled threshold is max(validation quantile, 1) times the training tail: with few or calm
    validation images the floor sets it, not the validation images alone."""
    row = {"intensity_statistic": "layout", "intensity_score": 9.0, "intensity_threshold": 4.2,
           "intensity_quantile": 0.999}
    assert "quantiles of its training and validation images" in warning_part({**row, "intensity_scale": 4.2})
    old = warning_part(row)
    assert old.endswith(", above 4.2, the 99.9% quantile of its validation images") and "training and" not in old
