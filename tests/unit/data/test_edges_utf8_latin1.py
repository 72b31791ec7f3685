"""A UTF-8 file read with ``--encoding latin-1`` (a folder of mostly Latin-1 exports with one UTF-8
file among them) decoded without error into mojibake (``é`` as ``Ã©``) and was trained on, unsaid.
Bytes that are valid UTF-8 and hold a multi-byte character are now read as UTF-8, with a note
naming the files and how many (never their text), in every reader that takes ``--encoding``:
CSV/TSV, JSONL, folders of ``.txt`` and ``meddx predict``'s files. (Parquet strings are UTF-8 by
the format; ``--encoding`` does not apply to them.)"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from meddx.data.text import load_text_source

CANARY = "CANARYPHI5521"
# Real Latin-1 / Windows-1252 clinical text: French, German, Spanish, Portuguese, Nordic, eponyms
REAL = [
    "Patiente de 67 ans, syndrome de Ménière, vertiges rotatoires et acouphènes; céphalées à répétition.",
    "Hôpital Saint-Éloi: fièvre à 39,5 °C, CRP élevée, traitement par amoxicilline 1 g ×3/j.",
    "Patient mit Morbus Sjögren, Mundtrockenheit; Überweisung zur Schirmer-Probe, Dosis 5 µg.",
    "Paciente con cefalea, náuseas y fotofobia; se descartó hemorragia subaracnoidea. Año 2019.",
    "Paciente do sexo masculino, São Paulo, com insuficiência cardíaca congestiva e dispnéia.",
    "Pasienten, født i Tromsø, har ødem i begge ankler; Ångström-måling ikke utført.",
    "ÉTAT GÉNÉRAL CONSERVÉ. TA 130/80 mmHg, SpO₂ non mesurée".replace("₂", "2"),
    "Café-au-lait spots, naïve T cells ± 12%, Guillain–Barré “suspected” — follow-up in 3 weeks…",
]


def _abstracts(shared_data: Path) -> list[str]:
    """The shared medical abstracts (ASCII), with accented eponyms written into them."""
    frame = pd.read_csv(shared_data / "medical-abstracts-tc" / "medical_tc_test.csv", nrows=300)
    swaps = {"disease": "maladie de Ménière", "patients": "Patienten (Sjögren)", "with": "avec naïve",
             "the": "the café-au-lait"}
    out = []
    for text in frame["medical_abstract"]:
        for old, new in swaps.items():
            text = text.replace(f" {old} ", f" {new} ", 1)
        out.append(text)
    return out


@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_real_single_byte_text_is_never_taken_for_utf8(codec: str) -> None:
    from meddx.data.text_exports import utf8_despite

    for text in REAL:
        if codec == "latin-1" and not all(ord(c) < 256 for c in text):
            continue  # cp1252's curly quotes and dashes are not Latin-1
        data = text.encode(codec)
        assert not utf8_despite(data, codec), text
        assert utf8_despite(text.encode("utf-8"), codec)
    assert not utf8_despite(b"plain ASCII note", codec)  # the same in both: nothing to say
    assert not utf8_despite("Ménière".encode("utf-16"), "utf-16")  # an explicit UTF-16 is never second-guessed


@pytest.mark.realdata
@pytest.mark.parametrize("codec", ["latin-1", "cp1252"])
def test_the_medical_abstracts_re_encoded_are_read_as_given(shared_data: Path, codec: str) -> None:
    from meddx.data.text_exports import utf8_despite

    docs = _abstracts(shared_data)
    assert sum("é" in d or "ö" in d or "ï" in d for d in docs) > 250
    for doc in docs:  # each abstract a file of its own: the test a folder of .txt files makes
        assert not utf8_despite(doc.encode(codec), codec)
        assert utf8_despite(doc.encode("utf-8"), codec) == (not doc.isascii())
    assert not utf8_despite("\n".join(docs).encode(codec), codec)


def _rows() -> list[tuple[str, str]]:
    return [(f"{CANARY} syndrome de Ménière, vertiges {i}", "orl" if i % 2 else "neuro") for i in range(6)]


def merged_rewrite(tmp_path: Path, encoding: str, texts: list[tuple[str, str]]) -> Path:
    """``data verify --fix merge`` of a CSV of ``texts`` (text, label) written in ``encoding`` (UTF-8, with or
    without its mark) and read with ``--encoding latin-1``, whose first row is repeated with another accented
    label: the file it writes."""
    from meddx.data.text_rows import write_kept_rows
    from meddx.data.text_verify import clean_text_source, verify_text_source

    path = tmp_path / "notes.csv"
    rows = [(t, json.dumps([lab + "_é"], ensure_ascii=False)) for t, lab in texts]
    rows.append((texts[0][0], json.dumps(["méningite"], ensure_ascii=False)))  # a copy of row 1, another label
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False, encoding=encoding)
    source = load_text_source(path, encoding="latin-1", check_swapped=False)
    cleaned, _ = clean_text_source(source, verify_text_source(source, near_duplicates=False), "merge")
    out = write_kept_rows(source, cleaned, tmp_path / "clean.csv")
    assert out is not None
    return out


def test_a_utf8_csv_read_as_latin1_keeps_its_accents_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "notes_utf8.csv"
    pd.DataFrame(_rows(), columns=["text", "label"]).to_csv(path, index=False, encoding="utf-8")
    source = load_text_source(path, encoding="latin-1")
    assert source.splits["train"].texts == [t for t, _ in _rows()]  # was "Ã©" in every one
    note = [n for n in source.notes if "read as UTF-8" in n]
    assert len(note) == 1 and f"1 file(s) ({path})" in note[0] and "not latin-1" in note[0]
    assert CANARY not in " ".join(source.notes) and "Ménière" not in " ".join(source.notes)
    assert source.columns["encoding"] == "latin-1"  # recorded as given: predict reads the same way


def test_a_latin1_csv_read_as_latin1_is_unchanged_and_unnoted(tmp_path: Path) -> None:
    path = tmp_path / "notes_latin1.csv"
    pd.DataFrame(_rows(), columns=["text", "label"]).to_csv(path, index=False, encoding="latin-1")
    source = load_text_source(path, encoding="latin-1")
    assert source.splits["train"].texts == [t for t, _ in _rows()]
    assert not [n for n in source.notes if "UTF-8" in n]


def test_a_utf8_jsonl_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in _rows()),
                    encoding="utf-8")
    source = load_text_source(path, encoding="cp1252")
    assert source.splits["train"].texts == [t for t, _ in _rows()]
    assert any("read as UTF-8, not cp1252" in n for n in source.notes)


def test_a_folder_of_latin1_files_with_one_utf8_file(tmp_path: Path) -> None:
    for i, (text, label) in enumerate(_rows()):
        folder = tmp_path / "notes" / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"n{i}.txt").write_bytes(text.encode("utf-8" if i == 3 else "latin-1"))
    source = load_text_source(tmp_path / "notes", encoding="latin-1")
    by_id = dict(zip(source.splits["train"].ids, source.splits["train"].texts))
    assert by_id == {f"{label}/n{i}": text for i, (text, label) in enumerate(_rows())}
    note = [n for n in source.notes if "read as UTF-8" in n]
    assert len(note) == 1 and note[0].startswith(f"notes: 1 file(s) ({tmp_path / 'notes' / 'orl' / 'n3.txt'})")
    assert CANARY not in note[0]


def test_predict_reads_a_utf8_file_given_latin1_as_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_text import read_documents

    utf8, latin1 = tmp_path / "a.txt", tmp_path / "b.txt"
    utf8.write_bytes(_rows()[0][0].encode("utf-8"))
    latin1.write_bytes(_rows()[1][0].encode("latin-1"))
    table = tmp_path / "c.csv"
    pd.DataFrame(_rows(), columns=["text", "label"]).to_csv(table, index=False, encoding="utf-8")
    texts, _ = read_documents([utf8, latin1, table], None, encoding="latin-1")
    assert texts == [_rows()[0][0], _rows()[1][0], *(t for t, _ in _rows())]
    err = capsys.readouterr().err
    assert f"note: 2 file(s) ({utf8}, {table}) read as UTF-8, not latin-1" in err and CANARY not in err


def test_verify_fix_merge_writes_a_label_into_a_utf8_file_as_utf8(tmp_path: Path) -> None:
    """``data verify --fix merge`` rewrites a kept row's labels (the union of its copies'): in the
    encoding the file was read in, else an accented label written as Latin-1 breaks the UTF-8 file."""
    out = merged_rewrite(tmp_path, "utf-8", _rows())
    kept = pd.read_csv(out, encoding="utf-8")  # was: not valid UTF-8 (a Latin-1 é in the merged cell)
    assert kept["text"].tolist() == [t for t, _ in _rows()]
    assert sorted(json.loads(kept["label"][0])) == ["méningite", "neuro_é"]
