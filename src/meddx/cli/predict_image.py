"""``meddx predict`` for image classifiers: the notices printed beside the predictions."""

from __future__ import annotations

from typing import Any

import typer

WARNINGS = ("spacing_warning", "channels_warning", "typicality_warning")


def print_notices(predictor: Any, predictions: list[Any]) -> None:
    """On stderr (JSON lines on stdout stay clean), one line per file and kind: a volume at
    another spacing than training, a colour/grey conversion that loses or invents colour, an input
    unlike the training images; and once, for a bundle without the typicality record, that its
    inputs are not checked."""
    for p in predictions:
        for key in WARNINGS:
            if p.extra.get(key):
                typer.echo(f"warning: {p.extra[key]}", err=True)
    if predictions and getattr(predictor, "typicality", None) is None:
        from meddx.bundle.typicality import NO_RECORD

        typer.echo(f"note: {NO_RECORD.format(name=predictor.name)}", err=True)
