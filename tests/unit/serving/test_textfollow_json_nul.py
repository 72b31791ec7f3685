"""The server's JSON ``{"text": ...}`` passed NUL characters (U+0000) on to the tokenizer: the word
holding one became ``[UNK]``, so a note scored otherwise than in ``meddx predict``, which removes them.
Now ``json_payload`` removes them too and the answer's ``notes`` counts them; the explanation's spans
still index the note as the client sent it."""

from __future__ import annotations

import random

import pytest

from meddx.serving.problems import Problem
from meddx.serving.uploads import json_payload


def test_a_note_with_nul_is_read_without_them_and_noted() -> None:
    sent = "chest pain, infarc\0tion noted\0"
    payload = json_payload({"text": sent}, 1000)
    assert payload.text == "chest pain, infarction noted"  # what is predicted
    assert payload.nul_at == (18, 29)
    assert payload.notes == ('removed 2 NUL character(s) (U+0000) from 1 document(s) ("text"): bytes of a binary '
                             "export, which the tokenizers would have read as unknown words",)
    assert payload.nbytes == len(sent.encode())  # the size and hash of what was sent (the audit's)
    plain = json_payload({"text": "chest pain, infarction noted"}, 1000)
    assert (plain.notes, plain.nul_at) == ((), ())


@pytest.mark.parametrize(("text", "status", "start"), [
    ("chest pain".encode("utf-16-le").decode("latin-1"), 422, '"text": 10 of its 20 characters are NUL'),
    ("\0 \0", 422, '"text": 2 of its 3 characters are NUL'),
    (". \0 ,", 422, '"text" holds'),  # no word once the NUL is gone
])
def test_refusals(text: str, status: int, start: str) -> None:
    with pytest.raises(Problem) as err:
        json_payload({"text": text}, 1000)
    assert err.value.status == status and err.value.detail.startswith(start), err.value.detail


def test_spans_are_mapped_back_to_the_sent_text() -> None:
    from meddx.data.text_exports import offsets_in_sent

    rng = random.Random(0)
    for _ in range(300):
        sent = "".join(rng.choice("ab \0") for _ in range(rng.randint(1, 14)))
        kept = sent.replace("\0", "")
        nul_at = tuple(i for i, c in enumerate(sent) if c == "\0")
        spans = [{"start": s, "end": e, "score": 0.5} for s in range(len(kept)) for e in range(s + 1, len(kept) + 1)]
        for span, got in zip(spans, offsets_in_sent(spans, nul_at)):
            assert sent[got["start"]:got["end"]].replace("\0", "") == kept[span["start"]:span["end"]]
            assert "\0" not in (sent[got["start"]], sent[got["end"] - 1]) and got["score"] == 0.5
    assert offsets_in_sent([{"start": 0, "end": 2}], ()) == [{"start": 0, "end": 2}]
