"""The segmentation card says which test-time options the time budget left untried.

Under ``--time-budget`` ``choose_postprocessing`` skips options whose projected cost does not fit
(evidence ``budget.skipped``); "shifts off" alone would read as if shifts had been tried and lost.
"""

from __future__ import annotations

from meddx.bundle.seg_card import render_seg_model_card


def _config(evidence: dict) -> dict:
    return {"name": "hippo", "label_names": ["background", "anterior", "posterior"], "model": {"name": "unet"},
            "inference": {"mirror": False, "shift": False, "zoom": False},
            "postprocess": {"largest_component": {}, "evidence": evidence}, "training": {"plan": {"spatial_dims": 3}}}


def test_card_names_options_skipped_for_the_budget() -> None:
    evidence = {"budget": {"seconds": 30.0, "skipped": {"shifts": "projected 480 s > 10 s left of 30 s",
                                                        "mirroring + shifts": "projected 960 s > 10 s left"}}}
    line = next(x for x in render_seg_model_card(_config(evidence), {}).splitlines() if "post-processing" in x)
    assert line.endswith("zoom off (shifts, mirroring + shifts not tried: projected to exceed the time budget)")


def test_card_without_a_budget_is_unchanged() -> None:
    for evidence in ({}, {"budget": {"seconds": 30.0, "skipped": {}}}):
        line = next(x for x in render_seg_model_card(_config(evidence), {}).splitlines() if "post-processing" in x)
        assert line.endswith("zoom off")


def test_card_says_the_config_turned_the_options_off_or_insisted_on_them() -> None:
    off = "off: seg_tta is off in the config"
    evidence = {"seg_tta": "off", "mirror": {"applied": False, "why": "no axis may be mirrored"},
                "shift": {"applied": False, "skipped": off}, "zoom": {"applied": False, "skipped": off},
                "budget": {"seconds": 30.0, "skipped": {}}}
    line = next(x for x in render_seg_model_card(_config(evidence), {}).splitlines() if "post-processing" in x)
    assert line.endswith("zoom off (shifts, zoom not tried: seg_tta off)")
    evidence = {"seg_tta": "on", "budget": {"seconds": 30.0, "skipped": {}}}
    line = next(x for x in render_seg_model_card(_config(evidence), {}).splitlines() if "post-processing" in x)
    assert line.endswith("zoom off (tried whatever the time budget: seg_tta on)")
    del evidence["budget"]  # no budget: on is what auto does, nothing to say
    line = next(x for x in render_seg_model_card(_config(evidence), {}).splitlines() if "post-processing" in x)
    assert line.endswith("zoom off")
