"""Exponential moving average (EMA) of the weights, through Lightning's ``EMAWeightAveraging``.

With ``ema_epochs`` set, every optimiser step folds the network's weights (and batch-norm
statistics) into an average whose memory is about that many epochs. Validation, the epoch
kept by the checkpoint callback and the bundle all use the averaged weights: Lightning swaps
them in for each validation pass and writes them as the checkpoint's ``state_dict`` (the raw
weights travel beside them, so ``--resume`` continues both). Averaging smooths the step-to-step
noise of the last epochs, so the epoch validation picks is less a matter of luck.

The horizon is given in epochs rather than as a decay because the right decay depends on the
steps per epoch: ``decay = 1 - 1 / (ema_epochs * steps_per_epoch)``.
"""

from __future__ import annotations

from typing import Any


def ema_decay(ema_epochs: float, steps_per_epoch: int) -> float:
    """The per-step decay whose averaging memory (``1 / (1 - decay)`` steps) is ``ema_epochs`` epochs."""
    steps = max(1.0, float(ema_epochs) * max(1, int(steps_per_epoch)))
    return 1.0 - 1.0 / steps if steps > 1.0 else 0.0


def ema_callback(ema_epochs: float, steps_per_epoch: int) -> tuple[Any, dict[str, float]]:
    """The Lightning callback and a record of its settings (for ``trainer.json``)."""
    from lightning.pytorch.callbacks import EMAWeightAveraging

    decay = ema_decay(ema_epochs, steps_per_epoch)
    record = {"epochs": float(ema_epochs), "steps_per_epoch": int(steps_per_epoch), "decay": round(decay, 8)}
    return EMAWeightAveraging(decay=decay), record
