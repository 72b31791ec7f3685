"""Address pieces the street rules in ``locations`` miss (de-id round 14):

- a US house number with a compass letter and no street type ("Walgreens, 4410 N Broadway"): the letter
  between the number and a capitalised word is an address shape, so no suffix is needed;
- a month/day right after a street ("CVS on Grand Ave 10/30"): no date word precedes it, but a street is
  not a score or a ratio, so the fraction after it is the date of the visit;
- a house number and words after an address label ("Address 14 Ardán na Coille, Galway");
- an Eircode after its label or a place ("Eircode V31 X2N4", "Galway H91 E2K3"), a Canadian postal code after a
  town ("Moose Jaw S6H 4P9");
- a townland ("the townland of Knockanure");
- an unlisted town after a person's "from"/"in" ("is from Ennistymon", "GP surgery in Goodmayes"), guarded by
  the common words, the name lists and the clinical-term filter so "is from Crohn's" or "in Recovery" stay.

Hand-written rules like the rest of ``meddx.deid`` (``locations_intl`` says why no address parser is used).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.addresses_units import SERVICE_WORDS
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_WORD = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
# words after a number and a capital letter in chemistry, physics and microbiology, not a street: "1 N Saline",
# "20 N Force", "3 E Coli", "2 S Aureus"
_NOT_STREET = frozenset("""Saline Newton Newtons Force Normal Sodium Hydrochloric Acid Solution Coli Aureus Epidermidis
    Faecalis Faecium Pneumoniae Pyogenes Agalactiae Marcescens Typhi""".split())
DIR_STREET_RE = re.compile(rf"(?<![\w/.,+-])(?P<addr>\d{{1,5}}[A-Za-z]?[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\.?[ \t]+"
                           rf"(?P<name>{_WORD}(?:[ \t]+{_WORD})?))(?![\w'’-])")
_SUFFIX = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Boulevard|Blvd|Way|Highway|Hwy"
           r"|Parkway|Pkwy|Broadway|Terrace|Crescent|Close|Square|Sq)")
# "on Grand Ave 10/30": a month (1-12) / day (1-31) after a capitalised street name and its type
STREET_MD_RE = re.compile(rf"(?<![\w-]){_WORD}[ \t]+{_SUFFIX}\.?,?[ \t]+"
                          r"(?P<core>(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9]))"
                          r"(?![\d/]|\.\d|[ \t]*(?i:mm|cm\b|%|mg\b|kg\b|ml\b|units?\b))")
_EIR_SPACE = r"[ \t]?"
_EIR = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W)%s(?=[0-9AC-FHKNPRTV-Y]{0,3}\d)(?=[0-9]{0,3}[AC-FHKNPRTV-Y])[0-9AC-FHKNPRTV-Y]{4}"
_EIR_SPACED = _EIR % r"[ \t]"
_EIR = _EIR % _EIR_SPACE
# after its label, or after a capitalised place word and an optional comma ("Galway H91 E2K3")
# (with its space there: "and R3230AC cells" is a cell line)
EIRCODE_RE = re.compile(rf"(?:(?i:\beircode)[ \t]*:?[ \t]*(?P<code>{_EIR})|(?<![\w'’-])[{UPPER}][{LOWER}]+,?[ \t]+"
                        rf"(?P<spaced>{_EIR_SPACED}))(?![\w-])")
# after an address label, a house number and capitalised words up to a comma, with Irish and Welsh particles
# ("Address 14 Ardán na Coille, Galway"): the street even without a street type
LABEL_STREET_RE = re.compile(rf"(?i:\baddress)[ \t]*:?[ \t]*(?P<addr>\d{{1,5}}[A-Za-z]?[ \t]+{_WORD}"
                             rf"(?:[ \t]+(?:(?:na|an|ar|y|yr|de|la)[ \t]+)?{_WORD}){{0,3}})(?=[ \t]*,)")
# a Canadian postal code after a town with no province ("Moose Jaw S6H 4P9"); TNM staging ("T2N 0M0") is not one
CA_AFTER_TOWN_RE = re.compile(rf"(?<![\w'’-])[{UPPER}][{LOWER}]+,?[ \t]+(?P<code>(?!T\dN[ -]?\dM)"
                              r"[ABCEGHJ-NPRSTVXY]\d[A-Z][ -]\d[A-Z]\d)(?![\w-])")
TOWNLAND_RE = re.compile(rf"(?i:\btownland[ \t]+of)[ \t]+(?P<place>{_WORD}(?:[ \t]+{_WORD})?)(?![\w'’-])")
# a person's origin or a local service's place: "is from", "originally from", "grew up in", "GP surgery in" (not
# "reports were from Walshe in 1846": an author and a year)
FROM_IN_RE = re.compile(
    rf"(?i:\b(?:(?:is|was|comes?|came|originally|family|grew[ \t]+up|raised|born|relocated|emigrated)"
    rf"[ \t]+(?:from|in)|(?:surgery|practice|pharmacy|GP|school|church|mosque|temple)[ \t]+in))[ \t]+"
    rf"(?P<place>{_WORD}(?:[ \t]+{_WORD})?)(?=[ \t]*(?:[,.;:)]|\r?\n|$)|[ \t]+(?:and|but|with|where|since|for|who"
    rf"|until|before|after|in(?![ \t]+\d)|on|at|to|last|this|as|[a-z]+s|[a-z]+ed)\b)")


def find_more_addresses(text: str) -> list[Cand]:
    """LOCATION candidates for the shapes above, and a DATE for a month/day after a street."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in DIR_STREET_RE.finditer(text):
        words = m.group("name").split()
        if words[0] not in _NOT_STREET and not all(w.lower() in common for w in words):
            out.append(Cand(m.start("addr"), m.end("addr"), "LOCATION", "street-dir", 61))
    out += [Cand(m.start("core"), m.end("core"), "DATE", "date-after-street", 70) for m in STREET_MD_RE.finditer(text)]
    out += [Cand(m.start("code"), m.end("code"), "LOCATION", "zip", 60) for m in CA_AFTER_TOWN_RE.finditer(text)]
    for m in EIRCODE_RE.finditer(text):
        code = "code" if m.group("code") else "spaced"
        out.append(Cand(m.start(code), m.end(code), "LOCATION", "zip", 60))
    out += [Cand(m.start("addr"), m.end("addr"), "LOCATION", "street-label", 61)
            for m in LABEL_STREET_RE.finditer(text)]
    out += [Cand(m.start("place"), m.end("place"), "LOCATION", "townland", 53) for m in TOWNLAND_RE.finditer(text)]
    for m in FROM_IN_RE.finditer(text):
        words = m.group("place").split()
        # (not a service: "practice in Out Hours")
        if all(w.lower() not in common and w.lower() not in SERVICE_WORDS and not lexicon.is_listed(w) for w in words):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "place-from", 52))
    return out
