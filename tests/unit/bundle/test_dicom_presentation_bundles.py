"""Bundles written with the X-ray VOI reading but before PresentationLUTShape INVERSE and enhanced
multi-frame frame VOIs were applied (``"dicom_voi": true`` without ``"dicom_presentation"``) keep
reading such files as they were trained: the VOI of classic files, INVERSE ignored, enhanced files
raw. New bundles record ``"dicom_presentation": true`` and read them through both."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.data.dicom_voi import bundle_reads_presentation, voi_pixels
from meddx.data.orientation import reading_for


def _dx(inverse: bool):
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.Modality, ds.PhotometricInterpretation = "DX", "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation, ds.SamplesPerPixel = 16, 12, 11, 0, 1
    ds.Rows, ds.Columns = 1, 3
    ds.WindowCenter, ds.WindowWidth = 1500, 1001
    if inverse:
        ds.PresentationLUTShape = "INVERSE"
    return ds


class _Bundle:
    def __init__(self, config: dict) -> None:
        self.config, self.orientation = config, None


@pytest.mark.parametrize("config,inverted", [
    ({"dicom_voi": True, "dicom_presentation": True}, True),  # new bundles
    ({"dicom_voi": True}, False),  # written between the VOI reading and the presentation reading
])
def test_inverse_is_applied_only_for_bundles_that_record_the_presentation_reading(config: dict, inverted: bool) -> None:
    arr = np.array([[300, 1500, 3500]], dtype=np.uint16)
    with reading_for(_Bundle({})):  # a bundle-less read: today's reading
        plain, _ = voi_pixels(arr, _dx(inverse=False))
    with reading_for(_Bundle(config)):
        got, top = voi_pixels(arr, _dx(inverse=True))
    expected = (top - plain) if inverted else plain
    assert np.array_equal(got, expected), (got, plain)


def test_the_presentation_record_needs_the_voi_record() -> None:
    assert bundle_reads_presentation({"dicom_voi": True, "dicom_presentation": True})
    assert not bundle_reads_presentation({"dicom_voi": True})
    assert not bundle_reads_presentation({"dicom_presentation": True})


def test_new_image_bundles_record_the_presentation_reading() -> None:
    from meddx.data.dicom_voi import PRESENTATION_READING
    from meddx.training.finish import reading_fields

    assert reading_fields(2)["dicom_presentation"] == PRESENTATION_READING == 3
    assert reading_fields(3)["dicom_voi"] is True


def test_enhanced_frames_are_windowed_only_for_bundles_that_record_the_presentation_reading() -> None:
    from pydicom.dataset import Dataset

    from meddx.data.dicom_voi import voi_applies

    ds = _dx(inverse=False)
    del ds.WindowCenter, ds.WindowWidth
    voi, group = Dataset(), Dataset()
    voi.WindowCenter, voi.WindowWidth = 1500, 1001
    group.FrameVOILUTSequence = [voi]
    ds.SharedFunctionalGroupsSequence = [group]
    with reading_for(_Bundle({"dicom_voi": True, "dicom_presentation": True})):
        assert voi_applies(ds)
    with reading_for(_Bundle({"dicom_voi": True})):
        assert not voi_applies(ds)  # raw values, as the bundle was trained
