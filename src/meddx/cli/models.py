"""``meddx models``: the registered architectures."""

from __future__ import annotations

import typer


def models(pattern: str = typer.Argument("*", help="Shell-style filter, e.g. 'resnet*'.")) -> None:
    """List the registered model architectures and the spatial dimensions they support."""
    from rich.console import Console
    from rich.table import Table

    from meddx.models.registry import list_models, model_info

    table = Table("name", "dims", "description")
    for name in list_models(pattern):
        info = model_info(name)
        table.add_row(name, ",".join(f"{d}D" for d in info.get("dims", ())), info.get("description", ""))
    Console().print(table)
