"""A federated simulation is recorded in the registry's runs table like a training run: ``running``
while its rounds go on (it was listed ``failed``, read from a folder with no outcome yet), then
``finished`` with its bundle, or ``failed`` with the error's class."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_federated_simulate import write_npz


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_npz(tmp_path_factory.mktemp("fedrun") / "tiny.npz", 80, seed=6, n_val=16, n_test=24)


def _config(data: Path, name: str):
    from meddx.federated import FederatedConfig

    return FederatedConfig(data=str(data), sites=2, rounds=1, min_site_samples=20, batch_size=16, name=name,
                           num_threads=1, ci_resamples=0, verify=False)


def test_a_finished_simulation_is_listed_with_its_bundle(tiny_npz: Path, meddx_home: Path) -> None:
    from meddx.federated import simulate
    from meddx.registry.runs import get_run

    result = simulate(_config(tiny_npz, "fedrun"), echo=None)
    run = get_run(str(result.run_dir))
    assert (run.status, run.bundle, run.kind, run.data) == ("finished", "fedrun:1", "federated", str(tiny_npz))
    assert run.error is None


def test_a_simulation_is_running_during_its_rounds_and_failed_after_an_error(tiny_npz: Path, meddx_home: Path,
                                                                            monkeypatch) -> None:
    from meddx.federated import simulate, simulation
    from meddx.registry.runs import list_runs

    seen: list[str] = []

    def broken_rounds(*args, **kwargs) -> None:
        seen.extend(r.status for r in list_runs() if r.name == "fedfail")
        raise RuntimeError("a site dropped out")

    monkeypatch.setattr(simulation, "_run", broken_rounds)
    with pytest.raises(RuntimeError):
        simulate(_config(tiny_npz, "fedfail"), echo=None)
    assert seen == ["running"]
    (run,) = [r for r in list_runs() if r.name == "fedfail"]
    assert (run.status, run.error, run.bundle) == ("failed", "RuntimeError", None)
