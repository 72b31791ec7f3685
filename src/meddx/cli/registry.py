"""``meddx registry``: the bundles indexed under the data root."""

from __future__ import annotations

import json
import time

import typer

app = typer.Typer(help="List, inspect, promote and roll back registered bundles.", no_args_is_help=True)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """All registered bundles, newest version first."""
    from rich.console import Console
    from rich.table import Table

    from meddx.registry.store import list_bundles

    from meddx.registry.store import stages

    records = list_bundles()
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return
    staged: dict[tuple[str, int], list[str]] = {}
    for (name, stage), version in stages().items():
        staged.setdefault((name, version), []).append(stage)
    table = Table("name", "version", "stage", "task", "model", "metrics", "created", "path")
    for r in records:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r.metrics.items())
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
        stage = ", ".join(sorted(staged.get((r.name, r.version), [])))
        table.add_row(r.name, str(r.version), stage, r.task, r.model, metrics, created, r.path)
    Console().print(table if records else "no bundles registered yet (train one with `meddx train` or `meddx demo`)")


@app.command("show")
def show(ref: str = typer.Argument(..., help="NAME (its production version, else the latest) or NAME:VERSION.")) -> None:
    """One bundle: its registry record, config and metrics headline."""
    from meddx.bundle.bundle import read_bundle_config
    from meddx.registry.store import get_bundle

    from pathlib import Path

    from meddx.registry.store import list_bundles

    folder = Path(ref)  # a registered bundle's folder, as `predict` accepts it
    by_path = [r for r in list_bundles() if ref.strip() and (folder / "config.json").is_file()
               and Path(r.path).resolve() == folder.resolve()]
    record = by_path[0] if by_path else get_bundle(ref)
    config = read_bundle_config(record.path)
    from meddx.registry.store import stages

    staged = sorted(stage for (name, stage), v in stages().items() if name == record.name and v == record.version)
    typer.echo(json.dumps({"record": record.to_dict(), "stages": staged, "config": config}, indent=2))


@app.command("promote")
def promote_cmd(
    name: str = typer.Argument(..., help="Registered bundle name."),
    version: int = typer.Argument(..., help="Version to promote (see `meddx registry list`)."),
    stage: str = typer.Option("production", "--stage", help="Stage alias to move."),
) -> None:
    """Make NAME:VERSION the one a stage serves; `meddx serve` picks it up within seconds."""
    from meddx.registry.store import promote

    before = _current(name, stage)
    now = promote(name, version, stage)
    change = "unchanged" if before == now else f"was {'v' + str(before) if before else 'none'}"
    typer.echo(f"{name} {stage}: v{now} ({change})")


@app.command("rollback")
def rollback_cmd(
    name: str = typer.Argument(..., help="Registered bundle name."),
    stage: str = typer.Option("production", "--stage", help="Stage alias to move back."),
) -> None:
    """Return a stage to the version promoted before the current one (history is kept)."""
    from meddx.registry.store import rollback

    before = _current(name, stage)
    now = rollback(name, stage)
    typer.echo(f"{name} {stage}: v{now} (rolled back from v{before})")


def _current(name: str, stage: str) -> int | None:
    from meddx.registry.store import stage_version

    return stage_version(name, stage)
