"""``checkpoints/last.ckpt`` after every epoch, whatever the monitored metric did.

Lightning 2.6's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only in epochs that
also saved a top-k checkpoint, so once validation stopped improving, ``last.ckpt`` stayed at
the best epoch and ``meddx train --resume`` silently restarted from there, retraining (and
re-logging) every epoch after it. This callback saves at the end of every epoch instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Checkpoint


class LastEveryEpoch(Checkpoint):
    """Save the full training state (weights, optimiser, schedule, callback states) to ``path``.

    A ``Checkpoint`` subclass, so Lightning runs it after the ``ModelCheckpoint`` that tracks
    the best epoch and after early stopping: the state saved here already includes this epoch.

    Written atomically: the checkpoint goes to ``<path>.partial`` beside it, then ``os.replace``
    puts it in place in one step, so a run killed while saving keeps the previous epoch's
    ``last.ckpt`` whole. (Lightning's own transaction writes to the system temporary folder and
    *moves* the file, which is a byte-by-byte copy into ``last.ckpt`` itself whenever that folder
    is on another file system than the run, e.g. a tmpfs ``/tmp``.)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def partial(self) -> Path:
        """Where a checkpoint is written before it replaces ``path``."""
        return self.path.with_name(self.path.name + ".partial")

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        # Validation has run by now (meddx validates once at the end of every epoch) and the
        # early-stopping and best-epoch callbacks have seen it, so a resume starts a new epoch.
        trainer.save_checkpoint(self.partial)  # every process takes part; only rank 0 writes
        if trainer.is_global_zero:
            os.replace(self.partial, self.path)
