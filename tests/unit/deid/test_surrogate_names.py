"""Surrogate names: the given names and the surname of one person never become the same fake word
("Jane Doe" -> "Penrose Penrose" tells a reader the note was altered), while each word stays
consistent and deterministic."""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.replace import deidentify
from meddx.deid.spans import DeidSettings
from meddx.deid.surrogate import Surrogates

KEY = b"unit-test-key"
FIRSTS = sorted(lexicon.first_names())[::9] + ["Jane", "Xavi", "Oluwaseun", "Siobhan"]
LASTS = sorted(lexicon.surnames())[::9] + ["Doe", "Quonset", "Okonkwo", "Nakamura"]
SCOPES = ("p1", "p2", "doc-7")


def _pairs() -> list[tuple[str, str, str, bool]]:
    """``(scope, first, last, collide)`` for every pair of the grid whose own draws collide, and every
    40th other pair: the lists grew fourfold in de-id round 20, and checking all 77,000 pairs per
    scope made this test 15 times slower; collisions (the case under test) are all kept. A fresh
    ``Surrogates`` draws a word as a function of key, scope and word, so each word is drawn once."""
    out = []
    for scope in SCOPES:
        own = {w: Surrogates(KEY, scope).name(w) for w in {*FIRSTS, *LASTS}}
        for i, first in enumerate(FIRSTS):
            for j, last in enumerate(LASTS):
                collide = own[first] == own[last]
                if first.lower() != last.lower() and (collide or (i + j) % 40 == 0):
                    out.append((scope, first, last, collide))
    return out


def _middle(first: str) -> str:
    """A middle name other than ``first``."""
    return "Ann" if first != "Ann" else "Mae"


def test_given_names_and_surname_of_one_person_differ_over_many_names() -> None:
    collided = 0
    for scope, first, last, collide in _pairs():
        fresh = Surrogates(KEY, scope)
        collided += fresh.name(first) == fresh.name(last)
        assert collide == (Surrogates(KEY, scope).name(first) == Surrogates(KEY, scope).name(last))
        given, surname = fresh.name(f"{first} {last}").split()
        assert given != surname, (scope, first, last)
        assert surname == Surrogates(KEY, scope).name(last), "the surname keeps its own draw"
        inv_surname, inv_given = Surrogates(KEY, scope).name(f"{last}, {first}").split(", ")
        assert inv_given != inv_surname and inv_surname == surname, (scope, first, last)
        upper = Surrogates(KEY, scope).name(f"{first.upper()} {_middle(first)} {last.upper()}").split()
        assert len({w.lower() for w in upper}) == 3 and upper[0].isupper(), (scope, first, last)
    assert collided > 20, "the names above must include pairs whose own draws collide"


def test_a_redrawn_given_name_is_deterministic_and_kept_for_the_rest_of_the_document() -> None:
    key = next(f"k{i}" for i in range(2000)  # a key under which "Ysolde" (an unlisted given name) and "Doe" draw the same fake
               if Surrogates(f"k{i}".encode(), "p1").name("Ysolde") == Surrogates(f"k{i}".encode(), "p1").name("Doe"))
    settings = DeidSettings(mode="surrogate", key=key)
    note = "Patient: Ysolde Doe, seen today. Ysolde reports pain. Mr. Doe is her husband."
    out = deidentify(note, patient_id="p1", settings=settings)
    assert out.text == deidentify(note, patient_id="p1", settings=settings).text
    fakes = [out.text[s.out_start:s.out_end] for s in out.spans if s.type == "NAME"]
    assert [n for n in ("Ysolde", "Doe") if n in out.text] == []
    given, surname = fakes[0].split()
    assert given != surname
    assert fakes[1:] == [given, surname], fakes
    assert re.search(rf"Mr\. {surname} is", out.text)
    repeated = Surrogates(key.encode(), "p1").name("Ysolde Ysolde Doe").split()
    assert repeated[0] == repeated[1] != repeated[2], "a word repeated in a name keeps one fake"
