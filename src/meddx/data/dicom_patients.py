"""Patient ids of an image folder's or a CSV manifest's DICOM files, read from their PatientID (0010,0020).

A class folder of DICOM files carries the patient in every header; without it the validation split
carved from train was not grouped by patient, so one patient's images could sit on both sides (an
optimistic validation AUC and val-chosen threshold), and ``data verify`` could not check patients
across splits. A manifest (``path,label[,split]``) of DICOM files or series folders without a
``patient_id`` column is read the same way; with one, the column is used and :func:`column_split_note`
says when it gives one DICOM patient several ids. Only the header up to PatientID is read
(:func:`header_facts`); an image folder asks it once a file, for its SOP class (an image or not) too.

The ids are used only when they can be trusted to name patients:

- every image is a DICOM file with a usable PatientID: a folder mixing PNG and DICOM files (or DICOM
  files without the tag) gets no ids, since the images without one cannot be grouped and a partly
  grouped carve would claim a grouping it does not have;
- an anonymised export writes one constant id (or an empty one, or a placeholder such as
  ``ANONYMOUS``) into every file: grouping by it would put all images in one group, so such ids
  are not used and a note says why.

Notes never name an id (they may be medical record numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_PLACEHOLDERS = frozenset({
    "", "ANON", "ANONYMOUS", "ANONYMIZED", "ANONYMISED", "ANONYMOUS^PATIENT", "UNKNOWN", "NONE", "NULL", "N/A",
    "NA", "0", "00000000", "PATIENT", "PATIENTID", "REMOVED", "DELETED", "XXX", "XXXXXX", "DEIDENTIFIED",
    "DE-IDENTIFIED",
})
"""PatientID values (upper case, stripped) that anonymisers write in place of an id: not a patient."""


def placeholder_id(value: str) -> bool:
    """Whether ``value`` is an empty or placeholder PatientID (``ANONYMOUS``, ``0``, ``XXX``...)."""
    text = value.strip().upper()
    return text in _PLACEHOLDERS or set(text) <= {"0", "X", "*", "-", "?"}


def read_patient_id(path: str | Path) -> str | None:
    """The PatientID of the DICOM file at ``path``, stripped; ``None`` when the file is not DICOM, cannot
    be read or carries no PatientID. Call only for a file ``detect_kind`` calls DICOM (``force`` reads any bytes)."""
    return header_facts(path)[1]


def header_facts(path: str | Path) -> tuple[bool, str | None]:
    """``(holds no image, PatientID)`` of the DICOM file at ``path`` from one partial header read: the
    elements up to PatientID (0010,0020) only, which come before the long tail of a CT or MR header. A
    folder asks both of every file (``imagefolder``): one read where a file-meta read
    (``dicom_checks.holds_no_image``) and a header read were two. Measured on 500 CT headers (256
    elements): 1.6 ms a file, against 3.4 ms for a ``stop_before_pixels`` read (``specific_tags`` is no
    faster: pydicom still walks every element). "Holds no image" is ``holds_no_image``'s answer: the SOP
    class of the file meta, else of the dataset; an unreadable header gets that function's own answer
    and no id."""
    from pydicom.filereader import read_partial

    from meddx.data.dicom import is_image_sop
    from meddx.data.dicom_checks import holds_no_image

    if Path(path).name.upper() == "DICOMDIR":
        return True, None
    try:
        with open(path, "rb") as fh:  # force: a file without preamble (``headerless_dicom``) is DICOM too
            ds = read_partial(fh, stop_when=_after_patient_id, force=True)
        sop = getattr(ds, "file_meta", None) and ds.file_meta.get("MediaStorageSOPClassUID")
        value = ds.get("PatientID")
        return not is_image_sop(sop or ds.get("SOPClassUID")), None if value is None else str(value).strip()
    except Exception:  # noqa: BLE001 - any unreadable header: the reader names it when it decodes the file
        return holds_no_image(path), None


def _after_patient_id(tag: int, vr: str | None, length: int) -> bool:
    """``read_partial``'s ``stop_when``: stop at the first element after PatientID (0010,0020)."""
    return tag > 0x00100020


def header_file(path: str | Path) -> str | None:
    """The file whose header names the patient of a manifest row: the row's file, or for a DICOM series
    folder (one volume per folder) its first DICOM image file in name order; ``None`` for a folder
    without one."""
    from meddx.data.io import detect_kind

    folder = Path(path)
    if not folder.is_dir():
        return str(path)
    for f in sorted(folder.iterdir()):
        if f.is_file() and not f.name.startswith(".") and detect_kind(f) == "dicom" and not header_facts(f)[0]:
            return str(f)
    return None


def dicom_patient_ids(paths: list[str], known: Mapping[str, str | None] | None = None,
                      ) -> tuple[list[str] | None, str | None]:
    """Patient ids for ``paths`` (every image of a folder or manifest, in order) from their DICOM PatientID, and a
    note. A path may be a DICOM series folder (a manifest row), read by its first image file (:func:`header_file`).

    ``(ids, "patient ids read from DICOM PatientID (N patients)")`` when every file is DICOM with a usable
    id and they name at least two patients; ``(None, note)`` when the files are DICOM but the ids cannot
    be used (missing in some, placeholders, one constant id); ``(None, None)`` when no file is DICOM.
    ``known``: PatientIDs already read (path -> id, :func:`header_facts`), not read again.
    """
    ids, n_dicom, first_other = _read_ids(paths, known or {})
    if not n_dicom:
        return None, None
    not_grouped = "the validation split carved from train is not grouped by patient"
    if n_dicom < len(paths):
        return None, (f"patient ids not read from DICOM PatientID: {len(paths) - n_dicom} of {len(paths)} images are "
                      f"not DICOM (first: {Path(paths[first_other]).name}), so they cannot be grouped; "
                      f"{not_grouped}")
    missing = [i for i, v in enumerate(ids) if v is None or placeholder_id(v)]
    if len(missing) == len(ids):
        return None, (f"DICOM PatientID empty, missing or a placeholder (an anonymised export) in all {len(ids)} "
                      f"images: not used as patient ids; {not_grouped}")
    if missing:
        return None, (f"DICOM PatientID empty, missing or a placeholder in {len(missing)} of {len(ids)} images "
                      f"(first: {Path(paths[missing[0]]).name}): not used as patient ids; {not_grouped}")
    patients = len(set(ids))
    if patients == 1:
        return None, (f"every one of the {len(ids)} DICOM images carries the same PatientID (an anonymised export?): "
                      f"not used as patient ids; {not_grouped}")
    return [str(v) for v in ids], f"patient ids read from DICOM PatientID ({patients} patients)"


def _read_ids(paths: list[str], known: Mapping[str, str | None]) -> tuple[list[str | None], int, int]:
    """The PatientID of each path (``None``: not DICOM, or none), how many are DICOM, and the index of the first
    that is not (-1: none); a series folder is read by its first image (:func:`header_file`). Once a path is
    found not DICOM no more headers are read (the ids are not used then), only the file kinds counted.

    The kind is the content's: a PACS export names its DICOM files ``.png`` or ``.jpg`` as readily as ``.dcm``
    (its PatientIDs were ignored, so a folder of them was never checked for patients across splits). Once one
    file is found not DICOM, later files named as a PNG/JPEG/BMP/TIFF or NIfTI image are counted by their name
    without being opened: a manifest of 200,000 X-ray PNGs (CheXpert) opens one file, not all
    (0.06 ms a file here, far more on a network share); the ids are not used then anyway. ``known`` files are
    DICOM (their header was read)."""
    from meddx.data.io import NIFTI_EXTENSIONS, PIL_EXTENSIONS, detect_kind, image_suffix

    ids: list[str | None] = []
    n_dicom, first_other = 0, -1
    for p in paths:
        named_picture = image_suffix(p) in PIL_EXTENSIONS | NIFTI_EXTENSIONS
        file = None if named_picture and first_other >= 0 else header_file(p)
        if file is None or (file not in known and detect_kind(file) != "dicom"):
            first_other = first_other if first_other >= 0 else len(ids)
            ids.append(None)
            continue
        n_dicom += 1
        ids.append(None if first_other >= 0 else known[file] if file in known else read_patient_id(file))
    return ids, n_dicom, first_other


def column_split_note(column: list[str], paths: list[str], splits: list[str], what: str) -> str | None:
    """A note when a manifest's ``patient_id`` ``column`` gives one DICOM patient (one usable PatientID of the
    files at ``paths``) several ids: the column is used, so a carve, the folds or the given ``splits`` (each
    row's) may put that patient on both sides. Counts only, never an id. ``None`` when the column and the
    PatientIDs agree, when the files are no DICOM with usable ids, or when the PatientIDs are one constant (an
    anonymised export names no patient). ``what``: the manifest's name, to start the note."""
    ids, n_dicom, _ = _read_ids(paths, {})
    if not n_dicom:
        return None
    rows: dict[str, list[int]] = {}
    for i, pid in enumerate(ids):
        if pid is not None and not placeholder_id(pid):
            rows.setdefault(pid, []).append(i)
    if len(rows) < 2:
        return None
    split_up = [r for r in rows.values() if len({column[i] for i in r}) > 1]
    if not split_up:
        return None
    crossing = sum(len({splits[i] for i in r}) > 1 for r in split_up)
    n_rows = sum(len(r) for r in split_up)
    sides = (f"; {crossing} of them have rows in more than one split" if crossing else "")
    return (f"{what}: the patient_id column gives {len(split_up)} DICOM patient(s) more than one id ({n_rows} rows; "
            f"by their PatientID){sides}: the column is used, so a carved validation split or a fold may hold one "
            "patient on both sides; give each patient one patient_id (or leave the column out to group by PatientID)")
