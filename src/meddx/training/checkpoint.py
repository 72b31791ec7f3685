"""``checkpoints/last.ckpt`` after every epoch, whatever the monitored metric did.

Lightning 2.6's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only in epochs that
also saved a top-k checkpoint, so once validation stopped improving, ``last.ckpt`` stayed at
the best epoch and ``meddx train --resume`` silently restarted from there, retraining (and
re-logging) every epoch after it. This callback saves at the end of every epoch instead.

Also here: whether a checkpoint file reads whole (:func:`checkpoint_problem`), which a resume checks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback, Checkpoint


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
        self.epochs_saved = 0  # epochs ``path`` holds (a resumed run's earlier ones included), for the Ctrl-C line

    def on_load_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        epoch = checkpoint.get("epoch")  # written at the end of epoch ``epoch`` (counted from 0)
        self.epochs_saved = int(epoch) + 1 if isinstance(epoch, int) and epoch >= 0 else 0

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
        self.epochs_saved = int(trainer.current_epoch) + 1


class StayEarlyStopped(Callback):
    """On a resume, keep a network that early stopping ended in an earlier leg stopped (its
    ``trainer.json`` ``record`` says so, for the epoch its checkpoint holds, and its plan's epochs
    were not raised). Lightning restores early stopping's counters but checks them only after the
    next epoch's validation: a run resumed to evaluate and save after an interrupted evaluation, or
    an ensemble's early-stopped first network resumed with the run, trained one more epoch (and
    could keep other weights). A network that ran its planned epochs or spent its time limit
    already stops at once."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self._done: int | None = None

    def on_load_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        epoch = checkpoint.get("epoch")
        self._done = int(epoch) + 1 if isinstance(epoch, int) and epoch >= 0 else None

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        record, run = self.record, self.record.get("epochs_run")
        planned = record.get("epochs_planned")
        early = record.get("stopped_by") == "early stopping" or (  # trainer.json from before "stopped_by"
            "stopped_by" not in record and not record.get("cut_epoch") and isinstance(run, int)
            and isinstance(planned, int) and run < planned)
        if (early and record.get("early_stopping", True) and self._done is not None and run == self._done
                and isinstance(planned, int) and int(trainer.max_epochs or 0) <= planned):
            trainer.should_stop = True


def checkpoint_problem(path: Path) -> str | None:
    """What is wrong with checkpoint ``path``, or ``None`` when it reads whole.

    A torch checkpoint is a zip archive: a cut file has no central directory, and every member
    carries a CRC-32 that ``testzip`` checks. ``torch.load`` checks neither CRC nor content: a
    checkpoint damaged inside (a bad copy, a failing disk) resumed with the damaged tensors."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return f"truncated or not written by meddx: {exc}"
    return f"member {bad} is damaged (CRC mismatch)" if bad else None


def unreadable_fallback(last: Path) -> str:
    """What to do about an unreadable ``last.ckpt``: resume from the best epoch's checkpoint when
    that one reads whole (the later epochs are trained again), else start a new run."""
    for best in sorted(last.parent.glob("best-*.ckpt"), reverse=True):
        if checkpoint_problem(best) is None:
            return (f"the best epoch's checkpoint {best.name} beside it reads whole: copy it over last.ckpt "
                    "to resume from that epoch (the epochs after it are trained again), or start a new run")
    return "start a new run"


def nothing_to_resume(run_dir: Path) -> str:
    """Why ``--resume run_dir`` has nothing to resume. A bundle folder (``bundles/NAME/vN``, the
    path a run prints on its ``bundle:`` line) is named as such with its run's folder, which its
    ``config.json`` records: before, it got the bare "no checkpoints/last.ckpt" of an empty folder."""
    import json

    try:
        training = json.loads((run_dir / "config.json").read_text()).get("training") or {}
    except (OSError, ValueError, AttributeError):
        training = {}
    if (run_dir / "weights.safetensors").is_file() and isinstance(training, dict) and training.get("run_dir"):
        return (f"{run_dir}: a bundle folder, not a run folder; --resume takes the run folder it came from: meddx "
                f"train --resume {training['run_dir']}")
    return f"{run_dir}: nothing to resume (no checkpoints/last.ckpt)"
