"""Segmentation carves record their cases (``data.seg_carve``) and read them back while train holds the
cases they were made on: in another order, under a newer grouping (patient ids added), after the
shuffle changed; other cases (one added) are carved again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.data.seg_carve import membership_fields, recorded_memberships
from meddx.data.segmentation import load_seg_source

READ_BACK = "; read back from the recorded membership (not carved again)"


def _manifest(tmp_path: Path, n: int = 12, order: slice = slice(None), patients: bool = False) -> Path:
    """A ``image,mask[,patient_id]`` manifest over ``n`` synthetic cases, rows in ``order``."""
    from meddx.data.synthetic_seg import write_seg_folder

    root = write_seg_folder(tmp_path / "cases", n=n, size=16, classes=2, seed=3)
    rows = [f"images/case_{i:03d}.png,labels/case_{i:03d}.png" + (f",p{i // 2}" if patients else "")
            for i in range(n)][order]
    csv = root / "cases.csv"
    csv.write_text("\n".join(["image,mask" + (",patient_id" if patients else ""), *rows]) + "\n")
    return csv


def _cases(source: object) -> dict[str, list[str]]:
    return {name: sorted(split.ids) for name, split in source.splits.items()}  # type: ignore[attr-defined]


def _read(csv: Path, **kwargs: object) -> object:
    return load_seg_source(csv, val_fraction=0.25, test_fraction=0.25, seed=0, **kwargs)  # type: ignore[arg-type]


def test_carves_are_recorded_and_read_back_in_any_order(tmp_path: Path) -> None:
    first = _read(_manifest(tmp_path))
    assert set(first.memberships) == {"test", "val"}
    records = recorded_memberships(json.loads(json.dumps(membership_fields(first.memberships))))
    assert records["val"]["n"] == records["test"]["n"] == 12  # both made on train as read
    assert records["test"]["n_val"] == len(first.split("test"))

    reversed_rows = _manifest(tmp_path, order=slice(None, None, -1))  # same cases, rows reversed
    again = _read(reversed_rows, memberships=records)
    assert _cases(again) == _cases(first)
    assert [n for n in again.notes if n.endswith(READ_BACK)] == [f"{records['test']['note']}{READ_BACK}",
                                                                 f"{records['val']['note']}{READ_BACK}"]
    assert again.memberships == records  # a resumed run records the same cases
    assert list(again.split("val").ids) == sorted(again.split("val").ids, reverse=True)  # in reading order


def test_a_newer_grouping_or_shuffle_reads_back_the_recorded_cases(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = _read(_manifest(tmp_path))
    records = recorded_memberships(membership_fields(first.memberships))
    grouped = _manifest(tmp_path, patients=True)  # the manifest gained a patient_id column
    assert _cases(_read(grouped)) != _cases(first)  # carved now: other cases
    assert _cases(_read(grouped, memberships=records)) == _cases(first)

    import sklearn.model_selection as ms

    class Other(ms.GroupShuffleSplit):  # another scikit-learn shuffles otherwise
        def __init__(self, *args: object, random_state: int = 0, **kwargs: object) -> None:
            super().__init__(*args, random_state=random_state + 7, **kwargs)

    monkeypatch.setattr(ms, "GroupShuffleSplit", Other)
    plain = _manifest(tmp_path)
    assert _cases(_read(plain)) != _cases(first)
    assert _cases(_read(plain, memberships=records)) == _cases(first)


def test_other_cases_are_carved_again(tmp_path: Path) -> None:
    first = _read(_manifest(tmp_path))
    records = recorded_memberships(membership_fields(first.memberships))
    added = _read(_manifest(tmp_path, n=13), memberships=records)  # a case added: not the recorded cases
    assert not any(n.endswith(READ_BACK) for n in added.notes)
    assert sum(len(s) for s in added.splits.values()) == 13
    assert added.memberships["val"]["n"] == 13


def test_only_val_carved_and_a_given_test_split(tmp_path: Path) -> None:
    csv = _manifest(tmp_path)
    first = load_seg_source(csv, val_fraction=0.25, test_fraction=0)
    assert set(first.memberships) == {"val"} and "no test split and test_fraction 0: none carved" in first.notes
    again = load_seg_source(csv, val_fraction=0.25, test_fraction=0, memberships=dict(first.memberships))
    assert _cases(again) == _cases(first) and any(n.endswith(READ_BACK) for n in again.notes)
    nothing = load_seg_source(csv, val_fraction=0, test_fraction=0)
    assert nothing.memberships == {} and membership_fields(nothing.memberships) == {}


def test_a_record_edited_by_hand_is_refused(tmp_path: Path) -> None:
    csv = _manifest(tmp_path)
    first = _read(csv)
    overlapping = {"test": first.memberships["test"], "val": first.memberships["test"]}
    with pytest.raises(ConfigError, match=r"^val_membership: the recorded val cases .* an earlier carve took"):
        _read(csv, memberships=overlapping)
    broken = {**first.memberships, "test": {**first.memberships["test"], "val": "not base64!"}}
    with pytest.raises(ConfigError, match=r"^test_membership: the recorded validation membership cannot be read"):
        _read(csv, memberships=broken)
    assert recorded_memberships(None) == {} and recorded_memberships({"val_membership": "x"}) == {}
