"""The old-carving hint names ``--clean-manifest`` for image files only (helper "tables49", stop 49).

A bundle trained before near copies were kept together when val was carved is re-read with its old
carving; when verify finds val samples sharing content with train, the hint said they "may be near
copies of training samples that --clean-manifest cannot remove", whatever the source. For documents
that flag does not apply at all (``data verify --clean-manifest`` refuses a text source): retraining
carves val anew with near copies on one side, and ``--fix drop-duplicates`` writes the file without them.
"""

from __future__ import annotations

import pytest

from meddx.data.carve_groups import old_carving_hint

OLD = {"notes": ["validation carved from train: fraction 0.1, seed 0, stratified by label; train 90 / val 10 samples"],
       "duplicates": {"leakage": True, "near_groups": 3, "cross_split": 4, "cross_split_by_split": {"train": 2, "val": 2}}}


def test_an_old_text_carving_is_told_what_works_for_documents() -> None:
    for dataset, kind in (({**OLD, "kind": "text"}, None), (OLD, "text")):
        hint = old_carving_hint(dataset, kind) or ""
        assert "--clean-manifest" not in hint, hint
        assert hint.endswith("documents may be near copies of training documents: retrain to carve val anew (near "
                             "copies then stay on one side), or first write the file without them with `meddx data "
                             "verify --fix drop-duplicates --fixed-output FILE`"), hint


@pytest.mark.parametrize(("dataset", "says", "never"), [
    ({**OLD, "kind": "images"}, "near copies of training samples that --clean-manifest cannot remove: retrain", None),
    (OLD, "which cleaning the files on disk does not separate (val is carved from train): retrain to carve val anew",
     "--clean-manifest"),
])
def test_image_files_keep_the_flag_and_a_summary_without_kind_names_none(dataset: dict, says: str,
                                                                          never: str | None) -> None:
    hint = old_carving_hint(dataset) or ""
    assert says in hint and (never is None or never not in hint), hint


def test_evaluates_leakage_warning_gives_a_text_source_its_own_hint() -> None:
    """``leakage_warning`` (evaluate, the model card) asked for the hint of images and unknown kinds only,
    so a text bundle's old carving got no hint at all in evaluate."""
    from meddx.evaluation.leakage import leakage_warning

    warning = leakage_warning({**OLD, "kind": "text"}) or ""
    assert "retrain to carve val anew (near copies then stay on one side)" in warning, warning
    assert "--clean-manifest" not in warning
