"""``meddx registry``: the bundles indexed under the data root, and the training runs (``runs``, ``run``)."""

from __future__ import annotations

import json
import time
from typing import Optional

import typer

app = typer.Typer(help="List, inspect, add, promote, roll back and remove registered bundles; list training runs.",
                  no_args_is_help=True)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """All registered bundles, newest version first; a version whose folder is gone is marked."""
    from pathlib import Path

    from rich.table import Table

    from meddx.registry.store import list_bundles, stages

    records = list_bundles()
    present = {(r.name, r.version): Path(r.path).is_dir() for r in records}
    replaced = {(r.name, r.version) for r in records if present[r.name, r.version] and _replaced(r)}
    if as_json:
        typer.echo(json.dumps([{**_record(r), "folder_exists": present[r.name, r.version],
                                "folder_replaced": (r.name, r.version) in replaced} for r in records], indent=2))
        return
    staged: dict[tuple[str, int], list[str]] = {}
    for (name, stage), version in stages().items():
        staged.setdefault((name, version), []).append(stage)
    # Folded, never cut with an ellipsis: the name and path are what a user copies from here, and
    # an 80-column terminal would otherwise show "demo-l…". Piped (no terminal), lines stay whole.
    table = Table()
    for column in ("name", "version", "stage", "task", "model", "metrics", "created", "path"):
        table.add_column(column, overflow="fold")
    for r in records:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in r.metrics.items())
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
        stage = ", ".join(sorted(staged.get((r.name, r.version), [])))
        path = r.path if present[r.name, r.version] else f"{r.path} (missing)"
        path += " (now holds another bundle)" if (r.name, r.version) in replaced else ""
        table.add_row(r.name, str(r.version), stage, r.task, r.model, metrics, created, path)
    from meddx.cli.train import wide_console

    console = wide_console()
    console.print(table if records else "no bundles registered yet (train one with `meddx train` or `meddx demo`)")
    for r in records:
        if not present[r.name, r.version] or (r.name, r.version) in replaced:
            gone = "folder missing" if not present[r.name, r.version] else "its folder now holds another bundle"
            console.print(f"{r.name} v{r.version}: {gone}; remove the entry with "
                          f"`meddx registry remove {r.name} --version {r.version}`", soft_wrap=True, markup=False)


def _replaced(record: object) -> bool:
    """Whether the record's folder now holds another bundle than the one registered (``registry.same_bundle``)."""
    from meddx.registry.same_bundle import ReplacedEntryError, check_same_bundle

    try:
        check_same_bundle(record)
    except ReplacedEntryError:
        return True
    return False


@app.command("show")
def show(ref: str = typer.Argument(..., help="NAME (its production version, else the latest), NAME:VERSION or "
                                           "a registered bundle's folder.")) -> None:
    """One bundle: its registry record, config and metrics headline."""
    from pathlib import Path

    from meddx.bundle.bundle import read_bundle_config
    from meddx.registry.store import _is_plain_name, get_bundle, list_bundles, stages

    folder = Path(ref)  # a registered bundle's folder, as `predict` accepts it
    records = list_bundles()
    bundle_folder = bool(ref.strip()) and (folder / "config.json").is_file()
    by_path = [r for r in records if bundle_folder and Path(r.path).resolve() == folder.resolve()]
    named = _is_plain_name(ref) and ref.partition(":")[0] in {r.name for r in records}  # a bare name is the registry's
    if bundle_folder and not by_path and not named:
        from meddx.core.errors import BundleError
        from meddx.core.paths import registry_db

        # "no registered bundle ...; or pass a bundle folder path" when a bundle folder path was passed
        raise BundleError(f"{ref}: a bundle folder that is not registered in {registry_db()}; register it with "
                          f"`meddx registry add {ref}`, or read its {folder / 'config.json'}")
    record = by_path[0] if by_path else get_bundle(ref)
    config = read_bundle_config(record.path)
    staged = sorted(stage for (name, stage), v in stages().items() if name == record.name and v == record.version)
    typer.echo(json.dumps({"record": _record(record), "stages": staged, "config": config}, indent=2))


def _record(record: object) -> dict:
    """A registry record as JSON, with ``created_utc`` (``2026-11-24T20:59:34Z``) beside ``created``:
    the raw seconds since 1970 (``1795553974.845``) were all ``--json`` and ``show`` gave a reader."""
    out = record.to_dict()  # type: ignore[attr-defined]
    out["created_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(out["created"]))
    return out


@app.command("promote")
def promote_cmd(
    name: str = typer.Argument(..., help="Registered bundle name, or NAME:VERSION."),
    version: int | None = typer.Argument(None, help="Version to promote (see `meddx registry list`)."),
    stage: str = typer.Option("production", "--stage", help="Stage alias to move."),
) -> None:
    """Make NAME:VERSION the one a stage serves; `meddx serve` picks it up within seconds."""
    from meddx.registry.store import promote

    name, version = _name_version(name, version, "NAME VERSION")
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


@app.command("add")
def add_cmd(
    path: str = typer.Argument(..., help="A bundle folder: saved with --output or add_to_registry: false, copied "
                                         "from another machine, or left unregistered by a run."),
    name: Optional[str] = typer.Option(None, "--name", help="File it under this name (e.g. pneumonia-siteB) "
                                       "instead of the one its config.json gives; the folder is not changed."),
) -> None:
    """Register a bundle folder at its name's next version, after checking it loads; a folder already
    registered is named, not added twice (nor under a second name)."""
    from meddx.registry.adding import add_bundle

    record, added = add_bundle(path, name=name)
    own = f"; its config.json names it {record.config_name!r}" if record.config_name else ""
    if added:
        typer.echo(f"registered as {record.name}:{record.version} ({record.path}{own})")
    else:
        typer.echo(f"{record.path} is already registered as {record.name}:{record.version}")


@app.command("remove")
def remove_cmd(
    name: str = typer.Argument(..., help="Registered bundle name, or NAME:VERSION."),
    version: int | None = typer.Option(None, "--version", help="Version to remove (see `meddx registry list`)."),
) -> None:
    """Remove NAME:VERSION from the registry (e.g. its folder was deleted by hand); never deletes a folder.

    A stage that served this version falls back to the one promoted before it, else to none.
    """
    from pathlib import Path

    from meddx.registry.store import remove_bundle

    name, version = _name_version(name, version, "NAME --version N")
    before = _current(name, "production")
    record = remove_bundle(name, version)
    folder = "folder kept, delete it yourself if unwanted" if Path(record.path).is_dir() else "folder already gone"
    typer.echo(f"removed {name} v{record.version} from the registry ({record.path}: {folder})")
    if before == record.version:
        now = _current(name, "production")
        typer.echo(f"{name} production: {'v' + str(now) if now else 'none (the latest version is served)'}")


def _current(name: str, stage: str) -> int | None:
    from meddx.registry.store import stage_version

    return stage_version(name, stage)


def _name_version(name: str, version: int | None, usage: str) -> tuple[str, int]:
    """``NAME VERSION`` or ``NAME:VERSION``, as `predict` and `show` take it: `promote lesions:3` used to
    fail with "Missing argument 'VERSION'" although the command's own help says NAME:VERSION."""
    from meddx.core.errors import MeddxError

    base, sep, tail = name.rpartition(":")
    if sep and base and tail.isdigit():
        if version is not None and version != int(tail):
            raise MeddxError(f"{name!r} and version {version} name two versions; give one")
        return base, int(tail)
    if version is None:
        raise MeddxError(f"no version for {name!r}: give NAME:VERSION or {usage} (see `meddx registry list`)")
    return name, version


@app.command("runs")
def runs_cmd(
    status: Optional[str] = typer.Option(None, "--status", help="Only runs with this status: running, finished, "
                                         "interrupted, failed, crashed or missing."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many runs (the newest)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Training runs, newest first: status, data, model, headline validation metric, time, bundle.

    Run folders made before runs were recorded are added from their files; a run whose folder was
    deleted shows as missing, and one whose process died without recording its end as crashed.
    """
    from rich.table import Table

    from meddx.registry.runs import list_runs

    records = list_runs(status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return
    table = Table()
    for column in ("id", "run", "status", "kind", "task", "model", "data", "val metric", "bundle", "started", "took"):
        table.add_column(column, overflow="fold")
    for r in records:
        metric = f"{r.headline[0][4:]} {r.headline[1]:.3f}" if r.headline else ""
        table.add_row(str(r.id), r.folder, r.status, r.kind or "", r.task or "", r.model or "", r.data or "", metric,
                      r.bundle or "", time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)),
                      _took(r.seconds))
    from meddx.cli.train import wide_console

    empty = f"no runs with status {status}" if status else "no training runs yet (train one with `meddx train`)"
    wide_console().print(table if records else empty)


@app.command("run")
def run_cmd(
    ref: str = typer.Argument(..., help="Run id (see `meddx registry runs`), run folder name or folder path."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
) -> None:
    """One training run: folder, settings, status, metrics, bundle, and the command that resumes it."""
    from pathlib import Path

    from meddx.registry.run_folders import config_summary
    from meddx.registry.runs import get_run

    record = get_run(ref)
    settings = config_summary(Path(record.path))
    if as_json:
        typer.echo(json.dumps({**record.to_dict(), "settings": settings}, indent=2))
        return
    how = "; ".join(x for x in (record.error, record.note) if x)
    lines = [f"run {record.id}: {record.folder}",
             f"folder: {record.path}" + ("" if Path(record.path).is_dir() else " (missing)"),
             f"status: {record.status}" + (f" ({how})" if how else ""),
             "what: " + ", ".join(f"{k} {v}" for k, v in (("kind", record.kind), ("task", record.task),
                                                          ("model", record.model), ("data", record.data),
                                                          ("seed", record.seed)) if v is not None),
             "settings: " + (", ".join(f"{k} {v}" for k, v in settings.items()) or "(no plan.json or config.json)"),
             f"started: {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(record.started))}"
             + (f", took {_took(record.seconds)}" if record.seconds is not None else "")
             + (f" over {record.resumes + 1} sessions" if record.resumes else ""),
             "metrics: " + (", ".join(f"{k} {v:.3f}" for k, v in record.metrics.items()
                                      if isinstance(v, (int, float))) or "(none)"),
             f"bundle: {record.bundle or '(none)'}"]
    if record.resume_command:
        lines.append(f"resume with: {record.resume_command}")
    for line in lines:
        typer.echo(line)


def _took(seconds: float | None) -> str:
    """``42s``, ``3m 05s``, ``2h 07m``; empty when unknown (a run still going)."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s}s" if s < 60 else f"{s // 60}m {s % 60:02d}s" if s < 3600 else f"{s // 3600}h {s % 3600 // 60:02d}m"
