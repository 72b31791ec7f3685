"""The ``meddx`` command: one Typer app; each command group lives in its own module.

Errors a user can fix (``MeddxError``) print one line and exit 2; ``--debug`` shows the
traceback instead. Heavy libraries are imported inside the commands so ``meddx --help``
stays fast.
"""

from __future__ import annotations

import sys

import click  # typer imports it anyway
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
        _run(args)
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
    except ModuleNotFoundError as exc:
        # An optional package a command imports lazily (serve: fastapi/uvicorn, explain: captum, ...):
        # name the extra to install, on one line. Any other missing module stays a traceback.
        from meddx.core.extras import missing_extra

        error = missing_extra(exc)
        if error is None or "--debug" in args:
            raise
        typer.echo(f"meddx: error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.echo("meddx: interrupted", err=True)
        sys.exit(130)


def _run(args: list[str]) -> None:
    """Run the command line; a usage error (unknown option or command, missing argument, bad flag
    value) is one ``meddx: error:`` line naming the command's ``--help``, exit status 2.

    Click in standalone mode prints such errors as a usage line, a hint line and a boxed panel
    (Typer's rich formatting): several lines where every other refusal is one. So the command runs
    outside standalone mode and its exit status is carried here."""
    try:
        status = _command().main(args=args, prog_name="meddx", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        sys.exit(exc.exit_code)  # the help is already printed: `meddx` or `meddx data` alone
    except click.ClickException as exc:
        if "--debug" in args:
            raise
        ctx = getattr(exc, "ctx", None)
        message = " ".join(exc.format_message().split())
        if ctx is not None:
            message += ("" if message.rstrip(")").endswith((".", "?", "!")) else ".") + f" See '{ctx.command_path} --help'."
        typer.echo(f"meddx: error: {message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        # Click turns end of input at a prompt into Abort; standalone mode printed "Aborted!".
        typer.echo("meddx: aborted", err=True)
        sys.exit(1)
    if status == 130:  # outside standalone mode Typer returns an unreported Ctrl-C as status 130
        typer.echo("meddx: interrupted", err=True)
    sys.exit(status if isinstance(status, int) else 0)  # as standalone mode did: always SystemExit


def _command() -> click.Command:
    """The click command of ``app`` with every float option refusing NaN and infinity, and
    every positional argument's help restored (see ``_restore_argument_help``).

    Click's ``FLOAT`` accepts ``nan`` and ``inf``, and a NaN passes every range check (each
    comparison with it is false): ``--level nan`` reached the bootstrap, whose error did not name
    the flag. Checked here once for every command, as click reports a bad value:
    ``Invalid value for '--level': nan is not a finite number``."""
    command = typer.main.get_command(app)
    for cmd in _leaf_commands(command):
        _restore_argument_help(cmd)
        for param in cmd.params:
            if type(param.type) is click.types.FloatParamType:
                param.type = _FiniteFloat()
            elif type(param.type) is click.FloatRange:
                t = param.type
                param.type = _FiniteFloatRange(t.min, t.max, min_open=t.min_open, max_open=t.max_open, clamp=t.clamp)
    return command


def _restore_argument_help(command: click.Command) -> None:
    """Give each positional argument of ``command`` the ``help`` its ``typer.Argument`` declares.

    Typer's ``TyperArgument`` stores ``help`` and then calls click's ``Argument.__init__``, which
    from click 8.5 takes a ``help`` of its own and resets it to None: ``--help`` showed
    ``[default: *]`` where ``meddx models PATTERN`` is explained. The text is read back from the
    command function's signature (``typer.Argument(...)`` defaults, ``Annotated`` included)."""
    from typer.models import ArgumentInfo
    from typer.utils import get_params_from_function

    function = getattr(command.callback, "__wrapped__", None)  # Typer wraps it with functools.update_wrapper
    if function is None:
        return
    declared = get_params_from_function(function)
    for param in command.params:
        meta = declared.get(param.name or "")
        if isinstance(param, click.Argument) and not getattr(param, "help", None) and meta is not None \
                and isinstance(meta.default, ArgumentInfo) and meta.default.help:
            param.help = meta.default.help  # type: ignore[attr-defined]


def _leaf_commands(command: click.Command) -> list[click.Command]:
    commands = getattr(command, "commands", None)
    if commands is None:
        return [command]
    return [leaf for sub in commands.values() for leaf in _leaf_commands(sub)]


def _finite(value: float, param: object, ctx: object, fail: object) -> float:
    import math

    if isinstance(value, float) and not math.isfinite(value):
        fail(f"{value} is not a finite number", param, ctx)  # type: ignore[operator]
    return value


class _FiniteFloat(click.types.FloatParamType):
    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        return _finite(super().convert(value, param, ctx), param, ctx, self.fail)


class _FiniteFloatRange(click.FloatRange):
    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        return _finite(super().convert(value, param, ctx), param, ctx, self.fail)


if __name__ == "__main__":  # pragma: no cover
    main()
