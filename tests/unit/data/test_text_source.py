"""Text sources: every format, column detection, multi-label, splits, and errors that never quote a document."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.base import is_text_source
from meddx.data.sources import load_source
from meddx.data.splits import carve_validation
from meddx.data.text import is_text_spec, load_text_source, normalize_text, text_digest

CANARY = "CANARYPHI7731"  # planted in documents: must never appear in an error message


def doc(i: int) -> str:
    return f"Patient {i} presented with symptoms {CANARY} and finding number {i}, followed up."


def write_csv(path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as err:
        load_text_source(path, **kwargs)  # type: ignore[arg-type]
    message = str(err.value)
    assert CANARY not in message and str(path) in message
    return message


def test_normalize_and_digest() -> None:
    assert normalize_text("  Ｆever\n\tAND  cough ") == "fever and cough"  # NFKC full-width F, case, whitespace
    assert text_digest("Fever and\ncough") == text_digest("fever  AND cough ")
    assert text_digest("fever and cough") != text_digest("fever and cold")


def test_csv_with_all_columns(tmp_path: Path) -> None:
    rows = [[f"n{i}", doc(i), ["2", "10"][i % 2], f"p{i // 2}", ["Train", "", "validation", "val", "TEST", "test"][i]]
            for i in range(6)]
    path = write_csv(tmp_path / "notes.csv", ["id", "text", "label", "patient_id", "split"], rows)
    assert is_text_spec(path)
    src = load_text_source(path)
    assert src.name == "notes" and src.spatial_dims == 0 and is_text_source(src)
    assert src.task == "binary" and src.label_names == ["2", "10"]  # numeric order
    assert list(src.splits) == ["train", "val", "test"]
    train = src.split("train")
    assert train.ids == ["n0", "n1"] and train.patient_ids == ["p0", "p0"] and train.labels.tolist() == [0, 1]
    assert train.images is None and train.paths is None and src.get_text("test", 1) == doc(5)
    assert src.columns == {"text": "text", "label": "label", "id": "id", "patient": "patient_id", "split": "split",
                           "label_delimiter": None}


def test_tsv_auto_detected_columns(tmp_path: Path) -> None:
    rows = [[f"MRN{i:04d}", ["flu", "covid", "cold"][i % 3], doc(i) * 2] for i in range(9)]
    path = write_csv(tmp_path / "n.tsv", ["mrn", "dx", "note_body"], rows, delimiter="\t")
    src = load_text_source(path)
    assert src.columns["text"] == "note_body" and src.columns["label"] == "dx"
    assert src.task == "multiclass" and src.label_names == ["cold", "covid", "flu"]
    assert src.split("train").ids[:2] == ["row1", "row2"]
    notes = " ".join(src.notes)
    assert "'note_body'" in notes and "'dx'" in notes and "ignored column(s) mrn" in notes
    assert CANARY not in notes


def test_condition_label_style_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "abs.csv", ["condition_label", "medical_abstract"],
                     [[str(i % 5 + 1), doc(i)] for i in range(10)])
    src = load_source(path, carve_val=False)
    assert is_text_source(src) and src.label_names == ["1", "2", "3", "4", "5"]
    assert src.columns["label"] == "condition_label" and src.columns["text"] == "medical_abstract"


def test_jsonl_multilabel_lists_and_blank_lines(tmp_path: Path) -> None:
    records = [{"text": doc(0), "labels": ["fever", "cough"]}, {"text": doc(1), "labels": []},
               {"text": doc(2), "labels": ["cough"], "split": "test"}]
    path = tmp_path / "n.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records[:2]) + "\n\n" + json.dumps(records[2]) + "\n")
    src = load_text_source(path)
    assert src.task == "multilabel" and src.label_names == ["cough", "fever"]
    assert src.split("train").labels.tolist() == [[1, 1], [0, 0]] and src.split("test").labels.tolist() == [[1, 0]]
    assert src.split("train").labels.dtype == np.int64


def test_delimiter_and_json_list_cells_in_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["text", "label"], [[doc(0), "a|b"], [doc(1), "b"], [doc(2), "c | a"]])
    src = load_text_source(path, label_delimiter="|")
    assert src.task == "multilabel" and src.split("train").labels.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert src.columns["label_delimiter"] == "|"
    path = write_csv(tmp_path / "j.csv", ["text", "label"], [[doc(0), '["a", "b"]'], [doc(1), '["b"]']])
    assert load_text_source(path).split("train").labels.tolist() == [[1, 1], [0, 1]]


def test_parquet_single_and_multilabel(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "n.parquet"
    pd.DataFrame({"text": [doc(i) for i in range(4)], "label": [0, 1, 1, 0], "split": ["train"] * 3 + ["test"]}
                 ).to_parquet(path)
    assert is_text_spec(path)
    src = load_source(path, carve_val=False)
    assert src.task == "binary" and src.label_names == ["0", "1"] and len(src.split("test")) == 1
    pd.DataFrame({"text": [doc(0), doc(1)], "label": [["x", "y"], ["y"]]}).to_parquet(path)
    assert load_text_source(path).split("train").labels.tolist() == [[1, 1], [0, 1]]


def test_txt_folders_with_and_without_splits(tmp_path: Path) -> None:
    for split in ("Training", "Testing"):
        for cls in ("normal", "pneumonia"):
            (tmp_path / "ds" / split / cls).mkdir(parents=True)
            for i in range(2):
                (tmp_path / "ds" / split / cls / f"d{i}.txt").write_text(doc(i) + cls + split)
    assert is_text_spec(tmp_path / "ds")
    src = load_source(tmp_path / "ds", carve_val=False)
    assert is_text_source(src) and list(src.splits) == ["train", "test"] and src.label_names == ["normal", "pneumonia"]
    assert src.split("train").ids == ["Training/normal/d0", "Training/normal/d1", "Training/pneumonia/d0",
                                      "Training/pneumonia/d1"]
    flat = tmp_path / "ds" / "Training"
    src = load_text_source(flat)
    assert src.name == "Training" and src.split("train").ids[0] == "normal/d0" and src.task == "binary"


def test_is_text_spec_leaves_image_sources_alone(tmp_path: Path) -> None:
    write_csv(tmp_path / "m.csv", ["path", "label"], [["a.png", "x"]])
    write_csv(tmp_path / "s.csv", ["image", "mask"], [["a.png", "a_mask.png"]])
    (tmp_path / "imgs" / "cls").mkdir(parents=True)
    from PIL import Image

    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "imgs" / "cls" / "a.png")
    (tmp_path / "imgs" / "cls" / "readme.txt").write_text("notes")
    assert not any(is_text_spec(tmp_path / n) for n in ("m.csv", "s.csv", "imgs", "missing.csv"))
    assert not is_text_spec("medmnist:pathmnist")


def test_load_source_forwards_text_options(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", ["body", "y", "who"], [[doc(i), "ab"[i % 2], f"p{i}"] for i in range(4)])
    src = load_source(path, carve_val=False, text_options={"text_column": "body", "label_column": "y",
                                                           "patient_column": "who"})
    assert src.columns["text"] == "body" and src.split("train").patient_ids == ["p0", "p1", "p2", "p3"]


def test_carved_validation_keeps_copies_of_a_document_together(tmp_path: Path) -> None:
    rows = [[doc(i), "ab"[i % 2]] for i in range(40)]
    rows += [[doc(3).upper(), "b"], ["  " + doc(3).replace(" ", "\n"), "b"]]  # copies differing in case/whitespace
    src = carve_validation(load_text_source(write_csv(tmp_path / "n.csv", ["text", "label"], rows)), 0.25, seed=1)
    sides = {s: {normalize_text(t) for t in src.split(s).texts} for s in ("train", "val")}
    assert not sides["train"] & sides["val"] and "identical content" in src.notes[-1]


# ------------------------------------------------------------------------------ errors
def test_missing_column_lists_columns_and_flag(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", ["text", "label"], [[doc(0), "a"], [doc(1), "b"]])
    message = error_of(path, text_column="note")
    assert "no column 'note'" in message and "available columns: text, label" in message and "--text-column" in message
    message = error_of(path, patient_column="mrn")
    assert "--patient-column" in message


def test_empty_text_rows_are_refused_with_row_numbers(tmp_path: Path) -> None:
    rows = [[doc(0), "a"], ["   ", "b"], [doc(2), "a"], ["", "b"]]
    message = error_of(write_csv(tmp_path / "n.csv", ["text", "label"], rows))
    assert "column 'text': 2 row(s) with empty or whitespace-only text (rows 2, 4)" in message
    assert "drop those rows" in message


def test_missing_label(tmp_path: Path) -> None:
    rows = [[doc(0), "a"], [doc(1), ""], [doc(2), "b"]]
    message = error_of(write_csv(tmp_path / "n.csv", ["text", "label"], rows))
    assert "column 'label': 1 row(s) without a label (rows 2)" in message


def test_non_utf8_bytes_give_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    # quoted: the documents hold commas (unquoted, pandas had shifted the columns, now refused)
    body = f'text,label\n"{doc(0)}",a\n"{doc(1)} caf'.encode() + b"\xe9" + f' {CANARY}",b\n'.encode()
    path.write_bytes(body)
    message = error_of(path)
    offset = body.index(b"\xe9")
    assert f"byte offset {offset} (line 3)" in message and "--encoding latin-1" in message
    assert load_text_source(path, encoding="latin-1").get_text("train", 1).endswith(f"café {CANARY}")


def test_bad_jsonl_line_and_bad_parquet(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"text": doc(0), "label": "a"}) + "\n" + '{"text": "' + CANARY + '", label: b}\n')
    message = error_of(path)
    assert "line 2: not valid JSON" in message
    path.write_text(json.dumps({"text": doc(0), "label": "a"}) + "\n" + json.dumps([CANARY, "b"]) + "\n")
    assert "line 2: a JSON list" in error_of(path)
    bad = tmp_path / "n.parquet"
    bad.write_bytes(b"PAR1 not really " + CANARY.encode())
    assert "cannot read as Parquet" in error_of(bad)


def test_unknown_split_duplicate_id_and_ambiguous_label(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["text", "label", "split"], [[doc(0), "a", "train"], [doc(1), "b", "holdout"]])
    assert "rows 2; row 2 holds 'holdout'" in error_of(path)
    # a mistyped split column holding documents: the value is not quoted
    message = error_of(write_csv(tmp_path / "t.csv", ["text", "label"], [[doc(0), "a"], [doc(1), "b"]]),
                       split_column="text")
    assert "unknown split" in message and "character value" in message
    path = write_csv(tmp_path / "i.csv", ["id", "text", "label"], [["x", doc(0), "a"], ["x", doc(1), "b"]])
    assert "row 2: column 'id' holds the same id as row 1" in error_of(path, id_column="id")
    src = load_text_source(path)  # a found (not named) 'id' column that is no unique id: rows are numbered
    assert src.split("train").ids == ["row1", "row2"] and "rows are numbered instead" in " ".join(src.notes)
    rows = [[doc(i), "ab"[i % 2], "xyz"[i % 3]] for i in range(12)]
    message = error_of(write_csv(tmp_path / "a.csv", ["note", "site", "ward"], rows))
    assert "2 columns (site, ward)" in message and "--label-column" in message


def test_file_name_column_is_not_taken_for_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ["file", "label"], [["img/0.png", "a"], ["img/1.png", "b"]])
    with pytest.raises(DataError, match="holds file names, not documents; an image manifest needs a 'path'"):
        load_source(path)


def test_a_csv_without_a_header_row_is_refused_without_quoting_the_note(tmp_path: Path) -> None:
    """Found by an audit: the first note became a column name, was quoted in messages and written
    into the bundle's config and model card, and that document was dropped from training."""
    path = tmp_path / "headerless.csv"
    path.write_text("".join(f"{doc(i)},{'ab'[i % 2]}\n" for i in range(12)))
    assert "does not look like a header row" in error_of(path)
    assert "does not look like a header row" in error_of(path, text_column="text")


def test_jsonl_notes_may_hold_line_separators(tmp_path: Path) -> None:
    """Found by an audit: valid JSONL whose note held U+2028 or U+0085 was refused as invalid JSON."""
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"text": f"note {i}\u2028second\x85line", "label": "ab"[i % 2]},
                                       ensure_ascii=False) + "\n" for i in range(6)), encoding="utf-8")
    source = load_text_source(path)
    assert source.split("train").texts[0] == "note 0\u2028second\x85line"


def test_a_jsonl_escape_of_a_lone_surrogate_is_refused_with_its_row(tmp_path: Path) -> None:
    """``"\\udcff"`` in a JSON string is valid JSON but no text: refused at load with the row, not a
    traceback from hashing or tokenising it later, and the note is not quoted."""
    lines = [json.dumps({"text": f"Zebediah note {i} about seizure", "label": "ab"[i % 2]}) for i in range(6)]
    lines[3] = lines[3].replace("note 3", "note \\udcff 3")
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"1 row\(s\) with text that is not valid Unicode \(rows 4;") as err:
        load_text_source(tmp_path / "bad.jsonl")
    assert "Zebediah" not in str(err.value) and "seizure" not in str(err.value)


def test_a_missing_test_split_says_a_held_out_file_without_one_is_read_as_train(tmp_path: Path) -> None:
    """Found by the docs audit: the hint offered "a separate test file", which without a split
    column loads as split 'train' only, so --split test failed on it too."""
    path = write_csv(tmp_path / "held_out.csv", ["text", "label"],
                     [[doc(i), "a" if i % 2 else "b"] for i in range(12)])
    source = load_source(str(path), carve_val=False)
    assert list(source.splits) == ["train"]
    with pytest.raises(DataError, match="no split 'test'.*--split train"):
        source.split("test")
