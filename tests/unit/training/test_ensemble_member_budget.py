"""Each network of a ``--ensemble K --time-budget M`` run plans and re-plans its own epochs.

Found by an audit: the K networks shared one plan object and each network's ``BudgetReplan``
changed its ``epochs``, so network 2 started from network 1's re-planned epochs instead of its own
planned share, the bundle recorded only the last network's epochs, and a resumed network 2 followed
the run's ``plan.json`` (written by network 1's re-plans). Now network m+1 follows its own
``members/<m>/plan.json`` (the starting plan, then its own re-plans), and the bundle records every
network's epochs (``training.networks``).
"""

from __future__ import annotations

import itertools
import json
import os
import types
from pathlib import Path
from typing import Any

import pytest
import torch

import meddx.training.budget as budget
import meddx.training.text_fit as text_fit
from meddx.training.config import TrainConfig
from meddx.training.run import RUN_DIR_ENV

# every reading of the re-planner's clock advances 10 s in network 1 and 5 s in the others (set by
# train_and_restore while a network trains): their epochs take different times, so they re-plan differently
STEP_S = {"run": 10.0, "member": 5.0}


class _ProbeClock:
    """``time`` for text_fit's speed probe: each training step measured takes ``step`` seconds."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


def _budget_clock() -> types.SimpleNamespace:
    now = itertools.accumulate(itertools.repeat(None), lambda t, _: t + STEP_S[
        "member" if "members" in os.environ.get(RUN_DIR_ENV, "") else "run"], initial=0.0)
    next(now)
    return types.SimpleNamespace(perf_counter=lambda: next(now))


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic_text import write_text_csv

    return write_text_csv(tmp_path_factory.mktemp("ens_budget") / "notes.csv", n=100, seed=5)


def _replans(folder: Path) -> list[dict[str, Any]]:
    saved = torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    return next(v for k, v in saved["callbacks"].items() if "BudgetReplan" in k)["history"]


def _started_with(folder: Path) -> int:
    """The epochs the network's task (its warm-up and schedule) was built for when it started."""
    saved = torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    return int(saved["hyper_parameters"]["max_epochs"])


def _config(notes_csv: Path) -> TrainConfig:
    return TrainConfig(data=str(notes_csv), model="lstm", model_args={"embedding_dim": 16, "hidden_size": 16},
                       time_budget=2.0, ensemble=2, batch_size=8, seed=0, precision="32-true",
                       ci_resamples=0, baseline=False, embedding_init="random")


@pytest.fixture()
def clocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Probe: 8 documents per step at 4 s a step = 0.5 s per document; 1 min per network (54 s for
    training) fits 1 epoch of the ~64 training documents. The re-planner then measures 10 s epochs
    in network 1 (1 -> 4 epochs after epoch 1) and 5 s epochs in network 2 (1 -> 9 after epoch 1,
    then 9 -> 5 after epoch 3, from the mean of the epochs since the second)."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(text_fit, "time", types.SimpleNamespace(perf_counter=_ProbeClock(4.0).perf_counter))
    monkeypatch.setattr(budget, "time", _budget_clock())
    # Lightning's max_time (1.25x each network's minute) reads the real clock: frozen here, so a
    # loaded machine cannot cut a network short and change the re-plans these tests count
    import lightning.pytorch.callbacks.timer as timer

    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: 0.0))


def _check_networks(run: Path, bundle: Path, resumed: bool = False) -> None:
    """Each network started from the planned share, re-planned on its own, and is recorded (a
    resumed network's checkpoint holds the task rebuilt at the resume, for its re-planned epochs)."""
    other = run / "members" / "1"
    first, second = _replans(run), _replans(other)
    planned = first[0]["from"]  # the share both networks were planned for
    assert first[-1]["to"] != second[-1]["to"], (first, second)  # the two re-planned differently
    # network 2 starts from the planned share, not from network 1's re-planned epochs ...
    assert resumed or _started_with(other) == planned
    assert second[0]["from"] == planned, second  # ... and re-plans from it on its own
    for folder, history in ((run, first), (other, second)):
        assert json.loads((folder / "plan.json").read_text())["epochs"] == history[-1]["to"]
        assert json.loads((folder / "trainer.json").read_text())["epochs_planned"] == history[-1]["to"]

    cfg = json.loads((bundle / "config.json").read_text())
    networks = cfg["training"]["networks"]
    assert [n["network"] for n in networks] == [1, 2]
    assert [n["epochs"] for n in networks] == [first[-1]["to"], second[-1]["to"]]
    for n, folder in zip(networks, (run, other)):
        assert n["epochs_run"] == json.loads((folder / "trainer.json").read_text())["epochs_run"]
    assert cfg["training"]["epochs"] == first[-1]["to"]  # the top-level field stays network 1's
    card = (bundle / "model_card.md").read_text()
    assert f"- network 1 of 2: epochs run: {networks[0]['epochs_run']} of {first[-1]['to']} planned" in card
    assert f"- network 2 of 2: epochs run: {networks[1]['epochs_run']} of {second[-1]['to']} planned" in card


def test_each_network_starts_from_its_planned_share_and_records_its_epochs(notes_csv: Path, clocks: None) -> None:
    from meddx.training.fit import fit

    result = fit(_config(notes_csv), progress=False)
    _check_networks(result.run_dir, Path(result.bundle_path))


def test_a_resumed_second_network_follows_its_own_schedule(notes_csv: Path, clocks: None) -> None:
    """Interrupted after network 2's second epoch (its 1 -> 9 re-plan made, the late check still due),
    then resumed: network 2 goes on from its own plan.json and makes its late re-plan (9 -> 5), as
    the run left alone does; before, it followed the run's plan.json (network 1's 4 epochs)."""
    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted, fit

    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if "members" in str(self.path) and trainer.current_epoch == 1:
            raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt)
        with pytest.raises(TrainingInterrupted) as caught:
            fit(_config(notes_csv), progress=False)
    run = Path(str(caught.value).rsplit("--resume ", 1)[1])
    assert not (run / "members" / "1" / "trainer.json").exists()  # network 2 was cut off mid-way
    assert len(_replans(run / "members" / "1")) == 1
    assert _started_with(run / "members" / "1") == _replans(run)[0]["from"]  # network 2 started from the share
    result = fit(None, resume=run, progress=False)
    _check_networks(run, Path(result.bundle_path), resumed=True)
    assert len(_replans(run / "members" / "1")) == 2  # the late re-plan was made after the resume


def _finished_ensemble(tmp_path: Path, member_epochs: int) -> Path:
    run = tmp_path / "run"
    (run / "members" / "1").mkdir(parents=True)
    for folder in (run, run / "members" / "1"):
        (folder / "trainer.json").write_text(json.dumps({"epochs_run": 4, "epochs_planned": 4}))
        (folder / "plan.json").write_text(json.dumps({"epochs": 4}))
    (run / "metrics.json").write_text("{}")
    (run / "members" / "1" / "plan.json").write_text(json.dumps({"epochs": member_epochs}))
    return run


def test_a_finished_ensemble_resumes_when_a_later_networks_plan_was_raised(tmp_path: Path) -> None:
    """Each network follows its own plan.json: raising network 2's (members/1) trains it longer."""
    from meddx.core.errors import ConfigError
    from meddx.training.run import _check_unfinished

    _check_unfinished(_finished_ensemble(tmp_path / "a", member_epochs=6))  # not refused: resumes
    with pytest.raises(ConfigError, match=r"this run finished: .*members/<m>/plan\.json"):
        _check_unfinished(_finished_ensemble(tmp_path / "b", member_epochs=4))
