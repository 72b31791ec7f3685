"""The report's "Baseline" section: the bundled baseline on the same cases, and the difference.

Rendered only when ``metrics["baseline"]`` exists (text bundles carry a TF-IDF + logistic
regression baseline, series bundles a gradient-boosting one; see ``evaluation/baseline.py``).
"""

from __future__ import annotations

from meddx.evaluation.report_format import _d, _e, _num, _table, _vci

ROWS = (("auc", "AUC"), ("auprc", "AUPRC"), ("accuracy", "accuracy"), ("balanced_accuracy", "balanced accuracy"),
        ("macro_f1", "macro-F1"))
HOW = ("The same metrics for the simpler model bundled with this one (named in the column header: TF-IDF + "
       "logistic regression for documents, gradient boosting on per-variable aggregates for time series), fitted "
       "on the same training data and scored on the same cases. The difference column is this model minus "
       "the baseline with a paired bootstrap interval: an interval that excludes 0 means the network really adds "
       "(or loses) something; one that spans 0 means it has not shown it is better than the simple model.")


def baseline_body(m: dict) -> str | None:
    """HTML of the section body, or ``None`` when the evaluation has no baseline."""
    base = _d(m.get("baseline"))
    split = str(m.get("split") or "")
    entry = _d(base.get(split)) if split else {}
    if not entry:
        return None
    bm, diff = _d(entry.get("metrics")), _d(entry.get("difference"))
    ci, bci = _d(m.get("ci")), _d(bm.get("ci"))
    method = str(ci.get("method") or "percentile")
    rows = []
    for key, label in ROWS:
        d = _d(diff.get(key))
        rows.append([label, _vci(m.get(key), ci.get(key), method), _vci(bm.get(key), bci.get(key), method),
                     _vci(d.get("estimate"), d or None, method) if d else "not computed"])
    table = _table(["metric", "this model", f"baseline ({_e(base.get('model'))})", "difference (model − baseline)"],
                   rows)
    note = _e(base.get("note") or "")
    return f"{table}<p class=\"how\">{note}. n = {_num(m.get('n'), 0)}.</p>"
