"""A fold of ``meddx cv`` whose training run saved its bundle, interrupted before cv recorded it.

Between the fold's bundle being saved (``FOLDER/foldK``, with the run's ``metrics.json``) and its
``cv_folds/foldK.npz`` record being written, a Ctrl-C used to cost the whole fold: the resume removed
the bundle and trained it again from its first epoch. What the record holds can be had again without
training: the cv.json entry from the run's ``metrics.json`` (test metrics, warnings, the baseline's),
and the held-out predictions from the bundle, through the same functions training predicted the fold's
test split with (``evaluate.predict_split``, the baseline's ``baseline_raw_probs``) on the same
weights, which gives the same bits (checked on tabular MLP and text LSTM folds with their TF-IDF
baseline: ``tests/integration/test_cv_resume_saved.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def saved_fit_result(run: Path, bundle: Path, fold: Any) -> Any:
    """A ``training.fit.FitResult`` for fold source ``fold`` as its run ``run`` returned it after saving
    ``bundle``: its metrics read back, its test predictions (and the bundled baseline's) made again."""
    from meddx.bundle.bundle import load_bundle
    from meddx.evaluation.baseline import baseline_raw_probs
    from meddx.evaluation.evaluate import predict_split, predictions_from_raw
    from meddx.training.fit import FitResult

    predictor = load_bundle(bundle)
    predictions = {"test": predict_split(predictor, fold, "test")}
    base = predictor.baseline_predictor() if hasattr(predictor, "baseline_predictor") else None
    if base is not None:  # as training.finish's baseline_metrics keeps them
        data = fold.split("test")
        predictions["baseline_test"] = predictions_from_raw(base, "test", data, baseline_raw_probs(base, data))
    metrics = json.loads((Path(run) / "metrics.json").read_text())
    return FitResult(run_dir=Path(run), plan=None, bundle_path=Path(bundle), metrics=metrics,  # type: ignore[arg-type]
                     predictions=predictions)
