"""Review of the per-label temperatures (90451ad): the web page's card names the labels left at T = 1 without
giving them a reason they may not have.

``calibration.not_fitted`` lists the labels with a single class on validation and those whose ``pos_weight``
was 0 (``evaluation.label_temperature.not_fitted_field``), and a positive-weighted label left at T = 1 still
has its loss's shift removed (``calibration.bias``). The page said "not recalibrated (T = 1, a single class on
validation)" for all of them; the model card and report say "a single class on validation (or a loss that
ignored their positives)"."""

from __future__ import annotations

import shutil

import pytest

from meddx.serving.summary import model_summary
from tests.unit.serving.test_card_decision_words import _card_text

CONFIG = {"task": "multilabel", "label_names": ["rare", "b"], "model": {"name": "seed-cnn"},
          "decision": {"rule": "youden", "threshold": None, "chosen_on": "val",
                       "class_thresholds": {"rare": 0.5, "b": 0.4}},
          "calibration": {"temperature": [1.0, 1.3123], "bias": [0.0, -0.69], "fitted_on": "val",
                          "not_fitted": ["rare"]}}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the page's script")
def test_page_card_names_the_labels_left_at_t_1_with_both_possible_reasons() -> None:
    text = _card_text(model_summary("m", 1, "production", CONFIG, {}, []))
    assert "temperature per label: rare 1.00, b 1.31 (fitted on val)" in text, text
    assert ("T = 1, not fitted (a single class on validation, or a loss that ignored the label's positives): rare"
            in text), text
    assert "not recalibrated" not in text
    every = {**CONFIG, "calibration": {**CONFIG["calibration"], "not_fitted": []}}
    assert "not fitted" not in _card_text(model_summary("m", 1, "production", every, {}, []))
