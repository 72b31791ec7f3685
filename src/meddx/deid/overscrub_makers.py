"""Products taken for names and shops taken for places (de-id round 24).

Round 23 left a maker's and a model's name flagged after a heading or a numbered bed ("Garmin Venu", "Vicks
Sinex", "Coloplast Brava") and a shop flagged as a place ("collapsed at Lidl"); round 24's held-out lines added
"Physio: Zimmer Frame indoors" (a name after a label) and "Sister McGlinchey, Mepilex applied" (a surname and a
"first name" after its comma). Dropped here, after every rule has run:

- a NAME of two words whose last names a kind of thing (``product_words.kind_word``: "Zimmer Frame", "Apple Watch"), or
  that a device's noun follows in lower case ("Passy Muir valve", "Tunstall Lifeline pendant", "Coloplast Brava
  ring"), unless one of its words is a listed first name or a title comes first ("Sister Grace Walker frame");
- a NAME whose first word is a maker of devices or of household medicines (``MAKERS``: "Garmin Venu", "Vicks
  Sinex", "Medtronic Azure"), unless it is also a listed name;
- the tail of a NAME after a comma when a verb of care follows it ("McGlinchey, Mepilex applied": the dressing
  applied, not her first name);
- a LOCATION that is only a shop chain's name ("at Lidl", "shops at Aldi"): a chain names no place; its branch's
  town is found apart ("Lidl, Brynamman").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import is_eponym_use
from meddx.deid.patterns import Cand
from meddx.deid.product_words import kind_word

# makers whose name opens a product's name in notes (written by hand from devices, monitors and household
# medicines that notes name; none is a listed name)
# (words that are also given names or surnames, "Baxter", "Fisher", "Roche", "Alexa", are left out)
MAKERS = frozenset("""Garmin Fitbit Withings Omron Coloplast Convatec ConvaTec Hollister Tunstall Medtronic ResMed
Resmed Philips Abbott Dexcom Medtrum Insulet Ypsomed Vicks Olbas Karvol Calpol Teleflex Invacare Permobil Arjo
ArjoHuntleigh Huntleigh Zimmer Biomet Oticon Phonak Widex Signia Cochlear Fresenius Omnipod Freestyle Libre Samsung
Huawei Xiaomi Suunto Kinesio Mepilex Allevyn Aquacel Tegaderm Opsite Duoderm""".split())
# (not "ring", "watch", "monitor", "band": "Jane Hart ring back", "Tom Ure band 6")
_DEVICE_AFTER_RE = re.compile(r"[ \t]+(?:valve|pendant|alarm|pump|sensor|mattress|cushion|spray|pacemaker|inhaler"
                              r"|device|app|machine|mask|boot|splint|brace|collar|frame|hoist|dressing|pouch|wafer"
                              r"|flange|catheter|stockings?|meter|strips|tracker|implant|kit|tape|gel|cream"
                              r"|capsules|tablets)\b")
_CARE_AFTER_RE = re.compile(r"[ \t]+(?:applied|given|started|fitted|used|continued|stopped|changed|removed|renewed"
                            r"|prescribed|dispensed|ordered|supplied|in[ \t]+situ)\b")
_COMMA_TAIL_RE = re.compile(r",[ \t]*\S+$")
# a title right before says it is a person ("Sister Grace Walker frame"); a heading's word does not ("Physio: Zimmer")
_TITLE_BEFORE_RE = re.compile(r"(?<![\w.])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sister|Sr|Nurse|Rev|Fr)\.?[ \t]+$")


def drop_maker_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without the products and shops of the module docstring (a NAME's comma tail trimmed)."""
    from meddx.deid.places_travel import _CHAIN_WORD_RE

    out: list[Cand] = []
    for c in cands:
        value = text[c.start:c.end]
        if c.type == "LOCATION" and _CHAIN_WORD_RE.fullmatch(value):
            continue
        if c.type == "NAME":
            tail = _COMMA_TAIL_RE.search(value)
            # (round 25: "Dr Iqbal, Whipple resection": an eponymous operation after the comma, not a first name)
            if tail and (_CARE_AFTER_RE.match(text, c.end) or is_eponym_use(text, c.end)):
                c = Cand(c.start, c.start + tail.start(), c.type, c.rule, c.priority)
                value = text[c.start:c.end]
            if _product(text, value, c.end) and not c.rule.startswith("world") \
                    and not _TITLE_BEFORE_RE.search(text, max(0, c.start - 12), c.start):  # ("Ng Wai Man": a name)
                continue
        out.append(c)
    return out


def _product(text: str, value: str, end: int) -> bool:
    """``value`` (a NAME ending at ``end``) is a product's name (see the module docstring)."""
    words = value.split()
    if len(words) < 2 or any(w in lexicon.first_names() or w in lexicon.AMBIGUOUS for w in words):
        return False
    listed = words[0] in lexicon.surnames()
    return (len(words) == 2 and kind_word(words[-1])
            or _DEVICE_AFTER_RE.match(text, end) is not None
            or words[0] in MAKERS and not listed)
