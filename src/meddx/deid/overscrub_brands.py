"""Two over-scrubs of things named like people or places (de-id round 18):

- a medicine brand with no cue but a verb of care ("Mum brought Seretide in", "brought Symbicort in"): a single
  unlisted word that ends in a stem of the WHO's international non-proprietary names or of a brand built on one
  ("-cort", "-tide", "-olol", "-pril", "-sartan", "-statin", "-mab", "-azole", ...) is a medicine, not a person,
  unless a title stands before it ("Mr Seretide" stays a name); listed first names and surnames are never dropped;
  round 19: a listed brand a patient carries whose name has no such stem (inhalers, insulins, glucose sensors:
  ``BRANDS_IN_HAND``, "brought Fostair in", "brought Dexcom in"); round 20: biologics and injected brands ("brought
  Zinplava in") and interpreting services named like people ("interpreter Language Line");
- a city that names a test, a company or a device ("Boston Naming Test", "Boston Scientific", "Boston brace"):
  a LOCATION found only by the city list is dropped when the words after it make it a tool's or a firm's name;
- "John" right after "St" ("transport by St John"): the ambulance charity, not a person; a family word after a
  label ("seen with Nan") is a grandmother, not a name.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TITLE_RE
from meddx.deid.patterns import Cand

_DRUG_STEM_RE = re.compile(
    r"(?:cort|tide|olol|pril|sartan|statin|vastatin|mab|tinib|ciclib|vir|floxacin|cillin|mycin|micin|azole|prazole"
    r"|dipine|azepam|zolam|oxetine|profen|fenac|parin|terol|olone|asone|formin|gliptin|gliflozin|glitazone|tidine"
    r"|setron|triptan|pramine|peridol|apine|lukast|tropium|afil|cycline|gatran|xaban|thiazide|semide|dronate)$")
# brands a patient carries and brings in whose names have no medicine's stem: inhalers, insulins, glucose sensors
# and pumps, spacers (round 19: "brought Fostair in" was taken as a person)
BRANDS_IN_HAND = frozenset("""Fostair Flutiform Relvar Trimbow Trelegy Spiriva Anoro Incruse Duoresp Clenil Qvar
Atrovent Bricanyl Salamol Airomir Easyhaler Pulmicort Alvesco Braltus Ultibro Seebri Eklira Duaklir Spiolto Bevespi
Breo Advair Flovent Dulera Asmanex ProAir Combivent Stiolto Breztri Arnuity Tudorza Striverdi Aerochamber Volumatic
Novorapid NovoRapid Humalog Lantus Levemir Tresiba Toujeo Abasaglar Humulin Fiasp Lyumjev Apidra Insulatard Mixtard Novomix
NovoMix Dexcom Omnipod Medtrum Freestyle FreeStyle Accu-Chek Contour Tandem Ypsomed Byetta Trulicity Victoza
Ozempic Mounjaro Wegovy Saxenda Emerade Jext
Zinplava Humira Enbrel Stelara Cimzia Simponi Dupixent Xolair Nucala Fasenra Prolia Forteo Aimovig Emgality Ajovy
EpiPen Epipen Anapen Kineret Entyvio Remicade Inflectra Benepali Amgevita Hulio Imraldi Idacio Ocrevus Tysabri Copaxone
Avonex Rebif Kesimpta Hemlibra Advate Elocta Refixia Genotropin Norditropin Omnitrope Saizen Humatrope Zomacton Creon
Kaftrio Orkambi Symkevi Kalydeco Trikafta Buvidal Espranor Nexplanon Mirena Oramorph Zomorph Oxynorm""".split())
# round 20: biologics and other brands a patient brings or has given to them ("brought Zinplava in")
# interpreting and signing services named like people ("interpreter Language Line", "via Big Word")
_SERVICES = frozenset(("Language Line", "LanguageLine", "Big Word", "Bigword", "DA Languages", "Pearl Linguistics",
                       "Sign Solutions", "Sign Live", "SignLive", "Lingoing", "Clear Voice", "Word360"))
_FAMILY_WORDS = frozenset("Nan Nana Nanny Gran Granny Grandma Grandad Grandpa Mum Mom Mam Dad Auntie".split())
_ST_BEFORE_RE = re.compile(r"(?<![\w.])St\.?[ \t]+\Z")
_TITLE_BEFORE_RE = re.compile(TITLE_RE.pattern + r"\Z")
# what follows a city in the name of a test, a device or a company: "Boston Naming Test", "Boston Scientific"
_TOOL_AFTER_RE = re.compile(r"[ \t]+(?:[A-Z][a-z]+[ \t]+){0,2}(?:Scientific|Test|Naming|Criteria|Classification"
                            r"|Questionnaire|Inventory|Protocol|Brace|Splint|Technique|Manoeuvre|Maneuver|Dynamics"
                            r"|Medical|Pharmaceuticals?|Biosciences?|Instruments?|Factor)\b")  # "Bradford Factor" (round 20)


def is_drug_word(word: str) -> bool:
    """``word`` ends in a medicine's stem and is no listed name ("Seretide", "Symbicort")."""
    return (len(word) > 5 and _DRUG_STEM_RE.search(word.lower()) is not None
            and word not in lexicon.first_names() and word not in lexicon.surnames())


def drop_brand_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without the NAME and LOCATION candidates of the module docstring."""
    out: list[Cand] = []
    for c in cands:
        value = text[c.start:c.end]
        if c.type == "NAME" and " " not in value and (is_drug_word(value) or value in BRANDS_IN_HAND) \
                and _TITLE_BEFORE_RE.search(text, max(0, c.start - 20), c.start) is None:
            continue
        if c.type == "NAME" and value in _SERVICES:
            continue
        if c.type == "LOCATION" and c.rule == "city-list" and _TOOL_AFTER_RE.match(text, c.end):
            continue
        if c.type == "NAME" and c.rule == "label" and value in _FAMILY_WORDS:
            continue  # "seen with Nan": a grandmother, not a person's name
        if c.type == "NAME" and value == "John" and _ST_BEFORE_RE.search(text, max(0, c.start - 6), c.start):
            continue  # "transport by St John": the ambulance charity (a saint's place, "St John's", likewise)
        out.append(c)
    return out
