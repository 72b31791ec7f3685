"""Series and table rows: one stay or row alone gets the bits it gets inside a batch.

Found by measurement: a one-row pass through a GRU-D head or an MLP's hidden layer ran other CPU
kernels than a batch (1e-8 apart), so ``meddx predict`` of one stay or row, or ``meddx serve``'s pass
per request, differed from ``evaluate``'s row. Table rows go through ``Predictor.predict_tensor``,
series stays through ``SeriesPredictor._raw_record_probs``; both pad their passes (``pass_rows``)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from meddx.bundle.predictor import Predictor
from meddx.bundle.series_predictor import SeriesPredictor
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def test_a_table_row_alone_and_in_a_batch_gets_the_same_bits():
    torch.manual_seed(0)
    pre = ImagePreprocessor((4, 4), 1).fit([np.linspace(0, 1, 16).reshape(1, 4, 4)])  # unused: rows are tensors
    cfg = {"name": "rows", "task": "binary", "label_names": ["no", "yes"], "preprocessing": pre.to_dict()}
    for name, args in (("mlp", {"hidden": [256, 64]}), ("logreg", {})):
        predictor = Predictor(cfg, create_model(name, num_classes=2, num_features=30, **args))
        rows = torch.randn(1030, 30, generator=torch.Generator().manual_seed(1))
        together = predictor.predict_tensor(rows, batch_size=1024)  # the last pass: 6 rows
        for i in (0, 3, 1027, 1029):
            assert np.array_equal(predictor.predict_tensor(rows[i : i + 1])[0], together[i]), (name, i)


class _GRUHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.gru = nn.GRU(8, 64, batch_first=True)
        self.fc = nn.Linear(64, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.gru(x)[1][0])


def _series_predictor(net: nn.Module) -> SeriesPredictor:
    predictor = SeriesPredictor.__new__(SeriesPredictor)  # only the pass loop is under test
    predictor.net, predictor.task, predictor.label_names = net.eval(), "binary", ["alive", "died"]
    predictor.encode = lambda records: (torch.stack(list(records)),)  # type: ignore[method-assign]
    return predictor


def test_a_stay_alone_and_in_a_batch_gets_the_same_bits():
    """A sequence model (GRU over 48 hours) and an aggregate one (logistic regression on 30 features)."""
    for net, shape in ((_GRUHead(), (48, 8)), (create_model("logreg", num_classes=2, num_features=30), (30,))):
        predictor = _series_predictor(net)
        stays = list(torch.randn(37, *shape, generator=torch.Generator().manual_seed(2)))
        together = predictor._raw_record_probs(stays, 256)
        assert np.array_equal(together, predictor._raw_record_probs(stays, 5))
        for i in (0, 17, 35, 36):
            assert np.array_equal(predictor._raw_record_probs([stays[i]], 256)[0], together[i]), (shape, i)
