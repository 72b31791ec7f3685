"""After training: calibrate and choose the operating point on validation, measure, save, register.

Nothing here looks at the test split except to report it: the temperature, the threshold and
the best epoch are chosen on validation only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from meddx.data.base import ImageSource
from meddx.data.carve_groups import NEAR_COPY_SETTINGS  # noqa: F401 (imported from here by callers and tests)
from meddx.models.registry import with_resolved_stem
from meddx.training.config import TrainConfig
from meddx.training.plan import Plan
from meddx.training.run import carved_membership, carved_settings, trainer_record


def bundle_config(config: TrainConfig, source: ImageSource, plan: Plan, pre: Any, name: str,
                  run_dir: Path) -> dict[str, Any]:
    """The ``config.json`` of a bundle: all a predictor needs, and where it came from.

    ``pre`` is the fitted preprocessing (an object with ``to_dict()``, or that dict itself, as a
    text bundle passes its tokenizer description).

    ``decision`` (the operating point) and ``calibration`` (the temperature) are filled in by
    ``finish_run`` once they have been chosen on validation.
    """
    plan_fields = plan.model_dump(exclude={"normalization", "reasons"})
    return {
        "name": name,
        "task": source.task,
        "label_names": list(source.label_names),
        "spatial_dims": source.spatial_dims,
        # stem "auto" as it resolved: a later change of the rule must not rebuild another network
        "model": {"name": plan.model, "args": with_resolved_stem(plan.model, plan.model_args),
                  "num_classes": source.num_classes},
        "preprocessing": pre if isinstance(pre, dict) else pre.to_dict(),
        "decision": {"rule": "argmax" if source.task == "multiclass" else config.threshold_rule, "threshold": None,
                     "class_thresholds": None, "chosen_on": "val", "val": None},
        "calibration": {"temperature": 1.0, "fitted_on": None, "method": None},
        "tta": ["hflip"] if config.tta else [],
        **reading_fields(source.spatial_dims),
        "card": {"intended_use": config.intended_use, "outcome": config.outcome},
        "training": {
            "data": config.data,
            "data_path": local_path(config.data),
            "run_dir": str(run_dir),
            "seed": config.seed,
            "val_fraction": config.val_fraction,
            # how the run's val was carved (its data.json; a resume of an older run: the older settings), re-carved
            # by evaluate --split val; the current settings when nothing was carved
            "val_near_copies": carved_settings(run_dir),
            # which samples went to val (data.carve_record), read back by evaluate --split val on the same samples
            **_membership_field(run_dir),
            "epochs": plan.epochs,
            "source_notes": source.notes,
            "plan": {**plan_fields, "augment": getattr(plan, "augment", config.augment), "lr": config.lr,
                     "weight_decay": config.weight_decay,
                     "precision": config.precision, "label_smoothing": config.label_smoothing},
            "plan_reasons": dict(plan.reasons),
            **spacing_field(source),
            **declared_multilabel(config, source),
        },
    }


def declared_multilabel(config: Any, source: ImageSource) -> dict[str, Any]:
    """``{"text_options": {"label_delimiter": D}}`` for a multi-label image source (``D``: the run's
    ``label_delimiter``, else the manifest's ``|``), so that evaluate, explain and compare read a CSV
    manifest back multi-label (``evaluation.as_trained``) even when its rows all hold one label, as a
    manifest declared with ``--label-delimiter`` was trained; nothing for other sources (a text
    bundle records its own ``text_options``; series and tables read none)."""
    from meddx.data.base import is_text_source
    from meddx.data.manifest import MULTILABEL_SEP

    if source.task != "multilabel" or is_text_source(source) or getattr(source, "modality", None) in (
            "series", "tabular"):
        return {}
    return {"text_options": {"label_delimiter": getattr(config, "label_delimiter", None) or MULTILABEL_SEP}}


def _membership_field(run_dir: Path) -> dict[str, Any]:
    """``{"val_membership": record}`` when the run's ``data.json`` records its carved validation's
    membership (``training.run.carved_membership``); nothing otherwise (nothing carved, older runs)."""
    record = carved_membership(run_dir)
    return {"val_membership": record} if record else {}


def spacing_field(source: ImageSource) -> dict[str, Any]:
    """``{"spacing": ...}``: the voxel spacing of the training volumes (``data.info.training_spacing``),
    which ``meddx predict`` shows beside each file's and warns on when they differ; nothing for 2D
    sources, in-memory arrays (MedMNIST 3D) and files that record none."""
    from meddx.data.info import training_spacing

    spacing = training_spacing(source)
    return {"spacing": spacing} if spacing else {}


def reading_fields(spatial_dims: int) -> dict[str, Any]:
    """How training read an image bundle's files, so predict reads them alike: ``"orientation":
    "RAS"`` (volumes turned to it, ``data.orientation``), ``"dicom_voi": true`` (X-ray DICOM
    through its VOI, ``data.dicom_voi``) and ``"dicom_presentation"``, the level of the later
    presentation steps applied (``data.dicom_voi.PRESENTATION_READING``); nothing for other inputs."""
    from meddx.data.dicom_voi import PRESENTATION_READING
    from meddx.data.orientation import CANONICAL

    fields = {"orientation": CANONICAL, "dicom_voi": True, "dicom_presentation": PRESENTATION_READING}
    return fields if spatial_dims in (2, 3) else {}


def local_path(data: str) -> str | None:
    """The absolute path of a source on this machine (``None`` for a ``medmnist:`` name or a
    path that does not exist), so that evaluation can tell the training file from another."""
    path = Path(str(data)).expanduser()
    return str(path.resolve()) if ":" not in str(data).split("/")[0] and path.exists() else None


def finish_run(config: TrainConfig, source: ImageSource, plan: Any, pre: Any, net: Any,
               run_dir: Path, name: str, val_inputs: Any = None, *, cfg: dict[str, Any] | None = None,
               make_predictor: Callable[[dict[str, Any], Any], Any] | None = None,
               extra_files: dict[str, bytes] | None = None, kept: list[str] | None = None,
               train_inputs: Any = None) -> Any:
    """Calibration, operating point, evaluation, bundle and registry entry for a trained network.

    On validation only: the temperature is fitted on the network's probabilities, then the
    operating point is chosen on the temperature-scaled ones (what ``predict`` will output).
    ``val_inputs`` is the already preprocessed validation split, reused instead of decoded again.
    Other input kinds (text) pass their own bundle ``cfg``, a ``make_predictor(cfg, net)`` and the
    ``extra_files`` their bundle needs (tokenizer, baseline); a bundled baseline is scored beside
    the network (``evaluation.baseline``). The epoch kept (``trainer.json`` of the run, written
    by ``train_and_restore``) is recorded in the bundle and named in the card; an ensemble passes
    ``kept``, one entry per network, since its other networks' records live in ``members/<i>``.
    ``train_inputs`` (the preprocessed training split, images) fits the bundle's input-typicality
    check (``bundle.typicality``: train features, threshold on the validation ones).
    """
    import numpy as np
    import torch

    from meddx.bundle.model_card import epoch_note, render_model_card
    from meddx.bundle.predictor import Predictor
    from meddx.evaluation.baseline import baseline_metrics, calibrate_baseline, choose_baseline_operating_point
    from meddx.evaluation.evaluate import (EvalSettings, assess, dataset_summary, leakage_warning, predict_split,
                                           predictions_from_raw)
    from meddx.evaluation.operating import choose_operating_point
    from meddx.evaluation.recalibration import decision_of
    from meddx.training.fit import FitResult

    attributes = None
    if config.attributes:
        from meddx.evaluation.subgroups import read_attributes

        attributes = read_attributes(config.attributes)
    make = make_predictor or Predictor
    cfg = cfg if cfg is not None else bundle_config(config, source, plan, pre, name, run_dir)
    if kept is None:
        kept_epoch = _kept_epoch(run_dir)
        kept = [kept_epoch] if kept_epoch is not None else None
    if kept:
        cfg.setdefault("training", {})["kept_epoch"] = list(kept)
    cfg.setdefault("training", {}).update(_epochs_run(run_dir))
    cfg["training"].update(networks_field(run_dir, getattr(plan, "ensemble", 1) or 1))
    if config.dp:  # the run's privacy.json: epsilon spent, accountant, noise, per epoch
        from meddx.training.privacy import add_to_bundle_config

        add_to_bundle_config(cfg, run_dir)
    data = source.split("val")
    val_features: list[Any] = []  # the penultimate features of the same pass, for the typicality check
    if val_inputs is not None:
        raw = make(cfg, net).predict_tensor(torch.from_numpy(np.asarray(val_inputs)), calibrated=False,
                                            features=val_features)
    else:
        raw = predict_split(make(cfg, net), source, "val").probs  # temperature 1: raw
    labels = np.asarray(data.labels)
    if config.calibrate:
        cfg["calibration"] = _calibration(labels, raw, source.task, getattr(plan, "class_weights", None),
                                          list(cfg.get("label_names") or []))
        cfg["calibration"]["n_val"] = len(labels)  # named by a warning about T on any split
    predictor = make(cfg, net)
    val = predictions_from_raw(predictor, "val", data, raw)
    cfg["decision"] = choose_operating_point(val.labels, val.probs, source.task, config.threshold_rule,
                                             per_class=config.per_class_thresholds, label_names=predictor.label_names)
    cfg["decision"].update(decision_of(cfg.get("calibration"), getattr(plan, "class_weights", None), source.task))
    predictor = make(cfg, net)
    baseline_files = calibrate_baseline(predictor, source, config.calibrate)  # T, b on val, then its decision
    choose_baseline_operating_point(predictor, source)
    extra_files = {**(extra_files or {}), **baseline_files,
                   **_typicality(cfg, predictor, source, train_inputs, val_features, config)}

    settings = EvalSettings(n_resamples=config.ci_resamples, seed=config.seed)
    predictions = {"val": val}
    metrics: dict[str, Any] = {"val": assess(predictor, val, settings)}
    if config.evaluate_test and "test" in source.splits:
        predictions["test"] = predict_split(predictor, source, "test")
        metrics["test"] = assess(predictor, predictions["test"], settings, attributes=attributes)
    kept: dict[str, Any] = {}
    baseline = baseline_metrics(predictor, source, predictions, settings, keep=kept)
    if baseline is not None:
        metrics["baseline"] = baseline
    metrics["dataset"] = dataset_summary(source, verify=config.verify)
    leak = leakage_warning(metrics["dataset"])
    warnings = ([leak] if leak else []) + list(getattr(source, "warnings", None) or [])  # a table's zero codes
    if warnings:
        metrics["warnings"] = warnings
    kept_note = epoch_note((cfg.get("training") or {}).get("kept_epoch") or [])
    metrics["note"] = f"{kept_note}; temperature and operating point chosen on val; test reported only"

    path, ref = save_and_register(config, name, net, cfg, metrics, render_model_card(cfg, metrics), run_dir,
                                  extra_files=extra_files)
    predictions.update({f"baseline_{split}": preds for split, preds in kept.items()})
    return FitResult(run_dir=run_dir, plan=plan, bundle_path=path, metrics=metrics, registry_ref=ref,
                     predictions=predictions)


def _calibration(labels: Any, raw: Any, task: str, class_weights: Any,
                 label_names: list[str] | None = None) -> dict[str, Any]:
    """The bundle's ``calibration``: a temperature fitted on validation, with the log-odds shifts of a
    class-weighted loss (binary, multi-class) or of a multi-label loss's per-label ``pos_weight`` removed
    (which a temperature cannot undo: ``evaluation.recalibration``); binary and multi-label fit that bias
    with T, between the shift removed after and before T (``evaluation.shift_fit``). Multi-label: one
    temperature per label (a list; ``evaluation.label_temperature``), ``label_names`` naming in
    ``method`` the labels left at T = 1 or fitted against smoothed targets."""
    from meddx.evaluation.calibration import temperature_fit
    from meddx.evaluation.recalibration import (class_shifted_temperature_fit, class_weighted_loss,
                                                label_weighted_loss,
                                                shifted_temperature_fit, unshifted_class_words, unshifted_label_words,
                                                weighted_loss)
    from meddx.evaluation.label_temperature import fit_label_temperatures, not_fitted_field, per_label_words
    from meddx.evaluation.shift_fit import SHIFT_WORDS
    from meddx.evaluation.temperature_targets import SMOOTHED_WORDS

    def nll(smoothed: bool) -> str:  # bundles fitted against the 0/1 labels read as before the fallback
        return "validation negative log-likelihood" + (SMOOTHED_WORDS if smoothed else "")

    if task == "binary" and weighted_loss(class_weights):
        temperature, bias, smoothed = shifted_temperature_fit(labels, raw, class_weights)
        return {"temperature": temperature, "bias": bias, "fitted_on": "val",
                "method": "temperature scaling (Guo et al. 2017) with the class-weighted loss's log-odds shift "
                          f"c = log(w1/w0) removed (Menon et al. 2021) by a {SHIFT_WORDS}; {nll(smoothed)}"}
    if task == "multiclass" and class_weighted_loss(class_weights):
        temperature, biases, smoothed = class_shifted_temperature_fit(labels, raw, class_weights)
        return {"temperature": temperature, "bias": biases, "fitted_on": "val",
                "method": "the class-weighted loss's shifts log(w_k) removed (Menon et al. 2021), then temperature "
                          f"scaling (Guo et al. 2017), {nll(smoothed)}; decisions argmax p_k·w_k"
                          + unshifted_class_words(class_weights)}
    if task == "multilabel":  # one T per label, each label its own binary problem (evaluation.label_temperature)
        weighted = label_weighted_loss(class_weights)
        fit = fit_label_temperatures(labels, raw, class_weights if weighted else None)
        scaling = ("temperature scaling per label (Guo et al. 2017; one T per label, fitted on that label alone), "
                   "validation negative log-likelihood" + per_label_words(fit, label_names or []))
        kept_at_1 = not_fitted_field(fit, label_names or [])
        if not weighted:
            return {"temperature": fit.temperatures, "fitted_on": "val", "method": scaling, **kept_at_1}
        return {"temperature": fit.temperatures, "bias": fit.bias, "fitted_on": "val",
                "method": "the positive-weighted loss's log-odds shifts c = log(pos_weight_j) removed per label (Menon "
                          f"et al. 2021) by a {SHIFT_WORDS} (per label, with its T); {scaling}"
                          + unshifted_label_words(class_weights), **kept_at_1}
    temperature, smoothed = temperature_fit(labels, raw, task)
    return {"temperature": temperature, "fitted_on": "val",
            "method": f"temperature scaling (Guo et al. 2017), {nll(smoothed)}"}


def _typicality(cfg: dict[str, Any], predictor: Any, source: Any, train_inputs: Any, val_features: list[Any],
                config: TrainConfig) -> dict[str, bytes]:
    """Fit the input-typicality check (``bundle.typicality``) into ``cfg["typicality"]`` and return
    its bundle file; nothing under --dp (its statistics of the training features are not private)
    or without the training inputs. A failure to fit is logged, never the end of a trained run."""
    if train_inputs is None or not val_features or config.dp:
        return {}
    import logging

    from meddx.bundle.typicality import FILE, fit_for_bundle

    try:
        fitted = fit_for_bundle(predictor, train_inputs, source.split("train").labels, val_features, source.task)
    except (ValueError, ArithmeticError, MemoryError) as exc:  # numpy's LinAlgError is a ValueError
        logging.getLogger(__name__).warning("input-typicality check not fitted (%s); the bundle has none", exc)
        return {}
    if fitted is None:
        return {}
    cfg["typicality"] = fitted[0]
    return {FILE: fitted[1]}


def _kept_epoch(run_dir: Path) -> str | None:
    """``"best"`` or ``"final"`` as the run's ``trainer.json`` records it, else ``None``."""
    return trainer_record(run_dir).get("kept")


def _epochs_run(run_dir: Path) -> dict[str, Any]:
    """``epochs_run`` and ``kept_weights_epoch`` (the 0-based epoch whose weights the bundle holds)
    from the run's ``trainer.json`` (of the first network, for an ensemble): the plan's ``epochs``
    is what was planned, and early stopping may end sooner."""
    import re

    done = trainer_record(run_dir)
    if not done:
        return {}
    restored = Path(str(done.get("restored_checkpoint") or "")).name
    m = re.search(r"epoch=(\d+)", restored)
    kept = int(m.group(1)) if m else (done["epochs_run"] - 1 if restored == "last.ckpt" and done.get("epochs_run") else None)
    cut = {"cut_epoch": done["cut_epoch"]} if done.get("cut_epoch") else {}  # the time limit stopped one mid-way
    return {"epochs_run": done.get("epochs_run"), "kept_weights_epoch": kept, **cut}


def networks_field(run_dir: Path, k: int) -> dict[str, Any]:
    """``{"networks": [...]}`` for an ensemble of ``k`` networks: per network (``network`` counted
    from 1) its ``epochs`` (planned, after any time-budget re-plan), ``epochs_run``,
    ``kept_weights_epoch`` and ``cut_epoch`` (only when the time limit cut its last epoch), from its
    own ``trainer.json``; nothing for one network. The top-level ``epochs``, ``epochs_run``,
    ``kept_weights_epoch`` and ``cut_epoch`` stay network 1's (the run folder's), as before."""
    if k <= 1:
        return {}
    from meddx.training.members import network_folders

    rows = []
    for number, folder in enumerate(network_folders(run_dir, k), start=1):
        rows.append({"network": number, "epochs": trainer_record(folder).get("epochs_planned"), **_epochs_run(folder)})
    return {"networks": rows}


def save_and_register(config: Any, name: str, net: Any, cfg: dict[str, Any], metrics: dict[str, Any], card: str,
                      run_dir: Path, extra_files: dict[str, bytes] | None = None) -> tuple[Path, str | None]:
    """Write the bundle (``config.output``, else the next version under the data root), the run's
    ``metrics.json``, and the registry entry unless ``config.add_to_registry`` is off; returns the
    bundle path and the registry reference ``NAME:VERSION`` (``None`` when not registered). Every
    kind of run (classification, text, series, tables, segmentation, federated) ends here."""
    from meddx.bundle.bundle import save_bundle
    from meddx.core.errors import BundleError
    from meddx.core.files import write_json_atomic
    from meddx.core.paths import bundles_dir
    from meddx.registry.store import next_version, register_bundle

    try:
        version = next_version(name)
    except BundleError:  # registry.db locked or damaged: the folders say which versions are taken
        version = 1
    while not config.output and (bundles_dir() / name / f"v{version}").exists():
        version += 1  # the folder of an unregistered run (add_to_registry: false) is taken
    path = Path(config.output) if config.output else bundles_dir() / name / f"v{version}"
    for attempt in range(20):
        try:
            save_bundle(path, net=net, config=cfg, metrics=metrics, model_card=card, extra_files=extra_files)
            break
        except BundleError:
            if attempt == 19:
                raise
            if config.output or not path.exists():
                raise
            # another run of this name saved v<version> after we picked it: the next free version
            while path.exists():
                version += 1
                path = bundles_dir() / name / f"v{version}"
    from meddx.training.interrupt import note

    note(bundle=str(path))  # a Ctrl-C from here on names the saved bundle
    write_json_atomic(run_dir / "metrics.json", metrics)
    if not config.add_to_registry:
        note(registered="")  # finished: not to be registered
        return path, None
    try:
        record = register_bundle(path, version=version)
    except BundleError as exc:  # the trained, saved bundle is kept: a registry problem is said, not fatal
        import logging

        logging.getLogger(__name__).warning("the bundle is saved at %s but not registered (%s); register it with: "
                                            "meddx registry add %s", path, exc, path)
        return path, None
    note(registered=f"{record.name}:{record.version}")
    return path, f"{record.name}:{record.version}"
