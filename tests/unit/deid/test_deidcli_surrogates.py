"""Surrogate mode walked as a data manager (deidcli): no fake is a real name of the note."""

from __future__ import annotations

import re

from meddx.deid.replace import deidentify
from meddx.deid.spans import DeidSettings
from meddx.deid.surrogate import Surrogates


def _key(pred) -> str:
    return next(f"k{i}" for i in range(5000) if pred(Surrogates(f"k{i}".encode(), "p1")))


def _name_words(text: str, spans, out: bool = False) -> set[str]:
    pieces = [text[s.out_start:s.out_end] if out else text[s.start:s.end] for s in spans if s.type == "NAME"]
    return {w.lower() for p in pieces for w in re.findall(r"[A-Za-z]{2,}", p)}


def test_a_name_never_stays_itself() -> None:
    """"Jordan" drew "Jordan" under 1 key in 60 (surnames: "Hurst" drew "Hurst"): the patient's real name went out unchanged."""
    key = _key(lambda s: s.name("Jordan") == "Jordan")
    settings = DeidSettings(mode="surrogate", key=key)
    note = "Pt Jordan Brooks seen today, reports less pain."
    out = deidentify(note, patient_id="p1", settings=settings)
    assert {"jordan", "brooks"} <= _name_words(note, out.spans), "both words must be found for this test"
    assert "Jordan" not in out.text and "Brooks" not in out.text, out.text
    again = deidentify(note, patient_id="p1", settings=settings)
    assert again.text == out.text, "deterministic"


def test_a_fake_is_never_another_real_name_of_the_note() -> None:
    """"Maria" drew "Lark" in a note about Lark Smith: the output named the real Lark, wrongly attached."""
    key = _key(lambda s: s.name("Maria") == "Lark")
    settings = DeidSettings(mode="surrogate", key=key)
    note = "Pt Lark Smith seen with her sister Maria Gonzalez. Maria drove her home."
    out = deidentify(note, patient_id="p1", settings=settings)
    real = _name_words(note, out.spans)
    assert {"lark", "maria"} <= real, "both names must be found for this test"
    assert not real & _name_words(out.text, out.spans, out=True), out.text
    alone = deidentify("Maria Gonzalez seen today.", patient_id="p1", settings=settings)
    assert alone.text.startswith("Lark "), "without the colliding name the word keeps its own draw"
