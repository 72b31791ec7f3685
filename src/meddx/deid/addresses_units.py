"""Address pieces the fourteenth round's fresh lines showed missing (de-id round 15):

- a street named ``Way`` after "on"/"off" ("Kroger on Lincoln Way"): ``locations.ON_STREET_RE`` leaves ``Way`` to a
  residence word ("lives on Lincoln Way") because of "on the way"; capitalised words before it are a street;
- a rural route's number without a box ("Rural Route 3", "Star Route 12", "RR #4"): the street rule took "Rural
  Route" and left the number, which with the town names the farm;
- a unit after the town ("300 N Lake Shore Dr, Chicago, Apt 12F", "2207 Elm Ave, Duluth, Unit 6"): a flat or unit
  number is part of the address wherever it stands; ``Apt 4C`` alone is always an address, a ``Unit``, ``Suite`` or
  ``Flat`` only after a town that follows a house number on the same line ("ICU Unit 6", "Endoscopy Suite 2" stay);
- a two-word place made of common words after a local service's "in" ("GP practice in Seven Kings", "surgery in
  Bishops Stortford"): ``addresses_more.FROM_IN_RE`` refuses common words, but a GP practice, surgery or pharmacy
  is in a place, so only the words of a service or a care setting are refused there ("practice in Primary Care");
- a lot or pitch number before a mobile-home or caravan park ("Lot 22, Shady Pines Mobile Home Park").
"""

from __future__ import annotations

import re

from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_WORD = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
ON_WAY_RE = re.compile(rf"(?<![\w'’-])(?:on|off)[ \t]+(?P<addr>(?!The\b){_WORD}(?:[ \t]+{_WORD}){{0,2}}[ \t]+Way)"
                       r"(?![\w'’-])")
RURAL_ROUTE_RE = re.compile(r"(?<![\w-])(?P<addr>(?:[Rr]ural|RURAL|[Ss]tar|STAR)[ \t]+(?:[Rr]oute|ROUTE|Rte\.?)[ \t]*#?"
                            r"[ \t]*\d{1,4}|R\.?R\.?[ \t]*#[ \t]*\d{1,4})(?![\w/-])")
APT_RE = re.compile(r"(?<![\w-])(?P<unit>(?:Apt|APT|Apartment)\.?[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?)(?![\w/-])")
# ", Duluth, Unit 6": a unit word and a number right after a capitalised town and its comma
UNIT_AFTER_TOWN_RE = re.compile(rf"(?<![\w'’-]){_WORD},[ \t]*(?P<unit>(?:Unit|UNIT|Suite|Ste|Flat|Apt|Apartment)\.?"
                                r"[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?)(?![\w/-])")
_HOUSE_NUMBER_RE = re.compile(r"(?<![\w/.-])\d{1,6}[A-Za-z]?[ \t]+[A-Z]")
SERVICE_IN_RE = re.compile(rf"(?i:\b(?:GP|practice|surgery|pharmacy|chemist)[ \t]+in)[ \t]+(?P<place>{_WORD}[ \t]+{_WORD})"
                           r"(?=[ \t]*(?:[,.;:)]|\r?\n|$)|[ \t]+(?:has|have|had|is|was|and|but|who|which|where|for|since|sent|wrote"
                           r"|rang|[a-z]+ed)\b)")
LOT_BEFORE_PARK_RE = re.compile(rf"(?<![\w-])(?P<lot>(?:Lot|Space|Site|Pitch|Plot)[ \t]*#?[ \t]*\d{{1,4}}[A-Za-z]?),[ \t]*"
                                rf"(?:{_WORD}[ \t]+){{1,4}}(?:Mobile[ \t]+Home[ \t]+Park|Trailer[ \t]+Park|RV[ \t]+Park"
                                r"|Caravan[ \t]+Park|Holiday[ \t]+Park|Park[ \t]+Homes)\b")
# the words of a service or a care setting, never the place a practice is in
SERVICE_WORDS = frozenset("""primary secondary tertiary care practice practices medicine medical general family health
community surgery surgical nursing hospital clinic clinics network partnership group service services team trust
board unit centre center out hours ooh urgent emergency private nhs mental the""".split())


def find_unit_addresses(text: str) -> list[Cand]:
    """LOCATION candidates for the shapes above."""
    out = [Cand(m.start("addr"), m.end("addr"), "LOCATION", "street-on", 60) for m in ON_WAY_RE.finditer(text)]
    out += [Cand(m.start("addr"), m.end("addr"), "LOCATION", "rural-route", 63) for m in RURAL_ROUTE_RE.finditer(text)]
    out += [Cand(m.start("unit"), m.end("unit"), "LOCATION", "unit", 61) for m in APT_RE.finditer(text)]
    for m in UNIT_AFTER_TOWN_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _HOUSE_NUMBER_RE.search(text, max(line_start, m.start() - 80), m.start()):
            out.append(Cand(m.start("unit"), m.end("unit"), "LOCATION", "unit", 61))
    out += [Cand(m.start("lot"), m.end("lot"), "LOCATION", "unit", 61) for m in LOT_BEFORE_PARK_RE.finditer(text)]
    for m in SERVICE_IN_RE.finditer(text):
        if not any(w.lower() in SERVICE_WORDS for w in m.group("place").split()):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "place-from", 52))
    return out
