"""The optimiser and schedule every task uses: AdamW without decay on biases/norms, linear
warm-up then cosine to zero, stepped per batch."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


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

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
