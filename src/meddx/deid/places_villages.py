"""Unlisted villages and towns with a weaker cue than an address (de-id round 22).

Round 21 left villages that no list holds and no address frames: "next bloods at Tadley.", "stood down from
Bellewstown.", "SW home visit, Kilmessan, Co. Meath", "daughter from Rhayader to attend". A list cannot hold every
village, but British and Irish place-names are built from a few parts, and the words around a place say where it is:

- one capitalised word after a place preposition (``at``, ``from``, ``in``, ``to``, ``near``, ``off``, ``outside``)
  that is built as a place-name: an English ending (``-ley``, ``-town``, ``-ton``, ``-ham``, ``-well``, ``-brook``,
  ``-bury``, ``-field``, ``-ford``, ``-wick``, ``-thorpe``...) or a Celtic beginning (``Kil-``, ``Bally-``, ``Llan-``,
  ``Aber-``, ``Inver-``, ``Porth-``, ``Glen-``, ``Strath-``, ``Cwm-``). Not a listed first name or surname ("from
  Bradley", "to Ashworth" can be people), not an English word of that shape ("to Support", "in Trolley"), not a
  medicine or a brand (``overscrub_products.product_word``), not before a value, a scale's or a thing's word, a
  capitalised word other than a weekday, or an apostrophe ("at Norton 12", "in Hamilton Depression", "from
  Compton scattering");
- one or two capitalised words before an Irish county with ``Co.``/``County`` or a listed county ("Kilmessan, Co.
  Meath", "Tregaron, Ceredigion"), when no word is a listed first name (a person's name and county: "Leonard
  Cheshire");
- one or two words after a relative's ``from`` ("daughter from Rhayader", "family from Thurso"), English-shaped
  words included; states, countries, hospital areas, brands and a brand's line words stay ("son from Australia",
  "daughter from School"); a carer or a friend comes from an agency or a firm as often, so not after them.

Hand-written like the other rules of ``meddx.deid`` (``detect`` says why); measured on the 2,888 abstracts and
rounds 13-22's sets (``docs/deid-notes.md``).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.overscrub_products import product_word
from meddx.deid.patterns import Cand
from meddx.deid.place_words import _proper_word

_W = rf"[{UPPER}][{LOWER}]+(?:-[{UPPER}]?[{LOWER}]+)*"
_PREP_RE = re.compile(rf"(?<![\w'’-])(?i:at|from|in|to|near|off|outside)[ \t]+(?P<place>{_W})(?![\w'’-]|\.\w)")
_SUFFIX_RE = re.compile(r"[a-z]{3,}(?:s?town|ton|ham|ley|leigh|well|worth|brook|bury|borough|brough|burgh|field|ford"
                        r"|wick|wich|thorpe|thwaite|minster|stow|stowe|hall|mouth|stead|hurst|combe|coombe|caster"
                        r"|chester|cester|bridge|church|haven|holme|dale|hythe)$")
_PREFIX_RE = re.compile(r"^(?:kil|bally|llan|aber|inver|auchter|auchen|porth|glen|strath|cwm|clon|knock|carrick"
                        r"|tulla|rath"
                        # Welsh and Scottish beginnings (round 23: "at Pentrefelin", "in Cowdenbeath" is -beath)
                        r"|pentre|pont|rhos|ystrad|caer|bryn|nant|dun|ard|kirk|loch)[a-z]{3,}")
# English words of a place-name's shape (the common-word list holds the frequent ones)
_NOT_PLACES = frozenset("""button cotton mutton carton baton piston proton photon crouton skeleton singleton newton
wanton trolley valley galley medley volley pulley alley parsley barley motley smiley kidney chimney journey
farewell stairwell unwell inkwell outwell goodwill wellbeing overall install stall downfall footfall rainfall
windfall pitfall landfall shortfall downstairs seaside lifestyle standby lullaby afford oxford bedford stanford
salisbury canterbury strawberry raspberry blueberry cranberry mulberry marlborough cambridge footbridge drawbridge
churchill hamilton hampton preston houghton dalton compton crichton clinton milton wilton carlton remington
washington worthington pennington bradley ashley stanley wesley beverley kimberley hayley riley shirley hartley
buckley oakley crowley whitley berkeley huxley lindley bentley dudley findley presley wembley downing""".split())
_BEFORE_THING_RE = re.compile(rf"(?:['’]|[ \t]*(?:\d|[:=(])|[ \t]+[{UPPER}](?!(?:on|ue|ed|hu|ri|at|un)[a-z]*day\b)"
                              r"|[ \t]+(?i:score|scale|criteria|classification|grade|stage|type|class|disease"
                              r"|syndrome|sign|test|scattering|effect|units?|equation|formula|method|model)\b)")
_COUNTY_AFTER_RE = re.compile(rf"(?<![\w'’-])(?P<place>{_W}(?:[ \t]+{_W})?),[ \t]*(?:(?:Co\.?|County)[ \t]+"
                              rf"(?:Down|Derry|Kerry|Cork|Clare|Mayo|Galway|Limerick|Waterford|Kilkenny|Wicklow|Meath"
                              rf"|Louth|Tyrone|Antrim|Armagh|Fermanagh|Donegal|Sligo|Offaly|Laois|Carlow|Cavan"
                              rf"|Monaghan|Longford|Westmeath|Roscommon|Leitrim|Tipperary|Wexford|Kildare|Dublin)"
                              rf"|Powys|Gwynedd|Ceredigion|Conwy|Anglesey|Pembrokeshire|Carmarthenshire)(?![\w'’-])")
_KIN_FROM_RE = re.compile(rf"(?<![\w'’-])(?i:daughters?|sons?|wife|husband|partner|brother|sister|mother|father|mum"
                          rf"|dad|niece|nephew|cousin|aunt|uncle|grandson|granddaughter|family|relatives"
                          rf")[ \t]+(?:(?i:is|are|was|were|coming|travelling|visiting|up|down)"
                          rf"[ \t]+)?from[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?)(?![\w'’-])")
# where a relative comes from that is no place: the hospital's areas, work, school
_NOT_FROM = frozenset("""Theatre Theatres Recovery Resus Majors Minors Ward Work Home School College University
Abroad Overseas Hospital Church Mosque Australia Zealand Wales America Britain Romania Lithuania Latvia Estonia
Sweden Norway Denmark Finland Iceland Netherlands Holland Belgium Austria Switzerland Hungary Bulgaria Albania Serbia
Croatia Bosnia Slovakia Slovenia Czechia Moldova Georgia Armenia Syria Lebanon Jordan Yemen Sudan Eritrea Uganda
Tanzania Rwanda Zimbabwe Zambia Malawi Congo Cameroon Senegal Gambia Morocco Algeria Tunisia Libya Afghanistan Nepal
Bhutan Myanmar Burma Thailand Cambodia Laos Malaysia Singapore Indonesia Taiwan Mongolia Kazakhstan Uzbekistan
Argentina Chile Bolivia Ecuador Venezuela Paraguay Uruguay Barbados Trinidad Tobago Guyana Kurdistan Palestine Qatar
Kuwait Oman Bahrain Emirates Dubai Cyprus Malta Sicily Europe Scandinavia Lanka Rica Arabia Salvador Leone Guinea
Kong Verde Faso Bissau Timor""".split())


def find_village_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in _PREP_RE.finditer(text):
        word = m.group("place")
        if _place_shaped(word, common) and not _BEFORE_THING_RE.match(text, m.end()) \
                and not product_word(text, word, m.end()):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "village", 52))
    for rx in (_COUNTY_AFTER_RE, _KIN_FROM_RE):
        for m in rx.finditer(text):
            words = m.group("place").split()
            if _proper_place(words, common):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "village", 52))
    return out


def _place_shaped(word: str, common: frozenset[str]) -> bool:
    low = word.lower()
    if low in common or low in _NOT_PLACES or word in lexicon.first_names() or word in lexicon.surnames():
        return False
    return _SUFFIX_RE.search(low) is not None or _PREFIX_RE.match(low) is not None


def _proper_place(words: list[str], common: frozenset[str]) -> bool:
    """Proper words that are no state, country, hospital area or first name."""
    from meddx.deid.names_headed import _PRODUCT_LINE
    from meddx.deid.overscrub_products import brand_word

    if any(w in lexicon.STATE_NAMES or w in lexicon.COUNTRIES or w in _NOT_FROM or w in lexicon.first_names()
           or w in lexicon.AMBIGUOUS or w in _PRODUCT_LINE or brand_word(w) for w in words):
        return False
    return all(_proper_word(w, common) for w in words)
