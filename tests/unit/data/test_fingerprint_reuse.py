"""Each image is decoded once when a carved validation split is then verified (``meddx train``:
carving keeps near copies together, verify runs at the end; ``evaluate --split val`` alike): the
fingerprints carving computed are reused, unless the file or the reading changed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import meddx.data.io as io
from meddx.data.dicom_voi import reading_voi
from meddx.data.sources import load_source
from meddx.data.verify import verify_source
from tests.unit.data.test_carve_near_copies import _image_folder, _smooth


def clear_fingerprints() -> None:
    from meddx.data.fingerprints import clear_fingerprints as clear

    clear()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """How many times each file is decoded (``data.io.read_image``, which every image read uses)."""
    clear_fingerprints()
    counts: Counter = Counter()
    real = io.read_image

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts[f"{Path(path).parent.name}/{Path(path).name}"] += 1
        counts["total"] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(io, "read_image", counting)
    yield counts
    clear_fingerprints()


def _report(source) -> dict:  # type: ignore[no-untyped-def]
    out = verify_source(source).to_dict()
    return {k: out[k] for k in ("undecodable", "exact_duplicates", "near_duplicates", "conflicting_labels")}


def test_verify_after_carving_decodes_no_image_again(tmp_path: Path, reads: Counter) -> None:
    root, _ = _image_folder(tmp_path / "images", n=8)
    reads.clear()
    source = load_source(root)  # carves val, fingerprinting every training image
    n = sum(len(d) for d in source.splits.values())
    carved = reads["total"]  # every image once (and the reader's first file, which decides 2D or 3D)
    assert carved in (n, n + 1) and all(reads[k] >= 1 for k in ("a/0.png", "b/7.png", "a/0-copy.jpg"))
    report = _report(source)
    assert reads["total"] == carved  # verify reused every fingerprint: nothing decoded again
    assert report["near_duplicates"]  # the near copies were found from the kept fingerprints
    clear_fingerprints()
    assert _report(source) == report  # the same report as a verify that decodes everything
    assert reads["total"] == carved + n


def test_a_file_changed_after_carving_is_decoded_again(tmp_path: Path, reads: Counter) -> None:
    from PIL import Image

    root, _ = _image_folder(tmp_path / "images", n=8)
    source = load_source(root)
    before = reads["total"]
    Image.fromarray(_smooth(np.random.default_rng(99))).save(root / "a" / "3.png")  # new content, same path
    _report(source)
    assert reads["total"] == before + 1 and reads["a/3.png"] == 2


def test_the_kept_fingerprints_belong_to_one_reading(tmp_path: Path) -> None:
    from meddx.data.fingerprints import fingerprint_key

    source = load_source(_image_folder(tmp_path / "images", n=2)[0], carve_val=False)
    key = fingerprint_key(source, "x.dcm", "d" * 64, 8)
    with reading_voi(False):  # an old bundle's reading (raw X-ray values): another array, another key
        assert fingerprint_key(source, "x.dcm", "d" * 64, 8) != key
    assert fingerprint_key(source, "x.dcm", "e" * 64, 8) != key  # other bytes at the same path
    assert fingerprint_key(source, "x.dcm", None, 8) is None
