"""Which optional extra (``pip install 'meddx[EXTRA]'``) provides an importable package.

DESIGN.md: optional packages are imported lazily, and a missing one names the extra to install.
Call sites import them inside the function that needs them, wrapped in :func:`needs_extra`
(``with needs_extra("integrated gradients"): from captum.attr import ...``), so the Python API
raises a one-line :class:`MissingExtraError` instead of a bare ``ModuleNotFoundError`` from deep
inside meddx; the CLI turns any import it did not wrap into the same line with :func:`missing_extra`.
The table mirrors ``[project.optional-dependencies]`` in pyproject.toml (a unit test keeps the two
in step).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from meddx.core.errors import ConfigError


class MissingExtraError(ConfigError, ModuleNotFoundError):
    """An optional package is not installed; the message names the extra that brings it.

    A ``ConfigError`` (the CLI prints it on one line and exits 2) and still a
    ``ModuleNotFoundError``, so code that tests for an optional package with
    ``except ImportError`` keeps working. ``name`` is the missing package."""


EXTRA_OF: dict[str, str] = {
    # import name -> extra
    "transformers": "text", "tokenizers": "text", "datasketch": "text", "pyarrow": "text",
    "fastapi": "serve", "starlette": "serve", "uvicorn": "serve", "python_multipart": "serve", "multipart": "serve",
    "onnx": "serve", "onnxruntime": "serve",
    "opacus": "privacy",
    "flwr": "federated", "ray": "federated",
    "captum": "explain",
    "rdkit": "chem",
    "gymnasium": "rl", "simglucose": "rl", "stable_baselines3": "rl",
}


def missing_extra(exc: BaseException, purpose: str = "this command") -> MissingExtraError | None:
    """A one-line ``MissingExtraError`` saying that ``purpose`` needs the package ``exc`` failed to
    import and which extra brings it, or ``None`` when ``exc`` is not a missing optional package (a
    core dependency, or an ``ImportError`` raised for another reason), which stays a bug report."""
    if isinstance(exc, MissingExtraError):
        return exc  # already named by the import site closest to it
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    package = exc.name.split(".")[0]
    extra = EXTRA_OF.get(package)
    if extra is None or _installed(package):  # installed: a missing submodule is another problem
        return None
    return MissingExtraError(f"{purpose} needs the package {package!r}, which is not installed; it comes with "
                             f"the {extra!r} extra: pip install 'meddx[{extra}]'", name=package)


@contextmanager
def needs_extra(purpose: str) -> Iterator[None]:
    """Wrap the lazy import of an optional package: when it is not installed, raise the
    :class:`MissingExtraError` of :func:`missing_extra` (``purpose`` says what needs it, e.g.
    ``"integrated gradients"``), chained to the original error. Any other import failure
    propagates unchanged."""
    try:
        yield
    except ModuleNotFoundError as exc:
        error = missing_extra(exc, purpose)
        if error is None or error is exc:
            raise
        raise error from exc


def needs_parquet(path: Any) -> None:
    """Raise the :class:`MissingExtraError` naming the ``text`` extra when pyarrow, the Parquet engine
    pandas uses, is not installed; call it before ``pandas.read_parquet``/``to_parquet``, whose own
    ``ImportError`` ("Unable to find a usable engine") names no extra and is no ``ModuleNotFoundError``."""
    with needs_extra(f"{path}: reading Parquet"):
        import pyarrow  # noqa: F401


def _installed(package: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False
