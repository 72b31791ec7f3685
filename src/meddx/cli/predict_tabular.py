"""``meddx predict`` for a table bundle: one prediction per row of CSV/TSV files.

Rows are read with the training file's options (missing-value tokens, zeros as missing, column
names of a header-less file) and named ``FILE:ID`` (id column) or ``FILE:rowN``, ``FILE`` the file's
name, or the shortest path that tells it from another input of the same name (``a/rows.csv:row1``). With
``--explain DIR`` each row also gets its top contributing columns (integrated gradients for
logreg/mlp, feature ablation for gbm), printed and written to ``DIR/explanations.json``. A column
whose values lie far outside the training range (another unit, a missing-value code) gets a note on stderr,
and so do columns found by name only when case is ignored (``GLUCOSE`` for the model's ``Glucose``) and columns
missing in most rows (filled as training fills a missing cell).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from meddx.cli import streams


def predict_tabular(predictor: Any, files: list[Path], explain: Optional[Path], attribution: str,
                    as_json: bool, top: int = 5, overwrite: bool = False, skip_bad: bool = False) -> None:
    """Predict every row of ``files`` and print a table (or JSON lines); with ``explain``,
    ``explain/explanations.json``, never over an earlier run's unless ``overwrite``; with ``skip_bad``
    a file that cannot be read or predicted is named on stderr and left out (``cli.predict_skip``)."""
    import pandas as pd

    from meddx.core.errors import ConfigError, MeddxError
    from meddx.explain.outputs import SUMMARY, appeared, refuse_taken

    if not files:
        raise typer.BadParameter("give at least one CSV/TSV file of rows to predict", param_hint="FILES")
    if explain is None and overwrite:  # a flag that changed nothing would look like it had
        raise ConfigError("--overwrite: replaces explanations.json in --explain DIR; give --explain DIR, or leave "
                          "it out")
    if explain is not None:
        refuse_taken(explain, [explain / SUMMARY], "--explain", overwrite)  # before reading and predicting
    from meddx.bundle.tabular_predictor import file_names, row_labels
    from meddx.cli.predict_skip import each_input, report_skipped

    names, rows, tables, notes = [], [], [], []

    def read(path: Path, shown: str) -> list[Any]:
        """One file's rows; with ``skip_bad`` also predicted, so that a file whose values the bundle
        cannot use (text in a number column) is skipped alone. ``shown``: the path as given where two
        files share a name (FILE:rowN); errors name the file's row, never a user's id read as one."""
        said = len(notes)
        try:
            ids, table = predictor.read_rows(path, shown, notes)
            labels = row_labels(path, ids, shown)
            found = predictor.predict_table(table, ids, rows=labels) if skip_bad else []
        except MeddxError:
            del notes[said:]  # a skipped file's notes would name columns of rows nobody sees
            raise
        names.extend(ids)
        rows.extend(labels)
        tables.append(table)
        return found

    pairs = list(zip(files, file_names(files)))
    skipped: list[Any] = []
    if skip_bad:
        predictions, skipped = each_input(pairs, lambda pair: read(*pair), name=lambda pair: str(pair[0]))
    else:
        for pair in pairs:
            read(*pair)
    if not tables:  # every file skipped: nothing to print
        raise typer.Exit(report_skipped(skipped, 0))
    table = pd.concat(tables, ignore_index=True)
    if not skip_bad:  # every row in one pass
        predictions = predictor.predict_table(table, names, rows=rows)
    # far-out numbers, unseen categories: on stderr, so that stdout stays JSON lines with --json
    said = predictor.range_notes(table, names) + predictor.category_notes(table, names) + predictor.missing_notes(
        table, names)
    for note in [f"note: {n}" for n in notes] + said:  # notes: columns found only ignoring case (GLUCOSE for Glucose)
        streams.notice(note)
    extra: list[dict] | None = None
    if explain is not None:
        from meddx.core.files import to_json, write_text_atomic
        from meddx.explain.tabular import top_features

        found = top_features(predictor, table, method=attribution, top=top)
        extra = [{"explanation": e} for e in found]  # in order: a file given twice repeats its row names
        summary = to_json([{"source": p.source, **e} for p, e in zip(predictions, found)])
        try:
            write_text_atomic(explain / SUMMARY, summary, exclusive=not overwrite)
        except FileExistsError:
            raise appeared("--explain", explain / SUMMARY, 0) from None
    from meddx.cli.train import print_predictions

    print_predictions(predictions, predictor.label_names, as_json, "row", extra,
                      decision=predictor.config.get("decision"))
    if extra and not as_json:
        for p, item in zip(predictions, extra):
            source, e = p.source, item["explanation"]
            parts = ", ".join(f"{t['column']}={_show(t['value'])} ({t['attribution']:+.3f})" for t in e["top"])
            typer.echo(f"{source}: P({e['class']}) pushed by {parts}")
        typer.echo(f"explanations ({found[0]['method'] if found else attribution}): {explain / 'explanations.json'}")
    status = report_skipped(skipped, len(predictions))
    if status:
        raise typer.Exit(status)


def _show(value: Any) -> str:
    return "missing" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
