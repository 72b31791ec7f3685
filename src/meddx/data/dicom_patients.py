"""Patient ids of an image folder's DICOM files, read from their PatientID (0010,0020).

A class folder of DICOM files carries the patient in every header; without it the validation split
carved from train was not grouped by patient, so one patient's images could sit on both sides (an
optimistic validation AUC and val-chosen threshold), and ``data verify`` could not check patients
across splits. Only the header is read (``stop_before_pixels``): about 0.2-0.5 ms a file.

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
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        # force: a file without preamble (``headerless_dicom``) is DICOM too. No ``specific_tags``: measured
        # no faster (pydicom walks every element before the pixels either way; values are read lazily).
        ds = pydicom.dcmread(str(path), stop_before_pixels=True, force=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError, AttributeError):
        return None
    value = ds.get("PatientID")
    return None if value is None else str(value).strip()


def dicom_patient_ids(paths: list[str]) -> tuple[list[str] | None, str | None]:
    """Patient ids for ``paths`` (every image of a folder, in order) from their DICOM PatientID, and a note.

    ``(ids, "patient ids read from DICOM PatientID (N patients)")`` when every file is DICOM with a usable
    id and they name at least two patients; ``(None, note)`` when the files are DICOM but the ids cannot
    be used (missing in some, placeholders, one constant id); ``(None, None)`` when no file is DICOM.
    """
    from meddx.data.io import detect_kind

    dicom = [detect_kind(p) == "dicom" for p in paths]
    n_dicom = sum(dicom)
    if not n_dicom:
        return None, None
    not_grouped = "the validation split carved from train is not grouped by patient"
    if n_dicom < len(paths):
        return None, (f"patient ids not read from DICOM PatientID: {len(paths) - n_dicom} of {len(paths)} images are "
                      f"not DICOM (first: {Path(paths[dicom.index(False)]).name}), so they cannot be grouped; "
                      f"{not_grouped}")
    ids = [read_patient_id(p) for p in paths]
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
