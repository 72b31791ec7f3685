"""Find the Safe Harbor identifiers in one text: run every rule, keep the best non-overlapping
candidates, then grow names over adjacent capitalised words and find their other mentions.

Why our own rules: we checked what exists. Presidio needs a spaCy language model (not
installable offline here), Philter needs NLTK corpora and the Stanford tagger, and the
neural de-identifiers need model weights: the field has nothing that runs offline without a
language model, so this detector is regular expressions + context words + capitalisation +
small embedded name lists (``meddx/deid/data``). Its limits are measured on synthetic notes
(``meddx.deid.synthetic``) and listed in ``docs/deid.md``.
"""

from __future__ import annotations

import bisect
import re

from meddx.deid import lexicon
from meddx.deid.addresses_more import find_more_addresses
from meddx.deid.addresses_units import find_unit_addresses
from meddx.deid.clinical_terms import drop_clinical_terms
from meddx.deid.dates import find_dates
from meddx.deid.dates_clock import find_clock_dates
from meddx.deid.ids_intl import find_intl_ids
from meddx.deid.ids_refs import find_ref_ids
from meddx.deid.dates_ordinal import find_ordinal_days
from meddx.deid.dates_ranges import find_date_ranges
from meddx.deid.ids_uk import find_uk_ids
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.locations import find_locations
from meddx.deid.names import TITLE_RE, TOKEN_RE, english_looking, find_names, is_eponym_use, lower_name_ok, name_like
from meddx.deid.names_calls import find_message_names
from meddx.deid.names_lines import find_label_line_names
from meddx.deid.names_roles import find_role_names
from meddx.deid.names_spoken import find_spoken_names
from meddx.deid.names_blocks import (
    SENTENCE_WORDS,
    find_employers,
    find_initial_surnames,
    find_named_people,
    find_signature_names,
)
from meddx.deid.names_contexts import find_context_names
from meddx.deid.names_cues import find_cue_names
from meddx.deid.names_dob import find_dob_names
from meddx.deid.names_handover import find_handover_names
from meddx.deid.names_slots import find_slot_names
from meddx.deid.names_staff import find_staff_names
from meddx.deid.places_travel import find_travel_places
from meddx.deid.names_kin import find_kin_names
from meddx.deid.names_headings import find_heading_names
from meddx.deid.names_headed import find_headed_names
from meddx.deid.names_gaelic import find_gaelic_names
from meddx.deid.names_marked import find_marked_names
from meddx.deid.names_world import find_world_names
from meddx.deid.names_unlisted import find_unlisted_names
from meddx.deid.names_measures import find_measure_names, trim_post_nominals
from meddx.deid.names_meetings import find_meeting_names
from meddx.deid.names_nouns import find_noun_names
from meddx.deid.names_copula import find_copula_names
from meddx.deid.names_objects import OBJECT_VERBS, find_object_names
from meddx.deid.names_id_paren import find_id_paren_names
from meddx.deid.names_plural import PLURAL_WORDS, drop_age_nouns, drop_street_dr, find_plural_names, split_name_town
from meddx.deid.names_more_cues import RELATION_WORDS, ROLE_WORDS, find_more_cue_names
from meddx.deid.ocr import ocr_reading
from meddx.deid.overscrub_guards import drop_overscrubs
from meddx.deid.overscrub_brands import drop_brand_overscrubs
from meddx.deid.overscrub_more import drop_more_overscrubs
from meddx.deid.overscrub_makers import drop_maker_overscrubs
from meddx.deid.overscrub_products import drop_product_overscrubs, product_word
from meddx.deid.tables import find_table_names
from meddx.deid.places_cues import find_cue_places
from meddx.deid.places_intl import find_intl_places
from meddx.deid.places_clinics import find_clinic_places
from meddx.deid.places_round25 import find_round25_places
from meddx.deid.names_round25 import find_round25_names
from meddx.deid.places_lanes import find_rural_places
from meddx.deid.places_villages import find_village_places
from meddx.deid.places_more import find_more_places, towns_after_places
from meddx.deid.practices import find_practices
from meddx.deid.places_named import drop_place_overscrubs, find_named_places
from meddx.deid.places_sites import find_site_places
from meddx.deid.places_postal import find_postal_places
from meddx.deid.patterns import Cand, find_context_ids, find_generic_ids, find_structured
from meddx.deid.phones_ext import extend_phone_extensions
from meddx.deid.spans import Span

# Name rules whose words are searched again elsewhere in the same document.
_PROPAGATE_FROM = frozenset({"title", "label", "header", "relation", "person-verb", "dict-pair", "grown", "pt-prefix",
                             "credential", "pair", "named", "name-age", "subject", "before-email", "baby"})


def detect(text: str) -> list[Span]:
    """Non-overlapping identifier spans of ``text`` in order, typed with ``PHI_TYPES`` names."""
    cands = _candidates(text)
    reading = ocr_reading(text)  # a scanned page: "D0B: 0l/22/1949" read as "DOB: 01/22/1949" too (same offsets)
    if reading is not None:
        cands += _candidates(reading)
    chosen = extend_phone_extensions(text, resolve(cands))  # "(02) 9555 0147 ext. 213" whole
    for town in towns_after_places(text, chosen):  # "St Richard's Hospital, Chichester"
        if _free(chosen, town.start, town.end):
            bisect.insort(chosen, town, key=lambda c: c.start)
    chosen = _grow_names(text, chosen)
    chosen = _propagate_names(text, chosen)
    chosen = _merge_adjacent_names(text, _grow_names(text, chosen))
    chosen = _ages_after_names(text, chosen)
    return [Span(c.start, c.end, c.type, c.rule) for c in chosen]


def _candidates(text: str) -> list[Cand]:
    """Every rule's candidates, overlapping."""
    cands: list[Cand] = []
    cands += find_structured(text)
    cands += find_uk_ids(text)  # "QQ 12 34 56 C", "YN68 ZTR", "07449 802 116", "CALLSIGN NW-417"
    cands += find_context_ids(text)
    cands += find_ref_ids(text) + find_ordinal_days(text)  # "custody ref CU/26/118844", "symptomatic from the 21st"
    cands += find_intl_ids(text) + find_intl_places(text)  # "CPF 123.456.789-09", "Brgy. San Isidro", "Ysbyty Gwynedd"
    cands += [Cand(h.start, h.end, "DATE", "date-birth" if h.birth else f"date-{h.rule}", 70) for h in find_dates(text)]
    cands += find_locations(text)
    cands += find_more_places(text)  # "Flat 2, Dunvegan Court", "at Harlesden practice", "Lives in Dyce, Aberdeen."
    cands += find_cue_places(text)  # "at Skipton station", "58F from Pine Bluff", "near Llanidloes, Powys", "Dublin 9"
    cands += find_named_places(text)  # "from St Mary's ED", "Glasgow City Council", "7 Heol y Bryn"
    cands += find_more_addresses(text)  # "4410 N Broadway", "Grand Ave 10/30", "Eircode V31 X2N4", "is from Ennistymon"
    cands += find_site_places(text)  # "CT at Middlemore;", "Flat 12, Cae Glas", "Avenida da Liberdade", "1015 CJ"
    cands += find_rural_places(text)  # "Rose Cottage, Back Lane, Great Snoring", "Dadaab camp" (round 21)
    cands += find_village_places(text) + find_travel_places(text)  # "bloods at Tadley.", "lands at Scrabster" (22, 23)
    cands += find_clinic_places(text) + find_date_ranges(text)  # "Eye Clinic, Wythenshawe from", "4-8 November" (24)
    cands += find_postal_places(text)  # "Vill. Rampur", "Am Markt 7, 48143 Münster", "Address: Kilcolgan, Co. Galway"
    cands += find_unit_addresses(text)  # "Kroger on Lincoln Way", "Rural Route 3", "Chicago, Apt 12F", "Duluth, Unit 6"
    cands += find_practices(text) + find_clock_dates(text)  # "to The Limes Surgery", "arrived 03/11 0214"
    cands += find_names(text)
    cands += find_cue_names(text)
    cands += find_more_cue_names(text)  # "son Will attended", "Interpreter (Bengali) Rahima Begum", "Cons: MBEKI"
    cands += find_message_names(text)  # "left voicemail for jane at ..."
    cands += find_role_names(text)  # "Screened by: K. Oduya", "carer Precious Moyo", "DOYLE   MRN"
    cands += find_label_line_names(text)  # "Rx# 6029174   Filled: 05/06/2024\nBARNABY OKEREKE"
    cands += find_context_names(text)  # "Subject: ... for Margaux Lefevre-Tessier", "Ana Ruiz (ana@x.org)", 'Twin A "Josiah"'
    cands += find_spoken_names(text)  # "dictated by doctor Fiona MacLeod", "I, Ada Obi, consent", "Macmillan rang"
    cands += find_dob_names(text)  # "Safeguarding: Tyler-Jay (DOB 14/02/2017) attends"
    cands += find_plural_names(text)  # "nieces Marguerite and Yvonne Thibodeaux", "to Bartłomiej Zieliński who"
    cands += find_marked_names(text)  # "Referral: Nguyễn Thị Lan, Flat 3B", "specimen from Kemal Aydın"
    cands += find_world_names(text)  # "Li Wen Hao", "Park Ji-hoon", "Nurul Izzah binti Hamzah", "Hamid al-Harbi"
    cands += find_unlisted_names(text)  # "Tapio Kääriäinen", "Thulani Mkhwanazi", "Litia Vakacegu" (round 21)
    cands += find_handover_names(text) + find_slot_names(text)  # "...: Zbigniew Kaczmarek in Bay 6", "bay 4 Jed Cantrell"
    cands += find_staff_names(text)  # "driver Kev to", "PC Harman informed", "Percival Stannard, 84M" (round 24)
    cands += find_round25_names(text) + find_round25_places(text)  # "MR ALPHONSE NWACHUKWU", "at Kawerau mill" (25)
    cands += find_heading_names(text)  # "Allergy clinic: Seo-yeon Kim (8)", "Femke de Vries", "HCA Leilani;"
    cands += find_headed_names(text)  # "Apheresis unit: Darlene Begay plasma", "Beridze Funeral Service" (round 22)
    cands += find_object_names(text)  # "brought Ikechukwu in", "Officer Mensah escorted", "Dr, um, Castellanos"
    cands += find_kin_names(text)  # "baby Anahit feeding", "client Tegwen (16)" (round 21b)
    cands += find_copula_names(text)  # "Patient is Xavi Quonset Jr.", "The patient is Thandiwe Mokoena."
    cands += find_id_paren_names(text)  # "participant STR-0419 (Wanjiru Kamau) consented"
    cands += find_measure_names(text) + find_gaelic_names(text)  # "Ayomide weight 9.8 kg", "Máire Ní Bhriain"
    cands += find_meeting_names(text) + find_noun_names(text)  # "agreed with Precious Moyo", "casualty Ruairidh McLeod"
    cands += find_employers(text) + find_signature_names(text) + find_initial_surnames(text) + find_named_people(text)
    cands += find_generic_ids(text)
    cands += find_table_names(text)  # "|KMR|" under an "Initials" column, "Transcribed: klh"
    cands += _upper_case_cue_names(text)
    # "Manchester triage", "circle of Willis", "Anaemia from Crohn's", "the High Street", "Kit lot AB12"
    # "Nurse Led clinic", "Called Macmillan", "Virtual Fracture Clinic", "MASH duty SW", "Extension 2024 substudy"
    # "Menarche age 12", "GP Dr Shah, Portree.", "Lives on Maple Dr near the school"
    cands = split_name_town(text, drop_age_nouns(text, drop_street_dr(text, cands)))
    cands = drop_more_overscrubs(text, cands)  # "Sisters Ward and Theatre staff", "R3230AC cells", "Watched Hamilton"
    cands = drop_brand_overscrubs(text, trim_post_nominals(text, cands))  # "brought Seretide in", "Boston Scientific"
    cands = drop_maker_overscrubs(text, drop_product_overscrubs(text, cands))  # "Ma Huang capsules", "at Lidl" (21, 24)
    return drop_place_overscrubs(text, drop_overscrubs(text, drop_clinical_terms(text, cands)))  # "from Bay 3"


def _upper_case_cue_names(text: str) -> list[Cand]:
    """In a note written in capitals the shape of a word says nothing, so the lower-case cue rules
    also run on its lower-cased copy ("DAUGHTER LORRAINE UPDATED" as "daughter lorraine updated":
    after a relation word, a word that is neither common nor English-looking, before a verb)."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 40 or sum(c.isupper() for c in letters) < 0.8 * len(letters):
        return []
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is longer ("İ") would shift every offset
        return []
    return [Cand(c.start, c.end, "NAME", c.rule, c.priority - 1) for c in find_cue_names(low) if c.type == "NAME"]


def resolve(cands: list[Cand]) -> list[Cand]:
    """Greedy: highest priority first, then longest, then leftmost; drop what overlaps a kept one."""
    kept: list[Cand] = []
    starts: list[int] = []
    for cand in sorted(cands, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
        if cand.end <= cand.start:
            continue
        i = bisect.bisect_left(starts, cand.start)
        if (i > 0 and kept[i - 1].end > cand.start) or (i < len(kept) and kept[i].start < cand.end):
            continue
        kept.insert(i, cand)
        starts.insert(i, cand.start)
    return kept


def _free(chosen: list[Cand], start: int, end: int, skip: int = -1) -> bool:
    """No span of ``chosen`` (sorted, non-overlapping; index ``skip`` ignored) overlaps [start, end).
    A binary search: a list of every start per call made a huge note quadratic."""
    i = bisect.bisect_left(chosen, start, key=lambda c: c.start)
    before, after = (i - 2 if i - 1 == skip else i - 1), (i + 1 if i == skip else i)
    return not ((before >= 0 and chosen[before].end > start) or (after < len(chosen) and chosen[after].start < end))


# "Grandparents Hoàng", "Reassured Chidinma": a relation word or a verb of care is never the name's first word
_KIN = RELATION_WORDS | PLURAL_WORDS | OBJECT_VERBS
_RIGHT_RE = re.compile(r"([ \t])(" + TOKEN_RE.pattern + r"|[A-Z]\.(?=[ \t]+[A-Z])|[A-Z](?=[ \t]+[A-Z][a-z]))")
# \Z, not $: "$" also matches before a final newline, so "Cheers,\nTom" grew into one name
_LEFT_RE = re.compile(r"(" + TOKEN_RE.pattern + r"|[A-Z]\.)([ \t]+)\Z")
# "Fairbanks, Juana" at the start of a line or after a colon: the surname before the comma.
_LEFT_COMMA_RE = re.compile(r"(?:^|(?<=[\n:]))[ \t]*(" + TOKEN_RE.pattern + r"),[ \t]*\Z")


def _grow_names(text: str, chosen: list[Cand]) -> list[Cand]:
    """Extend each name over adjacent name-shaped words ("Xavi" + " Quonset") that no other
    span holds; a word already known as a name from the lists is taken even if capitalised
    only because it starts a sentence."""
    out = list(chosen)
    for idx, cand in enumerate(out):
        if cand.type != "NAME" or cand.rule in ("unlisted-pair", "firm"):  # its run holds every unknown word
            continue
        start, end = cand.start, cand.end
        for _ in range(3):
            m = _RIGHT_RE.match(text, end)
            if not m or not (_growable(text, m.group(2), m.start(2), m.end(2), out, idx)
                             or _surname_after_initial(text, start, end, m, out, idx)) \
                    or _third_word_no_name(text, start, end, m.group(2), m.end(2)):
                break
            end = m.end(2)
        for _ in range(3 if cand.rule != "contact" else 0):  # "Page Okafor re:": the verb is no first name
            m = _LEFT_RE.search(text, max(0, start - 40), start)
            if not m or m.group(1) in ROLE_WORDS or m.group(1).lower() in _KIN or TITLE_RE.fullmatch(m.group(1) + " ") \
                    or not (_growable(text, m.group(1), m.start(1), m.end(1), out, idx)
                             or _first_name_word(text, m.group(1), m.start(1), m.end(1), out, idx)):
                break
            start = m.start(1)
        m = _LEFT_COMMA_RE.search(text, max(0, start - 40), start)
        single = " " not in text[start:end].strip()
        if m and single and _growable(text, m.group(1), m.start(1), m.end(1), out, idx, caps=text[start:end].isupper()):
            start = m.start(1)
        if (start, end) != (cand.start, cand.end):
            rule = "grown" if cand.rule in _PROPAGATE_FROM else cand.rule
            out[idx] = Cand(start, end, "NAME", rule, cand.priority)
    return out


# a value after a word: "Wojciech Kowalczyk Rockwood 6" (a frailty scale), not a third name
_VALUE_AFTER_RE = re.compile(r"[ \t]*(?:\d|[:=])")
_COUNT_AFTER_RE = re.compile(r"[ \t]+[x×][ \t]?\d{1,2}\b")


def _third_word_no_name(text: str, start: int, end: int, word: str, word_end: int) -> bool:
    """A name of two words or more does not grow over an unlisted word that looks English ("Manuel Gonçalves Timed
    Up and Go") or has a value after it ("Rockwood 6"): a scale or a test, not a third name (round 20); nor over a
    medicine or a device (``overscrub_products.product_word``, round 21)."""
    if _COUNT_AFTER_RE.match(text, word_end) and not lexicon.is_listed(word, parts=True):
        return True  # "Waaka Epley x2": a manoeuvre done twice, after a name of any length (round 23)
    return len(text[start:end].split()) >= 2 and not lexicon.is_listed(word, parts=True) and (
        english_looking(word) or _VALUE_AFTER_RE.match(text, word_end) is not None
        or product_word(text, word, word_end))  # "Jin-woo Choi Keytruda cycle 4" (round 21)


def _growable(text: str, word: str, start: int, end: int, spans: list[Cand], self_idx: int,
              caps: bool = False) -> bool:
    if not _free(spans, start, end, skip=self_idx) or (word.isupper() and len(word) > 1 and not caps):
        return False
    if caps and word.isupper():
        return word.lower() not in lexicon.common_words()
    if len(word.rstrip(".")) == 1:
        return True
    if word in lexicon.AMBIGUOUS and not (word in lexicon.surnames() or word in lexicon.first_names()):
        return False
    return name_like(word, caps_ok=False) and not is_eponym_use(text, end)


# "in May", "since June", "late April": a month after a time word is a month whatever follows
_TIME_WORD_BEFORE_RE = re.compile(r"(?i:\b(?:in|since|during|last|next|early|late|mid|until|till|before|after|this|each"
                                  r"|every|of|from|through|throughout|end|start|beginning|around|about)[ \t-]+)$"
                                  r"|\d[ \t]*$")


def _first_name_word(text: str, word: str, start: int, end: int, spans: list[Cand], self_idx: int) -> bool:
    """"April Jones", "June Patel", "May Ahmed", "Grace Oduya": a first name that is also a month or a word
    (``lexicon.AMBIGUOUS``) right before a name found by another rule is its first name, unless a time word
    or a number comes first ("seen in May Ahmed...", "12 June Smith")."""
    return (word in lexicon.AMBIGUOUS and word[0].isupper() and not word.isupper()
            and _free(spans, start, end, skip=self_idx)
            and _TIME_WORD_BEFORE_RE.search(text, max(0, start - 20), start) is None)


_ENDS_WITH_INITIAL_RE = re.compile(rf"\S[ \t]+[{UPPER}]\.?$")


def _surname_after_initial(text: str, start: int, end: int, m: re.Match[str], spans: list[Cand], idx: int) -> bool:
    """"John Q. Public": after a name and a middle initial, a capitalised word is the surname even
    when it is an ordinary word, unless it starts a sentence ("seen by Tom B. The patient")."""
    word = m.group(2)
    return (_ENDS_WITH_INITIAL_RE.search(text, start, end) is not None and len(word) > 1 and not word.isupper()
            and word.lower() not in SENTENCE_WORDS and _free(spans, m.start(2), m.end(2), skip=idx)
            and not is_eponym_use(text, m.end(2)))


def _propagate_names(text: str, chosen: list[Cand]) -> list[Cand]:
    """Every other capitalised mention of a word of a confidently found name is a name too
    ("Mr. Quonset" ... "Quonset tolerated the procedure")."""
    words: set[str] = set()
    lower: set[str] = set()
    common = lexicon.common_words()
    for cand in chosen:
        if cand.type == "NAME" and cand.rule in _PROPAGATE_FROM:
            for m in _ANY_WORD_RE.finditer(text, cand.start, cand.end):
                word = m.group()
                if len(word) > 1 and word.lower() not in common:
                    title = word if word[0].isupper() and not word.isupper() else word.title()
                    words.update({title, word.upper()})
                    if lower_name_ok(word, found=True) and len(word) > 2:
                        lower.add(word.lower())  # "Ingrid" found: "wife ingrid" later is her too
    if not words:
        return chosen
    out = list(chosen)
    for m in TOKEN_RE.finditer(text):
        if m.group() in words and _free(out, m.start(), m.end()) and not is_eponym_use(text, m.end()) \
                and not _word_use(text, m) and not _before_common_word(text, m, words, common):
            bisect.insort(out, Cand(m.start(), m.end(), "NAME", "propagated", 20), key=lambda c: c.start)
    if lower:
        hits = [m for m in _LOWER_TOKEN_RE.finditer(text) if m.group() in lower]
        counts = {w: sum(m.group() == w for m in hits) for w in lower}
        for m in hits:  # a word seen more than 5 times in lower case is an ordinary word, not a name
            if counts[m.group()] <= 5 and _free(out, m.start(), m.end()) and not is_eponym_use(text, m.end()):
                bisect.insort(out, Cand(m.start(), m.end(), "NAME", "propagated", 20), key=lambda c: c.start)
    return out


# An article, a determiner or an English-looking word before a name that is also a word makes it the word: "son
# Christian ... a practising Christian", "wife Faith ... lost her faith", "daughter Grace ... the Grace period"
_WORD_BEFORE_RE = re.compile(r"(?<![\w'’-])(?P<w>[a-z]+)[ \t]+$")
_DETERMINERS = frozenset("a an the his her their our my your its this that no any every each some devout".split())


def _word_use(text: str, m: re.Match[str]) -> bool:
    """``m`` (a word of a found name, met again) is an ordinary word there (see ``_WORD_BEFORE_RE``)."""
    if m.group() not in lexicon.AMBIGUOUS:
        return False
    before = _WORD_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
    return before is not None and (before.group("w") in _DETERMINERS or english_looking(before.group("w")))


_NEXT_WORD_RE = re.compile(r"[ \t]+([A-Za-z]+)\b")


def _before_common_word(text: str, m: re.Match[str], words: set[str], common: frozenset[str]) -> bool:
    """``m``, a name that is also a word met again, starts a phrase of words there: "Grace Period" after "Sister
    Grace", "Will Power", "Hope Street" (the next word is common and no word of a found name)."""
    nxt = _NEXT_WORD_RE.match(text, m.end())
    if m.group() not in lexicon.AMBIGUOUS or nxt is None or nxt.group(1) in words or lexicon.is_listed(nxt.group(1)):
        return False
    word = nxt.group(1)
    return word.lower() in common or english_looking(word) or word in _PHRASE_NOUNS


# what follows a word name in the name of a thing: "Grace Period", "Will Power", "Hope Hospice", "Faith Ward"
_PHRASE_NOUNS = frozenset("Period Power Day Ward Unit Hospice Lodge Trust Foundation Chapel Church Notes Fund".split())


_LOWER_TOKEN_RE = re.compile(rf"(?<![\w'’-])[{LOWER}]+(?:['’-][{LOWER}]+)*(?![\w-])")
_ANY_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# (also spelled out, also in brackets: "Winifred O'Rourke (ninety-six), admitted ...")
_AGE_AFTER_NAME_RE = re.compile(r"[ \t]*(?:[-–,(])[ \t]*(?P<age>9\d|1[01]\d|(?i:ninety(?:-[a-z]+)?|one[ -]hundred))"
                                r"(?=[ \t]*(?:[,;)]|y/?o\b|yo\b|[FM]\b|years?\b|-year))")


def _ages_after_names(text: str, chosen: list[Cand]) -> list[Cand]:
    """"Eleanor Vance-Whitaker, 96, end-stage heart failure": an age over 89 right after a name."""
    out = list(chosen)
    for cand in chosen:
        m = _AGE_AFTER_NAME_RE.match(text, cand.end) if cand.type == "NAME" else None
        if m and _free(out, m.start("age"), m.end("age")):
            bisect.insort(out, Cand(m.start("age"), m.end("age"), "AGE", "age-after-name", 75), key=lambda c: c.start)
    return out


# between two words of one name: spaces, a middle initial, or a particle ("Aled ap Rhys", "Yusuf bin Ahmad")
_NAME_GAP_RE = re.compile(r"[ \t]+(?:(?:[A-Z]\.?|ap|ab|ferch|bin|binti|bint|ibn|van|von|der|den|de|da|di|du|dos|del)"
                          r"[ \t]+)?")


def _merge_adjacent_names(text: str, chosen: list[Cand]) -> list[Cand]:
    """One span for "Xavi" + " " + "Quonset" (or "Aled" + " ap " + "Rhys") found by different rules."""
    out: list[Cand] = []
    for cand in chosen:
        prev = out[-1] if out else None
        if (prev is not None and prev.type == cand.type == "NAME"
                and _NAME_GAP_RE.fullmatch(text, prev.end, cand.start)):
            out[-1] = Cand(prev.start, cand.end, "NAME", prev.rule, max(prev.priority, cand.priority))
        else:
            out.append(cand)
    return out
