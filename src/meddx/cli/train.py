"""``meddx train`` and ``meddx predict`` (evaluation commands live in ``cli/evaluate.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Sequence

import typer

from meddx.training.flag_names import FIELD_OF_FLAG  # the flags whose config field has another name


def train(
    ctx: typer.Context,
    config: Optional[Path] = typer.Argument(None, help="YAML config; flags override its fields."),
    data: Optional[str] = typer.Option(None, "--data", "-d", help="medmnist:NAME, .npz, image folder, CSV manifest, image + mask folders; documents (CSV/JSONL/Parquet, .txt folders); physionet2012:/mimic3: folders or long series CSV; a table (CSV/TSV/.data).", rich_help_panel="Data and run"),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Registered model (see `meddx models`).", rich_help_panel="Model and training"),
    epochs: Optional[int] = typer.Option(None, help="Epochs (default: from --time-budget, else 20).", rich_help_panel="Model and training"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Samples per batch (default: planned from the pixels per sample).", rich_help_panel="Model and training"),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Minutes of training; sets epochs (with --epochs it only stops training, at 1.25x; an ensemble's networks at 1.25x their share).", rich_help_panel="Model and training"),
    image_size: Optional[int] = typer.Option(None, "--image-size", help="Side length after resizing.", rich_help_panel="Model and training"),
    channels: Optional[int] = typer.Option(None, help="Image classification: input channels (1 grey, 3 RGB; segmentation takes the images' own).", rich_help_panel="Model and training"),
    augment: Optional[str] = typer.Option(None, help="Augmentation preset: none, light, strong, shift (classification: whole-pixel shifts, no resampling). "
                                               "Default: shift for inputs of at most 32 px with 8+ epochs, else light.", rich_help_panel="Model and training"),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (AdamW, cosine schedule; default 2e-3; fine-tuning, series and table networks: their own rate, see plan.json).", rich_help_panel="Model and training"),
    class_weights: Optional[bool] = typer.Option(None, "--class-weights/--no-class-weights", help="Inverse-frequency loss weights; multi-label: the positives of labels positive in fewer than half the cases, by their negatives per positive (default: when imbalanced).", rich_help_panel="Model and training"),
    patience: Optional[int] = typer.Option(None, "--patience", help="Early-stopping patience in epochs (val AUC; segmentation: val Dice).", rich_help_panel="Model and training"),
    checkpoint: Optional[str] = typer.Option(None, "--checkpoint", help="Epoch kept: best (val metric) or final (schedule run to its end, no early stopping). Default: final for segmentation and for inputs of at most 32 px with 8+ epochs, else best.", rich_help_panel="Model and training"),
    precision: Optional[str] = typer.Option(None, help="auto (default: bf16-mixed for 2D where the CPU has bf16, else 32-true), 32-true or bf16-mixed.", rich_help_panel="Model and training"),
    ema: Optional[float] = typer.Option(None, "--ema", help="Average the weights (EMA) over about this many epochs; validation and the bundle use the average.", rich_help_panel="Model and training"),
    seed: Optional[int] = typer.Option(None, help="Seed of the validation carve, initial weights and data order (default 0).", rich_help_panel="Data and run"),
    deterministic: Optional[bool] = typer.Option(None, "--deterministic/--non-deterministic", help="Deterministic kernels: the same seed gives identical weights (slower; default off).", rich_help_panel="Model and training"),
    devices: Optional[int] = typer.Option(None, help="Processes for data-parallel training (gloo on CPU).", rich_help_panel="Processes"),
    num_nodes: Optional[int] = typer.Option(None, "--num-nodes", help="Machines of a torchrun launch (default 1).", rich_help_panel="Processes"),
    threads: Optional[int] = typer.Option(None, "--threads", help="Torch threads per process (default: free cores / devices).", rich_help_panel="Processes"),
    name: Optional[str] = typer.Option(None, help="Bundle name in the registry.", rich_help_panel="Data and run"),
    output: Optional[str] = typer.Option(None, "--output", "--out", "-o", help="Bundle folder (default under MEDDX_HOME/bundles).", rich_help_panel="Data and run"),
    labels: Optional[str] = typer.Option(None, "--labels", help="Segmentation: names of the mask values, comma-separated, background first.", rich_help_panel="Segmentation"),
    largest_component: Optional[bool] = typer.Option(None, "--largest-component/--no-largest-component", help="Segmentation: keep the largest connected component per class (default: decided on val).", rich_help_panel="Segmentation"),
    test_fraction: Optional[float] = typer.Option(None, "--test-fraction", help="Segmentation: test split carved when the source has none (default 0.2).", rich_help_panel="Segmentation"),
    seg_tta: Optional[str] = typer.Option(None, "--seg-tta", help="Segmentation: test-time mirroring/shifts/zoom, each kept if it raises val Dice: auto (tried when they fit --time-budget; default), on (tried whatever the budget), off (one pass).", rich_help_panel="Segmentation"),
    ensemble: Optional[int] = typer.Option(None, "--ensemble", help="Segmentation and text: train K networks (seeds seed..seed+K-1) sharing the time budget; the bundle averages their probabilities.", rich_help_panel="Model and training"),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: column holding the document (default: text, else the longest).", rich_help_panel="Text"),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="Text/series/tables: column holding the label(s) (default: label).", rich_help_panel="Text, series and tables"),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Text/series/tables: column with document, stay or row ids.", rich_help_panel="Text, series and tables"),
    patient_column: Optional[str] = typer.Option(None, "--patient-column", help="Text/series/tables: column with patient ids (splits, folds and bootstrap grouped by patient; a long series: a column of its labels file).", rich_help_panel="Text, series and tables"),
    label_delimiter: Optional[str] = typer.Option(None, "--label-delimiter", help="Text and image CSV manifests: multi-label cells joined by this, e.g. '|'; declares the source multi-label even when every row holds one label.", rich_help_panel="Text"),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text: encoding of the document files, e.g. latin-1 (default utf-8); recorded in the bundle.", rich_help_panel="Text"),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", help="Text: word, wordpiece or bpe (fitted on train only; default word).", rich_help_panel="Text"),
    max_length: Optional[int] = typer.Option(None, "--max-length", help="Text: tokens per document (default: 95th percentile of train).", rich_help_panel="Text"),
    vocab_size: Optional[int] = typer.Option(None, "--vocab-size", help="Text: tokenizer vocabulary size (default 20000).", rich_help_panel="Text"),
    pretrained: Optional[str] = typer.Option(None, "--pretrained", help="Text: local Hugging Face model folder to fine-tune (offline).", rich_help_panel="Text"),
    embedding_init: Optional[str] = typer.Option(None, "--embedding-init", help="Text: ppmi (word vectors from the training split's co-occurrences) or random (default ppmi from scratch).", rich_help_panel="Text"),
    baseline: Optional[bool] = typer.Option(None, "--baseline/--no-baseline", help="Text and series: fit and report a baseline beside the network (text: TF-IDF + logistic regression; series: gradient boosting on aggregates; default on).", rich_help_panel="Text"),
    labels_file: Optional[str] = typer.Option(None, "--labels-file", help="Series: outcomes/labels file (default: found beside the data).", rich_help_panel="Series"),
    window_hours: Optional[float] = typer.Option(None, "--window-hours", help="Series: hours from admission used (default: 48 for PhysioNet and MIMIC-III; a long CSV's last observation, rounded up to an hour).", rich_help_panel="Series"),
    resample: Optional[str] = typer.Option(None, "--resample", help="Series: irregular (observation times) or hourly bins (default: per model).", rich_help_panel="Series"),
    columns: Optional[str] = typer.Option(None, "--columns", help="Tables: comma-separated column names of a file without a header row.", rich_help_panel="Tables"),
    categorical: Optional[str] = typer.Option(None, "--categorical", help="Tables: comma-separated columns to one-hot encode (default: detected).", rich_help_panel="Tables"),
    missing_values: Optional[str] = typer.Option(None, "--missing-values", help="Tables: comma-separated cell values meaning missing, e.g. '?'.", rich_help_panel="Tables"),
    zero_as_missing: Optional[str] = typer.Option(None, "--zero-as-missing", help="Tables: comma-separated columns where 0 means missing.", rich_help_panel="Tables"),
    positive_labels: Optional[str] = typer.Option(None, "--positive-labels", help="Tables: comma-separated label values of the positive class.", rich_help_panel="Tables"),
    dp: Optional[bool] = typer.Option(None, "--dp/--no-dp", help="Train with differential privacy (DP-SGD via Opacus).", rich_help_panel="Differential privacy"),
    epsilon: Optional[float] = typer.Option(None, "--epsilon", help="DP: target epsilon; training stops before exceeding it.", rich_help_panel="Differential privacy"),
    delta: Optional[float] = typer.Option(None, "--delta", help="DP: delta (default 1e-5).", rich_help_panel="Differential privacy"),
    noise_multiplier: Optional[float] = typer.Option(None, "--noise-multiplier", help="DP: noise multiplier instead of a target epsilon.", rich_help_panel="Differential privacy"),
    max_grad_norm: Optional[float] = typer.Option(None, "--max-grad-norm", help="DP: per-sample gradient clipping norm (default 1.0).", rich_help_panel="Differential privacy"),
    plan: Optional[Path] = typer.Option(None, "--plan", help="An edited plan.json whose fields override the automatic plan.", rich_help_panel="Data and run"),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Run folder to resume from its last checkpoint.", rich_help_panel="Data and run"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar.", rich_help_panel="Data and run"),
) -> None:
    """Train a classifier (images, documents, ICU/EHR series, tables) or a segmentation model (image + mask sources) and save it as an evaluated, registered bundle."""
    from meddx.training.config import load_config
    from meddx.training.fit import fit

    cfg = None  # resuming uses the run's own config and plan
    if resume is not None:
        _refuse_with_resume(ctx)
    else:
        cfg = load_config(
            config, flags=flags_given(ctx),
            data=data, model=model, epochs=epochs, batch_size=batch_size, time_budget=time_budget,
            image_size=image_size, channels=channels, augment=augment, lr=lr, class_weights=class_weights,
            early_stopping_patience=patience, checkpoint=checkpoint, precision=precision, ema_epochs=ema, seed=seed, deterministic=deterministic,
            devices=devices, num_nodes=num_nodes, num_threads=threads, name=name, output=output,
            label_names=[n.strip() for n in labels.split(",")] if labels else None,
            largest_component=largest_component, test_fraction=test_fraction, ensemble=ensemble, seg_tta=seg_tta,
            text_column=text_column, label_column=label_column, id_column=id_column, patient_column=patient_column,
            label_delimiter=label_delimiter, encoding=encoding, tokenizer=tokenizer, max_length=max_length, vocab_size=vocab_size,
            pretrained=pretrained, embedding_init=embedding_init, baseline=baseline,
            labels_file=labels_file, window_hours=window_hours, resample=resample, columns=_csv(columns),
            categorical_columns=_csv(categorical), missing_values=_csv(missing_values),
            zero_as_missing=_csv(zero_as_missing), positive_labels=_csv(positive_labels),
            dp=dp, epsilon=epsilon, delta=delta, noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm,
        )
    from meddx.training.interrupt import reporting_interrupts

    with reporting_interrupts():  # Ctrl-C while the summary prints: one line naming the saved bundle
        result = fit(cfg, plan_file=plan, resume=resume, progress=progress)
        if result.bundle_path is None:  # a non-zero rank of a multi-process run
            return
        from meddx.cli.train_summary import print_summary

        print_summary(result)


def flags_given(ctx: typer.Context) -> dict[str, str]:
    """Config field -> the flag the user gave for it (``{"ema_epochs": "--ema"}``), so that an error
    about a bad value names ``--ema`` and not the config field ``ema_epochs``."""
    from click.core import ParameterSource

    return {FIELD_OF_FLAG.get(p.name, p.name): p.opts[0] for p in ctx.command.params
            if p.opts and p.opts[0].startswith("--")
            and ctx.get_parameter_source(p.name) not in (None, ParameterSource.DEFAULT)}


def _refuse_with_resume(ctx: typer.Context) -> None:
    """``--resume`` continues a run as its config.json and plan.json say: any other training
    option would be silently ignored, so it is refused, naming what to do instead."""
    from click.core import ParameterSource

    from meddx.core.errors import ConfigError

    given = [p for p in ctx.command.params if p.name not in ("resume", "progress")
             and ctx.get_parameter_source(p.name) not in (None, ParameterSource.DEFAULT)]
    if given:
        names = ", ".join(p.opts[0] if p.opts and p.opts[0].startswith("-") else p.human_readable_name for p in given)
        raise ConfigError(f"{names}: not used with --resume, which continues the run as its config.json and "
                          "plan.json say; to train longer raise \"epochs\" in the run's plan.json, to change "
                          "anything else start a new run")


def _csv(value: Optional[str]) -> Optional[list[str]]:
    """A comma-separated flag as a list (``None`` stays ``None``)."""
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def predict(
    ctx: typer.Context,
    bundle: str = typer.Argument(..., help="Bundle folder or registry NAME[:VERSION]."),
    files: Optional[list[Path]] = typer.Argument(None, help="PNG/JPEG/DICOM/NIfTI files, or folders of them (3D bundles: DICOM series folders, multi-frame DICOM and NIfTI volumes); for a text bundle .txt files or a CSV/JSONL/Parquet of documents."),
    text: Optional[list[str]] = typer.Option(None, "--text", "-t", help="Text bundle: a document to classify (repeatable)."),
    explain: Optional[Path] = typer.Option(None, "--explain", help="Text bundle: folder for one HTML page per document with its token attributions highlighted; series bundle: a variable x hour heatmap PNG per stay."),
    attribution: str = typer.Option("auto", "--attribution", help="Text: attention, integrated-gradients or auto (attention when the model has it); series: integrated-gradients, occlusion or auto."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text bundle: column of the documents in a CSV/JSONL/Parquet (default: the training column)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text bundle: encoding of the document files (default: the one training used, else utf-8)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
    output: Optional[Path] = typer.Option(None, "--output", "--out", "-o", help="Segmentation: folder for the masks (input's format and geometry) and overlays."),
    pixel_size: Optional[float] = typer.Option(None, "--pixel-size", help="Segmentation: mm per pixel for files without spacing (PNG/JPEG), for measurements."),
    overlays: bool = typer.Option(True, "--overlays/--no-overlays", help="Segmentation: write an overlay PNG per input."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Text, series and table bundles: replace files of the same names already in the --explain folder, and remove the pages or heatmaps an earlier, longer run listed there; segmentation: masks and overlays already in --output, and remove those an earlier, longer run listed in its masks.json (without it they are kept and predict refuses)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Image and table bundles (not text or series): predict every input that reads and name each one that does not (undecodable, wrong shape or channels, missing columns) on stderr, one line each, instead of stopping at the first; exit status 1 when any was skipped, 0 when none. Segmentation skips inputs that cannot be read or have other dimensions."),
) -> None:
    """Predict raw image files or documents: label and class probabilities, or masks and measurements for segmentation."""
    from meddx.bundle.bundle import load_bundle
    from meddx.registry.store import resolve_bundle_path

    predictor = load_bundle(resolve_bundle_path(bundle))
    from meddx.cli.predict_flags import check_predict_options

    # an option this bundle's kind never reads, one line; only those the user gave (a default never is)
    check_predict_options({name: ctx.params.get(name) for name in flags_given(ctx)}, predictor, bundle)
    if predictor.config.get("modality") == "text":
        from meddx.cli.predict_text import predict_text

        predict_text(predictor, files or [], text or [], explain, attribution, text_column, as_json, encoding,
                     overwrite)
        return
    if predictor.config.get("modality") == "series":
        from meddx.cli.predict_series import predict_series

        predict_series(predictor, files or [], explain, attribution, as_json, overwrite=overwrite)
        return
    if predictor.config.get("modality") == "tabular":  # one prediction per row of CSV/TSV files
        from meddx.cli.predict_tabular import predict_tabular

        predict_tabular(predictor, files or [], explain, attribution, as_json, overwrite=overwrite, skip_bad=skip_bad)
        return
    if not files:
        raise typer.BadParameter("give at least one file to predict", param_hint="FILES")
    if predictor.task == "segmentation":
        _predict_masks(predictor, files, output, pixel_size, overlays, as_json, overwrite, skip_bad)
        return
    from meddx.cli.predict_image import print_notices
    from meddx.cli.predict_skip import image_predictions, report_skipped

    predictions, skipped = image_predictions(predictor, files) if skip_bad else (predictor.predict_files(files), [])
    print_notices(predictor, predictions)  # spacing, channels, typicality (stderr: JSON lines stay clean)
    if predictions or not skipped:
        print_predictions(predictions, predictor.label_names, as_json, "file", decision=predictor.config.get("decision"))
    status = report_skipped(skipped, len(predictions))
    if status:
        raise typer.Exit(status)


def print_predictions(predictions: list, label_names: list[str], as_json: bool, what: str,
                      extra: Sequence[dict] | None = None, decision: dict | None = None) -> None:
    """One JSON line per prediction (``Prediction.to_dict``, which holds the prediction's own ``extra``
    notes, plus the caller's ``extra`` fields, one dict per prediction, in order), or a table: source,
    label, probabilities, and the voxel spacing read (3D image bundles: ``"spacing"``). In order, not by
    source: two inputs may share a name (a file given twice, an id repeated in a CSV), and each keeps
    its own fields. Under the table, a note when a label is not the most probable class (``decision``: the
    bundle's rule, ``cli.predict_notes``); in JSON rows, the rule's fields (``decision_fields``)."""
    given = list(extra) if extra is not None else [{} for _ in predictions]
    if as_json:  # the rule rides in each row (a class-weighted bundle's class_weights), as the note under a table
        from meddx.cli.predict_notes import decision_fields

        rule = decision_fields(decision, label_names)
        for p, more in zip(predictions, given):
            typer.echo(json.dumps({**p.to_dict(), **rule, **more}))
        return
    rows = [{**(getattr(p, "extra", None) or {}), **more} for p, more in zip(predictions, given)]
    from rich.table import Table

    spacing = any("spacing" in e for e in rows)
    table = Table()
    # Folded, never cut: "…/Study2/1…" made every slice of a series folder look alike
    for column in (what, "label", *label_names, *(["spacing (mm, dz x dy x dx)"] if spacing else [])):
        table.add_column(column, overflow="fold")
    for p, more in zip(predictions, rows):
        label = p.label if isinstance(p.label, str) else ",".join(p.label) or "-"
        sp = more.get("spacing")
        shown = ["x".join(f"{v:.3g}" for v in sp) if sp else "not recorded"] if spacing else []
        table.add_row(p.source, label, *[f"{v:.3f}" for v in p.probabilities.values()], *shown)
    wide_console().print(table)
    from meddx.cli.predict_notes import decision_note

    note = decision_note(predictions, decision, label_names)
    if note:  # on stderr (cli.streams): stdout stays the table
        from meddx.cli.streams import notice

        notice(note)
    trained = next((e["training_spacing"] for e in rows if e.get("training_spacing")), None)
    if trained:
        wide_console().print(f"trained at spacing {'x'.join(f'{v:.3g}' for v in trained)} mm (median of the "
                             "training volumes); volumes are resized without resampling, so keep predict volumes at it")


def wide_console() -> Any:
    """A rich ``Console``; piped (no terminal, no ``COLUMNS``) it is at least 200 columns wide, so
    that a table's file paths stay whole on one line for a script reading them."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=max(console.width, 200))
    return console


def _predict_masks(predictor: object, files: list[Path], output: Optional[Path], pixel_size: Optional[float],
                   overlays: bool, as_json: bool, overwrite: bool = False, skip_bad: bool = False) -> None:
    """Masks, overlays and measurements; a mask or overlay of an earlier run in ``output`` is refused
    before anything is segmented unless ``overwrite`` (``bundle.seg_outputs``); with ``skip_bad`` the
    inputs that cannot be read are left out first (``cli.predict_skip``)."""
    if overwrite and output is None:  # a flag that changed nothing would look like it had
        from meddx.core.errors import ConfigError

        raise ConfigError("--overwrite: replaces the masks and overlays in --output DIR; give --output DIR, or leave "
                          "it out")
    from meddx.cli.predict_skip import readable_seg_inputs, report_skipped

    good, skipped = readable_seg_inputs(predictor, files) if skip_bad else (files, [])
    if good:  # nothing skipped: the inputs as given, as without --skip-bad
        rows = predictor.predict_files(good if skipped else files, output, pixel_size=pixel_size,  # type: ignore[attr-defined]
                                       overlays=overlays, overwrite=overwrite)
        _print_mask_rows(rows, output, as_json)
    status = report_skipped(skipped, len(good))
    if status:
        raise typer.Exit(status)


def _print_mask_rows(rows: list[dict], output: Optional[Path], as_json: bool) -> None:
    """One JSON line, or one line of measurements and mask path, per segmented input."""
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, default=str))
        return
    for row in rows:
        parts = [row["source"]]
        if row.get("head_circumference_mm") is not None:
            parts.append(f"head circumference {row['head_circumference_mm']:.1f} mm")
        volumes = row.get("volume_ml") or {}
        for name, ml in volumes.items():
            parts.append(f"{name} {ml:.3f} mL" if ml is not None else f"{name} {row['voxels'][name]} voxels")
        if not volumes:  # 2D: the area of each structure (mm² with a known pixel size)
            spacing = row.get("spacing")
            for name, n in (row.get("voxels") or {}).items():
                area = f"{n * float(spacing[0]) * float(spacing[-1]):.1f} mm²" if spacing else f"{n} pixels"
                parts.append(f"{name} {area}")
        if row.get("mask"):
            parts.append(f"mask {row['mask']}")
        typer.echo("  ".join(parts))
    if output is None:
        typer.echo("(no masks written: pass --output DIR)")
