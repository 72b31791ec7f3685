"""After segmentation training, val is predicted once: choosing the test-time passes already holds
the chosen passes' val predictions, and the evaluation of val scores them (until stop 45 it
predicted every val case again with the same passes: the same numbers, one more pass over val)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from meddx.training.config import TrainConfig


def test_val_is_evaluated_from_the_choices_predictions_with_identical_metrics(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.bundle.bundle import load_bundle
    from meddx.bundle.seg_predictor import SegPredictor
    from meddx.data.synthetic_seg import write_seg_folder
    from meddx.evaluation.seg_as_trained import load_seg_as_trained
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split
    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    calls = {True: 0, False: 0}  # network passes over a case, by whether the output is post-processed
    predict_case = SegPredictor.predict_case

    def counted(self: SegPredictor, image: Any, spacing: Any = None, postprocess: bool = True) -> Any:
        calls[postprocess] += 1
        return predict_case(self, image, spacing, postprocess)

    monkeypatch.setattr(SegPredictor, "predict_case", counted)
    data = write_seg_folder(tmp_path / "seg", n=12, spatial_dims=2, size=32, classes=2, seed=1)
    # no time budget: every test-time option is tried on val, so the reused predictions are those of
    # whichever passes won (shifts, zoom), not only of the plain pass
    result = fit(TrainConfig(data=str(data), epochs=1, seed=0, ci_resamples=50, val_fraction=0.25), progress=False)
    n_val, n_test = result.metrics["val"]["n"], result.metrics["test"]["n"]
    assert n_val >= 2 and n_test >= 2
    assert calls[True] == n_test  # the evaluation predicted test only (before: n_val + n_test)
    assert calls[False] >= n_val  # val: the plain pass and each option tried, while choosing

    predictor = load_bundle(result.bundle_path)
    source, _ = load_seg_as_trained(predictor, str(data))
    calls[True] = 0
    again, _ = evaluate_split(predictor, source, "val", SegEvalSettings(n_resamples=50, seed=0))
    assert calls[True] == n_val  # predicted afresh with the bundle's chosen passes ...
    reused = {k: v for k, v in result.metrics["val"].items() if k != "overlays"}
    assert again == reused  # ... the same numbers, to the last bit


def test_predictions_of_another_length_are_refused() -> None:
    from meddx.core.errors import DataError
    from meddx.evaluation.seg_evaluate import evaluate_split

    class _Source:
        def split(self, name: str) -> list[int]:
            return [0, 1, 2]

    with pytest.raises(DataError, match="2 predictions given for the 3 cases of split 'val'"):
        evaluate_split(object(), _Source(), "val", predicted=[object(), object()])
