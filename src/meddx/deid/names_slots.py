"""Names after a numbered place or a numbered entrant, and after a person's noun (de-id round 23).

Round 22 left names in the middle of a sentence with no title, label or list cue: "runner 4417, Hollis Pettigrew,",
"bay 4 Jed Cantrell". A bed, bay, cubicle, trolley, chair, cell or side room with its number, and a runner's, a
rider's or a competitor's number, is followed in a handover or a log by the person in it; so are a few nouns of
what a person is doing or where they stand in a log ("rough sleeper", "steward", "spectator", "hiker"). Two or three
capitalised words there are a name when:

- at least one word is listed or a person's word (``names_objects._person_word``: no common, English-shaped, drug,
  service, family or role word) that the heading rule would take (``names_headed._subject_word``: no brand's line
  word, "Mepilex Border", no ending of an English or Latin heading word, "Vapotherm Precision"); the other may be
  shaped like English ("Jed Cantrell", "Gideon Marchbanks"), but not a common word, a kind of thing
  (``product_words``: "Bed 4 Kinesio Tape"), a brand's line word ("Tena Pants"), a heading word's ending
  ("Slimming World"), a brand, a listed town or country;
- no word is an eponym's ("bed 3 Bell Palsy") and no dose follows;
- what follows is what follows a person in a note: a comma, a bracket, a full stop, a lower-case word, a number or
  an abbreviation in capitals, not another capitalised word.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, english_looking, is_eponym_use
from meddx.deid.names_headed import _PRODUCT_LINE, _subject_word
from meddx.deid.overscrub_products import brand_word
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

_SLOT = (r"(?i:bed|bay|cubicle|cubical|cube|trolley|chair|recliner|couch|cot|incubator|cell|pod|side[ \t]+room|room"
         r"|runner|rider|bib|competitor|entrant|player|car|stretcher|space)[ \t]*(?:no\.?[ \t]*|#[ \t]*)?"
         r"\d{1,5}[A-Za-z]?[ \t]*[,:–—-]?")
_NOUN = (r"(?:[Rr]ough[ \t]+sleeper|[Ss]teward|[Mm]arshal|[Ss]pectator|[Hh]iker|[Cc]limber|[Cc]yclist|[Ss]wimmer"
         r"|[Ss]kier|[Ss]nowboarder|[Cc]amper|[Pp]edestrian|[Ii]nmate|[Tt]enant|[Ll]odger|[Ff]isherman|[Dd]eckhand"
         r"|[Ll]abourer|[Ff]armhand|[Jj]ockey|[Bb]oxer|[Ff]ighter|[Ss]urfer|[Kk]ayaker|[Cc]anoeist|[Dd]rover)")
_SLOT_RE = re.compile(rf"(?<![\w'’-])(?:{_SLOT}|{_NOUN}[ \t]*,?)[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})"
                      r"(?=[ \t]*(?:[,;:.()]|\Z|\n)|[ \t]+(?:[a-z]|\d|[A-Z]{1,6}(?![\w'’-]))|[ \t]+[–—-][ \t])")
_DOSE_AFTER_RE = re.compile(r"[ \t]*\d+(?:\.\d+)?[ \t]*(?i:mg|mcg|g|ml|units?|iu|%|mmol)\b")
_CUE_GATE_RE = re.compile(r"(?i:bed|bay|cub|trolley|chair|recliner|couch|cot|incubator|cell|pod|room|runner|rider|bib"
                          r"|competitor|entrant|player|car|stretcher|space|sleeper|steward|marshal|spectator|hiker"
                          r"|climber|cyclist|swimmer|skier|snowboarder|camper|pedestrian|inmate|tenant|lodger"
                          r"|fisherman|deckhand|labourer|farmhand|jockey|boxer|fighter|surfer|kayaker|canoeist|drover)")


def find_slot_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    if not _CUE_GATE_RE.search(text):
        return []
    out: list[Cand] = []
    for m in _SLOT_RE.finditer(text):
        words = list(re.finditer(r"\S+", m.group("name")))
        while len(words) > 2 and not _strict(words[-1].group()):
            words.pop()  # "bay 4 Jed Cantrell Nil by mouth": the name ends before a word no name has
        start, end = m.start("name"), m.start("name") + words[-1].end()
        if _DOSE_AFTER_RE.match(text, end):
            continue
        strict = [_strict(w.group()) and _subject_word(text, w.group(), start + w.end(), k > 0)
                  for k, w in enumerate(words)]
        loose = [s or _loose(w.group()) or (_strict(w.group()) and w.group() not in _PRODUCT_LINE) for s, w in
                 zip(strict, words)]  # "Morwenna Tregear": a person's word that ends like a heading word
        if any(strict) and all(loose) and not any(is_eponym_use(text, start + w.end()) for w in words):
            out.append(Cand(start, end, "NAME", "slot", 54))
    return out


def _strict(word: str) -> bool:
    """A listed name or a person's word, and no kind of thing."""
    from meddx.deid.names_objects import _person_word

    if len(word) < 3 or kind_word(word) or word in lexicon.towns() or word in lexicon.COUNTRIES:
        return False
    return word in lexicon.first_names() or word in lexicon.surnames() or (_person_word(word) and not brand_word(word))


def _loose(word: str) -> bool:
    """A capitalised word English could spell as a name ("Jed", "Marchbanks"): not common, no thing, brand or place."""
    from meddx.deid.names_objects import _NOT_PEOPLE

    from meddx.deid.names_headed import _WORD_END_RE

    return (len(word) >= 3 and word[0].isupper() and not word.isupper() and english_looking(word)
            and word not in _PRODUCT_LINE and (len(word) <= 4 or _WORD_END_RE.search(word.lower()) is None)
            and word.lower() not in lexicon.common_words() and word not in _NOT_PEOPLE and not kind_word(word)
            and not brand_word(word) and word not in lexicon.towns() and word not in lexicon.COUNTRIES)
