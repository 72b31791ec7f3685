"""Table models: the registry contract, and sklearn-fitted models converted to torch exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load, save
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight
from torch import nn

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models, model_info
from meddx.models.tabular import GBM_DEFAULTS, LOGREG_DEFAULTS, fit_sklearn_net

FEATURES = 6


def _feature_models() -> list[str]:
    return [n for n in list_models() if model_info(n).get("input") == "features"]


def test_the_three_table_models_are_registered() -> None:
    assert {"mlp", "logreg", "gbm"} <= set(_feature_models())


@pytest.mark.parametrize("name", _feature_models())
@pytest.mark.parametrize("classes", [2, 3])
def test_contract(name: str, classes: int) -> None:
    info = model_info(name)
    assert info["output"] == "logits" and info["description"]
    torch.manual_seed(0)
    model = create_model(name, num_classes=classes, num_features=FEATURES)
    x = torch.randn(4, FEATURES)
    model.train()
    logits = model(x)
    assert logits.shape == (4, classes) and logits.dtype == torch.float32
    params = [p for p in model.parameters() if p.requires_grad]
    if params:  # gbm has buffers only (fitted, not trained)
        nn.functional.cross_entropy(logits, torch.tensor([0, 1, 0, 1])).backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)
    model.eval()
    with torch.no_grad():
        fresh = create_model(name, num_classes=classes, num_features=FEATURES).eval()
        fresh.load_state_dict(load(save(model.state_dict())))
        torch.testing.assert_close(fresh(x), model(x), rtol=0, atol=0)


def test_mlp_has_no_batchnorm_and_checks_arguments() -> None:
    model = create_model("mlp", num_classes=2, num_features=5, hidden=[8, 4], dropout=0.1)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    with pytest.raises(ModelError, match="hidden"):
        create_model("mlp", num_classes=2, num_features=5, hidden=[])
    with pytest.raises(ModelError, match="num_features"):
        create_model("logreg", num_classes=2, num_features=0)


def _data(classes: int, seed: int = 0, nan: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(400, FEATURES))
    signal = x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=400)
    if nan:
        x[rng.random(x.shape) < 0.15] = np.nan
        signal += 0.8 * np.isnan(x[:, 2])  # missingness itself carries information
    y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1]))
    return x, y.astype(np.int64)


def _torch_probs(net: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(net(torch.from_numpy(x)), dim=1).numpy()


@pytest.mark.parametrize("classes", [2, 3])
def test_gbm_equals_sklearn_on_data_with_missing_values(classes: int) -> None:
    x, y = _data(classes)
    task = "binary" if classes == 2 else "multiclass"
    net = fit_sklearn_net("gbm", x, y, task=task, num_classes=classes, seed=0)
    reference = HistGradientBoostingClassifier(random_state=0, early_stopping=False, **GBM_DEFAULTS)
    reference.fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    x_new, _ = _data(classes, seed=1)  # unseen rows, NaN in every column
    for rows in (x, x_new):
        np.testing.assert_allclose(_torch_probs(net, rows), reference.predict_proba(rows), atol=1e-5, rtol=0)
    # the bundle path: rebuilt from its constructor arguments and a safetensors state dict
    rebuilt = create_model("gbm", num_classes=classes, **net.meddx_args)
    rebuilt.load_state_dict(load(save(net.state_dict())))
    np.testing.assert_allclose(_torch_probs(rebuilt.eval(), x_new), reference.predict_proba(x_new), atol=1e-5, rtol=0)
    assert net.meddx_args["num_trees"] == GBM_DEFAULTS["max_iter"] * (1 if classes == 2 else classes)


@pytest.mark.parametrize("classes", [2, 3])
def test_logreg_equals_sklearn(classes: int) -> None:
    x, y = _data(classes, nan=False)
    net = fit_sklearn_net("logreg", x, y, task="binary" if classes == 2 else "multiclass", num_classes=classes)
    reference = LogisticRegression(random_state=0, **LOGREG_DEFAULTS)
    reference.fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    x32 = x.astype(np.float32)  # the network reads float32 features, as the preprocessor gives
    np.testing.assert_allclose(_torch_probs(net, x32), reference.predict_proba(x32.astype(np.float64)),
                               atol=1e-5, rtol=0)
    rebuilt = create_model("logreg", num_classes=classes, **net.meddx_args)
    rebuilt.load_state_dict(load(save(net.state_dict())))
    np.testing.assert_allclose(_torch_probs(rebuilt.eval(), x32), _torch_probs(net, x32), atol=0, rtol=0)


def test_balanced_class_weight_moves_the_minority_probability() -> None:
    x, y = _data(2, nan=False)
    keep = np.flatnonzero((y == 0) | (np.arange(len(y)) % 5 == 0))  # 1 positive in 5
    plain = fit_sklearn_net("logreg", x[keep], y[keep], task="binary", num_classes=2, class_weight=None)
    weighted = fit_sklearn_net("logreg", x[keep], y[keep], task="binary", num_classes=2)
    assert _torch_probs(weighted, x[keep].astype(np.float32))[:, 1].mean() > \
        _torch_probs(plain, x[keep].astype(np.float32))[:, 1].mean() + 0.1


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("logreg", {}, "NaN"),
    ("gbm", {"depth": 3}, "unknown parameter"),
    ("mlp", {}, "not fitted by scikit-learn"),
])
def test_fit_errors(name: str, kwargs: dict[str, Any], message: str) -> None:
    x, y = _data(2)
    with pytest.raises(ModelError, match=message):
        fit_sklearn_net(name, x, y, task="binary", num_classes=2, **kwargs)


def test_fit_refuses_a_class_without_rows_and_multilabel() -> None:
    x, y = _data(2)
    with pytest.raises(ModelError, match=r"\[2\] have no training rows"):
        fit_sklearn_net("gbm", x, y, task="multiclass", num_classes=3)
    with pytest.raises(ModelError, match="multilabel"):
        fit_sklearn_net("gbm", x, y, task="multilabel", num_classes=2)
