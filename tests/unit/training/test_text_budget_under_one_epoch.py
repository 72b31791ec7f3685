"""A ``--time-budget`` shorter than one epoch of documents. Found by an audit: the plan said
``epochs: 1`` (the planner's minimum) and nothing else, so a 0.3 min budget on the medical abstracts
(one epoch measured at 25 min) was cut by Lightning's time limit after 2 of 82 batches, unannounced,
with the learning-rate schedule set for 82 steps. Now the plan limits the batches that fit
(``train_batches``, Lightning's ``limit_train_batches``: the schedule ends there, validation runs),
records why, and a note on stderr says so before training."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from meddx.training.config import TrainConfig
from meddx.training.text_fit import TokenDataset, _build_task, _fit_budget, token_loader
from meddx.training.text_plan import initial_text_plan, with_tokenizer
from tests.unit.training.test_text_plan import _source


class _Clock:
    """``time.perf_counter`` for the speed probe: each reading ``step`` seconds after the last."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


def _plan(config: TrainConfig):  # type: ignore[no-untyped-def]
    return with_tokenizer(initial_text_plan(config, _source([0, 1] * 10)), vocab_size=50, pad_id=0, max_length=8,
                          why="test")


def _data(n: int) -> TokenDataset:
    rng = np.random.default_rng(0)
    return TokenDataset(rng.integers(1, 50, (n, 8)), np.ones((n, 8), dtype=np.int64), np.array([0, 1] * (n // 2)))


@pytest.mark.parametrize(("minutes", "ensemble"), [(0.1, 1), (0.3, 3)])
def test_a_budget_under_one_epoch_limits_the_batches_and_says_so(minutes: float, ensemble: int, monkeypatch,
                                                                 capsys) -> None:
    import meddx.training.text_fit as text_fit

    # one probe step of 32 documents = 1 s: 31.25 ms per document
    monkeypatch.setattr(text_fit, "time", SimpleNamespace(perf_counter=_Clock(1.0).perf_counter))
    config = TrainConfig(data="x.csv", model="lstm", time_budget=minutes, ensemble=ensemble)
    plan = _fit_budget(config, _source([0, 1] * 10), _plan(config), _data(256), None)
    # 256 documents x 31.25 ms x 1.15 = 9.2 s per epoch; 6 s x 0.9 = 5.4 s fit: 58.7% of 8 batches
    fraction = (minutes / ensemble) * 60 * 0.9 / (256 * 1 / 32 * 1.15)
    assert plan.seconds_per_sample == pytest.approx(1 / 32)
    assert plan.epochs == 1 and plan.train_batches == int(fraction * 8) == 4
    assert f"{plan.train_batches} of 8 training batches (128 of 256 documents), then validation" \
        in plan.reasons["train_batches"]
    err = capsys.readouterr().err
    assert err.startswith(f"meddx: note: --time-budget {minutes:g} min") and "shorter than one epoch" in err
    assert f"training stops after 4 of 8 batches (plan.json train_batches); give --time-budget " \
           f"{math.ceil(9.2 / 0.9 / 60 * ensemble * 100) / 100:g} or more" in err  # 0.18, 0.52: two digits


def test_a_budget_of_one_epoch_or_more_trains_every_batch(monkeypatch, capsys) -> None:
    import meddx.training.text_fit as text_fit

    monkeypatch.setattr(text_fit, "time", SimpleNamespace(perf_counter=_Clock(1.0).perf_counter))
    config = TrainConfig(data="x.csv", model="lstm", time_budget=0.2)  # 10.8 s fit: 1.17 epochs
    plan = _fit_budget(config, _source([0, 1] * 10), _plan(config), _data(256), None)
    assert plan.epochs == 1 and plan.train_batches is None and "train_batches" not in plan.reasons
    assert capsys.readouterr().err == ""


def test_the_trainer_stops_after_the_planned_batches_then_validates(tmp_path: Path) -> None:
    """``train_batches`` reaches Lightning: 2 of 8 batches trained, validation run, weights kept."""
    from meddx.training.fit import train_and_restore

    config = TrainConfig(data="x.csv", model="lstm", epochs=1, precision="32-true")
    plan = _plan(config).model_copy(update={"train_batches": 2, "epochs": 1})
    torch.manual_seed(0)
    task = _build_task(config, _source([0, 1] * 10), plan, None)
    kept = train_and_restore(config, plan, task, token_loader(_data(256), 32, shuffle=True),
                             token_loader(_data(64), 64, shuffle=False), tmp_path, progress=False, resume=False)
    assert kept == "best"
    state = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert state["global_step"] == 2  # of the 8 batches of the epoch
    record = json.loads((tmp_path / "trainer.json").read_text())
    assert record["epochs_run"] == 1 and record["best_val_select"] is not None  # validation ran


def test_the_model_card_says_the_run_trained_part_of_an_epoch() -> None:
    from meddx.bundle.model_card import render_model_card

    def card(train_batches: int | None) -> str:
        plan = {"epochs": 1, "train_batches": train_batches}
        reasons = {"train_batches": "the 0.3 min budget is 0.4% of one epoch"}
        cfg = {"name": "notes", "task": "binary", "label_names": ["no", "yes"], "model": {"name": "lstm", "args": {}},
               "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 16},
               "decision": {"rule": "argmax"}, "calibration": {},
               "training": {"data": "x", "seed": 0, "plan": plan, "plan_reasons": reasons}}
        return render_model_card(cfg, {})

    assert "- train_batches: 1 (the 0.3 min budget is 0.4% of one epoch)" in card(1)
    assert "train_batches" not in card(None)  # every batch: nothing to say
