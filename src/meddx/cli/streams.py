"""Where a command's lines go: results on stdout, everything said about them on stderr.

The rule every verb follows: stdout holds what the user asked for (tables, metrics, predictions,
the paths written, the end-of-run summary), so that ``meddx evaluate B --data D > metrics.txt``
keeps only those; ``note:`` and ``warning:`` lines, progress lines and progress bars go to stderr,
where a terminal still shows them. With ``--json`` the notes and warnings a result records stay
inside its JSON as well. One place, so that no command picks a stream of its own.

Plain ``typer.echo``, not rich: a note is never wrapped at the console width (a long path stays
whole on one line) and brackets in it are never read as rich markup. On a terminal ``warning:`` is
yellow; piped or captured, click drops the colour.
"""

from __future__ import annotations

from typing import Any

import typer


def note(text: str) -> None:
    """``note: TEXT`` on stderr."""
    typer.echo(f"note: {text}", err=True)


def warning(text: str) -> None:
    """``warning: TEXT`` on stderr (the label yellow on a terminal)."""
    typer.echo(f"{typer.style('warning:', fg='yellow')} {text}", err=True)


def notice(line: str) -> None:
    """A line already labelled where it was made (``note: ...`` from ``cli.predict_notes``,
    ``warning: ...`` from ``evaluation.cv_cuts``) or a progress line, on stderr as it is."""
    typer.echo(line, err=True)


def notes(texts: Any) -> None:
    """``note: TEXT`` on stderr for each text of ``texts`` (a list, or ``None`` for none)."""
    for text in texts or []:
        note(str(text))


def warnings(texts: Any) -> None:
    """``warning: TEXT`` on stderr for each text of ``texts`` (a list, or ``None`` for none)."""
    for text in texts or []:
        warning(str(text))


def stderr_console() -> Any:
    """A rich ``Console`` writing to stderr, for progress bars (which never belong in stdout)."""
    from rich.console import Console

    return Console(stderr=True)
