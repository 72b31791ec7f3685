"""Addresses written the way Indian, German, South African and Irish notes write them, and a one-word town after
"in" where only a person's life can be (de-id round 18).

- an Indian village, tehsil, taluka or district after its abbreviation ("Vill. Kheri Kalan", "Teh. Gohana",
  "Distt. Sonipat", "Vill. Rampur"), with the abbreviation: the town of a district was found before, the village,
  the smallest and most identifying part, was not;
- a German street written street-first without a suffix ("Am Markt 7", "An der Kirche 3", "Im Winkel 12a") before
  a comma and a five-digit postcode, and the town after the postcode of any street with a number ("Lindenstraße
  42, 50674 Köln", "Am Lindenhof 3, 33602 Bielefeld");
- the parts of a South African address after a street ("42 Vilakazi Street, Orlando West, Soweto 1804"): each
  part between commas, and the four-digit postal code after the last;
- one to three place words after an ``Address`` label when a county, a postcode or a number follows the comma
  ("Address: Kilcolgan, Co. Galway", "Address: Glenamaddy, Co. Galway");
- one unlisted word after "in" when a verb of living, working or staying came first ("works as a farmhand in
  Stellenbosch at harvest", "staying with friends in Knaresborough when") or after a title and a name ("her
  pastor, Rev. Adeyemi, in Stratford"); a hospital area ("in Resus", "in Triage") or an English-shaped word
  ("works in Cardiology") is no place;
- (round 18's fresh lines) a care home's house name after "at" before a listed town ("at Ashgrove House,
  Kirkcaldy"), a Malaysian street ("Lot 5 Jalan Ampang"), a mountain after "on" ("on Ben Nevis"), a Māori place
  written with a macron after a place preposition ("from Ōtara").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking
from meddx.deid.patterns import Cand

_W = rf"[{UPPER}][{LOWER}]+(?:-[{UPPER}]?[{LOWER}]+)*"
_INDIA_RE = re.compile(rf"(?<![\w.])(?:Vill\.?|Village|Teh\.|Tehsil|Tal\.|Taluka|Taluk|Distt\.?|Dist\.|Mandal)"
                       rf"[ \t]*:?[ \t]+{_W}(?:[ \t]+{_W}){{0,2}}")
_DE_ARTICLE = r"(?:Am|Im|Zum|Zur|Beim|(?:An|Auf|In|Unter|Hinter|Vor|Bei)[ \t]+(?:der|dem|den))"
_DE_STREET_RE = re.compile(rf"(?<![\w'’-]){_DE_ARTICLE}[ \t]+{_W}(?:[ \t]+{_W})?[ \t]+\d{{1,4}}[a-z]?"
                           rf"(?=[ \t]*,[ \t]*\d{{5}}[ \t]+{_W})")
_DE_TOWN_RE = re.compile(rf"(?<![\w'’-]){_W}(?:[ \t]+{_W})?[ \t]+\d{{1,4}}[a-z]?[ \t]*,[ \t]*(?P<zip>\d{{5}})[ \t]+"
                         rf"(?P<town>{_W}(?:[ \t]+(?:am|an[ \t]+der|im|ob[ \t]+der)[ \t]+{_W})?)")
_STREET_KINDS = (r"Street|St|Road|Rd|Avenue|Ave|Drive|Dr|Lane|Ln|Crescent|Cres|Close|Way|Place|Pl|Boulevard|Blvd"
                 r"|Terrace|Court|Ct|Rylaan|Straat|Weg|Laan|Singel")
_ZA_RE = re.compile(rf"\b\d{{1,5}}[ \t]+{_W}(?:[ \t]+{_W})?[ \t]+(?:{_STREET_KINDS})\b\.?"
                    rf"(?P<parts>(?:[ \t]*,[ \t]*{_W}(?:[ \t]+{_W}){{0,2}}){{1,3}})[ \t]+(?P<code>\d{{4}})(?![\w/.-])")
_PART_RE = re.compile(rf"{_W}(?:[ \t]+{_W}){{0,2}}")
_ADDRESS_RE = re.compile(rf"(?<![\w-])(?i:(?:home|postal|home[ \t]+)?address)[ \t]*[:\-–][ \t]*"
                         rf"(?P<place>{_W}(?:[ \t]+{_W}){{0,2}})(?=[ \t]*,[ \t]*(?:Co\.|County|Distt?\.|\d|[A-Z]\d))")
_LIFE_VERBS = (r"lives|lived|living|live|works|worked|working|work|staying|stays|stayed|stay|based|born|raised"
               r"|grew[ \t]+up|settled|studies|studied|studying|holidaying|holidays|farms|farmed|farming|resides"
               r"|resided|residing")
# "in" and a capitalised word first (cheap), then the verb of living within four words before it
_IN_WORD_RE = re.compile(rf"(?<![\w'’-])in[ \t]+(?P<place>{_W})(?=[ \t]*(?:[,;.)]|$)|[ \t]+(?:at|during|for|since"
                         r"|until|when|where|with|before|after|and|on|over|this|last|every)\b)", re.M)
_LIFE_BEFORE_RE = re.compile(rf"(?<![\w'’-])(?i:{_LIFE_VERBS})(?:[ \t]+[a-z-]+){{0,4}}[ \t]+\Z")
_TITLE_NAME_IN_RE = re.compile(rf"(?<![\w.])(?:Rev|Revd|Pastor|Imam|Rabbi|Father|Fr|Dr|Mr|Mrs|Ms|Miss)\.?[ \t]+"
                               rf"{_W}(?:[ \t]+{_W})?,?[ \t]+in[ \t]+(?P<place>{_W})(?=[ \t]*(?:[,;.)]|$))", re.M)
# where a person works or waits in a hospital, and what follows "in" as a state, not a place
_NOT_PLACES = frozenset("""Resus Triage Majors Minors Theatre Theatres Recovery Outpatients Clinic Pharmacy Radiology
Paeds Obs Gynae Ortho Cardio Neuro Derm Endo Renal Haem Onc Rehab Maternity Pathology Surgery Medicine General
Primary Secondary Community Private Practice Care Hospice Hospital Nursing Residential Sheltered Supported Lockdown
Isolation Custody Prison Remission Labour Labor Spanish English French German Polish Urdu Arabic Welsh Irish Scots
Mandarin Cantonese Punjabi Bengali Portuguese Italian Retail Finance Construction Education Catering Hospitality
Security Logistics Sales Marketing Admin Accounts Retirement Summer Winter Spring Autumn January February March
April May June July August September October November December Monday Tuesday Wednesday Thursday Friday Saturday
Sunday""".split())


# round 18's fresh lines: a care home's house name before its town ("at Ashgrove House, Kirkcaldy"), a Malaysian
# street ("Lot 5 Jalan Ampang"), a mountain after "on" ("on Ben Nevis"), a Māori place with a macron ("from Ōtara")
_HOUSE_RE = re.compile(rf"(?<![\w'’-])(?i:at|to|from|in)[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?[ \t]+(?:House|Lodge|Grange"
                       rf"|Manor|Court|Hall|Gardens|View))(?=[ \t]*,[ \t]*(?P<town>{_W}(?:[ \t]+{_W})?))")
_JALAN_RE = re.compile(rf"(?<![\w'’-])(?:(?:Lot|No\.?)[ \t]*\d{{1,4}}[A-Z]?,?[ \t]+)?(?:Jalan|Jln\.?|Lorong|Persiaran)"
                       rf"[ \t]+{_W}(?:[ \t]+(?:{_W}|\d{{1,3}}[A-Z]?)){{0,2}}")
_MOUNTAIN_RE = re.compile(rf"(?<![\w'’-])(?i:on|up|climbing|descending)[ \t]+(?P<place>(?:Ben|Beinn|Mount|Mt\.?|Slieve"
                          rf"|Sgurr|Carn)[ \t]+{_W})")
_MACRON_LETTER_RE = re.compile("[āēīōūĀĒĪŌŪ]")
_MACRON_RE = re.compile(rf"(?<![\w'’-])(?i:from|in|at|to|near)[ \t]+(?P<place>[{UPPER}][{LOWER}]*[āēīōūĀĒĪŌŪ]"
                        rf"[{LOWER}]*|[ĀĒĪŌŪ][{LOWER}]+)(?![\w'’-])")


def _place_word(word: str) -> bool:
    """One capitalised word that can be an unlisted town: no common, English-shaped, country or hospital word."""
    return (word not in _NOT_PLACES and word.lower() not in lexicon.common_words() and not english_looking(word)
            and word not in lexicon.COUNTRIES and len(word) > 3)


def find_postal_places(text: str) -> list[Cand]:
    """LOCATION candidates (a postcode is a LOCATION too) of the shapes in the module docstring."""
    def has(*words: str) -> bool:  # cheap tests before the patterns that start anywhere
        return any(w in text for w in words)

    out = [Cand(m.start(), m.end(), "LOCATION", "place-india", 66) for m in _INDIA_RE.finditer(text)] if has(
        "Vill", "Teh", "Tal.", "Taluk", "Dist", "Mandal") else []
    if re.search(r"\d{5}", text):
        out += [Cand(m.start(), m.end(), "LOCATION", "street-de", 66) for m in _DE_STREET_RE.finditer(text)]
        for m in _DE_TOWN_RE.finditer(text):
            out += [Cand(m.start("zip"), m.end("zip"), "LOCATION", "zip-de", 66),
                    Cand(m.start("town"), m.end("town"), "LOCATION", "town-de", 66)]
    for m in _ZA_RE.finditer(text) if re.search(r"\d{4}", text) else ():
        out += [Cand(p.start(), p.end(), "LOCATION", "place-za", 60)
                for p in _PART_RE.finditer(text, m.start("parts"), m.end("parts"))]
        out.append(Cand(m.start("code"), m.end("code"), "LOCATION", "zip-za", 66))
    for m in _ADDRESS_RE.finditer(text) if has("ddress", "DDRESS") else ():
        if all(w.lower() not in lexicon.common_words() for w in m.group("place").split()):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "address-place", 60))
    places = lexicon.towns() | frozenset(lexicon.cities())
    if has(" House", " Lodge", " Grange", " Manor", " Court", " Hall", " Gardens", " View"):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "care-home", 60) for m in _HOUSE_RE.finditer(text)
                if m.group("town") in places or m.group("town").split()[0] in places]
    if has("Jalan", "Jln", "Lorong", "Persiaran"):
        out += [Cand(m.start(), m.end(), "LOCATION", "street-my", 62) for m in _JALAN_RE.finditer(text)]
    for rx, cue in ((_MOUNTAIN_RE, has("Ben ", "Beinn", "Mount", "Mt", "Slieve", "Sgurr", "Carn")),
                    (_MACRON_RE, _MACRON_LETTER_RE.search(text) is not None)):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "place-mountain-macron", 58)
                for m in (rx.finditer(text) if cue else ())]
    for m in _IN_WORD_RE.finditer(text):
        if _place_word(m.group("place")) and _LIFE_BEFORE_RE.search(text, max(0, m.start() - 60), m.start()):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "life-in", 58))
    for m in _TITLE_NAME_IN_RE.finditer(text) if " in " in text else ():
        if _place_word(m.group("place")):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "life-in", 58))
    return out
