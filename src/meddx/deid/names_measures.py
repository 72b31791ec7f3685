"""A name right before a body measurement, and a name's post-nominal letters (de-id round 18).

- "Dietitian: Mei Lin Chua BMI 17.2", "Community paeds: Ayomide weight 9.8 kg", "Academy; Tyrese BMI 91st centile":
  one to three name words at a line start, after a heading's colon or after a semicolon, then ``BMI``, ``weight``,
  ``height``, ``OFC`` or ``head circumference`` and a number. Each word must be a person's word
  (``names_objects._person_word``: not common, not English-shaped, no drug, service or family word), so
  "Admission weight 70 kg", "Booking BMI 31", "Dry weight 68 kg" and "Birth weight 3.2 kg" stay.
- "Mr Oluwadamilare Ogunbiyi FRCS": the letters after a name (``FRCS``, ``MRCP``, ``PhD``) say what the person
  is, not who; a NAME that ends in them is cut before them (the letters are kept in the text).
"""

from __future__ import annotations

import re

from meddx.deid.names import TOKEN
from meddx.deid.patterns import Cand

_MEASURE_RE = re.compile(
    rf"(?:^|(?<=[:;])|(?<=\n))[ \t]*(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})[ \t]+"
    r"(?:BMI|(?i:weight|wt|height|ht|OFC|head[ \t]+circumference))[ \t]*(?:is[ \t]+|of[ \t]+|[:=][ \t]*)?\d", re.M)
# what a body is measured at, written before the measure ("Admission weight", "Pre-op BMI"): no person
_MEASURE_NOUNS = frozenset("""Admission Booking Birth Discharge Baseline Current Usual Ideal Target Dry Estimated
Predicted Adjusted Corrected Pre-op Post-op Preop Postop Paediatric Pediatric Maternal Fetal Foetal Infant Child Adult
Patient Pt Body Lean Total Wet Last Previous Today Weekly Daily Monthly""".split())

POST_NOMINALS = frozenset("""FRCS FRCP FRCPath FRCA FRCR FRCOG FRCPsych FRCPCH FRCEM FRCGP FRACP FRACS FRCPC FRCSC
FACS FACP FACC MRCP MRCS MRCGP MRCPsych MRCOG MRCPCH MBBS MBChB MB BChir BCh MD PhD DPhil MSc BSc MA MPH MBA DM FFA
FCEM FCPS FCS FWACS FWACP RN RGN RMN RSCN RM BDS MDS FDS DDS DMD OBE MBE CBE KBE DBE FRS QC KC PharmD DPT FNP NP PA
PA-C CNM CRNA LCSW MSW DO""".split())


def find_measure_names(text: str) -> list[Cand]:
    """NAME candidates before a measurement (see the module docstring)."""
    from meddx.deid.names_objects import _person_word

    if not any(w in text for w in ("BMI", "eight", "OFC", "circumference", "wt", "ht")):
        return []
    out: list[Cand] = []
    for m in _MEASURE_RE.finditer(text):
        words = m.group("name").split()
        if all(_person_word(w) and w not in _MEASURE_NOUNS and not w.isupper() for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "name-measure", 55))
    return out


def trim_post_nominals(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` with every NAME's trailing post-nominal letters cut off ("Ogunbiyi FRCS" -> "Ogunbiyi")."""
    out: list[Cand] = []
    for c in cands:
        if c.type == "NAME" and " " in text[c.start:c.end].strip():
            end = c.end
            while True:
                m = re.search(r",?[ \t]+(?P<word>\S+)\Z", text[c.start:end])
                if m is None or m.group("word").rstrip(".,") not in POST_NOMINALS:
                    break
                end = c.start + m.start()
            if end > c.start and end != c.end:
                c = Cand(c.start, end, c.type, c.rule, c.priority)
        out.append(c)
    return out
