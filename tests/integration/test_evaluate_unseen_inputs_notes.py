"""``meddx evaluate`` on data from another site says what ``meddx predict`` says about it.

Found by a docs walk (helper "notes", stop 48): ``predict`` notes a table category no training row had
(read as ``COLUMN=other``) and series values more than 100 training sds from the training mean (a unit,
or a missing-value code such as ``HR`` 99999), but ``evaluate`` on the same data listed only the table
range notes: its metrics came without a word in ``metrics.json`` or on the screen.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest


def _table(path: Path, sites: list[str], n: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    path.write_text("marker,site,label\n" + "".join(
        f"{m:.3f},{sites[i % len(sites)]},{int(m + 0.3 * rng.normal() > 0)}\n" for i, m in enumerate(rng.normal(size=n))))
    return path


def test_evaluate_on_a_table_notes_categories_no_training_row_had(tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.evaluation.evaluate import evaluate_bundle
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    train = _table(tmp_path / "train.csv", ["Basel", "Zürich"], 60, 0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(tmp_path / "home"))
        predictor = load_bundle(fit(TrainConfig(data=str(train), seed=0, ci_resamples=0, verify=False),
                                    progress=False).bundle_path)
        other = _table(tmp_path / "other.csv", ["Basel", "Lugano"], 20, 1)  # every second row a new site
        metrics, target = evaluate_bundle(predictor, str(other), split="train", out=tmp_path / "eval",
                                          verify=False, report=False)
        same, _ = evaluate_bundle(predictor, str(_table(tmp_path / "same.csv", ["Basel", "Zürich"], 20, 1)),
                                  split="train", out=tmp_path / "eval_same", verify=False, report=False)
    noted = [w for w in metrics.get("warnings", []) if w.startswith("column 'site': ")]
    assert len(noted) == 1 and "10 of 20 row(s) hold a category no training row had (e.g. 'Lugano' in " in noted[0] \
        and "read as site=other" in noted[0], metrics.get("warnings")
    assert noted[0] in json.loads(Path(target).read_text())["warnings"]
    assert not any("category" in w for w in same.get("warnings", []))


def test_evaluate_on_series_notes_values_far_beyond_training(tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv
    from meddx.evaluation.evaluate import evaluate_bundle
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    source = make_threshold_series(200, seed=5)
    test = source.splits["test"]
    first = test.records[0]
    far = dataclasses.replace(first, values=np.where(np.arange(len(first)) == 0, 99999.0, first.values)
                              .astype(np.float32))
    shifted = dataclasses.replace(source, splits={**source.splits, "test": dataclasses.replace(
        test, records=[far, *test.records[1:]])})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(tmp_path / "home"))
        predictor = load_bundle(fit(TrainConfig(data="synthetic", name="stays", model="gbm", ci_resamples=0,
                                                verify=False), source=source, progress=False).bundle_path)
        results = {}
        for name, src in (("far", shifted), ("clean", source)):
            series, labels = write_long_csv(src, tmp_path / name)
            results[name] = evaluate_bundle(predictor, str(series), split="test", out=tmp_path / f"eval_{name}",
                                            verify=False, report=False, columns={"labels_file": str(labels)})
    metrics, target = results["far"]
    noted = [w for w in metrics.get("warnings", []) if "training standard deviations" in w]
    variable = source.variables[int(first.variables[0])]
    assert len(noted) == 1 and noted[0].startswith(
        f"1 observation(s) lie more than 100 training standard deviations from their variable's training mean "
        f"(e.g. {variable} 99999 in stay {first.id} at "), metrics.get("warnings")
    assert noted[0] in json.loads(Path(target).read_text())["warnings"]
    assert not any("standard deviations" in w for w in results["clean"][0].get("warnings", []))
