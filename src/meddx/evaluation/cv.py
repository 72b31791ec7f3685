"""K-fold cross-validation (``meddx cv``): per-fold and mean ± sd metrics, out-of-fold predictions.

The development data (train, plus val when the source has one) is cut into K folds with
scikit-learn's ``StratifiedGroupKFold``: stratified by label and grouped by patient, or, without
patient ids, by identical content (so byte-identical copies never sit on both sides), with near
copies joined to those groups (:mod:`meddx.evaluation.cv_folds`). Each fold
trains the normal way (``training.fit`` with a validation split carved from its training part,
temperature and threshold chosen there) and is tested on its held-out fold. A source's own test
split is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import ImageSource, SplitData
from meddx.evaluation.cv_checks import (fallback_warning, fold_gaps, fold_stats, fold_warnings, gap_warning,
                                        size_warning, threshold_fallback)
from meddx.evaluation import cv_plan
from meddx.evaluation.cv_baseline import baseline_summary as _baseline_summary  # noqa: F401  (tests import it here)
from meddx.evaluation.cv_baseline import deciding_scores as _deciding_scores
from meddx.evaluation.cv_baseline import metric_intervals_of  # noqa: F401
from meddx.evaluation.cv_folds import (ahead_of_training, check_patient_column, development_split,
                                       fold_near_copies, grouping_hint, make_folds, recorded_iterative,
                                       unused_test_note)
from meddx.evaluation.cv_resume import FoldOutcome, fold_bundle, fold_outcomes, pooling_interrupts

SUMMARY_METRICS = ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1")


def cross_validate(config: Any = None, folds: int | None = None, out: str | Path | None = None, progress: bool = False,
                   resume: str | Path | None = None, say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train and test one model per fold (``folds``, default 5); write ``cv.json`` and
    ``oof_predictions.csv`` to ``out``.

    Returns the ``cv.json`` content: ``folds`` (per-fold metrics, threshold and temperature
    (multi-label: one per label), bundle), ``mean``/``sd`` over folds, ``pooled`` (threshold-free
    AUC/AUPRC with bootstrap CIs over all out-of-fold predictions; each fold's decisions used its
    own threshold) and ``how``.
    A cross-validation that fails before writing anything leaves no empty run folder.

    ``resume``: the folder of an interrupted run (instead of ``out``): its finished folds are reused,
    the others trained, and its ``cv.json`` is the one an uninterrupted run writes. ``config`` and
    ``folds`` default to the recorded ones; given, they must be the same (:mod:`meddx.evaluation.cv_plan`).
    ``say``: called with one line per fold saying whether it is reused or trained.
    """
    from meddx.registry.run_log import recording_run, resumed
    from meddx.training.run import removing_empty_runs

    plan = None
    if resume is not None:
        from meddx.evaluation.cv_plan import read_plan, recorded_config

        if out is not None and Path(out).resolve() != Path(resume).resolve():
            raise ConfigError(f"--out {out} and --resume {resume}: a resume writes into the folder it resumes; give one")
        plan, out = read_plan(resume), Path(resume)
        config = recorded_config(plan) if config is None else config
        folds = plan["k"] if folds is None else folds
        cv_plan.check_same_settings(out, plan, cv_plan.settings_record(config, folds))  # before the data is read
    elif config is None:
        raise ConfigError("no training config given: pass a TrainConfig, or the folder of an interrupted cv to resume")
    folds = 5 if folds is None else folds
    with recording_run(config) as session, removing_empty_runs():  # its folder is a run in `registry runs`
        if plan is not None:
            resumed(Path(out))  # type: ignore[arg-type]  # its row (or a new one) is running again
        summary = _cross_validate(config, folds, out, progress, plan, say or (lambda line: None))
        session.finished(Path(summary["out_dir"]), {f"cv_{k}": v for k, v in summary["mean"].items()
                                                    if isinstance(v, (int, float))}
                         | {"pooled_auc": _value(summary["pooled"].get("auc"))})
        return summary


def _check_source_kind(config: Any, source: ImageSource, say: Callable[[str], None]) -> None:
    """Refuse the options the source's kind never reads (``training.config_kinds``) before the folds are
    made and ``--out`` is created (each fold's fit refused them only after, leaving an empty folder), and
    say once the note naming gradient options a scikit-learn model ignores (each fold's fit records it
    in its run's data.json, where no one saw it)."""
    from meddx.training.config_kinds import check_fields_apply, gradient_only_note, source_kind

    kind = source_kind(source)
    check_fields_apply(config, kind)
    note = gradient_only_note(config, kind)
    if note:
        say(f"note: {note}")


def _value(interval: Any) -> float | None:
    """The point estimate of a pooled metric (``{"estimate", "percentile", ...}``, or a bare number)."""
    return interval.get("estimate") if isinstance(interval, dict) else interval


def _cross_validate(config: Any, folds: int, out: str | Path | None, progress: bool, plan: dict[str, Any] | None,
                    say: Callable[[str], None]) -> dict[str, Any]:
    from meddx.core.files import write_json_atomic
    from meddx.data.sources import load_source
    from meddx.training import run as runlib
    from meddx.training.distributed import elastic_rank, one_process_hint
    from meddx.evaluation.output_dirs import check_out_folder

    check_out_folder(out, "--out")  # an existing file: refused now, not after reading the source and folding it

    if config.devices * config.num_nodes > 1 or elastic_rank() is not None:  # torchrun: one process, not N
        hint = one_process_hint() if elastic_rank() is not None else "set devices: 1"
        raise ConfigError(f"meddx cv trains its folds one after another in one process; {hint}")
    from meddx.data.segmentation import is_segmentation_source

    if is_segmentation_source(config.data):
        raise ConfigError(f"{config.data}: a segmentation source (images + masks); meddx cv cross-validates "
                          "classifiers. Train it with `meddx train --data ...`, which carves val and test by patient")
    source = load_source(config.data, carve_val=False, text_options=config.text_options,
                         options=config.source_options)
    dev = development_split(source)
    check_patient_column(config, dev)  # an image source reads no column it names: refused, not ignored
    if plan is None:  # a resume's config is the recorded one, checked when its run began (as fit's resume)
        _check_source_kind(config, source, say)
    fold_index, how = make_folds(dev, source.origin, folds, config.seed, source=source,  # a resume: as it began
                                 iterative=recorded_iterative(plan))
    check_folds_trainable(source, dev, fold_index, how, config)
    gaps = fold_gaps(dev, fold_index, list(source.label_names))  # classes a fold's held-out part lacks
    name = config.name or source.name
    out_dir = Path(out) if out else runlib.new_run_dir(f"{name}-cv{folds}")
    now = cv_plan.plan_record(config, folds, how, dev, fold_index)
    if plan is not None:  # a resume: the same settings, data and folds, or refused before anything trains
        cv_plan.check_same_run(out_dir, plan, now)
    else:
        cv_plan.check_not_interrupted(out_dir)
        from meddx.bundle.bundle import check_destination_free

        for k in range(len(fold_index)):  # before fold 0 trains, not when fold k is saved
            check_destination_free(out_dir / f"fold{k}", "--out")
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out_dir / cv_plan.PLAN_FILE, cv_plan.started_in(out_dir, now))  # what a resume finds again
        if out:  # a --out folder is a run of `registry runs` too: interrupted, it lists its resume command
            from meddx.registry.run_log import created

            created(out_dir, f"{name}-cv{folds}")

    def fold_of(k: int) -> ImageSource:  # built when needed: K copies of the images would cost K times the memory
        return fold_source(source, dev, fold_index[k], k, len(fold_index), how, config)

    for line in [unused_test_note(source, dev)] + (ahead_of_training(dev, fold_index, gaps, list(source.label_names))
                                                   if plan is None else []):
        if line:  # after every refusal (one line each), while --folds can still be changed
            say(line)
    outcomes = fold_outcomes(len(fold_index), out_dir, plan, say,  # a resumed fold's run: its data.json checked
                             lambda k, run: _train_fold(fold_of(k), k, config, name, out_dir, progress, run),
                             lambda k, run: runlib.check_same_data(run, fold_of(k)))
    with pooling_interrupts(out_dir, len(fold_index)):  # a Ctrl-C from here on: the resume only pools
        return _summary(config, folds, source, dev, fold_index, how, gaps, out_dir, outcomes)


def _summary(config: Any, folds: int, source: ImageSource, dev: SplitData, fold_index: list[np.ndarray], how: str,
             gaps: list[list[str]], out_dir: Path, outcomes: list[FoldOutcome]) -> dict[str, Any]:
    """Pool the folds' outcomes into ``cv.json`` and ``oof_predictions.csv`` (written into ``out_dir``)."""
    from meddx.core.files import write_json_atomic
    from meddx.evaluation.intervals import metric_intervals
    from meddx.evaluation.evaluate import SplitPredictions, write_predictions
    from meddx.evaluation.cv_cuts import cut_folds
    from meddx.evaluation.cv_lines import interval_record

    per_fold: list[dict[str, Any]] = []
    oof: list[tuple[int, SplitPredictions, list[str]]] = []
    baseline_oof: list[SplitPredictions] = []
    weighted = False  # a class-weighted multi-class fold decides by its own weights (evaluation.decision)
    deciding: list[np.ndarray] = []  # per fold: scores whose argmax is the fold's own multi-class decision
    base_weighted, base_deciding = False, []  # the same for the bundled baseline (its decision.class_weights)
    own_warnings: list[list[str]] = []  # each fold's metrics.json warnings
    for k, outcome in enumerate(outcomes):
        oof.append((k, outcome.preds, outcome.decided))
        weighted = weighted or outcome.weighted  # argmax p_k·w_k, own w
        deciding.append(outcome.deciding)
        per_fold.append(dict(outcome.entry))
        own_warnings.append(list(outcome.warnings))
        if gaps[k]:
            per_fold[-1]["missing_classes"] = gaps[k]
        if outcome.baseline is not None:
            baseline_oof.append(outcome.baseline)
            base_weighted = base_weighted or outcome.base_weighted
            base_deciding.append(outcome.base_deciding)

    shared = [str(w) for w in getattr(source, "warnings", None) or []]
    pooled_preds = _pool([p for _, p, _ in oof])
    fold_column = [k for k, p, _ in oof for _ in p.ids]
    decided = [d for _, _, ds in oof for d in ds]
    write_predictions(out_dir / "oof_predictions.csv", pooled_preds, list(source.label_names),
                      extra={"fold": fold_column, "predicted": decided})
    pooled = metric_intervals(pooled_preds.labels, pooled_preds.probs, source.task, label_names=list(source.label_names),
                              groups=_patient_groups(pooled_preds), n_resamples=cv_resamples(config),
                              seed=config.seed, scores=pooled_preds.scores)
    pooled_auc = pooled["auc"], pooled["auprc"]  # of the (recalibrated) probabilities themselves
    pooled_extra, decisions = {}, None
    if source.task == "multiclass":  # argmax decisions need no per-fold threshold: pool them too
        if weighted:  # each fold's own argmax p_k·w_k, as its labels in oof_predictions.csv
            decisions = replace(pooled_preds, probs=np.concatenate(deciding))
            pooled = {**pooled, **metric_intervals(decisions.labels, decisions.probs, source.task,
                                                   label_names=list(source.label_names),
                                                   groups=_patient_groups(pooled_preds),
                                                   n_resamples=cv_resamples(config), seed=config.seed)}
            pooled["auc"], pooled["auprc"] = pooled_auc
        pooled_extra = {m: pooled[m] for m in ("accuracy", "balanced_accuracy", "macro_f1")}
    summary = {
        "data": config.data, "task": source.task, "label_names": list(source.label_names), "folds": per_fold,
        "k": folds, "how": how, "fold_near_copies": fold_near_copies(source, dev), "n": len(dev),
        "n_test_unused": len(source.splits["test"]) if "test" in source.splits else 0,  # the source's own test split
        **_mean_sd(per_fold, gaps),
        "pooled": {"auc": pooled["auc"], "auprc": pooled["auprc"], **pooled_extra, "n": len(pooled_preds.ids),
                   **interval_record(pooled),  # the method, level, resamples and unit of the bounds (cv_lines)
                   "note": "out-of-fold probabilities pooled over folds; threshold-free metrics (and argmax ones "
                           "for multi-class) only, because each fold chose its own threshold"
                           + ("; multi-class folds decided by argmax p_k·w_k with their own class weights: the "
                              "argmax metrics pool those decisions" if weighted else "")},
        "out_dir": str(out_dir), "cut_folds": cut_folds(per_fold),
        "warnings": shared  # the source's own (a table's zero codes), once, not once per fold
                    + [w for w in (gap_warning(gaps, dev, list(source.label_names)), size_warning(dev, fold_index),
                                   fallback_warning(per_fold)) if w] + fold_warnings(own_warnings, shared),
    }
    if len(baseline_oof) == len(per_fold):
        base_decisions = (replace(_pool(baseline_oof), probs=np.concatenate(base_deciding))
                          if base_weighted and source.task == "multiclass" else None)
        summary["baseline"] = _baseline_summary(per_fold, baseline_oof, pooled_preds, source, config,
                                                decisions=decisions, base_decisions=base_decisions)
    write_json_atomic(out_dir / "cv.json", summary)
    return summary


def _train_fold(fold: ImageSource, k: int, config: Any, name: str, out_dir: Path, progress: bool,
                resume_from: Any = None) -> FoldOutcome:
    """Train fold ``k`` (its source ``fold``) into ``out_dir/foldK`` and take what cv.json needs from it;
    ``resume_from``: its interrupted training run (``cv_fold_runs.FoldRun``), continued from its last finished
    epoch (``training.fit``'s resume: the run's own config and plan), or, when it saved the fold's bundle
    before the interrupt, only read back (``cv_saved``)."""
    from meddx.bundle.bundle import load_bundle
    from meddx.core.files import to_json
    from meddx.evaluation.evaluate import decided_labels
    from meddx.training.fit import fit

    if resume_from is not None and resume_from.saved is not None:
        from meddx.evaluation.cv_saved import saved_fit_result

        result = saved_fit_result(resume_from.path, resume_from.saved, fold)
    elif resume_from is not None:
        result = fit(None, resume=resume_from.path, source=fold, progress=progress)
    else:  # its run's config.json names the bundle absolutely: a resume from another folder finds the run and
        # saves the bundle into this cv's folder, not into a relative path taken from the resume's folder
        bundle = str(fold_bundle(out_dir, k).absolute())
        fold_cfg = config.model_copy(update={"name": f"{name}-fold{k}", "output": bundle, "add_to_registry": False,
                                             "verify": False, "evaluate_test": True})
        result = fit(fold_cfg, source=fold, progress=progress)
    predictor = load_bundle(result.bundle_path)  # its threshold and temperature decide the fold's labels
    preds = result.predictions["test"]  # already predicted (and calibrated) by training
    weights = getattr(predictor, "decision_weights", None)  # argmax p_k·w_k (evaluation.decision)
    base = result.predictions.get("baseline_test")
    # a multi-class text baseline with its shift removed decides by argmax p_k·w_k (its own w)
    base_weights = ((predictor.config.get("baseline") or {}).get("decision") or {}).get("class_weights")
    entry = _fold_entry(k, fold, result, predictor) | {"bundle": str(fold_bundle(out_dir, k))}  # --out as given
    return FoldOutcome(
        entry=json.loads(to_json(entry)),  # as a resume reads it back
        warnings=list(result.metrics.get("warnings") or []), preds=preds,
        decided=decided_labels(predictor, preds.probs), deciding=_deciding_scores(preds.probs, weights),
        weighted=weights is not None, baseline=base,
        base_deciding=None if base is None else _deciding_scores(base.probs, base_weights),
        base_weighted=base is not None and base_weights is not None)


def fold_source(source: ImageSource, dev: SplitData, test_idx: np.ndarray, k: int, folds: int, how: str,
                config: Any) -> ImageSource:
    """Fold ``k``'s source: its held-out part as ``test``, the rest as ``train`` with ``val`` carved from it."""
    from meddx.data.splits import carve_validation

    train_idx = np.setdiff1d(np.arange(len(dev)), test_idx)
    fold = replace(source, name=f"{source.name}-fold{k}", origin=f"{source.origin} (fold {k + 1}/{folds})",
                   splits={"train": dev.subset(train_idx), "test": dev.subset(test_idx)}, notes=[how])
    return carve_validation(fold, fraction=config.val_fraction, seed=config.seed)


def check_folds_trainable(source: ImageSource, dev: SplitData, fold_index: list[np.ndarray], how: str,
                          config: Any) -> None:
    """Refuse, before fold 0 trains, folds whose training part lacks a class (or a label's positives or
    negatives): each fold's ``fit`` would refuse it, after the folds before it had trained for nothing
    (a class held by one patient is in one fold only). Each fold's source is built (and its val carved)
    as the training loop builds it, then dropped: holding every fold's copy of the images would cost K times
    the memory. A fold whose val cannot be carved is refused with the carve's own message."""
    from meddx.training.plan import check_classes_present

    for k, test_idx in enumerate(fold_index):
        fold = fold_source(source, dev, test_idx, k, len(fold_index), how, config)
        try:
            check_classes_present(fold)
        except DataError as exc:
            hint = grouping_hint(dev, test_idx, how)
            raise DataError(f"{exc}{hint}") from None


def cv_resamples(config: Any) -> int:
    """Bootstrap resamples of the pooled intervals: ``ci_resamples: 0`` means none (estimates with
    null bounds, as ``meddx evaluate --bootstrap 0``), never a token 10; 1 to 9 are raised to 10."""
    return 0 if config.ci_resamples == 0 else max(config.ci_resamples, 10)


def _fold_entry(k: int, fold: ImageSource, result: Any, predictor: Any) -> dict[str, Any]:
    from meddx.evaluation.cv_cuts import fold_cuts

    test = result.metrics["test"]
    entry: dict[str, Any] = {
        "fold": k, "n_train": len(fold.split("train")), "n_val": len(fold.split("val")), "n_test": test["n"],
        **{m: test.get(m) for m in SUMMARY_METRICS},
        "threshold": decision_thresholds(predictor), "temperature": predictor.temperature,
        "bundle": str(result.bundle_path),
        # thresholds that fell back to 0.5: the fold's val lacked a class (evaluation.cv_checks)
        "threshold_fallback": threshold_fallback((getattr(predictor, "config", None) or {}).get("decision"),
                                                 list(fold.label_names)),
        "cut_epochs": fold_cuts(getattr(result, "run_dir", None)),  # epochs the time limit stopped mid-way
    }
    if getattr(predictor, "decision_weights", None) is not None:  # decided by argmax p_k·w_k (evaluation.decision)
        entry["decision_weights"] = [float(w) for w in predictor.decision_weights]
    base = (result.metrics.get("baseline") or {}).get("test")
    if base:
        entry["baseline"] = {m: base["metrics"].get(m) for m in SUMMARY_METRICS}
        entry["baseline_model"] = result.metrics["baseline"].get("model")
    if fold.task == "binary":
        positive = test["per_class"][fold.label_names[1]]
        entry.update(sensitivity=positive["sensitivity"], specificity=positive["specificity"])
    return entry


def decision_thresholds(predictor: Any) -> float | dict[str, float] | None:
    """The thresholds that decided a fold's labels: each label's for a multi-label bundle (its single
    ``threshold`` is null there, and cv.json recorded that null), else the binary threshold (null for
    multi-class argmax)."""
    per_label = getattr(predictor, "class_thresholds", None)
    if getattr(predictor, "task", None) == "multilabel" and per_label:
        return dict(per_label)
    return predictor.threshold


def _mean_sd(per_fold: list[dict[str, Any]], gaps: list[list[str]]) -> dict[str, Any]:
    """``mean``, ``sd`` and ``mean_folds`` (folds each mean is over) of the per-fold metrics; folds whose
    held-out part lacks a class are left out of the class-averaged ones (:mod:`meddx.evaluation.cv_checks`)."""
    mean, sd, count = fold_stats(per_fold, gaps, _fold_metric_names(per_fold))
    return {"mean": mean, "sd": sd, "mean_folds": count}


def _fold_metric_names(per_fold: list[dict[str, Any]]) -> list[str]:
    return [m for m in (*SUMMARY_METRICS, "sensitivity", "specificity") if m in per_fold[0]]


def _patient_groups(preds: Any) -> np.ndarray | None:
    """Patient ids of pooled predictions (bootstrap resamples whole patients), or ``None``."""
    return None if preds.patient_ids is None else np.asarray(preds.patient_ids)


def _pool(parts: list[Any]) -> Any:
    from meddx.evaluation.evaluate import SplitPredictions

    patients = None if any(p.patient_ids is None for p in parts) else [i for p in parts for i in p.patient_ids]
    scores = None  # ranking scores on one scale, the log of each fold's calibrated probabilities
    if any(p.scores is not None for p in parts):
        with np.errstate(divide="ignore"):
            scores = np.concatenate([np.log(p.probs) if p.scores is None else p.scores for p in parts])
    return SplitPredictions(split="oof", ids=[i for p in parts for i in p.ids],
                            labels=np.concatenate([p.labels for p in parts]),
                            probs=np.concatenate([p.probs for p in parts]), patient_ids=patients, scores=scores)
