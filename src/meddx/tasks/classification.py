"""Classification (binary, multi-class, multi-label) of images or documents as a Lightning module.

The module holds the loss, the output head (``probs_from_logits``, defined in
:mod:`meddx.tasks.heads`) and the validation metric; the architecture comes from the model
registry. Every step returns ``{"loss", "logits", "probs"}`` so evaluation, explanation and
serving never re-implement the head. A batch is ``(*inputs, labels)``: ``(images, labels)`` for
image models, ``(input_ids, attention_mask, labels)`` for text models; the inputs go to the network
as they are.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import nn

from meddx.data.base import TaskType
from meddx.tasks.heads import probs_from_logits  # the head; importable from here as before

__all__ = ["ClassificationTask", "probs_from_logits"]


class ClassificationTask(L.LightningModule):
    """Loss, optimiser, schedule and validation AUC around a registered architecture.

    Constructor arguments are plain values so that a Lightning checkpoint reloads with
    ``weights_only=True`` and a bundle config can rebuild the network without the data.
    """

    def __init__(
        self,
        model_name: str,
        model_args: dict[str, Any],
        task: TaskType,
        num_classes: int,
        class_weights: list[float] | None = None,
        lr: float = 3e-3,
        weight_decay: float = 5e-4,
        max_epochs: int = 10,
        warmup_epochs: float = 0.5,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        from meddx.models.registry import create_model

        self.task = task
        self.net = create_model(model_name, num_classes=num_classes, **model_args)
        if model_args.get("spatial_dims") == 2:  # channels_last: ~25% faster convolutions on CPU
            self.net = self.net.to(memory_format=torch.channels_last)
        weight = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        if task == "multilabel":
            self.loss_fn: nn.Module = nn.BCEWithLogitsLoss(pos_weight=weight)
        else:
            self.loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing)
        self.val_auc = _auroc(task, num_classes)

    def with_own_loss_weights(self, state: dict[str, Any]) -> dict[str, Any]:
        """``state`` (a checkpoint's state dict) with the loss-weight buffers replaced by this task's.

        The class weights come from the plan: a run resumed after editing ``class_weights`` in
        plan.json trains with the new ones, and a checkpoint saved with or without weights loads
        into a task without or with them (strict loading would refuse the missing key).
        """
        own = {k: v for k, v in self.state_dict().items() if k.startswith("loss_fn.")}
        return {**{k: v for k, v in state.items() if not k.startswith("loss_fn.")}, **own}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # "current_model_state": the raw weights the averaging callback (--ema) restores
        for key in ("state_dict", "current_model_state"):
            if key in checkpoint:
                checkpoint[key] = self.with_own_loss_weights(checkpoint[key])

    def forward(self, x: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        if x.ndim == 4 and x.is_floating_point():
            x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x, *rest)

    def step(self, batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        """Forward one batch ``(*inputs, labels)``: loss, logits and probabilities."""
        *inputs, y = batch
        logits = self(*inputs)
        target = y.float() if self.task == "multilabel" else y.long()
        if self.task == "multilabel" and self.hparams.label_smoothing:  # each label's 0/1 pulled towards 1/2
            target = target * (1.0 - self.hparams.label_smoothing) + 0.5 * self.hparams.label_smoothing
        # An empty batch (Poisson sampling under DP-SGD) still takes a noisy step: a zero loss, not NaN.
        loss = self.loss_fn(logits.float(), target) if len(y) else logits.float().sum() * 0.0
        # float64: in float32 P(positive) rounds to 1.0 from a logit margin of about 17, and the
        # validation AUC that picks the epoch would tie confident cases.
        return {"loss": loss, "logits": logits, "probs": probs_from_logits(logits.double(), self.task)}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        out = self.step(batch)
        if not torch.isfinite(out["loss"]):
            from meddx.core.errors import MeddxError

            raise MeddxError(
                f"training diverged: the loss is {out['loss'].item()} at epoch {self.current_epoch + 1}, step "
                f"{self.global_step}; try --precision 32-true or a lower --lr (now {self.hparams.lr})"
            )
        self.log("train_loss", out["loss"], prog_bar=True, on_step=True, on_epoch=True, batch_size=len(batch[-1]))
        return out["loss"]

    def on_validation_epoch_start(self) -> None:
        self._val_loss_sum, self._val_n = 0.0, 0

    def validation_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        from meddx.tasks.distributed import real_rows

        out = self.step(batch)
        y = batch[-1]
        probs = out["probs"][:, 1] if self.task == "binary" else out["probs"]
        real = real_rows(self, len(y), batch_idx)  # --devices N: the sampler's repeated samples left out
        self.val_auc.update(probs if real is None else probs[real], (y if real is None else y[real]).long())
        self.log("val_loss", out["loss"], prog_bar=True, on_epoch=True, batch_size=len(y), sync_dist=True)
        self.log("val_auc", self.val_auc, prog_bar=True, on_epoch=True, batch_size=len(y))
        self._val_loss_sum += float(out["loss"]) * len(y)
        self._val_n += len(y)
        return out

    def on_validation_epoch_end(self) -> None:
        """``val_select``: validation AUC to three decimals, ties broken by the lower loss.

        AUC saturates at 1.0 on separable data many epochs before the decisions (argmax,
        threshold) are right, and AUC differences under .001 are noise on a validation split of a
        few hundred cases; the loss keeps measuring after that. Text runs select epochs by it.
        """
        if not getattr(self, "_val_n", 0):
            return
        auc = float(self.val_auc.compute())
        loss = self._val_loss_sum / self._val_n
        self.log("val_select", round(auc, 3) - 1e-5 * min(loss, 10.0), sync_dist=True)

    def configure_optimizers(self) -> Any:
        from meddx.tasks.optim import adamw_cosine

        hp = self.hparams
        return adamw_cosine(self.net, hp.lr, hp.weight_decay, self.trainer.estimated_stepping_batches,
                            hp.warmup_epochs / max(1, hp.max_epochs))


def _auroc(task: TaskType, num_classes: int) -> Any:
    from torchmetrics.classification import BinaryAUROC

    if task == "binary":
        return BinaryAUROC()
    from meddx.tasks.auroc import present_classes_auroc

    return present_classes_auroc(task, num_classes)
