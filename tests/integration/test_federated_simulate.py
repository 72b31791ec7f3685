"""``meddx federated simulate`` end to end on synthetic lesions (a learnable task with a known answer),
FedAvg's aggregation checked against a weighted mean computed here, and the admission check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli


def write_npz(path: Path, n_train: int, seed: int, n_val: int = 0, n_test: int = 0, classes: int = 2,
              size: int = 20) -> Path:
    """A MedMNIST-style .npz of synthetic lesions (``classes=3`` relabels them 0/1/2: a wrong site)."""
    from meddx.data.synthetic import make_lesion_images

    arrays = {}
    for offset, (split, n) in enumerate((("train", n_train), ("val", n_val), ("test", n_test))):
        if n:
            data = make_lesion_images(n, size, contrast=2.0, seed=seed * 10 + offset)
            labels = data.labels if classes == 2 else np.arange(n) % classes
            arrays[f"{split}_images"], arrays[f"{split}_labels"] = data.images[:, 0], labels[:, None]
    np.savez(path, **arrays)
    return path


@pytest.fixture(scope="module")
def lesions_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_npz(tmp_path_factory.mktemp("fed") / "lesions.npz", 270, seed=4, n_val=30, n_test=150)


@pytest.mark.slow
def test_simulate_from_yaml_gives_an_evaluated_bundle(lesions_npz: Path, tmp_path: Path, meddx_home: Path,
                                                      capsys) -> None:
    from meddx.bundle.bundle import load_bundle

    config = tmp_path / "fed.yaml"
    config.write_text(f"data: {lesions_npz}\nsites: 3\npartition: dirichlet:1.0\nrounds: 3\nlocal_epochs: 1\n"
                      "lr: 0.005\nbatch_size: 32\nci_resamples: 50\nname: fedsim\nseed: 1\nnum_threads: 1\n")
    result = run_cli(["federated", "simulate", str(config), "--strategy", "fedprox", "--mu", "0.01"], capsys)
    assert result.code == 0, result.err
    assert "round 3/3: global AUC" in result.out and "registered as fedsim:1" in result.out
    run_dir = next((meddx_home / "runs").glob("fedsim-*"))
    rounds = json.loads((run_dir / "federated.json").read_text())["rounds"]
    assert [r["round"] for r in rounds] == [0, 1, 2, 3]
    assert all(set(r["sites"]) == {"site-1", "site-2", "site-3"} for r in rounds[1:])
    assert all(r["sites"]["site-1"]["n_train"] > 0 for r in rounds[1:])
    assert (run_dir / "federated.png").is_file() and (run_dir / "report.html").is_file()

    bundle = meddx_home / "bundles" / "fedsim" / "v1"
    predictor = load_bundle(bundle)
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["test"]["n"] == 150 and metrics["test"]["auc"] > 0.75  # easy lesions: FL must learn them
    assert "bca" in metrics["test"]["ci"]["auc"]
    # The bundle is the last round's global model: same AUC on the same held-out test.
    assert metrics["test"]["auc"] == pytest.approx(rounds[-1]["global_auc"], abs=1e-6)
    assert metrics["dataset"]["splits"]["val"]["n"] == sum(rounds[-1]["sites"][s]["n_val"] for s in rounds[-1]["sites"])
    fed = predictor.config["federated"]
    assert (fed["strategy"], fed["mu"], fed["rounds"], fed["sites"]) == ("fedprox", 0.01, 3, 3)
    card = (bundle / "model_card.md").read_text()
    assert "## Federated training" in card and "dirichlet:1" in card and "fedprox (mu = 0.01)" in card


@pytest.mark.parametrize("strategy", ["fedavg", "fedprox"])
def test_one_round_is_the_weighted_mean_of_the_sites_weights(strategy: str, lesions_npz: Path, meddx_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from flwr.common import parameters_to_ndarrays
    from flwr.server.strategy import FedAvg

    from meddx.bundle.bundle import load_bundle
    from meddx.federated.client import SiteClient
    from meddx.federated.config import FederatedConfig
    from meddx.federated.simulation import simulate

    seen: dict = {"configs": []}
    original_aggregate, original_fit = FedAvg.aggregate_fit, SiteClient.fit

    def spy_aggregate(self, server_round, results, failures):  # type: ignore[no-untyped-def]
        seen["results"] = [(parameters_to_ndarrays(res.parameters), res.num_examples) for _, res in results]
        out = original_aggregate(self, server_round, results, failures)
        seen["aggregated"] = parameters_to_ndarrays(out[0])
        return out

    def spy_fit(self, parameters, config):  # type: ignore[no-untyped-def]
        seen["configs"].append(dict(config))
        return original_fit(self, parameters, config)

    monkeypatch.setattr(FedAvg, "aggregate_fit", spy_aggregate)  # FedProx inherits it
    monkeypatch.setattr(SiteClient, "fit", spy_fit)
    cfg = FederatedConfig(data=str(lesions_npz), sites=3, partition="iid", rounds=1, strategy=strategy, mu=0.5,
                          ci_resamples=0, verify=False, name=f"one-{strategy}", num_threads=1)
    result = simulate(cfg, echo=None)

    sizes = [n for _, n in seen["results"]]
    assert len(sizes) == 3 and sum(sizes) == sum(r for r in (result.rounds[1]["sites"][s]["n_train"]
                                                              for s in result.rounds[1]["sites"]))
    expected = [sum(w[i].astype(np.float64) * n for w, n in seen["results"]) / sum(sizes)
                for i in range(len(seen["aggregated"]))]
    for got, want in zip(seen["aggregated"], expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    saved = [v.numpy() for v in load_bundle(result.bundle_path).net.state_dict().values()]
    for got, want in zip(saved, seen["aggregated"]):  # the bundle holds exactly the aggregate
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    mus = {c.get("proximal_mu") for c in seen["configs"]}
    assert mus == ({0.5} if strategy == "fedprox" else {None})


def test_a_site_with_other_labels_stops_the_run_before_training(lesions_npz: Path, tmp_path: Path) -> None:
    from flwr.server import ServerConfig, SimpleClientManager
    from flwr.server.server import run_fl

    from meddx.data.sources import load_source
    from meddx.federated.client import SiteClient
    from meddx.federated.config import FederatedConfig
    from meddx.federated.records import RoundLog
    from meddx.federated.server import MeddxServer, build_strategy
    from meddx.federated.simulation import InProcessProxy
    from meddx.federated.spec import build_task, get_weights, spec_from_source

    good = load_source(lesions_npz)
    bad = load_source(write_npz(tmp_path / "three.npz", 60, seed=2, classes=3))
    cfg = FederatedConfig(sites=2, rounds=2)
    spec = spec_from_source(cfg, good)
    log = RoundLog()
    server = MeddxServer(client_manager=SimpleClientManager(), spec=spec, min_clients=2, log=log,
                         strategy=build_strategy(cfg, spec, get_weights(build_task(spec).net), None, log))
    clients = [SiteClient(good, "good"), SiteClient(bad, "bad")]
    for client in clients:
        server.client_manager().register(InProcessProxy(client.site, client.to_client()))
    run_fl(server, ServerConfig(num_rounds=2))
    assert server.problem is not None and "site 'bad'" in server.problem
    assert "['class_0', 'class_1', 'class_2']" in server.problem and "['class_0', 'class_1']" in server.problem
    # the site's own message names its file; what reached the coordinator does not (audit)
    assert bad.origin not in server.problem and bad.origin in (clients[1].problem or "")
    assert clients[1].problem == server.problem.replace("site 'bad'", f"site 'bad' ({bad.origin})")
    assert clients[0].problem is None
    assert clients[0].rounds_trained == 0 and log.rounds == {}  # nothing trained, nothing evaluated


@pytest.mark.parametrize("argv,needle", [
    (["--sites", "1"], "at least 2 sites"),
    (["--strategy", "scaffold"], "unknown strategy 'scaffold'"),
    (["--partition", "dirichlet:zero"], "ALPHA must be a number"),
    (["--partition", "by-column:hospital"], "by-column:hospital needs a CSV holding column 'hospital'"),
])
def test_bad_configurations_are_one_line_errors(argv: list[str], needle: str, lesions_npz: Path, capsys) -> None:
    result = run_cli(["federated", "simulate", "--data", str(lesions_npz), *argv], capsys)
    assert result.code == 2
    assert needle in result.err and "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["documents", "table", "segmentation"])
def test_sources_other_than_images_are_refused_in_one_line(kind: str, tmp_path: Path, meddx_home: Path,
                                                             capsys) -> None:
    """Federated runs train image classifiers: other sources stop before any site is carved."""
    from meddx.data.synthetic_seg import write_seg_folder
    from meddx.data.synthetic_text import write_text_csv

    if kind == "documents":
        data = write_text_csv(tmp_path / "notes.csv", n=60)
    elif kind == "table":
        data = tmp_path / "rows.csv"  # ages repeat: a column distinct in every row is refused as an identifier
        data.write_text("age,bp,label\n" + "\n".join(f"{50 + i % 40},{i % 7},{i % 2}" for i in range(60)) + "\n")
    else:
        data = write_seg_folder(tmp_path / "seg", n=8, spatial_dims=2, size=32, classes=2, seed=0)
    result = run_cli(["federated", "simulate", "--data", str(data), "--sites", "2", "--rounds", "1"], capsys)
    assert result.code == 2 and "trains image classifiers" in result.err and "Traceback" not in result.err
    runs = meddx_home / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # nothing was started
