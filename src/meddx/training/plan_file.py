"""A ``--plan`` file: an edited ``plan.json`` whose fields override the automatic plan.

Read, checked against the config and flags, and applied to a plan of any schema
(classification ``Plan``, ``TextPlan``, ``SegPlan``, ...). Every error names the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from meddx.core.errors import ConfigError

NOT_OVERRIDDEN = ("reasons", "normalization", "seconds_per_sample", "dp_statistics")  # read elsewhere, or not at all


class PlanOverrides(dict):
    """The fields of a plan file (a plain ``dict``), remembering the file they came from."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        super().__init__(data)
        self.path = path


def where(overrides: Any) -> str:
    """``the --plan file PATH`` for overrides read by :func:`read_plan`, else ``the --plan file``."""
    path = getattr(overrides, "path", None)
    return f"the --plan file {path}" if path else "the --plan file"


def read_plan(path: str | Path, schema: type[BaseModel] | None = None) -> dict[str, Any]:
    """Read a (possibly hand-edited) plan file of ``schema`` (default: the classification
    :class:`meddx.training.plan.Plan`); only the fields present override, unknown fields are an error."""
    if schema is None:
        from meddx.training.plan import Plan

        schema = Plan
    path = Path(path)
    fields = schema.model_fields
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: plan file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):  # a list or a string would be read as a set of field names
        raise ConfigError(f"{path}: expected a JSON object of plan fields (as in a run's plan.json), got "
                          f"{type(data).__name__}")
    unknown = set(data) - set(fields)
    if unknown:
        raise ConfigError(f"{path}: unknown plan field(s) {sorted(unknown)}; valid: {sorted(fields)}")
    return PlanOverrides(data, path)


def check_no_conflicts(config: Any, overrides: dict[str, Any], dims: int) -> None:
    """Refuse a ``--plan`` file field that contradicts an option set in the config or by a flag
    (``--epochs 5`` with a plan file saying 20 trained 20 epochs without a word)."""
    given = {f: getattr(config, f) for f in ("model", "epochs", "batch_size", "channels", "augment", "checkpoint",
                                             "early_stopping_patience")}
    given["image_size"] = [config.image_size] * dims if isinstance(config.image_size, int) else config.image_size
    for field, value in given.items():
        if value is not None and field in overrides and overrides[field] != value:
            raise ConfigError(f"{_named(config, field)}: the config or flags say {value!r} but {where(overrides)} says "
                              f"{overrides[field]!r}; drop one of them")
    if config.class_weights is not None and "class_weights" in overrides \
            and bool(overrides["class_weights"]) != config.class_weights:
        raise ConfigError(f"{_named(config, 'class_weights')}: the config or flags say {config.class_weights} but {where(overrides)} "
                          f"says {overrides['class_weights']!r}; drop one of them")


def _named(config: Any, field: str) -> str:
    """``--patience`` when that flag set ``early_stopping_patience``, else the field's name."""
    return config.named(field) if hasattr(config, "named") else field


def apply_overrides(plan: Any, overrides: dict[str, Any]) -> Any:
    """Replace plan fields with user-edited values, marking them in ``reasons`` (any plan schema:
    classification ``Plan`` or ``TextPlan``)."""
    if not overrides:
        return plan
    data = plan.model_dump()
    for key, value in overrides.items():
        if key in NOT_OVERRIDDEN:
            continue
        data[key] = value
        data["reasons"][key] = "overridden by the given plan file"
    try:
        return type(plan)(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "plan"
        raise ConfigError(f"invalid plan override {field} ({where(overrides)}): {err['msg']} "
                          f"(got {err.get('input')!r})") from None
