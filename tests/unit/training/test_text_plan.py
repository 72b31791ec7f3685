"""Sequence length from training lengths, plan fields from config, overrides."""

from __future__ import annotations

import numpy as np

from meddx.data.base import SplitData, TextSource
from meddx.training.config import TrainConfig
from meddx.training.text_plan import FINE_TUNE_LR, choose_max_length, initial_text_plan, with_tokenizer


def _source(labels: list[int]) -> TextSource:
    split = SplitData(ids=[str(i) for i in range(len(labels))], labels=np.array(labels), texts=["a b"] * len(labels))
    return TextSource(name="s", origin="s.csv", task="binary", label_names=["no", "yes"], spatial_dims=0,
                      splits={"train": split})


def test_max_length_is_the_rounded_95th_percentile_capped() -> None:
    value, why = choose_max_length(np.arange(1, 101), None)
    assert value == 96 and "95th percentile" in why  # p95 = 95.05 -> 96
    assert choose_max_length(np.full(10, 3000), None)[0] == 512
    assert choose_max_length(np.full(10, 2), None)[0] == 16
    assert choose_max_length(np.full(10, 300), 64) == (64, "set in config")


def test_plan_defaults_and_class_weights() -> None:
    plan = initial_text_plan(TrainConfig(data="x.csv"), _source([0] * 30 + [1] * 5))
    assert plan.model == "bilstm-attention" and plan.tokenizer == "word" and plan.lr == 2e-3
    assert plan.class_weights is not None and plan.class_weights[1] > plan.class_weights[0]
    plan = with_tokenizer(plan, vocab_size=500, pad_id=0, max_length=64, why="test")
    assert plan.model_args == {"vocab_size": 500, "pad_id": 0} and plan.max_length == 64


def test_pretrained_uses_a_fine_tuning_rate_unless_lr_is_set() -> None:
    source = _source([0, 1] * 10)
    plan = initial_text_plan(TrainConfig(data="x.csv", pretrained="/m"), source)
    assert plan.model == "hf-sequence-classifier" and plan.tokenizer == "pretrained" and plan.lr == FINE_TUNE_LR
    assert initial_text_plan(TrainConfig(data="x.csv", pretrained="/m", lr=1e-3), source).lr == 1e-3


def test_transformer_gets_its_position_table_size() -> None:
    plan = initial_text_plan(TrainConfig(data="x.csv", model="transformer"), _source([0, 1] * 5))
    assert with_tokenizer(plan, 100, 0, 128, "x").model_args["max_length"] == 128


def test_text_patience_follows_the_budget_unless_chosen_and_is_off_with_the_final_epoch() -> None:
    from meddx.training.plan import plan_epochs

    source = _source([0, 1] * 10)

    def fitted(**config: object) -> tuple[int, int]:
        plan = initial_text_plan(TrainConfig(data="x.csv", epochs=21, **config), source)
        # 600 s * 0.9 / (1000 * 0.01 * 1.15 s per epoch) -> 46 epochs
        return plan.early_stopping_patience, plan_epochs(plan, 1000, 10, 0.01).early_stopping_patience

    assert fitted() == (7, 15)  # epochs // 3, before and after the budget
    assert fitted(early_stopping_patience=3) == (3, 3)  # a chosen patience is kept (was reset to 15)
    assert fitted(checkpoint="final") == (21, 46)  # off: as many as there are epochs


def test_ensemble_is_one_network_unless_set_and_each_network_gets_its_share_of_the_budget(monkeypatch) -> None:
    import meddx.training.plan as planlib
    from meddx.training.text_fit import TokenDataset, _fit_budget

    source = _source([0, 1] * 10)
    single = initial_text_plan(TrainConfig(data="x.csv"), source)
    assert single.ensemble == 1 and single.reasons["ensemble"] == "default: one network"
    config = TrainConfig(data="x.csv", ensemble=3, time_budget=9, model="lstm")
    three = with_tokenizer(initial_text_plan(config, source), vocab_size=50, pad_id=0, max_length=8, why="test")
    assert three.ensemble == 3 and "mean of the networks' probabilities" in three.reasons["ensemble"]

    budgets = []
    real = planlib.plan_epochs

    def recording(plan, n_train, budget_minutes, seconds_per_sample, **kwargs):  # type: ignore[no-untyped-def]
        budgets.append(budget_minutes)
        return real(plan, n_train, budget_minutes, seconds_per_sample, **kwargs)

    monkeypatch.setattr(planlib, "plan_epochs", recording)
    rng = np.random.default_rng(0)
    data = TokenDataset(rng.integers(1, 50, (256, 8)), np.ones((256, 8), dtype=np.int64), np.array([0, 1] * 128))
    planned = _fit_budget(config, source, three, data, None)
    assert budgets == [3.0]  # 9 minutes shared by 3 networks
    assert "each of 3 networks' share of 9 min" in planned.reasons["epochs"]
