"""Sixth de-identification review (2026-11-24): 15 new hand-marked notes (``sixth_review_notes.txt``) of
kinds the earlier sets do not have (an Australian discharge summary, a night-shift nursing note, a CT
report with an accession number, a cytopathology report, a New Zealand GP referral, a psychiatric
admission under the Mental Health Act, an ALS patient-care report, a paediatric endocrine clinic with
both parents, a telehealth visit, a research-consent note, a social-work note with voicemails, a
physiotherapy assessment, a letter of medical necessity, an Indian discharge summary, a hospice home
visit), then the misses they and the fifth review showed. Each test below fails on the code before
this review, except the guards (marked), which check that the new rules leave ordinary text alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meddx.deid import DeidSettings, deidentify
from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import scrubbed as _out


def _notes() -> list:
    raw = (Path(__file__).parent / "sixth_review_notes.txt").read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"sixth{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


# Floors measured after the fixes of this review (tuned on the notes); the seventh review's landmark and
# facility rules found the last two (`Westminster Bridge`, `Bozeman Health Deaconess`): 155 and 31 since
FOUND, FALSE_POS, NAME_FOUND, LOCATION_FOUND = 155, 0, 56, 31


def test_sixth_review_notes() -> None:
    """Held out when scored on the code before this review: 138 of 155 found (recall 0.890), precision
    139/143 (0.972); NAME 50 of 56, LOCATION 21 of 31, FAX 2 of 3. Tuned on them since (so a floor, not an
    estimate): found 153 of 155 (recall 0.987), precision 154/154; NAME 56, LOCATION 29."""
    notes = _notes()
    assert len(notes) == 15 and sum(len(n.spans) for n in notes) == 155
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= FOUND and overall["correct"] == overall["detected"] - FALSE_POS, overall
    assert per["NAME"]["found"] >= NAME_FOUND and per["LOCATION"]["found"] >= LOCATION_FOUND, per



@pytest.mark.parametrize("text, gone", [
    ("DISCHARGE SUMMARY\nROYAL PRINCE ALFRED\nWard 9 West", "ALFRED"),
    ("Admitted to ROYAL PRINCE ALFRED overnight.", "ALFRED"),
    ("DISCHARGE SUMMARY - PRINCESS ALEXANDRA - GENERAL MEDICINE UNIT", "ALEXANDRA"),
    ("Transferred from Queen Elizabeth for PCI.", "Elizabeth"),  # found before this review too (a check)
])
def test_royal_hospitals_without_a_kind_word(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_royal_words_alone_stay() -> None:  # a guard
    kept = "Royal College of Physicians guideline. Prince of Wales sign negative. QUEEN SIZE BED. Kingston clinic."
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Chaplain Hope visited yesterday.", "Hope"),
    ("Animal control officer Grace Baker (badge 4471) notified.", "Grace"),
    ("Dog owner Hunter Mason provided rabies certificate.", "Hunter"),
    ("Seen by Dr Rose today. Nurse Hope gave meds.", "Hope"),  # found before this review too (a check)
])
def test_word_names_after_a_role(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_roles_before_ordinary_words_stay() -> None:  # a guard
    kept = ("Chaplain Services notified. Chaplain Visit requested. Officer Safety plan. Home owner Insurance on file. "
            "Animal control officer Note reviewed.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Called niece, no answer; left voicemail for jane at 555-123-4567.", "jane"),
    ("LVM for kate to call back.", "kate"),
    ("left message with marisol re: pickup.", "marisol"),
    ("Left vm for dev at home.", "dev"),
])
def test_lower_case_names_after_voicemail(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_voicemail_for_ordinary_words_stays() -> None:  # a guard
    kept = ("Left voicemail for pt to call back. Left message for the family. LVM for her at home. "
            "left vm for daughter. Left message with front desk. left voicemail for clinic staff. "
            "left voicemail to return call. LVM for callback. Left message with pharmacy. left message with "
            "receptionist. left msg for nurse line. left message with secretary.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Child: Aoife Brennan-Kowalczyk   DOB: 30/11/2016", "Aoife"),
    ("Participant: Delphine Arceneaux   Study ID: PHF-031-0087", "Arceneaux"),
    ("Consent obtained by Marguerite Oyelowo, CRC; PI available.", "Oyelowo"),
    ("Attended with mum Niamh Brennan and dad Piotr Kowalczyk.", "Niamh"),
])
def test_labels_and_relations(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


@pytest.mark.parametrize("kept", [
    "To: Utilization Management, BlueCross BlueShield of Tennessee",
    "From: Utilization Review\nRe: request",
    "Dear Colleague,\nThank you for seeing him.",
    "NIGHT SHIFT 1900-0730\nPt resting.",
    "Bone age delayed by 2 years.",
    "Sepsis protocol SEP-1 bundle met. Per protocol CHOP-R cycle 2. Insulin per protocol.",  # a guard
    "Vive en Calle Hidalgo 214, Colonia Centro, Guadalajara, Jal.; visiting family.",
])
def test_sixth_review_overscrubs_stay(kept: str) -> None:
    out = _out(kept)
    for word in ("Utilization", "Colleague", "1900-0730", "Bone", "Jal.", "SEP-1", "CHOP-R"):
        assert (word in kept) <= (word in out), out


@pytest.mark.parametrize("text, gone", [
    ("Address: Av. Vallarta 123, Guadalajara, Jal., CP 44100", "Guadalajara"),
    ("Home: Tlaquepaque, Jal. Phone on file.", "Tlaquepaque"),
    ("GP: Dr Hamish Tregear, ph 07 3397 1288, fax 07 3397 1290.", "1290"),
    ("TRIAL SCREENING LOG - Protocol HF-ACT-302   Site 114", "HF-ACT-302"),
    ("Enrolled under protocol ABC-123-X today.", "ABC-123-X"),
    ("Crew: J. Okoro (P), M. Lindgren (EMT-B).", "Lindgren"),
    ("Crew: J. Szymanski (Paramedic, cert P-22871), A. Bettencourt (EMT)", "Bettencourt"),
])
def test_places_numbers_and_crews(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


@pytest.mark.parametrize("text, gone", [
    ("Provider location: Gallatin Valley Endocrinology. Consent obtained.", "Gallatin"),
    ("Discharged home to 14 Wattle Grove, Woolloongabba QLD 4102 with his daughter.", "4102"),
    ("School: Scoil Bhride, Rathmines. Parents can be reached on the ward.", "Bhride"),
    ("School: Scoil Bhride, Rathmines. Parents can be reached on the ward.", "Rathmines"),
    ("Rx# 6029174   Filled: 05/06/2024\nBARNABY OKEREKE\nTAKE 1 TABLET BY MOUTH TWICE DAILY", "OKEREKE"),
])
def test_practices_postcodes_schools_and_label_lines(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_services_postcode_units_schools_and_headings_stay() -> None:  # a guard
    kept = ("Refer to Peds Endocrinology. Reproductive Endocrinology clinic. Pediatric Gastroenterology follow-up. "
            "Vascular Neurology and Sleep Neurology saw him. Neuromuscular Neurology. Interventional Pulmonology.\n"
            "Sydney NSW 2000 mg\nSchool: Missed 3 days. School: Good grades, no IEP. School: Home schooled.\n"
            "MRN: 12345\nCHIEF COMPLAINT\nchest pain\nRx# 6029174\nSHAKE WELL\nSpecimen: S24-1\nGROSS DESCRIPTION\n")
    out = _out(kept)
    for word in ("Endocrinology", "Gastroenterology", "Neurology", "Pulmonology", "2000 mg", "Missed", "Good",
                 "Home", "CHIEF", "SHAKE", "GROSS"):
        assert word in out, out


@pytest.mark.parametrize("text, gone", [
    ("DISCHARGE SUMMARY\nSRI RAMACHANDRA MEDICAL CENTRE, PORUR, CHENNAI\nIP No: IP24-118906", "PORUR"),
    ("DISCHARGE SUMMARY\nSRI RAMACHANDRA MEDICAL CENTRE, PORUR, CHENNAI\nIP No: IP24-118906", "CHENNAI"),
    ("ROYAL UNIVERSITY HOSPITAL, SASKATOON, SK\nDischarge summary", "SASKATOON"),
])
def test_places_after_a_facility_in_capitals(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_departments_after_a_facility_in_capitals_stay() -> None:  # a guard
    out = _out("MERCY GENERAL HOSPITAL, EMERGENCY DEPARTMENT\nROYAL UNIVERSITY HOSPITAL, SASKATOON, SK\nx")
    assert "EMERGENCY DEPARTMENT" in out and ", SK" in out, out


def test_a_four_digit_postcode_gets_a_postcode_surrogate() -> None:
    """"Sydney NSW 2000" was written "Riverton NSW 2090 Chestnut Street": a bare number was faked as a street."""
    out = deidentify("Home: Hobart TAS 7000.\nWoolloongabba QLD 4102 with his daughter.", patient_id="p1",
                     settings=DeidSettings(mode="surrogate", key="k")).text
    assert re.search(r"TAS \d{4}\.\n", out) and re.search(r"QLD \d{4} with", out), out
