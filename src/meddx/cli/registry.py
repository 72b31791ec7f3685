"""``meddx registry``: the bundles indexed under the data root."""

from __future__ import annotations

import json
import time

import typer

app = typer.Typer(help="List and inspect registered bundles.", no_args_is_help=True)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """All registered bundles, newest version first."""
    from rich.console import Console
    from rich.table import Table

    from meddx.registry.store import list_bundles

    records = list_bundles()
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return
    table = Table("name", "version", "task", "model", "metrics", "created", "path")
    for r in records:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r.metrics.items())
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
        table.add_row(r.name, str(r.version), r.task, r.model, metrics, created, r.path)
    Console().print(table if records else "no bundles registered yet (train one with `meddx train` or `meddx demo`)")


@app.command("show")
def show(ref: str = typer.Argument(..., help="NAME (latest version) or NAME:VERSION.")) -> None:
    """One bundle: its registry record, config and metrics headline."""
    from meddx.bundle.bundle import read_bundle_config
    from meddx.registry.store import get_bundle

    record = get_bundle(ref)
    config = read_bundle_config(record.path)
    typer.echo(json.dumps({"record": record.to_dict(), "config": config}, indent=2))
