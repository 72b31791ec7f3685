"""The recorded membership of a carved validation split (``data.carve_record``): order-independent,
applied only to the samples it was made on, small, and refused in one line when damaged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import SplitData
from meddx.data.carve_record import membership_record, recorded_val, sample_keys, split_membership, with_membership


def _files(n: int, seed: int = 0) -> SplitData:
    rng = np.random.default_rng(seed)
    ids = [f"class{i % 3}/img{i:06d}.png" for i in range(n)]
    return SplitData(ids=ids, labels=rng.integers(0, 3, n), paths=[f"/data/{i}" for i in ids])


def test_membership_reads_back_in_any_reading_order() -> None:
    train = _files(200)
    va = np.sort(np.random.default_rng(1).choice(200, 20, replace=False))
    record = membership_record(train, va, "validation carved from train: ...")
    assert record["n"] == 200 and record["n_val"] == 20
    assert recorded_val(train, record).tolist() == va.tolist()
    order = np.random.default_rng(2).permutation(200)  # another reader lists the same samples otherwise
    again = recorded_val(train.subset(order), record)
    assert sorted(train.subset(order).ids[i] for i in again) == sorted(train.ids[i] for i in va)


def test_other_samples_are_carved_again() -> None:
    train = _files(200)
    record = membership_record(train, np.arange(0, 200, 10), "note")
    assert recorded_val(train.subset(np.arange(199)), record) is None  # one sample fewer
    relabelled = SplitData(ids=train.ids, labels=(train.labels + 1) % 3, paths=train.paths)
    assert recorded_val(relabelled, record) is None
    assert recorded_val(train, {**record, "scheme": 99}) is None


def test_arrays_in_memory_are_keyed_by_content_too() -> None:
    """An ``.npz`` names its samples by index (``train-17``): another file with the same labels is
    other samples, so the key holds the array's digest."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (50, 1, 8, 8), dtype=np.uint8)
    labels = rng.integers(0, 2, 50)
    train = SplitData(ids=[f"train-{i}" for i in range(50)], labels=labels, images=images)
    record = membership_record(train, np.arange(5), "note")
    other = SplitData(ids=train.ids, labels=labels, images=images[::-1].copy())
    assert recorded_val(train, record).tolist() == list(range(5))
    assert recorded_val(other, record) is None
    assert sample_keys(train)[0].startswith("train-0\x1f")


def test_a_damaged_record_is_refused_in_one_line() -> None:
    train = _files(100)
    record = membership_record(train, np.arange(10), "note")
    for damaged in ({**record, "val": "not base64!"}, {**record, "n_val": 11}):
        with pytest.raises(ConfigError, match="val_membership: the recorded validation membership") as info:
            recorded_val(train, damaged)
        assert "\n" not in str(info.value)


def test_the_record_of_100000_samples_stays_small() -> None:
    train = _files(100_000)
    va = np.sort(np.random.default_rng(3).choice(100_000, 10_000, replace=False))
    record = membership_record(train, va, "validation carved from train: fraction 0.1, seed 0, stratified by label")
    size = len(json.dumps(record))
    assert size < 12_000, size  # one bit per sample, compressed: 9.7 kB when val is random
    assert recorded_val(train, record).tolist() == va.tolist()


def test_settings_carry_the_record_and_give_it_back() -> None:
    assert with_membership(False, None) is False
    packed = with_membership({"version": 2}, {"n": 1})
    assert split_membership(packed) == ({"version": 2}, {"n": 1})
    assert split_membership(True) == (True, None)
    from meddx.data.carve_groups import near_copy_settings

    assert near_copy_settings(with_membership(False, {"n": 1})) is None
    assert near_copy_settings(with_membership({"version": 1}, {"n": 1}))["version"] == 1


def test_documents_and_table_rows_read_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Keys with a text digest (documents) or a row digest (tables) read back through ``load_source``."""
    from meddx.data.carve_groups import NEAR_COPIES_KEY
    from meddx.data.carve_record import MEMBERSHIP_KEY
    from meddx.data.sources import load_source
    from tests.unit.data.csv_files import write_csv
    from tests.unit.data.test_carve_large_patient import OPTIONS, _admissions

    rows = [[f"{50 + i % 7}", f"{1.0 + 0.1 * (i % 5):.1f}", "ab"[i % 2]] for i in range(30)]
    table = f"tabular:{write_csv(tmp_path / 't.csv', ['age', 'lactate', 'label'], rows)}"
    for spec, options in ((_admissions(tmp_path / "ADMISSIONS.csv"), OPTIONS), (table, None)):
        first = load_source(spec, text_options=options)
        packed = with_membership(getattr(first, NEAR_COPIES_KEY), getattr(first, MEMBERSHIP_KEY))
        again = load_source(spec, text_options=options, near_copies=packed)
        assert again.split("val").ids == first.split("val").ids
        assert any(n.endswith("(not carved again)") for n in again.notes)
        assert getattr(again, MEMBERSHIP_KEY) == getattr(first, MEMBERSHIP_KEY)
