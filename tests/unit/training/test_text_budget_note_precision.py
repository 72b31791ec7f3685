"""The note for a text ``--time-budget`` shorter than one epoch shows the epoch's time readably, and
suggests a budget that fits one epoch without being many times it.

Found by a review: a run whose epoch took a few seconds printed "about 0.0 min measured" (``.1f``
minutes) and suggested "--time-budget 1" (whole minutes, rounded up): 1 minute, dozens of epochs.
Now the time is in seconds under a minute and the suggestion is rounded up to two significant
digits (whole minutes from one minute); training with the suggestion plans every batch.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from meddx.training.config import TrainConfig
from meddx.training.text_fit import _fit_budget
from tests.unit.training.test_text_budget_under_one_epoch import _Clock, _data, _plan
from tests.unit.training.test_text_plan import _source


@pytest.mark.parametrize("ensemble", [1, 3])
def test_a_seconds_long_epoch_is_shown_in_seconds_and_the_suggestion_fits(ensemble: int, monkeypatch, capsys) -> None:
    import meddx.training.text_fit as text_fit

    def plan(minutes: float):  # type: ignore[no-untyped-def]
        # one probe step of 32 documents = 0.1 s: 256 documents x 3.125 ms x 1.15 = 0.92 s per epoch
        monkeypatch.setattr(text_fit, "time", SimpleNamespace(perf_counter=_Clock(0.1).perf_counter))
        config = TrainConfig(data="x.csv", model="lstm", time_budget=minutes, ensemble=ensemble)
        return _fit_budget(config, _source([0, 1] * 10), _plan(config), _data(256), None)

    assert plan(0.005 * ensemble).train_batches is not None  # shorter than one epoch: a note
    err = capsys.readouterr().err
    one_epoch_s = 256 / 32 * 0.1 * 1.15 / 0.9  # the budget of one epoch, in seconds: 1.02 s
    assert f"(about {one_epoch_s:.2g} s measured)" in err and "0.0 min" not in err, err
    suggested = float(re.search(r"give --time-budget ([0-9.]+) or more", err).group(1))  # type: ignore[union-attr]
    assert one_epoch_s / 60 * ensemble <= suggested < 1.1 * one_epoch_s / 60 * ensemble  # fits, and not 1 min
    assert plan(suggested).train_batches is None  # the suggestion trains the whole epoch
    assert capsys.readouterr().err == ""


def test_durations_and_suggestions() -> None:
    from meddx.training.budget_words import budget_for, duration_words

    assert [duration_words(m) for m in (0.0383, 0.1704, 0.999, 25.34)] == ["2.3 s", "10 s", "60 s", "25.3 min"]
    assert [budget_for(m) for m in (0.0383, 0.29, 0.51, 1.0, 25.3)] == [0.039, 0.29, 0.51, 1.0, 26.0]
