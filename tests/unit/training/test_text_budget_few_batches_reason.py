"""``reasons.epochs`` of a documents run given a ``--time-budget`` says what the budget does.

Found by a review: with fewer than 3 training batches the speed probe times nothing (its first
steps are left out) and ``_fit_budget`` returned the plan unchanged, so ``plan.json``, the bundle and
the model card said "default (no time budget given)" of a run given one, which the budget then
re-planned after its first epoch.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.training.config import TrainConfig
from meddx.training.text_fit import TokenDataset, _fit_budget
from meddx.training.text_plan import initial_text_plan, with_tokenizer
from tests.unit.training.test_text_plan import _source


def _plan(config: TrainConfig):  # type: ignore[no-untyped-def]
    return with_tokenizer(initial_text_plan(config, _source([0, 1] * 10)), vocab_size=50, pad_id=0, max_length=8,
                          why="test")


@pytest.mark.parametrize("documents", [40, 64])  # 2 batches of 32 (the last one short), and 2 whole ones
def test_a_budget_over_too_few_batches_to_time_is_named_in_the_epochs_reason(documents: int) -> None:
    rng = np.random.default_rng(0)
    data = TokenDataset(rng.integers(1, 50, (documents, 8)), np.ones((documents, 8), dtype=np.int64),
                        np.array([0, 1] * (documents // 2)))
    config = TrainConfig(data="x.csv", model="lstm", time_budget=0.5)
    plan = _fit_budget(config, _source([0, 1] * 10), _plan(config), data, None)
    why = plan.reasons["epochs"]
    assert "no time budget given" not in why, why
    assert "too few training batches (2)" in why and "0.5 min --time-budget re-plans them" in why, why
    assert plan.epochs == 20  # the default stands until the first epoch is measured


def test_the_initial_text_plan_names_a_given_budget() -> None:
    with_budget = initial_text_plan(TrainConfig(data="x.csv", time_budget=2.0), _source([0, 1] * 10))
    assert "2 min --time-budget plans them" in with_budget.reasons["epochs"]
    without = initial_text_plan(TrainConfig(data="x.csv"), _source([0, 1] * 10))
    assert without.reasons["epochs"] == "default (no time budget given)"  # a guard: true without one
