"""``--pretrained`` with ``--model``, ``--tokenizer``, ``--vocab-size`` or ``--embedding-init`` is refused.
Found by an audit: ``meddx train --pretrained DIR --model lstm --tokenizer bpe --embedding-init ppmi``
trained the Hugging Face model with its own tokenizer and embeddings, and said nothing about the
three flags it had dropped."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import SplitData, TextSource
from meddx.training.config import TrainConfig
from meddx.training.text_plan import initial_text_plan


def _source() -> TextSource:
    labels = [0, 1] * 10
    split = SplitData(ids=[str(i) for i in range(len(labels))], labels=np.array(labels), texts=["a b"] * len(labels))
    return TextSource(name="s", origin="s.csv", task="binary", label_names=["no", "yes"], spatial_dims=0,
                      splits={"train": split})


@pytest.mark.parametrize(("flags", "named"), [
    ({"model": "lstm"}, "--model lstm"),
    ({"tokenizer": "bpe"}, "--tokenizer bpe"),
    ({"embedding_init": "ppmi"}, "--embedding-init ppmi"),
    ({"vocab_size": 500}, "--vocab-size 500"),
    ({"model": "transformer", "tokenizer": "word"}, "--model transformer, --tokenizer word"),
])
def test_flags_that_pretrained_would_override_are_refused(flags: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=f"drop {named}") as info:
        initial_text_plan(TrainConfig(data="x.csv", pretrained="/m", **flags), _source())
    assert "\n" not in str(info.value)


def test_pretrained_alone_or_with_its_own_model_name_is_accepted() -> None:
    for config in (TrainConfig(data="x.csv", pretrained="/m"),
                   TrainConfig(data="x.csv", pretrained="/m", model="hf-sequence-classifier")):
        plan = initial_text_plan(config, _source())
        assert plan.model == "hf-sequence-classifier" and plan.tokenizer == "pretrained"
    assert initial_text_plan(TrainConfig(data="x.csv", model="lstm", tokenizer="bpe"), _source()).model == "lstm"
