"""A note with no letter or digit ("...", "--- ///") is no document. Found by an audit: only empty or
blank notes were refused, so `meddx predict --text "..."` answered with a class and probabilities,
and such rows were trained and evaluated on. The word and WordPiece vocabularies encode them as
punctuation ids or [UNK], byte-level BPE as byte pieces: the network sees a row either way."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.synthetic_text import keyword_documents
from meddx.transforms.text import TextTokenizer

WORDLESS = ["...", "--- ///", "?!", " * * * ", "😀", "——"]
WORDY = ["seizure", "Ｃａｎｃｅｒ", "42", "ﬁbrosis", "bp 120/80", "癌"]


@pytest.mark.parametrize("kind", ["word", "wordpiece", "bpe"])
def test_every_tokenizer_encodes_a_punctuation_note_to_a_real_row(kind: str) -> None:
    """Why the tokenizer cannot be the judge: "..." is not empty to it."""
    tokenizer = TextTokenizer.fit(keyword_documents(60, seed=0)[0] + ["a ... b --- c"] * 2, kind=kind,
                                  vocab_size=300, max_length=32)
    ids, mask = tokenizer.encode_batch(["...", "--- ///"])
    assert mask.sum(axis=1).min() >= 3  # three or more tokens each, none of them a word


def test_has_words_needs_a_letter_or_digit() -> None:
    from meddx.transforms.text_checks import has_words, nothing_to

    assert not any(has_words(t) for t in WORDLESS)
    assert all(has_words(t) for t in WORDY)
    assert nothing_to("classify", "...") == ("document of only punctuation or symbols (no letter or digit); "
                                             "there is nothing to classify")
    assert nothing_to("classify", " ") == "empty document; there is nothing to classify"
    assert nothing_to("classify", "no seizure") is None


def _predictor():  # type: ignore[no-untyped-def]
    from tests.unit.bundle.test_text_predictor_inputs import _predictor as build

    return build()


@pytest.mark.parametrize("note", ["...", "--- ///"])
def test_predict_texts_refuses_a_punctuation_note_naming_it(note: str) -> None:
    with pytest.raises(DataError, match=r"^document 2 of 3 is only punctuation or symbols \(no letter or digit\) "
                                        r"\(1 such\); there is nothing to classify"):
        _predictor().predict_texts(["history of seizure", note, "carcinoma"])


def test_explain_refuses_a_punctuation_note() -> None:
    from meddx.explain.text import token_attributions

    with pytest.raises(DataError, match="only punctuation or symbols"):
        token_attributions(_predictor(), "--- ///", method="integrated-gradients")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["text", "label"], *rows])
    return path


def test_training_and_evaluation_data_refuse_punctuation_rows_naming_them(tmp_path: Path) -> None:
    from meddx.data.text import load_text_source

    docs, _ = keyword_documents(8, seed=1)
    rows = [[d, "ab"[i % 2]] for i, d in enumerate(docs)]
    rows[2][0], rows[5][0] = "...", "--- ///"
    with pytest.raises(DataError) as err:
        load_text_source(_write(tmp_path / "n.csv", rows))
    assert str(err.value).startswith(f"{tmp_path / 'n.csv'}: column 'text': 2 row(s) with only punctuation or "
                                     "symbols (no letter or digit) (rows 3, 6)")


def test_a_folder_refuses_a_punctuation_file(tmp_path: Path) -> None:
    from meddx.data.text import load_text_source

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            (tmp_path / cls / f"{i}.txt").write_text(f"note {i} of class {cls} seizure")
    (tmp_path / "b" / "9.txt").write_text("...\n")
    with pytest.raises(DataError, match=r"1 \.txt file\(s\) empty, whitespace-only or with only punctuation .*9\.txt"):
        load_text_source(tmp_path)


def test_predict_file_input_refuses_a_punctuation_row_naming_it(tmp_path: Path) -> None:
    from meddx.cli.predict_text import read_documents

    path = _write(tmp_path / "p.csv", [["history of seizure", "a"], ["...", "b"]])
    with pytest.raises(DataError, match=r"p\.csv: row 2, column 'text': only punctuation or symbols \(no letter "
                                        r"or digit\); there is nothing to classify"):
        read_documents([path], "text")
