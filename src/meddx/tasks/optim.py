"""The optimiser and schedule every task uses: AdamW without decay on biases/norms, linear
warm-up then cosine to zero, stepped per batch."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


class WarmupCosine:
    """LR multiplier at optimiser step ``step``: linear warm-up, then cosine from 1 to 0 at ``total``.

    A plain object rather than a closure so that ``LambdaLR.state_dict`` saves ``total`` in
    every checkpoint, and so that a time-budget re-plan (``training.budget``) can move the end
    of the schedule with :meth:`retarget` when it changes the number of epochs.
    """

    def __init__(self, total: int, warmup: int) -> None:
        self.total = max(1, int(total))
        self.warmup = int(warmup)

    def retarget(self, total: int) -> None:
        """End the cosine at ``total`` steps instead (warm-up unchanged)."""
        self.total = max(self.warmup + 1, int(total))

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / max(1, self.warmup)
        progress = (step - self.warmup) / max(1, self.total - self.warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def adamw_cosine(net: nn.Module, lr: float, weight_decay: float, total_steps: int,
                 warmup_fraction: float) -> dict[str, Any]:
    """Lightning ``configure_optimizers`` return value for ``net``.

    ``warmup_fraction`` of the ``total_steps`` (at most half) warm up linearly.
    """
    decay, no_decay = [], []
    for param in net.parameters():
        (no_decay if param.ndim <= 1 else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lr,
    )
    total = max(1, int(total_steps))
    warmup = min(total // 2, int(total * warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupCosine(total, warmup))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
