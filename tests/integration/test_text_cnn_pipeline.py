"""``textcnn`` end to end through the real CLI: trained from PPMI-SVD starting vectors, saved as a
bundle, loaded back with the same predictions, and explained by integrated gradients that point at
the keyword that decides the class (synthetic keyword notes: the answer is known)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def test_textcnn_trains_round_trips_as_a_bundle_and_explains(notes_csv: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("captum")
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    # The keyword notes have 61 word types: a 32-wide table is narrower, so it starts from PPMI vectors.
    config = tmp_path / "cnn.yaml"
    config.write_text("model: textcnn\nmodel_args:\n  embedding_dim: 32\n")
    result = run_cli(["train", str(config), "--data", str(notes_csv), "--epochs", "8", "--no-progress",
                      "--name", "cnn", "--seed", "0"], capsys)
    assert result.code == 0, result.err
    bundle = tmp_path / "home" / "bundles" / "cnn" / "v1"
    plan = json.loads((next((tmp_path / "home" / "runs").iterdir()) / "plan.json").read_text())
    assert plan["model"] == "textcnn" and plan["embedding_init"] == "ppmi"
    assert json.loads((bundle / "metrics.json").read_text())["test"]["accuracy"] >= 0.95
    assert json.loads((bundle / "config.json").read_text())["model"]["name"] == "textcnn"

    from meddx.bundle import load_bundle
    from meddx.explain.text import token_attributions

    docs = ["Patient presented with seizure noted on exam and fatigue",
            "Review labs normal carcinoma treatment continued"]
    first, second = load_bundle(bundle), load_bundle(bundle)
    probs = first.predict_texts(docs)
    np.testing.assert_array_equal(probs, second.predict_texts(docs))  # weights and tokenizer rebuilt exactly
    assert [first.label_names[i] for i in probs.argmax(axis=1)] == ["neurology", "oncology"]
    attribution = token_attributions(first, docs[0])
    assert attribution.method == "integrated-gradients" and attribution.top(1)[0]["token"] == "seizure"

    result = run_cli(["predict", str(bundle), "--text", docs[1], "--json", "--explain", str(tmp_path / "expl")], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out)
    assert row["label"] == "oncology" and "<mark" in Path(row["explanation"]).read_text()
