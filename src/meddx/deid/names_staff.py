"""Names after a worker's noun, and names before a person's details (de-id round 24).

Round 23 and round 24's held-out lines left names with a cue no rule read:

- a worker's or a party's noun the other rules do not list, before one or two capitalised words: ``driver Kev to``,
  ``PC Harman informed``, ``HHJ Mortimer:``, ``casualty Kyron Blessed winched``, ``attorney``, ``keyworker``. One
  word must be a person's word (``names_objects._person_word``: no common, English-shaped, drug, service, family or
  role word); a second may be shaped like English ("Blessed") but not common, a kind of thing, a brand or a place;
  what follows is what follows a person (a clause's end, a lower-case word), not another capitalised word;
- two capitalised words before a person's details: an age and sex, an age, a date of birth or a record number
  (``Percival Stannard, 84M``, ``Winifred Ashdown, 97,``, ``Dawn Kettering (DOB``); one word is a person's word or
  listed, the other may be shaped like English only with a given name's ending ("Percival", "Wilfred", "Winifred",
  "Thaddeus"), not a participle's or an adjective's ("Suspected Kawasaki, 4M" stays);
- two capitalised words before an address (``Wilfred Arkwright, Rose Cottage,``) or a verb of what a person does
  (``Thaddeus Mbeki-Owens drives``), with the same checks;
- two capitalised words after a phrase about a person's death or estate (``death of Desmond Pilkington``), or
  after ``with`` and before ``from``/``who`` (``with Jonah Whitcombe from Bozeman``).

Round 25 added: ``PSW``/``HCSW`` (a support worker's title: ``PSW Ginette visits``); a rank after ``by``/``with``
needs no officer's verb after the name (``brought in by PC Driscoll from the pier``); a worker's one name before a
verb of speech may be shaped like an English plural (``keyworker Mags rang``).
"""

from __future__ import annotations

import calendar
import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER
from meddx.deid.names import TOKEN, english_looking, is_eponym_use, name_like
from meddx.deid.overscrub_products import brand_word
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

_WORKERS = (r"driver|taxi[ \t]+driver|keyworker|key[ \t]+worker|attorney|deputy|executor|appointee|defendant"
            r"|detainee|claimant|casualty|deceased|victim|witness|caller|informant|landlord|landlady|lodger|employer"
            r"|supervisor|foreman|manager|mentor|tutor|sponsor|buddy|befriender|handyman|cleaner|judge")
# a worker's noun in lower case, or capitalised where a line or a label starts ("Keyworker Bob Tait rang"; not "the
# Deceased Estate"); a police or judicial rank as written
_NOUNS = (rf"(?:{_WORKERS}|(?:^|(?<=\n)|(?<=:[ \t])|(?<=\.[ \t]))(?i:{_WORKERS})"
          r"|(?P<rank>PC|DC|DS|DI)|PCSO|DCI|Sgt|HHJ|DJ|District[ \t]+Judge|Judge|PSW|HCSW)")
# after a rank that is also a clinical abbreviation (presenting complaint, discharge summary), what an officer does
_RANK_VERB_RE = re.compile(r"[ \t]+(?:informed|attended|attending|called|rang|phoned|present|arrived|took|takes|says"
                           r"|said|stated|states|reports|reported|aware|escorted|escorting|brought|has|had|was|is|will"
                           r"|to|on[ \t]+scene)\b|[ \t]*\((?:\d|collar)")
# "brought in by PC Driscoll from the pier": after "by" or "with" a rank is an officer whatever follows (round 25)
_BY_BEFORE_RE = re.compile(r"(?<![\w'’-])(?:by|with)[ \t]+\Z")
# "keyworker Mags rang": a worker's one name before a verb of speech may be shaped like an English plural (round 25)
_SPOKE_RE = re.compile(r"[ \t]+(?:rang|called|phoned|emailed|texted|said|says|visited|confirmed|reported)\b")
_NOUN_RE = re.compile(rf"(?<![\w'’/-])(?:{_NOUNS})[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)"
                      r"(?=[ \t]*(?:[,;:.)]|\Z|\n)|[ \t]+[a-z])")
# an age and a sex, an age, a date of birth or a record number after the name and a comma or a bracket
_DETAILS = (r"[ \t]*[,(][ \t]*(?:\d{1,3}[ \t]*(?:[FMfm]\b|y/?o\b|yrs?\b|years?\b|-year)|\d{2,3}[ \t]*[,)]"
            r"|(?i:dob|d\.o\.b|aged|born|nhs|mrn|hosp(?:ital)?[ \t]+no|ninety|one[ \t]+hundred)\b)")
# or an address: a house number and a street, a flat, a named house ("Wilfred Arkwright, Rose Cottage,")
_ADDRESS = rf"[ \t]*,[ \t]*(?:\d{{1,4}}[A-Za-z]?,?[ \t]+[A-Z]|(?:Flat|Apt|Unit)[ \t]+\d|{TOKEN}[ \t]+(?:Cottage|Farm|House|Lodge|Barn|Croft|Bungalow)\b)"
# or a verb of what a person does in the present ("Thaddeus Mbeki-Owens drives a Ford")
_DOES = (r"[ \t]+(?:lives|drives|works|smokes|drinks|walks|attends|reports|denies|declines|wants|says|prefers|cares"
         r"|uses|misses|refuses|agrees|understands|manages|mobilises|mobilizes)\b")
# found from the details back to the name: a pair's pattern tried at every capital was the slow part
_AFTER_PAIR_RE = re.compile(rf"(?<=[{LOWER}])(?:{_DETAILS}|{_ADDRESS}|{_DOES})")
_PAIR_BEFORE_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}[ \t]+{TOKEN})\Z")
# "with Jonah Whitcombe from Bozeman": a person met, and where they are
_WITH_RE = re.compile(rf"(?<![\w'’-])with[ \t]+(?P<name>{TOKEN}[ \t]+{TOKEN})(?=[ \t]+(?:from|who|whose)\b)")
_DEATH_RE = re.compile(rf"(?i:\b(?:death|funeral|estate|passing|inquest|burial|cremation)[ \t]+of[ \t]+(?:the[ \t]+late"
                       rf"[ \t]+)?)(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})")
_GATE_RE = re.compile(r"(?i:driver|worker|attorney|deputy|executor|appointee|defendant|detainee|claimant|casualty"
                      r"|deceased|victim|witness|caller|informant|land|lodger|employer|supervisor|foreman|manager|PSW|HCSW"
                      r"|mentor|tutor|sponsor|buddy|befriender|handyman|cleaner|judge|PC|DC|DS|DI|Sgt|HHJ|DJ)")
# English-shaped endings of given names ("Wilfred", "Winifred", "Percival", "Thaddeus", "Cletus"), not of a heading's
# participle or adjective ("Suspected Kawasaki, 4M")
_NAME_END_RE = re.compile(r"(?:[^aeiou]red|frid|ival|[^aeiou][eiu]us|[^aeiou]tus)$")
_TIMES = frozenset(calendar.day_name) | frozenset(calendar.month_name[1:])


def find_staff_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    if _GATE_RE.search(text):
        for m in _NOUN_RE.finditer(text):
            words = m.group("name").split()
            if m.group("rank") and not _RANK_VERB_RE.match(text, m.end("name")) \
                    and not _BY_BEFORE_RE.search(text, max(0, m.start() - 8), m.start()):
                continue  # "PC Dysphagia, 2/52": a presenting complaint, "DS", "DC": a discharge
            if _pair_ok(text, m.start("name"), words) if len(words) == 2 else (
                    _person(words[0]) or not m.group("rank") and _loose(words[0]) and _SPOKE_RE.match(text, m.end())):
                out.append(Cand(m.start("name"), m.end("name"), "NAME", "staff-noun", 45))
    pairs = (_PAIR_BEFORE_RE.search(text, max(0, d.start() - 80), d.start()) for d in _AFTER_PAIR_RE.finditer(text))
    for m in [*(p for p in pairs if p), *_DEATH_RE.finditer(text), *_WITH_RE.finditer(text)]:
        words = m.group("name").split()
        if len(words) == 1 and _person(words[0]) or len(words) >= 2 and _pair_ok(text, m.start("name"), words) \
                and all(not english_looking(w) or _NAME_END_RE.search(w) or _person(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "person-details", 45))
    return out


def _pair_ok(text: str, start: int, words: list[str]) -> bool:
    """Two or three words of a name: one a person's word or listed, the others at least name-shaped words that
    are no thing, place or time; no eponym's use ("Bell palsy")."""
    if not all(_loose(w) for w in words) or not any(_person(w) for w in words):
        return False
    end = start + len(" ".join(words))
    return not is_eponym_use(text, end)


def _person(word: str) -> bool:
    """A listed name or a person's word, and no thing, brand, place or time."""
    from meddx.deid.names_objects import _person_word

    def listed(w: str) -> bool:
        return w in lexicon.first_names() or w in lexicon.surnames()

    parts = word.split("-")  # "Mbeki-Owens": each part a listed name or a person's word
    return _loose(word) and (listed(word) or _person_word(word)
                             or len(parts) > 1 and all(listed(p) or _person_word(p) for p in parts))


def _loose(word: str) -> bool:
    """A capitalised word a name can have, English-shaped allowed ("Blessed", "Percival"), that is no common word,
    kind of thing, brand, listed town or country, month or weekday."""
    from meddx.deid.names_objects import _NOT_PEOPLE

    return (len(word) >= 2 and not word.isupper() and name_like(word, caps_ok=False)
            and word.lower() not in lexicon.common_words() and word not in _NOT_PEOPLE and word not in _TIMES
            and not kind_word(word) and not brand_word(word) and word not in lexicon.towns()
            and word not in lexicon.COUNTRIES and word not in lexicon.STATE_NAMES)
