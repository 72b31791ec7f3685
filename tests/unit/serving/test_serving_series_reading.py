"""A DICOM series sent as a ZIP is parsed once, and its read stops between slices when the request
gave up.

The ZIP's checks (one series, single-frame slices, the voxel limit) parse every file's header;
the series reader then parsed each file again (20-30% of reading a small series). Now the checks
parse each file as the reader does, pixel data deferred, and hand those datasets to the reader
(``read_image(headers=...)``). A long series could not be interrupted: the reader now calls the
server's cancel check before each file and each slice (``read_image(on_slice=...)``).
"""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.dicom_slices import write_ct_slice


def _series(folder: Path, n: int = 8, size: int = 16) -> Path:
    """An axial CT series of ``n`` slices, written in reverse position order."""
    folder.mkdir(parents=True)
    volume = np.random.default_rng(size).integers(0, 400, (n, size, size)).astype(np.int16)
    for k, plane in enumerate(volume):
        write_ct_slice(folder / f"IM{n - k:04d}.dcm", plane, series="1.2.3.4", number=k + 1,
                       position=[0.0, 0.0, 1.5 * k], spacing=[0.8, 0.8], thickness=1.5)
    return folder


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, "SE1/" + f.name)
    return buf.getvalue()


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, then: Any = None) -> list[int]:
    """Count calls of ``module.name`` (calling ``then(count)`` after each)."""
    real, calls = getattr(module, name), []

    def counted(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        calls.append(1)
        if then is not None:
            then(len(calls))
        return out

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize("size", [16, 96])  # 512 B of pixels per slice (read with the header), 18 kB (deferred)
def test_a_series_zip_is_parsed_once_and_reads_as_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             size: int) -> None:
    import pydicom

    from meddx.data.io import read_image
    from meddx.serving.series_zip import KIND, ZipLimits, series_folder
    from meddx.serving.uploads import read_upload

    folder = _series(tmp_path / "SE1", size=size)
    expected = read_image(folder, "RAS")  # what `meddx predict BUNDLE SE1/` reads
    with series_folder(_zip(folder), ZipLimits()) as extracted:
        parsed = _counting(monkeypatch, pydicom, "dcmread")
        loaded = read_upload(str(extracted.folder), KIND, "RAS")
    assert len(parsed) == 0, f"the reader parsed {len(parsed)} files again after the ZIP's checks parsed them"
    assert loaded.array.dtype == expected.array.dtype and loaded.spacing == expected.spacing
    np.testing.assert_array_equal(loaded.array, expected.array)


def test_reading_a_series_zip_stops_between_slices_when_its_request_gave_up(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.data.dicom as dicom
    from meddx.serving.cancel import Abandoned, watching
    from meddx.serving.series_zip import KIND, ZipLimits, series_folder
    from meddx.serving.uploads import read_upload

    flag = threading.Event()
    with series_folder(_zip(_series(tmp_path / "SE1")), ZipLimits()) as extracted:
        decoded = _counting(monkeypatch, dicom, "dicom_pixels", then=lambda n: flag.set() if n == 2 else None)
        with watching([flag]), pytest.raises(Abandoned):  # the request gives up while slice 2 is decoded
            read_upload(str(extracted.folder), KIND, "RAS")
    assert len(decoded) == 2, f"{len(decoded)} of 8 slices decoded; the read should stop before slice 3"


def test_the_series_reader_calls_its_check_before_each_file_and_slice(tmp_path: Path) -> None:
    """``read_dicom_series(on_slice=...)``: the hook the server's cancel check uses; without it, as before."""
    from meddx.data.dicom import read_dicom_series

    folder = _series(tmp_path / "SE1", n=5)
    seen: list[int] = []
    with_hook = read_dicom_series(folder, "RAS", on_slice=lambda: seen.append(1))
    assert len(seen) == 10  # 5 files parsed, 5 slices decoded
    np.testing.assert_array_equal(with_hook.array, read_dicom_series(folder, "RAS").array)

    class Stop(Exception):
        pass

    def stop() -> None:
        if len(seen) >= 12:
            raise Stop  # any exception the hook raises ends the read
        seen.append(1)

    with pytest.raises(Stop):
        read_dicom_series(folder, "RAS", on_slice=stop)
    assert len(seen) == 12
