"""``meddx predict --skip-bad``: predict every input that reads, name each one that does not, exit 1.

A day's folder of 2,000 X-rays with one truncated PNG, or a table export with one file of another
layout, ended the whole run with one error and no prediction. With ``--skip-bad`` each input a
bundle cannot read (undecodable, another shape or channel count, a folder without images, a table
without the training columns) is named on stderr in one line with the reason, every other input is
predicted as without the flag, and the exit status says whether anything was left out:

- 0: every input was predicted;
- 1 (:data:`SKIPPED_EXIT`): at least one input was skipped (also when all were: nothing predicted);
- 2: an error that is no single input's (the bundle, a flag), as without ``--skip-bad``.

Only ``MeddxError`` (what meddx raises on purpose for bad input) marks an input bad; anything else
is a defect and still stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from meddx.cli import streams
from meddx.core.errors import MeddxError

SKIPPED_EXIT = 1
T = TypeVar("T")


@dataclass
class Skipped:
    """One input left out: its path as the user's inputs name it, and why (one line)."""

    source: str
    reason: str

    def line(self) -> str:
        return f"skipped {self.source}: {self.reason}"


def skipped_because(source: str | Path, exc: MeddxError) -> Skipped:
    """``exc`` as the reason ``source`` was skipped: one line, without the path the message
    usually starts with (``x.png: cannot decode image ...``), so the path is not said twice."""
    text = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    source = str(source)
    for prefix in (f"{source}: ", f"{Path(source).name}: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return Skipped(source, text or type(exc).__name__)


def each_input(inputs: Sequence[T], predict: Callable[[T], list[Any]], name: Callable[[T], str] = str,
               ) -> tuple[list[Any], list[Skipped]]:
    """``predict`` applied to each of ``inputs`` in order: the predictions of those it reads, and a
    :class:`Skipped` for each that raised a ``MeddxError``."""
    predictions: list[Any] = []
    skipped: list[Skipped] = []
    for item in inputs:
        try:
            predictions += predict(item)
        except MeddxError as exc:
            skipped.append(skipped_because(name(item), exc))
    return predictions, skipped


def image_predictions(predictor: Any, files: Sequence[Path]) -> tuple[list[Any], list[Skipped]]:
    """An image classifier's predictions of ``files`` (files, folders, patterns, series folders),
    skipping each input it cannot read. All of them in one batch first, as without ``--skip-bad`` (the
    same numbers, the same speed); only when that fails, input by input: each file a folder or
    pattern stands for, so one bad file in a folder leaves out that file, not the folder."""
    try:
        return predictor.predict_files(files), []
    except MeddxError:
        pass

    def one(path: Path) -> list[Any]:
        # a 3D series folder with a series in a subfolder stands for both: keep its own prediction only
        return [p for p in predictor.predict_files([path]) if p.source == str(path)]

    return each_image_input(files, len(predictor.preprocessor.spatial_size), one)


def each_image_input(files: Sequence[Path], dims: int, predict: Callable[[Path], list[Any]],
                     ) -> tuple[list[Any], list[Skipped]]:
    """:func:`each_input` over the inputs ``files`` name for a ``dims``-D bundle (``data.inputs``), in
    the order given: a folder's files where the folder was named; a folder without images or a
    pattern matching none is skipped as a whole."""
    from meddx.data.inputs import expand_image_inputs

    results: list[Any] = []
    skipped: list[Skipped] = []
    for given in files:
        try:
            inputs = expand_image_inputs([given], dims)
        except MeddxError as exc:
            skipped.append(skipped_because(given, exc))
            continue
        found, unread = each_input(inputs, predict)
        results += found
        skipped += unread
    return results, skipped


def readable_seg_inputs(predictor: Any, files: Sequence[Path]) -> tuple[list[Path], list[Skipped]]:
    """The inputs of ``files`` a segmentation bundle can read (decoded, of its dimensions), and a
    :class:`Skipped` for each other one. Checked by reading each before the run, not by segmenting
    input by input: a run plans its mask names, refuses an earlier run's files and writes one
    ``masks.json`` for all its inputs, so the bad ones must be out before it starts. (Each good input
    is read twice; reading is a small part of segmenting it.)"""
    from meddx.data.io import read_image
    from meddx.data.orientation import reading_for

    def check(path: Path) -> list[Path]:
        with reading_for(predictor):  # as the run will read it
            predictor.check_dims(read_image(path).array, path)
        return [path]

    return each_image_input(files, predictor.spatial_dims, check)


def report_skipped(skipped: Sequence[Skipped], predicted: int) -> int:
    """One ``warning: skipped PATH: REASON`` line per skipped input and a count, on stderr (stdout
    keeps the predictions); returns the exit status (:data:`SKIPPED_EXIT`, or 0 when none)."""
    for item in skipped:
        streams.warning(item.line())
    if not skipped:
        return 0
    streams.note(f"{len(skipped)} input(s) skipped (--skip-bad), {predicted} prediction(s) made; exit status "
                 f"{SKIPPED_EXIT}")
    return SKIPPED_EXIT
