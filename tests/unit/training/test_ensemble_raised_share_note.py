"""A resumed ensemble network whose ``plan.json`` epochs were raised says which limit grew.

Found by a review of 98654c4: an ensemble given ``--epochs`` and ``--time-budget`` stops each network
at 1.25x its share (``budget / K``), and a raise at a resume grows that limit (share x raised /
planned), but the note appended to ``reasons.epochs`` read "1.25x the budget x 4/2": a 0.5 min
budget, 2 networks, raised from 2 to 4 epochs gave "to 0.625 min of training (1.25x the budget x
4/2 ...)", whose numbers do not match (1.25 x 0.5 x 2 = 1.25). It now names the share; so does the
note of a budget-only ensemble's network raised above the epochs its share planned (the same words,
from ``BudgetReplan``, of a limit that was always its share's).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import meddx.training.fit as fitmod
from meddx.training.config import TrainConfig


def _config(notes: Path, **kw: Any) -> TrainConfig:
    return TrainConfig(data=str(notes), model="lstm", model_args={"embedding_dim": 16, "hidden_size": 16},
                       batch_size=8, seed=0, precision="32-true", ci_resamples=0, baseline=False,
                       embedding_init="random", **kw)


def _interrupt_network_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Path:
    """A 2-network text run stopped after network 2's first epoch; returns network 2's plan.json,
    its epochs raised by 2 (as a user raises them to train longer)."""
    from meddx.data.synthetic_text import write_text_csv
    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    notes = write_text_csv(tmp_path / "notes.csv", n=100, seed=5)
    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if "members" in str(self.path) and trainer.current_epoch == 0:
            raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt)
        with pytest.raises(TrainingInterrupted) as caught:
            fitmod.fit(_config(notes, ensemble=2, **kw), progress=False)
    run = Path(str(caught.value).rsplit("--resume ", 1)[1])
    member = run / "members" / "1" / "plan.json"
    plan = json.loads(member.read_text())
    plan["epochs"] += 2
    member.write_text(json.dumps(plan))
    fitmod.fit(None, resume=run, progress=False)
    return member


def test_a_raised_ensemble_network_notes_its_share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    member = _interrupt_network_2(tmp_path, monkeypatch, epochs=2, time_budget=0.5)  # raised to 4
    reasons = json.loads(member.read_text())["reasons"]
    assert "(1.25x its 0.25 min share of the 0.5 min budget x 4/2" in reasons["epochs"], reasons  # before: the budget
    grown = float(re.search(r"grows with it, to ([0-9.]+) min of training", reasons["epochs"]).group(1))
    assert grown >= 0.625 - 1e-3, reasons  # 1.25 x 0.25 min x 4/2 (or more at the run's own pace)
    assert reasons["time_limit"].startswith("the 0.5 min --time-budget is shared by 2 networks"), reasons


def test_a_raised_budget_only_ensemble_network_notes_its_share(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    member = _interrupt_network_2(tmp_path, monkeypatch, time_budget=0.1)  # the budget plans the epochs
    reasons = json.loads(member.read_text())["reasons"]
    assert "raised to" in reasons["epochs"] and "the time limit is 1.25x its 0.05 min share of the 0.1 min budget x " \
        in reasons["epochs"], reasons  # before: "1.25x the budget x"


def test_a_single_network_raised_notes_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side: one network's limit is 1.25x the whole budget, and its note says so."""
    from meddx.training.members import limit_words

    assert limit_words(_config(Path("n.csv"), epochs=2, time_budget=0.5), 0.5) == "the budget"
    assert limit_words(_config(Path("n.csv"), epochs=2, time_budget=0.5, ensemble=2), 0.25) == \
        "its 0.25 min share of the 0.5 min budget"
