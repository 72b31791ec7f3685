"""A number after an identifier label is removed whole when written in dotted groups.

Found while rewriting docs/deid.md (docs/deid-notes.md, "Rerun when the guide was rewritten"): ``insurance: Fax #
615.786.6225`` came out as ``insurance: Fax #
[HEALTH_PLAN].786.6225`` (seven digits of the fax left; the synthetic benchmark's one uncovered FAX
span), and every labelled value stopped at its first dot: ``Policy # [HEALTH_PLAN].786.6225``,
``MRN: [MRN].786.6225``, ``Claim # [ID].11.0031``. The insurance label also reached across the phone
word, so the fax was typed as a plan number.
"""

from __future__ import annotations

import pytest

from meddx.deid import deidentify


@pytest.mark.parametrize(("text", "tag", "digits"), [
    ("insurance: Fax # 615.786.6225. ok", "[FAX]", ("615", "786", "6225")),
    ("insurance: Phone # 615.786.6225. ok", "[PHONE]", ("615", "786", "6225")),
    ("insurance: Fax # 615-786-6225. ok", "[FAX]", ("615", "786", "6225")),
    ("Policy # 615.786.6225 ok", "[HEALTH_PLAN]", ("615", "786", "6225")),
    ("MRN: 615.786.6225.", "[MRN]", ("615", "786", "6225")),
    ("Claim # 2024.11.0031 filed", "[ID]", ("2024", "0031")),
    ("member id 123.456.789 ok", "[HEALTH_PLAN]", ("123", "456", "789")),
    ("Acct # 12.345.678 ok", "[ACCOUNT]", ("345", "678")),
])
def test_a_dotted_value_after_a_label_is_removed_whole_and_typed(text: str, tag: str, digits: tuple[str, ...]) -> None:
    out = deidentify(text).text
    assert tag in out, out
    assert not any(d in out for d in digits), out


@pytest.mark.parametrize(("text", "expected"), [
    ("MRN 12345678.", "MRN [MRN]."),  # the sentence's full stop stays
    ("Policy # 7788 2231 ok", "Policy # [HEALTH_PLAN] ok"),
    ("Insurance member # 88213001", "Insurance member # [HEALTH_PLAN]"),
])
def test_undotted_values_and_a_final_full_stop_are_as_before(text: str, expected: str) -> None:
    assert deidentify(text).text == expected
