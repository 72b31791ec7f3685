"""The epoch progress bar of ``meddx train``, counting epochs from 1 as every line meddx prints does.

Lightning's ``RichProgressBar`` labels the first of 10 epochs ``Epoch 0/9`` (its ``current_epoch``,
counted from 0), while the time-limit warning ("the time limit stopped epoch 3 after 2 of its 4
batches"), a Ctrl-C's line and the re-plan reasons say epoch 1 of 10 for it: a user matching the
warning to the bar was one epoch off. The bar now says ``Epoch 1/10``. Checkpoint names, the CSV
logs and the JSON records (``trainer.json``, a bundle's ``training``) keep Lightning's count from 0,
as docs/training.md says. Imported only when a run shows its bar (it imports Lightning).
"""

from __future__ import annotations

from lightning.pytorch.callbacks import RichProgressBar


class EpochsFromOne(RichProgressBar):
    """``RichProgressBar`` whose training description is ``Epoch N/TOTAL``, N counted from 1."""

    def _get_train_description(self, current_epoch: int) -> str:  # Lightning's hook for the bar's label
        description = f"Epoch {current_epoch + 1}"
        max_epochs = self.trainer.max_epochs
        if max_epochs is not None and max_epochs >= 0:  # -1: no epoch limit
            description += f"/{max_epochs}"
        width = len(self.validation_description)  # padded as Lightning pads it: no flicker between bars
        return f"{description:{width}}" if width > len(description) else description
