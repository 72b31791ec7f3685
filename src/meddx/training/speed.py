"""Measure training speed on the real model and data, to fit epochs into a time budget."""

from __future__ import annotations

import time
from typing import Any

import torch


def seconds_per_sample(task: Any, dataset: Any, batch_size: int, precision: str = "32-true", steps: int = 5,
                       warmup: int = 2) -> float:
    """Wall-clock seconds per training sample: augmentation, forward, backward, optimiser step.

    Warm-up steps are discarded (first calls allocate and pick kernels), and the median step
    is used so one slow step does not shrink the plan; the task itself is left untouched
    because a copy of it is what gets updated.
    """
    import copy

    model = copy.deepcopy(task).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    n = min(len(dataset), batch_size)
    use_bf16 = precision == "bf16-mixed"
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        idx = torch.randint(0, len(dataset), (n,))
        batch = [dataset[int(i)] for i in idx]
        x = torch.stack([b[0] for b in batch])
        y = torch.stack([b[1] for b in batch])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            logits = model(x)
        target = y.float() if task.task == "multilabel" else y.long()
        loss = task.loss_fn(logits.float(), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2] / n
