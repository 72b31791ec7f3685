"""``fit``: from a training config to an evaluated, saved and registered bundle.

Reading order: load the source -> plan -> (measure speed for a time budget: epochs, and a
smaller input if too few epochs fit) -> fit preprocessing on train -> Lightning
``Trainer.fit`` with per-epoch atomic checkpoints and early stopping -> best weights ->
threshold on validation -> metrics -> bundle -> registry.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from meddx.core.errors import ConfigError, MeddxError
from meddx.core.files import write_json_atomic
from meddx.training.config import TrainConfig
from meddx.training.config_kinds import check_source_fields  # a field the source's kind never reads: refused
from meddx.training.plan import Plan, is_chosen, patience_is_chosen
from meddx.training.trainer import (build_trainer, epochs_trained, load_checkpoint_weights, quiet_lightning,  # noqa: F401
                                   resolve_precision, set_threads, stop_cause)  # resolve_precision: re-exported for the other fit modules


class TrainingInterrupted(MeddxError):
    """Training stopped early by the user; the last checkpoint can be resumed."""

    exit_code = 130  # as a shell reports a command ended by Ctrl-C (SIGINT)


@dataclass
class FitResult:
    """Where a finished run put things, and its metrics (``None`` fields on non-zero ranks)."""

    run_dir: Path
    plan: Plan
    bundle_path: Path | None = None
    metrics: dict[str, Any] | None = None
    registry_ref: str | None = None
    # The evaluated splits' predictions (SplitPredictions by split name), for callers such as
    # cross-validation that need them without predicting again.
    predictions: dict[str, Any] | None = None


def fit(config: TrainConfig | None, *, plan_file: str | Path | None = None, resume: str | Path | None = None,
        progress: bool = True, source: Any = None) -> FitResult:
    """Train a model as ``config`` says; see the module docstring for the flow. Image + mask
    sources go to :func:`meddx.training.seg_fit.fit_segmentation`, documents to
    :func:`meddx.training.text_fit.fit_text`.

    With ``resume`` (a run folder) the run's own config and plan are used and ``config`` must
    be ``None``. ``source`` (an ``ImageSource`` already split, e.g. one cross-validation fold)
    replaces reading ``config.data``, in one process; with ``resume`` it must be the data that run
    folder trained on (``data.json`` checks it): ``meddx cv --resume`` going on inside a fold.
    A run that fails before writing anything leaves no empty run folder.
    """
    from meddx.registry.run_log import recording_run
    from meddx.training.interrupt import reporting_interrupts
    from meddx.training.run import removing_empty_runs

    # a Ctrl-C outside the epochs (which Lightning reports) says what was saved, on one line; not
    # for a prepared source (a cross-validation fold: meddx cv says how to resume); registry.run_log records it
    with recording_run(config, fold=source is not None) as session, \
            reporting_interrupts() if source is None else contextlib.nullcontext(), removing_empty_runs():
        return session.ended(_fit(config, plan_file=plan_file, resume=resume, progress=progress, source=source))


def _fit(config: TrainConfig | None, *, plan_file: str | Path | None, resume: str | Path | None,
         progress: bool, source: Any) -> FitResult:
    import lightning as L

    from meddx.data.sources import load_source
    from meddx.training import run as runlib
    from meddx.training.plan import check_classes_present, make_plan, read_plan

    if resume is not None:
        from meddx.training.interrupt import note
        from meddx.training.resume_transfer import shown_run

        note(resumable=str(Path(resume).expanduser().resolve()))  # a Ctrl-C while it is read: resume again
        config, run_dir = runlib.resume_config(Path(resume).expanduser().resolve())
        note(resumable=str(shown_run(run_dir)))  # rank 0's run, not a private copy of it (torchrun)
    elif config is None:
        raise ConfigError("no training config given: pass a TrainConfig, or a run folder to resume")
    else:  # an absolute path in config.json and the bundle: a resume from elsewhere reads the same file
        from meddx.training.finish import local_path

        config = config.model_copy(update={"data": local_path(config.data) or config.data})
    if config.output and resume is None and source is None:  # before any data is read or epoch run
        from meddx.bundle.bundle import check_destination_free

        check_destination_free(config.output)
    quiet_lightning()
    set_threads(config)
    L.seed_everything(config.seed, workers=True, verbose=False)
    from meddx.training import distributed

    distributed.join(config.devices, config.num_nodes)  # torchrun: the process group, before anything is planned
    from meddx.data.segmentation import is_segmentation_source

    if source is None and is_segmentation_source(config.data):
        from meddx.training.seg_fit import fit_segmentation

        if resume is None:
            check_source_fields(config, "segmentation")
        return fit_segmentation(config, run_dir if resume is not None else None, plan_file=plan_file,
                                resume=resume is not None, progress=progress)
    if source is not None and config.devices * config.num_nodes > 1:
        raise ConfigError("a prepared source (cross-validation fold) trains in one process")
    if source is None:
        from meddx.data.carve_record import split_membership  # the resumed run's carving: settings, val record

        near_copies, membership = split_membership(runlib.carving_of(run_dir) if resume is not None else True)
        source = load_source(config.data, val_fraction=config.val_fraction, seed=config.seed,
                             text_options=config.text_options, options=config.source_options,
                             near_copies=near_copies, membership=membership)
    if resume is not None:
        runlib.check_same_data(run_dir, source)
    else:  # --ensemble (segmentation and text only), --tokenizer on a table, ...
        check_source_fields(config, source)
    from meddx.data.base import is_text_source

    check_classes_present(source)
    if getattr(source, "modality", None) == "series":
        from meddx.training.series_fit import fit_series

        return fit_series(config, source, run_dir if resume is not None else None, plan_file=plan_file,
                          progress=progress)
    if getattr(source, "modality", None) == "tabular":
        from meddx.training.tabular_fit import fit_tabular

        return fit_tabular(config, source, run_dir if resume is not None else None, plan_file=plan_file,
                           progress=progress)
    if is_text_source(source):
        from meddx.training.text_fit import fit_text

        return fit_text(config, source, run_dir if resume is not None else None, plan_file=plan_file,
                        progress=progress)
    config = config.model_copy(update={"precision": resolve_precision(config.precision, source.spatial_dims)})
    name = config.name or _default_name(source.name)
    if resume is None:  # torchrun's ranks > 0: rank 0's plan.json, in a private folder
        run_dir = distributed.received_run_dir() or runlib.new_run_dir(name)

    existing = run_dir / "plan.json"
    overrides: dict[str, Any] = {}
    if existing.is_file():  # resume, or a DDP worker: the plan was fixed by the first process
        plan = Plan(**runlib.read_json(existing))
        runlib.check_planned_input(plan, existing)
    else:
        overrides = read_plan(plan_file) if plan_file else {}
        plan = make_plan(config, source, overrides)

    # epochs from the time budget: measured now on a new run; a resumed run keeps re-planning (its
    # BudgetReplan state, the budget's seconds spent, comes back with the checkpoint)
    budget_planned = bool(config.time_budget and config.epochs is None and "epochs" not in overrides
                          and not is_chosen(plan, "epochs"))
    if budget_planned and not existing.is_file():
        from meddx.training.speed import fit_to_budget
        from meddx.transforms.image import build_augmentation

        plan = fit_to_budget(
            plan, len(source.split("train")), config.time_budget, config.precision,
            build_task=lambda p: _build_task(config, source, p),
            augment_for=lambda p: build_augmentation(p.augment, p.image_size),
            size_is_automatic=config.image_size is None and "image_size" not in overrides,
            width_is_automatic=(config.model is None and "width" not in config.model_args
                                and not {"model", "model_args"} & set(overrides)),
            processes=config.devices * config.num_nodes,  # each trains its share of every epoch
        )

    from meddx.training.data import (ArrayDataset, fit_with_given_statistics, make_loader, preprocess_planned_train,
                                     preprocess_split)
    from meddx.training.augment_voxels import planned_augmentation
    from meddx.training.scaling import scaled_fit

    if plan.normalization:  # fitted by the first process (resume, DDP worker): reuse, never refit
        pre, x_train = preprocess_planned_train(source, plan.normalization, bool(plan.dp_statistics), progress)
    elif overrides.get("normalization") and not config.dp:  # mean/std edited in a --plan file replace the fitted
        pre, x_train = scaled_fit(source, plan, config.scaling, lambda pre: fit_with_given_statistics(
            source, pre, overrides["normalization"], progress))
        plan.reasons["normalization"] = "mean and std overridden by the given plan file"
    else:  # statistics from the training split only (under --dp a private release of them)
        pre, x_train = scaled_fit(source, plan, config.scaling, lambda pre: preprocess_split(
            source, "train", pre, progress, fit=True, fixed_statistics=config.dp))
        if config.dp:  # released privately instead, and counted by the run's accountant
            from meddx.privacy.statistics import private_image_statistics

            x_train, released = private_image_statistics(pre, x_train, seed=config.seed)
            plan = plan.model_copy(update={"dp_statistics": released})
    x_val = preprocess_split(source, "val", pre, progress)
    from meddx.bundle.typicality import too_few_validation_images

    skipped = None if config.dp else too_few_validation_images(len(x_val))  # --dp: a reason of its own
    if skipped:  # kept in the bundle (training.plan_reasons), so predict says why it checks no inputs
        plan.reasons["typicality"] = skipped
    augment = planned_augmentation(plan, source, config.seed)  # 3D: rotations in planes of near-equal voxels
    train_ds = ArrayDataset(x_train, source.split("train").labels, augment)
    val_ds = ArrayDataset(x_val, source.split("val").labels)

    if not existing.is_file():
        plan = plan.model_copy(update={"normalization": pre.to_dict()})
        plan.write(run_dir / "plan.json")
        write_json_atomic(run_dir / "config.json", config.model_dump())
        write_json_atomic(run_dir / "data.json", runlib.data_fingerprint(source))
        write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": config.seed})
    if resume is None:  # torchrun's rank 0: the plan (with the fitted normalisation) to the other processes
        distributed.share_run_files(run_dir, ["plan.json"])

    task = _build_task(config, source, plan)
    kept = train_and_restore(config, plan, task, make_loader(train_ds, plan.batch_size, shuffle=True, seed=config.seed),
                             make_loader(val_ds, plan.batch_size * 2, shuffle=False), run_dir, progress,
                             resume=resume is not None, budget_minutes=config.time_budget if budget_planned else None)
    if kept is None:  # a non-zero rank of a multi-process run
        return FitResult(run_dir=run_dir, plan=plan)
    from meddx.training.finish import finish_run

    return finish_run(config, source, plan, pre, task.net, run_dir, name, val_inputs=x_val, train_inputs=x_train)


def train_and_restore(config: TrainConfig, plan: Any, task: Any, train_loader: Any, val_loader: Any, run_dir: Path,
                      progress: bool, *, resume: bool, monitor: str = "val_select", resume_dir: Path | None = None,
                      budget_minutes: float | None = None, keep: Literal["best", "final"] | None = None) -> str | None:
    """``Trainer.fit`` with per-epoch checkpoints and early stopping on ``monitor``, then the kept
    epoch's weights loaded into ``task``; ``trainer.json`` records the run. Every task kind
    (classification, text, segmentation) trains through here.

    ``keep``: ``"best"`` restores the epoch with the best ``monitor``; ``"final"`` keeps the last
    epoch when the schedule ran to its end (nnU-Net's choice: the cosine schedule ends at rate 0,
    and a best epoch picked on a small validation split is partly noise), and falls back to the
    best epoch when training stopped early (early stopping, the time limit). ``None``: the plan's
    ``checkpoint``, else ``config.checkpoint``, else ``"best"``; with ``"final"``, early stopping
    is off unless a patience was chosen (config or plan file).

    Returns the epoch kept (``"best"`` or ``"final"``), or ``None`` on the extra processes of a
    multi-process run (only rank 0 goes on to evaluate and save). A run stopped by the user
    raises :class:`TrainingInterrupted` on every process (exit 130), naming on rank 0 the command
    that resumes it from ``checkpoints/last.ckpt`` (of ``resume_dir`` when the checkpoints live in a
    sub-folder of the run, as an ensemble member's do).

    ``budget_minutes`` (when the plan's epochs came from a time budget): Lightning stops at 1.25x
    it, and the run re-fits its epochs to it after measuring the first two epochs (every process of
    a multi-process run from rank 0's measurement: :class:`meddx.training.budget.BudgetReplan`;
    ``plan`` and ``plan.json`` record the change). A resumed run goes on from the state its
    checkpoint saved: the same budget, the re-plans still due. Without it, ``config.time_budget``
    (an ensemble network's share of it: :func:`meddx.training.members.network_time_limit`) only
    stops the run, at 1.25x.
    """
    from meddx.training import run as runlib

    keep = keep or getattr(plan, "checkpoint", None) or config.checkpoint or "best"
    if keep not in ("best", "final"):
        raise ConfigError(f"checkpoint to keep must be 'best' or 'final'; got {keep!r}")
    early_stopping = keep == "best" or config.early_stopping_patience is not None or patience_is_chosen(plan)
    from meddx.training.resume_edits import ConfigRecord

    record = ConfigRecord(config.model_dump(mode="json"), plan)  # a resume checks config.json, plan.json edits on it
    privacy = None
    if config.dp:  # DP-SGD (Opacus): compatible layers, Poisson loader, fp32; see training/privacy.py
        from meddx.training.privacy import private_training

        config, train_loader, privacy = private_training(config, plan, task, train_loader, run_dir)
    from meddx.training.rng_state import RandomStateCheckpoint

    # the loader's, augmentation's and global random states travel in every checkpoint: a resume draws on
    extra: list[Any] = [RandomStateCheckpoint(train_loader), record] + ([privacy] if privacy else [])
    last = run_dir / "checkpoints" / "last.ckpt"
    if resume:  # plan.json may have been edited to train longer: the schedule follows it
        from meddx.training.budget import ScheduleToPlan
        from meddx.training.checkpoint import StayEarlyStopped

        extra += [ScheduleToPlan(), StayEarlyStopped(runlib.trainer_record(run_dir))]  # early-stopped: stays
    from meddx.training.members import limit_words  # how a raise's note names the budget (or a network's share)

    if budget_minutes:  # resumed: its state comes from the checkpoint; several processes: rank 0's clock
        from meddx.training.budget import BudgetReplan

        # a later network of an ensemble that has not started: its share, which a hand edit of its plan.json left
        share = None
        if resume_dir is not None and Path(run_dir) != Path(resume_dir) and not (resume and last.is_file()):
            from meddx.training.members import budget_share, replanned

            share = None if replanned(plan.reasons) else budget_share(resume_dir)
        extra.append(BudgetReplan(budget_minutes, plan, run_dir / "plan.json", planned=share,
                                  budget=limit_words(config, budget_minutes)))
        limit = budget_minutes
    else:  # --epochs and --time-budget: the budget (an ensemble network's share) only stops it, at 1.25x
        from meddx.training.members import network_time_limit

        limit = network_time_limit(config, plan, run_dir / "plan.json", resuming=resume and last.is_file())
        if resume and limit:  # the limit grows with a raised plan.json
            from meddx.training.budget import RaisedEpochsTimeLimit

            extra.append(RaisedEpochsTimeLimit(limit, plan, run_dir / "plan.json", limit_words(config, limit)))
    ema: dict[str, float] | None = None
    if config.ema_epochs is not None:
        from meddx.training.averaging import ema_callback

        callback, ema = ema_callback(config.ema_epochs, len(train_loader))
        extra.append(callback)
    trainer, ckpt = build_trainer(config, plan, run_dir, progress, monitor=monitor, extra_callbacks=extra,
                                  budget_minutes=limit, early_stopping=early_stopping)
    if resume and last.is_file():
        runlib.check_resumable(last, task)
    previous = os.environ.get(runlib.RUN_DIR_ENV)
    os.environ[runlib.RUN_DIR_ENV] = str(run_dir)  # extra DDP processes re-run this and must agree
    try:
        trainer.fit(task, train_loader, val_loader, ckpt_path=str(last) if resume and last.is_file() else None,
                    weights_only=True)
    except SystemExit:
        # Lightning answers Ctrl-C by tearing down and calling sys.exit(1): the user would get
        # no word of the resume command. Interrupted is reported below, with it.
        if not trainer.interrupted:
            raise
    finally:
        if previous is None:
            os.environ.pop(runlib.RUN_DIR_ENV, None)
        else:
            os.environ[runlib.RUN_DIR_ENV] = previous
    if trainer.interrupted:  # every process: a Ctrl-C reaches each one, and each must end with 130
        raise TrainingInterrupted(interrupted_line(trainer, last, resume_dir or run_dir))
    if not trainer.is_global_zero:
        return None
    from meddx.training.interrupt import note

    note(trained=str(resume_dir or run_dir))  # a Ctrl-C from here on: resume to evaluate and save
    cut = epoch_cut_short(trainer)
    epochs_run = epochs_trained(trainer)  # current_epoch is one short after a resume stopped at once
    finished = epochs_run >= int(trainer.fit_loop.max_epochs) and cut is None
    kept = "final" if keep == "final" and finished and last.is_file() else "best"
    restored = str(last) if kept == "final" else ckpt.best_model_path or str(last)
    final_score = trainer.callback_metrics.get(monitor)
    write_json_atomic(run_dir / "trainer.json", {
        "world_size": trainer.world_size, "strategy": type(trainer.strategy).__name__,
        "epochs_run": epochs_run, "epochs_planned": int(trainer.fit_loop.max_epochs),
        "best_checkpoint": ckpt.best_model_path,
        f"best_{monitor}": None if ckpt.best_model_score is None else float(ckpt.best_model_score),
        f"final_{monitor}": None if final_score is None else float(final_score),
        "kept": kept, "restored_checkpoint": restored, "early_stopping": early_stopping,
        "ema": ema, "cut_epoch": cut, "stopped_by": None if finished else stop_cause(trainer),
    })
    load_checkpoint_weights(task, restored)
    if privacy is not None:
        privacy.finalize(task)  # the plain network for the bundle; final privacy.json
    return kept


def interrupted_line(trainer: Any, last: Path, run_dir: Path) -> str:
    """The Ctrl-C line: the epoch it stopped in, from 1 as the time-limit warning counts, the finished epochs
    ``last`` (an ensemble's later network: its own) holds, and the resume: none without the run's own
    ``last.ckpt`` (it is refused). Other ranks point at rank 0's line: only rank 0 saves."""
    from meddx.training.checkpoint import LastEveryEpoch

    where = f"in epoch {int(trainer.current_epoch) + 1} of {trainer.max_epochs}"
    if not trainer.is_global_zero:
        return (f"training interrupted {where} on process {trainer.global_rank} of {trainer.world_size}; "
                "rank 0's line says what was saved and how to resume the run")
    saved = next((c.epochs_saved for c in trainer.callbacks if isinstance(c, LastEveryEpoch)), 0)
    if not (run_dir / "checkpoints" / "last.ckpt").is_file():  # refused by --resume (checkpoint.nothing_to_resume)
        return f"training interrupted {where} (no epoch finished yet); nothing to resume: start the run again"
    kept = (f"{saved or 'the'} finished epoch{'s' if saved != 1 else ''} saved in {last}" if last.is_file()
            else "no epoch of this network finished yet: a resume starts it from its first")
    return f"training interrupted {where} ({kept}); resume with: meddx train --resume {run_dir}"


def epoch_cut_short(trainer: Any) -> dict[str, int] | None:
    """``{"epoch", "batches", "of"}`` when training stopped inside an epoch, before its last batch
    (Lightning's ``max_time`` checks after every batch; early stopping acts between epochs), else
    ``None``. Lightning counts that epoch in ``current_epoch``: a PneumoniaMNIST run whose one
    planned epoch outlasted 1.25x its budget stopped after 8 of 37 batches, and was taken for a
    schedule run to its end (``--checkpoint final`` would have kept it as such)."""
    progress = trainer.fit_loop.epoch_loop.batch_progress
    total = trainer.num_training_batches
    if progress.is_last_batch or not isinstance(total, int) or progress.current.completed >= total:
        return None
    return {"epoch": max(0, int(trainer.current_epoch) - 1), "batches": int(progress.current.completed), "of": total}


def _build_task(config: TrainConfig, source: Any, plan: Plan) -> Any:
    from meddx.tasks.classification import ClassificationTask

    return ClassificationTask(
        model_name=plan.model,
        model_args=plan.model_args,
        task=source.task,
        num_classes=source.num_classes,
        class_weights=plan.class_weights,
        lr=config.lr,
        weight_decay=config.weight_decay,
        max_epochs=plan.epochs,
        label_smoothing=config.label_smoothing,
    )


def _default_name(source_name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in source_name.lower()).strip("-")
    return safe or f"model-{int(time.time())}"
