"""The attribution map of a volume as a NIfTI file that opens aligned on its input in a viewer.

The PNG of a 3D explanation shows three slices through the peak; a radiologist checking whether a
Grad-CAM sits on the lesion wants to scroll the whole volume with the map on top (3D Slicer,
ITK-SNAP, FSLeyes). So for each NIfTI file or DICOM series (or multi-frame DICOM) explained by a
3D bundle, ``<stem>-<method>.nii.gz`` holds the map resized from the model's grid to the input's
voxel grid (trilinear, as the PNG draws it; float32, signed where the method is) and written in the
input's own geometry by :func:`meddx.data.masks.write_like`, the writer of predicted masks: a NIfTI
input's affine, qform/sform and voxel order; a DICOM input's affine from its orientation, position
and spacing (LPS turned into RAS). Arrays given to the Python API carry no geometry: no map file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

SUFFIX = "nii.gz"


def writes_volume_map(predictor: Any, source: str) -> bool:
    """Whether an explanation of ``source`` gets a NIfTI map: a 3D image bundle and an input that is a
    NIfTI file, a DICOM file or a series folder (multi-page TIFFs and in-memory arrays have no geometry)."""
    if predictor.config.get("modality") not in (None, "image") or len(predictor.preprocessor.spatial_size) != 3:
        return False
    path = Path(source)
    if path.is_dir():
        return True
    if not path.is_file():
        return False
    from meddx.data.io import detect_kind

    return detect_kind(path) in ("nifti", "dicom")


def write_volume_map(predictor: Any, attribution: np.ndarray, source: str, shape: tuple[int, ...], path: Path,
                     exclusive: bool) -> Path:
    """Write ``attribution`` (the model's grid) at ``path`` on the voxel grid ``shape`` of ``source`` as the
    bundle read it, in that file's geometry; never over an existing file when ``exclusive``."""
    from meddx.data.masks import write_like
    from meddx.data.orientation import reading_for
    from meddx.explain.figures import _resize
    from meddx.explain.outputs import write_through

    values = np.ascontiguousarray(_resize(np.nan_to_num(attribution), tuple(shape)), dtype=np.float32)
    with reading_for(predictor):  # write_like reads ``source`` in the orientation the explanation used
        return write_through(path, lambda tmp: write_like(tmp, values, source, "attribution map"), exclusive)
