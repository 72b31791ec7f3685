"""The model card's "Limitations": what the run can see for itself (small or leaky splits, shift, small
subgroups, the input check's limits), then what only the developer knows (``TO_FILL``).

Split from ``bundle.model_card`` (which re-exports these) to keep each module small.
"""

from __future__ import annotations

from typing import Any

from meddx.bundle.card_checklist import TO_FILL


def _limitations_section(cfg: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    found = limitations(cfg, metrics)
    lines = ["## Limitations", *[f"- {text}" for text in found]]
    lines += [f"- {TO_FILL}: known differences between the development data and the intended population.", ""]
    return lines


def limitations(cfg: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """Limitations the run can see for itself: small samples, leakage, shift, small subgroups."""
    found: list[str] = []
    test, val = metrics.get("test") or {}, metrics.get("val") or {}
    dataset = metrics.get("dataset") or {}
    if not test:
        found.append("No independent test split: only validation performance is known.")
    if test and test.get("n", 0) < 100:
        found.append(f"Small test split (n={test['n']}): the confidence intervals are wide.")
    ci_auc = ((test.get("ci") or {}).get("auc") or {}).get("bca") or [None, None]
    if None not in ci_auc and ci_auc[1] - ci_auc[0] > 0.1:
        found.append(f"The test AUC interval is wide ({ci_auc[0]:.3f}–{ci_auc[1]:.3f}).")
    from meddx.evaluation.evaluate import leakage_warning

    dup = dataset.get("duplicates")
    leak = leakage_warning(dataset)
    if leak:
        found.append(f"{leak[0].upper()}{leak[1:]}; evaluate on a de-duplicated test set.")
    if dup and dup.get("conflicting_labels"):
        found.append(f"{dup['conflicting_labels']} groups of duplicate images carry different labels (label noise).")
    if val.get("auc") is not None and test.get("auc") is not None and val["auc"] - test["auc"] > 0.05:
        found.append(f"Test AUC ({test['auc']:.3f}) is well below validation AUC ({val['auc']:.3f}): the test split "
                     "may differ from the training distribution.")
    found += _prevalence_shift(dataset)
    found += [f"Subgroup {w}" for w in test.get("subgroup_warnings", [])]
    from meddx.bundle.typicality import card_limit  # the input check, what it cannot do

    return found + card_limit(cfg.get("typicality"), cfg)  # or why the bundle has none (--dp, federated)


def _prevalence_shift(dataset: dict[str, Any]) -> list[str]:
    splits = dataset.get("splits") or {}
    if "train" not in splits or "test" not in splits or not splits["train"]["n"] or not splits["test"]["n"]:
        return []
    out = []
    for name in dataset.get("label_names", []):
        p_train = splits["train"]["classes"].get(name, 0) / splits["train"]["n"]
        p_test = splits["test"]["classes"].get(name, 0) / splits["test"]["n"]
        if abs(p_train - p_test) > 0.1:
            out.append(f"Class '{name}' makes up {p_train:.0%} of training but {p_test:.0%} of test: PPV and NPV "
                       "depend on prevalence and will differ at other sites.")
    return out
