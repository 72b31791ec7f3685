"""verify on the real brain-tumor-mri folder finds the documented train/test leakage.

../shared/data/brain-tumor-mri/SOURCE.md: 3,264 files, 166 groups of byte-identical files
(237 redundant copies: 93 inside Training, 80 inside Testing), and 88 of the 105
Testing/no_tumor images have a byte-identical copy in Training/no_tumor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.data.sources import load_source
from meddx.data.verify import verify_source

pytestmark = pytest.mark.realdata


@pytest.mark.timeout(300)
def test_brain_tumor_cross_split_duplicates(shared_data: Path) -> None:
    """``shared_data`` (tests/conftest.py) is $MEDDX_SHARED_DATA or the repo's sibling shared/data."""
    folder = shared_data / "brain-tumor-mri"
    if not (folder / "Training").is_dir():
        pytest.skip(f"{folder} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    source = load_source(folder, carve_val=False)
    assert {k: len(v) for k, v in source.splits.items()} == {"train": 2870, "test": 394}

    report = verify_source(source)
    s = report.summary
    assert s["undecodable"] == 0
    assert s["distinct_contents"] == 3027
    assert s["exact_duplicate_groups"] == 166 and s["exact_redundant_copies"] == 237
    assert s["exact_redundant_copies_within_split"] == {"train": 93, "test": 80}

    leaked_test = {
        m["id"] for g in report.exact_duplicates if g["cross_split"]
        for m in g["members"] if m["split"] == "test"
    }
    assert len(leaked_test) == 88
    assert all(i.startswith("Testing/no_tumor/") for i in leaked_test)
    assert not any(g["conflicting_labels"] for g in report.exact_duplicates)
    assert s["exact_cross_split_samples"]["test"] == 88
    assert s["any_cross_split_samples"]["test"] >= 88
    assert report.has_leakage
    assert s["seconds"] < 60
