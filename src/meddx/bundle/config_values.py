"""Values in a bundle's ``config.json`` that load without complaint but would change every prediction
silently, or crash the first one with a traceback; ``read_bundle_config`` refuses them on load, one
line naming the file and field.

- ``decision.threshold`` / ``decision.class_thresholds``: probabilities. A hand edit to ``50`` (meaning
  50 %) or ``NaN`` made every case negative.
- ``calibration.temperature`` (one number): finite and > 0. ``0`` was read as "no temperature", so
  the bundle predicted uncalibrated probabilities; a negative one failed at the first prediction
  without naming the bundle.
- ``tta``: names of test-time augmentations meddx knows (``hflip``). A misspelt one (``hflip`` ->
  ``flip``) turned the averaging off without a word.
- An image bundle's ``preprocessing``: as many fitted means and standard deviations as channels, and
  the channels the network's first layer takes (``model.args.in_channels``); otherwise the first
  prediction ended in a numpy or torch traceback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from meddx.core.errors import BundleError

TTA_NAMES = ("hflip",)  # bundle.predictor averages over these
# The operating point sits above the top score or below the lowest one when a rule wants every case on
# one side (evaluation.operating.candidate_table: the next float after 1.0 when a score is 1.0).
_SLACK = 1e-9


def check_values(where: Path, config: dict[str, Any]) -> None:
    """Refuse the values above in ``config`` (read from ``where``); types were checked before
    (``bundle._check_fields``)."""
    def bad(field: str, expected: str, found: Any) -> BundleError:
        return BundleError(f"{where}: field {field!r} must be {expected}; found {found!r}")

    decision = config.get("decision")
    if isinstance(decision, dict):
        probability = "a probability from 0 to 1 (the operating point: 0.3, not 30)"
        if decision.get("threshold") is not None and not _probability(decision["threshold"]):
            raise bad("decision.threshold", probability, decision["threshold"])
        for name, value in (decision.get("class_thresholds") or {}).items():
            if not _probability(value):
                raise bad(f"decision.class_thresholds.{name}", probability, value)
    calibration = config.get("calibration")
    temperature = calibration.get("temperature") if isinstance(calibration, dict) else None
    if temperature is not None and not isinstance(temperature, list) and not (
            _finite(temperature) and temperature > 0):
        raise bad("calibration.temperature", "a finite number > 0 (1: probabilities as the network gives them)",
                  temperature)
    tta = config.get("tta")
    if isinstance(tta, list) and any(name not in TTA_NAMES for name in tta):
        raise bad("tta", f"a list of test-time augmentations from {', '.join(map(repr, TTA_NAMES))} "
                  "([] for none)", tta)
    _check_image_preprocessing(config, bad)


def _check_image_preprocessing(config: dict[str, Any], bad: Any) -> None:
    """An image bundle's fitted statistics, one per channel, and its channels those of the network."""
    pre = config["preprocessing"]
    if pre.get("type") != "image":
        return
    channels = pre.get("channels")
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise bad("preprocessing.channels", "a whole number of input channels (1 grey, 3 RGB)", channels)
    network = config["model"].get("args", {}).get("in_channels")
    if network is not None and network != channels:
        raise bad("preprocessing.channels", f"{network}, the channels model.args.in_channels gives the network",
                  channels)
    if pre.get("normalize", True):
        for key in (k for k in ("mean", "std") if k in pre):  # an absent one: the preprocessor's "lacks field"
            values = pre[key]
            if not (isinstance(values, list) and len(values) == channels and all(_finite(v) for v in values)
                    and (key == "mean" or all(v > 0 for v in values))):
                raise bad(f"preprocessing.{key}", f"{channels} finite number(s){' > 0' if key == 'std' else ''}, "
                          f"one per channel (preprocessing.channels is {channels})", values)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _probability(value: Any) -> bool:
    return _finite(value) and -_SLACK <= value <= 1 + _SLACK
