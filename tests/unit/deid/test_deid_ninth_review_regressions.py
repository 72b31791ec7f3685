"""Regressions of the ninth de-identification review (5a5e477), found by an adversarial review of its new rules.

Identifiers it lost: a listed surname found alone before a bay or bed code or a generational suffix ("Jones C3",
"Harrison II") was dropped as an eponymous classification, and before the patient's own saturation ("Ahmed 88% on
2L") as a score value; a landline before the owner's initials ("0161 474 3870 G Harris") was read as a dose in
grams. Over-scrubs it added: a range of movement after "ext" ("Knee flex 120 ext 180"), a heading's verb after a
role ("DC Shock Delivered"), the modified Rankin scale after "mrs" ("pre-stroke mrs baseline zero"), a family word
in the possessive ("Mum's partner", "Carer's son"), a score, a visual acuity or a span of time a few words after
"f/u" ("recheck VA R 6/6", "recheck INR 3/4 weeks") and a national body before "Council" ("Medical Research
Council").
The first two groups fail on 5a5e477; the guards pass before and after and put the real identifier of the same
shape where each narrowed rule looks.
"""

from __future__ import annotations

import pytest

from tests.unit.deid.deid_helpers import covered as _covered
from tests.unit.deid.deid_helpers import untouched as _untouched


@pytest.mark.parametrize("text, phi", [
    ("Handover: Jones C3 - chest pain, trop pending.", "Jones"),  # a bay code, not a classification
    ("Bay list: Patel B2 NOF, Khan A1 sepsis.", "Patel"),
    ("Bay list: Patel B2 NOF, Khan A1 sepsis.", "Khan"),
    ("Reviewed with Harrison II on the ward round.", "Harrison"),  # a generational suffix
    ("Obs: Ahmed 88% on 2L, escalate.", "Ahmed"),  # his saturation, not a score named after him
    ("Sats: Nguyen 95% RA this morning.", "Nguyen"),
    ("Contact: 0161 474 3870 G Harris (son).", "0161 474 3870"),  # "G" is an initial, not grams
    ("Daughter 0161 474 3870 ML Patel.", "0161 474 3870"),
])
def test_identifiers_the_ninth_review_lost_are_found(text: str, phi: str) -> None:
    assert _covered(text, phi)


@pytest.mark.parametrize("text, word", [
    ("Lumbar flex/ext 100% of normal.", "100"),  # a range of movement, not an extension number
    ("Knee flex 120 ext 180 on goniometer.", "180"),
    ("Hip ext 120 with pain.", "120"),
    ("DC Shock Delivered at 200J.", "Shock Delivered"),  # a heading's verb after a role
    ("Paramedic Crew Arrived at 10:02.", "Crew Arrived"),
    ("pre-stroke mrs baseline zero.", "baseline zero"),  # the modified Rankin scale
    ("Mum's partner attends with her.", "Mum"),  # a relative named by the family word
    ("recheck VA R 6/6 L 6/9.", "6/6"),  # visual acuity
    ("Follow-up GCS 9/15 at 2h.", "9/15"),  # a score out of its total
    ("f/u MMSE 9/30 on memory clinic visit.", "9/30"),
    ("recheck INR 3/4 weeks.", "3/4"),  # three to four weeks
    ("Follow-up CT chest 6/9 months.", "6/9"),
    ("GMC and Medical Research Council funded.", "Research"),  # a national body, not a local council
    ("Carer's son collected.", "Carer"),
    ("DC Cardioversion Successful.", "Cardioversion"),  # a heading after a role
    ("F2 Rotation Ends.", "Rotation"),
])
def test_ninth_review_over_scrubs_are_kept(text: str, word: str) -> None:
    assert _untouched(text, word)


# guards: pass before and after
@pytest.mark.parametrize("text, phi", [
    ("Hip fracture CNS ext 4471 for advice.", "4471"),  # a joint word further back: a telephone number
    ("Call back on ext 2214 after 2pm.", "2214"),
    ("Paramedic Tom Reilly arrived at 10:02.", "Tom Reilly"),  # a name after the role, a verb after it
    ("bed 7: mrs agatha pennywhistle, NOF repair day 2.", "agatha pennywhistle"),
    ("Spoke to mrs ingrid okafor by phone.", "ingrid okafor"),
    ("F/u with ophthalmology 6/9.", "6/9"),  # a date after a follow-up, no score word between
    ("Follow up with renal 9/15 in clinic.", "9/15"),
    ("Spoke to Kirkbride's wife re discharge.", "Kirkbride"),
    ("f/u with GP 3/4 for bloods.", "3/4"),
    ("Tameside Council housing team.", "Tameside"),
    ("physio Dean Okoro mobilised her.", "Dean Okoro"),
    ("Found by carer Precious Moyo at home.", "Precious Moyo"),
    ("F1 Holly Brennan bleep 3367.", "Holly Brennan"),
])
def test_guards_identifiers_where_the_narrowed_rules_look(text: str, phi: str) -> None:
    assert _covered(text, phi)


@pytest.mark.parametrize("text, word", [
    ("Undisplaced scaphoid waist fracture (Herbert B1).", "Herbert"),  # classifications named after people
    ("R ankle fracture: Weber B ankle fracture, ORIF.", "Weber"),
    ("Duke treadmill score -3. Framingham 24%. ECG: LBBB.", "Framingham"),
    ("Dose 0200 400 600 mg daily.", "0200"),  # a list of doses in lower-case units
])
def test_guards_classifications_and_doses_stay(text: str, word: str) -> None:
    assert _untouched(text, word)
