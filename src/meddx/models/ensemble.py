"""Networks averaged into one: the mean of their class probabilities.

A segmentation or text bundle trained with ``--ensemble K`` holds K networks of the same
architecture (one ``weights.safetensors``, keys ``members.<i>.<tensor>``). Averaging the probabilities of
networks trained with different seeds is what nnU-Net does with its five folds; MONAI's
``EnsembleEvaluator``/``MeanEnsemble`` work on engines and post-transforms rather than on one
module a sliding-window inferer can call, hence this small module.

Which probabilities are averaged is the task's business (DESIGN.md: the head is never
re-implemented): a loaded bundle's ensemble gets its task's head from
:func:`meddx.tasks.ensemble.member_head` (models cannot import tasks, so it is passed in).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import torch
from torch import nn


Head = Callable[[torch.Tensor], torch.Tensor]
"""Logits ``(B, K, ...)`` -> probabilities over the class axis (1) that sum to 1 (a softmax head)."""


class SoftmaxMean(nn.Module):
    """``log(mean_i head(net_i(x)))``, ``head`` a softmax over the class axis (1).

    The output is a valid logit map: its softmax is exactly the mean probability, and its
    argmax the ensemble's decision, so code that expects logits (sliding-window inference,
    softmax, argmax) works unchanged. ``probs_head`` is the task's head
    (:func:`meddx.tasks.ensemble.member_head`; a plain attribute, not saved with the weights).
    """

    def __init__(self, members: Sequence[nn.Module], probs_head: Head) -> None:
        super().__init__()
        if len(members) < 1:
            raise ValueError("an ensemble needs at least one network")
        self.members = nn.ModuleList(members)
        self.probs_head = probs_head

    def forward(self, *inputs: Any) -> torch.Tensor:
        total = None
        for net in self.members:
            probs = self.probs_head(net(*inputs))
            total = probs if total is None else total + probs
        assert total is not None
        return torch.log((total / len(self.members)).clamp_min(1e-12))

    @property
    def attention(self) -> Any:
        """The members' mean attention weights, for members with attention pooling (a text
        ``bilstm-attention``); absent otherwise, so ``hasattr(net, "attention")`` tells."""
        if not all(hasattr(net, "attention") for net in self.members):
            raise AttributeError("attention")
        return self._mean_attention

    def _mean_attention(self, *inputs: Any) -> torch.Tensor:
        return torch.stack([net.attention(*inputs) for net in self.members]).mean(dim=0)

    def input_embeddings(self) -> list[nn.Module]:
        """Every member's embedding layer (text members): integrated gradients interpolate them together."""
        return [net.get_input_embeddings() for net in self.members]


def build_network(spec: dict[str, Any], probs_head: Optional[Head] = None) -> nn.Module:
    """The network a bundle's ``config["model"]`` describes: one registered model, or
    ``spec["ensemble"]`` copies of it inside :class:`SoftmaxMean` averaging ``probs_head``."""
    from meddx.models.registry import create_model

    def one() -> nn.Module:
        return create_model(spec["name"], num_classes=spec["num_classes"], **spec.get("args", {}))

    k = int(spec.get("ensemble", 1) or 1)
    if k > 1 and probs_head is None:
        raise ValueError("an ensemble averages its task's head: pass probs_head (meddx.tasks.ensemble.member_head)")
    return SoftmaxMean([one() for _ in range(k)], probs_head) if k > 1 else one()
