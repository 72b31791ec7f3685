"""The ``meddx`` command: one Typer app; each command group lives in its own module.

Errors a user can fix (``MeddxError``) print one line and exit 2; ``--debug`` shows the
traceback instead. Heavy libraries are imported inside the commands so ``meddx --help``
stays fast.
"""

from __future__ import annotations

import sys

import typer

from meddx.cli import data, deid, demo, evaluate, explain, keys, models, registry, serve, train
from meddx.cli import federated  # Typer group; Flower is imported only inside its commands
from meddx.cli import audit  # privacy audits (membership inference)

app = typer.Typer(
    name="meddx",
    help="Medical data to evaluated, explained, servable diagnostic models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(registry.app, name="registry")
app.add_typer(audit.app, name="audit")
app.add_typer(federated.app, name="federated")
app.add_typer(keys.app, name="keys")
app.command("train")(train.train)
app.command("evaluate")(evaluate.evaluate)
app.command("compare")(evaluate.compare)
app.command("cv")(evaluate.cv)
app.command("predict")(train.predict)
app.command("explain")(explain.explain)
app.command("models")(models.models)
app.command("demo")(demo.demo)
app.command("deid")(deid.deid)
app.command("serve")(serve.serve)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
) -> None:
    """Medical data to evaluated, explained, servable diagnostic models."""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    from meddx.core.errors import MeddxError

    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="meddx")
    except MeddxError as exc:
        if "--debug" in args:
            raise
        # One line whatever a library put into the message (a wrapped parser error spans several).
        message = " | ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        typer.echo(f"meddx: error: {message}", err=True)
        sys.exit(exc.exit_code)
    except (FileExistsError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        if "--debug" in args or not exc.filename:
            raise
        # A destination that is a file where a folder is needed (or the reverse), not writable, or
        # under a folder that cannot exist (/proc/x): the user's path, not a bug, so one line naming it.
        typer.echo(f"meddx: error: {exc.filename}: {(exc.strerror or type(exc).__name__).lower()}; choose another "
                   "path (a folder where one is expected, a file path otherwise)", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("meddx: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
