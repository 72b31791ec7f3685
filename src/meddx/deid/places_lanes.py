"""Rural addresses with no house number (de-id round 21): a house name, a lane and a village.

An English or Welsh rural address is often written with no number and no postcode ("Rose Cottage, Back Lane, Great
Snoring"), and a lane's first word may be a common one ("Back", "Church", "Mill"), so the street rules, which need a
number or a listed street word after a residence verb, missed it (round 20 left "Back Lane" of "Holly Cottage, Back
Lane, Much Wenlock"). Found here:

- one or two capitalised words and a rural street or house word (``Lane``, ``Close``, ``Mews``, ``Cottage``,
  ``Farm``, ``Grange``, ``Barn``, ``Croft``, ...) after an address's cue (``at``, ``on``, ``lives at``, ``home,``,
  ``site at``, ``address``) or before a comma and another capitalised word ("Holly Farm, Coldharbour Lane");
- the village after such a part and a comma, when it ends the clause ("..., Back Lane, Great Snoring;"); a village's
  first word may be ``Great``, ``Little``, ``Much``, ``Nether``, ``Upper``, ...;
- a capitalised place after a place's preposition and before ``village hall``, ``village`` or ``camp`` ("at Little
  Snoring village hall", "from Dadaab camp"; "Boot camp" at a sentence's start stays), and a Welsh ``Llan-`` or
  Irish ``Bally-`` word, always a place ("from Llanrhaeadr").

A service named like a street stays: the part must not be followed by a facility word ("Rose Cottage Hospital" is
a facility rule's) and a clinical phrase in capitals has no address cue ("Keep Close" stays).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking
from meddx.deid.patterns import Cand

_CAP = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_RURAL = r"(?:Lane|Close|Mews|Cottages?|Farm|Grange|Barns?|Croft|Yard|Orchard|Paddock|Lodge)"  # not "Rise", "Row"
_PART_RE = re.compile(rf"(?<![\w'’-])(?P<part>{_CAP}(?:[ \t]{_CAP})?[ \t]{_RURAL})(?![\w'’-])")
_CUE_BEFORE_RE = re.compile(r"(?i:\b(?:at|on|off|lives[ \t]+at|living[ \t]+at|home|address|site[ \t]+at|moved[ \t]+to"
                            r"|c/o|of)[ \t]*[,:]?[ \t]*)$|,[ \t]*$")
_COMMA_CAP_RE = re.compile(rf"[ \t]*,[ \t]*{_CAP}")
_FACILITY_AFTER_RE = re.compile(r"[ \t]+(?:Hospital|Surgery|Practice|Clinic|Hospice|Care|Nursing|Medical|Health"
                                r"|Centre|Center|Unit|Ward)\b")
_VILLAGE_RE = re.compile(rf"[ \t]*,[ \t]*(?P<v>{_CAP}(?:[ \t]{_CAP}){{0,2}})"
                         rf"(?=[ \t]*(?:[;.)\n]|,[ \t]*[A-Z]{{1,2}}\d|$))")  # a clause's end or a postcode
_VILLAGE_FIRST = frozenset("Great Little Much Nether Upper Lower Long Old New East West North South Kings High Church"
                           " Castle Market Steeple Bishops Broad Child".split())
_STOP = frozenset("the a an and or of to at on in for with by from this that his her their our my your its no".split())
_BEFORE_VILLAGE_RE = re.compile(rf"(?i:\b(?:at|from|in|near|to|of))[ \t]+(?P<p>{_CAP}(?:[ \t]{_CAP})?)"
                                r"[ \t]+(?:village(?:[ \t]+hall)?|camp)\b")
_PREFIX_PLACE_RE = re.compile(rf"(?<![\w'’-])(?:Llan|Bally)[{LOWER}]{{3,}}(?:[ \t-]{_CAP})?(?![\w'’-])")


def find_rural_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes of the module docstring."""
    out: list[Cand] = []
    if any(w in text for w in ("Lane", "Close", "Mews", "Cottage", "Farm", "Grange", "Barn", "Croft", "Yard",
                               "Orchard", "Paddock", "Lodge")):
        out += _rural_parts(text)
    if "village" in text or "camp" in text:
        for m in _BEFORE_VILLAGE_RE.finditer(text):
            if _place_words(m.group("p").split()):
                out.append(Cand(m.start("p"), m.end("p"), "LOCATION", "village", 52))
    if "Llan" in text or "Bally" in text:
        out += [Cand(m.start(), m.end(), "LOCATION", "village", 52) for m in _PREFIX_PLACE_RE.finditer(text)]
    return out


def _rural_parts(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _PART_RE.finditer(text):
        start, end = m.start("part"), m.end("part")
        words = m.group("part").split()
        if _FACILITY_AFTER_RE.match(text, end) or words[0].lower() in _STOP:
            continue
        cued = _CUE_BEFORE_RE.search(text, max(0, start - 20), start) is not None
        if not (cued or _COMMA_CAP_RE.match(text, end)):
            continue
        out.append(Cand(start, end, "LOCATION", "rural-address", 55))
        pos = end
        for _ in range(2):  # "Rose Cottage, Back Lane, Great Snoring": the next part, then the village
            nxt = _PART_RE.match(text, _skip_comma(text, pos))
            if nxt is not None and _skip_comma(text, pos) != pos:
                out.append(Cand(nxt.start("part"), nxt.end("part"), "LOCATION", "rural-address", 55))
                pos = nxt.end("part")
                continue
            village = _VILLAGE_RE.match(text, pos)
            if village is not None and _place_words(village.group("v").split()):
                out.append(Cand(village.start("v"), village.end("v"), "LOCATION", "rural-address", 55))
            break
    return out


def _skip_comma(text: str, pos: int) -> int:
    m = re.compile(r"[ \t]*,[ \t]*").match(text, pos)
    return m.end() if m else pos


def _place_words(words: list[str]) -> bool:
    """Words that may name a village: each capitalised and neither a common word nor English-shaped, but for a
    village's first word and the word after it ("Great Snoring", "Little Snoring")."""
    common = lexicon.common_words()
    last = words[-1]
    return all(w in _VILLAGE_FIRST or (w.lower() not in common and w not in lexicon.AMBIGUOUS) for w in words) \
        and last.lower() not in common and (not english_looking(last) or len(words) > 1 and words[0] in _VILLAGE_FIRST)
