"""A temperature fitted on a bound of its search (0.05 or 20) is no minimum: ``assess`` warns, naming T,
the validation size and what it means.

The data are a folder bundle's 13 validation cases (val AUC 1.0): its ranking is perfect, but 6 of its 7
negatives have log-odds above 5.3, so no temperature alone can put the boundary there and the fit ran to
T = 19.99999, every probability then within .427-.573 of a threshold of .5726."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy.special import expit

from meddx.evaluation.calibration import apply_temperature, temperature_fit
from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess

LOG_ODDS = np.array([-89.565, 5.662, 5.539, 5.489, 5.321, 5.834, 5.774, 6.131, 6.127, 5.976, 5.915, 5.968, 5.874])
Y = np.array([0] * 7 + [1] * 6)


def _predictor(temperature, task="binary", names=("normal", "pneumonia"), threshold=0.5):
    return SimpleNamespace(task=task, label_names=list(names), temperature=temperature, decision_thresholds=threshold,
                           config={"calibration": {"temperature": temperature, "fitted_on": "val"}, "decision": {}})


def _raw() -> np.ndarray:
    p1 = expit(LOG_ODDS)
    return np.stack([1 - p1, p1], axis=1)


def test_the_folder_split_fits_t_on_the_upper_bound_and_assess_says_so() -> None:
    t, smoothed = temperature_fit(Y, _raw(), "binary")
    assert t > 19.98 and not smoothed
    probs = apply_temperature(_raw(), t, "binary")
    preds = SplitPredictions("val", [str(i) for i in range(13)], Y, probs, raw_probs=_raw())
    warnings = assess(_predictor(t, threshold=0.5726), preds, EvalSettings(n_resamples=0))["warnings"]
    found = [w for w in warnings if "upper bound" in w]
    assert len(found) == 1, warnings
    assert "T = 19.9999" in found[0] and "13 validation cases" in found[0] and "squeezed towards 0.5" in found[0]
    assert "span 0.011-0.576" in found[0] and "fragile" in found[0]


def test_a_test_split_names_the_validation_size_given_and_a_fitted_t_gives_no_warning() -> None:
    preds = SplitPredictions("test", ["a", "b", "c"], np.array([0, 1, 1]), _raw()[:3])
    warned = assess(_predictor(19.99999), preds, EvalSettings(n_resamples=0), n_val=13)["warnings"]
    assert any("fitted on 13 validation cases" in w for w in warned), warned
    assert not any("bound" in w for w in assess(_predictor(1.7), preds, EvalSettings(n_resamples=0))["warnings"])


def test_per_label_temperatures_on_a_bound_are_named_by_label() -> None:
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.05, 0.95, size=(20, 3))
    labels = (rng.uniform(size=(20, 3)) < 0.5).astype(int)
    preds = SplitPredictions("test", [str(i) for i in range(20)], labels, probs)
    predictor = _predictor([0.05, 1.3, 20.0], "multilabel", ("a", "b", "c"), [0.5, 0.5, 0.5])
    warnings = [w for w in assess(predictor, preds, EvalSettings(n_resamples=0))["warnings"] if "bound" in w]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("label 'a': its temperature T = 0.05") and "pushed to 0 and 1" in warnings[0]
    assert warnings[1].startswith("label 'c'") and "the validation split" in warnings[1]
