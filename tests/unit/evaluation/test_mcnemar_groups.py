"""``mcnemar_test(groups=)``: the Python API gives the clustered McNemar that ``meddx compare`` reports.

Found by an audit: ``delong_test`` took ``groups=`` (patient ids) but ``mcnemar_test`` did not, so a
user scoring several images per patient in Python got the sample-level test, whose p-value shrinks
when a patient's images are counted as independent cases, while the CLI used the clustered one.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.evaluation.compare import mcnemar_test
from meddx.evaluation.compare_clustered import clustered_mcnemar_test


def _correctness(seed: int = 0, patients: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-case correctness of two models on patients with 1-4 cases each (patient effects shared)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, patients)
    groups = np.repeat([f"P{k:03d}" for k in range(patients)], sizes)
    hard = np.repeat(rng.random(patients) < 0.3, sizes)
    a = rng.random(groups.size) < np.where(hard, 0.5, 0.9)
    b = rng.random(groups.size) < np.where(hard, 0.4, 0.8)
    return a, b, groups


def test_groups_with_several_cases_per_patient_give_the_clustered_test() -> None:
    a, b, groups = _correctness()
    out = mcnemar_test(a, b, groups=groups)
    assert out == clustered_mcnemar_test(a, b, groups)
    assert out["n_clusters"] == 60 and "patients as units" in out["method"]


def test_repeating_every_case_moves_the_sample_level_p_value_but_not_the_grouped_one() -> None:
    a, b, groups = _correctness(1)
    once = mcnemar_test(a, b, groups=groups)
    thrice = mcnemar_test(np.repeat(a, 3), np.repeat(b, 3), groups=np.repeat(groups, 3))
    assert thrice["p_value"] == pytest.approx(once["p_value"], rel=1e-9)
    assert mcnemar_test(np.repeat(a, 3), np.repeat(b, 3))["p_value"] < 0.5 * once["p_value"]


def test_one_case_per_patient_is_the_sample_level_test_with_its_cluster_count() -> None:
    a, b, _ = _correctness(2)
    ids = np.array([f"P{k}" for k in range(a.size)])
    out = mcnemar_test(a, b, groups=ids)
    assert out == {**mcnemar_test(a, b), "n_clusters": a.size}


def test_groups_of_the_wrong_length_are_refused() -> None:
    a, b, groups = _correctness(3)
    with pytest.raises(DataError, match="groups must have shape"):
        mcnemar_test(a, b, groups=groups[:-1])
