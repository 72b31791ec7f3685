"""Networks averaged into one: the mean of their class probabilities.

A segmentation bundle trained with ``--ensemble K`` holds K networks of the same architecture
(one ``weights.safetensors``, keys ``members.<i>.<tensor>``). Averaging the probabilities of
networks trained with different seeds is what nnU-Net does with its five folds; MONAI's
``EnsembleEvaluator``/``MeanEnsemble`` work on engines and post-transforms rather than on one
module a sliding-window inferer can call, hence this small module.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn


class SoftmaxMean(nn.Module):
    """``log(mean_i softmax(net_i(x)))`` over the class axis (1).

    The output is a valid logit map: its softmax is exactly the mean probability, and its
    argmax the ensemble's decision, so code that expects logits (sliding-window inference,
    softmax, argmax) works unchanged.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(members) < 1:
            raise ValueError("an ensemble needs at least one network")
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        total = None
        for net in self.members:
            probs = torch.softmax(net(x).float(), dim=1)
            total = probs if total is None else total + probs
        assert total is not None
        return torch.log((total / len(self.members)).clamp_min(1e-12))


def build_network(spec: dict[str, Any]) -> nn.Module:
    """The network a bundle's ``config["model"]`` describes: one registered model, or
    ``spec["ensemble"]`` copies of it inside :class:`SoftmaxMean`."""
    from meddx.models.registry import create_model

    def one() -> nn.Module:
        return create_model(spec["name"], num_classes=spec["num_classes"], **spec.get("args", {}))

    k = int(spec.get("ensemble", 1) or 1)
    return SoftmaxMean([one() for _ in range(k)]) if k > 1 else one()
