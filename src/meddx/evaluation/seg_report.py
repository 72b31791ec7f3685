"""One self-contained HTML report for a segmentation evaluation.

``render_seg_report(metrics, title=..., overlays=...)`` lays out:

- a summary table per class (and the mean over foreground classes) with the mean and its
  bootstrap interval and the median of Dice, IoU, HD95 and ASD, from a ``summarize_cases``
  result (``seg_metrics.py``);
- a measurement table (mean, median and 95th percentile absolute error, bias, limits of
  agreement, with unit) when ``metrics["measurement"]`` holds a ``measurement_errors`` result;
- one section per split when ``metrics`` has ``"val"`` and/or ``"test"`` keys, each holding a
  ``summarize_cases`` result with an optional ``"measurement"``;
- overlay pictures (``seg_overlays.py``), embedded as PNG data URIs with captions.

Same look and safety rules as ``report.py``: no external resource, no script, a
Content-Security-Policy, every user string through ``html.escape``; standard library only (the
style sheet is shared with ``report.py``).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from meddx.core.files import write_text_atomic
from meddx.evaluation.report_format import NC, _d, _e, _f, _l, _num, _table

_METRICS = (("dice", "Dice", 3), ("iou", "IoU", 3), ("hd95", "HD95", 2), ("asd", "ASD", 2))
_SPLITS = (("val", "Validation"), ("test", "Test"))
_EMPTY_RULES = ("A class absent from both truth and prediction counts as Dice 1 and IoU 1; absent from exactly "
                "one of them as Dice 0 and IoU 0. HD95 and ASD are undefined (not averaged) in both cases; "
                "<i>n</i> counts the cases where a value is defined.")


def _value(entry: Any, digits: int) -> str:
    """``mean (lo–hi)`` with the median below, from a summary entry."""
    e = _d(entry)
    mean = _f(e.get("mean"))
    if mean is None:
        return NC
    ci = _l(e.get("ci"))
    lo, hi = (_f(ci[0]), _f(ci[1])) if len(ci) == 2 else (None, None)
    text = f"{mean:.{digits}f}"
    if lo is not None and hi is not None:
        text += f' <span class="ci">({lo:.{digits}f}–{hi:.{digits}f})</span>'
    median = _f(e.get("median"))
    if median is not None:
        text += f'<br><span class="ci">median {median:.{digits}f}</span>'
    return text


def _unit(summary: dict, metric: str) -> str:
    unit = _d(summary.get("unit")).get(metric)
    return f" ({_e(unit)})" if unit else ""


def _summary_table(summary: dict) -> str:
    classes = _d(summary.get("classes"))
    if not classes:
        return '<p class="nc">Not computed: no per-class summary.</p>'
    n = summary.get("n")
    head = ["Class"] + [f"{label}{_unit(summary, key)}" for key, label, _ in _METRICS] + ["<i>n</i> (HD95)"]
    rows = []
    named = list(classes.items())
    if len(named) > 1 and summary.get("mean_foreground"):
        named.append(("Mean over foreground classes", summary["mean_foreground"]))
    for name, entry in named:
        e = _d(entry)
        valid = _d(e.get("hd95")).get("n_valid")
        count = _num(valid) + (f" of {_num(n)}" if n is not None and valid is not None and valid != n else "")
        cells = [_value(e.get(key), digits) for key, _, digits in _METRICS]
        rows.append([f"<b>{_e(name)}</b>" if name.startswith("Mean over") else _e(name)] + cells + [count])
    return _table(head, rows)


def _measurements(meas: Any) -> str:
    """One table for a ``measurement_errors`` result, or one per entry of a name -> result dict."""
    m = _d(meas)
    if not m:
        return ""
    if "mean_abs" in m:
        return _measurement_table(m, "Measurement")
    return "".join(_measurement_table(_d(v), f"Measurement: {str(k).replace('_', ' ')}") for k, v in m.items()
                   if isinstance(v, dict))


def _measurement_table(m: dict, heading: str) -> str:
    unit = str(m.get("unit") or "")
    ci = _d(m.get("ci"))

    def with_ci(key: str) -> str:
        v = _f(m.get(key))
        if v is None:
            return NC
        b = _l(_d(ci.get(key)).get("bca")) or _l(_d(ci.get(key)).get("percentile"))
        lo, hi = (_f(b[0]), _f(b[1])) if len(b) == 2 else (None, None)
        return f"{v:.2f}" + (f' <span class="ci">({lo:.2f} to {hi:.2f})</span>' if lo is not None and hi is not None
                             else "")

    loa = _l(m.get("loa"))
    loa_text = f"{_f(loa[0]):.2f} to {_f(loa[1]):.2f}" if len(loa) == 2 and None not in map(_f, loa) else NC
    rows = [["Cases measured (<i>n</i>)", _num(m.get("n"))],
            ["No measurement predicted (empty mask)", _num(m.get("n_missing"))],
            [f"Mean absolute error ({_e(unit)})", with_ci("mean_abs")],
            [f"Median absolute error ({_e(unit)})", _num(m.get("median_abs"), 2)],
            [f"95th percentile absolute error ({_e(unit)})", _num(m.get("p95_abs"), 2)],
            [f"Bias, mean predicted − reference ({_e(unit)})", with_ci("mean_signed")],
            [f"SD of the differences ({_e(unit)})", _num(m.get("sd"), 2)],
            [f"95% limits of agreement ({_e(unit)})", loa_text]]
    how = ('<p class="how"><b>How to read this:</b> differences between the measurement derived from the predicted '
           "segmentation and the reference measurement, over cases where both exist. Intervals in brackets.</p>")
    return f"<h3>{_e(heading)}</h3>{how}" + _table(["Statistic", "Value"], rows)


def _split_body(summary: dict) -> str:
    n = summary.get("n")
    level = _f(summary.get("level"))
    ci = (f"{level * 100:g}% intervals: {_e(summary.get('ci_method') or '')}, {_num(summary.get('resamples'))} "
          "resamples" if level and summary.get("resamples") else "no confidence intervals")
    how = (f'<p class="how"><b>How to read this:</b> mean over {_num(n)} cases with its {ci}, and the median. '
           "Dice and IoU: higher is better (1 = perfect overlap). HD95 (95th percentile Hausdorff distance) and "
           "ASD (average symmetric surface distance): lower is better.</p>")
    return how + _summary_table(summary) + _measurements(summary.get("measurement"))


def _overlay_section(overlays: dict[str, list[str]] | None) -> str:
    if not overlays:
        return ""
    body = ['<p class="how"><b>How to read this:</b> solid outlines are the reference (truth), dotted outlines '
            "the prediction, one colour pair per class (legend above each picture).</p>"]
    for group, paths in overlays.items():
        figs = []
        for p in _l(paths):
            path = Path(str(p))
            try:
                data = base64.b64encode(path.read_bytes()).decode("ascii")
            except OSError:
                figs.append(f'<figure><p class="nc">Overlay not found: <code>{_e(path)}</code></p></figure>')
                continue
            figs.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_e(group)}: {_e(path.stem)}">'
                        f"<figcaption>{_e(group)}: {_e(path.stem)}</figcaption></figure>")
        body.append(f"<h3>{_e(group)}</h3><div class=\"figs\">{''.join(figs)}</div>")
    return f'<section id="overlays"><h2>Examples</h2>{"".join(body)}</section>'


def _header(m: dict, title: str) -> str:
    classes = ", ".join(map(str, _l(m.get("label_names")))) or None
    split = m.get("split") if isinstance(m.get("split"), str) else None
    fields = [("Bundle", m.get("bundle")), ("Data", m.get("data")), ("Split", split), ("Classes", classes),
              ("Created", m.get("created")), ("meddx version", m.get("meddx_version"))]
    meta = "".join(f"<dt>{k}</dt><dd>{_e(v)}</dd>" for k, v in fields if v is not None)
    warnings = [w for w in _l(m.get("warnings")) if w]
    warn = ('<div class="warn"><h2>Warnings</h2><ul>' + "".join(f"<li>{_e(w)}</li>" for w in warnings)
            + "</ul></div>") if warnings else ""
    return f"<header><h1>{_e(title)}</h1>" + (f'<dl class="meta">{meta}</dl>' if meta else "") + warn + "</header>"


def render_seg_report(metrics: dict[str, Any], *, title: str, overlays: dict[str, list[str]] | None = None) -> str:
    """The HTML text of a segmentation report (self-contained: no external resource, no script).

    Args:
        metrics: a ``summarize_cases`` result (optionally with ``"measurement"``: a
            ``measurement_errors`` result, or a dict name -> such results), or a dict whose
            ``"val"``/``"test"`` keys each hold one; ``label_names``, ``split``, ``bundle``,
            ``data``, ``created``, ``meddx_version`` and ``warnings`` are shown in the header.
        title: page title.
        overlays: caption group (e.g. ``"Worst test cases"``) -> PNG paths to embed.
    """
    from meddx.evaluation.report import _CSP, _CSS

    m = _d(metrics)
    sections = []
    splits = [(key, label) for key, label in _SPLITS if isinstance(m.get(key), dict)]
    if splits:
        for key, label in splits:
            sections.append(f'<section id="{key}"><h2>{label} split</h2>{_split_body(m[key])}</section>')
        method_src = _d(m[splits[-1][0]])
    elif m.get("classes"):
        sections.append(f'<section id="summary"><h2>Summary</h2>{_split_body(m)}</section>')
        method_src = m
    else:
        sections.append('<section id="summary"><h2>Summary</h2><p class="nc">Not computed: the metrics hold no '
                        "per-class summary.</p></section>")
        method_src = {}
    sections.append(_overlay_section(overlays))
    units = _d(method_src.get("unit"))
    method = (f"<p>Per-case metrics from MONAI (Dice, IoU, 95th percentile Hausdorff distance, symmetric average "
              f"surface distance); distances in {_e(units.get('hd95') or 'the recorded unit')}. {_EMPTY_RULES}</p>"
              f"<p>Intervals: {_e(method_src.get('ci_method') or 'none')}"
              + (f", {_num(method_src.get('resamples'))} resamples, level {_num(method_src.get('level'))}"
                 if method_src.get("resamples") else "") + ".</p>")
    body = [_header(m, title)] + sections + [f'<footer id="method"><h2>How these numbers were computed</h2>'
                                            f"{method}</footer>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body><main>\n"
            + "\n".join(s for s in body if s) + "\n</main></body></html>\n")


def write_seg_report(path: Path, metrics: dict[str, Any], *, title: str,
                     overlays: dict[str, list[str]] | None = None) -> Path:
    """Render the segmentation report and write it atomically to ``path``; return the path."""
    return write_text_atomic(path, render_seg_report(metrics, title=title, overlays=overlays))
