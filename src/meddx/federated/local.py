"""What a site does with the global model: a few local epochs of training, and evaluation.

A plain PyTorch loop rather than a Lightning ``Trainer``: a round is a few hundred steps, and
building a Trainer (loggers, callbacks, checkpoints) per site and round would cost more than the
training itself here. The loss and head are the ``ClassificationTask``'s own (``task.step``), so
the model is exactly the one ``meddx train`` builds. FedProx (Li et al. 2020) adds
``mu/2 * ||w - w_global||^2`` to the local loss, which keeps a site's weights near the global
model when its data are skewed.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from meddx.federated.spec import FederationSpec


def train_local(task: Any, x: np.ndarray, y: np.ndarray, spec: FederationSpec, *, mu: float = 0.0,
                seed: int = 0, after_epoch: Callable[[int], None] | None = None,
                privacy: dict[str, Any] | None = None) -> dict[str, float]:
    """Train ``task`` in place for ``spec.local_epochs`` on preprocessed ``x`` and labels ``y``.

    ``mu > 0`` adds the FedProx proximal term around the weights ``task`` holds on entry;
    ``after_epoch(epoch)`` is called after each epoch (a centralised baseline evaluates there).
    With ``spec.client_dp`` the steps are DP-SGD (Opacus, via ``meddx.training.privacy``);
    ``privacy`` (the site's own dict) carries the accountant from round to round.
    Returns the mean training loss, the number of optimiser steps and, with DP, epsilon so far, the
    noise multiplier and Poisson sample rate this site uses, and its noisy steps over all rounds so far.
    """
    import torch

    from meddx.training.data import ArrayDataset, make_loader
    from meddx.transforms.image import build_augmentation

    torch.manual_seed(seed)
    augment = build_augmentation(spec.augment, spec.image_size, seed=seed)
    loader = make_loader(ArrayDataset(x, y, augment), spec.batch_size, shuffle=True, seed=seed)
    params = [p for p in task.net.parameters() if p.requires_grad]
    anchor = [p.detach().clone() for p in params] if mu > 0 else None
    if spec.optimizer == "sgd":
        opt: Any = torch.optim.SGD(params, lr=spec.lr, momentum=0.9, weight_decay=spec.weight_decay)
    else:
        opt = torch.optim.AdamW(params, lr=spec.lr, weight_decay=spec.weight_decay)
    engine = None
    if spec.client_dp:
        opt, loader, engine = _private(task, opt, loader, spec.client_dp, privacy)
    try:
        total, steps = _epochs(task, loader, opt, spec, params, anchor, mu, after_epoch)
    finally:
        if engine is not None:
            engine.detach()
    task.eval()
    stats = {"train_loss": total / max(steps, 1), "steps": float(steps)}
    if engine is not None:  # what a reader needs to recompute epsilon: (noise, sample rate, steps) at delta
        stats.update(epsilon=engine.epsilon(), noise_multiplier=engine.noise_multiplier,
                     sample_rate=engine.sample_rate, dp_steps=float(engine.steps))
        if privacy is not None:
            privacy.update(engine.state_dict())
    return stats


def _epochs(task: Any, loader: Any, opt: Any, spec: FederationSpec, params: list[Any], anchor: list[Any] | None,
            mu: float, after_epoch: Callable[[int], None] | None) -> tuple[float, int]:
    import torch

    from meddx.core.errors import MeddxError

    total, steps = 0.0, 0
    for epoch in range(spec.local_epochs):
        task.train()
        for batch in loader:
            loss = task.step(batch)["loss"]
            if anchor is not None:
                loss = loss + (mu / 2.0) * sum(((p - a) ** 2).sum() for p, a in zip(params, anchor))
            if not torch.isfinite(loss):
                raise MeddxError(f"local training diverged (loss {loss.item()}); lower the learning rate "
                                 f"(now {spec.lr})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
            steps += 1
        if after_epoch is not None:
            after_epoch(epoch)
    return total, steps


def _private(task: Any, opt: Any, loader: Any, settings: dict[str, Any], state: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """DP-SGD around the site's optimiser and loader (``training.privacy.make_private_for``)."""
    from types import SimpleNamespace

    from meddx.training.privacy import make_private_for

    config = SimpleNamespace(noise_multiplier=settings.get("noise_multiplier"), epsilon=settings.get("epsilon"),
                             delta=settings["delta"], max_grad_norm=settings["max_grad_norm"],
                             epochs=settings["epochs"])
    _, opt, loader, engine = make_private_for(task.net, opt, loader, config, epochs=settings["epochs"])
    if state:
        engine.load_state_dict(state)
    return opt, loader, engine


def evaluate_arrays(task: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> tuple[float, float | None]:
    """Mean loss and AUC (macro for multi-class / multi-label; ``None`` when one class only)."""
    import torch

    if len(x) == 0:
        return float("nan"), None
    task.eval()
    losses, probs = [], []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(x[start:start + batch_size], dtype=np.float32))
            yb = torch.from_numpy(np.asarray(y[start:start + batch_size]))
            out = task.step((xb, yb))
            losses.append(float(out["loss"]) * len(xb))
            probs.append(out["probs"].numpy())
    return sum(losses) / len(x), auc_of(np.asarray(y), np.concatenate(probs), task.task)


def auc_of(y: np.ndarray, probs: np.ndarray, task: str) -> float | None:
    """ROC AUC (scikit-learn): binary on the positive column, macro one-vs-rest otherwise;
    ``None`` where it is undefined (a site's validation split holding one class only)."""
    import warnings

    from sklearn.metrics import roc_auc_score

    if task != "multilabel" and len(np.unique(y)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "only one class present" for a label of a multi-label site
        try:
            if task == "binary":
                return float(roc_auc_score(y, probs[:, 1]))
            if task == "multiclass":
                return float(roc_auc_score(y, probs, multi_class="ovr", average="macro",
                                           labels=list(range(probs.shape[1]))))
            value = float(roc_auc_score(y, probs, average="macro"))
        except ValueError:
            return None
    return None if np.isnan(value) else value
