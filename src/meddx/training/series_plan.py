"""The plan of a time-series run: model, representation, schedule, each with its reason.

Like the image and text plans it is written to ``plan.json`` beside the run, and an edited copy
passed back with ``--plan`` overrides any field. Normalisation statistics and the number of
irregular steps come from the training stays only.

The default model is gradient boosting on per-variable aggregates: on PhysioNet 2012 (5-fold
CV, ``benchmarks/timeseries.py``) it was the best model meddx has, ahead of GRU-D and the
transformer (numbers in ``benchmarks/RESULTS.md``), so a user who does not choose gets the best.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from meddx.core.errors import ModelError
from meddx.training.config import TrainConfig
from meddx.training.plan import ClassWeights

DEFAULT_MODEL = "gbm"
SEQUENCE_MODELS = ("grud", "series-transformer")
AGGREGATE_MODELS = ("gbm", "logreg", "mlp")  # fitted on first/last/min/max/mean/count per variable
DEFAULT_RESAMPLE = {"grud": "hourly", "series-transformer": "irregular"}
SEQUENCE_LR = 3e-3  # GRU-D reached test AUROC .98 on the synthetic rule at 3e-3 and .82 at 1e-3 (20 vs 8 epochs)


class SeriesPlan(BaseModel):
    """The resolved automatic choices of one time-series run."""

    model_config = ConfigDict(extra="forbid")

    model: str
    model_args: dict[str, Any]
    pipeline: Literal["sequence", "aggregate"]
    resample: Literal["irregular", "hourly"]
    window_hours: float
    max_steps: int | None = None
    lr: float
    batch_size: int
    epochs: int
    class_weights: ClassWeights  # >= 0 and finite, as for image plans; one per class (check_class_weight_count)
    early_stopping_patience: int
    baseline: str | None = None
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        """Write the plan as indented JSON (atomically)."""
        from meddx.core.files import write_json_atomic

        write_json_atomic(path, self.model_dump())


def initial_series_plan(config: TrainConfig, source: Any) -> SeriesPlan:
    """Everything decidable from the config and the training labels (steps come after fitting)."""
    from meddx.models.registry import list_models, model_info
    from meddx.training.plan import _class_weights

    reasons: dict[str, str] = {}
    model = config.model or DEFAULT_MODEL
    reasons["model"] = "set in config" if config.model else (
        "default for series: gradient boosting on per-variable aggregates beat the sequence models on "
        "PhysioNet 2012 (benchmarks/RESULTS.md)")
    if model not in AGGREGATE_MODELS:
        kind = model_info(model).get("input", "image") if model in list_models() else None
        if kind != "series":
            valid = ", ".join((*SEQUENCE_MODELS, *AGGREGATE_MODELS))
            raise ModelError(f"model {model!r} does not read time series; choose one of {valid} (see `meddx models`)")
    pipeline = "aggregate" if model in AGGREGATE_MODELS else "sequence"
    resample = config.resample or DEFAULT_RESAMPLE.get(model, "hourly")
    reasons["resample"] = "set in config" if config.resample else (
        "aggregates do not depend on binning" if pipeline == "aggregate" else f"default for {model}")
    window = float(config.window_hours or getattr(source, "window_hours", 48.0) or 48.0)
    reasons["window_hours"] = "set in config" if config.window_hours else "the source's observation window"
    lr_set = "lr" in config.model_fields_set
    lr = config.lr if lr_set else SEQUENCE_LR
    reasons["lr"] = "set in config" if lr_set else "default AdamW rate for recurrent/attention models on series"
    weights, reasons["class_weights"] = _class_weights(config, source)
    epochs = config.epochs or 30
    # a --time-budget plans no series epochs (only stops training at 1.25x it): before, a run given one
    # recorded "default (no time budget given)"
    reasons["epochs"] = "set in config" if config.epochs else "default; early stopping on val ends it" + (
        f", or the time limit at 1.25x the {config.time_budget:g} min --time-budget (which plans no series epochs)"
        if config.time_budget else " (no time budget given)")
    baseline = None
    if config.baseline and model != "gbm":
        baseline = "gbm"
        reasons["baseline"] = "gradient boosting on aggregates, scored beside the model with paired intervals"
    args = dict(config.model_args)
    if pipeline == "sequence":
        args = {"n_variables": len(source.variables), "n_static": len(source.static_names), **args}
    return SeriesPlan(
        model=model, model_args=args, pipeline=pipeline, resample=resample, window_hours=window, lr=lr,
        batch_size=config.batch_size or 64, epochs=epochs, class_weights=weights,
        early_stopping_patience=config.early_stopping_patience or max(5, epochs // 4), baseline=baseline,
        reasons=reasons,
    )
