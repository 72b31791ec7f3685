"""``deid_path`` walked as a data manager (deidcli): what a failed run leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import MeddxError
from meddx.deid import deid_path


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_folder_failing_part_way_leaves_no_output_files(tmp_path: Path) -> None:
    """A folder whose third note is not UTF-8 wrote the first two notes into --out (and no report)
    before the error: a half-done output folder that looks like a finished run."""
    src = tmp_path / "notes"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("Pt Maria Gonzalez seen 03/14/2021.", encoding="utf-8")
    (src / "b.txt").write_text("Dr. John Smith called.", encoding="utf-8")
    (src / "sub" / "c.txt").write_bytes(b"Jos\xe9 Garc\xeda seen 3/2/2021")  # Latin-1, read as UTF-8: refused
    out = tmp_path / "out"
    with pytest.raises(MeddxError, match="not valid utf-8"):
        deid_path(src, out)
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()], _tree(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"], "no report, no staging folder left"


def test_folder_interrupted_keeps_earlier_outputs_and_adds_none(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C in the middle of a folder: what an earlier run wrote stays, nothing half-new is added."""
    import meddx.deid.replace as replace

    src = tmp_path / "notes"
    src.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (src / name).write_text("Pt Maria Gonzalez seen 03/14/2021.", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("earlier run", encoding="utf-8")
    real, calls = replace.deidentify, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(replace, "deidentify", interrupted)
    with pytest.raises(KeyboardInterrupt):
        deid_path(src, out)
    assert _tree(out) == ["a.txt"] and (out / "a.txt").read_text(encoding="utf-8") == "earlier run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "out"]


def test_folder_success_mirrors_tree_private(tmp_path: Path) -> None:
    src = tmp_path / "notes"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("Pt Maria Gonzalez seen 03/14/2021.", encoding="utf-8")
    (src / "sub" / "b.txt").write_text("Dr. John Smith called.", encoding="utf-8")
    out = tmp_path / "deep" / "out"
    summary = deid_path(src, out)
    assert summary.documents == 2 and _tree(out) == ["a.txt", "sub", "sub/b.txt"]
    assert "Gonzalez" not in (out / "a.txt").read_text(encoding="utf-8")
    assert (out / "sub" / "b.txt").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out", "out.spans.jsonl"]


@pytest.mark.parametrize("suffix, content", [
    (".csv", "Pt Maria Gonzalez seen 3/1/2021,p1\nPt John Smith called,p2\n"),
    (".jsonl", '{"Maria Gonzalez": "seen 3/1/2021 with daughter"}\n'),
])
def test_header_holding_an_identifier_is_refused(tmp_path: Path, suffix: str, content: str) -> None:
    """A CSV exported without a header row whose first note is short: it was read as the column names,
    echoed in a note and copied unscrubbed into the output's header, exit 0."""
    src = tmp_path / f"notes{suffix}"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    with pytest.raises(MeddxError, match=r"1 of the header holds what reads as an identifier \(.*NAME") as err:
        deid_path(src, out)
    assert "Gonzalez" not in str(err.value) and "Maria" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name], "nothing written"


def test_ordinary_headers_pass(tmp_path: Path) -> None:
    src = tmp_path / "notes.csv"
    src.write_text("ROW_ID,SUBJECT_ID,CHARTDATE,CATEGORY,DESCRIPTION,CGID,TEXT\n"
                   "1,10006,2164-10-23,Discharge summary,Report,,Pt Maria Gonzalez seen 3/1/2021\n", encoding="utf-8")
    summary = deid_path(src, tmp_path / "out.csv", patient_column="SUBJECT_ID", id_column="ROW_ID")
    assert summary.documents == 1 and summary.counts.get("NAME") == 1


@pytest.mark.parametrize("name", ["out.csv", "out.txt"])
def test_report_at_the_output_path_is_refused(tmp_path: Path, name: str) -> None:
    """``--report out.csv -o out.csv`` replaced the scrubbed table by the span report, exit 0."""
    src = tmp_path / ("notes.csv" if name.endswith(".csv") else "note.txt")
    src.write_text("id,text\n1,Pt Maria Gonzalez seen 3/1/2021\n" if name.endswith(".csv")
                   else "Pt Maria Gonzalez seen 3/1/2021", encoding="utf-8")
    out = tmp_path / name
    with pytest.raises(MeddxError, match="--report is the --out path"):
        deid_path(src, out, report=tmp_path / "." / name)
    assert not out.exists()


def test_padded_patient_id_is_the_same_patient(tmp_path: Path, monkeypatch) -> None:
    """" p1" (a space after the comma of an export) got another date offset than "p1": the patient's
    intervals across those rows were lost."""
    monkeypatch.setenv("MEDDX_DEID_KEY", "k1")
    src = tmp_path / "notes.csv"
    src.write_text("id,pid,text\n1,p1,seen 03/01/2021\n2, p1 ,seen 03/01/2021\n", encoding="utf-8")
    deid_path(src, tmp_path / "out.csv", patient_column="pid")
    rows = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].split(",")[2] == rows[2].split(",")[2] != "seen 03/01/2021", rows
    jsonl = tmp_path / "notes.jsonl"
    jsonl.write_text('{"pid": "p1", "text": "seen 03/01/2021"}\n{"pid": "p1 ", "text": "seen 03/01/2021"}\n',
                     encoding="utf-8")
    deid_path(jsonl, tmp_path / "out.jsonl", patient_column="pid")
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0].split('"text": ')[1] == lines[1].split('"text": ')[1], lines


def test_output_folder_dot_gets_a_visible_report_beside_it(tmp_path: Path, monkeypatch) -> None:
    """``-o .`` wrote the report as a hidden ``..spans.jsonl`` inside the output folder."""
    src = tmp_path / "notes"
    src.mkdir()
    (src / "a.txt").write_text("Pt Maria Gonzalez seen 03/14/2021.", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    summary = deid_path(src, Path("."))
    assert summary.report.resolve() == tmp_path / "out.spans.jsonl" and summary.report.is_file()
    assert _tree(out) == ["a.txt"]
