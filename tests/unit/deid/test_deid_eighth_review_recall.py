"""Adversarial review of the eighth review's dropping rules (``meddx.deid.clinical_terms``).

Each rule that drops a name or place candidate can lose real PHI. These notes put a real person or place where
the rules look (a person's cue before a scale-like word, a full name after an anatomical "of", an eponym's
possessive that names a home or a street, a hospital before a triage colour, a date before "of"); the code before
the eighth review found every one of them and the eighth review's code lost them. The over-scrub fixes of the
eighth review (``test_deid_eighth_review.py``) stay as they were.
"""

from __future__ import annotations

import pytest

from meddx.deid.detect import detect
from tests.unit.deid.deid_helpers import covered as _covered


@pytest.mark.parametrize("text, phi", [
    ("Patient: Paget Scale noted.", "Paget"),  # a person's label, then a surname and a scale-like word
    ("Daughter Ruth Scale visited.", "Ruth Scale"),
    ("Contact: Anna Rule 0161 474 3870", "Anna Rule"),
    ("Pt Mary Kansas City Questionnaire done.", "Mary"),
    ("Body of Peter Grant released to the undertaker.", "Peter Grant"),  # a full name after an anatomical "of"
    ("Ring of Sarah Cole's husband.", "Sarah Cole"),
    ("Node of John's.", "John"),
    ("Discharged to Parkinson's, a care home in Leeds.", "Parkinson's"),  # an eponym's possessive naming a place
    ("He lives at Paget's, a residential home.", "Paget's"),
    ("Lives in Cushing's Lane.", "Cushing's"),
    ("Triage at Leeds General Infirmary ORANGE.", "Leeds General Infirmary"),  # a hospital before a colour
    ("Triage nurse Manchester Orange.", "Manchester"),
    ("Seen 12/03 of last year.", "12/03"),  # a day and month before "of", no fraction
    ("Lives in Glasgow Coma Scale 15 on arrival.", "Glasgow"),  # a town, the full stop left out
    ("Referred to Edinburgh Royal Infirmary triage.", "Edinburgh Royal Infirmary"),  # a hospital before "triage"
    ("Mother: Jane Edinburgh Postnatal Depression Scale 6.", "Jane"),  # a first name before a city's scale
    ("Karen Wells score 4 by nurse.", "Karen"),  # a first name and a listed surname before "score"
    ("Lives near the circle of Willis Road.", "Willis"),  # a street after an anatomical "of"
    ("Husband Bill Simpson biplane flying lessons.", "Bill Simpson"),
    ("Next of kin: daughter Eve Index (mobile)", "Eve"),
    ("Moved from Boston Scale 3 grade school.", "Boston"),
    ("Transferred from Conn's.", "Conn's"),
    ("Staying at Hodgkin's, 4 Mill Lane.", "Hodgkin's"),
    ("Daughter works at Barrett's.", "Barrett's"),
])
def test_phi_where_the_dropping_rules_look_stays_found(text: str, phi: str) -> None:
    assert _covered(text, phi), [(text[s.start:s.end], s.type) for s in detect(text)]


@pytest.mark.parametrize("text", [  # guards: the clinical terms stay unscrubbed (pass before and after this fix)
    "Mother: Edinburgh Postnatal Depression Scale 6. Lochia normal.",
    "Anaemia from Crohn's, on iron.",
    "Triage cat: Manchester ORANGE (very urgent).",
    "The circle of Willis is not assessed on this study.",
    "Drain removed 3/4 of the way.",
    "Tetralogy of Fallot, repaired.",
    "Anaemia from Crohn's, a chronic disease.",
])
def test_clinical_terms_stay_unscrubbed(text: str) -> None:
    assert detect(text) == []
