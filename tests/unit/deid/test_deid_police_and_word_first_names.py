"""Known misses after the ninth de-identification review, each with a narrow rule: police references and collar
numbers ("crime ref 12/3456/22", "incident number 4567 of 12/03", "PC 1234"), a first name that is a month or a
word before an unlisted surname, an age and a sex at a line's start ("June Okafor, 45F"), and the Weber class
letter after an ankle fracture ("R ankle Weber C", an over-scrub). The first two tests fail on the code before;
the guards pass before and after and put ordinary text (or the real identifier) where each new rule looks.
"""

from __future__ import annotations

import pytest

from tests.unit.deid.deid_helpers import covered as _covered
from tests.unit.deid.deid_helpers import untouched as _untouched


@pytest.mark.parametrize("text, phi", [
    ("June Okafor, 45F, admitted with chest pain.", "June Okafor"),  # a month as a first name, unlisted surname
    ("2. April Sinclair, 31F, R ankle fracture.", "April Sinclair"),  # after a list number
    ("Police: crime ref 12/3456/22 given.", "12/3456/22"),  # police references: identifying numbers
    ("Police incident number 4567 of 12/03.", "4567 of 12/03"),
    ("Police ref CAD 4471/14JAN.", "CAD 4471/14JAN"),
    ("Collar number 4471.", "4471"),
    ("Police officer PC Hollis present, collar no. 4471.", "4471"),
    ("PC 1234 attended the ward.", "1234"),  # a constable's collar number
    ("PCSO 7789 brought him in.", "7789"),
    ("Storm ref 1456 today.", "1456"),
])
def test_known_misses_are_found(text: str, phi: str) -> None:
    assert _covered(text, phi)


@pytest.mark.parametrize("text, word", [
    ("R ankle Weber C, ORIF.", "Weber"),  # the Weber classification after the fracture it classifies
    ("L fibula fracture - Weber B.", "Weber"),
])
def test_weber_class_after_an_ankle_fracture_is_kept(text: str, word: str) -> None:
    assert _untouched(text, word)


# guards: pass before and after
@pytest.mark.parametrize("text, word", [
    ("DC 200J delivered.", "200"),  # a shock's energy, not an officer
    ("DC 360 biphasic x1.", "360"),
    ("PC 2 of 3 explained.", "2 of 3"),  # a principal component
    ("Incident 2 of 3 falls this month.", "2 of 3"),
    ("log 10 reduction in viral load.", "10"),
    ("CAD 3 vessel disease.", "3"),
    ("Shoulder 120 degrees abduction.", "120"),
    ("Collar 3 weeks for the fracture.", "3"),
    ("Major Trauma, 45M, bay 4.", "Trauma"),  # "Major" is no first name here
])
def test_guards_ordinary_text_stays(text: str, word: str) -> None:
    assert _untouched(text, word)


@pytest.mark.parametrize("text, phi", [
    ("Ankle fracture: seen by Weber A.", "Weber"),  # a person after "by", whatever letter follows
    ("Ankle fracture, discussed with Weber C today.", "Weber"),
    ("Seen by June Okafor, 45F, today.", "June Okafor"),
])
def test_guards_identifiers_stay_found(text: str, phi: str) -> None:
    assert _covered(text, phi)
