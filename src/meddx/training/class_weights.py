"""The loss weights a plan gives each class (single-label) or label (multi-label), and why.

Split from ``plan.py`` (every plan schema, image, text, table, series, calls it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from meddx.training.config import TrainConfig


def _class_weights(config: TrainConfig, source: Any) -> tuple[list[float] | None, str]:
    """The plan's ``class_weights`` for ``source``'s training labels (``None``: off) and its reason:
    single-label, inverse class frequency; multi-label, each label's ``pos_weight`` (BCE). On when the
    imbalance passes 1.5, unless ``config.class_weights`` decides; off under ``--dp`` unless chosen."""
    labels = source.split("train").labels
    if source.task == "multilabel":
        pos = labels.sum(axis=0).astype(float)
        # a label always (or never) positive has nothing to balance: 1, not 0 (its positives ignored, and the
        # calibration's shift undefined) nor the split's size (a weight no term carries, and a shift it never made)
        varies = (pos > 0) & (pos < len(labels))
        # at least 1: a label positive in most cases keeps its loss whole. neg/pos below 1 (0.11 at 90%)
        # shrank it ~5x; calibration removes the shift but not the lost signal (15 seeds, 5/90/50% labels:
        # its test AUC .929 vs .967 at 1, calibrated log-loss .202 vs .161; docs/training-notes.md,
        # "Class weights")
        ratio = np.where(varies, np.maximum(1.0, (len(labels) - pos) / np.maximum(pos, 1.0)), 1.0)
        weights, imbalance = ratio, float(ratio.max())
    else:
        counts = np.bincount(labels, minlength=source.num_classes).astype(float)
        weights = len(labels) / (source.num_classes * np.maximum(counts, 1.0))
        imbalance = float(counts.max() / max(counts.min(), 1.0))
    if config.dp and config.class_weights is None:  # the weights would publish the training class counts
        return None, ("off under --dp: weights from the training class counts would be released without privacy "
                      "(--class-weights sets them anyway, outside the guarantee)")
    use = config.class_weights if config.class_weights is not None else imbalance > 1.5
    multilabel = source.task == "multilabel"
    if not use:
        balanced = (f"every label at most {imbalance:.2f} negatives per positive; a label positive in most cases is "
                    "not weighted" if multilabel else f"classes balanced, ratio {imbalance:.2f}")
        return None, "off" + (" (set in config)" if config.class_weights is False else f" ({balanced})")
    why = "set in config" if config.class_weights else f"imbalance ratio {imbalance:.2f} > 1.5"
    what = ("negatives per positive of each label, at least 1 (pos_weight: the positives of labels positive in "
            "fewer than half the cases weighed up)" if multilabel else "inverse class frequency")
    return [round(float(w), 6) for w in weights], f"{what} ({why})"
