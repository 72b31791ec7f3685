"""``fit`` for tables: plan -> row preprocessing fitted on train -> model -> the shared finish.

Reading order: the plan (model, imputation, class weights; ``plan.json``) -> the
:class:`~meddx.transforms.tabular.TabularPreprocessor` fitted on the training rows
(``preprocessing.json``) -> either scikit-learn fits ``logreg``/``gbm`` and the result is
converted to a torch module (no Lightning, no epochs), or the ``mlp`` trains through
:func:`meddx.training.fit.train_and_restore` (checkpoints, early stopping on validation, resume)
-> :func:`meddx.training.finish.finish_run`: temperature and operating point on validation, test
with CIs, model card, bundle, registry, exactly as for images and text.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.files import write_json_atomic
from meddx.training.config import TrainConfig
from meddx.training.tabular_plan import TabularPlan

PREPROCESSING_FILE = "preprocessing.json"
SELECTION = "val_select"  # val AUC to 3 decimals, ties by loss: small validation splits saturate AUC


def fit_tabular(config: TrainConfig, source: Any, run_dir: Path | None, *, plan_file: str | Path | None = None,
                progress: bool = True) -> Any:
    """Train a table classifier as ``config`` says; ``run_dir`` is given when resuming (MLP only)."""
    from meddx.training import run as runlib
    from meddx.training.fit import FitResult, _default_name

    config = config.model_copy(update={"precision": "32-true" if config.precision == "auto" else config.precision})
    resume = run_dir is not None
    name = config.name or _default_name(source.name)
    from meddx.training import distributed

    if run_dir is None:  # torchrun's ranks > 0: rank 0's plan and preprocessing, in a private folder
        run_dir = distributed.received_run_dir() or runlib.new_run_dir(name)
    existing = run_dir / "plan.json"
    if existing.is_file():  # resume or a DDP worker: plan and preprocessing were fixed by the first process
        from meddx.transforms.tabular import TabularPreprocessor

        plan = TabularPlan(**runlib.read_json(existing))
        pre = TabularPreprocessor.from_dict(runlib.read_json(run_dir / PREPROCESSING_FILE))
    else:
        plan, pre = _plan_and_preprocessor(config, source, plan_file)
        if plan.fitted_by_sklearn and distributed.elastic_rank() is not None:
            raise ConfigError(f"model {plan.model}: scikit-learn fits in one process; start it without torchrun")
        write_json_atomic(run_dir / PREPROCESSING_FILE, pre.to_dict())
        plan.write(existing)
        write_json_atomic(run_dir / "config.json", config.model_dump())
        write_json_atomic(run_dir / "data.json", runlib.data_fingerprint(source))
        write_json_atomic(run_dir / "environment.json", {**runlib.environment(), "seed": config.seed})
    if not resume:  # torchrun's rank 0: the plan and fitted preprocessing to the other processes
        distributed.share_run_files(run_dir, ["plan.json", PREPROCESSING_FILE])
    from meddx.bundle.tabular_predictor import file_rows  # an error names the file's row (shared with evaluate)

    x_train = pre.transform(source.split("train").table, rows=file_rows(source, "train"))
    x_val = pre.transform(source.split("val").table, rows=file_rows(source, "val"))
    if plan.fitted_by_sklearn:
        net, plan = _fit_sklearn(config, source, plan, x_train, run_dir)
    else:
        net = _train_network(config, source, plan, x_train, x_val, run_dir, progress, resume)
        if net is None:
            return FitResult(run_dir=run_dir, plan=plan)  # an extra process of a multi-process run
    from meddx.bundle.tabular_predictor import tabular_bundle_config, tabular_predictor_factory
    from meddx.training.finish import finish_run

    cfg = tabular_bundle_config(config, source, plan, pre, name, run_dir)
    return finish_run(config, source, plan, None, net, run_dir, name, cfg=cfg, make_predictor=tabular_predictor_factory())


def _plan_and_preprocessor(config: TrainConfig, source: Any, plan_file: str | Path | None) -> tuple[TabularPlan, Any]:
    """The plan, and the preprocessing fitted on the training rows with the plan's imputation
    (the model's input width goes into ``model_args``)."""
    from meddx.training.plan import read_plan
    from meddx.training.tabular_plan import make_tabular_plan
    from meddx.transforms.tabular import TabularPreprocessor

    overrides = read_plan(plan_file, TabularPlan) if plan_file else {}
    plan = make_tabular_plan(config, source, overrides)
    pre = TabularPreprocessor(source.numeric, source.categorical, impute=plan.impute).fit(source.split("train").table)
    data = plan.model_dump()
    data["model_args"] = {**plan.model_args, "num_features": len(pre.feature_names)}
    plan = TabularPlan(**data)
    if not plan.fitted_by_sklearn:  # build once, so a bad argument fails before training
        from meddx.models.registry import create_model

        create_model(plan.model, num_classes=source.num_classes, **plan.model_args)
    return plan, pre


def _fit_sklearn(config: TrainConfig, source: Any, plan: TabularPlan, x_train: np.ndarray,
                 run_dir: Path) -> tuple[Any, TabularPlan]:
    """Fit ``logreg``/``gbm`` on the training rows; the converted module's shape goes into the plan."""
    from meddx.models.tabular import fit_sklearn_net

    start, cpu = time.perf_counter(), time.process_time()
    net = fit_sklearn_net(plan.model, x_train, source.split("train").labels, task=source.task,
                         num_classes=source.num_classes,
                         class_weight=dict(enumerate(plan.class_weights)) if plan.class_weights else None,
                         seed=config.seed, **plan.fit_params)
    data = plan.model_dump()
    data["model_args"] = dict(net.meddx_args)
    data["reasons"]["model_args"] = "the fitted model's shape (scikit-learn fit, converted to torch)"
    plan = TabularPlan(**data)
    plan.write(run_dir / "plan.json")
    write_json_atomic(run_dir / "trainer.json", {"fitted_by": "scikit-learn", "model": plan.model,
                                                 "seconds": round(time.perf_counter() - start, 3),
                                                 "cpu_seconds": round(time.process_time() - cpu, 3),
                                                 "fit_params": plan.fit_params})
    return net, plan


def _train_network(config: TrainConfig, source: Any, plan: TabularPlan, x_train: np.ndarray, x_val: np.ndarray,
                   run_dir: Path, progress: bool, resume: bool) -> Any:
    """Train the MLP through Lightning (``train_and_restore``); ``None`` on extra processes."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from meddx.tasks.classification import ClassificationTask
    from meddx.training.fit import train_and_restore

    def loader(x: np.ndarray, split: str, batch: int, shuffle: bool) -> DataLoader:
        data = TensorDataset(torch.from_numpy(x), torch.from_numpy(np.asarray(source.split(split).labels)))
        return DataLoader(data, batch_size=batch, shuffle=shuffle, num_workers=0,
                          generator=torch.Generator().manual_seed(config.seed))

    task = ClassificationTask(model_name=plan.model, model_args=plan.model_args, task=source.task,
                              num_classes=source.num_classes, class_weights=plan.class_weights, lr=plan.lr,
                              weight_decay=config.weight_decay, max_epochs=plan.epochs,
                              label_smoothing=config.label_smoothing)
    if not train_and_restore(config, plan, task, loader(x_train, "train", plan.batch_size, True),
                             loader(x_val, "val", max(256, plan.batch_size), False), run_dir, progress,
                             resume=resume, monitor=SELECTION):
        return None
    return task.net
