"""Uploads: the type from the content, limits from the header, before any decoding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from meddx.serving import uploads
from meddx.serving.problems import Problem
from tests.unit.serving.serving_samples import (
    broken_dicom, dicom_bytes, huge_nifti_header, huge_png, jpeg_bytes, lesion_image, nifti_bytes, png_bytes,
)

MAX_PIXELS, MAX_VOXELS = 40_000_000, 64_000_000


def _status(fn, *args) -> tuple[int, str]:
    with pytest.raises(Problem) as info:
        fn(*args)
    return info.value.status, info.value.slug


@pytest.mark.parametrize("make, kind", [
    (lambda: png_bytes(lesion_image()), "png"),
    (lambda: jpeg_bytes(lesion_image()), "jpeg"),
    (lambda: dicom_bytes(lesion_image()), "dicom"),
    (lambda: nifti_bytes(np.zeros((28, 28, 3))), "nifti"),
    (lambda: nifti_bytes(np.zeros((28, 28, 3)), gz=True), "nifti-gz"),
])
def test_each_format_is_sniffed_checked_and_decoded(make, kind: str) -> None:
    data = make()
    payload = uploads.image_payload(data, MAX_PIXELS, MAX_VOXELS)
    assert payload.kind == kind and payload.nbytes == len(data) and len(payload.sha256) == 64
    array = uploads.decode_image(kind, data)
    assert array.shape[-2:] == (28, 28) or array.shape[-3:] == (3, 28, 28)


def test_png_decodes_to_the_pixels_sent() -> None:
    image = lesion_image(3)
    np.testing.assert_array_equal(uploads.decode_image("png", png_bytes(image))[0], image)


@pytest.mark.parametrize("data, slug", [
    (b"patient: Jane Doe\nthis is a note, not a scan\n" * 20, "unsupported-media-type"),
    (b"BM" + bytes(range(200)), "unsupported-media-type"),  # BMP is decodable elsewhere, not accepted here
    (bytes([0xFF, 0x00, 0x13]) * 300, "unsupported-media-type"),
])
def test_content_not_an_accepted_image_is_415(data: bytes, slug: str) -> None:
    assert _status(uploads.image_payload, data, MAX_PIXELS, MAX_VOXELS) == (415, slug)


def test_text_is_named_as_text_without_echoing_it() -> None:
    with pytest.raises(Problem) as info:
        uploads.sniff(b"Jane Doe, MRN 12345")
    assert "text" in info.value.detail and "Jane" not in info.value.detail


def test_zero_bytes_is_400() -> None:
    assert _status(uploads.image_payload, b"", MAX_PIXELS, MAX_VOXELS) == (400, "empty-upload")


def test_decompression_bomb_is_refused_from_the_header_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = huge_png(20_000, 20_000)
    assert len(data) < 200
    monkeypatch.setattr(uploads, "decode_image", lambda *a: pytest.fail("decoded a bomb"))
    status, slug = _status(uploads.image_payload, data, MAX_PIXELS, MAX_VOXELS)
    assert (status, slug) == (413, "image-too-large")
    assert uploads.image_shape("png", data) == (20_000, 20_000)


def test_limits_use_the_configured_sizes() -> None:
    data = png_bytes(np.zeros((40, 50), np.uint8))
    assert uploads.check_limits("png", data, 2000, 10) == (40, 50)
    assert _status(uploads.check_limits, "png", data, 1999, 10)[0] == 413


def test_huge_nifti_header_is_refused_and_3d_uses_the_voxel_limit() -> None:
    assert _status(uploads.image_payload, huge_nifti_header(), MAX_PIXELS, MAX_VOXELS) == (413, "image-too-large")
    small = nifti_bytes(np.zeros((10, 10, 10)))
    assert uploads.check_limits("nifti", small, 10, 1000) == (10, 10, 10)
    assert _status(uploads.check_limits, "nifti", small, 10**9, 999)[0] == 413


def test_truncated_png_is_422_after_sniffing() -> None:
    data = png_bytes(lesion_image())
    assert _status(uploads.image_shape, "png", data[:20]) == (422, "malformed-image")  # cut inside IHDR
    payload = uploads.image_payload(data[:60], MAX_PIXELS, MAX_VOXELS)  # header intact, pixels cut
    status, slug = _status(uploads.decode_image, payload.kind, data[:60])
    assert (status, slug) == (422, "malformed-image")


def test_wrong_dicom_is_422_and_the_temporary_path_is_not_shown() -> None:
    status, slug = _status(uploads.image_payload, broken_dicom(), MAX_PIXELS, MAX_VOXELS)
    assert (status, slug) == (422, "malformed-image")
    no_pixels = dicom_bytes(lesion_image(), with_pixels=False)
    uploads.image_payload(no_pixels, MAX_PIXELS, MAX_VOXELS)  # the header is fine
    with pytest.raises(Problem) as info:
        uploads.decode_image("dicom", no_pixels)
    assert info.value.status == 422 and "meddx-upload-" not in info.value.detail and "pixel data" in info.value.detail


def test_a_bad_dicom_header_value_is_not_echoed() -> None:
    """pydicom quotes the value it cannot read; any header field may hold PHI, so the 422 names
    the failure (and the tag, where pydicom gives it) but never the value."""
    good = dicom_bytes(lesion_image())
    assert good.count(b"MONOCHROME2 ") == 1
    bad = good.replace(b"MONOCHROME2 ", b"DOE^JANE7712")  # same length: the file stays well-formed
    uploads.image_payload(bad, MAX_PIXELS, MAX_VOXELS)  # the header itself reads
    with pytest.raises(Problem) as info:
        uploads.decode_image("dicom", bad)
    detail = info.value.detail
    assert info.value.status == 422 and "DOE" not in detail and "7712" not in detail
    assert "(0028,0004) 'Photometric Interpretation'" in detail and "withheld" in detail


def test_json_payloads() -> None:
    text = uploads.json_payload({"text": "fever and cough"}, 100)
    assert text.kind == "text" and text.text == "fever and cough" and text.nbytes == 15
    record = uploads.json_payload({"record": {"b": 1, "a": [1, 2]}}, 100)
    assert record.kind == "record" and record.sha256 == uploads.json_payload(
        {"record": json.loads('{"a": [1, 2], "b": 1}')}, 100).sha256  # key order does not change the hash
    assert _status(uploads.json_payload, {"text": "x" * 101}, 100)[0] == 413
    for bad in ({}, {"text": 3}, {"text": " "}, {"text": "a", "record": {}}, {"record": [1]}, [1],
                {"text": "..."}, {"text": "--- ///"}):  # punctuation only: refused as meddx predict refuses it
        assert _status(uploads.json_payload, bad, 100)[0] == 422
