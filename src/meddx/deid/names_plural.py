"""Names the cue rules miss for their shape (de-id round 14):

- several people after a plural relation ("nieces Marguerite and Yvonne Thibodeaux", "cousins Tunde and Bisi",
  "Grandparents Hoàng and Mai Trần"): the singular relation rules take one name;
- two or three unlisted capitalised words before "who" after "to"/"with"/"by" ("explained the risks to
  Bartłomiej Zieliński who agrees"): only a person is "who";
- a name right before its age after a heading ("Safeguarding: Kayden age 6 presented", "Szymon aged 9
  presents"); a body event before an age is no name ("Menarche age 12", "Menopause age 51"), and
  ``drop_age_nouns`` removes such words that other rules took;
- "GP Dr Shah, Portree.": a title rule's "Surname, Firstname" whose second word is a listed town is the name
  and the town (``split_name_town``).

Every word must be neither a common word nor English-looking unless it is a listed name; letters are any
script's (``letters``), so Polish, Turkish, Vietnamese and Yoruba names are words too.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_W = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_NAME = rf"{_W}(?:[ \t]+{_W})?"
_PLURALS = (r"nieces|nephews|sons|daughters|cousins|grandparents|parents|brothers|sisters|aunts|uncles|grandchildren"
            r"|grandsons|granddaughters|children|twins|kids|siblings|carers|caregivers|friends|neighbours|neighbors"
            r"|couple|flatmates|housemates|roommates")
PLURAL_RE = re.compile(rf"(?i:\b(?:{_PLURALS}))[ \t]*:?[ \t]+(?P<list>{_NAME}(?:,[ \t]*{_NAME})*,?[ \t]+(?:and|&)[ \t]+"
                       rf"{_NAME})(?![\w'’-])")
_ITEM_RE = re.compile(_NAME)
PLURAL_WORDS = frozenset(_PLURALS.split("|"))
WHO_RE = re.compile(rf"\b(?:to|with|by|and)[ \t]+(?P<name>{_W}[ \t]+{_W}(?:[ \t]+{_W})?)[ \t]+who\b")
# a heading ("Safeguarding:"), a line start or a sentence start, then one or two words and the age, also in brackets
# ("Walk-in Sat 2nd Nov: Zofia (aged 17) requested"), as a speech therapist's years;months ("Oscar (3;4 yrs)") or as
# a British school year ("CAMHS letter: Kaiden (Year 8, Thornbury Academy)")
AGE_NAME_RE = re.compile(rf"(?:^|(?<=[:.;])[ \t]+|(?<=\n))[ \t]*(?P<name>{_NAME})[ \t]*(?:,?[ \t]+|\([ \t]*)"
                         r"(?:(?i:age|aged)[ \t]+\d{1,3}\b|(?<=\()\d{1,2};\d{1,2}\b|(?<=\()Year[ \t]+\d{1,2}\b)", re.M)
# what has an age and is no person: "Menarche age 12", "Bone age 10", "Gestational age 38"
AGE_NOUNS = frozenset("""menarche menopause gestational gestation bone onset diagnosis retirement death dental mental
    reading developmental maternal paternal corrected chronological adjusted post-menstrual postmenstrual conceptional
    biological skeletal vascular heart lung brain""".split())


def _person_word(word: str) -> bool:
    from meddx.deid.names import english_looking

    if word.lower() in lexicon.common_words() or word.lower() in AGE_NOUNS:
        return False
    return word not in lexicon.AMBIGUOUS if lexicon.is_listed(word) else not english_looking(word)


def _loose_word(word: str) -> bool:
    return word.lower() not in lexicon.common_words() and word.lower() not in AGE_NOUNS


def find_plural_names(text: str) -> list[Cand]:
    """NAME candidates for the shapes above."""
    out: list[Cand] = []
    for m in PLURAL_RE.finditer(text):
        items = list(_ITEM_RE.finditer(text, m.start("list"), m.end("list")))
        strict = [all(_person_word(w) for w in item.group().split()) for item in items]
        # one item sure to be a name lets an English-looking one pass: "Granddaughters Precious and Nomvula Dlamini"
        if all(strict) or (any(strict) and all(_loose_word(w) for item in items for w in item.group().split())):
            out += [Cand(item.start(), item.end(), "NAME", "relation", 55) for item in items]
    for m in WHO_RE.finditer(text):
        if all(_person_word(w) for w in m.group("name").split()):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "who", 54))
    for m in AGE_NAME_RE.finditer(text):
        if all(_person_word(w) for w in m.group("name").split()):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "name-age", 55))
    return out


def drop_age_nouns(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without a one-word NAME that is a body event before an age ("Menarche age 12")."""
    return [c for c in cands if not (c.type == "NAME" and text[c.start:c.end].lower() in AGE_NOUNS
                                     and _AGE_AFTER_RE.match(text[c.end:c.end + 12]))]


_AGE_AFTER_RE = re.compile(r"[ \t]*(?:,?[ \t]+|\([ \t]*)(?i:age|aged)\b")  # "Menarche age 12", "Menarche (age 12)"


_PLACE_PREPOSITIONS = frozenset("near off by past opposite behind beside next towards".split())
_DRIVE_BEFORE_RE = re.compile(rf"{_W}[ \t]+Dr\.?[ \t]+\Z")


def drop_street_dr(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without a lower-case "name" after the "Dr" of a street ("Lives on Maple Dr near the school"): after a
    capitalised word, "Dr" is a drive when the next word is a common word."""
    common = lexicon.common_words() | _PLACE_PREPOSITIONS
    return [c for c in cands if not (c.type == "NAME" and text[c.start:c.end].islower()
                                     and text[c.start:c.end].split()[0] in common
                                     and _DRIVE_BEFORE_RE.search(text, max(0, c.start - 40), c.start))]


_COMMA_TOWN_RE = re.compile(rf"(?P<name>.+?),[ \t]*(?P<town>{_W}(?:[ \t]+{_W})?)\Z")


def split_name_town(text: str, cands: list[Cand]) -> list[Cand]:
    """A NAME "Shah, Portree" whose part after the comma is a listed town or city and no listed first name becomes
    the NAME "Shah" and the LOCATION "Portree"."""
    places = lexicon.towns() | frozenset(lexicon.cities())
    out: list[Cand] = []
    for c in cands:
        m = _COMMA_TOWN_RE.match(text, c.start, c.end) if c.type == "NAME" else None
        if m is None or m.group("town") not in places or m.group("town") in lexicon.first_names():
            out.append(c)
            continue
        out += [Cand(c.start, m.end("name"), "NAME", c.rule, c.priority),
                Cand(m.start("town"), c.end, "LOCATION", "town-after-name", c.priority)]
    return out
