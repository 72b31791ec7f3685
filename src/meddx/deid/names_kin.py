"""Unlisted names after an infant's or a client's word (de-id round 21b): "baby Anahit feeding 2-3 hourly",
"newborn Tenzing Dolkar born at 39 weeks", "client Tegwen (16) from Llanrhaeadr", "service user Dagur, 17,".

The relation rule (``names``) takes any name-shaped word after a family word ("son Dagur", "grandson Kaito",
"godson Dagur"), because only a person follows one. "baby", "infant", "client" and "patient" are also
followed by products and services ("baby Calpol", "Infant Gaviscon", "baby Aptamil", "patient Advice and
Liaison Service"), so here the words (one or two) need what only a person has after them:

- an age in brackets or between commas, a date of birth or "aged" ("client Tegwen (16)", "pupil Dagur, 15,");
- after an infant's word, what a baby does ("feeding", "settled", "born", "weighed", "jaundiced").

Each word must still pass ``cap_name_ok`` and be no common, family, role or service word (``names_objects``),
no listed brand and no word spelt with a medicine's stem (``overscrub_products``). A person's verb after
"patient"/"client" ("patient Begoña prefers") is ``names_objects``'s rule.
"""

from __future__ import annotations

import re

from meddx.deid.names import TOKEN, is_eponym_use
from meddx.deid.names_objects import _person_word as person_word
from meddx.deid.overscrub_products import brand_word
from meddx.deid.patterns import Cand

_INFANT = r"baby|infant|newborn|neonate|toddler|triplet"
_CLIENT = r"client|service[ \t]+user|patient|pt|resident|pupil|student"
CUE_RE = re.compile(rf"(?<![\w'’-])(?:(?P<infant>(?i:{_INFANT}))|(?i:{_CLIENT}))(?:[ \t]+(?i:boy|girl))?[ \t]+"
                    rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)(?![\w'’-])")
_AGE_UNIT = r"(?:y|yo|y/o|yrs?|years?|m|mo|mos|months?|w|wks?|weeks?|d|days?|[FM])"
# an age or a birth date after the name: "(16)", "(age 7)", "(8 months)", "(DOB 3/4/2012)", ", 15,", "aged 3"
_AGE_AFTER_RE = re.compile(rf"[ \t]*(?:\([ \t]*(?:(?i:aged?)[ \t]*)?\d{{1,2}}[ \t]*{_AGE_UNIT}?[ \t]*[),;]"
                           r"|\([ \t]*(?i:dob|d\.o\.b|born|nhs)"
                           rf"|,[ \t]*(?:(?i:aged?)[ \t]*)?\d{{1,2}}[ \t]*{_AGE_UNIT}?[ \t]*(?:[,;)]|$)"
                           r"|[ \t]+(?i:aged?)[ \t]+\d)")
# products named after "baby"/"infant" that the brand lists lack (formula milks, teething, colic and nappy products,
# infant doses of pain relief, carriers and toys): "baby Aptamil feeding", "Infant Motrin (2)"
_INFANT_PRODUCTS = frozenset("""Aptamil Cow Gate SMA Similac Enfamil Neocate Nutramigen Kendamil Hipp Infatrini Pepti
Alfamino Nutriprem Puramino Ready Calpol Nurofen Motrin Tylenol Advil Gaviscon Infacol Colief Dentinox Bonjela Anbesol
Ashton Sudocrem Metanium Bepanthen Drapolene Daktarin Nystan Abidec Dalivit Sytron Calogen Pampers Huggies Johnson
Moses Bjorn Einstein Grobag Tommee Tippee Medela Lansinoh Avent Oilatum Aveeno Cetraben Doublebase Diprobase""".split())
# what a baby does: no product is "feeding", "settled" or "born"
# or what a baby has: a weight, a gestation, a corrected age ("baby Koa 1.2 kg", "infant Maile 3100 g", round 23)
_INFANT_HAS_RE = re.compile(r"[ \t]*,?[ \t]*(?:\d{1,2}(?:\.\d{1,3})?[ \t]*(?i:kg|kilos?)|\d{3,4}[ \t]*(?i:g|grams?)"
                            r"|\d{1,2}[ \t]*(?i:lb|lbs)|\d{2}[ \t]*\+[ \t]*[0-6]\b|(?i:cga|corrected|gestation|ga)\b)(?![\w/])")
# a contact traced from a case of an infection, then what a contact has done ("household contact Sahra screened")
CONTACT_RE = re.compile(rf"(?<![\w'’-])(?i:household|close|family|school|work|casual|sexual|index)[ \t]+(?i:contacts?)"
                        rf"[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)(?![\w'’-])")
_CONTACT_DOES_RE = re.compile(r"[ \t]*(?:,[ \t]*)?(?:screened|tested|swabbed|vaccinated|attended|attends|to[ \t]+attend"
                              r"|declined|offered|notified|traced|informed|symptomatic|asymptomatic|negative|positive"
                              r"|well|given|started|needs|awaiting|booked|called|contacted|unwell|has|had|is|was)\b")
_INFANT_DOES_RE = re.compile(r"[ \t]+(?:feeding|feeds|fed|breastfeeding|breastfed|bottle-?fed|sleeping|sleeps|slept"
                             r"|crying|cries|cried|settled|settling|unsettled|thriving|latching|latched|gaining|weighs"
                             r"|weighed|weighing|born|delivered|jaundiced|teething|asleep|awake|alert|cooing|smiling"
                             r"|crawling)\b")


def find_kin_names(text: str) -> list[Cand]:
    """NAME candidates after an infant's or a client's word, with a person's evidence after them."""
    out: list[Cand] = []
    for m in CUE_RE.finditer(text):
        words = list(re.finditer(r"\S+", m.group("name")))
        if not person_word(words[0].group()):
            continue
        if len(words) == 2 and not person_word(words[1].group()):
            words = words[:1]  # "baby Anahit Feeding": the first word alone
        end = m.start("name") + words[-1].end()
        if any(brand_word(w.group()) or w.group() in _INFANT_PRODUCTS for w in words) or is_eponym_use(text, end):
            continue
        if _AGE_AFTER_RE.match(text, end) or (m.group("infant") and (_INFANT_DOES_RE.match(text, end)
                                                                     or _INFANT_HAS_RE.match(text, end))):
            out.append(Cand(m.start("name"), end, "NAME", "relation", 55))
    for m in CONTACT_RE.finditer(text) if "ontact" in text else ():
        words = [w for w in re.finditer(r"\S+", m.group("name"))]
        if len(words) == 2 and not person_word(words[1].group()):
            words = words[:1]
        end = m.start("name") + words[-1].end()
        if all(person_word(w.group()) and not brand_word(w.group()) for w in words) \
                and (_CONTACT_DOES_RE.match(text, end) or _AGE_AFTER_RE.match(text, end)):
            out.append(Cand(m.start("name"), end, "NAME", "relation", 55))
    return out
