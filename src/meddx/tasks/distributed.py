"""Which validation rows of a multi-process run are real samples, not the sampler's padding.

With ``--devices N`` (classification; segmentation trains in one process) Lightning gives each
process a ``DistributedSampler`` over the validation set, which repeats the first samples so that
every process gets as many (a set of 11 on two processes scores sample 0 twice). The validation AUC that picks the epoch, early stopping and
``trainer.json`` would count those copies. Lightning's unpadded sampler is documented as unsafe
outside prediction (uneven batch counts can hang DDP), so the padded rows are left in the batches
and masked out of the metrics instead: with ``shuffle=False`` (Lightning's choice for validation)
process r's j-th sample is position ``r + j * N`` of the padded index list, and positions from
``len(dataset)`` on are the repeats. No library offers this mask, hence this module.
"""

from __future__ import annotations

from typing import Any

import torch


def real_rows(module: Any, rows: int, batch_idx: int) -> torch.Tensor | None:
    """A boolean mask of the batch's rows that are real validation samples, or ``None`` when
    every row is (one process, or no trainer attached)."""
    trainer = getattr(module, "_trainer", None)
    if trainer is None or trainer.world_size == 1:
        return None
    loader = trainer.val_dataloaders
    total, size = len(loader.dataset), loader.batch_size
    positions = trainer.global_rank + (batch_idx * size + torch.arange(rows)) * trainer.world_size
    return positions < total
