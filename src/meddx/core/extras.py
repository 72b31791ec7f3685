"""Which optional extra (``pip install 'meddx[EXTRA]'``) provides an importable package.

DESIGN.md: optional packages are imported lazily, and a missing one names the extra to install.
Most call sites import them bare inside the function that needs them (``from captum.attr import
...``); the CLI turns the resulting ``ModuleNotFoundError`` into one line with
:func:`missing_extra` instead of a traceback. The table mirrors ``[project.optional-dependencies]``
in pyproject.toml (a unit test keeps the two in step).
"""

from __future__ import annotations

from meddx.core.errors import ConfigError

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


def missing_extra(exc: BaseException) -> ConfigError | None:
    """A one-line ``ConfigError`` naming the extra whose package ``exc`` failed to import, or
    ``None`` when ``exc`` is not a missing optional package (a core dependency, or an
    ``ImportError`` raised for another reason), which stays a bug report."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    package = exc.name.split(".")[0]
    extra = EXTRA_OF.get(package)
    if extra is None or _installed(package):  # installed: a missing submodule is another problem
        return None
    return ConfigError(f"this command needs the package {package!r}, which is not installed; it comes with "
                       f"the {extra!r} extra: pip install 'meddx[{extra}]'")


def _installed(package: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False
