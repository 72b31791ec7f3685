"""``label_smoothing`` reaches the multi-label loss (it was silently ignored: only CrossEntropyLoss took it)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from meddx.tasks.classification import ClassificationTask


def _task(smoothing: float) -> ClassificationTask:
    return ClassificationTask("seed-cnn", {"in_channels": 1, "spatial_dims": 2, "image_size": 28}, "multilabel", 3,
                              label_smoothing=smoothing)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_multilabel_loss_uses_smoothed_targets(smoothing: float) -> None:
    torch.manual_seed(0)
    task = _task(smoothing).eval()
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]])
    out = task.step((x, y))
    expected = F.binary_cross_entropy_with_logits(out["logits"].float(), y.float() * (1 - smoothing) + smoothing / 2)
    assert float(out["loss"]) == pytest.approx(float(expected), rel=1e-6)
