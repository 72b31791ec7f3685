"""Places after a verb of travel, a town after a shop's branch, Welsh two-word places (de-id round 23).

Round 22 left "disembarks at Rosslare", "pick up in Tregaron" and "Tesco Extra, Desborough"; its blind lines had
"flying from Stansted", "lands at Scrabster", "off flight from Tromsø", "lowered from Cwm Idwal". Each names a place
by the words around it, not by its spelling, so:

- one or two capitalised words after a verb or noun of travel and ``at``/``from``/``in``/``to``/``into``/``via``
  (``fly``, ``flight``, ``land``, ``disembark``, ``embark``, ``board``, ``sail``, ``ferry``, ``dock``, ``depart``,
  ``pick up``, ``drop off``, ``collected``): a port, an airport, a town. Not a hospital's area or a service
  ("collected from Pharmacy", "dropped off at Outpatients"), a weekday, a month, a common word, a first name, a
  kind of thing (``product_words``) or a brand; an English-shaped word is allowed ("Stansted");
- one or two capitalised words after a shop chain's branch and a comma ("Tesco Extra, Desborough", "Morrisons,
  Cowdenbeath"), the branch's town;
- a Welsh place word and a capitalised word after a place preposition ("from Cwm Idwal", "at Nant Gwynant",
  "near Pen y Fan").
"""

from __future__ import annotations

import calendar
import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking
from meddx.deid.overscrub_products import brand_word
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

_W = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_TRAVEL = (r"(?i:fly|flies|flying|flew|flown|flights?|land|lands|landed|landing|disembark(?:s|ed|ing)?"
           r"|embark(?:s|ed|ing)?|board(?:s|ed|ing)?|sail(?:s|ed|ing)?|ferry|ferried|dock(?:s|ed|ing)?|moored"
           r"|depart(?:s|ed|ing)?|pick(?:s|ed)?[ \t]+up|pick-?up|drop(?:s|ped)?[ \t]+off|drop-?off"
           r"|collected|collection|ashore|berth(?:ed)?|port|airport|layover|stopover|connecting)")
_TRAVEL_RE = re.compile(rf"(?<![\w'’-]){_TRAVEL}(?:[ \t]+(?:(?i:the|a)[ \t]+)?[a-z]+)?[ \t]+(?i:at|from|in|to|into|via)"
                        rf"[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?)"
                        r"(?=[ \t]*(?:[,;:.()]|\Z|\n)|[ \t]+(?:[a-z]|\d|[A-Z]{1,6}(?![\w'’-])))")
# round 24: a verb of rescue or arrival, up to two words, then the place ("winched from Glen Etive", "arrived via
# Calais", "taken by crew to Treliske"; "taken" only with "to": "taken from Medline" is a source); no English-shaped
# word unless after a landform's word, no number after
_RESCUE_RE = re.compile(r"(?<![\w'’-])(?i:winch(?:ed|ing)?|airlift(?:ed|ing)?|arriv(?:e|es|ed|ing|al)|evacuated|rescued"
                        r"|conveyed|taken(?=(?:[ \t]+[a-z]+){0,2}[ \t]+to\b)|travel(?:l?ed|l?ing|s)?)"
                        r"(?:[ \t]+[a-z]+){0,2}[ \t]+(?i:at|from|to|via)"
                        rf"[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?)(?=[ \t]*(?:[,;:.()]|\Z|\n)|[ \t]+[a-z])")
_LANDFORMS = frozenset("Glen Loch Lough Ben Strath Kyle Mount Port Cape Isle Lake".split())
_CHAINS = (r"Tesco|Asda|Sainsbury['’]?s|Morrisons|Lidl|Aldi|Co-?op|Waitrose|Iceland|Boots|Superdrug|Lloyds|Spar"
           r"|Costa|Greggs|McDonald['’]s|Argos|Primark|Wickes|Homebase|Halfords|Currys|Wetherspoons?|Kroger|Walmart"
           r"|Walgreens|Safeway|Costco|Publix|Meijer")
_CHAIN_RE = re.compile(rf"(?<![\w'’-])(?:{_CHAINS})(?:[ \t]+(?:Extra|Express|Superstore|Metro|Local|Pharmacy|Petrol"
                       r"|Store|Supercent(?:re|er)|Megastore|Food(?:[ \t]+Hall)?))?,[ \t]*"
                       rf"(?P<place>{_W}(?:[ \t]+{_W})?)(?=[ \t]*(?:[,;:.()]|\Z|\n)|[ \t]+(?:[a-z]|\d))")
_WELSH_RE = re.compile(rf"(?<![\w'’-])(?i:at|from|in|to|near|off|below|above|on)[ \t]+(?P<place>(?:Cwm|Nant|Pen|Pont|Coed"
                       rf"|Moel|Llyn|Ynys|Bwlch|Rhos|Dyffryn|Cefn|Mynydd|Pentre|Llan)"
                       rf"(?:[ \t]+(?:y|yr|y'r)[ \t]+|[ \t]+){_W})(?![\w'’-])")
_CHAIN_WORD_RE = re.compile(_CHAINS)
_GATE_RE = re.compile(r"(?i:fl[yie]|land|embark|board|sail|ferr|dock|moor|depart|pick|drop|collect|ashore|berth|port"
                      r"|layover|stopover|connecting|winch|airlift|arriv|evacuat|rescu|convey|taken|travel)")
_MONTHS_DAYS = frozenset(calendar.day_name) | frozenset(calendar.month_name[1:])
# the parts of a port, an airport or a station, which a number follows ("boarded at Gate 12", "to Terminal 5")
_PORT_PARTS = frozenset("""Gate Gates Terminal Platform Stand Pier Berth Dock Deck Quay Jetty Level Floor Exit Junction
Arrivals Departures Lounge Security Customs Immigration Baggage Check Carousel Slipway Marina Harbour Bay""".split())


def find_travel_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    if _GATE_RE.search(text):
        for m in _TRAVEL_RE.finditer(text):
            if all(_place_word(w) for w in m.group("place").split()):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "travel", 52))
        for m in _RESCUE_RE.finditer(text):
            words = m.group("place").split()
            if all(_place_word(w) and (not english_looking(w) or k > 0 and words[0] in _LANDFORMS)
                   for k, w in enumerate(words) if k > 0 or w not in _LANDFORMS):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "travel", 52))
    if "," in text:
        for m in _CHAIN_RE.finditer(text):
            if all(_place_word(w) for w in m.group("place").split()):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "shop-town", 52))
    for m in _WELSH_RE.finditer(text):
        words = m.group("place").split()
        if len(words) == 3 or _place_word(words[-1]):  # "Pen y Fan": the particle makes it a place
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "welsh-place", 54))
    return out


def _place_word(word: str) -> bool:
    """A capitalised word a place can be named by: no common word, hospital area, service, time, first name,
    kind of thing, brand or country (Safe Harbor keeps countries)."""
    from meddx.deid.names_objects import _NOT_PEOPLE
    from meddx.deid.places_sites import _NOT_SITES
    from meddx.deid.places_villages import _NOT_FROM

    low = word.lower()
    return not (low in lexicon.common_words() or word in _NOT_SITES or word in _NOT_FROM or word in _NOT_PEOPLE
                or word in _MONTHS_DAYS or word in _PORT_PARTS or word in lexicon.first_names() or word in lexicon.COUNTRIES
                or word in lexicon.STATE_NAMES or word in lexicon.AMBIGUOUS or kind_word(word) or brand_word(word)
                or word.isupper() or _CHAIN_WORD_RE.fullmatch(word) is not None
                or (word not in lexicon.towns() and any(p in lexicon.surnames() for p in word.split("-"))))
    # (a surname, or an eponym's pair with one, is no place after a verb: "departed from Hardy-Weinberg")
