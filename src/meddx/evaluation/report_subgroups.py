"""The report's "Subgroups" section: metrics per group of each attribute, and the largest gap
with its multiplicity-adjusted p-value (``evaluation.subgroup_gap``). Split from ``report.py``."""

from __future__ import annotations

from meddx.evaluation.report_format import _d, _e, _l, _not_computed, _num, _table, _ul, _vci

HOW = ("The same metrics within each group of a patient attribute. Wide intervals mean few cases; a large "
       "gap between groups can mean the model works less well for some patients. The largest gap is picked "
       "out of every pair of groups and metric, so read its adjusted p-value, not the unadjusted one.")
KEYS = ("auc", "accuracy", "sensitivity", "specificity")


def subgroups_body(m: dict, metric_names: dict[str, str]) -> str:
    """HTML of the section body: one table per attribute, its largest gap, and the warnings."""
    subs, warnings = _d(m.get("subgroups")), [w for w in _l(m.get("subgroup_warnings")) if w]
    method = str(_d(m.get("ci")).get("method") or "percentile")
    extra = f"<h3>Subgroup warnings</h3>{_ul(warnings)}" if warnings else ""
    if not subs:
        return _not_computed("no subgroup attributes were given (e.g. sex, age band, site).") + extra
    parts = []
    for attr, info in subs.items():
        info = _d(info)
        rows = []
        for value, g in _d(info.get("groups")).items():
            g = _d(g)
            warn = g.get("warning")
            rows.append([_e(value), _num(g.get("n")), _num(g.get("n_positive")),
                         *(_vci(None, g.get(k), method) for k in KEYS),
                         f'<span class="bad">{_e(warn)}</span>' if warn else ""])
        table = _table(["Group", "n", "Positives", "AUC", "Accuracy", "Sensitivity", "Specificity", "Warning"],
                       rows, left=(0, -1)) if rows else _not_computed("no groups.")
        parts.append(f"<h3>{_e(attr)}</h3>{table}{gap_sentence(_d(info.get('largest_gap')), metric_names)}")
    return "".join(parts) + extra


def gap_sentence(gap: dict, metric_names: dict[str, str]) -> str:
    """``Largest gap: AUC differs by 0.050 between "F" and "M".`` and, where computed, its p-value
    adjusted for the comparisons it was picked from, and the unadjusted one; empty without a gap."""
    between = _l(gap.get("between"))
    if not gap or len(between) != 2:
        return ""
    metric = metric_names.get(str(gap.get("metric")), str(gap.get("metric")))
    sentence = (f"Largest gap: {_e(metric)} differs by <b>{_num(gap.get('gap'))}</b> between "
                f"“{_e(between[0])}” and “{_e(between[1])}”.")
    if gap.get("p_adjusted") is not None:  # evaluations written before the test, or --bootstrap 0, have none
        sentence += (f" Adjusted for the {_num(gap.get('n_comparisons'), 0)} comparisons it was picked from "
                     f"(permutation test of the largest gap, {_num(gap.get('n_permutations'), 0)} shuffles by "
                     f"{_e(gap.get('unit') or 'sample')}): p = <b>{_p(gap.get('p_adjusted'))}</b> "
                     f"(this pair and metric alone, unadjusted: p = {_p(gap.get('p_value'))}).")
    elif gap.get("note"):
        sentence += f" {_e(gap['note'])}."
    return f"<p>{sentence}</p>"


def _p(value: object) -> str:
    """A p-value for the page: three decimals, ``< 0.001`` below that."""
    return "&lt; 0.001" if isinstance(value, float) and value < 0.001 else _num(value)
