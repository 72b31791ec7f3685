"""``meddx federated server --eval-data held_out.npz`` with a MedMNIST-style file of ``val_*`` and
``test_*`` arrays only (found by a docs audit: refused with "missing MedMNIST keys ... expected
train_images", although the coordinator's data are held out by design). The federation now takes its
input size, channels and pixel kind from the split the file has, a federated round is evaluated on
it, and ``meddx train`` still refuses the file in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz


@pytest.fixture()
def held_out(tmp_path: Path) -> Path:
    """Synthetic lesions at 20 px: 24 val and 40 test images, no training arrays."""
    return write_npz(tmp_path / "held_out.npz", 0, seed=7, n_val=24, n_test=40)


def _in_process_start_server(sites: list) -> object:
    """Flower's ``start_server`` without gRPC: the sites join as in-process clients (as ``simulate``'s)."""
    def start_server(*, server_address: str, server: object, certificates: object, config: object) -> None:
        from flwr.server.server import run_fl

        from meddx.federated.client import SiteClient
        from meddx.federated.simulation import InProcessProxy

        for name, source in sites:
            server.client_manager().register(InProcessProxy(name, SiteClient(source, name).to_client()))  # type: ignore[attr-defined]
        server.set_max_workers(1)  # type: ignore[attr-defined]
        run_fl(server, config)

    return start_server


def test_the_server_takes_its_geometry_from_held_out_splits_and_evaluates_a_round(
        held_out: Path, tmp_path: Path, meddx_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flwr.server

    from meddx.data.sources import load_source
    from meddx.federated.config import FederatedConfig
    from meddx.federated.server import load_eval_source, run_server
    from meddx.federated.spec import spec_from_source

    cfg = FederatedConfig(eval_data=str(held_out), sites=2, rounds=1, ci_resamples=20, verify=True, name="heldout",
                          num_threads=1, batch_size=16)
    source = load_eval_source(cfg)
    assert list(source.splits) == ["val", "test"]
    spec = spec_from_source(cfg, source)
    assert (spec.image_size, spec.channels, spec.dtype_max, spec.label_names) == ([20, 20], 1, 255.0,
                                                                                  ["class_0", "class_1"])
    sites = [(f"site-{i}", load_source(write_npz(tmp_path / f"site{i}.npz", 40, seed=i))) for i in (1, 2)]
    monkeypatch.setattr(flwr.server, "start_server", _in_process_start_server(sites))
    result = run_server(cfg, "127.0.0.1:0", echo=None)

    rounds = json.loads((result.run_dir / "federated.json").read_text())["rounds"]
    assert [r["round"] for r in rounds] == [0, 1]
    assert all(np.isfinite(r["global_loss"]) and 0.0 <= r["global_auc"] <= 1.0 for r in rounds)
    assert result.metrics["test"]["n"] == 40 and result.metrics["dataset"]["splits"]["val"]["n"] == 24
    assert result.metrics["test"]["auc"] == pytest.approx(rounds[-1]["global_auc"], abs=1e-6)  # the same model


def test_train_still_refuses_a_file_without_training_arrays_in_one_line(held_out: Path, capsys) -> None:
    result = run_cli(["train", "--data", str(held_out), "--epochs", "1"], capsys)
    assert result.code != 0 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and str(held_out) in lines[0] and "train_images, train_labels missing" in lines[0]


def test_held_out_data_without_val_give_per_round_auc_and_a_bundle_that_says_why_it_is_not_calibrated(
        tmp_path: Path, meddx_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flwr.server

    from meddx.data.sources import load_source
    from meddx.federated.config import FederatedConfig
    from meddx.federated.server import run_server

    test_only = write_npz(tmp_path / "test_only.npz", 0, seed=8, n_test=30)
    cfg = FederatedConfig(eval_data=str(test_only), sites=2, rounds=1, ci_resamples=0, verify=False, name="testonly",
                          num_threads=1, batch_size=16)
    sites = [(f"site-{i}", load_source(write_npz(tmp_path / f"site{i}.npz", 30, seed=i))) for i in (1, 2)]
    monkeypatch.setattr(flwr.server, "start_server", _in_process_start_server(sites))
    result = run_server(cfg, "127.0.0.1:0", echo=None)
    assert all(r["global_auc"] is not None for r in result.rounds)  # scored on its test split every round
    assert "hold no val split" in result.metrics["note"] and "held no data" not in result.metrics["note"]
