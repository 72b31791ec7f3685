"""The Lightning ``Trainer`` every task kind trains with, and the process settings around it.

Split from ``fit.py`` (which keeps the flow): callbacks for the kept epoch, atomic per-epoch
checkpoints and early stopping; the precision and thread choices; loading a checkpoint's weights.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from meddx.training.config import TrainConfig


def build_trainer(config: TrainConfig, plan: Any, run_dir: Path, progress: bool,
                  monitor: str = "val_select", extra_callbacks: list[Any] | None = None,
                  budget_minutes: float | None = None, early_stopping: bool = True) -> tuple[Any, Any]:
    """A CPU ``Trainer`` for ``plan.epochs`` (``max_time`` 1.25x a budget) and the ``ModelCheckpoint``
    tracking the best ``monitor`` epoch; ``last.ckpt`` is written every epoch, atomically."""
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    # The best epoch's checkpoint gets a new name each time (the previous one is removed after it
    # is saved), so a save interrupted midway leaves the previous best whole; last.ckpt, which is
    # overwritten, is replaced atomically by LastEveryEpoch.
    ckpt = ModelCheckpoint(
        dirpath=run_dir / "checkpoints", filename="best-{epoch:03d}", monitor=monitor, mode="max",
        save_top_k=1, save_last=False, every_n_epochs=1,
    )
    from meddx.training.checkpoint import LastEveryEpoch

    callbacks: list[Any] = [ckpt, LastEveryEpoch(run_dir / "checkpoints" / "last.ckpt")]
    if early_stopping:
        callbacks.append(EarlyStopping(monitor=monitor, mode="max", patience=plan.early_stopping_patience))
    callbacks += extra_callbacks or []
    if progress:  # epochs counted from 1, as the time-limit warning and every other line count them
        from meddx.training.progress_bar import EpochsFromOne

        callbacks.append(EpochsFromOne(leave=True, console_kwargs={"stderr": True}))  # progress: stderr, as notes
    max_time = {"minutes": budget_minutes * 1.25} if budget_minutes else None
    trainer = L.Trainer(
        accelerator="cpu",
        devices=config.devices,
        num_nodes=config.num_nodes,
        strategy="ddp" if config.devices * config.num_nodes > 1 else "auto",
        precision=config.precision,
        max_epochs=plan.epochs,
        limit_train_batches=getattr(plan, "train_batches", None) or 1.0,  # text: a budget under one epoch
        max_time=max_time,
        deterministic=config.deterministic,
        callbacks=callbacks,
        logger=CSVLogger(run_dir, name="logs"),  # logs/version_N: a resumed run keeps earlier logs
        default_root_dir=run_dir,
        enable_progress_bar=progress,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=10,
    )
    return trainer, ckpt


def stop_cause(trainer: Any) -> str | None:
    """What ended training: ``"early stopping"`` (the monitored metric stopped improving),
    ``"the time limit"`` (Lightning's ``max_time``, 1.25x a time budget), else ``None`` (the planned
    epochs, or another stop such as a DP budget spent). ``trainer.json`` records it so that a
    finished run's refusal to resume names the right cause (it said "early stopping" for a run the
    time limit had stopped, with early stopping off)."""
    from lightning.pytorch.callbacks import EarlyStopping, Timer

    callbacks = list(getattr(trainer, "callbacks", []))
    if any(isinstance(cb, EarlyStopping) and _stopped_this_epoch(cb, trainer) for cb in callbacks):
        return "early stopping"
    for cb in callbacks:
        left = cb.time_remaining() if isinstance(cb, Timer) else None
        if left is not None and left <= 0:
            return "the time limit"
    return None


def epochs_trained(trainer: Any) -> int:
    """Epochs this network has trained, the ones before a resume included (an epoch the time limit
    cut counts, as Lightning counts it). ``current_epoch`` alone is one short when a resumed run
    stops before its first new epoch (a restored time limit already spent): Lightning restores a
    checkpoint written at an epoch's end with that epoch processed but not yet counted, and counts
    it only when the next epoch starts: a run interrupted after 3 of its 5 epochs as its time limit
    ran out, then resumed, recorded ``epochs_run`` 2."""
    progress = getattr(getattr(trainer, "fit_loop", None), "epoch_progress", None)
    processed = int(getattr(getattr(progress, "current", None), "processed", 0) or 0)
    return max(int(trainer.current_epoch), processed)


def _stopped_this_epoch(stopping: Any, trainer: Any) -> bool:
    """Whether early stopping ended training at its last epoch. ``stopped_epoch`` alone misleads:
    it comes back with a checkpoint, so a run early-stopped before, raised and resumed, that the
    time limit then stopped was recorded as early-stopped; and it is 0 when early stopping ends
    epoch 0 (a non-finite metric), so that stop went unnamed."""
    if int(stopping.stopped_epoch) != epochs_trained(trainer) - 1:
        return False  # not the epoch training ended on (Lightning counts the stopped epoch as run)
    reason = getattr(stopping, "stopping_reason", None)  # Lightning >= 2.6; before, 0 meant not stopped
    return bool(stopping.stopped_epoch) or (reason is not None and int(reason.value) != 0)


def load_checkpoint_weights(task: Any, path: str) -> None:
    """Load the weights of checkpoint ``path`` into ``task`` (its own loss weights kept) and set eval mode."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    task.load_state_dict(task.with_own_loss_weights(state) if hasattr(task, "with_own_loss_weights") else state)
    task.eval()


def resolve_precision(precision: str, spatial_dims: int = 2) -> str:
    """``auto`` -> ``bf16-mixed`` for 2D when the CPU runs bf16 natively, else ``32-true``.

    3D stays in fp32: on this CPU (torch 2.13, oneDNN) the bf16 backward of 3D convolutions
    on small feature maps gave non-finite gradients within two steps, where fp32 was clean.
    """
    if precision == "bf16-mixed" and spatial_dims == 3:
        import logging

        logging.getLogger(__name__).warning(
            "precision bf16-mixed on 3D inputs: on CPU the bf16 backward of 3D convolutions gave non-finite "
            "gradients within two steps here, and was slower than fp32; precision auto (the default) trains 3D "
            "in 32-true")
    if precision != "auto":
        return precision
    if spatial_dims != 2:
        return "32-true"
    import torch

    try:
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return "bf16-mixed" if native else "32-true"


def quiet_lightning() -> None:
    """Keep Lightning's banners (GPU availability, tips) and known-harmless warnings out of the
    user's terminal; real warnings still show."""
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*treespec.*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*number of training batches.*logging interval.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*Checkpoint directory .* exists and is not empty.*")


def set_threads(config: TrainConfig) -> None:
    """Torch threads per process: ``num_threads``, else the usable cores divided by the processes."""
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_process = config.num_threads or max(1, cores // max(1, config.devices))
    torch.set_num_threads(per_process)
