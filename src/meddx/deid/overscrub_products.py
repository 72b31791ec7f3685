"""Three over-scrubs of things named like people (de-id round 21):

- a medicine after a name: a name does not grow over, and an unknown-word pair does not end in, a word that is a
  listed brand, spelt with a medicine's stem, or followed by a dose, a cycle or a class ("Jin-woo Choi Keytruda
  cycle 4", "Juhani Väisänen Keytruda", "Fetu Tuilagi Shiley 6", "Vardan Ghukasyan Norwood V");
- a herbal product named in pinyin or in English ("Ma Huang", "Dong Quai", "Huang Qi", "Saw Palmetto"): the
  pinyin words are often a Chinese surname and a given syllable, so ``names_world`` and the lists take them; a
  listed herb is no person unless a title stands before it ("Mr Huang Qi" stays a name);
- a clinic, review or service named for a condition that is also a surname ("Burns review", "Falls clinic",
  "Burns unit"): the condition word before a service word is no person unless a title or a label stands before
  it ("Mr Burns review in 2 weeks" stays).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TITLE_RE
from meddx.deid.overscrub_brands import BRANDS_IN_HAND, is_drug_word
from meddx.deid.patterns import Cand

# brands given in hospital rather than carried (oncology, anticoagulants, cardiology, diabetes tablets)
_HOSPITAL_BRANDS = frozenset("""Keytruda Opdivo Yervoy Tecentriq Imfinzi Bavencio Libtayo Herceptin Perjeta Kadcyla
Avastin Erbitux Vectibix Rituxan MabThera Truxima Revlimid Velcade Darzalex Kyprolis Ibrance Kisqali Verzenio Tagrisso
Lynparza Xtandi Zytiga Erleada Nubeqa Enhertu Trodelvy Padcev Blincyto Kymriah Yescarta Imbruvica Calquence Venclexta
Eliquis Xarelto Pradaxa Lixiana Coumadin Entresto Jardiance Forxiga Invokana Januvia Galvus Trajenta Brilique
Plavix Prolia Aclasta Monofer Ferinject Venofer Cosmofer Neulasta Aranesp Eprex Mircera Retacrit Zoladex Prostap
Decapeptyl Sustanon Nebido Testogel Elvanse Concerta Ritalin Strattera Champix Nicorette Regaine Invisalign""".split())
# what follows a medicine or a device in a note, not a surname: a dose, a cycle, a class, a course's word, a count of
# repeats ("Piripi Waaka Epley x2", "Semont x1": a manoeuvre done twice, round 23)
_PRODUCT_AFTER_RE = re.compile(r"[ \t]+(?:\d|[IV]{1,3}\b|[A-D]\b|[x×][ \t]?\d{1,2}\b|(?i:cycles?|doses?|infusions?|injections?|tablets?"
                               r"|capsules?|mg|mcg|units|pen|size|sizes|paused|started|stopped|held|on[ \t]+hold"
                               r"|restarted|weekly|daily|nocte|tds|bd|od|qds|prn)\b)")


def brand_word(word: str) -> bool:
    """``word`` is a listed brand or spelt with a medicine's stem, and no listed name."""
    if word in lexicon.first_names() or word in lexicon.surnames():
        return False
    return word in _HOSPITAL_BRANDS or word in BRANDS_IN_HAND or is_drug_word(word)


def product_word(text: str, word: str, end: int) -> bool:
    """``word`` (ending at ``end``) names a medicine or a device, not a third word of a name before it."""
    if word in lexicon.first_names() or word in lexicon.surnames():
        return False
    return brand_word(word) or _PRODUCT_AFTER_RE.match(text, end) is not None


# Chinese herbal products in pinyin (many start with a surname: Huang, Dang, Bai, Ren, Dan, Chai, He, Gan) and the
# Western herbal products written in two capitalised words
HERBS = frozenset(("Ma Huang", "Dong Quai", "Dang Gui", "Huang Qi", "Huang Qin", "Huang Lian", "Huang Bai",
                   "Bai Shao", "Bai Zhu", "Bai Guo", "Gan Cao", "Ren Shen", "Dan Shen", "San Qi", "Chai Hu",
                   "He Shou Wu", "Wu Wei Zi", "Gou Qi Zi", "Ling Zhi", "Dang Shen", "Chuan Xiong", "Shu Di Huang",
                   "Sheng Di Huang", "Yin Yang Huo", "Fu Ling", "Ban Xia", "Jin Yin Hua", "Lian Qiao", "Da Huang",
                   "Ge Gen", "Shan Yao", "Tian Ma", "Du Zhong", "Yi Mu Cao", "Xi Yang Shen", "Lei Gong Teng",
                   "Saw Palmetto", "Ginkgo Biloba", "Black Cohosh", "Kava Kava", "Milk Thistle", "Evening Primrose",
                   "Devil's Claw", "Cat's Claw", "Horny Goat Weed", "Red Clover", "Siberian Ginseng",
                   "Korean Ginseng", "Panax Ginseng", "Yohimbe Bark", "Goldenseal", "Ashwagandha", "Echinacea",
                   "Feverfew", "Yohimbe", "Kratom", "Ginseng", "Valerian Root", "Bitter Orange", "Senna Pod"))
_HERB_WORDS = frozenset(w for h in HERBS for w in h.split())
_TITLE_BEFORE_RE = re.compile(TITLE_RE.pattern + r"\Z")

# conditions that are also surnames, before the service named for them: "Burns review", "Falls clinic"
_CONDITIONS = frozenset("Burns Falls Fits Gout Hives Mumps Shingles Boils Piles Bunions Stroke Wounds Moles Warts"
                        .split())
_SERVICE_AFTER_RE = re.compile(r"[ \t]+(?i:review|reviews|clinic|unit|team|nurse|nurses|service|services|ward|mdt|list"
                               r"|dressings?|follow-up|f/u|opd|outpatients?|centre|center|referral|consultant|registrar"
                               r"|doctor|surgeon|surgery|bay|pathway|assessment|screen|check|theatre|lead|specialist)\b")
_LABEL_BEFORE_RE = re.compile(r"(?:\b(?i:name|patient|pt|surname|mr|mrs|ms|miss|mx|dr|prof)\.?[ \t]*:?[ \t]*)\Z")


def drop_product_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without NAME candidates that are a listed herb or a condition's service (module docstring)."""
    out: list[Cand] = []
    for c in cands:
        if c.type == "NAME" and _herb_or_service(text, c):
            continue
        out.append(c)
    return out


def _herb_or_service(text: str, c: Cand) -> bool:
    value = text[c.start:c.end]
    before = text[max(0, c.start - 20):c.start]
    if _TITLE_BEFORE_RE.search(before) or _LABEL_BEFORE_RE.search(before):
        return False
    if value in HERBS or (value in _HERB_WORDS and _herb_around(text, c)):
        return True
    return value in _CONDITIONS and _SERVICE_AFTER_RE.match(text, c.end) is not None


def _herb_around(text: str, c: Cand) -> bool:
    """One word of a listed herb found alone, with the herb's other word next to it ("Huang" of "Ma Huang")."""
    for herb in HERBS:
        i = text.find(herb, max(0, c.start - len(herb)), c.end + len(herb))
        if i != -1 and i <= c.start and c.end <= i + len(herb):
            return True
    return False
