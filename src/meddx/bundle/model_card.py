"""The bundle's ``model_card.md``, written from facts the run knows, mapped to TRIPOD+AI.

TRIPOD+AI (Collins et al., BMJ 2024;385:e078378) lists what a report of a clinical prediction
model built with AI must state. A meddx run knows some of it exactly (data, splits, model,
training, performance with CIs, calibration, subgroups, duplicates found); the rest (setting,
eligibility, ethics, ...) only the developer knows. The card fills the first kind and lists
the second as "to fill", so nothing is silently missing. No library writes such a card from a
run, hence this module.
"""

from __future__ import annotations

import datetime
from typing import Any

from meddx.bundle.card_privacy import _federated_section, _privacy_section  # noqa: F401  (re-exported)
from meddx.evaluation.report_format import text_number as _fmt
from meddx.evaluation.report_format import text_with_ci as _with_ci

TO_FILL = "**to fill**"

# (item, topic, where this card covers it or None when the developer must fill it in)
TRIPOD_AI_ITEMS: tuple[tuple[str, str, str | None], ...] = (
    ("1", "Title: development/evaluation of a prediction model, population, outcome", None),
    ("2", "Abstract", None),
    ("3a-c", "Background: healthcare context, rationale, known models", None),
    ("4", "Objectives, including intended use and users", "Intended use"),
    ("5a", "Data sources", "Data"),
    ("5b", "Dates of data collection", None),
    ("6a-c", "Setting, eligibility criteria, treatments received", None),
    ("7", "Data preparation (pre-processing, quality checks)", "Model; Data (duplicates)"),
    ("8a", "Outcome definition and timing", "Outcome"),
    ("8b-c", "Outcome assessment: who, blinding", None),
    ("9a-c", "Predictors: choice, definition, assessment", "Model (input: the image)"),
    ("10", "Sample size", "Data"),
    ("11", "Missing data", None),
    ("12a", "Use of the data: development, validation, test", "Data"),
    ("12b", "Handling of predictors (pre-processing)", "Model"),
    ("12c", "Model type, building, hyperparameter choice, internal validation", "Model; Training"),
    ("12d", "Heterogeneity across clusters (e.g. sites)", "Subgroups (when attributes were given)"),
    ("12e", "Performance measures, including calibration", "Performance; Calibration"),
    ("12f", "Model updating / recalibration", "Calibration (temperature on validation)"),
    ("13", "Class imbalance handling", "Training"),
    ("14", "Fairness", "Subgroups"),
    ("15", "Model output and decision threshold", "Operating point"),
    ("16", "Differences between development and evaluation data", "Limitations"),
    ("17", "Ethical approval", None),
    ("18a-f", "Funding, conflicts, protocol, registration, data and code availability", None),
    ("19", "Patient and public involvement", None),
    ("20a", "Flow of participants, numbers per split", "Data"),
    ("20b-c", "Participant characteristics, development vs evaluation", None),
    ("21", "Number of participants and outcome events in each analysis", "Data"),
    ("22", "Full model specification", "Model (weights in this bundle)"),
    ("23a", "Model performance with confidence intervals", "Performance"),
    ("23b", "Performance in key subgroups", "Subgroups"),
    ("24", "Model updating results", None),
    ("25", "Interpretation", None),
    ("26", "Limitations", "Limitations (found automatically; add your own)"),
    ("27a-c", "Usability: poor-quality input, users' expertise, future research", None),
)


def render_model_card(cfg: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Markdown model card from a bundle's ``config.json`` and training ``metrics.json``."""
    import meddx

    card = cfg.get("card", {})
    today = datetime.date.today().isoformat()
    lines = [
        f"# Model card: {cfg['name']}",
        "",
        f"Written by meddx {meddx.__version__} on {today} from what the training run measured. "
        f"Items marked {TO_FILL} are known only to the developer (see the TRIPOD+AI checklist at the end).",
        "",
        "## Intended use",
        card.get("intended_use") or f"{TO_FILL}: the clinical question, population, setting and users "
        "(set `intended_use` in the training config).",
        "",
        "Research use. Not a medical device: validate on data from the intended site, population and device before "
        "any clinical use.",
        "",
        "## Outcome",
        card.get("outcome") or f"{TO_FILL}: how and when the reference label was determined "
        "(set `outcome` in the training config).",
        f"Task: {cfg['task']} classification; labels: {', '.join(cfg['label_names'])}.",
        "",
        *_data_section(cfg, metrics.get("dataset")),
        *_model_section(cfg),
        *_privacy_section(cfg.get("privacy")),
        *_federated_section(cfg),
        *_operating_section(cfg),
        *_performance_section(cfg, metrics),
        *_baseline_section(metrics),
        *_calibration_section(metrics),
        *_subgroup_section(metrics.get("test") or {}),
        *_limitations_section(cfg, metrics),
        *_checklist(),
    ]
    return "\n".join(lines) + "\n"


def _data_section(cfg: dict[str, Any], dataset: dict[str, Any] | None) -> list[str]:
    training = cfg.get("training", {})
    lines = ["## Data", f"- Source: `{training.get('data')}`"]
    if dataset:
        names = dataset["label_names"]
        lines += ["", f"| split | n | patients | {' | '.join(names)} |", "|---|---|---|" + "---|" * len(names)]
        for split, s in dataset["splits"].items():
            patients = "n/a" if s.get("patients") is None else s["patients"]
            lines.append(f"| {split} | {s['n']} | {patients} | " + " | ".join(str(s["classes"].get(n, 0)) for n in names)
                         + " |")
        lines.append("")
        dup = dataset.get("duplicates")
        if dup:
            lines.append(f"- Duplicate check (`meddx data verify`): {dup['exact_groups']} exact and {dup['near_groups']} "
                         f"near-duplicate groups, {dup['cross_split']} samples with a copy on another split, "
                         f"{dup['conflicting_labels']} groups with conflicting labels, "
                         f"{dup['patients_across_splits']} patients on several splits.")
        else:
            lines.append("- Duplicates: not checked (training ran with `verify: false`).")
    lines += [f"- {note}" for note in training.get("source_notes", [])]
    lines += [f"- Dates of collection, setting and eligibility: {TO_FILL}.", ""]
    return lines


def _model_section(cfg: dict[str, Any]) -> list[str]:
    pre, training = cfg["preprocessing"], cfg.get("training", {})
    plan, reasons = training.get("plan") or {}, training.get("plan_reasons") or {}
    lines = [
        "## Model and training",
        f"- Architecture: `{cfg['model']['name']}` with {cfg['model']['args']}; weights in `weights.safetensors`.",
        _input_line(pre),
        *orientation_line(cfg),
        f"- Test-time augmentation: {', '.join(cfg.get('tta') or []) or 'none'}.",
        f"- Seed {training.get('seed')}; validation fraction {training.get('val_fraction')} when carved.",
    ]
    for key in ("epochs", "batch_size", "augment", "lr", "weight_decay", "precision", "class_weights",
                "early_stopping_patience", "checkpoint", "embedding_init", "ensemble", "train_batches"):
        if key in plan and (plan[key] is not None or key != "train_batches"):  # text: a budget under one epoch
            why = f" ({reasons[key]})" if key in reasons else ""
            lines.append(f"- {key}: {plan[key]}{why}")
    lines += epochs_lines(training)
    kept = epoch_note(training.get("kept_epoch") or [])
    lines += [f"- Hyperparameters are meddx defaults or the automatic plan; {kept}. Nothing was tuned on the test split.",
              ""]
    return lines


def epochs_lines(training: dict[str, Any]) -> list[str]:
    """``- epochs run: ...`` for the network, or one line per network of an ensemble
    (``training.networks``), each naming a last epoch the time limit cut; none without a record."""
    plan = training.get("plan") or {}
    networks = [n for n in training.get("networks") or [] if isinstance(n, dict)]
    return [_epochs_line(record, plan, f"network {record.get('network')} of {len(networks)}: " if networks else "")
            for record in networks or ([training] if training.get("epochs_run") is not None else [])]


def _epochs_line(record: dict[str, Any], plan: dict[str, Any], who: str) -> str:
    """The epochs a network ran of those planned, a cut last epoch, and whose weights it kept; ``who``
    names the network of an ensemble (each has its own epochs, ``training.networks``)."""
    planned = record.get("epochs") if who else plan.get("epochs")
    run, at = record.get("epochs_run"), record.get("kept_weights_epoch")
    if run is None:
        return f"- {who}no training record"
    return (f"- {who}epochs run: {run} of {planned if planned is not None else '?'} planned"
            + (" (stopped early)" if isinstance(planned, int) and run < planned else "")
            + _cut_note(record.get("cut_epoch"))
            + (f"; the weights are those after epoch {at + 1} (counted from 1; epoch {at} in the run's "
               "logs and checkpoint names, which count from 0)" if at is not None else ""))


def epoch_note(kept: list[str]) -> str:
    """How the kept epoch was chosen (one entry per trained network), for metrics and model cards."""
    if all(k == "best" for k in kept):  # also bundles written before the choice existed (no record)
        return "the best epoch on val was kept"
    if all(k == "final" for k in kept):
        return "the final epoch of the schedule was kept (not chosen on val)"
    return "each network kept its final epoch, or its best on val where training stopped early"


def _cut_note(cut: Any) -> str:
    """How far the time limit let an epoch run (``training.cut_epoch``), or ""."""
    from meddx.training.run import cut_epoch_text

    text = cut_epoch_text(cut)
    return f" ({text}; the best validation epoch was kept)" if text else ""


def orientation_line(cfg: dict[str, Any]) -> list[str]:
    """How an image bundle reads volumes (``config["orientation"]``, see ``data.orientation``); a reader
    must know it, because a volume seen in another voxel order is a mirror image to the network.
    Nothing for documents, tables and series (they have no voxels)."""
    if cfg.get("modality") in ("text", "series", "tabular"):
        return []
    code = cfg.get("orientation")
    if not code:
        return ["- Orientation: volumes are read in each file's stored voxel order (this bundle has no "
                "`orientation` in config.json: it was written before meddx turned volumes to RAS+), so a volume "
                "stored in another orientation (LPS, permuted axes) is seen mirrored or transposed."]
    return [f"- Orientation: 3D volumes (NIfTI, DICOM series) are read turned to {code}+ (`orientation: {code}` in "
            "config.json; nibabel's closest canonical orientation: axis flips and permutations only, no resampling), "
            "in training, evaluation and prediction alike, whatever order the file stores; 2D images and single "
            "slices are read in their stored (display) order."]


def _input_line(pre: dict[str, Any]) -> str:
    if pre.get("description"):  # tables (and any input kind that describes itself)
        return f"- Input: {pre['description']}."
    if pre.get("kind") == "tokenizer":
        return (f"- Input: documents tokenised by a `{pre['tokenizer']}` tokenizer (vocabulary {pre.get('vocab_size')}, "
                f"fitted on the training documents only; `tokenizer.json`), at most {pre['max_length']} tokens.")
    return (f"- Input: {pre['channels']} channel(s), resized to {pre['spatial_size']}, intensity scaling "
            f"`{pre['scaling']}`, normalised with the training split's mean and standard deviation (fitted on "
            "training only).")


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


def _checklist() -> list[str]:
    lines = ["## TRIPOD+AI checklist", "", "| item | topic | in this card |", "|---|---|---|"]
    for item, topic, where in TRIPOD_AI_ITEMS:
        lines.append(f"| {item} | {topic} | {where or TO_FILL} |")
    lines += ["", "Items marked to fill are for the developer to add before publication (Collins et al., "
              "BMJ 2024;385:e078378)."]
    return lines
