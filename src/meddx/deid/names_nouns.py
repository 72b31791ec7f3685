"""Names after a word for who the person is in a service the other rules do not know (de-id round 18's fresh lines):
a sleep technician, a genetics proband, a rescue casualty, a ship's passenger, a club's player, an outreach or
link worker, a service rank ("tech Ji-woo Park", "proband Kalani Kealoha", "casualty Ruairidh McLeod", "passenger
Ngaio Rāwiri", "striker Kwadwo Mensah-Bonsu", "outreach worker Temperance Achebe", "former L/Cpl Tevita Naufahu");
initials after an ``initials`` label ("(initials R.K.)"); and two or three name words at a heading's start right
before a house number and a street ("Optician note scanned: Pradeep Nair, 22 MG Road, Kochi").

Two or three words must be name-shaped with the last a person's word (``names_objects._person_word``); one word
alone must be a listed name, so "casualty Department", "tech Support" and "player Piano" stay.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, name_like
from meddx.deid.patterns import Cand

_NOUN_RE = re.compile(
    rf"(?<![\w'’-])(?:(?i:tech|technician|technologist|proband|casualty|passenger|crew[ \t]+member|striker|defender"
    rf"|goalkeeper|midfielder|player|athlete|jockey|rider|cyclist|climber|swimmer|runner|(?:outreach|link|youth"
    rf"|project|peer|housing|family[ \t]+support)[ \t]+worker)|L/Cpl|LCpl|Cpl|Pte|Spr|Gnr|Tpr|Sig|Capt|CSgt|SSgt"
    rf"|WO[12]|Flt[ \t]+Lt|Sqn[ \t]+Ldr|Lt[ \t]+Col)\.?[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})"
    r"(?=['’]s\b|(?![\w'’-]))")
_INITIALS_RE = re.compile(r"(?i:\binitials)[ \t]*:?[ \t]+(?P<name>[A-Z]\.?[ \t]?(?:[A-Z]\.?[ \t]?){1,2})(?![\w'’-])")
_BEFORE_ADDRESS_RE = re.compile(
    rf"(?:^|(?<=:)|(?<=\n))[ \t]*(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}}),[ \t]*(?:Flat|Apt|Unit)?[ \t]*\d{{1,4}}"
    rf"[A-Za-z]?,?[ \t]+[A-Z][\w'’-]*[ \t]+[A-Z]?", re.M)


def _name_words(words: list[str]) -> bool:
    from meddx.deid.names_objects import _NOT_PEOPLE, _person_word

    if len(words) == 1:
        return lexicon.is_listed(words[0]) and words[0].lower() not in lexicon.common_words()
    last = words[-1].rstrip(".,")
    return (_person_word(last) or last in lexicon.surnames()) and all(
        name_like(w, caps_ok=False) and w not in _NOT_PEOPLE for w in words[:-1])


def find_noun_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    for rx in (_NOUN_RE, _BEFORE_ADDRESS_RE):
        for m in rx.finditer(text):
            words = m.group("name").split()
            while len(words) > 1 and not _name_words(words):  # "player Tom Smith Saturday" -> two words
                words.pop()
            if _name_words(words):
                end = m.start("name") + len(" ".join(words)) if rx is _NOUN_RE else m.end("name")
                if rx is _BEFORE_ADDRESS_RE and len(words) != len(m.group("name").split()):
                    continue
                out.append(Cand(m.start("name"), end, "NAME", "person-noun", 55))
    out += [Cand(m.start("name"), m.end("name") - (m.group("name")[-1] == " "), "NAME", "initials", 55)
            for m in _INITIALS_RE.finditer(text)]
    return out
