"""Run a bundle over a split of a source and write the clinical evaluation (``meddx evaluate``).

One function, ``assess``, turns predictions into the full ``metrics.json`` (schema in
docs/evaluation.md): point metrics at the bundle's operating point, bootstrap CIs, calibration
before/after temperature scaling, extra operating points chosen on validation, and subgroups.
Training (``training/finish.py``), ``meddx evaluate`` and ``meddx cv`` all call it, so the
numbers in a bundle, a report and a model card are computed the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from meddx.core.files import write_json_atomic, write_text_atomic
from meddx.data.base import ImageSource
from meddx.evaluation.leakage import leakage_warning  # noqa: F401  (re-exported: imported from here before)
from meddx.evaluation.split_warnings import one_class_warning as _one_class_warning
from meddx.evaluation.split_warnings import collapsed_warning as _collapsed_warning
from meddx.evaluation.split_warnings import saturation_warning as _saturation_warning

if TYPE_CHECKING:
    from meddx.bundle.predictor import Predictor

SCHEMA_VERSION = 1


@dataclass
class SplitPredictions:
    """Probabilities of one split, with the ids, true labels and patients they belong to.

    ``probs`` are what ``predict`` returns (temperature-scaled); ``raw_probs`` the network's own,
    kept for the before/after calibration report (``None`` when they are the same); ``scores`` the
    log of ``probs`` computed without rounding them (``calibration.log_calibrated``; ``None`` when
    they are the same), what AUC, AUPRC and DeLong rank (:attr:`ranking`).
    """

    split: str
    ids: list[str]
    labels: np.ndarray
    probs: np.ndarray
    raw_probs: np.ndarray | None = None
    patient_ids: list[str] | None = None
    scores: np.ndarray | None = None

    @property
    def ranking(self) -> np.ndarray:
        """What the ranking metrics rank: ``scores``, else ``probs``. A small temperature rounds the
        calibrated probabilities of distinct cases to exactly 1.0 (ties); their logarithms keep the order."""
        return self.probs if self.scores is None else self.scores


@dataclass
class EvalSettings:
    """How uncertainty and calibration are estimated; stored in ``metrics.json``."""

    n_resamples: int = 1000
    level: float = 0.95
    seed: int = 0
    n_bins: int = 15
    extra_rules: list[str] = field(default_factory=list)


def predictions_from_raw(predictor: Any, split: str, data: Any, raw: np.ndarray) -> SplitPredictions:
    """Wrap raw (uncalibrated) probabilities of a split; the bundle's temperature is applied here, and
    the ranking scores (the log of the calibrated probabilities, without their ties at 1.0) made."""
    probs = predictor.calibrate(raw)
    scores = None
    if probs is not raw:
        from meddx.evaluation.calibration import log_calibrated

        scores = log_calibrated(raw, predictor.temperature, predictor.task, bias=predictor.calibration_bias)
    return SplitPredictions(split=split, ids=list(data.ids), labels=np.asarray(data.labels), probs=probs,
                            raw_probs=None if probs is raw else raw, patient_ids=data.patient_ids, scores=scores)


def predict_split(predictor: Any, source: ImageSource, split: str, batch_size: int | None = None) -> SplitPredictions:
    """Preprocess a split with the bundle's fitted preprocessing and predict it one pass at a time, no
    pass of a single image (``batch_size`` ``None``: the predictor's own, scaled to the input size)."""
    data = source.split(split)
    if data.texts is not None:  # documents: the text predictor tokenises them itself
        return predictions_from_raw(predictor, split, data, predictor.predict_texts(data.texts, calibrated=False))
    if data.table is not None and hasattr(predictor, "file_rows"):  # a table: an error names the file's row
        rows = predictor.file_rows(source, split)
        return predictions_from_raw(predictor, split, data, predictor.predict_split_data(data, False, rows))
    if data.records is not None or data.table is not None:  # series, tables: the predictor encodes the split
        return predictions_from_raw(predictor, split, data, predictor.predict_split_data(data, calibrated=False))
    from meddx.data.orientation import reading_for
    from meddx.evaluation.image_passes import predict_images  # never a pass of one image (its module docstring)

    with reading_for(predictor):  # volumes in the voxel orientation the bundle was trained on
        raw = predict_images(predictor, source, split, len(data), batch_size)
    return predictions_from_raw(predictor, split, data, raw)


def metrics_for(predictor: Any, preds: SplitPredictions) -> dict[str, Any]:
    """Point metrics at the bundle's own decision rule (its threshold(s), chosen on validation)."""
    from meddx.evaluation.metrics import classification_metrics

    metrics = classification_metrics(preds.labels, preds.probs, predictor.task, threshold=predictor.decision_thresholds,
                                     label_names=predictor.label_names, scores=preds.scores)
    metrics["split"] = preds.split
    return metrics


def _groups(preds: SplitPredictions) -> np.ndarray | None:
    """Patient ids for resampling whole patients, when the source has them."""
    return None if preds.patient_ids is None else np.asarray(preds.patient_ids)


def assess(
    predictor: Any,
    preds: SplitPredictions,
    settings: EvalSettings | None = None,
    *,
    val: SplitPredictions | None = None,
    attributes: Any = None,
    n_val: int | None = None,
) -> dict[str, Any]:
    """The full evaluation of one split: everything ``metrics.json`` holds except dataset/plan.

    ``val`` (validation predictions) is needed for ``settings.extra_rules``: each extra rule is applied
    to validation to choose its threshold, which is then reported on ``preds``. The validation size a
    warning about a temperature fitted at its bound names is the bundle's ``calibration.n_val`` (the
    cases T was fitted on); bundles written before it: ``len(val)``, else ``preds``'s when it is val,
    else ``n_val``.
    """
    import datetime

    import meddx
    from meddx.evaluation.intervals import metric_intervals
    from meddx.evaluation.calibration import calibration_summary
    from meddx.evaluation.label_calibration import per_label_calibration

    settings = settings or EvalSettings()
    task, names = predictor.task, predictor.label_names
    metrics = metrics_for(predictor, preds)
    metrics.update(
        schema_version=SCHEMA_VERSION,
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        meddx_version=meddx.__version__,
        n_patients=None if preds.patient_ids is None else len(set(preds.patient_ids)),
        operating_point=dict(predictor.config.get("decision", {})),
    )
    warnings: list[str] = (_one_class_warning(preds, task, names) + _saturation_warning(preds, task)
                           + _collapsed_warning(preds, task, names))
    from meddx.evaluation.temperature_bounds import temperature_bound_warnings

    fitted_on = (predictor.config.get("calibration") or {}).get("n_val")
    n_val = (fitted_on if fitted_on is not None else len(val.ids) if val is not None
             else len(preds.ids) if preds.split == "val" else n_val)
    warnings += temperature_bound_warnings(predictor.temperature, task, names, n_val, preds.split, preds.probs)
    if settings.n_resamples and len(preds.ids) >= 2:
        ci = metric_intervals(preds.labels, preds.probs, task, threshold=predictor.decision_thresholds,
                              label_names=names, groups=_groups(preds), n_resamples=settings.n_resamples,
                              level=settings.level, seed=settings.seed, scores=preds.scores)
        ci["method"] = "bca"
        metrics["ci"] = ci
    else:
        metrics["ci"] = None
    from meddx.evaluation.operating_report import measured_rates

    measured = measured_rates(metrics)  # each decision threshold beside its rates (multi-label: per label)
    if measured is not None:
        metrics["operating_point"]["measured"] = measured
    before = calibration_summary(preds.labels, preds.probs if preds.raw_probs is None else preds.raw_probs,
                                 task, n_bins=settings.n_bins)
    metrics["calibration"] = {
        "temperature": predictor.temperature,
        "bias": predictor.config.get("calibration", {}).get("bias"),  # a class-weighted loss's shift, removed
        "fitted_on": predictor.config.get("calibration", {}).get("fitted_on"),
        **{k: v for k, v in predictor.config.get("calibration", {}).items() if k == "not_fitted"},  # T = 1 labels
        "before": before,
        "after": None if preds.raw_probs is None else calibration_summary(preds.labels, preds.probs, task,
                                                                          n_bins=settings.n_bins),
    }
    if task == "multilabel":  # the pooled numbers above blend the labels: each one as its own binary problem
        metrics["calibration"]["per_label"] = per_label_calibration(preds.labels, preds.probs, preds.raw_probs, names,
                                                                    n_bins=settings.n_bins)
    if settings.extra_rules:
        metrics["operating_points"] = _extra_operating_points(predictor, preds, val, settings)
    if attributes is not None:
        from meddx.evaluation.subgroups import subgroup_metrics

        subgroups, sub_warnings = subgroup_metrics(
            preds.labels, preds.probs, task, ids=preds.ids, attributes=attributes,
            threshold=predictor.decision_thresholds, label_names=names, groups=_groups(preds),
            n_resamples=settings.n_resamples, level=settings.level, seed=settings.seed, scores=preds.scores)
        metrics["subgroups"], metrics["subgroup_warnings"] = subgroups, sub_warnings
        warnings += [f"subgroup {w}" for w in sub_warnings]
    metrics["warnings"] = warnings
    return metrics


def _extra_operating_points(predictor: Any, preds: SplitPredictions, val: SplitPredictions | None,
                            settings: EvalSettings) -> list[dict[str, Any]]:
    """Each rule's threshold chosen on validation, with the test rates and their CIs
    (``operating_report.extra_operating_points``, resampling whole patients when known)."""
    from meddx.evaluation.operating_report import extra_operating_points

    return extra_operating_points(predictor, preds, val, settings, groups=_groups(preds))


def dataset_summary(source: ImageSource, verify: bool = True) -> dict[str, Any]:
    """Counts per split and class, patients, and (when ``verify``) the duplicates ``data verify`` finds."""
    from meddx.data.info import class_counts

    splits = {
        name: {"n": len(data), "classes": class_counts(source, data),
               "patients": None if data.patient_ids is None else len(set(data.patient_ids))}
        for name, data in source.splits.items()
    }
    from meddx.evaluation.leakage import source_kind

    summary: dict[str, Any] = {"source": source.origin, "kind": source_kind(source), "task": source.task,
                               "label_names": list(source.label_names), "splits": splits,
                               "notes": list(source.notes), "duplicates": None}  # kind: the leakage remedy named
    if verify:
        from meddx.data.verify import verify_source

        s = verify_source(source).to_dict()["summary"]
        summary["duplicates"] = {
            "checked": True, "exact_groups": s["exact_duplicate_groups"], "near_groups": s["near_duplicate_groups"],
            "cross_split": sum(s["any_cross_split_samples"].values()),
            "cross_split_by_split": s["any_cross_split_samples"], "conflicting_labels": s["conflicting_label_groups"],
            "patients_across_splits": s["patients_across_splits"], "leakage": s["has_leakage"],
        }
    return summary


def evaluate_bundle(
    bundle: str | Path | Predictor,
    data: str,
    split: str = "test",
    out: str | Path | None = None,
    *,
    settings: EvalSettings | None = None,
    attributes: str | Path | None = None,
    verify: bool = True,
    report: bool = True,
    columns: dict[str, str] | None = None,
    subgroup_columns: list[str] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Evaluate a bundle (folder, registry name, or a predictor ``load_bundle`` returned) on ``split`` of ``data``.

    Writes ``metrics.json``, ``predictions.csv`` and (unless ``report=False``) ``report.html``
    to ``out`` (default: ``BUNDLE/evaluations/SOURCE-SPLIT-HASH``, HASH of the source's location and of
    the options not at their defaults, so other options never overwrite an earlier evaluation);
    returns the metrics and the path of ``metrics.json``. A validation split carved from train is carved exactly as during
    training (same fraction and seed, read from the bundle), so ``--split val`` means the same
    samples, and extra operating points are chosen on those. ``columns`` reads a file laid out
    differently from the training file (see :func:`load_source_as_trained`). ``subgroup_columns``:
    only these columns of ``attributes`` form subgroups; without ``attributes``, they are read from
    ``data`` itself when it is a CSV file keyed by an ``id`` column (a table or documents file).
    ``predictions.csv`` ends with a ``predicted`` column: the bundle's decision, as ``meddx predict`` gives it.
    """
    from meddx.evaluation.output_dirs import check_out_folder

    check_out_folder(out, "out")  # before any prediction
    settings = settings or EvalSettings()
    from meddx.evaluation.operating import parse_rule

    for rule in settings.extra_rules:  # a malformed rule, too, before any prediction
        parse_rule(rule)
    predictor, path = _bundle_predictor(bundle, out)
    attrs = None
    if attributes is not None or subgroup_columns:
        from meddx.evaluation.subgroups import attributes_file, read_attributes

        # fail on a bad file before any prediction
        attrs = read_attributes(attributes_file(attributes, data), columns=subgroup_columns)
    training = predictor.config.get("training", {})
    from meddx.evaluation.as_trained import is_training_source, load_source_as_trained

    source = load_source_as_trained(predictor, data, columns=columns, carve_val=split == "val" or bool(
        settings.extra_rules) or (split == "train" and is_training_source(predictor, data)))
    preds = predict_split(predictor, source, split)
    val = None
    if settings.extra_rules:
        val = preds if split == "val" else predict_split(predictor, source, "val")
    metrics = assess(predictor, preds, settings, val=val, attributes=attrs,
                     n_val=len(source.splits["val"]) if "val" in source.splits else None)
    from meddx.evaluation.baseline import baseline_metrics

    baseline = baseline_metrics(predictor, source, {split: preds}, settings)
    if baseline is not None:
        metrics["baseline"] = baseline
    from meddx.evaluation.report_explain import read_faithfulness

    explanations = read_faithfulness(path) if path is not None else None  # `meddx explain --evaluate` stored them
    if explanations:
        metrics["explanations"] = explanations
    metrics.update(bundle=str(path) if path is not None else predictor.name, data=str(data),
                   dataset=dataset_summary(source, verify=verify), plan=training.get("plan"),
                   plan_reasons=training.get("plan_reasons"))
    from meddx.evaluation.split_use import split_use_warning  # train/val: fitted or chosen on, not held out
    from meddx.evaluation.table_warnings import table_warnings  # missing-value codes, values out of range

    first = [split_use_warning(predictor.config, data, split), leakage_warning(metrics["dataset"])]
    metrics["warnings"][:0] = [w for w in first if w] + table_warnings(predictor, source, split)
    from meddx.evaluation.output_dirs import evaluation_dir  # <source>-<split>-<hash>: sources never collide

    out_dir = Path(out) if out else evaluation_dir(path, source.name, data, split,  # type: ignore[arg-type]
                                                   _folder_options(settings, attributes, subgroup_columns,
                                                                   columns, verify, report))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = write_json_atomic(out_dir / "metrics.json", metrics)
    write_predictions(out_dir / "predictions.csv", preds, predictor.label_names,
                      last={"predicted": decided_labels(predictor, preds.probs)})
    if report:
        from meddx.evaluation.report import write_report

        write_report(out_dir / "report.html", metrics, preds.labels, preds.probs,
                     title=f"{predictor.name} on {source.name} ({split})", scores=preds.scores)
    return metrics, target


def _folder_options(settings: EvalSettings, attributes: str | Path | None, subgroup_columns: list[str] | None,
                    columns: dict[str, str] | None, verify: bool, report: bool) -> dict[str, Any]:
    """The options not at their defaults that change what is written: hashed into the default folder,
    so an evaluation with other options (or without a report) keeps the earlier one's files."""
    from dataclasses import asdict

    from meddx.evaluation.output_dirs import changed_options, file_location

    given = {**asdict(settings), "attributes": file_location(attributes), "subgroups": subgroup_columns,
             "columns": columns, "verify": verify, "report": report}
    return changed_options(given, {**asdict(EvalSettings()), "verify": True, "report": True})


def _bundle_predictor(bundle: Any, out: str | Path | None) -> tuple[Predictor, Path | None]:
    """The predictor to evaluate and its bundle folder: ``bundle`` is a folder or registry reference
    (loaded here) or a predictor already loaded with ``load_bundle`` (used as it is)."""
    from meddx.bundle.predictor import Predictor
    from meddx.bundle.seg_predictor import SegPredictor
    from meddx.core.errors import ConfigError

    if isinstance(bundle, (Predictor, SegPredictor)):
        predictor, path = bundle, bundle.path
        if path is None and out is None:
            raise ConfigError(f"evaluate_bundle: predictor {predictor.name!r} has no bundle folder to write "
                              "evaluations/ into; pass out=FOLDER")
    elif isinstance(bundle, (str, os.PathLike)):
        from meddx.bundle.bundle import load_bundle
        from meddx.registry.store import resolve_bundle_path

        path = resolve_bundle_path(bundle)
        predictor = load_bundle(path)
    else:
        raise ConfigError(f"evaluate_bundle: bundle must be a bundle folder, a registry NAME[:VERSION] or a "
                          f"predictor returned by meddx.load_bundle; got {type(bundle).__name__}")
    if not isinstance(predictor, Predictor):
        raise ConfigError(f"evaluate_bundle: bundle {predictor.name!r} segments images; evaluate it with "
                          "meddx.evaluate_seg_bundle (the CLI `meddx evaluate` chooses by itself)")
    return predictor, path


def decided_labels(predictor: Any, probs: np.ndarray) -> list[str]:
    """The bundle's decision for each row, as ``meddx predict`` makes it (``Predictor.decide``: the
    binary threshold, argmax, or each label's threshold); a multi-label decision is its labels
    joined by ``|`` (empty: none), as in ``oof_predictions.csv`` and a manifest's label column."""
    return ["|".join(d) if isinstance(d, list) else d for d in predictor.decide(probs)]


def write_predictions(path: Path, preds: SplitPredictions, label_names: list[str],
                      extra: dict[str, list[Any]] | None = None, last: dict[str, list[Any]] | None = None) -> Path:
    """One row per sample: id, patient (when known), true label, ``extra`` columns, probabilities,
    then ``last`` columns (added after the probabilities, so the columns older files had keep
    their positions)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    extra, last = extra or {}, last or {}
    patients = preds.patient_ids is not None
    writer.writerow(["id", *(["patient_id"] if patients else []), "label", *extra,
                     *[f"p_{n}" for n in label_names], *last])
    for i, (sid, label, row) in enumerate(zip(preds.ids, preds.labels, preds.probs)):
        writer.writerow([sid, *([preds.patient_ids[i]] if patients else []),  # type: ignore[index]
                         json.dumps(np.asarray(label).tolist()), *[values[i] for values in extra.values()],
                         *[repr(float(v)) for v in row],  # full precision: the file reproduces the metrics
                         *[values[i] for values in last.values()]])
    return write_text_atomic(path, buffer.getvalue())
