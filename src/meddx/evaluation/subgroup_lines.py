"""What ``meddx evaluate`` prints about subgroups (``--attributes``, ``--subgroup``): per attribute, a
heading with its largest gap and the gap's adjusted p-value, then one line per group with n and the
metrics ``metrics.json`` holds for it, with their intervals. Before, the subgroups went to
``metrics.json`` and ``report.html`` only, and the terminal said nothing about them.

Standard library only (the CLI imports it to print); the numbers are those of ``metrics.json``
(``evaluation.subgroups``), formatted as the headline formats its own.
"""

from __future__ import annotations

from typing import Any

from meddx.evaluation.report_format import text_number, text_with_ci

MAX_GROUPS = 20  # per attribute; the rest stay in metrics.json (an id-like column would print thousands)
GAP_NAMES = {"auc": "AUC", "balanced_accuracy": "balanced accuracy"}


def subgroup_lines(metrics: dict[str, Any]) -> list[str]:
    """The subgroup lines of ``meddx evaluate``'s summary; none without subgroups."""
    subgroups = metrics.get("subgroups") or {}
    binary = metrics.get("task") == "binary"
    lines: list[str] = []
    for attribute, info in subgroups.items():
        groups = (info or {}).get("groups") or {}
        lines.append(f"subgroups by {attribute}: {_gap_text((info or {}).get('largest_gap'))}")
        for value, group in list(groups.items())[:MAX_GROUPS]:
            lines.append(f"  {value}: " + "  ".join(_group_parts(group, binary)))
        if len(groups) > MAX_GROUPS:
            lines.append(f"  ... {len(groups) - MAX_GROUPS} more groups in metrics.json (subgroups.{attribute})")
    return lines


def _group_parts(group: dict[str, Any], binary: bool) -> list[str]:
    n = f"n={group.get('n')}"
    if binary and group.get("n_positive") is not None:
        n += f" ({group['n_positive']} positive)"
    parts = [n, f"AUC {text_with_ci(group.get('auc'))}"]
    keys = ("sensitivity", "specificity") if binary else ("accuracy", "balanced_accuracy")
    parts += [f"{GAP_NAMES.get(k, k)} {text_with_ci(group.get(k))}" for k in keys]
    if group.get("warning"):
        parts.append("(subgroup warning)")
    return parts


def _gap_text(gap: dict[str, Any] | None) -> str:
    """``largest gap sensitivity 0.800 in A vs 0.667 in B, adjusted p=0.837 over 15 comparisons (unadjusted
    0.393)``."""
    if not gap or len(gap.get("between") or []) != 2:
        return "no largest gap: fewer than 2 groups without a subgroup warning"
    (high, low), (v_high, v_low) = gap["between"], gap.get("values") or [None, None]
    metric = GAP_NAMES.get(str(gap.get("metric")), str(gap.get("metric")))
    text = f"largest gap {metric} {text_number(v_high)} in {high} vs {text_number(v_low)} in {low}"
    if gap.get("p_adjusted") is None:
        return text + ", no p-value (--bootstrap 0)" if gap.get("note") else text
    return (text + f", adjusted p={gap['p_adjusted']:.3g} over {gap.get('n_comparisons')} comparisons "
            f"(unadjusted {gap['p_value']:.3g})")
