"""``checkpoints/last.ckpt`` after every epoch, whatever the monitored metric did.

Lightning 2.6's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only in epochs that
also saved a top-k checkpoint, so once validation stopped improving, ``last.ckpt`` stayed at
the best epoch and ``meddx train --resume`` silently restarted from there, retraining (and
re-logging) every epoch after it. This callback saves at the end of every epoch instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Checkpoint


class LastEveryEpoch(Checkpoint):
    """Save the full training state (weights, optimiser, schedule, callback states) to ``path``.

    A ``Checkpoint`` subclass, so Lightning runs it after the ``ModelCheckpoint`` that tracks
    the best epoch and after early stopping: the state saved here already includes this epoch.
    ``Trainer.save_checkpoint`` writes through a temporary file, so an interrupted save never
    leaves a truncated ``last.ckpt``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        # Validation has run by now (meddx validates once at the end of every epoch) and the
        # early-stopping and best-epoch callbacks have seen it, so a resume starts a new epoch.
        trainer.save_checkpoint(self.path)
