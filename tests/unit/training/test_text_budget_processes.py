"""The under-one-epoch note of a text ``--time-budget`` with several processes (``--devices 2``).

Lightning gives each process a ``DistributedSampler`` shard of the epoch and applies
``limit_train_batches`` to each process's loader. The note compared one process's batches with the
batches of the whole epoch: with 2 processes, 256 documents and batches of 32, a budget fitting 5
batches per process was called "5 of 8 batches", although each process's epoch is 4 batches (the
whole epoch fits, so no limit is needed), and a budget fitting 2 batches per process trains 128
documents, not the 64 it said."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from meddx.training.config import TrainConfig
from meddx.training.plan import epochs_in_budget
from meddx.training.text_fit import _fit_budget
from tests.unit.training.test_text_budget_under_one_epoch import _Clock, _data, _plan
from tests.unit.training.test_text_plan import _source

SPS = 1 / 32  # seconds per document: the probe's clock says one batch of 32 takes 1 s


def _planned(minutes: float, processes: int, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The plan ``_fit_budget`` makes for 256 documents in batches of 32 with ``processes`` processes."""
    import meddx.training.text_fit as text_fit

    monkeypatch.setattr(text_fit, "time", SimpleNamespace(perf_counter=_Clock(1.0).perf_counter))
    config = TrainConfig(data="x.csv", model="lstm", time_budget=minutes, devices=processes)
    plan = _fit_budget(config, _source([0, 1] * 10), _plan(config), _data(256), None)
    assert plan.seconds_per_sample == pytest.approx(SPS) and plan.batch_size == 32
    return plan


def _minutes_for(batches: float) -> float:
    """A budget in which one process trains ``batches`` batches of 32 (epochs_in_budget's allowances)."""
    return batches * 32 * SPS * 1.15 / 0.9 / 60


def test_one_process_keeps_its_note(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _planned(_minutes_for(4.5), 1, monkeypatch)
    assert plan.train_batches == 4
    assert "4 of 8 training batches (128 of 256 documents), then validation" in plan.reasons["train_batches"]
    err = capsys.readouterr().err
    assert "training stops after 4 of 8 batches (plan.json train_batches); give --time-budget" in err


def test_two_processes_count_each_process_shard(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    minutes = _minutes_for(2.5)
    plan = _planned(minutes, 2, monkeypatch)
    assert plan.train_batches == 2  # Lightning applies it to each process: 2 of each process's 4 batches
    reason = plan.reasons["train_batches"]
    assert "2 of 4 training batches per process (2 processes, 128 documents each) (128 of 256 documents)" in reason
    fraction = epochs_in_budget(128, minutes, SPS)
    assert f"is {fraction:.1%} of one epoch" in reason and fraction == pytest.approx(2.5 / 4)
    err = capsys.readouterr().err
    assert "training stops after 2 of 4 batches in each of 2 processes (128 of 256 documents" in err
    one_epoch = minutes / fraction  # the two processes side by side: half the single-process epoch
    assert f"about {one_epoch * 60:.2g} s measured" in err  # 5.1 s; two significant digits of budget: 0.086
    assert f"give --time-budget {math.ceil(one_epoch * 1000) / 1000:g} or more" in err and one_epoch < 0.1


def test_a_budget_that_fits_each_process_shard_trains_every_batch(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """5 batches fit per process; each process's epoch is 4 batches: no limit, no note."""
    plan = _planned(_minutes_for(5.5), 2, monkeypatch)
    assert plan.train_batches is None and "train_batches" not in plan.reasons
    assert capsys.readouterr().err == ""
