"""Regressions of the tenth de-identification review (291569a), found by an independent adversarial review: real
identifiers its new skipping rules dropped (a first name in -led/-hed after a role, "HCA Khaled Mansour", or an
unlisted one before an English-looking surname, "Carer Rutendo Masters"; a person after "discharge mrs"; a clinic's
extension after a joint, "Knee clinic ext 2214"; a follow-up date after a score word whose total it is not, "MMSE
11/14"; a council named for a side of its county, "North Yorkshire Council"), and ordinary text its new police finders
and score gate scrubbed (a spinal collar's weeks, a shoulder fracture, "PC 999 call", "PC 100 mmHg", "Police number
101", "Hamilton 24 points"). The first two tests fail on 291569a; the guards keep what it fixed.
"""

from __future__ import annotations

import pytest

from tests.unit.deid.deid_helpers import covered as _covered
from tests.unit.deid.deid_helpers import untouched as _untouched


@pytest.mark.parametrize("text, phi", [
    ("HCA Khaled Mansour escorted pt to CT.", "Khaled Mansour"),  # a first name in -led, not a heading's verb
    ("Physio Rashed Uddin mobilised pt.", "Rashed Uddin"),  # ... in -hed
    ("Carer Rutendo Masters rang.", "Rutendo Masters"),  # an unlisted first name before an English-looking surname
    ("HCA Tendai Blessings helped with wash.", "Tendai Blessings"),
    ("F1 Zanele Sweets reviewed.", "Zanele Sweets"),
    ("ready for discharge mrs jane smith bed 4", "jane smith"),  # "mrs" after a stroke word, before a name
    ("baseline mrs jane okoro, no change", "jane okoro"),
    ("Hip clinic ext 4471 for appointments.", "4471"),  # an extension of four digits is no angle
    ("Knee clinic ext 2214.", "2214"),
    ("Shoulder team ext 3345 re physio.", "3345"),
    ("Flex sig booked, call ext 2231 to confirm.", "2231"),  # "flex" sigmoidoscopy, not flexion
    ("Neck ext 4471 ask for Jo.", "4471"),  # no neck extends 4471 degrees
    ("Follow up memory clinic MMSE 11/14", "11/14"),  # MMSE is out of 30: a date
    ("North Yorkshire Council safeguarding informed.", "North Yorkshire Council"),
    ("West Berkshire Council aware of the referral.", "West Berkshire Council"),
])
def test_identifiers_the_tenth_review_dropped_are_found(text: str, phi: str) -> None:
    assert _covered(text, phi)


@pytest.mark.parametrize("text, word", [
    ("Philadelphia collar 6/52, then review.", "6/52"),  # a spinal collar's weeks, no collar number
    ("Hard collar 10-12 weeks per spinal team.", "10-12"),
    ("R shoulder # 6/52 ago, now stiff.", "6/52"),  # "#" is a fracture
    ("L shoulder # 2019, conservatively managed.", "2019"),
    ("PC 999 call for chest pain.", "999"),  # a presenting complaint, the public number
    ("PC 111 referral, abdo pain.", "111"),
    ("Police number 101 for non-emergencies.", "101"),
    ("PC 100 mmHg plateau on the ventilator.", "100"),  # pressure control
    ("DC 1500 kcal diet.", "1500"),
    ("HAM-D: Hamilton 24 points, moderate depression.", "Hamilton"),  # a score's points
])
def test_ordinary_text_the_tenth_review_scrubbed_stays(text: str, word: str) -> None:
    assert _untouched(text, word)


@pytest.mark.parametrize("text, phi", [
    ("Collar number 4471.", "4471"),
    ("collar 4471 attended with the patient.", "4471"),
    ("Police officer shoulder number 2231 present.", "2231"),
    ("PC 1234 attended the ward.", "1234"),
    ("Follow-up with ENT 10/21.", "10/21"),
    ("Ahmed 88% on 2L.", "Ahmed"),  # a person's sats
    ("Bay 4: Jones C3, for d/c.", "Jones"),
])
def test_guards_identifiers_still_found(text: str, phi: str) -> None:
    assert _covered(text, phi)


@pytest.mark.parametrize("text, word", [
    ("Knee flex 120 ext 180.", "180"),  # a range of movement
    ("Hip ext 20 degrees.", "20"),
    ("Knee extension 1000 N force.", "1000"),  # a force
    ("Follow-up GCS 9/15.", "9/15"),
    ("f/u MMSE 9/30.", "9/30"),
    ("recheck VA R 6/6 L 6/9.", "6/9"),
    ("Medical Research Council funded trial.", "Medical Research Council"),
    ("DC Shock Delivered at 200J.", "Shock Delivered"),
    ("Paramedic Crew Arrived at 10:02.", "Crew Arrived"),
    ("Falls risk: Wells 6 points.", "Wells"),
    ("F2 Rotation Ends.", "Rotation"),
    ("DC Cardioversion Successful.", "Cardioversion"),
    ("premorbid mrs two, discharge mrs three", "two"),
])
def test_guards_ordinary_text_still_stays(text: str, word: str) -> None:
    assert _untouched(text, word)
