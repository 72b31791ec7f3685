"""Irregular clinical time series (ICU stays, EHR extracts): records, the source, and dispatch.

A stay is a :class:`SeriesRecord`: parallel arrays of observation times (hours since admission,
ascending, within ``[0, window_hours]``), variable indices and raw values in physical units,
plus a vector of static descriptors (age, sex, ...; NaN where missing). Invalid values never
reach a record: the readers drop the source's missing-value markers and physiologically
impossible values and count them per variable in :attr:`SeriesSource.cleaning`.

Three readers produce a :class:`SeriesSource` (binary in-hospital mortality by default):

- PhysioNet/CinC Challenge 2012 per-patient files (:func:`load_physionet2012`,
  ``meddx.data.series_physionet``);
- the MIMIC-III table schema (:func:`load_mimic3`, ``meddx.data.series_mimic``);
- a long-format CSV ``patient_id,time,variable,value`` with a labels file
  (:func:`load_long_csv`, ``meddx.data.series_long``).

:func:`is_series_spec` recognises them (and the prefixes ``physionet2012:``, ``mimic3:`` and
``series:``); :func:`load_series_source` dispatches. The reader modules are imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import ImageSource

MORTALITY_LABELS = ["survived", "died"]
"""Label names of binary in-hospital mortality (negative first)."""
PREFIXES = ("physionet2012", "mimic3", "series")
PHYSIONET_HEADER = "Time,Parameter,Value"


@dataclass
class SeriesRecord:
    """One stay: observations as parallel arrays, and static descriptors.

    ``times`` (n,) float32 hours since admission, ascending, within ``[0, window]``;
    ``variables`` (n,) int16 indices into :attr:`SeriesSource.variables`; ``values`` (n,)
    float32 cleaned values in physical units; ``static`` (S,) float32, NaN where missing.
    """

    id: str
    times: np.ndarray
    variables: np.ndarray
    values: np.ndarray
    static: np.ndarray

    def __len__(self) -> int:
        return int(self.times.shape[0])


@dataclass
class SeriesSource(ImageSource):
    """A labelled time-series source: every split holds ``records`` (one :class:`SeriesRecord`
    per stay); ``spatial_dims`` is 0.

    ``cleaning`` holds ``variables`` (per variable: ``n_kept``, ``n_invalid_marker``,
    ``n_out_of_range``, ``n_after_window`` and, where times can precede admission,
    ``n_before_window``), ``static`` (the same per static column) and ``ranges`` (the valid
    range table used: name -> ``[low, high, "(]" or "[]"]``). ``options`` are the reader options
    used, so evaluation re-reads a source exactly as training did.
    """

    variables: list[str] = field(default_factory=list)
    static_names: list[str] = field(default_factory=list)
    window_hours: float = 48.0
    cleaning: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    modality: str = "series"

    def get_record(self, split: str, index: int) -> SeriesRecord:
        """The record at ``index`` of ``split``."""
        return self.split(split).records[index]  # type: ignore[index]

    def get_image(self, split: str, index: int) -> np.ndarray:
        raise DataError(f"{self.origin}: a time-series source has no images "
                        f"(record {self.split(split).ids[index]!r})")


def is_series_source(source: Any) -> bool:
    """True for a :class:`SeriesSource`."""
    return isinstance(source, SeriesSource)


# ------------------------------------------------------------------------------ valid ranges
def in_range(values: np.ndarray, low: float, high: float, low_open: bool) -> np.ndarray:
    """Boolean mask of ``values`` inside ``(low, high]`` (``low_open``) or ``[low, high]``."""
    above = values > low if low_open else values >= low
    return above & (values <= high)


def range_table(ranges: dict[str, tuple[float, float, bool]]) -> dict[str, list]:
    """JSON form of a range table: name -> ``[low, high, "(]" or "[]"]``."""
    return {k: [lo, hi, "(]" if open_ else "[]"] for k, (lo, hi, open_) in ranges.items()}


def cleaning_counts(var: np.ndarray, n_vars: int, **flags: np.ndarray) -> dict[str, np.ndarray]:
    """Per-variable counts of each boolean array in ``flags`` (e.g. ``n_invalid_marker``)."""
    return {k: np.bincount(var[f], minlength=n_vars) for k, f in flags.items()}


def cleaning_table(names: list[str], counts: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
    """name -> {count name -> int}, JSON-safe."""
    return {n: {k: int(v[i]) for k, v in counts.items()} for i, n in enumerate(names)}


def build_records(ids: list[str], rec: np.ndarray, times: np.ndarray, var: np.ndarray, values: np.ndarray,
                  static: np.ndarray) -> list[SeriesRecord]:
    """One record per id from flat arrays of kept observations (``rec``: the id's index), sorted
    by time within each record (stable, so simultaneous rows keep their file order)."""
    order = np.lexsort((times, rec))
    rec, times, var, values = rec[order], times[order], var[order], values[order]
    bounds = np.searchsorted(rec, np.arange(len(ids) + 1))
    t32, v16, x32 = times.astype(np.float32), var.astype(np.int16), values.astype(np.float32)
    s32 = static.astype(np.float32)
    return [SeriesRecord(id=ids[i], times=t32[a:b], variables=v16[a:b], values=x32[a:b], static=s32[i])
            for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def empty_record_note(ids: list[str], records: list[SeriesRecord]) -> str | None:
    """A note naming the records without any observation (kept, with empty series)."""
    empty = [r.id for r in records if len(r) == 0]
    if not empty:
        return None
    shown = ", ".join(empty[:10]) + (" ..." if len(empty) > 10 else "")
    return f"{len(empty)} record(s) have no time-series observations in the window (kept, empty series): {shown}"


# ------------------------------------------------------------------------------ dispatch
def _split_prefix(spec: str | Path) -> tuple[str | None, Path]:
    text = str(spec).strip()
    head, sep, rest = text.partition(":")
    if sep and head.lower() in PREFIXES and len(head) > 1:
        return head.lower(), Path(rest).expanduser()
    return None, Path(text).expanduser()


def _csv_header(path: Path) -> list[str]:
    import csv

    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = fh.readline()
    except OSError:
        return []
    return [h.strip().lower() for h in next(csv.reader([first], delimiter=csv_separator(path, first)), [])]


def csv_separator(path: Path, header_line: str) -> str:
    """The separator of a long-format series CSV or labels file: tab for ``.tsv``, else ``,`` when its
    header line has one, else the first of ``;``, tab, ``|`` it has (a European spreadsheet export
    separated by ``;`` was refused as "missing column(s) patient_id, time, ...; found columns:
    patient_id;time;variable;value"), else ``,``. The table reader guesses the same way."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    return next((c for c in (",", ";", "\t", "|") if c in header_line), ",")


def _is_physionet_folder(path: Path) -> bool:
    """A folder whose first ``.txt`` file (or a ``set-*`` sub-folder's) starts with the header."""
    if not path.is_dir():
        return False
    for folder in [path, *sorted(p for p in path.glob("set-*") if p.is_dir())]:
        first = next((p for p in sorted(folder.glob("*.txt")) if not p.name.lower().startswith("outcomes")), None)
        if first is not None:
            try:
                with first.open(encoding="utf-8-sig", errors="replace") as fh:
                    return fh.readline().strip() == PHYSIONET_HEADER
            except OSError:
                return False
    return False


def _is_mimic_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    names = {p.name.upper() for p in path.iterdir()}
    return any(n in names for n in ("ICUSTAYS.CSV", "ICUSTAYS.CSV.GZ")) and any(
        n in names for n in ("ADMISSIONS.CSV", "ADMISSIONS.CSV.GZ"))


def _is_long_csv(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() not in (".csv", ".tsv"):
        return False
    return set(LONG_COLUMNS) <= set(_csv_header(path))


LONG_COLUMNS = ("time", "variable", "value")


def refuse_labels_file(path: Path) -> None:
    """``--labels-file`` belongs to long-format series: a file that is not one (say its ``value``
    column is missing) must not be read as a table or as documents with the option dropped."""
    columns = _csv_header(path) if path.is_file() else []
    missing = [c for c in LONG_COLUMNS if c not in columns]
    raise DataError(f"{path}: --labels-file is for a long-format time series (columns ID,time,variable,value), but "
                    f"this {'file' if path.is_file() else 'path'} has columns {', '.join(columns) or '(none)'}"
                    f"{' (missing: ' + ', '.join(missing) + ')' if missing else ''}; fix the header, or drop "
                    "--labels-file for a table with a label column")


def series_kind(spec: str | Path) -> str | None:
    """``"physionet2012"``, ``"mimic3"``, ``"long"`` or ``None`` (not a time-series source)."""
    prefix, path = _split_prefix(spec)
    if prefix == "physionet2012":
        return "physionet2012"
    if prefix == "mimic3":
        return "mimic3"
    if _is_physionet_folder(path):
        return "physionet2012"
    if _is_mimic_folder(path):
        return "mimic3"
    if prefix == "series" or _is_long_csv(path):
        return "long"
    return None


def is_series_spec(spec: str | Path) -> bool:
    """True for a PhysioNet 2012 folder (files starting ``Time,Parameter,Value``, or its parent
    holding ``set-*``), a folder with ``ICUSTAYS.csv`` and ``ADMISSIONS.csv``, a CSV whose header
    has ``time``, ``variable`` and ``value`` columns, or one of the prefixes ``physionet2012:``,
    ``mimic3:``, ``series:`` followed by a path. Only a header or folder listing is read."""
    return series_kind(spec) is not None


def load_series_source(spec: str | Path, *, labels_file: str | Path | None = None, label_column: str | None = None,
                       window_hours: float | None = None, id_column: str | None = None,
                       patient_column: str | None = None, variables: list[str] | None = None,
                       static_names: list[str] | None = None) -> SeriesSource:
    """Read the time-series source named by ``spec`` with the reader its kind needs.

    Options a reader does not take are ignored (``labels_file`` means nothing to MIMIC-III);
    ``None`` keeps the reader's default. ``variables`` / ``static_names`` (recorded in a long
    CSV's ``options``, so in a bundle) make a re-read index its names as training did.
    """
    from meddx.data.sources import reader_kwargs

    kind = series_kind(spec)
    _, path = _split_prefix(spec)
    if kind is None:
        raise DataError(f"{path}: not a time-series source; expected a PhysioNet 2012 folder (files starting "
                        f"{PHYSIONET_HEADER!r}), a MIMIC-III folder (ICUSTAYS.csv, ADMISSIONS.csv, ...) or a CSV "
                        "with columns patient_id,time,variable,value plus --labels-file")
    if not path.exists():
        raise DataError(f"{path}: no such file or folder (time-series source {kind})")
    reader = __getattr__({"physionet2012": "load_physionet2012", "mimic3": "load_mimic3", "long": "load_long_csv"}[kind])
    options = {"labels_file": labels_file, "label_column": label_column, "window_hours": window_hours,
               "id_column": id_column, "patient_column": patient_column, "variables": variables,
               "static_names": static_names}
    if kind == "long" and labels_file is None:
        raise DataError(f"{path}: a long-format series CSV needs a labels file (--labels-file / labels_file): a CSV "
                        "with the id column, a label column and optionally split and patient columns")
    from meddx.data.val_checks import note_small_validation  # a val split the source gives (a carved one: the carve)

    return note_small_validation(reader(path, **reader_kwargs(reader, options)))


_READERS = {"load_physionet2012": "meddx.data.series_physionet", "load_mimic3": "meddx.data.series_mimic",
            "load_long_csv": "meddx.data.series_long"}


def __getattr__(name: str) -> Any:
    """The readers, imported on first use (they import this module for the record types)."""
    if name in _READERS:
        import importlib

        return getattr(importlib.import_module(_READERS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
