"""``meddx data``: look at a source (``info``) and check it for leakage (``verify``).

Both commands read the source as it is on disk (no validation split is carved), so what they
show is the data's own split. Heavy imports (numpy, PIL, pandas, rich tables) happen inside the
commands so ``import meddx.cli.data`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    help="Inspect a data source (info) and check it for duplicates and leakage (verify).",
    no_args_is_help=True,
)

SOURCE_HELP = "Folder of class sub-folders, CSV manifest, MedMNIST .npz or medmnist:NAME."


@app.command()
def info(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    max_decode: int = typer.Option(200, "--max-decode", min=1, help="Files decoded per split for shapes/intensities."),
) -> None:
    """Counts per split and class, image shapes, channels and intensity range."""
    from meddx.data.info import source_info
    from meddx.data.sources import load_source

    result = source_info(load_source(source, carve_val=False), max_decode=max_decode)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_info(result)


@app.command()
def verify(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    report: Path = typer.Option(Path("verify-report.json"), "--report", help="Where to write the JSON report."),
    near: bool = typer.Option(True, "--near/--no-near", help="Search near duplicates (perceptual hash)."),
    max_distance: Optional[int] = typer.Option(
        None, "--max-distance", min=0, help="Hash bits that may differ for a near duplicate (default 2 per 64)."
    ),
    clean_manifest: Optional[Path] = typer.Option(
        None, "--clean-manifest", help="Also write a CSV manifest without val/test samples that leak from train."
    ),
) -> None:
    """Undecodable files, exact and near duplicates, label conflicts, patient overlap.

    Exits with code 1 when content or a patient is shared between splits (leakage).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    src = load_source(source, carve_val=False)
    console = Console(stderr=True)
    with Progress("verifying", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("verify", total=sum(len(d) for d in src.splits.values()))
        result = verify_source(src, near_duplicates=near, max_distance=max_distance,
                               progress=lambda done, total: bar.update(task, completed=done))
    from meddx.core.files import write_json_atomic

    write_json_atomic(report, result.to_dict())
    _print_verify(result.to_dict(), report)
    if clean_manifest is not None:
        from meddx.data.dedupe import write_clean_manifest

        cleaned = write_clean_manifest(src, result.to_dict(), clean_manifest)
        removed = ", ".join(f"{len(v)} from {k}" for k, v in cleaned.removed.items()) or "nothing"
        console.print(f"clean manifest: {cleaned.manifest} (removed {removed}; kept {cleaned.kept})")
    if result.has_leakage:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------- printing
def _print_info(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{result['name']}[/bold] ({result['origin']}): {result['task']}, "
        f"{result['spatial_dims']}D, {result['num_classes']} classes, {result['total']} samples"
    )
    splits = result["splits"]
    counts = Table("class", *splits, title="samples per split and class"
                   + (" (positives per label)" if result["task"] == "multilabel" else ""))
    for name in result["label_names"]:
        counts.add_row(name, *(str(s["class_counts"].get(name, 0)) for s in splits.values()))
    counts.add_row("[bold]total[/bold]", *(f"[bold]{s['count']}[/bold]" for s in splits.values()))
    console.print(counts)
    images = Table("split", "decoded", "shapes (count)", "channels", "dtype", "min", "max", "mean",
                   title="images")
    for split, s in splits.items():
        shapes = ", ".join(f"{'x'.join(map(str, x['shape']))} ({x['count']})" for x in s["shapes"][:2])
        if len(s["shapes"]) > 2:
            shapes += f", +{len(s['shapes']) - 2} more"
        inten = s["intensity"] or {}
        decoded = f"{s['decoded']}/{s['count']}"
        images.add_row(split, decoded, shapes, ",".join(map(str, s["channels"])), ",".join(s["dtypes"]),
                       *(f"{inten[k]:.4g}" if k in inten else "-" for k in ("min", "max", "mean")))
    console.print(images)
    if any(s["sampled"] for s in splits.values()):
        console.print("shapes and intensities come from an evenly spread sample of the files (see 'decoded')")
    for split, s in splits.items():
        for bad in s.get("undecodable", [])[:5]:
            console.print(f"[red]undecodable[/red] {split}: {bad['reason']}")
    for note in result["notes"]:
        console.print(f"note: {note}")


def _print_verify(report: dict, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    s = report["summary"]
    table = Table("check", "result", title=f"verify {report['source']['name']} ({s['samples']} samples, {s['seconds']} s)")
    table.add_row("undecodable files", str(s["undecodable"]))
    table.add_row("exact duplicate groups (within / across splits)",
                  f"{s['exact_duplicate_groups']} ({s['exact_duplicate_groups_within_split']} / "
                  f"{s['exact_duplicate_groups_cross_split']})")
    table.add_row("samples with an exact copy in another split", _per_split(s["exact_cross_split_samples"]))
    table.add_row("near duplicate groups (across splits)",
                  f"{s['near_duplicate_groups']} ({s['near_duplicate_groups_cross_split']})"
                  if report["settings"]["near_duplicates"] else "skipped")
    table.add_row("samples with a near copy in another split", _per_split(s["near_cross_split_samples"]))
    table.add_row("samples with any copy in another split", _per_split(s["any_cross_split_samples"]))
    table.add_row("duplicate groups with conflicting labels", str(s["conflicting_label_groups"]))
    table.add_row("patients in more than one split", str(s["patients_across_splits"]))
    console.print(table)
    for bad in report["undecodable"][:5]:
        console.print(f"[red]undecodable[/red] {bad['reason']}")
    cross = [g for g in report["exact_duplicates"] + report["near_duplicates"] if g["cross_split"]]
    for g in cross[:5]:
        console.print("[yellow]shared across splits:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']} ({m['label']})" for m in g["members"][:4]) + (" ..." if g["size"] > 4 else ""))
    if report["summary"]["has_leakage"]:
        console.print("[bold red]leakage:[/bold red] the same content or patient appears in more than one split; "
                      "deduplicate before trusting test metrics")
    else:
        console.print("[green]no cross-split duplicates or shared patients found[/green]")
    console.print(f"report: {path}")


def _per_split(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "0"
