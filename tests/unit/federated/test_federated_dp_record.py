"""Differential privacy in federated runs: server-side DP aggregates the clipped updates with equal
weights (the mean its noise is sized for), and the bundle's record and model card state what was done
(server: mechanism, no epsilon; client: each site's noise multiplier and sample rate)."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.federated.config import FederatedConfig
from meddx.federated.finish import federated_section
from meddx.federated.records import RoundLog
from meddx.federated.spec import FederationSpec

SPEC = FederationSpec(model="seed-cnn", model_args={}, task="binary", label_names=["a", "b"], image_size=[16, 16],
                      channels=1)


def _clip(update: list[np.ndarray], norm: float) -> list[np.ndarray]:
    """Flat L2 clipping of a whole update (McMahan et al. 2018), written out here."""
    total = float(np.sqrt(sum(float((u.astype(np.float64) ** 2).sum()) for u in update)))
    return [u * min(1.0, norm / total) for u in update]


@pytest.mark.parametrize("strategy", ["fedavg", "fedprox"])
def test_server_dp_aggregates_the_clipped_updates_with_equal_weights(strategy: str) -> None:
    """With noise 0 the new global model is the global model plus the *unweighted* mean of the
    clipped updates, however many samples each site holds; the log still gets the real sizes."""
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.server import SimpleClientManager

    from meddx.federated.server import build_strategy
    from meddx.federated.simulation import InProcessProxy

    rng = np.random.default_rng(0)
    initial = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=4).astype(np.float32)]
    sizes = [10, 20, 70]
    sent = [[w + rng.normal(scale=s, size=w.shape).astype(np.float32) for w in initial] for s in (0.01, 1.0, 3.0)]
    cfg = FederatedConfig(sites=3, strategy=strategy, dp="server", dp_noise_multiplier=0.0, dp_clipping_norm=0.5)
    log = RoundLog()
    strategy_obj = build_strategy(cfg, SPEC, initial, None, log)
    manager = SimpleClientManager()
    proxies = [InProcessProxy(f"site-{i}", None) for i in range(3)]
    for proxy in proxies:
        manager.register(proxy)
    strategy_obj.configure_fit(1, ndarrays_to_parameters(initial), manager)  # the wrapper notes the global model
    results = [(proxy, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(w), n,
                              {"site": proxy.cid, "round": 1, "train_loss": 0.5}))
               for proxy, w, n in zip(proxies, sent, sizes)]
    aggregated = parameters_to_ndarrays(strategy_obj.aggregate_fit(1, results, [])[0])

    clipped = [_clip([s - g for s, g in zip(w, initial)], 0.5) for w in sent]
    equal = [g + sum(c[i] for c in clipped) / 3 for i, g in enumerate(initial)]
    weighted = [g + sum(n * c[i] for c, n in zip(clipped, sizes)) / sum(sizes) for i, g in enumerate(initial)]
    for got, want, other in zip(aggregated, equal, weighted):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert not np.allclose(want, other, atol=1e-3)  # the sizes differ enough for the weighting to show
    assert {s: v["n_train"] for s, v in log.rounds[1]["sites"].items()} == {"site-0": 10, "site-1": 20, "site-2": 70}


def test_without_dp_fedavg_still_weights_by_site_size() -> None:
    from meddx.federated.server import EqualWeightFedAvg, build_strategy

    strategy = build_strategy(FederatedConfig(sites=2), SPEC, [np.zeros(2, np.float32)], None, RoundLog())
    assert type(strategy).__name__ == "FedAvg" and not isinstance(strategy, EqualWeightFedAvg)


def test_server_dp_card_states_the_mechanism_and_claims_no_epsilon() -> None:
    from meddx.bundle.model_card import _federated_section

    cfg = FederatedConfig(data="x.npz", sites=4, rounds=5, dp="server", dp_noise_multiplier=0.8, dp_clipping_norm=0.5)
    section = federated_section(cfg, ["a", "b", "c", "d"], partition="iid", evaluation="test")
    dp = section["differential_privacy"]
    assert (dp["where"], dp["noise_multiplier"], dp["clipping_norm"], dp["sites_per_round"], dp["rounds"]) == \
        ("server", 0.8, 0.5, 4, 5)
    assert dp["noise_std"] == pytest.approx(0.8 * 0.5 / 4) and dp["epsilon"] is None and dp["delta"] is None
    card = "\n".join(_federated_section({"federated": section}))
    line = next(x for x in card.splitlines() if x.startswith("- Differential privacy:"))
    assert "DifferentialPrivacyServerSideFixedClipping" in line and "equal weights" in line
    assert "noise multiplier 0.8, clipping norm 0.5, 4 sites per round, noise std 0.100, 5 rounds" in line
    assert "Epsilon: not computed" in line and "no (epsilon, delta) guarantee is claimed" in line
    assert "site" in line and "epsilon spent" not in line


def test_client_dp_section_records_what_each_site_used() -> None:
    """A target epsilon leaves the configured noise multiplier empty: the record then holds the
    noise multiplier, Poisson sample rate and steps each site used, from its latest report."""
    from meddx.bundle.model_card import _federated_section

    log = RoundLog()
    for rnd, steps in ((1, 3), (2, 6)):
        log.fit_metrics([(100, {"site": "a", "round": rnd, "train_loss": 1.0, "steps": 3.0, "epsilon": 0.5 * rnd,
                                "noise_multiplier": 1.25, "sample_rate": 0.32, "dp_steps": float(steps)}),
                         (50, {"site": "b", "round": rnd, "train_loss": 1.0, "steps": 2.0, "epsilon": 0.7 * rnd,
                               "noise_multiplier": 0.95, "sample_rate": 0.64, "dp_steps": float(steps - 1)})])
    cfg = FederatedConfig(data="x.npz", sites=2, rounds=2, dp="client", dp_epsilon=2.0)
    dp = federated_section(cfg, ["a", "b"], partition="iid", evaluation="test", log=log)["differential_privacy"]
    assert dp["noise_multiplier"] is None and dp["noise_chosen"].startswith("per site")
    assert dp["noise_multiplier_per_site"] == {"a": 1.25, "b": 0.95}
    assert dp["sample_rate_per_site"] == {"a": 0.32, "b": 0.64}
    assert dp["steps_per_site"] == {"a": 6, "b": 5} and dp["epsilon_per_site"] == {"a": 1.0, "b": 1.4}
    assert (dp["accountant"], dp["delta"]) == ("rdp", 1e-5)
    card = "\n".join(_federated_section({"federated": {**_minimal_section(), "differential_privacy": dp}}))
    assert "a (1.250, 0.320, 6), b (0.950, 0.640, 5)" in card and "RDP accountant, delta 1e-05" in card


def _minimal_section() -> dict:
    cfg = FederatedConfig(data="x.npz", sites=2)
    return federated_section(cfg, ["a", "b"], partition="iid", evaluation=None)


def test_a_client_dp_target_no_noise_can_reach_names_the_federated_flags() -> None:
    """Audit: the error told a federation's user to change --epsilon/--epochs, flags `meddx federated`
    does not have."""
    pytest.importorskip("opacus")
    from dataclasses import replace

    from meddx.core.errors import ConfigError
    from meddx.federated.local import train_local
    from meddx.federated.spec import build_task

    private = replace(SPEC, model_args={"image_size": 16}, client_dp={
        "noise_multiplier": None, "epsilon": 1e-8, "delta": 1e-5, "max_grad_norm": 1.0, "epochs": 1})
    x, y = np.zeros((20, 1, 16, 16), np.float32), np.arange(20) % 2
    with pytest.raises(ConfigError, match=r"cannot be reached .*--dp-epsilon.*--rounds x --local-epochs"):
        train_local(build_task(private), x, y, private)
