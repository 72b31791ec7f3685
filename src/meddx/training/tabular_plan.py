"""The plan of a table run: model, its arguments, missing-value handling and schedule, each with its reason.

Like the image and text plans it is written to ``plan.json`` beside the run, and an edited copy
passed back with ``--plan`` overrides any field. ``logreg`` and ``gbm`` are fitted by
scikit-learn (``fit_params``); ``mlp`` trains by gradient through Lightning (``lr``, ``epochs``,
``batch_size``, early stopping on validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from meddx.core.errors import ConfigError, ModelError
from meddx.data.base import ImageSource
from meddx.training.config import TrainConfig
from meddx.training.plan import ClassWeights

# Chosen by benchmarks/tabular.py (10-fold CV on Cleveland and Pima, docs/tabular.md): logistic
# regression reached AUROC .901 / .834; the MLP's means were .008 / .004 higher and boosting's
# .001 higher / .005 lower, every paired interval of the difference containing 0, while the MLP
# took 10-90x the CPU time. An exact, fast, readable model wins a tie.
DEFAULT_MODEL = "logreg"
DEFAULT_REASON = ("default for tables: in 10-fold CV (benchmarks/tabular.py) logistic regression reached AUROC "
                  ".901 on UCI Cleveland and .834 on Pima; boosting and the MLP were within 0.01 (paired 95% "
                  "intervals containing 0), the MLP at 10-90x the CPU time")
MLP_DEFAULTS: dict[str, Any] = {"hidden": [64, 32], "dropout": 0.2}
MLP_LR = 1e-3
MLP_EPOCHS = 100


class TabularPlan(BaseModel):
    """The resolved automatic choices of one table run."""

    model_config = ConfigDict(extra="forbid")

    model: str
    model_args: dict[str, Any]
    fit_params: dict[str, Any] = {}
    impute: bool
    lr: float
    batch_size: int
    epochs: int
    class_weights: ClassWeights  # >= 0 and finite, as for image plans; one per class (checked below)
    early_stopping_patience: int
    seconds_per_sample: float | None = None
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        """Write the plan as indented JSON (atomically)."""
        from meddx.core.files import write_json_atomic

        write_json_atomic(path, self.model_dump())

    @property
    def fitted_by_sklearn(self) -> bool:
        from meddx.models.registry import SKLEARN_FITTED

        return self.model in SKLEARN_FITTED


def make_tabular_plan(config: TrainConfig, source: ImageSource, overrides: dict[str, Any] | None = None) -> TabularPlan:
    """Decide model, arguments, imputation, schedule and class weights from the config and the
    training split; ``overrides`` (an edited plan.json) win over everything."""
    from meddx.models.registry import model_info, reads
    from meddx.models.tabular import GBM_DEFAULTS, LOGREG_DEFAULTS
    from meddx.training.plan import _class_weights, apply_overrides, check_class_weight_count
    from meddx.training.plan_file import PlanOverrides

    # a copy (``model`` is popped below) that still names its file in errors
    overrides = PlanOverrides(dict(overrides or {}), getattr(overrides, "path", None))
    if "model" in overrides and overrides["model"] != config.model:  # derive the rest for the chosen model
        plan = make_tabular_plan(config.model_copy(update={"model": overrides.pop("model")}), source, overrides)
        plan.reasons["model"] = "overridden by the given plan file"
        return plan
    reasons: dict[str, str] = {}
    model = config.model or DEFAULT_MODEL
    reasons["model"] = "set in config" if config.model else DEFAULT_REASON
    kind = model_info(model, input="features").get("input", "image")
    if kind != "features":
        raise ModelError(f"model {model!r} reads {reads(kind)}, but {source.origin} is a "
                         "table; pick logreg, gbm or mlp (`meddx models`)")
    if config.dp and model != "mlp":
        raise ConfigError(f"--dp trains by DP-SGD, which needs a network trained by gradient: use --model mlp "
                          f"({model!r} is fitted by scikit-learn)")
    fit_params: dict[str, Any] = {}
    args: dict[str, Any] = {}
    if model == "gbm":
        fit_params = {**GBM_DEFAULTS, **config.model_args}
        reasons["fit_params"] = "HistGradientBoosting settings for small tables (shallow trees, slow learning rate)"
    elif model == "logreg":
        fit_params = {**LOGREG_DEFAULTS, **config.model_args}
        reasons["fit_params"] = "L2-regularised logistic regression (C=1) on standardised features"
    else:
        args = {**MLP_DEFAULTS, **config.model_args} if model == "mlp" else dict(config.model_args)
    if config.model_args:
        reasons["model_args"] = "set in config (model_args)"
    impute = model != "gbm"
    reasons["impute"] = ("gradient boosting routes missing values itself (NaN passed through)" if not impute
                         else "median imputation with missing indicators, fitted on train")
    weights, reasons["class_weights"] = _class_weights(config, source)
    if model in ("logreg", "gbm"):
        reasons["class_weights"] += "; scikit-learn models weight each training row by its class's weight"
    lr_set = "lr" in config.model_fields_set
    lr = config.lr if lr_set else MLP_LR
    reasons["lr"] = "set in config" if lr_set else "AdamW rate for a small MLP"
    epochs = config.epochs or MLP_EPOCHS
    reasons["epochs"] = "set in config" if config.epochs else "default for the MLP; early stopping on validation ends it" + (
        f", or the time limit at 1.25x the {config.time_budget:g} min --time-budget (which plans no table model's "
        "epochs)" if config.time_budget else "")
    plan = TabularPlan(model=model, model_args=args, fit_params=fit_params, impute=impute, lr=lr,
                       batch_size=config.batch_size or 32, epochs=epochs, class_weights=weights,
                       early_stopping_patience=config.early_stopping_patience or max(10, epochs // 5), reasons=reasons)
    plan = apply_overrides(plan, overrides)  # validated: a negative or NaN weight is named with the file
    check_class_weight_count(plan.class_weights, source, overrides)
    return plan
