"""``fit`` for segmentation sources: fingerprint -> plan -> Lightning training -> bundle.

Reading order of :func:`fit_segmentation`:

1. load the image+mask source (test and val carved from train when it has none; a resume reads back
   the cases its run carved, :mod:`meddx.data.seg_carve`);
2. fingerprint the training cases and plan the grid, patch, normalisation, network, batch and
   mirror axes (``fingerprint.json``, ``plan.json``; a ``--plan`` file overrides fields);
3. under ``--time-budget`` without ``--epochs``, measure a training step and a validation pass and
   set the epochs to fit the budget (re-planned while training, ``train_and_restore``);
4. preprocess train and val once, and decode every test case, so a broken test pair stops the run
   before training, not after it;
5. train each network (``--ensemble K``: seeds seed..seed+K-1 sharing the budget, networks 2..K in
   ``members/<m>``) with per-epoch checkpoints, keeping the final epoch by default (``checkpoint``);
   a resume keeps ``plan.json`` and first checks the masks are those the run trained on;
6. ``seg_finish.finish_segmentation``: test-time passes and post-processing chosen on val (under a
   budget, only the options whose projected cost fits about the training budget again, unless
   ``seg_tta`` says on or off), val and test evaluated on the original grids, bundle, registry.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from meddx.core.files import write_json_atomic
from meddx.training.config import TrainConfig
from meddx.training.members import member_plans, write_member_plans
from meddx.training.plan import is_chosen


def fit_segmentation(config: TrainConfig, run_dir: Path | None = None, *, plan_file: str | Path | None = None,
                     resume: bool = False, progress: bool = True) -> Any:
    """Train a segmentation model as ``config`` says; returns a ``FitResult``."""
    from meddx.data.segmentation import load_seg_source
    import lightning as L

    from meddx.models.ensemble import SoftmaxMean
    from meddx.tasks.ensemble import member_head
    from meddx.training import run as runlib
    from meddx.training.fit import (
        FitResult, _default_name, resolve_precision, train_and_restore,
    )
    from meddx.training.seg_data import CaseDataset, preprocess_cases
    from meddx.training.seg_plan import SegPlan, fingerprint, make_seg_plan, read_seg_plan

    if config.devices * config.num_nodes > 1:
        from meddx.core.errors import ConfigError

        from meddx.training.distributed import one_process_hint

        raise ConfigError(f"segmentation trains in one process for now; {one_process_hint()} "
                          "(multi-process training is available for classification)")
    source = load_seg_source(config.data, val_fraction=config.val_fraction, test_fraction=config.test_fraction,
                             seed=config.seed, label_names=config.label_names,
                             memberships=recorded_carves(run_dir) if resume and run_dir is not None else None)
    config = config.model_copy(update={"precision": resolve_precision(config.precision, source.spatial_dims)})
    name = config.name or _default_name(source.name)
    run_dir = run_dir or runlib.new_run_dir(name)
    if resume:
        runlib.check_same_data(run_dir, source, mask_digests(source))
    existing = run_dir / "plan.json"
    if existing.is_file():  # resume: the plan was fixed by the first run
        plan = SegPlan(**runlib.read_json(existing))
    else:
        fp = fingerprint(_cases(source, "train"), source.label_names, seed=config.seed)
        write_json_atomic(run_dir / "fingerprint.json", fp)
        plan = make_seg_plan(config, fp, read_seg_plan(plan_file) if plan_file else None)
    from meddx.training.config import check_member_seeds

    check_member_seeds(config.seed, plan.ensemble)  # a plan file's ensemble: before any member trains
    pre = plan.preprocessor()
    from meddx.training.seg_voxels import DigestingReader

    # each train/val case's voxel digest for data.json, taken as the case is decoded here (a resume keeps its data.json)
    digesting = DigestingReader(source) if not existing.is_file() else None
    x_train, y_train = preprocess_cases(digesting or source, "train", pre, progress)
    x_val, y_val = preprocess_cases(digesting or source, "val", pre, progress)
    if config.evaluate_test and "test" in source.splits:
        _check_cases(source, "test")
    # a resumed run keeps re-planning each network (its BudgetReplan state comes back with its checkpoint).
    # Epochs a plan file chose stay chosen (is_chosen: the reason's start): a resume's note appended to the
    # reason ("raised to N by hand ...") made an exact match fail, and the next resume re-planned them.
    budget_planned = bool(config.time_budget and config.epochs is None and not is_chosen(plan, "epochs"))
    if not existing.is_file():
        if budget_planned:
            plan = _fit_budget(plan, config, source, _train_dataset(plan, x_train, y_train, config.seed), x_val)
        plan.write(existing)
        write_member_plans(run_dir, plan)  # networks 2..K: their own plan.json, re-planned on its own
        write_json_atomic(run_dir / "config.json", config.model_dump())
        write_json_atomic(run_dir / "data.json", data_summary(source, digesting.digests() if digesting else None))
        write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": config.seed})

    val_loader = _loader(CaseDataset(x_val, y_val), plan.batch_size if plan.spatial_dims == 2 else 1, shuffle=False)
    nets, kept = [], []
    plans = member_plans(run_dir, plan)  # each network plans and re-plans its own epochs
    for member, plan in enumerate(plans):
        # Member 0 trains in the run folder itself, member m in members/m with seed + m
        # (initial weights, patch order and augmentation all differ).
        seed = config.seed + member
        member_dir = runlib.member_dir(run_dir, member)
        L.seed_everything(seed, workers=True, verbose=False)
        task = _build_task(config, source, plan)
        train_ds = _train_dataset(plan, x_train, y_train, seed)
        # On resume, a member that had finished restores its last state and stops at once
        # (unless plan.json was edited to train longer); the interrupted one continues.
        kept.append(train_and_restore(
            config, plan, task, _loader(train_ds, plan.batch_size, shuffle=True, seed=seed), val_loader, member_dir,
            progress, resume=resume and (member_dir / "checkpoints" / "last.ckpt").is_file(), monitor="val_dice",
            resume_dir=run_dir, budget_minutes=config.time_budget / plan.ensemble if budget_planned else None,
            keep=plan.checkpoint))
        nets.append(task.net.eval())
    net = nets[0] if len(nets) == 1 else SoftmaxMean(nets, member_head("segmentation")).eval()
    plan = plans[0]  # the run's plan.json (network 1's); the bundle records every network's epochs
    from meddx.training.seg_finish import finish_segmentation

    result = finish_segmentation(config, source, plan, net, run_dir, name, progress, kept=kept)
    return FitResult(run_dir=run_dir, plan=plan, **result)  # type: ignore[arg-type]


def _train_dataset(plan: Any, x_train: list[np.ndarray], y_train: list[np.ndarray], seed: int) -> Any:
    """Training patches with the plan's sampling and augmentation, drawn with ``seed``."""
    from meddx.training.seg_data import PatchDataset, build_seg_augmentation

    augment = build_seg_augmentation(plan.augment, plan.spatial_dims, seed=seed, mirror_axes=plan.mirror_axes)
    return PatchDataset(x_train, y_train, plan.patch_size, plan.foreground_oversample, augment, seed=seed,
                        length=plan.samples_per_epoch)


def _cases(source: Any, split: str) -> Any:
    for i in range(len(source.split(split))):
        yield source.load_case(split, i)


def _check_cases(source: Any, split: str) -> None:
    """Decode every case of ``split`` once (shape, grid and label checks of ``load_case``): a broken
    test pair then stops the run before training, not at the test evaluation after all of it,
    when no bundle would be saved."""
    for _ in _cases(source, split):
        pass


def _build_task(config: TrainConfig, source: Any, plan: Any) -> Any:
    from meddx.tasks.segmentation import SegmentationTask

    return SegmentationTask(
        model_name=plan.model, model_args=plan.model_args, num_classes=source.num_classes,
        patch_size=plan.patch_size, lr=config.lr, weight_decay=min(config.weight_decay, 1e-4),
        max_epochs=plan.epochs,
    )


def _loader(dataset: Any, batch_size: int, shuffle: bool, seed: int = 0) -> Any:
    from torch.utils.data import DataLoader

    gen = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=0, generator=gen)


def _fit_budget(plan: Any, config: TrainConfig, source: Any, train_ds: Any, x_val: list[np.ndarray]) -> Any:
    """Measure a training step (real patches, augmentation, loss, optimiser) and a validation
    window, then set the epochs so training fits the time budget."""
    from meddx.training.seg_plan import epochs_for_budget

    task = _build_task(config, source, plan).train()
    opt = torch.optim.AdamW(task.parameters(), lr=1e-4)
    times = []
    warmup, steps = 3, 8  # first steps allocate and pick kernels (and MONAI transforms warm up)
    for step in range(warmup + steps):
        start = time.perf_counter()
        items = [train_ds[i % len(train_ds)] for i in range(plan.batch_size)]
        batch = {k: torch.stack([it[k] for it in items]) for k in ("image", "label")}
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.precision == "bf16-mixed"):
            loss = task.step(batch)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    # Lower quartile, not median: steps here show occasional 1.5-2x spikes (allocator, other
    # processes) that a whole epoch averages away; the median overstated the epoch time by ~40%.
    sps = sorted(times)[len(times) // 4] / plan.batch_size
    task.eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for x in x_val[: min(4, len(x_val))]:
            task.sliding_window(torch.from_numpy(x)[None])
    val_seconds = (time.perf_counter() - start) / max(1, min(4, len(x_val))) * len(x_val)
    epochs = epochs_for_budget(len(train_ds), config.time_budget / plan.ensemble, sps, val_seconds)
    data = plan.model_dump()
    data.update(epochs=epochs, seconds_per_sample=sps, early_stopping_patience=config.early_stopping_patience or epochs)
    shared = f" shared by {plan.ensemble} networks" if plan.ensemble > 1 else ""
    data["reasons"]["epochs"] = (f"{config.time_budget:g} min budget{shared} / ({len(train_ds)} patches x "
                                 f"{sps * 1000:.0f} ms measured + {val_seconds:.1f} s validation per epoch)")
    from meddx.training.short_budget import seg_short_budget

    # under one epoch: said before training and in reasons.epochs, as for images (one epoch was planned silently)
    return seg_short_budget(type(plan)(**data), len(train_ds), config.time_budget, val_seconds)


def recorded_carves(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The carve records (split -> record) of a run's ``data.json`` (:mod:`meddx.data.seg_carve`), which
    its resume reads back; empty without a ``data.json`` or for a run written before the records."""
    from meddx.data.seg_carve import recorded_memberships
    from meddx.training.run import read_json

    path = Path(run_dir) / "data.json"
    return recorded_memberships(read_json(path)) if path.is_file() else {}


def data_summary(source: Any, voxels: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What ``data.json`` records of a segmentation source: names, notes, and per split the case
    ids and a hash of every (id, mask file bytes, meta) triple, which a resume compares (the
    masks are a segmentation's labels; :func:`meddx.training.run.check_same_data`), and the
    SHA-256 of each case's image file, which ``evaluate``/``compare`` match to find training
    cases in any layout (``evaluation.seg_seen``); ``voxels`` (train and val: ``split -> digests``
    from ``seg_voxels.DigestingReader``) adds each case's decoded-voxel digest (``voxel_sha256``),
    which finds them re-saved under any file and id (``evaluation.seg_seen_voxels``); and the
    record of each split carved from train (``val_membership``, ``test_membership``;
    :mod:`meddx.data.seg_carve`), which a resume and the bundle's evaluations read back."""
    from meddx.data.seg_carve import membership_fields

    voxels = voxels or {}
    return {
        "name": source.name, "origin": source.origin, "task": source.task, "label_names": source.label_names,
        "spatial_dims": source.spatial_dims, "mask_kind": source.mask_kind, "notes": source.notes,
        "splits": {k: {"n": len(v), "patients": len(set(v.patient_ids)) if v.patient_ids else None,
                       "ids": list(v.ids), "sha256_ids_labels": _split_digest(v),
                       "image_sha256": [_digest(p, "image") for p in v.images],
                       **({"voxel_sha256": list(voxels[k])} if k in ("train", "val") and k in voxels else {})}
                   for k, v in source.splits.items()},
        **membership_fields(getattr(source, "memberships", None) or {}),
    }


def mask_digests(source: Any) -> dict[str, Any]:
    """Only what a resume compares (:func:`meddx.training.run.check_same_data`): the per-split
    hash of (id, mask bytes, meta), without reading every image as :func:`data_summary` does."""
    return {"splits": {k: {"sha256_ids_labels": _split_digest(v)} for k, v in source.splits.items()}}


def _split_digest(split: Any) -> str:
    import hashlib

    digest = hashlib.sha256()
    for i, sid in enumerate(split.ids):
        mask = None if split.masks is None else _digest(split.masks[i], f"mask of case {sid}")
        meta = {k: v[i] for k, v in sorted(split.meta.items())}
        digest.update(f"{sid}\t{mask}\t{meta}\n".encode())
    return digest.hexdigest()


def _digest(path: str, what: str) -> str:
    """SHA-256 of a case's file, with a one-line error naming it when it cannot be read."""
    from meddx.core.errors import DataError
    from meddx.core.files import file_digest

    try:
        return file_digest(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {what} ({exc})") from None
