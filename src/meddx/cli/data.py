"""``meddx data``: look at a source (``info``) and check it for leakage (``verify``).

Both commands read the source as it is on disk (no validation split is carved), so what they
show is the data's own split. Segmentation sources (image + mask pairs, recognised by
``meddx.data.segmentation.is_segmentation_source``) get their own summary and checks; so do text
sources (documents: document lengths, normalised and MinHash near-duplicate checks, ``--fix``). Heavy
imports (numpy, PIL, pandas, rich tables) happen inside the commands so ``import
meddx.cli.data`` stays fast.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from meddx.cli import streams
from meddx.cli.data_print import (
    _per_split, _print_info, _print_seg_info, _print_seg_verify, _print_text_conflicts, _print_text_info, _print_verify,
)

app = typer.Typer(
    help="Inspect a data source (info) and check it for duplicates and leakage (verify).",
    no_args_is_help=True,
)

SOURCE_HELP = ("Folder of class sub-folders, CSV manifest, MedMNIST .npz or medmnist:NAME; a segmentation "
               "source (images/ + labels/ folders, image,mask CSV, HC18 folder); or a text source (CSV/TSV, JSONL "
               "or Parquet with one document per row, or class folders of .txt files).")
TEXT_COLUMN = typer.Option(None, "--text-column", help="Text sources: the document column (default 'text', else "
                           "the longest string column).")
LABEL_COLUMN = typer.Option(None, "--label-column", help="Text sources: the label column (default 'label'/'labels').")
ID_COLUMN = typer.Option(None, "--id-column", help="Text sources: the id column (default 'id', else row numbers).")
PATIENT_COLUMN = typer.Option(None, "--patient-column", help="Text sources: the patient column (default 'patient_id').")
ENCODING = typer.Option(None, "--encoding", help="Text sources: encoding of the files, e.g. latin-1 (default utf-8).")
LABEL_DELIMITER = typer.Option(None, "--label-delimiter",
                               help="Text sources: split label cells on this (e.g. '|') for multi-label.")
COLUMNS = typer.Option(None, "--columns", help="Tables: comma-separated column names of a file without a header row.")
CATEGORICAL = typer.Option(None, "--categorical", help="Tables: comma-separated columns to one-hot encode.")
MISSING_VALUES = typer.Option(None, "--missing-values", help="Tables: comma-separated cell values meaning missing.")
ZERO_AS_MISSING = typer.Option(None, "--zero-as-missing", help="Tables: comma-separated columns where 0 means missing.")
POSITIVE_LABELS = typer.Option(None, "--positive-labels", help="Tables: comma-separated label values of the positive class.")
LABELS_FILE = typer.Option(None, "--labels-file", help="Series: outcomes/labels file (default: found beside the data).")
SEG_LABELS = typer.Option(None, "--labels", help="Segmentation: names of the mask values, comma-separated, "
                          "background first, as `meddx train --labels` takes them; masks are checked against this "
                          "label set instead of the one inferred from the values seen.")
WINDOW_HOURS = typer.Option(None, "--window-hours", help="Series: hours from admission used (default: 48 for PhysioNet and MIMIC-III; a long CSV's last observation, rounded up to an hour).")


class FixPolicy(str, Enum):
    """What ``--fix`` does with duplicate groups of a text source."""

    drop_conflicting = "drop-conflicting"
    drop_duplicates = "drop-duplicates"
    merge = "merge"


def _text_options(text: Optional[str], label: Optional[str], ident: Optional[str], patient: Optional[str],
                  delimiter: Optional[str]) -> dict[str, Any]:
    """Column options a text source shares with series and tables (``--encoding`` is added for text only)."""
    options = {"text_column": text, "label_column": label, "id_column": ident, "patient_column": patient,
               "label_delimiter": delimiter}
    return {k: v for k, v in options.items() if v is not None}


def _with_encoding(options: dict[str, Any], encoding: Optional[str]) -> dict[str, Any]:
    """Text reader options with the file encoding (series and table readers take no encoding)."""
    return {**options, "encoding": encoding} if encoding else options


def _table_options(*values: Optional[str]) -> dict[str, list[str]]:
    keys = ("columns", "categorical_columns", "missing_values", "zero_as_missing", "positive_labels")
    return {k: [x.strip() for x in v.split(",") if x.strip()] for k, v in zip(keys, values) if v is not None}


@app.command()
def info(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    max_decode: int = typer.Option(200, "--max-decode", min=1, help="Files decoded per split for shapes/intensities."),
    text_column: Optional[str] = TEXT_COLUMN,
    label_column: Optional[str] = LABEL_COLUMN,
    id_column: Optional[str] = ID_COLUMN,
    patient_column: Optional[str] = PATIENT_COLUMN,
    label_delimiter: Optional[str] = LABEL_DELIMITER,
    encoding: Optional[str] = ENCODING,
    columns: Optional[str] = COLUMNS, categorical: Optional[str] = CATEGORICAL,
    missing_values: Optional[str] = MISSING_VALUES, zero_as_missing: Optional[str] = ZERO_AS_MISSING,
    positive_labels: Optional[str] = POSITIVE_LABELS,
    labels_file: Optional[str] = LABELS_FILE, window_hours: Optional[float] = WINDOW_HOURS,
    labels: Optional[str] = SEG_LABELS,
) -> None:
    """Counts per split and class; image shapes, channels and intensity range, or document lengths."""
    from meddx.data.info import source_info
    from meddx.data.segmentation import is_segmentation_source

    segmentation = is_segmentation_source(source)
    names = _seg_label_names(labels, segmentation)
    if segmentation:
        from meddx.data.segmentation import load_seg_source, seg_source_info

        seg = seg_source_info(_as_stored(load_seg_source(source, val_fraction=0.0, test_fraction=0.0,
                                                         label_names=names)), max_decode=max_decode)
        if as_json:
            typer.echo(json.dumps(seg, indent=2))
        else:
            _print_seg_info(seg)
        return
    from meddx.data.base import is_text_source
    from meddx.data.sources import load_source

    options = _text_options(text_column, label_column, id_column, patient_column, label_delimiter)
    tables = _table_options(columns, categorical, missing_values, zero_as_missing, positive_labels)
    src = load_source(source, carve_val=False, text_options=_with_encoding(options, encoding),
                      options={**options, **tables,
                      "labels_file": labels_file, "window_hours": window_hours})
    if getattr(src, "modality", None) == "series":  # ICU stays: observations, variables, cleaning
        from meddx.data.series_info import print_series_info, series_source_info

        summary = series_source_info(src)  # type: ignore[arg-type]
        typer.echo(json.dumps(summary, indent=2)) if as_json else print_series_info(summary)
        return
    if getattr(src, "modality", None) == "tabular":
        from meddx.data.tabular_info import print_table_info, table_source_info

        table = table_source_info(src)  # type: ignore[arg-type]
        typer.echo(json.dumps(table, indent=2)) if as_json else print_table_info(table)
        return
    if is_text_source(src):
        from meddx.data.text_info import text_source_info

        text = text_source_info(src)  # type: ignore[arg-type]
        typer.echo(json.dumps(text, indent=2)) if as_json else _print_text_info(text)
        return
    result = source_info(src, max_decode=max_decode)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_info(result)


@app.command()
def verify(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    report: Optional[Path] = typer.Option(
        None, "--report", help="Where to write the JSON report (default ./verify-report.json, which is never replaced "
        "without --overwrite; an existing PATH is replaced only when it is an earlier verify report)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing report, --fixed-output or "
                                   "--clean-manifest file, whatever it holds."),
    near: bool = typer.Option(True, "--near/--no-near", help="Search near duplicates (perceptual hash)."),
    max_distance: Optional[int] = typer.Option(
        None, "--max-distance", min=0, help="Hash bits that may differ for a near duplicate (default 2 per 64)."
    ),
    clean_manifest: Optional[Path] = typer.Option(
        None, "--clean-manifest", help="Also write a CSV manifest without val/test samples that leak from train."
    ),
    near_threshold: float = typer.Option(0.8, "--near-threshold", min=0.01, max=1.0,
                                         help="Text sources: Jaccard similarity of word 5-grams for a near duplicate."),
    fix: Optional[FixPolicy] = typer.Option(None, "--fix", help="Text sources: drop-conflicting (every row of a "
                                            "group with different labels), drop-duplicates (also keep one row of "
                                            "other groups) or merge (one row per group, majority/union label)."),
    fixed_output: Optional[Path] = typer.Option(None, "--fixed-output",
                                                help="Where --fix writes the cleaned text source: in the input's own format (.csv, .tsv, .jsonl, .parquet) when the suffix matches it, else in meddx's layout (.csv or .jsonl)."),
    text_column: Optional[str] = TEXT_COLUMN,
    label_column: Optional[str] = LABEL_COLUMN,
    id_column: Optional[str] = ID_COLUMN,
    patient_column: Optional[str] = PATIENT_COLUMN,
    label_delimiter: Optional[str] = LABEL_DELIMITER,
    encoding: Optional[str] = ENCODING,
    columns: Optional[str] = COLUMNS, categorical: Optional[str] = CATEGORICAL,
    missing_values: Optional[str] = MISSING_VALUES, zero_as_missing: Optional[str] = ZERO_AS_MISSING,
    positive_labels: Optional[str] = POSITIVE_LABELS,
    labels_file: Optional[str] = LABELS_FILE, window_hours: Optional[float] = WINDOW_HOURS,
    labels: Optional[str] = SEG_LABELS,
) -> None:
    """Undecodable files, exact and near duplicates, label conflicts, patient overlap.

    Exits with code 1 when content or a patient is shared between splits (leakage) or a class has
    no training sample (``meddx train`` would refuse the source); for a segmentation source also when an image or mask is undecodable, a pair's shape or affine
    differs, or a mask holds values outside the label set (``--labels``, as ``meddx train`` takes it; else
    the names file or the values seen). A text source is checked for copies
    after normalisation and MinHash near copies; ``--fix`` writes it without the groups found.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from meddx.cli.data_report import DEFAULT_REPORT, report_destination, write_report
    from meddx.data.segmentation import is_segmentation_source
    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    if (fix is None) != (fixed_output is None):
        raise typer.BadParameter("--fix and --fixed-output go together", param_hint="--fix")
    if near_threshold != near_threshold:  # NaN passes click's range check (every comparison is false)
        raise typer.BadParameter("nan is not a similarity; expected a number in [0.01, 1]", param_hint="--near-threshold")
    _check_outputs([source, labels_file], {"--report": report or Path(DEFAULT_REPORT), "--fixed-output": fixed_output,
                                           "--clean-manifest": clean_manifest})
    _refuse_taken({"--fixed-output": fixed_output, "--clean-manifest": clean_manifest}, overwrite)
    report, replace = report_destination(report, overwrite, source)
    segmentation = is_segmentation_source(source)
    names = _seg_label_names(labels, segmentation)
    if segmentation:
        from meddx.data.segmentation import load_seg_source
        from meddx.data.seg_verify import verify_seg_source

        src = _as_stored(load_seg_source(source, val_fraction=0.0, test_fraction=0.0, lenient_labels=True,  # report
                                         label_names=names))
        check = verify_seg_source
        if clean_manifest is not None:
            raise typer.BadParameter("--clean-manifest is for classification sources only",
                                     param_hint="--clean-manifest")
    else:
        from meddx.data.base import is_text_source

        options = _text_options(text_column, label_column, id_column, patient_column, label_delimiter)
        tables = _table_options(columns, categorical, missing_values, zero_as_missing, positive_labels)
        # verify reads a text file whose columns look swapped: the same shape as conflicting duplicates, listed here
        src = load_source(source, carve_val=False,
                          text_options={**_with_encoding(options, encoding), "check_swapped": False},
                          options={**options, **tables,
                          "labels_file": labels_file, "window_hours": window_hours})
        check = verify_source
        if getattr(src, "modality", None) == "series":  # duplicate ids, identical stays, shared patients
            from meddx.data.series_info import verify_series_source as check  # type: ignore[assignment]

            if clean_manifest is not None:
                raise typer.BadParameter("--clean-manifest lists image files", param_hint="--clean-manifest")
    text = not segmentation and is_text_source(src)  # type: ignore[arg-type]
    if fix is not None and not text:
        raise typer.BadParameter("--fix is for text sources (use --clean-manifest for images)", param_hint="--fix")
    if text:
        import functools

        from meddx.data.text_verify import verify_text_source

        check = functools.partial(verify_text_source, threshold=near_threshold)
        if clean_manifest is not None:
            raise typer.BadParameter("--clean-manifest lists image files; for a text source use --fix and "
                                     "--fixed-output", param_hint="--clean-manifest")
    _note_ignored(text, max_distance, near_threshold)
    with Progress("verifying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=streams.stderr_console(), transient=True) as bar:  # never in stdout
        task = bar.add_task("verify", total=sum(len(d) for d in src.splits.values()))
        result = check(src, near_duplicates=near, max_distance=max_distance,  # type: ignore[arg-type]
                       progress=lambda done, total: bar.update(task, completed=done))
    fixed = _text_fix(src, result.to_dict(), fix.value) if fix is not None else None  # refused before writing
    _note_other_settings(report, result.to_dict())
    write_report(report, result.to_dict(), replace)
    if segmentation:
        _print_seg_verify(result.to_dict(), report)
        if result.has_leakage or result.has_errors:  # type: ignore[union-attr]
            raise typer.Exit(1)
        return
    _print_verify(result.to_dict(), report, None if fix or clean_manifest else _remedy(src, result.summary, report))
    streams.warnings(getattr(src, "warnings", None))  # a table's zeros that look like a missing-value code
    if getattr(src, "modality", None) == "series":
        from meddx.data.series_info import print_series_verify

        print_series_verify(result.to_dict())
    if text:
        _print_text_conflicts(result.to_dict())
    if fix is not None and fixed is not None:
        from meddx.data.text_rows import write_kept_rows
        from meddx.data.text_verify import write_text_source

        cleaned, done = fixed
        # the input file minus rows (same format); a folder or another format: meddx's own layout
        out = write_kept_rows(src, cleaned, fixed_output) or write_text_source(cleaned, fixed_output)  # type: ignore[arg-type]
        removed = ", ".join(f"{len(v)} from {k}" for k, v in done["removed"].items()) or "nothing"
        extra = (f"; {done['dropped_without_majority']} group(s) without a strict majority label dropped"
                 if done.get("dropped_without_majority") else "")
        if done.get("patients_separated"):
            extra += f"; {done['patients_separated']} patient(s) on two splits kept in their earliest split only"
        typer.echo(f"fixed source ({fix.value}): {out} (removed {removed}{extra}; kept {_per_split(done['kept'])})")
        if done.get("left_on_two_splits"):
            streams.warning(done["left_on_two_splits"])
    if clean_manifest is not None:
        from meddx.data.dedupe import write_clean_manifest

        cleaned = write_clean_manifest(src, result.to_dict(), clean_manifest)
        removed = ", ".join(f"{len(v)} from {k}" for k, v in cleaned.removed.items()) or "nothing"
        typer.echo(f"clean manifest: {cleaned.manifest} (removed {removed}; kept {_per_split(cleaned.kept)})")
    if result.has_leakage or result.summary.get("classes_without_training_samples"):
        raise typer.Exit(1)


def _remedy(src: Any, summary: dict, report: Path) -> str:
    """What removes shared samples from a source of this kind (``--clean-manifest`` for image files,
    ``--fix`` for documents...), worded as the leakage warning of ``meddx evaluate`` words it, naming
    the report just written."""
    from meddx.evaluation.leakage import _remedy as remedy_for, source_kind

    return remedy_for(source_kind(src), summary).replace("verify-report.json", str(report))


def _note_other_settings(report: Path, now: dict) -> None:
    """A note when the earlier report replaced at ``report`` was made with other search settings."""
    from meddx.cli.data_report import _read_verify_report
    from meddx.data.verify_settings import earlier_report_note

    note = earlier_report_note(str(report), _read_verify_report(report) if report.is_file() else None, now)
    if note:
        streams.note(note)


def _note_ignored(text: bool, max_distance: Optional[int], near_threshold: float) -> None:
    """A note for the near-copy setting of the other kind of source, which this one does not use
    (``--near-threshold 0.5`` on an image folder changed nothing, and said nothing)."""
    if text and max_distance is not None:
        streams.note("--max-distance (image hash bits) is ignored for a text source; its near copies use "
                     "--near-threshold (Jaccard similarity of word 5-grams)")
    if not text and near_threshold != 0.8:
        streams.note("--near-threshold (Jaccard similarity of documents) is ignored for a source that is not text; "
                     "image near copies use --max-distance (hash bits)")


def _seg_label_names(labels: Optional[str], segmentation: bool) -> Optional[list[str]]:
    """``--labels`` read as ``meddx train --labels`` reads it (stripped names; empty: none), held
    to the same rule (at least 2 distinct, non-empty names), so verify checks the masks against
    the label set training will use. Refused for a source that is not a segmentation source."""
    if not labels:
        return None
    if not segmentation:
        raise typer.BadParameter("names the mask values of a segmentation source (images + masks); SOURCE is not "
                                 "one", param_hint="--labels")
    from meddx.training.config import TrainConfig

    try:
        return TrainConfig._usable_label_names([n.strip() for n in labels.split(",")])  # train's own check
    except ValueError as exc:
        raise typer.BadParameter(f"{labels!r}: {exc}", param_hint="--labels") from None


def _text_fix(src: Any, report: dict, policy: str) -> tuple[Any, dict]:
    """The cleaned text source and its summary; a source whose columns look swapped, which cleaning
    would empty or leave swapped, is refused here, before the report or the fixed file is written."""
    from meddx.data.text_verify import check_fix_not_swapped, clean_text_source

    cleaned, done = clean_text_source(src, report, policy)
    check_fix_not_swapped(src, cleaned, policy)
    return cleaned, done


def _check_outputs(inputs: list[str | None], outputs: dict[str, Path | None]) -> None:
    """Before anything is read or written: no output may be an input file, or another output."""
    sources = {Path(p).resolve(): p for p in inputs if p and Path(p).is_file()}
    seen: dict[Path, str] = {}
    for flag, path in outputs.items():
        if path is None:
            continue
        where = path.resolve()
        if where in sources:
            raise typer.BadParameter(f"{path} is the input file {sources[where]}; choose another path (the "
                                     "input is never overwritten)", param_hint=flag)
        if where in seen:
            raise typer.BadParameter(f"{path} is also given to {seen[where]}; choose two paths", param_hint=flag)
        seen[where] = flag


def _refuse_taken(outputs: dict[str, Path | None], overwrite: bool) -> None:
    """Before the (possibly long) check: an existing --fixed-output/--clean-manifest file is kept
    unless --overwrite, as the report is (a cleaned CSV may be the user's only edited copy)."""
    from meddx.core.errors import ConfigError

    for flag, path in outputs.items():
        if path is None:
            continue
        if path.is_dir():
            raise ConfigError(f"{flag} {path}: is a folder; expected a file path")
        if path.exists() and not overwrite:
            raise ConfigError(f"{flag} {path}: the file exists; choose another path, or pass --overwrite to "
                              "replace it")


def _as_stored(source: Any) -> Any:
    """A segmentation source read with nothing carved (``info``/``verify`` describe the files as
    they are), its "none carved" notes saying what ``meddx train`` will carve instead: a note
    reading "test_fraction 0" misled users whose training carves 20% by default."""
    from meddx.data.segmentation import none_carved_note
    from meddx.training.config import TrainConfig

    for name in ("test", "val"):
        stored = none_carved_note(name)
        default = TrainConfig.model_fields[f"{name}_fraction"].default
        said = (f"no {name} split: meddx train carves one from train ({name}_fraction, default {default}, "
                "grouped by patient when ids exist)")
        source.notes[:] = [said if note == stored else note for note in source.notes]
    return source
