"""Which columns pushed a table row's prediction: attributions per row, summed back to raw columns.

Integrated gradients (Captum) for networks with gradients (``logreg``, ``mlp``) and feature
ablation for the tree ensemble (``gbm``, piecewise constant: gradients are zero). Both measure,
for the explained class's probability, each model input against a baseline of zeros, which in the
standardised space is the training mean (one-hot and indicator columns off): "compared with an
average training patient". The one-hot and missing-indicator columns of a raw column are summed,
so a row's explanation names the columns of the file (``cp``, ``Glucose``), with the row's value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.extras import needs_extra

METHODS = ("integrated-gradients", "ablation")


def source_column(feature: str, columns: list[str]) -> str:
    """The raw column a model input comes from (``cp=4`` -> ``cp``, ``ca_missing`` -> ``ca``)."""
    for name in sorted(columns, key=len, reverse=True):
        if feature == name or feature.startswith(f"{name}=") or feature == f"{name}_missing":
            return name
    return feature


def row_attributions(predictor: Any, table: Any, method: str = "auto", target: list[int] | None = None,
                     steps: int = 32) -> tuple[np.ndarray, list[str], list[int]]:
    """``(N, columns)`` attributions to the explained class's probability, the raw column names,
    and the explained class per row (the bundle's decision unless ``target`` gives indices)."""
    import torch

    from meddx.tasks.heads import probs_from_logits

    method = _resolve(predictor, method)
    x = predictor.encode(table)
    if target is None:
        decided = predictor.decide(predictor.predict_tensor(x))
        target = [predictor.label_names.index(d) for d in decided]  # type: ignore[arg-type]
    target_t = torch.as_tensor(target, dtype=torch.int64)

    def forward(inputs: torch.Tensor) -> torch.Tensor:
        return probs_from_logits(predictor.net(inputs).float(), predictor.task)  # the task's head, as predicted

    with needs_extra(f"table row attribution by {method}"):
        from captum.attr import FeatureAblation, IntegratedGradients
    baseline = torch.zeros_like(x)
    if method == "integrated-gradients":
        attr = IntegratedGradients(forward).attribute(x, baselines=baseline, target=target_t, n_steps=steps)
    else:
        attr = FeatureAblation(forward).attribute(x, baselines=baseline, target=target_t)
    attr = attr.detach().numpy().astype(np.float64)
    columns = [*predictor.preprocessor.numeric, *predictor.preprocessor.categorical]
    owner = [columns.index(source_column(f, columns)) for f in predictor.feature_names]
    summed = np.zeros((attr.shape[0], len(columns)))
    for j, c in enumerate(owner):
        summed[:, c] += attr[:, j]
    return summed, columns, list(target)


def top_features(predictor: Any, table: Any, method: str = "auto", top: int = 5) -> list[dict[str, Any]]:
    """Per row: the explained class, the method, and the ``top`` columns by absolute attribution
    with the row's raw value and the signed attribution (probability units)."""
    method = _resolve(predictor, method)
    attr, columns, target = row_attributions(predictor, table, method)
    out = []
    for i in range(len(attr)):
        order = np.argsort(-np.abs(attr[i]), kind="stable")[:top]
        out.append({"class": predictor.label_names[target[i]], "method": method, "top": [
            {"column": columns[j], "value": _value(table[columns[j]].iloc[i]), "attribution": round(float(attr[i, j]), 5)}
            for j in order]})
    return out


def _resolve(predictor: Any, method: str) -> str:
    has_grad = any(p.requires_grad for p in predictor.net.parameters())
    if method == "auto":
        return "integrated-gradients" if has_grad else "ablation"
    if method not in METHODS:
        raise ConfigError(f"attribution {method!r} is not available for a table bundle; choose from "
                          f"{', '.join(METHODS)} or auto")
    if method == "integrated-gradients" and not has_grad:
        raise ConfigError(f"bundle {predictor.name!r} is a tree ensemble (no gradients); use --attribution ablation")
    return method


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value) if isinstance(value, (int, float, np.number)) else str(value)
