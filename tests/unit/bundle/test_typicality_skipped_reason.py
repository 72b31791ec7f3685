"""A bundle whose typicality check was skipped for too few validation images says so.

Found by a review: with fewer than 20 validation images no check is fitted, and ``meddx predict``
then said the bundle was "made before meddx checked inputs", which was false and hid the remedy
(more validation images). Training now records the reason in the plan's reasons (kept in the
bundle's ``training.plan_reasons``); bundles without it keep the old wording.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from meddx.bundle.typicality import MIN_VAL, card_limit, too_few_validation_images
from meddx.bundle.typicality_inputs import absent_reason

IMAGE_BUNDLE = {"preprocessing": {"type": "image"}, "task": "binary"}


def test_the_recorded_reason_is_given_and_old_bundles_give_none() -> None:
    assert too_few_validation_images(MIN_VAL) is None
    reason = too_few_validation_images(12)
    assert reason and "12 image(s)" in reason and f"fewer than the {MIN_VAL}" in reason
    config = {**IMAGE_BUNDLE, "training": {"plan_reasons": {"epochs": "set in config", "typicality": reason}}}
    assert absent_reason(config) == reason
    assert card_limit(None, config) == [f"Inputs unlike the training images are not flagged: {reason}."]
    old = {**IMAGE_BUNDLE, "training": {"plan_reasons": {"epochs": "set in config"}}}
    assert absent_reason(old) is None and card_limit(None, old) == []  # predict: "made before meddx checked inputs"


def test_training_with_too_few_validation_images_records_why_the_check_was_skipped(tmp_path: Path) -> None:
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("val", 5)):
        for cls in ("a", "b"):
            (tmp_path / "data" / split / cls).mkdir(parents=True)
            for i in range(n):
                picture = rng.integers(0, 120 if cls == "a" else 256, (12, 12), dtype=np.uint8)
                Image.fromarray(picture).save(tmp_path / "data" / split / cls / f"{i}.png")
    result = fit(TrainConfig(data=str(tmp_path / "data"), epochs=1, model="seed-cnn", precision="32-true",
                             output=str(tmp_path / "bundle")), progress=False)
    config = json.loads((Path(result.bundle_path) / "config.json").read_text())
    assert "typicality" not in config
    assert absent_reason(config) == too_few_validation_images(10)
    assert json.loads((result.run_dir / "plan.json").read_text())["reasons"]["typicality"] == absent_reason(config)
