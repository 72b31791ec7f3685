"""A positive-weighted multi-label bundle's label with a single class on validation keeps T = 1 but still has
its loss's shift removed: it is "not fitted", never "not recalibrated"."""

from __future__ import annotations

import numpy as np

from meddx.evaluation.label_temperature import fit_label_temperatures, not_fitted_text, per_label_words


def _fit():
    rng = np.random.default_rng(0)
    y = np.stack([(rng.uniform(size=40) < 0.5).astype(int), np.zeros(40, dtype=int)], axis=1)  # "rare": no positive
    probs = np.clip(0.3 * y + rng.uniform(0.1, 0.6, size=y.shape), 0.01, 0.99)
    return fit_label_temperatures(y, probs, pos_weights=[1.0, 4.0])


def test_method_words_say_not_fitted_and_that_the_shift_is_still_removed() -> None:
    fit = _fit()
    assert fit.single_class == [1] and fit.bias[1] != 0.0
    words = per_label_words(fit, ["common", "rare"])
    assert "T = 1 (not fitted), the loss's shift still removed for rare" in words
    assert "not recalibrated" not in words


def test_card_and_report_text_say_not_fitted_and_name_the_labels_whose_shift_is_removed() -> None:
    calibration = {"temperature": [1.2, 1.0, 1.0], "bias": [0.0, -1.386, 0.0], "not_fitted": ["rare", "ignored"]}
    text = not_fitted_text(calibration, ["common", "rare", "ignored"])
    assert text.startswith(" T = 1 (not fitted): rare, ignored") and "not recalibrated" not in text.lower()
    assert "its loss's shift is still removed for rare." in text
    assert "still removed" in not_fitted_text(calibration)  # without names: said generally
    unweighted = {"temperature": [1.2, 1.0], "not_fitted": ["rare"]}
    assert "shift" not in not_fitted_text(unweighted, ["common", "rare"])
