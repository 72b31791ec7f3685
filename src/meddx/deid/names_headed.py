"""Names of two or three unlisted words right after a note's heading, and firms named for a person (de-id round 22).

Rounds 20 and 21 found unlisted names by a list or by a spelling English lacks; what was left were names English
could spell ("Rowan Pemberton-Skye", "Darlene Begay", "Hollis Pettigrew") or of short syllables ("Tou Pao Moua"),
with no cue. Round 22's blind lines showed where such a name stands in a short note: right after the heading, as
the note's subject ("Apheresis unit: Darlene Begay plasma exchange", "OOH GP call: Wenonah Yazzie dysuria 2/7"),
or after a letter's "I saw" ("I saw Kerensa Trevaskis today"). So there, two or three capitalised words are a
name when:

- each is listed, or a person's word (``names_objects._person_word``: not common, not English-shaped, no drug,
  service, family or role word), no brand (``overscrub_products.brand_word``), no eponym's use ("Bell palsy"),
  no word ending like an English or Latin word of a heading ("Renal Colic", "Sleep Hygiene", "Erythema
  Multiforme", "Fultium Tablets"); no dose after it ("Plan: Slozem Retard 240 mg"); a third word before a size,
  a class or a dose is a product's, not the name's ("Vardan Ghukasyan Norwood V"); no word of two letters or a
  brand's line ("Aquacel Ag", "Medihoney Gel", "Senokot Max"), no organism ("Klebsiella Pneumoniae"), country or
  listed town ("Sri Lanka"); nothing after a heading that holds a thing ("Dx:", "Dressing:", "Meds:", "Injector:").
  An English-shaped word of the name is not taken, so "Ewart Pengelly" is still missed;
- what follows is what follows a subject in a note: a lower-case word, a number, an abbreviation in capitals or a
  comma ("Darlene Begay plasma", "Dwayne Lavallee 6MWT", "Arwel Tudur ACE-III", "Noreen Fahy coping"),
  not another capitalised word (a title of three words or more: "Pre Op Assessment Clinic") nor an apostrophe.

A firm named for a person ("released to Beridze Funeral Service", "Tregunna Funeral Directors"): one capitalised
word that is not common before ``Funeral Directors/Service/Home/Care`` or ``& Sons``; the surname, not the firm, is
the identifier ("Co-op Funeral Care" and "Dignity Funeral Directors" stay).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, english_looking, is_eponym_use
from meddx.deid.overscrub_products import brand_word, product_word
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

_HEADED_RE = re.compile(
    rf"(?:(?<=:)|(?<=[ \t]--)|(?<=[ \t][–—]))[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})"
    r"(?=[ \t]*[,;(]|[ \t]+(?:[a-z]|\d|[A-Z]{1,6}(?![a-z])))")
# endings of the English adjectives and nouns that start a heading's phrase ("Renal Colic", "Viral Illness")
_WORD_END_RE = re.compile(r"(?:ic|ics|al|ary|ory|ive|ous|ogy|ist|ure|ment|ness|tion|sion|ity|ing|ed|ism|ile"
                          r"|oid|ar|cle|ase|ine|ide|ate|orme|ema|oma|osis|itis|um|us"
                          r"|ae|ii|ensis|oides|ella|illus|occus)$")  # (and an organism's: "Klebsiella Pneumoniae")
# endings of given names too ("Darlene", "Andrea"), of a Latin or English word only after the first word ("Hygiene")
_LATER_END_RE = re.compile(r"(?:ene|ia|ea)$")
_DOSE_AFTER_RE = re.compile(r"[ \t]*\d+(?:\.\d+)?[ \t]*(?i:mg|mcg|micrograms?|g|ml|units?|iu|%|mmol|puffs?|tabs?"
                            r"|sachets?|drops?|x)\b")
# a letter's "I saw": the person comes next ("I saw Kerensa Trevaskis today")
_SAW_RE = re.compile(rf"\bI[ \t]+(?:saw|reviewed|met|assessed|examined)[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})"
                     r"(?=[ \t]*[,;.]|[ \t]+(?:[a-z]|\d|[A-Z]{1,6}(?![a-z])))")
# headings whose field holds a thing, not a person ("Dx:", "Dressing:", "Meds:", "Device:", "Injector: Medrad Stellant")
_THING_HEADING_RE = re.compile(r"(?<![\w-])(?i:dx|diagnos[ie]s|impression|differentials?|ddx|plan|rx|meds|medications?"
                               r"|drugs?|allerg(?:y|ies)|dressings?|device|equipment|products?|supplements?|diet"
                               r"|treatment|therapy|advice|regime|regimen|intervention|procedure|organism|culture"
                               r"|app|software|system|scanner|pathway|injector|pump|monitor|machine|model|make|brand|manufacturer|implant"
                               r"|prosthesis|lens|iol|stent|pacemaker|icd|wheelchair|hoist|mattress|splint|brace"
                               r"|orthosis|inhaler|nebuli[sz]er|catheter|ct|mri|scan|imaging|modality|kit|vaccine)"
                               r"[ \t]*(?::|--|[–—])[ \t]*\Z")
# the words a brand puts after its name ("Mepilex Border", "Medihoney Gel", "Aquacel Ag", "Senokot Max")
_PRODUCT_LINE = frozenset("""Gel Gels Cream Ointment Lotion Balm Film Foam Border Barrier Silver Ag Plus Max Lite Light
Pro One Go Compact Energy Liquid Syrup Oil Spray Drops Patch Pen Pump Press Pants Sachet Sachets Shake Bar Bars App
Web Online Store Toy Game Rope Honey Tree Orange Life Forte Retard Junior Infant Kids Duo Trio Ultra Extra Active
Original Advance Classic Express Flex Soft Care Comfort Sensitive Mini Micro Nano Vita Tx Rx XL SR MR""".split())
_FIRM_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN})[ \t]+(?:Funeral[ \t]+(?:Directors?|Services?|Home|Care)"
                      r"|(?:&|and)[ \t]+Sons?[ \t]+Funeral)\b")


def find_headed_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    heading = ":" in text or "--" in text or "–" in text or "—" in text
    for rx in (_HEADED_RE, _SAW_RE) if heading else (_SAW_RE,):
        for m in rx.finditer(text):
            if rx is _HEADED_RE and _THING_HEADING_RE.search(text, max(0, m.start() - 30), m.start() + 1):
                continue  # "Dressing: Mepilex Border applied", "Dx: Kawasaki Disease": the heading names a thing
            words = list(re.finditer(r"\S+", m.group("name")))
            if len(words) == 3 and product_word(text, words[2].group(), m.start("name") + words[2].end()):
                words.pop()  # "Vardan Ghukasyan Norwood V", "Fetu Tuilagi Shiley 6": a class or a device, no third name
            end = m.start("name") + words[-1].end()  # a popped product keeps its own dose ("Ferenc Halmi Advate 2000 units")
            english = _english_surname(text, m.start("name"), words)
            if _DOSE_AFTER_RE.match(text, end) or not (english or _person_word_first(words[0].group(), words)):
                continue  # "Plan: Slozem Retard 240 mg": a medicine and its dose
            if english or all(_subject_word(text, w.group(), m.start("name") + w.end(), k > 0)
                              for k, w in enumerate(words)):
                out.append(Cand(m.start("name"), end, "NAME", "headed", 50))
    if "Funeral" in text:
        for m in _FIRM_RE.finditer(text):
            word = m.group("name")
            if word.lower() not in lexicon.common_words() and not word.isupper() and word not in _NOT_FIRM_NAMES:
                out.append(Cand(m.start("name"), m.end("name"), "NAME", "firm", 50))
    return out


# funeral firms named for no person
_NOT_FIRM_NAMES = frozenset("Co-op Coop Dignity Cooperative Co-operative Family Independent Local Community".split())


def _person_word_first(word: str, words: list[re.Match[str]]) -> bool:
    """The first word is a given name's: listed, or a person's word (not English-shaped); no word of the run names a
    kind of thing or is a brand's combining form ("Gamma Knife", "Accu Chek", "Tai Chi": round 23)."""
    from meddx.deid.names_objects import _person_word

    if any(kind_word(w.group()) for w in words):
        return False
    return word in lexicon.first_names() or _person_word(word)


def _english_surname(text: str, start: int, words: list[re.Match[str]]) -> bool:
    """Round 23: a given name and a surname English could spell ("Ewart Pengelly", "Kaspars Liepa", "Clemency
    Askew") or that is a listed town ("Wilhelmina Dunstable"): one word of two may be English-shaped (not with an
    ending of a heading's English or Latin word, ``_WORD_END_RE``: "Percival" stays missed) and the second may be a
    listed town, when the other word passes ``_subject_word``."""
    if len(words) != 2 or any(kind_word(w.group()) for w in words):
        return False
    first, second = words[0].group(), words[1].group()
    ok = [_subject_word(text, w.group(), start + w.end(), k > 0) for k, w in enumerate(words)]
    if ok[0] and second in lexicon.towns() and second not in lexicon.COUNTRIES and first not in lexicon.towns():
        return True  # "Wilhelmina Dunstable": a town's name as a surname
    if ok[0] == ok[1]:
        return False
    word, k = (second, 1) if ok[0] else (first, 0)
    low = word.lower()
    if low.endswith(("able", "ible")) or (k and low.endswith("s")):
        return False  # "Able Spacer", "Otago Exercises", "Bach Flowers": a thing's adjective or plural
    return (english_looking(word) and _WORD_END_RE.search(low) is None and not (k and _LATER_END_RE.search(low))
            and low not in lexicon.common_words() and word not in lexicon.towns() and not word.isupper()
            and len(word) >= 3 and not brand_word(word) and not is_eponym_use(text, start + words[k].end())
            and word not in _PRODUCT_LINE)


def _subject_word(text: str, word: str, end: int, later: bool) -> bool:
    """A word of the name: listed, or uncommon and neither English-shaped, a heading's English or Latin word
    ("Sleep Hygiene", "Erythema Multiforme", "Fultium Tablets") nor a brand. An English-shaped surname is missed
    ("Ewart Pengelly")."""
    from meddx.deid.names_headings import _SERVICE_WORDS
    from meddx.deid.names_objects import _NOT_PEOPLE

    from meddx.deid.places_villages import _NOT_FROM

    if word in _NOT_FROM or word in lexicon.COUNTRIES or word in lexicon.STATE_NAMES or word in lexicon.towns():
        return False  # "Travel history: Sri Lanka in March."
    if word in lexicon.first_names() or word in lexicon.surnames():
        return True
    if "-" in word and lexicon.is_listed(word, parts=True) and all(p[:1].isupper() for p in word.split("-")):
        return True  # a double-barrelled surname of listed parts ("Madoc Pryce-Jenkins": round 23, after its fresh lines)
    if word in _SERVICE_WORDS or word in _NOT_PEOPLE or word in lexicon.AMBIGUOUS or word.isupper() \
            or word in _PRODUCT_LINE or len(word) < 3 \
            or word.lower() in lexicon.common_words() or is_eponym_use(text, end) or brand_word(word):
        return False
    low = word.lower()
    return _WORD_END_RE.search(low) is None and not (later and _LATER_END_RE.search(low)) and not english_looking(word)
