"""``meddx evaluate``, ``meddx compare`` and ``meddx cv``: the clinical evaluation commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from meddx.cli import streams
from meddx.core import SEED_MAX
from meddx.evaluation.report_format import text_number as _f
from meddx.evaluation.report_format import text_with_ci as _ci


def evaluate(
    bundle: str = typer.Argument(..., help="Bundle folder or registry NAME[:VERSION]."),
    data: str = typer.Option(..., "--data", "-d", help="Labelled source to evaluate on."),
    split: str = typer.Option("test", help="train, val or test."),
    out: Optional[Path] = typer.Option(None, "--out", "--output", "-o", help="Folder for metrics.json and report.html (default: inside the bundle)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: column holding the document (default: the one training read)."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="Text/series/tables: column holding the label(s) (default: training's)."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Text/series/tables: column holding the sample id (default: training's)."),
    patient_column: Optional[str] = typer.Option(None, "--patient-column", help="Text/series/tables: column holding the patient id (default: training's, when the file has it)."),
    labels_file: Optional[str] = typer.Option(None, "--labels-file", help="Long-format series: labels CSV of --data (default: the one training read, stored absolute)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text: encoding of the file (default: training's, else utf-8)."),
    label_delimiter: Optional[str] = typer.Option(None, "--label-delimiter", help="Text: split label cells on this (e.g. '|') for multi-label (default: training's)."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Tables: comma-separated column names of a file without a header row (default: training's, when it had none)."),
    attributes: Optional[Path] = typer.Option(None, "--attributes", help="CSV keyed by sample id (id,sex,age_band,site,...) for subgroup metrics."),
    subgroup: Optional[list[str]] = typer.Option(None, "--subgroup", help="Column forming subgroups (repeatable): of --attributes, else of the --data CSV itself (e.g. site)."),
    operating_point: Optional[list[str]] = typer.Option(None, "--operating-point", help="Extra rule chosen on val and reported, e.g. 'sensitivity>=0.95' (repeatable; multi-label: per label, multi-class: one-vs-rest per class)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for the CIs (0: none)."),
    level: float = typer.Option(0.95, "--level", min=0.5, max=0.999, help="Confidence level of the intervals."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="Seed of the bootstrap."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check the source for duplicates and leakage (shown in the report)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Evaluate a bundle on a split: metrics with CIs, calibration, subgroups (segmentation: Dice, HD95,
    measurements); writes metrics.json and report.html."""
    from meddx.evaluation.evaluate import EvalSettings, evaluate_bundle

    if 0 < bootstrap < 10:  # refused before any image is read, not after predicting
        raise typer.BadParameter(f"{bootstrap} resamples give no usable interval; use 0 (no intervals) or at "
                                 "least 10 (1000 is the default)", param_hint="--bootstrap")
    _check_rules(operating_point)  # a malformed rule: refused before any image is read, not after predicting
    _check_out_folder(out)
    if _is_segmentation_bundle(bundle):
        from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_seg_bundle

        if operating_point:  # thresholds on class probabilities: a segmentation evaluation has none to choose
            from meddx.core.errors import ConfigError

            raise ConfigError(f"--operating-point {operating_point[0]!r}: bundle {bundle!r} segments images; "
                              "operating points apply to classification bundles (binary, multi-class, multi-label)")

        metrics, path = evaluate_seg_bundle(bundle, data, split=split, out=out, report=report,
                                            settings=SegEvalSettings(n_resamples=bootstrap, level=level, seed=seed))
        _print_evaluation(metrics, path, seg_headline(metrics), report, as_json)
        return
    settings = EvalSettings(n_resamples=bootstrap, level=level, seed=seed, extra_rules=list(operating_point or []))
    metrics, path = evaluate_bundle(bundle, data, split=split, out=out, settings=settings, attributes=attributes,
                                    verify=verify, report=report, subgroup_columns=list(subgroup or []) or None,
                                    columns=_columns(text_column, label_column, id_column, encoding,
                                                     patient_column, labels_file, columns, label_delimiter))
    _print_evaluation(metrics, path, headline(metrics), report, as_json)


def _columns(text_column: str | None, label_column: str | None, id_column: str | None,
             encoding: str | None = None, patient_column: str | None = None,
             labels_file: str | None = None, columns: str | None = None,
             label_delimiter: str | None = None) -> dict[str, str]:
    """The reader overrides given on the command line (``evaluate_bundle(columns=...)``)."""
    given = {"text_column": text_column, "label_column": label_column, "id_column": id_column, "encoding": encoding,
             "patient_column": patient_column, "labels_file": labels_file, "columns": columns,
             "label_delimiter": label_delimiter}
    return {k: v for k, v in given.items() if v is not None}


def _print_evaluation(metrics: dict[str, Any], path: Path, lines: list[str], report: bool, as_json: bool) -> None:
    """The metrics (JSON, which holds the warnings, or the headline ``lines``) and the files written on
    stdout; without ``--json`` each warning on stderr (``cli.streams``)."""
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    for line in lines:
        typer.echo(line)
    streams.warnings(metrics.get("warnings"))
    typer.echo(f"metrics: {path}")
    if report:
        typer.echo(f"report:  {path.parent / 'report.html'}")


def _check_rules(rules: Optional[list[str]]) -> None:
    """Refuse a malformed ``--operating-point`` rule (``sens>=0.9``, ``sensitivity>=1.5``) now, naming
    the flag, the rule and what is expected, not after the split was read and predicted."""
    from meddx.core.errors import ConfigError
    from meddx.evaluation.operating import parse_rule

    for rule in rules or []:
        try:
            parse_rule(rule)
        except ConfigError as exc:
            raise ConfigError(f"--operating-point: {exc}") from None


def _check_out_folder(out: Optional[Path]) -> None:
    """Refuse an ``--out`` that is an existing file now, not after predicting and resampling."""
    from meddx.evaluation.output_dirs import check_out_folder

    check_out_folder(out)


def _is_segmentation_bundle(bundle: str) -> bool:
    from meddx.bundle.bundle import read_bundle_config
    from meddx.registry.store import resolve_bundle_path

    return read_bundle_config(resolve_bundle_path(bundle)).get("task") == "segmentation"


def seg_headline(metrics: dict[str, Any]) -> list[str]:
    """Per-class Dice and HD95 with CIs, and the measurement error, one line each (the warnings are
    printed apart, on stderr)."""
    unit = (metrics.get("unit") or {}).get("hd95", "")
    lines = [f"{metrics.get('split')}: n={metrics.get('n')}  mean Dice {_ci_of(metrics.get('mean_foreground', {}).get('dice'))}"]
    for name, values in (metrics.get("classes") or {}).items():
        lines.append(f"  {name}: Dice {_ci_of(values.get('dice'))}  IoU {_ci_of(values.get('iou'))}  "
                     f"HD95 {_ci_of(values.get('hd95'))} {unit}")
    for what, err in (metrics.get("measurement") or {}).items():
        lines.append(f"  {what}: mean absolute difference {_ci((err.get('ci') or {}).get('mean_abs'), err.get('mean_abs'))} "
                     f"{err.get('unit', '')}, median {_f(err.get('median_abs'))}, 95th percentile {_f(err.get('p95_abs'))}")
    return lines


def _ci_of(values: dict[str, Any] | None) -> str:
    """``0.912 (0.881–0.940)`` from a segmentation summary entry (``mean`` and ``ci`` bounds)."""
    values = values or {}
    bounds = values.get("ci")
    return _ci({"estimate": values.get("mean"), "bca": bounds} if bounds else None, values.get("mean"))


def headline(metrics: dict[str, Any]) -> list[str]:
    """The few lines a clinician reads first: AUC with CI, the operating point, calibration (the
    warnings are printed apart, on stderr)."""
    ci = metrics.get("ci") or {}
    lines = [f"{metrics.get('split')}: n={metrics['n']}  AUC {_ci(ci.get('auc'), metrics.get('auc'))}  "
             f"AUPRC {_ci(ci.get('auprc'), metrics.get('auprc'))}  accuracy {_ci(ci.get('accuracy'), metrics.get('accuracy'))}"
             + (f"  macro-F1 {_ci(ci.get('macro_f1'), metrics.get('macro_f1'))}" if metrics["task"] != "binary" else "")
             # --level other than 0.95: every interval printed below is at that level, which nothing else said
             + (f"  ({ci['level'] * 100:g}% intervals)" if ci.get("level") not in (None, 0.95) else "")]
    from meddx.evaluation.operating_lines import operating_lines  # binary: one line; multi-label: one per label

    lines += operating_lines(metrics)
    # after the operating points: the extra ones are the network's, not the baseline's
    base = (metrics.get("baseline") or {}).get(metrics.get("split"))
    if base:
        b, d = base["metrics"], base.get("difference") or {}
        lines.append(f"baseline ({metrics['baseline'].get('model')}): AUC {_f(b.get('auc'))}  accuracy "
                     f"{_f(b.get('accuracy'))}  macro-F1 {_f(b.get('macro_f1'))}; model - baseline: "
                     f"AUC {_ci(d.get('auc'))}  macro-F1 {_ci(d.get('macro_f1'))}")
    cal = metrics.get("calibration") or {}
    if cal.get("before"):
        after = cal.get("after")
        lines.append(f"calibration: ECE {_f(cal['before']['ece'])}"
                     + (f" -> {_f(after['ece'])} after temperature {_temperature(cal, metrics)}"
                        f"{_shift(cal.get('bias'))}"
                        if after else "")
                     + f"  Brier {_f((after or cal['before'])['brier'])}"
                     + (f"  slope {_f((after or cal['before']).get('slope'))}"
                        if (after or cal["before"]).get("slope") is not None else ""))
    if cal.get("per_label"):  # multi-label: the pooled line above blends the labels
        from meddx.evaluation.label_calibration import per_label_lines

        lines += per_label_lines(cal["per_label"])
    if metrics.get("subgroups"):  # --attributes / --subgroup: metrics.json held them, the terminal said nothing
        from meddx.evaluation.subgroup_lines import subgroup_lines

        lines += subgroup_lines(metrics)
    return lines


def _temperature(cal: dict[str, Any], metrics: dict[str, Any]) -> str:
    """``1.31``, or a multi-label bundle's one per label: ``per label: a 1.31, b 0.88``."""
    from meddx.evaluation.label_temperature import temperature_text

    t = cal.get("temperature")
    return temperature_text(t, metrics.get("label_names"))[2:] if isinstance(t, list) else f"{float(t):.2f}"


def _shift(bias: Any) -> str:
    """The class-weighted loss's shift a bundle's calibration removes with its temperature
    (``calibration.bias``: one log-odds shift, −log w_k per class, or per label fitted with its T
    between −log w_j and −log w_j / T_j since stop 45); nothing without one."""
    if isinstance(bias, list):
        return (" and biases (" + ", ".join(f"{b:+.3f}" for b in bias)
                + ", one per class or label, removing the loss weights' shifts)")
    return f" and log-odds shift {bias:+.3f} (removing the class weights)" if bias else ""


def compare(
    bundle_a: str = typer.Argument(..., help="First bundle (folder or NAME[:VERSION])."),
    bundle_b: str = typer.Argument(..., help="Second bundle."),
    data: str = typer.Option(..., "--data", "-d", help="Labelled source both are evaluated on."),
    split: str = typer.Option("test", help="train, val or test."),
    out: Optional[Path] = typer.Option(None, "--out", "--output", "-o", help="Folder for comparison.json (default: inside bundle A)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: column holding the document (default: the one training read)."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="Text/series/tables: column holding the label(s) (default: training's)."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="Text/series/tables: column holding the sample id (default: training's)."),
    patient_column: Optional[str] = typer.Option(None, "--patient-column", help="Text/series/tables: column holding the patient id (default: training's, when the file has it)."),
    labels_file: Optional[str] = typer.Option(None, "--labels-file", help="Long-format series: labels CSV of --data (default: the one training read, stored absolute)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text: encoding of the file (default: training's, else utf-8)."),
    label_delimiter: Optional[str] = typer.Option(None, "--label-delimiter", help="Text: split label cells on this (e.g. '|') for multi-label (default: training's)."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Tables: comma-separated column names of a file without a header row (default: training's, when it had none)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=10, help="Paired bootstrap resamples."),
    level: float = typer.Option(0.95, "--level", min=0.5, max=0.999, help="Confidence level of the intervals."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="Seed of the paired bootstrap."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Compare two bundles on the same cases: DeLong (AUC), McNemar (accuracy), paired bootstrap CIs; segmentation: paired Dice differences (Wilcoxon)."""
    from meddx.evaluation.compare import compare_bundles

    _check_out_folder(out)
    result, path = compare_bundles(bundle_a, bundle_b, data, split, str(out) if out else None,
                                   n_resamples=bootstrap, level=level, seed=seed,
                                   columns=_columns(text_column, label_column, id_column, encoding,
                                                    patient_column, labels_file, columns, label_delimiter))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{split}: n={result['n']}  (difference = A - B)")
    if result["task"] == "segmentation":
        for name, d in result["dice"].items():
            ci = f" ({_f(d['ci'][0])}–{_f(d['ci'][1])})" if d["ci"] else ""
            typer.echo(f"  Dice {name}: A {_f(d['a'])}  B {_f(d['b'])}  difference {_f(d['difference'])}{ci}  "
                       f"Wilcoxon p={_p(d['wilcoxon_p'])}")
        streams.warnings(result.get("warnings"))
        typer.echo(f"comparison: {path}")
        return
    tests = result.get("paired_tests") or {}
    if tests:
        typer.echo(f"  DeLong and McNemar units: {tests['n_units']} {tests['unit']}(s) ({tests['note']})")
    for name, d in result["delong"].items():
        if "skipped" in d:
            typer.echo(f"  AUC {name}: skipped ({d['skipped']})")
            continue
        typer.echo(f"  AUC {name}: A {_f(d['auc_a'])}  B {_f(d['auc_b'])}  difference {_f(d['difference'])} "
                   f"(DeLong CI {_f(d['ci'][0])}–{_f(d['ci'][1])})  DeLong p={_p(d['p_value'])}")
    for line in accuracy_lines(result):
        typer.echo(line)
    streams.notes(result.get("notes"))  # e.g. B's labels put in A's order
    streams.warnings(result.get("warnings"))
    typer.echo(f"comparison: {path}")


def cv(
    ctx: typer.Context,
    config: Optional[Path] = typer.Argument(None, help="YAML training config; flags override its fields."),
    folds: int = typer.Option(5, "--folds", "-k", min=2, help="Number of folds."),
    data: Optional[str] = typer.Option(None, "--data", "-d", help="Source (overrides the config's data)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model of every fold (overrides the config's; `meddx models` lists them)."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per fold (overrides the config's)."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Minutes of training per fold."),
    seed: Optional[int] = typer.Option(None, help="Seed of the folds and of training (overrides the config's; default 0)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Text: column holding the document."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="Text/series/tables: column holding the label(s)."),
    label_delimiter: Optional[str] = typer.Option(None, "--label-delimiter", help="Text and image manifests: multi-label cells joined by this, e.g. '|' (declares the source multi-label)."),
    patient_column: Optional[str] = typer.Option(None, "--patient-column", help="Text/series/tables: column holding the patient id; folds keep a patient's samples together (default: a column patient_id; a long series: each id its own patient)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text: encoding of the document files (default utf-8)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate."),
    labels_file: Optional[str] = typer.Option(None, "--labels-file", help="Series: outcomes/labels file (default: found beside the data)."),
    window_hours: Optional[float] = typer.Option(None, "--window-hours", help="Series: hours from admission used (default: 48 for PhysioNet and MIMIC-III; a long CSV's last observation, rounded up to an hour)."),
    resample: Optional[str] = typer.Option(None, "--resample", help="Series: irregular or hourly (default: per model)."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Tables: comma-separated column names of a file without a header row."),
    categorical: Optional[str] = typer.Option(None, "--categorical", help="Tables: comma-separated columns to one-hot encode."),
    missing_values: Optional[str] = typer.Option(None, "--missing-values", help="Tables: comma-separated cell values meaning missing."),
    zero_as_missing: Optional[str] = typer.Option(None, "--zero-as-missing", help="Tables: comma-separated columns where 0 means missing."),
    positive_labels: Optional[str] = typer.Option(None, "--positive-labels", help="Tables: comma-separated label values of the positive class."),
    baseline: Optional[bool] = typer.Option(None, "--baseline/--no-baseline", help="Text/series: fit and report the bundled baseline."),
    ensemble: Optional[int] = typer.Option(None, "--ensemble", help="Text: train K networks per fold (seeds seed..seed+K-1) and average their probabilities."),
    out: Optional[Path] = typer.Option(None, "--out", "--output", "-o", help="Folder for cv.json, oof_predictions.csv and fold bundles."),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="Show each fold's progress bar."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Folder of an interrupted meddx cv: reuse its finished folds, go on inside the interrupted one from its last finished epoch, train the others (its own settings; options given must match them)."),
) -> None:
    """Cross-validate a training config: folds stratified and grouped by patient, mean ± sd, out-of-fold predictions."""
    from meddx.evaluation.cv import cross_validate
    from meddx.training.config import load_config

    from meddx.cli.train import _csv, flags_given

    values = dict(data=data, model=model, epochs=epochs, time_budget=time_budget, seed=seed,
                  text_column=text_column, label_column=label_column, label_delimiter=label_delimiter,
                  patient_column=patient_column, encoding=encoding, lr=lr, labels_file=labels_file,
                  window_hours=window_hours, resample=resample, columns=_csv(columns),
                  categorical_columns=_csv(categorical), missing_values=_csv(missing_values),
                  zero_as_missing=_csv(zero_as_missing), positive_labels=_csv(positive_labels), baseline=baseline,
                  ensemble=ensemble)
    if resume is not None:
        cfg, k = _resumed_settings(ctx, resume, config, values, out)
        summary = cross_validate(cfg, folds=k, resume=resume, progress=progress, say=streams.notice)  # progress
    else:
        cfg = load_config(config, flags=flags_given(ctx), **values)
        summary = cross_validate(cfg, folds=folds, out=out, progress=progress, say=streams.notice)  # fold notes
    from meddx.evaluation.cv_lines import cv_lines  # mean ± sd over folds, intervals with their method

    for line in cv_lines(summary):
        typer.echo(line)
    from meddx.evaluation.cv_cuts import cut_folds_warning

    cut = cut_folds_warning(summary)  # folds whose last epoch the time limit stopped mid-way
    if cut:
        streams.notice(cut)
    streams.warnings(summary.get("warnings"))  # folds lacking a class, unequal folds (evaluation.cv_checks)
    typer.echo(f"cv: {summary['out_dir']}/cv.json")


def _resumed_settings(ctx: typer.Context, resume: Path, config: Optional[Path], values: dict[str, Any],
                      out: Optional[Path]) -> tuple[Any, Optional[int]]:
    """``meddx cv --resume``: the recorded config with the YAML file and flags given laid over it (any that
    differ from the record are refused by the resume), and ``--folds`` when given (else the recorded)."""
    from click.core import ParameterSource

    from meddx.cli.train import flags_given
    from meddx.core.errors import ConfigError
    from meddx.evaluation.cv_plan import read_plan, recorded_config

    if out is not None:
        raise ConfigError(f"--out {out} and --resume {resume}: a resume writes into the folder it resumes; give one")
    flags = flags_given(ctx)
    cfg = recorded_config(read_plan(resume), values, config, flags=flags)
    given = ctx.get_parameter_source("folds") not in (None, ParameterSource.DEFAULT)
    return cfg, ctx.params["folds"] if given else None


def accuracy_lines(result: dict[str, Any]) -> list[str]:
    """The accuracy lines of ``meddx compare``. Multi-label: McNemar tests exact-match accuracy (every label
    right) while the paired bootstrap resamples mean per-label accuracy, two different metrics, so each is
    named on its own line rather than printed side by side as one."""
    m, boot = result["mcnemar"], result["difference"]
    mcnemar = f"McNemar p={_p(m['p_value'])} ({m['method']})"
    if result.get("task") != "multilabel":
        return [f"  accuracy: A {_f(m['accuracy_a'])}  B {_f(m['accuracy_b'])}  "
                f"difference {_bootstrap_ci(boot['accuracy'], boot)}  {mcnemar}"]
    return [f"  exact-match accuracy (every label right): A {_f(m['accuracy_a'])}  B {_f(m['accuracy_b'])}  {mcnemar}",
            f"  mean per-label accuracy: difference {_bootstrap_ci(boot['accuracy'], boot)}"]


def _bootstrap_ci(interval: dict[str, Any] | None, block: dict[str, Any]) -> str:
    """``0.050 (bootstrap CI 0.000–0.127, 50 patients resampled)`` from a paired bootstrap entry."""
    lo, hi = ((interval or {}).get("bca") or [None, None])
    text = _f((interval or {}).get("estimate"))
    if lo is None or hi is None:
        return f"{text} (no bootstrap CI)"
    return f"{text} (bootstrap CI {lo:.3f}–{hi:.3f}, {block.get('n_units')} {block.get('unit')}s resampled)"


def _p(value: object) -> str:
    return "n/a" if value is None else f"{value:.3g}"
