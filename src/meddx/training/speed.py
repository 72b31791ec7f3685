"""Fit a run into a time budget from measured training speed (epochs, and size if needed).

Speed is measured on random tensors of the planned shape with the real network, loss,
optimiser, precision and augmentation, before any data is preprocessed, so the input size
can still change. Warm-up steps are discarded (first calls allocate and pick kernels) and the
median step is used so one slow step does not shrink the plan.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import torch

from meddx.models.registry import RESNET_NARROW_WIDTH, RESNET_WIDTH, STEM_MODELS, auto_stem
from meddx.training.plan import Plan, default_batch_size, epochs_in_budget, plan_epochs, size_defaults

MIN_EPOCHS = 15  # below this, a shorter schedule costs more accuracy than a smaller input
MIN_SIDE = 28
DEFAULT_WIDTH = RESNET_WIDTH  # first-stage channels of an automatic ResNet
MIN_WIDTH = RESNET_NARROW_WIDTH  # one halving; the 3D default is already this narrow


def seconds_per_sample(task: Any, shape: tuple[int, ...], batch_size: int, precision: str = "32-true",
                       augment: Callable[[Any], Any] | None = None, steps: int = 4, warmup: int = 2) -> float:
    """Seconds per training sample: augmentation, forward, backward and optimiser step.

    ``task`` is trained by the measurement: pass one built for it (``fit_to_budget`` does).
    """
    model = task.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    use_bf16 = precision == "bf16-mixed"
    x = torch.randn(batch_size, *shape)
    y = torch.zeros(batch_size, task.hparams.num_classes) if task.task == "multilabel" else torch.zeros(batch_size).long()
    times = []
    for step in range(warmup + steps):
        aug_time = 0.0
        if augment is not None:  # per-sample cost: time a few samples, scale to the batch
            start = time.perf_counter()
            for i in range(min(batch_size, 8)):
                augment(x[i])
            aug_time = (time.perf_counter() - start) * batch_size / min(batch_size, 8)
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
            logits = model(x)
        loss = task.loss_fn(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= warmup:
            times.append(time.perf_counter() - start + aug_time)
    return sorted(times)[len(times) // 2] / batch_size


def fit_to_budget(plan: Plan, n_train: int, budget_minutes: float, precision: str,
                  build_task: Callable[[Plan], Any], augment_for: Callable[[Plan], Any],
                  size_is_automatic: bool, width_is_automatic: bool = False, processes: int = 1) -> Plan:
    """Epochs for the budget. When fewer than ``MIN_EPOCHS`` fit: shrink an automatic input size
    (cost ~ number of pixels/voxels), and once it is at ``MIN_SIDE``, halve the width of an
    automatic network (cost ~ width squared; not below ``MIN_WIDTH``); measure after each change.

    ``processes`` (``devices x num_nodes``): each trains ``ceil(n_train / processes)`` samples per
    epoch at the probe's speed (measured with one process's threads, ``set_threads``), so a
    2-process run fits about twice the epochs and needs no smaller input for them."""
    for _ in range(4):
        shape = (plan.channels, *plan.image_size)
        sps = seconds_per_sample(build_task(plan), shape, plan.batch_size, precision, augment_for(plan))
        fitted = plan_epochs(plan, n_train, budget_minutes, sps, processes)
        if fitted.epochs >= MIN_EPOCHS:
            break
        shortfall = epochs_in_budget(n_train, budget_minutes, sps, processes) / MIN_EPOCHS  # < 1
        if size_is_automatic and min(plan.image_size) > MIN_SIDE:
            plan = _smaller(plan, shortfall, budget_minutes, fitted.epochs)
        elif width_is_automatic and plan.model_args.get("width", DEFAULT_WIDTH) > MIN_WIDTH:
            plan = _narrower(plan, budget_minutes, fitted.epochs)
        else:
            break
    # The epochs that fit decide the automatic augmentation and kept epoch. The last probe may
    # have timed the other preset (they differ by about a millisecond per sample at 28 px); the
    # re-plan after the first epochs corrects the epochs if that matters. Under one epoch: said, and in plan.json.
    from meddx.training.short_budget import short_budget

    return short_budget(size_defaults(fitted), n_train, budget_minutes, processes)


def _smaller(plan: Plan, shortfall: float, budget_minutes: float, epochs: int) -> Plan:
    side, dims = min(plan.image_size), len(plan.image_size)
    new_side = max(MIN_SIDE, int(side * shortfall ** (1 / dims)) // 4 * 4)
    data = plan.model_dump()
    data["image_size"] = [new_side] * dims
    data["model_args"]["image_size"] = new_side
    if data["reasons"].get("batch_size", "").startswith("default"):
        data["batch_size"] = default_batch_size(data["image_size"])
        data["reasons"]["batch_size"] = f"default for {new_side ** dims} pixels per sample"
    data["reasons"]["image_size"] = (
        f"{plan.reasons.get('image_size', '')}; reduced from {side} to {new_side} per axis so that at least "
        f"{MIN_EPOCHS} epochs fit the {budget_minutes:g} min budget ({epochs} would have at {side})"
    )
    # An automatic stem would turn small (no downsampling) at <= 64 px: ResNet-18 at 64 px costs 4x
    # what it does at 128 px (4.4 vs 1.1 GFLOP), so the shrink meant to save time cost it. Keep the stem.
    stem = plan.model_args.get("stem", "auto")
    if plan.model in STEM_MODELS and stem == "auto" and auto_stem([side]) != auto_stem([new_side]):
        data["model_args"]["stem"] = auto_stem([side])
        data["reasons"]["image_size"] += f" (stem kept {auto_stem([side])}, as chosen for {side} px)"
    return size_defaults(Plan(**data))  # the next probe times the preset planned for the smaller input


def _narrower(plan: Plan, budget_minutes: float, epochs: int) -> Plan:
    """Halve the first-stage width (about a quarter of the cost): on a CPU where a full-width
    ResNet gets only a few epochs, the narrower one trained for more epochs did better
    (``benchmarks/RESULTS.md``). One halving only (``MIN_WIDTH``): narrower than that is unmeasured."""
    width = int(plan.model_args.get("width", DEFAULT_WIDTH))
    new_width = max(MIN_WIDTH, width // 2)
    data = plan.model_dump()
    data["model_args"]["width"] = new_width
    data["reasons"]["model"] = (
        f"{plan.reasons.get('model', '')}; first-stage width {width} -> {new_width} so that more epochs fit the "
        f"{budget_minutes:g} min budget ({epochs} would have at width {width}, fewer than {MIN_EPOCHS})"
    )
    return Plan(**data)
