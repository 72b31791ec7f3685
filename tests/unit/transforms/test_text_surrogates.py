"""Bytes that are not UTF-8 reach Python as lone surrogates (a terminal argument in another
encoding, a JSON ``\\udcff`` escape). Found by an audit: ``tokenizers`` then failed with a bare
TypeError traceback; now every tokenizer entry point refuses them in one line, without quoting the
document."""

from __future__ import annotations

import pytest

from meddx.core.errors import DataError
from meddx.transforms.text import TextTokenizer

TRAIN = ["patient reports fever and cough", "no fever mild cough reported"] * 3
BAD = "Mr Quetzalvander \udcff had a seizure"


@pytest.mark.parametrize("kind", ["word", "wordpiece", "bpe"])
def test_lone_surrogates_are_refused_by_every_entry_point(kind: str) -> None:
    tok = TextTokenizer.fit(TRAIN, kind=kind, min_frequency=1, vocab_size=300)
    calls = [lambda: tok.encode_batch(["fine text", BAD]), lambda: tok.lengths(["fine text", BAD]),
             lambda: tok.tokens(BAD), lambda: tok.token_positions(BAD),
             lambda: TextTokenizer.fit([*TRAIN, BAD], kind=kind, min_frequency=1, vocab_size=300)]
    for call in calls:
        with pytest.raises(DataError, match="lone surrogate") as info:
            call()
        message = str(info.value)
        assert "\n" not in message and "Quetzalvander" not in message and "seizure" not in message
    with pytest.raises(DataError, match="text 2 of 2: character 18 is U\\+DCFF"):
        tok.encode_batch(["fine text", BAD])


def test_text_problem_names_the_position_only() -> None:
    from meddx.transforms.text import text_problem

    assert text_problem("plain ascii and café 東京") is None
    problem = text_problem(BAD)
    assert problem is not None and "character 18" in problem and "Quetzalvander" not in problem
