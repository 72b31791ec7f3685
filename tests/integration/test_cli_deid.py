"""``meddx deid`` end to end on synthetic notes: a .txt file, a folder tree, a CSV with a
patient column, a JSONL file; the report's offsets match both texts and hold no text; the
input is left untouched."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from meddx.deid.report import FIELDS, read_report
from meddx.deid.spans import TAGS
from meddx.deid.synthetic import generate_notes


def _digest(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def _check_report(records: list[dict], originals: dict[str, str], outputs: dict[str, str], tag_mode: bool) -> None:
    assert records, "the report is empty"
    for r in records:
        assert tuple(r) == FIELDS, r
        assert all(isinstance(r[k], int) for k in FIELDS[2:])
        original, output = originals[r["doc"]], outputs[r["doc"]]
        assert r["length"] == r["end"] - r["start"] > 0
        replacement = output[r["out_start"]:r["out_end"]]
        if tag_mode:
            assert replacement in set(TAGS.values()) | {"[DATE>89]"}, replacement
        assert {k for k, v in r.items() if isinstance(v, str)} == {"doc", "type"}, "no text in the report"
        assert original[r["start"]:r["end"]] not in (r["doc"], r["type"])


@pytest.fixture()
def notes():
    return generate_notes(12, seed=21)


def test_txt_file(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "note.txt"
    src.write_text(notes[0].text, encoding="utf-8")
    before = _digest(src)
    result = run_cli(["deid", str(src), "--out", str(tmp_path / "clean.txt")], capsys)
    assert result.code == 0, result.err
    assert "NAME" in result.out and "report:" in result.out
    out_text = (tmp_path / "clean.txt").read_text(encoding="utf-8")
    records = read_report(tmp_path / "clean.txt.spans.jsonl")
    _check_report(records, {"note.txt": notes[0].text}, {"note.txt": out_text}, tag_mode=True)
    assert len(records) >= len(notes[0].spans) * 0.9
    assert _digest(src) == before
    for planted in notes[0].spans:
        value = notes[0].text[planted.start:planted.end]
        assert len(value) < 4 or value not in out_text, planted.type


def test_folder_tree_is_mirrored(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "in"
    for i, note in enumerate(notes[:6]):
        path = src / f"ward{i % 2}" / "day1" / f"n{i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note.text, encoding="utf-8")
    (src / "ignore.pdf").write_bytes(b"%PDF")
    before = _digest(src)
    result = run_cli(["deid", str(src), "-o", str(tmp_path / "out"), "--mode", "surrogate"], capsys)
    assert result.code == 0, result.err
    out_files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.txt"))
    assert out_files == sorted(p.relative_to(src).as_posix() for p in src.rglob("*.txt"))
    originals = {p.relative_to(src).as_posix(): p.read_text() for p in src.rglob("*.txt")}
    outputs = {k: (tmp_path / "out" / k).read_text() for k in originals}
    _check_report(read_report(tmp_path / "out.spans.jsonl"), originals, outputs, tag_mode=False)
    assert _digest(src) == before
    assert run_cli(["deid", str(src), "-o", str(src / "sub")], capsys).code == 2, "output inside the input folder"


def test_csv_with_patient_column_keeps_columns_and_shifts_dates(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "notes.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["note_id", "patient", "text", "ward"])
        for note in notes:
            writer.writerow([note.id, note.patient_id, note.text, "7B"])
    before = _digest(src)
    result = run_cli(["deid", str(src), "-o", str(tmp_path / "out.csv"), "--patient-column", "patient",
                      "--id-column", "note_id", "--key", "k1"], capsys)
    assert result.code == 0, result.err
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["note_id"] for r in rows] == [n.id for n in notes]
    assert all(r["ward"] == "7B" and r["patient"] == n.patient_id for r, n in zip(rows, notes))
    outputs = {r["note_id"]: r["text"] for r in rows}
    records = read_report(tmp_path / "out.csv.spans.jsonl")
    _check_report(records, {n.id: n.text for n in notes}, outputs, tag_mode=False)
    dates = [r for r in records if r["type"] == "DATE"]
    assert dates and all(outputs[r["doc"]][r["out_start"]:r["out_end"]] != "[DATE]" for r in dates), "dates shifted"
    assert _digest(src) == before


@pytest.mark.parametrize("terminator, quote_all", [("\r\n", True), ("\n", False)])
def test_csv_output_keeps_the_input_line_endings_and_quoting(tmp_path: Path, capsys, terminator: str,
                                                             quote_all: bool) -> None:
    """Found by an audit: CRLF came back as LF and an all-quoted file quoted only where needed."""
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as f:
        csv.writer(f, lineterminator=terminator, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(
            [["id", "text", "site"], ["1", "Dr. Quonset saw her on 03/14/2021.", "A"], ["2", "No identifiers.", "B"]])
    result = run_cli(["deid", str(src), "--out", str(tmp_path / "out.csv"), "--report", str(tmp_path / "r.json"),
                      "--key", "k" * 16], capsys)
    assert result.code == 0, result.err
    expected = src.read_bytes().replace(b"Dr. Quonset", b"Dr. [NAME]").replace(b"03/14/2021", b"[DATE]")
    assert (tmp_path / "out.csv").read_bytes() == expected


def test_jsonl_and_types_subset(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "notes.jsonl"
    src.write_text("".join(json.dumps({"id": n.id, "body": n.text, "n": i}) + "\n" for i, n in enumerate(notes)))
    result = run_cli(["deid", str(src), "-o", str(tmp_path / "o.jsonl"), "--text-column", "body", "--types", "PHONE,EMAIL",
                      "--report", str(tmp_path / "r.jsonl")], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert [r["n"] for r in rows] == list(range(len(notes)))
    assert {r["type"] for r in read_report(tmp_path / "r.jsonl")} <= {"PHONE", "EMAIL"}
    assert "[PHONE]" in "".join(r["body"] for r in rows)


def test_refuses_to_overwrite_the_input(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "note.txt"
    src.write_text(notes[1].text, encoding="utf-8")
    before = _digest(src)
    assert run_cli(["deid", str(src), "-o", str(src)], capsys).code == 2
    assert run_cli(["deid", str(src), "-o", str(tmp_path / "x.txt"), "--report", str(src)], capsys).code == 2
    assert _digest(src) == before


def test_bad_options_fail_with_one_line(tmp_path: Path, notes, capsys) -> None:
    src = tmp_path / "note.txt"
    src.write_text(notes[2].text, encoding="utf-8")
    for extra in (["--mode", "fake"], ["--dates", "later"], ["--types", "NAMES"], ["--encoding", "klingon"]):
        result = run_cli(["deid", str(src), "-o", str(tmp_path / "y.txt"), *extra], capsys)
        assert result.code == 2 and result.err.count("\n") == 1 and result.err.startswith("meddx: error:"), result.err


def test_table_output_paths_that_would_write_the_wrong_thing_are_refused_before_anything_is_written(
        tmp_path: Path, capsys) -> None:
    """Found by an outside-in audit: a row with an extra field shifted every column (the note went
    out unscrubbed in the id column, exit 0); a folder as --report crashed after the output was
    written; --id-column naming the text column put whole notes into the span report."""
    note = "Dr. Zebulon Quixley, SSN 123-45-6789"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(f'id,text\n1,"{note}",extra\n2,"{note}"\n', encoding="utf-8")
    good = tmp_path / "notes.csv"
    good.write_text(f'id,text\n1,"{note}"\n2,"fine"\n', encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    refused = [
        (["deid", str(ragged), "-o", str(tmp_path / "r.csv"), "--id-column", "id"], "line 2 has 3 field(s)"),
        (["deid", str(good), "-o", str(tmp_path / "o.csv"), "--report", str(folder)], "--report is a folder"),
        (["deid", str(good), "-o", str(tmp_path / "o.csv"), "--id-column", "text"], "is the text column"),
        (["deid", str(good), "-o", str(tmp_path / "o.parquet")], "in the input's format (csv)"),
    ]
    for args, message in refused:
        result = run_cli(args, capsys)
        assert result.code == 2 and message in result.err and result.err.count("\n") == 1, (args, result.err)
        assert "Quixley" not in result.err + result.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "notes.csv", "ragged.csv"]
    assert not list(folder.iterdir()), "nothing written"

    inside = run_cli(["deid", str(good), "-o", str(folder)], capsys)  # a folder as --out: the file goes inside
    assert inside.code == 0 and "Quixley" not in (folder / "notes.csv").read_text(encoding="utf-8")
    assert (folder / "notes.csv.spans.jsonl").is_file()


def test_a_headerless_csv_or_a_jsonl_with_line_separators(tmp_path: Path, capsys) -> None:
    """Found by an audit: a CSV without a header row had its first note read as a column name and
    quoted in the error (or written out unscrubbed as the header); a JSONL note holding U+2028 was
    split into two invalid lines."""
    note = "Zebulon Quixley seen by Dr. Quonset on 03/14/2021 for pneumonia follow up"
    headerless = tmp_path / "headerless.csv"
    headerless.write_text(f"{note}\nsecond note without identifiers here\n", encoding="utf-8")
    result = run_cli(["deid", str(headerless), "-o", str(tmp_path / "h.csv")], capsys)
    assert result.code == 2 and "does not look like a header row" in result.err and "Quixley" not in result.err
    assert not (tmp_path / "h.csv").exists()
    src = tmp_path / "notes.jsonl"
    src.write_text(json.dumps({"id": "1", "text": "Seen by Dr. Quonset\u2028on 03/14/2021."}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    result = run_cli(["deid", str(src), "-o", str(tmp_path / "o.jsonl"), "--report", str(tmp_path / "r.jsonl")], capsys)
    assert result.code == 0, result.err
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))["text"] == "Seen by Dr. [NAME]\u2028on [DATE]."


def test_a_utf8_file_read_with_latin1_is_noted_once_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The note that a file was read as UTF-8 despite --encoding latin-1 is printed by the command,
    once, on stderr (it reached the terminal only through logging's last-resort handler), without text."""
    note = tmp_path / "n.txt"
    note.write_text("Patient José García was seen in clinic today.\n", encoding="utf-8")
    result = run_cli(["deid", str(note), "--out", str(tmp_path / "o.txt"), "--encoding", "latin-1"], capsys)
    assert result.code == 0, result.err
    assert result.err.count(f"note: 1 file(s) ({note}) read as UTF-8, not latin-1") == 1, result.err
    assert "José" not in result.err + result.out and "García" not in result.err + result.out
    assert (tmp_path / "o.txt").read_text(encoding="utf-8") == "Patient [NAME] was seen in clinic today.\n"
