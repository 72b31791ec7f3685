"""``meddx predict`` says why a label is not the most probable class.

Found by a docs walk: a class-weighted multi-class text bundle printed ``label 2`` beside P(2) = .124,
the lowest of its five probabilities (the decision is argmax p_k·w_k, documented, but the table shows
the probabilities alone), and a binary bundle's label follows its validation threshold, not P = .5.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meddx.cli.predict_notes import decision_note
from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


def _p(label: object, **probs: float) -> SimpleNamespace:
    return SimpleNamespace(label=label, probabilities=probs)


def test_a_class_weighted_label_that_is_not_the_largest_probability_names_the_weights() -> None:
    preds = [_p("b", a=.5, b=.124, c=.376), _p("a", a=.6, b=.2, c=.2)]
    note = decision_note(preds, {"rule": "argmax", "class_weights": [1.0, 4.5, 1.2]}, ["a", "b", "c"])
    assert note is not None and note.startswith("note: 1 of 2 labels is not the most probable class")
    assert "P(k) x w_k" in note and "b 4.50" in note


def test_a_binary_label_at_the_threshold_names_it_and_agreeing_labels_give_no_note() -> None:
    decision = {"rule": "youden", "threshold": 0.227, "chosen_on": "val"}
    note = decision_note([_p("pos", neg=.7, pos=.3), _p("pos", neg=.6, pos=.4)], decision, ["neg", "pos"])
    assert note is not None and "2 of 2 labels are not" in note and "P(pos) >= 0.227" in note and "youden" in note
    assert decision_note([_p("neg", neg=.9, pos=.1), _p("pos", neg=.2, pos=.8)], decision, ["neg", "pos"]) is None
    assert decision_note([_p(["x", "y"], x=.2, y=.3)], {"threshold": .1}, ["x", "y"]) is None  # multi-label


def _bundle(path: Path, threshold: float) -> Path:
    return tiny_image_bundle(path, label_names=["neg", "pos"],
                             decision={"rule": f"fixed:{threshold}", "threshold": threshold},
                             training={"data": "x.npz", "seed": 0, "val_fraction": 0.1})


def test_predict_prints_the_note_under_its_table_exactly_when_a_label_is_not_the_argmax(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    rng = np.random.default_rng(3)
    files = []
    for i in range(6):
        files.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(files[-1])
    seen = 0
    for threshold in (0.001, 0.999):  # every P(pos) < .5 is 'pos' at .001; every P(pos) >= .5 is 'neg' at .999
        bundle = _bundle(tmp_path / f"b{threshold}", threshold)
        rows = [json.loads(line) for line in run_cli(["predict", str(bundle), *files, "--json"], capsys).out.splitlines()]
        off = sum(r["label"] != max(r["probabilities"], key=r["probabilities"].get) for r in rows)
        table = run_cli(["predict", str(bundle), *files], capsys)
        assert table.code == 0, table.err
        assert not any(line.startswith("note: ") for line in table.out.splitlines())  # stdout: the table only
        # stderr also holds the bundle's "no typicality record" note
        notes = [line for line in table.err.splitlines() if line.startswith("note: ") and "most probable" in line]
        assert notes == ([f"note: {off} of 6 labels {'is' if off == 1 else 'are'} not the most probable class: "
                          f"labels are decided at the operating point chosen on val (fixed:{threshold}: pos when "
                          f"P(pos) >= {threshold:.3f}), not at P = .5 (docs/evaluation.md, What is chosen where)"]
                         if off else [])
        assert not any("most probable" in line for line in run_cli(["predict", str(bundle), *files, "--json"],
                                                                    capsys).err.splitlines())
        seen += off
    assert seen == 6  # each image is off the argmax at one of the two thresholds
