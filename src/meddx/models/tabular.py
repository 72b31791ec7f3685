"""Models of table rows: an MLP, and logistic regression and gradient-boosted trees as torch modules.

Every model maps features ``(B, num_features)`` (the output of
:class:`meddx.transforms.tabular.TabularPreprocessor`) to logits ``(B, num_classes)``.

- ``mlp``: Linear-ReLU-Dropout blocks, no BatchNorm (so Opacus DP-SGD applies unchanged),
  trained by the normal Lightning path.
- ``logreg`` and ``gbm`` are *fitted by scikit-learn* (``LogisticRegression``,
  ``HistGradientBoostingClassifier``) and *converted* by :func:`fit_sklearn_net` into torch
  modules whose parameters/buffers hold the fitted model. A bundle therefore stays safetensors
  (no pickle), and calibration, operating points, evaluation, explanation and serving see an
  ordinary network returning logits. The constructor arguments describe the buffer shapes, so
  ``create_model(name, num_classes=..., **args)`` + ``load_state_dict`` rebuilds a fitted model.

Binary models return two logits ``[0, z]`` so that the softmax equals sklearn's ``sigmoid(z)``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import MODELS, SKLEARN_FITTED

_FEATURES = {"dims": (0,), "input": "features", "output": "logits"}
LOGREG_DEFAULTS: dict[str, Any] = {"C": 1.0, "max_iter": 2000}
GBM_DEFAULTS: dict[str, Any] = {"learning_rate": 0.05, "max_iter": 150, "max_leaf_nodes": 8, "min_samples_leaf": 10,
                                "l2_regularization": 1.0, "max_depth": None}


def _check(name: str, num_classes: int, num_features: int) -> None:
    if int(num_classes) < 2 or int(num_features) < 1:
        raise ModelError(f"model {name!r} needs num_classes >= 2 and num_features >= 1 (the preprocessor's "
                         f"output width); got num_classes={num_classes}, num_features={num_features}")


class TabularMLP(nn.Sequential):
    """``hidden`` blocks of Linear -> ReLU -> Dropout, then a Linear head."""

    def __init__(self, num_features: int, num_classes: int, hidden: Sequence[int] = (64, 32),
                 dropout: float = 0.2) -> None:
        layers: list[nn.Module] = []
        width = int(num_features)
        for size in hidden:
            layers += [nn.Linear(width, int(size)), nn.ReLU(), nn.Dropout(float(dropout))]
            width = int(size)
        layers.append(nn.Linear(width, int(num_classes)))
        super().__init__(*layers)


class LogisticRegressionNet(nn.Linear):
    """Logistic regression as ``nn.Linear(num_features, num_classes)``: multinomial softmax, or for
    two classes a zero first row so that the softmax is the sigmoid of the second logit."""

    def __init__(self, num_features: int, num_classes: int) -> None:
        super().__init__(int(num_features), int(num_classes))


class TreeEnsemble(nn.Module):
    """The fitted trees of a ``HistGradientBoostingClassifier`` as buffers, evaluated in torch.

    Buffers, one row per tree padded to ``max_nodes``: ``feature`` (split feature index),
    ``threshold`` (go left when ``x <= threshold``), ``left``/``right`` (child node index),
    ``is_leaf``, ``value`` (leaf value, learning rate applied), ``missing_left`` (where NaN goes);
    ``tree_output`` (which raw score each tree adds to) and ``baseline`` (the initial raw score).
    ``forward`` walks every row down every tree at once for ``max_depth`` steps, in float64 so
    the splits equal sklearn's. It has no parameters: it is fitted, not trained by gradients.
    """

    def __init__(self, num_features: int, num_classes: int, num_trees: int = 0, max_nodes: int = 1,
                 max_depth: int = 0) -> None:
        super().__init__()
        self.num_features, self.num_classes, self.max_depth = int(num_features), int(num_classes), int(max_depth)
        outputs = 1 if self.num_classes == 2 else self.num_classes
        shape = (int(num_trees), max(1, int(max_nodes)))
        self.register_buffer("feature", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("threshold", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("left", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("right", torch.zeros(shape, dtype=torch.int64))
        self.register_buffer("is_leaf", torch.ones(shape, dtype=torch.bool))
        self.register_buffer("value", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("missing_left", torch.zeros(shape, dtype=torch.bool))
        self.register_buffer("tree_output", torch.zeros(int(num_trees), dtype=torch.int64))
        self.register_buffer("baseline", torch.zeros(outputs, dtype=torch.float64))

    def raw_scores(self, x: torch.Tensor) -> torch.Tensor:
        """sklearn's ``decision_function``: ``(B, 1)`` for two classes, ``(B, K)`` otherwise."""
        xd = x.to(torch.float64)
        trees, nodes = self.feature.shape
        offset = torch.arange(trees, device=x.device) * nodes
        node = offset.expand(xd.shape[0], trees).clone()
        feature, threshold = self.feature.reshape(-1), self.threshold.reshape(-1)
        left, right = self.left.reshape(-1), self.right.reshape(-1)
        leaf, missing = self.is_leaf.reshape(-1), self.missing_left.reshape(-1)
        for _ in range(self.max_depth):
            xv = xd.gather(1, feature[node])
            go_left = torch.where(torch.isnan(xv), missing[node], xv <= threshold[node])
            child = torch.where(go_left, left[node], right[node]) + offset
            node = torch.where(leaf[node], node, child)
        values = self.value.reshape(-1)[node]  # (B, trees)
        routing = nn.functional.one_hot(self.tree_output, self.baseline.numel()).to(torch.float64)
        return self.baseline + values @ routing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.num_features:
            raise ModelError(f"gbm expects {self.num_features} features per row; got {x.shape[-1]}")
        raw = self.raw_scores(x)
        if self.num_classes == 2:
            raw = torch.cat([torch.zeros_like(raw), raw], dim=1)
        return raw.to(torch.float32)


@MODELS.register("mlp", description="MLP for table rows: Linear-ReLU-Dropout blocks (no BatchNorm: DP-ready)",
                 **_FEATURES)
def mlp(num_classes: int = 2, num_features: int = 1, hidden: Sequence[int] = (64, 32),
        dropout: float = 0.2) -> nn.Module:
    _check("mlp", num_classes, num_features)
    if not hidden or any(int(h) < 1 for h in hidden) or not 0.0 <= float(dropout) < 1.0:
        raise ModelError(f"model 'mlp': hidden must be positive layer widths and 0 <= dropout < 1; got "
                         f"hidden={list(hidden)}, dropout={dropout}")
    return TabularMLP(num_features, num_classes, list(hidden), dropout)


@MODELS.register("logreg", description="Logistic regression (fitted by scikit-learn, stored as nn.Linear)",
                 fitted_by="sklearn", **_FEATURES)
def logreg(num_classes: int = 2, num_features: int = 1) -> nn.Module:
    _check("logreg", num_classes, num_features)
    return LogisticRegressionNet(num_features, num_classes)


@MODELS.register("gbm", description="Gradient-boosted trees (scikit-learn HistGradientBoosting, run in torch)",
                 fitted_by="sklearn", **_FEATURES)
def gbm(num_classes: int = 2, num_features: int = 1, num_trees: int = 0, max_nodes: int = 1,
        max_depth: int = 0) -> nn.Module:
    _check("gbm", num_classes, num_features)
    return TreeEnsemble(num_features, num_classes, num_trees, max_nodes, max_depth)


# ----------------------------------------------------------------------------- fitting
def fit_sklearn_net(name: str, x: np.ndarray, y: np.ndarray, *, task: str, num_classes: int,
                    class_weight: str | dict[int, float] | None = "balanced", seed: int = 0, **params: Any) -> nn.Module:
    """Fit ``logreg`` or ``gbm`` with scikit-learn on ``x`` ``(N, F)`` and class indices ``y``,
    and return the equivalent torch module (eval mode) whose softmax equals ``predict_proba``.

    ``class_weight="balanced"`` weights samples by inverse class frequency; a ``{class: weight}`` dict
    (a plan's ``class_weights``) by those values. ``gbm`` takes NaN
    (it learns where missing values go); ``logreg`` needs imputed input. ``params`` override
    :data:`LOGREG_DEFAULTS` / :data:`GBM_DEFAULTS`. The module's constructor arguments are in
    ``net.meddx_args`` (what a bundle's ``config.json`` records).
    """
    if name not in SKLEARN_FITTED:
        raise ModelError(f"model {name!r} is not fitted by scikit-learn; fit_sklearn_net fits {', '.join(SKLEARN_FITTED)}")
    if task not in ("binary", "multiclass"):
        raise ModelError(f"model {name!r} handles binary and multi-class labels; got task {task!r}")
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(np.int64).reshape(-1)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ModelError(f"model {name!r}: expected x (N, F) and y (N,) with N > 0; got {x.shape} and {y.shape}")
    absent = sorted(set(range(num_classes)) - set(y.tolist()))
    if absent:
        raise ModelError(f"model {name!r}: class index(es) {absent} have no training rows; every class needs some")
    defaults = LOGREG_DEFAULTS if name == "logreg" else GBM_DEFAULTS
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ModelError(f"model {name!r} got unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(defaults)}")
    settings = {**defaults, **params}
    weight = None
    if class_weight is not None:
        from sklearn.utils.class_weight import compute_sample_weight

        weight = compute_sample_weight(class_weight, y)
    if name == "logreg":
        if np.isnan(x).any():
            raise ModelError("model 'logreg' cannot read missing values (NaN); impute them first, e.g. with "
                             "TabularPreprocessor(impute=True)")
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(random_state=seed, **settings).fit(x, y, sample_weight=weight)
        return logreg_from_sklearn(clf, num_classes)
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(random_state=seed, early_stopping=False, **settings)
    return gbm_from_sklearn(clf.fit(x, y, sample_weight=weight), num_classes)


def logreg_from_sklearn(clf: Any, num_classes: int) -> LogisticRegressionNet:
    """A fitted ``LogisticRegression`` as :class:`LogisticRegressionNet`."""
    coef, intercept = np.asarray(clf.coef_, dtype=np.float64), np.asarray(clf.intercept_, dtype=np.float64)
    net = LogisticRegressionNet(coef.shape[1], num_classes)
    with torch.no_grad():
        net.weight.zero_()
        net.bias.zero_()
        if num_classes == 2:
            net.weight[1] = torch.from_numpy(coef[0])
            net.bias[1] = float(intercept[0])
        else:
            net.weight.copy_(torch.from_numpy(coef))
            net.bias.copy_(torch.from_numpy(intercept))
    net.meddx_args = {"num_features": int(coef.shape[1])}  # type: ignore[assignment]
    return net.eval()


def gbm_from_sklearn(clf: Any, num_classes: int) -> TreeEnsemble:
    """A fitted ``HistGradientBoostingClassifier`` as :class:`TreeEnsemble` (numeric splits only)."""
    trees = [(k, predictor.nodes) for iteration in clf._predictors for k, predictor in enumerate(iteration)]
    if any(nodes["is_categorical"][~nodes["is_leaf"].astype(bool)].any() for _, nodes in trees):
        raise ModelError("gbm: categorical splits are not converted; one-hot encode categories before fitting")
    max_nodes = max((len(nodes) for _, nodes in trees), default=1)
    depth = max((int(nodes["depth"].max()) for _, nodes in trees), default=0)
    num_features = int(clf.n_features_in_)
    net = TreeEnsemble(num_features, num_classes, len(trees), max_nodes, depth)
    with torch.no_grad():
        for t, (k, nodes) in enumerate(trees):
            n = len(nodes)
            net.feature[t, :n] = torch.from_numpy(nodes["feature_idx"].astype(np.int64))
            net.threshold[t, :n] = torch.from_numpy(nodes["num_threshold"].astype(np.float64))
            net.left[t, :n] = torch.from_numpy(nodes["left"].astype(np.int64))
            net.right[t, :n] = torch.from_numpy(nodes["right"].astype(np.int64))
            net.is_leaf[t, :n] = torch.from_numpy(nodes["is_leaf"].astype(bool))
            net.value[t, :n] = torch.from_numpy(nodes["value"].astype(np.float64))
            net.missing_left[t, :n] = torch.from_numpy(nodes["missing_go_to_left"].astype(bool))
            net.tree_output[t] = k
        net.baseline.copy_(torch.from_numpy(np.asarray(clf._baseline_prediction, dtype=np.float64).reshape(-1)))
    net.meddx_args = {"num_features": num_features, "num_trees": len(trees), "max_nodes": max_nodes,  # type: ignore[assignment]
                      "max_depth": depth}
    return net.eval()
