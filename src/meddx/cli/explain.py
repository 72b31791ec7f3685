"""``meddx explain``: attributions for inputs (overlays, HTML), or their faithfulness over a dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from meddx.cli import streams
from meddx.core import SEED_MAX


def explain(
    bundle: str = typer.Argument(..., help="Bundle folder or registry NAME[:VERSION]."),
    inputs: Optional[list[Path]] = typer.Argument(None, help="Image files (PNG/JPEG/DICOM/NIfTI); .txt documents for a text bundle."),
    method: Optional[list[str]] = typer.Option(None, "--method", "-m", help="gradcam, gradcam++, occlusion, integrated-gradients, saliency, attention (text); auto (default) or all. Repeatable."),
    text: Optional[list[str]] = typer.Option(None, "--text", "-t", help="Text bundle: a document to explain (repeatable)."),
    target: Optional[str] = typer.Option(None, "--target", help="Class to explain (default: the class the bundle decides)."),
    out: Optional[Path] = typer.Option(None, "--out", "--output", "-o", help="Folder for the overlays, HTML pages, NIfTI maps of volumes (on the input's grid, to open over it in a viewer) and explanations.json (default ./explanations); with --evaluate, for the faithfulness report (default BUNDLE/explanations/)."),
    data: Optional[str] = typer.Option(None, "--data", "-d", help="With --evaluate: the source whose split is sampled."),
    evaluate: bool = typer.Option(False, "--evaluate", help="Measure faithfulness (deletion/insertion AUC, randomisation check) over --data."),
    split: str = typer.Option("test", "--split", help="With --evaluate: the split to sample."),
    n: int = typer.Option(50, "--n", min=1, help="With --evaluate: inputs sampled."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="With --evaluate: seed of the sample and of the randomisation check."),
    window: Optional[int] = typer.Option(None, "--window", help="Occlusion of images: side of the occluding cube in model-input pixels/voxels (1 to the smallest side; default ~1/8 of the side in 2D, ~1/3 in 3D). Smaller is finer and slower."),
    stride: Optional[int] = typer.Option(None, "--stride", help="Occlusion of images: step of the window (1 to the window's side; default half the window)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace files of the same names already in --out (an earlier run's) and remove that run's other explanation files (those its explanations.json lists); without it they are kept and explain refuses."),
) -> None:
    """Explain predictions with attribution maps, or measure how faithful each method is."""
    methods = method or (["all"] if evaluate else ["auto"])
    if evaluate and not data:
        raise typer.BadParameter("--evaluate needs --data SOURCE", param_hint="--data")
    from meddx.explain.api import (as_predictor, explain as run, image_items, methods_for, occlusion_notice,
                                   series_inputs, write_explanations)

    predictor = as_predictor(bundle)
    if overwrite and evaluate and out is None:  # a flag that changed nothing would look like it had
        from meddx.core.errors import ConfigError

        raise ConfigError("--overwrite: replaces the report in --out DIR; without --out, --evaluate writes its "
                          "report into the bundle (BUNDLE/explanations/), where a new run replaces it")
    options = _occlusion_options(predictor, methods, window, stride)
    if evaluate:
        from meddx.explain.evaluate import evaluate_explanations

        report, path = evaluate_explanations(predictor, data, split=split, methods=methods, n=n, seed=seed,
                                             options=options, folder=out, overwrite=overwrite)
        _print_faithfulness(report, path, as_json)
        return
    if predictor.config.get("modality") == "text":
        from meddx.cli.predict_text import bundle_encoding, bundle_text_column, read_documents

        file_docs, file_names = read_documents(list(inputs or []), bundle_text_column(predictor),
                                               encoding=bundle_encoding(predictor), bundle=predictor.name)
        items: list = [*(text or []), *file_docs]
        names = [*(f"text{i + 1}" for i in range(len(text or []))), *file_names]  # as predict names them
    else:
        if text:
            from meddx.cli.predict_text import refuse_text

            refuse_text(predictor)
        items, names = list(inputs or []), None
        if predictor.config.get("modality") is None:  # images: a folder becomes its files, walked once here
            methods_for(predictor)  # a segmentation bundle is refused before its inputs are read
            items = image_items(predictor, items)
        elif predictor.config.get("modality") == "series":  # stays read once, here: their ids name the files
            items = series_inputs(predictor, items)
    if not items:
        raise typer.BadParameter("give inputs to explain (files, or --text for a text bundle), or --evaluate --data",
                                 param_hint="INPUTS")
    out = Path("explanations") if out is None else out
    stale = _refuse_taken(predictor, items, names, methods, out, overwrite)  # before the minutes of work
    created = not out.exists()
    _check_out(out)  # before the attributions are computed, which can take minutes
    try:
        notice = occlusion_notice(predictor, methods, window, stride)  # a volume can take minutes: say how long
        if notice:
            streams.notice(notice)
        explanations = run(predictor, items, methods, target=target, names=names, **options)
        files = write_explanations(predictor, explanations, items, out, overwrite=overwrite)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # made above for nothing: a failed run leaves no empty folder behind
        raise
    if as_json:
        for e in explanations:
            typer.echo(json.dumps(e.to_dict()))
    else:
        for e in explanations:
            typer.echo(f"{e.source}  {e.method}: {e.target} (p={e.probability:.3f})  {e.seconds * 1000:.1f} ms")
        typer.echo(written_line(len(files), out))
    if stale:  # with --json on stderr, so that stdout stays JSON lines
        from meddx.explain.outputs import removed_line

        typer.echo(removed_line(stale, out), err=as_json)
    _warn_atypical(explanations)


def _warn_atypical(explanations: list) -> None:
    """On stderr, as ``meddx predict`` prints it, the ``warning: ... unlike the images bundle ...
    was trained on`` line of each image unlike the training images: a heatmap of a prediction that is
    unreliable for its input must not look like any other (a CT slice given to a chest X-ray model).
    Image classifiers with a typicality record only. Once per image, whatever the number of methods;
    judged on the explanation's own prediction pass (``Explanation.typicality_warning``), not another."""
    said: set[str] = set()
    for e in explanations:
        if e.typicality_warning and e.source not in said:
            said.add(e.source)
            streams.warning(e.typicality_warning)


def _occlusion_options(predictor, methods: list[str], window: Optional[int],  # type: ignore[no-untyped-def]
                       stride: Optional[int]) -> dict:
    """``--window`` / ``--stride`` as the API's options, checked before any work: only for image
    bundles, only with occlusion among the methods (else they would be silently ignored), and
    within the model input (1 to its smallest side; the stride 1 to the window)."""
    from meddx.core.errors import ConfigError
    from meddx.explain.api import occlusion_notice, resolve_methods

    given = [f"{flag} {v}" for flag, v in (("--window", window), ("--stride", stride)) if v is not None]
    if not given:
        return {}
    if predictor.config.get("modality") not in (None, "image"):
        raise ConfigError(f"{given[0]}: sets the occlusion window of image bundles; bundle {predictor.name!r} "
                          f"explains {predictor.config.get('modality')} inputs")
    if "occlusion" not in resolve_methods(predictor, methods):
        raise ConfigError(f"{given[0]}: applies to occlusion only; add -m occlusion (methods asked: {', '.join(methods)})")
    occlusion_notice(predictor, ["occlusion"], window, stride)  # raises a one-line error naming the flag and range
    return {k: v for k, v in (("window", window), ("stride", stride)) if v is not None}


def _print_faithfulness(report: dict, path: Path, as_json: bool) -> None:
    """The table (or its JSON) and where the report is on stdout, and each warning (``warning: ...``)
    on stderr."""
    if as_json:
        typer.echo(json.dumps(report["table"], indent=2))
        streams.warnings(report.get("warnings"))
        return
    from rich.table import Table

    from meddx.cli.train import wide_console

    # Folded, never cut with an ellipsis (as `registry list`): an 80-column terminal, or a pipe, showed
    # "integr…" for the name `-m` takes; piped, the table is 200 columns wide and every cell whole.
    table = Table(title=f"faithfulness on {report['n']} inputs of {report['split']}")
    for column in ("method", "deletion AUC (lower better)", "random", "insertion AUC (higher better)", "random",
                   "pointing game", "randomisation check", "ms/input"):
        table.add_column(column, overflow="fold")
    for row in report["table"]:
        sanity = {True: "passed", False: "FAILED", None: "-"}[row["randomisation_passed"]]
        pointing = "-" if row["pointing_game"] is None else f"{row['pointing_game']:.2f}"
        table.add_row(row["method"], f"{row['deletion_auc']:.3f}", f"{row['random_deletion_auc']:.3f}",
                      f"{row['insertion_auc']:.3f}", f"{row['random_insertion_auc']:.3f}", pointing, sanity,
                      f"{row['milliseconds']:.1f}")
    wide_console().print(table)
    streams.warnings(report.get("warnings"))  # on stderr, as with --json: stdout stays the table and the path
    typer.echo(f"faithfulness: {path}")


def _refuse_taken(predictor, items: list, names: Optional[list[str]],  # type: ignore[no-untyped-def]
                  methods: list[str], out: Path, overwrite: bool) -> list[Path]:
    """Refuse, before any attribution is computed, when a file this run will write into ``out``
    (``0001-<input>-<method>.png|html``, ``explanations.json``) is already there. With ``overwrite``:
    the earlier run's files this run will not write again, which ``write_explanations`` removes."""
    from meddx.explain.api import resolve_methods
    from meddx.explain.outputs import plan_run, planned_files

    resolved = resolve_methods(predictor, methods)
    sources = names if names is not None else [getattr(x, "id", None) or str(x) for x in items]
    return plan_run(out, planned_files(predictor, [(s, resolved) for s in sources], out), "--out", overwrite)


def _check_out(out: Path) -> None:
    """Create the ``--out`` folder now: a file there, or a place that cannot hold a folder, is a
    one-line error before any work rather than a traceback after it."""
    from meddx.core.errors import ConfigError

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; expected a folder for the explanations (the file is kept)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot create the folder ({exc.strerror or exc}); expected a writable "
                          "place") from None


def written_line(count: int, out: Path) -> str:
    """``written: 1 file in OUT`` / ``written: 3 files in OUT`` (it said "1 files")."""
    return f"written: {count} file{'' if count == 1 else 's'} in {out}"
