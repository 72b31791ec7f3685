"""A hand-edited ``members/<m>/plan.json`` that its plan cannot hold is a one-line ``ConfigError``
naming the file and the field (found by review: ``"epochs": 6.5`` gave a pydantic traceback from
``training.members.member_plans``, where the docs tell users to raise a later network's epochs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.training.members import member_plans
from meddx.training.text_plan import TextPlan


def _plan() -> TextPlan:
    return TextPlan(model="lstm", model_args={}, tokenizer="word", vocab_size=100, min_frequency=1, max_length=32,
                    lr=1e-3, batch_size=8, epochs=4, class_weights=None, early_stopping_patience=3,
                    seconds_per_sample=None, embedding_init="random", dp_vocabulary=None, ensemble=2,
                    train_batches=None, reasons={})


def _member_plan(run: Path, data: object) -> Path:
    path = run / "members" / "1" / "plan.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit", [{"epochs": 6.5}, {"epochs": "many"}, {"batch_size": None}])
def test_a_member_plan_it_cannot_hold_is_one_line_naming_file_and_field(tmp_path: Path, edit: dict) -> None:
    path = _member_plan(tmp_path, {**_plan().model_dump(), **edit})
    with pytest.raises(ConfigError) as info:
        member_plans(tmp_path, _plan())
    message = str(info.value)
    assert str(path) in message and repr(next(iter(edit))) in message and "\n" not in message


def test_a_member_plan_that_is_no_object_is_refused(tmp_path: Path) -> None:
    _member_plan(tmp_path, [4])
    with pytest.raises(ConfigError, match="expected a JSON object"):
        member_plans(tmp_path, _plan())


def test_a_raised_member_plan_is_followed(tmp_path: Path) -> None:  # a guard
    _member_plan(tmp_path, {**_plan().model_dump(), "epochs": 9})
    plans = member_plans(tmp_path, _plan())
    assert [p.epochs for p in plans] == [4, 9] and plans[1].ensemble == 2
