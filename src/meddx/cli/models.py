"""``meddx models``: the registered architectures."""

from __future__ import annotations

import typer


def models(pattern: str = typer.Argument("*", help="Shell-style filter, e.g. 'resnet*'.")) -> None:
    """List the registered model architectures, the input each reads and the dimensions it supports."""
    from rich.console import Console
    from rich.table import Table

    from meddx.models.registry import list_models, model_info

    names = list_models(pattern)
    if not names:
        from meddx.core.errors import ModelError

        raise ModelError(f"no registered model matches {pattern!r}; `meddx models` lists all "
                         f"({', '.join(list_models())})")
    table = Table("name", "input", "description")
    for name in names:
        info = model_info(name)
        kind = info.get("input", "image")
        named = {"text": "documents", "series": "time series", "features": "table rows / aggregates"}
        dims = named.get(kind) or ",".join(f"{d}D" for d in info.get("dims", ())) + f" {kind}s"
        if info.get("output") == "segmentation":
            dims += " (masks)"
        table.add_row(name, dims, info.get("description", ""))
    Console().print(table)
