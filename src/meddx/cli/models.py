"""``meddx models``: the registered architectures."""

from __future__ import annotations

import typer


_GLOB_CHARS = frozenset("*?[")


def model_filter(pattern: str) -> str:
    """The shell-style pattern ``meddx models PATTERN`` matches names with.

    A plain word (no ``*``, ``?`` or ``[``) matches names containing it, ignoring case, so
    ``meddx models resnet`` lists every ResNet; a pattern with wildcards is used as typed."""
    if _GLOB_CHARS.intersection(pattern):
        return pattern
    return f"*{pattern.lower()}*"


def models(pattern: str = typer.Argument(
        "*", help="Filter: a word matches the names containing it ('resnet'); wildcards match "
                  "whole names ('resnet*-3d').")) -> None:
    """List the registered model architectures, the input each reads and the dimensions it supports."""
    # Read from a static table (meddx.models.catalog), so listing imports no model family.
    from rich.console import Console
    from rich.table import Table

    from meddx.models.catalog import catalog_info, catalog_names

    # `meddx models list`, as `meddx registry list` is spelt, lists all (no model is named "list")
    names = catalog_names(model_filter(pattern)) or (catalog_names() if pattern.strip().lower() == "list" else [])
    if not names:
        from meddx.core.errors import ModelError

        raise ModelError(f"no registered model matches {pattern!r}; `meddx models` lists all "
                         f"({', '.join(catalog_names())})")
    table = Table("name", "input", "description")
    for name in names:
        info = catalog_info(name)
        kind = info.get("input", "image")
        named = {"text": "documents", "series": "time series", "features": "table rows / aggregates"}
        dims = named.get(kind) or ",".join(f"{d}D" for d in info.get("dims", ())) + f" {kind}s"
        if info.get("output") == "segmentation":
            dims += " (masks)"
        table.add_row(name, dims, info.get("description", ""))
    Console().print(table)
