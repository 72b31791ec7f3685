"""meddx: medical data to diagnostic models, trained, evaluated, explained, private and served.

The flow, one verb per stage (each imports only the stages to its left)::

    source files -> data -> transforms -> models -> tasks + training -> evaluation -> explain
                                                         |
                                                         v
                                                bundle -> registry -> serving

Python API (imported lazily, so ``import meddx`` stays fast)::

    import meddx
    source = meddx.load_source("medmnist:pneumoniamnist")
    result = meddx.fit(meddx.TrainConfig(data="medmnist:pneumoniamnist", time_budget=10))
    predictor = meddx.load_bundle(result.bundle_path)
    predictor.predict_files(["xray.png"])
    metrics, path = meddx.evaluate_bundle(result.bundle_path, "medmnist:pneumoniamnist")  # + report.html
    # segmentation: the same fit/load_bundle; meddx.load_seg_source, meddx.evaluate_seg_bundle
    meddx.list_runs(status="interrupted")  # training runs (RunRecord): status, bundle, resume_command
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_source": "meddx.data.sources",
    "source_info": "meddx.data.info",
    "verify_source": "meddx.data.verify",
    "create_model": "meddx.models.registry",
    "list_models": "meddx.models.registry",
    "TrainConfig": "meddx.training.config",
    "load_config": "meddx.training.config",
    "fit": "meddx.training.fit",
    "classification_metrics": "meddx.evaluation.metrics",
    "evaluate_bundle": "meddx.evaluation.evaluate",
    "EvalSettings": "meddx.evaluation.evaluate",
    "metric_intervals": "meddx.evaluation.intervals",
    "choose_threshold": "meddx.evaluation.operating",
    "calibration_summary": "meddx.evaluation.calibration",
    "compare_bundles": "meddx.evaluation.compare",
    "cross_validate": "meddx.evaluation.cv",
    "load_seg_source": "meddx.data.segmentation",
    "evaluate_seg_bundle": "meddx.evaluation.seg_evaluate",
    "head_circumference_mm": "meddx.evaluation.measure",
    "save_bundle": "meddx.bundle.bundle",
    "load_bundle": "meddx.bundle.bundle",
    "list_bundles": "meddx.registry.store",
    "list_runs": "meddx.registry.runs",
    "get_run": "meddx.registry.runs",
    "MeddxError": "meddx.core.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'meddx' has no attribute {name!r}")
