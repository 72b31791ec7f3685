"""Clinical note de-identification (HIPAA Safe Harbor): find the 18 identifiers and replace
them with typed tags or consistent surrogates; shift dates per patient; report every span by
offsets only (never text).

    from meddx.deid import deidentify, DeidSettings
    result = deidentify(note, patient_id="p1", settings=DeidSettings(mode="surrogate"))
    result.text, result.spans

    from meddx.deid import deid_path            # .txt file, folder, CSV, JSONL, Parquet
    deid_path("notes.csv", "notes.deid.csv", patient_column="patient_id")

Imported lazily: ``import meddx.deid`` loads nothing heavy.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

_LAZY = {
    "deidentify": "meddx.deid.replace",
    "detect": "meddx.deid.detect",
    "deid_path": "meddx.deid.io",
    "DeidSummary": "meddx.deid.io",
    "DeidSettings": "meddx.deid.spans",
    "DeidResult": "meddx.deid.spans",
    "Span": "meddx.deid.spans",
    "PHI_TYPES": "meddx.deid.spans",
    "generate_notes": "meddx.deid.synthetic",
    "score": "meddx.deid.evaluate",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'meddx.deid' has no attribute {name!r}")


class _DeidPackage(types.ModuleType):
    """``meddx.deid.detect`` names both a submodule and the function it defines. The import system sets the package
    attribute to the submodule once that loads (``deidentify`` loads it), after which ``from meddx.deid import
    detect`` gave the module, not the function (``TypeError: 'module' object is not callable``). Here the attribute
    is always the function and that assignment is ignored; ``from meddx.deid.detect import ...`` is unchanged."""

    @property
    def detect(self) -> Any:
        return import_module("meddx.deid.detect").detect

    @detect.setter
    def detect(self, value: Any) -> None:
        pass


sys.modules[__name__].__class__ = _DeidPackage
