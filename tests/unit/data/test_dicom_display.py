"""Projection X-ray DICOM display attributes with known answers: PresentationLUTShape INVERSE
(PS3.3 C.11.6.1.2: P-value = maximum - output; with MONOCHROME1 it is that one inversion, not a
second), enhanced multi-frame X-ray read through each frame's FrameVOILUTSequence window, the
SIGMOID VOI function; PixelIntensityRelationship(Sign), which is no display step, changes nothing.
Bundles trained before these readings (no ``"dicom_voi": true``) keep reading stored values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from meddx.core.errors import DataError
from meddx.data.dicom_voi import reading_voi
from meddx.data.io import read_image
from meddx.data.orientation import reading_for
from tests.unit.data.test_dicom_voi import _detector, _picture, write_xray

ENHANCED_XA = "1.2.840.10008.5.1.4.1.1.12.1.1"


def _linear(raw: np.ndarray, center: float, width: float, top: float = 4095) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 LINEAR window of ``raw`` onto ``0 .. top``, rounded as meddx stores it."""
    v = raw.astype(np.float64)
    return np.round(np.clip(((v - (center - 0.5)) / (width - 1) + 0.5) * top, 0, top))


def _window(center: float, width: float) -> Dataset:
    item = Dataset()
    item.WindowCenter, item.WindowWidth = center, width
    return item


def write_enhanced(path: Path, frames: np.ndarray, *, shared: Dataset | None = None,
                   per_frame: list[Dataset | None] | None = None, photometric: str = "MONOCHROME2") -> Path:
    """An Enhanced XA file of ``frames`` (F, H, W), 12 bits in 16, whose VOI is in its functional
    groups: ``shared`` (one FrameVOILUTSequence item for all frames) and/or ``per_frame`` items."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ENHANCED_XA, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = ENHANCED_XA, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID = "XA", generate_uid()
    ds.NumberOfFrames, (ds.Rows, ds.Columns) = frames.shape[0], frames.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    group = Dataset()
    if shared is not None:
        group.FrameVOILUTSequence = Sequence([shared])
    ds.SharedFunctionalGroupsSequence = Sequence([group])
    items = []
    for k in range(frames.shape[0]):
        item = Dataset()
        if per_frame is not None and per_frame[k] is not None:
            item.FrameVOILUTSequence = Sequence([per_frame[k]])
        items.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.PixelData = frames.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def _frames() -> np.ndarray:
    raw = _detector(_picture())
    return np.stack([raw, raw[::-1].copy(), raw[:, ::-1].copy()])


def test_monochrome2_dx_with_presentation_lut_shape_inverse_reads_inverted_after_its_window(tmp_path: Path) -> None:
    raw = _detector(_picture())
    plain = read_image(write_xray(tmp_path / "m2.dcm", raw, WindowCenter=1500, WindowWidth=1001)).array
    inverse = read_image(write_xray(tmp_path / "inv.dcm", raw, WindowCenter=1500, WindowWidth=1001,
                                    PresentationLUTShape="INVERSE")).array
    np.testing.assert_array_equal(plain[0], _linear(raw, 1500, 1001))
    np.testing.assert_array_equal(inverse[0], 4095 - _linear(raw, 1500, 1001))  # was read as `plain`
    assert getattr(inverse, "value_max", None) == 4095.0 and int(inverse[0, 0, 0]) == 4095  # below the window: white


def test_monochrome1_with_inverse_is_inverted_once(tmp_path: Path) -> None:
    raw = _detector(_picture())
    out = read_image(write_xray(tmp_path / "m1.dcm", raw, photometric="MONOCHROME1", WindowCenter=1500,
                                WindowWidth=1001, PresentationLUTShape="INVERSE")).array
    np.testing.assert_array_equal(out[0], 4095 - _linear(raw, 1500, 1001))  # the General Image module pairs them
    raw_m1 = read_image(write_xray(tmp_path / "r1.dcm", raw, photometric="MONOCHROME1",
                                   PresentationLUTShape="INVERSE")).array
    np.testing.assert_array_equal(raw_m1[0], 4095 - raw)  # without a window too
    identity = read_image(write_xray(tmp_path / "id.dcm", raw, WindowCenter=1500, WindowWidth=1001,
                                     PresentationLUTShape="IDENTITY")).array
    np.testing.assert_array_equal(identity[0], _linear(raw, 1500, 1001))


def test_inverse_dx_without_a_window_is_inverted_over_bits_stored(tmp_path: Path) -> None:
    raw = _detector(_picture())
    out = read_image(write_xray(tmp_path / "raw.dcm", raw, PresentationLUTShape="INVERSE")).array
    assert out.dtype == np.uint16 and getattr(out, "value_max", None) == 4095.0
    np.testing.assert_array_equal(out[0], 4095 - raw)


def test_bundles_from_before_and_ct_read_an_inverse_file_as_stored(tmp_path: Path) -> None:
    raw = _detector(_picture())
    path = write_xray(tmp_path / "inv.dcm", raw, PresentationLUTShape="INVERSE")
    windowed = write_xray(tmp_path / "win.dcm", raw, PresentationLUTShape="INVERSE", WindowCenter=1500,
                          WindowWidth=1001)

    class OldBundle:  # a loaded bundle whose config.json predates "dicom_voi": true
        config = {"task": "classification"}
        orientation = None

    with reading_for(OldBundle()):
        np.testing.assert_array_equal(read_image(path).array[0], raw)
        np.testing.assert_array_equal(read_image(windowed).array[0], raw)
    ct = write_xray(tmp_path / "ct.dcm", raw, modality="CT", PresentationLUTShape="INVERSE",
                    RescaleSlope=1, RescaleIntercept=-1024)
    np.testing.assert_array_equal(read_image(ct).array[0], raw.astype(np.float32) - 1024)  # Hounsfield units


def test_enhanced_xa_is_read_through_its_shared_frame_window(tmp_path: Path) -> None:
    frames = _frames()
    path = write_enhanced(tmp_path / "exa.dcm", frames, shared=_window(1500, 1001))
    out = read_image(path).array
    assert out.shape == (1, 3, 32, 32) and getattr(out, "value_max", None) == 4095.0
    np.testing.assert_array_equal(out[0], _linear(frames, 1500, 1001))  # was the raw detector values
    with reading_voi(False):  # a bundle trained before: raw values, as it was trained
        np.testing.assert_array_equal(read_image(path).array[0], frames)


def test_enhanced_xa_frames_each_take_their_own_window(tmp_path: Path) -> None:
    frames = _frames()
    windows = [_window(1500, 1001), _window(1200, 401), _window(2000, 2001)]
    out = read_image(write_enhanced(tmp_path / "exa.dcm", frames, shared=_window(100, 11), per_frame=windows)).array
    for k, (c, w) in enumerate([(1500, 1001), (1200, 401), (2000, 2001)]):  # per-frame items over the shared one
        np.testing.assert_array_equal(out[0, k], _linear(frames[k], c, w))
    m1 = read_image(write_enhanced(tmp_path / "m1.dcm", frames, per_frame=windows, photometric="MONOCHROME1")).array
    np.testing.assert_array_equal(m1[0], 4095 - out[0])


def test_enhanced_xa_with_a_frame_without_a_window_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_enhanced(tmp_path / "gap.dcm", _frames(), per_frame=[_window(1500, 1001), None, _window(1500, 1001)])
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert "gap.dcm" in message and "frame 2 of 3" in message and "FrameVOILUTSequence" in message
    assert "\n" not in message


def test_enhanced_xa_with_an_unusable_frame_window_is_refused(tmp_path: Path) -> None:
    path = write_enhanced(tmp_path / "zero.dcm", _frames(), shared=_window(1500, 0))
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert "zero.dcm: cannot apply its VOI (WindowCenter '1500" in message and "WindowWidth '0" in message


def test_sigmoid_voi_function_follows_the_standard(tmp_path: Path) -> None:
    raw = _detector(_picture())
    out = read_image(write_xray(tmp_path / "sig.dcm", raw, WindowCenter=1500, WindowWidth=1000,
                                VOILUTFunction="SIGMOID")).array
    expected = np.round(4095 / (1 + np.exp(-4 * (raw.astype(np.float64) - 1500) / 1000)))  # PS3.3 C.11.2.1.3.1
    assert getattr(out, "value_max", None) == 4095.0
    np.testing.assert_array_equal(out[0], expected)


def test_pixel_intensity_relationship_sign_is_no_display_step(tmp_path: Path) -> None:
    raw = _detector(_picture())  # PS3.3: the sign relates stored values to X-ray intensity; display is by
    plain = read_image(write_xray(tmp_path / "a.dcm", raw, WindowCenter=1500, WindowWidth=1001)).array  # photometric
    signed = read_image(write_xray(tmp_path / "b.dcm", raw, WindowCenter=1500, WindowWidth=1001,
                                   PixelIntensityRelationship="LOG", PixelIntensityRelationshipSign=-1)).array
    np.testing.assert_array_equal(signed, plain)


def test_enhanced_frames_with_their_own_rescale_are_each_spread_over_16_bits(tmp_path: Path) -> None:
    frames = _frames()
    path = write_enhanced(tmp_path / "exa.dcm", frames, shared=_window(2000, 1001))
    from pydicom import dcmread

    ds = dcmread(path)
    for item, slope in zip(ds.PerFrameFunctionalGroupsSequence, (1, 2, 1)):
        pvt = Dataset()
        pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = slope, 0, "US"
        item.PixelValueTransformationSequence = Sequence([pvt])
    ds.save_as(path)
    out = read_image(path).array
    assert out.dtype == np.uint16 and getattr(out, "value_max", None) is None  # full 16 bits: tops 4095 and 8190
    modality = frames.astype(np.float64) * np.array([1, 2, 1]).reshape(3, 1, 1)
    shown = np.clip((modality - 1999.5) / 1000 + 0.5, 0, 1)  # each frame's window, as a fraction of its range
    assert np.abs(out[0].astype(np.float64) - shown * 65535).max() <= 1.0  # rounding only


def test_an_8_bit_voi_lut_in_a_frame_voi_item_is_applied(tmp_path: Path) -> None:
    frames = _frames()
    lut = Dataset()
    lut.add_new(0x00283002, "US", [4096, 0, 8])  # LUTDescriptor: 4096 entries from 0, 8 bits out
    lut.add_new(0x00283006, "US", [int(v) for v in np.arange(4096) // 16])  # LUTData
    item = Dataset()
    item.VOILUTSequence = Sequence([lut])
    out = read_image(write_enhanced(tmp_path / "lut.dcm", frames, shared=item)).array
    assert out.dtype == np.uint8 and getattr(out, "value_max", None) is None  # 0..255: a full-depth uint8
    np.testing.assert_array_equal(out[0], frames // 16)  # 3500 would wrap to 218 - 256 indexed in 8 bits


def test_enhanced_frames_sharing_a_window_go_through_pydicom_together(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 40-frame Enhanced XA whose frames repeat two windows (per-frame items of equal values, as
    scanners write them): one pydicom VOI call per window, not one (and a deep copy) per frame,
    which made a 1,000-frame cine take seconds; the values are each frame's own window."""
    import pydicom.pixels

    raw = _detector(_picture())
    frames = np.stack([raw if k % 2 else raw[::-1] for k in range(40)])
    windows = [(1500, 1001) if k % 2 else (1200, 401) for k in range(40)]
    path = write_enhanced(tmp_path / "cine.dcm", frames, per_frame=[_window(c, w) for c, w in windows])
    calls = []
    real = pydicom.pixels.apply_voi_lut
    monkeypatch.setattr(pydicom.pixels, "apply_voi_lut", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = read_image(path).array
    assert len(calls) <= 2 * 2  # per window: its output range, then its frames (was 40)
    for k, (c, w) in enumerate(windows):
        np.testing.assert_array_equal(out[0, k], _linear(frames[k], c, w))


def test_an_enhanced_file_is_windowed_a_few_frames_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The float64 work arrays of the window span a few frames, not the whole file: a breast
    tomosynthesis or XA volume of a few hundred MB took several GB (a float64 copy per frame, then
    another, then their stack) before its uint16 result was made."""
    import tracemalloc

    from meddx.data import dicom_voi

    monkeypatch.setattr(dicom_voi, "_CHUNK_VALUES", 2 * 256 * 256, raising=False)  # two frames at a time
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 4096, size=(32, 256, 256)).astype(np.uint16)
    path = write_enhanced(tmp_path / "dbt.dcm", frames, shared=_window(1500, 1001))
    tracemalloc.start()
    try:
        out = read_image(path).array
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out[0], _linear(frames, 1500, 1001))
    # the file's bytes, pydicom's pixel array and the result are each out.nbytes; the old reading
    # peaked near 15 times it
    assert peak < 5 * out.nbytes, f"peak {peak / 1e6:.0f} MB for a {out.nbytes / 1e6:.0f} MB volume"
