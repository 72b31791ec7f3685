"""``meddx predict TEXTBUNDLE ... --json`` on a class-weighted bundle carries its decision rule.

Found by the README walk: the table printed the "not the most probable class" note naming the class
weights, while ``--json`` rows held ``"threshold": null`` and nothing else. JSON rows carry the rule
(as they carry a binary bundle's ``threshold``; no note on stderr with ``--json``, as for images).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from meddx.bundle.predictor import Prediction
from meddx.cli.predict_text import predict_text

NAMES = ["cardiac", "neuro", "other"]


def _predictor(decision: dict[str, Any]) -> Any:
    tokenizer = SimpleNamespace(encode_rows=lambda docs, max_length: [
        SimpleNamespace(tokens=["chest"], special_tokens_mask=[0], overflowing=[]) for _ in docs])
    return SimpleNamespace(
        name="notes", label_names=NAMES, max_length=32, tokenizer=tokenizer, config={"decision": decision},
        predict_encodings=lambda encs, names: [
            Prediction(name, "neuro", {"cardiac": .5, "neuro": .124, "other": .376}) for name in names])


def test_json_rows_of_a_class_weighted_text_bundle_carry_its_weights(capsys: pytest.CaptureFixture[str]) -> None:
    predictor = _predictor({"rule": "argmax", "class_weights": [1.0, 4.5, 1.2]})
    predict_text(predictor, [], ["chest pain at rest"], None, "ig", None, as_json=True)
    out = capsys.readouterr()
    row = json.loads(out.out.strip())
    assert row["label"] == "neuro" and row["threshold"] is None
    assert row["class_weights"] == {"cardiac": 1.0, "neuro": 4.5, "other": 1.2}
    assert "most probable" not in out.err  # JSON lines: the rule is in the rows, as for image bundles
    predict_text(predictor, [], ["chest pain at rest"], None, "ig", None, as_json=False)
    table = capsys.readouterr()
    assert "class_weights" not in table.out and "P(k) x w_k (w: cardiac 1.00, neuro 4.50" in table.err


def test_decision_fields_only_for_a_class_weighted_bundle() -> None:
    from meddx.cli.predict_notes import decision_fields

    assert decision_fields({"rule": "youden", "threshold": .3}, ["neg", "pos"]) == {}
    assert decision_fields(None, NAMES) == {}
    assert decision_fields({"class_weights": [1, 2]}, NAMES) == {}  # not one weight per class: not shown


def test_json_rows_of_image_and_table_bundles_carry_the_weights_too(capsys: pytest.CaptureFixture[str]) -> None:
    """``print_predictions`` (image, table and text bundles) adds the rule to every JSON row, beside
    the caller's own fields, which win on a clash."""
    from meddx.cli.train import print_predictions

    preds = [Prediction(f"scan{i}.png", "neuro", {"cardiac": .5, "neuro": .124, "other": .376}) for i in range(2)]
    decision = {"rule": "argmax", "class_weights": [1.0, 4.5, 1.2]}
    print_predictions(preds, NAMES, True, "file", [{"explanation": "a"}, {"explanation": "b"}], decision=decision)
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["class_weights"] for r in rows] == [{"cardiac": 1.0, "neuro": 4.5, "other": 1.2}] * 2
    assert [r["explanation"] for r in rows] == ["a", "b"]
    print_predictions(preds, NAMES, True, "file", decision={"rule": "youden", "threshold": .4})
    assert all("class_weights" not in json.loads(line) for line in capsys.readouterr().out.splitlines())
