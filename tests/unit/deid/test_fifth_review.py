"""Fifth de-identification review (2026-11-24): 15 new hand-marked notes (``fifth_review_notes.txt``) of
kinds the earlier sets do not have (a discharge summary with a care-team list, an SBAR handoff, a
pathology report with specimen ids, a radiology addendum, a pharmacy label, a prior-authorisation
request, an animal-bite note with word-like names, a Spanish-English note, a psychiatric evaluation
with family names, postpartum rounds with twins, a lab requisition, an ambulance report, a
transcribed voicemail, a trial screening log, an oral-surgery referral), then the misses they and
the fourth review showed. Each test below fails on the code before this review, except the guards
(marked), which check that the new rules leave ordinary text alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meddx.deid import DeidSettings, deidentify
from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import detected_types as _types
from tests.unit.deid.deid_helpers import scrubbed as _out


def _notes() -> list:
    raw = (Path(__file__).parent / "fifth_review_notes.txt").read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"fifth{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


def test_fifth_review_notes() -> None:
    """Held out when scored on the code before this review: 131 of 161 found (recall 0.814), precision
    131/133 (0.985); NAME 49 of 65, LOCATION 24 of 30, DATE 27 of 31. Tuned on them since (so a floor,
    not an estimate): found 149 of 161 (recall 0.925), precision 149/151; NAME 58, LOCATION 28, DATE 30."""
    notes = _notes()
    assert len(notes) == 15 and sum(len(n.spans) for n in notes) == 161
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= 149 and overall["precision"] >= 149 / 151, overall
    assert per["NAME"]["found"] >= 58 and per["LOCATION"]["found"] >= 28 and per["DATE"]["found"] >= 30, per


@pytest.mark.parametrize("text, gone", [
    ("DISCHARGE SUMMARY - ROYAL UNIVERSITY HOSPITAL\nPatient: Tremaine Kostiuk", "ROYAL"),
    ("MERCY GENERAL HOSPITAL - Department of Medicine\nPatient: A. Ferreira", "MERCY"),
    ("CORNERSTONE PHARMACY #0417\n2281 Riverside Dr, Macon, GA 31204", "CORNERSTONE"),
    ("CORNERSTONE PHARMACY #0417\n2281 Riverside Dr, Macon, GA 31204", "0417"),
])
def test_hospital_headings(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_hospital_words_in_headings_stay() -> None:  # a guard for the heading rule
    kept = ("GENERAL HOSPITAL\nBRIEF HOSPITAL COURSE: stable.\nDAYS IN HOSPITAL: 4\nDISCHARGE FROM HOSPITAL\n"
            "COMMUNITY HOSPITAL\nReason: Transferred - General Hospital\nHospital Pharmacy\nOutpatient Pharmacy:")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Referring clinician Dr. Ambrose Kimathi, Lakeside Dermatology, akimathi@lakeside-derm.example.", "Lakeside"),
    ("From: Dr. Ansel Whitcombe, DDS, Harborview Family Dental, 310 Wharf St, Portsmouth, NH 03801", "Harborview"),
    ("Filled at Cornerstone Pharmacy on Main.", "Cornerstone"),
    ("Followed by Dr. Ruiz at Bayfront Orthopedics.", "Bayfront"),
])
def test_practices_named_for_a_specialty(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_specialties_as_services_stay() -> None:  # a guard: departments, insurers and societies are no places
    kept = ("Refer to Peds Cardiology. Consult Dermatology for rash. Interventional Radiology placed a drain. "
            "Seen in Neuro Oncology. MRI Imaging done. Pediatric Dermatology follow-up. Insurance: Delta Dental PPO. "
            "A Southwest Oncology Group study. Breast Imaging normal.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Fracture clinic 15/3 at Camperdown. Seen by Dr Mitra Farahani (Reg).", "15/3"),
    ("Fracture clinic 15/3 at Camperdown. Seen by Dr Mitra Farahani (Reg).", "Camperdown"),
    ("Follow-up at Westmead, then home.", "Westmead"),
    ("Callback by Ingrid Halvorsen, SLP, 4/9 9:10 AM: swallow study scheduled.", "4/9"),
    ("Declined: travel distance from Ocala.", "Ocala"),
    ("Lives 40 miles from Tifton.", "Tifton"),
])
def test_clinic_dates_and_places(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_scores_times_and_visit_words_stay() -> None:  # a guard for the rules above
    kept = ("Seen at Rest. Clinic at Noon. Appointment at Tuesday. Pain 5/10 14:00 oxycodone given. Review 5/5 power. "
            "Strength 5/5 10:30 exam. BP 120/80 10:30. Pain 3 hours from onset.")
    assert _out(kept) == kept


def test_regions_larger_than_a_state_stay() -> None:
    kept = "Moved here from Atlantic Canada in 2019; works in Atlantic Canada. Born in Southeast Asia. Visiting from the Midwest."
    assert _out(kept) == kept
    assert "Saskatoon" not in _out("Moved here from Saskatoon in 2019.")  # a city after the same words still goes


_OCR = ("Patient Narne: Ethelbert Quimby     D0B: 0l/22/1949     Acct#: 55O2-11873\n"
        "Addre ss: 4O9 Chestnut St., Wi1mington, DE 198O1\nLast exacerbation Dec 2O23.\n"
        "Primary care: Dr. Ros alind Kettleby at Brandywine Fami1y Practice, ph0ne (302) 555-O119.\nPa ge 2 of 3")


def test_ocr_labels_and_split_names() -> None:
    out = _out(_OCR)
    for gone in ("Ethelbert", "Quimby", "Ros", "alind", "Kettleby"):
        assert gone not in out, out
    assert "Pa ge 2 of 3" in out and "Addre ss:" in out  # the page is left as scanned


def test_surrogates_shift_ocr_dates() -> None:
    """A scanned date is shifted like the same date typed cleanly, not written as [DATE]."""
    settings = DeidSettings(mode="surrogate", key="k")
    scanned = deidentify(_OCR, patient_id="p1", settings=settings).text
    clean = deidentify(_OCR.replace("0l/22/1949", "01/22/1949").replace("Dec 2O23", "Dec 2023"),
                       patient_id="p1", settings=settings).text
    assert "[DATE]" not in scanned, scanned
    dates = re.findall(r"\d{2}/\d{2}/\d{4}|[A-Z][a-z]{2} \d{4}", scanned)
    assert dates and dates == re.findall(r"\d{2}/\d{2}/\d{4}|[A-Z][a-z]{2} \d{4}", clean), (scanned, clean)


@pytest.mark.parametrize("text, gone", [
    ("Subject: RE: dupilumab for Margaux Lefevre-Tessier\nPatient now lives in France.", "Margaux"),
    ("Subject: FW: prior auth re Tobias Okonkwo-Hale", "Okonkwo"),
    ("Monitor: Paolo Santangelo (p.santangelo@cro-example.com).", "Santangelo"),
    ('Twin A "Josiah" 2.61 kg and Twin B "Journee" 2.28 kg, both rooming in.', "Journee"),
    ("Pt Summer Cook, 23F, bitten on L hand by a dog.", "Summer Cook"),
    ("Member: Dashiell Nakamura-Reyes   Member ID: BHX928374651", "Dashiell"),
    ("Identifying data: Thaddeus Q., 41M; two children, Milo (9) and Hazel (6).", "Milo"),
    ("Acompañada por su hija Yesenia, who interpreted.", "Yesenia"),
    ("Dra. Rocío Villaseñor", "Villaseñor"),
])
def test_names_in_subjects_e_mails_and_families(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_subject_and_patient_words_stay() -> None:  # a guard
    kept = ("Subject: Request for Prior Authorization\nSubject: RE: refill for Lisinopril\nPt Name Unknown, 40F. "
            "Patient Reports Pain, 40F. Baby B 'stable' per NICU.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone, kind", [
    ("Visiting family in Pasadena until 15 de junio.", "15 de junio", "DATE"),
    ("Cita de control el 3 de julio de 2024.", "3 de julio de 2024", "DATE"),
    ("Animal control officer notified (badge 4471).", "4471", "ID"),
    ("Screen #|Initials|Age|Outcome\n114-002|M.A.|91|Screen fail\n114-003|D.L.|54|Enrolled", "91", "AGE"),
])
def test_spanish_dates_badges_and_age_columns(text: str, gone: str, kind: str) -> None:
    assert _types(text).get(gone) == kind, _types(text)
    assert "54" in _out(text) or "54" not in text  # an age under 90 in the same column stays
