"""Third privacy review (2026-11-23): the misses and over-scrubs left by the second one, then 30 new
hand-written notes (``privacy_notes.txt``) in styles the earlier sets do not use (operative,
pathology, pharmacy, EMS, transfer log, dialysis, security audit, guardianship letter, ...). Each
test fails on the code before this review.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from meddx.deid import DeidSettings, deidentify
from meddx.deid.dates import parse_date
from meddx.deid.detect import detect
from tests.unit.deid.deid_helpers import SHIFT
from tests.unit.deid.deid_helpers import detected_types as _types
from tests.unit.deid.deid_helpers import scrubbed as _out


@pytest.mark.parametrize("text, place", [
    ("Transferred from Mass General on 3/4/2021.", "Mass General"),
    ("TRANSFERRED FROM MASS GENERAL", "MASS GENERAL"),
    ("Followed at Tampa General for her cirrhosis.", "Tampa General"),
    ("Seen at MGH last year.", "MGH"),
    ("Records from BIDMC reviewed.", "BIDMC"),
    ("She had surgery at Hospital for Special Surgery in 2019.", "Hospital for Special Surgery"),
    ("Transferred to the Hospital for Sick Children.", "Hospital for Sick Children"),
    ("Treated at the Izaac Walton Killam Hospital for Children, Halifax.", "Izaac Walton Killam Hospital for Children"),
])
def test_hospitals_without_a_kind_word_are_locations(text: str, place: str) -> None:
    assert _types(text).get(place) == "LOCATION", _types(text)
    assert place not in _out(text)


def test_every_mention_of_a_hospital_acronym_goes_once_one_is_a_place() -> None:
    out = _out("Records from MGH reviewed. MGH cardiology saw him in 2019.")
    assert "MGH" not in out and out.count("[LOCATION]") == 2 and "cardiology saw him" in out


def test_clinical_acronyms_and_offices_like_hospital_names_stay() -> None:
    kept = ("Progressed to SAH, then IVH; due to ICH. Transitioned from NPH to glargine. Records at OSH. "
            "The Surgeon General warns. General: NAD. In General, well. Clinic for Wound Care. CMC joint pain; "
            "to IMC for monitoring. Admitted To Hospital For Chest Pain. General Motors retiree. Transfected NIH 3T3 "
            "cells. Developed massive suprachoroidal hemorrhage (MSCH); seen in MSCH. BP fell by 14/5 mm Hg.")
    assert _out(kept) == kept
    caps = "SEEN AT BOTH SITES. REFERRED TO EACH CLINIC. FROM HIGH DOSE TO LOW."  # every word looks like an acronym
    assert _out(caps) == caps


@pytest.mark.parametrize("note, name", [
    ("Labs stable.\nThanks,\nWill", "Will"),
    ("Labs stable.\nThanks!\nWill\n", "Will"),
    ("Labs stable.\nthanks,\nwill", "will"),
    ("Labs stable.\nBest,\nHope", "Hope"),
])
def test_a_sign_off_name_that_is_also_a_word(note: str, name: str) -> None:
    out = _out(note)
    assert out.endswith("[NAME]\n" if note.endswith("\n") else "[NAME]"), out
    assert _types(note).get(name) == "NAME"


def test_words_after_a_sign_off_that_are_no_name_stay() -> None:
    kept = "Thanks,\nWill do.\nWill start lisinopril. Hope to see improvement."
    assert _out(kept) == kept
    assert "Best" in _out("Thanks,\nBest,\nJohn Smith")


def test_day_first_month_days_are_dates_read_day_first() -> None:
    text = "Seen 14/3/2021 and again on 21/3. Next visit 28/3."
    out = _out(text, SHIFT)
    assert "14/3" not in out and "21/3" not in out and "28/3" not in out, out
    dates = re.findall(r"\d{1,2}/\d{1,2}(?:/\d{4})?", out)
    assert len(dates) == 3
    parsed = [parse_date(d, day_first=True) for d in dates]
    days = [dt.date(2020 if p[0] is None else p[0], p[1], p[2]) for p in parsed]
    year = days[0].year
    days = [d.replace(year=year) for d in days]
    assert [(b - a).days for a, b in zip(days, days[1:])] == [7, 7], out  # read and written day first
    assert _out("Pain 13/10 at worst; strength 5/5.") == "Pain 13/10 at worst; strength 5/5."


def test_an_armed_service_is_no_employer() -> None:
    kept = "He retired from the Army in 1990. Retired from the U.S. Air Force; works for the Navy. Employer: US Army."
    assert _out(kept) == kept
    assert _types("Retired from Union Pacific in 2010.").get("Union Pacific") == "NAME"


@pytest.mark.parametrize("kept", [
    "sats in her 90s on RA",
    "satting in her mid 90s overnight",
    "O2 sat 92% on RA, she was 92 on 2L later",
    "SpO2 92 F",
    "O2 sat 92\nF/u in 2 weeks.",
    "Check temperature; call if over 38.3 C (101 F).",
])
def test_vital_signs_are_no_ages(kept: str) -> None:
    assert _out(kept) == kept


@pytest.mark.parametrize("text, age", [
    ("Pt is in her 90s.", "90s"), ("She is 92.", "92"), ("92F with CHF", "92"),
    ("Mrs. Dunmore is a woman of ninety-one who lives alone.", "ninety-one"), ("A gentleman of 93.", "93"),
    ("She is ninety-one and walks daily.", "ninety-one"),
])
def test_ages_over_89_still_found(text: str, age: str) -> None:
    assert _types(text).get(age) == "AGE"
    assert _out("He is one hundred percent sure.") == "He is one hundred percent sure."


# Found by the 30 notes below: each identifier used to stay.
@pytest.mark.parametrize("text, gone", [
    ("Counts correct. Dictated by tokaforl.", "tokaforl"),
    ("Block A1-A3. Pathologist: Ines Carvalho-Mbeki, MD", "Carvalho-Mbeki"),
    ("Dose held; recheck INR on Friday 10/6.", "Friday"),
    ("Sent: Mon 11/13/2023 8:02 PM", "Mon"),
    ("family meeting w/ Dr hargreaves, son on speaker", "hargreaves"),
    ("SW will follow. - Lourdes Ybanez, LCSW x4417", "Lourdes"),
    ("Unit dispatched to MVC, I-94 westbound near exit 231. GCS 14.", "231"),
    ("Crew: D. Skarsgaard", "Skarsgaard"),
    ("Client: Euphemia Stroud, widowed.", "Stroud"),
    ("Address: RR 2 Box 118, Hillsboro, WV 24946.", "Box 118"),
    ("Yellow fever vaccine given (lot UJ471AB), typhoid Vi.", "UJ471AB"),
    ("Claimant: Rigoberto Salcedo   Claim # WC-2023-554120", "Salcedo"),
    ("Work status per case manager Gwendolyn Pryce, fax pending.", "Pryce"),
    ("Leopoldine Ashcombe returns for wet AMD OD.", "Ashcombe"),
    ("Transportation by Wendell, her neighbor.", "Wendell"),
    ("Letters mailed to relatives in Silver Spring, MD 20910.", "Silver Spring"),
    ("Father Seraphim from Holy Trinity Cathedral will bring communion.", "Trinity"),
    ("Tearful about her husband, who died last Christmas Eve.", "Christmas"),
    ("Amara Oduya-Fenn 15 mo, seen with dad.", "Amara"),
    ("Quentin Aldous-Marsh, employee ID E0048812, needlestick.", "Quentin"),
    ("User jtrevino3 accessed chart of Ximena Balderrama (MRN K4471902).", "Balderrama"),
    ("Student: Beckett Ianucci, grade 4.", "Ianucci"),
])
def test_privacy_note_leaks(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_review_over_scrubs_and_types() -> None:
    assert _out("2 large-bore IVs, NS 1 L. Passenger Fenwick Adeyemi, 34, refused.").startswith(
        "2 large-bore IVs, NS 1 L. ")  # "L." (litre) was read as an initial
    assert _out("She turned 91 on the 2nd of January. Gait slow.", DeidSettings(mode="tag", dates="tag")) == \
        "She turned [AGE>89] on the [DATE]. Gait slow."  # the tag swallowed the full stop
    assert _types("Records faxed to 612-555-0114.")["612-555-0114"] == "FAX"
    kept = ("Attends the Catholic Church weekly. Church attendance weekly. Christmas disease (factor IX). "
            "Sun exposure. Meanwhile, her sister called. However, her partner left. Strep Screen returned positive; "
            "Quantiferon Gold returned negative.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("Home: 88 Queen St W, Toronto, ON M5H 2N2", "M5H"),
    ("Daughter in London: 0044 20 7946 0958.", "7946"),
    ("Office (020) 7946 0958, ask for the ward.", "7946"),
])
def test_foreign_postal_codes_and_phone_formats(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_codes_and_clinical_notation_are_no_identifiers() -> None:
    kept = ("ICD-10: I50.23, E11.65, N18.4, Z79.01. CPT 99223, 93306 and 99232. G3P2012 at 39w. HR 90s-100s. "
            "pT2N0M0; T2N 0M0. Seen at 0030 hrs, ratio (01) 123 456.")
    assert _out(kept) == kept


def test_same_patient_same_shift_and_surrogates_across_documents() -> None:
    """Two notes of one patient, written separately: one offset (intervals across a year end and
    29 February kept), the same fake name and phone; another patient gets others."""
    settings = DeidSettings(mode="surrogate", dates="shift", key="k")
    a = deidentify("Seen 12/28/2023 by Dr. Quonset, phone 617-555-0123.", patient_id="P1", settings=settings)
    b = deidentify("Dr. Quonset saw her 1/3/2024, 2/28/2024 and 3/1/2024. Call 617-555-0123.",
                   patient_id="P1", settings=settings)
    c = deidentify("Seen 12/28/2023 by Dr. Quonset.", patient_id="P2", settings=settings)
    dates = [dt.date(*map(int, (d[2], d[0], d[1]))) for d in
             (re.findall(r"(\d+)/(\d+)/(\d{4})", a.text) + re.findall(r"(\d+)/(\d+)/(\d{4})", b.text))]
    assert [(d - dates[0]).days for d in dates] == [0, 6, 62, 64]
    name_a = a.text[a.spans[1].out_start:a.spans[1].out_end]
    assert name_a in b.text and "Quonset" not in a.text + b.text
    assert re.search(r"\d{3}-\d{3}-\d{4}", a.text).group() in b.text
    assert c.text != a.text


def test_privacy_review_notes() -> None:
    """30 notes, 201 identifiers, every type among doses, labs, scores (GCS 14, MoCA 9/30), ICD/CPT codes,
    vitals. Measured on the code before this review: recall 0.851, precision 0.994; after: 0.955, 1.000
    (tuned on them: a floor, not an estimate). Still missed: cities and landmarks without a cue
    ("on speaker from Saskatoon", "Droop Mountain", "Bedford-Stuyvesant"), "Wingate at Silver Lake",
    "Anneliese Vogt-Baumann (passport ...)" at a line start."""
    from meddx.deid.evaluate import parse_marked, score

    raw = (Path(__file__).parent / "privacy_notes.txt").read_text(encoding="utf-8")
    notes = [parse_marked(block.strip("\n"), f"priv{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]
    assert len(notes) == 30 and sum(len(n.spans) for n in notes) == 201
    overall = score(notes, [detect(n.text) for n in notes])["overall"]
    assert overall["recall"] >= 0.95 and overall["precision"] >= 0.98, overall


def test_marked_notes_parse_into_plain_text_and_planted_spans() -> None:
    from meddx.deid.evaluate import parse_marked

    note = parse_marked("Seen by {NAME|Dr. Ray} on {DATE|3/4}; {PHONE|555-0100}.", "n1")
    assert note.text == "Seen by Dr. Ray on 3/4; 555-0100." and note.patient_id == "n1"
    assert [(note.text[s.start:s.end], s.type) for s in note.spans] == [("Dr. Ray", "NAME"), ("3/4", "DATE"),
                                                                       ("555-0100", "PHONE")]
