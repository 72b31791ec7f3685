"""Which variables, at which hours, drove a stay's risk: attributions on a variable x hour grid.

- ``integrated-gradients`` (sequence models: GRU-D, transformer): Captum's IntegratedGradients on
  the normalised values (baseline: every value at its training mean, i.e. 0), attributing the
  explained class's probability; the observation mask, times and static inputs are held fixed, so
  only observed values receive attribution. Step attributions are summed into hourly bins.
- ``occlusion`` (every model, including gradient boosting on aggregates, which has no gradient):
  remove all observations of one variable in one hour and re-score the stay; the contribution is
  the risk with the observations minus the risk without them. Written here because Captum's
  occlusion slides windows over a dense tensor, while a stay is a set of irregular observations
  whose removal must go back through the bundle's own preprocessing (aggregates, binning).

Both return ``(V, H)`` arrays (variables x hours of the window), positive = raised the risk of
the explained class.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.extras import needs_extra

SERIES_METHODS = ("integrated-gradients", "occlusion")


def methods_for_series(predictor: Any) -> tuple[str, ...]:
    """Integrated gradients need a differentiable sequence model; occlusion works for all."""
    return SERIES_METHODS if predictor.pipeline == "sequence" else ("occlusion",)


def hours_of(predictor: Any) -> int:
    return int(math.ceil(float(predictor.preprocessor.window_hours)))


def series_attributions(predictor: Any, record: Any, method: str, target: int, steps: int = 32) -> np.ndarray:
    """``(V, H)`` contributions of each variable in each hour to the probability of ``target``."""
    if method == "occlusion":
        return _occlusion(predictor, record, target)
    if method == "integrated-gradients":
        return _integrated_gradients(predictor, record, target, steps)
    raise ValueError(f"unknown series attribution method {method!r}")


def _occlusion(predictor: Any, record: Any, target: int) -> np.ndarray:
    n_vars, n_hours = len(predictor.variables), hours_of(predictor)
    out = np.zeros((n_vars, n_hours), dtype=np.float32)
    hours = np.clip(np.floor(record.times).astype(int), 0, n_hours - 1)
    cells = sorted({(int(v), int(h)) for v, h in zip(record.variables, hours)})
    if not cells:
        return out
    variants = [record]
    for v, h in cells:
        keep = ~((record.variables == v) & (hours == h))
        variants.append(replace(record, times=record.times[keep], variables=record.variables[keep],
                                values=record.values[keep]))
    probs = predictor.predict_records(variants, calibrated=False)[:, target]
    for (v, h), p in zip(cells, probs[1:]):
        out[v, h] = probs[0] - p
    return out


def _integrated_gradients(predictor: Any, record: Any, target: int, steps: int) -> np.ndarray:
    import torch

    from meddx.tasks.heads import probs_from_logits

    with needs_extra("series attribution by integrated-gradients"):
        from captum.attr import IntegratedGradients

    inputs = predictor.encode([record])
    net = predictor.net

    def forward(values: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        return probs_from_logits(net(values, *rest).float(), predictor.task)

    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad():
            attr = IntegratedGradients(forward).attribute(
                inputs[0], baselines=torch.zeros_like(inputs[0]), target=target,
                additional_forward_args=tuple(inputs[1:]), n_steps=steps, internal_batch_size=steps)
    finally:
        net.train(was_training)
    step_attr = attr[0].detach().numpy()  # (T, V)
    times = inputs[3][0].numpy() * float(predictor.preprocessor.window_hours)  # hours of each step
    real = inputs[4][0].numpy() > 0
    n_hours = hours_of(predictor)
    out = np.zeros((len(predictor.variables), n_hours), dtype=np.float32)
    bins = np.clip(np.floor(times + 1e-6).astype(int), 0, n_hours - 1)
    for t in np.flatnonzero(real):
        out[:, bins[t]] += step_attr[t]
    return out


def top_contributors(attribution: np.ndarray, variables: list[str], record: Any = None, k: int = 5) -> list[dict]:
    """The ``k`` (variable, hour) cells with the largest absolute contribution, with the values
    observed there (physical units) when the record is given."""
    flat = np.argsort(-np.abs(attribution), axis=None)[:k]
    out = []
    for idx in flat:
        v, h = np.unravel_index(int(idx), attribution.shape)
        score = float(attribution[v, h])
        if score == 0.0:
            break
        item = {"variable": variables[v], "hours": [int(h), int(h) + 1], "contribution": round(score, 6)}
        if record is not None:
            sel = (record.variables == v) & (np.floor(record.times).astype(int) == h)
            item["values"] = [round(float(x), 4) for x in record.values[sel]]
        out.append(item)
    return out


def heatmap_png(attribution: np.ndarray, variables: list[str], path: Path, title: str = "",
                max_rows: int = 40, exclusive: bool = False) -> Path:
    """A variable x hour heatmap (red raised the risk, blue lowered it) of the variables that
    contributed, most important first; at most ``max_rows`` rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from meddx.core.files import write_bytes_atomic

    importance = np.abs(attribution).sum(axis=1)
    rows = [i for i in np.argsort(-importance) if importance[i] > 0][:max_rows] or [0]
    data = attribution[rows]
    limit = float(np.abs(data).max()) or 1.0
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.25 * len(rows)), dpi=100)
    im = ax.imshow(data, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_yticks(range(len(rows)), [variables[i] for i in rows], fontsize=7)
    ax.set_xlabel("hours since admission")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="contribution to risk")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue(), exclusive=exclusive)  # exclusive: never over a file there
