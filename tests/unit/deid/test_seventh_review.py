"""Seventh de-identification review (2026-11-24): 15 new hand-marked notes (``seventh_review_notes.txt``) of
kinds the earlier sets do not have (an emergency-department triage note, an antenatal booking, a tumour board,
an occupational-health fitness-for-work report, an ambulance ATMIST handover, an audiology review, an
ophthalmology letter, a sexual-health walk-in, a prison reception screen, a transplant coordinator's kidney
offer, a genetics pedigree, a memory clinic, a pharmacy reconciliation with rare drugs and organisms on label
lines, an infection-control alert and a CPAP download), written and marked before the de-id source was read,
then the misses they showed. Each test below fails on the code before this review, except the guards and
checks (marked), which pass before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import detected_types


def _notes() -> list:
    raw = (Path(__file__).parent / "seventh_review_notes.txt").read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"seventh{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


def _found(text: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text)]


def _gone(text: str, word: str) -> bool:
    return any(word in f for f in _found(text))


# Floors measured after the fixes of this review (tuned on the notes)
# (the ninth review marked the bleep number of note 13, "bleep 2209", as the PHONE it is: 236 planted, one more found)
FOUND, FALSE_POS, NAME_FOUND, LOCATION_FOUND = 233, 1, 72, 51


def test_seventh_review_notes() -> None:
    """Held out when scored on the code before this review: 196 of 235 found (recall 0.834), precision
    195/201 (0.970); NAME 63 of 73, LOCATION 31 of 53, DATE 43 of 46, VEHICLE 1 of 3, SSN 0 of 1. Tuned on them
    since (a floor, not an estimate): 232 of 235 (0.987), precision 231/232 (0.996); NAME 72, LOCATION 51."""
    notes = _notes()
    assert len(notes) == 15 and sum(len(n.spans) for n in notes) == 236
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= FOUND and overall["correct"] >= overall["detected"] - FALSE_POS, overall
    assert per["NAME"]["found"] >= NAME_FOUND and per["LOCATION"]["found"] >= LOCATION_FOUND, per


@pytest.mark.parametrize("text, gone", [
    ("PC: fall from bicycle on Westminster Bridge approx 21:15, helmet worn.", "Westminster"),
    ("She lives near Tooting Bec Common and her grandson drives her.", "Tooting"),
    ("Partner is a firefighter at Paddington fire station, mobile.", "Paddington"),
    ("he got lost walking back from Mare Street last month", "Mare"),
    ("Seen at the Whittall Street clinic today.", "Whittall"),
    ("community pharmacy on Chapel Street, Salford, tel 0161 496 0855.", "Salford"),
    ("after a collapse at the depot on Station Road, Crewe, on 02/03/2025.", "Crewe"),
])
def test_landmarks_streets_without_a_number_and_their_towns(text: str, gone: str) -> None:
    assert _gone(text, gone), _found(text)


@pytest.mark.parametrize("text, gone", [
    ("Referred to the Emmeline Centre at Addenbrooke's.", "Emmeline"),
    ("Referred to the Emmeline Centre at Addenbrooke's.", "Addenbrooke"),
    ("Plans to deliver at the Lindo Wing again.", "Lindo"),
    ("Previous SVD June 2021 at St Mary's Lindo Wing, EBL 350 mL.", "Lindo"),
    ("Next appt at the Church Street Children's Centre.", "Church Street"),
    ("GP (Dr K. Sandhu, Wistaston Road Surgery).", "Wistaston Road Surgery"),
    ("cc: patient; Furzedown Medical Practice", "Furzedown"),
    ("Establishment: HMP Pentonville   Prison no: A4417CX", "Pentonville"),
    ("Received from Highbury Corner Magistrates' Court 28/01/2025 18:40", "Highbury"),
    ("Donor recovered at Bozeman Health Deaconess.", "Deaconess"),
    ("CPE screen positive in 2023 at the Royal Free.", "Royal Free"),
    ("EMERGENCY DEPARTMENT TRIAGE - ST THOMAS' ED", "THOMAS"),
    ("ED (Leighton) ECG: sinus rhythm.", "Leighton"),
    ("Last dialysis Mon 3/8 at DaVita Gallatin Valley.", "DaVita"),
])
def test_facilities_named_the_british_way_or_without_a_last_kind_word(text: str, gone: str) -> None:
    assert _gone(text, gone), _found(text)


@pytest.mark.parametrize("text, kept", [  # guards
    ("Referred to Plastic Surgery for graft.", "Plastic"), ("Mohs Surgery follow-up in 3 months.", "Mohs"),
    ("Booked into the Trauma Centre for review.", "Trauma"), ("Booked into the Day Surgery Centre.", "Day"),
    ("Fellow of the Royal College of Physicians.", "College"), ("He served in the Royal Navy.", "Navy"),
    ("Stayed the night at Mum's.", "Mum"), ("Sat on the Bridge of her nose: pressure sore.", "Bridge"),
    ("Under Mental Health Services since 2019.", "Mental"), ("Caused by: Trauma", "Trauma"),
    ("Diagnosis: ESCHERICHIA COLI   MRN 1234567", "COLI"), ("Complicated by: Acute Kidney Injury", "Kidney"),
    ("Caused by: Staphylococcus Aureus", "Aureus"), ("Referred to the Chlorhexidine Gluconate Centre.", "Gluconate"),
])
def test_departments_services_and_words_stay(text: str, kept: str) -> None:
    assert not _gone(text, kept), _found(text)


@pytest.mark.parametrize("text, gone", [
    ("Partner: Jordan Fairweather, firefighter", "Jordan"),
    ("Reconciled by: Ayesha Bhatt-Morrow, Pharmacist", "Ayesha"),
    ("Screened by: K. Oduya RMN, with officer present.", "Oduya"),
    ("found on floor at home by carer Precious Moyo at 4 Mill Lane", "Precious"),
    ("Handover received by Sr Adaeze Obi.", "Adaeze"),
    ("Seen by Dr Ude / HCA B. Holloway, clinic.", "Holloway"),
    ("Present: Dr S.-J. Lindqvist (Radiology).", "Lindqvist"),
    ("Case 4 of 11: MARGARET ANNE DOYLE   MRN K0093317", "DOYLE"),
    ("Referrer: Dr A Whitlock, Castle Street Medical Centre", "Whitlock"),
])
def test_names_after_british_roles_by_labels_and_before_a_record_field(text: str, gone: str) -> None:
    assert _gone(text, gone), _found(text)


def test_people_named_like_royals_or_places_are_names() -> None:
    prison = "Name: PRINCE ALBERT OWUSU-ANSAH   DOB: 30/06/1988\nPrince Albert reports heroin use."
    assert detected_types(prison).get("Prince Albert") == "NAME", detected_types(prison)
    memory = ("Patient name:\nKING EDWARD ALLEYNE\nKing Edward says he feels fine. TIA treated at King Edward VII "
              "Memorial Hospital, Bermuda.")
    types = detected_types(memory)
    assert types.get("King Edward") == "NAME" and types.get("King Edward VII Memorial Hospital") == "LOCATION", types
    booking = "Woman's name: Georgia Fairweather-Nkemelu   Hospital no: SMH0829314"
    assert detected_types(booking).get("Georgia Fairweather-Nkemelu") == "NAME", detected_types(booking)


def test_a_name_in_capitals_before_an_age_is_still_taken() -> None:  # a guard for "Donor: DBD, 41 y/o"
    assert "ANNA" in _found("Seen: ANNA, 41 y/o F, with cough.")


def test_hospitals_named_after_royals_stay_places() -> None:  # a check: found before this review too
    for text, place in (("Transferred from Queen Elizabeth for PCI.", "Queen Elizabeth"),
                        ("DISCHARGE SUMMARY\nROYAL PRINCE ALFRED\nWard 9 West", "ROYAL PRINCE ALFRED")):
        assert detected_types(text).get(place) == "LOCATION", detected_types(text)


@pytest.mark.parametrize("text, value, kind", [
    ("NI No: QQ 12 34 56 C   Staff no: HF-004821", "QQ 12 34 56 C", "SSN"),
    ("seated in the cab of vehicle DX19 KLP, engine off", "DX19 KLP", "VEHICLE"),
    ("AMBULANCE HANDOVER - CALLSIGN NW-417, VEHICLE REG YN68 ZTR", "YN68 ZTR", "VEHICLE"),
    ("AMBULANCE HANDOVER - CALLSIGN NW-417, VEHICLE REG YN68 ZTR", "NW-417", "ID"),
    ("Results by SMS to 07449 802 116, or online.", "07449 802 116", "PHONE"),
    ("NOK: wife Funmilayo on 07700 900461.", "07700 900461", "PHONE"),
    ("Hosp No: TH4471902   NHS: 943 476 5919", "TH4471902", "MRN"),
    ("Hosp No: TH4471902   NHS: 943 476 5919", "943 476 5919", "HEALTH_PLAN"),
    ("Midwife: Siobhan McAteer RM, NMC PIN 09A1234E", "09A1234E", "LICENSE"),
    ("Tomasz Kowal (Paramedic, HCPC PA54312)", "PA54312", "LICENSE"),
    ("Commercial driver, CDL D11283346; letter sent.", "D11283346", "LICENSE"),
    ("Widefield images saved as OPTOS_R_20241204.jpg.", "OPTOS_R_20241204.jpg", "PHOTO"),
    ("FLOT to start week of 4/14; consent visit.", "4/14", "DATE"),
    ("Attended Sat 22/03 with dysuria.", "Sat 22/03", "DATE"),
    ("Re: Mrs Sterling   DOB 16.03.50   Hosp no 1209931", "16.03.50", "DATE"),
])
def test_british_identifiers_and_dates(text: str, value: str, kind: str) -> None:
    assert detected_types(text).get(value) == kind, detected_types(text)


@pytest.mark.parametrize("text", [  # guards
    "O2 sat 94/100 on room air.", "Sat up in chair, pain 7/10.", "T2 N0 M0 on staging CT.",
    "Pin site clean; PIN 4471 for results line.", "Integrated SV40 DNA was detected.",
    "Graded by the World Health Organization criteria.",
])
def test_saturations_staging_and_pins_stay(text: str) -> None:
    assert _found(text) == [], _found(text)


@pytest.mark.parametrize("text, kept", [
    ("Fit for FLOT then Ivor Lewis esophagectomy. Nutrition consult.", "Lewis"),
    ("LPA being arranged; Herbert Protocol form completed.", "Herbert"),
    ("Streamed to: Majors bay 12, fracture clinic referral.", "Majors"),
    ("Ward: 7B Neurology   Date: 2025-05-06", "Neurology"),
    ("Offer via DonorNet. Donor: DBD, 41 y/o, KDPI 38%.", "DBD"),
])
def test_operations_protocols_department_areas_and_ward_names_stay(text: str, kept: str) -> None:
    assert not _gone(text, kept), _found(text)
