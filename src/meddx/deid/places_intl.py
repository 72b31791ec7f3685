"""Places named the way other countries' or services' notes name them (de-id round 17):

- a Philippine barangay ("Brgy. San Isidro", "Barangay Poblacion"), the smallest unit of an address there;
- a Welsh hospital ("Ysbyty Gwynedd", "Ysbyty Glan Clwyd"): "Ysbyty" is Welsh for hospital, so the words after
  it name the hospital and its town (only "Gwynedd", a county, was found before);
- a unit on an industrial estate or business park ("Unit 4, Riverside Industrial Estate"), an ambulance crew's
  pick-up address: the unit, its number and the estate's name;
- a shop's branch after its chain ("at Tesco Extra, Cheetham Hill", "outside Asda, Palmers Green"): chains name
  their branches by district, so two capitalised words after the chain and a comma, the first no word and the
  second no word or a district's word ("Hill", "Green"), are a place (the chain itself names no place and is kept;
  one word alone may be a product, "Boots, Paracetamol", and is found only when it is a listed town).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, english_looking
from meddx.deid.patterns import Cand

_CAP = r"[A-Z][\w'’-]+"
_BARANGAY_RE = re.compile(rf"\b(?:Brgy\.?|Bgy\.?|Barangay)[ \t]+(?:{_CAP}|\d+)(?:[ \t]+(?:{_CAP}|\d+)){{0,2}}")
_YSBYTY_RE = re.compile(rf"\bYsbyty[ \t]+{_CAP}(?:[ \t]+(?:{_CAP}|ap|y|yr)){{0,2}}")
_ESTATE_RE = re.compile(rf"\b(?:Units?|Plot)[ \t]+\d+[A-Z]?,?[ \t]+(?:{_CAP}[ \t]+){{1,3}}"
                        r"(?:Industrial|Trading|Business|Retail|Enterprise)[ \t]+(?:Estate|Park|Centre|Center)\b")
_CHAINS = (r"Tesco(?:[ \t]+(?:Extra|Express|Metro))?|Asda|Sainsbury['’]s(?:[ \t]+Local)?|Morrisons|Lidl|Aldi"
           r"|Co-op|Iceland|Boots|Superdrug|Lloyds[ \t]+Pharmacy|Primark|Greggs|McDonald['’]s|Walmart|Target|Kroger")
_BRANCH_RE = re.compile(rf"(?<![\w'’-])(?:{_CHAINS}),[ \t]*(?P<place>{TOKEN}[ \t]+{TOKEN})(?=[ \t]*[;,.)]|[ \t]*$)",
                        re.M)
# the second word of a district's name that is also a word: "Cheetham Hill", "Kings Heath", "Palmers Green"
_DISTRICT_WORDS = frozenset("""Hill Heath Green Park Cross End Common Vale Bridge Town Village Gate Wood Moor Road
Street Lane Square Junction Place Market Marsh Fields Side Mill""".split())


def find_intl_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    out = [Cand(m.start(), m.end(), "LOCATION", "place-intl", 66)
           for rx in (_BARANGAY_RE, _YSBYTY_RE, _ESTATE_RE) for m in rx.finditer(text)]
    common = lexicon.common_words()
    for m in _BRANCH_RE.finditer(text):  # a district, not a product or a word ("Boots, Paracetamol")
        first, second = m.group("place").split()  # a district, not a product ("Boots, Paracetamol Tablets")
        if all(w.lower() not in common and not english_looking(w) for w in (first, second)) or (
                first.lower() not in common and not english_looking(first) and second in _DISTRICT_WORDS):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "shop-branch", 62))
    return out
