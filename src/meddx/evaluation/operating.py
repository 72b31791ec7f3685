"""Operating points: decision thresholds chosen on validation by a clinical rule.

A clinician picks a model at an operating point ("at 95% sensitivity, what specificity?"). The
rule is applied once, to the validation split; the threshold it yields is stored in the bundle
and applied unchanged to every later split, so test numbers stay an honest estimate.

Rules (``predict positive when p >= threshold``):

- ``youden``: maximise sensitivity + specificity - 1;
- ``accuracy``: maximise accuracy;
- ``youden-empirical``, ``accuracy-empirical``: the same, without the bootstrap averaging below;
- ``sensitivity>=X``: the highest-specificity threshold whose sensitivity is at least X;
- ``specificity>=X``: the highest-sensitivity threshold whose specificity is at least X;
- ``ppv>=X``: the highest-sensitivity threshold whose positive predictive value is at least X;
- ``fixed:X``: X itself.

Candidate thresholds lie midway between consecutive distinct validation scores (as pROC's
``coords`` does), never on a validation score: a threshold at the lowest positive score of a
nearly separable validation set sits on the very edge of the gap and tips over on new data.
Ties between equally good candidates go, for the constraint rules, to those best on the constrained rate
(of the cuts with the same sensitivity, ``specificity>=X`` takes the most specific: never a cut another one
beats on both), then to the one closest to 0.5.

``youden`` and ``accuracy`` maximise a metric, and the single best cut on one validation split is
a noisy estimate of the best cut on new data. They therefore return the mean of the best cuts of
``THRESHOLD_RESAMPLES`` stratified bootstrap resamples of the validation split, as cutpointr's
``maximize_boot_metric`` does (Thiele & Hirschfeld, J. Stat. Softw. 98(11), 2021). In our
simulation (tests/unit/evaluation/test_operating.py) this halves the spread of the Youden index
reached on new data and gets closer to the best one. Constraint rules are not averaged: their
threshold must meet its target on the validation split itself.

scikit-learn offers ``roc_curve`` but no rule-based threshold selection, so the selection is
ours; the rates are counted with numpy from the sorted scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError

RULE_HELP = ("youden, accuracy (each averaged over bootstrap resamples; -empirical: not), sensitivity>=X, "
             "specificity>=X, ppv>=X or fixed:X (X in [0, 1])")
_CONSTRAINT = re.compile(r"^(sensitivity|specificity|ppv)\s*>=\s*([0-9]*\.?[0-9]+)$")
_MAXIMISED = ("youden", "accuracy")
EMPIRICAL = "-empirical"
THRESHOLD_RESAMPLES = 100  # stratified bootstrap resamples averaged by youden/accuracy (module docstring)


@dataclass(frozen=True)
class ThresholdRule:
    """A parsed rule: ``kind`` is youden/accuracy/sensitivity/specificity/ppv/fixed; ``resampled``:
    the threshold is averaged over bootstrap resamples of the validation split."""

    kind: str
    value: float | None
    text: str
    resampled: bool = False


def parse_rule(rule: str) -> ThresholdRule:
    """Parse a rule string; an unknown or malformed rule raises a ConfigError listing the valid ones."""
    text = str(rule).strip().replace(" ", "")
    if text in _MAXIMISED:
        return ThresholdRule(text, None, text, resampled=True)
    if text.endswith(EMPIRICAL) and text[: -len(EMPIRICAL)] in _MAXIMISED:
        return ThresholdRule(text[: -len(EMPIRICAL)], None, text)
    value: float | None = None
    kind = ""
    if text.startswith("fixed:"):
        kind, raw = "fixed", text.split(":", 1)[1]
    else:
        match = _CONSTRAINT.match(text)
        kind, raw = (match.group(1), match.group(2)) if match else ("", "")
    try:
        value = float(raw) if kind else None
    except ValueError:
        value = None
    if not kind or value is None or not 0.0 <= value <= 1.0:
        raise ConfigError(f"threshold rule {rule!r}: {_rule_problem(text)}; valid rules: {RULE_HELP}")
    return ThresholdRule(kind, value, f"fixed:{value:g}" if kind == "fixed" else f"{kind}>={value:g}")


def _rule_problem(text: str) -> str:
    """What is wrong with a rule ``parse_rule`` refused, in words: a target outside [0, 1] (95 for 0.95),
    a known rate with another operator (``sensitivity=0.9``), or an unknown name (with the closest one)."""
    import difflib

    name, op, raw = re.match(r"^([A-Za-z_-]*)(>=|<=|=>|==|=|>|<|:)?(.*)$", text).groups()  # type: ignore[union-attr]
    if (name, op) in ((k, ">=") for k in ("sensitivity", "specificity", "ppv")) or (name, op) == ("fixed", ":"):
        try:
            value = float(raw)
        except ValueError:
            return f"the target must be a number in [0, 1], e.g. 0.95; got {raw!r}"
        return f"the target must be in [0, 1] (a proportion: 0.95, not 95); got {value:g}"
    if name in ("sensitivity", "specificity", "ppv"):
        return f"write the target as '{name}>=X' (at least X, X in [0, 1]); got {repr(op) if op else 'no operator'}"
    known = ["sensitivity", "specificity", "ppv", "fixed", *_MAXIMISED]
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.4) or [
        k for k in known if name and k.startswith(name.lower())]
    guess = f"{close[0]}>={raw}" if close and close[0] not in ("fixed", *_MAXIMISED) and raw else (close[0] if close else "")
    return f"unknown rule{f' (did you mean {guess!r}?)' if guess else ''}"


def describe_rule(rule: str, resamples: int | None = None) -> str:
    """Plain words for a stored decision rule (reports and model cards); text that is not a rule
    (``argmax`` aside) is returned as is, never an error.

    ``resamples`` is what the operating point recorded. A ``youden`` record without it comes from a
    bundle made before thresholds were averaged, so no averaging is claimed for it."""
    text = str(rule).strip()
    if text == "argmax":
        return "predicting the most probable class (argmax)"
    try:
        parsed = parse_rule(text)
    except ConfigError:
        return text
    if parsed.kind == "fixed":
        return f"a fixed threshold of {parsed.value:g}"
    if parsed.kind not in _MAXIMISED:
        return f"the threshold reaching {parsed.kind.upper() if parsed.kind == 'ppv' else parsed.kind} ≥ {parsed.value:g}"
    what = "maximising sensitivity + specificity − 1, Youden's J" if parsed.kind == "youden" else "maximising accuracy"
    if not parsed.resampled:
        return what + ", on the validation split once"
    return what + (f", averaged over {resamples} bootstrap resamples of the validation split" if resamples else "")


def _check_binary(y_true: np.ndarray, p_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).reshape(-1)
    p = np.asarray(p_pos, dtype=float).reshape(-1)
    if y.shape != p.shape or not np.isin(y, (0, 1)).all() or not np.isfinite(p).all():
        raise DataError(
            "choosing a threshold needs 0/1 labels and finite scores of the same length; "
            f"got shapes {np.shape(y_true)} and {np.shape(p_pos)}"
        )
    return y.astype(int), p


def candidate_table(y_true: np.ndarray, p_pos: np.ndarray) -> dict[str, np.ndarray]:
    """Every distinct decision on these scores: thresholds (midpoints) with tp/fp/tn/fn counts.

    Row 0 predicts everything negative; the last row predicts everything positive.
    """
    y, p = _check_binary(y_true, p_pos)
    scores = np.unique(p)[::-1]  # distinct, descending
    # Above the top score (halfway to 1 for probabilities), midpoints, and below the lowest score.
    top = (scores[0] + 1.0) / 2 if scores[0] < 1.0 else np.nextafter(scores[0], np.inf)
    bottom = scores[-1] / 2 if scores[-1] > 0.0 else np.nextafter(scores[-1], -np.inf)
    upper = np.concatenate([[top], (scores[:-1] + scores[1:]) / 2, [bottom]])
    # tp[i] = positives with score >= upper[i]: cumulative counts over the descending distinct scores.
    order = np.searchsorted(-scores, -p)  # index of each sample's score in `scores`
    pos_at = np.bincount(order[y == 1], minlength=len(scores))
    neg_at = np.bincount(order[y == 0], minlength=len(scores))
    tp = np.concatenate([[0], np.cumsum(pos_at)])
    fp = np.concatenate([[0], np.cumsum(neg_at)])
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    return {"threshold": upper, "tp": tp, "fp": fp, "fn": n_pos - tp, "tn": n_neg - fp}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def choose_threshold(y_true: np.ndarray, p_pos: np.ndarray, rule: str = "youden") -> float:
    """The threshold on P(positive) that ``rule`` picks on these (validation) labels and scores.

    Degenerate input (one class only): no data-driven threshold exists and 0.5 is returned,
    except for ``fixed:X``. A ``ppv>=X`` no threshold reaches raises a DataError that says the
    highest PPV available.
    """
    parsed = parse_rule(rule)
    if parsed.kind == "fixed":
        return float(parsed.value)  # type: ignore[arg-type]
    y, p = _check_binary(y_true, p_pos)
    if len(np.unique(y)) < 2:
        return 0.5
    if parsed.resampled:
        return _resampled_threshold(y, p, parsed)
    return _best_threshold(y, p, parsed)


def _resampled_threshold(y: np.ndarray, p: np.ndarray, parsed: ThresholdRule,
                         resamples: int = THRESHOLD_RESAMPLES, seed: int = 0) -> float:
    """The mean of the rule's best thresholds over stratified bootstrap resamples (each keeps the
    class counts, so every resample has both classes and the prevalence ``accuracy`` depends on).
    Seeded: the same validation split always gives the same threshold."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    cuts = []
    for _ in range(resamples):
        idx = np.concatenate([rng.choice(positives, len(positives)), rng.choice(negatives, len(negatives))])
        cuts.append(_best_threshold(y[idx], p[idx], parsed))
    return float(np.mean(cuts))


def _best_threshold(y: np.ndarray, p: np.ndarray, parsed: ThresholdRule) -> float:
    """The candidate threshold that is best by ``parsed`` on these labels and scores, once."""
    table = candidate_table(y, p)
    tp, fp, tn, fn, thr = table["tp"], table["fp"], table["tn"], table["fn"], table["threshold"]
    sens, spec = tp / (tp + fn), tn / (tn + fp)
    second = None  # constraint rules: among equally good cuts, the best on the constrained rate (Pareto)
    if parsed.kind == "youden":
        score, feasible = sens + spec - 1.0, np.ones_like(sens, dtype=bool)
    elif parsed.kind == "accuracy":
        score, feasible = (tp + tn) / len(y), np.ones_like(sens, dtype=bool)
    elif parsed.kind == "sensitivity":
        score, feasible, second = spec, sens >= parsed.value - 1e-12, sens  # type: ignore[operator]
    elif parsed.kind == "specificity":
        score, feasible, second = sens, spec >= parsed.value - 1e-12, spec  # type: ignore[operator]
    else:  # ppv
        ppv = _ratio(tp, tp + fp)
        feasible = np.nan_to_num(ppv, nan=-1.0) >= parsed.value - 1e-12  # type: ignore[operator]
        if not feasible.any():
            raise DataError(
                f"rule {parsed.text!r}: no threshold reaches that PPV on the validation split "
                f"(highest PPV available: {np.nanmax(ppv):.3f}); choose a lower target or another rule"
            )
        score, second = sens, np.nan_to_num(ppv, nan=-1.0)
    score = np.where(feasible, score, -np.inf)
    best = np.flatnonzero(np.isclose(score, score.max(), rtol=0.0, atol=1e-12))
    if second is not None:  # e.g. specificity>=0.9: of the cuts with sensitivity 1, the most specific
        best = best[np.isclose(second[best], second[best].max(), rtol=0.0, atol=1e-12)]
    return float(thr[best[np.argmin(np.abs(thr[best] - 0.5))]])


def rates_at(y_true: np.ndarray, p_pos: np.ndarray, threshold: float) -> dict[str, float | None]:
    """Sensitivity, specificity, PPV and NPV of ``p >= threshold`` (None where undefined)."""
    y, p = _check_binary(y_true, p_pos)
    pred = p >= threshold
    tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
    fn, tn = int((~pred & (y == 1)).sum()), int((~pred & (y == 0)).sum())

    def div(a: int, b: int) -> float | None:
        return a / b if b else None

    return {"sensitivity": div(tp, tp + fn), "specificity": div(tn, tn + fp),
            "ppv": div(tp, tp + fp), "npv": div(tn, tn + fn)}


def choose_operating_point(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: str,
    rule: str = "youden",
    *,
    per_class: bool = False,
    label_names: list[str] | None = None,
) -> dict[str, Any]:
    """The operating point a bundle stores, chosen on validation labels and probabilities.

    Binary: one threshold on column 1. Multi-label: one threshold per label, each by ``rule``.
    Multi-class: argmax decides; with ``per_class`` each class also gets a one-vs-rest threshold
    by ``rule``, used for its per-class sensitivity/specificity. Returns
    ``{"rule", "threshold", "class_thresholds", "chosen_on": "val", "val"}`` where ``val`` holds
    the validation rates at the chosen threshold(s).
    """
    from meddx.evaluation.metrics import _label_names, _validate

    parsed = parse_rule(rule)
    y, p = _validate(y_true, probs, task)
    names = _label_names(label_names, p.shape[1])
    point: dict[str, Any] = {"rule": parsed.text, "threshold": None, "class_thresholds": None,
                             "chosen_on": "val", "val": None}
    if parsed.resampled and not (task == "multiclass" and not per_class):
        point["resamples"] = THRESHOLD_RESAMPLES  # recorded, so reports can say how the threshold was found
    if task == "binary":
        t = choose_threshold(y, p[:, 1], parsed.text)
        point.update(threshold=t, val=rates_at(y, p[:, 1], t))
        return point
    if task == "multiclass" and not per_class:
        point["rule"] = "argmax"
        return point
    truth = y if task == "multilabel" else np.eye(p.shape[1], dtype=int)[y]
    thresholds = {n: choose_threshold(truth[:, c], p[:, c], parsed.text) for c, n in enumerate(names)}
    point["class_thresholds"] = thresholds
    point["val"] = {n: rates_at(truth[:, c], p[:, c], thresholds[n]) for c, n in enumerate(names)}
    if task == "multiclass":
        point["rule"] = f"argmax; one-vs-rest {parsed.text} per class"
    return point


def thresholds_of(point: dict[str, Any], label_names: list[str]) -> Any:
    """The threshold argument ``classification_metrics`` takes for a stored operating point: a
    ``WeightedArgmax`` when it records multi-class ``class_weights`` (``evaluation.decision``)."""
    per_class = [float(point["class_thresholds"][n]) for n in label_names] if point.get("class_thresholds") else None
    if point.get("class_weights"):
        from meddx.evaluation.decision import WeightedArgmax

        return WeightedArgmax(tuple(float(w) for w in point["class_weights"]),
                              None if per_class is None else tuple(per_class))
    return per_class if per_class is not None else point.get("threshold")
