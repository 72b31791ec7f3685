"""MIMIC-III tables -> one record per ICU stay, labelled with in-hospital mortality.

Needs ``ICUSTAYS``, ``ADMISSIONS`` and ``PATIENTS`` (``.csv`` or ``.csv.gz``, upper- or lower-case
column names: the demo is lower-case, the full database upper-case). Each ICU stay is a record
(id ``icustay_id``, patient ``subject_id`` so one patient's stays stay on one side of every
split); its label is ``ADMISSIONS.<label_column>`` (``hospital_expire_flag``, 0/1) of the stay's
admission. Static features: age at ICU admission in years (ages of patients older than 89 are
shifted by the database to about 300 and become 90), gender (1 male, 0 female) and the first
care unit (one-hot over :data:`CARE_UNITS`).

Observations come from the event tables present, mapped by ``itemid`` to the variables of
:data:`ITEMS` (CareVue and MetaVision ids; values in the units of the PhysioNet reader:
temperatures in degF become degC, FiO2 given in percent becomes a fraction):

- ``CHARTEVENTS`` (``valuenum`` at ``charttime``; rows with ``error = 1`` dropped as invalid),
- ``LABEVENTS`` (``valuenum``; labs carry no ICU stay, so a lab is assigned to the stay of its
  admission whose window contains it),
- ``OUTPUTEVENTS`` (urine output, ``value`` in ml; ``iserror = 1`` dropped),
- ``INPUTEVENTS_MV`` (vasoactive drugs as a 1 at ``starttime``; crystalloid ``amount`` in ml;
  rows with ``statusdescription = Rewritten`` dropped). ``INPUTEVENTS_CV`` and
  ``DATETIMEEVENTS`` (dates of line changes, no values) are not used.

Times are hours since ``ICUSTAYS.intime``; only events in ``[0, window_hours]`` are kept (counted
as before/after the window otherwise). A missing value, an error row or a value outside the
variable's range in :data:`ITEMS` is dropped and counted in ``source.cleaning``; ``notes`` say
which tables were used. The public demo has no CHARTEVENTS/LABEVENTS: from it only urine output
and inputs are read, which the notes say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import SplitData
from meddx.data.series import (
    MORTALITY_LABELS, SeriesSource, build_records, cleaning_counts, cleaning_table, empty_record_note, range_table,
)

_CHART, _LAB, _OUT, _IN = "CHARTEVENTS", "LABEVENTS", "OUTPUTEVENTS", "INPUTEVENTS_MV"
_GLU = [807, 811, 1529, 3745, 3744, 225664, 220621, 226537]
_URINE = [40055, 43175, 40069, 40094, 40715, 40473, 40085, 40057, 40056, 40405, 40428, 40086, 40096, 40651,
          226559, 226560, 226561, 226584, 226563, 226564, 226565, 226567, 226557, 226558]
ITEMS: dict[str, dict] = {
    # variable: {table: [itemids]}, valid range (low, high, low open); order = variable order
    "HR": {_CHART: [211, 220045], "range": (0, 300, True)},
    "SysBP": {_CHART: [51, 442, 455, 6701, 220179, 220050], "range": (0, 300, True)},
    "DiasBP": {_CHART: [8368, 8440, 8441, 8555, 220180, 220051], "range": (0, 250, True)},
    "MeanBP": {_CHART: [456, 52, 6702, 443, 220052, 220181, 225312], "range": (0, 300, True)},
    "RespRate": {_CHART: [615, 618, 220210, 224690], "range": (0, 100, False)},
    "Temp": {_CHART: [676, 223762, 678, 223761], "range": (25, 45, False)},  # 678, 223761 in degF
    "SpO2": {_CHART: [646, 220277], "range": (0, 100, True)},
    "GCS": {_CHART: [198], "range": (3, 15, False)},  # CareVue total; MetaVision records components
    "GCS_Eye": {_CHART: [184, 220739], "range": (1, 4, False)},
    "GCS_Verbal": {_CHART: [723, 223900], "range": (1, 5, False)},
    "GCS_Motor": {_CHART: [454, 223901], "range": (1, 6, False)},
    "FiO2": {_CHART: [3420, 3422, 190, 223835], "range": (0.21, 1.0, False)},  # percent -> fraction
    "Glucose": {_CHART: _GLU, _LAB: [50809, 50931], "range": (0, 2000, True)},
    "Weight": {_CHART: [762, 763, 3723, 3580, 226512], "range": (20, 400, False)},
    "Lactate": {_LAB: [50813], "range": (0, 40, True)},
    "Creatinine": {_LAB: [50912], "range": (0, 30, True)},
    "BUN": {_LAB: [51006], "range": (0, 300, True)},
    "K": {_LAB: [50971, 50822], "range": (0, 15, True)},
    "Na": {_LAB: [50983, 50824], "range": (80, 200, False)},
    "HCO3": {_LAB: [50882], "range": (0, 60, True)},
    "Chloride": {_LAB: [50902, 50806], "range": (50, 200, False)},
    "HCT": {_LAB: [51221, 50810], "range": (0, 100, True)},
    "Hemoglobin": {_LAB: [51222, 50811], "range": (0, 30, True)},
    "Platelets": {_LAB: [51265], "range": (0, 2000, True)},
    "WBC": {_LAB: [51301, 51300], "range": (0, 500, True)},
    "pH": {_LAB: [50820], "range": (6.5, 8.0, False)},
    "PaO2": {_LAB: [50821], "range": (0, 800, True)},
    "PaCO2": {_LAB: [50818], "range": (5, 200, False)},
    "Bilirubin": {_LAB: [50885], "range": (0, 100, True)},
    "Albumin": {_LAB: [50862], "range": (0, 10, True)},
    "Mg": {_LAB: [50960], "range": (0, 20, True)},
    "Urine": {_OUT: _URINE, "range": (0, 10000, False)},
    "Vasoactive": {_IN: [221906, 221289, 221662, 221653, 221749, 222315], "range": (0, 1, False)},
    "IVFluid": {_IN: [225158, 220949, 225828, 225159, 225823, 225825, 225827], "range": (0, 10000, False)},
}
"""Variables, the ``itemid`` s that feed them per table, and their valid ranges."""
VARIABLES = list(ITEMS)
FAHRENHEIT = {678, 223761}
PERCENT_FIO2 = {223835, 3420, 3422, 190}  # values above 1 are percent
CARE_UNITS = ["CCU", "CSRU", "MICU", "SICU", "TSICU"]
STATIC_NAMES = ["Age", "Gender", *(f"CareUnit:{u}" for u in CARE_UNITS)]
_TIME = {_CHART: "charttime", _LAB: "charttime", _OUT: "charttime", _IN: "starttime"}
_EXTRA = {_CHART: ["valuenum", "error"], _LAB: ["valuenum"], _OUT: ["value", "iserror"],
          _IN: ["amount", "statusdescription"]}
_CHUNK = 2_000_000


def load_mimic3(path: str | Path, *, window_hours: float = 48.0,
                label_column: str = "hospital_expire_flag") -> SeriesSource:
    """Read a MIMIC-III folder into one ``train`` split of ICU stays (see the module docstring)."""
    folder = Path(path).expanduser()
    if not window_hours > 0:
        raise DataError(f"window_hours: expected a positive number of hours; got {window_hours}")
    stays = _stays(folder, label_column)
    ids = [str(i) for i in stays["icustay_id"]]
    flat: list[tuple[np.ndarray, ...]] = []
    used, absent = [], []
    for table in (_CHART, _LAB, _OUT, _IN):
        file = _table_path(folder, table)
        if file is None:
            absent.append(table)
            continue
        flat.append(_events(file, table, stays, window_hours))
        used.append(table)
    rec, t, var, x, flags = (np.concatenate([f[i] for f in flat]) if flat else np.zeros(0) for i in range(5))
    rec, var, flags = rec.astype(np.int64), var.astype(np.int64), flags.astype(np.int64)
    names = ["n_kept", "n_invalid_marker", "n_out_of_range", "n_before_window", "n_after_window"]
    counts = cleaning_counts(var, len(VARIABLES), **{n: flags == i for i, n in enumerate(names)})
    keep = flags == 0
    records = build_records(ids, rec[keep], t[keep], var[keep], x[keep], _static(stays))
    notes = [f"MIMIC-III ICU stays from {folder}: {len(ids)} stays of {stays['subject_id'].nunique()} patients; "
             f"label {label_column} from ADMISSIONS; events from {', '.join(used) or 'no event table'}"]
    if absent:
        notes.append(f"absent tables: {', '.join(absent)} (their variables are never observed"
                     + ("; vital signs and labs are missing, as in the public demo)" if _CHART in absent else ")"))
    note = empty_record_note(ids, records)
    if note:
        notes.append(note)
    split = SplitData(ids=ids, labels=stays[label_column].to_numpy(np.int64),
                      patient_ids=[str(s) for s in stays["subject_id"]], records=records)
    cleaning = {"variables": cleaning_table(VARIABLES, counts), "tables_used": used, "tables_absent": absent,
                "ranges": range_table({k: v["range"] for k, v in ITEMS.items()})}
    return SeriesSource(
        name="mimic3", origin=str(folder), task="binary", label_names=list(MORTALITY_LABELS), spatial_dims=0,
        splits={"train": split}, notes=notes, variables=list(VARIABLES), static_names=list(STATIC_NAMES),
        window_hours=float(window_hours), cleaning=cleaning,
        options={"kind": "mimic3", "label_column": label_column, "window_hours": float(window_hours)},
    )


def _table_path(folder: Path, name: str) -> Path | None:
    for p in folder.iterdir():
        if p.name.upper() in (f"{name}.CSV", f"{name}.CSV.GZ"):
            return p
    return None


def _read(folder: Path, name: str, columns: list[str]) -> Any:
    import pandas as pd

    path = _table_path(folder, name)
    if path is None:
        raise DataError(f"{folder}: {name}.csv not found; a MIMIC-III folder needs ICUSTAYS, ADMISSIONS and PATIENTS")
    frame = pd.read_csv(path, usecols=lambda c: c.lower() in columns, low_memory=False)
    frame.columns = [c.lower() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}, line 1: missing column(s) {', '.join(missing)} of the MIMIC-III schema")
    return frame


def _stays(folder: Path, label_column: str) -> Any:
    import pandas as pd

    if not folder.is_dir():
        raise DataError(f"{folder}: expected a MIMIC-III folder (ICUSTAYS.csv, ADMISSIONS.csv, PATIENTS.csv, ...)")
    label_column = label_column.lower()
    stays = _read(folder, "ICUSTAYS", ["subject_id", "hadm_id", "icustay_id", "first_careunit", "intime", "outtime"])
    adm = _read(folder, "ADMISSIONS", ["hadm_id", label_column])
    pat = _read(folder, "PATIENTS", ["subject_id", "gender", "dob"])
    stays = stays.merge(adm, on="hadm_id", how="left").merge(pat, on="subject_id", how="left")
    bad = stays[~stays[label_column].isin([0, 1])]
    if len(bad):
        raise DataError(f"{folder}: {len(bad)} ICU stay(s) have no 0/1 {label_column} in ADMISSIONS, e.g. icustay_id "
                        f"{', '.join(map(str, bad['icustay_id'].head(5)))}")
    for col in ("intime", "outtime", "dob"):
        stays[col] = pd.to_datetime(stays[col], format="ISO8601", errors="coerce")
    if stays["intime"].isna().any():
        raise DataError(f"{folder}: ICUSTAYS has {int(stays['intime'].isna().sum())} stay(s) without a valid intime")
    return stays.sort_values("icustay_id", kind="stable").reset_index(drop=True)


def _static(stays: Any) -> np.ndarray:
    age = (stays["intime"] - stays["dob"]).dt.total_seconds().to_numpy(np.float64) / (365.2425 * 86400)
    age = np.where(age > 89, 90.0, age)  # the database shifts the birth date of patients over 89
    age = np.where((age >= 0) & (age <= 120), age, np.nan)
    gender = stays["gender"].map({"M": 1.0, "F": 0.0}).to_numpy(np.float64)
    unit = stays["first_careunit"].astype(str).str.upper()
    onehot = [(unit == u).to_numpy(np.float64) for u in CARE_UNITS]
    return np.stack([age, gender, *onehot], axis=1)


def _item_map(table: str) -> dict[int, int]:
    return {item: v for v, (name, spec) in enumerate(ITEMS.items()) for item in spec.get(table, [])}


def _events(file: Path, table: str, stays: Any, window: float) -> tuple[np.ndarray, ...]:
    """(stay index, hours, variable, value, flag) of the table's mapped rows; flag 0 keep,
    1 invalid (missing value or error row), 2 out of range, 3 before, 4 after the window."""
    import pandas as pd

    items = _item_map(table)
    cols = ["hadm_id", "itemid", _TIME[table], *_EXTRA[table]] + ([] if table == _LAB else ["icustay_id"])
    parts = []
    reader = pd.read_csv(file, usecols=lambda c: c.lower() in cols, chunksize=_CHUNK, low_memory=False)
    for chunk in reader:
        chunk.columns = [c.lower() for c in chunk.columns]
        missing = [c for c in cols if c not in chunk.columns]
        if missing:
            raise DataError(f"{file}, line 1: missing column(s) {', '.join(missing)} of the MIMIC-III schema")
        parts.append(chunk[chunk["itemid"].isin(items)])
    ev = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    ev["var"] = ev["itemid"].map(items)
    ev["time"] = pd.to_datetime(ev[_TIME[table]], format="ISO8601", errors="coerce")
    ev["x"], invalid = _values(ev, table)
    ev["invalid"] = invalid | ev["time"].isna().to_numpy()
    stay_cols = stays[["icustay_id", "hadm_id", "intime", "outtime"]].assign(stay=np.arange(len(stays)))
    has_stay = ev["icustay_id"].notna() if "icustay_id" in ev.columns else pd.Series(False, index=ev.index)
    by_stay = (ev[has_stay].merge(stay_cols.drop(columns="hadm_id"), on="icustay_id", how="inner")
               if has_stay.any() else None)
    by_adm = ev[~has_stay].drop(columns=["icustay_id"], errors="ignore").merge(
        stay_cols.drop(columns="icustay_id"), on="hadm_id", how="inner")
    # an event without a stay belongs to the stay of its admission whose [intime, min(outtime, window)] holds it
    hours = (by_adm["time"] - by_adm["intime"]).dt.total_seconds() / 3600.0
    inside = (hours >= 0) & (hours <= window) & ~(by_adm["time"] > by_adm["outtime"])
    ev = pd.concat([f for f in (by_stay, by_adm[inside]) if f is not None], ignore_index=True)
    hours = ((ev["time"] - ev["intime"]).dt.total_seconds() / 3600.0).to_numpy(np.float64)
    var = ev["var"].to_numpy(np.int64)
    x = ev["x"].to_numpy(np.float64)
    lo, hi, open_ = (np.asarray([ITEMS[v]["range"][i] for v in VARIABLES])[var] for i in range(3))
    valid = np.where(open_.astype(bool), x > lo, x >= lo) & (x <= hi)
    flag = np.select([ev["invalid"].to_numpy(), ~valid, hours < 0, hours > window], [1, 2, 3, 4], default=0)
    return ev["stay"].to_numpy(np.int64), hours, var, x, flag


def _values(ev: Any, table: str) -> tuple[np.ndarray, np.ndarray]:
    """Numeric values in the variables' units and the rows that are invalid (error flags,
    cancelled orders, missing numbers)."""
    import pandas as pd

    item = ev["itemid"].to_numpy(np.int64)
    if table in (_CHART, _LAB):
        x = pd.to_numeric(ev["valuenum"], errors="coerce").to_numpy(np.float64)
        bad = ev["error"].fillna(0).to_numpy() == 1 if table == _CHART else np.zeros(len(ev), bool)
        fahrenheit = np.isin(item, list(FAHRENHEIT))
        x = np.where(fahrenheit, (x - 32.0) * 5.0 / 9.0, x)
        percent = np.isin(item, list(PERCENT_FIO2)) & (x > 1.0)
        x = np.where(percent, x / 100.0, x)
    elif table == _OUT:
        x = pd.to_numeric(ev["value"], errors="coerce").to_numpy(np.float64)
        bad = ev["iserror"].fillna(0).to_numpy() == 1
    else:
        vaso = np.isin(item, ITEMS["Vasoactive"][_IN])
        x = np.where(vaso, 1.0, pd.to_numeric(ev["amount"], errors="coerce").to_numpy(np.float64))
        bad = (ev["statusdescription"].astype(str).str.lower() == "rewritten").to_numpy()
    return x, bad | ~np.isfinite(x)
