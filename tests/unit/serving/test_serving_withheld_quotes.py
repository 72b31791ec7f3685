"""The server withholds a quoted DICOM header value as the terminal does (``data.io.withhold_quoted``): its
own copy of the rule matched single quotes only, so a name Python quotes in double quotes because it holds
an apostrophe (``"O'BRIEN^PAT"``, a PatientName misfiled in RescaleSlope) reached the 422 answer."""

from __future__ import annotations

import pytest


def test_a_double_quoted_header_value_is_withheld_from_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.core.errors import DataError
    from meddx.data import io
    from meddx.serving import uploads
    from meddx.serving.problems import Problem

    def bad(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise DataError(f"{path}: cannot decode image (could not convert string to float: \"O'BRIEN^PAT\"; "
                        "(0028,1053) 'Rescale Slope' 'DOE^JOHN')")

    monkeypatch.setattr(io, "read_image", bad)
    with pytest.raises(Problem) as info:
        uploads.read_upload("/tmp/meddx-upload-x.dcm", "dicom")
    detail = str(info.value.detail)
    assert "BRIEN" not in detail and "DOE^JOHN" not in detail and "(0028,1053) 'Rescale Slope'" in detail
