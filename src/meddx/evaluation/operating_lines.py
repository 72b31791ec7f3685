"""What ``meddx evaluate`` prints about operating points: the bundle's own (binary: one line; multi-label:
one line per label; multi-class with per-class thresholds: one per class) and each ``--operating-point``
rule's, chosen on validation (one line per class or label).

Each per-label line names the label, its threshold, and sensitivity, specificity, PPV and NPV with their
intervals: a multi-label bundle makes one binary decision per label, and before this the terminal said
nothing about any of them (the numbers sat in ``per_class`` and ``ci.per_class`` of ``metrics.json``).

Standard library only (the CLI imports it to print); the numbers are those of ``metrics.json``
(``operating_point.measured`` and ``operating_points``, ``evaluation.operating_report``).
"""

from __future__ import annotations

from typing import Any

from meddx.evaluation.report_format import text_number, text_with_ci

RATE_NAMES = {"sensitivity": "sensitivity", "specificity": "specificity", "ppv": "PPV", "npv": "NPV"}
_ONE_VS_REST = ("argmax; one-vs-rest ", " per class")  # how a multi-class rule is recorded (operating.py)


def operating_lines(metrics: dict[str, Any]) -> list[str]:
    """The operating-point lines of ``meddx evaluate``'s summary, the bundle's own first."""
    task, point = metrics.get("task"), metrics.get("operating_point") or {}
    lines = _bundle_lines(metrics, point) if task == "binary" else _per_label_lines(metrics, point)
    extras = metrics.get("operating_points") or []
    if task != "binary" and extras:  # no bundle line of their own to sit under
        lines.append(f"extra operating points (chosen on val; the bundle decides by {point.get('rule')}):")
    split = metrics.get("split")
    for extra in extras:
        thresholds = extra.get("class_thresholds") or {}
        for name, rates in (extra.get(split) or {}).items():
            threshold = extra.get("threshold") if extra.get("threshold") is not None else thresholds.get(name)
            lines.append(f"  {rule_text(extra.get('rule'))} ({name}): threshold {text_number(threshold)}  "
                         + rate_text(rates))
    return lines


def rate_text(rates: dict[str, Any], names: tuple[str, ...] = tuple(RATE_NAMES)) -> str:
    """``sensitivity 0.912 (0.881–0.940)  specificity ...`` from a class's interval entries."""
    return "  ".join(f"{RATE_NAMES[m]} {text_with_ci(rates.get(m))}" for m in names)


def rule_text(rule: Any) -> str:
    """A rule as given: a multi-class extra point's ``argmax; one-vs-rest X per class`` prints as
    ``X one-vs-rest`` (the bundle's argmax is named on the heading above it)."""
    text = str(rule)
    head, tail = _ONE_VS_REST
    if text.startswith(head) and text.endswith(tail):
        return text[len(head):-len(tail)] + " one-vs-rest"
    return text


def _bundle_lines(metrics: dict[str, Any], point: dict[str, Any]) -> list[str]:
    """Binary: ``operating point (youden, threshold 0.591, chosen on val): sensitivity ...  specificity ...``."""
    positive = metrics["label_names"][1]
    measured = (point.get("measured") or {}).get(positive)
    if measured is None:  # metrics written before ``measured``: the per-class values and their intervals
        pci = ((metrics.get("ci") or {}).get("per_class") or {}).get(positive, {})
        pc = (metrics.get("per_class") or {}).get(positive, {})
        measured = {m: pci.get(m) or {"estimate": pc.get(m)} for m in RATE_NAMES}
    return [f"operating point ({point.get('rule')}, threshold {text_number(point.get('threshold'))}, chosen on val): "
            + rate_text(measured, ("sensitivity", "specificity"))]


def _per_label_lines(metrics: dict[str, Any], point: dict[str, Any]) -> list[str]:
    """Multi-label (and multi-class with per-class thresholds): a heading, then one line per label with
    its threshold and four rates; nothing for an argmax bundle."""
    measured = point.get("measured") or {}
    if not measured:
        return []
    on = point.get("chosen_on") or "val"
    if metrics.get("task") == "multilabel":
        lines = [f"operating point per label ({point.get('rule')}, chosen on {on}):"]
    else:  # the thresholds give each class's one-vs-rest rates; the predicted class stays the argmax
        lines = [f"one-vs-rest threshold per class ({rule_text(point.get('rule'))}, chosen on {on}; "
                 "the predicted class is the argmax):"]
    for name, rates in measured.items():
        lines.append(f"  {name}: threshold {text_number(rates.get('threshold'))}  " + rate_text(rates))
    return lines
