"""Irregular clinical time series: a GRU with learned decay (GRU-D) and a transformer with
continuous-time embeddings.

Every model reads the arrays :class:`meddx.transforms.timeseries.SeriesPreprocessor` produces,
batch first, in this order (``SERIES_INPUTS``):

- ``values`` ``(B, T, V)``: normalised values, 0 where a variable was not observed;
- ``mask`` ``(B, T, V)``: 1 where observed;
- ``delta`` ``(B, T, V)``: time since the variable was last observed (scaled to the window);
- ``times`` ``(B, T)``: time of each step (scaled to the window);
- ``step_mask`` ``(B, T)``: 1 for real steps, 0 for padding at the end;
- ``static`` ``(B, S)`` and ``static_mask`` ``(B, S)``: descriptors (age, sex, ...) kept apart.

and returns logits ``(B, num_classes)``. Padding never changes a row's result. Both models are
written here because neither MONAI nor PyTorch has them; they follow the papers cited below.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import MODELS

SERIES_INPUTS = ("values", "mask", "delta", "times", "step_mask", "static", "static_mask")
_SERIES = {"dims": (0,), "input": "series", "output": "logits"}


def _check(name: str, num_classes: int, n_variables: int, n_static: int) -> None:
    if int(num_classes) < 1 or int(n_variables) < 1 or int(n_static) < 0:
        raise ModelError(f"model {name!r} needs num_classes >= 1, n_variables >= 1 and n_static >= 0 (from the "
                         f"source's variables); got {num_classes}, {n_variables}, {n_static}")


class _Static(nn.Module):
    """Descriptors and their missingness indicators -> a small embedding (absent when S = 0)."""

    def __init__(self, n_static: int, hidden: int) -> None:
        super().__init__()
        self.out_features = hidden if n_static else 0
        self.net = nn.Sequential(nn.Linear(2 * n_static, hidden), nn.ReLU()) if n_static else None

    def forward(self, static: torch.Tensor, static_mask: torch.Tensor) -> torch.Tensor | None:
        if self.net is None:
            return None
        return self.net(torch.cat([static, static_mask], dim=-1))


def _head_input(pooled: torch.Tensor, static: torch.Tensor | None) -> torch.Tensor:
    return pooled if static is None else torch.cat([pooled, static], dim=-1)


class GRUD(nn.Module):
    """GRU-D (Che et al., Scientific Reports 2018): a GRU whose missing inputs decay from the last
    observed value towards the training mean (0 after normalisation) and whose hidden state decays
    with the time since each variable was observed, both at learned, non-negative rates.

    ``x̂ = m·x + (1−m)·(γx·x_last + (1−γx)·mean)``, ``γx = exp(−max(0, wx·δ + bx))`` per variable
    (diagonal), ``h ← exp(−max(0, Wh·δ + bh))·h`` before each GRU step on ``[x̂, m]``. The state
    at the last real step, with the static embedding, goes to the classifier.
    """

    def __init__(self, num_classes: int, n_variables: int, n_static: int = 0, hidden_size: int = 64,
                 static_hidden: int = 16, dropout: float = 0.2) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.decay_x_weight = nn.Parameter(torch.zeros(n_variables))
        self.decay_x_bias = nn.Parameter(torch.zeros(n_variables))
        self.decay_h = nn.Linear(n_variables, hidden_size)
        self.cell = nn.GRUCell(2 * n_variables, hidden_size)
        self.static = _Static(n_static, static_hidden)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size + self.static.out_features, num_classes)

    def forward(self, values: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor, times: torch.Tensor,
                step_mask: torch.Tensor, static: torch.Tensor, static_mask: torch.Tensor) -> torch.Tensor:
        n, steps, _ = values.shape
        h = values.new_zeros(n, self.hidden_size)
        x_last = torch.zeros_like(values[:, 0])
        for t in range(steps):
            x, m, d = values[:, t], mask[:, t], delta[:, t]
            gamma_x = torch.exp(-torch.relu(d * self.decay_x_weight + self.decay_x_bias))
            x_hat = m * x + (1 - m) * gamma_x * x_last
            gamma_h = torch.exp(-torch.relu(self.decay_h(d)))
            h_new = self.cell(torch.cat([x_hat, m], dim=-1), gamma_h * h)
            real = step_mask[:, t : t + 1]
            h = real * h_new + (1 - real) * h  # padding steps leave the state as it was
            x_last = m * x + (1 - m) * x_last
        return self.fc(self.dropout(_head_input(h, self.static(static, static_mask))))


class TimeEmbedding(nn.Module):
    """Continuous-time embedding (Shukla & Marlin, mTAND, ICLR 2021): one linear and ``dims − 1``
    sinusoidal features of the observation time with learned frequencies and phases."""

    def __init__(self, dims: int) -> None:
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.periodic = nn.Linear(1, dims - 1)
        with torch.no_grad():  # frequencies spread from a day's rhythm to the whole window
            self.periodic.weight.copy_(torch.logspace(0, math.log10(200.0), dims - 1).unsqueeze(1))

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        t = times.unsqueeze(-1)
        return torch.cat([self.linear(t), torch.sin(self.periodic(t))], dim=-1)


class SeriesTransformer(nn.Module):
    """A transformer encoder over observation steps: each step's token is a projection of
    ``[values, mask]`` plus its continuous-time embedding; a learned summary token (always
    present, so a stay without observations still has one position to attend to) is read out
    with the static embedding."""

    def __init__(self, num_classes: int, n_variables: int, n_static: int = 0, d_model: int = 64, heads: int = 4,
                 layers: int = 2, time_dims: int = 16, static_hidden: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        if d_model % heads:
            raise ModelError(f"series-transformer: d_model ({d_model}) must be divisible by heads ({heads})")
        self.inputs = nn.Linear(2 * n_variables, d_model)
        self.time = TimeEmbedding(time_dims)
        self.time_proj = nn.Linear(time_dims, d_model)
        self.summary = nn.Parameter(torch.zeros(1, 1, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=2 * d_model, dropout=dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.static = _Static(n_static, static_hidden)
        self.fc = nn.Linear(d_model + self.static.out_features, num_classes)

    def forward(self, values: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor, times: torch.Tensor,
                step_mask: torch.Tensor, static: torch.Tensor, static_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.inputs(torch.cat([values, mask], dim=-1)) + self.time_proj(self.time(times))
        tokens = torch.cat([self.summary.expand(len(values), -1, -1), tokens], dim=1)
        padding = torch.cat([step_mask.new_ones(len(values), 1), step_mask], dim=1) == 0
        encoded = self.encoder(tokens, src_key_padding_mask=padding)
        return self.fc(_head_input(self.norm(encoded[:, 0]), self.static(static, static_mask)))


@MODELS.register("grud", description="GRU-D: GRU over masked irregular series with learned decay (Che et al. 2018)",
                 **_SERIES)
def grud(num_classes: int = 2, n_variables: int = 1, n_static: int = 0, hidden_size: int = 64,
         static_hidden: int = 16, dropout: float = 0.2) -> nn.Module:
    """GRU-D over the preprocessed series (hourly bins by default)."""
    _check("grud", num_classes, n_variables, n_static)
    return GRUD(num_classes, n_variables, n_static, hidden_size, static_hidden, dropout)


@MODELS.register("series-transformer",
                 description="Transformer over observation times with continuous-time embeddings (mTAND-style)",
                 **_SERIES)
def series_transformer(num_classes: int = 2, n_variables: int = 1, n_static: int = 0, d_model: int = 64,
                       heads: int = 4, layers: int = 2, time_dims: int = 16, static_hidden: int = 16,
                       dropout: float = 0.1) -> nn.Module:
    """Transformer encoder over the irregular observation steps."""
    _check("series-transformer", num_classes, n_variables, n_static)
    return SeriesTransformer(num_classes, n_variables, n_static, d_model, heads, layers, time_dims, static_hidden,
                             dropout)
