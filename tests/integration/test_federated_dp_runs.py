"""``meddx federated simulate`` with differential privacy (server-side and client-side) and with a bad
``--name``: a bundle whose record and model card state what the DP did, or a one-line error before
anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_npz(tmp_path_factory.mktemp("feddp") / "small.npz", 120, seed=5, n_val=20, n_test=40)


def test_server_dp_run_writes_a_bundle_whose_card_claims_no_epsilon(small_npz: Path, meddx_home: Path,
                                                                   capsys) -> None:
    result = run_cli(["federated", "simulate", "--data", str(small_npz), "--sites", "2", "--rounds", "1",
                      "--dp", "server", "--dp-noise", "0.5", "--name", "feddpsrv", "--threads", "1",
                      "--bootstrap", "20"], capsys)
    assert result.code == 0, result.err
    bundle = meddx_home / "bundles" / "feddpsrv" / "v1"
    dp = json.loads((bundle / "config.json").read_text())["federated"]["differential_privacy"]
    assert (dp["where"], dp["noise_multiplier"], dp["clipping_norm"], dp["sites_per_round"]) == ("server", 0.5, 1.0, 2)
    assert dp["aggregation"] == "unweighted mean of the clipped updates"
    assert dp["epsilon"] is None and dp["delta"] is None and dp["accounting"].startswith("not computed")
    card = (bundle / "model_card.md").read_text()
    assert "DifferentialPrivacyServerSideFixedClipping" in card and "Epsilon: not computed" in card
    assert "epsilon spent" not in card


def test_client_dp_bundle_records_what_each_site_used(small_npz: Path, meddx_home: Path) -> None:
    """With a target epsilon each site picks its own noise multiplier (its sample rate differs): the
    bundle records both, and they reproduce the epsilon each site reported."""
    from opacus.accountants import RDPAccountant

    from meddx.federated import FederatedConfig, simulate

    cfg = FederatedConfig(data=str(small_npz), sites=2, partition="dirichlet:1.0", min_site_samples=20, rounds=2,
                          dp="client", dp_epsilon=8.0, batch_size=16, name="fedcdp", num_threads=1,
                          ci_resamples=0, verify=False)
    result = simulate(cfg, echo=None)
    dp = json.loads((result.bundle_path / "config.json").read_text())["federated"]["differential_privacy"]
    assert dp["noise_multiplier"] is None  # chosen per site, for the target
    sites = sorted(dp["epsilon_per_site"])
    assert sites == ["site-1", "site-2"]
    for site in sites:
        noise, rate, steps = (dp["noise_multiplier_per_site"][site], dp["sample_rate_per_site"][site],
                              dp["steps_per_site"][site])
        assert noise > 0 and 0 < rate < 1 and steps > 0
        accountant = RDPAccountant()
        accountant.history = [(noise, rate, steps)]
        epsilon = accountant.get_epsilon(delta=dp["delta"])
        assert epsilon == pytest.approx(dp["epsilon_per_site"][site], rel=1e-6) and epsilon <= 8.0 + 1e-6
    card = (result.bundle_path / "model_card.md").read_text()
    assert "per site (noise multiplier, Poisson sample rate, noisy steps)" in card


def test_a_name_outside_the_data_root_stops_before_anything_is_written(small_npz: Path, meddx_home: Path,
                                                                      capsys) -> None:
    outside = meddx_home.parent  # where MEDDX_HOME/runs/../../escape-TIME would land
    before = set(outside.iterdir())
    result = run_cli(["federated", "simulate", "--data", str(small_npz), "--sites", "2", "--rounds", "1",
                      "--name", "../../escape", "--threads", "1"], capsys)
    assert result.code == 2
    assert "name '../../escape'" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert set(outside.iterdir()) == before  # no escape-* run folder beside the data root
    runs = meddx_home / "runs"
    assert not runs.exists() or not any(runs.iterdir())
