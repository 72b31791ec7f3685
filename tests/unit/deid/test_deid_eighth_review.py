"""Eighth de-identification review (2026-11-24).

Over-scrubs of clinical words that hold a place or a person's name (a scale named after a city, an anatomical
eponym, an eponymous disease as a bare possessive, the generic high street, a test kit's lot number), then 30
new hand-marked notes (``test_deid_eighth_review_notes.txt``: UK and US discharge letters, nursing notes,
radiology and pathology reports, referral letters, every Safe Harbor type among eponyms, drugs, scales and
guideline years), scored before any rule change, and the misses they showed; and 10 more notes
(``test_deid_eighth_review_fresh_notes.txt``) written after the fixes and scored once, untuned. Each test
fails on the code before this review except the guards (marked), which pass before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import detected_types

_HERE = Path(__file__).parent


def _notes(name: str) -> list:
    raw = (_HERE / name).read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"eighth{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


def _found(text: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text)]


@pytest.mark.parametrize("text", [
    "Triage: Manchester triage category 3 (urgent).",
    "Triage cat: Manchester ORANGE (very urgent).",
    "Edinburgh PND scale 14 at 6 weeks postpartum.",
    "Mother: Edinburgh Postnatal Depression Scale 6. Lochia normal.",
    "Montreal Cognitive Assessment 24/30.",
    "Kansas City Cardiomyopathy Questionnaire score 62.",
    "Boston Bowel Preparation Scale 8.",
    "Nottingham Prognostic Index 3.4.",
    "San Francisco Syncope Rule negative.",
    "Ann Arbor stage III.",
    "LVEF 55% (Simpson biplane).",
    "Aneurysm at the Circle of Willis bifurcation.",
    "The circle of Willis is not assessed on this study.",
    "Kit lot AB12 used for the rapid antigen test.",
    "Reagent lot 2311045 expired.",
    "Anaemia from Crohn's, on iron.",
    "Fell in the High Street outside the bank.",
    "Walked along the High Street.",
])
def test_clinical_terms_are_not_scrubbed(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize("text, gone", [  # guards: real identifiers of the same shape stay found
    ("Dr Crohn saw her in clinic.", "Crohn"),
    ("Patient was seen by Dr Willis.", "Willis"),
    ("Mr Willis reports chest pain.", "Willis"),
    ("Lives at 12 High Street with her husband.", "12 High Street"),
    ("Walked along Church Street with her son.", "Church Street"),
    ("Moved from Manchester last year.", "Manchester"),
    ("Lives in Glasgow. Glasgow Coma Scale 15.", "Glasgow"),
    ("Moved from Ottawa to Leeds.", "Ottawa"),
    ("Transferred from Guy's.", "Guy's"),
    ("Lot number AB12345 of the pacemaker lead.", "AB12345"),
    ("Lot AB1234 of Tdap vaccine given.", "AB1234"),
    ("Referred to the Memory Assessment Service in Boston.", "Boston"),
    ("Nurse: Ahmed", "Ahmed"),
    ("Attending: Reed", "Reed"),
])
def test_identifiers_of_the_same_shape_stay_found(text: str, gone: str) -> None:
    assert any(gone in f for f in _found(text)), _found(text)


def test_only_the_scale_mention_of_a_city_is_kept() -> None:  # guard
    text = "Lives in Glasgow. Glasgow Coma Scale 15."
    assert [(s.start, s.type) for s in detect(text)] == [(9, "LOCATION")]


@pytest.mark.parametrize("text, gone, kind", [
    ("Next of kin: nephew Graham (020 8947 3310).", "020 8947 3310", "PHONE"),
    ("Social worker on the duty line 0161 474 3870.", "0161 474 3870", "PHONE"),
    ("Re: Doris, NHS 401 023 2137, lives alone", "401 023 2137", "HEALTH_PLAN"),
    ("Hamish Galbraith (CHI 1208754431), 33, type 1 DM", "1208754431", "HEALTH_PLAN"),
    ("Hamish Galbraith (CHI 1208754431), 33, type 1 DM", "Hamish Galbraith", "NAME"),
    ("HPI: Latoya Granger is a 44 y.o. F with SLE.", "Latoya Granger", "NAME"),
    ("pt bernard kowalczyk settled after evening meds.", "bernard kowalczyk", "NAME"),
    ("Physio: Ciarán Ó Dálaigh MISCP", "Ciarán Ó Dálaigh", "NAME"),
    ("Clinician: Darnell Okoye, PMHNP-BC", "Darnell Okoye", "NAME"),
    ("Case management: Shauna Whitlock, ext 4-7721.", "Shauna Whitlock", "NAME"),
    ("Social worker allocated: Femi Adebanjo, duty line", "Femi Adebanjo", "NAME"),
    ("Lives in Dyce. DSN Morag Lennox. Next review", "Morag Lennox", "NAME"),
    ("brought by mum and grandad Wilfred.", "Wilfred", "NAME"),
    ("influenza vaccine, L deltoid, by J. Haworth OH nurse.", "J. Haworth", "NAME"),
    ("Address: Flat 2, Dunvegan Court, Inverness", "Dunvegan Court", "LOCATION"),
    ("Lives at Hazelwood House care home, Tooting. Next of kin", "Hazelwood House", "LOCATION"),
    ("Lives at Hazelwood House care home, Tooting. Next of kin", "Tooting", "LOCATION"),
    ("FeNO 48 ppb at Harlesden practice last month.", "Harlesden", "LOCATION"),
    ("Works as a joiner. Lives in Dyce, Aberdeen.", "Aberdeen", "LOCATION"),
    ("19, student at Oregon State University, lives alone", "Oregon State University", "LOCATION"),
    ("Pathologist: A. Nwachukwu, MD, University of Iowa Hospitals", "University of Iowa Hospitals", "LOCATION"),
    ("Referring: Dr. Pamela Szymanski, Piedmont Pulmonary, fax", "Piedmont Pulmonary", "LOCATION"),
    ("Cefazolin 2 g q8h. PICC placed 10/20, Bard lot.", "10/20", "DATE"),
    ("Name: Winifred O'Rourke (ninety-six), admitted Dec 28, 2024.", "ninety-six", "AGE"),
])
def test_misses_of_the_thirty_notes(text: str, gone: str, kind: str) -> None:
    found = detected_types(text)
    assert any(gone in piece and found[piece] == kind for piece in found), found


@pytest.mark.parametrize("text", [  # guards: what the new rules must leave alone
    "Knee ext 30 degrees, flexion 110.",
    "Dose 0.5 mg, then 100 200 300 units.",
    "Counts 0100 2000 3000 cells.",
    "Seen at the Community health centre.",
    "pt alert oriented x3 and settled.",
    "Bacteraemia caused by E. coli and S. aureus.",
    "Drain removed 3/4 of the way.",
    "She studies at the university.",
    "Physio: Mobilised with frame.",
    "760 (50.1 PERCENT) WERE TREATED AT PRIVATE HOSPITALS.",
    "Clinician: Nurse-led clinic.",
    "Nurse: Reviewed wound, dressing changed.",  # flagged before this review too: a verb form after a label
])
def test_new_rules_leave_clinical_text(text: str) -> None:
    assert _found(text) == []


# Floors measured after the fixes of this review (tuned on the 30 notes)
FOUND, FALSE_POS, NAME_FOUND, LOCATION_FOUND = 277, 1, 103, 61


def test_eighth_review_notes() -> None:
    """Held out when scored on the code before this review: 252 of 293 (recall 0.860), precision 253/258; NAME 93
    of 108, LOCATION 50 of 68. Tuned on them since (a floor, not an estimate): 277 (0.945), precision 278/279."""
    notes = _notes("test_deid_eighth_review_notes.txt")
    assert len(notes) == 30 and sum(len(n.spans) for n in notes) == 293
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= FOUND and overall["correct"] >= overall["detected"] - FALSE_POS, overall
    assert per["NAME"]["found"] >= NAME_FOUND and per["LOCATION"]["found"] >= LOCATION_FOUND, per


def test_eighth_review_fresh_notes() -> None:
    """Written after the fixes and scored once, untuned: 75 of 95 (0.789), precision 75/78 (the code before this
    review: 73 of 95, 0.768, precision 73/78). A floor so that later changes do not lose them."""
    notes = _notes("test_deid_eighth_review_fresh_notes.txt")
    assert len(notes) == 10 and sum(len(n.spans) for n in notes) == 95
    overall = score(notes, [detect(n.text) for n in notes])["overall"]
    assert overall["found"] >= 75 and overall["correct"] >= overall["detected"] - 3, overall
