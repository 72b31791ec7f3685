"""``meddx deid``: remove the HIPAA Safe Harbor identifiers from clinical notes.

Prints counts per type and the output/report paths, never note text. The detector and pandas
are imported inside the command so ``meddx --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def deid(
    input: Path = typer.Argument(..., help="A .txt note, a folder of .txt notes (recursive), or a .csv/.jsonl/.parquet table."),
    out: Path = typer.Option(..., "--out", "--output", "-o", help="Output file or folder (mirrors the input kind; never the input)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Span report, JSON Lines, offsets only (default: OUT.spans.jsonl)."),
    mode: str = typer.Option("tag", "--mode", help="tag: [NAME], [DATE]...; surrogate: consistent fake values."),
    dates: Optional[str] = typer.Option(None, "--dates", help="shift (per-patient offset, intervals kept) or tag "
                                        "(default: shift with --patient-column, else tag)."),
    key: Optional[str] = typer.Option(None, "--key", help="Secret for surrogates and date offsets (prefer the env var "
                                      "MEDDX_DEID_KEY; default: a key file created under the meddx data root)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Column (CSV/Parquet) or key (JSONL) holding "
                                              "the note (default: 'text', else the longest string column, as train)."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Column used as document id in the report (default row-N)."),
    patient_column: Optional[str] = typer.Option(None, "--patient-column",
                                                 help="Column holding the patient id (scopes surrogates and date shifts)."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Input text encoding (outputs are UTF-8)."),
    types: Optional[str] = typer.Option(None, "--types", help="Comma-separated subset to scrub, e.g. NAME,DATE (default: all)."),
) -> None:
    """De-identify clinical notes (HIPAA Safe Harbor): names, places, dates, ages > 89, phone/fax,
    e-mail, SSN, MRN, plan/account/licence numbers, vehicle and device ids, URLs, IPs, biometric
    and photo references, other identifying codes."""
    from meddx.deid.io import deid_path
    from meddx.deid.spans import DeidSettings

    subset = None
    if types:
        subset = frozenset(t.strip().upper() for t in types.split(",") if t.strip())
    settings = DeidSettings(mode=mode, dates=dates, key=key, types=subset)  # type: ignore[arg-type]
    summary = deid_path(input, out, report=report, settings=settings, text_column=text_column, id_column=id_column,
                        patient_column=patient_column, encoding=encoding)
    typer.echo(f"de-identified {summary.documents} document(s), {summary.spans} span(s) replaced")
    for kind, count in summary.counts.items():
        typer.echo(f"  {kind:<12} {count}")
    if summary.empty:
        typer.echo(f"  ({summary.empty} document(s) with empty text)")
    if summary.unscoped and dates is None:  # dates tagged for want of a patient: say so, and how to shift them
        fix = (f"fill in their {patient_column!r} cells" if patient_column else
               "pass --patient-column to shift each patient's dates by one secret offset, keeping intervals")
        summary.notes.append(f"dates written as [DATE] in {summary.unscoped} document(s) without a patient id "
                             f"({'an empty ' + repr(patient_column) + ' cell' if patient_column else 'no --patient-column'}); "
                             f"{fix}, or pass --dates shift to shift each such document by its own offset")
    for note in summary.notes:  # file names and counts, never text; on stderr, as predict's notes
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"output: {summary.output}")
    typer.echo(f"report: {summary.report}")
