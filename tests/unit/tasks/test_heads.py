"""One probability head per task kind (meddx.tasks.heads), called by the tasks, the predictors and
the explainers alike (DESIGN.md: consumers never re-implement the head).

Two kinds of check: the head's numbers are exactly those the copies it replaced computed (so
bundles predict and explain bit for bit as before), and each consumer really calls the head
(replacing the head changes its output, which a copy of the formula would not follow).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from meddx.tasks import heads


def test_heads_compute_exactly_what_their_copies_computed() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(7, 3, generator=g, dtype=torch.float64) * 9
    assert torch.equal(heads.probs_from_logits(logits, "multiclass"), torch.softmax(logits, dim=-1))
    assert torch.equal(heads.probs_from_logits(logits.float(), "binary"), torch.softmax(logits.float(), dim=-1))
    assert torch.equal(heads.probs_from_logits(logits, "multilabel"), torch.sigmoid(logits))
    assert heads.probs_from_logits(logits, "multiclass").dtype == torch.float64  # the caller's precision is kept
    maps = torch.randn(2, 3, 5, 4, generator=g).half()  # mixed-precision logits are widened, as before
    probs = heads.segmentation_probs(maps)
    assert probs.dtype == torch.float32 and torch.equal(probs, torch.softmax(maps.float(), dim=1))


def test_the_classification_task_module_hands_out_the_same_head() -> None:
    from meddx.tasks import classification

    assert classification.probs_from_logits is heads.probs_from_logits


def _tempered(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits.float() / 4.0, dim=1)


class _Squares(nn.Module):
    """Two-class logits: +/-10 where the input is positive (a confident square)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fg = (x[:, :1] > 0).float() * 20.0 - 10.0
        return torch.cat([-fg, fg], dim=1)


def _seg_predictor() -> Any:
    from meddx.bundle.seg_predictor import SegPredictor

    config = {
        "name": "squares", "task": "segmentation", "label_names": ["background", "square"],
        "model": {"name": "none", "num_classes": 2, "args": {}},
        "preprocessing": {"kind": "segmentation", "spatial_dims": 2, "channels": 1, "size": [12, 12],
                          "target_spacing": None, "normalization": "zscore", "ct_stats": None},
        "inference": {"patch_size": [16, 16], "overlap": 0.5, "mirror": False, "mirror_axes": [], "shift": False},
    }
    return SegPredictor(config, _Squares())


def test_the_segmentation_predictor_takes_its_probabilities_from_the_task_head(
        monkeypatch: pytest.MonkeyPatch) -> None:
    image = np.zeros((1, 12, 12), np.float32)
    image[0, 3:9, 4:10] = 1.0
    predictor = _seg_predictor()
    plain = predictor.predict_case(image, postprocess=False).probs
    assert plain[1].max() == pytest.approx(1.0, abs=1e-6)  # softmax of a margin of 20
    monkeypatch.setattr(heads, "segmentation_probs", _tempered)
    tempered = predictor.predict_case(image, postprocess=False).probs
    # softmax(20 / 4): the predictor followed the head it was given
    assert tempered[1].max() == pytest.approx(float(torch.sigmoid(torch.tensor(5.0))), abs=1e-6)


def _table_predictor() -> tuple[Any, pd.DataFrame]:
    from meddx.bundle.tabular_predictor import TabularPredictor
    from meddx.transforms.tabular import TabularPreprocessor

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"age": rng.normal(60, 10, 40), "bp": rng.normal(130, 15, 40)})
    pre = TabularPreprocessor(["age", "bp"], []).fit(table)
    net = nn.Linear(2, 3)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[0.5, -1.0], [1.5, 0.3], [-0.7, 0.9]]))
        net.bias.copy_(torch.tensor([0.1, -0.2, 0.05]))
    config = {"name": "rows", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "logreg", "num_classes": 3, "args": {"num_features": 2}},
              "preprocessing": pre.to_dict()}
    return TabularPredictor(config, net), table.head(5)


def test_table_attributions_are_of_the_task_heads_probabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("captum")
    from captum.attr import IntegratedGradients

    from meddx.explain.tabular import row_attributions

    predictor, rows = _table_predictor()
    target = [0, 1, 2, 1, 0]
    attr, columns, _ = row_attributions(predictor, rows, "integrated-gradients", target=target, steps=8)
    # exactly the attributions of the formula the explainer wrote out before it called the head
    x = predictor.encode(rows)
    before = IntegratedGradients(lambda inp: torch.softmax(predictor.net(inp).float(), dim=-1)).attribute(
        x, baselines=torch.zeros_like(x), target=torch.tensor(target), n_steps=8).detach().numpy().astype(np.float64)
    assert columns == ["age", "bp"] and np.array_equal(attr, before)

    seen: list[str] = []

    def spy(logits: torch.Tensor, task: str) -> torch.Tensor:
        seen.append(task)
        return torch.sigmoid(logits)  # another head: the attributions must follow it

    monkeypatch.setattr(heads, "probs_from_logits", spy)
    changed, _, _ = row_attributions(predictor, rows, "integrated-gradients", target=target, steps=8)
    assert seen and set(seen) == {"multiclass"}
    assert not np.allclose(changed, attr)
