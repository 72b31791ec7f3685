"""The time-series readers on the real shared data.

PhysioNet 2012 set A (../shared/data/physionet-2012): 4,000 record files, 1,757,980 rows,
554 in-hospital deaths in Outcomes-a.txt, 3 records without time-series rows (140501, 140936,
141264). MIMIC-III demo (../shared/data/mimic3-demo): 136 ICU stays of 100 patients; the copy
lacks CHARTEVENTS and LABEVENTS, so only OUTPUTEVENTS and INPUTEVENTS_MV feed the series.
Expected counts below are recomputed from the files with the csv module, not copied.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest

from meddx.data.series import load_mimic3, load_physionet2012
from meddx.transforms.timeseries import SeriesPreprocessor, aggregate_features

pytestmark = pytest.mark.realdata


def _folder(shared_data: Path, name: str, check: str) -> Path:
    path = shared_data / name
    if not (path / check).exists():
        pytest.skip(f"{path / check} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return path


@pytest.mark.slow
def test_physionet_set_a(shared_data: Path) -> None:
    root = _folder(shared_data, "physionet-2012", "set-a")
    start = time.perf_counter()
    src = load_physionet2012(root)
    seconds = time.perf_counter() - start
    train = src.splits["train"]
    with (root / "Outcomes-a.txt").open() as fh:
        deaths = sum(int(r["In-hospital_death"]) for r in csv.DictReader(fh))
    assert len(train) == 4000 and int(train.labels.sum()) == deaths == 554
    empty = sorted(r.id for r in train.records if len(r) == 0)
    assert empty == ["140501", "140936", "141264"]
    assert len(src.variables) == 37 and seconds < 20, f"set A took {seconds:.1f} s"
    counts = src.cleaning["variables"]
    rows = sum(c["n_kept"] + c["n_invalid_marker"] + c["n_out_of_range"] + c["n_after_window"]
               for c in counts.values())
    assert rows + 4000 * 6 == 1_757_980  # every row is a descriptor or a counted observation
    assert counts["pH"]["n_out_of_range"] > 0 and counts["Temp"]["n_out_of_range"] > 0  # 735, -17.8 dropped
    for rec in train.records[:200]:
        assert np.all(np.diff(rec.times) >= 0) and (len(rec) == 0 or rec.times.max() <= 48)
        for name, (lo, hi, _) in [("pH", (6.5, 8.0, 0)), ("Temp", (25, 45, 0))]:
            v = rec.values[rec.variables == src.variables.index(name)]
            assert np.all((v >= lo) & (v <= hi))
    p = SeriesPreprocessor(src.variables, src.static_names).fit(train.records[:3000])
    out = p.transform(train.records[3000:])
    assert out["values"].shape == (1000, 48, 37) and np.isfinite(out["values"]).all()
    feats = aggregate_features(train.records, len(src.variables))
    assert feats.shape == (4000, 37 * 6 + len(src.static_names))


def test_mimic_demo(shared_data: Path) -> None:
    root = _folder(shared_data, "mimic3-demo", "ICUSTAYS.csv")
    src = load_mimic3(root)
    train = src.splits["train"]
    with (root / "ADMISSIONS.csv").open() as fh:
        died = {r["hadm_id"]: int(r["hospital_expire_flag"]) for r in csv.DictReader(fh)}
    with (root / "ICUSTAYS.csv").open() as fh:
        stays = {r["icustay_id"]: (r["subject_id"], died[r["hadm_id"]]) for r in csv.DictReader(fh)}
    assert len(train) == len(stays) == 136 and len(set(train.patient_ids)) == 100
    for sid, pid, y in zip(train.ids, train.patient_ids, train.labels):
        assert stays[sid] == (pid, int(y))
    assert int(train.labels.sum()) == sum(y for _, y in stays.values())
    assert src.cleaning["tables_used"] == ["OUTPUTEVENTS", "INPUTEVENTS_MV"]
    assert any("CHARTEVENTS, LABEVENTS" in n for n in src.notes)
    urine = src.variables.index("Urine")
    assert sum(int(np.sum(r.variables == urine)) for r in train.records) == src.cleaning["variables"]["Urine"]["n_kept"]
    ages = np.array([r.static[0] for r in train.records])
    assert np.nanmax(ages) == 90 and np.nanmin(ages) > 15
