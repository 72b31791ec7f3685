"""A CT slice written as a DICOM file, for tests of series reading (the CLI and the server): int16
pixels with a rescale to HU, a patient name and id that must never reach an answer, a log or an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np

PATIENT_NAME, PATIENT_ID = "DOE^JANE", "MRN-4471"


def write_ct_slice(path: Path, plane: np.ndarray, *, series: str, number: int, position: list[float],
                   spacing: list[float], thickness: float | None = None) -> Path:
    """``plane`` (int16) as slice ``number`` of ``series`` at ``position`` (mm), axial, MONOCHROME2."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID, ds.Modality = PATIENT_NAME, PATIENT_ID, "CT"
    ds.SeriesInstanceUID, ds.InstanceNumber = series, number
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.ImagePositionPatient = position
    ds.PixelSpacing = spacing
    if thickness is not None:
        ds.SliceThickness = thickness
    ds.Rows, ds.Columns = plane.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    ds.PixelData = np.ascontiguousarray(plane, np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
