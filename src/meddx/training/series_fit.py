"""``fit`` for ICU/EHR time series: preprocessing fitted on train -> a sequence model through the
shared Lightning loop, or a model on per-variable aggregates -> ``finish_run``.

Reading order: plan (model, representation) -> fit the series preprocessing on the training
stays only -> either (sequence models: GRU-D, transformer) encode train and val and train with
``training.fit.train_and_restore`` (checkpoints, early stopping, resume), or (aggregate models:
gradient boosting, logistic regression, MLP) compute first/last/min/max/mean/count per variable
and fit -> the boosting baseline on the same aggregates -> ``finish_run`` (the same calibration,
operating point, evaluation with CIs, bundle and registry code as images and text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from meddx.core.errors import ConfigError
from meddx.core.files import write_json_atomic
from meddx.training.config import TrainConfig
from meddx.training.series_plan import SeriesPlan

SELECTION = "val_select"  # best epoch and early stopping: val AUC, ties by loss (ClassificationTask)


def fit_series(config: TrainConfig, source: Any, run_dir: Path | None, *, plan_file: str | Path | None = None,
               progress: bool = True) -> Any:
    """Train a risk model on a ``SeriesSource`` as ``config`` says; ``run_dir`` is given when resuming."""
    from meddx.bundle.series_predictor import series_bundle_config, series_bundle_files, series_predictor_factory
    from meddx.training import run as runlib
    from meddx.training.finish import finish_run
    from meddx.training.fit import FitResult, _default_name, resolve_precision

    config = config.model_copy(update={"precision": resolve_precision(config.precision, 0)})  # fp32: small RNNs
    resume = run_dir is not None
    name = config.name or _default_name(source.name)
    from meddx.training import distributed

    if run_dir is None:  # torchrun's ranks > 0: rank 0's plan and statistics, in a private folder
        run_dir = distributed.received_run_dir() or runlib.new_run_dir(name)
    existing = run_dir / "plan.json"
    if existing.is_file():  # resume or a DDP worker: plan and statistics were fixed by the first process
        plan = SeriesPlan(**runlib.read_json(existing))
        pre = _preprocessor_from(runlib.read_json(run_dir / "series_preprocessing.json"))
    else:
        plan, pre = _plan_and_preprocessor(config, source, plan_file)
        if plan.pipeline != "sequence" and plan.model in ("gbm", "logreg") and distributed.elastic_rank() is not None:
            raise ConfigError(f"model {plan.model}: scikit-learn fits in one process; start it without torchrun")
        plan.write(existing)
        write_json_atomic(run_dir / "series_preprocessing.json", pre.to_dict())
        write_json_atomic(run_dir / "config.json", config.model_dump())
        write_json_atomic(run_dir / "data.json", runlib.data_fingerprint(source))
        write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": config.seed})
    if not resume:  # torchrun's rank 0: the plan and statistics to the other processes
        distributed.share_run_files(run_dir, ["plan.json", "series_preprocessing.json"])

    features = None
    if plan.pipeline == "sequence":
        net = _train_sequence(config, source, plan, pre, run_dir, progress, resume)
        if net is None:
            return FitResult(run_dir=run_dir, plan=plan)  # an extra process of a multi-process run
    else:
        net, features, args = fit_aggregate_model(plan.model, source, pre, plan, config, run_dir, progress, resume)
        if net is None:
            return FitResult(run_dir=run_dir, plan=plan)
        plan = plan.model_copy(update={"model_args": args})  # the fitted sizes rebuild the model from the bundle
    baseline = None
    if plan.baseline:
        base_net, base_features, base_args = fit_aggregate_model(plan.baseline, source, pre, plan, config, run_dir,
                                                                 False, False)
        baseline = {"model": plan.baseline, "net": base_net, "features": base_features,
                    "spec": {"name": plan.baseline, "args": base_args, "num_classes": source.num_classes}}
    cfg = series_bundle_config(config, source, plan, pre, features, name, run_dir)
    return finish_run(config, source, plan, None, net, run_dir, name, cfg=cfg,
                      make_predictor=series_predictor_factory(baseline),
                      extra_files=series_bundle_files(baseline))


def _plan_and_preprocessor(config: TrainConfig, source: Any, plan_file: str | Path | None) -> tuple[SeriesPlan, Any]:
    from meddx.training.plan import apply_overrides, check_class_weight_count, read_plan
    from meddx.training.series_plan import initial_series_plan
    from meddx.transforms.timeseries import SeriesPreprocessor

    plan = initial_series_plan(config, source)
    overrides = read_plan(plan_file, SeriesPlan) if plan_file else {}
    plan = apply_overrides(plan, overrides)
    check_class_weight_count(plan.class_weights, source, overrides)
    _check_model(plan, source)
    pre = SeriesPreprocessor(list(source.variables), list(source.static_names), window_hours=plan.window_hours,
                             resample=plan.resample, max_steps=plan.max_steps)
    pre.fit(source.split("train").records or [])  # statistics from the training stays only
    if plan.pipeline == "sequence" and plan.resample == "irregular" and plan.max_steps is None:
        data = plan.model_dump()
        data["max_steps"] = int(pre.steps_)
        data["reasons"]["max_steps"] = "95th percentile of the training stays' distinct observation times"
        plan = SeriesPlan(**data)
    return plan, pre


def _check_model(plan: SeriesPlan, source: Any) -> None:
    """Build the network once, so a bad name or argument fails before any training."""
    if plan.pipeline == "sequence":
        from meddx.models.registry import create_model

        create_model(plan.model, num_classes=source.num_classes, **plan.model_args)


def _preprocessor_from(data: dict[str, Any]) -> Any:
    from meddx.transforms.timeseries import SeriesPreprocessor

    return SeriesPreprocessor.from_dict(data)


def encode_sequences(pre: Any, records: list[Any]) -> tuple[torch.Tensor, ...]:
    """The model inputs of ``records`` in ``SERIES_INPUTS`` order, as float32 tensors."""
    from meddx.models.timeseries import SERIES_INPUTS

    arrays = pre.transform(records)
    return tuple(torch.from_numpy(np.ascontiguousarray(arrays[k], dtype=np.float32)) for k in SERIES_INPUTS)


def _train_sequence(config: TrainConfig, source: Any, plan: SeriesPlan, pre: Any, run_dir: Path, progress: bool,
                    resume: bool) -> Any:
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.fit import train_and_restore

    def loader(split: str, shuffle: bool, batch: int) -> DataLoader:
        data = source.split(split)
        tensors = (*encode_sequences(pre, data.records or []), torch.from_numpy(np.asarray(data.labels)))
        gen = torch.Generator().manual_seed(config.seed)
        return DataLoader(TensorDataset(*tensors), batch_size=batch, shuffle=shuffle, num_workers=0, generator=gen)

    task = ClassificationTask(model_name=plan.model, model_args=plan.model_args, task=source.task,
                              num_classes=source.num_classes, class_weights=plan.class_weights, lr=plan.lr,
                              weight_decay=config.weight_decay, max_epochs=plan.epochs,
                              label_smoothing=config.label_smoothing)
    if not train_and_restore(config, plan, task, loader("train", True, plan.batch_size),
                             loader("val", False, plan.batch_size * 4), run_dir, progress, resume=resume,
                             monitor=SELECTION):
        return None
    return task.net


def aggregate_frame(pre: Any, records: list[Any]) -> Any:
    """Per-variable first/last/min/max/mean/count (NaN where never observed) and the raw static
    descriptors of ``records``, as a DataFrame with named columns; only observations within the
    preprocessor's window count (the window the model was fitted with, whatever the records'
    reader used), so ``evaluate`` and ``predict`` score a stay alike."""
    import pandas as pd

    from meddx.transforms.timeseries import aggregate_feature_names, aggregate_features

    names = aggregate_feature_names(pre.variables, pre.static_names)
    x = aggregate_features(records, len(pre.variables), static=True, window_hours=pre.window_hours,
                           variables_used=pre.trained_variables(), static_used=pre.trained_static())
    return pd.DataFrame(x, columns=names)


def fit_aggregate_model(model: str, source: Any, pre: Any, plan: SeriesPlan, config: TrainConfig, run_dir: Path,
                        progress: bool, resume: bool) -> tuple[Any, Any, dict[str, Any]]:
    """Fit ``model`` (gbm, logreg or mlp) on the training stays' aggregates; returns the network,
    the fitted feature preprocessing (imputation and scaling from train; gradient boosting keeps
    missing values as NaN, which its trees route natively) and the model arguments that rebuild
    the network with ``create_model``."""
    from meddx.models.tabular import fit_sklearn_net
    from meddx.transforms.tabular import TabularPreprocessor

    train = source.split("train")
    frame = aggregate_frame(pre, train.records or [])
    # columns with a value in some training stay: a variable seen only outside train reads as never observed
    features = TabularPreprocessor([c for c in frame.columns if frame[c].notna().any()], [],
                                   impute=model != "gbm").fit(frame)
    x = features.transform(frame)
    if model in ("gbm", "logreg"):
        net = fit_sklearn_net(model, x, np.asarray(train.labels), task=source.task, num_classes=source.num_classes,
                              class_weight=dict(enumerate(plan.class_weights)) if plan.class_weights else None,
                              seed=config.seed,
                              **(plan.model_args if model == plan.model else {}))
        return net.eval(), features, dict(net.meddx_args)
    args = {"num_features": int(x.shape[1]), **plan.model_args}
    net = _train_feature_mlp(model, args, x, features, source, pre, plan, config, run_dir, progress, resume)
    return net, features, args


def _train_feature_mlp(model: str, args: dict[str, Any], x: np.ndarray, features: Any, source: Any, pre: Any,
                       plan: SeriesPlan, config: TrainConfig, run_dir: Path, progress: bool, resume: bool) -> Any:
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.fit import train_and_restore

    val = source.split("val")
    x_val = features.transform(aggregate_frame(pre, val.records or []))
    train_labels = np.asarray(source.split("train").labels)

    def loader(xs: np.ndarray, ys: np.ndarray, shuffle: bool) -> DataLoader:
        ds = TensorDataset(torch.from_numpy(np.asarray(xs, dtype=np.float32)), torch.from_numpy(ys))
        return DataLoader(ds, batch_size=plan.batch_size, shuffle=shuffle, num_workers=0,
                          generator=torch.Generator().manual_seed(config.seed))

    task = ClassificationTask(model_name=model, model_args=args, task=source.task, num_classes=source.num_classes,
                              class_weights=plan.class_weights, lr=plan.lr, weight_decay=config.weight_decay,
                              max_epochs=plan.epochs)
    if not train_and_restore(config, plan, task, loader(x, train_labels, True),
                             loader(x_val, np.asarray(val.labels), False), run_dir, progress, resume=resume,
                             monitor=SELECTION):
        return None
    return task.net
