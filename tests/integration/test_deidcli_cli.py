"""``meddx deid`` walked as a data manager (deidcli): dates tagged for want of a patient id are said."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run_cli


def test_tagged_dates_without_patient_are_said(tmp_path: Path, capsys, monkeypatch) -> None:
    """Without --patient-column (or with an empty patient cell) dates silently became [DATE]; a
    data manager expecting shifted dates learnt it only by reading the output."""
    monkeypatch.setenv("MEDDX_DEID_KEY", "k1")
    src = tmp_path / "notes.csv"
    src.write_text("id,pid,text\n1,p1,Pt Maria Gonzalez seen 03/01/2021\n2,,seen 03/02/2021\n3,,no dates here\n",
                   encoding="utf-8")
    plain = run_cli(["deid", str(src), "-o", str(tmp_path / "a.csv")], capsys)
    assert plain.code == 0
    assert "dates written as [DATE] in 2 document(s) without a patient id (no --patient-column)" in plain.err
    assert "--patient-column to shift" in plain.err and "Gonzalez" not in plain.err + plain.out

    scoped = run_cli(["deid", str(src), "-o", str(tmp_path / "b.csv"), "--patient-column", "pid"], capsys)
    assert scoped.code == 0 and "in 1 document(s) without a patient id (an empty 'pid' cell)" in scoped.err
    rows = (tmp_path / "b.csv").read_text(encoding="utf-8").splitlines()
    assert rows[2] == "2,,seen [DATE]" and "03/01/2021" not in rows[1] and "[DATE]" not in rows[1]

    shifted = run_cli(["deid", str(src), "-o", str(tmp_path / "c.csv"), "--dates", "shift"], capsys)
    assert shifted.code == 0 and "dates written as [DATE]" not in shifted.err
