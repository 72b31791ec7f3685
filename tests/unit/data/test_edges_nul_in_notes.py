"""NUL characters (U+0000) inside a note (text copied out of a binary export) were kept: the word
and WordPiece tokenizers read the word holding one as [UNK], byte-level BPE as a byte piece, a
copy holding one was no duplicate of the note without it (so a copy across splits went unseen),
and a CSV written from it carried the NUL on. They are removed with a note counting them and
naming the file and row (never the text); a note that is a quarter NUL or more is UTF-16 read
as a single-byte encoding, refused naming the file and row."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source, text_digest

CANARY = "CANARYPHI7730"
NOTES = [(f"{CANARY} chest pain radiating to the left arm {i}", "cardio" if i % 2 else "neuro") for i in range(6)]


def test_nul_characters_in_a_csv_note_are_removed_with_a_note(tmp_path: Path) -> None:
    rows = list(NOTES)
    rows[1] = (rows[1][0].replace("chest pain", "chest\x00 pa\x00in"), rows[1][1])
    path = tmp_path / "notes.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    assert b"\x00" in path.read_bytes()
    source = load_text_source(path)
    assert source.splits["train"].texts == [t for t, _ in NOTES]
    note = [n for n in source.notes if "NUL" in n]
    assert len(note) == 1 and note[0].startswith("notes.csv: removed 2 NUL character(s) (U+0000) from 1 document(s) "
                                                 f"({path}: row 2, column 'text')")
    assert CANARY not in " ".join(source.notes)


def test_a_copy_differing_only_by_a_nul_is_the_same_document(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    rows = [NOTES[0], (NOTES[0][0].replace(" ", "\x00 ", 1), NOTES[0][1]), *NOTES[1:]]
    path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows), encoding="utf-8")
    texts = load_text_source(path).splits["train"].texts
    assert text_digest(texts[0]) == text_digest(texts[1])  # a copy again: verify and the carve see it


def test_the_tokenizer_reads_the_word_the_nul_was_in(tmp_path: Path) -> None:
    from meddx.transforms.text import TextTokenizer

    path = tmp_path / "notes"
    for i, (text, label) in enumerate(NOTES):
        (path / label).mkdir(parents=True, exist_ok=True)
        (path / label / f"n{i}.txt").write_text(text.replace("radiating", "radi\x00ating") if i == 2 else text)
    source = load_text_source(path)
    tok = TextTokenizer.fit([t for t, _ in NOTES], kind="word", vocab_size=100, max_length=32, min_frequency=1)
    read = dict(zip(source.splits["train"].ids, source.splits["train"].texts))["neuro/n2"]
    assert "[UNK]" not in [t for t, _, _ in tok.tokens(read)]
    assert [n for n in source.notes if "NUL" in n] == [f"notes: removed 1 NUL character(s) (U+0000) from 1 document(s) "
                                                        f"({path / 'neuro' / 'n2.txt'}): bytes of a binary export, "
                                                        "which the tokenizers would have read as unknown words"]


def test_utf16_text_in_a_cell_is_refused_naming_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    rows = list(NOTES)
    rows[3] = ("".join(c + "\x00" for c in rows[3][0]), rows[3][1])  # UTF-16-LE read one byte a character
    path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in rows), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_text_source(path)
    message = str(err.value)
    assert message.startswith(f"{path}: row 4, column 'text': {len(rows[3][0]) // 2} of its {len(rows[3][0])} "
                              "characters are NUL (U+0000): UTF-16 text read as utf-8?")
    assert CANARY not in message and "\n" not in message


def test_predict_removes_nul_with_a_note_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_text import read_documents

    txt = tmp_path / "a.txt"
    txt.write_bytes(NOTES[0][0].replace("pain", "pa\x00in").encode())
    table = tmp_path / "b.csv"
    pd.DataFrame([(NOTES[1][0] + "\x00", "x")], columns=["text", "label"]).to_csv(table, index=False)
    texts, names = read_documents([txt, table], None)
    assert texts == [NOTES[0][0], NOTES[1][0]] and names == [str(txt), f"{table}:row1"]
    err = capsys.readouterr().err
    assert f"note: removed 2 NUL character(s) (U+0000) from 2 document(s) ({txt}, {table}:row1)" in err
    assert CANARY not in err
