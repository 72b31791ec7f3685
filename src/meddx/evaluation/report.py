"""One self-contained ``report.html`` for an evaluation, readable by clinicians and regulators.

``render_report(metrics, y_true, probs)`` turns the dict that ``meddx evaluate`` writes to
``metrics.json`` (``classification_metrics`` at the top level, plus optional ``ci``,
``operating_point``, ``calibration``, ``subgroups``, ``dataset``, ``plan``, ``warnings``) into
HTML. Any optional part may be absent or ``None``: its section then says "not computed".

The page has no external resources and no script: plots are PNG data URIs drawn with
matplotlib's object API (no pyplot state, nothing to close), CSS is inline, and a
Content-Security-Policy forbids anything else. Every user-provided string goes through
``html.escape``. The figures live in ``report_plots.py``, the formatting helpers in
``report_format.py``; this module lays out the sections.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.files import write_text_atomic
from meddx.evaluation.decision import weighted_words
from meddx.evaluation.operating import describe_rule
from meddx.evaluation.report_format import (
    NC, _bounds, _d, _e, _f, _l, _not_computed, _num, _short, _table, _ul, _vci,
)
from meddx.evaluation.report_plots import _class_threshold, _confusion_plot, _curves, _reliability_plot

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2327;margin:0;background:#fff}
main{max-width:1080px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:1.7em;margin:0 0 6px}h2{font-size:1.3em;margin:0 0 4px;border-bottom:2px solid #dde3e8;padding-bottom:3px}
h3{font-size:1.05em;margin:14px 0 4px}section{margin:26px 0}
.how{color:#50606b;font-size:.92em;margin:2px 0 10px}.how b{color:#3a4750}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:1px 14px;font-size:.93em;margin:8px 0}
.meta dt{color:#50606b}.meta dd{margin:0;overflow-wrap:break-word}
.warn{border:2px solid #c0392b;background:#fdf0ee;border-radius:6px;padding:8px 14px;margin:12px 0}
.warn h2{border:0;color:#a93226;font-size:1.1em}.warn ul{margin:4px 0;padding-left:20px}
.ok{color:#50606b;font-size:.93em}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.card{border:1px solid #cfd8df;border-radius:6px;padding:8px 14px;min-width:130px}
.card .k{font-size:.85em;color:#50606b}.card .v{font-size:1.6em;font-weight:600}.card .c{font-size:.85em;color:#50606b}
table{border-collapse:collapse;margin:6px 0 10px;font-size:.9em}
th,td{border:1px solid #cfd8df;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f1f4f6}td.l,th.l{text-align:left;overflow-wrap:break-word;max-width:420px}
.ci{color:#50606b;font-size:.88em;white-space:nowrap}.nc{color:#8a969e}
.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.figs img{max-width:100%;height:auto}
.bad{color:#a93226;font-weight:600}code{font-size:.92em;background:#f1f4f6;padding:0 3px;overflow-wrap:anywhere}
nav{font-size:.88em;margin:8px 0}nav a{margin-right:10px;color:#1f5f8b}
footer{border-top:2px solid #dde3e8;margin-top:30px;padding-top:6px;font-size:.9em;color:#3a4750}
@media print{nav{display:none}main{max-width:none;padding:0}section,figure,table,.card,img{break-inside:avoid}
 h2{break-after:avoid}body{font-size:11pt}}
@page{margin:1.4cm}
"""
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_SECTIONS = [("summary", "Summary"), ("curves", "ROC and precision–recall curves"),
             ("confusion", "Confusion matrix"), ("per-class", "Per-class results"),
             ("baseline", "Baseline: what the model adds"), ("explanations", "Explanations: can they be believed?"),
             ("calibration", "Calibration"), ("subgroups", "Subgroups"), ("dataset", "Dataset"),
             ("plan", "Training plan"), ("notes", "Notes"), ("method", "How these numbers were computed")]
_METRIC_NAMES = {"auc": "AUC", "auprc": "AUPRC", "accuracy": "accuracy", "sensitivity": "sensitivity",
                 "specificity": "specificity", "ppv": "PPV", "npv": "NPV", "f1": "F1",
                 "balanced_accuracy": "balanced accuracy"}
_PER_CLASS = [("sensitivity", "Sensitivity"), ("specificity", "Specificity"), ("ppv", "PPV"), ("npv", "NPV"),
              ("f1", "F1"), ("auc", "AUC"), ("auprc", "AUPRC")]


def _section(sid: str, how: str, body: str) -> str:
    title = dict(_SECTIONS)[sid]
    how_html = f'<p class="how"><b>How to read this:</b> {how}</p>' if how else ""
    return f'<section id="{sid}"><h2>{title}</h2>{how_html}{body}</section>'


# ---------------------------------------------------------------- sections
def _header(m: dict, title: str, names: list[str]) -> str:
    fields = [("Bundle", m.get("bundle")), ("Data", m.get("data")), ("Split", m.get("split")),
              ("Samples (n)", m.get("n")), ("Task", m.get("task")), ("Classes", ", ".join(names) or None),
              ("Created", m.get("created")), ("meddx version", m.get("meddx_version"))]
    meta = "".join(f"<dt>{k}</dt><dd>{NC if v is None else _e(v)}</dd>" for k, v in fields)
    warnings = [w for w in _l(m.get("warnings")) if w]
    box = (f'<div class="warn" id="warnings"><h2>Warnings ({len(warnings)})</h2>{_ul(warnings)}</div>' if warnings
           else '<p class="ok" id="warnings">No warnings were raised for this evaluation.</p>')
    nav = "".join(f'<a href="#{sid}">{t}</a>' for sid, t in _SECTIONS if sid not in ("baseline", "explanations") or m.get(sid))
    return f"<header><h1>{_e(title)}</h1><dl class=meta>{meta}</dl>{box}<nav>{nav}</nav></header>"


def _operating_point(m: dict, task: str) -> str:
    op = _d(m.get("operating_point"))
    if not op:
        if task == "multiclass":
            return "<p>Predictions are the most probable class (argmax).</p>"
        thr = m.get("threshold")
        return (f"<p>Threshold {_num(thr) if not isinstance(thr, list) else 'per class'}; how it was chosen is "
                "not recorded (no operating-point record).</p>")
    rule, on = str(op.get("rule") or "unknown"), _e(op.get("chosen_on") or "an unrecorded split")
    weighted = _e(weighted_words(op)[2:])  # a class-weighted multi-class model: argmax p_k·w_k (evaluation.decision)
    if rule == "argmax" and not op.get("class_thresholds"):
        text = f"Predictions are {weighted or 'the most probable class (argmax)'}; no threshold is involved."
    else:
        what = (f"Threshold <b>{_num(op.get('threshold'))}</b> was" if op.get("threshold") is not None
                else "Per-class thresholds (see the per-class table) were")
        words = _e(describe_rule(rule, op.get("resamples")))
        text = (f"{what} chosen on the <b>{on}</b> split by rule <code>{_e(rule)}</code> ({words}) "
                f"and applied unchanged to this {_e(m.get('split') or 'evaluation')} split."
                + (f" Predicted classes: {weighted}." if weighted else ""))
    val = _d(op.get("val"))
    if val:
        text += " On that split it gave " + _rates(val) + "."
    return f"<p>{text}</p>"


def _rates(values: dict) -> str:
    """``sensitivity 0.912, specificity 0.880``; per label (multi-label) ``edema: sensitivity 0.742, ...; ...``."""
    if any(isinstance(v, dict) for v in values.values()):
        return "; ".join(f"{_e(k)}: {_rates(_d(v))}" for k, v in values.items())
    return ", ".join(f"{_e(k)} {_num(v)}" for k, v in values.items())


def _summary(m: dict, task: str, names: list[str]) -> str:
    ci = _d(m.get("ci"))
    method = str(ci.get("method") or "percentile")
    level = _f(ci.get("level"))
    ci_name = f"{level * 100:g}% CI" if level else "CI"
    cards = [("AUC (ROC)", m.get("auc"), ci.get("auc")), ("AUPRC", m.get("auprc"), ci.get("auprc")),
             ("Accuracy", m.get("accuracy"), ci.get("accuracy")),
             ("Balanced accuracy", m.get("balanced_accuracy"), ci.get("balanced_accuracy"))]
    if task != "binary" and m.get("macro_f1") is not None:
        cards.append(("Macro-F1", m.get("macro_f1"), ci.get("macro_f1")))
    if task == "binary" and len(names) == 2:
        pc, pci = _d(_d(m.get("per_class")).get(names[1])), _d(_d(ci.get("per_class")).get(names[1]))
        cards += [(f"Sensitivity ({_short(names[1])})", pc.get("sensitivity"), pci.get("sensitivity")),
                  ("Specificity", pc.get("specificity"), pci.get("specificity"))]
    html_cards = []
    for label, value, interval in cards:
        value = value if value is not None else _d(interval).get("estimate")
        b = _bounds(interval, method)
        sub = f"{ci_name} {b[0]:.3f}–{b[1]:.3f}" if b else ("CI not computed" if value is not None else "not computed")
        html_cards.append(f'<div class="card"><div class="k">{_e(label)}</div><div class="v">{_num(value)}</div>'
                          f'<div class="c">{sub}</div></div>')
    how = ("AUC and AUPRC summarise how well the model ranks cases (1.0 is perfect; AUC 0.5 is chance). "
           f"The range under each value is its {ci_name}: the true value is plausibly anywhere in it.")
    body = f'<div class="cards">{"".join(html_cards)}</div>{_operating_point(m, task)}{_other_points(m, method)}'
    return _section("summary", how, body)


def _other_points(m: dict, method: str) -> str:
    """Extra operating points (``--operating-point``): each chosen on validation, reported on this split."""
    rows = []
    split = str(m.get("split") or "test")
    for point in _l(m.get("operating_points")):
        point = _d(point)
        thresholds = _d(point.get("class_thresholds"))
        for name, rates in _d(point.get(split)).items():
            rates = _d(rates)
            thr = point.get("threshold") if point.get("threshold") is not None else thresholds.get(name)
            val = _d(point.get("val"))
            val = _d(val.get(name)) if name in val else val
            rows.append([_e(point.get("rule")), _e(name), _num(thr, 4),
                         f"{_num(val.get('sensitivity'))} / {_num(val.get('specificity'))}",
                         *[_vci(_d(rates.get(k)).get("estimate"), rates.get(k), method)
                           for k in ("sensitivity", "specificity", "ppv", "npv")]])
    if not rows:
        return ""
    head = ["Rule", "Class", "Threshold", "Val sens. / spec.", "Sensitivity", "Specificity", "PPV", "NPV"]
    return ("<h3>Other operating points</h3><p>Each threshold was chosen on the validation split by its rule and "
            f"applied unchanged to this {_e(split)} split.</p>" + _table(head, rows, left=(0, 1)))


def _confusion(m: dict, task: str, names: list[str]) -> str:
    how = ("Rows are the true class, columns the model's prediction; the diagonal counts correct predictions."
           if task != "multilabel" else
           "One 2x2 table per label: TN/FP/FN/TP count true negatives, false positives, false negatives, "
           "true positives at that label's threshold.")
    try:
        cm = np.asarray(m.get("confusion_matrix") or [], dtype=float)
        cm = cm.astype(int) if np.isfinite(cm).all() else np.zeros((0,))
        ok = (cm.ndim == 3 and cm.shape[1:] == (2, 2)) if task == "multilabel" else \
            (cm.ndim == 2 and cm.shape[0] == cm.shape[1] and cm.size > 0)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        return _section("confusion", how, _not_computed("no confusion matrix in the metrics."))
    k = cm.shape[0]
    names = names if len(names) == k else [str(i) for i in range(k)]
    if task == "multilabel":
        rows = [[_e(n), *(str(v) for v in cm[i].ravel()), str(int(cm[i, 1].sum()))] for i, n in enumerate(names)]
        table = _table(["Label", "TN", "FP", "FN", "TP", "Positives"], rows)
    else:
        rows = [[_e(n), *(str(v) for v in cm[i]), str(int(cm[i].sum()))] for i, n in enumerate(names)]
        table = _table(["Truth ↓ / predicted →", *(_e(n) for n in names), "Total"], rows)
    return _section("confusion", how, f'<div class="figs">{_confusion_plot(task, cm, names)}</div>{table}')


def _per_class(m: dict, task: str, names: list[str]) -> str:
    per, cis = _d(m.get("per_class")), _d(_d(m.get("ci")).get("per_class"))
    method = str(_d(m.get("ci")).get("method") or "percentile")
    how = ("Sensitivity: share of true cases found. Specificity: share of non-cases correctly cleared. "
           "PPV/NPV: how often a positive/negative prediction is right (they depend on prevalence). "
           "Each class is scored one-vs-rest; support is its number of true cases. Brackets: confidence interval.")
    if not per:
        return _section("per-class", how, _not_computed("no per-class metrics."))
    op_thr = _d(_d(m.get("operating_point")).get("class_thresholds"))
    show_thr = bool(op_thr) or isinstance(m.get("threshold"), list)
    head = ["Class", *(t for _, t in _PER_CLASS), "Support"] + (["Threshold"] if show_thr else [])
    rows = []
    for i, name in enumerate(names or list(per)):
        pc, pci = _d(per.get(name)), _d(cis.get(name))
        vals = [_vci(pc.get(k) if k != "ppv" else pc.get("ppv", pc.get("precision")), pci.get(k), method)
                for k, _ in _PER_CLASS]
        row = [_e(name), *vals, _num(pc.get("support"))]
        if show_thr:
            row.append(_num(_class_threshold(m, i, name)))
        rows.append(row)
    macro = _d(m.get("macro"))
    if macro:
        fallback = {"ppv": macro.get("precision"), "auc": m.get("auc") if task != "binary" else None}
        row = ["<i>Macro mean</i>", *(_num(macro.get(k) if macro.get(k) is not None else fallback.get(k))
                                      for k, _ in _PER_CLASS), ""]
        rows.append(row + ([""] if show_thr else []))
    return _section("per-class", how, _table(head, rows))


def _calibration(m: dict) -> str:
    from meddx.evaluation.label_temperature import not_fitted_text, temperature_text

    cal = _d(m.get("calibration"))
    how = ("A calibrated model's 70% means the condition is present about 70% of the time: points on the dashed "
           "diagonal. ECE/MCE are the average/worst gap between predicted and observed (lower is better); "
           "Brier is the mean squared error of the probabilities.")
    before, after = _d(cal.get("before")), _d(cal.get("after"))
    if not before and not after:
        return _section("calibration", how, _not_computed("no calibration analysis in the metrics."))
    img = _reliability_plot(before, after)
    rows = [[label, _num(before.get(k), 4), _num(after.get(k), 4) if after else NC]
            for k, label in (("ece", "ECE"), ("ece_adaptive", "ECE (adaptive bins)"), ("mce", "MCE"),
                             ("brier", "Brier score"), ("slope", "Calibration slope (1 = ideal)"),
                             ("in_the_large", "Calibration-in-the-large (0 = ideal)"))]
    t = cal.get("temperature")
    kept_at_1 = _e(not_fitted_text(cal, [str(n) for n in _l(m.get("label_names"))]))
    shown = _e(temperature_text(t, m.get("label_names"))) if isinstance(t, list) else f"T = {_num(t)}"
    temp = (f"<p>Temperature scaling: {shown} (fitted on validation; T &gt; 1 softens over-confident "
            f"probabilities, T &lt; 1 sharpens them).{kept_at_1}</p>" if t is not None
            else "<p>No temperature scaling was applied (“after” not computed).</p>" if not after
            else "<p>Temperature: not recorded.</p>")
    c = before or after
    extra = f"<p>Calibration target: {_e(c.get('target') or 'not recorded')}; {_num(c.get('n_bins'))} bins.</p>"
    figs = f'<div class="figs">{img}</div>' if img else _not_computed("no reliability bins to plot.")
    return _section("calibration", how, figs + _table(["Measure", "Before", "After"], rows) + temp + extra
                    + _per_label_calibration(_d(cal.get("per_label"))))


def _per_label_calibration(per: dict) -> str:
    """Multi-label: each label as its own binary problem (``calibration.per_label``), before → after."""
    if not per:
        return ""
    keys = (("mean_predicted", 3), ("ece", 3), ("in_the_large", 2), ("slope", 2), ("brier", 3))
    rows = [[_e(name), _num(_d(e).get("n_positive")), _num(_d(e).get("observed_rate"))]
            + [_num(_d(_d(e).get("before")).get(k), d) + (f" → {_num(_d(e.get('after')).get(k), d)}"
                                                         if _d(e).get("after") else "") for k, d in keys]
            for name, e in per.items()]
    return ("<h3>Per label (before → after temperature)</h3><p class=\"how\">Each label scored alone, as a binary "
            "model: the pooled numbers above can hide one badly calibrated label behind well calibrated ones.</p>"
            + _table(["Label", "Positives", "Observed rate", "Mean predicted", "ECE", "In the large", "Slope",
                      "Brier"], rows))


def _subgroups(m: dict) -> str:
    from meddx.evaluation.report_subgroups import HOW, subgroups_body

    return _section("subgroups", HOW, subgroups_body(m, _METRIC_NAMES))


def _dataset(m: dict) -> str:
    ds = _d(m.get("dataset"))
    unit = {"table": "rows", "series": "series", "text": "documents"}.get(str(ds.get("kind")), "images")  # data kind
    how = f"How many {unit} (and patients) each split holds per class, and whether duplicates could inflate results."
    if not ds:
        return _section("dataset", how, _not_computed("no dataset summary in the metrics."))
    splits = _d(ds.get("splits"))
    classes = [str(c) for c in _l(ds.get("label_names"))]
    for s in splits.values():
        classes += [str(c) for c in _d(_d(s).get("classes")) if str(c) not in classes]
    rows = [[_e(name), _num(_d(s).get("n")), _num(_d(s).get("patients")),
             *(_num({str(k): v for k, v in _d(_d(s).get("classes")).items()}.get(c)) for c in classes)]
            for name, s in splits.items()]
    body = f"<p>Source: <code>{_e(ds.get('source') or 'not recorded')}</code>; task {_e(ds.get('task') or '—')}.</p>"
    body += _table(["Split", unit.capitalize(), "Patients", *(_e(c) for c in classes)], rows) if rows else \
        _not_computed("no split counts.")
    dup = _d(ds.get("duplicates"))
    if not dup or not dup.get("checked"):
        body += "<p>Duplicates: <b>not checked</b>.</p>"
    else:
        leak = dup.get("leakage")
        drows = [["Exact-duplicate groups", _num(dup.get("exact_groups"))],
                 ["Near-duplicate groups", _num(dup.get("near_groups"))],
                 ["Samples with a copy on another split", _num(dup.get("cross_split"))
                  + (" (" + ", ".join(f"{_e(k)} {_num(v)}" for k, v in _d(dup.get("cross_split_by_split")).items())
                     + ")" if dup.get("cross_split_by_split") else "")],
                 ["Patients on several splits", _num(dup.get("patients_across_splits"))],
                 ["Groups with conflicting labels", _num(dup.get("conflicting_labels"))],
                 ["Leakage between splits", '<span class="bad">YES</span>' if leak else "no" if leak is not None else NC]]
        body += "<h3>Duplicates</h3>" + _table(["Check", "Result"], drows)
    return _section("dataset", how, body)


def _plan(m: dict) -> str:
    plan, reasons = _d(m.get("plan")), _d(m.get("plan_reasons"))
    how = "The training settings, including those meddx chose from the data, with the reason where recorded."
    if not plan:
        return _section("plan", how, _not_computed("no training plan in the metrics."))
    rows = []
    for k, v in plan.items():
        value = _e(v) if isinstance(v, (str, int, float, bool)) or v is None else \
            f"<code>{_e(json.dumps(v, sort_keys=True, default=str))}</code>"
        rows.append([_e(k), value, _e(reasons.get(k, ""))])
    return _section("plan", how, _table(["Field", "Value", "Why"], rows, left=(0, 1, 2)))


def _baseline(m: dict) -> str:
    from meddx.evaluation.report_baseline import HOW, baseline_body

    body = baseline_body(m)
    return "" if body is None else _section("baseline", HOW, body)


def _explanations(m: dict) -> str:
    from meddx.evaluation.report_explain import HOW, explanations_body

    body = explanations_body(m)
    return "" if body is None else _section("explanations", HOW, body)


def _notes(m: dict) -> str:
    groups = [("Metrics", m.get("notes")), ("Confidence intervals", _d(m.get("ci")).get("notes"))]
    body = "".join(f"<h3>{t}</h3>{_ul(_l(n))}" for t, n in groups if _l(n))
    return _section("notes", "Why a value is empty or averaged over fewer classes.", body or "<p>No notes.</p>")


def _method(m: dict) -> str:
    ci = _d(m.get("ci"))
    text = (f"<p>Point estimates use all {_num(m.get('n'))} samples of the {_e(m.get('split') or 'evaluated')} "
            "split, with the probabilities the bundle outputs (after calibration where applied).</p>")
    if ci:
        level = _f(ci.get("level"))
        strat = "stratified " if ci.get("stratified") else ""
        method = {"bca": "BCa (bias-corrected and accelerated)"}.get(str(ci.get("method")), ci.get("method"))
        unit = str(ci.get("unit") or "sample")
        text += (f"<p>Intervals are {f'{level * 100:g}%' if level else ''} {_e(method or 'percentile')} "
                 f"bootstrap intervals from {_num(ci.get('n_resamples'))} {strat}resamples drawn at the "
                 f"{_e(unit)} level ({_num(ci.get('n_units'))} {_e(unit)}s), seed {_num(ci.get('seed'))}. "
                 "Resamples where a metric is undefined (e.g. no positives) are skipped for that metric."
                 + (" PPV, NPV, F1, AUPRC and accuracy depend on the class mix: their resamples are not "
                    "stratified, so the mix varies as it does between samples." if ci.get("unstratified") else "")
                 + "</p>")
    else:
        text += "<p>No confidence intervals were computed: point estimates only.</p>"
    text += (f"<p>Generated by meddx {_e(m.get('meddx_version') or '(version not recorded)')}; metrics schema "
             f"version {_e(m.get('schema_version') or '—')}.</p>")
    return f'<footer id="method"><h2>{dict(_SECTIONS)["method"]}</h2>{text}</footer>'


# ---------------------------------------------------------------- API
def render_report(metrics: dict[str, Any], y_true: np.ndarray, probs: np.ndarray, *, title: str | None = None,
                  scores: np.ndarray | None = None) -> str:
    """The HTML text of the evaluation report (self-contained: no external resource, no script); ``scores``:
    what the ROC and precision-recall curves rank (``classification_metrics(scores=)``)."""
    m = _d(metrics)
    names = [str(n) for n in _l(m.get("label_names")) or _l(_d(m.get("dataset")).get("label_names"))]
    task = str(m.get("task") or _d(m.get("dataset")).get("task") or "")
    if task not in ("binary", "multiclass", "multilabel"):
        p = np.asarray(probs)
        task = "multilabel" if np.ndim(y_true) == 2 and np.shape(y_true) == p.shape else \
            "binary" if p.ndim == 2 and p.shape[1] == 2 else "multiclass"
    m = {**m, "task": task}
    if title is None:
        title = f"Evaluation report: {Path(str(m['bundle'])).name}" if m.get("bundle") else "meddx evaluation report"
    curves_how = ("Each curve shows the trade-off as the threshold moves; the dot is where this model operates. "
                  "ROC: higher and further left is better. Precision–recall: higher is better; the dotted line "
                  "is the prevalence, what a useless model would reach.")
    body = [_header(m, title, names), _summary(m, task, names),
            _section("curves", curves_how, _curves(m, task, names, y_true, probs, scores)),
            _confusion(m, task, names), _per_class(m, task, names), _baseline(m), _explanations(m), _calibration(m),
            _subgroups(m),
            _dataset(m), _plan(m), _notes(m), _method(m)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def write_report(path: str | Path, metrics: dict[str, Any], y_true: np.ndarray, probs: np.ndarray, *,
                 title: str | None = None, scores: np.ndarray | None = None) -> Path:
    """Render the report and write it atomically to ``path``; return the path."""
    return write_text_atomic(path, render_report(metrics, y_true, probs, title=title, scores=scores))
