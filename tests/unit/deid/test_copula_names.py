"""Two or three name words after "patient is / was / named" are a name (found after de-id round 19:
"Patient is Xavi Quonset Jr." was left whole), while title-case states, codes and faiths there stay."""

from __future__ import annotations

import pytest

from meddx.deid.detect import detect


def _found(text: str) -> list[str]:
    return [text[s.start:s.end] for s in detect(text)]


@pytest.mark.parametrize(("text", "name"), [
    ("Patient is Xavi Quonset Jr. on the ward.", "Xavi Quonset"),
    ("Patient is Xavi Quonset.", "Xavi Quonset"),
    ("The patient is Thandiwe Mokoena.", "Thandiwe Mokoena"),
    ("Patient is Delroy Quonset, 44.", "Delroy Quonset"),
    ("The child is Amara Okafor and she", "Amara Okafor"),
    ("Baby named Chidinma Eze Obi was weighed", "Chidinma Eze Obi"),
])
def test_a_name_after_patient_is_is_found(text: str, name: str) -> None:
    assert any(name in f for f in _found(text)), _found(text)


@pytest.mark.parametrize("text", [
    "Patient is Alert and Oriented.", "Patient is Afebrile Drowsy.", "Patient is Roman Catholic.",
    "Patient is Jehovah Witness.", "Patient is Nil By Mouth.", "Pt is Full Code.", "Patient is Hep B Positive.",
    "Patient was Seen Today by the team.", "Patient is Type Two Diabetic.",
])
def test_title_case_states_after_patient_is_stay(text: str) -> None:
    assert _found(text) == []
