"""The model card's measured sections: operating point, performance, baseline, calibration and subgroups,
from the bundle config and the training run's ``metrics.json``.

Split from ``bundle.model_card`` (which re-exports these) to keep each module small.
"""

from __future__ import annotations

from typing import Any

from meddx.bundle.card_checklist import TO_FILL
from meddx.evaluation.report_format import text_number as _fmt
from meddx.evaluation.report_format import text_with_ci as _with_ci


def _operating_section(cfg: dict[str, Any]) -> list[str]:
    from meddx.evaluation.decision import weighted_words as _weighted_words
    from meddx.evaluation.label_temperature import not_fitted_text as _not_fitted
    from meddx.evaluation.label_temperature import temperature_text as _temperature_text
    from meddx.evaluation.operating import describe_rule
    from meddx.evaluation.recalibration import bias_words as _bias_words

    decision, calibration = cfg.get("decision", {}), cfg.get("calibration", {})
    lines = ["## Model output and operating point",
             "- Output: a probability per class"
             + (f", temperature-scaled with {_temperature_text(calibration['temperature'], cfg['label_names'], 3)}"
                + _bias_words(calibration.get("bias")) + " fitted on validation." + _not_fitted(calibration, cfg["label_names"])
                if calibration.get("fitted_on") else " (not recalibrated).")]
    if decision.get("threshold") is not None:
        lines.append(f"- Decision: positive when P({cfg['label_names'][-1]}) >= {decision['threshold']:.4f}, "
                     f"chosen on validation by rule `{decision['rule']}` "
                     f"({describe_rule(decision['rule'], decision.get('resamples'))}) and applied unchanged to every "
                     "other split.")
        rates = decision.get("val") or {}
        lines.append(f"- On validation: sensitivity {_fmt(rates.get('sensitivity'))}, specificity "
                     f"{_fmt(rates.get('specificity'))}.")
    elif decision.get("class_thresholds"):
        pairs = ", ".join(f"{k}: {v:.4f}" for k, v in decision["class_thresholds"].items())
        lines.append(f"- Decision: `{decision['rule']}`{_weighted_words(decision)}; thresholds chosen on validation: {pairs}.")
    else:
        lines.append(f"- Decision: `{decision.get('rule', 'argmax')}` "
                     f"({_weighted_words(decision)[2:] or 'the most probable class'}).")
    return [*lines, ""]


def _performance_section(cfg: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    lines = ["## Performance", "", "95% bootstrap confidence intervals (BCa) in brackets.", "",
             "| split | n | AUC | AUPRC | accuracy | balanced accuracy | macro-F1 |", "|---|---|---|---|---|---|---|"]
    for split in ("val", "test"):
        m = metrics.get(split)
        if not m:
            continue
        ci = m.get("ci") or {}
        lines.append(f"| {split} | {m['n']} | {_with_ci(ci.get('auc'), m.get('auc'))} | "
                     f"{_with_ci(ci.get('auprc'), m.get('auprc'))} | {_with_ci(ci.get('accuracy'), m.get('accuracy'))} | "
                     f"{_with_ci(ci.get('balanced_accuracy'), m.get('balanced_accuracy'))} | "
                     f"{_with_ci(ci.get('macro_f1'), m.get('macro_f1'))} |")
    test = metrics.get("test")
    if test:
        ci = (test.get("ci") or {}).get("per_class", {})
        lines += ["", "Per class on the test split, at the operating point:", "",
                  "| class | support | sensitivity | specificity | PPV | NPV | F1 |", "|---|---|---|---|---|---|---|"]
        for name, pc in test["per_class"].items():
            c = ci.get(name, {})
            lines.append(f"| {name} | {pc['support']} | " + " | ".join(
                _with_ci(c.get(m), pc.get(m)) for m in ("sensitivity", "specificity", "ppv", "npv", "f1")) + " |")
    else:
        lines.append("\nNo test split was evaluated: the numbers above are validation numbers, which chose the "
                     "operating point and the best epoch and are therefore optimistic.")
    return [*lines, ""]


def _calibration_section(metrics: dict[str, Any]) -> list[str]:
    lines = ["## Calibration", "", "| split | ECE before | ECE after | adaptive ECE after | MCE after | Brier after |",
             "|---|---|---|---|---|---|"]
    for split in ("val", "test"):
        cal = (metrics.get(split) or {}).get("calibration")
        if not cal:
            continue
        before, after = cal["before"], cal.get("after") or cal["before"]
        lines.append(f"| {split} | {_fmt(before['ece'])} | {_fmt(after['ece'])} | {_fmt(after['ece_adaptive'])} | "
                     f"{_fmt(after['mce'])} | {_fmt(after['brier'])} |")
    lines += ["", "The temperature was fitted on validation, so validation 'after' numbers are optimistic; read the "
              "test row.", ""]
    return lines


def _baseline_section(metrics: dict[str, Any]) -> list[str]:
    base = metrics.get("baseline")
    if not base:
        return []
    lines = ["## Baseline", "", f"`{base.get('model')}` fitted on the same training data, scored on the same "
             "cases; difference = this model - baseline (paired bootstrap, 95% CI).", "",
             "| split | baseline AUC | baseline macro-F1 | baseline accuracy | Δ AUC | Δ macro-F1 | Δ accuracy |",
             "|---|---|---|---|---|---|---|"]
    for split in ("val", "test"):
        entry = base.get(split)
        if not entry:
            continue
        m, d = entry["metrics"], entry.get("difference") or {}
        ci = m.get("ci") or {}
        lines.append(f"| {split} | " + " | ".join(_with_ci(ci.get(k), m.get(k)) for k in ("auc", "macro_f1", "accuracy"))
                     + " | " + " | ".join(_with_ci(d.get(k), (d.get(k) or {}).get("estimate"))
                                          for k in ("auc", "macro_f1", "accuracy")) + " |")
    return [*lines, ""]


def _subgroup_section(test: dict[str, Any]) -> list[str]:
    groups = test.get("subgroups")
    if not groups:
        return ["## Subgroups", f"Not assessed: no attributes file was given. {TO_FILL}: performance by sex, age, "
                "site and device (train with `attributes: FILE.csv` or run `meddx evaluate --attributes`).", ""]
    lines = ["## Subgroups (test split)", "", "| attribute | group | n | AUC | accuracy | note |", "|---|---|---|---|---|---|"]
    for attribute, entry in groups.items():
        for value, g in entry["groups"].items():
            lines.append(f"| {attribute} | {value} | {g['n']} | {_with_ci(g.get('auc'))} | "
                         f"{_with_ci(g.get('accuracy'))} | {g.get('warning') or ''} |")
        gap = entry.get("largest_gap")
        if gap:
            lines.append(f"| {attribute} | largest gap | | {gap['metric']} {gap['gap']:.3f} between "
                         f"{gap['between'][0]} and {gap['between'][1]} | | {_gap_p(gap)} |")
    return [*lines, ""]


def _gap_p(gap: dict[str, Any]) -> str:
    """The largest gap's permutation p-value adjusted for the comparisons it was picked from (empty in
    bundles evaluated before the test existed, or with ``--bootstrap 0``)."""
    if gap.get("p_adjusted") is None:
        return ""
    return (f"p = {_fmt(gap['p_adjusted'])} adjusted for the {gap['n_comparisons']} comparisons it was picked from "
            f"(permutation test; unadjusted p = {_fmt(gap.get('p_value'))})")
