"""A ``--plan`` file that contradicts an option given in the config or by a flag is refused.

Found by an audit: ``meddx train --plan plan.json --epochs 1 --batch-size 64 --augment none``
trained the plan file's 2 epochs at batch 16 with the strong preset, without a word: every copy
of a written plan.json holds every field, so each such flag was silently dropped.
"""

from __future__ import annotations

import pytest

from meddx.core.errors import ConfigError
from meddx.data.synthetic import make_lesion_source
from meddx.training.config import TrainConfig
from meddx.training.plan import make_plan


@pytest.mark.parametrize(
    ("option", "value", "in_plan"),
    [
        ("epochs", 1, 2),
        ("batch_size", 64, 16),
        ("augment", "none", "strong"),
        ("checkpoint", "best", "final"),
        ("early_stopping_patience", 3, 7),
        ("image_size", 32, [28, 28]),
        ("class_weights", False, [1.0, 3.0]),
    ],
)
def test_a_flag_and_a_plan_file_saying_different_things_is_refused(option: str, value: object,
                                                                   in_plan: object) -> None:
    source = make_lesion_source(50, 10, 10)
    config = TrainConfig(data="x", model="seed-cnn", **{option: value})
    with pytest.raises(ConfigError, match=f"{option}: the config or flags say"):
        make_plan(config, source, {option: in_plan})


def test_a_plan_file_agreeing_with_the_flags_or_silent_on_them_is_used() -> None:
    source = make_lesion_source(50, 10, 10)
    config = TrainConfig(data="x", model="seed-cnn", epochs=2, image_size=28, class_weights=True)
    written = make_plan(config, source).model_dump()  # a copy of the run's own plan.json
    plan = make_plan(config, source, {**written, "batch_size": 16})
    assert plan.epochs == 2 and plan.batch_size == 16 and plan.image_size == [28, 28]
    assert make_plan(TrainConfig(data="x", model="seed-cnn"), source, {"epochs": 3}).epochs == 3


@pytest.mark.parametrize(("weights", "message"), [([1.0, 2.0, 3.0], "one weight per class"),
                                                  ([1.0, -2.0], "greater than or equal to 0"),
                                                  ([1.0, float("nan")], "finite")])
def test_plan_file_class_weights_must_be_one_non_negative_number_per_class(weights: list, message: str) -> None:
    """Found by the same audit: three weights for two classes crashed the loss mid-training with a
    traceback, and a negative weight trained silently (the loss rewarded missing that class)."""
    with pytest.raises(ConfigError, match=message):
        make_plan(TrainConfig(data="x", model="seed-cnn"), make_lesion_source(50, 10, 10), {"class_weights": weights})
