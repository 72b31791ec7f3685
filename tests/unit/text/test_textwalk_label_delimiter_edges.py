"""A multi-label export read without ``--label-delimiter`` whose cells end with the delimiter
(``cardio|``, ``cardio | general|``): no class is the bare name, so the note naming the flag was
never given and 10 classes were trained on silently."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.data.text import load_text_source


def _write(path: Path, labels: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "labels"])
        writer.writerows([f"Note {i} about finding {i} seen in clinic today.", labels[i % len(labels)]]
                         for i in range(24))
    return path


@pytest.mark.parametrize("sep", ["|", ";"])
def test_labels_ending_with_the_delimiter_get_the_note_naming_the_flag(tmp_path: Path, sep: str) -> None:
    labels = [f"cardio{sep}", f"cardio {sep} general{sep}", f"general{sep}", f"neuro{sep}"]
    path = _write(tmp_path / "notes.csv", labels)
    source = load_text_source(path)
    assert source.task == "multiclass"
    hint = [n for n in source.notes if "--label-delimiter" in n]
    assert len(hint) == 1 and "4 of the 4 classes in column 'labels'" in hint[0]
    assert f"--label-delimiter {sep!r}" in hint[0] and "begin or end with it" in hint[0]
    fixed = load_text_source(path, label_delimiter=sep)
    assert fixed.task == "multilabel" and fixed.label_names == ["cardio", "general", "neuro"]
    assert not any("--label-delimiter" in n for n in fixed.notes)


def test_plain_labels_and_a_comma_at_the_end_get_no_note(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", ["cardio", "general", "Diabetes, type 2", "Asthma,"])
    assert not any("--label-delimiter" in n for n in load_text_source(path).notes)
