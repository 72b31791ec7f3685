"""Leaks and defects left by the earlier adversarial reviews (docs/deid-notes.md, each review's "Still missed"),
each on a hand-written note: the identifier must go, and the clinical text around it must stay.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from meddx.deid import DeidSettings, deidentify
from meddx.deid.detect import detect
from tests.unit.deid.deid_helpers import SHIFT
from tests.unit.deid.deid_helpers import detected_types as _types
from tests.unit.deid.deid_helpers import scrubbed as _out


def test_employer_made_of_ordinary_words() -> None:
    note = ("SOCIAL: Works at Home Depot as a cashier. Husband was employed by General Motors for 30 years; "
            "his brother retired from Union Pacific in 2010. Employer: Bank of America.\n"
            "WORKS AT HOME DEPOT AS A CASHIER.")
    types = _types(note)
    for employer in ("Home Depot", "General Motors", "Union Pacific", "Bank of America", "HOME DEPOT"):
        assert types.get(employer) == "NAME", (employer, types)
    out = _out(note)
    assert "as a cashier" in out and "for 30 years" in out and "AS A CASHIER" in out
    kept = ("Works at home, part time. Employer: Self-employed. Will work with PT. Return to work for light duty. "
            "Placed in the supine position with a wedge. Retired from teaching in 2010. Employer: N/A.")
    assert _out(kept) == kept
    assert _out("Employed at the VA. Works nights.") == "Employed at the [NAME]. Works nights."


@pytest.mark.parametrize("text, name", [
    ("Patient John Q. Public was seen today.", "John Q. Public"),
    ("Seen with John Q Public in clinic.", "John Q Public"),
    ("J. Q. Public reports chest pain.", "J. Q. Public"),
    ("Mary-Ann O'Neil presents with cough.", "Mary-Ann O'Neil"),
    ("pt mary-ann o'neil, resting comfortably", "mary-ann o'neil"),
])
def test_names_with_middle_initials_and_ordinary_surnames(text: str, name: str) -> None:
    out = _out(text)
    for word in re.findall(r"[\w'’-]{2,}", name):  # "Patient [NAME] Public" used to keep the surname
        assert re.search(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", out) is None, out


def test_a_middle_initial_before_a_sentence_stays_a_sentence() -> None:
    out = _out("Seen by Tom B. The patient reports less pain. U. S. Surgical Corp stapler used.")
    assert "The patient reports less pain." in out and "U. S. Surgical Corp" in out
    kept = "CXR A. P. View shows no infiltrate. P. S. Call me tomorrow. O. D. Drops twice daily."
    assert _out(kept) == kept


@pytest.mark.parametrize("facility", [
    "Massachusetts General Hospital", "Brigham and Women's Hospital", "St. Mary's Medical Center", "Mayo Clinic",
    "Children's Hospital of Philadelphia", "University of Michigan Hospital",
])
def test_named_hospitals_are_locations(facility: str) -> None:
    note = f"Transferred from {facility} on hospital day 2 for ECMO."
    assert _types(note).get(facility) == "LOCATION", _types(note)
    assert _out(note) == "Transferred from [LOCATION] on hospital day 2 for ECMO."


def test_two_hospitals_joined_by_and_stay_two_and_generic_ones_stay() -> None:
    types = _types("Followed at St. Mary's Medical Center and Mayo Clinic. TRANSFERRED FROM MASSACHUSETTS GENERAL HOSPITAL.")
    assert types.get("St. Mary's Medical Center") == types.get("Mayo Clinic") == "LOCATION"
    assert types.get("MASSACHUSETTS GENERAL HOSPITAL") == "LOCATION"
    kept = ("Admitted to the General Hospital ward. Seen in Mental Health Clinic. Referred to the Clinic for Pain "
            "Management. Funding from the National Institutes of Health and the American Academy of Pediatrics.")
    assert _out(kept) == kept


@pytest.mark.parametrize("note, name", [
    ("Please call with questions.\nCheers,\nTom", "Tom"),
    ("thanks,\nmaria", "maria"),
    ("Labs reviewed, no changes.\nTom\nNurse Practitioner, Cardiology", "Tom"),
    ("Take care,\nBeatriz\nFront desk", "Beatriz"),
    ("Wound care as above.\nJane\nSmith, RN", "Jane"),
    ("Pt stable overnight.\nPlan discussed with team.\n- maria", "maria"),
])
def test_first_name_alone_on_a_signature_line(note: str, name: str) -> None:
    out = _out(note)
    assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", out) is None, out


def test_signature_roles_and_headings_stay() -> None:
    kept = ("Thanks,\nFront Desk\n\nRegards,\nthe team\n\nAssessment\nRN to call in AM\n\nDyspnea\nPatient reports SOB\n"
            "Tom\nNurse to call tomorrow")
    out = _out(kept)
    assert out.replace("[NAME]", "Tom") == kept  # at most the name "Tom"; no role word is taken
    assert "Nurse Practitioner" in _out("Labs reviewed.\nTom\nNurse Practitioner")
    kept = "Allergies\nPenicillin\nPatient\nreports rash\nReview\nAdvil\nResident, PGY2"  # lists, not signatures
    assert _out(kept) == kept


@pytest.mark.parametrize("text, age", [
    ("She is a nonagenarian with CHF.", "nonagenarian"),
    ("A centenarian admitted for a hip fracture.", "centenarian"),
    ("ninety-three year old man with a fall", "ninety-three"),
    ("A 93-year-old woman with syncope.", "93"),
    ("ninety-one y/o female", "ninety-one"),
    ("aged ninety-four, lives alone", "ninety-four"),
    ("woman in her late 90s with dementia", "90s"),
])
def test_ages_over_89_in_words(text: str, age: str) -> None:
    assert _types(text).get(age) == "AGE", _types(text)
    assert "[AGE>89]" in _out(text)


def test_nineties_that_are_no_age_stay() -> None:
    kept = "SpO2 in the 90s on 2 L. SBP in the low 90s. Ninety patients were screened. Sats 94% RA."
    assert _out(kept) == kept


@pytest.mark.parametrize("text, value, kind", [
    ("licence no. ДЛ-77812 verified", "ДЛ-77812", "LICENSE"),
    ("Lic# Ü-48213 on file", "Ü-48213", "LICENSE"),
    ("Driver's license: ÄB-99812", "ÄB-99812", "LICENSE"),
    ("passport Nº 7712004", "7712004", "LICENSE"),
    ("MRN: Ж-0048213", "Ж-0048213", "MRN"),
])
def test_context_numbers_with_letters_of_any_script(text: str, value: str, kind: str) -> None:
    assert _types(text).get(value) == kind, _types(text)
    assert value not in _out(text, DeidSettings(mode="surrogate", key="k"))


def test_compact_dates_are_shifted_dates_not_ids() -> None:
    note = "Specimen collected 20210304, resulted 20210310. MRN 20210304. Acct #20210304. Order 20210304."
    types = [(note[s.start:s.end], s.type) for s in detect(note)]
    assert types == [("20210304", "DATE"), ("20210310", "DATE"), ("20210304", "MRN"), ("20210304", "ACCOUNT"),
                     ("20210304", "ID")]
    out = _out(note, SHIFT)
    first, second = re.findall(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", out)[:2]
    a, b = (dt.date(int(y), int(m), int(d)) for y, m, d in (first, second))
    assert (b - a).days == 6 and a != dt.date(2021, 3, 4)
    assert "MRN [MRN]" in out and "Order [ID]" in out


def test_eight_digit_numbers_that_are_no_dates_stay_ids() -> None:
    note = "Ref 20211345, count 20210304000, 2021030412, 4455-20210304, lot 18991231"
    assert all(s.type != "DATE" for s in detect(note))


def test_a_yearless_date_keeps_its_interval_to_a_dated_one() -> None:
    # shifted within a leap reference year, "3/18" landed a day off "3/11/2021" when the shift crossed 29 Feb
    for offset in (-90, -60, -30, -200, -365):
        settings = DeidSettings(mode="tag", dates="shift", key="k", shift_days=(offset, offset))
        out = _out("Seen on 3/11/2021 and again on 3/18. Admitted 12/28/2020, seen on 1/3.", settings)
        (m1, d1, y1), (m2, d2), (m3, d3, y3), (m4, d4) = (
            tuple(int(x) for x in g.split("/")) for g in re.findall(r"\d{1,2}/\d{1,2}(?:/\d{4})?", out))
        first = dt.date(y1, m1, d1)
        second = min((dt.date(y, m2, d2) for y in (y1 - 1, y1, y1 + 1)), key=lambda d: abs((d - first).days))
        assert (second - first).days == 7, (offset, out)
        third = dt.date(y3, m3, d3)
        fourth = min((dt.date(y, m4, d4) for y in (y3, y3 + 1)), key=lambda d: abs((d - third).days))
        assert (fourth - third).days == 6, (offset, out)


# Found while writing the hand-written review notes below (review_notes.txt): each identifier used to stay.
@pytest.mark.parametrize("text, gone, kept", [
    ("Discharge planned 6/16 if stable.", "6/16", "Discharge planned"),
    ("Dressing change daily; next measurement 5/14.", "5/14", "next measurement"),
    ("Pt is a 4 yo boy, Eli Vandermeer. Echo stable.", "Vandermeer", "4 yo boy"),
    ("Lives with roommate Bex on Larkspur Lane.", "Larkspur", "Lives with roommate"),
    ("Pharmacy: Walgreens on Elm St.", "Elm St", "Pharmacy: Walgreens on"),
    ("Goals discussed with HCP Reverend Dale Osgood.", "Osgood", "HCP Reverend"),
    ("Letter for school (Hawthorne Middle School).", "Hawthorne", "Letter for school"),
    ("Pt works as a line cook at\nOlive Garden.", "Olive Garden", "line cook"),
    ("Travel to Oaxaca planned.", "Oaxaca", "Travel to"),
    ("Daughter en route from Yuma.", "Yuma", "en route from"),
    ("Works at job sites around Missoula.", "Missoula", "job sites around"),
    ("Contact Rafael Ybarra-Quintanilla via the clinic line.", "Ybarra", "Contact"),
    ("Photos taken (IMG_4471.jpg).", "IMG_4471", "Photos taken"),
    ("Amara, 6 mo, here with mom.", "Amara", "6 mo, here with mom"),
    ("Covering: Yusuf.", "Yusuf", "Covering:"),
    ("Fall in August. Quit smoking last May.", "August", "Fall in"),
    ("Brought by EMS from Sunset Palms Mobile Home Park.", "Sunset Palms", "Brought by EMS from"),
])
def test_review_note_leaks(text: str, gone: str, kept: str) -> None:
    out = _out(text)
    assert gone not in out and kept in out, out


def test_a_serial_without_number_word_is_a_device() -> None:
    assert _types("Pump: Tandem, serial TS1128844.").get("TS1128844") == "DEVICE"  # was a generic [ID]


def test_review_note_clinical_text_stays() -> None:
    kept = ("Serial troponins and serial 12-lead ECGs. Called Rapid Response. Paged Night Float. Contact Cardiology. "
            "Outside Hospital records reviewed. Seen in the Clinic for Wound Care. Near syncope. Pain near Umbilicus. "
            "Hx of MS, Parkinson disease, Down syndrome. Apgar 9/9. Return, 6 weeks, sooner prn. A 67 yo man, Spanish "
            "Speaking, with CP. Will work with PT. Works at a desk job. logo.png attached. He may go home.")
    assert _out(kept) == kept
    kept = "SERIAL 12-LEAD ECGS AND SERIAL TECHNETIUM-99M SCANS."  # "99M" was an age and sex
    assert _out(kept) == kept


def test_hand_written_review_notes() -> None:
    """37 notes written for this review (25, then 12 more after the first fixes), every type mixed with
    doses, labs, scores, eponyms, "MS", "Apgar 9/9". Measured before the review's fixes: recall 0.857 and
    0.882 (precision 0.991, 1.000); after: 1.000 and 1.000 (tuned on them: a floor, not an estimate)."""
    from pathlib import Path

    from meddx.deid.evaluate import parse_marked, score

    raw = (Path(__file__).parent / "review_notes.txt").read_text(encoding="utf-8")
    notes = [parse_marked(marked.strip("\n"), f"review{i}", f"p{i}") for i, marked in enumerate(raw.split("\n=====\n"))]
    assert len(notes) == 37 and sum(len(n.spans) for n in notes) == 184
    overall = score(notes, [detect(n.text) for n in notes])["overall"]
    assert overall["recall"] >= 0.98 and overall["precision"] >= 0.98, overall


@pytest.mark.parametrize("text, dates", [
    ("Seen on 3/11/2021, f/u 3/18.", ["3/11/2021", "3/18"]),
    ("Admitted 03/11/2021. Follow-up 3/18 in clinic.", ["03/11/2021", "3/18"]),
    ("Seen 3/4, then 3/11 and 3/18.", ["3/4", "3/11", "3/18"]),
    ("RTC 4/2 for a wound check.", ["4/2"]),
    ("Returned 4/1 with fever.", ["4/1"]),
])
def test_month_days_after_follow_up_words_are_dates(text: str, dates: list[str]) -> None:
    """Found in the lead's review of this audit: "f/u 3/18", "Follow-up 3/18", "then 3/11" and
    "RTC 4/2" were kept (the month/day rule needs a date word before it)."""
    out = deidentify(text).text
    for value in dates:
        assert value not in out
    assert out.count("[DATE]") == len(dates)


def test_scores_and_ratios_beside_follow_up_words_stay() -> None:
    text = "Strength 5/5, pain 3/10, murmur 2/6. Return in 2 weeks. Apgar 9/9."
    assert deidentify(text).text == text
