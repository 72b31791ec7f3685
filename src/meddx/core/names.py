"""The one rule for a bundle's name: it names a folder under the data root and a registry entry
``NAME:VERSION``, so ``"../x"`` would write outside the root and ``"a:b"`` could never be resolved
again. ``TrainConfig.name`` (``meddx train --name``) and ``meddx registry add --name`` both check it."""

from __future__ import annotations

import re

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot name a bundle (one phrase, starting with the name), or ``None`` when it can."""
    if _PLAIN_NAME.fullmatch(value):
        return None
    return (f"name {value!r}: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit); "
            "it names a folder and a registry entry NAME:VERSION")
