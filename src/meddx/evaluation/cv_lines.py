"""What ``meddx cv`` prints, and how ``cv.json`` names the method of its pooled intervals.

A researcher copies these lines into a paper, so each number says what it is:

- the per-fold summary is a mean ± sd **over the folds** (sd with ddof 1: how much the folds differ,
  not a confidence interval), which the lines did not say;
- the pooled out-of-fold intervals are bootstrap intervals (BCa, or percentile where BCa is undefined;
  whole patients resampled when the source has patient ids) at a level, over a number of resamples.
  ``cv.json``'s ``pooled`` block kept the estimates and bounds but dropped the level, the resamples and
  the unit (:func:`meddx.evaluation.intervals.metric_intervals` returns them), and the terminal line
  named none of them; the baseline's difference line neither. :func:`interval_record` keeps them, and
  :func:`interval_text` prints them the way ``meddx compare`` prints its bootstrap CIs.
"""

from __future__ import annotations

from typing import Any

from meddx.evaluation.report_format import text_number, text_with_ci

INTERVAL = "BCa bootstrap (percentile where BCa is undefined: bca_fallback)"


def interval_record(intervals: dict[str, Any]) -> dict[str, Any]:
    """How a ``metric_intervals`` or ``paired_difference_intervals`` result was resampled: ``interval`` (the
    method the printed bounds are, the ``bca`` entries), ``level``, ``n_resamples`` (0: no intervals),
    ``seed``, ``unit`` (patient or sample) and ``n_units``."""
    return {"interval": INTERVAL if intervals.get("n_resamples") else "none (ci_resamples: 0)",
            **{k: intervals.get(k) for k in ("level", "n_resamples", "seed", "unit", "n_units")}}


def interval_text(record: dict[str, Any]) -> str:
    """``95% BCa bootstrap CI, 60 patients resampled`` from an :func:`interval_record`; "" without
    intervals (``ci_resamples: 0``) or a record (a ``cv.json`` of an older meddx)."""
    if not record.get("n_resamples") or record.get("level") is None:
        return ""
    return (f"{record['level'] * 100:g}% BCa bootstrap CI, {record.get('n_units')} {record.get('unit')}s "
            f"resampled {record['n_resamples']} times")


def cv_lines(summary: dict[str, Any]) -> list[str]:
    """The stdout lines of ``meddx cv``: how the folds were made, one line per fold, the mean ± sd over folds,
    the pooled out-of-fold intervals and the baseline's (warnings and notices are printed apart, on stderr)."""
    folds = summary["folds"]
    k, over = len(folds), summary.get("mean_folds") or {}
    lines = [summary["how"]]
    lines += [f"  fold {f['fold']}: n_test={f['n_test']}  AUC {text_number(f['auc'])}  accuracy "
              f"{text_number(f['accuracy'])}" for f in folds]
    lines.append(f"  mean ± sd over the {k} folds (sd: the spread between folds, not a confidence interval):")
    for m, mean in summary["mean"].items():
        lines.append(f"  {m}: {text_number(mean)} ± {text_number(summary['sd'].get(m))}"
                     + (f"  ({over[m]} of {k} folds)" if over.get(m, k) < k else ""))
    pooled = summary["pooled"]
    how = interval_text(pooled)
    lines.append(f"  pooled out-of-fold AUC {text_with_ci(pooled['auc'])}"
                 + (f"  macro-F1 {text_with_ci(pooled['macro_f1'])}" if "macro_f1" in pooled else "")
                 + (f"  ({how})" if how else ""))
    base = summary.get("baseline")
    if base:
        lines.append(f"  baseline ({base['model']}): " + "  ".join(
            f"{m} {text_number(v)} ± {text_number(base['sd'].get(m))}" for m, v in base["mean"].items()))
        how = interval_text(base)
        lines.append("  model - baseline (pooled, paired): "
                     + "  ".join(f"{m} {text_with_ci(v)}" for m, v in base["difference"].items())
                     + (f"  ({how})" if how else ""))
    return lines
