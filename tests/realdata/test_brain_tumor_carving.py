"""A validation split carved from brain-tumor-mri's Training folder keeps near copies together.

The 2,870 training images hold 44 groups of near copies (re-encoded or resized JPEGs) that
``data verify`` reports within train; carving must keep each group on one side, as verify groups
them, where the old exact-content grouping split some of them (9 for seed 0).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from meddx.data.sources import load_source

pytestmark = pytest.mark.realdata


@pytest.mark.timeout(600)
def test_carving_keeps_verify_near_copy_groups_on_one_side(shared_data: Path) -> None:
    from meddx.data.splits import carve_validation
    from meddx.data.verify import verify_source

    folder = shared_data / "brain-tumor-mri"
    if not (folder / "Training").is_dir():
        pytest.skip(f"{folder} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    raw = load_source(folder, carve_val=False)
    train_only = replace(raw, splits={"train": raw.splits["train"]})
    groups = [[m["id"] for m in g["members"]] for g in verify_source(train_only).to_dict()["near_duplicates"]]
    assert groups  # the folder has near copies inside Training

    def straddling(source) -> int:  # type: ignore[no-untyped-def]
        val = set(source.split("val").ids)
        return sum(len({m in val for m in g}) > 1 for g in groups)

    new = carve_validation(raw, 0.1, 0)
    assert straddling(new) == 0
    assert f"near copies (as data verify finds them): {len(groups)} group(s)" in new.notes[-1]
    assert straddling(carve_validation(raw, 0.1, 0, near_copies=False)) > 0  # what old bundles trained against
