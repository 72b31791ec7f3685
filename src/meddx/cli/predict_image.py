"""``meddx predict`` for image classifiers: the notices printed beside the predictions."""

from __future__ import annotations

from typing import Any

from meddx.cli import streams

WARNINGS = ("spacing_warning", "channels_warning", "typicality_warning")
FEATURES_ONLY = ("bundle {name!r} records the feature check only (made before meddx also checked image intensities): "
                 "blank, constant or saturated images are flagged less often; retrain to add the intensity check")


def print_notices(predictor: Any, predictions: list[Any]) -> None:
    """On stderr (JSON lines on stdout stay clean), one line per file and kind: a volume at
    another spacing than training, a colour/grey conversion that loses or invents colour, an input
    unlike the training images; and once, for a bundle without the typicality record, that its
    inputs are not checked (and why, when the bundle tells: ``--dp``, federated), or, for one
    whose record predates the intensity check, that it checks features only."""
    for p in predictions:
        for key in WARNINGS:
            if p.extra.get(key):
                streams.warning(p.extra[key])
    if not predictions:
        return
    check = getattr(predictor, "typicality", None)
    if check is None:
        from meddx.bundle.typicality import NO_RECORD
        from meddx.bundle.typicality_inputs import absent_reason

        reason = absent_reason(getattr(predictor, "config", None) or {})
        name = predictor.name
        line = f"bundle {name!r} checks no inputs: {reason}" if reason else NO_RECORD.format(name=name)
        streams.note(line)
    elif getattr(check, "inputs", None) is None:
        streams.note(FEATURES_ONLY.format(name=predictor.name))
