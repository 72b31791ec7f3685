"""PresentationLUTSequence of projection X-ray, with answers computed here from the standard
(PS3.3 C.11.4.1: the VOI output scaled onto the LUT's entries; the entries are P-values, 0 ..
2**n - 1; PS3.4 N.2.1.4: the LUT overrides the Photometric Interpretation), not by meddx or pydicom.
How bundles keep reading these files as they were trained: tests/unit/bundle/test_dicom_presentation_levels.py.
Also: a negative rescale
slope, whose window pydicom returns reversed, reads as the standard's window (was refused)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from meddx.core.errors import DataError
from meddx.data.io import read_image
from tests.unit.data.test_dicom_display import _window, write_enhanced
from tests.unit.data.test_dicom_voi import _detector, _picture, write_xray

C, W = 1500, 1001  # the window of every file here, on 12-bit stored values


def _window_out(raw: np.ndarray, center: float = C, width: float = W, top: float = 4095) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 LINEAR window onto 0..top, unrounded."""
    return np.clip(((raw.astype(np.float64) - (center - 0.5)) / (width - 1) + 0.5) * top, 0, top)


def _plut(table: np.ndarray, bits: int, ow: bool = False) -> Sequence:
    item = Dataset()
    item.LUTDescriptor = [len(table) % 2**16, 0, bits]
    if ow:
        item.add_new(0x00283006, "OW", table.astype("<u2").tobytes())
    else:
        item.add_new(0x00283006, "US", [int(v) for v in table])
    return Sequence([item])


def _gamma(entries: int, bits: int) -> np.ndarray:
    return np.round((2**bits - 1) * np.sqrt(np.arange(entries) / (entries - 1))).astype(np.uint16)


def test_a_presentation_lut_maps_the_window_output_to_its_p_values(tmp_path: Path) -> None:
    raw = _detector(_picture())
    table = _gamma(4096, 12)
    out = read_image(write_xray(tmp_path / "p.dcm", raw, WindowCenter=C, WindowWidth=W,
                                PresentationLUTSequence=_plut(table, 12))).array
    np.testing.assert_array_equal(out[0], table[np.rint(_window_out(raw)).astype(int)])  # was the window alone
    assert getattr(out, "value_max", None) == 4095.0


def test_the_lut_input_is_the_windows_range_scaled_to_its_entries_whatever_the_picture(tmp_path: Path) -> None:
    """256 entries of 10 bits under a 12-bit window: entry rint(v * 255 / 4095) of window output v,
    the same for a pixel whatever else the picture holds (pydicom's apply_presentation_lut scales
    by the picture's own minimum and maximum, so a crop gets other P-values)."""
    raw = _detector(_picture())
    table = (1023 - np.round(np.arange(256) * 1023 / 255) ** 1).astype(np.uint16)  # an inverting LUT
    expected = table[np.rint(_window_out(raw) * 255 / 4095).astype(int)]
    full = read_image(write_xray(tmp_path / "full.dcm", raw, WindowCenter=C, WindowWidth=W,
                                 PresentationLUTSequence=_plut(table, 10))).array
    crop = read_image(write_xray(tmp_path / "crop.dcm", raw[4:28, 4:28], WindowCenter=C, WindowWidth=W,
                                 PresentationLUTSequence=_plut(table, 10))).array
    np.testing.assert_array_equal(full[0], expected)
    np.testing.assert_array_equal(crop[0], expected[4:28, 4:28])
    assert full.value_max == 1023.0 and full.dtype == np.uint16


def test_it_agrees_with_pydicom_where_the_picture_reaches_both_ends_of_the_window(tmp_path: Path) -> None:
    from pydicom import dcmread
    from pydicom.pixels import apply_modality_lut, apply_presentation_lut, apply_voi_lut

    raw = _detector(_picture())  # its corners lie below and above the window: output 0 and 4095
    path = write_xray(tmp_path / "p.dcm", raw, WindowCenter=C, WindowWidth=W,
                      PresentationLUTSequence=_plut(_gamma(4096, 12), 12))
    ds = dcmread(path)
    voi = np.rint(apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds))
    np.testing.assert_array_equal(read_image(path).array[0], apply_presentation_lut(voi, ds))


def test_ow_lut_data_reads_as_its_us_form(tmp_path: Path) -> None:
    raw = _detector(_picture())
    table = _gamma(4096, 16)
    us, ow = (read_image(write_xray(tmp_path / f"{k}.dcm", raw, WindowCenter=C, WindowWidth=W,
                                    PresentationLUTSequence=_plut(table, 16, ow=k == "ow"))).array
              for k in ("us", "ow"))
    np.testing.assert_array_equal(us, ow)
    np.testing.assert_array_equal(us[0], table[np.rint(_window_out(raw)).astype(int)])
    assert getattr(us, "value_max", None) is None and us.dtype == np.uint16  # 16-bit P-values: full depth


def test_a_monochrome1_file_with_a_presentation_lut_is_not_inverted_again(tmp_path: Path) -> None:
    """The LUT's output is P-values: it defines the polarity (PS3.4 N.2.1.4 note 1)."""
    raw = _detector(_picture())
    table = (4095 - _gamma(4096, 12)).astype(np.uint16)  # the file's own inversion, in its LUT
    out = read_image(write_xray(tmp_path / "m1.dcm", raw, photometric="MONOCHROME1", WindowCenter=C,
                                WindowWidth=W, PresentationLUTSequence=_plut(table, 12))).array
    np.testing.assert_array_equal(out[0], table[np.rint(_window_out(raw)).astype(int)])


def test_enhanced_frames_each_go_through_the_lut_from_their_own_window(tmp_path: Path) -> None:
    raw = _detector(_picture())
    frames = np.stack([raw, raw[::-1]])
    path = write_enhanced(tmp_path / "xa.dcm", frames, per_frame=[_window(C, W), _window(1200, 401)])
    from pydicom import dcmread

    ds = dcmread(path)
    table = _gamma(1024, 10)
    ds.PresentationLUTSequence = _plut(table, 10)
    ds.save_as(path)
    out = read_image(path).array[0]
    for k, (c, w) in enumerate([(C, W), (1200, 401)]):
        np.testing.assert_array_equal(out[k], table[np.rint(_window_out(frames[k], c, w) * 1023 / 4095).astype(int)])


@pytest.mark.parametrize("descriptor,data,why", [
    ([4096, 0, 17], [0] * 4096, "17 bits per entry"),
    ([4096, 0, 12], [0] * 100, "LUTData"),
])
def test_an_unusable_presentation_lut_is_refused_in_one_line_naming_the_file(tmp_path: Path, descriptor: list,
                                                                              data: list, why: str) -> None:
    item = Dataset()
    item.LUTDescriptor = descriptor
    item.add_new(0x00283006, "US", data)
    path = write_xray(tmp_path / "bad.dcm", _detector(_picture()), WindowCenter=C, WindowWidth=W,
                      PresentationLUTSequence=Sequence([item]))
    with pytest.raises(DataError) as err:
        read_image(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "PresentationLUTSequence" in message
    assert why in message or "index" in message


def test_a_negative_rescale_slope_reads_as_the_standards_window(tmp_path: Path) -> None:
    """Modality value m = 4095 - stored; the window on m puts m above it white (was refused: 'its VOI
    maps every pixel to 4095', pydicom's window ends being 4095 and 0 under the negative slope)."""
    raw = _detector(_picture())
    out = read_image(write_xray(tmp_path / "neg.dcm", raw, RescaleSlope=-1, RescaleIntercept=4095,
                                WindowCenter=4095 - C, WindowWidth=W)).array
    np.testing.assert_array_equal(out[0], np.rint(_window_out(4095 - raw.astype(np.int64), 4095 - C, W)))
    assert out.value_max == 4095.0 and int(out[0, 0, 0]) == 4095  # stored 300: m = 3795, above the window
