"""The model card's per-label calibration table of a multi-label bundle.

Why: the card's "Calibration" table pools every (sample, label) pair, so one badly calibrated label
hides behind well calibrated ones; a multi-label bundle fits one temperature per label
(``evaluation.label_temperature``), and evaluation scores each label as its own binary problem
(``calibration.per_label`` of ``metrics.json``, ``evaluation.label_calibration``). This table shows
those numbers, unchanged, next to each label's T, for the test split (validation when there is none).
Binary and multi-class bundles, and multi-label bundles evaluated before ``per_label`` existed, get
no table (their cards read exactly as before).
"""

from __future__ import annotations

from typing import Any

from meddx.evaluation.report_format import text_number as _fmt

MAX_ROWS = 20  # as many labels as `meddx evaluate` prints; metrics.json holds all of them


def label_calibration_split(metrics: dict[str, Any]) -> str | None:
    """The split whose ``calibration.per_label`` the card and the API show: test, else val, else None."""
    for split in ("test", "val"):
        per_label = ((metrics.get(split) or {}).get("calibration") or {}).get("per_label")
        if per_label and isinstance(per_label, dict):
            return split
    return None


def label_temperatures(calibration: dict[str, Any], label_names: list[str]) -> dict[str, float | None]:
    """Each label's temperature from the bundle's ``calibration`` (a list, one per label, 1 for a label
    left ``not_fitted``; or one number for every label); ``None`` when no temperature was fitted."""
    t = calibration.get("temperature") if calibration.get("fitted_on") else None
    if isinstance(t, list) and len(t) == len(label_names):
        return {n: float(v) for n, v in zip(label_names, t)}
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return dict.fromkeys(label_names, float(t))
    return dict.fromkeys(label_names)


def label_calibration(cfg: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any] | None:
    """Each label's calibration as the card and ``GET /v1/models`` show it: ``{"split", "labels": {name:
    {"n", "n_positive", "prevalence", "temperature", "not_fitted", "ece_before", "ece_after",
    "in_the_large_after", "mean_predicted_after"}}}``, the numbers of ``calibration.per_label`` unchanged
    (``*_after`` are ``None`` when no temperature was applied); ``None`` unless the bundle is multi-label
    and its metrics hold ``per_label``."""
    split = label_calibration_split(metrics)
    if cfg.get("task") != "multilabel" or split is None:
        return None
    calibration = cfg.get("calibration") or {}
    temperatures = label_temperatures(calibration, [str(n) for n in cfg.get("label_names") or []])
    not_fitted = {str(n) for n in calibration.get("not_fitted") or []}
    labels: dict[str, dict[str, Any]] = {}
    for name, entry in metrics[split]["calibration"]["per_label"].items():
        if not isinstance(entry, dict):  # a hand-edited metrics.json: show what is readable
            continue
        before, after = entry.get("before") or {}, entry.get("after") or {}
        labels[str(name)] = {"n": entry.get("n"), "n_positive": entry.get("n_positive"),
                             "prevalence": entry.get("observed_rate"), "temperature": temperatures.get(str(name)),
                             "not_fitted": str(name) in not_fitted, "ece_before": before.get("ece"),
                             "ece_after": after.get("ece"), "in_the_large_after": after.get("in_the_large"),
                             "mean_predicted_after": after.get("mean_predicted")}
    return {"split": split, "labels": labels}


def label_calibration_section(cfg: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """``### Calibration per label`` (at most ``MAX_ROWS`` rows, then a note): prevalence, T, ECE before
    and after T, calibration-in-the-large after T; nothing unless ``label_calibration`` has numbers."""
    found = label_calibration(cfg, metrics)
    if found is None:
        return []
    split, labels = found["split"], found["labels"]
    lines = ["### Calibration per label", "",
             f"Each label scored alone as a binary model on the {split} split (`calibration.per_label` of "
             "metrics.json): the pooled table above can hide a badly calibrated label behind well calibrated ones. "
             "Prevalence is the label's observed rate on that split; in-the-large is the logistic intercept with "
             "the slope fixed at 1 (0: calibrated on average; below 0: risks too high; above 0: too low)."
             + (" The temperatures were fitted on this split, so the 'after' numbers are optimistic." if split == "val"
                else ""), "",
             "| label | prevalence | T | ECE before T | ECE after T | in-the-large after T |",
             "|---|---|---|---|---|---|"]
    for name, row in list(labels.items())[:MAX_ROWS]:
        t, itl = row["temperature"], row["in_the_large_after"]
        t_text = "T = 1 (not fitted)" if row["not_fitted"] else "none (not recalibrated)" if t is None else f"{t:.3f}"
        itl_text = "n/a" if itl is None else f"{itl:+.3f}"
        lines.append(f"| {name} | {_fmt(row['prevalence'])} ({row['n_positive']} of {row['n']}) | {t_text} | "
                     f"{_fmt(row['ece_before'])} | {_fmt(row['ece_after'])} | {itl_text} |")
    if len(labels) > MAX_ROWS:
        lines.append(f"\n{len(labels) - MAX_ROWS} more labels are not shown: see `calibration.per_label` in "
                     "metrics.json.")
    return [*lines, ""]
