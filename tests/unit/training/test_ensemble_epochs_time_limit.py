"""An ensemble given both ``--epochs`` and ``--time-budget`` stops each network at its share of the budget.

Found by a review: with ``--epochs`` no budget plans the epochs, and every network's Lightning
``max_time`` was 1.25x the WHOLE budget, so K networks could train for K times it (2 networks and
2 min: 2.5 min each). A budget-only ensemble plans each network for ``budget / K``; now the time
limit is 1.25x that share too, ``plan.json`` says so (``reasons.time_limit``), and a resumed
network keeps the limit it started with.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import meddx.training.fit as fitmod
from meddx.training.config import TrainConfig
from meddx.training.run import read_json

BUDGET = 2.0  # minutes, shared by 2 networks


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic_text import write_text_csv

    return write_text_csv(tmp_path_factory.mktemp("ens_limit") / "notes.csv", n=100, seed=5)


@pytest.fixture()
def limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """(network folder, Lightning's max_time in seconds) of every Trainer built."""
    from lightning.pytorch.callbacks import Timer

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    seen: list[tuple[str, float]] = []
    build = fitmod.build_trainer

    def spy(config: Any, plan: Any, run_dir: Path, *args: Any, **kwargs: Any) -> Any:
        trainer, ckpt = build(config, plan, run_dir, *args, **kwargs)
        timer = next(cb for cb in trainer.callbacks if isinstance(cb, Timer))
        seen.append((Path(run_dir).name, float(timer._duration)))
        return trainer, ckpt

    monkeypatch.setattr(fitmod, "build_trainer", spy)
    return seen


def _config(notes_csv: Path, epochs: int = 1) -> TrainConfig:
    return TrainConfig(data=str(notes_csv), model="lstm", model_args={"embedding_dim": 16, "hidden_size": 16},
                       epochs=epochs, time_budget=BUDGET, ensemble=2, batch_size=8, seed=0, precision="32-true",
                       ci_resamples=0, baseline=False, embedding_init="random")


def test_each_network_of_an_epochs_and_budget_ensemble_stops_at_its_share(notes_csv: Path, limits: list) -> None:
    result = fitmod.fit(_config(notes_csv), progress=False)
    share_s = BUDGET * 60 / 2 * 1.25
    assert [s for _, s in limits] == pytest.approx([share_s, share_s]), limits  # before: 150 s each
    for folder in (result.run_dir, result.run_dir / "members" / "1"):
        reasons = read_json(folder / "plan.json")["reasons"]
        assert reasons["time_limit"].startswith("the 2 min --time-budget is shared by 2 networks"), reasons
        assert reasons["epochs"] == "set in config"  # left whole: a resume matches it


def test_a_resumed_network_keeps_its_share(notes_csv: Path, limits: list) -> None:
    """Network 2 interrupted after its first of 2 epochs, then resumed: still its share (and the
    time limit of a raised plan.json grows from the share, not from the whole budget)."""
    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted

    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if "members" in str(self.path) and trainer.current_epoch == 0:
            raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt)
        with pytest.raises(TrainingInterrupted) as caught:
            fitmod.fit(_config(notes_csv, epochs=2), progress=False)
    run = Path(str(caught.value).rsplit("--resume ", 1)[1])
    limits.clear()
    fitmod.fit(None, resume=run, progress=False)
    share_s = BUDGET * 60 / 2 * 1.25
    assert [s for _, s in limits] == pytest.approx([share_s, share_s]), limits


def _plan(reasons: dict[str, str]) -> tuple[Any, list[Path]]:
    """A 3-network plan whose ``write`` records where it was written."""
    written: list[Path] = []
    return SimpleNamespace(ensemble=3, reasons=dict(reasons), write=written.append), written


def test_the_share_and_a_run_started_before_the_record(tmp_path: Path) -> None:
    from meddx.training.members import network_time_limit, share_note

    config = SimpleNamespace(time_budget=3.0)
    plan, written = _plan({"epochs": "set in config"})
    assert network_time_limit(config, plan, tmp_path / "plan.json", resuming=False) == pytest.approx(1.0)
    assert plan.reasons["time_limit"] == share_note(3.0, 3) and written == [tmp_path / "plan.json"]
    assert network_time_limit(config, plan, tmp_path / "plan.json", resuming=True) == pytest.approx(1.0)
    # a network that trained before the record (no note) keeps the whole budget it started with
    old, _ = _plan({"epochs": "set in config"})
    assert network_time_limit(config, old, tmp_path / "plan.json", resuming=True) == pytest.approx(3.0)
    # one network (any task): the whole budget, nothing recorded
    single = SimpleNamespace(reasons={})
    assert network_time_limit(config, single, tmp_path / "plan.json", resuming=False) == pytest.approx(3.0)
    assert single.reasons == {}
