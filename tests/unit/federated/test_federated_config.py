"""Federated config (YAML + overrides, clear errors) and the per-round records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.federated.config import load_federated_config
from meddx.federated.records import RoundLog, plot_rounds


def test_yaml_with_flag_overrides(tmp_path: Path) -> None:
    path = tmp_path / "fed.yaml"
    path.write_text("data: medmnist:pneumoniamnist\nsites: 5\npartition: Dirichlet:0.50\nstrategy: FedProx\nmu: 0.1\n")
    cfg = load_federated_config(path, rounds=7, sites=None)
    assert (cfg.sites, cfg.partition, cfg.strategy, cfg.mu, cfg.rounds) == (5, "dirichlet:0.5", "fedprox", 0.1, 7)


@pytest.mark.parametrize("overrides,needle", [
    ({"sites": 1}, "at least 2 sites"),
    ({"strategy": "fedsgd"}, "unknown strategy 'fedsgd'; expected one of fedavg, fedprox"),
    ({"partition": "dirichlet:-2"}, "ALPHA must be > 0"),
    ({"partition": "by-site"}, "unknown partition 'by-site'"),
    ({"rounds": 0}, "rounds: Input should be greater than or equal to 1"),
    ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
])
def test_bad_configs_name_the_field(overrides: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match="invalid federated config") as info:
        load_federated_config(None, data="x.npz", **overrides)
    assert needle in str(info.value)


def test_round_log_keeps_sites_by_name_and_weights_means_by_size(tmp_path: Path) -> None:
    echoed: list[str] = []
    log = RoundLog(tmp_path / "federated.json", echoed.append, total_rounds=2)
    log.record_global(0, 0.7, 0.5)
    agg = log.fit_metrics([(30, {"site": "a", "round": 1, "train_loss": 1.0}),
                           (10, {"site": "b", "round": 1, "train_loss": 3.0})])
    assert agg == {"train_loss": pytest.approx(1.5)}
    log.record_global(1, 0.6, 0.8)
    agg = log.evaluate_metrics([(10, {"site": "a", "round": 1, "auc": 0.9, "loss": 0.3}),
                                (30, {"site": "b", "round": 1, "auc": 0.7, "loss": 0.5}),
                                (5, {"site": "c", "round": 1, "auc": float("nan"), "loss": 0.1})])
    assert agg["auc"] == pytest.approx(0.75)  # c has no AUC (one class): left out, not counted as 0
    saved = json.loads((tmp_path / "federated.json").read_text())
    r1 = saved["rounds"][1]
    assert r1["global_auc"] == 0.8 and r1["sites"]["c"]["val_auc"] is None
    assert r1["sites"]["a"] == {"n_train": 30, "train_loss": 1.0, "n_val": 10, "val_auc": 0.9, "val_loss": 0.3}
    assert echoed[-1] == "round 1/2: global AUC 0.800; site val AUC a 0.900, b 0.700, c n/a"
    png = plot_rounds(log, tmp_path / "federated.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("overrides,needle", [
    ({"dp": "server"}, "dp: server needs dp_noise_multiplier"),
    ({"dp": "client"}, "dp: client needs a target dp_epsilon"),
    ({"dp": "client", "dp_epsilon": 5.0, "strategy": "fedprox"}, "use strategy fedavg"),
    ({"dp": "both"}, "dp: Input should be 'none', 'server' or 'client'"),
])
def test_dp_settings_are_checked(overrides: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match="invalid federated config") as info:
        load_federated_config(None, data="x.npz", **overrides)
    assert needle in str(info.value)


def test_client_dp_refuses_a_model_opacus_would_have_to_change() -> None:
    from meddx.federated.spec import FederationSpec, build_task

    spec = FederationSpec(model="resnet18", model_args={"in_channels": 1, "spatial_dims": 2, "image_size": 28},
                          task="binary", label_names=["a", "b"], image_size=[28, 28], channels=1,
                          client_dp={"noise_multiplier": 1.0, "delta": 1e-5, "max_grad_norm": 1.0, "epochs": 1})
    with pytest.raises(ConfigError, match="needs layer substitutions for Opacus .*BatchNorm"):
        build_task(spec)
