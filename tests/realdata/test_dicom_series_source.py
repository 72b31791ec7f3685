"""../shared/data/dicom-mr-series as a labelled 3D source: its folder layout (<study>/<series>/*.dcm)
is refused with the way forward, and the CSV manifest that the refusal suggests reads each series
folder as one volume."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError

pytestmark = pytest.mark.realdata


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return path


def test_series_folders_refused_as_image_folder_then_read_through_a_manifest(shared_data: Path,
                                                                            tmp_path: Path) -> None:
    from meddx.data.imagefolder import load_imagefolder
    from meddx.data.sources import load_source

    root = _need(shared_data / "dicom-mr-series")
    with pytest.raises(DataError, match="Study1/13_HCropVolume, Study2/14_HCropVolume.*CSV manifest"):
        load_imagefolder(root)
    csv = tmp_path / "series.csv"
    csv.write_text(f"path,label\n{root}/Study1/13_HCropVolume,a\n{root}/Study2/14_HCropVolume,b\n")
    source = load_source(csv)
    assert source.spatial_dims == 3 and source.split("train").ids  # carving may move one to val
    shapes = {tuple(source.get_image(s, i).shape) for s, d in source.splits.items() for i in range(len(d))}
    assert shapes <= {(1, 32, 51, 35), (1, 35, 48, 36)} and shapes
