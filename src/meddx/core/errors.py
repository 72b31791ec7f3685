"""One error hierarchy for everything a user can get wrong.

A message names the file, sample id or field, what was expected, what was found and what to
do. The CLI prints it on one line and exits with ``exit_code`` (2); no traceback unless
``--debug``.
"""

from __future__ import annotations

from typing import Any, Callable


class MeddxError(Exception):
    """Base class of every error meddx raises on purpose for bad input or bad state."""

    exit_code: int = 2


class DataError(MeddxError):
    """A data source is missing, undecodable or does not have the expected structure."""


class ConfigError(MeddxError):
    """A configuration value, CLI flag or YAML field is invalid."""


class ModelError(MeddxError):
    """An unknown model name or an invalid model argument."""


class BundleError(MeddxError):
    """A bundle folder is incomplete, corrupted or from an incompatible version."""


class LeakageError(DataError):
    """The same patient or the same content appears on two sides of a split."""


class NotFittedError(MeddxError):
    """A transform or estimator was used before ``fit``."""


def parsed_text(parse: Callable[[str], Any], value: str) -> str:
    """``parse(value).text`` (the canonical spelling) for a pydantic field validator: the
    parser's ``ConfigError`` becomes the ``ValueError`` pydantic reports against the field."""
    try:
        return parse(value).text
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
