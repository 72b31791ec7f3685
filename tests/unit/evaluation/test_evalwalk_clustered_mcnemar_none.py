"""The clustered McNemar test with no patient to test says so in its ``method`` (what ``meddx compare``
prints), as the sample-level test's "no discordant pairs" does.

Found by the evaluation walk: ``meddx compare A A`` on a source with two rows per patient printed
"McNemar p=1 (clustered McNemar (Durkalski et al. 2003), chi-square on 1 df, patients as units)":
no chi-square was computed (the statistic is 0/0), and docs/evaluation.md says the chi-square is not
used below 25 discordant patients.
"""

from __future__ import annotations

import numpy as np

from meddx.evaluation.compare_clustered import CLUSTERED_MCNEMAR_METHOD, clustered_mcnemar_test


def test_no_discordant_patient_names_no_test() -> None:
    rng = np.random.default_rng(0)
    correct = rng.random(40) < 0.7
    groups = np.repeat(np.arange(20), 2)
    for ca, cb in ((correct, correct),  # the same decisions
                   (np.array([True, False] * 20), np.array([False, True] * 20))):  # discordances cancel per patient
        out = clustered_mcnemar_test(ca, cb, groups)
        assert out["p_value"] == 1.0 and out["statistic"] == 0.0
        assert out["method"] != CLUSTERED_MCNEMAR_METHOD and "chi-square" not in out["method"]
        assert "no test" in out["method"]
