"""Fourth de-identification review (2026-11-24): 20 new hand-marked notes (``fourth_review_notes.txt``)
in styles and places the earlier sets do not have (Canadian, UK, Australian, Indian, Irish, New
Zealand, French and German addresses; telehealth with user names and IPs; radiology accessions and
scanner serials; a pedigree; a flowsheet export; a fax cover sheet; a genetic counselling letter;
social-media handles; a research consent; a note in capitals; an OCR'd page), then the misses they
and the third review showed. Each test below fails on the code before this review.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import detected_types as _types
from tests.unit.deid.deid_helpers import scrubbed as _out


def _notes() -> list:
    raw = (Path(__file__).parent / "fourth_review_notes.txt").read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"fourth{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


def test_fourth_review_notes() -> None:
    """Held out when scored on the code before this review: 138 of 184 found (recall 0.750), precision
    137/138 (0.993). Tuned on them since (so a floor, not an estimate): the floors are what the rules
    reach now (after the fifth review: found 183 of 184, recall 0.995; precision 180/181; NAME 69 of 69,
    LOCATION 45 of 46; before it 176, 173/174, 66 and 42)."""
    notes = _notes()
    assert len(notes) == 20 and sum(len(n.spans) for n in notes) == 184
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= 183 and overall["precision"] >= 180 / 181, overall
    assert per["NAME"]["found"] >= 69 and per["LOCATION"]["found"] >= 45, (per["NAME"], per["LOCATION"])


def test_second_name_of_a_list_after_a_label() -> None:
    for text, gone in [("Pelvic binder applied. Crew: D. Xu, L. Young.\nReport given.", "Young"),
                       ("Crew: D. Skarsgaard, L. Moreau.", "Moreau"),
                       ("cc: A. Ruiz; B. Okafor and C. D. Long", "Long")]:
        assert gone not in _out(text), _out(text)
    assert _out("Seen by: Dr. Ray, P. The patient improved.").endswith(", P. The patient improved.")


@pytest.mark.parametrize("text, kept", [
    ("2 large-bore IVs, NS 1 L. Passenger Fenwick Adeyemi, 34, refused transport.", "Passenger [NAME]"),
    ("User jtrevino3 accessed chart of Ximena Balderrama (MRN K4471902).", "User [NAME] accessed"),
])
def test_roles_before_a_name_are_no_name(text: str, kept: str) -> None:
    assert kept in _out(text), _out(text)


def test_roles_used_as_words_stay() -> None:  # a guard: these stayed before and must stay
    kept = ("Passenger side airbag deployed. User role: unit clerk. User has no treatment relationship. "
            "Passenger lists and User manuals are not reviewed.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone", [
    ("1400 family meeting, son on speaker from Saskatoon.", "Saskatoon"),
    ("Lifted from Kindersley landing zone 16:42 to Saskatoon.", "Kindersley"),
    ("Home: 1127 Avenue H South, Saskatoon, SK S7M 1X6. Lives with his grandmother.", "Saskatoon"),
    ("Home: 1127 Avenue H South, Saskatoon, SK S7M 1X6.", "Avenue H"),
    ("Address Unit 5/22 George St, Sydney NSW 2000.", "George"),
    ("Address Unit 5/22 George St, Sydney NSW 2000.", "Sydney"),
    ("Lives at 9 Smith St, Fitzroy VIC 3065.", "Fitzroy"),
    ("Patient now lives at 12B Rue de la Paix, 75002 Paris; her insurer", "Paix"),
    ("Patient now lives at 12B Rue de la Paix, 75002 Paris; her insurer", "Paris"),
    ("Address: Hauptstrasse 45, 10827 Berlin.", "Hauptstrasse"),
    ("Visiting from Hauptstrasse 45, 10827 Berlin. Rosacea.", "Berlin"),
    ("Flat 3, 27 Mill Lane, Headingley, Leeds LS6 3AB", "Flat 3"),
    ("Visited at home: Apt 4, 17 Harcourt Terrace, Dublin 2, D02 WK22.", "WK22"),
    ("Client at 14 Kowhai Road, Mt Albert, Auckland 1025. NHI ZAC4471.", "Mt "),
    ("Client at 14 Kowhai Road, Mt Albert, Auckland 1025. NHI ZAC4471.", "1025"),
    ("Address: Flat 302, Sai Krupa Apartments, 14th Cross, Indiranagar, Bengaluru 560038", "Indiranagar"),
    ("Address: Flat 302, Sai Krupa Apartments, 14th Cross, Indiranagar, Bengaluru 560038", "14th Cross"),
    ("Via Roma 12, Milano.", "Roma 12"),
    ("Letters mailed to relatives in Enugu and Silver Spring, MD 20910.", "Enugu"),
    ("Your cousins in Groningen may request testing.", "Groningen"),
])
def test_foreign_addresses_and_cities(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)


def test_address_shapes_in_clinical_text_stay() -> None:  # a guard for the new address rules
    kept = ("3rd Cross-match sent. Given in SA 2000 mg. Total NT 1840. Level NT 1200. ACT 180 s. Take 1/2 Tab daily. "
            "Has family in Recovery. Friends in Treatment meeting weekly. Family in Crisis program. GCS 15/15.")
    assert _out(kept) == kept


@pytest.mark.parametrize("text, gone, kind", [
    ("Sask. Health Card: 744 091 385   Admitted", "744 091 385", "HEALTH_PLAN"),
    ("UHID: MH-0049-22815   Aadhaar: 4521 8839 0176", "4521 8839 0176", "ID"),
    ("NOK: partner Jarrah Whitlam 0438 119 204.", "0438 119 204", "PHONE"),
    ("Posting on Instagram as @midnight_marauder_77 daily.", "@midnight_marauder_77", "ID"),
    ("and on TikTok as\n@caius.wrenegade. Mother shared screenshots.", "@caius.wrenegade", "ID"),
])
def test_national_numbers_mobiles_and_handles(text: str, gone: str, kind: str) -> None:
    assert _types(text).get(gone) == kind, _types(text)
    kept = "Give 2 mg @ 10 pm; O2 @2L, Tylenol @q6h, seen @0800, meds @hs, postop @home x 2 days."
    assert _out(kept) == kept  # "@" as "at"
    assert _out("E-mail a.b@example.org.") == "E-mail [EMAIL]."


@pytest.mark.parametrize("text, gone", [
    ("Informed consent obtained from Bartholomew Ekwueme on 3/27/2024.", "Ekwueme"),
    ("Consent taken at 14:05 by research coordinator\nSaoirse Mulcahy, CCRP.", "Mulcahy"),
    ("Signed in the presence of witness Tomasz Wrona.", "Wrona"),
])
def test_consent_and_witness_names(text: str, gone: str) -> None:
    assert gone not in _out(text), _out(text)
    assert _out("Assistant: Priya Venkataraman, PA-C\nAnesthesia: General") == \
        "Assistant: [NAME], PA-C\nAnesthesia: General"


def test_a_note_in_capitals() -> None:
    note = ("CHIEF COMPLAINT: SHORTNESS OF BREATH\nHPI: HORTENSE DELACROIX-BAPTISTE IS A 91 YO F FROM MAGNOLIA GARDENS "
            "NURSING HOME WITH CHF.\nDISPO: ADMIT TO CCU. DAUGHTER LORRAINE UPDATED BY PHONE.")
    out = _out(note)
    for gone in ("HORTENSE", "BAPTISTE", "MAGNOLIA", "NURSING HOME", "LORRAINE"):
        assert gone not in out, out
    assert "SHORTNESS OF BREATH" in out and "ADMIT TO CCU. DAUGHTER [NAME] UPDATED BY PHONE." in out


def test_flowsheet_initials_and_typist() -> None:
    note = ("Time|Temp|HR|BP|Initials|Comment\n0400|37.9|104|98/56|KMR|bolus given\n0800|37.4|92|112/64|JTW|ok\n"
            "Dictated by: Yoshiro Tanabe, MD   Transcribed: klh   Workstation 4")
    out = _out(note)
    assert "KMR" not in out and "JTW" not in out and "klh" not in out, out
    kept = "Time|Dose|Route|Site|Comment\n0900|5 mg|IV|L arm|tolerated\nTR: mild. MR: trace. Typed: yes."
    assert _out(kept) == kept


def test_an_ocr_page() -> None:
    note = ("Patient Narne: Ethelbert Quimby     D0B: 0l/22/1949     Acct#: 55O2-11873\n"
            "Addre ss: 4O9 Chestnut St., Wi1mington, DE 198O1\nLast exacerbation Dec 2O23.")
    out = _out(note)
    for gone in ("0l/22", "4O9", "Chestnut", "Wi1mington", "198O1", "2O23"):
        assert gone not in out, out
    assert "DE" in out  # the state is kept


def test_clinical_letter_digit_mixes_are_no_ocr_noise() -> None:
    from meddx.deid.ocr import ocr_reading

    text = "HbA1c 7.2%, T1DM on O2 2L, B12 low, CD10+ cells, ICD I10, H1N1 negative."
    assert ocr_reading(text) is None
    assert _out(text) == text
