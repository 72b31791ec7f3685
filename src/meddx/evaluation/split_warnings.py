"""Warnings about what a split's predictions let its metrics say (``evaluate.assess`` adds them to ``metrics.json``).

- ``one_class_warning``: a split of one class has no AUC; what it measures instead.
- ``saturation_warning``: network outputs of exactly 0 or 1 tie their cases for AUC and AUPRC.
- ``collapsed_warning``: every case the same probability (a collapsed model): AUC ranks float rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def one_class_warning(preds: Any, task: str, names: list[str]) -> list[str]:
    """A split of one class (an external set of confirmed cases) has no AUC: say what it does measure."""
    labels = np.asarray(preds.labels)
    if task == "multilabel" or labels.ndim != 1 or len(np.unique(labels)) != 1:
        return []
    only = names[int(labels[0])]
    measure = "specificity" if task == "binary" and int(labels[0]) == 0 else f"the sensitivity for {only!r}"
    return [f"{preds.split} holds one class only ({only!r}, {len(labels)} samples): AUC and AUPRC are undefined; "
            f"this set measures {measure} (equal to accuracy here)"]


def saturation_warning(preds: Any, task: str) -> list[str]:
    """Probabilities of exactly 0 or 1 (logit margins beyond float64's ~37) tie their cases, so
    AUC and AUPRC cannot rank them: a network with extreme outputs (diverged training) can read
    AUC 0.5 although its logits rank the cases. Say so when it happens to a tenth of the cases.
    Checked on the network's own probabilities (``raw_probs``): a small temperature's 0s and 1s are
    ranked apart by the log-probabilities (``SplitPredictions.scores``)."""
    probs = np.asarray(preds.probs if preds.raw_probs is None else preds.raw_probs, dtype=np.float64)
    if task == "multilabel":
        saturated = np.any((probs == 0.0) | (probs == 1.0), axis=1)
    else:
        saturated = np.any(probs == 1.0, axis=1)
    count = int(saturated.sum())
    if len(probs) == 0 or count < max(2, 0.1 * len(probs)):
        return []
    return [f"{preds.split}: {count} of {len(probs)} cases have a probability of exactly 0 or 1 (the network's logit "
            "margins exceed what float64 can tell apart, ~37): AUC and AUPRC treat them as ties, so they understate "
            "any ranking the logits hold; such outputs usually mean training diverged (check val_loss in the run's "
            "logs) or the inputs are far outside the training data"]


def collapsed_warning(preds: Any, task: str, names: list[str]) -> list[str]:
    """A model that gives every case the same risk has no ranking, but a float32 network gives identical
    inputs probabilities a rounding step apart, and AUC ranks those: a table bundle on rows whose
    features were all equal read AUC 0.507 (0.422-0.586), not 0.5. Say so for every column (binary:
    P(positive)) whose log-odds all lie within ``SAME_LOGIT`` (the network's own, as ``saturation_warning``)."""
    from meddx.evaluation.calibration_slope import CLIP, SAME_LOGIT

    probs = np.asarray(preds.probs if preds.raw_probs is None else preds.raw_probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < 2:
        return []
    columns = [1] if task == "binary" else list(range(probs.shape[1]))
    p = np.clip(probs[:, columns], CLIP, 1 - CLIP)
    x = np.log(p) - np.log1p(-p)
    flat = [c for j, c in enumerate(columns) if x[:, j].max() - x[:, j].min() <= SAME_LOGIT]
    if not flat:
        return []
    shown = np.asarray(preds.probs, dtype=np.float64)  # the calibrated value predictions.csv holds
    what = ", ".join(f"{names[c]!r} {float(shown[0, c]):.4f}" for c in flat)
    return [f"{preds.split}: every case has the same probability of {what} (log-odds within {SAME_LOGIT:g}): the "
            "model gives every case the same risk, so its AUC and AUPRC rank float rounding, not the cases (a "
            "constant score has AUC 0.5), and the calibration slope is undefined; check the inputs (a feature "
            "read as constant or missing in every case) or the model"]
