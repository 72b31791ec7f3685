"""Unlisted names with no cue, found by a pair of unknown words and a spelling no English word has (de-id round 21).

Round 20 grew the name lists fourfold, and fresh notes with names chosen off the lists still scored recall .61: a
list only finds the names it holds ("Eero Mäkipää", "Pa Nhia Vang" were missed). One unknown capitalised word is a
name far less often than two side by side, so this rule takes a run of two or three capitalised words of which
every word is unknown to the detector (no common word, no English-shaped word, no listed place or brand) and one
word carries evidence that it is a name:

- a letter English words and the eponyms of our notes do not use (Slavic, Baltic, Romanian, Nordic, Icelandic,
  Hungarian and Spanish letters: "Milosavljević", "Ozoliņš", "Añamuro"; French accents too, since a run of two
  unknown words is needed, "Gwenaëlle Kerhervé"; not German umlauts, which mark German nouns, "Hausärztin");
- a spelling of a naming tradition: Finnish double vowels and ``-nen`` ("Tiiu Kask"), patronymic and family
  endings (``-ović``, ``-escu``, ``-oğlu``, ``-ski``, ``-sson``, ``-dóttir``, ``-yan``, ``-idze``, ``-shvili``,
  ``-enko``, ``-poulos``, ``-uly``), a Bantu, Hmong or Georgian onset (``Mkh``, ``Nk``, ``Nt``, ``Ts``, ``Hl``),
  letters joined as no English word joins them (``xh``, ``hj``, ``qv``, ``hh``), or a long word of open syllables
  that does not end in a silent ``e`` ("Vakacegu", "Rakotomalala", "Jayasekera").

A run before a disease, test or scale word stays ("Ménière Disease"), and so does a run that the clinical-term and
over-scrub filters drop later. English-shaped names with no cue ("Rowan Pemberton-Skye") are still missed. A
run of three at a line or clause start whose first word is neither listed nor spelt as a name loses that word when
the other two still make a name ("Hyperbaric Tapio Kääriäinen": round 22).
"""

from __future__ import annotations

import re
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import TITLE_RE, english_looking
from meddx.deid.overscrub_products import brand_word, product_word
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

_WORD = rf"[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
_RUN_RE = re.compile(rf"(?<![\w'’.-]){_WORD}(?:[ \t]{_WORD})+(?![\w'’-]|\.[\w])")
# letters no English word and no eponym our notes write has (ç is left out: "Behçet"; so are German ä, ö, ü and ß,
# which mark German nouns too, "Hausärztin": a Finnish name is found by its double vowels and "-nen")
_FOREIGN_RE = re.compile("[ćčžšřťňďěůőűņķļģșțşāēīōūñãõåøæðþéèëêáíóúàìòùâîôûýÿ]")
_FINNISH_RE = re.compile(r"(?:aa|ää|(?<!wa)ii|öö|yy|uu(?!m))|[aeiouyäö]nen$")  # not "Hawaiian"
_ENDING_RE = re.compile(r"(?:ovi[cć]|evi[cć]|vić|escu|eanu|o[gğ]lu|[sc]ki|cka|wicz|[sd]sson|d[oó]ttir|[sgkhrtdvzlmp]yan"
                        r"|idze|adze|shvili|auri|iani|enko|chuk|czuk|poulos|opoulou|akis|idis|uly|kyzy|ovna|ovich"
                        r"|[^aeiou]ova?|[^aeiou]eva?|evich|xhaj|hoxha)$")
_ONSET_RE = re.compile(r"^(?:m[bpkdlzfgvhnw]|n[dtkczqxjhlr]|ts|tx|hl|dl|tl|zh|xh|gb|kp|dz|kw|bh|gh|ky[aeou]|abd)")
_CLUSTER_RE = re.compile(r"(?:xh|hj|qv|kv|hh|tx|szcz|rz[aeiouy]|sz|tsh[aeou]|ngc|nq|nx|mkh|dzh|jj|gj)")
# endings of Latin and Greek medical words of open syllables ("Melanoma", "Anaemia", "Cornea", "Retina", "Fibula")
_LATIN_END_RE = re.compile(r"(?:oma|ema|ia|ea|ua|ina|ula|ura|ata|ida|ola|osa|ica|ina|ira|ota|ulo|ivo)$")
_OPEN_RE = re.compile(r"(?:(?:ng|ts|th|[bcdfghjklmnprstvwyz])?[aeiou]{1,2}){3,}")
# what makes a run a disease's, a test's or a thing's name, not a person's
_THING_AFTER_RE = re.compile(r"(?:['’]s)?[ \t]+(?i:disease|syndrome|sign|test|score|scale|criteria|classification"
                             r"|procedure|operation|manoeuvre|maneuver|reflex|phenomenon|capsules?|tablets?|tea"
                             r"|extract|tincture|granules|powder|root|leaf|supplement|herbal|pump|valve|filter|tray"
                             r"|device|implant|system|trial|study|cohort|method|technique|model|virus|strain)\b")


def _unknown(word: str) -> bool:
    """``word`` is unknown to the detector: no common word, place, ambiguous name or English-shaped word."""
    low = word.lower()
    if low in lexicon.common_words() or word in lexicon.AMBIGUOUS or word in lexicon.towns() or brand_word(word):
        return False
    if kind_word(word):
        return False  # "Kinesio Tape", "Nova Sure": a kind of thing or a brand's combining form (round 23)
    if word in lexicon.first_names() or word in lexicon.surnames():
        return True
    if _FOREIGN_RE.search(low) or _ENDING_RE.search(low):
        return True  # "Nurlanuly", "Ozoliņš": a name's ending, not an English one ("-ly", "-s")
    return not english_looking(word) and word not in _cities()


@lru_cache(maxsize=None)
def _cities() -> frozenset[str]:
    return frozenset(lexicon.cities())


def name_spelling(word: str) -> bool:
    """``word`` is spelt as a name of a tradition the lists do not cover (see the module docstring). A listed name
    is no evidence here: a listed surname next to an unknown word is as often a firm or a place ("Wiltshire Farm
    Foods"), and a listed first name before one is the dictionary rule's."""
    low = word.lower()
    if _FOREIGN_RE.search(low) or _FINNISH_RE.search(low) or _ENDING_RE.search(low):
        return True
    if len(low) >= 4 and (_ONSET_RE.match(low) or _CLUSTER_RE.search(low)):
        return True
    return len(low) >= 7 and low[-1] in "aiou" and _OPEN_RE.fullmatch(low) is not None \
        and _LATIN_END_RE.search(low) is None


def find_unlisted_names(text: str) -> list[Cand]:
    """NAME candidates for runs of two or three unknown capitalised words of which one is spelt as a name."""
    out: list[Cand] = []
    for m in _RUN_RE.finditer(text):
        words = list(re.finditer(r"\S+", m.group()))
        if len(words) > 5:
            continue  # a title in capitals ("Chronic Kidney Disease Outcomes Research Group"), no person
        i = 0
        while i < len(words):
            j = i
            while j < len(words) and (_unknown(words[j].group()) or _plural_before_marked(words, j)):
                j += 1
            last = j
            while last - i > 2 and product_word(text, words[last - 1].group(), m.start() + words[last - 1].end()):
                last -= 1  # "Juhani Väisänen Keytruda cycle 6": the medicine is no third name
            if last - i == 3 and _opening_word(text, m.start() + words[i].start(), words[i].group()) \
                    and _is_name(text, [w.group() for w in words[i + 1:last]], m.start() + words[last - 1].end()):
                i += 1  # "Hyperbaric Tapio Kääriäinen" at a line start: the heading's word is no first name (round 22)
            if 2 <= last - i <= 3:
                start, end = m.start() + words[i].start(), m.start() + words[last - 1].end()
                if _is_name(text, [w.group() for w in words[i:last]], end):
                    out.append(Cand(start, end, "NAME", "unlisted-pair", 30))
            i = max(j, i + 1)
    return out


_OPENING_RE = re.compile(r"(?:^|[\n:;.]|--)[ \t]*\Z")
# endings of English adjectives and nouns of a heading ("Hyperbaric", "Renal", "Dietary", "Palliative", "Ward")
_HEADING_END_RE = re.compile(r"(?:ic|ics|al|ary|ory|ive|ous|logy|ist|ure|ment|ness|tion|sion|ity|ing|ed|ward)$")


def _opening_word(text: str, start: int, word: str) -> bool:
    """``word`` opens a line or a clause, where any word is capitalised, ends like an English adjective or noun and
    nothing says it is a name: not listed and not spelt as one ("Hyperbaric", not "Bolat" of "Bolat Nurlan
    Nurlanuly")."""
    return (_OPENING_RE.search(text, max(0, start - 4), start) is not None and not name_spelling(word)
            and _HEADING_END_RE.search(word.lower()) is not None
            and word not in lexicon.first_names() and word not in lexicon.surnames())


def _plural_before_marked(words: list[re.Match[str]], j: int) -> bool:
    """"Ivars Ozoliņš", "Jānis Bērziņš": a word English-shaped only by its final ``s`` right before a word with a
    name's letter or ending is a given name, not a plural."""
    word = words[j].group()
    if not word.endswith("s") or word.lower() in lexicon.common_words() or j + 1 >= len(words):
        return False
    nxt = words[j + 1].group().lower()
    return not english_looking(word[:-1]) and (_FOREIGN_RE.search(nxt) or _ENDING_RE.search(nxt)) is not None


def _is_name(text: str, words: list[str], end: int) -> bool:
    if not any(name_spelling(w) for w in words) or _THING_AFTER_RE.match(text, end):
        return False
    if any(w.lower() in lexicon.EPONYM_NEXT or TITLE_RE.fullmatch(w + " ") for w in words):
        return False  # "Torres Strait Islander", "Hausärztin Frau": a thing's word or a title, no given name
    # a listed pair is the dictionary rule's (it knows "Parkinson disease" from "Ann Parkinson")
    return not all(w in lexicon.first_names() or w in lexicon.surnames() for w in words)
