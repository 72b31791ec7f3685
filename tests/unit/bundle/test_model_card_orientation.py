"""The model card says how volumes are read (RAS+), and the subgroup gap's adjusted p-value.

Found by an audit: new image bundles record ``"orientation": "RAS"`` in config.json and read every
volume turned to RAS+, but neither the classification nor the segmentation card said so; a reader
of the card could not know that an LPS-stored volume is flipped before the network sees it.
"""

from __future__ import annotations

from meddx.bundle.model_card import render_model_card
from meddx.bundle.seg_card import render_seg_model_card


def _cfg(**extra: object) -> dict:
    return {"name": "chest", "task": "binary", "label_names": ["normal", "pneumonia"],
            "model": {"name": "resnet18", "args": {"in_channels": 1}},
            "preprocessing": {"channels": 1, "spatial_size": [28, 28], "scaling": "dtype"},
            "decision": {"rule": "argmax"}, "calibration": {}, "training": {"data": "x", "seed": 0}, **extra}


def test_image_card_says_volumes_are_read_in_ras() -> None:
    card = render_model_card(_cfg(orientation="RAS"), {})
    line = next(x for x in card.splitlines() if x.startswith("- Orientation:"))
    assert "RAS+" in line and "`orientation: RAS`" in line and "no resampling" in line


def test_older_image_bundle_card_says_stored_voxel_order() -> None:
    card = render_model_card(_cfg(), {})
    assert "read in each file's stored voxel order" in card and "RAS+" in card


def test_text_and_table_cards_have_no_orientation_line() -> None:
    for modality in ("text", "tabular", "series"):
        assert "- Orientation:" not in render_model_card(_cfg(modality=modality), {})


def test_segmentation_card_says_volumes_are_read_in_ras() -> None:
    config = {"name": "liver", "label_names": ["background", "liver"], "model": {"name": "unet"},
              "orientation": "RAS", "training": {"plan": {"spatial_dims": 3}}}
    assert "turned to RAS+" in render_seg_model_card(config, {})


def test_card_gives_the_largest_gap_its_adjusted_p_value() -> None:
    group = {"n": 90, "auc": None, "accuracy": None, "warning": None}
    gap = {"metric": "auc", "gap": 0.2, "between": ["A", "B"], "values": [0.9, 0.7], "p_value": 0.004,
           "p_adjusted": 0.03, "n_comparisons": 15, "n_permutations": 999}
    from meddx.bundle.model_card import _subgroup_section

    card = "\n".join(_subgroup_section({"subgroups": {"site": {"groups": {"A": group, "B": group},
                                                                "largest_gap": gap}}}))
    assert "p = 0.030 adjusted for the 15 comparisons it was picked from" in card
    assert "unadjusted p = 0.004" in card
