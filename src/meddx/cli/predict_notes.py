"""The line ``meddx predict`` prints under its table when a label is not the most probable class.

A first-time user read ``label 2`` beside P(2) = .124, the lowest of five probabilities, as a bug: a
class-weighted multi-class bundle decides by the largest p_k·w_k, and a binary bundle at the
threshold chosen on validation, while the table shows the calibrated probabilities alone. The rule
is documented (docs/evaluation.md, "What is chosen where" and "Calibration"); this line says so where
the surprise happens. ``--json`` rows carry the rule instead (:func:`decision_fields`): their
``threshold``, and a class-weighted bundle's ``class_weights``, for which ``threshold`` is null.
"""

from __future__ import annotations

from typing import Any, Sequence


def decision_note(predictions: Sequence[Any], decision: dict[str, Any] | None,
                  label_names: Sequence[str]) -> str | None:
    """One line when some single-label prediction is not the argmax of its probabilities, naming the
    bundle's rule (threshold, or class weights); ``None`` otherwise (multi-label labels are per label)."""
    single = [p for p in predictions if isinstance(p.label, str) and p.probabilities]
    off = sum(p.label != max(p.probabilities, key=p.probabilities.get) for p in single)
    if not off:
        return None
    decision = decision or {}
    weights = decision.get("class_weights")
    threshold = decision.get("threshold")
    if weights and len(weights) == len(label_names):
        shown = ", ".join(f"{n} {float(w):.2f}" for n, w in zip(label_names, weights))
        rule = (f"this class-weighted bundle decides by the largest P(k) x w_k (w: {shown}), not the largest P(k) "
                "(docs/evaluation.md, Calibration)")
    elif threshold is not None and len(label_names) == 2:
        rule = (f"labels are decided at the operating point chosen on {decision.get('chosen_on') or 'validation'} "
                f"({decision.get('rule', 'threshold')}: {label_names[1]} when P({label_names[1]}) >= "
                f"{float(threshold):.3f}), not at P = .5 (docs/evaluation.md, What is chosen where)")
    else:
        rule = "labels are decided by the bundle's stored decision rule (config.json `decision`)"
    labels = "label" if len(single) == 1 else "labels"
    return f"note: {off} of {len(single)} {labels} {'is' if off == 1 else 'are'} not the most probable class: {rule}"


def decision_fields(decision: dict[str, Any] | None, label_names: Sequence[str]) -> dict[str, Any]:
    """The rule a ``--json`` row carries beside its ``threshold``, where the table prints
    :func:`decision_note`: ``{"class_weights": {label: w_k}}`` for a class-weighted bundle (its label is
    the largest P(k) x w_k; ``threshold`` is null), else ``{}``. A class-weighted text bundle's rows
    held ``"threshold": null`` and nothing else to tell why a label was not the most probable class."""
    weights = (decision or {}).get("class_weights")
    if weights and len(weights) == len(label_names):
        return {"class_weights": {name: float(w) for name, w in zip(label_names, weights)}}
    return {}
