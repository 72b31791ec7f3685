"""``meddx predict`` on a table of documents finds its text column as training does (any case) and,
when it is missing, names the column that was meant; a document the vocabulary cannot read at all
is warned about. No message quotes a document."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.cli.predict_text import read_documents
from meddx.core.errors import DataError

CANARY = "CANARYPHI8841"


def _csv(path: Path, header: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *([f"{CANARY} chest pain, visit {i}", "a", f"n{i}"] for i in range(3))])
    return path


def test_a_text_column_in_another_case_is_read_as_training_reads_it(tmp_path: Path) -> None:
    # `meddx data info|train|evaluate` read a 'Text' header as the text column; predict refused the
    # same file with "no column 'text'"
    path = _csv(tmp_path / "export.csv", ["Text", "Label", "ID"])
    texts, names = read_documents([path], None, id_column="id")
    assert texts == [f"{CANARY} chest pain, visit {i}" for i in range(3)]
    assert names == [f"{path}:n{i}" for i in range(3)]
    assert read_documents([path], "TEXT")[0] == texts


def test_a_missing_text_column_names_the_close_one(tmp_path: Path) -> None:
    path = _csv(tmp_path / "export.csv", ["note_text", "label", "id"])
    with pytest.raises(DataError) as err:
        read_documents([path], "note")
    message = str(err.value)
    assert "no column 'note'" in message and "did you mean 'note_text'?" in message and "--text-column" in message
    assert "available columns: note_text, label, id" in message and CANARY not in message


def test_a_document_of_unknown_words_only_is_warned_about_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """Found by an audit: a note in another language, every word [UNK] in the word vocabulary, got a
    label and probabilities like any other, with nothing to say the model read none of it."""
    from meddx.cli.predict_text import predict_text
    from tests.unit.bundle.test_text_predictor_inputs import _predictor

    predictor = _predictor()
    unknown = f"{CANARY} xqzv wrrbl"  # no word of the vocabulary
    vocabulary = [w for w in predictor.tokenizer._tok.get_vocab() if w.isalpha() and len(w) > 3][:3]
    known = " ".join(vocabulary)
    predict_text(predictor, [], [known, unknown, unknown], None, "auto", None, as_json=True)
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3  # every document is still predicted, stdout JSON lines only
    warning = [line for line in captured.err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "2 document(s) (text2, text3)" in warning[0] and "[UNK]" in warning[0]
    assert CANARY not in captured.err
    predict_text(predictor, [], [known], None, "auto", None, as_json=True)
    assert "warning" not in capsys.readouterr().err
