"""Ninth de-identification review (2026-11-24).

Misses: internal telephone numbers (bleep, pager, extension), first names that are months or words ("April
Jones"), a surname in the possessive before a family word ("Spoke to Parkinson's wife"), a council or a "<place>
Royal" hospital, the town after a place, more British roles and labels before a name, lower-case "mr"/"mrs"
names, a name before an age and a full stop, a month/day a few words after "f/u". Over-scrubs: an eponymous
classification ("Herbert B1", "Weber B ankle"), a city's care pathway or score value ("Liverpool Care Pathway",
"Framingham 24%"), a specialty after "To:" ("To: Colorectal team"), a list of doses read as a UK landline ("Dose
0100 200 300 units"). Then 31 hand-marked notes (``test_deid_ninth_review_notes.txt``) scored before any rule
change and tuned on since, and 10 more (``test_deid_ninth_review_fresh_notes.txt``) written after the fixes and
scored once. Every test fails on the code before this review except the guards (marked), which pass before and
after: each guard puts the real identifier of the same shape where the new rule looks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.deid.detect import detect
from meddx.deid.evaluate import parse_marked, score
from tests.unit.deid.deid_helpers import covered as _covered
from tests.unit.deid.deid_helpers import untouched as _untouched

_HERE = Path(__file__).parent


def _notes(name: str) -> list:
    raw = (_HERE / name).read_text(encoding="utf-8")
    return [parse_marked(block.strip("\n"), f"ninth{i}", f"p{i}") for i, block in enumerate(raw.split("\n=====\n"))]


@pytest.mark.parametrize("text, phi", [
    ("SHO: Dr Kwame Asante, bleep 4421.", "4421"),  # an internal number is a telephone number (Safe Harbor D)
    ("Doctor covering: Bleep: 2871", "2871"),
    ("Colin Brandt, PA-C, pager #2231", "2231"),
    ("Pharmacist: Aisha Rahman, ext 4471.", "4471"),
    ("CNS Joanne Pike, 0161 446 3000 ext 2214.", "2214"),
    ("April Jones is a 67 year old woman.", "April Jones"),  # a month as a first name, before a found surname
    ("Seen by June Patel today.", "June Patel"),
    ("May Ahmed reports chest pain.", "May Ahmed"),
    ("Patient: April Jones", "April Jones"),
    ("Wife June Fairclough updated by phone.", "June Fairclough"),  # after a cue, a word-name before a surname
    ("Spoke to Parkinson's wife about discharge.", "Parkinson"),  # whoever has a wife is a person
    ("Crohn's daughter rang the ward.", "Crohn"),
    ("Spoke to Okonjo's daughter.", "Okonjo"),
    ("Social worker: Dwayne Okoye, Wigan Council children's services", "Wigan"),  # a local council's place
    ("DaTscan at Salford Royal on 22 April.", "Salford"),  # "<place> Royal": a hospital
    ("St Richard's Hospital, Chichester", "Chichester"),  # the town after a place, ending the clause
    ("Mr Bagshaw lives alone at Flat 4, Priory Court, Taunton.", "Taunton"),
    ("Attends St Mary's Primary School, Wigan.", "Wigan"),
    ("Parkinson's nurse Tracey Hume to call.", "Tracey Hume"),  # roles before a name
    ("Lives with housemate Liam Tuohy.", "Liam Tuohy"),
    ("Fellow Ajay Kulkarni reviewed.", "Ajay Kulkarni"),
    ("DN Lorna Haigh", "Lorna Haigh"),
    ("OT: Shona MacPhail.", "Shona MacPhail"),
    ("F1 Holly Brennan bleep 3367.", "Holly Brennan"),
    ("Coordinator: Tasha Greenwood, theatre list.", "Tasha Greenwood"),  # a coordinator label
    ("Care coordinator: Farah Naqvi, community team.", "Farah Naqvi"),
    ("bay 2 bed 3: mr ali hassan, IECOPD, NIV weaning.", "ali hassan"),  # "mr"/"mrs" without a full stop
    ("bed 7: mrs agatha pennywhistle, NOF repair day 2.", "agatha pennywhistle"),
    ("Daniel Okafor-Reid, 27. Section 2 MHA.", "Daniel Okafor-Reid"),  # a name, an age and a full stop
    ("F/u with cardiology 10/21. Fax summary.", "10/21"),  # a month/day a few words after "f/u"
    ("Plan: PT eval, MiraLAX, recheck BMP 12/2.", "12/2"),
])
def test_ninth_review_misses_are_found(text: str, phi: str) -> None:
    assert _covered(text, phi), [(text[s.start:s.end], s.type) for s in detect(text)]


@pytest.mark.parametrize("text, word", [
    ("Undisplaced scaphoid waist fracture (Herbert B1).", "Herbert"),  # the Herbert classification of scaphoid
    ("Herbert screw for scaphoid (Herbert B2) also united.", "Herbert"),  # fractures, the Herbert screw
    ("R ankle fracture: Weber B ankle fracture, ORIF.", "Weber"),  # the Weber classification
    ("Comfort meds per the Liverpool Care Pathway.", "Liverpool"),  # a city's care pathway
    ("Duke treadmill score -3. Framingham 24%. ECG: LBBB.", "Framingham"),  # a score named after a town, its value
    ("To: Colorectal team, Musgrove Park Hospital", "Colorectal"),  # a specialty after "To:"
    ("Dose 0100 200 300 units insulin glargine titration.", "0100"),  # doses, not a UK landline
])
def test_ninth_review_over_scrubs_are_kept(text: str, word: str) -> None:
    assert _untouched(text, word), [(text[s.start:s.end], s.type) for s in detect(text)]


@pytest.mark.parametrize("text, phi", [  # guards: the real identifier of the same shape (pass before and after)
    ("Reviewed by Dr Herbert today.", "Herbert"),  # a name after a title whatever follows
    ("Herbert Jones reviewed the X-ray.", "Herbert Jones"),
    ("Moved to Liverpool 2 years ago.", "Liverpool"),
    ("Lives in Framingham with her son.", "Framingham"),
    ("To: Ms Priya Natarajan, Colorectal team", "Priya Natarajan"),
    ("Call 0161 474 3870 today.", "0161 474 3870"),
    ("Duty line 0161 474 3870.", "0161 474 3870"),
    ("(915) 555-0172 ext 2214", "(915) 555-0172 ext 2214"),  # a full number keeps its extension in one span
    ("Spoke to Smith's wife about discharge.", "Smith"),
    ("Seen by A. Okonkwo in clinic.", "A. Okonkwo"),
])
def test_ninth_review_guards_real_phi_of_the_same_shape(text: str, phi: str) -> None:
    assert _covered(text, phi), [(text[s.start:s.end], s.type) for s in detect(text)]


@pytest.mark.parametrize("text, word", [  # guards: clinical words where the new rules look (pass before and after)
    ("Parkinson's disease, on Sinemet.", "Parkinson"),
    ("Parkinson's nurse to call next week.", "Parkinson"),
    ("Baby's mother present at the review.", "Baby"),
    ("seen in May by the falls team.", "falls"),
    ("Knee extension 10 degrees, flexion 90.", "10"),
    ("Please see page 12 of 20.", "12"),
    ("mod mr and tr. mr jet eccentric. mr vena contracta 0.5.", "jet"),
    ("f/u in clinic 6/52. Recheck pain score 7/10.", "6/52"),
    ("Registered with the General Medical Council.", "General"),
    ("Nursing and Midwifery Council PIN checked.", "Midwifery"),
    ("Royal College of Physicians guideline.", "Royal"),
    ("Seattle, Wash. Considering all out-of-hospital arrests", "Wash"),
    ("OT: Assessment done. nurse Prescriber review. Registrar Rota.", "Prescriber"),
    # the article "A" in capitals is no initial (the new specialty words would have cut the label's name short)
    ("PLACEMENT WAS PERFORMED BY A GASTROINTESTINAL ENDOSCOPY ASSISTANT.", "GASTROINTESTINAL"),
])
def test_ninth_review_guards_clinical_words_stay(text: str, word: str) -> None:
    assert _untouched(text, word), [(text[s.start:s.end], s.type) for s in detect(text)]


def test_pager_number_in_the_shape_of_an_extension_is_a_phone() -> None:
    """"pager 5-3390" was scrubbed as a generic ID before; it is a telephone number (Safe Harbor D)."""
    text = "Fellow on pager 5-3390."
    assert {text[s.start:s.end]: s.type for s in detect(text)}.get("5-3390") == "PHONE"


def test_ninth_review_notes() -> None:
    """31 notes written and marked before any rule change of this review. Scored on the code before it: 216 of
    256 found (recall 0.844), precision 217/224 (0.969); NAME 88 of 99, LOCATION 50 of 65, PHONE 18 of 25, DATE
    33 of 38. Tuned on them since (a floor, not an estimate): 236 of 256 (0.922), precision 237/237."""
    notes = _notes("test_deid_ninth_review_notes.txt")
    assert len(notes) == 31 and sum(len(n.spans) for n in notes) == 256
    table = score(notes, [detect(n.text) for n in notes])
    overall, per = table["overall"], table["per_type"]
    assert overall["found"] >= 236 and overall["correct"] >= overall["detected"], overall
    assert per["NAME"]["found"] >= 94 and per["PHONE"]["found"] == 25 and per["LOCATION"]["found"] >= 55, per


def test_ninth_review_fresh_notes() -> None:
    """10 notes written after the fixes and scored once, untuned: the code before this review found 61 of 82
    (0.744), precision 61/66 (0.924); this review's code, as first measured, 72 of 82 (0.878), precision 72/73
    (0.986). Two misses they showed were fixed after that measurement (a "Coordinator:" label, an "F1" doctor),
    so the floor below, 75 of 82, is no longer a held-out figure."""
    notes = _notes("test_deid_ninth_review_fresh_notes.txt")
    assert len(notes) == 10 and sum(len(n.spans) for n in notes) == 82
    table = score(notes, [detect(n.text) for n in notes])
    overall = table["overall"]
    assert overall["found"] >= 75 and overall["correct"] >= overall["detected"] - 1, overall
