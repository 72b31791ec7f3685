"""``meddx predict`` for time-series bundles: risk per stay, with the variables and hours behind it.

Input: PhysioNet 2012 patient files (``Time,Parameter,Value``) or a long CSV
(``patient_id,time,variable,value``; several patients per file). Each stay gets its label at the
bundle's operating point, its calibrated probabilities, and its top contributing (variable, hour)
cells (contributions to the probability of the outcome class, the last label, e.g. ``died``):
integrated gradients for sequence models, occlusion for models on aggregates. With
``--explain DIR`` a variable x hour heatmap PNG per stay is written there too. A stay without any
observation in the bundle's window is named in a note on stderr (its JSON ``observations`` is 0), and so
is a file with observations left out (outside the window or a PhysioNet valid range) or with two
different values of one variable at one time, and observations of variables no training stay had.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from meddx.cli import streams


def predict_series(predictor: Any, files: list[Path], explain_dir: Optional[Path], method: str, as_json: bool,
                   top: int = 5, overwrite: bool = False) -> None:
    """Score the stays in ``files`` and print one line (or JSON object) per stay; with ``explain_dir``
    a heatmap per stay, never over a file of an earlier run unless ``overwrite``."""
    from meddx.explain.api import explain, write_explanations
    from meddx.explain.series import top_contributors

    if not files:
        raise typer.BadParameter("give at least one patient file (PhysioNet .txt or a long CSV)", param_hint="FILES")
    from meddx.data.series_files import read_patient_files

    notes: list[str] = []
    records = read_patient_files(files, predictor.config, notes)
    stale = _refuse_taken(predictor, records, explain_dir, method, overwrite)  # before any work
    predictions = predictor.predict_stays(records)
    positive = predictor.label_names[-1]  # contributions to the risk of the outcome, whatever the decision
    explanations = explain(predictor, records, method, target=positive)
    # one method: one explanation per stay, in order; never looked up by stay id, which two files may
    # share (two sites numbering their patients from 1), giving the second stay the first one's reasons
    from meddx.explain.api import per_input

    own = [group[0] for group in per_input(explanations)]
    if explain_dir is not None:
        write_explanations(predictor, explanations, records, explain_dir, overwrite=overwrite, flag="--explain")
    for i, (p, record) in enumerate(zip(predictions, records)):
        e = own[i] if i < len(own) else None
        contributors = top_contributors(e.attribution, predictor.variables, record, k=top) if e else []
        row = {**p.to_dict(), "risk": p.probabilities[positive], "observations": len(record),
               "method": e.method if e else None, "top_contributors": contributors}
        if as_json:
            typer.echo(json.dumps(row))
            continue
        typer.echo(f"{p.source}: {p.label}  risk of {positive} {row['risk']:.3f} (threshold {_f(p.threshold)})")
        for c in contributors:
            values = ", ".join(f"{v:g}" for v in c.get("values", []))
            typer.echo(f"    {c['variable']:>12} h{c['hours'][0]:02d}-{c['hours'][1]:02d}  {c['contribution']:+.4f}"
                       + (f"  (observed {values})" if values else ""))
    if explain_dir is not None and not as_json:
        typer.echo(f"heatmaps: {explain_dir}")
    said = [predictor.unused_note(records), predictor.far_values_note(records)]
    for note in notes + [n for n in said if n]:  # left out, clashing, unused, far-out: stderr, as the empty-stay note
        streams.note(note)
    empty = empty_stays(predictor, records)
    if empty:  # on stderr, so that stdout stays JSON lines
        streams.notice(empty)
    if stale:  # write_explanations removed them, after the new files: a deletion is never silent
        from meddx.explain.outputs import removed_line

        typer.echo(removed_line(stale, explain_dir), err=as_json)  # type: ignore[arg-type]


def empty_stays(predictor: Any, records: list) -> str | None:
    """The predictor's note naming the stays with no observation in the bundle's window
    (``SeriesPredictor.empty_stays_note``, which the Python API gives too), as a ``note:`` line."""
    note = predictor.empty_stays_note(records)
    return f"note: {note}" if note else None


def _refuse_taken(predictor: Any, records: list, folder: Optional[Path], method: str, overwrite: bool) -> list[Path]:
    """``--explain DIR`` writes ``0001-<stay>-<method>.png``... and ``explanations.json``: one of them
    already there (an earlier run's) is refused now, in one line, unless ``overwrite``; ``--overwrite``
    without ``--explain`` is refused rather than ignored. Returns the earlier run's files this run
    leaves behind (with ``overwrite``), which ``write_explanations`` removes."""
    from meddx.core.errors import ConfigError

    if folder is None:
        if overwrite:
            raise ConfigError("--overwrite: replaces the heatmaps of --explain DIR; give --explain DIR, or leave "
                              "it out")
        return []
    from meddx.explain.api import resolve_methods
    from meddx.explain.outputs import plan_run, planned_files

    methods = resolve_methods(predictor, [method])
    return plan_run(folder, planned_files(predictor, [(r.id, methods) for r in records], folder), "--explain",
                    overwrite)


def _f(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"
