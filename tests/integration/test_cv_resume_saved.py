"""A fold whose bundle was saved before ``meddx cv`` recorded it is read back, not trained again: its held-out
predictions made again from the bundle (``evaluation.cv_saved``) are what training predicted, to the bit, and its
cv.json entry is what the uninterrupted run wrote. A class-weighted three-class text LSTM with its TF-IDF baseline
(decisions by argmax p_k·w_k, the baseline's own predictions): the case with the most to get back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.integration.test_class_weighted_cv_baseline import _imbalanced_notes


def test_a_saved_fold_read_back_is_the_fold_training_recorded(tmp_path: Path, meddx_home: Path) -> None:
    from meddx.core.paths import runs_dir
    from meddx.data.sources import load_source
    from meddx.evaluation.cv import _train_fold, cross_validate, fold_source
    from meddx.evaluation.cv_folds import development_split, make_folds
    from meddx.evaluation.cv_fold_runs import FoldRun
    from meddx.evaluation.cv_resume import load_fold
    from meddx.training.config import TrainConfig

    config = TrainConfig(data=str(_imbalanced_notes(tmp_path / "notes.csv")), model="lstm", epochs=1, ci_resamples=20)
    out = tmp_path / "cv"
    cross_validate(config, folds=2, out=out)
    source = load_source(config.data, carve_val=False, text_options=config.text_options, options=config.source_options)
    dev = development_split(source)
    folds, how = make_folds(dev, source.origin, 2, config.seed, source=source)
    for k in range(2):
        [run] = runs_dir().glob(f"*-fold{k}-*")
        fold = fold_source(source, dev, folds[k], k, 2, how, config)
        again = _train_fold(fold, k, config, "notes", out, False, FoldRun(run, 1, 1, saved=out / f"fold{k}"))
        recorded = load_fold(out, k)
        assert json.dumps(again.entry) == json.dumps(recorded.entry) and again.warnings == recorded.warnings
        assert again.decided == recorded.decided and again.weighted == recorded.weighted is True
        for a, b in ((again.preds, recorded.preds), (again.baseline, recorded.baseline)):
            assert a.ids == b.ids and a.patient_ids == b.patient_ids
            for name in ("labels", "probs", "scores"):
                x, y = getattr(a, name), getattr(b, name)
                assert (x is None) == (y is None) and (x is None or (x.dtype == y.dtype and np.array_equal(x, y)))
        assert np.array_equal(again.deciding, recorded.deciding)
        assert np.array_equal(again.base_deciding, recorded.base_deciding)
        assert again.base_weighted == recorded.base_weighted

