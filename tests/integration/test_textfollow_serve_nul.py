"""A note sent to the server with NUL characters (U+0000) is scored as the note without them, as
``meddx predict`` scores it, and the answer's ``notes`` counts them; its explanation's spans index
the note as sent. Was: the words holding a NUL read as ``[UNK]``, other probabilities, nothing said.
Reuses the session's trained text run (``text_run``), registered in a home of its own."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.integration.serve_helpers import auth, data_root, test_settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, text_run: dict) -> Any:
    from fastapi.testclient import TestClient

    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key

    home = tmp_path_factory.mktemp("serve_nul")
    with data_root(home):
        register_bundle(text_run["bundle"])
        viewer, _ = create_key("viewer", "clinic")
        admin, _ = create_key("admin", "ops")
        with TestClient(create_app(test_settings())) as client:
            yield {"client": client, "viewer": viewer, "admin": admin}


def test_a_note_with_nul_characters_is_scored_as_without_them(served: dict, notes_csv: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    rows = list(csv.DictReader(notes_csv.open()))
    note = next(r["note"] for r in rows if r["diagnosis"] == "cardiology")
    words = note.split(" ")
    held = " ".join(w[:2] + "\0" + w[2:] if len(w) > 5 else w for w in words)  # a NUL in each long word
    count = held.count("\0")
    assert count >= 3

    def predict(text: str) -> dict:
        r = served["client"].post("/v1/models/notes/predict?explain=auto", json={"text": text},
                                  headers=auth(served["viewer"]))
        assert r.status_code == 200, r.text
        return r.json()

    with caplog.at_level(logging.DEBUG):
        got, clean = predict(held), predict(note)
    assert got["probabilities"] == clean["probabilities"] and got["label"] == clean["label"]
    assert got["notes"] == [f'removed {count} NUL character(s) (U+0000) from 1 document(s) ("text"): bytes of a '
                            "binary export, which the tokenizers would have read as unknown words"]
    assert "notes" not in clean
    spans, clean_spans = got["explanation"]["tokens"], clean["explanation"]["tokens"]
    assert len(spans) == len(clean_spans) > 0
    for span, ref in zip(spans, clean_spans):  # the same tokens, at their places in the note as sent
        assert held[span["start"]:span["end"]].replace("\0", "") == note[ref["start"]:ref["end"]]
        assert span["score"] == ref["score"]
    assert got["input"]["bytes"] == len(held.encode())  # the audit's size and hash: the note as sent
    assert words[0] not in caplog.text
