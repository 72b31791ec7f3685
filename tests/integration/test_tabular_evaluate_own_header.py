"""A bundle trained on a header-less table evaluates another site's file that has a header row
(helper "tables49", stop 49).

Walking predict → evaluate with the UCI files: a bundle trained on ``processed.cleveland.data`` with
``--columns`` read the Hungarian rows exported with a header (columns in another order, a patient
column added) in ``predict``, by name, but ``evaluate`` applied the recorded ``--columns`` to that file
and stopped: "row 1 has 15 cells but the header has 14 columns (age, sex, ...); fix the row or --columns".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def test_a_file_with_its_own_header_is_read_by_its_names(tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.evaluation.evaluate import evaluate_bundle
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    rng = np.random.default_rng(0)
    rows = [(m, 120 + 5 * rng.normal(), int(m + 0.3 * rng.normal() > 0)) for m in rng.normal(size=80)]
    bare = tmp_path / "site_a.data"  # no header: trained with --columns marker,bp,label
    bare.write_text("".join(f"{m:.3f},{b:.1f},{y}\n" for m, b, y in rows))
    named = tmp_path / "site_b.csv"  # the same rows with a header: another order, an extra column
    named.write_text("patient,label,bp,marker\n" + "".join(f"P{i},{y},{b:.1f},{m:.3f}\n"
                                                          for i, (m, b, y) in enumerate(rows)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(tmp_path / "home"))
        predictor = load_bundle(fit(TrainConfig(data=str(bare), columns=["marker", "bp", "label"], seed=0,
                                                ci_resamples=0, verify=False), progress=False).bundle_path)
        by_name, _ = evaluate_bundle(predictor, str(named), split="train", out=tmp_path / "b", verify=False,
                                     report=False)
        copy = tmp_path / "site_a_copy.data"  # not the training file: its train split is all its rows
        copy.write_text(bare.read_text())
        as_trained, _ = evaluate_bundle(predictor, str(copy), split="train", out=tmp_path / "a", verify=False,
                                        report=False)
    assert by_name["n"] == as_trained["n"] == 80
    assert by_name["auc"] == as_trained["auc"] and by_name["confusion_matrix"] == as_trained["confusion_matrix"]
