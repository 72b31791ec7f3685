"""``load_source(..., membership=record)``: a run's or bundle's record of its carved val is an argument of
its own (it travelled inside ``near_copies``); the packed form ``training.run.carving_of`` returns is
still read the same way."""

from __future__ import annotations

from pathlib import Path

from meddx.data.carve_groups import NEAR_COPY_SETTINGS, carving_options
from meddx.data.carve_record import MEMBERSHIP_KEY, with_membership
from meddx.data.sources import load_source
from tests.unit.data.test_carve_near_copies import _documents

READ_BACK = "; read back from the recorded membership (not carved again)"


def _val(source: object) -> list[str]:
    return list(source.splits["val"].ids)  # type: ignore[attr-defined]


def test_membership_is_its_own_argument(tmp_path: Path) -> None:
    csv, _ = _documents(tmp_path / "notes.csv")
    first = load_source(csv)
    record = getattr(first, MEMBERSHIP_KEY)
    assert _val(load_source(csv, seed=5)) != _val(first)  # carved with another seed: other documents

    again = load_source(csv, seed=5, membership=record)
    assert _val(again) == _val(first) and any(n.endswith(READ_BACK) for n in again.notes)
    assert getattr(again, MEMBERSHIP_KEY) == record  # recorded as it was
    assert _val(load_source(csv, seed=5, near_copies=with_membership(True, record))) == _val(first)  # packed

    options = carving_options({"val_fraction": 0.1, "seed": 5, "val_near_copies": NEAR_COPY_SETTINGS,
                               MEMBERSHIP_KEY: record})  # a bundle's training section
    assert options["near_copies"] == NEAR_COPY_SETTINGS and options["membership"] == record
    assert _val(load_source(csv, **options)) == _val(first)


def test_a_record_of_other_samples_is_not_applied(tmp_path: Path) -> None:
    csv, _ = _documents(tmp_path / "notes.csv")
    record = getattr(load_source(csv), MEMBERSHIP_KEY)
    fewer = tmp_path / "fewer.csv"
    fewer.write_text("".join(csv.read_text().splitlines(keepends=True)[:-1]))  # the last document removed
    carved = load_source(fewer, seed=5, membership=record)
    assert not any(n.endswith(READ_BACK) for n in carved.notes)
    assert getattr(carved, MEMBERSHIP_KEY)["n"] == record["n"] - 1
