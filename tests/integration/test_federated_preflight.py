"""Refusals that the arguments alone decide come before any data is read or split and before a run
folder is made (found by a docs audit: ``meddx federated simulate --dp client --model resnet18``
carved the sites and printed their notes, then refused the model). A data path that does not exist
shows the order: the argument's message must win over "no such file"."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz

MISSING = "/nonexistent/meddx-preflight/data.npz"


def _nothing_started(home: Path) -> bool:
    runs = home / "runs"
    return not runs.exists() or not any(runs.iterdir())


@pytest.mark.parametrize("argv,needle", [
    (["simulate", "--data", MISSING, "--dp", "client", "--dp-epsilon", "8", "--model", "resnet18"],
     "client DP: model 'resnet18' needs layer substitutions for Opacus"),
    (["server", "--eval-data", MISSING, "--dp", "client", "--dp-noise", "1.0", "--model", "densenet121"],
     "client DP: model 'densenet121' needs layer substitutions for Opacus"),
    (["simulate", "--data", MISSING, "--model", "resnt18"], "unknown image classifier 'resnt18'"),
    (["simulate", "--data", MISSING, "--model", "unet"], "--model unet: a segmentation model"),
    (["simulate", "--data", MISSING, "--partition", "by-column:hospital"],
     "by-column:hospital needs a CSV holding column 'hospital'"),
    (["client", "--server", "127.0.0.1:1", "--data", MISSING, "--root-certificates", "/nonexistent/ca.pem"],
     "CA certificate not found"),
    (["client", "--server", "127.0.0.1:1", "--data", MISSING, "--val-fraction", "1.5"],
     "--val-fraction: expected a number between 0 and 1"),
])
def test_an_argument_only_refusal_comes_before_the_data_are_read(argv: list[str], needle: str, meddx_home: Path,
                                                                  capsys) -> None:
    result = run_cli(["federated", *argv], capsys)
    assert result.code != 0 and "Traceback" not in result.err
    assert needle in result.err and "no such file" not in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert _nothing_started(meddx_home)


def test_client_dp_with_a_batchnorm_model_carves_no_site_and_starts_no_run(tmp_path: Path, meddx_home: Path,
                                                                           capsys) -> None:
    """With data that exist: no site carved (no sites line, no carving note) and no run folder."""
    data = write_npz(tmp_path / "lesions.npz", 60, seed=3, n_test=10)
    result = run_cli(["federated", "simulate", "--data", str(data), "--sites", "2", "--rounds", "1", "--dp", "client",
                      "--dp-epsilon", "8", "--model", "resnet18"], capsys)
    assert result.code != 0 and "needs layer substitutions" in result.err
    assert "sites (" not in result.out and result.out.strip() == ""
    assert _nothing_started(meddx_home)


def test_the_ray_backend_without_ray_is_refused_before_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from meddx.core.errors import ConfigError
    from meddx.federated import preflight
    from meddx.federated.config import FederatedConfig

    real = importlib.util.find_spec
    monkeypatch.setattr(preflight.importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ConfigError, match="--backend ray needs Ray"):
        preflight.check_run_arguments(FederatedConfig(data=MISSING, backend="ray"), simulation=True)
    preflight.check_run_arguments(FederatedConfig(data=MISSING), simulation=True)  # inprocess needs no Ray
