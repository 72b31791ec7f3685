"""``meddx audit``: privacy audits of a trained bundle (``meddx audit membership``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from meddx.core import SEED_MAX

app = typer.Typer(help="Privacy audits of a trained bundle (membership inference).", no_args_is_help=True)


@app.command("membership")
def membership(
    bundle: str = typer.Argument(..., help="Bundle folder or registry NAME[:VERSION]."),
    data: Optional[str] = typer.Option(None, "--data", "-d", help="Source whose splits --train/--holdout name (default: the bundle's training data, validation carved as in training)."),
    train: str = typer.Option("train", "--train", help="Members: a split (train), SOURCE@SPLIT, or a whole SOURCE."),
    holdout: str = typer.Option("test", "--holdout", help="Non-members: a split (test, val), SOURCE@SPLIT, or a whole SOURCE."),
    n: Optional[int] = typer.Option(None, "--n", min=2, help="Samples per side (default: all the label-balanced draw allows); drawn with --seed."),
    seed: int = typer.Option(0, "--seed", min=0, max=SEED_MAX, help="Seed of the draw and of the bootstrap."),
    resamples: int = typer.Option(1000, "--resamples", min=0, help="Bootstrap resamples for the AUC interval (0: none)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    out: Optional[Path] = typer.Option(None, "--out", "--output", "-o", help="Folder for membership.json (default: BUNDLE/privacy/)."),
) -> None:
    """Loss-threshold membership-inference attack: attack AUC (95% CI), TPR at FPR 0.1% and 1%, advantage."""
    from meddx.privacy.audit import membership_audit, write_membership

    _check_side(train, "--train")
    _check_side(holdout, "--holdout")
    result = membership_audit(bundle, data=data, train=train, holdout=holdout, n=n, seed=seed, n_resamples=resamples)
    path = write_membership(result, out)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_table(result, path)


def _check_side(value: str, flag: str) -> None:
    """A --train/--holdout value that is no split name, no SOURCE@SPLIT and no existing source (a
    typo such as 'tset') is refused naming the flag; the source loader would only say 'no such file'."""
    from meddx.data.base import SPLITS

    if value in SPLITS or "@" in value or ":" in value or Path(value).exists():
        return
    raise typer.BadParameter(f"{value!r} is neither a split ({', '.join(SPLITS)}) nor SOURCE@SPLIT nor an "
                             "existing source", param_hint=flag)


def _print_table(result: dict, path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    auc = result["auc"]
    ci = auc.get("ci") or [None, None]
    bound = result.get("dp_bound")
    table = Table("measure", "attack", *(["DP bound"] if bound else []), title="Membership inference (loss threshold)")
    interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if None not in ci else ""
    table.add_row("AUC", f"{auc['estimate']:.3f}{interval}", *(["-"] if bound else []))
    for fpr, tpr in result["tpr_at_fpr"].items():
        table.add_row(f"TPR at FPR {float(fpr):.1%}", f"{tpr:.4f}",
                      *([f"{bound['tpr_at_fpr'][fpr]:.4f}"] if bound else []))
    table.add_row("advantage (max TPR-FPR)", f"{result['advantage']:.3f}", *([f"{bound['advantage']:.3f}"] if bound else []))
    console = Console()
    console.print(table)
    privacy = result.get("privacy")
    console.print(f"members: {result['members']['data']}  non-members: {result['nonmembers']['data']}  "
                  f"n = {result['n_per_side']} per side")
    console.print("model: " + (f"DP-SGD, epsilon {privacy['epsilon']:.3f} at delta {privacy['delta']:g}" if privacy
                               else "trained without differential privacy"))
    from meddx.cli.streams import notes

    notes(result.get("notes"))  # on stderr: stdout stays the table and the path written
    console.print(f"written: {path}")
