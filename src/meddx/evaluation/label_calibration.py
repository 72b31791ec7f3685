"""Per-label calibration of a multi-label model: each label scored as its own binary problem.

Why: ``metrics.json``'s pooled multi-label calibration bins every (sample, label) pair together, so a
label that is badly calibrated hides behind one that is fine (the pool's ECE is a prevalence-weighted
blend, and a frequent label's pairs dominate it). Bundles fit one temperature per label
(:mod:`meddx.evaluation.label_temperature`); this shows, label by label, what that did.

Each label's column goes through :func:`meddx.evaluation.calibration.calibration_summary` as a binary
task (P(label) against its 0/1 outcome), so its ECE, Brier, slope and in-the-large are exactly those
of a binary model with that column's probabilities. Only the numbers are kept (no reliability bins:
``metrics.json`` stays small with many labels); ``mean_predicted`` against ``observed_rate`` is the
plain reading of in-the-large.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

# the numbers of calibration_summary kept per label (and per before/after)
KEPT = ("ece", "ece_adaptive", "mce", "brier", "slope", "intercept", "in_the_large", "slope_note")
MAX_LINES = 20  # `meddx evaluate` prints at most this many labels; metrics.json holds all of them


def label_summary(y: Any, p: Any, n_bins: int = 15) -> dict[str, Any]:
    """Calibration of one label's 0/1 outcomes ``y`` (N,) and probabilities ``p`` (N,): the numbers of
    ``calibration_summary(y, p, "binary")`` (``KEPT``) and ``mean_predicted``."""
    from meddx.evaluation.calibration import calibration_summary

    full = calibration_summary(y, p, "binary", n_bins=n_bins)
    return {**{k: full[k] for k in KEPT if k in full}, "mean_predicted": float(np.mean(p))}


def per_label_calibration(y_true: Any, probs: Any, raw_probs: Any, label_names: Sequence[str],
                          n_bins: int = 15) -> dict[str, dict[str, Any]]:
    """``{label: {"n", "n_positive", "observed_rate", "before", "after"}}`` for multi-label ``y_true``
    (N, L): ``before`` on the network's own probabilities ``raw_probs`` (``None``: they are ``probs``),
    ``after`` on the temperature-scaled ``probs`` (``None`` when no temperature was applied)."""
    from meddx.evaluation.metrics import _label_names, _validate

    y, p = _validate(y_true, probs, "multilabel")
    raw = None if raw_probs is None else _validate(y_true, raw_probs, "multilabel")[1]
    names = _label_names(list(label_names), p.shape[1])
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        before = p[:, j] if raw is None else raw[:, j]
        out[name] = {"n": int(y.shape[0]), "n_positive": int(y[:, j].sum()), "observed_rate": float(y[:, j].mean()),
                     "before": label_summary(y[:, j], before, n_bins),
                     "after": None if raw is None else label_summary(y[:, j], p[:, j], n_bins)}
    return out


def per_label_lines(per_label: dict[str, dict[str, Any]] | None) -> list[str]:
    """What ``meddx evaluate`` prints: one line per label (at most ``MAX_LINES``), ECE and in-the-large
    before -> after, and the mean predicted risk after against the observed rate."""
    from meddx.evaluation.report_format import text_number as _f

    def pair(entry: dict[str, Any], key: str, signed: bool = False) -> str:
        def one(block: dict[str, Any] | None) -> str:
            v = (block or {}).get(key)
            return "n/a" if v is None else f"{v:+.2f}" if signed else _f(v)
        return one(entry["before"]) + (f" -> {one(entry['after'])}" if entry.get("after") else "")

    lines = []
    for name, e in list((per_label or {}).items())[:MAX_LINES]:
        last = e.get("after") or e["before"]
        lines.append(f"  {name}: ECE {pair(e, 'ece')}  in the large {pair(e, 'in_the_large', True)}  "
                     f"mean P {_f(last['mean_predicted'])} vs rate {_f(e['observed_rate'])} "
                     f"({e['n_positive']} of {e['n']} positive)")
    if len(per_label or {}) > MAX_LINES:
        lines.append(f"  ... {len(per_label or {}) - MAX_LINES} more labels in metrics.json (calibration.per_label)")
    return (["calibration per label (before -> after temperature):"] if lines else []) + lines
